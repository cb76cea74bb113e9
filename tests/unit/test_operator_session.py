"""The operator session's timing rules as tables (kiosk.flows.operator; docs/staff-console.md):
30 minutes idle, 12 hours overall whatever the activity, an override needs a proof ≤ 5 minutes old."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kiosk.flows.operator import (
    OperatorSession,
    OperatorSessionExpired,
    SessionEnd,
    SessionLimits,
)

T0 = datetime(2026, 11, 30, 0, 30, tzinfo=UTC)  # 09:30 JST
M = timedelta(minutes=1)
S = timedelta(seconds=1)
US = timedelta(microseconds=1)


def session(
    *,
    started: timedelta = timedelta(0),
    authenticated: timedelta | None = None,
    active: timedelta | None = None,
    limits: SessionLimits | None = None,
) -> OperatorSession:
    """A session logged in at T0 + started, last proven at + authenticated, last active at + active."""
    auth = started if authenticated is None else authenticated
    last = auth if active is None else active
    return OperatorSession(
        operator_id="op-001",
        cert_sha256=bytes(32),
        started_at=T0 + started,
        authenticated_at=T0 + auth,
        last_activity=T0 + last,
        limits=limits or SessionLimits(),
    )


def test_defaults_are_the_documented_ones() -> None:
    fresh = session()
    assert fresh.idle_limit == 30 * M and fresh.overall_limit == timedelta(hours=12)
    assert fresh.limits.override_max_age == 5 * M


@pytest.mark.parametrize(
    ("last_activity", "now", "end"),
    [
        (timedelta(0), timedelta(0), None),  # just logged in
        (timedelta(0), 30 * M - US, None),  # idle a hair under 30 minutes
        (timedelta(0), 30 * M, SessionEnd.IDLE),  # exactly 30 minutes idle: over
        (20 * M, 49 * M + 59 * S, None),  # activity restarts the idle limit
        (20 * M, 50 * M, SessionEnd.IDLE),
        (11 * 60 * M + 50 * M, 12 * 60 * M - US, None),  # active to the end of the 12 hours
        (11 * 60 * M + 50 * M, 12 * 60 * M, SessionEnd.OVERALL_LIMIT),  # active, yet over: no extension
        (11 * 60 * M + 31 * M, 12 * 60 * M + 1 * M, SessionEnd.OVERALL_LIMIT),  # both: overall wins
        (10 * M, 10 * M - US, SessionEnd.CLOCK),  # the clock went back behind the last activity
    ],
)
def test_session_end(last_activity: timedelta, now: timedelta, end: SessionEnd | None) -> None:
    s = session(active=last_activity)
    assert s.end_reason(T0 + now) is end
    assert s.expired(T0 + now) is (end is not None)


@pytest.mark.parametrize(
    ("last_activity", "now", "left"),
    [
        (timedelta(0), timedelta(0), 30 * M),
        (timedelta(0), 29 * M, 1 * M),  # the idle limit is nearer
        (11 * 60 * M + 50 * M, 11 * 60 * M + 55 * M, 5 * M),  # the overall limit is nearer
        (timedelta(0), 31 * M, timedelta(0)),  # already over
    ],
)
def test_time_left(last_activity: timedelta, now: timedelta, left: timedelta) -> None:
    assert session(active=last_activity).time_left(T0 + now) == left


def test_touch_restarts_the_idle_limit_only() -> None:
    s = session()
    touched = s.touch(T0 + 25 * M)
    assert touched.last_activity == T0 + 25 * M
    assert touched.started_at == s.started_at and touched.authenticated_at == s.authenticated_at
    assert s.last_activity == T0  # frozen: touch returns a new session
    assert not touched.expired(T0 + 54 * M) and touched.expired(T0 + 55 * M)


@pytest.mark.parametrize(
    ("now", "end"),
    [(30 * M, SessionEnd.IDLE), (-S, SessionEnd.CLOCK)],
)
def test_an_ended_session_cannot_be_touched_back_to_life(now: timedelta, end: SessionEnd) -> None:
    with pytest.raises(OperatorSessionExpired) as info:
        session().touch(T0 + now)
    assert info.value.end is end and end.code in str(info.value)


@pytest.mark.parametrize(
    ("authenticated", "active", "now", "needs"),
    [
        (timedelta(0), None, timedelta(0), False),
        (timedelta(0), None, 5 * M, False),  # "no older than 5 minutes": exactly 5 is still fresh
        (timedelta(0), None, 5 * M + US, True),
        (timedelta(0), 4 * M, 6 * M, True),  # activity is no proof: only staff card + PIN counts
        (60 * M, None, 63 * M, False),  # re-authenticated an hour into the session
        (60 * M, None, 59 * M, True),  # the clock went back behind the proof
        (timedelta(0), None, 31 * M, True),  # an ended session: log in again first
    ],
)
def test_override_needs_a_recent_authentication(
    authenticated: timedelta, active: timedelta | None, now: timedelta, needs: bool
) -> None:
    assert session(authenticated=authenticated, active=active).needs_reauth_for_override(T0 + now) is needs


def test_limits_are_configurable_and_positive() -> None:
    short = SessionLimits(idle=2 * M, overall=10 * M, override_max_age=1 * M)
    s = session(limits=short)
    assert s.end_reason(T0 + 2 * M) is SessionEnd.IDLE
    assert s.needs_reauth_for_override(T0 + 1 * M + US)
    with pytest.raises(ValueError, match="positive"):
        SessionLimits(idle=timedelta(0))


@pytest.mark.parametrize(
    ("started", "authenticated", "active"),
    [(M, timedelta(0), M), (timedelta(0), 2 * M, M)],
)
def test_times_must_run_in_order(started: timedelta, authenticated: timedelta, active: timedelta) -> None:
    with pytest.raises(ValueError, match="login"):
        session(started=started, authenticated=authenticated, active=active)


def test_naive_times_are_refused() -> None:
    naive = datetime(2026, 11, 30, 9, 30)  # naive on purpose
    with pytest.raises(ValueError, match="naive"):
        OperatorSession("op-001", bytes(32), naive, naive, naive)


def test_repr_shows_no_card_fingerprint() -> None:
    assert "cert_sha256" not in repr(session()) and "op-001" in repr(session())
