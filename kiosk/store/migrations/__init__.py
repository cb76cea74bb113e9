"""Alembic migrations of the kiosk database; run through `kiosk.store.migrate.upgrade(engine)`."""
