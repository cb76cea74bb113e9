"""Fixtures for the sync tests: the store's (migrated SQLite file, data key, clock) and a receiver."""

from pathlib import Path

import pytest
from kiosk_store_fixtures import clock, db_path, engine, sealer, sessions  # noqa: F401 (fixtures)
from synckit import Receiver


@pytest.fixture
def receiver(tmp_path: Path) -> Receiver:
    return Receiver(tmp_path / "central.db")
