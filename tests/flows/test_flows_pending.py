"""The console's pending work (kiosk.flows.pending) on a real store, with the real outbox relay
delivering to a local stand-in for the central."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import fields
from datetime import UTC, datetime, timedelta

import pytest
from kiosk_store_fixtures import FakeClock
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session, sessionmaker

from kiosk.flows.pending import (
    SEND_NOW_ACTION,
    PendingMessage,
    SendNow,
    UnfinishedIssuance,
    pending_work,
    send_message_now,
    send_now,
)
from kiosk.store.audit import verify_chain
from kiosk.store.models import (
    Application,
    AuditRecord,
    CertificateKind,
    OutboxMessage,
    OutboxState,
    ProcedureKind,
)
from kiosk.store.models import IssuanceStep as S
from kiosk.store.sealed import Sealer
from kiosk.sync import journal
from kiosk.sync.central import CentralUnreachable
from kiosk.sync.journal import RecoveryAction as A
from kiosk.sync.journal import RecoveryPolicy
from kiosk.sync.outbox import Outgoing, enqueue
from kiosk.sync.relay import Receipt, Relay, VerifiedReceipt

T0 = datetime(2026, 11, 22, 0, 30, tzinfo=UTC)
DER = b"0\x82 the holder's certificate"
POLICY = RecoveryPolicy(card_wait=timedelta(days=14), max_write_attempts=3)


@pytest.fixture
def statements(engine: Engine) -> Iterator[list[str]]:
    """Every SQL statement the engine runs while the test does."""
    seen: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def _start(sessions: sessionmaker[Session], sealer: Sealer, at: datetime) -> uuid.UUID:
    with sessions.begin() as s:
        app = Application(kind=ProcedureKind.NEW_ISSUANCE)
        app.seal_payload(sealer, b"personal")
        s.add(app)
        s.flush()
        return journal.start_issuance(
            s, application_id=app.id, card_id="0a1b", cert_kind=CertificateKind.AUTH,
            request=Outgoing("p10cr", b"the signed request"), transaction_id=uuid.uuid4().bytes, now=at,
        ).id  # fmt: skip


def _to(sessions: sessionmaker[Session], sealer: Sealer, entry_id: uuid.UUID, to: S, at: datetime) -> None:
    steps = {
        S.ABANDONED: ["abandon"],
        S.CERTIFICATE_RECEIVED: ["certificate"],
        S.WRITTEN_TO_CARD: ["certificate", "write"],
        S.READ_BACK: ["certificate", "write", "read"],
        S.CONFIRMED: ["certificate", "write", "read", "confirm"],
    }[to]
    for step in steps:
        with sessions.begin() as s:
            if step == "abandon":
                journal.abandon(s, entry_id, reason="refused", now=at)
            elif step == "certificate":
                journal.record_certificate(s, entry_id, DER, sealer, now=at)
            elif step == "write":
                journal.note_write_attempt(s, entry_id, now=at)
                journal.record_written(s, entry_id, now=at)
            elif step == "read":
                assert journal.record_read_back(s, entry_id, DER, sealer, now=at)
            else:
                journal.confirm(s, entry_id, Outgoing("certConf", b"conf"), now=at)


def test_an_idle_terminal_owes_nothing(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        work = pending_work(session, now=T0)
    assert work.empty and work.oldest_message_age is None


def test_pending_work(sessions: sessionmaker[Session], sealer: Sealer, statements: list[str]) -> None:
    done, refused, waiting, received, written, read_back = (
        _start(sessions, sealer, T0 + timedelta(minutes=i)) for i in range(6)
    )
    # The central takes the first request; then the link goes down before the second.
    clock = FakeClock(T0 + timedelta(minutes=10))
    assert Relay(sessions, _accepted, verify_receipt=_verified, clock=clock).run_once().error is None
    assert Relay(sessions, _unreachable, verify_receipt=_verified, clock=clock).run_once().error
    later = T0 + timedelta(hours=1)
    _to(sessions, sealer, done, S.CONFIRMED, later)
    _to(sessions, sealer, refused, S.ABANDONED, later)
    _to(sessions, sealer, received, S.CERTIFICATE_RECEIVED, later)
    _to(sessions, sealer, written, S.WRITTEN_TO_CARD, later)
    _to(sessions, sealer, read_back, S.READ_BACK, later)
    with sessions.begin() as s:
        enqueue(s, "notice.ack", b"an unrelated message", now=later)

    now = T0 + timedelta(days=1)
    statements.clear()
    with sessions() as session:
        work = pending_work(session, now=now, policy=POLICY)

    # Messages: every one but the delivered first request, in sending order.
    kinds = [m.kind for m in work.messages]
    assert kinds == ["p10cr"] * 5 + ["certConf", "notice.ack"]
    second = work.messages[0]
    assert (second.created_at, second.age, second.attempts) == (
        T0 + timedelta(minutes=1), now - T0 - timedelta(minutes=1), 1
    )  # fmt: skip
    assert second.last_error == "send failed: CentralUnreachable: connection refused"
    assert all(m.attempts == 0 and m.last_error is None for m in work.messages[1:])
    assert work.oldest_message_age == second.age

    # Issuances: the four not at a final step, oldest first, with what recovery will do.
    assert [(i.id, i.step, i.attempts, i.next_action) for i in work.issuances] == [
        (waiting, S.REQUESTED, 0, A.WAIT_FOR_CERTIFICATE),
        (received, S.CERTIFICATE_RECEIVED, 0, A.WAIT_FOR_CARD),
        (written, S.WRITTEN_TO_CARD, 1, A.WAIT_FOR_CARD),
        (read_back, S.READ_BACK, 1, A.SEND_CONFIRMATION),
    ]
    by_id = {i.id: i for i in work.issuances}
    assert by_id[waiting].age == now - (T0 + timedelta(minutes=2))
    assert by_id[received].age == now - later
    assert by_id[received].card_wait_ends == later + POLICY.card_wait
    assert by_id[waiting].card_wait_ends is None and by_id[read_back].card_wait_ends is None

    # Neither payloads nor sealed certificates were read, and the view has no place for them.
    assert statements and not any("payload" in s or "sealed_" in s for s in statements)
    shown = {f.name for f in fields(PendingMessage)} | {f.name for f in fields(UnfinishedIssuance)}
    assert not shown & {"payload", "sealed_certificate", "sealed_payload", "card_id", "receipt"}

    # Past the card wait, the recovery worker gives the certificate up as 破棄.
    with sessions() as session:
        late = pending_work(session, now=later + POLICY.card_wait, policy=POLICY)
    assert {i.id: i.next_action for i in late.issuances}[received] is A.REVOKE_AS_DESTROYED


def _accepted(message: OutboxMessage) -> Receipt:
    return Receipt(b"signed by the central")


def _verified(message: OutboxMessage, receipt: Receipt) -> VerifiedReceipt:
    return VerifiedReceipt(message.msg_id)


def _unreachable(message: OutboxMessage) -> Receipt:
    raise CentralUnreachable("connection refused")


# --- "send now" -------------------------------------------------------------------------------------


def _audit(sessions: sessionmaker[Session]) -> list[AuditRecord]:
    with sessions() as session:
        return list(session.scalars(select(AuditRecord).order_by(AuditRecord.id)))


def _due(sessions: sessionmaker[Session], seq: int) -> tuple[OutboxState, datetime]:
    with sessions() as session:
        message = session.get(OutboxMessage, seq)
        assert message is not None
        return message.state, message.next_attempt_at


def _failed_once(sessions: sessionmaker[Session]) -> uuid.UUID:
    """Message #1, tried once while the central was down: due again only after its back-off."""
    with sessions.begin() as s:
        msg_id = enqueue(s, "p10cr", b"a request", now=T0).msg_id
    assert Relay(sessions, _unreachable, verify_receipt=_verified, clock=FakeClock(T0)).run_once().error
    assert _due(sessions, 1)[1] > T0
    return msg_id


def test_send_now_is_recorded_with_the_operator(sessions: sessionmaker[Session]) -> None:
    msg_id = _failed_once(sessions)
    now = T0 + timedelta(seconds=30)
    result = send_message_now(sessions, msg_id, operator_id="op-0042", now=now)
    assert result == SendNow(msg_id, 1, pending=True)
    assert _due(sessions, 1) == (OutboxState.PENDING, now)  # due at once
    (record,) = _audit(sessions)
    assert (record.actor, record.action, record.subject, record.at) == (
        "op-0042", SEND_NOW_ACTION, f"outbox:{msg_id}", now
    )  # fmt: skip
    assert json.loads(record.details) == {"seq": 1, "pending": True}  # no payload, nothing personal
    with sessions() as session:
        assert verify_chain(session).ok


def test_send_now_on_a_delivered_or_unknown_message_is_recorded_and_changes_nothing(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as s:
        delivered = enqueue(s, "notice.ack", b"an acknowledgement", now=T0).msg_id
    assert Relay(sessions, _accepted, verify_receipt=_verified, clock=FakeClock(T0)).run_once().error is None
    before = _due(sessions, 1)
    assert before[0] is OutboxState.SENT
    later = T0 + timedelta(minutes=1)
    assert send_message_now(sessions, delivered, operator_id="op-7", now=later) == SendNow(
        delivered, 1, False
    )
    assert _due(sessions, 1) == before
    unknown = uuid.uuid4()
    assert send_message_now(sessions, unknown, operator_id="op-7", now=later) == SendNow(unknown, None, False)
    # The taps are operations all the same (規則 73-3): both on record.
    assert [(r.actor, r.subject, json.loads(r.details)) for r in _audit(sessions)] == [
        ("op-7", f"outbox:{delivered}", {"seq": 1, "pending": False}),
        ("op-7", f"outbox:{unknown}", {"seq": None, "pending": False}),
    ]
    with sessions() as session:
        assert verify_chain(session).ok


@pytest.mark.parametrize("operator_id", ["", "   "])
def test_send_now_without_an_operator_writes_nothing(
    sessions: sessionmaker[Session], operator_id: str
) -> None:
    msg_id = _failed_once(sessions)
    before = _due(sessions, 1)
    with pytest.raises(ValueError, match="operator"):
        send_message_now(sessions, msg_id, operator_id=operator_id, now=T0 + timedelta(seconds=30))
    assert _due(sessions, 1) == before
    assert _audit(sessions) == []


def test_the_change_and_its_record_roll_back_together(sessions: sessionmaker[Session]) -> None:
    msg_id = _failed_once(sessions)
    before = _due(sessions, 1)
    with pytest.raises(RuntimeError, match="later"), sessions.begin() as session:
        assert send_now(session, msg_id, operator_id="op-1", now=T0 + timedelta(seconds=30)).pending
        raise RuntimeError("something later in the same transaction failed")
    assert _due(sessions, 1) == before
    assert _audit(sessions) == []


def test_send_now_needs_the_callers_transaction(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, pytest.raises(RuntimeError, match="transaction"):
        send_now(session, uuid.uuid4(), operator_id="op-1", now=T0)
