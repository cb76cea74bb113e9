"""One read of everything a counter needs to know about an inserted card, spending no PIN try."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509

from kiosk.reader.errors import SecurityStatusNotSatisfied
from kiosk.reader.jpki import CertificateAvailability, CertSlot, JpkiPin, JpkiSession
from kiosk.reader.session import PinStatus
from kiosk.reader.transport import Transport


@dataclass(frozen=True)
class CardSummary:
    token_label: str
    availability: CertificateAvailability
    certificates: dict[CertSlot, x509.Certificate | None]
    sign_certificate_protected: bool  # EF 0001 answered 6982: it exists but needs the sign PIN
    pins: dict[JpkiPin, PinStatus]


def read_summary(transport: Transport) -> CardSummary:
    jpki = JpkiSession(transport)
    label = jpki.token_label()
    availability = jpki.certificate_availability()
    certs: dict[CertSlot, x509.Certificate | None] = {}
    protected = False
    for slot in (CertSlot.AUTH, CertSlot.AUTH_CA, CertSlot.SIGN, CertSlot.SIGN_CA):
        if slot is CertSlot.SIGN and not availability.sign:
            certs[slot] = None
            continue
        try:
            certs[slot] = jpki.read_certificate(slot)
        except SecurityStatusNotSatisfied:
            certs[slot] = None
            protected = True
    pins = {pin: jpki.pin_status(pin) for pin in JpkiPin}
    return CardSummary(label, availability, certs, protected, pins)
