"""The business row and its outbox message commit together or not at all."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from synckit import FakeClock

from kiosk.store.models import Application, ApplicationState, OutboxMessage, OutboxState, ProcedureKind
from kiosk.store.sealed import Sealer
from kiosk.sync.outbox import NotInTransaction, enqueue, pending, retry_now


def _counts(sessions: sessionmaker[Session]) -> tuple[int, int]:
    with sessions() as session:
        apps = session.scalar(select(func.count()).select_from(Application))
        msgs = session.scalar(select(func.count()).select_from(OutboxMessage))
        return int(apps or 0), int(msgs or 0)


def _submit(session: Session, sealer: Sealer, clock: FakeClock) -> OutboxMessage:
    app = Application(kind=ProcedureKind.NEW_ISSUANCE, state=ApplicationState.SUBMITTED)
    app.seal_payload(sealer, b"personal data")
    session.add(app)
    return enqueue(session, "jws.application", b"protected:" + app.id.bytes, now=clock())


def test_business_row_and_message_commit_together(
    sessions: sessionmaker[Session], sealer: Sealer, clock: FakeClock
) -> None:
    with sessions() as session, session.begin():
        message = _submit(session, sealer, clock)
        assert message.seq is not None  # flushed: seq known inside the transaction
    assert _counts(sessions) == (1, 1)
    with sessions() as session:
        stored = session.get(OutboxMessage, message.seq)
        assert stored is not None
        assert stored.state is OutboxState.PENDING
        assert stored.attempts == 0
        assert stored.next_attempt_at == clock()
        assert stored.msg_id.version == 7


def test_failure_after_enqueue_rolls_back_both(
    sessions: sessionmaker[Session], sealer: Sealer, clock: FakeClock
) -> None:
    with pytest.raises(RuntimeError, match="card removed"), sessions() as session, session.begin():
        _submit(session, sealer, clock)
        raise RuntimeError("card removed")  # e.g. the flow fails after the message was queued
    assert _counts(sessions) == (0, 0)


def test_database_error_after_enqueue_rolls_back_both(
    sessions: sessionmaker[Session], sealer: Sealer, clock: FakeClock
) -> None:
    with pytest.raises(IntegrityError), sessions() as session, session.begin():
        _submit(session, sealer, clock)
        session.execute(text("INSERT INTO application (id) VALUES (NULL)"))  # violates NOT NULL
    assert _counts(sessions) == (0, 0)


def test_enqueue_outside_a_transaction_is_refused(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, pytest.raises(NotInTransaction):
        enqueue(session, "k", b"x")


@pytest.mark.parametrize(
    ("kind", "payload", "error"),
    [("", b"x", ValueError), ("k" * 65, b"x", ValueError), ("k", b"", TypeError), ("k", "text", TypeError)],
)
def test_enqueue_validates(sessions: sessionmaker[Session], kind: str, payload: object, error: type) -> None:
    with sessions() as session, session.begin(), pytest.raises(error):
        enqueue(session, kind, payload)  # type: ignore[arg-type]


def test_duplicate_msg_id_fails_the_whole_transaction(
    sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    same = uuid.uuid4()
    with sessions() as session, session.begin():
        enqueue(session, "k", b"1", now=clock(), msg_id=same)
    with pytest.raises(IntegrityError), sessions() as session, session.begin():
        enqueue(session, "k", b"2", now=clock(), msg_id=same)
    assert _counts(sessions) == (0, 1)


def test_seq_is_monotonic_and_never_reused(sessions: sessionmaker[Session], clock: FakeClock) -> None:
    with sessions() as session, session.begin():
        seqs = [enqueue(session, "k", bytes([i + 1]), now=clock()).seq for i in range(3)]
    assert seqs == sorted(seqs)
    with sessions() as session, session.begin():  # the newest, once sent, is archived away
        session.execute(text("UPDATE outbox SET state = 'sent' WHERE seq = :s"), {"s": seqs[-1]})
        session.execute(text("DELETE FROM outbox WHERE seq = :s"), {"s": seqs[-1]})
    with sessions() as session, session.begin():
        assert enqueue(session, "k", b"next", now=clock()).seq == seqs[-1] + 1  # AUTOINCREMENT


def test_pending_and_retry_now(sessions: sessionmaker[Session], clock: FakeClock) -> None:
    with sessions() as session, session.begin():
        a = enqueue(session, "k", b"a", now=clock())
        b = enqueue(session, "k", b"b", now=clock())
        session.flush()
        b.next_attempt_at = clock.now.replace(year=2030)
    with sessions() as session:
        assert [m.msg_id for m in pending(session)] == [a.msg_id, b.msg_id]
    with sessions() as session, session.begin():
        assert retry_now(session, b.msg_id, now=clock())
        assert not retry_now(session, uuid.uuid4())
    with sessions() as session:
        refreshed = session.scalars(select(OutboxMessage).where(OutboxMessage.msg_id == b.msg_id)).one()
        assert refreshed.next_attempt_at == clock()
