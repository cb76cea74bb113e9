"""One read of everything a counter needs to know about an inserted card, spending no PIN try."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509

from kiosk.reader.jpki import CertificateAvailability, CertSlot, JpkiPin, JpkiSession
from kiosk.reader.session import PinStatus
from kiosk.reader.transport import Transport


@dataclass(frozen=True)
class CardSummary:
    token_label: str
    availability: CertificateAvailability
    certificates: dict[CertSlot, x509.Certificate | None]
    sign_certificate_protected: bool  # it exists (EF 0008) but reading it needs the sign PIN
    pins: dict[JpkiPin, PinStatus]


def read_summary(transport: Transport) -> CardSummary:
    jpki = JpkiSession(transport)
    label = jpki.token_label()
    availability = jpki.certificate_availability()
    certs: dict[CertSlot, x509.Certificate | None] = {}
    for slot in (CertSlot.AUTH, CertSlot.AUTH_CA, CertSlot.SIGN_CA):
        certs[slot] = jpki.read_certificate(slot)
    # The signing certificate answers 6982 until its PIN is verified, and this read verifies no
    # PIN: EF 0008 already says whether it exists, so no APDU is spent on a certain refusal.
    certs[CertSlot.SIGN] = None
    protected = availability.sign
    pins = {pin: jpki.pin_status(pin) for pin in JpkiPin}
    return CardSummary(label, availability, certs, protected, pins)
