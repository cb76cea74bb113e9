"""The relay: order, one in flight, backoff, identical bytes, and `sent` only on a verified receipt."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from synckit import FakeClock, Receiver, make_verifier, sign_receipt

from kiosk.store.audit import append_audit
from kiosk.store.models import AuditRecord, OutboxMessage, OutboxState
from kiosk.sync.outbox import enqueue
from kiosk.sync.relay import Backoff, Receipt, Relay, RelayOutcome

BACKOFF = Backoff(base=1.0, factor=2.0, cap=8.0)


def _enqueue(sessions: sessionmaker[Session], clock: FakeClock, n: int) -> list[OutboxMessage]:
    out = []
    with sessions() as session, session.begin():
        for i in range(n):
            out.append(enqueue(session, "test.msg", f"message {i}".encode(), now=clock()))
    return out


def _rows(sessions: sessionmaker[Session]) -> list[OutboxMessage]:
    with sessions() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.seq)))


def _relay(
    sessions: sessionmaker[Session],
    clock: FakeClock,
    send: Callable[[OutboxMessage], Receipt],
    *,
    random: Callable[[], float] = lambda: 0.5,
    **kw: object,
) -> Relay:
    return Relay(
        sessions,
        send,
        verify_receipt=make_verifier(),
        clock=clock,
        sleep=clock.advance,
        backoff=BACKOFF,
        random=random,
        **kw,  # type: ignore[arg-type]
    )


class Flaky:
    """Sends through the receiver, but fails the first `failures[i]` attempts of message i."""

    def __init__(self, receiver: Receiver, failures: dict[uuid.UUID, int] | None = None) -> None:
        self.receiver = receiver
        self.failures = dict(failures or {})
        self.calls: list[tuple[uuid.UUID, bytes]] = []

    def __call__(self, message: OutboxMessage) -> Receipt:
        self.calls.append((message.msg_id, message.payload))
        if self.failures.get(message.msg_id, 0) > 0:
            self.failures[message.msg_id] -= 1
            raise ConnectionError("intake unreachable")
        return self.receiver.accept(message)


def test_sends_oldest_first_and_marks_sent_with_the_receipt(
    sessions: sessionmaker[Session], clock: FakeClock, receiver: Receiver
) -> None:
    messages = _enqueue(sessions, clock, 5)
    relay = _relay(sessions, clock, receiver.accept)
    steps = relay.drain()
    assert [s.outcome for s in steps] == [RelayOutcome.SENT] * 5 + [RelayOutcome.IDLE]
    assert [d.msg_id for d in receiver.deliveries()] == [m.msg_id for m in messages]
    for row, delivery in zip(_rows(sessions), receiver.deliveries(), strict=True):
        assert row.state is OutboxState.SENT
        assert row.attempts == 1
        assert row.delivered_at == clock()
        assert row.server_seq == delivery.server_seq
        assert make_verifier()(row, Receipt(row.receipt or b"")).msg_id == row.msg_id  # evidence kept


def test_a_failing_message_blocks_the_ones_after_it(
    sessions: sessionmaker[Session], clock: FakeClock, receiver: Receiver
) -> None:
    first, second, third = _enqueue(sessions, clock, 3)
    send = Flaky(receiver, {second.msg_id: 2})
    relay = _relay(sessions, clock, send)

    assert [s.outcome for s in relay.drain()] == [RelayOutcome.SENT, RelayOutcome.RETRY]
    assert relay.run_once().outcome is RelayOutcome.WAITING  # not due: nothing is sent
    assert [c[0] for c in send.calls] == [first.msg_id, second.msg_id]  # the third never overtook

    while (step := relay.run_once()).outcome is not RelayOutcome.IDLE:
        if step.retry_in:
            clock.advance(step.retry_in)
    assert [d.msg_id for d in receiver.deliveries()] == [first.msg_id, second.msg_id, third.msg_id]
    assert [c[0] for c in send.calls] == [first.msg_id] + [second.msg_id] * 3 + [third.msg_id]


def test_backoff_is_exponential_jittered_and_capped(
    sessions: sessionmaker[Session], clock: FakeClock, receiver: Receiver
) -> None:
    (message,) = _enqueue(sessions, clock, 1)
    relay = _relay(sessions, clock, Flaky(receiver, {message.msg_id: 100}))
    delays = []
    for _ in range(7):
        step = relay.run_once()
        assert step.outcome is RelayOutcome.RETRY
        assert step.retry_in is not None
        delays.append(step.retry_in)
        clock.advance(step.retry_in - 0.001)
        assert relay.run_once().outcome is RelayOutcome.WAITING  # a millisecond early: still waits
        clock.advance(0.001)
    # equal jitter with random() = 0.5: 3/4 of min(cap, 1·2^(n-1))
    assert delays == [0.75, 1.5, 3.0, 6.0, 6.0, 6.0, 6.0]
    row = _rows(sessions)[0]
    assert row.attempts == 7
    assert row.state is OutboxState.PENDING
    assert row.last_error == "send failed: ConnectionError: intake unreachable"


@pytest.mark.parametrize("attempts", [1, 2, 5, 10, 1000])
def test_backoff_bounds(attempts: int) -> None:
    ceiling = min(BACKOFF.cap, BACKOFF.base * 2 ** min(attempts - 1, 64))
    assert BACKOFF.delay(attempts, 0.0) == ceiling / 2
    assert BACKOFF.delay(attempts, 0.999999) <= ceiling


def test_retries_send_identical_bytes(
    sessions: sessionmaker[Session], clock: FakeClock, receiver: Receiver
) -> None:
    (message,) = _enqueue(sessions, clock, 1)
    send = Flaky(receiver, {message.msg_id: 3})
    relay = _relay(sessions, clock, send)
    while (step := relay.run_once()).outcome is not RelayOutcome.SENT:
        clock.advance(step.retry_in or 0)
    assert len(send.calls) == 4
    assert {c for c in send.calls} == {(message.msg_id, b"message 0")}
    assert receiver.mismatches() == 0


def _receipt_tests() -> list[tuple[str, Callable[[OutboxMessage], Receipt], str]]:
    forger = Ed25519PrivateKey.generate()
    return [
        (
            "another msg_id",
            lambda m: sign_receipt(uuid.uuid4(), 1),
            "receipt names another message",
        ),
        (
            "bad signature",
            lambda m: sign_receipt(m.msg_id, 1, key=forger),
            "receipt not verifiable: BadReceipt",
        ),
        ("garbage", lambda m: Receipt(b"\x00" * 10), "receipt not verifiable"),
    ]


@pytest.mark.parametrize(("name", "answer", "error"), _receipt_tests(), ids=[t[0] for t in _receipt_tests()])
def test_no_verified_receipt_for_this_message_means_not_sent(
    sessions: sessionmaker[Session],
    clock: FakeClock,
    name: str,
    answer: Callable[[OutboxMessage], Receipt],
    error: str,
) -> None:
    first, _ = _enqueue(sessions, clock, 2)
    relay = _relay(sessions, clock, answer)
    step = relay.run_once()
    assert step.outcome is RelayOutcome.RETRY
    assert step.msg_id == first.msg_id
    assert (step.error or "").startswith(error)
    rows = _rows(sessions)
    assert [r.state for r in rows] == [OutboxState.PENDING, OutboxState.PENDING]
    assert rows[0].receipt is None
    assert (rows[0].last_error or "").startswith(error)
    # and once the central side answers properly, it is sent
    clock.advance(10)
    good = _relay(sessions, clock, lambda m: sign_receipt(m.msg_id, 7))
    assert good.run_once().outcome is RelayOutcome.SENT
    assert _rows(sessions)[0].state is OutboxState.SENT


def test_a_verified_refusal_is_a_dead_letter_and_the_queue_moves_on(
    sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    first, _ = _enqueue(sessions, clock, 2)

    def send(m: OutboxMessage) -> Receipt:
        if m.msg_id == first.msg_id:
            return sign_receipt(m.msg_id, 1, accepted=False, reason="badRequest")
        return sign_receipt(m.msg_id, 2)

    steps = _relay(sessions, clock, send).drain()
    assert [s.outcome for s in steps] == [RelayOutcome.REJECTED, RelayOutcome.SENT, RelayOutcome.IDLE]
    rows = _rows(sessions)
    assert [r.state for r in rows] == [OutboxState.FAILED, OutboxState.SENT]
    assert rows[0].last_error == "refused by the central side: badRequest"
    assert rows[0].receipt is not None


def test_attempt_is_committed_before_sending(
    sessions: sessionmaker[Session], clock: FakeClock, receiver: Receiver
) -> None:
    # The in-process analogue of a crash during send: the process "dies" inside send.
    (message,) = _enqueue(sessions, clock, 1)

    def die(m: OutboxMessage) -> Receipt:
        receiver.accept(m)  # the central side got it...
        raise KeyboardInterrupt  # ...and the kiosk dies before the receipt is processed

    with pytest.raises(KeyboardInterrupt):
        _relay(sessions, clock, die).run_once()
    row = _rows(sessions)[0]
    assert row.attempts == 1
    assert row.state is OutboxState.PENDING
    assert row.next_attempt_at > clock()

    restarted = _relay(sessions, clock, receiver.accept)
    waiting = restarted.run_once()
    assert waiting.outcome is RelayOutcome.WAITING
    clock.advance(waiting.retry_in or 0)
    assert restarted.run_once().outcome is RelayOutcome.SENT
    (delivery,) = receiver.deliveries()
    assert delivery.msg_id == message.msg_id
    assert delivery.count == 2  # delivered twice, applied once: the receiver is idempotent
    assert receiver.mismatches() == 0


def test_run_forever_with_injected_sleep(
    sessions: sessionmaker[Session], clock: FakeClock, receiver: Receiver
) -> None:
    messages = _enqueue(sessions, clock, 4)
    stop = threading.Event()
    slept: list[float] = []
    send = Flaky(receiver, {messages[1].msg_id: 3})

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.advance(seconds)
        if len(receiver.deliveries()) == 4:
            stop.set()

    relay = Relay(
        sessions,
        send,
        verify_receipt=make_verifier(),
        clock=clock,
        sleep=sleep,
        backoff=BACKOFF,
        random=lambda: 0.5,
        idle_poll=5.0,
    )
    relay.run_forever(stop)
    assert [d.msg_id for d in receiver.deliveries()] == [m.msg_id for m in messages]
    assert slept == [0.75, 1.5, 3.0, 5.0]  # three backoffs, then one idle poll


def test_run_forever_survives_errors_and_caps_waits(
    sessions: sessionmaker[Session], clock: FakeClock, receiver: Receiver
) -> None:
    _enqueue(sessions, clock, 1)
    stop = threading.Event()
    calls = {"n": 0}

    def flaky_clock():
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError("disk I/O error")
        return clock()

    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        if len(slept) >= 2:
            stop.set()

    relay = Relay(
        sessions,
        receiver.accept,
        verify_receipt=make_verifier(),
        clock=flaky_clock,
        sleep=sleep,
        idle_poll=100.0,
        max_wait=30.0,
    )
    relay.run_forever(stop)
    assert slept == [30.0, 30.0]  # error → idle poll (capped); then sent, then idle (capped)
    assert len(receiver.deliveries()) == 1


def test_worker_thread_sends_and_stops_promptly(sessions: sessionmaker[Session], receiver: Receiver) -> None:
    relay = Relay(sessions, receiver.accept, verify_receipt=make_verifier(), idle_poll=0.02)
    stop = threading.Event()
    worker = threading.Thread(target=relay.run_forever, args=(stop,))
    worker.start()
    try:
        with sessions() as session, session.begin():
            enqueue(session, "test.msg", b"hello")
        deadline = time.monotonic() + 5
        while not receiver.deliveries() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(receiver.deliveries()) == 1
    finally:
        stop.set()
        worker.join(timeout=2)
    assert not worker.is_alive()


def test_two_relays_on_one_file_keep_order(sessions: sessionmaker[Session], receiver: Receiver) -> None:
    # There should be one relay per kiosk; a second one by mistake must not reorder or lose anything.
    with sessions() as session, session.begin():
        ids = [enqueue(session, "test.msg", f"m{i}".encode()).msg_id for i in range(20)]
    relays = [Relay(sessions, receiver.accept, verify_receipt=make_verifier()) for _ in range(2)]
    threads = [threading.Thread(target=r.drain) for r in relays]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # The claim is a lease: the second relay finds the head "not due" while the first sends it,
    # so it never sends ahead of it.
    assert [d.msg_id for d in receiver.deliveries()] == ids
    assert all(d.count == 1 for d in receiver.deliveries())
    assert all(r.state is OutboxState.SENT for r in _rows(sessions))


def _audit_subjects(sessions: sessionmaker[Session]) -> list[str]:
    with sessions() as session:
        return list(session.scalars(select(AuditRecord.subject).order_by(AuditRecord.id)))


def test_on_settled_runs_in_the_settling_transaction(
    sessions: sessionmaker[Session], clock: FakeClock, receiver: Receiver
) -> None:
    # E.g. the cp's certificate goes into the issuance journal together with `sent`, or neither.
    first, second = _enqueue(sessions, clock, 2)
    seen: list[uuid.UUID] = []
    fail = {"left": 1}

    def on_settled(session: Session, message: OutboxMessage, receipt: Receipt, verified: object) -> None:
        assert session.in_transaction()
        append_audit(session, actor="relay", action="delivered", subject=str(message.msg_id), now=clock())
        if fail["left"]:
            fail["left"] -= 1
            raise RuntimeError("journal step refused")
        seen.append(message.msg_id)

    relay = Relay(
        sessions,
        receiver.accept,
        verify_receipt=make_verifier(),
        on_settled=on_settled,
        clock=clock,
        backoff=BACKOFF,
        random=lambda: 0.5,
    )
    step = relay.run_once()
    assert step.outcome is RelayOutcome.RETRY
    assert step.error == "settling failed: RuntimeError: journal step refused"
    assert [r.state for r in _rows(sessions)] == [OutboxState.PENDING, OutboxState.PENDING]
    assert _audit_subjects(sessions) == []  # not sent, and the hook's write rolled back with it
    clock.advance(step.retry_in or 0)
    relay.drain()
    assert seen == [first.msg_id, second.msg_id]
    assert all(r.state is OutboxState.SENT for r in _rows(sessions))
    assert _audit_subjects(sessions) == [str(first.msg_id), str(second.msg_id)]
    assert receiver.deliveries()[0].count == 2  # re-sent after the failed settle; intake idempotent
