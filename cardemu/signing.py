"""COMPUTE DIGITAL SIGNATURE `80 2A` (CARD.md §3.5) and the card's RSA key handling."""

from __future__ import annotations

import hashlib
from functools import lru_cache

from asn1crypto import parser
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa, utils

from cardemu.apdu import Command, StatusError
from cardemu.session import Session

DIGEST_INFO_SHA256 = bytes.fromhex("3031300d060960864801650304020105000420")
_MAX_MESSAGE = 255  # schemes where the card hashes: whole message in one short APDU
_PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH)


@lru_cache(maxsize=32)
def load_key(pem: str) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise TypeError("card keys are RSA")
    return key


def generate_key() -> str:
    """A fresh RSA-2048 key as unencrypted PKCS#8 PEM (it never leaves the card state)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")


def public_key_template(pem: str) -> bytes:
    """`7F 49 { 81 modulus, 82 exponent }` as GENERATE ASYMMETRIC KEY PAIR answers (ISO 7816-8)."""
    numbers = load_key(pem).public_key().public_numbers()
    modulus = numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")
    exponent = numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big")
    template: bytes = parser.emit(1, 1, 0x49, parser.emit(2, 0, 1, modulus) + parser.emit(2, 0, 2, exponent))
    return template


def pkcs1_sign(key: rsa.RSAPrivateKey, t: bytes) -> bytes:
    """EMSA-PKCS1-v1_5 type-1 padding of `t` as given, then the RSA private operation (CRT).

    `cryptography` only signs messages or hashes it wraps itself; the card pads whatever it is
    given (a DigestInfo, or a bare hash for P1 01), so the raw operation is done here.
    """
    priv = key.private_numbers()
    pub = priv.public_numbers
    k = (pub.n.bit_length() + 7) // 8
    if len(t) > k - 11:  # at least 8 bytes of FF padding
        raise StatusError(0x6985)
    m = int.from_bytes(b"\x00\x01" + b"\xff" * (k - 3 - len(t)) + b"\x00" + t, "big")
    s1, s2 = pow(m, priv.dmp1, priv.p), pow(m, priv.dmq1, priv.q)
    s = s2 + priv.q * ((priv.iqmp * (s1 - s2)) % priv.p)
    if pow(s, pub.e, pub.n) != m:  # never release a faulty CRT result (it would leak a factor)
        raise RuntimeError("RSA-CRT self-check failed")
    return s.to_bytes(k, "big")


def sign(key: rsa.RSAPrivateKey, scheme: int, data: bytes) -> bytes:
    """The P1 scheme byte (CARD.md §3.5 table)."""
    if scheme in (0x01, 0x03, 0x05) and len(data) > _MAX_MESSAGE:
        raise StatusError(0x6985)
    if scheme in (0x02, 0x04) and len(data) != 32:
        raise StatusError(0x6985)
    if scheme == 0x00:
        return pkcs1_sign(key, data)
    if scheme == 0x01:
        return pkcs1_sign(key, hashlib.sha256(data).digest())
    if scheme == 0x02:
        return pkcs1_sign(key, DIGEST_INFO_SHA256 + data)
    if scheme == 0x03:
        return pkcs1_sign(key, DIGEST_INFO_SHA256 + hashlib.sha256(data).digest())
    if scheme == 0x04:
        return key.sign(data, _PSS, utils.Prehashed(hashes.SHA256()))
    return key.sign(data, _PSS, hashes.SHA256())


def compute_digital_signature(cmd: Command, s: Session) -> bytes:
    """`80 2A P1 P2 Lc <data> Le`: P2 names the key (AP-specific), P1 the scheme."""
    if cmd.p1 > 0x05:
        raise StatusError(0x6A86)
    if s.app is None:
        raise StatusError(0x6A88)
    pem = s.app.signing_key(cmd.p2, s.current_ef, s.verified)
    if not cmd.data:
        raise StatusError(0x6700)
    return sign(load_key(pem), cmd.p1, cmd.data)
