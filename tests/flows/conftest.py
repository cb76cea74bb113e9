"""Fixtures for the flow tests: the kiosk's store, the real central served in-process, a card, and
the counter terminal wired to them (`counter_fixtures`, shared with the UI tests)."""

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from counter_fixtures import insert, server, terminal  # noqa: F401 (fixtures)
from flowkit import NUMBER, CentralServer, Kiosk, Reader, reader_for
from kiosk_store_fixtures import FakeClock, db_path, engine, sealer, sessions  # noqa: F401 (fixtures)
from sqlalchemy.orm import Session, sessionmaker

from kiosk.store.sealed import Sealer


@pytest.fixture
def clock() -> FakeClock:
    # The central dates certificates and checks message times by the real clock.
    return FakeClock(datetime.now(UTC))


@pytest.fixture
def kiosk(
    db_path: Path,  # noqa: F811
    sessions: sessionmaker[Session],  # noqa: F811
    sealer: Sealer,  # noqa: F811
    clock: FakeClock,
    server: CentralServer,  # noqa: F811
) -> Kiosk:
    return Kiosk(db_path, sessions, sealer, clock, server)


@pytest.fixture
def reader(card_file: Callable[[str], Path], server: CentralServer) -> Reader:  # noqa: F811
    """The adult's card, with an approved application (number NUMBER) for its auth certificate."""
    reader = reader_for(card_file("adult"), server.central)
    server.approve(reader.card.state, NUMBER)
    return reader
