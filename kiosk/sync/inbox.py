"""The inbox: messages from the central side (certificates, revocation notices, PIN-reset
authorisations), applied exactly once.

The puller fetches "messages since `server_cursor`", **verifies each one** (signature, audience =
this terminal, expiry — the central side's protection, not done here), then calls `apply_inbox`
inside one transaction:

    with session.begin():
        apply_inbox(session, verified_messages, handlers, now=clock())

Each new message is inserted (UNIQUE msg_id: a message seen before is skipped, so pulling the same
page twice is harmless), handed to the handler registered for its kind *in the same transaction*,
and the cursor is advanced — all committed together. If a handler raises, nothing of the batch is
kept and the cursor does not move: the same messages are pulled and applied again later.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.dialects.sqlite import insert
from sqlalchemy.orm import Session

from kiosk.store.models import InboxMessage, SyncState

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IncomingMessage:
    """A downstream message whose protection the puller has verified."""

    msg_id: UUID
    server_seq: int
    kind: str
    payload: bytes

    def __repr__(self) -> str:
        size = len(self.payload)
        return f"IncomingMessage({self.msg_id}, seq={self.server_seq}, {self.kind!r}, <{size} bytes>)"


# Applies one message's business effect with the caller's session (same transaction); must not commit.
InboxHandler = Callable[[Session, InboxMessage], None]


@dataclass(frozen=True)
class InboxResult:
    applied: int  # new and handled
    duplicates: int  # seen before: skipped
    unhandled: int  # new, stored, no handler for the kind (applied_at stays empty)
    cursor: int
    gaps: tuple[int, ...] = ()  # server_seq values skipped over (lost downstream messages?)


def sync_state(session: Session) -> SyncState:
    state = session.get(SyncState, 1)
    if state is None:  # the migration creates it; a missing row means a broken database
        raise LookupError("sync_state row missing: run kiosk.store.migrate.upgrade first")
    return state


def server_cursor(session: Session) -> int:
    """Where the next pull starts: the highest server_seq applied so far."""
    return sync_state(session).server_cursor


def apply_inbox(
    session: Session,
    messages: Iterable[IncomingMessage],
    handlers: Mapping[str, InboxHandler],
    *,
    now: datetime,
) -> InboxResult:
    if not session.in_transaction():
        raise RuntimeError("apply_inbox runs inside the caller's transaction (with session.begin())")
    state = sync_state(session)
    cursor = state.server_cursor
    applied = duplicates = unhandled = 0
    gaps: list[int] = []
    for incoming in sorted(messages, key=lambda m: m.server_seq):
        inserted = session.execute(
            insert(InboxMessage)
            .values(
                msg_id=incoming.msg_id,
                server_seq=incoming.server_seq,
                kind=incoming.kind,
                payload=incoming.payload,
                received_at=now,
            )
            .on_conflict_do_nothing(index_elements=[InboxMessage.msg_id])
        )
        if inserted.rowcount == 0:  # type: ignore[attr-defined]
            duplicates += 1  # stored before: applied (or kept for a later handler) then
            cursor = max(cursor, incoming.server_seq)
            continue
        if incoming.server_seq > cursor + 1:
            gaps.extend(range(cursor + 1, incoming.server_seq))
        cursor = max(cursor, incoming.server_seq)
        row = session.scalars(select(InboxMessage).where(InboxMessage.msg_id == incoming.msg_id)).one()
        handler = handlers.get(incoming.kind)
        if handler is None:
            unhandled += 1
            log.warning("inbox %s (%s): no handler, kept unapplied", incoming.msg_id, incoming.kind)
            continue
        handler(session, row)
        row.applied_at = now
        applied += 1
    if gaps:
        log.warning("downstream server_seq gap(s) before %d: %s", cursor, gaps[:20])
    if cursor != state.server_cursor:
        state.server_cursor = cursor
        state.updated_at = now
    session.flush()
    return InboxResult(applied, duplicates, unhandled, cursor, tuple(gaps))


def apply_unhandled(session: Session, handlers: Mapping[str, InboxHandler], *, now: datetime) -> int:
    """Apply stored messages whose kind had no handler when they arrived (after an update). In the
    caller's transaction; returns how many were applied."""
    count = 0
    rows = session.scalars(
        select(InboxMessage).where(InboxMessage.applied_at.is_(None)).order_by(InboxMessage.server_seq)
    )
    for row in list(rows):
        handler = handlers.get(row.kind)
        if handler is not None:
            handler(session, row)
            row.applied_at = now
            count += 1
    session.flush()
    return count
