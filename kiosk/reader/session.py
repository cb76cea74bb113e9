"""What every card application session shares: SELECT, file reads, PIN status and VERIFY.

Read strategy (each APDU costs tens of ms on a contactless reader, CARD.md §3.4):
- extended length available: one READ BINARY by SFI with Le = 65536 — one APDU per file, no
  SELECT;
- otherwise: READ BINARY by SFI with Le = 256 (which also makes the EF current), size the file
  from its TLV header, then offset reads of 256 bytes: ⌈size / 256⌉ APDUs, no SELECT, no probe.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from typing import ClassVar, Generic, TypeVar

from kiosk.domain.secret import Secret
from kiosk.reader import tlv
from kiosk.reader.apdu import EXTENDED_MAX_NE, SHORT_MAX_NE, CommandApdu
from kiosk.reader.errors import CardDataError, EndOfFile, error_for
from kiosk.reader.transport import SW_OK, Transport

_SW_END_OF_FILE = 0x6282
_SW_OFFSET_BEYOND = 0x6B00
_MAX_OFFSET = 0x7FFF  # READ BINARY offsets are 15 bits (P1 bit 8 = 0)
_FILLER = (b"\x00\x00", b"\xff\xff")  # what an unwritten EF starts with (FF alone is a tag byte: FF 20)


@contextmanager
def card_data(what: str) -> Iterator[None]:
    """Parsing card data: a ValueError becomes a CardDataError naming what was being read."""
    try:
        yield
    except ValueError as exc:
        raise CardDataError(f"{what}: {exc}") from None


class ReadStrategy(Enum):
    AUTO = "auto"
    EXTENDED = "extended"  # one extended-Le READ BINARY per file
    CHUNKED = "chunked"  # short APDUs only


@dataclass(frozen=True)
class PinStatus:
    """What an empty VERIFY revealed, without spending a try (CARD.md §3.3)."""

    tries_left: int | None  # None: not reported (already verified on some cards, or unlimited)
    blocked: bool = False
    verified: bool = False

    @classmethod
    def from_sw(cls, sw: int) -> PinStatus:
        if sw in (0x63C0, 0x6984):
            return cls(0, blocked=True)
        if sw & 0xFFF0 == 0x63C0:
            return cls(sw & 0x0F)
        if sw == 0x6300:
            return cls(None)  # counter unlimited (JICSAP 5.2.2)
        if sw == SW_OK:
            return cls(None, verified=True)
        raise error_for(sw, "VERIFY (status)")


PinT = TypeVar("PinT", bound=Enum)  # an AP's PIN enum; each member's value is the PIN EF's FID


class ApplicationSession(Generic[PinT]):
    """A session on one card application; selecting it clears the security status of the last."""

    AID: ClassVar[bytes]
    NAME: ClassVar[str]
    PERSONAL_FILES: ClassVar[frozenset[int]] = frozenset()  # EFs whose content the trace must not show

    def __init__(self, transport: Transport, *, strategy: ReadStrategy = ReadStrategy.AUTO) -> None:
        self.transport = transport
        if strategy is ReadStrategy.AUTO:
            strategy = ReadStrategy.EXTENDED if transport.extended else ReadStrategy.CHUNKED
        self.strategy = strategy
        self.select()

    def select(self) -> None:
        self.transport.send(CommandApdu(0x00, 0xA4, 0x04, 0x0C, self.AID, name=f"SELECT {self.NAME}"))

    def select_ef(self, fid: int) -> None:
        self.transport.send(
            CommandApdu(0x00, 0xA4, 0x02, 0x0C, fid.to_bytes(2, "big"), name=f"SELECT EF {fid:04X}")
        )

    # -- files ---------------------------------------------------------------------------------

    def read_record(self, fid: int) -> bytes:
        """A file holding one BER-TLV (certificate, record), trimmed to that TLV (real EFs carry
        FF filler after it). Empty bytes if the EF is empty or holds only filler."""
        max_ne = EXTENDED_MAX_NE if self.strategy is ReadStrategy.EXTENDED else SHORT_MAX_NE
        data = bytearray(self._read(fid, 0, max_ne, sfi=True))
        if not data or bytes(data[:2]) in _FILLER:
            return b""
        with card_data(f"EF {fid:04X}"):
            size = tlv.encoded_length(bytes(data[:8]))
            if size is None:
                raise ValueError("not a BER-TLV")
        # Also the path for a reader that delivered less than the extended Le asked for.
        while len(data) < size:
            if len(data) > _MAX_OFFSET:
                raise CardDataError(f"EF {fid:04X}: longer than READ BINARY can address")
            chunk = self._read(fid, len(data), min(max_ne, size - len(data)), sfi=False)
            if not chunk:
                raise EndOfFile(_SW_OFFSET_BEYOND, f"READ BINARY {fid:04X}")
            data += chunk
        return bytes(data[:size])

    def read_bytes(self, fid: int, length: int) -> bytes:
        """The first `length` bytes of a fixed-layout file (token info, availability flags)."""
        return self._read(fid, 0, length, sfi=True)

    def _read(self, fid: int, offset: int, ne: int, *, sfi: bool) -> bytes:
        personal = fid in self.PERSONAL_FILES
        if sfi:
            # P1 = 80|SFI names the EF and makes it current; the offset is then 8 bits.
            cmd = CommandApdu(
                0x00, 0xB0, 0x80 | fid, offset, ne=ne, name=f"READ BINARY {fid:04X}", personal=personal
            )
        else:
            cmd = CommandApdu(
                0x00,
                0xB0,
                offset >> 8,
                offset & 0xFF,
                ne=ne,
                name=f"READ BINARY {fid:04X}@{offset}",
                personal=personal,
            )
        resp = self.transport.exchange(cmd)
        if resp.sw in (SW_OK, _SW_END_OF_FILE):
            return resp.data
        if resp.sw == _SW_OFFSET_BEYOND and offset == 0:
            return b""  # an empty EF (e.g. an erased certificate)
        raise error_for(resp.sw, cmd.label)

    # -- PINs ----------------------------------------------------------------------------------

    def pin_status(self, pin: PinT) -> PinStatus:
        """Empty VERIFY by SFI: reports the counter without consuming a try."""
        cmd = CommandApdu(0x00, 0x20, 0x00, 0x80 | pin.value, name=f"VERIFY {pin.name} (status)")
        return PinStatus.from_sw(self.transport.exchange(cmd).sw)

    def verify(self, pin: PinT, secret: Secret) -> None:
        """Raises InvalidPin(tries_left) / PinBlocked; never logs or keeps the PIN."""
        if not len(secret):
            raise ValueError("empty PIN: an empty VERIFY only queries the counter")
        self.transport.send(
            CommandApdu(
                0x00, 0x20, 0x00, 0x80 | pin.value, secret.reveal(), name=f"VERIFY {pin.name}", secret=True
            )
        )

    def change_pin(self, pin: PinT, old: Secret, new: Secret) -> None:
        """VERIFY the old PIN, then CHANGE REFERENCE DATA (P1 01: new value only).

        The PIN rules themselves (length, alphabet) are the flows' business, checked before the
        card is touched; the card refuses a bad format with 6A80 anyway.
        """
        if not len(new):
            raise ValueError("empty new PIN")
        self.verify(pin, old)
        cmd = CommandApdu(
            0x00,
            0x24,
            0x01,
            0x80 | pin.value,
            new.reveal(),
            name=f"CHANGE REFERENCE DATA {pin.name}",
            secret=True,
        )
        self.transport.send(cmd)

    def sign_raw(self, p2: int, digest_info: bytes, label: str) -> bytes:
        """COMPUTE DIGITAL SIGNATURE, P1 00: the card pads the DigestInfo (PKCS#1 v1.5) and signs."""
        if not 0 < len(digest_info) <= 245:
            raise ValueError("DigestInfo must be 1–245 bytes")
        cmd = CommandApdu(
            0x80, 0x2A, 0x00, p2, digest_info, ne=SHORT_MAX_NE, name=f"COMPUTE SIGNATURE {label}"
        )
        return self.transport.send(cmd).data
