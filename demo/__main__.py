"""`./run demo`: the counter kiosk on its embedded default, a newcomer at the counter.

What runs (everything under var/demo/, the keys made once, the rest afresh on every run unless
`--keep`):

- the central (機構) as its own process, `central serve` on SQLite, with its CA hierarchy;
- the kiosk's terminal identity from `kiosk terminal bootstrap`'s library call (CMP with the
  one-time secret), the central's encryption certificate, the card issuer trust, the staff CA;
- the PC/SC harness (pcscd + vpcd in a private network namespace) with the sample resident's
  card in the resident's reader ("Virtual PCD 00 00") and a staff card, enrolled as operator
  op-001, in the staff reader ("Virtual PCD 00 01");
- the counter UI (`kiosk counter`'s `run_counter`): the resident's screens and the staff panel.

The sample card's user-authentication certificate was issued by this central five years ago and
ends in 45 days (demo/seed.py), so "Renew a certificate" is on its menu. The PINs to type are
printed before the window opens. `--no-ui` runs the old diagnostics instead: `kiosk card info`
and a face check of the card's photo against the sample camera clip.

`--unattended` runs the unattended PIN-reset terminal instead (kiosk/ui/unattended_app.py): a
second terminal of the same municipality, registered at the central as unattended (it may reset
both JPKI PINs), with its own data directory; the same sample card, whose user-authentication
certificate proves the holder when the signing PIN is reset. The camera is a clip of the card's
holder turning right, left and right, and the head-turn challenge is seeded to ask exactly that
(a recording cannot follow a random challenge: that is the point of the challenge; a real camera
with `--camera 0` gets a random one). The staff card is not inserted: put it into the staff reader
to open the maintenance menu.

On exit (closing the window, Ctrl-C) the central and the harness are stopped by PID.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509

import facekit
from cardemu.harness import DEFAULT_CONTROL, READER, STAFF_READER, HarnessError, PcscHarness
from cardemu.personalise import KENKAKU_PIN_B
from cardemu.residents import ADULT, AUTH_PIN, FACE_AUTH, JUKI_PIN, KENHOJO_PIN, SIGN_PIN, write_residents
from cardemu.staff import StaffCa
from cardemu.state import CardState
from cardemu.testpki import TestPki
from central import migrate
from central.authority import Authority
from central.db import make_engine as make_central_engine
from central.enums import TerminalMode
from central.service import Central
from demo import seed
from demo.central_process import CentralDidNotStart, serve_central
from kiosk import cli
from kiosk.facecheck.liveness import Turn, new_challenge
from kiosk.facecheck.policy import DEFAULT_POLICY
from kiosk.flows.counter.assembly import TerminalConfig
from kiosk.flows.operator import StaffTrust, enroll_operator
from kiosk.store.db import make_engine, make_sessionmaker
from kiosk.store.migrate import upgrade
from kiosk.sync.bootstrap import bootstrap

ROOT = Path(__file__).resolve().parent.parent
DEMO_HOME = ROOT / "var" / "demo"
TERMINAL = "kiosk-demo-01"
SHOP_TERMINAL = "kiosk-demo-shop-01"  # the unattended PIN-reset terminal (--unattended)
# The holder's clip for the unattended face check, at 15 fps: frontal, then right, back, left,
# back, right, back (facekit's script: first frame, last frame, yaw).
RIGHT_LEFT_RIGHT = ((12, 20, 1.0), (26, 34, 0.0), (40, 48, -1.0), (54, 62, 0.0), (68, 76, 1.0), (82, 90, 0.0))
CENTRAL_START_S = 60.0


@dataclass(frozen=True)
class World:
    """One run's central database, kiosk data directory and card files."""

    directory: Path

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.directory / 'central.db'}"

    @property
    def data_dir(self) -> Path:
        return self.directory / "kiosk"

    @property
    def resident_card(self) -> Path:
        return self.directory / "cards" / "resident.json"

    @property
    def staff_card(self) -> Path:
        return self.directory / "cards" / f"staff-{seed.OPERATOR_ID}.json"

    @property
    def others(self) -> Path:
        return self.directory / "cards" / "others"

    @property
    def shop_dir(self) -> Path:
        return self.directory / "shop"

    @property
    def ready(self) -> bool:
        return (self.data_dir / "terminal" / "terminal.pem").exists() and self.resident_card.exists()

    @property
    def shop_ready(self) -> bool:
        return (self.shop_dir / "terminal" / "terminal.pem").exists()


# -- the central as its own process ---------------------------------------------------------------


class CentralProcess:
    """`central serve`, started and stopped by PID; its log goes to a file."""

    def __init__(self, db_url: str, ca_dir: Path, log_path: Path) -> None:
        self.db_url, self.ca_dir, self.log_path = db_url, ca_dir, log_path
        self.process: subprocess.Popen[str] | None = None
        self.url = ""

    def start(self) -> str:
        log = self.log_path.open("a", encoding="utf-8")

        def write(line: str) -> None:
            log.write(line)
            log.flush()

        try:
            # The central dies with the demo, even a killed one.
            self.process, self.url = serve_central(self.db_url, self.ca_dir, write, die_with_parent=True)
        except CentralDidNotStart:
            log.close()
            raise RuntimeError(f"the central did not start; see {self.log_path}") from None
        return self.url

    def stop(self, timeout: float = 10.0) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)


# -- making the world -----------------------------------------------------------------------------


def keys(home: Path) -> tuple[TestPki, StaffCa, Path]:
    """The slow part, made once: the card issuer's test PKI, the staff CA, the central's CAs."""
    pki = TestPki.load_or_create(home / "pki")
    staff_ca = StaffCa.load_or_create(home / "staff-ca", seed.MUNICIPALITY)
    ca_dir = home / "central-ca"
    if not (ca_dir / "authority.json").exists():
        shutil.rmtree(ca_dir, ignore_errors=True)  # a half-made one from an interrupted first run
        Authority.create(ca_dir)
    return pki, staff_ca, ca_dir


def build(world: World, pki: TestPki, staff_ca: StaffCa, ca_dir: Path, central: CentralProcess) -> None:
    """A new central database, this terminal registered and bootstrapped, the staff card enrolled,
    the sample card seeded (demo/seed.py), the other residents registered for trying."""
    shutil.rmtree(world.directory, ignore_errors=True)
    world.directory.mkdir(parents=True)
    migrate.upgrade(world.db_url)
    authority = Authority.load(ca_dir)
    with Central(authority, make_central_engine(world.db_url)) as handle:
        handle.add_municipality(seed.MUNICIPALITY, seed.MUNICIPALITY_NAME)
        secret = handle.register_terminal(TERMINAL, seed.MUNICIPALITY)
        url = central.start()
        done = bootstrap(url, TERMINAL, secret, authority.root.cert, world.data_dir / "terminal")
        seed.prepare_terminal(world.data_dir, authority, pki, staff_ca, world.staff_card)
        key, _chain, _root = done.identity.load()
        seed.seed_renewable_card(world.resident_card, pki, handle, terminal_id=TERMINAL, terminal_key=key)
        _register_others(world.others, pki, handle)
        _build_shop(world, pki, staff_ca, authority=authority, handle=handle, url=url)


def _build_shop(
    world: World, pki: TestPki, staff_ca: StaffCa, *, authority: Authority, handle: Central, url: str
) -> None:
    """The unattended terminal: registered as such (both JPKI PINs), bootstrapped into its own data
    directory as an installer leaves it, the demo's staff card enrolled there too."""
    secret = handle.register_terminal(
        SHOP_TERMINAL, seed.MUNICIPALITY, mode=TerminalMode.UNATTENDED, reset_pins=("sign", "auth")
    )
    bootstrap(url, SHOP_TERMINAL, secret, authority.root.cert, world.shop_dir / "terminal")
    seed.write_terminal_files(world.shop_dir, authority, pki, staff_ca)
    engine = make_engine(world.shop_dir / seed.STORE_FILE)
    try:
        upgrade(engine)
        der = CardState.load(world.staff_card).jpki.auth_cert
        with make_sessionmaker(engine).begin() as session:
            enroll_operator(
                session,
                operator_id=seed.OPERATOR_ID,
                display_name=seed.OPERATOR_NAME,
                certificate=x509.load_der_x509_certificate(der or b""),
                trust=StaffTrust((staff_ca.cert,)),
                now=dt.datetime.now(dt.UTC),
                actor="demo-setup",
            )
    finally:
        engine.dispose()


# The other sample residents' municipalities (cardemu/residents.py), so the central knows their cards.
OTHER_MUNICIPALITIES = {
    "14104": "横浜市中区",
    "27127": "大阪市北区",
    "23106": "名古屋市中区",
    "01101": "札幌市中央区",
}


def _register_others(directory: Path, pki: TestPki, central: Central) -> None:
    """The other sample residents (minor, face-auth card, blocked signing PIN, expired card), made
    for this central, for `cardemu insert` while the demo runs."""
    for code, name in OTHER_MUNICIPALITIES.items():
        central.add_municipality(code, name)
    for name, path in write_residents(directory, pki).items():
        if name == ADULT:
            path.unlink()  # the demo's adult is the seeded one
            continue
        seed.adopt_card(central, CardState.load(path), path, f"demo-{name}", face_auth=name == FACE_AUTH)


# -- the sheet ------------------------------------------------------------------------------------


def sheet(world: World) -> str:
    """What a newcomer sees and types, from the card files as they are now."""
    card = CardState.load(world.resident_card)
    der = card.jpki.auth_cert
    ends = (
        f"{x509.load_der_x509_certificate(der).not_valid_after_utc.astimezone(seed.JST):%Y-%m-%d}"
        if der
        else "(none on the card)"
    )
    code_b = card.kenkaku.pins[KENKAKU_PIN_B].value
    return f"""
== The counter kiosk demo
Two cards are in the virtual readers: the staff card of operator {seed.OPERATOR_ID} (staff reader)
and the sample resident's My Number card, {card.holder.name} (resident's reader). Its user
authentication certificate was issued by this central five years ago and ends on {ends}.

1. Staff panel (right): the staff card is read; type the staff PIN {seed.STAFF_PIN} and OK.
2. Resident's screen (left): choose 日本語 or English. The menu lists what this card allows today.
3. "Renew a certificate: user authentication certificate", then the PINs the screens ask for:
     resident registry PIN (住基)           {JUKI_PIN}
     card information entry PIN (券面事項入力補助) {KENHOJO_PIN}
     user authentication PIN (利用者証明用)  {AUTH_PIN}   (renewal keeps it)
   (signing PIN {SIGN_PIN}; 照合番号B {code_b}). The new certificate is made on the card, issued
   by the central and written back; the result screen shows its serial number and end date.

From another terminal (as root): `.venv/bin/cardemu remove` pulls the resident's card,
`.venv/bin/cardemu insert {world.resident_card}` puts it back; other residents:
{world.others}/{{minor,face_auth,sign_blocked,expired}}.json. Close the window or press Ctrl-C
to end; the central and the card readers are stopped then. Logs: {world.directory.parent}/*.log
"""


def shop_sheet(world: World) -> str:
    """What a newcomer sees and types at the unattended terminal."""
    card = CardState.load(world.resident_card)
    code_b = card.kenkaku.pins[KENKAKU_PIN_B].value
    return f"""
== The unattended PIN-reset terminal demo
The sample resident's My Number card, {card.holder.name}, is in the reader. Its user authentication
certificate was issued by this central, so its user authentication PIN can prove the holder when
the signing PIN is reset. Nobody staffs this terminal.

1. Choose 日本語 or English. The card is checked (authenticity, its status at the central).
2. "Which PIN did you forget?": the signing PIN (the other one is not possible with this card: it
   has no signing certificate — the screen says so).
3. Enter the PIN you still know: user authentication PIN {AUTH_PIN}
   (the terminal stops before the last try; a wrong one twice ends on the referral screen).
4. 照合番号B: {code_b}  (the screen shows where each part is printed on the card).
5. The face check: the camera is a clip of the holder turning right, left, right.
6. The new signing PIN twice (6–16 capital letters and digits, e.g. SHOP2026X); the receipt.
   (Signing PIN now: {SIGN_PIN}.)

Staff maintenance: `.venv/bin/cardemu insert {world.staff_card} --slot 1` (as root) while the
attract screen shows opens the sign-in (staff PIN {seed.STAFF_PIN}), then out of service and exit.
`.venv/bin/cardemu remove` pulls the resident's card. Close the window or press Ctrl-C to end.
"""


def shop_clip(home: Path) -> Path:
    """The holder in front of the unattended terminal's camera, turning right, left, right."""
    clip = home / "camera" / "holder-turns.avi"
    if not clip.exists():
        facekit.live_clip(clip, "obama", RIGHT_LEFT_RIGHT)
    return clip


def asking_right_left_right() -> random.Random:
    """The challenge that asks the turns the demo clip shows (demo only: see the module docstring)."""
    # Predictable on purpose (S311): the clip was recorded in this order.
    turns = (Turn.RIGHT, Turn.LEFT, Turn.RIGHT)
    seed_ = next(s for s in range(1000) if new_challenge(random.Random(s), DEFAULT_POLICY) == turns)  # noqa: S311
    return random.Random(seed_)  # noqa: S311


def run_shop(world: World, home: Path, camera: str | None, url: str) -> int:
    """The unattended terminal's window (`kiosk.ui.unattended_app`), not full screen."""
    from kiosk.facecheck.camera import Capture  # noqa: PLC0415 (Qt and OpenCV only when a window opens)
    from kiosk.flows.unattended import Capabilities  # noqa: PLC0415
    from kiosk.ui.unattended_app import UnattendedSettings, _run  # noqa: PLC0415

    source = camera or str(shop_clip(home))
    config = TerminalConfig(world.shop_dir, SHOP_TERMINAL, url, READER, STAFF_READER, source)
    if camera is not None:  # a real camera: the terminal's own capture and a random challenge
        return _run(config, UnattendedSettings(Capabilities()), fullscreen=False)
    return _run(
        config,
        UnattendedSettings(Capabilities()),
        fullscreen=False,
        camera=lambda: Capture(source, realtime=False),  # from its first frame, as the check reads it
        challenge_rng=asking_right_left_right,
    )


# -- display ----------------------------------------------------------------------------------------


def display_problem() -> str | None:
    """Why a window cannot open here (None: it can)."""
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or os.environ.get("QT_QPA_PLATFORM"):
        return None
    return (
        "No display: the demo opens a touch-screen window.\n"
        "  On a desktop, run `./run demo` in a terminal of that session.\n"
        "  Headless: `xvfb-run -a ./run demo` runs it on a virtual screen (nothing to look at),\n"
        "  or `QT_QPA_PLATFORM=vnc:size=1600x900 ./run demo` and a VNC viewer on port 5900\n"
        "  (Qt's VNC server listens on every interface: tunnel it, `ssh -L 5900:localhost:5900`,\n"
        "  and only on a trusted network).\n"
        "  `./run demo --no-ui` runs the card diagnostics and a face check in this terminal."
    )


# -- the old diagnostics (--no-ui) ----------------------------------------------------------------


def sample_clip(home: Path) -> Path:
    """The demo camera: the adult card's holder in front of the counter, ~5 s at 15 fps."""
    clip = home / "camera" / "holder.avi"
    if not clip.exists():
        facekit.live_clip(clip, "obama", (), frames=75)
    return clip


def diagnostics(world: World, home: Path, camera: str | None) -> int:
    """`kiosk card info` and a face check of the card's photo (照合番号B typed in, here piped)."""
    status = cli.main(
        ["card", "info", "--trace", "--reader", READER, "--issuer-keys", str(world.data_dir / "trust")]
    )
    source = camera or str(sample_clip(home))
    code_b = CardState.load(world.resident_card).kenkaku.pins[KENKAKU_PIN_B].value
    command = [sys.executable, "-m", "kiosk", "face", "check", "--camera", source, "--reader", READER]
    # At the counter the head-turn challenge is optional, and a recorded clip cannot follow one.
    command += ["--code-b-stdin", "--counter", "--no-liveness"]
    print(f"\n== face check: the card's photo against {source}\n$ kiosk {' '.join(command[3:])}")
    subprocess.run(command, input=code_b + "\n", text=True, check=False)  # noqa: S603 (our own argv)
    return status


# -- main -----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="./run demo", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--home", type=Path, default=DEMO_HOME, help="where the demo keeps its keys and world"
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="continue the last run's world (cards, stores) instead of a fresh one",
    )
    parser.add_argument(
        "--no-ui", action="store_true", help="card diagnostics and a face check in the terminal, no window"
    )
    parser.add_argument(
        "--camera",
        help="camera for the face check (device index, file or URL; default: the sample clip of the holder)",
    )
    parser.add_argument(
        "--unattended",
        action="store_true",
        help="run the unattended PIN-reset terminal (no staff) instead of the counter",
    )
    args = parser.parse_args(argv)
    problem = None if args.no_ui else display_problem()
    if problem:
        print(problem, file=sys.stderr)
        return 2

    home: Path = args.home
    home.mkdir(parents=True, exist_ok=True)
    world = World(home / "world")
    print("== preparing the demo (keys once, then a fresh central, terminal and cards)…", flush=True)
    pki, staff_ca, ca_dir = keys(home)
    central = CentralProcess(world.db_url, ca_dir, home / "central.log")
    harness = PcscHarness(DEFAULT_CONTROL, log_path=home / "harness.log")
    try:
        if args.keep and world.ready and world.shop_ready:
            central.start()
        else:
            build(world, pki, staff_ca, ca_dir, central)
        try:
            harness.start()
        except HarnessError as exc:
            print(f"cannot start the virtual card readers: {exc}", file=sys.stderr)
            return 1
        harness.insert(world.resident_card)
        if args.unattended and not args.no_ui:
            print(shop_sheet(world), flush=True)
            return run_shop(world, home, args.camera, central.url)
        harness.insert(world.staff_card, slot=1)
        if args.no_ui:
            return diagnostics(world, home, args.camera)
        print(sheet(world), flush=True)
        from kiosk.ui.app import run_counter  # noqa: PLC0415 (Qt only when a window opens)

        camera = args.camera or str(sample_clip(home))  # the holder in front of the counter, on a loop
        config = TerminalConfig(world.data_dir, TERMINAL, central.url, READER, STAFF_READER, camera)
        return run_counter(config, fullscreen=False)
    finally:
        harness.stop()
        central.stop()


if __name__ == "__main__":
    sys.exit(main())
