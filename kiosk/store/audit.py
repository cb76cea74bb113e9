"""The terminal's operation record (規則 73-3) as a hash chain.

Each record stores `hash = SHA-256(prev_hash || canonical content)`, `prev_hash` being the previous
record's hash (32 zero bytes for the first). Editing a record changes its hash; deleting or
inserting one breaks the link of the record after it. Deleting records at the *end* leaves a valid
but shorter chain, so the head (`audit_head`) should be anchored outside the kiosk (sent to the
central side through the outbox, printed in the daily ledger) and passed to `verify_chain` as
`anchor`.

Appending reads the current head and inserts after it; both happen in the caller's write
transaction, which `kiosk.store.db` opens with BEGIN IMMEDIATE, so two writers cannot fork the chain.

Retention (規則 82: ten years, kiosk.store.retention) cuts records off the *front* only, with
`purge_prefix`: in one transaction it appends an `audit.purged` record naming the last record cut
(subject `audit_record:<id>`) and that record's hash, then deletes up to it. The delete trigger
(migration 0005) lets a record go only while the head is such a record covering it. `verify_chain`
then starts from the first kept record's `prev_hash` when an `audit.purged` record in the chain
vouches for exactly that hash; any other gap at the front is reported as before.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from kiosk.store.models import AuditRecord

GENESIS: Final = bytes(32)
PURGE_ACTION: Final = "audit.purged"
PURGE_SUBJECT: Final = "audit_record:"  # + the id of the last record cut (the trigger parses it)

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


def purge_prefix(session: Session, *, before: datetime, now: datetime, actor: str) -> int:
    """Cut the records made before `before` off the front of the chain, in the caller's write
    transaction; returns how many. The cut stops at the first record made at or after `before`
    (a clock once set back never takes a younger record with it), and is recorded first: the
    `audit.purged` record becomes the head, which the delete trigger requires."""
    young = session.scalar(select(func.min(AuditRecord.id)).where(AuditRecord.at >= before))
    last = select(AuditRecord.id, AuditRecord.hash).order_by(AuditRecord.id.desc()).limit(1)
    if young is not None:
        last = last.where(AuditRecord.id < young)
    found = session.execute(last).first()
    if found is None:
        return 0
    through_id, through_hash = found
    count = int(session.scalar(select(func.count(AuditRecord.id)).where(AuditRecord.id <= through_id)) or 0)
    append_audit(
        session,
        actor=actor,
        action=PURGE_ACTION,
        subject=f"{PURGE_SUBJECT}{through_id}",
        details={"through_hash": through_hash.hex(), "records": count, "before": before.isoformat()},
        now=now,
    )
    session.execute(
        delete(AuditRecord).where(AuditRecord.id <= through_id).execution_options(synchronize_session=False)
    )
    return count


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    records: int
    head: bytes  # hash of the last record (GENESIS when empty)
    first_bad_id: int | None = None
    problem: str | None = None
    purged_through: int | None = None  # records up to this id were cut by retention (vouched)


def _vouched_cuts(session: Session) -> dict[bytes, int]:
    """Hash of the last record cut → its id, for every cut an `audit.purged` record names."""
    cuts: dict[bytes, int] = {}
    rows = session.execute(
        select(AuditRecord.subject, AuditRecord.details).where(AuditRecord.action == PURGE_ACTION)
    )
    for subject, details in rows:
        try:
            through_id = int(subject.removeprefix(PURGE_SUBJECT))
            cuts[bytes.fromhex(json.loads(details)["through_hash"])] = through_id
        except (ValueError, KeyError, TypeError):
            continue  # a malformed one vouches for nothing (and its own hash is checked below)
    return cuts


def _start(session: Session) -> tuple[bytes, int | None]:
    """Where the chain starts: GENESIS, or the hash a vouched retention cut ends on."""
    first = session.execute(
        select(AuditRecord.id, AuditRecord.prev_hash).order_by(AuditRecord.id).limit(1)
    ).first()
    if first is None or first.prev_hash == GENESIS:
        return GENESIS, None
    through = _vouched_cuts(session).get(first.prev_hash)
    if through is None or through >= first.id:
        return GENESIS, None  # an unexplained gap: the first record fails to link, as it should
    return first.prev_hash, through


def verify_chain(session: Session, *, anchor: bytes | None = None) -> ChainReport:
    """Recompute the whole chain; `anchor` is a head hash recorded earlier that must still be in
    it. After a retention cut the chain starts at the cut, which a record in it vouches for."""
    prev, purged_through = _start(session)
    count = 0
    anchor_seen = anchor is None or anchor in (GENESIS, prev)
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
            return ChainReport(
                False, count, prev, rid, "does not link to the record before it", purged_through
            )
        if chain_hash(prev, canonical_content(at, actor, action, subject, details)) != stored:
            return ChainReport(False, count, prev, rid, "content does not match its hash", purged_through)
        prev = stored
        anchor_seen = anchor_seen or stored == anchor
    if not anchor_seen:
        problem = "anchored head missing: records removed at the end"
        if purged_through is not None:
            problem += f" (or older than the retention cut after record {purged_through})"
        return ChainReport(False, count, prev, None, problem, purged_through)
    return ChainReport(True, count, prev, purged_through=purged_through)
