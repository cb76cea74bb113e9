"""交付記録簿 (issuance ledger), per municipality, per day, per certificate kind (要領 第2-1-(1)-ケ).

| Column | 要領 ケ | Counted |
|---|---|---|
| `requests_answered` | (イ) 発行のための通信件数 | certificates the central issued in answer to a request |
| `installed` | (ウ) 交付件数 | of those, the ones whose card write was confirmed, minus (カ) |
| `paid` / `free` | (エ) 有償 / (オ) 無償 | `installed` split by the application's fee |
| `destroyed_or_revoked_ex_officio` | (カ) 破棄／職権失効 | of (イ), revoked for a procedure error |

A row's day is the JST day the certificate was issued (受付年月日 = the day of (イ)), so each later
event of a certificate lands on the same row and (ウ) stays a subset of (イ).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from central.enums import CertKind, Fee, LedgerEventKind
from central.models import Certificate, LedgerEvent
from central.timeutil import jst_day

CSV_HEADER = (
    "date",
    "municipality",
    "certificate_kind",
    "requests_answered",
    "installed",
    "paid",
    "free",
    "destroyed_or_revoked_ex_officio",
)


@dataclass(frozen=True)
class LedgerRow:
    day: dt.date
    municipality: str
    kind: CertKind
    requests_answered: int
    installed: int
    paid: int
    free: int
    destroyed_or_revoked_ex_officio: int


def record(
    session: Session,
    kind: LedgerEventKind,
    cert: Certificate,
    *,
    municipality_code: str,
    fee: Fee | None,
    now: dt.datetime,
) -> None:
    session.add(
        LedgerEvent(
            kind=kind,
            municipality_code=municipality_code,
            ledger_day=jst_day(cert.issued_at),
            cert_kind=cert.kind,
            serial=cert.serial,
            application_id=cert.application_id,
            fee=fee,
            occurred_at=now,
        )
    )


def _flag(kinds: tuple[LedgerEventKind, ...]) -> object:
    return func.max(case((LedgerEvent.kind.in_(kinds), 1), else_=0))


def rows(
    session: Session,
    *,
    municipality: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> list[LedgerRow]:
    """The ledger between `since` and `until` (inclusive JST days), in day/municipality/kind order."""
    # One row per certificate first (did it get answered / installed / struck off?), then sums:
    # the same SQL on SQLite and PostgreSQL, no dialect-specific FILTER clauses.
    per_cert = (
        select(
            LedgerEvent.serial.label("serial"),
            LedgerEvent.municipality_code.label("municipality"),
            LedgerEvent.ledger_day.label("day"),
            LedgerEvent.cert_kind.label("kind"),
            func.max(case((LedgerEvent.fee == Fee.PAID, 1), else_=0)).label("paid"),
            _flag((LedgerEventKind.REQUEST_ANSWERED,)).label("answered"),
            _flag((LedgerEventKind.INSTALLED,)).label("installed"),
            _flag((LedgerEventKind.DESTROYED, LedgerEventKind.REVOKED_EX_OFFICIO)).label("struck"),
        )
        .where(LedgerEvent.cert_kind.in_((CertKind.SIGN, CertKind.AUTH)))
        .group_by(
            LedgerEvent.serial, LedgerEvent.municipality_code, LedgerEvent.ledger_day, LedgerEvent.cert_kind
        )
    )
    if municipality is not None:
        per_cert = per_cert.where(LedgerEvent.municipality_code == municipality)
    if since is not None:
        per_cert = per_cert.where(LedgerEvent.ledger_day >= since)
    if until is not None:
        per_cert = per_cert.where(LedgerEvent.ledger_day <= until)
    c = per_cert.subquery()
    delivered = c.c.installed * (1 - c.c.struck)
    query = (
        select(
            c.c.day,
            c.c.municipality,
            c.c.kind,
            func.sum(c.c.answered),
            func.sum(delivered),
            func.sum(delivered * c.c.paid),
            func.sum(delivered * (1 - c.c.paid)),
            func.sum(c.c.struck * c.c.answered),
        )
        .group_by(c.c.day, c.c.municipality, c.c.kind)
        .order_by(c.c.day, c.c.municipality, c.c.kind)
    )
    return [
        LedgerRow(day, muni, CertKind(kind), int(a), int(i), int(p), int(f), int(s))
        for day, muni, kind, a, i, p, f, s in session.execute(query)
    ]


def to_csv(ledger: Iterable[LedgerRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for r in ledger:
        writer.writerow(
            (
                r.day.isoformat(),
                r.municipality,
                r.kind.value,
                r.requests_answered,
                r.installed,
                r.paid,
                r.free,
                r.destroyed_or_revoked_ex_officio,
            )
        )
    return out.getvalue()
