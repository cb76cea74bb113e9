"""Transport and read-path behaviour: 61xx/6Cxx, chaining, fallbacks, short answers, bad data."""

from __future__ import annotations

import pytest

from cardemu.authority import DevAuthority
from cardemu.card import SoftCard
from cardemu.inprocess import SoftCardConnection
from cardemu.residents import KENHOJO_PIN
from cardemu.state import CardState
from kiosk.domain.secret import Secret
from kiosk.reader.admin import ChallengeResponseIssuer
from kiosk.reader.apdu import CommandApdu
from kiosk.reader.errors import CardDataError, TransportError
from kiosk.reader.jpki import CertSlot, JpkiPin, JpkiSession
from kiosk.reader.kenhojo import KenhojoPin, KenhojoSession
from kiosk.reader.trace import ApduTrace
from kiosk.reader.transport import Transport


class Scripted:
    """A connection that answers from a fixed script — only for transport corner cases the
    software card cannot be made to produce."""

    atr = b""
    supports_extended_length = True

    def __init__(self, *answers: str) -> None:
        self.answers = [bytes.fromhex(a) for a in answers]
        self.sent: list[bytes] = []

    def transmit(self, apdu: bytes | bytearray) -> bytes:
        self.sent.append(bytes(apdu))
        return self.answers.pop(0)

    def close(self) -> None:
        pass


def test_a_card_answering_61xx_forever_is_cut_off() -> None:
    conn = Scripted(*["AABB6102"] * 300)
    with pytest.raises(TransportError, match="61xx"):
        Transport(conn).exchange(CommandApdu(0x00, 0xB0, 0, 0, ne=256))
    assert len(conn.sent) == 257


def test_malformed_response_is_a_transport_error() -> None:
    with pytest.raises(TransportError, match="too short"):
        Transport(Scripted("90")).exchange(CommandApdu(0x00, 0xA4, 0, 0))


def test_chain_stops_at_the_first_refused_block() -> None:
    conn = Scripted("9000", "6A80")
    conn.supports_extended_length = False
    resp = Transport(conn).exchange(CommandApdu(0x00, 0xD6, 0x8A, 0, bytes(700)))
    assert resp.sw == 0x6A80
    assert [s[0] for s in conn.sent] == [0x10, 0x10]  # the last block was never sent


def test_6cxx_is_resent_with_the_exact_le(open_card) -> None:
    card = open_card("adult")
    resp = card.transport.send(CommandApdu(0x00, 0xCA, 0x00, 0x45, ne=4))
    assert resp.data == card.state.card_id
    assert card.transport.trace.count == 2


class ClaimsExtended(SoftCardConnection):
    """A reader that says it carries extended APDUs but refuses them (pcscd would answer with a
    transmit error): the card never sees them."""

    @property
    def supports_extended_length(self) -> bool:
        return True


def test_reader_refusing_extended_apdus_falls_back_to_short(card_file, test_pki) -> None:
    path = card_file("adult")
    card = SoftCard(CardState.load(path), path)
    transport = Transport(ClaimsExtended(card, extended_length=False), ApduTrace(keep=True))
    jpki = JpkiSession(transport)
    assert transport.extended
    assert jpki.read_certificate_der(CertSlot.AUTH) == card.state.jpki.auth_cert
    assert not transport.extended
    # the admin grant survives the refused extended write: the card never saw it
    issuer = ChallengeResponseIssuer(jpki, DevAuthority(test_pki.admin_master_key))
    issuer.write_certificate(CertSlot.AUTH_CA, card.state.jpki.sign_ca_cert)
    assert jpki.read_certificate_der(CertSlot.AUTH_CA) == card.state.jpki.sign_ca_cert


class Truncating:
    """A reader that delivers only part of what an extended READ BINARY asked for."""

    def __init__(self, inner: SoftCardConnection, keep: int) -> None:
        self.inner, self.keep = inner, keep
        self.atr, self.supports_extended_length = inner.atr, True

    def transmit(self, apdu: bytes | bytearray) -> bytes:
        answer = self.inner.transmit(apdu)
        if apdu[1] == 0xB0 and len(answer) > self.keep + 2:
            return answer[: self.keep] + answer[-2:]
        return answer

    def close(self) -> None:
        self.inner.close()


def test_short_answer_to_an_extended_read_is_completed(open_card) -> None:
    card = open_card("adult")
    transport = Transport(Truncating(card.connection, keep=1000), ApduTrace(keep=True))
    assert JpkiSession(transport).read_certificate_der(CertSlot.AUTH) == card.state.jpki.auth_cert
    assert transport.trace.count == 1 + 2  # SELECT, the short extended read, one offset read


def test_empty_and_filler_only_files_read_as_empty(open_card) -> None:
    card = open_card("adult")
    card.state.jpki.auth_ca_cert = b"\xff" * 300
    jpki = JpkiSession(card.transport)
    assert jpki.read_certificate(CertSlot.AUTH_CA) is None


def test_garbage_certificate_is_a_card_data_error(open_card) -> None:
    card = open_card("adult")
    card.state.jpki.auth_ca_cert = bytes.fromhex("300A") + b"not a cert"
    with pytest.raises(CardDataError, match="certificate AUTH_CA"):
        JpkiSession(card.transport).read_certificate(CertSlot.AUTH_CA)


def test_trace_redacts_pins_and_personal_data(open_card, test_pki) -> None:
    card = open_card("adult")
    jpki = JpkiSession(card.transport)
    jpki.change_pin(JpkiPin.AUTH, Secret.from_ascii("1234"), Secret.from_ascii("5678"))
    ChallengeResponseIssuer(jpki, DevAuthority(test_pki.admin_master_key)).reset_pin(
        JpkiPin.SIGN, Secret.from_ascii("RESET99")
    )
    jpki.verify(JpkiPin.SIGN, Secret.from_ascii("RESET99"))
    jpki.read_certificate_der(CertSlot.SIGN)
    text = KenhojoSession(card.transport)
    text.verify(KenhojoPin.PIN, Secret.from_ascii(KENHOJO_PIN))
    text.my_number()
    text.basic_four_info()
    trace = "\n".join(card.transport.trace.lines)
    for name in ("CHANGE REFERENCE DATA AUTH", "RESET RETRY COUNTER SIGN", "VERIFY SIGN", "READ BINARY 0001"):
        assert name in trace
    assert trace.count("redacted>") == 5  # VERIFY ×3, CHANGE, RESET command data
    assert trace.count("bytes of personal data redacted") == 3  # sign certificate, My Number, 4 info
    holder = card.state.holder
    for leak in (b"1234", b"5678", b"RESET99", holder.my_number.encode(), holder.name.encode()[:6]):
        assert leak.hex(" ").upper() not in trace
    assert holder.my_number not in trace


def test_command_repr_never_shows_data() -> None:
    cmd = CommandApdu(0x00, 0x20, 0x00, 0x98, bytearray(b"1234"), secret=True)
    assert "1234" not in repr(cmd) and "31 32" not in repr(cmd)
