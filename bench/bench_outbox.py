"""The kiosk's outbox: enqueue rate, and the drain time for a backlog of 10,000 after an outage.

Real kiosk code on a real SQLite file (`kiosk.store.db.make_engine`: WAL, synchronous=FULL,
BEGIN IMMEDIATE; schema from `kiosk.store.migrate.upgrade`):

1. Enqueue: each message is its own `with sessions.begin(): outbox.enqueue(...)` transaction, with
   a 1,900-byte payload (the size of a protected p10cr). Meanwhile the central is down: the relay's
   `send` raises, and every 1,000 messages the relay tries the head message again (backoff on a
   fake clock, so nothing waits; these attempts are not timed).
2. Drain: the central comes back, the fake clock moves past the head message's backoff, and
   `Relay.drain()` is timed until the queue is empty. The receiver is in-process and in memory
   (idempotent on msg_id, Ed25519-signed receipts checked by the tests' verifier, tests/sync/
   synckit.py), so the time is the kiosk side's: claim commit, send, verify, settle commit.

Baseline, same run, same directory: raw `sqlite3` BEGIN IMMEDIATE / INSERT / COMMIT of the same
payload into the same migrated outbox table with the same PRAGMAs (WAL, synchronous=FULL).

    .venv/bin/python bench/bench_outbox.py [--n 10000]
"""

from __future__ import annotations

import argparse
import logging
import os
import sqlite3
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "sync"))  # synckit (not a package)
sys.path.insert(0, str(ROOT / "tests"))  # kiosk_store_fixtures, which synckit uses

from synckit import FakeClock, make_verifier, sign_receipt  # noqa: E402

from kiosk.store.db import make_engine, make_sessionmaker  # noqa: E402
from kiosk.store.migrate import upgrade  # noqa: E402
from kiosk.store.models import OutboxMessage  # noqa: E402
from kiosk.sync.outbox import enqueue  # noqa: E402
from kiosk.sync.relay import Backoff, Receipt, Relay, RelayOutcome  # noqa: E402

PAYLOAD_SIZE = 1900  # a protected p10cr: PKIMessage with an RSA-2048 CSR, signed, plus extraCerts
KIND = "cmp.p10cr"
OUTAGE_PROBE_EVERY = 1000  # messages enqueued between two relay attempts during the outage
OUTAGE_PROBE_SECONDS = 60.0  # fake time that passes between two of them


class Central:
    """In-memory intake: down until `up` is set; idempotent on msg_id; answers a signed receipt."""

    def __init__(self) -> None:
        self.up = False
        self.seen: dict[uuid.UUID, int] = {}
        self.attempts = 0

    def send(self, message: OutboxMessage) -> Receipt:
        self.attempts += 1
        if not self.up:
            raise ConnectionError("central unreachable")
        server_seq = self.seen.setdefault(message.msg_id, len(self.seen) + 1)
        return sign_receipt(message.msg_id, server_seq)


def raw_sqlite_inserts(path: Path, payload: bytes, n: int) -> float:
    """Baseline: n single-row transactions through the sqlite3 module, no ORM. Returns seconds."""
    engine = make_engine(path)  # the same migrated schema (indexes, triggers) as the real run
    upgrade(engine)
    engine.dispose()
    db = sqlite3.connect(path, isolation_level=None)
    try:
        if db.execute("PRAGMA journal_mode=WAL").fetchone()[0].lower() != "wal":
            raise RuntimeError("WAL refused")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA foreign_keys=ON")
        start = time.perf_counter()
        for _ in range(n):
            now = time.strftime("%Y-%m-%d %H:%M:%S.000000", time.gmtime())
            db.execute("BEGIN IMMEDIATE")
            db.execute(
                "INSERT INTO outbox (msg_id, kind, payload, created_at, state, attempts, next_attempt_at)"
                " VALUES (?, ?, ?, ?, 'pending', 0, ?)",
                (uuid.uuid4().hex, KIND, payload, now, now),
            )
            db.execute("COMMIT")
        return time.perf_counter() - start
    finally:
        db.close()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=10_000, help="messages (default 10,000)")
    args = parser.parse_args()
    n = args.n
    # The outage's "send failed" warnings are expected; keep the table readable.
    logging.getLogger("kiosk.sync.relay").setLevel(logging.ERROR)
    payload = os.urandom(PAYLOAD_SIZE)

    with tempfile.TemporaryDirectory(prefix="bench-outbox-") as tmp:
        work = Path(tmp)
        print(f"raw sqlite3, {n} INSERT+COMMIT …", flush=True)
        raw_seconds = raw_sqlite_inserts(work / "raw.db", payload, n)

        engine = make_engine(work / "kiosk.db")
        try:
            upgrade(engine)
            sessions = make_sessionmaker(engine)
            clock = FakeClock()
            central = Central()
            relay = Relay(
                sessions,
                central.send,
                verify_receipt=make_verifier(),
                clock=clock,
                sleep=clock.advance,
                backoff=Backoff(),  # the production default: 1 s doubling, 300 s cap
            )

            print(f"outbox.enqueue, {n} transactions, central down …", flush=True)
            enqueue_seconds = 0.0
            for batch_start in range(0, n, OUTAGE_PROBE_EVERY):
                start = time.perf_counter()
                for _ in range(min(OUTAGE_PROBE_EVERY, n - batch_start)):
                    with sessions.begin() as session:
                        enqueue(session, KIND, payload, now=clock())
                enqueue_seconds += time.perf_counter() - start
                step = relay.run_once()  # the relay keeps trying during the outage (not timed)
                assert step.outcome in (RelayOutcome.RETRY, RelayOutcome.WAITING), step
                clock.advance(OUTAGE_PROBE_SECONDS)
            failed_attempts = central.attempts

            print("central up, Relay.drain() …", flush=True)
            central.up = True
            clock.advance(Backoff().cap)  # the head message's backoff has run out
            start = time.perf_counter()
            steps = relay.drain()
            drain_seconds = time.perf_counter() - start
        finally:
            engine.dispose()

    outcomes = [s.outcome for s in steps]
    if outcomes != [RelayOutcome.SENT] * n + [RelayOutcome.IDLE] or len(central.seen) != n:
        raise RuntimeError(f"drain did not deliver all {n} messages exactly: {len(central.seen)} delivered")

    enqueue_rate, raw_rate = n / enqueue_seconds, n / raw_seconds
    print(f"\nKiosk outbox, {n} messages of {PAYLOAD_SIZE} bytes, SQLite WAL + synchronous=FULL")
    print(f"{'':46} {'seconds':>8} {'msgs/s':>8} {'× raw':>7}")
    print(f"{'raw sqlite3 INSERT+COMMIT (baseline)':46} {raw_seconds:8.2f} {raw_rate:8.0f} {1.0:7.2f}")
    print(
        f"{'outbox.enqueue, one transaction each':46} {enqueue_seconds:8.2f} {enqueue_rate:8.0f}"
        f" {enqueue_rate / raw_rate:7.2f}"
    )
    print(
        f"{'Relay.drain() after the outage':46} {drain_seconds:8.2f} {n / drain_seconds:8.0f}"
        f" {n / drain_seconds / raw_rate:7.2f}"
    )
    print(
        f"(during the outage: {failed_attempts} failed send attempts (the rest of the relay's tries"
        f" found the head message backing off); then {n} sent, none twice)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
