"""The 券面 applications' CV certificate (EF 0004) and RSA keys in `90`/`91` TLVs (CARD.md §4)."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from kiosk.reader import tlv

TAG_CV_CERT, TAG_BODY, TAG_SIGNATURE = 0x7F21, 0x5F4E, 0x5F37
TAG_EXPONENT, TAG_MODULUS = 0x90, 0x91
KEY_ID_LENGTH = 16


def rsa_key_from_tlv(
    data: bytes, *, exponent_tag: int = TAG_EXPONENT, modulus_tag: int = TAG_MODULUS
) -> rsa.RSAPublicKey:
    """`90 <exponent> 91 <modulus>` (or other tags for the two) → public key."""
    fields = tlv.children(data)
    try:
        e = int.from_bytes(fields[exponent_tag].value, "big")
        n = int.from_bytes(fields[modulus_tag].value, "big")
    except KeyError as exc:
        raise ValueError(f"RSA key TLV lacks tag {exc.args[0]:X}") from None
    return rsa.RSAPublicNumbers(e, n).public_key()


def verify_pkcs1_sha256(key: rsa.RSAPublicKey, signature: bytes, message: bytes) -> bool:
    try:
        key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


@dataclass(frozen=True)
class CvCertificate:
    issuer_key_id: bytes
    subject_key_id: bytes
    public_key: rsa.RSAPublicKey
    body: bytes
    signature: bytes

    @classmethod
    def parse(cls, data: bytes) -> CvCertificate:
        outer = tlv.expect(data, TAG_CV_CERT)
        fields = tlv.children(outer.value)
        if TAG_BODY not in fields or TAG_SIGNATURE not in fields:
            raise ValueError("CV certificate lacks body or signature")
        body = fields[TAG_BODY].value
        if len(body) <= 2 * KEY_ID_LENGTH:
            raise ValueError("CV certificate body too short")
        return cls(
            issuer_key_id=body[:KEY_ID_LENGTH],
            subject_key_id=body[KEY_ID_LENGTH : 2 * KEY_ID_LENGTH],
            public_key=rsa_key_from_tlv(body[2 * KEY_ID_LENGTH :]),
            body=body,
            signature=fields[TAG_SIGNATURE].value,
        )

    def is_signed_by(self, issuer_key: rsa.RSAPublicKey) -> bool:
        return verify_pkcs1_sha256(issuer_key, self.signature, self.body)

    @property
    def issuer_name(self) -> str:
        return self.issuer_key_id.decode("ascii", "replace").strip(" \x00")
