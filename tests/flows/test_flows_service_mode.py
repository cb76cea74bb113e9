"""The persisted out-of-order switch (kiosk.flows.service_mode) on a real migrated store."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from kiosk.domain.service_mode import (
    IN_SERVICE_AT_INSTALLATION,
    ModeChangeRefused,
    OutOfServiceReason,
    ServiceMode,
    ServiceState,
    accepts_residents,
)
from kiosk.flows.service_mode import AUDIT_ACTION, change_mode, current_mode, read_mode, set_mode
from kiosk.store.audit import verify_chain
from kiosk.store.db import make_engine, make_sessionmaker
from kiosk.store.models import AuditRecord

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
IN, OUT = ServiceState.IN_SERVICE, ServiceState.OUT_OF_SERVICE


def _audit(sessions: sessionmaker[Session]) -> list[AuditRecord]:
    with sessions() as session:
        return list(session.scalars(select(AuditRecord).order_by(AuditRecord.id)))


def test_a_new_store_is_in_service(sessions: sessionmaker[Session]) -> None:
    mode = current_mode(sessions)
    assert mode == IN_SERVICE_AT_INSTALLATION
    assert accepts_residents(mode)


def test_out_of_service_survives_a_restart_and_is_audited(
    db_path: Path, engine: Engine, sessions: sessionmaker[Session]
) -> None:
    change = set_mode(
        sessions, state=OUT, reason=OutOfServiceReason.CAMERA_FAULT, operator_id="op-0042", now=T0
    )
    assert change.changed and change.before == IN_SERVICE_AT_INSTALLATION
    engine.dispose()
    restarted = make_engine(db_path)  # a new process on the same file
    try:
        mode = current_mode(make_sessionmaker(restarted))
    finally:
        restarted.dispose()
    assert mode == ServiceMode(OUT, OutOfServiceReason.CAMERA_FAULT, "op-0042", T0)
    assert not accepts_residents(mode)
    (record,) = _audit(sessions)
    assert (record.actor, record.action, record.subject) == ("op-0042", AUDIT_ACTION, "terminal:mode")
    assert json.loads(record.details) == {
        "state": "out_of_service",
        "reason": "camera_fault",
        "from_state": "in_service",
        "from_reason": None,
    }


def test_each_change_is_one_record_and_a_repeat_is_none(sessions: sessionmaker[Session]) -> None:
    maintenance, misuse = OutOfServiceReason.MAINTENANCE, OutOfServiceReason.SUSPECTED_MISUSE
    steps = [
        (OUT, maintenance, "op-1", True),
        (OUT, maintenance, "op-2", False),  # already out for that reason: nothing recorded
        (OUT, misuse, "op-2", True),
        (IN, None, "op-3", True),
        (IN, None, "op-3", False),
    ]
    for minutes, (state, reason, operator, changed) in enumerate(steps):
        now = T0 + timedelta(minutes=minutes)
        change = set_mode(sessions, state=state, reason=reason, operator_id=operator, now=now)
        assert change.changed is changed
    assert current_mode(sessions) == ServiceMode(IN, None, "op-3", T0 + timedelta(minutes=3))
    records = _audit(sessions)
    assert [(r.actor, json.loads(r.details)["state"]) for r in records] == [
        ("op-1", "out_of_service"),
        ("op-2", "out_of_service"),
        ("op-3", "in_service"),
    ]
    assert json.loads(records[1].details)["from_reason"] == "maintenance"
    with sessions() as session:
        assert verify_chain(session).ok


def test_a_refused_change_writes_nothing(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(ModeChangeRefused, match="reason"):
        set_mode(sessions, state=OUT, reason=None, operator_id="op-1", now=T0)
    with pytest.raises(ModeChangeRefused, match="operator"):
        set_mode(sessions, state=OUT, reason=OutOfServiceReason.OTHER, operator_id=" ", now=T0)
    assert current_mode(sessions) == IN_SERVICE_AT_INSTALLATION
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(AuditRecord)) == 0


def test_the_change_and_its_record_roll_back_together(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(RuntimeError, match="power"), sessions() as session, session.begin():
        change_mode(session, state=OUT, reason=OutOfServiceReason.CLOSED, operator_id="op-1", now=T0)
        raise RuntimeError("power cut before the commit")
    assert current_mode(sessions) == IN_SERVICE_AT_INSTALLATION
    assert _audit(sessions) == []


def test_change_mode_needs_the_callers_transaction(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, pytest.raises(RuntimeError, match="transaction"):
        change_mode(session, state=OUT, reason=OutOfServiceReason.CLOSED, operator_id="op-1", now=T0)


def test_a_store_without_the_mode_row_says_so(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, session.begin():  # damage, as someone with the file could do
        session.connection().exec_driver_sql("DELETE FROM terminal_mode")
    with sessions() as session, pytest.raises(LookupError, match="terminal_mode"):
        read_mode(session)
