"""Staff cards (cardemu.staff): the test staff CA, the card file, and how the card answers."""

from __future__ import annotations

import stat
from datetime import date, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from cardemu.card import SoftCard
from cardemu.cli import main as cardemu_main
from cardemu.inprocess import SoftCardConnection
from cardemu.staff import STAFF_CA_CERT, STAFF_CA_KEY, StaffCa, StaffCardSpec, personalise_staff_card
from cardemu.state import CardState
from kiosk.domain.secret import Secret
from kiosk.reader.errors import FileNotFound, PinBlocked
from kiosk.reader.jpki import CertSlot, JpkiKey, JpkiPin, JpkiSession
from kiosk.reader.kenhojo import KenhojoSession
from kiosk.reader.transport import Transport


@pytest.fixture(scope="module")
def staff_ca(tmp_path_factory: pytest.TempPathFactory) -> StaffCa:
    return StaffCa.create(tmp_path_factory.mktemp("staff") / "ca", "13112")


def _jpki(state: CardState) -> JpkiSession:
    return JpkiSession(Transport(SoftCardConnection(SoftCard(state))))


def test_staff_ca_files_and_reload(staff_ca: StaffCa) -> None:
    assert stat.S_IMODE((staff_ca.directory / STAFF_CA_KEY).stat().st_mode) == 0o600
    assert stat.S_IMODE(staff_ca.directory.stat().st_mode) == 0o700
    assert staff_ca.cert_path == staff_ca.directory / STAFF_CA_CERT
    assert StaffCa.load_or_create(staff_ca.directory).cert == staff_ca.cert  # no second CA
    with pytest.raises(FileExistsError):
        StaffCa.create(staff_ca.directory)
    assert "13112" in staff_ca.cert.subject.rfc4514_string()
    assert staff_ca.cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert "PRIVATE" not in repr(staff_ca)


def test_a_staff_card_is_a_jpki_card_with_a_staff_certificate(staff_ca: StaffCa) -> None:
    state = personalise_staff_card(StaffCardSpec("op-001", pin="4826"), staff_ca)
    jpki = _jpki(state)
    assert jpki.token_label() == "JPKIAPICCTOKEN2"
    cert = jpki.read_certificate(CertSlot.AUTH)
    assert cert is not None
    cert.verify_directly_issued_by(staff_ca.cert)
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "op-001"
    assert jpki.read_certificate(CertSlot.AUTH_CA) == staff_ca.cert
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.CLIENT_AUTH in eku
    availability = jpki.certificate_availability()
    assert availability.auth and not availability.sign
    assert jpki.pin_status(JpkiPin.AUTH).tries_left == 3

    # The card's key is the certificate's: what the kiosk's possession check relies on.
    jpki.verify(JpkiPin.AUTH, Secret.from_ascii("4826"))
    signature = jpki.sign_sha256(JpkiKey.AUTH, b"challenge")
    public = cert.public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    public.verify(signature, b"challenge", padding.PKCS1v15(), hashes.SHA256())


def test_no_signing_function_and_no_resident_data(staff_ca: StaffCa) -> None:
    state = personalise_staff_card(StaffCardSpec("op-001"), staff_ca)
    assert state.jpki.sign_key is None and state.jpki.sign_cert is None
    assert state.jpki.sign_pin.blocked
    assert state.holder.my_number == "" and state.holder.address == ""
    jpki = _jpki(state)
    assert jpki.pin_status(JpkiPin.SIGN).blocked
    with pytest.raises(PinBlocked):
        jpki.verify(JpkiPin.SIGN, Secret.from_ascii("ABC123"))
    kenhojo = KenhojoSession(Transport(SoftCardConnection(SoftCard(state))))
    with pytest.raises(FileNotFound):
        kenhojo.read_record(0x0001)


def test_validity_runs_in_jst_days(staff_ca: StaffCa) -> None:
    issued = date(2026, 4, 1)
    state = personalise_staff_card(
        StaffCardSpec("op-002", issue_date=issued, expiry=date(2029, 3, 31)), staff_ca
    )
    cert = x509.load_der_x509_certificate(state.jpki.auth_cert or b"")
    assert cert.not_valid_before_utc.isoformat() == "2026-03-31T15:00:00+00:00"  # 4/1 00:00 JST
    assert cert.not_valid_after_utc.isoformat() == "2029-03-31T14:59:59+00:00"  # 3/31 23:59:59 JST
    default = StaffCardSpec("op-002", issue_date=issued)
    assert default.last_day == issued + timedelta(days=3 * 365)


def test_a_locked_staff_card(staff_ca: StaffCa) -> None:
    state = personalise_staff_card(StaffCardSpec("op-003", pin_tries_left=0), staff_ca)
    assert _jpki(state).pin_status(JpkiPin.AUTH).blocked


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"operator_id": "山田太郎"}, "operator_id"),
        ({"operator_id": "-op"}, "operator_id"),
        ({"operator_id": "x" * 65}, "operator_id"),
        ({"pin": "12345"}, "pin: 4 digits"),
        ({"pin": "12a4"}, "pin: 4 digits"),
        ({"expiry": date(2020, 1, 1), "issue_date": date(2020, 1, 1)}, "expiry"),
        ({"pin_tries_left": 4}, "pin_tries_left"),
        ({"municipality": "1311"}, "municipality"),
    ],
)
def test_spec_refuses_bad_values_without_echoing_the_pin(kwargs: dict[str, object], problem: str) -> None:
    values: dict[str, object] = {"operator_id": "op-001", **kwargs}
    with pytest.raises(ValueError, match=problem) as info:
        StaffCardSpec(**values)  # type: ignore[arg-type]
    assert "12345" not in str(info.value) and "12a4" not in str(info.value)
    assert "1234" not in repr(StaffCardSpec("op-001"))


def test_cli_writes_a_staff_card_and_the_ca(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cards" / "op-007.json"
    code = cardemu_main(
        ["staff-card", "--staff-ca", str(tmp_path / "ca"), "--out", str(out), "--operator-id", "op-007",
         "--pin", "5937", "--expiry", "2030-03-31", "--name", "窓口 七"]
    )  # fmt: skip
    assert code == 0
    printed = capsys.readouterr().out
    assert str(tmp_path / "ca" / STAFF_CA_CERT) in printed and "5937" not in printed
    state = CardState.load(out)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert state.holder.name == "窓口\u3000七" and state.expiry == "20300331"
    jpki = _jpki(state)
    jpki.verify(JpkiPin.AUTH, Secret.from_ascii("5937"))
    cert = jpki.read_certificate(CertSlot.AUTH)
    assert cert is not None
    cert.verify_directly_issued_by(StaffCa.load(tmp_path / "ca").cert)
    assert cardemu_main(["staff-card", "--staff-ca", str(tmp_path / "ca"), "--out", str(out),
                         "--operator-id", "op 7"]) == 1  # fmt: skip
