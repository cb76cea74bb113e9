"""SELECT, READ BINARY (every client strategy), access conditions, GET DATA, response chaining."""

from __future__ import annotations

import struct

import pytest
from softcard_util import (
    BIRTH_KEY,
    CARD_ID,
    KENHOJO_PIN,
    MY_NUMBER,
    PIN_B,
    SIGN_PIN,
    apdu,
    ok,
    read_chunks,
    read_extended,
    read_opensc,
    read_sfi_extended,
    select_ap,
    select_ef,
    send,
    verify,
)

from cardemu.card import ISD_AID, SoftCard
from cardemu.jpki import JPKI_AID
from cardemu.surface import COMMON_AID, JUKI_AID, KENHOJO_AID, KENKAKU_AID


def test_power_on_returns_the_atr_and_starts_at_isd_level(card, state) -> None:
    assert card.power_on() == bytes.fromhex("3BE000FF8131FE4514") == state.atr
    assert send(card, "00 A4 00 00") == (b"", 0x6A86)  # SELECT MF after reset
    select_ap(card, JPKI_AID)
    assert send(card, "00 A4 00 00") == (b"", 0x9000)  # without effect once an AP is selected
    assert send(card, "00 A4 02 0C 02 3F 00") == (b"", 0x6A82)
    select_ap(card, ISD_AID)  # back to MF level
    assert send(card, "00 A4 00 00") == (b"", 0x6A86)


def test_select_variants(card) -> None:
    assert send(card, apdu(0x00, 0xA4, 0x04, 0x00, JPKI_AID, le=256)) == (b"", 0x9000)  # P2 00: still no FCI
    assert send(card, apdu(0x00, 0xA4, 0x04, 0x04, JPKI_AID)) == (b"", 0x6A86)
    assert send(card, apdu(0x00, 0xA4, 0x04, 0x0C, bytes.fromhex("D392F00026010000000F"))) == (b"", 0x6A82)
    assert send(card, "00 A4 02 0C 02 00 09") == (b"", 0x6A82)  # no such EF in the JPKI AP
    assert send(card, "00 A4 02 0C 01 00") == (b"", 0x6700)
    assert send(card, "00 A4 07 0C 02 00 01") == (b"", 0x6A86)
    for fid in (0x0018, 0x001B, 0x0017, 0x001A):  # PIN and key EFs are selectable
        select_ef(card, fid)
    assert send(card, "00 B0 00 00 04") == (b"", 0x6981)  # but have no readable body
    assert send(card, "00 A4 02 0C 02 00 06") == (b"", 0x9000)


def test_no_current_ef_and_isd_level(card) -> None:
    assert send(card, "00 B0 00 00 04") == (b"", 0x6986)
    assert send(card, "00 A4 02 0C 02 00 06") == (b"", 0x6A82)  # no EFs at ISD level
    assert send(card, "00 B0 86 00 04") == (b"", 0x6A82)
    select_ap(card, JPKI_AID)
    assert send(card, "00 B0 00 00 04") == (b"", 0x6986)  # an AP selection leaves no current EF
    assert send(card, "00 B0 80 00 04") == (b"", 0x6A86)  # SFI 0
    assert send(card, "00 B0 A6 00 04") == (b"", 0x6A86)  # bits 7–6 of an SFI P1 must be 0


def _jpki_files(state) -> dict[int, bytes]:
    j = state.jpki
    return {0x000A: j.auth_cert, 0x000B: j.auth_ca_cert, 0x0001: j.sign_cert, 0x0002: j.sign_ca_cert}


def test_certificates_are_realistic(state) -> None:
    assert len(state.jpki.auth_cert) > 1200  # real cards: 1,571 / 1,742 bytes (CARD.md §3.2)
    assert len(state.jpki.sign_cert) > 1400
    assert state.jpki.sign_cert[:2] == b"\x30\x82"


@pytest.mark.parametrize("fid", [0x000A, 0x000B, 0x0001, 0x0002])
def test_every_read_strategy_gives_the_same_certificate(card, state, fid: int) -> None:
    expected = _jpki_files(state)[fid]
    select_ap(card, JPKI_AID)
    assert verify(card, 0x1B, SIGN_PIN) == 0x9000
    assert read_opensc(card, fid) == expected
    assert read_chunks(card, fid) == expected
    assert read_extended(card, fid) == expected
    assert read_sfi_extended(card, fid) == expected
    # BLOG: 4-byte probe, then one extended read of the rest
    select_ef(card, fid)
    head = ok(card, "00 B0 00 00 04")
    assert head + ok(card, apdu(0x00, 0xB0, 0x00, 0x04, le=len(expected) - 4, ext=True)) == expected


def test_kenkaku_photo_by_pin_then_sfi_extended_read(card, state) -> None:
    face = state.kenkaku.files[0x0002]
    assert len(face) > 1400
    select_ap(card, KENKAKU_AID)
    assert send(card, "00 20 00 93").sw == 0x63CA  # 照合番号A, 10 tries
    assert verify(card, 0x13, MY_NUMBER) == 0x9000
    assert read_sfi_extended(card, 0x0002) == face
    assert read_chunks(card, 0x0002) == face
    assert b"jP  " in face


def test_offsets_and_end_of_file(card, state) -> None:
    cert = state.jpki.auth_cert
    select_ap(card, JPKI_AID)
    select_ef(card, 0x000A)
    end = len(cert)
    assert ok(card, apdu(0x00, 0xB0, (end - 1) >> 8, (end - 1) & 0xFF, le=256)) == cert[-1:]
    assert send(card, apdu(0x00, 0xB0, end >> 8, end & 0xFF, le=1)) == (b"", 0x6B00)
    assert send(card, apdu(0x00, 0xB0, 0x7F, 0xFF, le=1)) == (b"", 0x6B00)
    assert ok(card, apdu(0x00, 0xB0, 0x8A, 0x10, le=0x20)) == cert[0x10:0x30]  # SFI + 8-bit offset
    assert ok(card, "00 B0 00 02 02") == cert[2:4]  # and the SFI read made 000A current
    assert send(card, "00 B0 00 00") == (b"", 0x6700)  # READ BINARY needs Le


# (AP, EF, PIN EFs verified first, expected SW)
ACCESS = [
    (JPKI_AID, 0x0001, [], 0x6982),
    (JPKI_AID, 0x0001, [0x18], 0x6982),
    (JPKI_AID, 0x0001, [0x1B], 0x9000),
    (JPKI_AID, 0x0002, [], 0x9000),
    (JPKI_AID, 0x000A, [], 0x9000),
    (JPKI_AID, 0x000B, [], 0x9000),
    (JPKI_AID, 0x0006, [], 0x9000),
    (JPKI_AID, 0x0008, [], 0x9000),
    (KENHOJO_AID, 0x0001, [], 0x6982),
    (KENHOJO_AID, 0x0001, [0x11], 0x9000),
    (KENHOJO_AID, 0x0001, [0x14], 0x9000),
    (KENHOJO_AID, 0x0001, [0x15], 0x6982),
    (KENHOJO_AID, 0x0002, [], 0x6982),
    (KENHOJO_AID, 0x0002, [0x11], 0x9000),
    (KENHOJO_AID, 0x0002, [0x14], 0x6982),
    (KENHOJO_AID, 0x0002, [0x15], 0x9000),
    (KENHOJO_AID, 0x0003, [], 0x6982),
    (KENHOJO_AID, 0x0003, [0x11], 0x9000),
    (KENHOJO_AID, 0x0003, [0x14], 0x9000),
    (KENHOJO_AID, 0x0003, [0x15], 0x9000),
    (KENHOJO_AID, 0x0004, [], 0x9000),
    (KENHOJO_AID, 0x0005, [], 0x9000),
    (KENKAKU_AID, 0x0001, [], 0x6982),
    (KENKAKU_AID, 0x0001, [0x11], 0x9000),
    (KENKAKU_AID, 0x0001, [0x13], 0x6982),
    (KENKAKU_AID, 0x0002, [], 0x6982),
    (KENKAKU_AID, 0x0002, [0x11], 0x6982),
    (KENKAKU_AID, 0x0002, [0x13], 0x9000),
    (KENKAKU_AID, 0x0002, [0x12], 0x9000),
    (KENKAKU_AID, 0x0003, [], 0x9000),
    (KENKAKU_AID, 0x0004, [], 0x9000),
    (KENKAKU_AID, 0x0005, [], 0x6982),
    (KENKAKU_AID, 0x0005, [0x12], 0x6982),
    (KENKAKU_AID, 0x0005, [0x13], 0x9000),
    (JUKI_AID, 0x0002, [], 0x9000),
    (COMMON_AID, 0x0002, [], 0x9000),
]
PIN_VALUES = {
    (JPKI_AID, 0x18): "1234",
    (JPKI_AID, 0x1B): SIGN_PIN,
    (KENHOJO_AID, 0x11): KENHOJO_PIN,
    (KENHOJO_AID, 0x14): MY_NUMBER,
    (KENHOJO_AID, 0x15): PIN_B,
    (KENKAKU_AID, 0x11): BIRTH_KEY,
    (KENKAKU_AID, 0x12): PIN_B,
    (KENKAKU_AID, 0x13): MY_NUMBER,
}


def _files(state, aid: bytes) -> dict[int, bytes]:
    if aid == JPKI_AID:
        return _jpki_files(state)
    return {KENHOJO_AID: state.kenhojo, KENKAKU_AID: state.kenkaku}.get(aid, state.juki).files


@pytest.mark.parametrize(("aid", "fid", "pins", "sw"), ACCESS)
def test_access_conditions(card, state, aid: bytes, fid: int, pins: list[int], sw: int) -> None:
    select_ap(card, aid)
    for pin in pins:
        assert verify(card, pin, PIN_VALUES[aid, pin]) == 0x9000
    by_sfi = send(card, apdu(0x00, 0xB0, 0x80 | fid, 0, le=256))
    assert by_sfi.sw == sw
    if sw != 0x9000:
        assert by_sfi.data == b""
        select_ef(card, fid)
        assert send(card, "00 B0 00 00 00") == (b"", sw)
        return
    whole = read_chunks(card, fid)
    assert by_sfi.data == whole[:256]
    expected = _files(state, aid).get(fid)  # JPKI 0006 / 0008 are derived: tested on their own
    assert expected is None or whole == expected


def test_missing_ef_of_a_file_ap(card) -> None:
    select_ap(card, KENHOJO_AID)
    assert send(card, "00 A4 02 0C 02 00 09") == (b"", 0x6A82)
    assert send(card, "00 B0 89 00 00") == (b"", 0x6A82)
    select_ef(card, 0x0011)
    assert send(card, "00 B0 00 00 00") == (b"", 0x6981)


def test_security_status_is_dropped_when_another_ap_is_selected(card) -> None:
    select_ap(card, JPKI_AID)
    assert verify(card, 0x1B, SIGN_PIN) == 0x9000
    select_ap(card, JPKI_AID)  # re-selecting the same AP keeps it
    assert send(card, "00 B0 81 00 04").sw == 0x9000
    select_ap(card, KENHOJO_AID)
    select_ap(card, JPKI_AID)
    assert send(card, "00 B0 81 00 04") == (b"", 0x6982)
    assert verify(card, 0x1B, SIGN_PIN) == 0x9000
    card.power_on()
    select_ap(card, JPKI_AID)
    assert send(card, "00 B0 81 00 04") == (b"", 0x6982)


def test_token_info(card, state) -> None:
    select_ap(card, JPKI_AID)
    token = read_sfi_extended(card, 0x0006)
    assert len(token) == 160
    assert token[:32] == b"JPKIAPICCTOKEN2" + b" " * 17
    flags, *_, max_pin, min_pin = struct.unpack(">7L", token[96:124])
    assert (max_pin, min_pin) == (16, 4)
    assert flags & 0x0004  # CKF_LOGIN_REQUIRED
    state.jpki.token_label = "JPKIAPGPSETOKEN"
    assert ok(card, "00 B0 86 00 20") == b"JPKIAPGPSETOKEN".ljust(32)


@pytest.mark.parametrize(
    ("drop", "expected"),
    [
        ((), "8F8F00"),
        (("sign_cert",), "008F00"),
        (("auth_cert",), "8F0000"),
        (("sign_cert", "auth_cert"), "000000"),
    ],
)
def test_certificate_availability_follows_the_state(state, drop: tuple[str, ...], expected: str) -> None:
    for field in drop:
        setattr(state.jpki, field, None)
    card = SoftCard(state)
    select_ap(card, JPKI_AID)
    assert ok(card, "00 B0 88 00 00") == bytes.fromhex(expected)


@pytest.mark.parametrize("where", [None, JPKI_AID, KENHOJO_AID, KENKAKU_AID])
def test_get_data_in_any_selection_state(card, state, where: bytes | None) -> None:
    if where:
        select_ap(card, where)
    assert ok(card, "00 CA 00 45 00") == CARD_ID
    assert ok(card, "00 CA 00 45 10") == CARD_ID
    assert ok(card, "00 CA 00 45 00 00 00") == CARD_ID
    assert ok(card, "00 CA 5F 51 00") == bytes.fromhex("E000FF8131FE4514")
    assert ok(card, "00 CA 00 F0 00") == b"13101"
    assert ok(card, "00 CA 00 F2 08") == b"20351231"


@pytest.mark.parametrize(
    ("command", "sw"),
    [
        ("00 CA 00 45 05", 0x6C10),
        ("00 CA 00 45 00 01 00", 0x6C10),  # extended 256 is an explicit, wrong length
        ("00 CA 5F 51 01", 0x6C08),
        ("00 CA 00 F0 06", 0x6C05),
        ("00 CA 00 F2 FF", 0x6C08),
        ("00 CA 00 42 00", 0x6A88),
        ("00 CA 7F 21 00", 0x6A88),
    ],
)
def test_get_data_errors(card, command: str, sw: int) -> None:
    assert send(card, command) == (b"", sw)


def test_response_chaining_with_get_response(card, keys) -> None:
    select_ap(card, JPKI_AID)
    assert verify(card, 0x18, "1234") == 0x9000
    digest_info = bytes.fromhex("3031300d060960864801650304020105000420") + bytes(32)
    first = send(card, apdu(0x80, 0x2A, 0x00, 0x97, digest_info, le=0x80))
    assert (len(first.data), first.sw) == (128, 0x6180)
    second = send(card, "00 C0 00 00 40")
    assert (len(second.data), second.sw) == (64, 0x6140)
    third = send(card, "00 C0 00 00 00")
    assert (len(third.data), third.sw) == (64, 0x9000)
    whole = ok(card, apdu(0x80, 0x2A, 0x00, 0x97, digest_info, le=256))
    assert first.data + second.data + third.data == whole  # PKCS#1 v1.5 is deterministic
    assert send(card, "00 C0 00 00 00") == (b"", 0x6985)  # nothing left


def test_response_without_le_is_offered_by_61xx_and_dropped_by_any_other_command(card) -> None:
    assert send(card, "00 CA 00 45") == (b"", 0x6110)
    assert send(card, "00 C0 00 00 10") == (CARD_ID, 0x9000)
    assert send(card, "00 CA 00 45") == (b"", 0x6110)
    select_ap(card, JPKI_AID)
    assert send(card, "00 C0 00 00 10") == (b"", 0x6985)
    assert send(card, "00 CA 00 45") == (b"", 0x6110)
    assert send(card, "00 C0 01 00 10") == (b"", 0x6A86)


def test_get_challenge(card) -> None:
    a, b = ok(card, "00 84 00 00 08"), ok(card, "00 84 00 00 08")
    assert len(a) == len(b) == 8
    assert a != b
    assert len(ok(card, "00 84 00 00 00")) == 256
    assert send(card, "00 84 00 01 08") == (b"", 0x6A86)
    assert send(card, "00 84 00 00") == (b"", 0x6700)
