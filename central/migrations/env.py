"""Alembic environment: the URL or an open connection comes from `central.migrate`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from alembic import context
from sqlalchemy import Connection

import central.models  # noqa: F401  (registers every table on Base.metadata)
from central.db import Base, make_engine

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    if connection.dialect.name != "sqlite":
        _migrate(connection)
        return
    # A batch rebuild drops and recreates a table other tables point at; with foreign keys
    # enforced that DROP fails. SQLite ignores this PRAGMA inside a transaction, so it is set on
    # the raw connection before Alembic begins one, and the references are checked afterwards.
    raw = connection.connection.driver_connection
    assert raw is not None
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        _migrate(connection, check=lambda: raw.execute("PRAGMA foreign_key_check").fetchall())
    finally:
        raw.execute("PRAGMA foreign_keys=ON")


def _migrate(connection: Connection, check: Callable[[], list[Any]] | None = None) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds tables for later revisions.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
        broken = check() if check is not None else []
        if broken:  # raised inside the transaction: the migration is rolled back
            raise RuntimeError(f"migration left dangling foreign keys: {broken[:5]}")


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(context.config.get_main_option("sqlalchemy.url") or "")
    try:
        with engine.connect() as conn:
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; give a database URL")
run_migrations_online()
