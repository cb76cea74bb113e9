"""Alembic environment: only ever run by `kiosk.store.migrate`, on a connection it already opened.

`render_as_batch=True`: SQLite's ALTER TABLE cannot change or drop most things, so Alembic's batch
mode ("move and copy": create the new table, copy, drop, rename) is used for every change.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from kiosk.store.models import Base

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError("run migrations through kiosk.store.migrate.upgrade(engine)")

context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
