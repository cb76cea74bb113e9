"""The connection abstraction every card session sits on: `transmit` and nothing else.

Implementations: `pcsc.PcscConnection` (a real reader through pcscd) and, for fast tests,
`cardemu.inprocess.SoftCardConnection`. APDU framing, 61xx/6Cxx handling, chaining and tracing
are layered on top in `transport.py`, not inside the connections.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class CardConnection(Protocol):
    @property
    def atr(self) -> bytes: ...

    @property
    def supports_extended_length(self) -> bool:
        """Whether the reader path carries extended-length APDUs (pcscd + vpcd does; some readers do not)."""
        ...

    def transmit(self, apdu: bytes | bytearray) -> bytes:
        """Send one C-APDU, return the R-APDU (data ‖ SW1 SW2).

        `apdu` may be a bytearray holding a PIN: the caller wipes it afterwards, so an
        implementation must not keep a reference to it.

        Raises `CardRemoved` if the card left the reader, never hangs on a removed card.
        """
        ...

    def close(self) -> None: ...
