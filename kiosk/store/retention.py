"""What the kiosk keeps, and for how long (docs/store-and-sync.md, "Retention").

The kiosk is not where records are retained: 機構 keeps the applications (10 or 15 years, 要綱 7),
the certificates and the 交付記録簿 (central.retention). The kiosk keeps what it still has to
deliver or act on, then purges — once the central has confirmed it, and after a grace:

- outbox message, from `delivered_at`: delivered (SENT or FAILED: the central's signed
  receipt), the grace over, no journal entry names it, and sent before every unfinished issuance
  began (a pollReq follows up on the last receipt of its transaction);
- inbox notice, from `applied_at`: applied, the grace over, and received before every unfinished
  issuance began (a deferred decision is read again for the certConf);
- personal data — an application's sealed payload, an issuance's sealed certificate — from
  `updated_at`: the record is final and settled (below), and the grace over;
- the rows left (journal entries, applications: ids, kinds, steps, fees, times), from the JST day
  of `created_at`: final, personal data gone, settled, and their day's 交付記録簿 no longer
  printable here (`RetentionPolicy.ledger_days`);
- audit records, from `at`: ten calendar years (規則 82), a prefix only, cut with a record in the
  chain that vouches for the cut, so `kiosk audit verify` still verifies what is kept.

"Settled": every message the record caused has been delivered. The relay sends in `seq` order
and a pending message holds back every later one, so everything created before the oldest
pending message has been delivered; a record whose last change is before that (less a margin
for the clock) caused no message still pending. Nothing pending, unfinished or unapplied is
ever purged; the outbox's own trigger refuses to delete a pending message besides.

Each kind is purged in batches, each batch its own transaction, so the counter never waits long
for the write lock. The audit chain's prefix is cut in one transaction with the record that
vouches for it (kiosk.store.audit.purge_prefix).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any, Final

from sqlalchemy import ColumnElement, delete, exists, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from kiosk.store.audit import append_audit, purge_prefix
from kiosk.store.models import (
    Application,
    ApplicationState,
    InboxMessage,
    IssuanceJournal,
    IssuanceStep,
    OutboxMessage,
    OutboxState,
)

log = logging.getLogger(__name__)

JST: Final = timezone(timedelta(hours=9), "JST")
# A sealed value is never empty: the empty value marks personal data purged (the columns are NOT
# NULL or mean "not yet" when NULL, so neither can say "gone").
PURGED: Final = b""
# The steps an issuance never leaves (kiosk.sync.journal.FINAL_STEPS, which the store may not
# import: tests/store/test_kiosk_retention.py checks they agree).
FINAL_STEPS: Final = frozenset(
    {
        IssuanceStep.CONFIRMED,
        IssuanceStep.ABANDONED,
        IssuanceStep.REVOKED_AS_DESTROYED,
        IssuanceStep.HANDED_OVER,
    }
)
# Between a record's last change and the messages that change enqueued: they share a
# transaction, so milliseconds; a day covers a clock stepped back by NTP as well.
CLOCK_MARGIN: Final = timedelta(days=1)
RULE_AUDIT: Final = "規則 82 (電磁的記録: 作成した日から起算して十年); 規則 73-3"
ACTOR: Final = "kiosk"


@dataclass(frozen=True)
class RetentionPolicy:
    """The kiosk's retention settings, one place for the config file to set them; the defaults
    are the documented policy (docs/store-and-sync.md, "Retention")."""

    # Receipts are read right after delivery by the visit that sent the message (the application's
    # answer, a release's revocations); a week leaves room to look into a failure after a holiday.
    delivered_messages: timedelta = timedelta(days=7)
    applied_notices: timedelta = timedelta(days=7)
    # The resident's data sealed here (a copy of what went to 機構; a signing certificate names
    # its holder): shown once more right after installation, then not needed.
    personal_data: timedelta = timedelta(days=7)
    # A day's 交付記録簿 stays printable here this many days after the day: 425 days would be the
    # longest any day of a fiscal year (April–March) waits for that year's books to close on 31 May
    # of the next (地方自治法 208, 235条の5). 機構's ledger keeps every day for 10 years.
    ledger_days: int = 430
    # The operation record (規則 73-3): only this kiosk has it, so it is kept as long as 規則 82
    # keeps electronic records; never less.
    audit_years: int = 10
    # How often SyncService purges (and once at its start).
    interval: timedelta = timedelta(days=1)
    batch_size: int = 500

    def __post_init__(self) -> None:
        for grace in (self.delivered_messages, self.applied_notices, self.personal_data):
            if grace < timedelta(days=1):
                raise ValueError("a grace is at least a day: flows read what they just sent or received")
        if self.audit_years < 10:
            raise ValueError(f"audit records are kept at least 10 years ({RULE_AUDIT})")
        if self.ledger_days < 1 or self.batch_size < 1 or self.interval <= timedelta(0):
            raise ValueError("ledger_days, batch_size and interval are positive")


DEFAULT_RETENTION: Final = RetentionPolicy()


# --- periods (pure) ------------------------------------------------------------------------------


def jst_day(at: datetime) -> date:
    return at.astimezone(JST).date()


def start_of_jst_day(day: date) -> datetime:
    return datetime.combine(day, time(0), JST).astimezone(UTC)


def last_day_kept(made: date, years: int) -> date:
    """The last JST day a record made on `made` is kept for `years` calendar years: the day of
    making is not counted (民法 140); the period ends the day before the anniversary of the first
    counted day, or at the end of February when that is 29 February (民法 143)."""
    first = made + timedelta(days=1)
    try:
        return first.replace(year=first.year + years) - timedelta(days=1)
    except ValueError:
        return date(first.year + years, 2, 28)


def years_cutoff(now: datetime, years: int) -> datetime:
    """Records made before this instant are past `years` at `now` (last_day_kept < today)."""
    today = jst_day(now)
    try:
        made = today.replace(year=today.year - years)
    except ValueError:
        made = today.replace(year=today.year - years, day=28)
    while last_day_kept(made, years) >= today:
        made -= timedelta(days=1)
    while last_day_kept(made + timedelta(days=1), years) < today:
        made += timedelta(days=1)
    return start_of_jst_day(made + timedelta(days=1))


def ledger_cutoff(now: datetime, ledger_days: int) -> datetime:
    """Rows created before this instant belong to days whose ledger is no longer printable: day D
    stays printable through D + ledger_days."""
    return start_of_jst_day(jst_day(now) - timedelta(days=ledger_days))


# --- the purge -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RetentionReport:
    outbox: int = 0
    inbox: int = 0
    application_payloads: int = 0  # sealed payloads emptied
    journal_certificates: int = 0  # sealed certificates removed
    journal: int = 0
    applications: int = 0
    audit: int = 0  # records cut off the front of the chain

    @property
    def total(self) -> int:
        return sum(self.counts().values())

    def counts(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class _Context:
    now: datetime
    policy: RetentionPolicy
    settled_before: datetime | None  # None: nothing pending, everything settled
    unfinished_since: datetime | None  # created_at of the oldest unfinished issuance

    def settled(self, column: Any) -> list[ColumnElement[bool]]:
        return [] if self.settled_before is None else [column < self.settled_before]

    def before_unfinished(self, column: Any) -> list[ColumnElement[bool]]:
        return [] if self.unfinished_since is None else [column < self.unfinished_since]


def _context(session: Session, now: datetime, policy: RetentionPolicy) -> _Context:
    oldest_pending = session.scalar(
        select(func.min(OutboxMessage.created_at)).where(OutboxMessage.state == OutboxState.PENDING)
    )
    unfinished = session.scalar(
        select(func.min(IssuanceJournal.created_at)).where(IssuanceJournal.step.not_in(FINAL_STEPS))
    )
    settled = oldest_pending - CLOCK_MARGIN if oldest_pending is not None else None
    return _Context(now, policy, settled, unfinished)


def _pending_message(msg_id: Any) -> ColumnElement[bool]:
    return exists().where(OutboxMessage.msg_id == msg_id, OutboxMessage.state == OutboxState.PENDING)


def _named_by_journal() -> ColumnElement[bool]:
    return exists().where(
        or_(
            IssuanceJournal.request_msg_id == OutboxMessage.msg_id,
            IssuanceJournal.closing_msg_id == OutboxMessage.msg_id,
        )
    )


def _outbox(ctx: _Context) -> list[ColumnElement[bool]]:
    return [
        OutboxMessage.state != OutboxState.PENDING,
        OutboxMessage.delivered_at.is_not(None),
        OutboxMessage.delivered_at < ctx.now - ctx.policy.delivered_messages,
        ~_named_by_journal(),
        *ctx.before_unfinished(OutboxMessage.created_at),
    ]


def _inbox(ctx: _Context) -> list[ColumnElement[bool]]:
    return [
        InboxMessage.applied_at.is_not(None),
        InboxMessage.applied_at < ctx.now - ctx.policy.applied_notices,
        *ctx.before_unfinished(InboxMessage.received_at),
    ]


def _journal_done(ctx: _Context) -> list[ColumnElement[bool]]:
    """A final entry whose messages are all delivered: the two it names, checked exactly (no
    clock involved), and its pollReqs, which only the watermark can vouch for."""
    return [
        IssuanceJournal.step.in_(FINAL_STEPS),
        ~_pending_message(IssuanceJournal.request_msg_id),
        ~_pending_message(IssuanceJournal.closing_msg_id),
        *ctx.settled(IssuanceJournal.updated_at),
    ]


def _journal_certificates(ctx: _Context) -> list[ColumnElement[bool]]:
    return [
        *_journal_done(ctx),
        IssuanceJournal.sealed_certificate.is_not(None),
        IssuanceJournal.updated_at < ctx.now - ctx.policy.personal_data,
    ]


def _journal_rows(ctx: _Context) -> list[ColumnElement[bool]]:
    return [
        *_journal_done(ctx),
        IssuanceJournal.sealed_certificate.is_(None),
        IssuanceJournal.created_at < ledger_cutoff(ctx.now, ctx.policy.ledger_days),
    ]


def _application_payloads(ctx: _Context) -> list[ColumnElement[bool]]:
    unfinished = exists().where(
        IssuanceJournal.application_id == Application.id, IssuanceJournal.step.not_in(FINAL_STEPS)
    )
    return [
        Application.state != ApplicationState.OPEN,  # still being taken at the counter
        Application.sealed_payload != PURGED,
        Application.updated_at < ctx.now - ctx.policy.personal_data,
        # Its genm went into the outbox in the transaction that made it
        # (kiosk.flows.counter.applications.file); its last change is later still.
        *ctx.settled(Application.updated_at),
        ~unfinished,
    ]


def _application_rows(ctx: _Context) -> list[ColumnElement[bool]]:
    return [
        Application.sealed_payload == PURGED,
        Application.created_at < ledger_cutoff(ctx.now, ctx.policy.ledger_days),
        ~exists().where(IssuanceJournal.application_id == Application.id),  # its foreign key
    ]


@dataclass(frozen=True)
class _Step:
    name: str  # RetentionReport field
    key: Any  # primary key, walked in order
    where: Callable[[_Context], list[ColumnElement[bool]]]
    values: Mapping[str, object] | None = None  # None: delete the rows; else: set these columns


# In this order: personal data first; rows once nothing points at them (journal before the
# application it names); messages once no journal entry names them.
_STEPS: Final = (
    _Step("application_payloads", Application.id, _application_payloads, {"sealed_payload": PURGED}),
    _Step("journal_certificates", IssuanceJournal.id, _journal_certificates, {"sealed_certificate": None}),
    _Step("journal", IssuanceJournal.id, _journal_rows),
    _Step("applications", Application.id, _application_rows),
    _Step("outbox", OutboxMessage.seq, _outbox),
    _Step("inbox", InboxMessage.id, _inbox),
)


def _run_step(sessions: sessionmaker[Session], step: _Step, now: datetime, policy: RetentionPolicy) -> int:
    done = 0
    after: Any = None
    while True:
        with sessions.begin() as session:
            # Evaluated per batch: a message delivered or an issuance finished meanwhile counts.
            ctx = _context(session, now, policy)
            where = step.where(ctx)
            query = select(step.key).where(*where).order_by(step.key).limit(policy.batch_size)
            if after is not None:
                query = query.where(step.key > after)
            keys = list(session.scalars(query))
            if not keys:
                return done
            model = step.key.class_
            statement = (delete(model) if step.values is None else update(model).values(**step.values)).where(
                step.key.in_(keys), *where
            )
            result = session.execute(statement.execution_options(synchronize_session=False))
            done += int(result.rowcount or 0)  # type: ignore[attr-defined]
            after = keys[-1]


def purge(
    sessions: sessionmaker[Session],
    *,
    now: datetime,
    policy: RetentionPolicy = DEFAULT_RETENTION,
    actor: str = ACTOR,
) -> RetentionReport:
    """One retention pass. What was purged is recorded in the audit chain (counts only,
    `retention.purged`); the chain's own prefix past `policy.audit_years` is cut with the record
    that vouches for it (`audit.purged`)."""
    counts = {step.name: _run_step(sessions, step, now, policy) for step in _STEPS}
    with sessions.begin() as session:
        if any(counts.values()):
            append_audit(
                session, actor=actor, action="retention.purged", subject="store", details=counts, now=now
            )
        cut = purge_prefix(session, before=years_cutoff(now, policy.audit_years), now=now, actor=actor)
    report = RetentionReport(**counts, audit=cut)
    if report.total:
        log.info("retention: purged %s", ", ".join(f"{n} {k}" for k, n in report.counts().items() if n))
    else:
        log.info("retention: nothing to purge")
    return report
