"""The kiosk's card layer through pyscard → pcscd → vpcd → software card."""

from __future__ import annotations

import datetime as dt
import functools
import math
import queue
import threading

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from cardemu.authority import DevAuthority
from cardemu.harness import READER, PcscHarness
from cardemu.residents import AUTH_PIN, SIGN_PIN
from cardemu.state import CardState
from cardemu.testpki import TestPki
from kiosk.domain.secret import Secret
from kiosk.reader import errors
from kiosk.reader.admin import ChallengeResponseIssuer
from kiosk.reader.apdu import CommandApdu
from kiosk.reader.csr import p10_from_card
from kiosk.reader.jpki import CertSlot, JpkiKey, JpkiPin, JpkiSession
from kiosk.reader.pcsc import PcscContext, ReaderEvent, ReaderEventKind, ReaderMonitor, open_card, pick_reader
from kiosk.reader.session import PinStatus
from kiosk.reader.summary import read_summary
from kiosk.reader.trace import ApduTrace
from kiosk.reader.transport import Transport

pytestmark = pytest.mark.pcsc


def test_two_readers_and_the_one_with_the_card_is_picked(inserted) -> None:
    inserted("adult")
    with PcscContext() as context:
        states = context.states()
    assert [s.name.startswith("Virtual PCD") for s in states] == [True, True]
    chosen = pick_reader(states)
    assert chosen.name.startswith(READER)
    assert chosen.atr == bytes.fromhex("3BE000FF8131FE4514")


def test_no_card_is_a_typed_error(pcsc_harness: PcscHarness) -> None:
    with pytest.raises(errors.NoCard):
        open_card()


@pytest.mark.parametrize("extended", [True, False], ids=["extended", "short-only"])
def test_full_card_read(inserted, extended: bool) -> None:
    state = CardState.load(inserted("adult"))
    trace = ApduTrace()
    with open_card(extended_length=extended) as connection:
        summary = read_summary(Transport(connection, trace))
    assert summary.token_label == "JPKIAPICCTOKEN2"
    auth = summary.certificates[CertSlot.AUTH]
    assert auth is not None
    assert auth.public_bytes(serialization.Encoding.DER) == state.jpki.auth_cert
    assert summary.sign_certificate_protected
    assert summary.pins == {JpkiPin.AUTH: PinStatus(3), JpkiPin.SIGN: PinStatus(5)}
    free = (state.jpki.auth_cert, state.jpki.auth_ca_cert, state.jpki.sign_ca_cert)
    certificate_reads = len(free) if extended else sum(math.ceil(len(der) / 256) for der in free)
    # SELECT AP, token label, availability, the three readable certificate files, two empty VERIFYs;
    # nothing spent on the signing certificate, which EF 0008 says exists and needs its PIN
    assert trace.count == 3 + certificate_reads + 2


def test_status_word_paths_over_pcsc(inserted) -> None:
    inserted("adult")
    with open_card(extended_length=False) as connection:
        transport = Transport(connection)
        with pytest.raises(errors.FileNotFound):
            transport.send(
                CommandApdu(0x00, 0xA4, 0x04, 0x0C, bytes.fromhex("A000000003000000"), name="SELECT PIV")
            )
        with pytest.raises(errors.NotSupported):
            transport.send(CommandApdu(0x00, 0xEE, 0x00, 0x00))
        jpki = JpkiSession(transport)
        # 6Cxx: GET DATA with a wrong Le is resent with the exact length
        assert len(transport.send(CommandApdu(0x00, 0xCA, 0x00, 0x45, ne=4)).data) == 16
        with pytest.raises(errors.SecurityStatusNotSatisfied):
            jpki.read_certificate_der(CertSlot.SIGN)
        with pytest.raises(errors.SecurityStatusNotSatisfied):
            jpki.sign_sha256(JpkiKey.AUTH, b"x")
        with pytest.raises(errors.WrongParameters):
            transport.send(CommandApdu(0x80, 0x2A, 0x09, 0x97, b"\x01", ne=256))
        with pytest.raises(errors.InvalidPin) as wrong:
            jpki.verify(JpkiPin.AUTH, Secret.from_ascii("0000"))
        assert wrong.value.tries_left == 2


def test_lock_out_over_pcsc(inserted) -> None:
    path = inserted("adult")
    with open_card() as connection:
        jpki = JpkiSession(Transport(connection))
        for left in (2, 1):
            with pytest.raises(errors.InvalidPin) as info:
                jpki.verify(JpkiPin.AUTH, Secret.from_ascii("0000"))
            assert info.value.tries_left == left
        with pytest.raises(errors.PinBlocked):
            jpki.verify(JpkiPin.AUTH, Secret.from_ascii("0000"))
        with pytest.raises(errors.PinBlocked):
            jpki.verify(JpkiPin.AUTH, Secret.from_ascii(AUTH_PIN))
    assert CardState.load(path).jpki.auth_pin.tries_left == 0  # persisted by the card


@pytest.mark.parametrize("extended", [True, False], ids=["extended", "short-only"])
def test_on_card_issuance_over_pcsc(inserted, test_pki: TestPki, extended: bool) -> None:
    path = inserted("minor")  # no signing key yet
    with open_card(extended_length=extended) as connection:
        jpki = JpkiSession(Transport(connection))
        issuer = ChallengeResponseIssuer(jpki, DevAuthority(test_pki.admin_master_key))
        issuer.reset_pin(JpkiPin.SIGN, Secret.from_ascii("KIOSK2026"))
        public_key = issuer.generate_key_pair(JpkiKey.SIGN)
        jpki.verify(JpkiPin.SIGN, Secret.from_ascii("KIOSK2026"))
        csr = p10_from_card(public_key, functools.partial(jpki.compute_signature, JpkiKey.SIGN))
        now = dt.datetime.now(dt.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(csr.subject)
            .issuer_name(test_pki.sign_ca_cert.subject)
            .public_key(csr.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now)
            .not_valid_after(now + dt.timedelta(days=30))
            .sign(test_pki.sign_ca_key, hashes.SHA256())
        )
        der = cert.public_bytes(serialization.Encoding.DER)
        issuer.write_certificate(CertSlot.SIGN, der)
        assert jpki.read_certificate_der(CertSlot.SIGN) == der
    stored = CardState.load(path)
    assert stored.jpki.sign_cert == der
    assert stored.jpki.sign_pin.value == "KIOSK2026"


def test_admin_refuses_wrong_card_and_replay_over_pcsc(inserted, test_pki: TestPki, card_file) -> None:
    other_id = CardState.load(card_file("minor")).card_id
    inserted("adult")
    authority = DevAuthority(test_pki.admin_master_key)
    recorded: list[bytes] = []

    class Recorder:
        def authorize(self, card_id, challenge, operation):
            response = authority.authorize(card_id, challenge, operation)
            recorded.append(response)
            return response

    class WrongCard:
        def authorize(self, card_id, challenge, operation):
            return authority.authorize(other_id, challenge, operation)

    class Replay:
        def authorize(self, card_id, challenge, operation):
            return recorded[0]

    with open_card() as connection:
        jpki = JpkiSession(Transport(connection))
        with pytest.raises(errors.SecurityStatusNotSatisfied):
            ChallengeResponseIssuer(jpki, WrongCard()).lock_pin(JpkiPin.SIGN)
        ChallengeResponseIssuer(jpki, Recorder()).reset_pin(JpkiPin.SIGN, Secret.from_ascii(SIGN_PIN))
        with pytest.raises(errors.SecurityStatusNotSatisfied):
            ChallengeResponseIssuer(jpki, Replay()).reset_pin(JpkiPin.SIGN, Secret.from_ascii(SIGN_PIN))
        assert jpki.pin_status(JpkiPin.SIGN) == PinStatus(5)


class RemoveAfter:
    """Wraps a real PC/SC connection and pulls the card (through the harness) after n APDUs."""

    def __init__(self, connection, harness: PcscHarness, after: int) -> None:
        self.inner, self.harness, self.left = connection, harness, after

    atr = property(lambda self: self.inner.atr)
    supports_extended_length = property(lambda self: self.inner.supports_extended_length)

    def transmit(self, apdu):
        if self.left == 0:
            self.harness.remove()
        self.left -= 1
        return self.inner.transmit(apdu)

    def close(self) -> None:
        self.inner.close()


@pytest.mark.parametrize("after", [0, 3, 6])
def test_card_pulled_mid_operation_is_one_typed_error(
    inserted, pcsc_harness: PcscHarness, after: int
) -> None:
    inserted("adult")
    connection = open_card(extended_length=False)
    failure: queue.Queue[BaseException | None] = queue.Queue()

    def work() -> None:
        try:
            read_summary(Transport(RemoveAfter(connection, pcsc_harness, after)))
            failure.put(None)
        except BaseException as exc:
            failure.put(exc)

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    outcome = failure.get(timeout=20)  # never a hang
    connection.close()
    assert isinstance(outcome, errors.CardRemoved), repr(outcome)


def test_hot_plug_events(pcsc_harness: PcscHarness, card_file) -> None:
    events: queue.Queue[ReaderEvent] = queue.Queue()
    monitor = ReaderMonitor(events.put, poll_ms=200)
    monitor.start()
    try:
        initial = [events.get(timeout=5) for _ in range(2)]
        assert {e.kind for e in initial} == {ReaderEventKind.READER_ADDED}

        def next_card_event() -> ReaderEvent:
            while True:
                event = events.get(timeout=10)
                if event.kind in (ReaderEventKind.CARD_INSERTED, ReaderEventKind.CARD_REMOVED):
                    return event

        pcsc_harness.insert(card_file("adult"))
        inserted = next_card_event()
        assert inserted.kind is ReaderEventKind.CARD_INSERTED
        assert inserted.reader.startswith(READER)
        assert inserted.atr == bytes.fromhex("3BE000FF8131FE4514")
        pcsc_harness.remove()
        assert next_card_event().kind is ReaderEventKind.CARD_REMOVED
        pcsc_harness.insert(card_file("minor"))
        assert next_card_event().kind is ReaderEventKind.CARD_INSERTED
        pcsc_harness.remove()
        assert next_card_event().kind is ReaderEventKind.CARD_REMOVED
    finally:
        monitor.stop()
