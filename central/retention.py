"""Retention of the central's records (RULES.md, Records; docs/central.md §13): how long each kind
of record is kept, counted from which event, and the purge that deletes what is past it.

The table (`RETENTION`) is pure data with its rule; `Period` does the calendar arithmetic; the
purge (`purge`) binds each kind to its table (`KINDS`) and deletes in batches, in an order that
respects the foreign keys. A retention period is a minimum: a row that another kept row still
needs (a certificate its ledger day, an application its certificates) outlives its own period.

Periods are counted as the 民法 counts them, by JST calendar day: the day of the event is not
counted (第140条), a period of years ends on the day before the anniversary of the first counted
day, and when that anniversary does not exist (29 February) at the end of that February
(第143条). So an application received on 1 April 2026 is kept through 1 April 2041 and may go from
2 April; one received on 29 February 2028 is kept through 28 February 2038. 規則 82 counts "from
the day of receipt" (起算して), which ends one day earlier; the later of the two readings is kept.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy import ColumnElement, Table, and_, case, delete, exists, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from central.db import Base
from central.enums import CertKind, IntakeState, ProcedureKind
from central.models import (
    AdminAuthorization,
    Application,
    Certificate,
    IntakeTransaction,
    LedgerEvent,
    PendingIssuance,
    ResetTicket,
    Terminal,
)
from central.service import Central
from central.timeutil import jst_day, start_of_jst_day

log = logging.getLogger(__name__)

_DAY = dt.timedelta(days=1)

# --- the table (pure) ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Whole calendar years or whole days (exactly one of them)."""

    years: int = 0
    days: int = 0

    def __post_init__(self) -> None:
        if (self.years > 0) == (self.days > 0) or self.years < 0 or self.days < 0:
            raise ValueError("a period is a positive number of years or of days, not both")

    def __str__(self) -> str:
        return f"{self.years} years" if self.years else f"{self.days} days"

    def last_day(self, event_day: dt.date) -> dt.date:
        """The last JST day a record whose period starts on `event_day` must still be kept."""
        first = event_day + _DAY  # 民法 140: the day of the event itself is not counted
        if self.days:
            return first + dt.timedelta(days=self.days - 1)
        try:
            return first.replace(year=first.year + self.years) - _DAY
        except ValueError:  # counted from 29 February into a common year: 民法 143 ただし書
            return dt.date(first.year + self.years, 2, 28)

    def through(self, today: dt.date) -> dt.date:
        """The latest event day whose records are past retention on `today` (last_day < today).
        `last_day` never decreases, so the answer is found next to `today` minus the period."""
        guess = _minus_years(today, self.years) - dt.timedelta(days=self.days)
        while self.last_day(guess) >= today:
            guess -= _DAY
        while self.last_day(guess + _DAY) < today:
            guess += _DAY
        return guess


def _minus_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


@dataclass(frozen=True)
class Retention:
    period: Period
    counted_from: str  # the event, and where it is stored
    rule: str  # the citation, and why this event

    def cutoff(self, now: dt.datetime) -> dt.datetime:
        """A record whose event is before this instant is past retention at `now`: 00:00 JST of
        the day after the last event day that is."""
        return start_of_jst_day(self.period.through(jst_day(now)) + _DAY)

    def expired(self, event: dt.datetime, now: dt.datetime) -> bool:
        return event < self.cutoff(now)


TEN_YEARS: Final = Period(years=10)
FIFTEEN_YEARS: Final = Period(years=15)
_RECEIVED: Final = "application.received_at: the day 機構 received it (受理した日)"
_YOUKOU_7_2: Final = "要綱 7-2 (受理した日から10年)"

# Applications by procedure. The forms 要綱 7 names: 7-1 the issuance form (第2条第1項 様式第1号
# 新規発行／更新申請書; 第2条の2 for emigrants) 15 years; 7-2 the revocation / key-compromise form
# (第3条第1項 様式第3号, 第3条の2), the emigrants' PIN form (第4条の2), the disclosure and correction
# requests (第6条第1項 様式第7号・第8号, 第6条の2) 10 years. Counted from receipt as 要綱 7 says;
# our receipt is the central's `received_at`, which is on or after the counter's and set by the
# central's clock, not a terminal's.
APPLICATION_RETENTION: Final[Mapping[ProcedureKind, Retention]] = {
    ProcedureKind.NEW_ISSUANCE: Retention(FIFTEEN_YEARS, _RECEIVED, "要綱 7-1 (第2条第1項, 様式第1号)"),
    ProcedureKind.RENEWAL: Retention(
        FIFTEEN_YEARS, _RECEIVED, "要綱 7-1 (第2条第1項, 様式第1号: 新規発行／更新)"
    ),
    ProcedureKind.REVOCATION: Retention(TEN_YEARS, _RECEIVED, f"{_YOUKOU_7_2}: 第3条第1項, 様式第3号"),
    ProcedureKind.KEY_COMPROMISE: Retention(
        TEN_YEARS, _RECEIVED, f"{_YOUKOU_7_2}: 第3条第1項, 様式第3号 (秘密鍵漏えい等届出)"
    ),
    # The residents' PIN form is the card rules' 様式第4号 (要綱 4), outside 要綱 7's list; 要綱 7-2
    # keeps the emigrants' PIN form (第4条の2) 10 years, RULES.md the PIN forms, 規則 82 any record.
    ProcedureKind.PIN_RESET: Retention(TEN_YEARS, _RECEIVED, f"{_YOUKOU_7_2}: 第4条の2; 規則 82"),
    # 暗証番号の設定を希望しない旨の申請書 (要綱 4条の3, the card rules' 様式第10号): a PIN form,
    # not in 要綱 7's list either; kept as the PIN forms, and never under 規則 82's 10 years.
    ProcedureKind.FACE_AUTH_SWITCH: Retention(TEN_YEARS, _RECEIVED, "要綱 4条の3 (a PIN form); 規則 82"),
    # A found card's release is a revocation of the held certificates made "by the method of
    # 第3条" (要綱 5-2; 要領 第4-3: 失効申請に基づいて), so its form is the revocation form.
    ProcedureKind.SUSPENSION_RELEASE: Retention(
        TEN_YEARS, _RECEIVED, f"{_YOUKOU_7_2} via 要綱 5-2 (第3条の方法で失効)"
    ),
    ProcedureKind.DISCLOSURE: Retention(TEN_YEARS, _RECEIVED, f"{_YOUKOU_7_2}: 第6条第1項, 様式第7号・第8号"),
}


def application_kind(procedure: ProcedureKind) -> str:
    return f"application.{procedure.value}"


_KISOKU_82: Final = "規則 82 (電磁的記録: 受理し、又は作成した日から起算して十年)"

RETENTION: Final[Mapping[str, Retention]] = {
    **{application_kind(p): r for p, r in APPLICATION_RETENTION.items()},
    # The operation record of the card-administration unlocks (規則 73-3), refusals included.
    "admin_authorization": Retention(
        TEN_YEARS,
        "admin_authorization.requested_at: when the record was made",
        f"{_KISOKU_82}; kept while its application is (the single-use check reads the grants)",
    ),
    # The issuance record and the revocation information. Counted from when the certificate
    # stopped being valid (the later of not_after and revoked_at), not from its issue: until then
    # relying parties may ask about it, and a 10-year 利用者証明用 certificate would otherwise be
    # purgeable on its last day.
    "certificate": Retention(
        TEN_YEARS,
        "the later of certificate.not_after and revoked_at: when it stopped being valid",
        f"{_KISOKU_82}; never while on a CRL (RFC 5280 §3.3) or referenced",
    ),
    # The 交付記録簿's inputs. A day's ledger goes whole, so a reprint never shows a partial day:
    # counted from the last event booked on that (municipality, day).
    "ledger_event": Retention(
        TEN_YEARS,
        "the latest ledger_event.occurred_at of its (municipality, ledger_day)",
        f"要領 第4-4-(1)-コ (交付記録簿 is kept); {_KISOKU_82}",
    ),
    # Not a record of its own: the idempotency memory of a CMP transaction (SYNC.md §4). What it
    # decided is recorded elsewhere (application, certificate, authorisation, CRL). It must
    # outlive any message that can still arrive for it: a duplicate of the opening request is
    # refused as badTime after cmp_intake.MAX_MESSAGE_AGE (30 days) anyway, and a certConf is
    # pointless once the confirmation sweep destroyed the certificate (maintenance
    # DEFAULT_CONFIRM_WAIT, 45 days). 90 days covers both with room, as the notices' prune does.
    "intake_transaction": Retention(
        Period(days=90),
        "intake_transaction.answered_at: its final answer (an unanswered one is never purged)",
        "technical (SYNC.md §4): ≥ cmp_intake.MAX_MESSAGE_AGE and ≥ the confirmation wait",
    ),
    # An unattended PIN-reset attempt (docs/unattended.md): the record of why, granted or refused.
    # A PIN form's record (要綱 7-2 keeps the PIN forms 10 years; 規則 82 any electronic record).
    "reset_ticket": Retention(
        TEN_YEARS,
        "reset_ticket.requested_at: when the terminal asked for the ticket",
        f"{_YOUKOU_7_2} (PIN forms); {_KISOKU_82}",
    ),
}
# Deleted with the intake transaction it belongs to (its foreign key), once decided.
CHILD_KINDS: Final = ("pending_issuance",)


# --- the purge -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PurgeContext:
    now: dt.datetime
    cutoff: dt.datetime  # of the kind being purged
    crl_validity: dt.timedelta


Column = InstrumentedAttribute[Any]
Reference = tuple[Column, Column]  # (the referencing column, our column it names)


@dataclass(frozen=True)
class RecordKind:
    """How one kind of `RETENTION` is found and deleted.

    A row is purged when its `event` is before the kind's cutoff, `conditions` hold, and nothing
    still refers to it: no row of another table has a foreign key to it (found in the models'
    metadata, so a new table that points here keeps these rows without anyone remembering to say
    so) and no row names it in a column of `referenced_by` (references without a foreign key).
    `children` (rows that point to it and go with it) are deleted first.

    To add a kind: its `Retention` in `RETENTION`, and a `RecordKind` in `KINDS` before every
    kind its foreign keys point to (tests/central/test_central_retention.py checks the order).
    """

    name: str
    key: Column  # the primary key: batches walk it in order
    event: ColumnElement[dt.datetime]  # when the period starts (UTC)
    conditions: Callable[[PurgeContext], Sequence[ColumnElement[bool]]] = lambda _ctx: ()
    referenced_by: tuple[Reference, ...] = ()
    children: tuple[tuple[str, Column], ...] = ()  # (report name, its foreign key to `key`)

    @property
    def retention(self) -> Retention:
        return RETENTION[self.name]

    @property
    def table(self) -> Table:
        return self.key.class_.__table__  # type: ignore[no-any-return]

    def foreign_references(self) -> list[tuple[ColumnElement[Any], ColumnElement[Any]]]:
        """(their column, our column) of every foreign key into this kind's table, children and
        self-references aside."""
        children = {foreign_key.class_.__table__ for _name, foreign_key in self.children}
        return [
            (fk.parent, fk.column)
            for other in Base.metadata.tables.values()
            if other is not self.table and other not in children
            for fk in other.foreign_keys
            if fk.column.table is self.table
        ]

    def predicates(self, ctx: PurgeContext) -> list[ColumnElement[bool]]:
        references = [*self.foreign_references(), *self.referenced_by]
        kept_while = [~exists().where(theirs == ours) for theirs, ours in references]
        return [self.event < ctx.cutoff, *self.conditions(ctx), *kept_while]


def _application(procedure: ProcedureKind) -> RecordKind:
    # Its certificates and ledger events keep it through their foreign keys (found, not listed).
    return RecordKind(
        application_kind(procedure),
        Application.id,
        Application.received_at,
        lambda _ctx: (Application.kind == procedure,),
    )


def _ledger_day_closed(ctx: PurgeContext) -> tuple[ColumnElement[bool], ...]:
    later = aliased(LedgerEvent)
    return (
        ~exists().where(
            later.municipality_code == LedgerEvent.municipality_code,
            later.ledger_day == LedgerEvent.ledger_day,
            later.occurred_at >= ctx.cutoff,
        ),
    )


def _certificate_conditions(ctx: PurgeContext) -> tuple[ColumnElement[bool], ...]:
    # Needed without a foreign key, by terminal certificates only (so a card certificate is never
    # looked up in the application table): a stored application is verified against the terminal
    # certificate that signed it (applications.open_stored), and a terminal's current certificate
    # authenticates it. A terminal certificate therefore goes at the earliest on the pass after
    # the last application it signed.
    signer = exists().where(Application.signer_serial == Certificate.serial)
    current = exists().where(Terminal.certificate_serial == Certificate.serial)
    return (
        # crl.regenerate lists a revoked or held certificate until one CRL period after expiry.
        Certificate.not_after < ctx.now - ctx.crl_validity,
        or_(Certificate.kind != CertKind.TERMINAL, and_(~signer, ~current)),
    )


def _answered(_ctx: PurgeContext) -> tuple[ColumnElement[bool], ...]:
    undecided = exists().where(
        PendingIssuance.intake_id == IntakeTransaction.id, PendingIssuance.decided_at.is_(None)
    )
    return (IntakeTransaction.state == IntakeState.ANSWERED, ~undecided)


_VALIDITY_END: Final = case(
    (Certificate.revoked_at > Certificate.not_after, Certificate.revoked_at), else_=Certificate.not_after
)

# In deletion order: a kind comes before every kind it references.
KINDS: Final[tuple[RecordKind, ...]] = (
    RecordKind("ledger_event", LedgerEvent.id, LedgerEvent.occurred_at, _ledger_day_closed),
    # Before the applications it names and the certificates whose key proved it.
    RecordKind("reset_ticket", ResetTicket.id, ResetTicket.requested_at),
    RecordKind(
        "certificate",
        Certificate.serial,
        _VALIDITY_END,
        _certificate_conditions,  # and its ledger events' foreign key
        # A reset ticket names the certificate whose key proved the attempt (no foreign key).
        referenced_by=((ResetTicket.proof_serial, Certificate.serial),),
    ),
    *(_application(p) for p in ProcedureKind),
    RecordKind(
        "admin_authorization",
        AdminAuthorization.id,
        AdminAuthorization.requested_at,
        # While the application exists its grants are what makes them single-use.
        referenced_by=((Application.id, AdminAuthorization.application_id),),
    ),
    RecordKind(
        "intake_transaction",
        IntakeTransaction.id,
        IntakeTransaction.answered_at,
        _answered,
        children=(("pending_issuance", PendingIssuance.intake_id),),
    ),
)

DEFAULT_BATCH: Final = 1000
_CHILD_MODELS: Final = {"pending_issuance": PendingIssuance}


@dataclass(frozen=True)
class PurgeReport:
    counts: Mapping[str, int]  # kind (and child kind) → rows deleted, or that would be
    dry_run: bool = False
    batches: int = 0  # delete statements on the kinds' tables (transactions, unless a dry run)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class _Tally:
    counts: dict[str, int] = field(default_factory=dict)
    batches: int = 0


def _purge_batch(
    session: Session, kind: RecordKind, ctx: PurgeContext, *, after: object | None, limit: int, tally: _Tally
) -> object | None:
    """Delete up to `limit` rows of `kind` after key `after`; the last key looked at, or None
    when there were none. The conditions are evaluated again in the DELETE itself, so a row that
    became needed since the SELECT (another writer) stays; the foreign keys are the last word."""
    predicates = kind.predicates(ctx)
    query = select(kind.key).where(*predicates).order_by(kind.key).limit(limit)
    if after is not None:
        query = query.where(kind.key > after)
    keys = list(session.scalars(query))
    if not keys:
        return None
    for name, foreign_key in kind.children:
        result = session.execute(
            delete(_CHILD_MODELS[name])
            .where(foreign_key.in_(keys))
            .execution_options(synchronize_session=False)
        )
        tally.counts[name] = tally.counts.get(name, 0) + int(result.rowcount or 0)  # type: ignore[attr-defined]
    table = kind.key.class_
    result = session.execute(
        delete(table)
        .where(and_(kind.key.in_(keys), *predicates))
        .execution_options(synchronize_session=False)
    )
    tally.counts[kind.name] = tally.counts.get(kind.name, 0) + int(result.rowcount or 0)  # type: ignore[attr-defined]
    tally.batches += 1
    return keys[-1]


def purge(
    central: Central,
    now: dt.datetime,
    *,
    batch_size: int = DEFAULT_BATCH,
    dry_run: bool = False,
    kinds: Sequence[RecordKind] = KINDS,
) -> PurgeReport:
    """Delete every record past its retention at `now`, kind by kind in `KINDS` order, each
    batch in its own transaction (short locks; an interrupted purge keeps what it did). Batches
    walk the primary key, so one pass reads each candidate once however many batches it takes.

    `dry_run`: the same deletions in one transaction that is rolled back, so the counts are
    exact, including rows that only become deletable once an earlier kind's rows are gone."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    crl_validity = central.authority.settings.crl_validity
    tally = _Tally(counts=dict.fromkeys([*(k.name for k in kinds), *CHILD_KINDS], 0))
    with _sessions(central, dry_run) as session_for:
        for kind in kinds:
            ctx = PurgeContext(now, kind.retention.cutoff(now), crl_validity)
            after: object | None = None
            while True:
                with session_for() as session:
                    after = _purge_batch(session, kind, ctx, after=after, limit=batch_size, tally=tally)
                if after is None:
                    break
    report = PurgeReport(tally.counts, dry_run, tally.batches)
    purged = {name: n for name, n in report.counts.items() if n}
    log.info(
        "retention%s: %d record(s) %s%s",
        " (dry run)" if dry_run else "",
        report.total,
        "past retention" if dry_run else "purged",
        f" {purged}" if purged else "",
    )
    return report


@contextmanager
def _sessions(central: Central, dry_run: bool) -> Iterator[Callable[[], Any]]:
    """Session per batch (committed) — or, for a dry run, one session whose transaction is
    rolled back at the end, handed to every batch."""
    if not dry_run:
        yield central.transaction
        return
    session = Session(central.engine)
    transaction = session.begin()
    try:

        @contextmanager
        def same() -> Iterator[Session]:
            yield session

        yield same
    finally:
        transaction.rollback()
        session.close()
