"""Typed, immutable CMP messages: the subset of RFC 9810 / RFC 9483 the kiosk and the central use.

These are plain values; `lcmp.codec` turns them into DER and back, `lcmp.protection` protects
and verifies. A decoded message also remembers how it was protected (`Message.protection`), with
the exact bytes that were signed or MACed, so verification never depends on re-encoding.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
from dataclasses import dataclass, field
from typing import ClassVar

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyasn1.type import char

from lcmp import asn1
from lcmp.asn1 import utc
from lcmp.errors import CmpError, FailureInfo

PVNO = 2  # cmp2000: what OpenSSL 3.0 sends and accepts; we use nothing that needs cmp2021
ID_LENGTH = 16  # RFC 9483 §3.1: transactionID and nonces are 128 random bits
# certReqId of the certificate answering a p10cr, which has none of its own: -1 per the CMP updates,
# and what OpenSSL 3.0 (Debian 12) sends and expects (checked in tests/lcmp).
P10CR_CERT_REQ_ID = -1


class PKIStatus(enum.IntEnum):
    accepted = 0
    grantedWithMods = 1
    rejection = 2
    waiting = 3
    revocationWarning = 4
    revocationNotification = 5
    keyUpdateWarning = 6


@dataclass(frozen=True)
class StatusInfo:
    """PKIStatusInfo: status, optional free text (statusString) and failure bits."""

    status: PKIStatus
    text: tuple[str, ...] = ()
    failure_info: FailureInfo = FailureInfo.NONE

    @property
    def granted(self) -> bool:
        return self.status in (PKIStatus.accepted, PKIStatus.grantedWithMods)

    def describe(self) -> str:
        parts = [self.status.name]
        if self.failure_info:
            parts.append("|".join(self.failure_info.names()))
        if self.text:
            parts.append(" / ".join(self.text))
        return ": ".join(parts)


ACCEPTED = StatusInfo(PKIStatus.accepted)

# generalInfo types the header has dedicated fields for (RFC 9810 §5.1.1.1, §5.1.1.2)
IMPLICIT_CONFIRM = "1.3.6.1.5.5.7.4.13"
CONFIRM_WAIT_TIME = "1.3.6.1.5.5.7.4.14"


@dataclass(frozen=True)
class InfoTypeAndValue:
    """One InfoTypeAndValue (generalInfo item, genm/genp entry): dotted OID and the DER of the
    value (None when absent). The application's own items (e.g. under 2.25) are carried as is."""

    info_type: str
    value: bytes | None = None

    @classmethod
    def utf8(cls, info_type: str, text: str) -> InfoTypeAndValue:
        return cls(info_type, asn1.encode(char.UTF8String(text)))

    def utf8_value(self) -> str:
        """The value read as a UTF8String (CmpError badDataFormat if it is not one)."""
        if self.value is None:
            raise CmpError(FailureInfo.badDataFormat, f"{self.info_type}: no value")
        return str(asn1.decode(self.value, char.UTF8String(), self.info_type))


@dataclass(frozen=True)
class Header:
    """PKIHeader fields we set or read. Times are normalised to whole seconds in UTC (DER)."""

    sender: x509.Name
    recipient: x509.Name
    transaction_id: bytes
    sender_nonce: bytes
    message_time: dt.datetime
    recip_nonce: bytes | None = None
    sender_kid: bytes | None = None
    # generalInfo id-it-implicitConfirm: asked for in a request, granted in a cp
    implicit_confirm: bool = False
    # generalInfo id-it-confirmWaitTime: until when the CA waits for certConf (cp without implicit confirm)
    confirm_wait_time: dt.datetime | None = None
    free_text: tuple[str, ...] = ()
    # further generalInfo items, after implicitConfirm / confirmWaitTime, in order
    general_info: tuple[InfoTypeAndValue, ...] = ()
    pvno: int = PVNO

    def __post_init__(self) -> None:
        if len(self.transaction_id) != ID_LENGTH:
            raise ValueError(f"transactionID must be {ID_LENGTH} bytes")
        if len(self.sender_nonce) != ID_LENGTH:
            raise ValueError(f"senderNonce must be {ID_LENGTH} bytes")
        if self.recip_nonce is not None and len(self.recip_nonce) != ID_LENGTH:
            raise ValueError(f"recipNonce must be {ID_LENGTH} bytes")
        if self.sender_kid is not None and not self.sender_kid:
            raise ValueError("senderKID must not be empty")
        if any(item.info_type in (IMPLICIT_CONFIRM, CONFIRM_WAIT_TIME) for item in self.general_info):
            raise ValueError("implicitConfirm and confirmWaitTime have their own fields")
        object.__setattr__(self, "message_time", utc(self.message_time))
        if self.confirm_wait_time is not None:
            object.__setattr__(self, "confirm_wait_time", utc(self.confirm_wait_time))


# --- bodies ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class P10cr:
    """A PKCS#10 request; for a card key, its signature is the proof of possession."""

    kind: ClassVar[str] = "p10cr"
    csr: x509.CertificateSigningRequest


@dataclass(frozen=True)
class Cp:
    """Certification response with exactly one CertResponse (RFC 9483 §4.1.1)."""

    kind: ClassVar[str] = "cp"
    status: StatusInfo
    certificate: x509.Certificate | None = None
    cert_req_id: int = P10CR_CERT_REQ_ID
    ca_pubs: tuple[x509.Certificate, ...] = ()

    def __post_init__(self) -> None:
        if self.status.granted and self.certificate is None:
            raise ValueError("a granted certificate response carries the certificate")
        if not self.status.granted and self.certificate is not None:
            raise ValueError(f"a {self.status.status.name} response carries no certificate")


@dataclass(frozen=True)
class CertConf:
    """certConf for one certificate; `status` None means accepted (statusInfo absent)."""

    kind: ClassVar[str] = "certConf"
    cert_hash: bytes
    cert_req_id: int = P10CR_CERT_REQ_ID
    status: StatusInfo | None = None

    @classmethod
    def for_certificate(
        cls, cert: x509.Certificate, cert_req_id: int = P10CR_CERT_REQ_ID, status: StatusInfo | None = None
    ) -> CertConf:
        return cls(cert_hash(cert), cert_req_id, status)

    @property
    def accepted(self) -> bool:
        return self.status is None or self.status.granted


@dataclass(frozen=True)
class PkiConf:
    kind: ClassVar[str] = "pkiconf"


@dataclass(frozen=True)
class PollReq:
    kind: ClassVar[str] = "pollReq"
    cert_req_id: int = P10CR_CERT_REQ_ID


@dataclass(frozen=True)
class PollRep:
    kind: ClassVar[str] = "pollRep"
    cert_req_id: int
    check_after: int  # seconds
    reason: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.check_after < 0:
            raise ValueError("checkAfter is a number of seconds ≥ 0")


@dataclass(frozen=True)
class Rr:
    """Revocation request for one certificate, named by issuer and serial (RFC 9483 §4.2)."""

    kind: ClassVar[str] = "rr"
    issuer: x509.Name
    serial: int
    reason: x509.ReasonFlags | None = None

    @classmethod
    def for_certificate(cls, cert: x509.Certificate, reason: x509.ReasonFlags | None = None) -> Rr:
        return cls(cert.issuer, cert.serial_number, reason)


@dataclass(frozen=True)
class Rp:
    kind: ClassVar[str] = "rp"
    status: StatusInfo


@dataclass(frozen=True)
class ErrorMsg:
    kind: ClassVar[str] = "error"
    status: StatusInfo
    error_code: int | None = None
    details: tuple[str, ...] = ()


@dataclass(frozen=True)
class Genm:
    """General message (RFC 9483 §4.3): what the requester asks or reports, as InfoTypeAndValues."""

    kind: ClassVar[str] = "genm"
    items: tuple[InfoTypeAndValue, ...] = ()


@dataclass(frozen=True)
class Genp:
    kind: ClassVar[str] = "genp"
    items: tuple[InfoTypeAndValue, ...] = ()


Body = P10cr | Cp | CertConf | PkiConf | PollReq | PollRep | Rr | Rp | Genm | Genp | ErrorMsg


# --- protection as received ------------------------------------------------------------------------


@dataclass(frozen=True)
class AlgorithmId:
    """An AlgorithmIdentifier: dotted OID and the DER of its parameters (None when absent)."""

    oid: str
    parameters: bytes | None = None


@dataclass(frozen=True)
class ReceivedProtection:
    """How a decoded message was protected: algorithm, protection bits, and the DER of
    ProtectedPart{header, body} exactly as the sender protected it."""

    algorithm: AlgorithmId
    value: bytes
    protected_part: bytes


@dataclass(frozen=True)
class Message:
    header: Header
    body: Body
    # for signature protection the CMP protection certificate comes first, then its chain
    extra_certs: tuple[x509.Certificate, ...] = ()
    # set by decode(); building a message leaves it None and encode() ignores it
    protection: ReceivedProtection | None = field(default=None, compare=False, repr=False)


def cert_hash(cert: x509.Certificate) -> bytes:
    """certHash for certConf: the certificate's DER hashed with its signature's hash algorithm
    (RFC 9810 §5.3.18). SHA-256 for every certificate our CAs issue."""
    algorithm = cert.signature_hash_algorithm
    if algorithm is None:  # EdDSA: needs hashAlg, i.e. pvno 3, which we do not speak
        raise ValueError("certificate signature has no hash algorithm; certConf would need hashAlg")
    return hashlib.new(algorithm.name, cert.public_bytes(serialization.Encoding.DER)).digest()
