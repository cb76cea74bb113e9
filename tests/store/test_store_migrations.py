"""Start-up migrations: the schema they build is the models' schema, plus the protective triggers."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from kiosk.store.db import make_engine
from kiosk.store.migrate import current_revision, head_revision, upgrade
from kiosk.store.models import Base, OutboxMessage, SyncState
from kiosk.sync.outbox import enqueue

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def test_fresh_database_is_at_head(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()
    names = set(inspect(engine).get_table_names())
    assert names >= {"application", "issuance_journal", "audit_record", "outbox", "inbox", "sync_state"}


def test_upgrade_is_idempotent(engine: Engine) -> None:
    upgrade(engine)
    upgrade(engine)
    assert current_revision(engine) == head_revision()


def test_migrations_match_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(ctx, Base.metadata) == []


def test_sync_state_row_exists(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        state = session.get(SyncState, 1)
        assert state is not None
        assert state.server_cursor == 0


def test_enum_check_constraints(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(IntegrityError), sessions() as session, session.begin():
        session.execute(
            text(
                "INSERT INTO application (id, kind, state, created_at, updated_at, sealed_payload) "
                "VALUES ('00', 'bogus', 'open', '2026-01-01', '2026-01-01', x'00')"
            )
        )


def test_outbox_content_is_immutable_and_pending_rows_stay(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, session.begin():
        message = enqueue(session, "k", b"payload", now=NOW)
        seq = message.seq
    with pytest.raises(IntegrityError, match="immutable"), sessions() as session, session.begin():
        session.execute(text("UPDATE outbox SET payload = x'00' WHERE seq = :s"), {"s": seq})
    with pytest.raises(IntegrityError, match="pending"), sessions() as session, session.begin():
        session.execute(text("DELETE FROM outbox WHERE seq = :s"), {"s": seq})
    with sessions() as session, session.begin():  # delivery bookkeeping is allowed
        row = session.get(OutboxMessage, seq)
        assert row is not None
        row.attempts = 3


def test_failed_upgrade_leaves_the_database_untouched(tmp_path: Path) -> None:
    # A database already at an unknown revision (e.g. written by a newer kiosk) is refused, unchanged.
    engine = make_engine(tmp_path / "k.db")
    try:
        upgrade(engine)
        with engine.begin() as conn:
            conn.exec_driver_sql("UPDATE alembic_version SET version_num = 'from-the-future'")
        before = set(inspect(engine).get_table_names())
        with pytest.raises(Exception, match="from-the-future"):
            upgrade(engine)
        assert set(inspect(engine).get_table_names()) == before
        with engine.connect() as conn:  # FK enforcement is back on for pooled connections
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()
