"""On-card key generation, on-card CSR, certificate write and read-back (docs/card-admin.md)."""

import datetime as dt
import functools

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from cardadmin import AdminOperation
from cardemu.authority import DevAuthority
from cardemu.testpki import TestPki
from kiosk.domain.secret import Secret
from kiosk.reader.admin import ChallengeResponseIssuer
from kiosk.reader.csr import CsrMismatch, p10_from_card
from kiosk.reader.errors import AuthenticationBlocked, PinBlocked, SecurityStatusNotSatisfied
from kiosk.reader.jpki import CertSlot, JpkiKey, JpkiPin, JpkiSession


def issue(pki: TestPki, csr: x509.CertificateSigningRequest) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "issued in test")]))
        .issuer_name(pki.sign_ca_cert.subject)
        .public_key(csr.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=365))
        .sign(pki.sign_ca_key, hashes.SHA256())
    )


@pytest.mark.parametrize("extended", [True, False], ids=["extended", "short-only"])
def test_generate_csr_write_read_back(open_card, test_pki: TestPki, extended: bool) -> None:
    card = open_card("minor", extended=extended)  # no signing key yet
    jpki = JpkiSession(card.transport)
    issuer = ChallengeResponseIssuer(jpki, DevAuthority(test_pki.admin_master_key))
    with Secret.from_ascii("NEWPIN9") as new_pin:
        issuer.reset_pin(JpkiPin.SIGN, new_pin)
    public_key = issuer.generate_key_pair(JpkiKey.SIGN)
    assert public_key.key_size == 2048
    assert issuer.read_public_key(JpkiKey.SIGN).public_numbers() == public_key.public_numbers()
    private_on_card = card.state.jpki.sign_key
    assert private_on_card is not None  # born on the card, never returned

    jpki.verify(JpkiPin.SIGN, Secret.from_ascii("NEWPIN9"))
    csr = p10_from_card(public_key, functools.partial(jpki.compute_signature, JpkiKey.SIGN))
    assert csr.is_signature_valid
    assert csr.public_key().public_numbers() == public_key.public_numbers()

    cert = issue(test_pki, csr)
    der = cert.public_bytes(serialization.Encoding.DER)
    issuer.write_certificate(CertSlot.SIGN, der)
    assert jpki.read_certificate_der(CertSlot.SIGN) == der
    assert jpki.certificate_availability().sign


def test_csr_with_the_wrong_key_is_caught(open_card, test_pki: TestPki) -> None:
    card = open_card("adult")
    jpki = JpkiSession(card.transport)
    issuer = ChallengeResponseIssuer(jpki, DevAuthority(test_pki.admin_master_key))
    auth_public = issuer.read_public_key(JpkiKey.AUTH)
    jpki.verify(JpkiPin.SIGN, Secret.from_ascii("ABC123"))
    with pytest.raises(CsrMismatch):  # signed with the sign key, claims the auth key
        p10_from_card(auth_public, functools.partial(jpki.compute_signature, JpkiKey.SIGN))


def test_wrong_master_key_is_refused(open_card) -> None:
    card = open_card("adult")
    issuer = ChallengeResponseIssuer(JpkiSession(card.transport), DevAuthority(bytes(32)))
    with pytest.raises(SecurityStatusNotSatisfied):
        issuer.generate_key_pair(JpkiKey.AUTH)
    assert card.state.admin_failures == 1


class Replayer:
    """Answers with the first response it ever obtained: a recorded authorisation replayed."""

    def __init__(self, authority: DevAuthority) -> None:
        self.authority = authority
        self.recorded: bytes | None = None

    def authorize(self, card_id: bytes, challenge: bytes, operation: AdminOperation) -> bytes:
        if self.recorded is None:
            self.recorded = self.authority.authorize(card_id, challenge, operation)
        return self.recorded


def test_replayed_response_is_refused(open_card, test_pki: TestPki) -> None:
    card = open_card("adult")
    issuer = ChallengeResponseIssuer(
        JpkiSession(card.transport), Replayer(DevAuthority(test_pki.admin_master_key))
    )
    issuer.lock_pin(JpkiPin.AUTH)  # first use: genuine
    with pytest.raises(SecurityStatusNotSatisfied):
        issuer.lock_pin(JpkiPin.AUTH)  # same operation, new challenge, old response


class OtherCard:
    """Obtains a genuine response, but for another card's id."""

    def __init__(self, authority: DevAuthority, card_id: bytes) -> None:
        self.authority, self.card_id = authority, card_id

    def authorize(self, card_id: bytes, challenge: bytes, operation: AdminOperation) -> bytes:
        return self.authority.authorize(self.card_id, challenge, operation)


def test_response_for_another_card_is_refused(open_card, test_pki: TestPki) -> None:
    card = open_card("adult")
    other_id = open_card("minor").state.card_id
    issuer = ChallengeResponseIssuer(
        JpkiSession(card.transport), OtherCard(DevAuthority(test_pki.admin_master_key), other_id)
    )
    with pytest.raises(SecurityStatusNotSatisfied):
        issuer.erase_key(JpkiKey.SIGN)
    assert card.state.jpki.sign_key is not None


def test_lock_then_reset_pin(open_card, test_pki: TestPki) -> None:
    card = open_card("adult")
    jpki = JpkiSession(card.transport)
    issuer = ChallengeResponseIssuer(jpki, DevAuthority(test_pki.admin_master_key))
    issuer.lock_pin(JpkiPin.AUTH)
    with pytest.raises(PinBlocked):
        jpki.verify(JpkiPin.AUTH, Secret.from_ascii("1234"))
    issuer.reset_pin(JpkiPin.AUTH, Secret.from_ascii("8642"))
    jpki.verify(JpkiPin.AUTH, Secret.from_ascii("8642"))


def test_erase_key_removes_key_and_certificate(open_card, test_pki: TestPki) -> None:
    card = open_card("adult")
    jpki = JpkiSession(card.transport)
    ChallengeResponseIssuer(jpki, DevAuthority(test_pki.admin_master_key)).erase_key(JpkiKey.SIGN)
    assert not jpki.certificate_availability().sign
    assert card.state.jpki.sign_cert is None and card.state.jpki.sign_key is None


def test_admin_blocks_after_ten_wrong_responses(open_card) -> None:
    card = open_card("adult")
    issuer = ChallengeResponseIssuer(JpkiSession(card.transport), DevAuthority(bytes(32)))
    for _ in range(10):
        with pytest.raises(SecurityStatusNotSatisfied):
            issuer.lock_pin(JpkiPin.SIGN)
    with pytest.raises(AuthenticationBlocked):
        issuer.lock_pin(JpkiPin.SIGN)
