"""Command APDUs (ISO/IEC 7816-3 §12.1): the four cases in short and extended length."""

from __future__ import annotations

from dataclasses import dataclass


class StatusError(Exception):
    """Ends the command being processed with this status word and no data."""

    def __init__(self, sw: int) -> None:
        super().__init__(f"SW {sw:04X}")
        self.sw = sw


@dataclass(frozen=True)
class Command:
    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes = b""
    ne: int = 0  # maximum response length the terminal expects; 0 = no Le field
    extended: bool = False

    @property
    def le_is_max(self) -> bool:
        """Le was all zeros, i.e. "everything available" (256 short, 65536 extended)."""
        return self.ne == (65536 if self.extended else 256)


def is_extended(apdu: bytes) -> bool:
    """Whether the APDU uses the extended-length form (a 00 byte where a short Lc/Le would be)."""
    return len(apdu) > 5 and apdu[4] == 0


def parse(apdu: bytes) -> Command:
    """Raise StatusError(6700) for anything that is not one of the seven well-formed shapes."""
    if len(apdu) < 4:
        raise StatusError(0x6700)
    cla, ins, p1, p2 = apdu[:4]
    body = apdu[4:]
    extended = len(body) > 1 and body[0] == 0  # extended Lc / lone Le: 00 then two bytes
    data, le = b"", b""
    if len(body) == (3 if extended else 1):  # case 2: Le only
        le = body[1:] if extended else body
    elif body:  # case 3 or 4: Lc, data, optional Le of the same form
        lc = int.from_bytes(body[1:3] if extended else body[:1], "big")
        rest = body[3:] if extended else body[1:]
        if lc == 0 or len(rest) not in (lc, lc + (2 if extended else 1)):
            raise StatusError(0x6700)
        data, le = rest[:lc], rest[lc:]
    ne = (int.from_bytes(le, "big") or 256 ** len(le)) if le else 0  # Le all zeros = the maximum
    return Command(cla, ins, p1, p2, data, ne, extended)
