"""The audit chain verifies, and detects an edited, deleted, inserted or truncated record."""

from __future__ import annotations

import sqlite3
from datetime import timedelta, timezone
from itertools import pairwise
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from storekit import FakeClock

from kiosk.store.audit import GENESIS, ChainReport, append_audit, audit_head, verify_chain
from kiosk.store.models import AuditRecord


def _append(sessions: sessionmaker[Session], clock: FakeClock, n: int) -> list[bytes]:
    hashes = []
    for i in range(n):
        clock.advance(1.5)
        with sessions() as session, session.begin():
            rec = append_audit(
                session,
                actor="operator:0042",
                action="application.received",
                subject=f"application:{i}",
                details={"index": i, "kind": "new_issuance", "note": "受付", "ok": True, "none": None},
                now=clock(),
            )
            hashes.append(rec.hash)
    return hashes


def _tamper(db_path: Path, *statements: str) -> None:
    """What someone with the file can do: drop the append-only triggers, then edit."""
    raw = sqlite3.connect(db_path, isolation_level=None)
    try:
        raw.execute("DROP TRIGGER trg_audit_record_no_update")
        raw.execute("DROP TRIGGER trg_audit_record_no_delete")
        for statement in statements:
            raw.execute(statement)
    finally:
        raw.close()


def _verify(sessions: sessionmaker[Session], anchor: bytes | None = None) -> ChainReport:
    with sessions() as session:
        return verify_chain(session, anchor=anchor)


def test_empty_chain_is_valid(sessions: sessionmaker[Session]) -> None:
    report = _verify(sessions)
    assert report.ok
    assert report.records == 0
    assert report.head == GENESIS


def test_chain_verifies_and_links(sessions: sessionmaker[Session], clock: FakeClock) -> None:
    hashes = _append(sessions, clock, 5)
    report = _verify(sessions, anchor=hashes[2])
    assert report.ok, report.problem
    assert report.records == 5
    assert report.head == hashes[-1]
    with sessions() as session:
        rows = session.query(AuditRecord).order_by(AuditRecord.id).all()
        assert rows[0].prev_hash == GENESIS
        assert all(b.prev_hash == a.hash for a, b in pairwise(rows))
        head = audit_head(session)
        assert head is not None
        assert head.hash == hashes[-1]


def test_several_appends_in_one_transaction_chain(sessions: sessionmaker[Session], clock: FakeClock) -> None:
    with sessions() as session, session.begin():
        for i in range(3):
            append_audit(session, actor="kiosk", action="a", subject=str(i), now=clock())
    assert _verify(sessions).ok


def test_the_orm_cannot_edit_or_delete(sessions: sessionmaker[Session], clock: FakeClock) -> None:
    _append(sessions, clock, 2)
    with pytest.raises(IntegrityError, match="append-only"), sessions() as session, session.begin():
        session.execute(update(AuditRecord).values(actor="someone else"))
    with pytest.raises(IntegrityError, match="append-only"), sessions() as session, session.begin():
        session.execute(delete(AuditRecord))


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("actor", "'operator:9999'"),
        ("details", """'{"index":2,"kind":"revocation","none":null,"note":"受付","ok":true}'"""),
        ("subject", "'application:99'"),
        ("at", "'2026-11-22 09:00:04.000001'"),
    ],
)
def test_edited_record_is_detected(
    sessions: sessionmaker[Session], clock: FakeClock, engine: Engine, db_path: Path, column: str, value: str
) -> None:
    _append(sessions, clock, 5)
    engine.dispose()
    _tamper(db_path, f"UPDATE audit_record SET {column} = {value} WHERE id = 3")
    report = _verify(sessions)
    assert not report.ok
    assert report.first_bad_id == 3
    assert report.problem == "content does not match its hash"


def test_edit_with_recomputed_hash_breaks_the_next_link(
    sessions: sessionmaker[Session], clock: FakeClock, engine: Engine, db_path: Path
) -> None:
    # A careful forger re-hashes the edited record; the record after it no longer links.
    from kiosk.store.audit import canonical_content, chain_hash

    _append(sessions, clock, 4)
    with sessions() as session:
        rec = session.get(AuditRecord, 2)
        assert rec is not None
        forged = chain_hash(
            rec.prev_hash, canonical_content(rec.at, "operator:9999", rec.action, rec.subject, rec.details)
        )
    engine.dispose()
    edit = f"UPDATE audit_record SET actor = 'operator:9999', hash = x'{forged.hex()}' WHERE id = 2"
    _tamper(db_path, edit)
    report = _verify(sessions)
    assert not report.ok
    assert report.first_bad_id == 3
    assert report.problem == "does not link to the record before it"


def test_deleted_record_is_detected(
    sessions: sessionmaker[Session], clock: FakeClock, engine: Engine, db_path: Path
) -> None:
    _append(sessions, clock, 5)
    engine.dispose()
    _tamper(db_path, "DELETE FROM audit_record WHERE id = 3")
    report = _verify(sessions)
    assert not report.ok
    assert report.first_bad_id == 4


def test_deleted_first_record_is_detected(
    sessions: sessionmaker[Session], clock: FakeClock, engine: Engine, db_path: Path
) -> None:
    _append(sessions, clock, 3)
    engine.dispose()
    _tamper(db_path, "DELETE FROM audit_record WHERE id = 1")
    report = _verify(sessions)
    assert not report.ok
    assert report.first_bad_id == 2


def test_truncated_tail_is_caught_by_the_anchor(
    sessions: sessionmaker[Session], clock: FakeClock, engine: Engine, db_path: Path
) -> None:
    hashes = _append(sessions, clock, 5)
    anchor = hashes[-1]  # e.g. sent to the central side yesterday
    engine.dispose()
    _tamper(db_path, "DELETE FROM audit_record WHERE id >= 4")
    assert _verify(sessions).ok  # the chain alone cannot see a shorter tail...
    report = _verify(sessions, anchor=anchor)  # ...the anchor can
    assert not report.ok
    assert "anchored head missing" in (report.problem or "")


def test_details_must_be_flat_scalars(sessions: sessionmaker[Session], clock: FakeClock) -> None:
    with sessions() as session, session.begin():
        with pytest.raises(TypeError):
            append_audit(session, actor="k", action="a", subject="s", details={"x": [1]}, now=clock())
        with pytest.raises(TypeError):
            append_audit(session, actor="k", action="a", subject="s", details={"x": b"raw"}, now=clock())


def test_timestamps_survive_storage_exactly(sessions: sessionmaker[Session], clock: FakeClock) -> None:
    clock.advance(0.123456)  # microseconds matter: they are hashed
    clock.now = clock.now.astimezone(timezone(timedelta(hours=9)))  # handed in as JST
    _append(sessions, clock, 2)
    assert _verify(sessions).ok
