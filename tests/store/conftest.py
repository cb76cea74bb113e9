"""Fixtures for the store tests: a migrated SQLite file per test, a data key, a fixed clock."""

from kiosk_store_fixtures import clock, db_path, engine, sealer, sessions  # noqa: F401 (fixtures)
