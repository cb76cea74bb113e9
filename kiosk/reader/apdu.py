"""Command APDUs (ISO/IEC 7816-4 §5.1): short and extended length, cases 1–4."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

SHORT_MAX_LC = 255
SHORT_MAX_NE = 256
EXTENDED_MAX_NE = 65536


@dataclass(frozen=True)
class CommandApdu:
    """One command. `ne` is the number of response bytes expected (0 = none, 256/65536 = "all").

    `secret` marks a command whose data must never be logged (VERIFY, CHANGE REFERENCE DATA,
    RESET RETRY COUNTER); `personal` one whose *response* carries personal data (My Number, basic
    4 information, the card face, the signing certificate). The trace shows only their lengths,
    and `repr` never shows data at all.
    """

    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes | bytearray = field(default=b"", repr=False)
    ne: int = 0
    name: str = ""
    secret: bool = field(default=False, compare=False)
    personal: bool = field(default=False, compare=False)

    def __post_init__(self) -> None:
        for label, value in (("CLA", self.cla), ("INS", self.ins), ("P1", self.p1), ("P2", self.p2)):
            if not 0 <= value <= 0xFF:
                raise ValueError(f"{label} out of range: {value}")
        if len(self.data) > EXTENDED_MAX_NE - 1:
            raise ValueError("command data too long for one APDU")
        if not 0 <= self.ne <= EXTENDED_MAX_NE:
            raise ValueError(f"Ne out of range: {self.ne}")

    @property
    def label(self) -> str:
        return self.name or f"{self.cla:02X} {self.ins:02X} {self.p1:02X} {self.p2:02X}"

    def needs_extended(self) -> bool:
        return len(self.data) > SHORT_MAX_LC or self.ne > SHORT_MAX_NE

    def encode(self, *, extended: bool | None = None) -> bytearray:
        """Encode as short when it fits (or `extended=False`), else extended.

        Returns a bytearray so a caller holding a PIN-bearing APDU can wipe it after sending.
        """
        if extended is None:
            extended = self.needs_extended()
        elif not extended and self.needs_extended():
            raise ValueError(f"{self.label}: does not fit a short APDU")
        out = bytearray((self.cla, self.ins, self.p1, self.p2))
        lc, ne = len(self.data), self.ne
        if not extended:
            if lc:
                out.append(lc)
                out += self.data
            if ne:
                out.append(ne & 0xFF)  # 256 → 00
            return out
        if lc:
            out += bytes((0,)) + lc.to_bytes(2, "big")
            out += self.data
        if ne:
            le = (ne & 0xFFFF).to_bytes(2, "big")  # 65536 → 00 00
            out += le if lc else bytes((0,)) + le
        return out

    def with_ne(self, ne: int) -> CommandApdu:
        return replace(self, ne=ne)


@dataclass(frozen=True)
class ResponseApdu:
    data: bytes = field(repr=False)
    sw: int

    @classmethod
    def parse(cls, raw: bytes | bytearray) -> ResponseApdu:
        if len(raw) < 2:
            raise ValueError(f"R-APDU too short ({len(raw)} bytes)")
        return cls(bytes(raw[:-2]), (raw[-2] << 8) | raw[-1])
