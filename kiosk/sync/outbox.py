"""The transactional outbox: a message is enqueued in the same transaction as the business change
that causes it, so both are committed or neither is (no "row saved, message lost" and no "message
sent for a row that was rolled back"). The relay (`kiosk.sync.relay`) delivers it later.

    with session.begin():
        session.add(application)
        enqueue(session, "cmp.p10cr", protected_bytes)

`payload` must already be the protected wire bytes (a signed CMP PKIMessage, a JWS/JWE), made once
with its own transactionID/nonce: the relay re-sends exactly these bytes on every attempt, which is
what lets the central side recognise a retry. When a message carries personal data it must be
encrypted for the recipient before it gets here (規則 7, 44 require it on the wire anyway); the
outbox stores the bytes as given.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.store.coltypes import utcnow
from kiosk.store.ids import uuid7
from kiosk.store.models import OutboxMessage, OutboxState

MAX_KIND_LENGTH = 64


class NotInTransaction(RuntimeError):
    """enqueue was called outside the business transaction."""


@dataclass(frozen=True)
class Outgoing:
    """A message to enqueue: its kind and its protected bytes (hidden from repr)."""

    kind: str
    payload: bytes

    def __repr__(self) -> str:
        return f"Outgoing({self.kind!r}, <{len(self.payload)} bytes>)"


def enqueue(
    session: Session,
    kind: str,
    payload: bytes,
    *,
    now: datetime | None = None,
    msg_id: UUID | None = None,
    randbytes: Callable[[int], bytes] = os.urandom,
) -> OutboxMessage:
    """Add one message to the outbox in the caller's open transaction; returns it with its `seq`.

    Never commits. Refuses to run outside a transaction, because a message committed on its own is
    exactly the inconsistency the outbox exists to prevent.
    """
    if not session.in_transaction():
        raise NotInTransaction("enqueue runs inside the caller's `with session.begin():`")
    if not kind or len(kind) > MAX_KIND_LENGTH:
        raise ValueError(f"kind must be 1..{MAX_KIND_LENGTH} characters")
    if not isinstance(payload, bytes) or not payload:
        raise TypeError("payload is the protected message as non-empty bytes")
    at = now or utcnow()
    message = OutboxMessage(
        msg_id=msg_id or uuid7(at, randbytes),
        kind=kind,
        payload=payload,
        created_at=at,
        state=OutboxState.PENDING,
        attempts=0,
        next_attempt_at=at,  # due at once
    )
    session.add(message)
    session.flush()  # assigns seq; a UNIQUE clash on msg_id surfaces here, inside the transaction
    return message


def enqueue_outgoing(session: Session, message: Outgoing, *, now: datetime | None = None) -> OutboxMessage:
    return enqueue(session, message.kind, message.payload, now=now)


def pending(session: Session) -> list[OutboxMessage]:
    """Pending messages in sending order (for status screens and tests)."""
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.state == OutboxState.PENDING)
            .order_by(OutboxMessage.seq)
        )
    )


def retry_now(session: Session, msg_id: UUID, *, now: datetime | None = None) -> bool:
    """Operator action ("send now"): make a pending message due at once. True if it was pending."""
    message = session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.msg_id == msg_id, OutboxMessage.state == OutboxState.PENDING
        )
    ).first()
    if message is None:
        return False
    message.next_attempt_at = now or utcnow()
    return True
