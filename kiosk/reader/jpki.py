"""公的個人認証 AP (JPKI-AP): certificates, PINs and signing (CARD.md §3)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from cryptography import x509

from kiosk.reader.apdu import CommandApdu
from kiosk.reader.digestinfo import sha256_digest_info
from kiosk.reader.errors import CardDataError
from kiosk.reader.session import ApplicationSession, card_data

JPKI_AID = bytes.fromhex("D392F000260100000001")
EF_TOKEN_INFO = 0x0006
EF_CERT_AVAILABILITY = 0x0008
_TOKEN_LABEL_LENGTH = 32
_AVAILABLE = 0x8F


class JpkiPin(Enum):
    """利用者証明用 PIN (4 digits, 3 tries) and 署名用パスワード (6–16 of A–Z0–9, 5 tries)."""

    AUTH = 0x0018
    SIGN = 0x001B


class JpkiKey(Enum):
    AUTH = 0x0017
    SIGN = 0x001A

    @property
    def pin(self) -> JpkiPin:
        return JpkiPin.AUTH if self is JpkiKey.AUTH else JpkiPin.SIGN

    @property
    def certificate(self) -> CertSlot:
        return CertSlot.AUTH if self is JpkiKey.AUTH else CertSlot.SIGN


class CertSlot(Enum):
    AUTH = 0x000A  # 利用者証明用電子証明書
    AUTH_CA = 0x000B
    SIGN = 0x0001  # 署名用電子証明書: readable only after the sign PIN
    SIGN_CA = 0x0002


@dataclass(frozen=True)
class CertificateAvailability:
    """EF 0008: byte 0 ≠ 8F → no signing certificate (e.g. under-15 holder, face-auth card)."""

    sign: bool
    auth: bool


class JpkiSession(ApplicationSession[JpkiPin]):
    AID = JPKI_AID
    NAME = "JPKI"
    PERSONAL_FILES = frozenset({CertSlot.SIGN.value})  # the signing certificate carries the 4 info

    def token_label(self) -> str:
        """`JPKIAPICCTOKEN2` on a My Number card (EF 0006, first 32 bytes, space padded)."""
        return self.read_bytes(EF_TOKEN_INFO, _TOKEN_LABEL_LENGTH).decode("ascii", "replace").rstrip(" \x00")

    def certificate_availability(self) -> CertificateAvailability:
        flags = self.read_bytes(EF_CERT_AVAILABILITY, 3)
        if len(flags) < 2:
            raise CardDataError("EF 0008 shorter than 2 bytes")
        return CertificateAvailability(sign=flags[0] == _AVAILABLE, auth=flags[1] == _AVAILABLE)

    def read_certificate_der(self, slot: CertSlot) -> bytes:
        """DER of the certificate, b"" if the slot is empty. The signing certificate needs the
        sign PIN verified first (else SecurityStatusNotSatisfied)."""
        return self.read_record(slot.value)

    def read_certificate(self, slot: CertSlot) -> x509.Certificate | None:
        der = self.read_certificate_der(slot)
        if not der:
            return None
        with card_data(f"certificate {slot.name}"):
            return x509.load_der_x509_certificate(der)

    def compute_signature(self, key: JpkiKey, digest_info: bytes) -> bytes:
        """RSA PKCS#1 v1.5 signature over a DigestInfo with the on-card key (PIN verified first)."""
        return self.sign_raw(0x80 | key.value, digest_info, key.name)

    def sign_sha256(self, key: JpkiKey, message: bytes) -> bytes:
        """An ordinary sha256WithRSAEncryption signature of `message`."""
        return self.compute_signature(key, sha256_digest_info(message))

    def card_id(self) -> bytes:
        """GET DATA 0045: the card's identifier (docs/card-admin.md §2)."""
        return self.transport.send(CommandApdu(0x00, 0xCA, 0x00, 0x45, ne=256, name="GET DATA card id")).data
