"""Test cards for the APDU engine: real RSA keys and X.509 certificates, simple TLV records.

Keys and certificates are made once per session (RSA generation is the slow part); every test
gets a fresh CardState built from them, saved to its own temporary file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from asn1crypto import parser
from cryptography.hazmat.primitives.asymmetric import rsa
from softcard_util import (
    AUTH_PIN,
    BIRTH_KEY,
    CARD_ID,
    CODE_TRIES,
    HOLDER,
    JUKI_PIN,
    KENHOJO_PIN,
    MASTER_KEY,
    MY_NUMBER,
    PIN_B,
    SIGN_PIN,
    make_cert,
    pem,
)

from cardadmin import derive_card_key
from cardemu.card import SoftCard
from cardemu.state import ApState, CardState, EmptyVerifyQuirk, JpkiState, PinState


@dataclass(frozen=True)
class Keys:
    auth: rsa.RSAPrivateKey
    sign: rsa.RSAPrivateKey
    ca: rsa.RSAPrivateKey
    kenhojo: rsa.RSAPrivateKey
    kenkaku: rsa.RSAPrivateKey


@dataclass(frozen=True)
class Certs:
    auth: bytes
    sign: bytes
    ca: bytes


@pytest.fixture(scope="session")
def keys() -> Keys:
    def new() -> rsa.RSAPrivateKey:
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)

    return Keys(auth=new(), sign=new(), ca=new(), kenhojo=new(), kenkaku=new())


@pytest.fixture(scope="session")
def certs(keys: Keys) -> Certs:
    return Certs(
        auth=make_cert("auth 0001", keys.auth.public_key(), keys.ca),
        sign=make_cert("sign 0001", keys.sign.public_key(), keys.ca, holder=True),
        ca=make_cert("JPKI-TEST CA", keys.ca.public_key(), keys.ca, ca=True),
    )


def _tlv(tag: int, value: bytes, *, constructed: bool = False) -> bytes:
    """A private-class tag (DF xx / FF xx) via asn1crypto."""
    return parser.emit(3, int(constructed), tag, value)


def kenhojo_files() -> dict[int, bytes]:
    attributes = b"".join(
        _tlv(tag, value.encode("utf-8"))
        for tag, value in (
            (0x22, HOLDER.name),
            (0x23, HOLDER.address),
            (0x24, HOLDER.birth_date),
            (0x25, "2"),
        )
    )
    return {
        0x0001: b"\xff\x10\x0c" + MY_NUMBER.encode("ascii") + b"\xff\xff",  # CARD.md §4, 17 bytes
        0x0002: _tlv(0x20, attributes, constructed=True),
        0x0003: _tlv(0x30, _tlv(0x31, bytes(32)) + _tlv(0x32, bytes(32)), constructed=True),
        0x0004: bytes.fromhex("7F2103") + b"\x5f\x4e\x00",
        0x0005: _tlv(0x40, _tlv(0x41, b"\x00\x00\x00\x01"), constructed=True),
    }


def kenkaku_files() -> dict[int, bytes]:
    photo = b"\x00\x00\x00\x0cjP  \r\n\x87\n" + bytes(range(256)) * 6  # a JP2 signature, then filler
    return {
        0x0001: _tlv(0x10, _tlv(0x11, HOLDER.birth_date.encode()), constructed=True),
        0x0002: _tlv(0x20, _tlv(0x22, HOLDER.birth_date.encode()) + _tlv(0x27, photo), constructed=True),
        0x0003: _tlv(0x30, _tlv(0x34, b"13101"), constructed=True),
        0x0004: bytes.fromhex("7F2103") + b"\x5f\x4e\x00",
        0x0005: _tlv(0x40, _tlv(0x41, b"\x89PNG"), constructed=True),
    }


def _pin(value: str, tries: int) -> PinState:
    return PinState(value=value, max_tries=tries, tries_left=tries)


def build_state(keys: Keys, certs: Certs) -> CardState:
    return CardState(
        card_id=CARD_ID,
        admin_key=derive_card_key(MASTER_KEY, CARD_ID),
        holder=HOLDER,
        jpki=JpkiState(
            auth_pin=_pin(AUTH_PIN, 3),
            sign_pin=_pin(SIGN_PIN, 5),
            auth_key=pem(keys.auth),
            sign_key=pem(keys.sign),
            auth_cert=certs.auth,
            auth_ca_cert=certs.ca,
            sign_cert=certs.sign,
            sign_ca_cert=certs.ca,
        ),
        kenhojo=ApState(
            files=kenhojo_files(),
            pins={
                0x0011: _pin(KENHOJO_PIN, 3),
                0x0014: _pin(MY_NUMBER, CODE_TRIES),
                0x0015: _pin(PIN_B, CODE_TRIES),
            },
            ap_key=pem(keys.kenhojo),
        ),
        kenkaku=ApState(
            files=kenkaku_files(),
            pins={
                0x0011: _pin(BIRTH_KEY, 5),
                0x0012: _pin(PIN_B, CODE_TRIES),
                0x0013: _pin(MY_NUMBER, CODE_TRIES),
            },
            ap_key=pem(keys.kenkaku),
        ),
        juki=ApState(files={0x0002: bytes(16)}, pins={0x001C: _pin(JUKI_PIN, 3)}),
        expiry="20351231",
        municipality="13101",
        empty_verify=EmptyVerifyQuirk.OPENSC,
    )


@pytest.fixture
def state(keys: Keys, certs: Certs) -> CardState:
    return build_state(keys, certs)


@pytest.fixture
def card_path(tmp_path: Path) -> Path:
    return tmp_path / "card.json"


@pytest.fixture
def card(state: CardState, card_path: Path) -> SoftCard:
    state.save(card_path)
    return SoftCard(state, card_path)
