"""`kiosk selftest`: is this installation whole? Headless, no network, no card (docs/packaging.md).

Run on a terminal after installing the packaged folder (`jpki-kiosk selftest`), by `./run test` on
the PyInstaller build, and from the source tree (`python -m kiosk selftest`). Each check prints one
line, PASS, WARN or FAIL with what it saw; the exit status is 1 when any check failed.

A WARN is something this machine lacks but the installation does not: no pcscd running, no
Japanese font installed. The terminal's own set-up (docs/packaging.md) provides those.

Every check imports what it tests inside its function: a library missing from a build (a hidden
import PyInstaller did not see, a shared library it left out) then fails that one check, named,
instead of the whole command at start-up. Qt is only touched by kiosk/ui (kiosk/ui/selftest.py),
OpenCV and dlib only by kiosk/facecheck (kiosk/facecheck/selftest.py): the layering rules of
tests/unit/test_layers.py hold here too.
"""

from __future__ import annotations

import enum
import os
import platform
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

# The build (pyinstaller.spec) lays its data files out as the source tree does, relative to the
# package: `kiosk/` and `resources/` side by side under sys._MEIPASS. So this one expression, like
# kiosk/ui/i18n.py's TRANSLATIONS_DIR and kiosk/store/migrate.py's MIGRATIONS_DIR, finds them both
# frozen and from source.
RESOURCES_DIR: Final = Path(__file__).resolve().parents[1] / "resources"
# A live camera frame and the same person's card photo (90×110 grey JPEG 2000, as the demo's
# software card carries it): resources/faceset/README.md. The build ships these two files only.
FACE_FRAME: Final = RESOURCES_DIR / "faceset" / "obama-1.jpg"
CARD_PHOTO: Final = RESOURCES_DIR / "faceset" / "obama-card.jp2"


class Status(enum.Enum):
    PASS = "PASS"  # noqa: S105 (a check's outcome, not a password)
    WARN = "WARN"
    FAIL = "FAIL"


class CheckWarning(Exception):
    """Raised by a check for a WARN: the machine lacks a service or package, the build is fine."""


class CheckFailed(Exception):
    """Raised by a check that ran but found something wrong (other exceptions count as FAIL too)."""


@dataclass(frozen=True)
class Check:
    name: str
    run: Callable[[], str]  # returns what it saw, for the PASS line


@dataclass(frozen=True)
class Result:
    name: str
    status: Status
    detail: str
    seconds: float


def frozen() -> bool:
    return bool(getattr(sys, "frozen", False))


# -- the checks ------------------------------------------------------------------------------------


def check_python() -> str:
    import kiosk  # noqa: PLC0415

    version = f"Python {platform.python_version()}"
    if not frozen():
        return f"{version} from source ({sys.executable}), kiosk {kiosk.__version__}"
    # Frozen, the kiosk's modules must come out of the bundle: one imported from a source tree
    # (left on sys.path, or the current directory) would hide a file the build is missing.
    bundle = Path(getattr(sys, "_MEIPASS", "")).resolve()
    origin = Path(kiosk.__file__ or "").resolve()
    if not origin.is_relative_to(bundle):
        raise CheckFailed(f"frozen, but the kiosk package was imported from {origin}, outside {bundle}")
    return f"{version} frozen in {bundle}, kiosk {kiosk.__version__}"


def check_resources() -> str:
    from kiosk.facecheck.models import ENCODER, SHAPE_5, models_dir  # noqa: PLC0415
    from kiosk.store.migrate import MIGRATIONS_DIR  # noqa: PLC0415

    models = models_dir()
    wanted = [
        RESOURCES_DIR / "i18n" / "kiosk_ja.qm",
        MIGRATIONS_DIR / "env.py",
        models / SHAPE_5,
        models / ENCODER,
        FACE_FRAME,
        CARD_PHOTO,
    ]
    missing = [str(path) for path in wanted if not path.is_file()]
    if missing:
        raise CheckFailed("missing: " + ", ".join(missing))
    revisions = sorted((MIGRATIONS_DIR / "versions").glob("[0-9]*.py"))
    if not revisions:
        raise CheckFailed(f"no migration scripts in {MIGRATIONS_DIR / 'versions'}")
    # The 68-point model's training data (iBUG 300-W) forbids commercial use: the build leaves it
    # out (kiosk/facecheck/models.py). From source it is there, installed with the package.
    if frozen() and (models / "shape_predictor_68_face_landmarks.dat").exists():
        raise CheckFailed(f"the 68-point landmark model is in the build ({models}): it must not ship")
    return f"translations, {len(revisions)} migrations, face models in {models}, self-test images"


def check_qt_platform() -> str:
    from kiosk.ui import selftest  # noqa: PLC0415

    return selftest.check_platform()


def check_qt_widget() -> str:
    from kiosk.ui import selftest  # noqa: PLC0415

    return selftest.check_widget()


def check_translation() -> str:
    from kiosk.ui import selftest  # noqa: PLC0415

    return selftest.check_translation()


def check_japanese_font() -> str:
    from kiosk.ui import selftest  # noqa: PLC0415

    found = selftest.japanese_font()
    if found is None:
        raise CheckWarning("no Japanese font (Noto Sans CJK JP): install fonts-noto-cjk on this terminal")
    return found


def check_receipt() -> str:
    from kiosk.ui import selftest  # noqa: PLC0415

    with tempfile.TemporaryDirectory(prefix="kiosk-selftest-") as directory:
        return selftest.check_receipt(Path(directory) / "receipt.pdf")


def check_pcsc() -> str:
    # Importing pyscard loads the system's libpcsclite (the build leaves it out on purpose, so
    # that it always matches the terminal's pcscd): a failure here is an installation problem.
    from kiosk.reader.errors import ReaderUnavailable  # noqa: PLC0415
    from kiosk.reader.pcsc import PcscContext  # noqa: PLC0415

    try:
        with PcscContext() as context:
            names = context.readers()
    except ReaderUnavailable as exc:
        raise CheckWarning(f"no pcscd: {exc} (pyscard and libpcsclite load)") from exc
    return f"PC/SC context established, {len(names)} reader(s): {', '.join(names) or 'none'}"


def check_cryptography() -> str:
    import cryptography  # noqa: PLC0415
    from cryptography.exceptions import InvalidSignature  # noqa: PLC0415
    from cryptography.hazmat.primitives import hashes  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa  # noqa: PLC0415

    message = b"kiosk self-test"
    # RSA-2048 PKCS#1 v1.5 with SHA-256 is what the JPKI card signs with; P-256 ECDSA is the
    # terminal's own key at the central.
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    signature = rsa_key.sign(message, padding.PKCS1v15(), hashes.SHA256())
    rsa_key.public_key().verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    ec_key = ec.generate_private_key(ec.SECP256R1())
    ec_signature = ec_key.sign(message, ec.ECDSA(hashes.SHA256()))
    ec_key.public_key().verify(ec_signature, message, ec.ECDSA(hashes.SHA256()))
    try:
        rsa_key.public_key().verify(signature, message + b"!", padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        pass
    else:
        raise CheckFailed("a signature over other data verified")
    backend = _openssl_version()
    return f"cryptography {cryptography.__version__} ({backend}): RSA-2048 and P-256 sign, verify, reject"


def _openssl_version() -> str:
    from cryptography.hazmat.backends.openssl.backend import backend  # noqa: PLC0415

    return str(backend.openssl_version_text())


def check_store() -> str:
    import sqlalchemy  # noqa: PLC0415

    from kiosk.store.db import make_engine  # noqa: PLC0415
    from kiosk.store.migrate import current_revision, head_revision, upgrade  # noqa: PLC0415

    with tempfile.TemporaryDirectory(prefix="kiosk-selftest-") as directory:
        engine = make_engine(Path(directory) / "kiosk.db")
        try:
            upgrade(engine)
            found, head = current_revision(engine), head_revision()
        finally:
            engine.dispose()
    if found != head:
        raise CheckFailed(f"the store is at revision {found} after the upgrade, head is {head}")
    return f"SQLAlchemy {sqlalchemy.__version__}: migrations ran to {head} in a temporary store"


def check_opencv() -> str:
    from kiosk.facecheck import selftest  # noqa: PLC0415

    return selftest.check_opencv(CARD_PHOTO.read_bytes())


def check_face_models() -> str:
    from kiosk.facecheck import selftest  # noqa: PLC0415

    return selftest.check_encoding(CARD_PHOTO.read_bytes(), FACE_FRAME)


def check_matcher_process() -> str:
    from kiosk.facecheck import selftest  # noqa: PLC0415

    return selftest.check_matcher_process(CARD_PHOTO.read_bytes(), FACE_FRAME)


CHECKS: Final[tuple[Check, ...]] = (
    Check("python", check_python),
    Check("resources", check_resources),
    Check("qt-platform", check_qt_platform),
    Check("qt-widget", check_qt_widget),
    Check("translation", check_translation),
    Check("japanese-font", check_japanese_font),
    Check("receipt-pdf", check_receipt),
    Check("pcsc", check_pcsc),
    Check("cryptography", check_cryptography),
    Check("store", check_store),
    Check("opencv", check_opencv),
    Check("face-models", check_face_models),
    Check("matcher-process", check_matcher_process),
)


# -- running them ----------------------------------------------------------------------------------


def run_check(check: Check) -> Result:
    started = time.monotonic()
    try:
        detail = check.run()
        status = Status.PASS
    except CheckWarning as exc:
        detail, status = str(exc), Status.WARN
    except CheckFailed as exc:  # the check says what it found
        detail, status = str(exc), Status.FAIL
    except Exception as exc:  # any other error is this check's FAIL too; the next check still runs
        detail, status = f"{type(exc).__name__}: {exc}", Status.FAIL
        if os.environ.get("KIOSK_SELFTEST_TRACEBACK"):
            detail += "\n" + traceback.format_exc()
    return Result(check.name, status, detail, time.monotonic() - started)


def format_result(result: Result) -> str:
    return f"{result.status.value}  {result.name:<16} {result.detail} ({result.seconds:.1f} s)"


def run(checks: Sequence[Check] | None = None, out: Callable[[str], None] = print) -> int:
    """Run every check (default: CHECKS), print one line each and a summary; 1 if any failed."""
    checks = CHECKS if checks is None else checks
    how = "frozen" if frozen() else "from source"
    out(f"kiosk self-test ({how}, {platform.system()} {platform.machine()})")
    results = []
    for check in checks:
        result = run_check(check)
        out(format_result(result))
        results.append(result)
    failed = [r.name for r in results if r.status is Status.FAIL]
    warned = [r.name for r in results if r.status is Status.WARN]
    # Worded so CI's test-count reader does not take it for a test runner's closing line.
    if failed:
        out(f"self-test FAILED: {', '.join(failed)} ({len(failed)} of {len(results)} checks)")
        return 1
    note = f", warnings: {', '.join(warned)}" if warned else ""
    out(f"self-test OK: all {len(results)} checks ran without a failure{note}")
    return 0
