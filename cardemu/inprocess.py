"""A `CardConnection` straight to a SoftCard in this process: fast tests without pcscd."""

from __future__ import annotations

from cardemu.apdu import is_extended
from cardemu.card import SoftCard
from kiosk.reader.errors import CardRemoved, TransportError


class SoftCardConnection:
    """Implements `kiosk.reader.connection.CardConnection`. Connecting powers the card on."""

    def __init__(self, card: SoftCard, *, extended_length: bool = True) -> None:
        self._card = card
        self._extended_length = extended_length
        self._atr = card.power_on()
        self._present = True
        self._closed = False

    @property
    def atr(self) -> bytes:
        return self._atr

    @property
    def supports_extended_length(self) -> bool:
        return self._extended_length

    def transmit(self, apdu: bytes) -> bytes:
        if not self._present:
            raise CardRemoved()
        if self._closed:
            raise TransportError("connection closed")
        if not self._extended_length and is_extended(apdu):
            # What a reader without extended-length support does: the APDU never reaches the card.
            raise TransportError("reader does not support extended-length APDUs")
        return self._card.process(apdu)

    def pull(self) -> None:
        """Simulate the holder taking the card out: it loses power, every later transmit fails."""
        self._present = False
        self._card.power_off()

    def close(self) -> None:
        if not self._closed and self._present:
            self._card.power_off()
        self._closed = True
