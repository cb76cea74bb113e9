"""Schema migrations at start-up: `upgrade(engine)` brings any kiosk database to the current schema.

The whole upgrade is one SQLite transaction (SQLite DDL is transactional): a crash or an error
half way leaves the previous schema, never a mix. Foreign-key enforcement is switched off for the
duration, as SQLite's own "making other kinds of table schema changes" procedure requires (batch
migrations drop and re-create tables that others reference), and `PRAGMA foreign_key_check` must
come back empty before the transaction commits.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Final

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.engine import Connection

MIGRATIONS_DIR: Final = Path(__file__).resolve().parent / "migrations"


class MigrationError(RuntimeError):
    """The database could not be brought to the current schema; it was left as it was."""


def alembic_config(connection: Connection | None = None) -> Config:
    """Programmatic Alembic configuration (no alembic.ini is shipped)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise MigrationError("no migrations found")
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Idempotent: on an up-to-date database this is one short read transaction."""
    with engine.connect() as conn:
        raw = _dbapi(conn)
        raw.execute("PRAGMA foreign_keys=OFF")  # effective only outside a transaction: before BEGIN
        try:
            with conn.begin():
                command.upgrade(alembic_config(conn), revision)
                problems = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if problems:
                    raise MigrationError(f"the migration left {len(problems)} foreign-key violation(s)")
        finally:
            raw.execute("PRAGMA foreign_keys=ON")


def _dbapi(conn: Connection) -> sqlite3.Connection:
    raw = conn.connection.driver_connection
    if not isinstance(raw, sqlite3.Connection):
        raise MigrationError("the kiosk store runs on SQLite (pysqlite) only")
    return raw
