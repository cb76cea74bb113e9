"""Card authenticity (規則 第64条の12): is this a genuine card issued under the issuer's key?

Chain (docs/card-emulation.md): issuer key (trust anchor) → CV certificate in EF 0004 of each
券面 AP → the AP's key, which
- signs a fresh challenge chosen by the kiosk (the card is present and holds the private key);
- signs the AP's records (the integrity record of 入力補助, DF28 of the card face), so data read
  from the card is the data written at issuance.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from kiosk.domain.resident import BasicFourInfo
from kiosk.reader import tlv
from kiosk.reader.cvc import CvCertificate, verify_pkcs1_sha256
from kiosk.reader.digestinfo import sha256_digest_info
from kiosk.reader.kenhojo import KenhojoSession, parse_attributes, parse_my_number
from kiosk.reader.kenkaku import CardFace, KenkakuSession
from kiosk.reader.session import card_data
from kiosk.reader.transport import Transport

CHALLENGE_LENGTH = 32
TAG_INTEGRITY, TAG_MY_NUMBER_HASH, TAG_ATTRIBUTES_HASH, TAG_INTEGRITY_SIGNATURE = (
    0xFF30,
    0xDF31,
    0xDF32,
    0xDF33,
)


class NotAuthentic(Exception):
    """The card failed an authenticity check. The message says which; it holds no personal data."""


IssuerKeys = Mapping[bytes, rsa.RSAPublicKey]  # 16-byte key id → issuer public key


def _load_keys(directory: Path) -> dict[bytes, rsa.RSAPublicKey]:
    keys: dict[bytes, rsa.RSAPublicKey] = {}
    for pem in sorted(directory.glob("*.pem")):
        key = serialization.load_pem_public_key(pem.read_bytes())
        if not isinstance(key, rsa.RSAPublicKey):
            raise ValueError(f"{pem}: not an RSA public key")
        keys[pem.stem.encode("ascii").ljust(16, b" ")] = key
    if not keys:
        raise ValueError(f"no issuer keys in {directory}")
    return keys


@dataclass(frozen=True)
class IssuerTrust:
    """The issuer keys each 券面 application's CV certificate may chain to.

    Bound per application, so a genuine CV certificate of one application copied into the other
    does not pass.
    """

    kenhojo: IssuerKeys
    kenkaku: IssuerKeys

    @classmethod
    def from_directory(cls, directory: Path) -> IssuerTrust:
        """`kenhojo/<key id>.pem` and `kenkaku/<key id>.pem` (SubjectPublicKeyInfo); the key id
        is the file stem, space padded to 16 bytes."""
        return cls(_load_keys(directory / "kenhojo"), _load_keys(directory / "kenkaku"))


@dataclass(frozen=True)
class ApAuthenticity:
    ap: str
    issuer: str
    ap_key: rsa.RSAPublicKey


@dataclass(frozen=True)
class AuthenticityReport:
    kenhojo: ApAuthenticity
    kenkaku: ApAuthenticity


def _check_ap(session: KenhojoSession | KenkakuSession, keys: IssuerKeys) -> ApAuthenticity:
    with card_data(f"{session.NAME} CV certificate"):
        cert = CvCertificate.parse(session.cv_certificate())
    issuer_key = keys.get(cert.issuer_key_id)
    if issuer_key is None:
        raise NotAuthentic(f"{session.NAME}: CV certificate from unknown issuer {cert.issuer_name!r}")
    if not cert.is_signed_by(issuer_key):
        raise NotAuthentic(f"{session.NAME}: CV certificate signature invalid")
    challenge = os.urandom(CHALLENGE_LENGTH)
    signature = session.sign_challenge(sha256_digest_info(challenge))
    if not verify_pkcs1_sha256(cert.public_key, signature, challenge):
        raise NotAuthentic(
            f"{session.NAME}: challenge signature invalid (card does not hold the certified key)"
        )
    return ApAuthenticity(session.NAME, cert.issuer_name, cert.public_key)


def check_card_authenticity(transport: Transport, trust: IssuerTrust) -> AuthenticityReport:
    """Both 券面 APs: CV certificate against the issuer, fresh challenge against the CV key.

    Needs no PIN. Leaves the 券面事項確認 AP selected.
    """
    kenhojo = _check_ap(KenhojoSession(transport), trust.kenhojo)
    kenkaku = _check_ap(KenkakuSession(transport), trust.kenkaku)
    return AuthenticityReport(kenhojo, kenkaku)


def _integrity(integrity_record: bytes) -> tuple[tlv.Tlv, tlv.Tlv, bytes]:
    """EF 0003: the My Number hash, the attributes hash, and the AP's signature over both."""
    fields = tlv.children(tlv.expect(integrity_record, TAG_INTEGRITY).value)  # ValueError if malformed
    try:
        return fields[TAG_MY_NUMBER_HASH], fields[TAG_ATTRIBUTES_HASH], fields[TAG_INTEGRITY_SIGNATURE].value
    except KeyError as exc:
        raise NotAuthentic(f"integrity record lacks tag {exc.args[0]:X}") from None


def _check_attributes(
    attributes_file: bytes,
    number_hash: tlv.Tlv,
    attributes_hash: tlv.Tlv,
    signature: bytes,
    ap_key: rsa.RSAPublicKey,
) -> BasicFourInfo:
    parsed = parse_attributes(attributes_file)
    if hashlib.sha256(parsed.signed_part).digest() != attributes_hash.value:
        raise NotAuthentic("basic 4 information does not match the integrity record")
    if not verify_pkcs1_sha256(ap_key, signature, number_hash.encoded + attributes_hash.encoded):
        raise NotAuthentic("integrity record signature invalid")
    return parsed.info


def verify_kenhojo_records(
    my_number_file: bytes, attributes_file: bytes, integrity_record: bytes, ap_key: rsa.RSAPublicKey
) -> BasicFourInfo:
    """EF 0001 and 0002 as read match the hashes in EF 0003, which the AP key signed. Returns the
    attributes as parsed for the check."""
    number_hash, attributes_hash, signature = _integrity(integrity_record)
    if hashlib.sha256(my_number_file).digest() != number_hash.value:
        raise NotAuthentic("My Number file does not match the integrity record")
    return _check_attributes(attributes_file, number_hash, attributes_hash, signature, ap_key)


@dataclass(frozen=True)
class VerifiedText:
    """My Number and basic 4 information, read once and checked against the integrity record."""

    my_number: str
    info: BasicFourInfo

    def __repr__(self) -> str:
        return "VerifiedText(<personal data>)"


def read_verified_kenhojo(session: KenhojoSession, ap_key: rsa.RSAPublicKey) -> VerifiedText:
    """Needs the 入力補助 PIN verified (it opens all three files)."""
    number_file, attributes, integrity = (
        session.my_number_file(),
        session.attributes_file(),
        session.integrity_record(),
    )
    with card_data("券面事項入力補助AP records"):
        info = verify_kenhojo_records(number_file, attributes, integrity, ap_key)
        return VerifiedText(parse_my_number(number_file), info)


def read_verified_kenhojo_attributes(session: KenhojoSession, ap_key: rsa.RSAPublicKey) -> BasicFourInfo:
    """The 基本4情報 alone, after 照合番号B (which opens EF 0002 and 0003, not the My Number): the
    integrity record's signature covers both hashes as recorded, so the attributes are checked
    against theirs without reading the My Number at all."""
    attributes, integrity = session.attributes_file(), session.integrity_record()
    with card_data("券面事項入力補助AP records"):
        number_hash, attributes_hash, signature = _integrity(integrity)
        return _check_attributes(attributes, number_hash, attributes_hash, signature, ap_key)


def read_verified_card_face(session: KenkakuSession, ap_key: rsa.RSAPublicKey) -> CardFace:
    """Needs 照合番号A or B verified."""
    face = session.card_face()
    verify_card_face(face, ap_key)
    return face


def verify_card_face(face: CardFace, ap_key: rsa.RSAPublicKey) -> None:
    """DF28 covers the three groups; the AP key in DF24 must be the CV-certified one."""
    if face.ap_public_key.public_numbers() != ap_key.public_numbers():
        raise NotAuthentic("card face carries a key other than the certified AP key")
    if not verify_pkcs1_sha256(ap_key, face.signature, face.group_digests):
        raise NotAuthentic("card face signature invalid")
