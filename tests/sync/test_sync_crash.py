"""Process-level crash tests: the kiosk process is SIGKILLed at each step of enqueue and relay,
then a fresh process starts on the same files. Nothing acknowledged may be lost, nothing may reach
the central side twice as far as its idempotent intake is concerned, and order must hold.

The child (crash_child.py) announces each point and blocks there; the test kills it with SIGKILL
at that moment, so the kill point is exact and the tests are deterministic. (This is a process
crash: the OS still writes what SQLite handed it. A power cut is not simulated.)
"""

from __future__ import annotations

import os
import queue
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from synckit import Receiver

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CHILD = HERE / "crash_child.py"
N = 4


@dataclass
class Kiosk:
    db: Path
    receiver: Receiver
    data: Path

    def _start(self, count: int, point: str = "", index: int = -1) -> subprocess.Popen[str]:
        args = [sys.executable, str(CHILD), str(self.db), str(self.receiver.path), str(self.data), str(count)]
        if point:
            args += [point, str(index)]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join((str(REPO), str(HERE), str(HERE.parent)))}
        return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)

    def run_and_kill(self, count: int, point: str, index: int) -> list[str]:
        """Run until the child reaches `point`, SIGKILL it there; the msg_ids it acknowledged."""
        proc = self._start(count, point, index)
        lines = _read_until(proc, f"REACHED {point}")
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=10) == -signal.SIGKILL
        proc.stderr.close()  # type: ignore[union-attr]
        return [line.split()[2] for line in lines if line.startswith("ACK ")]

    def run(self, count: int = 0) -> list[str]:
        proc = self._start(count)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        assert out.rstrip().endswith("DRAINED")
        return [line.split()[2] for line in out.splitlines() if line.startswith("ACK ")]


def _read_until(proc: subprocess.Popen[str], marker: str, timeout: float = 30) -> list[str]:
    """Lines from the child until `marker` (a reader thread: no partial-buffer stalls)."""
    assert proc.stdout is not None
    stream = proc.stdout
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        for line in stream:
            lines.put(line.strip())
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            break
        if line is None:
            break
        seen.append(line)
        if line == marker:
            return seen
    proc.kill()
    _, err = proc.communicate()
    raise AssertionError(f"child never reached {marker!r}; output {seen}; stderr {err[-2000:]}")


@dataclass
class Outcome:
    outbox: list[tuple[int, str, str, int, str]]  # seq, msg_id, state, attempts, app id in payload
    applications: set[str]


def _inspect(db: Path) -> Outcome:
    raw = sqlite3.connect(db)
    try:
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = raw.execute("SELECT seq, msg_id, state, attempts, payload FROM outbox ORDER BY seq").fetchall()
        apps = {r[0] for r in raw.execute("SELECT id FROM application")}
    finally:
        raw.close()
    outbox = [
        (seq, str(_uuid(mid)), state, attempts, bytes(p).split(b"|")[1].removeprefix(b"app=").decode())
        for seq, mid, state, attempts, p in rows
    ]
    return Outcome(outbox, apps)


def _uuid(hex32: str) -> str:
    import uuid

    return str(uuid.UUID(hex32))


def _assert_exactly_once_in_order(kiosk: Kiosk, acked: list[str], expected_messages: int) -> Outcome:
    outcome = _inspect(kiosk.db)
    ids = [row[1] for row in outcome.outbox]
    # atomicity: one message per application and one application per message
    assert sorted(row[4] for row in outcome.outbox) == sorted(outcome.applications)
    assert len(ids) == expected_messages
    # nothing acknowledged is lost
    assert set(acked) <= set(ids)
    # everything is delivered, marked sent, in seq order, each distinct msg_id once
    assert all(row[2] == "sent" for row in outcome.outbox)
    deliveries = kiosk.receiver.deliveries()
    assert [str(d.msg_id) for d in deliveries] == ids
    assert kiosk.receiver.mismatches() == 0  # every re-delivery carried identical bytes
    return outcome


@pytest.fixture
def kiosk(tmp_path: Path) -> Kiosk:
    return Kiosk(tmp_path / "kiosk.db", Receiver(tmp_path / "central.db"), tmp_path / "data")


def test_baseline_without_a_crash(kiosk: Kiosk) -> None:
    acked = kiosk.run(N)
    _assert_exactly_once_in_order(kiosk, acked, N)
    assert kiosk.receiver.attempts() == N


def test_killed_inside_the_enqueue_transaction(kiosk: Kiosk) -> None:
    acked = kiosk.run_and_kill(N, "enqueue:before-commit", 2)
    assert len(acked) == 2
    kiosk.run()
    outcome = _assert_exactly_once_in_order(kiosk, acked, 2)  # message 2 and its application: neither
    assert len(outcome.applications) == 2
    assert kiosk.receiver.attempts() == 2


def test_killed_right_after_the_enqueue_commit(kiosk: Kiosk) -> None:
    acked = kiosk.run_and_kill(N, "enqueue:after-commit", 2)
    assert len(acked) == 3
    kiosk.run()
    _assert_exactly_once_in_order(kiosk, acked, 3)
    assert kiosk.receiver.attempts() == 3


@pytest.mark.parametrize("index", [0, 2])
def test_killed_after_the_attempt_commit_before_sending(kiosk: Kiosk, index: int) -> None:
    acked = kiosk.run_and_kill(N, "send:before-deliver", index)
    assert len(kiosk.receiver.deliveries()) == index  # the ones before it went out
    kiosk.run()
    outcome = _assert_exactly_once_in_order(kiosk, acked, N)
    assert kiosk.receiver.attempts() == N  # it had not been sent: nothing re-sent
    assert outcome.outbox[index][3] == 2  # the killed attempt is counted


def test_killed_after_delivery_before_marking_sent(kiosk: Kiosk) -> None:
    acked = kiosk.run_and_kill(N, "send:after-deliver", 1)
    kiosk.run()
    outcome = _assert_exactly_once_in_order(kiosk, acked, N)
    counts = [d.count for d in kiosk.receiver.deliveries()]
    assert counts == [1, 2, 1, 1]  # re-sent once (at-least-once), applied once (idempotent intake)
    assert outcome.outbox[1][3] == 2


def test_killed_right_after_marking_sent(kiosk: Kiosk) -> None:
    acked = kiosk.run_and_kill(N, "relay:after-sent", 1)
    kiosk.run()
    _assert_exactly_once_in_order(kiosk, acked, N)
    assert [d.count for d in kiosk.receiver.deliveries()] == [1, 1, 1, 1]  # not re-sent


def test_killed_repeatedly_on_the_same_message(kiosk: Kiosk) -> None:
    # Three kiosk processes in a row die right after the central side stored message 1.
    acked = kiosk.run_and_kill(N, "send:after-deliver", 1)
    kiosk.run_and_kill(0, "send:after-deliver", 1)
    kiosk.run_and_kill(0, "send:after-deliver", 1)
    kiosk.run()
    outcome = _assert_exactly_once_in_order(kiosk, acked, N)
    assert [d.count for d in kiosk.receiver.deliveries()] == [1, 4, 1, 1]
    assert outcome.outbox[1][3] == 4  # every killed attempt was counted (and backed off)
