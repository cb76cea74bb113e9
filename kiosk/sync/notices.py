"""Pulling the central's notices into the inbox (docs/sync-protocol.md, "Notices").

One genm carries the terminal's cursor (`sync_state.server_cursor`: the highest notice applied);
the signed genp carries the next page. The CMP client has already verified the answer's
signature (the central's CMP certificate under the pinned root) and that it answers this very
request, so each notice in it is the central's word. The page is applied by `apply_inbox` in one
transaction: every notice stored once (its msg_id is unique), handed to its kind's handler, and
the cursor moved — or, if a handler raises, none of it, and the same page is asked for again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy.orm import Session, sessionmaker

from appdata.notices import NoticeFormatError, NoticePage
from kiosk.sync.inbox import InboxHandler, IncomingMessage, apply_inbox, server_cursor
from kiosk.sync.queries import Link, QueryRefused, ask
from lcmp import jpki_items

log = logging.getLogger(__name__)

MAX_PAGES: Final = 20  # per pull: a long-offline kiosk catches up over several passes


class NoticesRefused(QueryRefused):
    """The central refused the pull or answered with something that is not a page for us."""


def fetch(link: Link, after: int, *, terminal_id: str | None = None) -> NoticePage:
    """The page after cursor `after`. `terminal_id`, when known, must be the page's addressee."""
    text = ask(link, jpki_items.integer_item(jpki_items.NOTICES_AFTER, after), jpki_items.NOTICE_PAGE)
    try:
        page = NoticePage.from_json(text)
    except NoticeFormatError as exc:
        raise NoticesRefused(str(exc)) from exc
    if terminal_id is not None and page.terminal_id != terminal_id:
        raise NoticesRefused("the central answered with another terminal's notices")
    return page


@dataclass(frozen=True)
class PullReport:
    pages: int
    applied: int
    duplicates: int
    unhandled: int
    cursor: int


def pull(
    sessions: sessionmaker[Session],
    link: Link,
    handlers: Mapping[str, InboxHandler],
    *,
    clock: Callable[[], datetime],
    terminal_id: str | None = None,
    max_pages: int = MAX_PAGES,
) -> PullReport:
    """Fetch and apply pages until the central has no more (or `max_pages`)."""
    pages = applied = duplicates = unhandled = 0
    with sessions.begin() as session:
        cursor = server_cursor(session)
    while pages < max_pages:
        page = fetch(link, cursor, terminal_id=terminal_id)
        pages += 1
        incoming = [IncomingMessage(n.msg_id, n.seq, n.kind, n.payload_bytes()) for n in page.notices]
        with sessions.begin() as session:
            result = apply_inbox(session, incoming, handlers, now=clock())
        applied += result.applied
        duplicates += result.duplicates
        unhandled += result.unhandled
        moved, cursor = result.cursor != cursor, result.cursor
        if not moved or not page.more:
            break
    if applied or unhandled:
        log.info("notices: %d applied, %d unhandled, cursor %d", applied, unhandled, cursor)
    return PullReport(pages, applied, duplicates, unhandled, cursor)
