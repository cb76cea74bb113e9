from datetime import date
from pathlib import Path

import pytest

from cardemu.residents import JUKI_PIN, KENHOJO_PIN
from cardemu.testpki import KENHOJO_ISSUER_KEY_ID, KENKAKU_ISSUER_KEY_ID, TestPki, new_rsa_key, private_pem
from kiosk.domain.resident import Sex
from kiosk.domain.secret import Secret
from kiosk.reader import tlv
from kiosk.reader.authenticity import (
    IssuerTrust,
    NotAuthentic,
    check_card_authenticity,
    read_verified_card_face,
    read_verified_kenhojo,
    verify_card_face,
    verify_kenhojo_records,
)
from kiosk.reader.errors import InvalidPin, SecurityStatusNotSatisfied
from kiosk.reader.juki import JukiPin, JukiSession
from kiosk.reader.kenhojo import KenhojoPin, KenhojoSession
from kiosk.reader.kenkaku import KenkakuPin, KenkakuSession
from kiosk.reader.session import PinStatus


def trust_for(pki: TestPki, tmp_path: Path) -> IssuerTrust:
    return IssuerTrust.from_directory(pki.write_issuer_trust(tmp_path / "trust"))


@pytest.mark.parametrize("extended", [True, False], ids=["extended", "short-only"])
def test_kenhojo_with_pin(open_card, extended: bool) -> None:
    card = open_card("adult", extended=extended)
    session = KenhojoSession(card.transport)
    session.verify(KenhojoPin.PIN, Secret.from_ascii(KENHOJO_PIN))
    holder = card.state.holder
    assert session.my_number() == holder.my_number
    info = session.basic_four_info()
    assert info.name == holder.name
    assert info.address == holder.address
    assert info.birth_date == date(
        int(holder.birth_date[:4]), int(holder.birth_date[4:6]), int(holder.birth_date[6:])
    )
    assert info.sex is Sex(holder.sex)
    assert holder.name not in repr(info)


def test_kenhojo_codes_open_only_their_files(open_card) -> None:
    card = open_card("adult")
    session = KenhojoSession(card.transport)
    session.verify(KenhojoPin.CODE_A, Secret.from_ascii(card.state.holder.my_number))
    assert session.my_number() == card.state.holder.my_number
    with pytest.raises(SecurityStatusNotSatisfied):
        session.basic_four_info()  # 照合番号A opens 0001, not 0002


def test_kenhojo_records_verify_and_detect_tampering(open_card, test_pki: TestPki, tmp_path: Path) -> None:
    card = open_card("adult")
    report = check_card_authenticity(card.transport, trust_for(test_pki, tmp_path))
    session = KenhojoSession(card.transport)
    session.verify(KenhojoPin.PIN, Secret.from_ascii(KENHOJO_PIN))
    number, attributes, integrity = (
        session.my_number_file(),
        session.attributes_file(),
        session.integrity_record(),
    )
    verify_kenhojo_records(number, attributes, integrity, report.kenhojo.ap_key)
    forged = attributes.replace("佐藤".encode(), "加藤".encode())
    assert forged != attributes
    with pytest.raises(NotAuthentic, match="basic 4 information"):
        verify_kenhojo_records(number, forged, integrity, report.kenhojo.ap_key)
    with pytest.raises(NotAuthentic, match="signature"):
        verify_kenhojo_records(number, attributes, integrity, report.kenkaku.ap_key)


@pytest.mark.parametrize("code", [KenkakuPin.CODE_A, KenkakuPin.CODE_B])
def test_card_face_and_photo(open_card, test_pki: TestPki, tmp_path: Path, code: KenkakuPin) -> None:
    card = open_card("adult")
    report = check_card_authenticity(card.transport, trust_for(test_pki, tmp_path))
    session = KenkakuSession(card.transport)
    with pytest.raises(SecurityStatusNotSatisfied):
        session.card_face()
    value = (
        card.state.holder.my_number if code is KenkakuPin.CODE_A else card.state.kenkaku.pins[0x0012].value
    )
    session.verify(code, Secret.from_ascii(value))
    face = session.card_face()
    assert face.birth_date.strftime("%Y%m%d") == card.state.holder.birth_date
    assert face.expiry.strftime("%Y%m%d") == card.state.expiry
    verify_card_face(face, report.kenkaku.ap_key)
    photo = face.photo()
    assert photo.mode == "L"
    assert 60 < photo.width < 200 and 60 < photo.height < 250
    assert repr(face) == "CardFace(<personal data>)"


def test_card_face_signature_covers_the_photo(open_card, test_pki: TestPki, tmp_path: Path) -> None:
    card = open_card("adult")
    report = check_card_authenticity(card.transport, trust_for(test_pki, tmp_path))
    ef = card.state.kenkaku.files[0x0002]
    photo = tlv.children(tlv.expect(ef, 0xFF20).value)[0xDF27]
    at = ef.index(photo.value) + len(photo.value) // 2
    card.state.kenkaku.files[0x0002] = ef[:at] + bytes([ef[at] ^ 0x01]) + ef[at + 1 :]  # one bit of the photo
    session = KenkakuSession(card.transport)
    session.verify(KenkakuPin.CODE_A, Secret.from_ascii(card.state.holder.my_number))
    with pytest.raises(NotAuthentic, match="card face signature"):
        read_verified_card_face(session, report.kenkaku.ap_key)


def test_verified_reads(open_card, test_pki: TestPki, tmp_path: Path) -> None:
    card = open_card("adult")
    report = check_card_authenticity(card.transport, trust_for(test_pki, tmp_path))
    text = KenhojoSession(card.transport)
    text.verify(KenhojoPin.PIN, Secret.from_ascii(KENHOJO_PIN))
    before = card.transport.trace.count
    verified = read_verified_kenhojo(text, report.kenhojo.ap_key)
    assert card.transport.trace.count - before == 3  # each file read once
    assert verified.my_number == card.state.holder.my_number
    assert verified.info.name == card.state.holder.name
    assert card.state.holder.my_number not in repr(verified)
    surface = KenkakuSession(card.transport)
    surface.verify(KenkakuPin.CODE_A, Secret.from_ascii(card.state.holder.my_number))
    assert read_verified_card_face(surface, report.kenkaku.ap_key).photo().mode == "L"


def test_cv_certificate_moved_to_the_other_application_is_refused(
    open_card, test_pki: TestPki, tmp_path
) -> None:
    """Trust is bound per application: the kenhojo issuer id does not vouch for kenkaku."""
    card = open_card("adult")
    card.state.kenkaku.files[0x0004] = card.state.kenhojo.files[0x0004]
    card.state.kenkaku.ap_key = card.state.kenhojo.ap_key
    with pytest.raises(NotAuthentic, match="unknown issuer"):
        check_card_authenticity(card.transport, trust_for(test_pki, tmp_path))


def test_authenticity_refuses_an_unknown_issuer(open_card) -> None:
    stranger = new_rsa_key().public_key()
    with pytest.raises(NotAuthentic, match="CV certificate signature invalid"):
        check_card_authenticity(
            open_card("adult").transport,
            IssuerTrust({KENHOJO_ISSUER_KEY_ID: stranger}, {KENKAKU_ISSUER_KEY_ID: stranger}),
        )
    production = {b"5000033".ljust(16): stranger}
    with pytest.raises(NotAuthentic, match="unknown issuer"):
        check_card_authenticity(open_card("adult").transport, IssuerTrust(production, production))


def test_authenticity_refuses_a_cloned_cv_certificate(open_card, test_pki: TestPki, tmp_path: Path) -> None:
    """A card carrying a genuine CV certificate but not the certified private key (a clone)."""
    card = open_card("adult")
    card.state.kenhojo.ap_key = private_pem(new_rsa_key())  # same CV certificate, other private key
    with pytest.raises(NotAuthentic, match="challenge signature invalid"):
        check_card_authenticity(card.transport, trust_for(test_pki, tmp_path))


def test_juki_pin(open_card) -> None:
    session = JukiSession(open_card("adult").transport)
    assert session.pin_status(JukiPin.PIN) == PinStatus(3)
    with pytest.raises(InvalidPin):
        session.verify(JukiPin.PIN, Secret.from_ascii("0000"))
    assert session.pin_status(JukiPin.PIN) == PinStatus(2)
    session.verify(JukiPin.PIN, Secret.from_ascii(JUKI_PIN))
    assert session.pin_status(JukiPin.PIN) == PinStatus(3)  # the OpenSC quirk: 63C3 after success
