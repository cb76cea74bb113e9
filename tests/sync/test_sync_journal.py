"""Issuance journal: the recovery table, and steps committed atomically with their messages."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker
from synckit import FakeClock

from kiosk.store.audit import verify_chain
from kiosk.store.models import (
    Application,
    AuditRecord,
    CertificateKind,
    Fee,
    IssuanceJournal,
    OutboxMessage,
    ProcedureKind,
)
from kiosk.store.models import IssuanceStep as S
from kiosk.store.sealed import Sealer
from kiosk.sync import journal
from kiosk.sync.journal import RecoveryAction as A
from kiosk.sync.journal import RecoveryInput, RecoveryPolicy, next_action
from kiosk.sync.outbox import Outgoing

POLICY = RecoveryPolicy(card_wait=timedelta(days=14), max_write_attempts=3)
FRESH, OLD = timedelta(hours=1), timedelta(days=15)

# step, age, same card here, can write, attempts → action
TABLE = [
    (S.REQUESTED, FRESH, True, True, 0, A.WAIT_FOR_CERTIFICATE),
    (S.REQUESTED, OLD, False, False, 0, A.WAIT_FOR_CERTIFICATE),
    (S.CERTIFICATE_RECEIVED, FRESH, True, True, 0, A.WRITE_CERTIFICATE),
    (S.CERTIFICATE_RECEIVED, FRESH, True, True, 2, A.WRITE_CERTIFICATE),
    (S.CERTIFICATE_RECEIVED, FRESH, True, True, 3, A.REVOKE_AS_DESTROYED),  # attempts used up
    (S.CERTIFICATE_RECEIVED, OLD, True, True, 0, A.WRITE_CERTIFICATE),  # late, but the card is here
    (S.CERTIFICATE_RECEIVED, FRESH, True, False, 0, A.REVOKE_AS_DESTROYED),  # key changed / expired
    (S.CERTIFICATE_RECEIVED, FRESH, False, True, 0, A.WAIT_FOR_CARD),
    (S.CERTIFICATE_RECEIVED, FRESH, False, False, 0, A.REVOKE_AS_DESTROYED),
    (S.CERTIFICATE_RECEIVED, OLD, False, True, 0, A.REVOKE_AS_DESTROYED),  # card never came back
    (S.CERTIFICATE_RECEIVED, timedelta(days=14), False, True, 0, A.REVOKE_AS_DESTROYED),  # boundary
    (S.CERTIFICATE_RECEIVED, timedelta(days=14) - timedelta(seconds=1), False, True, 0, A.WAIT_FOR_CARD),
    (S.WRITTEN_TO_CARD, FRESH, True, True, 1, A.READ_BACK_AND_CONFIRM),
    (S.WRITTEN_TO_CARD, FRESH, True, False, 1, A.READ_BACK_AND_CONFIRM),  # already written: just check
    (S.WRITTEN_TO_CARD, OLD, True, True, 1, A.READ_BACK_AND_CONFIRM),
    (S.WRITTEN_TO_CARD, FRESH, False, True, 1, A.WAIT_FOR_CARD),
    (S.WRITTEN_TO_CARD, OLD, False, True, 1, A.REVOKE_AS_DESTROYED),
    (S.READ_BACK, FRESH, False, False, 1, A.SEND_CONFIRMATION),
    (S.READ_BACK, OLD, True, True, 1, A.SEND_CONFIRMATION),
    (S.CONFIRMED, OLD, True, True, 1, A.NOTHING),
    (S.ABANDONED, FRESH, True, True, 0, A.NOTHING),
    (S.REVOKED_AS_DESTROYED, FRESH, True, True, 1, A.NOTHING),
    (S.HANDED_OVER, OLD, True, True, 0, A.NOTHING),  # the terminal where the card is now installs it
]


@pytest.mark.parametrize(("step", "age", "here", "writable", "attempts", "expected"), TABLE)
def test_recovery_table(
    step: S, age: timedelta, here: bool, writable: bool, attempts: int, expected: A
) -> None:
    assert next_action(RecoveryInput(step, age, here, writable, attempts), POLICY) is expected


def test_every_step_has_a_decision() -> None:
    covered = {row[0] for row in TABLE}
    assert covered == set(S)
    assert set(journal.ALLOWED) == set(S)


# --- store functions ------------------------------------------------------------------------------

CARD = "0A1B2C3D"
DER = b"0\x82\x04\x00 certificate with the holder's 4 info"


@pytest.fixture
def entry_id(sessions: sessionmaker[Session], sealer: Sealer, clock: FakeClock) -> uuid.UUID:
    with sessions() as session, session.begin():
        app = Application(kind=ProcedureKind.NEW_ISSUANCE)
        app.seal_payload(sealer, b"personal")
        session.add(app)
        session.flush()
        entry = journal.start_issuance(
            session,
            application_id=app.id,
            card_id=CARD,
            cert_kind=CertificateKind.SIGN,
            request=Outgoing("cmp.p10cr", b"p10cr-bytes"),
            transaction_id=b"\x11" * 16,
            now=clock(),
        )
    return entry.id


def _entry(sessions: sessionmaker[Session], entry_id: uuid.UUID) -> IssuanceJournal:
    with sessions() as session:
        entry = session.get(IssuanceJournal, entry_id)
        assert entry is not None
        return entry


def _outbox_kinds(sessions: sessionmaker[Session]) -> list[str]:
    with sessions() as session:
        return list(session.scalars(select(OutboxMessage.kind).order_by(OutboxMessage.seq)))


def _to_read_back(
    sessions: sessionmaker[Session], entry_id: uuid.UUID, sealer: Sealer, clock: FakeClock
) -> None:
    with sessions() as session, session.begin():
        journal.record_certificate(session, entry_id, DER, sealer, now=clock())
    with sessions() as session, session.begin():
        journal.note_write_attempt(session, entry_id, now=clock())
    with sessions() as session, session.begin():
        journal.record_written(session, entry_id, now=clock())
    with sessions() as session, session.begin():
        assert journal.record_read_back(session, entry_id, DER, sealer, now=clock())


def test_start_enqueues_the_request_with_the_entry(
    sessions: sessionmaker[Session], entry_id: uuid.UUID
) -> None:
    entry = _entry(sessions, entry_id)
    assert entry.step is S.REQUESTED
    assert entry.card_id == CARD.lower()
    assert _outbox_kinds(sessions) == ["cmp.p10cr"]
    with sessions() as session:
        found = journal.find_by_transaction_id(session, b"\x11" * 16)
        assert found is not None
        assert found.id == entry_id
        request = session.scalars(select(OutboxMessage)).one()
        assert found.request_msg_id == request.msg_id


def test_full_path_to_confirmed_with_cert_conf_in_the_same_transaction(
    sessions: sessionmaker[Session], entry_id: uuid.UUID, sealer: Sealer, clock: FakeClock
) -> None:
    _to_read_back(sessions, entry_id, sealer, clock)
    with sessions() as session, session.begin():
        journal.confirm(session, entry_id, Outgoing("cmp.certConf", b"certconf-bytes"), now=clock())
    entry = _entry(sessions, entry_id)
    assert entry.step is S.CONFIRMED
    assert entry.attempts == 1
    assert _outbox_kinds(sessions) == ["cmp.p10cr", "cmp.certConf"]
    with sessions() as session:
        cert_conf = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "cmp.certConf")).one()
        assert entry.closing_msg_id == cert_conf.msg_id
        actions = list(session.scalars(select(AuditRecord.action).order_by(AuditRecord.id)))
        assert actions == [
            "issuance.requested",
            "issuance.certificate_received",
            "issuance.written_to_card",
            "issuance.read_back",
            "issuance.confirmed",
        ]
        assert verify_chain(session).ok


def test_failure_after_confirm_rolls_back_step_message_and_audit(
    sessions: sessionmaker[Session], entry_id: uuid.UUID, sealer: Sealer, clock: FakeClock
) -> None:
    _to_read_back(sessions, entry_id, sealer, clock)
    with sessions() as session:
        audits = session.scalar(select(func.count()).select_from(AuditRecord))
    with pytest.raises(RuntimeError, match="power"), sessions() as session, session.begin():
        journal.confirm(session, entry_id, Outgoing("cmp.certConf", b"certconf-bytes"), now=clock())
        raise RuntimeError("power cut simulated before commit")
    assert _entry(sessions, entry_id).step is S.READ_BACK
    assert _outbox_kinds(sessions) == ["cmp.p10cr"]
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(AuditRecord)) == audits


def test_read_back_mismatch_goes_back_to_write(
    sessions: sessionmaker[Session], entry_id: uuid.UUID, sealer: Sealer, clock: FakeClock
) -> None:
    with sessions() as session, session.begin():
        journal.record_certificate(session, entry_id, DER, sealer, now=clock())
        journal.note_write_attempt(session, entry_id, now=clock())
        journal.record_written(session, entry_id, now=clock())
    with sessions() as session, session.begin():
        assert not journal.record_read_back(session, entry_id, DER[:-1] + b"X", sealer, now=clock())
    entry = _entry(sessions, entry_id)
    assert entry.step is S.CERTIFICATE_RECEIVED
    assert entry.last_error is not None
    now = clock() + timedelta(minutes=1)
    decision = next_action(journal.recovery_input(entry, now=now, present_card_id=CARD, can_write=True))
    assert decision is A.WRITE_CERTIFICATE


def test_revoke_as_destroyed_enqueues_the_revocation(
    sessions: sessionmaker[Session], entry_id: uuid.UUID, sealer: Sealer, clock: FakeClock
) -> None:
    with sessions() as session, session.begin():
        journal.record_certificate(session, entry_id, DER, sealer, now=clock())
    clock.advance(timedelta(days=15).total_seconds())
    with sessions() as session:
        entry = journal.unfinished(session)[0]
        decision = next_action(
            journal.recovery_input(entry, now=clock(), present_card_id=None, can_write=True)
        )
    assert decision is A.REVOKE_AS_DESTROYED
    with sessions() as session, session.begin():
        journal.revoke_as_destroyed(
            session, entry_id, Outgoing("cmp.rr", b"rr-bytes"), reason="card did not return", now=clock()
        )
    assert _entry(sessions, entry_id).step is S.REVOKED_AS_DESTROYED
    assert _outbox_kinds(sessions) == ["cmp.p10cr", "cmp.rr"]
    with sessions() as session:
        assert journal.unfinished(session) == []


def test_late_certificate_for_an_abandoned_request_is_revoked(
    sessions: sessionmaker[Session], entry_id: uuid.UUID, clock: FakeClock
) -> None:
    with sessions() as session, session.begin():
        journal.abandon(session, entry_id, reason="application cancelled", now=clock())
    with sessions() as session, session.begin():
        journal.revoke_as_destroyed(
            session, entry_id, Outgoing("cmp.rr", b"rr"), reason="issued after cancellation", now=clock()
        )
    assert _entry(sessions, entry_id).step is S.REVOKED_AS_DESTROYED


def test_a_poll_is_enqueued_and_audited_without_moving_the_entry(
    sessions: sessionmaker[Session], entry_id: uuid.UUID, sealer: Sealer, clock: FakeClock
) -> None:
    created = _entry(sessions, entry_id).updated_at
    clock.advance(60)
    with sessions() as session, session.begin():
        journal.request_poll(session, entry_id, Outgoing("pollReq", b"poll"), now=clock())
    entry = _entry(sessions, entry_id)
    assert (entry.step, entry.updated_at) == (S.REQUESTED, created)  # the card wait is not reset
    assert _outbox_kinds(sessions) == ["cmp.p10cr", "pollReq"]
    with sessions() as session:
        actions = list(session.scalars(select(AuditRecord.action).order_by(AuditRecord.id)))
        assert actions == ["issuance.requested", "issuance.poll"]
        assert journal.get(session, entry_id).id == entry_id
    with sessions() as session, session.begin():
        journal.record_certificate(session, entry_id, DER, sealer, now=clock())
    with pytest.raises(journal.JournalError), sessions() as session, session.begin():
        journal.request_poll(session, entry_id, Outgoing("pollReq", b"late"), now=clock())
    assert _outbox_kinds(sessions) == ["cmp.p10cr", "pollReq"]


def test_get_names_a_missing_entry(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(LookupError), sessions() as session, session.begin():
        journal.get(session, uuid.uuid4())


@pytest.mark.parametrize(
    "bad_step",
    [
        lambda s, i, sealer, now: journal.record_written(s, i, now=now),  # nothing received yet
        lambda s, i, sealer, now: journal.confirm(s, i, Outgoing("cmp.certConf", b"x"), now=now),
        lambda s, i, sealer, now: journal.note_write_attempt(s, i, now=now),
        lambda s, i, sealer, now: journal.record_read_back(s, i, DER, sealer, now=now),
    ],
)
def test_steps_out_of_order_are_refused_and_leave_nothing(
    sessions: sessionmaker[Session], entry_id: uuid.UUID, sealer: Sealer, clock: FakeClock, bad_step
) -> None:
    with pytest.raises(journal.JournalError), sessions() as session, session.begin():
        bad_step(session, entry_id, sealer, clock())
    assert _entry(sessions, entry_id).step is S.REQUESTED
    assert _outbox_kinds(sessions) == ["cmp.p10cr"]


def test_certificate_is_sealed_at_rest(
    sessions: sessionmaker[Session],
    entry_id: uuid.UUID,
    sealer: Sealer,
    clock: FakeClock,
    engine: Engine,
    db_path: Path,
) -> None:
    with sessions() as session, session.begin():
        journal.record_certificate(session, entry_id, DER, sealer, now=clock())
    assert _entry(sessions, entry_id).open_certificate(sealer) == DER
    engine.dispose()
    wal = db_path.with_name(db_path.name + "-wal")
    raw = db_path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    assert b"holder's 4 info" not in raw


# --- fees (the ledger's 有償 / 無償) ----------------------------------------------------------------


def _start_with_fee(
    sessions: sessionmaker[Session], sealer: Sealer, clock: FakeClock, fee: Fee, fee_yen: int
) -> uuid.UUID:
    with sessions() as session, session.begin():
        app = Application(kind=ProcedureKind.NEW_ISSUANCE)
        app.seal_payload(sealer, b"personal")
        session.add(app)
        session.flush()
        entry = journal.start_issuance(
            session,
            application_id=app.id,
            card_id=CARD,
            cert_kind=CertificateKind.AUTH,
            request=Outgoing("cmp.p10cr", b"p10cr-bytes"),
            transaction_id=b"\x22" * 16,
            now=clock(),
            fee=fee,
            fee_yen=fee_yen,
        )
    return entry.id


def test_an_entry_without_a_fee_is_free(entry_id: uuid.UUID, sessions: sessionmaker[Session]) -> None:
    entry = _entry(sessions, entry_id)  # started by the existing callers' arguments
    assert (entry.fee, entry.fee_yen) == (Fee.FREE, 0)


def test_a_paid_fee_is_recorded_with_the_request_and_audited(
    sessions: sessionmaker[Session], sealer: Sealer, clock: FakeClock
) -> None:
    entry_id = _start_with_fee(sessions, sealer, clock, fee=Fee.PAID, fee_yen=200)
    entry = _entry(sessions, entry_id)
    assert (entry.fee, entry.fee_yen) == (Fee.PAID, 200)
    with sessions() as session:
        details = session.scalars(
            select(AuditRecord.details).where(AuditRecord.action == "issuance.requested")
        ).one()
    assert '"fee":"paid"' in details and '"fee_yen":200' in details


@pytest.mark.parametrize(
    ("fee", "yen"),
    [(Fee.PAID, 0), (Fee.FREE, 200), (Fee.PAID, -200), (Fee.FREE, -1), (Fee.PAID, True)],
)
def test_an_inconsistent_fee_is_refused_and_nothing_is_kept(
    sessions: sessionmaker[Session], sealer: Sealer, clock: FakeClock, fee: Fee, yen: int
) -> None:
    with pytest.raises(ValueError, match=r"fee|yen"):
        _start_with_fee(sessions, sealer, clock, fee=fee, fee_yen=yen)
    with sessions() as session:  # the whole transaction rolled back: no application, no message
        assert session.scalar(select(func.count()).select_from(IssuanceJournal)) == 0
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        assert session.scalar(select(func.count()).select_from(Application)) == 0
