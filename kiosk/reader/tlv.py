"""BER-TLV as the card stores it (ISO/IEC 7816-4 §5.2; CARD.md §4–§5).

Not an ASN.1 library on purpose: the card writes tags such as `FF 10` and `DF 11` — the
two-byte form for tag numbers below 31, legal in ISO 7816 BER-TLV but "non-minimal" to X.690,
so DER parsers (asn1crypto, pyasn1) refuse them. Tags are handled as the integer of their
identifier octets (`0xDF22`, `0x7F21`, `0xFF10`), the way the card documentation writes them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

_MAX_LENGTH_OCTETS = 3  # 16 MB: far beyond any EF; refuses garbage early


@dataclass(frozen=True)
class Tlv:
    tag: int
    value: bytes = field(repr=False)  # may be personal data: never in a repr
    encoded: bytes = field(repr=False)  # the complete TLV, for signatures that cover tag and length too


def _tag_end(data: bytes, pos: int) -> int:
    if pos >= len(data):
        raise ValueError("TLV truncated in its tag")
    end = pos + 1
    if data[pos] & 0x1F == 0x1F:  # subsequent octets while bit 8 is set
        while end < len(data) and data[end] & 0x80:
            end += 1
        end += 1
        if end > len(data):
            raise ValueError("TLV truncated in its tag")
    return end


def _header(data: bytes, pos: int = 0) -> tuple[int, int, int] | None:
    """(tag, header size, value length), or None when `data` ends inside the header."""
    try:
        tag_end = _tag_end(data, pos)
    except ValueError:
        return None
    if tag_end >= len(data):
        return None
    first = data[tag_end]
    if first < 0x80:
        return int.from_bytes(data[pos:tag_end], "big"), tag_end + 1 - pos, first
    count = first & 0x7F
    if count == 0 or count > _MAX_LENGTH_OCTETS:
        raise ValueError("indefinite or oversized TLV length")
    if tag_end + 1 + count > len(data):
        return None
    length = int.from_bytes(data[tag_end + 1 : tag_end + 1 + count], "big")
    return int.from_bytes(data[pos:tag_end], "big"), tag_end + 1 + count - pos, length


def parse_one(data: bytes) -> tuple[Tlv, bytes]:
    """The first TLV and whatever follows it (e.g. FF filler). ValueError if malformed."""
    header = _header(data)
    if header is None:
        raise ValueError("TLV truncated in its header")
    tag, head, length = header
    end = head + length
    if end > len(data):
        raise ValueError(f"TLV {tag:X} announces {length} bytes, {len(data) - head} present")
    return Tlv(tag, bytes(data[head:end]), bytes(data[:end])), data[end:]


def iterate(data: bytes) -> Iterator[Tlv]:
    """Consecutive TLVs until the data ends."""
    while data:
        tlv, data = parse_one(data)
        yield tlv


def children(data: bytes) -> dict[int, Tlv]:
    """The TLVs inside a constructed value, by tag (each tag expected once)."""
    found: dict[int, Tlv] = {}
    for tlv in iterate(data):
        if tlv.tag in found:
            raise ValueError(f"tag {tlv.tag:X} appears twice")
        found[tlv.tag] = tlv
    return found


def expect(data: bytes, tag: int) -> Tlv:
    """Parse the leading TLV and check its tag."""
    tlv, _rest = parse_one(data)
    if tlv.tag != tag:
        raise ValueError(f"expected tag {tag:X}, found {tlv.tag:X}")
    return tlv


def encoded_length(prefix: bytes) -> int | None:
    """Total size of the TLV whose first bytes are `prefix`, or None if the prefix is too short.

    Lets a reader size a file from its first bytes without knowing the EF size.
    """
    header = _header(prefix)
    return None if header is None else header[1] + header[2]


def emit(tag: int, value: bytes) -> bytes:
    """Encode one TLV: the tag's identifier octets as given, definite length (shortest form)."""
    if tag <= 0:
        raise ValueError("tag must be positive")
    tag_bytes = tag.to_bytes((tag.bit_length() + 7) // 8, "big")
    length = len(value)
    if length < 0x80:
        head = bytes((length,))
    else:
        octets = length.to_bytes((length.bit_length() + 7) // 8, "big")
        if len(octets) > _MAX_LENGTH_OCTETS:
            raise ValueError("value too long")
        head = bytes((0x80 | len(octets),)) + octets
    return tag_bytes + head + value
