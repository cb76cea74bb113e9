"""The 交付記録簿 exported as a CSV file by a signed-in operator, and recorded.

Taking a copy of the ledger off the terminal is an operation by staff, so it needs an operator and
is recorded (規則 73-3): one `ledger.export` record in the audit chain naming the operator, the day
and the SHA-256 of the exact bytes written, so a file found later can be matched to its export.
The file's path is not recorded (staff name it; it may say anything).

The record and the file go together: the file is written inside the transaction that appends the
record, so a file that cannot be written leaves no record, and a record that cannot be committed
takes its file away again.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Final

from sqlalchemy.orm import Session, sessionmaker

from kiosk.flows.ledger import AuditAnchor, Ledger, audit_anchor, daily_ledger, to_csv
from kiosk.store.audit import append_audit

EXPORT_ACTION: Final = "ledger.export"


@dataclass(frozen=True)
class LedgerExport:
    """What was written: the day's ledger, the chain's head with the export's own record in it,
    where, and the digest recorded."""

    ledger: Ledger
    anchor: AuditAnchor
    path: Path
    sha256: str


def export_ledger(
    sessions: sessionmaker[Session], day: date, path: Path, *, operator_id: str, now: datetime
) -> LedgerExport:
    """Read `day`'s ledger afresh, write its CSV (kiosk.flows.ledger.to_csv) to `path` and record
    the export for `operator_id`, all or nothing.

    Raises ValueError without writing anything when `operator_id` is blank, and the OSError of a
    file that cannot be written (nothing is recorded then)."""
    operator = operator_id.strip()
    if not operator:
        raise ValueError("a ledger export needs the signed-in operator's id")
    written = False
    try:
        with sessions.begin() as session:
            ledger = daily_ledger(session, day)
            data = to_csv(ledger).encode("utf-8")
            digest = hashlib.sha256(data).hexdigest()
            append_audit(
                session,
                actor=operator,
                action=EXPORT_ACTION,
                subject=f"ledger:{day.isoformat()}",
                details={"sha256": digest, "bytes": len(data)},
                now=now,
            )
            path.write_bytes(data)
            written = True
            anchor = audit_anchor(session)
    except BaseException:
        if written:
            path.unlink(missing_ok=True)  # its record was not committed: no unrecorded copy
        raise
    return LedgerExport(ledger, anchor, path, digest)
