"""`./run demo`: the kiosk on its embedded default, with a software card in the virtual reader.

Until the counter UI exists (issue 5) the demo inserts a sample resident's card and runs the staff
card diagnostic against it through the real PC/SC stack; with `--hold` (default on a terminal) the
card stays in the reader so `kiosk card info`, OpenSC or `cardemu insert/remove` can be tried from
another terminal.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from pathlib import Path

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
        if args.hold:
            print(
                "\nThe card stays in the reader. From another terminal try:\n"
                f"  .venv/bin/kiosk card info --issuer-keys {args.home / 'trust'}\n"
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
