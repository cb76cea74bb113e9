"""COMPUTE DIGITAL SIGNATURE: both JPKI keys, every P1 scheme, PIN rules, the 券面 AP keys."""

from __future__ import annotations

import hashlib

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from softcard_util import AUTH_PIN, SIGN_PIN, apdu, ok, select_ap, select_ef, send, verify

from cardemu.card import SoftCard
from cardemu.jpki import JPKI_AID
from cardemu.signing import DIGEST_INFO_SHA256, pkcs1_sign
from cardemu.surface import JUKI_AID, KENHOJO_AID, KENKAKU_AID

MESSAGE = "マイナンバーカードで署名".encode()
PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)


def _digest_info(message: bytes) -> bytes:
    return DIGEST_INFO_SHA256 + hashlib.sha256(message).digest()


def _cert_key(der: bytes) -> rsa.RSAPublicKey:
    key = x509.load_der_x509_certificate(der).public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    return key


def _recover(public: rsa.RSAPublicKey, signature: bytes) -> bytes:
    """The encoded message inside a PKCS#1 v1.5 signature (for schemes `cryptography` cannot verify)."""
    n, e = public.public_numbers().n, public.public_numbers().e
    em = pow(int.from_bytes(signature, "big"), e, n).to_bytes(256, "big")
    assert em.startswith(b"\x00\x01\xff\xff\xff\xff\xff\xff\xff\xff")
    return em[em.index(b"\x00", 2) + 1 :]


@pytest.mark.parametrize(
    ("pin_fid", "pin", "key_fid", "cert_field"),
    [(0x18, AUTH_PIN, 0x17, "auth_cert"), (0x1B, SIGN_PIN, 0x1A, "sign_cert")],
)
def test_opensc_sequence_signs_for_both_keys(card, state, pin_fid, pin, key_fid, cert_field) -> None:
    """SELECT PIN EF → VERIFY → SELECT key EF → `80 2A 00 80 <DigestInfo> 00` (CARD.md §12.3)."""
    select_ap(card, JPKI_AID)
    select_ef(card, pin_fid)
    ok(card, apdu(0x00, 0x20, 0x00, 0x80, pin.encode()))
    select_ef(card, key_fid)
    signature = ok(card, apdu(0x80, 0x2A, 0x00, 0x80, _digest_info(MESSAGE), le=256))
    assert len(signature) == 256
    _cert_key(getattr(state.jpki, cert_field)).verify(signature, MESSAGE, padding.PKCS1v15(), hashes.SHA256())


def test_sfi_names_the_key_without_select(card, state) -> None:
    select_ap(card, JPKI_AID)
    assert verify(card, 0x18, AUTH_PIN) == 0x9000
    signature = ok(card, apdu(0x80, 0x2A, 0x00, 0x97, _digest_info(MESSAGE), le=256))
    _cert_key(state.jpki.auth_cert).verify(signature, MESSAGE, padding.PKCS1v15(), hashes.SHA256())
    assert send(card, apdu(0x80, 0x2A, 0x00, 0x9A, _digest_info(MESSAGE), le=256)) == (b"", 0x6982)


@pytest.mark.parametrize("scheme", range(6))
def test_every_scheme(card, state, scheme: int) -> None:
    public = _cert_key(state.jpki.sign_cert)
    digest = hashlib.sha256(MESSAGE).digest()
    data = {0: _digest_info(MESSAGE), 2: digest, 4: digest}.get(scheme, MESSAGE)
    select_ap(card, JPKI_AID)
    assert verify(card, 0x1B, SIGN_PIN) == 0x9000
    signature = ok(card, apdu(0x80, 0x2A, scheme, 0x9A, data, le=256))
    if scheme == 1:  # bare hash inside the PKCS#1 block
        assert _recover(public, signature) == digest
    elif scheme in (0, 2, 3):
        public.verify(signature, MESSAGE, padding.PKCS1v15(), hashes.SHA256())
    else:
        public.verify(signature, MESSAGE, PSS, hashes.SHA256())


def test_p1_00_pads_any_data_up_to_245_bytes(card, state) -> None:
    public = _cert_key(state.jpki.auth_cert)
    select_ap(card, JPKI_AID)
    assert verify(card, 0x18, AUTH_PIN) == 0x9000
    for data in (b"\x01", bytes(range(245))):
        assert _recover(public, ok(card, apdu(0x80, 0x2A, 0x00, 0x97, data, le=256))) == data


@pytest.mark.parametrize(
    ("scheme", "data", "sw"),
    [
        (0x00, bytes(246), 0x6985),
        (0x01, bytes(256), 0x6985),
        (0x02, bytes(31), 0x6985),
        (0x02, bytes(33), 0x6985),
        (0x03, bytes(256), 0x6985),
        (0x04, bytes(20), 0x6985),
        (0x05, bytes(300), 0x6985),
        (0x00, b"", 0x6700),
        (0x06, bytes(51), 0x6A86),
        (0xFF, bytes(51), 0x6A86),
    ],
)
def test_bad_input(card, scheme: int, data: bytes, sw: int) -> None:
    select_ap(card, JPKI_AID)
    assert verify(card, 0x18, AUTH_PIN) == 0x9000
    command = (
        apdu(0x80, 0x2A, scheme, 0x97, data, le=65536, ext=True)
        if data
        else bytes([0x80, 0x2A, scheme, 0x97])
    )
    assert send(card, command) == (b"", sw)


@pytest.mark.parametrize(
    ("setup", "command", "sw"),
    [
        ([], "80 2A 00 97 01 AA 00", 0x6982),  # PIN not verified
        ([0x1B], "80 2A 00 97 01 AA 00", 0x6982),  # the other PIN does not count
        ([0x18], "80 2A 00 80 01 AA 00", 0x6986),  # P2 80 without a current EF
        ([0x18], "80 2A 00 8A 01 AA 00", 0x6A88),  # 000A is no key
        ([0x18], "80 2A 00 00 01 AA 00", 0x6A86),  # the JPKI AP has no default key
        ([0x18], "80 2A 00 7F 01 AA 00", 0x6A86),
    ],
)
def test_key_reference_and_pin_errors(card, setup: list[int], command: str, sw: int) -> None:
    select_ap(card, JPKI_AID)
    for fid in setup:
        assert verify(card, fid, {0x18: AUTH_PIN, 0x1B: SIGN_PIN}[fid]) == 0x9000
    assert send(card, command) == (b"", sw)


def test_pin_status_is_lost_with_the_ap(card) -> None:
    select_ap(card, JPKI_AID)
    assert verify(card, 0x18, AUTH_PIN) == 0x9000
    select_ap(card, KENHOJO_AID)
    select_ap(card, JPKI_AID)
    assert send(card, "80 2A 00 97 01 AA 00") == (b"", 0x6982)


def test_missing_key_answers_6a88(state) -> None:
    state.jpki.sign_key = state.jpki.sign_cert = None
    card = SoftCard(state)
    select_ap(card, JPKI_AID)
    assert verify(card, 0x1B, SIGN_PIN) == 0x9000
    assert send(card, apdu(0x80, 0x2A, 0x00, 0x9A, _digest_info(MESSAGE), le=256)) == (b"", 0x6A88)


@pytest.mark.parametrize(("aid", "key_name"), [(KENHOJO_AID, "kenhojo"), (KENKAKU_AID, "kenkaku")])
def test_card_presence_proof_needs_no_credential(card, keys, aid: bytes, key_name: str) -> None:
    select_ap(card, aid)
    challenge = ok(card, "00 84 00 00 10")
    signature = ok(card, apdu(0x80, 0x2A, 0x00, 0x00, _digest_info(challenge), le=256))
    getattr(keys, key_name).public_key().verify(signature, challenge, padding.PKCS1v15(), hashes.SHA256())
    with pytest.raises(InvalidSignature):
        keys.auth.public_key().verify(signature, challenge, padding.PKCS1v15(), hashes.SHA256())
    assert send(card, "80 2A 00 80 01 AA 00") == (b"", 0x6A86)  # only the default key
    select_ap(card, JUKI_AID)  # no AP key there
    assert send(card, "80 2A 00 00 01 AA 00") == (b"", 0x6A88)


def test_raw_pkcs1_matches_cryptography_exactly(keys) -> None:
    """The hand-made CRT signer equals `cryptography`'s PKCS#1 v1.5 output (it is deterministic)."""
    expected = keys.sign.sign(MESSAGE, padding.PKCS1v15(), hashes.SHA256())
    assert pkcs1_sign(keys.sign, _digest_info(MESSAGE)) == expected
