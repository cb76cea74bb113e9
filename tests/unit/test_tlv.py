import pytest

from kiosk.reader import tlv


def test_multibyte_private_and_application_tags() -> None:
    # kenhojo EF 0001 as stored: FF 10 0C + 12 digits + FF FF filler
    data = bytes.fromhex("FF100C") + b"123456789018" + b"\xff\xff"
    item, rest = tlv.parse_one(data)
    assert item.tag == 0xFF10
    assert item.value == b"123456789018"
    assert item.encoded == data[:15]
    assert rest == b"\xff\xff"


def test_children_and_two_byte_tags() -> None:
    inner = bytes.fromhex("DF2201") + b"A" + bytes.fromhex("DF250131")
    data = bytes.fromhex("FF20") + bytes([len(inner)]) + inner
    outer = tlv.expect(data, 0xFF20)
    kids = tlv.children(outer.value)
    assert set(kids) == {0xDF22, 0xDF25}
    assert kids[0xDF25].value == b"1"


def test_cv_certificate_tags() -> None:
    body = bytes.fromhex("5F4E03") + b"abc"
    item = tlv.expect(bytes.fromhex("7F21") + bytes([len(body)]) + body, 0x7F21)
    assert tlv.children(item.value)[0x5F4E].value == b"abc"


def test_expect_wrong_tag() -> None:
    with pytest.raises(ValueError, match="expected tag"):
        tlv.expect(bytes.fromhex("300100"), 0x7F21)


def test_duplicate_children_refused() -> None:
    with pytest.raises(ValueError, match="twice"):
        tlv.children(bytes.fromhex("800101800102"))


@pytest.mark.parametrize(
    ("prefix", "size"),
    [
        ("3082061F", 0x061F + 4),  # auth certificate header (CARD.md §3.2)
        ("308206CA", 0x06CA + 4),
        ("FF100C", 15),
        ("FF2062DF21", 0x62 + 3),
        ("7F21820233", 0x233 + 5),
        ("3081", None),  # length octet missing
        ("30", None),
        ("", None),
    ],
)
def test_encoded_length_from_header(prefix: str, size: int | None) -> None:
    assert tlv.encoded_length(bytes.fromhex(prefix)) == size


def test_encoded_length_refuses_indefinite_form() -> None:
    with pytest.raises(ValueError):
        tlv.encoded_length(bytes.fromhex("3080"))


@pytest.mark.parametrize(
    ("tag", "value", "encoded"),
    [
        (0xFF10, b"x" * 12, "FF100C" + "78" * 12),
        (0xDF11, b"19800217", "DF1108" + b"19800217".hex()),
        (0x5F37, bytes(256), "5F37820100" + "00" * 256),
        (0x91, bytes(200), "9181C8" + "00" * 200),
        (0x7F21, bytes(0x233), "7F21820233" + "00" * 0x233),
    ],
)
def test_emit_and_parse_round_trip(tag: int, value: bytes, encoded: str) -> None:
    raw = tlv.emit(tag, value)
    assert raw.hex().upper() == encoded.upper()
    parsed, rest = tlv.parse_one(raw + b"\xff")
    assert (parsed.tag, parsed.value, rest) == (tag, value, b"\xff")


@pytest.mark.parametrize("raw", ["DF", "DF21", "DF2105AA", "1F", "30820100"])
def test_truncated_input_refused(raw: str) -> None:
    with pytest.raises(ValueError):
        tlv.parse_one(bytes.fromhex(raw))
