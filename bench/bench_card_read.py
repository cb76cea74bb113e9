"""Full card read — token, four certificates, both PIN states — by our reader vs OpenSC.

Both go through the same real stack (pcscd → vsmartcard-vpcd → software card). APDUs are
counted where they arrive, at the card (the bridge's counter), so OpenSC's probing of other
card types counts too. Wall times are medians; ratios are against OpenSC measured in the same run.

    ./run bench            (or .venv/bin/python bench/bench_card_read.py [--runs N])
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cardemu.harness import PcscHarness  # noqa: E402
from cardemu.residents import write_residents  # noqa: E402
from cardemu.testpki import TestPki  # noqa: E402
from kiosk.reader.jpki import CertSlot  # noqa: E402
from kiosk.reader.pcsc import open_card  # noqa: E402
from kiosk.reader.summary import read_summary  # noqa: E402
from kiosk.reader.transport import Transport  # noqa: E402


def ours(extended: bool) -> Callable[[], None]:
    def run() -> None:
        with open_card(extended_length=extended) as connection:
            summary = read_summary(Transport(connection))
        assert summary.certificates[CertSlot.AUTH] is not None
        assert summary.sign_certificate_protected

    return run


def command(*args: str) -> Callable[[], None]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))

    def run() -> None:
        result = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(args)}: {result.stderr.strip()}")

    return run


def measure(harness: PcscHarness, run: Callable[[], None], runs: int) -> tuple[float, int]:
    run()  # warm-up: page cache, pcscd's reader state
    times, apdus = [], []
    for _ in range(runs):
        before = harness.status()["apdus"]
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
        apdus.append(harness.status()["apdus"] - before)
    if len(set(apdus)) != 1:
        print(f"  (APDU counts varied between runs: {apdus})")
    return statistics.median(times), max(apdus)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-card-read-") as tmp:
        work = Path(tmp)
        cards = write_residents(work / "cards", TestPki.create(work / "pki"))
        with PcscHarness(
            work / "control.sock", log_path=work / "harness.log", card=cards["adult"]
        ) as harness:
            contenders: list[tuple[str, Callable[[], None]]] = [
                (
                    "OpenSC pkcs15-tool --list-certificates --list-pins",
                    command("pkcs15-tool", "--reader", "0", "--list-certificates", "--list-pins"),
                ),
                ("ours, in-process, extended APDUs", ours(extended=True)),
                ("ours, in-process, short APDUs only", ours(extended=False)),
                ("ours, `kiosk card info` process", command(sys.executable, "-m", "kiosk", "card", "info")),
                (
                    "ours, `kiosk card info --short-apdus`",
                    command(sys.executable, "-m", "kiosk", "card", "info", "--short-apdus"),
                ),
            ]
            results = [(name, *measure(harness, run, args.runs)) for name, run in contenders]

    base_time, base_apdus = results[0][1], results[0][2]
    print(f"\nFull card read (token, 4 certificates, 2 PIN states), median of {args.runs} runs")
    print(f"{'':52} {'APDUs':>6} {'× OpenSC':>9} {'wall ms':>9} {'× OpenSC':>9}")
    for name, seconds, apdus in results:
        print(
            f"{name:52} {apdus:6d} {apdus / base_apdus:9.2f} {seconds * 1000:9.1f} {seconds / base_time:9.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
