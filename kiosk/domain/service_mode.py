"""Whether the terminal serves residents now: in service, or out of service with a reason.

Staff take a terminal out of service from the console (a reader or camera fault, maintenance, a
suspected misuse under investigation, 規則 70-7) and put it back; the kiosk's resident screens
ask `accepts_residents` before offering anything. Pure: the stored mode and its audited changes
are `kiosk.flows.service_mode`'s.

Rules:
- Out of service always names a reason code and the operator who set it; in service has no
  reason. A change always names its operator (規則 73-3: operations on terminals are recorded).
- A change to what already holds (same state, same reason) is no change: nothing is recorded, so
  a double tap does not write two audit records. Another reason while out of service is a change.
- The reason is a code, never free text: the mode is shown on the console and written to the
  audit chain, and a free-text note could carry personal data.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Final


class ServiceState(enum.StrEnum):
    IN_SERVICE = "in_service"
    OUT_OF_SERVICE = "out_of_service"


class OutOfServiceReason(enum.StrEnum):
    """Stored by value (a new one is a migration); `text` is the console's plain English."""

    MAINTENANCE = "maintenance"
    READER_FAULT = "reader_fault"
    CAMERA_FAULT = "camera_fault"
    CENTRAL_UNREACHABLE = "central_unreachable"
    SUSPECTED_MISUSE = "suspected_misuse"
    CLOSED = "closed"
    OTHER = "other"

    @property
    def text(self) -> str:
        return REASON_TEXT[self]


REASON_TEXT: Final[dict[OutOfServiceReason, str]] = {
    OutOfServiceReason.MAINTENANCE: "Maintenance (点検・保守)",
    OutOfServiceReason.READER_FAULT: "The card reader is not working",
    OutOfServiceReason.CAMERA_FAULT: "The camera is not working",
    OutOfServiceReason.CENTRAL_UNREACHABLE: "The central (機構) cannot be reached",
    OutOfServiceReason.SUSPECTED_MISUSE: "Suspected misuse under investigation (規則 70-7)",
    OutOfServiceReason.CLOSED: "The office is closed",
    OutOfServiceReason.OTHER: "Other (see the staff log)",
}

MAX_OPERATOR_ID: Final = 100  # the column's length


class ModeChangeRefused(ValueError):
    """A change the rules above do not allow (the text names the rule, for the log and the console)."""


@dataclass(frozen=True)
class ServiceMode:
    state: ServiceState
    reason: OutOfServiceReason | None = None
    operator_id: str | None = None  # who made the last change; None before the first
    since: datetime | None = None  # None: in service since installation

    def __post_init__(self) -> None:
        if self.state is ServiceState.OUT_OF_SERVICE and (self.reason is None or not self.operator_id):
            raise ModeChangeRefused("out of service names a reason and an operator")
        if self.state is ServiceState.IN_SERVICE and self.reason is not None:
            raise ModeChangeRefused("in service has no out-of-service reason")


IN_SERVICE_AT_INSTALLATION: Final = ServiceMode(ServiceState.IN_SERVICE)


def accepts_residents(mode: ServiceMode) -> bool:
    """Whether the resident screens may offer anything (staff screens work in every mode)."""
    return mode.state is ServiceState.IN_SERVICE


def next_mode(
    current: ServiceMode,
    *,
    state: ServiceState,
    reason: OutOfServiceReason | None,
    operator_id: str,
    now: datetime,
) -> ServiceMode | None:
    """The mode after an operator's request, or None when it changes nothing (see the rules)."""
    operator = operator_id.strip()
    if not operator:
        raise ModeChangeRefused("a mode change names the operator who makes it")
    if len(operator) > MAX_OPERATOR_ID:
        raise ModeChangeRefused(f"an operator id has at most {MAX_OPERATOR_ID} characters")
    if now.tzinfo is None:
        raise ModeChangeRefused("the time of a mode change is an aware datetime")
    if state is ServiceState.OUT_OF_SERVICE and reason is None:
        raise ModeChangeRefused("taking the terminal out of service needs a reason code")
    if state is ServiceState.IN_SERVICE and reason is not None:
        raise ModeChangeRefused("putting the terminal back in service takes no reason code")
    if current.state is state and current.reason is reason:
        return None
    return ServiceMode(state, reason, operator, now)
