"""Fixtures shared by the flow and UI tests of the counter: the real central served in-process
(`flowkit.central_server`), the resident's software card in an in-process reader, and a
`CounterTerminal` wired to the kiosk's store, the central and the outbox relay; with the identity
check most procedures start from, and a line to 機構 that is down."""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flowkit import MUNICIPALITY, TERMINAL, CentralServer, Reader, central_server, reader_for
from sqlalchemy.orm import Session, sessionmaker

import lcmp
from cardemu.residents import JUKI_PIN
from cardemu.testpki import TestPki
from kiosk.domain.resident import parse_yyyymmdd
from kiosk.domain.secret import Secret
from kiosk.flows.counter.card import CardAtCounter, CardReading
from kiosk.flows.counter.identity import Established, IdentityStep
from kiosk.flows.counter.terminal import CounterTerminal, utcnow
from kiosk.flows.responses import CertificateResponses
from kiosk.reader.authenticity import IssuerTrust
from kiosk.store.sealed import Sealer
from kiosk.sync.relay import Relay


@pytest.fixture
def server(tmp_path: Path) -> Iterator[CentralServer]:
    with central_server(tmp_path / "central") as running:
        yield running


@pytest.fixture
def terminal(
    sessions: sessionmaker[Session],
    sealer: Sealer,
    server: CentralServer,
    test_pki: TestPki,
    tmp_path: Path,
) -> CounterTerminal:
    link = server.link()
    clock = utcnow  # the central checks message times by the real clock
    relay = Relay(sessions, link.send, verify_receipt=link.verify_receipt,
                  on_settled=CertificateResponses(sealer, link, clock=clock), clock=clock)  # fmt: skip
    return CounterTerminal(
        sessions=sessions, sealer=sealer, link=link, relay=relay, terminal_id=TERMINAL,
        signing_key=server.terminal_key, recipient=server.central.authority.encryption_key.public_key(),
        trust=IssuerTrust.from_directory(test_pki.write_issuer_trust(tmp_path / "trust")),
        clock=clock, certificate_wait_s=5,
    )  # fmt: skip


@pytest.fixture
def insert(
    card_file: Callable[[str], Path], server: CentralServer
) -> Callable[..., tuple[Reader, CardAtCounter]]:
    """insert("adult") → the card registered with the central and in the reader."""

    def put(name: str = "adult", *, register: bool = True) -> tuple[Reader, CardAtCounter]:
        reader = reader_for(card_file(name), server.central)
        if register:
            state = reader.card.state
            server.central.register_card(
                state.card_id, MUNICIPALITY, f"holder-{name}", parse_yyyymmdd(state.expiry)
            )
        return reader, CardAtCounter(reader)

    return put


OPERATOR = "staff-007"


def juki_identity(terminal: CounterTerminal, card: CardAtCounter, reading: CardReading) -> Established:
    """The identity check by the 住基 PIN, made by OPERATOR."""
    step = IdentityStep(
        card,
        reading,
        operator=OPERATOR,
        record=terminal.record(OPERATOR, "visit:t"),
        today=reading.snapshot.today,
    )
    assert step.verify_juki_pin(Secret.from_ascii(JUKI_PIN)).verified
    assert step.established is not None
    return step.established


def unreachable(_payload: bytes) -> bytes:
    """The line to 機構, down."""
    raise lcmp.CmpTransportError("connection refused")
