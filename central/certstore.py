"""The certificate table's small vocabulary: serial keys, storing an issued certificate, lookups.

Serials are stored as lower-case hex without leading zeros (the primary key); callers may pass
an int, a hex string or a certificate.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from sqlalchemy import select
from sqlalchemy.orm import Session

from central.enums import CaName, CertKind, CertStatus
from central.errors import NotFound
from central.models import Certificate

Serial = int | str


def serial_key(serial: Serial) -> str:
    if isinstance(serial, int):
        if serial <= 0 or serial.bit_length() > 160:
            raise ValueError("serial must be positive and at most 20 octets")
        return format(serial, "x")
    text = serial.strip().lower().removeprefix("0x").lstrip("0")
    if not text or len(text) > 40 or set(text) - set("0123456789abcdef"):
        raise ValueError("serial must be hex, at most 20 octets")
    return text


def spki_digest(key: x509.Certificate | x509.CertificateSigningRequest) -> str:
    spki = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(spki).hexdigest()


@dataclass(frozen=True)
class IssuedCertificate:
    serial: str
    kind: CertKind
    issuer: CaName
    der: bytes
    not_after: dt.datetime

    @property
    def certificate(self) -> x509.Certificate:
        return x509.load_der_x509_certificate(self.der)

    @classmethod
    def of(cls, row: Certificate) -> IssuedCertificate:
        return cls(row.serial, row.kind, row.issuer, row.der, row.not_after)


def serial_in_use(session: Session, serial: int) -> bool:
    return session.get(Certificate, serial_key(serial)) is not None


def store(
    session: Session,
    cert: x509.Certificate,
    *,
    kind: CertKind,
    now: dt.datetime,
    card_id: str | None = None,
    terminal_id: str | None = None,
    application_id: str | None = None,
) -> Certificate:
    row = Certificate(
        serial=serial_key(cert.serial_number),
        kind=kind,
        issuer=kind.issuer,
        card_id=card_id,
        terminal_id=terminal_id,
        application_id=application_id,
        der=cert.public_bytes(serialization.Encoding.DER),
        spki_sha256=spki_digest(cert),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        issued_at=now,
        status=CertStatus.GOOD,
        ex_officio=False,
    )
    session.add(row)
    session.flush()  # the primary key (serial) must be unique now, not at commit
    return row


def get(session: Session, serial: Serial, *, for_update: bool = False) -> Certificate:
    query = select(Certificate).where(Certificate.serial == serial_key(serial))
    if for_update:
        query = query.with_for_update()
    row = session.scalars(query).one_or_none()
    if row is None:
        raise NotFound(f"certificate {serial_key(serial)}")
    return row
