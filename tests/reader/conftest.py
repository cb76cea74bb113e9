"""Kiosk sessions on the in-process software card: the same code paths as PC/SC, minus pcscd."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from cardemu.card import SoftCard
from cardemu.inprocess import SoftCardConnection
from cardemu.state import CardState
from kiosk.reader.trace import ApduTrace
from kiosk.reader.transport import Transport


@dataclass
class OpenCard:
    transport: Transport
    connection: SoftCardConnection
    card: SoftCard
    path: Path

    @property
    def state(self) -> CardState:
        return self.card.state


@pytest.fixture
def open_card(card_file: Callable[[str], Path]) -> Callable[..., OpenCard]:
    def make(name: str = "adult", *, extended: bool = True) -> OpenCard:
        path = card_file(name)
        card = SoftCard(CardState.load(path), path)
        connection = SoftCardConnection(card, extended_length=extended)
        return OpenCard(Transport(connection, ApduTrace(keep=True)), connection, card, path)

    return make
