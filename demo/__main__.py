"""`./run demo`: the kiosk on its embedded default, with a software card in the virtual reader.

Until the counter UI exists (issue 5) the demo inserts a sample resident's card, runs the staff
card diagnostic against it through the real PC/SC stack, then a face check of the card's photo
against the sample camera clip (a synthetic clip of the adult card's holder, made once by facekit;
`--camera 0` uses a real webcam). With `--hold` (default on a terminal) the card stays in the
reader so `kiosk card info`, `kiosk face check`, OpenSC or `cardemu insert/remove` can be tried
from another terminal.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import subprocess
import sys
import threading
from pathlib import Path

import facekit
from cardemu.harness import DEFAULT_CONTROL, HarnessError, PcscHarness
from cardemu.residents import resident_specs, write_residents
from cardemu.testpki import TestPki
from kiosk import cli

DEMO_HOME = Path(__file__).resolve().parent.parent / "var" / "demo"


def prepare(home: Path) -> dict[str, Path]:
    """The demo's test PKI, issuer trust and resident cards, made once and kept (cards remember
    what you did to them)."""
    pki = TestPki.load_or_create(home / "pki")
    pki.write_issuer_trust(home / "trust")
    cards = {name: home / "cards" / f"{name}.json" for name in resident_specs()}
    if not all(path.exists() for path in cards.values()):
        cards = write_residents(home / "cards", pki)
    return cards


def sample_clip(home: Path) -> Path:
    """The demo camera: the adult card's holder in front of the counter, ~5 s at 15 fps."""
    clip = home / "camera" / "holder.avi"
    if not clip.exists():
        facekit.live_clip(clip, "obama", (), frames=75)
    return clip


def face_check(camera: str, resident: str) -> int:
    """`kiosk face check` as staff would run it, 照合番号B typed in (here: piped)."""
    code_b = resident_specs()[resident].pin_b
    command = [sys.executable, "-m", "kiosk", "face", "check", "--camera", camera, "--code-b-stdin"]
    # At the counter the head-turn challenge is optional, and a recorded clip cannot follow one.
    command += ["--counter", "--no-liveness"]
    print(f"\n== face check: the card's photo against {camera}\n$ kiosk {' '.join(command[3:])}")
    result = subprocess.run(command, input=code_b + "\n", text=True, check=False)  # noqa: S603 (our own argv)
    return result.returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="./run demo", description=__doc__)
    parser.add_argument(
        "--resident", default="adult", choices=list(resident_specs()), help="whose card to insert"
    )
    parser.add_argument(
        "--hold",
        action=argparse.BooleanOptionalAction,
        default=sys.stdin.isatty(),
        help="keep the card in the reader until Ctrl-C",
    )
    parser.add_argument("--home", type=Path, default=DEMO_HOME, help="where the demo keeps its PKI and cards")
    parser.add_argument(
        "--camera", help="camera for the face check: device index, file or URL (default: the sample clip)"
    )
    args = parser.parse_args(argv)

    cards = prepare(args.home)
    harness = PcscHarness(DEFAULT_CONTROL, log_path=args.home / "harness.log")
    try:
        harness.start()
    except HarnessError as exc:
        print(f"cannot start the virtual card reader: {exc}", file=sys.stderr)
        return 1
    try:
        harness.insert(cards[args.resident])
        print(f"== {args.resident}'s software card is in the reader ({cards[args.resident]})\n")
        status = cli.main(["card", "info", "--trace", "--issuer-keys", str(args.home / "trust")])
        face_check(args.camera or str(sample_clip(args.home)), args.resident)
        if args.hold:
            print(
                "\nThe card stays in the reader. From another terminal try:\n"
                f"  .venv/bin/kiosk card info --issuer-keys {args.home / 'trust'}\n"
                f"  .venv/bin/kiosk face check --camera {args.camera or sample_clip(args.home)} --counter\n"
                "  opensc-tool -n; pkcs15-tool --list-certificates\n"
                f"  .venv/bin/cardemu remove; .venv/bin/cardemu insert {cards['minor']}\n"
                "Ctrl-C ends the demo."
            )
            stop = threading.Event()
            signal.signal(signal.SIGTERM, lambda *_: stop.set())
            with contextlib.suppress(KeyboardInterrupt):
                stop.wait()
        return status
    finally:
        harness.stop()


if __name__ == "__main__":
    sys.exit(main())
