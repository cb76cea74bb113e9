"""Fixtures for the sync tests: a migrated SQLite file, a receiver file, a data key, a fixed clock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from synckit import FakeClock, Receiver

from kiosk.store.db import make_engine, make_sessionmaker
from kiosk.store.migrate import upgrade
from kiosk.store.sealed import Sealer, load_or_create_data_key


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "kiosk.db"


@pytest.fixture
def engine(db_path: Path) -> Iterator[Engine]:
    engine = make_engine(db_path)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return make_sessionmaker(engine)


@pytest.fixture
def sealer(tmp_path: Path) -> Sealer:
    return Sealer(load_or_create_data_key(tmp_path / "data"))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def receiver(tmp_path: Path) -> Receiver:
    return Receiver(tmp_path / "central.db")
