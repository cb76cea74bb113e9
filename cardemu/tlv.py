"""BER-TLV as the 券面 applications write it, on top of `asn1crypto.parser`.

The card writes some two-byte tags whose number is below 31 (`FF 10`, `DF 11`–`DF 13`). That is
the non-minimal high-tag-number form: `asn1crypto.parser.emit` would encode the same tag in one
byte (`F0`, `D1`) and `asn1crypto.parser.parse` refuses it ("Non-minimal tag encoding"). So tags
are handled here as the raw bytes printed in CARD.md, and asn1crypto does the length and the
value: emit and parse go through a one-byte stand-in tag (`04`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from asn1crypto import parser

_STAND_IN = b"\x04"  # universal OCTET STRING: any single-byte primitive tag would do
_FILLER = (0x00, 0xFF)  # bytes after the last object of a record (CARD.md §3.4, SOLTIA)


@dataclass(frozen=True)
class Tlv:
    tag: bytes  # as written, e.g. b"\xDF\x21"
    value: bytes
    encoded: bytes  # tag ‖ length ‖ value, exactly as in the file
    offset: int  # where `encoded` starts in the buffer it was parsed from


def tlv(tag: bytes, value: bytes) -> bytes:
    """Encode one object: `tag` copied as given, DER definite length, `value`."""
    if not tag:
        raise ValueError("empty tag")
    return tag + parser.emit(0, 0, _STAND_IN[0], value)[1:]


def _tag_length(data: bytes, offset: int) -> int:
    """Length of the tag starting at `offset`: one byte, or 1F-form with continuation bytes."""
    if data[offset] & 0x1F != 0x1F:
        return 1
    end = offset + 1
    while end < len(data) and data[end] & 0x80:
        end += 1
    if end >= len(data):
        raise ValueError(f"tag at offset {offset} runs past the end of the data")
    return end - offset + 1


def parse_tlv(data: bytes, offset: int = 0) -> Tlv:
    """The object starting at `offset` (trailing bytes after it are allowed)."""
    if offset >= len(data):
        raise ValueError(f"no object at offset {offset}")
    tag_len = _tag_length(data, offset)
    _class, _method, _tag, header, value, trailer = parser.parse(_STAND_IN + data[offset + tag_len :])
    if trailer:
        raise ValueError("indefinite length is not used on this card")
    size = tag_len + len(header) - 1 + len(value)
    return Tlv(data[offset : offset + tag_len], value, data[offset : offset + size], offset)


def iter_tlvs(data: bytes, base: int = 0) -> Iterator[Tlv]:
    """The objects concatenated in `data`, stopping at `00`/`FF` filler.

    `base` is added to every `offset`, so offsets can be reported relative to the file when
    `data` is the value of an outer object.
    """
    pos = 0
    while pos < len(data) and data[pos] not in _FILLER:
        item = parse_tlv(data, pos)
        yield Tlv(item.tag, item.value, item.encoded, base + pos)
        pos += len(item.encoded)


def children(record: bytes, tag: bytes) -> tuple[Tlv, list[Tlv]]:
    """Parse a record `tag { … }` (filler after it allowed): the outer object and its children,
    with the children's offsets counted from the start of `record`."""
    outer = parse_tlv(record)
    if outer.tag != tag:
        raise ValueError(f"expected tag {tag.hex().upper()}, got {outer.tag.hex().upper()}")
    header_len = len(outer.encoded) - len(outer.value)
    return outer, list(iter_tlvs(outer.value, header_len))
