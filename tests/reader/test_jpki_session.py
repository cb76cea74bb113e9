import math

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from cardemu.residents import AUTH_PIN, SIGN_PIN
from kiosk.domain.secret import Secret
from kiosk.reader.errors import InvalidPin, PinBlocked, SecurityStatusNotSatisfied
from kiosk.reader.jpki import CertificateAvailability, CertSlot, JpkiKey, JpkiPin, JpkiSession
from kiosk.reader.session import PinStatus, ReadStrategy

EXPECTED_DER = {
    CertSlot.AUTH: "auth_cert",
    CertSlot.AUTH_CA: "auth_ca_cert",
    CertSlot.SIGN: "sign_cert",
    CertSlot.SIGN_CA: "sign_ca_cert",
}


def pin(text: str) -> Secret:
    return Secret.from_ascii(text)


def test_token_and_availability(open_card) -> None:
    jpki = JpkiSession(open_card("adult").transport)
    assert jpki.token_label() == "JPKIAPICCTOKEN2"
    assert jpki.certificate_availability() == CertificateAvailability(sign=True, auth=True)
    minor = JpkiSession(open_card("minor").transport)
    assert minor.certificate_availability() == CertificateAvailability(sign=False, auth=True)


@pytest.mark.parametrize("extended", [True, False], ids=["extended", "short-only"])
def test_certificates_read_byte_for_byte_in_few_apdus(open_card, extended: bool) -> None:
    card = open_card("adult", extended=extended)
    jpki = JpkiSession(card.transport)
    jpki.verify(JpkiPin.SIGN, pin(SIGN_PIN))
    for slot, attr in EXPECTED_DER.items():
        expected = getattr(card.state.jpki, attr)
        before = card.transport.trace.count
        assert jpki.read_certificate_der(slot) == expected
        used = card.transport.trace.count - before
        # extended: one READ BINARY by SFI; short: ⌈size/256⌉ reads, no SELECT, no size probe
        assert used == (1 if extended else math.ceil(len(expected) / 256))
    assert 1400 < len(card.state.jpki.sign_cert) < 2100  # realistic size, needs chunking when short


def test_explicit_strategies_give_identical_bytes(open_card) -> None:
    card = open_card("adult")
    chunked = JpkiSession(card.transport, strategy=ReadStrategy.CHUNKED).read_certificate_der(CertSlot.AUTH)
    extended = JpkiSession(card.transport, strategy=ReadStrategy.EXTENDED).read_certificate_der(CertSlot.AUTH)
    assert chunked == extended == card.state.jpki.auth_cert


def test_sign_certificate_needs_the_sign_pin(open_card) -> None:
    jpki = JpkiSession(open_card("adult").transport)
    with pytest.raises(SecurityStatusNotSatisfied) as info:
        jpki.read_certificate(CertSlot.SIGN)
    assert info.value.sw == 0x6982
    jpki.verify(JpkiPin.SIGN, pin(SIGN_PIN))
    assert jpki.read_certificate(CertSlot.SIGN) is not None


def test_pin_status_spends_no_try(open_card) -> None:
    card = open_card("adult")
    jpki = JpkiSession(card.transport)
    for _ in range(5):
        assert jpki.pin_status(JpkiPin.AUTH) == PinStatus(3)
        assert jpki.pin_status(JpkiPin.SIGN) == PinStatus(5)
    assert card.state.jpki.auth_pin.tries_left == 3


@pytest.mark.parametrize(
    ("which", "right", "tries"), [(JpkiPin.AUTH, AUTH_PIN, 3), (JpkiPin.SIGN, SIGN_PIN, 5)]
)
def test_counting_and_lock_out(open_card, which: JpkiPin, right: str, tries: int) -> None:
    card = open_card("adult")
    jpki = JpkiSession(card.transport)
    wrong = "9999" if which is JpkiPin.AUTH else "WRONG1"
    jpki.verify(which, pin(right))  # right PIN first: counter stays at max
    for left in range(tries - 1, 0, -1):
        with pytest.raises(InvalidPin) as info:
            jpki.verify(which, pin(wrong))
        assert info.value.tries_left == left
        assert jpki.pin_status(which) == PinStatus(left)
    with pytest.raises(PinBlocked) as blocked:  # the attempt that exhausts the counter: 63C0
        jpki.verify(which, pin(wrong))
    assert blocked.value.sw == 0x63C0
    with pytest.raises(PinBlocked) as again:  # every later attempt, even the right PIN: 6984
        jpki.verify(which, pin(right))
    assert again.value.sw == 0x6984
    assert jpki.pin_status(which).blocked


def test_right_pin_restores_the_counter(open_card) -> None:
    jpki = JpkiSession(open_card("adult").transport)
    with pytest.raises(InvalidPin):
        jpki.verify(JpkiPin.AUTH, pin("0000"))
    assert jpki.pin_status(JpkiPin.AUTH) == PinStatus(2)
    jpki.verify(JpkiPin.AUTH, pin(AUTH_PIN))
    assert jpki.pin_status(JpkiPin.AUTH) == PinStatus(3)


def test_blocked_sign_pin_resident(open_card) -> None:
    jpki = JpkiSession(open_card("sign_blocked").transport)
    assert jpki.pin_status(JpkiPin.SIGN).blocked
    assert jpki.pin_status(JpkiPin.AUTH) == PinStatus(3)


def test_face_auth_card_has_its_auth_pin_locked(open_card) -> None:
    jpki = JpkiSession(open_card("face_auth").transport)
    assert jpki.pin_status(JpkiPin.AUTH).blocked
    assert not jpki.certificate_availability().sign


def test_change_pin(open_card) -> None:
    card = open_card("adult")
    jpki = JpkiSession(card.transport)
    jpki.change_pin(JpkiPin.AUTH, pin(AUTH_PIN), pin("4321"))
    jpki.select()  # fresh security status
    with pytest.raises(InvalidPin):
        jpki.verify(JpkiPin.AUTH, pin(AUTH_PIN))
    jpki.verify(JpkiPin.AUTH, pin("4321"))


def test_change_pin_with_wrong_old_pin_changes_nothing(open_card) -> None:
    card = open_card("adult")
    jpki = JpkiSession(card.transport)
    with pytest.raises(InvalidPin):
        jpki.change_pin(JpkiPin.SIGN, pin("WRONG1"), pin("NEWPIN1"))
    jpki.verify(JpkiPin.SIGN, pin(SIGN_PIN))


@pytest.mark.parametrize("key", list(JpkiKey))
@pytest.mark.parametrize("extended", [True, False], ids=["extended", "short-only"])
def test_signature_verifies_against_the_certificate(open_card, key: JpkiKey, extended: bool) -> None:
    card = open_card("adult", extended=extended)
    jpki = JpkiSession(card.transport)
    jpki.verify(key.pin, pin(AUTH_PIN if key is JpkiKey.AUTH else SIGN_PIN))
    cert = jpki.read_certificate(key.certificate)
    message = "公的個人認証 test message".encode()
    signature = jpki.sign_sha256(key, message)
    cert.public_key().verify(signature, message, padding.PKCS1v15(), hashes.SHA256())


@pytest.mark.parametrize("key", list(JpkiKey))
def test_signing_without_the_pin_is_refused(open_card, key: JpkiKey) -> None:
    jpki = JpkiSession(open_card("adult").transport)
    with pytest.raises(SecurityStatusNotSatisfied):
        jpki.sign_sha256(key, b"data")


def test_pin_is_redacted_in_the_trace(open_card) -> None:
    card = open_card("adult")
    jpki = JpkiSession(card.transport)
    secret = pin("ABC123")
    jpki.verify(JpkiPin.SIGN, secret)
    text = "\n".join(card.transport.trace.lines)
    assert "VERIFY SIGN" in text
    assert "<6 bytes redacted>" in text
    assert "41 42 43 31 32 33" not in text
    assert "ABC123" not in text


def test_empty_pin_is_not_sent(open_card) -> None:
    jpki = JpkiSession(open_card("adult").transport)
    with pytest.raises(ValueError, match="empty PIN"):
        jpki.verify(JpkiPin.AUTH, Secret(bytearray()))
