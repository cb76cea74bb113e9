"""docs/card-admin.md §5: issuance end to end, and every way an authorisation must be refused."""

from __future__ import annotations

import copy
import hashlib
import logging
import secrets

import pytest
from asn1crypto import parser
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from softcard_util import (
    CARD_ID,
    MASTER_KEY,
    SIGN_PIN,
    apdu,
    authorise,
    make_cert,
    ok,
    read_chunks,
    read_opensc,
    read_sfi_extended,
    select_ap,
    select_ef,
    send,
    verify,
)

from cardadmin import AdminOp, AdminOperation, compute_response, derive_card_key
from cardemu.card import SoftCard
from cardemu.inprocess import SoftCardConnection
from cardemu.jpki import JPKI_AID
from cardemu.signing import DIGEST_INFO_SHA256
from cardemu.state import CardState
from cardemu.surface import KENHOJO_AID

GEN_SIGN = AdminOperation(AdminOp.GENERATE_KEY, 0x001A)
GEN_AUTH = AdminOperation(AdminOp.GENERATE_KEY, 0x0017)


def _public_key(template: bytes) -> rsa.RSAPublicKey:
    """Parse `7F 49 { 81 n, 82 e }` with asn1crypto."""
    class_, constructed, tag, _h, contents, trailer = parser.parse(template, strict=True)
    assert (class_, constructed, tag, trailer) == (1, 1, 0x49, b"")
    _c, _m, tag_n, header_n, n, _t = parser.parse(contents)
    _c, _m, tag_e, _h, e, _t = parser.parse(contents[len(header_n) + len(n) :])
    assert (tag_n, tag_e, len(n)) == (1, 2, 256)
    return rsa.RSAPublicNumbers(int.from_bytes(e, "big"), int.from_bytes(n, "big")).public_key()


def _generate(card, fid: int) -> rsa.RSAPublicKey:
    """GENERATE with short Le: 256 bytes + 61xx, then GET RESPONSE for the rest."""
    first = send(card, apdu(0x00, 0x47, 0x00, fid, le=256))
    assert (len(first.data), first.sw) == (256, 0x610E)
    rest = ok(card, "00 C0 00 00 0E")
    return _public_key(first.data + rest)


def test_issuance_end_to_end(card, card_path, keys) -> None:
    # GENERATE KEY 001A
    authorise(card, GEN_SIGN)
    public = _generate(card, 0x1A)
    assert ok(card, "00 B0 88 00 00") == bytes.fromhex("008F00")  # sign cert gone with the old key
    assert _public_key(ok(card, "00 47 81 1A 00 00 00")).public_numbers() == public.public_numbers()
    # RESET PIN 001B (a new card's first password)
    authorise(card, AdminOperation(AdminOp.RESET_PIN, 0x001B))
    ok(card, apdu(0x00, 0x2C, 0x02, 0x9B, b"NEWPASS1"))
    assert verify(card, 0x1B, "NEWPASS1") == 0x9000
    assert send(card, "00 B0 81 00 04") == (b"", 0x6B00)  # the EF is there, and empty
    # the card signs the CSR's CertificationRequestInfo with the new key
    tbs = b"certification request info"
    digest_info = DIGEST_INFO_SHA256 + hashlib.sha256(tbs).digest()
    signature = ok(card, apdu(0x80, 0x2A, 0x00, 0x9A, digest_info, le=256))
    public.verify(signature, tbs, padding.PKCS1v15(), hashes.SHA256())
    # the central issues the certificate; WRITE CERTIFICATE with one extended UPDATE BINARY
    der = make_cert("sign 0002", public, keys.ca, holder=True)
    select_ef(card, 0x0001)
    authorise(card, AdminOperation.write_certificate(0x0001, der), select=False)
    ok(card, apdu(0x00, 0xD6, 0x00, 0x00, der, ext=True))
    assert ok(card, "00 B0 88 00 00") == bytes.fromhex("8F8F00")
    assert verify(card, 0x1B, "NEWPASS1") == 0x9000
    assert read_opensc(card, 0x0001) == der
    assert read_sfi_extended(card, 0x0001) == der
    assert x509.load_der_x509_certificate(der).public_key().public_numbers() == public.public_numbers()
    # everything survived in the card file
    reloaded = SoftCard(CardState.load(card_path), card_path)
    select_ap(reloaded, JPKI_AID)
    assert verify(reloaded, 0x1B, "NEWPASS1") == 0x9000
    assert read_chunks(reloaded, 0x0001) == der
    assert _public_key(ok(reloaded, "00 47 81 1A 00 00 00")).public_numbers() == public.public_numbers()
    assert "PRIVATE KEY" in CardState.load(card_path).jpki.sign_key


def test_generate_auth_key_erases_the_auth_certificate(card) -> None:
    authorise(card, GEN_AUTH)
    public = _public_key(ok(card, "00 47 00 17 00 00 00"))  # extended Le: one response
    assert ok(card, "00 B0 88 00 00") == bytes.fromhex("8F0000")
    assert send(card, "00 B0 8A 00 04") == (b"", 0x6B00)
    assert verify(card, 0x18, "1234") == 0x9000
    signature = ok(card, apdu(0x80, 0x2A, 0x03, 0x97, b"hello", le=256))
    public.verify(signature, b"hello", padding.PKCS1v15(), hashes.SHA256())


def test_chained_certificate_write_on_a_reader_without_extended_length(state, keys) -> None:
    card = SoftCard(state)
    conn = SoftCardConnection(card, extended_length=False)
    der = make_cert("auth 0002", keys.auth.public_key(), keys.ca)
    select_ap(conn, JPKI_AID)
    select_ef(conn, 0x000A)
    authorise(conn, AdminOperation.write_certificate(0x000A, der), select=False)
    blocks = [der[i : i + 255] for i in range(0, len(der), 255)]
    for block in blocks[:-1]:
        assert send(conn, apdu(0x10, 0xD6, 0x00, 0x00, block)) == (b"", 0x9000)
    assert send(conn, apdu(0x00, 0xD6, 0x00, 0x00, blocks[-1])) == (b"", 0x9000)
    assert state.jpki.auth_cert == der
    assert read_opensc(conn, 0x000A) == der


def test_an_interrupted_chain_is_abandoned(card, keys) -> None:
    der = make_cert("auth 0003", keys.auth.public_key(), keys.ca)
    authorise(card, AdminOperation.write_certificate(0x000A, der))
    assert send(card, apdu(0x10, 0xD6, 0x8A, 0x00, der[:255])) == (b"", 0x9000)  # by SFI this time
    assert send(card, "00 CA 00 45 00").sw == 0x9000  # another command: the authorisation is spent
    assert send(card, apdu(0x00, 0xD6, 0x8A, 0x00, der[255:], ext=True)) == (b"", 0x6982)
    assert card.state.jpki.auth_cert != der
    select_ef(card, 0x000A)
    authorise(card, AdminOperation.write_certificate(0x000A, der), select=False)
    assert send(card, apdu(0x10, 0xD6, 0x00, 0x00, der[:255])) == (b"", 0x9000)
    assert send(card, "00 CA 00 45 00").sw == 0x9000  # another command: the authorisation is spent
    assert send(card, apdu(0x00, 0xD6, 0x00, 0x00, der[255:], ext=True)) == (b"", 0x6982)
    assert card.state.jpki.auth_cert != der


@pytest.mark.parametrize(
    "command",
    ["00 47 00 1A 00", "80 E4 00 1A", "80 5A 00 9B", "00 2C 02 9B 06 41 42 43 31 32 33", "00 D6 00 00 01 30"],
)
def test_no_authorisation_no_admin_command(card, state, command: str) -> None:
    select_ap(card, JPKI_AID)
    select_ef(card, 0x0001)
    before = copy.deepcopy(state)
    assert send(card, command) == (b"", 0x6982)
    assert state == before


def _begin(card, operation: AdminOperation) -> bytes:
    select_ap(card, JPKI_AID)
    begun = ok(card, apdu(0x80, 0xA8, 0x00, 0x00, operation.encode(), le=256))
    assert begun[:16] == CARD_ID
    return begun[16:]


def test_wrong_response_spends_the_challenge(card) -> None:
    _begin(card, GEN_SIGN)
    assert send(card, apdu(0x80, 0xAA, 0x00, 0x00, secrets.token_bytes(16))) == (b"", 0x6982)
    assert send(card, apdu(0x80, 0xAA, 0x00, 0x00, bytes(16))) == (b"", 0x6985)  # no challenge pending
    assert send(card, "00 47 00 1A 00") == (b"", 0x6982)
    assert card.state.admin_failures == 1


def test_replayed_response_is_refused(card) -> None:
    card_key = derive_card_key(MASTER_KEY, CARD_ID)
    old = compute_response(card_key, CARD_ID, _begin(card, GEN_SIGN), GEN_SIGN)
    ok(card, apdu(0x80, 0xAA, 0x00, 0x00, old))
    _begin(card, GEN_SIGN)  # a new challenge; the old response was for the old one
    assert send(card, apdu(0x80, 0xAA, 0x00, 0x00, old)) == (b"", 0x6982)
    assert send(card, "00 47 00 1A 00") == (b"", 0x6982)


def test_response_for_another_card_is_refused(card) -> None:
    other_id = bytes(16)
    challenge = _begin(card, GEN_SIGN)
    response = compute_response(derive_card_key(MASTER_KEY, other_id), other_id, challenge, GEN_SIGN)
    assert send(card, apdu(0x80, 0xAA, 0x00, 0x00, response)) == (b"", 0x6982)
    # the right key but the other card id inside the MAC
    challenge = _begin(card, GEN_SIGN)
    response = compute_response(derive_card_key(MASTER_KEY, CARD_ID), other_id, challenge, GEN_SIGN)
    assert send(card, apdu(0x80, 0xAA, 0x00, 0x00, response)) == (b"", 0x6982)


def test_response_for_another_operation_is_refused(card) -> None:
    card_key = derive_card_key(MASTER_KEY, CARD_ID)
    challenge = _begin(card, GEN_SIGN)
    response = compute_response(card_key, CARD_ID, challenge, GEN_AUTH)  # other FID
    assert send(card, apdu(0x80, 0xAA, 0x00, 0x00, response)) == (b"", 0x6982)
    challenge = _begin(card, GEN_SIGN)
    response = compute_response(card_key, CARD_ID, challenge, AdminOperation(AdminOp.ERASE_KEY, 0x001A))
    assert send(card, apdu(0x80, 0xAA, 0x00, 0x00, response)) == (b"", 0x6982)  # other op


@pytest.mark.parametrize(
    ("granted", "command"),
    [
        (GEN_AUTH, "00 47 00 1A 00"),  # other key
        (AdminOperation(AdminOp.ERASE_KEY, 0x001A), "00 47 00 1A 00"),  # other op, same key
        (AdminOperation(AdminOp.LOCK_PIN, 0x0018), "80 5A 00 9B"),  # other PIN
        (AdminOperation(AdminOp.RESET_PIN, 0x001B), "80 5A 00 9B"),
    ],
)
def test_authorisation_is_for_one_operation_on_one_ef(card, granted: AdminOperation, command: str) -> None:
    authorise(card, granted)
    assert send(card, command) == (b"", 0x6982)


def test_authorisation_is_consumed_by_the_next_command_whatever_it_is(card) -> None:
    authorise(card, GEN_SIGN)
    assert send(card, "00 CA 00 45 05") == (b"", 0x6C10)  # even a failing command spends it
    assert send(card, "00 47 00 1A 00") == (b"", 0x6982)
    authorise(card, GEN_SIGN)
    assert send(card, "00 47 00 1B 00") == (b"", 0x6A86)  # wrong P2: spent as well
    assert send(card, "00 47 00 1A 00") == (b"", 0x6982)


@pytest.mark.parametrize("how", ["reset", "other AP", "same AP is kept"])
def test_reset_and_ap_change_clear_challenge_and_authorisation(card, how: str) -> None:
    card_key = derive_card_key(MASTER_KEY, CARD_ID)
    challenge = _begin(card, GEN_SIGN)
    response = compute_response(card_key, CARD_ID, challenge, GEN_SIGN)
    if how == "reset":
        card.power_on()
    elif how == "other AP":
        select_ap(card, KENHOJO_AID)
    select_ap(card, JPKI_AID)
    expected = 0x9000 if how == "same AP is kept" else 0x6985
    assert send(card, apdu(0x80, 0xAA, 0x00, 0x00, response)).sw == expected
    authorise(card, GEN_SIGN)
    card.power_on()
    select_ap(card, JPKI_AID)
    assert send(card, "00 47 00 1A 00") == (b"", 0x6982)


def test_certificate_hash_mismatch(card, state, keys) -> None:
    good = make_cert("auth 0004", keys.auth.public_key(), keys.ca)
    evil = make_cert("auth 0005", keys.sign.public_key(), keys.ca)
    before = state.jpki.auth_cert
    authorise(card, AdminOperation.write_certificate(0x000A, good))
    assert send(card, apdu(0x00, 0xD6, 0x8A, 0x00, evil, ext=True)) == (b"", 0x6A80)
    assert state.jpki.auth_cert == before
    authorise(card, AdminOperation.write_certificate(0x000A, good))
    assert send(card, apdu(0x00, 0xD6, 0x8B, 0x00, good, ext=True)) == (b"", 0x6982)  # not for 000B
    authorise(card, AdminOperation.write_certificate(0x000A, good))
    assert send(card, apdu(0x00, 0xD6, 0x8A, 0x10, good, ext=True)) == (b"", 0x6B00)  # whole file only
    assert state.jpki.auth_cert == before


@pytest.mark.parametrize(
    "descriptor",
    [
        "",
        "A0 07 80 01 01 81 02 00 18",  # GENERATE KEY on a PIN
        "A0 07 80 01 09 81 02 00 1A",  # unknown op
        "A0 08 80 01 01 81 02 00 1A 00",  # trailing byte inside
        "A0 81 07 80 01 01 81 02 00 1A",  # non-minimal length
        "A0 07 80 01 02 81 02 00 0A",  # WRITE CERTIFICATE without its hash
    ],
)
def test_malformed_descriptor(card, descriptor: str) -> None:
    select_ap(card, JPKI_AID)
    data = bytes.fromhex(descriptor)
    command = apdu(0x80, 0xA8, 0x00, 0x00, data, le=256) if data else bytes.fromhex("80 A8 00 00 00")
    assert send(card, command) == (b"", 0x6A80)


def test_admin_commands_live_in_the_jpki_ap_only(card) -> None:
    assert send(card, apdu(0x80, 0xA8, 0x00, 0x00, GEN_SIGN.encode(), le=256)) == (b"", 0x6D00)
    select_ap(card, KENHOJO_AID)
    assert send(card, "00 47 81 1A 00") == (b"", 0x6D00)
    assert send(card, apdu(0x80, 0xAA, 0x00, 0x00, bytes(16))) == (b"", 0x6D00)


def test_lock_out_after_ten_wrong_responses_is_persisted(card, card_path) -> None:
    for _ in range(9):
        _begin(card, GEN_SIGN)
        assert send(card, apdu(0x80, 0xAA, 0x00, 0x00, bytes(16))).sw == 0x6982
    authorise(card, GEN_SIGN)  # a right response in between resets the count
    assert card.state.admin_failures == 0
    for _ in range(10):
        _begin(card, GEN_SIGN)
        assert send(card, apdu(0x80, 0xAA, 0x00, 0x00, bytes(16))).sw == 0x6982
    assert send(card, apdu(0x80, 0xA8, 0x00, 0x00, GEN_SIGN.encode(), le=256)) == (b"", 0x6983)
    assert send(card, apdu(0x80, 0xAA, 0x00, 0x00, bytes(16))) == (b"", 0x6983)
    reloaded = SoftCard(CardState.load(card_path), card_path)
    assert reloaded.state.admin_failures == 10
    select_ap(reloaded, JPKI_AID)
    assert send(reloaded, apdu(0x80, 0xA8, 0x00, 0x00, GEN_SIGN.encode(), le=256)) == (b"", 0x6983)


def test_block_and_reset_pin(card, card_path, caplog) -> None:
    select_ap(card, JPKI_AID)
    select_ef(card, 0x001B)
    authorise(card, AdminOperation(AdminOp.LOCK_PIN, 0x001B), select=False)
    ok(card, "80 5A 00 80")  # the current EF
    assert verify(card, 0x1B, SIGN_PIN) == 0x6984
    assert send(card, "00 20 00 9B") == (b"", 0x63C0)
    assert CardState.load(card_path).jpki.sign_pin.tries_left == 0
    authorise(card, AdminOperation(AdminOp.RESET_PIN, 0x001B))
    assert send(card, apdu(0x00, 0x2C, 0x02, 0x9B, b"abc123")) == (b"", 0x6A80)  # format; spends it
    assert send(card, apdu(0x00, 0x2C, 0x02, 0x9B, b"FRESH2026")) == (b"", 0x6982)
    authorise(card, AdminOperation(AdminOp.RESET_PIN, 0x001B))
    with caplog.at_level(logging.DEBUG, logger="cardemu.card"):
        assert send(card, apdu(0x00, 0x2C, 0x01, 0x9B, b"FRESH2026")) == (b"", 0x6A86)  # P1 02 only
    authorise(card, AdminOperation(AdminOp.RESET_PIN, 0x001B))
    with caplog.at_level(logging.DEBUG, logger="cardemu.card"):
        ok(card, apdu(0x00, 0x2C, 0x02, 0x9B, b"FRESH2026"))
    assert "FRESH2026" not in caplog.text
    assert b"FRESH2026".hex().upper() not in caplog.text
    assert send(card, "00 20 00 9B") == (b"", 0x63C5)
    assert verify(card, 0x1B, "FRESH2026") == 0x9000
    pin = CardState.load(card_path).jpki.sign_pin
    assert (pin.value, pin.tries_left) == ("FRESH2026", 5)


def test_erase_key(card, card_path) -> None:
    authorise(card, AdminOperation(AdminOp.ERASE_KEY, 0x0017))
    ok(card, "80 E4 00 17")
    assert send(card, "00 47 81 17 00") == (b"", 0x6A88)
    assert ok(card, "00 B0 88 00 00") == bytes.fromhex("8F0000")
    assert verify(card, 0x18, "1234") == 0x9000
    assert send(card, apdu(0x80, 0x2A, 0x00, 0x97, bytes(51), le=256)) == (b"", 0x6A88)
    saved = CardState.load(card_path).jpki
    assert (saved.auth_key, saved.auth_cert) == (None, None)
    assert saved.auth_ca_cert is not None
