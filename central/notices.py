"""Notices for terminals (appdata.notices): written in the transaction of the decision they
announce, handed out in order by the terminal's own authenticated genm, pruned once the terminal
has applied them and the retention is over.

The sequence is per terminal and gap-free: `post` takes the next number by incrementing
`terminal.notice_seq` in one UPDATE, which holds the terminal row's lock until commit, so two
decisions for the same terminal cannot share or skip a number (on PostgreSQL as on SQLite).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from appdata.notices import KINDS, PAGE_SIZE, Notice, NoticePage, canonical, parse_payload
from central.errors import NotFound
from central.models import Terminal, TerminalNotice

_log = logging.getLogger(__name__)

# How long an applied notice is kept: long enough to answer "what did the terminal get".
DEFAULT_RETENTION = dt.timedelta(days=90)


def post(
    session: Session, terminal_id: str, kind: str, payload: Mapping[str, Any], now: dt.datetime
) -> TerminalNotice:
    """Queue a notice for `terminal_id` in the caller's transaction."""
    if kind not in KINDS:
        raise ValueError(f"unknown notice kind {kind!r}")
    seq = session.execute(
        update(Terminal)
        .where(Terminal.id == terminal_id)
        .values(notice_seq=Terminal.notice_seq + 1)
        .returning(Terminal.notice_seq)
    ).scalar_one_or_none()
    if seq is None:
        raise NotFound(f"no terminal {terminal_id}")
    notice = TerminalNotice(
        terminal_id=terminal_id,
        seq=seq,
        msg_id=str(uuid.uuid4()),
        kind=kind,
        payload=canonical(payload).decode(),
        created_at=now,
    )
    session.add(notice)
    session.flush()
    _log.info("notice %d for terminal %s: %s", seq, terminal_id, kind)
    return notice


def page(session: Session, terminal_id: str, after: int, *, limit: int = PAGE_SIZE) -> NoticePage:
    """The terminal's notices after its cursor `after`, oldest first. Asking with a cursor also
    acknowledges everything up to it (the terminal has applied those)."""
    terminal = session.get(Terminal, terminal_id)
    if terminal is None:
        raise NotFound(f"no terminal {terminal_id}")
    if after > terminal.notice_seq:
        # A cursor beyond anything sent: a restored or foreign database. Answer from the start
        # of what is kept rather than nothing, and leave the acknowledgement alone.
        _log.warning("terminal %s asked after %d, last sent %d", terminal_id, after, terminal.notice_seq)
        after = terminal.notice_acked
    elif after > terminal.notice_acked:
        terminal.notice_acked = after
    rows = session.scalars(
        select(TerminalNotice)
        .where(TerminalNotice.terminal_id == terminal_id, TerminalNotice.seq > after)
        .order_by(TerminalNotice.seq)
        .limit(limit + 1)
    ).all()
    notices = tuple(
        Notice(uuid.UUID(row.msg_id), row.seq, row.kind, parse_payload(row.payload.encode()))
        for row in rows[:limit]
    )
    if notices and notices[0].seq != after + 1:
        # Pruned before the terminal applied them: cannot happen while pruning waits for the
        # acknowledgement; if it does, the terminal's inbox logs the gap.
        _log.error("terminal %s: notices %d..%d are gone", terminal_id, after + 1, notices[0].seq - 1)
        after = notices[0].seq - 1
    return NoticePage(terminal_id, after, notices, more=len(rows) > limit)


def prune(session: Session, now: dt.datetime, *, retention: dt.timedelta = DEFAULT_RETENTION) -> int:
    """Delete notices the terminal has acknowledged and that are older than `retention`."""
    acked = select(Terminal.notice_acked).where(Terminal.id == TerminalNotice.terminal_id).scalar_subquery()
    result = session.execute(
        delete(TerminalNotice)
        .where(TerminalNotice.created_at < now - retention)
        .where(TerminalNotice.seq <= acked)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
