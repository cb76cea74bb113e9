"""Fixtures for the flow tests: the kiosk's store, the real central served in-process, a card."""

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flowkit import NUMBER, CentralServer, Kiosk, Reader, central_server, reader_for
from kiosk_store_fixtures import FakeClock, db_path, engine, sealer, sessions  # noqa: F401 (fixtures)
from sqlalchemy.orm import Session, sessionmaker

from kiosk.store.sealed import Sealer


@pytest.fixture
def clock() -> FakeClock:
    # The central dates certificates and checks message times by the real clock.
    return FakeClock(datetime.now(UTC))


@pytest.fixture
def server(tmp_path: Path) -> Iterator[CentralServer]:
    with central_server(tmp_path / "central") as running:
        yield running


@pytest.fixture
def kiosk(
    db_path: Path,  # noqa: F811
    sessions: sessionmaker[Session],  # noqa: F811
    sealer: Sealer,  # noqa: F811
    clock: FakeClock,
    server: CentralServer,
) -> Kiosk:
    return Kiosk(db_path, sessions, sealer, clock, server)


@pytest.fixture
def reader(card_file: Callable[[str], Path], server: CentralServer) -> Reader:
    """The adult's card, with an approved application (number NUMBER) for its auth certificate."""
    reader = reader_for(card_file("adult"), server.central)
    server.approve(reader.card.state, NUMBER)
    return reader
