"""APDU framing, class byte, unknown commands, robustness, logging."""

from __future__ import annotations

import logging
import random

import pytest
from softcard_util import AUTH_PIN, SIGN_PIN, apdu, h, ok, select_ap, select_ef, send, verify

import cardemu.signing
from cardemu.apdu import Command, StatusError, is_extended, parse
from cardemu.jpki import JPKI_AID


@pytest.mark.parametrize(
    ("hex_apdu", "expected"),
    [
        ("00 A4 00 00", Command(0x00, 0xA4, 0x00, 0x00)),  # case 1
        ("00 B0 00 00 04", Command(0x00, 0xB0, 0x00, 0x00, ne=4)),  # case 2S
        ("00 B0 00 00 00", Command(0x00, 0xB0, 0x00, 0x00, ne=256)),
        ("00 B0 00 00 00 06 1F", Command(0x00, 0xB0, 0x00, 0x00, ne=0x061F, extended=True)),  # case 2E
        ("00 B0 00 00 00 00 00", Command(0x00, 0xB0, 0x00, 0x00, ne=65536, extended=True)),
        ("00 A4 02 0C 02 00 18", Command(0x00, 0xA4, 0x02, 0x0C, h("0018"))),  # case 3S
        ("00 D6 00 00 00 00 02 AA BB", Command(0x00, 0xD6, 0x00, 0x00, h("AABB"), extended=True)),  # case 3E
        ("80 2A 00 80 01 FF 00", Command(0x80, 0x2A, 0x00, 0x80, h("FF"), ne=256)),  # case 4S
        ("80 2A 00 80 01 FF 20", Command(0x80, 0x2A, 0x00, 0x80, h("FF"), ne=32)),
        ("80 2A 00 80 00 00 01 FF 00 00", Command(0x80, 0x2A, 0x00, 0x80, h("FF"), ne=65536, extended=True)),
        ("80 2A 00 80 00 00 01 FF 01 00", Command(0x80, 0x2A, 0x00, 0x80, h("FF"), ne=256, extended=True)),
    ],
)
def test_parse_every_case(hex_apdu: str, expected: Command) -> None:
    assert parse(h(hex_apdu)) == expected


def test_le_is_max_only_for_all_zero_le() -> None:
    assert parse(h("00 CA 00 45 00")).le_is_max
    assert parse(h("00 CA 00 45 00 00 00")).le_is_max
    assert not parse(h("00 CA 00 45 00 01 00")).le_is_max  # extended 256 is an explicit length
    assert not parse(h("00 CA 00 45 10")).le_is_max


@pytest.mark.parametrize(
    "hex_apdu",
    [
        "",
        "00",
        "00 A4 04",
        "00 B0 00 00 00 05",  # extended marker with one byte
        "00 A4 04 0C 05 D3 92",  # Lc longer than the data
        "00 A4 04 0C 02 D3 92 00 00",  # one byte too many for case 4S
        "00 D6 00 00 00 00 00 AA",  # extended Lc = 0
        "00 D6 00 00 00 00 02 AA",  # extended Lc longer than the data
        "00 D6 00 00 00 00 01 AA 00",  # extended Le must be two bytes
    ],
)
def test_malformed_apdus_answer_6700(card, hex_apdu: str) -> None:
    with pytest.raises(StatusError) as exc:
        parse(h(hex_apdu))
    assert exc.value.sw == 0x6700
    assert send(card, h(hex_apdu)) == (b"", 0x6700)


def test_is_extended() -> None:
    assert is_extended(h("00 B0 00 00 00 00 00"))
    assert is_extended(h("00 D6 00 00 00 01 00 AA"))
    assert not is_extended(h("00 B0 00 00 00"))
    assert not is_extended(h("00 A4 04 0C 02 00 18"))


@pytest.mark.parametrize(
    ("cla", "sw"),
    [
        (0xFF, 0x6E00),
        (0x20, 0x6E00),  # reserved
        (0xA0, 0x6E00),
        (0xE0, 0x6E00),
        (0x01, 0x6881),  # logical channel 1
        (0x03, 0x6881),
        (0x40, 0x6881),  # further interindustry class = channels 4–19
        (0x81, 0x6881),
        (0x04, 0x6882),  # secure messaging
        (0x0C, 0x6882),
        (0x08, 0x6882),
        (0x8C, 0x6882),
    ],
)
def test_class_byte_errors(card, cla: int, sw: int) -> None:
    assert send(card, apdu(cla, 0xA4, 0x04, 0x0C, JPKI_AID)) == (b"", sw)


@pytest.mark.parametrize(
    ("command", "sw"),
    [
        ("00 CB 3F FF 05 5C 03 5F C1 02 00", 0x6D00),  # OpenSC PIV GET DATA probe
        ("00 D0 00 00 01 00", 0x6D00),
        ("00 2A 9E 9A 01 00", 0x6E00),  # ISO PSO:CDS: this card signs with CLA 80 only
        ("80 B0 00 00 04", 0x6E00),  # READ BINARY exists, but in class 00
        ("80 C0 00 00 00", 0x6E00),
        ("80 10 00 00", 0x6D00),
    ],
)
def test_unknown_instructions(card, command: str, sw: int) -> None:
    assert send(card, command) == (b"", sw)


OPENSC_PROBES = [
    "00 A4 04 00 09 A0 00 00 03 08 00 00 10 00 00",  # PIV
    "00 A4 04 00 06 D2 76 00 01 24 01 00",  # OpenPGP
    "00 A4 04 0C 0F D2 33 00 00 00 45 73 74 45 49 44 20 76 33 35",  # EstEID
    "00 A4 04 00 07 A0 00 00 01 16 DB 00 00",  # Coolkey
    "00 A4 04 00 07 A0 00 00 02 47 10 01 00",  # eMRTD
    "00 A4 04 04 05 E8 28 BD 08 0F",
    "00 A4 00 0C 02 3F 00",  # MF by FID
    "00 A4 08 0C 02 50 15",  # path
    "00 CA DF 30 00",
    "00 CA 01 00 00",
    "00 CB 3F FF 05 5C 03 5F C1 07 00",
    "00 87 00 9B 04 7C 02 80 00",
    "00 C0 00 00 00",
    "00 20 00 80",
    "00 B0 00 00 00",
]


def test_opensc_probe_sequence_never_breaks_the_card(card) -> None:
    answers = [send(card, probe).sw for probe in OPENSC_PROBES]
    assert answers == [
        0x6A82,
        0x6A82,
        0x6A82,
        0x6A82,
        0x6A82,
        0x6A82,
        0x6A82,  # 3F00 is no EF
        0x6A82,
        0x6A88,
        0x6A88,
        0x6D00,
        0x6D00,
        0x6985,  # nothing pending
        0x6986,  # VERIFY on the current EF, and there is none at ISD level
        0x6986,
    ]
    select_ap(card, JPKI_AID)  # and the JPKI AP is still there
    select_ef(card, 0x0006)
    assert ok(card, "00 B0 00 00 20").rstrip() == b"JPKIAPICCTOKEN2"


def test_random_input_never_raises(card) -> None:
    rng = random.Random(7)
    headers = [
        b"\x00\xa4",
        b"\x00\xb0",
        b"\x00\x20",
        b"\x80\x2a",
        b"\x80\xa8",
        b"\x80\xaa",
        b"\x00\x47",
        b"\x00\xd6",
    ]
    for _ in range(3000):
        if rng.random() < 0.5:
            raw = rng.randbytes(rng.randrange(0, 40))
        else:  # plausible headers with random parameters and bodies reach deeper code
            raw = rng.choice(headers) + rng.randbytes(rng.randrange(0, 30))
        response = card.process(raw)
        assert isinstance(response, bytes)
        assert len(response) >= 2
    card.power_on()
    select_ap(card, JPKI_AID)


def test_internal_error_answers_6f00_and_the_card_goes_on(card, monkeypatch, caplog) -> None:
    def broken(*_args: object) -> bytes:
        raise ZeroDivisionError("simulated bug")

    monkeypatch.setattr(cardemu.signing, "sign", broken)
    select_ap(card, JPKI_AID)
    assert verify(card, 0x18, AUTH_PIN) == 0x9000
    with caplog.at_level(logging.ERROR, logger="cardemu.card"):
        assert send(card, apdu(0x80, 0x2A, 0x00, 0x97, bytes(51), le=256)) == (b"", 0x6F00)
    assert "internal error" in caplog.text
    assert "ZeroDivisionError" in caplog.text
    select_ef(card, 0x0006)
    assert ok(card, "00 B0 00 00 04") == b"JPKI"


def test_log_has_headers_and_sw_but_never_pin_data(card, caplog) -> None:
    with caplog.at_level(logging.DEBUG, logger="cardemu.card"):
        select_ap(card, JPKI_AID)
        assert verify(card, 0x1B, SIGN_PIN) == 0x9000
        assert verify(card, 0x18, "9876") == 0x63C2
        select_ef(card, 0x18)
        assert verify(card, 0x18, AUTH_PIN) == 0x9000
        ok(card, apdu(0x00, 0x24, 0x01, 0x80, b"4321"))
    text = caplog.text
    assert "D392F000260100000001" in text  # non-secret data is logged
    assert "00 20 00 9B Lc=6" in text
    assert "63C2" in text
    for secret in (SIGN_PIN, "9876", AUTH_PIN, "4321"):
        assert secret not in text
        assert secret.encode().hex().upper() not in text
