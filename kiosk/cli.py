"""`kiosk` console entry point. `kiosk card info` is the counter's card diagnostic; `kiosk face check`
tries the camera and the face check against a card; `kiosk face eval` measures the face check over
a labelled clip set (docs/face-check.md, Evaluation); `kiosk ledger` prints a day's 交付記録簿
(docs/staff-console.md); `kiosk run --config FILE` runs the terminal as its configuration file
says, `kiosk config check FILE` validates that file (docs/deploy.md)."""

from __future__ import annotations

import argparse
import getpass
import logging
import multiprocessing
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from kiosk import __version__
from kiosk.config import ConfigError, KioskConfig, Mode, check_files, format_effective, load_config
from kiosk.domain.secret import Secret
from kiosk.flows.ledger import audit_anchor, daily_ledger, format_ledger, jst_day, to_csv
from kiosk.flows.operator import (
    OperatorAlreadyEnrolled,
    OperatorAuthError,
    OperatorDirectoryError,
    StaffTrust,
    certificate_fingerprint,
    disable_operator,
    enroll_operator,
    list_operators,
    read_staff_certificate,
)
from kiosk.logs import LEVELS, configure_logging
from kiosk.reader.authenticity import IssuerTrust, NotAuthentic, check_card_authenticity
from kiosk.reader.errors import CardError, CardRemoved, InvalidPin, NoCard, PinBlocked, ReaderUnavailable
from kiosk.reader.jpki import CertSlot
from kiosk.reader.pcsc import PcscContext, open_card
from kiosk.reader.session import PinStatus
from kiosk.reader.summary import CardSummary, read_summary
from kiosk.reader.trace import TRAFFIC, ApduTrace
from kiosk.reader.transport import Transport
from kiosk.store.audit import GENESIS, verify_chain
from kiosk.store.coltypes import utcnow
from kiosk.store.db import make_engine, make_sessionmaker, open_evidence
from kiosk.store.migrate import MigrationError, head_revision, upgrade
from kiosk.store.models import AuditRecord, Operator
from kiosk.sync.bootstrap import BootstrapFailed, bootstrap
from kiosk.sync.central import CentralUnreachable

_log = logging.getLogger("kiosk.cli")

_SLOT_NAMES = {
    CertSlot.AUTH: "利用者証明用 (user authentication)",
    CertSlot.AUTH_CA: "利用者証明用 CA",
    CertSlot.SIGN: "署名用 (digital signature)",
    CertSlot.SIGN_CA: "署名用 CA",
}


def _describe_pin(status: PinStatus) -> str:
    if status.blocked:
        return "BLOCKED (reset at the counter)"
    if status.verified:
        return "verified (card did not report tries)"
    if status.tries_left is None:
        return "no retry limit reported"
    return f"{status.tries_left} tries left"


def _describe_cert(cert: x509.Certificate) -> list[str]:
    return [
        f"    subject:  {cert.subject.rfc4514_string() or '(empty)'}",
        f"    issuer:   {cert.issuer.rfc4514_string()}",
        f"    serial:   {cert.serial_number:X}",
        f"    valid:    {cert.not_valid_before_utc:%Y-%m-%d} – {cert.not_valid_after_utc:%Y-%m-%d}",
    ]


def format_summary(summary: CardSummary) -> str:
    lines = [f"token:  {summary.token_label}"]
    for slot, cert in summary.certificates.items():
        lines.append(f"  {_SLOT_NAMES[slot]}:")
        if cert is not None:
            lines += _describe_cert(cert)
        elif slot is CertSlot.SIGN and summary.sign_certificate_protected:
            lines.append("    present, readable only after the signing PIN")
        else:
            lines.append("    none")
    for pin, status in summary.pins.items():
        lines.append(f"PIN {pin.name.lower():<5} {_describe_pin(status)}")
    return "\n".join(lines)


def _print_readers() -> None:
    with PcscContext() as context:
        states = context.states()
    if not states:
        print("no reader connected")
    for state in states:
        card = f"card {state.atr.hex(' ').upper()}" if state.present else "no card"
        print(f"reader {state.name}: {card}")


def _card_readers(_args: argparse.Namespace) -> int:
    _print_readers()
    return 0


def _card_info(args: argparse.Namespace) -> int:
    trace = ApduTrace(keep=args.trace)
    trust = IssuerTrust.from_directory(args.issuer_keys) if args.issuer_keys else None
    _print_readers()
    genuine = True
    with open_card(args.reader, extended_length=not args.short_apdus) as connection:
        print(f"\nusing:  {connection.reader}")
        print(f"ATR:    {connection.atr.hex(' ').upper()}")
        transport = Transport(connection, trace)
        if trust is not None:
            try:
                report = check_card_authenticity(transport, trust)
                print(
                    f"authenticity: genuine (issuer keys {report.kenhojo.issuer} / {report.kenkaku.issuer})"
                )
            except NotAuthentic as exc:
                _log.warning("card failed the authenticity check: %s", exc)
                print(f"authenticity: NOT GENUINE — {exc}")
                genuine = False
        summary = read_summary(transport)
    print(format_summary(summary))
    if args.trace:
        print("\nAPDU trace (PIN data redacted):")
        print("\n".join(trace.lines))
    print(f"APDUs:  {trace.count}")
    return 0 if genuine else 3


def _terminal_bootstrap(args: argparse.Namespace) -> int:
    root = x509.load_pem_x509_certificate(args.root.read_bytes())
    fingerprint = root.fingerprint(hashes.SHA256()).hex(":").upper()
    print(f"central root: {root.subject.rfc4514_string()}\n  SHA-256 {fingerprint}")
    print("  compare this fingerprint with the one on the installation sheet before going on.")
    if args.secret_file is not None:
        secret = args.secret_file.read_text().strip()
    else:  # never on the command line: it would sit in the shell history and in ps
        secret = getpass.getpass("one-time bootstrap secret: ")
    try:
        done = bootstrap(args.central, args.terminal_id, secret, root, args.dir)
    except BootstrapFailed as exc:
        _log.error("bootstrap failed: %s", exc)
        print(f"The central did not certify this terminal: {exc}", file=sys.stderr)
        return 4
    except CentralUnreachable as exc:
        _log.error("bootstrap: central unreachable: %s", exc)
        print("The central could not be reached. Check the network and run the same command again.",
              file=sys.stderr)  # fmt: skip
        return 5
    print(f"terminal {args.terminal_id} certified: serial {done.certificate.serial_number:X}")
    print(f"  key {done.identity.key_file}, certificate {done.identity.cert_file}")
    return 0


def _face_eval(args: argparse.Namespace) -> int:
    # Imported here: loading OpenCV and dlib (~1 s) is not for the card and terminal commands.
    from kiosk.facecheck.evaluation import evaluate  # noqa: PLC0415
    from kiosk.facecheck.models import FaceModelsMissing  # noqa: PLC0415

    try:
        print(
            evaluate(
                args.set_dir,
                liveness_required=args.liveness,
                frame_step=args.frame_step,
                matcher=args.matcher,
                as_json=args.json,
            )
        )
    except FaceModelsMissing as exc:
        _log.error("face eval: %s", exc)
        print("The face models are not installed (face_recognition_models).", file=sys.stderr)
        return 2
    return 0


def _read_code_b(from_stdin: bool) -> Secret:
    # Never on the command line (shell history, ps); a str from input cannot be wiped, the Secret can.
    if from_stdin:
        return Secret.from_ascii(sys.stdin.readline().strip())
    return Secret.from_ascii(getpass.getpass("照合番号B (card face check code): "))


def _face_check(args: argparse.Namespace) -> int:
    # Imported here: loading OpenCV (~0.5 s) is not for the card and terminal commands.
    from kiosk.facecheck.camera import CameraUnavailable, Capture  # noqa: PLC0415
    from kiosk.facecheck.check import TURN_INSTRUCTIONS, Guidance  # noqa: PLC0415
    from kiosk.facecheck.fallback import next_steps  # noqa: PLC0415
    from kiosk.facecheck.matcher import ProcessMatcher  # noqa: PLC0415
    from kiosk.facecheck.worker import FaceCheckWorker  # noqa: PLC0415
    from kiosk.flows.face import read_card_photo  # noqa: PLC0415

    if args.photo is not None:
        photo = bytearray(args.photo.read_bytes())
    else:
        code_b = _read_code_b(args.code_b_stdin)
        try:
            with open_card(args.reader) as connection:
                photo = read_card_photo(Transport(connection), code_b)
        except InvalidPin as exc:
            _log.warning("face check: 照合番号B refused, %d tries left", exc.tries_left)
            print(f"照合番号B is not right: {exc.tries_left} tries left.", file=sys.stderr)
            return 3
        except PinBlocked:
            _log.warning("face check: 照合番号B blocked")
            print("照合番号B is blocked: the card face cannot be read at this terminal.", file=sys.stderr)
            return 3
        print("card photo read from the 券面事項確認AP (kept in memory only)")
    last: list[str] = []

    def show(update: object) -> None:  # on the worker thread: print each new instruction once
        if isinstance(update, Guidance) and last[-1:] != [update.code]:
            last.append(update.code)
            print(f"  [{update.phase.value}] {update.instruction}")

    try:
        with ProcessMatcher() as matcher, Capture(args.camera, realtime=args.realtime) as capture:
            worker = FaceCheckWorker(capture, matcher, photo, liveness_required=args.liveness, listener=show)
            photo[:] = bytes(len(photo))  # the worker has its own copy until the matcher has it
            decision = worker.start().wait()
    except CameraUnavailable as exc:
        _log.error("face check: %s", exc)
        print(exc.user_message, file=sys.stderr)
        return 2
    finally:
        photo[:] = bytes(len(photo))
    score = "-" if decision.score is None else f"{decision.score:.3f}"
    print(f"decision: {decision.outcome.value} ({decision.reason})")
    print(
        f"  distance {score}, threshold {decision.threshold:.2f}, "
        f"{decision.frames_used} frames fused, {decision.seconds:.1f} s"
    )
    for result in decision.challenge:
        asked = TURN_INSTRUCTIONS[result.turn][0]  # in the person's terms, as the screen asked
        print(
            f"  {asked}: {result.why} (reached {result.peak:.2f}, threshold {matcher.policy.turn_threshold})"
        )
    if decision.quality_reasons:
        print("  frames set aside: " + ", ".join(f"{code} ×{n}" for code, n in decision.quality_reasons))
    steps = next_steps(decision, unattended=not args.counter)
    print("next: " + ", ".join(step.value for step in steps))
    return 0 if decision.matched else 1


class _StoreUnusable(Exception):
    """The --db file is missing, unreadable or no kiosk store: `staff` says so for the counter, the
    exception text is the precise cause for the log."""

    def __init__(self, staff: str, detail: str) -> None:
        super().__init__(detail)
        self.staff = staff


@contextmanager
def _audit_session(path: Path) -> Iterator[Session]:
    if not path.is_file():
        raise _StoreUnusable(f"There is no kiosk store at {path}.", f"{path}: no such file")
    engine = open_evidence(path)
    try:
        with Session(engine) as session:
            tables = set(session.scalars(text("SELECT name FROM sqlite_master WHERE type = 'table'")))
            missing = sorted({"alembic_version", AuditRecord.__tablename__} - tables)
            if missing:
                raise _StoreUnusable(
                    f"{path} is not a kiosk store.", f"{path}: no table(s) {', '.join(missing)}"
                )
            yield session
    except DBAPIError as exc:  # not SQLite, damaged, unreadable, or a schema this version does not know
        raise _StoreUnusable(
            f"The kiosk store {path} could not be read.", f"{path}: {type(exc.orig).__name__}: {exc.orig}"
        ) from exc
    finally:
        engine.dispose()


def _with_store(
    args: argparse.Namespace,
    action: Callable[[Session, argparse.Namespace], int],
    *,
    current_schema: bool = False,
) -> int:
    """`action` on the --db store opened read-only; `current_schema`: the store must be at this
    kiosk's schema (read-only, it cannot be migrated here), as queries through the models need.
    An unusable store raises `_StoreUnusable`, which `main` reports."""
    with _audit_session(args.db) as session:
        if current_schema:
            _require_current_schema(session, args.db)
        return action(session, args)


def _require_current_schema(session: Session, path: Path) -> None:
    found = session.scalar(text("SELECT version_num FROM alembic_version"))
    expected = head_revision()
    if found != expected:
        raise _StoreUnusable(
            f"The kiosk store {path} does not match this version of the kiosk; start the kiosk once "
            "to bring it up to date.",
            f"{path}: schema revision {found}, this kiosk's is {expected}",
        )


def _audit_verify(session: Session, args: argparse.Namespace) -> int:
    # Ids and hashes only: details and subjects may name operational data, and this output is
    # shown at the counter and pasted into reports.
    report = verify_chain(session, anchor=args.anchor)
    print(f"records checked: {report.records}")
    if report.ok:
        print(f"head: {report.head.hex()}")
        if args.anchor is not None:
            print(f"anchor {args.anchor.hex()}: found")
        print("OK")
        return 0
    if report.first_bad_id is not None:
        print(f"last good hash: {report.head.hex()}")
        print(f"BROKEN at record {report.first_bad_id}: {report.problem}")
        _log.error("audit chain broken at record %d: %s", report.first_bad_id, report.problem)
    else:  # only the anchor check has no record to name: the chain itself is intact but shorter
        anchor_hex = args.anchor.hex() if args.anchor is not None else "-"
        print(f"head: {report.head.hex()}")
        print(f"BROKEN: anchor {anchor_hex} not found ({report.problem})")
        _log.error("audit chain: anchor %s not found; head %s", anchor_hex, report.head.hex())
    print(
        "The operation record has been altered. Leave the database file as it is and report this "
        "to the system administrator.",
        file=sys.stderr,
    )
    return 1


def _audit_head(session: Session, _args: argparse.Namespace) -> int:
    anchor = audit_anchor(session)
    print(f"records: {anchor.records}")
    print(f"head: {anchor.head.hex()}")
    return 0


def _ledger(session: Session, args: argparse.Namespace) -> int:
    ledger = daily_ledger(session, args.day or jst_day(utcnow()))
    print(format_ledger(ledger))
    # The chain's head on the printed ledger anchors the operation record outside the kiosk
    # (kiosk.store.audit): records cut off its end later no longer go unnoticed.
    anchor = audit_anchor(session)
    print(f"audit records: {anchor.records}, head: {anchor.head.hex()}")
    if args.csv is not None:
        try:
            args.csv.write_text(to_csv(ledger), encoding="utf-8", newline="")
        except OSError as exc:
            _log.error("ledger: cannot write %s: %s", args.csv, exc)
            print(f"The CSV file {args.csv} could not be written.", file=sys.stderr)
            return 2
        print(f"CSV written to {args.csv}")
    return 0


def _jst_date(text_value: str) -> date:
    try:
        return date.fromisoformat(text_value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date YYYY-MM-DD: {text_value!r}") from None


# -- operators (staff cards) -----------------------------------------------------------------------


def _cli_actor() -> str:
    # Who changed the operator directory: the administrator's OS account (an account, not a name).
    return f"cli:{getpass.getuser()}"[:100]


@contextmanager
def _writable_session(path: Path, *, create: bool) -> Iterator[Session]:
    """One write transaction on the kiosk store, brought to the current schema first as the kiosk
    does at start-up (committed when the block ends without an exception)."""
    if not create and not path.is_file():
        raise _StoreUnusable(f"There is no kiosk store at {path}.", f"{path}: no such file")
    engine = make_engine(path)
    try:
        upgrade(engine)
        with make_sessionmaker(engine).begin() as session:
            yield session
    except (DBAPIError, MigrationError) as exc:
        raise _StoreUnusable(f"The kiosk store {path} could not be opened.", f"{path}: {exc}") from exc
    finally:
        engine.dispose()


def _common_name(cert: x509.Certificate) -> str | None:
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else None


def _operator_enroll(args: argparse.Namespace) -> int:
    trust = StaffTrust.from_pem_file(args.staff_ca)
    now = datetime.now(UTC)
    try:
        with open_card(args.card_reader) as connection:
            print(f"reading the staff card in {connection.reader} (no PIN needed)")
            cert = read_staff_certificate(Transport(connection))
        trust.check(cert, now)  # before printing anything of a card that may be a resident's
    except NoCard as exc:
        _log.error("operator enroll: %s", exc)
        print(
            f"No staff card found ({exc}). Insert the staff card into the staff reader, or name that "
            "reader with --card-reader.",
            file=sys.stderr,
        )
        return 2
    except OperatorAuthError as exc:
        _log.error("operator enroll: card refused (%s): %s", exc.reason.code, exc)
        print(exc.staff_message, file=sys.stderr)
        return 3
    operator_id = args.operator_id or _common_name(cert)
    if not operator_id:
        print("The staff card names no operator: give --operator-id.", file=sys.stderr)
        return 4
    print(f"staff card: {cert.subject.rfc4514_string()}, valid to {cert.not_valid_after_utc:%Y-%m-%d}")
    print(f"  SHA-256 {certificate_fingerprint(cert).hex(':').upper()}")
    try:
        with _writable_session(args.db, create=True) as session:
            enroll_operator(
                session,
                operator_id=operator_id,
                display_name=args.name or operator_id,
                certificate=cert,
                trust=trust,
                now=now,
                actor=_cli_actor(),
                replace_card=args.replace,
            )
    except OperatorDirectoryError as exc:
        _log.error("operator enroll: %s", exc)
        hint = (
            " Give --replace to enroll this card in place of the old one."
            if isinstance(exc, OperatorAlreadyEnrolled)
            else ""
        )
        print(f"Not enrolled: {exc}.{hint}", file=sys.stderr)
        return 4
    print(f"operator {operator_id} enrolled{' with a new card' if args.replace else ''}")
    return 0


def _operator_list(session: Session, _args: argparse.Namespace) -> int:
    # Read only, so a store from before the operator table (revision 0001) simply has none.
    tables = set(session.scalars(text("SELECT name FROM sqlite_master WHERE type = 'table'")))
    operators = list_operators(session) if Operator.__tablename__ in tables else []
    if not operators:
        print("no operators enrolled")
    for op in operators:
        state = "disabled" if op.disabled else "active"
        print(
            f"{op.id:<16} {state:<8} enrolled {op.enrolled_at:%Y-%m-%d}  "
            f"card {op.cert_sha256.hex()[:16]}…  {op.display_name}"
        )
    return 0


def _operator_disable(args: argparse.Namespace) -> int:
    try:
        with _writable_session(args.db, create=False) as session:
            changed = disable_operator(session, args.operator_id, now=datetime.now(UTC), actor=_cli_actor())
    except OperatorDirectoryError as exc:
        _log.error("operator disable: %s", exc)
        print(f"Nothing changed: {exc}.", file=sys.stderr)
        return 4
    print(f"operator {args.operator_id} {'disabled' if changed else 'was already disabled'}")
    return 0


def _chain_hash(hex_text: str) -> bytes:
    try:
        value = bytes.fromhex(hex_text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a hex string: {hex_text!r}") from None
    if len(value) != len(GENESIS):
        raise argparse.ArgumentTypeError(f"a head hash is {len(GENESIS)} bytes, not {len(value)}")
    return value


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def _liveness_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--liveness",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="require the head-turn challenge, as an unattended terminal does (default: on)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kiosk", description="JPKI counter kiosk")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="-v: debug log to stderr; -vv: also APDU traffic (redacted)",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    card = commands.add_parser("card", help="card diagnostics").add_subparsers(
        dest="card_command", required=True
    )
    readers = card.add_parser("readers", help="list readers and whether they hold a card")
    readers.set_defaults(run=_card_readers)
    info = card.add_parser(
        "info", help="token, certificates and PIN states of the inserted card (no PIN try spent)"
    )
    info.add_argument("--reader", help="reader name (or prefix); default: the reader holding a card")
    info.add_argument("--trace", action="store_true", help="print the APDU trace (PINs redacted)")
    info.add_argument(
        "--short-apdus", action="store_true", help="use short APDUs only (readers without extended length)"
    )
    info.add_argument(
        "--issuer-keys",
        type=Path,
        metavar="DIR",
        help="check card authenticity (規則64条の12) against the issuer keys in DIR/kenhojo/, DIR/kenkaku/",
    )
    info.set_defaults(run=_card_info)

    terminal = commands.add_parser("terminal", help="this terminal's identity at the central").add_subparsers(
        dest="terminal_command", required=True
    )
    boot = terminal.add_parser(
        "bootstrap", help="get this terminal's first certificate with its one-time secret (CMP, PBM)"
    )
    boot.add_argument("terminal_id", help="the id the central registered this terminal under")
    boot.add_argument(
        "--central", required=True, metavar="URL", help="the central's CMP URL (https://…/pkix/)"
    )
    boot.add_argument("--root", required=True, type=Path, help="the central's root certificate (PEM)")
    boot.add_argument("--dir", required=True, type=Path, help="where the key and certificate go (0700)")
    boot.add_argument("--secret-file", type=Path, help="read the secret from this file instead of asking")
    boot.set_defaults(run=_terminal_bootstrap)

    face = commands.add_parser("face", help="the face check (規則64条の5)").add_subparsers(
        dest="face_command", required=True
    )
    evaluate = face.add_parser(
        "eval",
        help="run the face check over a labelled clip set (tools/build_face_evalset.py) and report "
        "score distributions, FMR/FNMR, APCER per attack type and latency",
    )
    evaluate.add_argument("set_dir", type=Path, metavar="SET_DIR", help="directory holding labels.json")
    evaluate.add_argument("--json", action="store_true", help="print the report as JSON")
    _liveness_option(evaluate)
    evaluate.add_argument(
        "--frame-step",
        type=_positive,
        default=1,
        metavar="N",
        help="frame-level scores from every Nth frame only (default 1: every frame)",
    )
    evaluate.add_argument(
        "--matcher",
        choices=("local", "process"),
        default="local",
        help="match in this process (default; also times detection and encoding apart) or in a child "
        "process as the kiosk does (per-frame time then includes the pipe)",
    )
    evaluate.set_defaults(run=_face_eval)
    check = face.add_parser(
        "check",
        help="one face check against the card photo (read from the card in the reader, or --photo) "
        "with a camera, file or stream; prints the guidance and the decision",
    )
    check.add_argument(
        "--camera", required=True, help="device index (0), video file, image sequence (img_%%03d.png) or URL"
    )
    check.add_argument("--photo", type=Path, help="a card photo file (JP2) instead of reading the card")
    check.add_argument("--reader", help="reader name (or prefix); default: the reader holding a card")
    check.add_argument(
        "--code-b-stdin", action="store_true", help="read 照合番号B from standard input instead of asking"
    )
    _liveness_option(check)
    check.add_argument(
        "--counter",
        action="store_true",
        help="show the counter's fallback (staff visual check, PIN) instead of the unattended referral",
    )
    check.add_argument(
        "--realtime",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="play a file at its own frame rate (default) or as fast as the check takes it",
    )
    check.set_defaults(run=_face_check)

    audit = commands.add_parser(
        "audit", help="the hash-chained operation record (規則73条の3), read only"
    ).add_subparsers(dest="audit_command", required=True)
    verify = audit.add_parser(
        "verify",
        help="recompute the chain; exit 0 intact, 1 broken (first broken record id), 2 store unusable",
    )
    verify.add_argument("--db", required=True, type=Path, help="the kiosk store (SQLite file)")
    verify.add_argument(
        "--anchor",
        type=_chain_hash,
        metavar="HEX",
        help="a head printed earlier by 'kiosk audit head' (ledger, central): must still be in the "
        "chain, which is the only way records cut off the end show",
    )
    verify.set_defaults(run=lambda args: _with_store(args, _audit_verify))
    head = audit.add_parser("head", help="print the record count and head hash, to anchor elsewhere")
    head.add_argument("--db", required=True, type=Path, help="the kiosk store (SQLite file)")
    head.set_defaults(run=lambda args: _with_store(args, _audit_head))
    _add_ledger_command(commands)
    _add_operator_commands(commands)
    _add_terminal_commands(commands)
    _add_selftest_command(commands)
    return parser


def _add_ledger_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ledger = commands.add_parser(
        "ledger",
        help="a day's 交付記録簿 per certificate kind from the kiosk store, read only; exit 2 if the "
        "store is unusable",
    )
    ledger.add_argument("--db", required=True, type=Path, help="the kiosk store (SQLite file)")
    ledger.add_argument(
        "--day", type=_jst_date, metavar="YYYY-MM-DD", help="the JST day of the requests (default: today)"
    )
    ledger.add_argument(
        "--csv", type=Path, metavar="FILE", help="also write the ledger as CSV (UTF-8 with BOM, for Excel)"
    )
    ledger.set_defaults(run=lambda args: _with_store(args, _ledger, current_schema=True))


def _add_operator_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    operator = commands.add_parser(
        "operator", help="the staff cards allowed to operate this terminal (docs/staff-console.md)"
    ).add_subparsers(dest="operator_command", required=True)
    enroll = operator.add_parser(
        "enroll",
        help="enroll the staff card in the reader: reads its certificate (no PIN), checks it against "
        "the staff CA; exit 2 no card/store, 3 not a valid staff card, 4 not enrolled (already, or no id)",
    )
    enroll.add_argument(
        "--db", required=True, type=Path, help="the kiosk store (SQLite file; created if missing)"
    )
    enroll.add_argument("--staff-ca", required=True, type=Path, help="the staff CA certificate(s), PEM")
    enroll.add_argument("--card-reader", help="reader name (or prefix); default: the reader holding a card")
    enroll.add_argument("--operator-id", help="staff number (default: the certificate's CN)")
    enroll.add_argument("--name", help="display name on the staff screens (default: the operator id)")
    enroll.add_argument(
        "--replace", action="store_true", help="a new card for an enrolled operator (enables them again)"
    )
    enroll.set_defaults(run=_operator_enroll)
    listing = operator.add_parser("list", help="enrolled operators (read only)")
    listing.add_argument("--db", required=True, type=Path, help="the kiosk store (SQLite file)")
    listing.set_defaults(run=lambda args: _with_store(args, _operator_list))
    disable = operator.add_parser(
        "disable", help="withdraw an operator's staff card (recorded; never deleted)"
    )
    disable.add_argument("operator_id", metavar="ID")
    disable.add_argument("--db", required=True, type=Path, help="the kiosk store (SQLite file)")
    disable.set_defaults(run=_operator_disable)


def _counter(args: argparse.Namespace) -> int:
    # Qt and the counter's wiring load only here: the card and store commands stay light and headless.
    from kiosk.flows.counter.assembly import TerminalConfig  # noqa: PLC0415
    from kiosk.flows.counter.terminal import RecipientError  # noqa: PLC0415
    from kiosk.ui.app import StaffCaMissing, run_counter  # noqa: PLC0415

    config = TerminalConfig(
        args.data_dir, args.terminal_id, args.central_url, args.reader, args.staff_reader, args.camera
    )
    try:
        return run_counter(config, fullscreen=not args.windowed)
    except (StaffCaMissing, RecipientError) as exc:
        _log.error("counter: %s", exc)
        print(f"The terminal is not set up: {exc}", file=sys.stderr)
        return 2


def _add_counter_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    counter = commands.add_parser(
        "counter",
        help="the counter terminal (touch UI): the resident's screens and the staff sign-in; needs a "
        "display (or QT_QPA_PLATFORM)",
    )
    counter.add_argument(
        "--data-dir",
        required=True,
        type=Path,
        help="kiosk.db, data.key, terminal/ (from 'kiosk terminal bootstrap'), central-encryption.pem, "
        "staff-ca.pem, trust/",
    )
    counter.add_argument(
        "--terminal-id", required=True, help="the id the central registered this terminal under"
    )
    counter.add_argument(
        "--central-url", required=True, metavar="URL", help="the central's CMP URL (https://…/pkix/)"
    )
    counter.add_argument(
        "--camera",
        help="the face check's camera: device index, video file or URL (default: no face check; staff "
        "then use the PIN or documents)",
    )
    counter.add_argument(
        "--reader", help="the resident's reader (name or prefix); default: the one holding a card"
    )
    counter.add_argument(
        "--staff-reader",
        help="the staff card reader (name or prefix); default: staff sign in at the resident's reader",
    )
    counter.add_argument("--windowed", action="store_true", help="a maximised window instead of full screen")
    counter.set_defaults(run=_counter)


# -- the configured terminal (docs/deploy.md) ------------------------------------------------------


def _report_problems(what: str, source: Path, problems: Sequence[str]) -> None:
    """Every problem at once: one line each on stderr, and one record for the log (journald)."""
    _log.error("%s %s: %d problem(s)", what, source, len(problems), extra={"problems": list(problems)})
    print(f"The {what} {source} cannot be used:", file=sys.stderr)
    for problem in problems:
        print(f"  - {problem}", file=sys.stderr)


def _load_checked(path: Path) -> KioskConfig | None:
    """The configuration, its secret files checked as this user; None after reporting problems."""
    try:
        config = load_config(path)
    except ConfigError as exc:
        _report_problems("configuration", path, exc.problems)
        return None
    problems = check_files(config)
    if problems:
        _report_problems("installation of", config.data_dir, problems)
        return None
    return config


def _run(args: argparse.Namespace) -> int:
    # Until the configuration says where, the log goes to stderr only (journald under systemd),
    # through the same redaction as the files.
    setup = configure_logging(None, level=logging.INFO)
    config = _load_checked(args.config)
    if config is None:
        return 2
    setup.close()
    try:
        setup = configure_logging(
            config.log_directory,
            level=logging.DEBUG if args.verbose else LEVELS[config.log_level],
            retention_days=config.log_retention_days,
        )
    except OSError as exc:
        _report_problems("log directory", config.log_directory or Path("-"), [f"{exc}"])
        return 2
    _log.info(
        "kiosk %s starting", __version__, extra={"terminal_id": config.terminal_id, "mode": config.mode.value}
    )
    try:
        if config.mode is Mode.UNATTENDED:
            return _run_unattended(config, fullscreen=not args.windowed)
        return _run_counter(config, fullscreen=not args.windowed)
    finally:
        _log.info("kiosk stopped")
        setup.close()


def _run_unattended(config: KioskConfig, *, fullscreen: bool) -> int:
    try:
        # Qt only now; the unattended terminal's application is its own module.
        from kiosk.ui.unattended_app import run_unattended  # noqa: PLC0415
    except ModuleNotFoundError as exc:
        if exc.name != "kiosk.ui.unattended_app":
            raise  # a dependency of it is missing: that is a broken installation, said as such
        _log.error("mode unattended: this installation has no kiosk.ui.unattended_app")
        print("This installation cannot run an unattended terminal (kiosk.ui.unattended_app is missing).",
              file=sys.stderr)  # fmt: skip
        return 2
    return int(run_unattended(config, fullscreen=fullscreen))


def _run_counter(config: KioskConfig, *, fullscreen: bool) -> int:
    from kiosk.flows.counter.terminal import RecipientError  # noqa: PLC0415 (as in _counter)
    from kiosk.ui.app import CounterSettings, StaffCaMissing, run_counter  # noqa: PLC0415

    try:
        return run_counter(
            config.terminal, fullscreen=fullscreen, settings=CounterSettings.from_config(config)
        )
    except (StaffCaMissing, RecipientError) as exc:
        _log.error("counter: %s", exc)
        print(f"The terminal is not set up: {exc}", file=sys.stderr)
        return 2


def _config_check(args: argparse.Namespace) -> int:
    config = _load_checked(args.file)
    if config is None:
        return 2
    print(format_effective(config))
    print(f"\n# the data directory's files were checked as user {getpass.getuser()}", file=sys.stderr)
    return 0


def _add_terminal_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The commands that run the terminal: `counter` (flags), `run` and `config` (the file)."""
    _add_counter_command(commands)
    _add_run_commands(commands)


def _add_run_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = commands.add_parser(
        "run",
        help="the terminal as its configuration file says (counter or unattended; docs/deploy.md): "
        "full screen and locked down; exit 2 if the configuration or the data directory's files "
        "are not right (every problem listed)",
    )
    run.add_argument("--config", required=True, type=Path, metavar="FILE", help="the configuration (TOML)")
    run.add_argument(
        "--windowed", action="store_true", help="a maximised window, not locked down (development)"
    )
    run.set_defaults(run=_run)
    config = commands.add_parser("config", help="the configuration file").add_subparsers(
        dest="config_command", required=True
    )
    check = config.add_parser(
        "check",
        help="validate FILE and the data directory's secret files (as this user), print the effective "
        "configuration; exit 2 with every problem listed",
    )
    check.add_argument("file", type=Path, metavar="FILE")
    check.set_defaults(run=_config_check)


def _selftest(args: argparse.Namespace) -> int:
    # Imported here (kiosk.selftest itself is light): the checks load Qt, OpenCV and dlib one by one.
    from kiosk.selftest import CHECKS, run  # noqa: PLC0415

    return run([check for check in CHECKS if check.name in args.check] if args.check else None)


def _add_selftest_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from kiosk.selftest import CHECKS  # noqa: PLC0415

    selftest = commands.add_parser(
        "selftest",
        help="check this installation headless, without network or card: Qt, translations, "
        "resources, PC/SC, cryptography, store migrations, OpenCV, face models, the matcher "
        "process; one PASS/WARN/FAIL line each, exit 1 if any failed (docs/packaging.md)",
    )
    selftest.add_argument(
        "--check",
        action="append",
        choices=[check.name for check in CHECKS],
        metavar="NAME",
        help="run only this check (repeatable): " + ", ".join(check.name for check in CHECKS),
    )
    selftest.set_defaults(run=_selftest)


_USER_MESSAGES: tuple[tuple[type[Exception], str], ...] = (
    (NoCard, "No card found. Insert the My Number card into the reader and try again."),
    (CardRemoved, "The card was removed. Insert it again and leave it in until the end."),
    (ReaderUnavailable, "The card reader is not available. Check that it is connected and pcscd is running."),
    (CardError, "The card could not be read. Try again; if it happens again, call staff."),
    (FileExistsError, "This terminal already has its certificate; nothing was changed."),
    (OSError, "A file named on the command line could not be read."),
    (ValueError, "A file named on the command line is not in the expected format."),
)


def _command_name(args: argparse.Namespace) -> str:
    """The command and its sub-command ("ledger", "audit verify", "operator enroll"), for the log."""
    words = (args.command, getattr(args, f"{args.command}_command", None))
    return " ".join(word for word in words if word)


def main(argv: Sequence[str] | None = None) -> int:
    # A frozen kiosk's face-check matcher child starts through this entry point: hand it over first.
    multiprocessing.freeze_support()
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "counter" and args.staff_reader and not args.reader:
        # Two cards in two readers: "the reader holding a card" would be ambiguous.
        parser.error("counter: with --staff-reader, name the resident's reader with --reader too")
    logging.basicConfig(
        level={0: logging.WARNING, 1: logging.DEBUG}.get(args.verbose, TRAFFIC),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.run(args))
    except _StoreUnusable as exc:  # the --db store of an audit, ledger or operator command
        _log.error("%s: %s", _command_name(args), exc)
        print(exc.staff, file=sys.stderr)
        return 2
    except (CardError, OSError, ValueError) as exc:
        _log.error("%s: %s", type(exc).__name__, exc)
        message = next(text for kind, text in _USER_MESSAGES if isinstance(exc, kind))
        print(message, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
