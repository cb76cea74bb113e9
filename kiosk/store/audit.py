"""The terminal's operation record (規則 73-3) as a hash chain.

Each record stores `hash = SHA-256(prev_hash || canonical content)`, `prev_hash` being the previous
record's hash (32 zero bytes for the first). Editing a record changes its hash; deleting or
inserting one breaks the link of the record after it. Deleting records at the *end* leaves a valid
but shorter chain, so the head (`audit_head`) should be anchored outside the kiosk (sent to the
central side through the outbox, printed in the daily ledger) and passed to `verify_chain` as
`anchor`.

Appending reads the current head and inserts after it; both happen in the caller's write
transaction, which `kiosk.store.db` opens with BEGIN IMMEDIATE, so two writers cannot fork the chain.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.store.models import AuditRecord

GENESIS: Final = bytes(32)

# What may appear in `details`: JSON scalars only, so the canonical form is unambiguous.
DetailValue = str | int | bool | None


def canonical_details(details: Mapping[str, DetailValue]) -> str:
    for key, value in details.items():
        if not isinstance(key, str) or not (value is None or isinstance(value, str | int | bool)):
            raise TypeError("audit details are a flat mapping of str to str/int/bool/None")
    return json.dumps(dict(details), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_content(at: datetime, actor: str, action: str, subject: str, details: str) -> bytes:
    """The exact bytes hashed: a JSON array, so no field can bleed into the next."""
    stamp = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return json.dumps(
        [stamp, actor, action, subject, details], separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")


def chain_hash(prev_hash: bytes, content: bytes) -> bytes:
    return hashlib.sha256(prev_hash + content).digest()


def audit_head(session: Session) -> AuditRecord | None:
    return session.scalars(select(AuditRecord).order_by(AuditRecord.id.desc()).limit(1)).first()


def append_audit(
    session: Session,
    *,
    actor: str,
    action: str,
    subject: str,
    details: Mapping[str, DetailValue] | None = None,
    now: datetime,
) -> AuditRecord:
    """Append one record inside the caller's (write) transaction. Details must hold no personal data."""
    if not session.in_transaction():
        raise RuntimeError("append_audit runs inside the caller's transaction")
    at = now.astimezone(UTC)  # UTC with microseconds: exactly what SQLite stores and gives back
    text = canonical_details(details or {})
    head = audit_head(session)  # autoflush: records added earlier in this transaction count
    prev = head.hash if head is not None else GENESIS
    record = AuditRecord(
        at=at,
        actor=actor,
        action=action,
        subject=subject,
        details=text,
        prev_hash=prev,
        hash=chain_hash(prev, canonical_content(at, actor, action, subject, text)),
    )
    session.add(record)
    session.flush()  # takes its id now, so the next append in this transaction links to it
    return record


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    records: int
    head: bytes  # hash of the last record (GENESIS when empty)
    first_bad_id: int | None = None
    problem: str | None = None


def verify_chain(session: Session, *, anchor: bytes | None = None) -> ChainReport:
    """Recompute the whole chain; `anchor` is a head hash recorded earlier that must still be in it."""
    prev = GENESIS
    count = 0
    anchor_seen = anchor is None or anchor == GENESIS
    rows = session.execute(
        select(
            AuditRecord.id,
            AuditRecord.at,
            AuditRecord.actor,
            AuditRecord.action,
            AuditRecord.subject,
            AuditRecord.details,
            AuditRecord.prev_hash,
            AuditRecord.hash,
        ).order_by(AuditRecord.id)
    )
    for rid, at, actor, action, subject, details, prev_hash, stored in rows:
        count += 1
        if prev_hash != prev:
            return ChainReport(False, count, prev, rid, "does not link to the record before it")
        if chain_hash(prev, canonical_content(at, actor, action, subject, details)) != stored:
            return ChainReport(False, count, prev, rid, "content does not match its hash")
        prev = stored
        anchor_seen = anchor_seen or stored == anchor
    if not anchor_seen:
        return ChainReport(False, count, prev, None, "anchored head missing: records removed at the end")
    return ChainReport(True, count, prev)
