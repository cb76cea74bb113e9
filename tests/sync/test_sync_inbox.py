"""The inbox applies each downstream message once and moves the cursor in the same transaction."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from synckit import FakeClock

from kiosk.store.models import InboxMessage
from kiosk.sync.inbox import InboxResult, IncomingMessage, apply_inbox, apply_unhandled, server_cursor


def _msgs(*seqs: int, kind: str = "revocation.notice") -> list[IncomingMessage]:
    return [
        IncomingMessage(uuid.uuid5(uuid.NAMESPACE_OID, str(s)), s, kind, f"body {s}".encode()) for s in seqs
    ]


class Recorder:
    def __init__(self, fail_on: int | None = None) -> None:
        self.seen: list[int] = []
        self.fail_on = fail_on

    def __call__(self, session: Session, message: InboxMessage) -> None:
        assert session.in_transaction()
        if message.server_seq == self.fail_on:
            raise ValueError("handler failed")
        self.seen.append(message.server_seq)


def _apply(
    sessions: sessionmaker[Session], clock: FakeClock, msgs: list[IncomingMessage], handler: Recorder
) -> InboxResult:
    with sessions() as session, session.begin():
        return apply_inbox(session, msgs, {"revocation.notice": handler}, now=clock())


def _inbox_count(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(InboxMessage)) or 0)


def test_applies_in_server_order_and_advances_the_cursor(
    sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    handler = Recorder()
    result = _apply(sessions, clock, _msgs(2, 1, 3), handler)
    assert (result.applied, result.duplicates, result.cursor) == (3, 0, 3)
    assert handler.seen == [1, 2, 3]
    with sessions() as session:
        assert server_cursor(session) == 3
        assert all(m.applied_at == clock() for m in session.scalars(select(InboxMessage)))


def test_the_same_page_twice_is_applied_once(sessions: sessionmaker[Session], clock: FakeClock) -> None:
    handler = Recorder()
    _apply(sessions, clock, _msgs(1, 2), handler)
    again = _apply(sessions, clock, _msgs(1, 2, 3), handler)  # overlapping pull after a lost answer
    assert (again.applied, again.duplicates, again.cursor) == (1, 2, 3)
    assert handler.seen == [1, 2, 3]
    assert _inbox_count(sessions) == 3


def test_a_failing_handler_keeps_nothing_and_the_cursor_stays(
    sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    _apply(sessions, clock, _msgs(1), Recorder())
    with pytest.raises(ValueError, match="handler failed"):
        _apply(sessions, clock, _msgs(2, 3), Recorder(fail_on=3))
    assert _inbox_count(sessions) == 1
    with sessions() as session:
        assert server_cursor(session) == 1
    retry = Recorder()
    assert _apply(sessions, clock, _msgs(2, 3), retry).applied == 2  # pulled and applied again later
    assert retry.seen == [2, 3]


def test_unknown_kinds_are_kept_for_later(sessions: sessionmaker[Session], clock: FakeClock) -> None:
    result = _apply(sessions, clock, _msgs(1, kind="pin_reset.authorisation"), Recorder())
    assert (result.applied, result.unhandled, result.cursor) == (0, 1, 1)
    handler = Recorder()
    with sessions() as session, session.begin():
        assert apply_unhandled(session, {"pin_reset.authorisation": handler}, now=clock()) == 1
    assert handler.seen == [1]
    with sessions() as session, session.begin():
        assert apply_unhandled(session, {"pin_reset.authorisation": handler}, now=clock()) == 0


def test_gaps_are_reported(sessions: sessionmaker[Session], clock: FakeClock) -> None:
    result = _apply(sessions, clock, _msgs(1, 4), Recorder())
    assert result.gaps == (2, 3)
    assert result.cursor == 4


def test_outside_a_transaction_is_refused(sessions: sessionmaker[Session], clock: FakeClock) -> None:
    with sessions() as session, pytest.raises(RuntimeError, match="transaction"):
        apply_inbox(session, _msgs(1), {}, now=clock())


def test_repr_hides_payload() -> None:
    (msg,) = _msgs(1)
    assert "body" not in repr(msg)
