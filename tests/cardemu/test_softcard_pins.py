"""VERIFY counting and lock-out for every PIN, empty-VERIFY quirks, CHANGE REFERENCE DATA, persistence."""

from __future__ import annotations

import pytest
from softcard_util import (
    AUTH_PIN,
    BIRTH_KEY,
    CODE_TRIES,
    JUKI_PIN,
    KENHOJO_PIN,
    MY_NUMBER,
    PIN_B,
    SIGN_PIN,
    apdu,
    ok,
    select_ap,
    select_ef,
    send,
    verify,
)

from cardemu.card import SoftCard
from cardemu.jpki import JPKI_AID
from cardemu.state import CardState, EmptyVerifyQuirk, PinState
from cardemu.surface import COMMON_AID, JUKI_AID, KENHOJO_AID, KENKAKU_AID

# (AP, PIN EF, right value, a wrong value, max tries, state attribute path)
PINS = [
    pytest.param(JPKI_AID, 0x18, AUTH_PIN, "9999", 3, id="jpki-auth-0018"),
    pytest.param(JPKI_AID, 0x1B, SIGN_PIN, "ZZZ999", 5, id="jpki-sign-001B"),
    pytest.param(KENHOJO_AID, 0x11, KENHOJO_PIN, "0000", 3, id="kenhojo-pin-0011"),
    pytest.param(KENHOJO_AID, 0x14, MY_NUMBER, "111111111111", CODE_TRIES, id="kenhojo-A-0014"),
    pytest.param(KENHOJO_AID, 0x15, PIN_B, "11111111111111", CODE_TRIES, id="kenhojo-B-0015"),
    pytest.param(KENKAKU_AID, 0x11, BIRTH_KEY, "010101", 5, id="kenkaku-birth-0011"),
    pytest.param(KENKAKU_AID, 0x12, PIN_B, "11111111111111", CODE_TRIES, id="kenkaku-B-0012"),
    pytest.param(KENKAKU_AID, 0x13, MY_NUMBER, "111111111111", CODE_TRIES, id="kenkaku-A-0013"),
    pytest.param(JUKI_AID, 0x1C, JUKI_PIN, "0000", 3, id="juki-001C"),
    pytest.param(COMMON_AID, 0x1C, JUKI_PIN, "0000", 3, id="common-001C"),
]


def _pin_state(state: CardState, aid: bytes, fid: int) -> PinState:
    if aid == JPKI_AID:
        return state.jpki.auth_pin if fid == 0x18 else state.jpki.sign_pin
    return {KENHOJO_AID: state.kenhojo, KENKAKU_AID: state.kenkaku}.get(aid, state.juki).pins[fid]


@pytest.mark.parametrize(("aid", "fid", "right", "wrong", "tries"), PINS)
def test_counting_and_lock_out(card, card_path, aid, fid, right, wrong, tries) -> None:
    select_ap(card, aid)
    select_ef(card, fid)
    for _ in range(3):  # an empty VERIFY reports the counter and spends nothing
        assert send(card, "00 20 00 80") == (b"", 0x63C0 | tries)
    for left in range(tries - 1, 0, -1):
        assert verify(card, fid, wrong) == 0x63C0 | left
    assert send(card, apdu(0x00, 0x20, 0x00, 0x80, wrong.encode())).sw == 0x63C0  # the attempt that blocks
    assert verify(card, fid, wrong) == 0x6984  # later attempts: blocked, no decrement
    assert verify(card, fid, right) == 0x6984  # even the right PIN
    assert send(card, "00 20 00 80") == (b"", 0x63C0)
    assert _pin_state(CardState.load(card_path), aid, fid).tries_left == 0  # persisted


@pytest.mark.parametrize(("aid", "fid", "right", "wrong", "tries"), PINS)
def test_right_pin_resets_the_counter(card, card_path, aid, fid, right, wrong, tries) -> None:
    select_ap(card, aid)
    assert verify(card, fid, wrong) == 0x63C0 | (tries - 1)
    assert _pin_state(CardState.load(card_path), aid, fid).tries_left == tries - 1
    select_ef(card, fid)  # by the current EF this time
    assert send(card, apdu(0x00, 0x20, 0x00, 0x80, right.encode())) == (b"", 0x9000)
    assert send(card, apdu(0x00, 0x20, 0x00, 0x80 | fid)) == (b"", 0x63C0 | tries)
    assert _pin_state(CardState.load(card_path), aid, fid).tries_left == tries


def test_two_juki_aids_share_one_pin(card) -> None:
    select_ap(card, JUKI_AID)
    assert verify(card, 0x1C, "0000") == 0x63C2
    select_ap(card, COMMON_AID)
    assert send(card, "00 20 00 9C") == (b"", 0x63C2)


def test_wrong_pin_drops_the_security_status(card) -> None:
    select_ap(card, JPKI_AID)
    assert verify(card, 0x1B, SIGN_PIN) == 0x9000
    assert send(card, "00 B0 81 00 04").sw == 0x9000
    assert verify(card, 0x1B, "WRONG1") == 0x63C4
    assert send(card, "00 B0 81 00 04") == (b"", 0x6982)


@pytest.mark.parametrize(
    ("quirk", "verified", "blocked", "sw"),
    [
        (EmptyVerifyQuirk.OPENSC, False, False, 0x63C3),
        (EmptyVerifyQuirk.OPENSC, True, False, 0x63C3),
        (EmptyVerifyQuirk.OPENSC, False, True, 0x63C0),
        (EmptyVerifyQuirk.OBSERVED, False, False, 0x63C3),
        (EmptyVerifyQuirk.OBSERVED, True, False, 0x9000),
        (EmptyVerifyQuirk.OBSERVED, False, True, 0x6984),
    ],
)
def test_empty_verify_quirks(state, quirk, verified: bool, blocked: bool, sw: int) -> None:
    state.empty_verify = quirk
    card = SoftCard(state)
    select_ap(card, JPKI_AID)
    if verified:
        assert verify(card, 0x18, AUTH_PIN) == 0x9000
    if blocked:
        for left in (2, 1, 0):
            assert verify(card, 0x18, "0000") == 0x63C0 | left
    assert send(card, "00 20 00 98") == (b"", sw)
    assert state.jpki.auth_pin.tries_left == (0 if blocked else 3)  # never spends a try


@pytest.mark.parametrize(
    ("command", "sw"),
    [
        ("00 20 01 98 04 31 32 33 34", 0x6A86),  # P1 must be 00
        ("00 20 00 00 04 31 32 33 34", 0x6A86),  # P2 neither 80 nor 80|SFI
        ("00 20 00 9F", 0x6A86),
        ("00 20 00 80", 0x6986),  # no current EF
        ("00 20 00 8A", 0x6A88),  # 000A is not a PIN
        ("00 20 00 97 04 31 32 33 34", 0x6A88),  # a key EF is not a PIN either
    ],
)
def test_verify_parameter_errors(card, command: str, sw: int) -> None:
    select_ap(card, JPKI_AID)
    assert send(card, command) == (b"", sw)
    select_ef(card, 0x000A)
    assert send(card, "00 20 00 80") == (b"", 0x6A88)  # current EF is not a PIN EF
    assert card.state.jpki.auth_pin.tries_left == 3


@pytest.mark.parametrize(
    ("fid", "old", "new"),
    [(0x18, AUTH_PIN, "4321"), (0x1B, SIGN_PIN, "NEWPASS2026"), (0x1B, SIGN_PIN, "A" * 16)],
)
def test_change_reference_data(card, card_path, fid: int, old: str, new: str) -> None:
    select_ap(card, JPKI_AID)
    select_ef(card, fid)
    assert send(card, apdu(0x00, 0x24, 0x01, 0x80, new.encode())) == (b"", 0x6982)  # not verified
    assert verify(card, fid, old) == 0x9000
    assert send(card, apdu(0x00, 0x24, 0x01, 0x80, new.encode())) == (b"", 0x9000)
    reloaded = SoftCard(CardState.load(card_path))  # persisted
    select_ap(reloaded, JPKI_AID)
    assert verify(reloaded, fid, old) & 0xFFF0 == 0x63C0
    assert verify(reloaded, fid, new) == 0x9000


@pytest.mark.parametrize(
    ("fid", "new"),
    [
        (0x18, "123"),
        (0x18, "12345"),
        (0x18, "12a4"),
        (0x18, "１２３４"),  # full-width digits
        (0x1B, "ABC12"),  # too short
        (0x1B, "A" * 17),  # too long
        (0x1B, "abc123"),  # clients upper-case; the card does not
        (0x1B, "ABC-12"),
    ],
)
def test_change_reference_data_refuses_bad_formats(card, fid: int, new: str) -> None:
    select_ap(card, JPKI_AID)
    assert verify(card, fid, {0x18: AUTH_PIN, 0x1B: SIGN_PIN}[fid]) == 0x9000
    assert send(card, apdu(0x00, 0x24, 0x01, 0x80 | fid, new.encode())) == (b"", 0x6A80)
    assert card.state.jpki.auth_pin.value == AUTH_PIN
    assert card.state.jpki.sign_pin.value == SIGN_PIN


def test_change_pin_in_file_aps(card) -> None:
    select_ap(card, KENHOJO_AID)
    assert verify(card, 0x11, KENHOJO_PIN) == 0x9000
    ok(card, apdu(0x00, 0x24, 0x01, 0x91, b"8642"))
    assert verify(card, 0x11, "8642") == 0x9000
    assert verify(card, 0x14, MY_NUMBER) == 0x9000
    assert send(card, apdu(0x00, 0x24, 0x01, 0x94, b"123456789012")) == (b"", 0x6985)  # printed data
    assert send(card, apdu(0x00, 0x24, 0x00, 0x91, b"86421357")) == (b"", 0x6A86)  # old ‖ new: not here
    select_ap(card, JUKI_AID)
    assert verify(card, 0x1C, JUKI_PIN) == 0x9000
    ok(card, apdu(0x80, 0x32, 0x00, 0x9C, b"9753"))  # JICSAP CHANGE KEY
    assert verify(card, 0x1C, "9753") == 0x9000
