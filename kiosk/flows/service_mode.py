"""The terminal's persisted service mode (the console's out-of-order switch).

The mode lives in the single `terminal_mode` row, so it survives a restart: a terminal taken out
of service for a fault stays out until staff put it back. Every change is appended to the audit
chain in the same transaction as the row (規則 73-3), which makes the chain the mode's history;
the row is only the current value. The rules are `kiosk.domain.service_mode`'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy.orm import Session, sessionmaker

from kiosk.domain.service_mode import (
    OutOfServiceReason,
    ServiceMode,
    ServiceState,
    next_mode,
)
from kiosk.store.audit import append_audit
from kiosk.store.models import TerminalMode

AUDIT_ACTION: Final = "terminal.mode"
AUDIT_SUBJECT: Final = "terminal:mode"


@dataclass(frozen=True)
class ModeChange:
    before: ServiceMode
    after: ServiceMode
    changed: bool  # False: the request asked for what already held; nothing was recorded


def _row(session: Session) -> TerminalMode:
    row = session.get(TerminalMode, 1, populate_existing=True)
    if row is None:  # the migration makes it; a store without it is damaged or not migrated
        raise LookupError("the kiosk store has no terminal_mode row")
    return row


def _mode(row: TerminalMode) -> ServiceMode:
    reason = OutOfServiceReason(row.reason) if row.reason is not None else None
    return ServiceMode(ServiceState(row.state), reason, row.operator_id, row.since)


def read_mode(session: Session) -> ServiceMode:
    return _mode(_row(session))


def change_mode(
    session: Session,
    *,
    state: ServiceState,
    reason: OutOfServiceReason | None,
    operator_id: str,
    now: datetime,
) -> ModeChange:
    """Set the mode in the caller's write transaction, with its audit record.

    Raises `ModeChangeRefused` for a change the rules refuse (nothing is written then)."""
    if not session.in_transaction():
        raise RuntimeError("change_mode runs inside the caller's transaction")
    row = _row(session)
    before = _mode(row)
    after = next_mode(before, state=state, reason=reason, operator_id=operator_id, now=now)
    if after is None:
        return ModeChange(before, before, changed=False)
    row.state, row.reason, row.operator_id, row.since = after.state, after.reason, after.operator_id, now
    append_audit(
        session,
        actor=operator_id.strip(),  # as next_mode stored it
        action=AUDIT_ACTION,
        subject=AUDIT_SUBJECT,
        details={
            "state": after.state.value,
            "reason": after.reason.value if after.reason is not None else None,
            "from_state": before.state.value,
            "from_reason": before.reason.value if before.reason is not None else None,
        },
        now=now,
    )
    return ModeChange(before, after, changed=True)


def current_mode(sessions: sessionmaker[Session]) -> ServiceMode:
    """The mode now, in its own short transaction (for the resident screens' check)."""
    with sessions.begin() as session:
        return read_mode(session)


def set_mode(
    sessions: sessionmaker[Session],
    *,
    state: ServiceState,
    reason: OutOfServiceReason | None,
    operator_id: str,
    now: datetime,
) -> ModeChange:
    """`change_mode` in its own committed transaction (the console's switch)."""
    with sessions.begin() as session:
        return change_mode(session, state=state, reason=reason, operator_id=operator_id, now=now)
