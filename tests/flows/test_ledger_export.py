"""The recorded ledger export (kiosk.flows.ledger_export): the file and its audit record go
together or not at all."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from kiosk_store_fixtures import db_path, engine, sessions  # noqa: F401 (fixtures)
from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from kiosk.flows.ledger import daily_ledger, to_csv
from kiosk.flows.ledger_export import EXPORT_ACTION, export_ledger
from kiosk.store.audit import verify_chain
from kiosk.store.models import AuditRecord

DAY = date(2026, 11, 22)
NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def _records(sessions: sessionmaker[Session]) -> list[AuditRecord]:  # noqa: F811
    with sessions() as session:
        return list(session.scalars(select(AuditRecord).where(AuditRecord.action == EXPORT_ACTION)))


def test_the_file_and_its_record(sessions: sessionmaker[Session], tmp_path: Path) -> None:  # noqa: F811
    path = tmp_path / "ledger.csv"
    done = export_ledger(sessions, DAY, path, operator_id=" op-7 ", now=NOW)
    data = path.read_bytes()
    with sessions() as session:
        assert data == to_csv(daily_ledger(session, DAY)).encode("utf-8")
        assert verify_chain(session).ok
    (record,) = _records(sessions)
    assert (record.actor, record.subject, record.at) == ("op-7", "ledger:2026-11-22", NOW)
    assert json.loads(record.details) == {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    assert str(tmp_path) not in record.details  # where staff saved it is not recorded
    assert (done.sha256, done.anchor.head, done.anchor.records) == (
        hashlib.sha256(data).hexdigest(), record.hash, 1,
    )  # fmt: skip


@pytest.mark.parametrize("operator", ["", "   "])
def test_nobody_named_nothing_written(
    sessions: sessionmaker[Session],  # noqa: F811
    tmp_path: Path,
    operator: str,
) -> None:
    with pytest.raises(ValueError, match="signed-in operator"):
        export_ledger(sessions, DAY, tmp_path / "ledger.csv", operator_id=operator, now=NOW)
    assert list(tmp_path.glob("*.csv")) == [] and _records(sessions) == []


def test_an_unwritable_file_leaves_no_record(sessions: sessionmaker[Session], tmp_path: Path) -> None:  # noqa: F811
    with pytest.raises(FileNotFoundError):
        export_ledger(sessions, DAY, tmp_path / "gone" / "ledger.csv", operator_id="op-7", now=NOW)
    assert _records(sessions) == []


def test_a_record_that_cannot_be_committed_takes_its_file_away(
    sessions: sessionmaker[Session],  # noqa: F811
    tmp_path: Path,
) -> None:
    def refuse(_session: Session) -> None:
        raise RuntimeError("disk full")  # as a failing COMMIT would

    event.listen(Session, "before_commit", refuse)
    try:
        with pytest.raises(RuntimeError, match="disk full"):
            export_ledger(sessions, DAY, tmp_path / "ledger.csv", operator_id="op-7", now=NOW)
    finally:
        event.remove(Session, "before_commit", refuse)
    assert list(tmp_path.glob("*.csv")) == [] and _records(sessions) == []
