"""The kiosk's retention (kiosk.store.retention; docs/store-and-sync.md, "Retention"): each kind
kept up to its boundary and purged after it, nothing pending / unfinished / unapplied ever, the
ledger of a day printable through its period, the audit chain cut at ten years and still
verified, and the SyncService schedule."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from storekit import FakeClock

from kiosk.cli import main
from kiosk.flows import background
from kiosk.flows.background import SyncService
from kiosk.flows.ledger import daily_ledger
from kiosk.store.audit import PURGE_ACTION, append_audit, purge_prefix, verify_chain
from kiosk.store.migrate import alembic_config, upgrade
from kiosk.store.models import (
    Application,
    ApplicationState,
    AuditRecord,
    CertificateKind,
    InboxMessage,
    IssuanceJournal,
    IssuanceStep,
    OutboxMessage,
    OutboxState,
    ProcedureKind,
)
from kiosk.store.retention import (
    DEFAULT_RETENTION,
    FINAL_STEPS,
    JST,
    PURGED,
    RetentionPolicy,
    last_day_kept,
    ledger_cutoff,
    purge,
    years_cutoff,
)
from kiosk.store.sealed import Sealer
from kiosk.sync import journal
from kiosk.sync.outbox import enqueue

T0 = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)  # 10:00 JST, 22 November 2026
DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)
GRACE = DEFAULT_RETENTION.delivered_messages


def jst(*args: int) -> datetime:
    return datetime(*args, tzinfo=JST).astimezone(UTC)  # type: ignore[misc]


# -- the policy and its arithmetic (pure) ---------------------------------------------------------


def test_final_steps_are_the_journals() -> None:
    assert FINAL_STEPS == journal.FINAL_STEPS


@pytest.mark.parametrize(
    "change",
    [
        {"audit_years": 9},  # 規則 82
        {"delivered_messages": timedelta(hours=23)},
        {"applied_notices": timedelta(0)},
        {"personal_data": timedelta(hours=1)},
        {"ledger_days": 0},
        {"batch_size": 0},
        {"interval": timedelta(0)},
    ],
)
def test_the_policy_refuses_what_would_lose_records(change: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        RetentionPolicy(**change)  # type: ignore[arg-type]


def test_the_defaults_are_the_documented_policy() -> None:
    p = DEFAULT_RETENTION
    assert (p.delivered_messages, p.applied_notices, p.personal_data) == (7 * DAY, 7 * DAY, 7 * DAY)
    assert (p.ledger_days, p.audit_years, p.interval) == (430, 10, DAY)
    # Any day of a fiscal year (April–March) stays printable until that year's books close on
    # 31 May of the next: 1 April → 31 May of the next year is the longest wait.
    assert date(2026, 4, 1) + timedelta(days=p.ledger_days) >= date(2027, 5, 31)


@pytest.mark.parametrize(
    ("made", "years", "last"),
    [
        (date(2026, 11, 22), 10, date(2036, 11, 22)),
        (date(2028, 2, 29), 10, date(2038, 2, 28)),
        (date(2028, 2, 28), 10, date(2038, 2, 28)),  # counted from 29 Feb: end of February
        (date(2030, 2, 28), 10, date(2040, 2, 29)),
    ],
)
def test_last_day_kept(made: date, years: int, last: date) -> None:
    assert last_day_kept(made, years) == last


@pytest.mark.parametrize(
    ("made", "kept_at", "gone_at"),
    [
        (jst(2026, 11, 22, 10), jst(2036, 11, 22, 23, 59, 59), jst(2036, 11, 23)),
        (jst(2028, 2, 29, 9), jst(2038, 2, 28, 23, 59, 59), jst(2038, 3, 1)),
        (jst(2030, 2, 28, 9), jst(2040, 2, 29, 23, 59, 59), jst(2040, 3, 1)),
        (jst(2026, 4, 1, 0, 30), jst(2036, 4, 1, 23, 59, 59), jst(2036, 4, 2)),  # JST day, not UTC
    ],
)
def test_ten_years_end_on_the_jst_day(made: datetime, kept_at: datetime, gone_at: datetime) -> None:
    assert not made < years_cutoff(kept_at, 10)
    assert made < years_cutoff(gone_at, 10)


def test_a_days_ledger_is_printable_through_its_period() -> None:
    created = jst(2026, 11, 22, 23, 30)
    assert not created < ledger_cutoff(jst(2028, 1, 26, 23, 59), 430)  # 22 Nov + 430 days
    assert created < ledger_cutoff(jst(2028, 1, 27), 430)


# -- helpers --------------------------------------------------------------------------------------


def _message(session: Session, at: datetime, *, delivered: datetime | None = None) -> uuid.UUID:
    message = enqueue(session, "genm", b"protected", now=at)
    if delivered is not None:
        message.state, message.delivered_at, message.receipt = OutboxState.SENT, delivered, b"receipt"
    return message.msg_id


def _deliver(sessions: sessionmaker[Session], msg_id: uuid.UUID, at: datetime) -> None:
    with sessions.begin() as session:
        row = session.scalars(select(OutboxMessage).where(OutboxMessage.msg_id == msg_id)).one()
        row.state, row.delivered_at, row.receipt = OutboxState.SENT, at, b"receipt"


def _application(
    session: Session,
    sealer: Sealer,
    at: datetime,
    *,
    state: ApplicationState = ApplicationState.COMPLETED,
    delivered: bool = True,
) -> uuid.UUID:
    """An application filed as kiosk.flows.counter.applications files it: with its genm."""
    app = Application(kind=ProcedureKind.REVOCATION, state=state, created_at=at, updated_at=at)
    app.seal_payload(sealer, "山田太郎 / 東京都…".encode())
    session.add(app)
    _message(session, at, delivered=at + timedelta(seconds=2) if delivered else None)
    return app.id


def _entry(
    session: Session,
    sealer: Sealer,
    application_id: uuid.UUID,
    at: datetime,
    *,
    step: IssuanceStep = IssuanceStep.CONFIRMED,
    closing_delivered: bool = True,
) -> uuid.UUID:
    """A journal entry at `step`, its p10cr delivered; its certConf too unless told otherwise."""
    request = _message(session, at, delivered=at + SECOND)
    closing = None
    if step in FINAL_STEPS:
        closing = _message(
            session, at + 60 * SECOND, delivered=at + 61 * SECOND if closing_delivered else None
        )
    entry = IssuanceJournal(
        id=uuid.uuid4(),
        application_id=application_id,
        card_id="ab" * 16,
        cert_kind=CertificateKind.AUTH,
        step=step,
        transaction_id=uuid.uuid4().bytes,
        request_msg_id=request,
        closing_msg_id=closing,
        attempts=1,
        created_at=at,
        updated_at=at + 60 * SECOND,
    )
    entry.seal_certificate(sealer, b"certificate naming the holder")
    session.add(entry)
    return entry.id


def _count(sessions: sessionmaker[Session], model: type[object], *where: object) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)  # type: ignore[arg-type]


# -- outbox ---------------------------------------------------------------------------------------


def test_delivered_messages_go_after_the_grace_pending_ones_never(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        delivered = _message(session, T0, delivered=T0 + SECOND)
        pending = _message(session, T0 + 2 * SECOND)
    assert purge(sessions, now=T0 + SECOND + GRACE).outbox == 0  # the last second of the grace
    report = purge(sessions, now=T0 + 2 * SECOND + GRACE)
    assert report.outbox == 1
    with sessions() as session:
        kept = set(session.scalars(select(OutboxMessage.msg_id)))
    assert pending in kept and delivered not in kept
    assert purge(sessions, now=T0 + timedelta(days=365 * 20)).outbox == 0  # pending: never
    assert _count(sessions, OutboxMessage, OutboxMessage.msg_id == pending) == 1


def test_messages_an_issuance_still_needs_stay(sessions: sessionmaker[Session], sealer: Sealer) -> None:
    """The p10cr and certConf an entry names stay with the entry; a pollReq sent after an
    unfinished issuance began stays until it is finished (its receipt is the one followed up)."""
    with sessions.begin() as session:
        app = _application(session, sealer, T0)
        waiting = _entry(session, sealer, app, T0, step=IssuanceStep.REQUESTED)
        poll = _message(session, T0 + DAY, delivered=T0 + DAY + SECOND)
        unrelated_before = _message(session, T0 - DAY, delivered=T0 - DAY + SECOND)
    later = T0 + 30 * DAY
    purge(sessions, now=later)
    with sessions() as session:
        kept = set(session.scalars(select(OutboxMessage.msg_id)))
        entry = session.get(IssuanceJournal, waiting)
        assert entry is not None and entry.request_msg_id in kept
    assert poll in kept and unrelated_before not in kept
    with sessions.begin() as session:  # the issuance is given up: the pollReq may go
        entry = session.get(IssuanceJournal, waiting)
        assert entry is not None
        entry.step, entry.updated_at = IssuanceStep.ABANDONED, later
    purge(sessions, now=later + GRACE + DAY)
    with sessions() as session:
        kept = set(session.scalars(select(OutboxMessage.msg_id)))
        entry = session.get(IssuanceJournal, waiting)
        assert entry is not None and entry.request_msg_id in kept  # named by the entry: stays
    assert poll not in kept


def test_batches_take_every_row(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        for i in range(5):
            _message(session, T0 + i * SECOND, delivered=T0 + (i + 1) * SECOND)
    report = purge(sessions, now=T0 + 30 * DAY, policy=RetentionPolicy(batch_size=2))
    assert report.outbox == 5 and _count(sessions, OutboxMessage) == 0


# -- inbox ----------------------------------------------------------------------------------------


def _notice(session: Session, seq: int, *, received: datetime, applied: datetime | None) -> None:
    session.add(
        InboxMessage(
            msg_id=uuid.uuid4(),
            server_seq=seq,
            kind="issuance.decided",
            payload=b"{}",
            received_at=received,
            applied_at=applied,
        )
    )


def test_applied_notices_go_after_the_grace_unapplied_never(
    sessions: sessionmaker[Session], sealer: Sealer
) -> None:
    with sessions.begin() as session:
        _notice(session, 1, received=T0, applied=T0)
        _notice(session, 2, received=T0, applied=None)  # no handler for its kind yet
    grace = DEFAULT_RETENTION.applied_notices
    assert purge(sessions, now=T0 + grace).inbox == 0
    assert purge(sessions, now=T0 + grace + SECOND).inbox == 1
    assert purge(sessions, now=T0 + timedelta(days=3650)).inbox == 0
    with sessions() as session:
        assert list(session.scalars(select(InboxMessage.server_seq))) == [2]
    # A notice received after an unfinished issuance began may be its deferred decision.
    with sessions.begin() as session:
        app = _application(session, sealer, T0)
        _entry(session, sealer, app, T0, step=IssuanceStep.REQUESTED)
        _notice(session, 3, received=T0 + DAY, applied=T0 + DAY)
    assert purge(sessions, now=T0 + 60 * DAY).inbox == 0


# -- personal data and the rows -------------------------------------------------------------------


def test_personal_data_goes_first_and_the_rows_after_the_ledger_period(
    sessions: sessionmaker[Session], sealer: Sealer
) -> None:
    created = jst(2026, 11, 22, 10)
    with sessions.begin() as session:
        app = _application(session, sealer, created)
        entry = _entry(session, sealer, app, created)
    ledger_before = _ledger(sessions, date(2026, 11, 22))
    grace = DEFAULT_RETENTION.personal_data
    assert purge(sessions, now=created + grace).application_payloads == 0  # the grace's last instant
    early = purge(sessions, now=created + grace + SECOND)  # the entry became final a minute later
    assert early.application_payloads == 1 and early.journal_certificates == 0
    report = purge(sessions, now=created + 60 * SECOND + grace + SECOND)
    assert report.journal_certificates == 1 and report.journal == 0 and report.applications == 0
    with sessions() as session:
        row = session.get(IssuanceJournal, entry)
        application = session.get(Application, app)
        assert row is not None and row.sealed_certificate is None
        assert application is not None and application.sealed_payload == PURGED
    assert _ledger(sessions, date(2026, 11, 22)) == ledger_before  # the bare rows still count
    last_printable = jst(2028, 1, 26, 23, 59, 59)  # 22 November 2026 + 430 days
    kept = purge(sessions, now=last_printable)
    assert (kept.journal, kept.applications) == (0, 0)
    gone = purge(sessions, now=jst(2028, 1, 27))
    assert (gone.journal, gone.applications) == (1, 1)
    assert _count(sessions, IssuanceJournal) == 0 and _count(sessions, Application) == 0


def _ledger(sessions: sessionmaker[Session], day: date) -> object:
    with sessions() as session:
        return daily_ledger(session, day)


@pytest.mark.parametrize("step", [s for s in IssuanceStep if s not in FINAL_STEPS], ids=lambda s: s.value)
def test_an_unfinished_issuance_is_never_purged(
    sessions: sessionmaker[Session], sealer: Sealer, step: IssuanceStep
) -> None:
    with sessions.begin() as session:
        app = _application(session, sealer, T0)
        entry = _entry(session, sealer, app, T0, step=step)
    purge(sessions, now=T0 + timedelta(days=3650))
    with sessions() as session:
        row = session.get(IssuanceJournal, entry)
        application = session.get(Application, app)
        assert row is not None and row.sealed_certificate is not None
        assert application is not None and application.sealed_payload != PURGED


def test_a_finished_issuance_waits_for_its_confirmation_to_be_delivered(
    sessions: sessionmaker[Session], sealer: Sealer
) -> None:
    with sessions.begin() as session:
        app = _application(session, sealer, T0)
        entry = _entry(session, sealer, app, T0, closing_delivered=False)  # certConf queued
    later = T0 + timedelta(days=1000)
    report = purge(sessions, now=later)
    assert report.journal_certificates == report.journal == report.application_payloads == 0
    assert report.outbox == 1  # the application's genm: delivered, and no entry names it
    with sessions() as session:
        row = session.get(IssuanceJournal, entry)
        assert row is not None and row.closing_msg_id is not None
        closing = row.closing_msg_id
    _deliver(sessions, closing, later)
    report = purge(sessions, now=later + DEFAULT_RETENTION.delivered_messages + SECOND)
    assert report.journal_certificates == 1 and report.application_payloads == 1
    assert report.journal == 1 and report.applications == 1  # past the ledger period too
    assert report.outbox == 2  # p10cr and certConf: no entry names them any more


def test_the_messages_an_entry_names_are_checked_whatever_the_clock_said(
    sessions: sessionmaker[Session], sealer: Sealer
) -> None:
    """A certConf stamped two days after its entry (a clock stepped forward between the two) is
    past the watermark's margin: the entry still waits for it, because it names it."""
    with sessions.begin() as session:
        app = _application(session, sealer, T0)
        entry_id = _entry(session, sealer, app, T0, step=IssuanceStep.READ_BACK)
        closing = _message(session, T0 + 2 * DAY)  # pending
        entry = session.get(IssuanceJournal, entry_id)
        assert entry is not None
        entry.step, entry.closing_msg_id = IssuanceStep.CONFIRMED, closing
    report = purge(sessions, now=T0 + 1000 * DAY)
    assert report.journal_certificates == 0 and report.journal == 0
    with sessions() as session:
        row = session.get(IssuanceJournal, entry_id)
        assert row is not None and row.sealed_certificate is not None


@pytest.mark.parametrize(
    ("state", "delivered", "purged"),
    [
        (ApplicationState.OPEN, True, False),  # still being taken at the counter
        (ApplicationState.COMPLETED, False, False),  # its genm still waits in the outbox
        (ApplicationState.CANCELLED, False, False),  # offline: cancelled here, the genm still goes
        (ApplicationState.SUBMITTED, True, True),
        (ApplicationState.CANCELLED, True, True),
        (ApplicationState.REJECTED, True, True),
    ],
)
def test_an_application_payload_goes_only_once_its_message_is_delivered(
    sessions: sessionmaker[Session],
    sealer: Sealer,
    state: ApplicationState,
    delivered: bool,
    purged: bool,
) -> None:
    with sessions.begin() as session:
        app = _application(session, sealer, T0, state=state, delivered=delivered)
    report = purge(sessions, now=T0 + 30 * DAY)
    assert report.application_payloads == int(purged)
    with sessions() as session:
        row = session.get(Application, app)
        assert row is not None and (row.sealed_payload == PURGED) is purged


def test_a_pending_message_holds_back_everything_after_it(
    sessions: sessionmaker[Session], sealer: Sealer
) -> None:
    """The relay delivers in order: an application made after a stuck message has not been
    delivered either, whatever its own state says."""
    with sessions.begin() as session:
        _message(session, T0)  # stuck
        app = _application(session, sealer, T0 + 3 * DAY, delivered=False)
        before = _application(session, sealer, T0 - 3 * DAY)
    purge(sessions, now=T0 + 60 * DAY)
    with sessions() as session:
        assert session.get(Application, app).sealed_payload != PURGED  # type: ignore[union-attr]
        assert session.get(Application, before).sealed_payload == PURGED  # type: ignore[union-attr]


# -- the audit chain ------------------------------------------------------------------------------


def _records(sessions: sessionmaker[Session], times: list[datetime]) -> list[bytes]:
    hashes = []
    for at in times:
        with sessions.begin() as session:
            hashes.append(append_audit(session, actor="staff-1", action="test", subject="x", now=at).hash)
    return hashes


def test_audit_records_are_kept_ten_years_then_cut_and_the_rest_still_verifies(
    sessions: sessionmaker[Session],
) -> None:
    times = [jst(2026, 11, 22, 10), jst(2026, 11, 23, 10), jst(2027, 1, 5, 10), jst(2031, 6, 1, 10)]
    hashes = _records(sessions, times)
    assert purge(sessions, now=jst(2036, 11, 22, 23, 59)).audit == 0  # last day of the first
    report = purge(sessions, now=jst(2036, 11, 24, 9))
    assert report.audit == 2  # 22 and 23 November 2026
    with sessions() as session:
        chain = verify_chain(session)
        assert chain.ok, chain.problem
        assert chain.purged_through == 2 and chain.records == 3  # two left, and the cut's record
        assert verify_chain(session, anchor=hashes[3]).ok  # an anchor printed since: still there
        assert verify_chain(session, anchor=hashes[1]).ok  # the last record cut: the chain's start
        old = verify_chain(session, anchor=hashes[0])
        assert not old.ok and "retention cut after record 2" in (old.problem or "")
        purged = session.scalars(select(AuditRecord).where(AuditRecord.action == PURGE_ACTION)).one()
        assert purged.subject == "audit_record:2"


def test_a_cut_nobody_vouched_for_is_still_detected(
    sessions: sessionmaker[Session], engine: Engine, db_path: Path
) -> None:
    _records(sessions, [jst(2026, 11, 22, 10), jst(2026, 11, 23, 10), jst(2030, 1, 1), jst(2030, 1, 2)])
    purge(sessions, now=jst(2036, 11, 23, 9))  # cuts record 1
    engine.dispose()
    raw = sqlite3.connect(db_path, isolation_level=None)
    try:  # someone with the file takes one more record off the front
        raw.execute("DROP TRIGGER trg_audit_record_no_delete")
        raw.execute("DELETE FROM audit_record WHERE id = 2")
    finally:
        raw.close()
    with sessions() as session:
        report = verify_chain(session)
    assert not report.ok and report.first_bad_id == 3
    assert report.problem == "does not link to the record before it"


def test_the_trigger_refuses_a_delete_no_cut_record_covers(sessions: sessionmaker[Session]) -> None:
    _records(sessions, [T0, T0 + SECOND, T0 + 2 * SECOND])
    with pytest.raises(DBAPIError, match="append-only"), sessions.begin() as session:
        session.execute(delete(AuditRecord).where(AuditRecord.id == 1))
    with sessions.begin() as session:  # a cut through record 1 lets record 1 go, not record 2
        assert purge_prefix(session, before=T0 + SECOND, now=T0 + 3 * SECOND, actor="kiosk") == 1
    with pytest.raises(DBAPIError, match="append-only"), sessions.begin() as session:
        session.execute(delete(AuditRecord).where(AuditRecord.id == 2))
    assert _count(sessions, AuditRecord) == 3  # 2, 3 and the cut's record


def test_kiosk_audit_verify_passes_after_a_purge(
    sessions: sessionmaker[Session], db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _records(sessions, [jst(2026, 11, 22, 10), jst(2030, 1, 1)])
    assert purge(sessions, now=jst(2037, 1, 1)).audit == 1
    assert main(["audit", "verify", "--db", str(db_path)]) == 0
    assert "OK" in capsys.readouterr().out


def test_a_purge_is_recorded_with_its_counts_only_when_something_went(
    sessions: sessionmaker[Session],
) -> None:
    assert purge(sessions, now=T0).total == 0
    assert _count(sessions, AuditRecord) == 0
    with sessions.begin() as session:
        _message(session, T0, delivered=T0)
    purge(sessions, now=T0 + 30 * DAY)
    with sessions() as session:
        record = session.scalars(select(AuditRecord)).one()
        assert (record.action, record.subject) == ("retention.purged", "store")
        assert '"outbox":1' in record.details


# -- the schedule ---------------------------------------------------------------------------------


@pytest.fixture
def service(sessions: sessionmaker[Session], sealer: Sealer, clock: FakeClock) -> SyncService:
    return SyncService(
        sessions,
        sealer,
        object(),  # type: ignore[arg-type]  (no central: the purge never needs it)
        send=lambda _message: None,  # type: ignore[arg-type,return-value]
        verify_receipt=lambda *_args: None,  # type: ignore[arg-type,return-value]
        open_card=lambda: None,  # type: ignore[arg-type,return-value]
        clock=clock,
        poll_interval=timedelta(milliseconds=10),
    )


def test_the_service_purges_at_start_then_once_a_day(
    service: SyncService, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs: list[datetime] = []
    monkeypatch.setattr(background, "purge_retention", lambda *_a, now, **_k: runs.append(now))
    monkeypatch.setattr(service, "pull_notices", lambda: None)
    monkeypatch.setattr(background, "enqueue_polls", lambda *_a, **_k: [])
    monkeypatch.setattr(service, "_stop", _StopAfter(lambda: bool(runs)))
    service._poll_loop()  # returns once the first purge ran
    assert runs == [clock()]
    clock.advance(3600)
    service._purge_if_due()
    assert len(runs) == 1
    clock.advance(23 * 3600)
    service._purge_if_due()
    assert runs[-1] == clock() and len(runs) == 2


class _StopAfter:
    """Stands in for the poller's stop event: "stopped" as soon as `done()` says so, no sleeping."""

    def __init__(self, done: Callable[[], bool]) -> None:
        self.done = done

    def wait(self, _timeout: float) -> bool:
        return self.done()


def test_a_failing_purge_is_retried_in_an_hour_not_at_every_poll(
    service: SyncService, clock: FakeClock, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[datetime] = []

    def failing(*_args: object, now: datetime, **_kwargs: object) -> None:
        calls.append(now)
        raise RuntimeError("disk full")

    monkeypatch.setattr(background, "purge_retention", failing)
    assert service.purge_records() is None
    service._purge_if_due()
    assert len(calls) == 1 and "retention purge failed" in caplog.text
    clock.advance(3600)
    service._purge_if_due()
    assert len(calls) == 2


def test_the_service_purges_with_its_policy(service: SyncService, sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        _message(session, T0 - 30 * DAY, delivered=T0 - 30 * DAY)
    report = service.purge_records()
    assert report is not None and report.outbox == 1


# -- migration 0005 -------------------------------------------------------------------------------


def test_0005_follows_0004_and_its_downgrade_makes_the_chain_append_only_again(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    revision = ScriptDirectory.from_config(alembic_config()).get_revision("0005")
    assert revision is not None and revision.down_revision == "0004"
    _records(sessions, [T0, T0 + SECOND])
    with engine.connect() as conn, conn.begin():
        command.downgrade(alembic_config(conn), "0004")
    with pytest.raises(DBAPIError, match="append-only"), sessions.begin() as session:
        purge_prefix(session, before=T0 + SECOND, now=T0 + 2 * SECOND, actor="kiosk")
    upgrade(engine)
    with sessions.begin() as session:
        assert purge_prefix(session, before=T0 + SECOND, now=T0 + 2 * SECOND, actor="kiosk") == 1
    with sessions() as session:
        assert verify_chain(session).ok
