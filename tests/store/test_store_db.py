"""The engine really runs with the durability settings, and write transactions take the lock up front."""

from __future__ import annotations

import sqlite3
import stat
import uuid
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from kiosk.store.db import make_engine, make_sessionmaker, read_only, sqlite_pragmas
from kiosk.store.models import Application, IssuanceJournal, ProcedureKind


def test_pragmas_in_effect_on_every_connection(engine: Engine) -> None:
    # Two connections at once: each new pooled connection gets the PRAGMAs, not just the first.
    # (Read-only: two IMMEDIATE transactions would wait for each other, which is the point of them.)
    reader = read_only(engine)
    with reader.connect() as a, reader.connect() as b:
        for conn in (a, b):
            pragmas = sqlite_pragmas(conn)
            assert pragmas["journal_mode"] == "wal"
            assert pragmas["synchronous"] == 2  # FULL
            assert pragmas["foreign_keys"] == 1
            assert pragmas["busy_timeout"] == 10_000


def test_wal_is_persistent_in_the_file(engine: Engine, db_path: Path) -> None:
    engine.dispose()
    raw = sqlite3.connect(db_path)
    try:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        raw.close()


def _other_writer(db_path: Path) -> sqlite3.Connection:
    other = sqlite3.connect(db_path, timeout=0, isolation_level=None)
    return other


def test_write_transaction_takes_the_write_lock_at_begin(engine: Engine, db_path: Path) -> None:
    sessions = make_sessionmaker(engine)
    other = _other_writer(db_path)
    try:
        with sessions() as session, session.begin():
            session.connection()  # BEGIN only, no statement yet
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")  # released at commit
        other.execute("ROLLBACK")
    finally:
        other.close()


def test_a_select_starts_the_transaction_too(engine: Engine) -> None:
    # pysqlite's legacy mode would run this SELECT outside any transaction.
    with make_sessionmaker(engine)() as session, session.begin():
        session.execute(text("SELECT 1"))
        raw = session.connection().connection.driver_connection
        assert isinstance(raw, sqlite3.Connection)
        assert raw.in_transaction


def test_read_only_sessions_do_not_block_the_writer(engine: Engine, db_path: Path) -> None:
    readers = make_sessionmaker(engine, readonly=True)
    other = _other_writer(db_path)
    try:
        with readers() as session, session.begin():
            session.execute(select(Application)).all()
            other.execute("BEGIN IMMEDIATE")  # not locked out
            other.execute("ROLLBACK")
    finally:
        other.close()


def test_savepoint_rolls_back_only_the_inner_part(sessions: sessionmaker[Session]) -> None:
    outer_id, inner_id = uuid.uuid4(), uuid.uuid4()
    with sessions() as session, session.begin():
        session.add(Application(id=outer_id, kind=ProcedureKind.RENEWAL, sealed_payload=b"x"))
        try:
            with session.begin_nested():
                session.add(Application(id=inner_id, kind=ProcedureKind.RENEWAL, sealed_payload=b"y"))
                raise RuntimeError("inner failure")
        except RuntimeError:
            pass
    with sessions() as session:
        ids = set(session.scalars(select(Application.id)))
    assert ids == {outer_id}


def test_foreign_keys_are_enforced(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(IntegrityError), sessions() as session, session.begin():
        session.add(
            IssuanceJournal(
                application_id=uuid.uuid4(),  # no such application
                card_id="00",
                cert_kind="auth",
                step="requested",
            )
        )


def test_engines_are_independent(tmp_path: Path) -> None:
    # No module-level state: two files, two engines, nothing shared.
    a, b = make_engine(tmp_path / "a.db"), make_engine(tmp_path / "b.db")
    try:
        with a.connect() as ca, b.connect() as cb:
            ca.exec_driver_sql("CREATE TABLE t (x)")
            assert cb.exec_driver_sql("SELECT count(*) FROM sqlite_master WHERE name='t'").scalar() == 0
    finally:
        a.dispose()
        b.dispose()


def test_database_files_are_private(engine: Engine, db_path: Path) -> None:
    with make_sessionmaker(engine)() as session, session.begin():
        session.add(Application(kind=ProcedureKind.RENEWAL, sealed_payload=b"x"))
    for path in (db_path, db_path.with_name(db_path.name + "-wal")):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_errors_never_show_bound_parameters(sessions: sessionmaker[Session]) -> None:
    app_id = uuid.uuid4()
    with sessions() as session, session.begin():
        session.add(Application(id=app_id, kind=ProcedureKind.RENEWAL, sealed_payload=b"x"))
    with pytest.raises(IntegrityError) as caught, sessions() as session, session.begin():
        session.add(Application(id=app_id, kind=ProcedureKind.RENEWAL, sealed_payload=b"SEALED-BYTES"))
    assert "SEALED-BYTES" not in str(caught.value)
    assert "hidden due to hide_parameters" in str(caught.value)
