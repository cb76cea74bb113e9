"""Idempotent intake (SYNC.md §2, §4, §6): store-and-forward re-sends identical bytes, so the
central must answer a duplicate exactly as it answered the original, and refuse a different
message that reuses a transactionID (RFC 9810 §5.1.1, PKIFailureInfo transactionIdInUse).

Keyed on (terminal, transactionID) with a UNIQUE constraint; the insert is
`INSERT … ON CONFLICT DO NOTHING`, so two gateways racing on the same message cannot both
process it (PostgreSQL makes the second wait for the first's commit).

This is for the message that opens a transaction (p10cr, rr, genm). Its follow-ups in the same
transaction (certConf, pollReq) have other content by design; the CMP layer finds the
transaction with `get_transaction` and records the final answer with `store_response`.

Use: in one database transaction, `record_transaction` → process → `store_response`. Then a
crash before COMMIT leaves nothing, and after COMMIT every duplicate gets the stored response.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from central.enums import IntakeState
from central.errors import NotFound, TransactionIdInUse, TransactionPending
from central.models import IntakeTransaction

MAX_TRANSACTION_ID = 64  # RFC 9483 §3.1 recommends 128 bits; anything longer is not a real tid


def record_transaction(
    session: Session, terminal_id: str, transaction_id: bytes, request_der: bytes, now: dt.datetime
) -> bytes | None:
    """None: a new transaction, now recorded — process it. bytes: the stored response to an
    exact duplicate. Raises TransactionIdInUse (same tid, other content) or TransactionPending
    (exact duplicate of a request still without a response, e.g. one answered `waiting`)."""
    if not 1 <= len(transaction_id) <= MAX_TRANSACTION_ID:
        raise ValueError("transactionID must be 1–64 bytes")
    digest = hashlib.sha256(request_der).digest()
    values = {
        "terminal_id": terminal_id,
        "transaction_id": transaction_id,
        "request_sha256": digest,
        "state": IntakeState.RECEIVED,
        "received_at": now,
    }
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    inserted = session.execute(
        dialect.insert(IntakeTransaction)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["terminal_id", "transaction_id"])
        .returning(IntakeTransaction.id)
    ).scalar_one_or_none()
    if inserted is not None:
        return None
    existing = get_transaction(session, terminal_id, transaction_id)
    if existing.request_sha256 != digest:
        raise TransactionIdInUse(f"terminal {terminal_id}: transactionID {transaction_id.hex()} is in use")
    if existing.state is not IntakeState.ANSWERED or existing.response_der is None:
        raise TransactionPending(
            f"terminal {terminal_id}: transaction {transaction_id.hex()} not answered yet"
        )
    return existing.response_der


def get_transaction(
    session: Session, terminal_id: str, transaction_id: bytes, *, for_update: bool = False
) -> IntakeTransaction:
    query = select(IntakeTransaction).where(
        IntakeTransaction.terminal_id == terminal_id, IntakeTransaction.transaction_id == transaction_id
    )
    if for_update:
        query = query.with_for_update()
    row = session.scalars(query).one_or_none()
    if row is None:
        raise NotFound(f"terminal {terminal_id}: no transaction {transaction_id.hex()}")
    return row


def store_response(
    session: Session, terminal_id: str, transaction_id: bytes, response_der: bytes, now: dt.datetime
) -> None:
    """Record the answer every later duplicate of the opening request receives."""
    row = get_transaction(session, terminal_id, transaction_id, for_update=True)
    row.state = IntakeState.ANSWERED
    row.response_der = response_der
    row.answered_at = now
    session.flush()
