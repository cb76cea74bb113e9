"""The service mode's rules (kiosk.domain.service_mode), table by table."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kiosk.domain.service_mode import (
    IN_SERVICE_AT_INSTALLATION,
    REASON_TEXT,
    ModeChangeRefused,
    OutOfServiceReason,
    ServiceMode,
    ServiceState,
    accepts_residents,
    next_mode,
)

IN, OUT = ServiceState.IN_SERVICE, ServiceState.OUT_OF_SERVICE
R = OutOfServiceReason
T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
T1 = datetime(2026, 11, 22, 10, 30, tzinfo=UTC)
OUT_FOR_MAINTENANCE = ServiceMode(OUT, R.MAINTENANCE, "op-1", T0)
BACK_IN = ServiceMode(IN, None, "op-1", T0)


@pytest.mark.parametrize(
    ("mode", "accepts"),
    [
        (IN_SERVICE_AT_INSTALLATION, True),
        (BACK_IN, True),
        *((ServiceMode(OUT, reason, "op-1", T0), False) for reason in R),
    ],
)
def test_only_a_terminal_in_service_accepts_residents(mode: ServiceMode, accepts: bool) -> None:
    assert accepts_residents(mode) is accepts


# current mode, requested state and reason → the mode after (None: no change)
CHANGES = [
    (IN_SERVICE_AT_INSTALLATION, OUT, R.READER_FAULT, ServiceMode(OUT, R.READER_FAULT, "op-2", T1)),
    (OUT_FOR_MAINTENANCE, IN, None, ServiceMode(IN, None, "op-2", T1)),
    (OUT_FOR_MAINTENANCE, OUT, R.SUSPECTED_MISUSE, ServiceMode(OUT, R.SUSPECTED_MISUSE, "op-2", T1)),
    (OUT_FOR_MAINTENANCE, OUT, R.MAINTENANCE, None),  # already so: a double tap records nothing
    (IN_SERVICE_AT_INSTALLATION, IN, None, None),
    (BACK_IN, IN, None, None),
]


@pytest.mark.parametrize(("current", "state", "reason", "after"), CHANGES)
def test_changes(
    current: ServiceMode, state: ServiceState, reason: OutOfServiceReason | None, after: ServiceMode | None
) -> None:
    assert next_mode(current, state=state, reason=reason, operator_id=" op-2 ", now=T1) == after


REFUSED = [
    (OUT, None, "op-2", T1, "needs a reason"),
    (IN, R.MAINTENANCE, "op-2", T1, "takes no reason"),
    (OUT, R.MAINTENANCE, "", T1, "names the operator"),
    (OUT, R.MAINTENANCE, "   ", T1, "names the operator"),
    (OUT, R.MAINTENANCE, "x" * 101, T1, "at most 100"),
    (OUT, R.MAINTENANCE, "op-2", datetime(2026, 11, 22, 10, 30), "aware"),  # naive
]


@pytest.mark.parametrize(("state", "reason", "operator", "now", "why"), REFUSED)
def test_refused_changes(
    state: ServiceState, reason: OutOfServiceReason | None, operator: str, now: datetime, why: str
) -> None:
    with pytest.raises(ModeChangeRefused, match=why):
        next_mode(BACK_IN, state=state, reason=reason, operator_id=operator, now=now)


def test_a_mode_out_of_service_always_says_why_and_who() -> None:
    with pytest.raises(ModeChangeRefused):
        ServiceMode(OUT)
    with pytest.raises(ModeChangeRefused):
        ServiceMode(OUT, R.OTHER)
    with pytest.raises(ModeChangeRefused):
        ServiceMode(IN, R.OTHER, "op-1", T0)


def test_every_reason_has_a_plain_text() -> None:
    assert set(REASON_TEXT) == set(R)
    assert all(reason.text and reason.text != reason.value for reason in R)
