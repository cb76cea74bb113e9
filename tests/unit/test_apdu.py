import pytest

from kiosk.reader.apdu import CommandApdu, ResponseApdu


@pytest.mark.parametrize(
    ("cmd", "encoded"),
    [
        # case 1
        (CommandApdu(0x00, 0x20, 0x00, 0x98), "00200098"),
        # case 2 short, Le 256 → 00
        (CommandApdu(0x00, 0xB0, 0x8A, 0x00, ne=256), "00B08A0000"),
        (CommandApdu(0x00, 0xB0, 0x86, 0x00, ne=32), "00B0860020"),
        # case 3 short
        (
            CommandApdu(0x00, 0xA4, 0x04, 0x0C, bytes.fromhex("D392F000260100000001")),
            "00A4040C0AD392F000260100000001",
        ),
        # case 4 short
        (CommandApdu(0x80, 0x2A, 0x00, 0x97, b"\x01\x02", ne=256), "802A009702010200"),
        # case 2 extended: Le 65536 → 00 00 00 (AOKI / NFCPY whole-file read)
        (CommandApdu(0x00, 0xB0, 0x8A, 0x00, ne=65536), "00B08A00000000"),
        (CommandApdu(0x00, 0xB0, 0x00, 0x04, ne=0x061F), "00B0000400061F"),
        # case 3 extended
        (CommandApdu(0x00, 0xD6, 0x00, 0x00, bytes(300)), "00D60000" + "00012C" + "00" * 300),
        # case 4 extended: Le without the leading 00
        (CommandApdu(0x00, 0x47, 0x00, 0x1A, bytes(256), ne=65536), "0047001A000100" + "00" * 256 + "0000"),
    ],
)
def test_encoding_vectors(cmd: CommandApdu, encoded: str) -> None:
    assert cmd.encode().hex().upper() == encoded.upper()


def test_forcing_short_refuses_what_does_not_fit() -> None:
    with pytest.raises(ValueError, match="short APDU"):
        CommandApdu(0x00, 0xB0, 0, 0, ne=257).encode(extended=False)


def test_forcing_extended_encodes_small_commands_extended() -> None:
    assert CommandApdu(0x00, 0xB0, 0, 0, ne=4).encode(extended=True).hex() == "00b00000000004"


@pytest.mark.parametrize("bad", [dict(cla=256), dict(p2=-1), dict(ne=65537)])
def test_out_of_range_fields_refused(bad: dict[str, int]) -> None:
    fields = dict(cla=0, ins=0xB0, p1=0, p2=0) | bad
    with pytest.raises(ValueError):
        CommandApdu(**fields)


def test_response_parse() -> None:
    assert ResponseApdu.parse(bytes.fromhex("01029000")) == ResponseApdu(b"\x01\x02", 0x9000)
    with pytest.raises(ValueError):
        ResponseApdu.parse(b"\x90")


def test_secret_commands_can_be_wiped_after_encoding() -> None:
    pin = bytearray(b"1234")
    raw = CommandApdu(0x00, 0x20, 0x00, 0x98, pin, secret=True).encode()
    assert isinstance(raw, bytearray)
    assert raw.endswith(b"1234")
