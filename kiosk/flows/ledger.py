"""The terminal's 交付記録簿 (issuance ledger) for one JST day, per certificate kind, from the issuance
journal (要領 第2-1-(1)-ケ; RULES.md, Records), and its CSV for the office.

Every certificate is booked on the JST day its request was made at this terminal, and each later
event of it (answer, card write, 破棄) lands on that same row, as the central books its ledger on
the issuance day: so (ウ) never exceeds (イ), a day's row does not move when the resident comes back
tomorrow, and a kiosk row can be put beside the central's (`central ledger`). The two days differ
only for a request answered after midnight (a deferred issuance, a kiosk offline overnight).

Each journal entry is counted by the step it stands at now, which partitions the day's requests:

| Field | CSV column | 要領 ケ | Journal steps |
|---|---|---|---|
| `requests` | 発行要求件数 | | every request made that day (queued or sent) |
| `requests_answered` | 発行のための通信件数 | (イ) | a certificate came: not REQUESTED, ABANDONED |
| `installed` | 交付件数 | (ウ) | CONFIRMED: written, read back (or checked by the card), certConf queued |
| `paid` / `free` | 有償 / 無償 | (エ) / (オ) | `installed` by the fee recorded with the request |
| `fee_yen` | 手数料（円） | | the yen of the paid ones: what is owed to 機構 for (エ) |
| `destroyed` | 破棄件数 | (カ) | REVOKED_AS_DESTROYED: issued, never installed, revoked |
| `awaiting_answer` | 応答待ち | | REQUESTED |
| `awaiting_card` | 書込み待ち | | CERTIFICATE_RECEIVED, WRITTEN_TO_CARD, READ_BACK |
| `not_issued` | 発行されず | | ABANDONED: refused, or given up before any certificate |
| `handed_over` | 他端末へ引継ぎ | | HANDED_OVER: the card came back to another terminal, which installs it |
| `taken_over` | 他端末から引継ぎ | | another terminal's certificate handed over here (any step) |
| `taken_over_installed` | うち交付 | | of those, CONFIRMED here |

So `requests = requests_answered + awaiting_answer + not_issued`, `requests_answered = installed +
destroyed + awaiting_card + handed_over` and `installed = paid + free`. A certificate taken over
from another terminal (kiosk.flows.handover) was requested, and its fee booked, there: here it
counts only in the last two columns, on the day it was taken over; the central's ledger counts it
once, as the municipality's. 職権失効 of an installed certificate is
a revocation application, not a journal step: the central's ledger counts it, this one does not.

Pure queries: nothing here writes, and the journal's sealed certificates are never opened.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kiosk.store.audit import GENESIS
from kiosk.store.models import AuditRecord, CertificateKind, Fee, IssuanceJournal, IssuanceStep

JST: Final = timezone(timedelta(hours=9), "JST")

# The ledger's row order and the names the office reads.
KINDS: Final = (CertificateKind.SIGN, CertificateKind.AUTH)
KIND_NAMES: Final = {
    CertificateKind.SIGN: "署名用電子証明書",
    CertificateKind.AUTH: "利用者証明用電子証明書",
}
# LedgerRow's counts with the office's names for them, in the ledger's column order.
FIELDS: Final = (
    ("requests", "発行要求件数"),
    ("requests_answered", "発行のための通信件数"),
    ("installed", "交付件数"),
    ("paid", "有償"),
    ("free", "無償"),
    ("fee_yen", "手数料（円）"),
    ("destroyed", "破棄件数"),
    ("awaiting_answer", "応答待ち"),
    ("awaiting_card", "書込み待ち"),
    ("not_issued", "発行されず"),
    ("handed_over", "他端末へ引継ぎ"),
    ("taken_over", "他端末から引継ぎ"),
    ("taken_over_installed", "うち交付"),
)
CSV_HEADER: Final = ("日付", "証明書の種類", *(label for _field, label in FIELDS))
# Excel opens a CSV as UTF-8 only when it starts with a byte order mark; without it, Japanese
# Windows reads Shift_JIS and the labels come out garbled.
BOM: Final = "\ufeff"

_AWAITING_CARD: Final = frozenset(
    {IssuanceStep.CERTIFICATE_RECEIVED, IssuanceStep.WRITTEN_TO_CARD, IssuanceStep.READ_BACK}
)


def jst_day(at: datetime) -> date:
    """The JST calendar day of an aware time."""
    if at.tzinfo is None:
        raise ValueError("naive datetime: pass an aware datetime")
    return at.astimezone(JST).date()


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """[start, end) of a JST day, in UTC as the store keeps times."""
    start = datetime.combine(day, time(0), JST).astimezone(UTC)
    return start, start + timedelta(days=1)


@dataclass(frozen=True)
class LedgerRow:
    """One certificate kind's line of the day (see the module's table)."""

    cert_kind: CertificateKind
    requests: int = 0
    requests_answered: int = 0
    installed: int = 0
    paid: int = 0
    free: int = 0
    fee_yen: int = 0
    destroyed: int = 0
    awaiting_answer: int = 0
    awaiting_card: int = 0
    not_issued: int = 0
    handed_over: int = 0
    taken_over: int = 0
    taken_over_installed: int = 0


@dataclass(frozen=True)
class Ledger:
    day: date  # the JST day the requests were made
    rows: tuple[LedgerRow, ...]  # one per kind, in KINDS order, zeros included

    def row(self, kind: CertificateKind) -> LedgerRow:
        return next(r for r in self.rows if r.cert_kind is kind)


@dataclass(frozen=True)
class StepCount:
    """How many of the day's entries of one kind stand at one step with one fee, and their yen."""

    cert_kind: CertificateKind
    step: IssuanceStep
    fee: Fee
    count: int
    yen: int
    taken_over: bool = False  # another terminal's certificate, handed over to this one


_ANSWERED: Final = ("requests", "requests_answered")
# step → the fields an entry of this terminal's own request counts in (CONFIRMED adds its fee's)
_OWN: Final = {
    IssuanceStep.REQUESTED: ("requests", "awaiting_answer"),
    IssuanceStep.ABANDONED: ("requests", "not_issued"),
    IssuanceStep.CONFIRMED: (*_ANSWERED, "installed"),
    IssuanceStep.REVOKED_AS_DESTROYED: (*_ANSWERED, "destroyed"),
    IssuanceStep.HANDED_OVER: (*_ANSWERED, "handed_over"),
    **dict.fromkeys(_AWAITING_CARD, (*_ANSWERED, "awaiting_card")),
}


def columns(step: IssuanceStep, fee: Fee, *, taken_over: bool = False) -> tuple[str, ...]:
    """The LedgerRow fields one entry at `step` with `fee` counts in (the module's table)."""
    if taken_over:
        return ("taken_over", "taken_over_installed") if step is IssuanceStep.CONFIRMED else ("taken_over",)
    if step not in _OWN:
        raise ValueError(f"no ledger column for step {step!r}")
    if step is IssuanceStep.CONFIRMED:
        return (*_OWN[step], "paid" if fee is Fee.PAID else "free")
    return _OWN[step]


def tally(day: date, counts: Iterable[StepCount]) -> Ledger:
    """The ledger from the day's entries grouped by kind, step and fee (pure)."""
    totals: dict[CertificateKind, Counter[str]] = {kind: Counter() for kind in KINDS}
    for c in counts:
        if c.count < 0 or c.yen < 0:
            raise ValueError("counts and amounts are never negative")
        fields = columns(c.step, c.fee, taken_over=c.taken_over)
        totals[c.cert_kind].update(dict.fromkeys(fields, c.count))
        if "paid" in fields:  # the yen owed to 機構 is for certificates handed over
            totals[c.cert_kind]["fee_yen"] += c.yen
    return Ledger(day, tuple(LedgerRow(kind, **totals[kind]) for kind in KINDS))


def daily_ledger(session: Session, day: date) -> Ledger:
    """The ledger of the requests made on JST `day`, in one query (the caller's session)."""
    start, end = day_bounds(day)
    rows = session.execute(
        select(
            IssuanceJournal.cert_kind,
            IssuanceJournal.step,
            IssuanceJournal.fee,
            IssuanceJournal.taken_over.is_not(None),
            func.count(),
            func.coalesce(func.sum(IssuanceJournal.fee_yen), 0),
        )
        .where(IssuanceJournal.created_at >= start, IssuanceJournal.created_at < end)
        .group_by(
            IssuanceJournal.cert_kind,
            IssuanceJournal.step,
            IssuanceJournal.fee,
            IssuanceJournal.taken_over.is_not(None),
        )
    )
    return tally(
        day,
        (
            StepCount(CertificateKind(kind), IssuanceStep(step), Fee(fee), int(n), int(yen), bool(taken))
            for kind, step, fee, taken, n, yen in rows
        ),
    )


@dataclass(frozen=True)
class AuditAnchor:
    """The operation record's length and head hash, printed or exported with a ledger: given later
    to `kiosk audit verify --anchor`, it shows that no record was cut off the end since."""

    records: int
    head: bytes  # GENESIS (32 zero bytes) while the chain is empty


def audit_anchor(session: Session) -> AuditAnchor:
    """The chain's count and head in one statement, so both come from the same snapshot even
    while the kiosk appends."""
    last = select(AuditRecord.hash).order_by(AuditRecord.id.desc()).limit(1).scalar_subquery()
    count, head = session.execute(select(func.count(AuditRecord.id), last)).one()
    return AuditAnchor(int(count), head or GENESIS)


def csv_values(ledger: Ledger, row: LedgerRow) -> tuple[str | int, ...]:
    """One CSV line's values, in CSV_HEADER order."""
    return (ledger.day.isoformat(), KIND_NAMES[row.cert_kind], *(getattr(row, f) for f, _label in FIELDS))


def format_ledger(ledger: Ledger) -> str:
    """The ledger as text to print: each kind's counts under the office's names."""
    lines = [f"交付記録簿 {ledger.day.isoformat()} (JST)"]
    for row in ledger.rows:
        lines.append(KIND_NAMES[row.cert_kind])
        lines += [f"  {label} ({name}): {getattr(row, name)}" for name, label in FIELDS]
    return "\n".join(lines)


def to_csv(ledger: Ledger) -> str:
    """The ledger as CSV text: BOM, CSV_HEADER, one line per certificate kind, CRLF line ends
    (what Excel writes and expects). Write it to a file as UTF-8 with `newline=""`."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for row in ledger.rows:
        writer.writerow(csv_values(ledger, row))
    return out.getvalue()
