"""SQLite engine and sessions, configured for durability (SYNC.md §6).

- `journal_mode=WAL`: readers never block the writer (the UI can read while the relay writes).
- `synchronous=FULL`: in WAL mode NORMAL may lose the last commits on power loss; an acknowledged
  application or outbox message must survive, so every COMMIT waits for fsync of the WAL.
- `foreign_keys=ON`: SQLite leaves FK enforcement off unless asked, per connection.
- `BEGIN IMMEDIATE` for write transactions: pysqlite (Python 3.11) in its legacy mode emits no BEGIN
  before SELECTs, so a read-modify-write (e.g. reading the audit chain head, then appending) would
  not be one transaction, and a deferred transaction that upgrades to a write lock can fail with
  SQLITE_BUSY half way. We switch pysqlite's own transaction handling off and emit BEGIN ourselves
  (the SQLAlchemy SQLite dialect's event-hook recipe, "Transactions with SQLite and the sqlite3
  driver"), so the write lock is taken up front and waits on `busy_timeout`, never mid-transaction.

No module-level engine and no global session: the composition root makes one engine per database
file and passes the sessionmaker down.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any, Final

from sqlalchemy import URL, Engine, create_engine, event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry, NullPool

# Execution option read by the "begin" hook: the BEGIN flavour for transactions on that engine.
BEGIN_MODE: Final = "kiosk_sqlite_begin"
_BEGIN_STATEMENTS: Final = {"IMMEDIATE": "BEGIN IMMEDIATE", "DEFERRED": "BEGIN DEFERRED"}

# How long a writer waits for the lock held by another connection before "database is locked".
DEFAULT_BUSY_TIMEOUT_S: Final = 10.0


class StoreConfigurationError(RuntimeError):
    """The database file cannot be run with the durability settings we require."""


def make_engine(path: Path | str, *, busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S) -> Engine:
    """An engine on the SQLite file `path` (created if missing) with WAL, FULL sync, FKs, BEGIN IMMEDIATE."""
    _create_private(Path(path))
    url = URL.create("sqlite+pysqlite", database=str(path))
    engine = create_engine(
        url,
        # pysqlite's busy handler: BEGIN IMMEDIATE waits this long for a concurrent writer.
        connect_args={"timeout": busy_timeout_s},
        # Bound parameters (payloads, sealed values) never appear in exception messages or SQL logs.
        hide_parameters=True,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
        # Hand transaction control to SQLAlchemy: pysqlite must not emit (or skip) BEGIN itself.
        dbapi_connection.isolation_level = None
        _apply_pragmas(dbapi_connection)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get(BEGIN_MODE, "IMMEDIATE")
        conn.exec_driver_sql(_BEGIN_STATEMENTS[mode])

    return engine


def _create_private(path: Path) -> None:
    """Create the database file 0600 before SQLite does (it would use 0644 minus umask); the -wal
    and -shm files SQLite creates next to it take the same permissions."""
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
    os.close(fd)


def _apply_pragmas(dbapi_connection: sqlite3.Connection) -> None:
    # Outside any transaction (isolation_level is None): journal_mode and foreign_keys are silently
    # ignored inside one.
    cursor = dbapi_connection.cursor()
    try:
        (mode,) = cursor.execute("PRAGMA journal_mode=WAL").fetchone()
        if str(mode).lower() != "wal":
            # e.g. a file on a network filesystem: WAL needs shared memory on the same host.
            raise StoreConfigurationError(f"SQLite refused WAL journal mode (got {mode!r})")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def read_only(engine: Engine) -> Engine:
    """The same engine (same pool, same hooks) but with deferred BEGIN: for sessions that only read,
    so a screen refresh does not queue behind, or hold up, the writer."""
    return engine.execution_options(**{BEGIN_MODE: "DEFERRED"})


def open_evidence(path: Path) -> Engine:
    """An existing store opened so that nothing can change it, for checking it (`kiosk audit`).

    Not `make_engine`: that creates a missing file and sets journal_mode=WAL, both writes, and a
    check of the record must not change the evidence. With mode=ro SQLite itself refuses every
    write (so no migration either), yet still reads what a running kiosk has committed to the WAL.
    SQLite may leave empty -wal/-shm files beside the store, never a change to the store file."""
    uri = f"{path.resolve().as_uri()}?mode=ro"
    return create_engine(
        "sqlite+pysqlite://",
        creator=lambda: sqlite3.connect(uri, uri=True),
        poolclass=NullPool,  # the connection closes with the session: nothing lingers on the file
        hide_parameters=True,
    )


def make_sessionmaker(engine: Engine, *, readonly: bool = False) -> sessionmaker[Session]:
    """Sessions for one unit of work each (one flow step, one relay step).

    expire_on_commit=False: objects are read after the commit that created them (by the flow that
    shows a result, by the relay that sends a message), and reloading each one would cost a query
    per attribute access on a UI thread. Code that needs fresh state queries again.
    """
    bind = read_only(engine) if readonly else engine
    return sessionmaker(bind=bind, expire_on_commit=False)


def sqlite_pragmas(conn: Connection) -> dict[str, Any]:
    """The PRAGMAs that matter to durability, as this connection sees them (for tests and diagnostics)."""
    return {
        name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
        for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
    }
