"""Personalised cards, parsed back independently: asn1crypto for the TLVs and X.509 structure,
cryptography for every signature, Pillow for the images."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import stat
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from asn1crypto import core, parser
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtensionOID, NameOID
from PIL import Image

from cardadmin import derive_card_key
from cardemu import records
from cardemu.era import era_yymmdd, pin_b, san_birth_date
from cardemu.jpki_certs import nth_birthday_after, validity
from cardemu.personalise import CardSpec, personalise
from cardemu.residents import ADULT, EXPIRED, FACE_AUTH, MINOR, SIGN_BLOCKED, resident_specs
from cardemu.state import CardState, Holder
from cardemu.testpki import TestPki
from kiosk.domain.mynumber import check_digit, is_valid

JST = dt.timezone(dt.timedelta(hours=9))
SAN_OIDS = {f"1.2.392.200149.8.5.5.{i}" for i in range(1, 7)}
ALL = (ADULT, MINOR, FACE_AUTH, SIGN_BLOCKED, EXPIRED)


# -- independent parsing helpers -----------------------------------------------------------------


def objects(data: bytes, base: int = 0) -> list[tuple[bytes, bytes, bytes, int]]:
    """(tag bytes, value, encoding, offset) of concatenated TLVs, via asn1crypto (tags ≥ 31 only)."""
    found, pos = [], 0
    while pos < len(data):
        _c, _m, _t, header, value, _tr = parser.parse(data[pos:])
        tag_len = 2 if header[0] & 0x1F == 0x1F else 1  # every tag on this card has ≤ 2 bytes
        encoding = header + value
        found.append((header[:tag_len], value, encoding, base + pos))
        pos += len(encoding)
    return found


def record(data: bytes, tag: bytes) -> tuple[bytes, list[tuple[bytes, bytes, bytes, int]]]:
    """Outer `tag { … }` parsed by asn1crypto, children with offsets from the file start."""
    _c, _m, _t, header, value, _tr = parser.parse(data)
    assert header[: len(tag)] == tag
    return value, objects(value, len(header))


def by_tag(children: list[tuple[bytes, bytes, bytes, int]]) -> dict[bytes, tuple[bytes, bytes, int]]:
    return {t: (v, e, o) for t, v, e, o in children}


def public_key(do: bytes) -> rsa.RSAPublicKey:
    fields = by_tag(objects(do))
    e = int.from_bytes(fields[b"\x90"][0], "big")
    n = int.from_bytes(fields[b"\x91"][0], "big")
    assert len(fields[b"\x91"][0]) == 256
    return rsa.RSAPublicNumbers(e, n).public_key()


def verify(key: rsa.RSAPublicKey, signature: bytes, message: bytes) -> None:
    key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())


def private(pem: str | None) -> rsa.RSAPrivateKey:
    assert pem is not None
    key = serialization.load_pem_private_key(pem.encode(), None)
    assert isinstance(key, rsa.RSAPrivateKey)
    assert key.key_size == 2048
    return key


def same_key(a: rsa.RSAPublicKey, b: rsa.RSAPublicKey) -> bool:
    return a.public_numbers() == b.public_numbers()


def cv_certificate(data: bytes, issuer: rsa.RSAPublicKey) -> tuple[bytes, bytes, rsa.RSAPublicKey]:
    assert data[:5] == bytes.fromhex("7F21820233")  # 568 bytes, as MYNA-GO reads it
    _value, children = record(data, b"\x7f\x21")
    fields = by_tag(children)
    body, signature = fields[b"\x5f\x4e"][0], fields[b"\x5f\x37"][0]
    assert len(body) == 297 and len(signature) == 256
    verify(issuer, signature, body)
    return body[:16], body[16:32], public_key(body[32:])


@pytest.fixture(scope="module")
def cards(resident_cards: dict[str, Path]) -> dict[str, CardState]:
    return {name: CardState.load(path) for name, path in resident_cards.items()}


@pytest.fixture(scope="module")
def specs() -> dict[str, CardSpec]:
    return resident_specs()


# -- test PKI --------------------------------------------------------------------------------------


def test_pki_files_permissions_and_reload(test_pki: TestPki) -> None:
    directory = test_pki.directory
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    for name in ("card-issuer.key", "auth-ca.key", "sign-ca.key", "admin-master.key"):
        assert stat.S_IMODE((directory / name).stat().st_mode) == 0o600, name
    assert (directory / "auth-ca.pem").read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")

    again = TestPki.load(directory)
    assert again.admin_master_key == test_pki.admin_master_key and len(again.admin_master_key) == 32
    assert same_key(again.card_issuer_key.public_key(), test_pki.card_issuer_key.public_key())
    assert again.sign_ca_cert == test_pki.sign_ca_cert
    assert TestPki.load_or_create(directory).auth_ca_cert == test_pki.auth_ca_cert
    with pytest.raises(FileExistsError):
        TestPki.create(directory)
    assert "PRIVATE" not in repr(test_pki) and test_pki.admin_master_key.hex() not in repr(test_pki)


@pytest.mark.parametrize("which", ["auth", "sign"])
def test_ca_certificates_are_self_signed_jp_style(test_pki: TestPki, which: str) -> None:
    cert = test_pki.auth_ca_cert if which == "auth" else test_pki.sign_ca_cert
    cert.verify_directly_issued_by(cert)
    assert cert.public_key().key_size == 2048
    ous = [a.value for a in cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)]
    expected = "JPKI for user authentication" if which == "auth" else "JPKI for digital signature"
    assert ous == [expected, "Japan Agency for Local Authority Information Systems"]
    assert cert.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == "JP"
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


# -- card level --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_card_identity_and_admin_key(cards: dict[str, CardState], test_pki: TestPki, name: str) -> None:
    card = cards[name]
    assert card.test_card
    assert len(card.card_id) == 16
    assert card.admin_key == derive_card_key(test_pki.admin_master_key, card.card_id)
    number = card.holder.my_number
    assert is_valid(number) and int(number[-1]) == check_digit(number[:11])
    assert card.atr == bytes.fromhex("3BE000FF8131FE4514")
    assert len(card.municipality) == 5 and card.municipality.isdigit()


def test_card_ids_differ(cards: dict[str, CardState]) -> None:
    assert len({c.card_id for c in cards.values()}) == len(cards)


def test_saved_file_round_trips(resident_cards: dict[str, Path], cards: dict[str, CardState]) -> None:
    assert stat.S_IMODE(resident_cards[ADULT].stat().st_mode) == 0o600
    reloaded = CardState.load(resident_cards[ADULT])
    assert reloaded.kenkaku.files == cards[ADULT].kenkaku.files
    assert reloaded.jpki.sign_cert == cards[ADULT].jpki.sign_cert


# -- JPKI AP ---------------------------------------------------------------------------------------------


def _cert(der: bytes | None) -> x509.Certificate:
    assert der is not None
    return x509.load_der_x509_certificate(der)


def _expected_not_after(spec: CardSpec) -> dt.datetime:
    last = min(nth_birthday_after(spec.birth, spec.issue_date, 5), spec.expiry)
    return dt.datetime.combine(last, dt.time(23, 59, 59), JST).astimezone(dt.UTC)


@pytest.mark.parametrize("name", ALL)
def test_auth_certificate(
    cards: dict[str, CardState], specs: dict[str, CardSpec], test_pki: TestPki, name: str
) -> None:
    card, spec = cards[name], specs[name]
    der = card.jpki.auth_cert
    assert der is not None and 1400 <= len(der) <= 1750  # real: 1,571 bytes (CARD.md §3.2)
    cert = _cert(der)
    cert.verify_directly_issued_by(test_pki.auth_ca_cert)
    assert card.jpki.auth_ca_cert == test_pki.auth_ca_cert.public_bytes(serialization.Encoding.DER)
    assert same_key(cert.public_key(), private(card.jpki.auth_key).public_key())
    # No personal data: no SAN, and nothing of the holder in the subject.
    with pytest.raises(x509.ExtensionNotFound):
        cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    subject = cert.subject.rfc4514_string()
    for value in (card.holder.name, card.holder.address, card.holder.birth_date, card.holder.my_number):
        assert value not in subject
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature and not usage.value.content_commitment
    policies = cert.extensions.get_extension_for_class(x509.CertificatePolicies)
    assert policies.critical
    assert [p.policy_identifier.dotted_string for p in policies.value] == ["1.2.392.200149.8.5.1.3.30"]
    assert cert.not_valid_after_utc == _expected_not_after(spec)
    assert cert.not_valid_before_utc == dt.datetime.combine(spec.issue_date, dt.time(0), JST)


@pytest.mark.parametrize("name", [ADULT, SIGN_BLOCKED, EXPIRED])
def test_sign_certificate(
    cards: dict[str, CardState], specs: dict[str, CardSpec], test_pki: TestPki, name: str
) -> None:
    card, spec = cards[name], specs[name]
    der = card.jpki.sign_cert
    assert der is not None and 1550 <= len(der) <= 1950  # real: 1,742 bytes
    cert = _cert(der)
    cert.verify_directly_issued_by(test_pki.sign_ca_cert)
    key = private(card.jpki.sign_key)
    assert same_key(cert.public_key(), key.public_key())
    # The key born on the card signs; the certificate's key verifies.
    cert.public_key().verify(
        key.sign(b"msg", padding.PKCS1v15(), hashes.SHA256()), b"msg", padding.PKCS1v15(), hashes.SHA256()
    )

    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment
    for ext in (ExtensionOID.CRL_DISTRIBUTION_POINTS, ExtensionOID.AUTHORITY_INFORMATION_ACCESS):
        cert.extensions.get_extension_for_oid(ext)
    policies = cert.extensions.get_extension_for_class(x509.CertificatePolicies).value
    assert [p.policy_identifier.dotted_string for p in policies] == ["1.2.392.200149.8.5.1.1.20"]
    assert cert.not_valid_after_utc == _expected_not_after(spec)

    # subjectAltName otherNames, decoded with asn1crypto from the raw extension.
    parsed = asn1_x509.Certificate.load(der)
    san = next(
        e for e in parsed["tbs_certificate"]["extensions"] if e["extn_id"].native == "subject_alt_name"
    )
    values = {}
    for general_name in san["extn_value"].parsed:
        assert general_name.name == "other_name"
        other = general_name.chosen
        values[other["type_id"].dotted] = other["value"].parse(core.UTF8String).native
    assert set(values) == SAN_OIDS
    h = card.holder
    assert values["1.2.392.200149.8.5.5.1"] == h.name
    assert values["1.2.392.200149.8.5.5.3"] == h.sex
    assert values["1.2.392.200149.8.5.5.4"][1:] == h.birth_date
    assert values["1.2.392.200149.8.5.5.4"][0] in "12345"
    assert values["1.2.392.200149.8.5.5.5"] == h.address
    assert values["1.2.392.200149.8.5.5.2"] == "0" * len(h.name)
    assert values["1.2.392.200149.8.5.5.6"] == "0" * len(h.address)


def test_san_birth_date_era_codes() -> None:
    assert san_birth_date(date(1990, 1, 2)) == "419900102"  # 平成 (value seen on a real cert)
    assert san_birth_date(date(1985, 4, 12)) == "319850412"
    assert san_birth_date(date(2019, 5, 1)) == "520190501"


def test_kinds_of_card(cards: dict[str, CardState]) -> None:
    adult = cards[ADULT].jpki
    assert (adult.auth_pin.value, adult.auth_pin.tries_left, adult.auth_pin.max_tries) == ("1234", 3, 3)
    assert (adult.sign_pin.value, adult.sign_pin.tries_left, adult.sign_pin.max_tries) == ("ABC123", 5, 5)

    minor = cards[MINOR].jpki
    assert minor.sign_cert is None and minor.sign_key is None
    assert minor.auth_cert is not None and minor.auth_pin.tries_left == 3

    face = cards[FACE_AUTH].jpki
    assert face.sign_cert is None and face.sign_key is None
    assert face.auth_cert is not None and face.auth_key is not None
    assert face.auth_pin.tries_left == 0 and face.auth_pin.max_tries == 3
    assert len(face.auth_pin.value) == 4 and face.auth_pin.value.isdigit()

    blocked = cards[SIGN_BLOCKED].jpki
    assert blocked.sign_pin.tries_left == 0 and blocked.sign_cert is not None
    assert blocked.auth_pin.tries_left == 3

    today = date.today()
    assert (
        date.fromisoformat(
            cards[EXPIRED].expiry[:4] + "-" + cards[EXPIRED].expiry[4:6] + "-" + cards[EXPIRED].expiry[6:]
        )
        < today
    )
    assert _cert(cards[EXPIRED].jpki.sign_cert).not_valid_after_utc < dt.datetime.now(dt.UTC)
    for name in (ADULT, MINOR, FACE_AUTH, SIGN_BLOCKED):
        assert _cert(cards[name].jpki.auth_cert).not_valid_after_utc > dt.datetime.now(dt.UTC)


def test_minor_is_under_15(specs: dict[str, CardSpec]) -> None:
    birth, today = specs[MINOR].birth, date.today()
    age = today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
    assert age < 15


def test_validity_rule() -> None:
    # 5th birthday strictly after issuance; 29 Feb falls back to 28 Feb in common years.
    assert nth_birthday_after(date(1980, 2, 17), date(2024, 6, 1), 5) == date(2029, 2, 17)
    assert nth_birthday_after(date(1980, 6, 1), date(2024, 6, 1), 1) == date(2025, 6, 1)
    assert nth_birthday_after(date(2000, 2, 29), date(2024, 3, 1), 1) == date(2025, 2, 28)
    _start, end = validity(date(1980, 2, 17), date(2024, 6, 1), date(2027, 1, 1))  # card expires first
    assert end == dt.datetime(2027, 1, 1, 14, 59, 59, tzinfo=dt.UTC)


# -- 券面事項入力補助 AP ------------------------------------------------------------------------------


def test_kenhojo_my_number_file(cards: dict[str, CardState]) -> None:
    card = cards[ADULT]
    ef = card.kenhojo.files[0x0001]
    assert len(ef) == 17 and ef[:3] == b"\xff\x10\x0c" and ef[15:] == b"\xff\xff"
    assert ef[3:15].decode() == card.holder.my_number and is_valid(ef[3:15].decode())


def test_kenhojo_attributes_match_the_real_card_layout() -> None:
    # A real card's EF 0002, byte for byte (soltia48/myna-card tests, synthetic holder).
    real = bytes.fromhex(
        "ff2065df2108000e002000590064df220fe9bb92e6a190e38080e5b9b9e4b99f"
        "df2336e69db1e4baace983bde6b885e780ace5b882e8a6b3e5b883e5ad90e58d"
        "97efbc91efbc92efbc8defbc97efbc8defbc92efbc90efbc92df240831393830"
        "30323137df250131"
    )
    built = records.kenhojo_attributes("黒桐　幹也", "東京都清瀬市観布子南１２－７－２０２", "19800217", "1")
    assert built == real


@pytest.mark.parametrize("name", ALL)
def test_kenhojo_attributes_offsets(cards: dict[str, CardState], name: str) -> None:
    card = cards[name]
    ef = card.kenhojo.files[0x0002]
    _value, children = record(ef, b"\xff\x20")
    tags = [t for t, *_ in children]
    assert tags == [b"\xdf\x21", b"\xdf\x22", b"\xdf\x23", b"\xdf\x24", b"\xdf\x25"]
    table = children[0][1]
    offsets = [int.from_bytes(table[i : i + 2], "big") for i in range(0, 8, 2)]
    assert offsets == [offset for _t, _v, _e, offset in children[1:]]
    for offset, tag in zip(offsets, tags[1:], strict=True):
        assert ef[offset : offset + 2] == tag
    fields = by_tag(children)
    h = card.holder
    assert fields[b"\xdf\x22"][0].decode() == h.name
    assert fields[b"\xdf\x23"][0].decode() == h.address
    assert fields[b"\xdf\x24"][0].decode() == h.birth_date
    assert fields[b"\xdf\x25"][0].decode() == h.sex


@pytest.mark.parametrize("name", ALL)
def test_kenhojo_integrity_and_cv_certificate(
    cards: dict[str, CardState], test_pki: TestPki, name: str
) -> None:
    ap = cards[name].kenhojo
    issuer_id, subject_id, certified = cv_certificate(ap.files[0x0004], test_pki.card_issuer_key.public_key())
    assert issuer_id == b"6000033" + b" " * 9
    assert len(subject_id) == 16 and subject_id.startswith(b"6")
    assert same_key(certified, private(ap.ap_key).public_key())

    ef3 = ap.files[0x0003]
    assert len(ef3) == 336 and ef3[:5] == bytes.fromhex("FF3082014B")
    _value, children = record(ef3, b"\xff\x30")
    fields = by_tag(children)
    assert fields[b"\xdf\x31"][0] == hashlib.sha256(ap.files[0x0001]).digest()
    ef2_value, ef2_children = record(ap.files[0x0002], b"\xff\x20")
    after_table = ef2_value[len(ef2_children[0][2]) :]
    assert fields[b"\xdf\x32"][0] == hashlib.sha256(after_table).digest()
    signed = fields[b"\xdf\x31"][1] + fields[b"\xdf\x32"][1]
    verify(certified, fields[b"\xdf\x33"][0], signed)
    with pytest.raises(InvalidSignature):
        verify(certified, fields[b"\xdf\x33"][0], signed[:-1] + b"\x00")


def test_kenhojo_basic_info(cards: dict[str, CardState]) -> None:
    _value, children = record(cards[ADULT].kenhojo.files[0x0005], b"\xff\x40")
    fields = by_tag(children)
    assert fields[b"\xdf\x41"][0] == bytes.fromhex("01030E01")
    assert len(fields[b"\xdf\x42"][0]) == 16
    assert len(fields[b"\xdf\x43"][0]) == 128 and fields[b"\xdf\x43"][0][32:] == b"\xff" * 96


def test_pin_b_rule() -> None:
    # CARD.md §5, confirmed on a card: born 1980-02-17 (昭和55), expiry 2035, code 2285.
    assert pin_b(date(1980, 2, 17), 2035, "2285") == "55021720352285"
    assert era_yymmdd(date(1989, 1, 7)) == "640107"  # last day of 昭和
    assert era_yymmdd(date(1989, 1, 8)) == "010108"  # 平成元年
    assert era_yymmdd(date(2019, 4, 30)) == "310430"
    assert era_yymmdd(date(2019, 5, 1)) == "010501"  # 令和元年
    with pytest.raises(ValueError, match="security code"):
        pin_b(date(1980, 2, 17), 2035, "22a5")


@pytest.mark.parametrize("name", ALL)
def test_app_pins(cards: dict[str, CardState], specs: dict[str, CardSpec], name: str) -> None:
    card, spec = cards[name], specs[name]
    birth = spec.birth
    # Independent era arithmetic: 昭和 starts 1926-12-25, 平成 1989-01-08, 令和 2019-05-01.
    if birth >= date(2019, 5, 1):
        era_year = birth.year - 2018
    elif birth >= date(1989, 1, 8):
        era_year = birth.year - 1988
    else:
        era_year = birth.year - 1925
    expected_b = f"{era_year:02d}{birth:%m%d}{card.expiry[:4]}{spec.security_code}"
    assert len(expected_b) == 14

    kenhojo = card.kenhojo.pins
    assert (kenhojo[0x0011].value, kenhojo[0x0011].max_tries) == ("3456", 3)
    assert kenhojo[0x0014].value == card.holder.my_number
    assert kenhojo[0x0015].value == expected_b
    kenkaku = card.kenkaku.pins
    assert kenkaku[0x0011].value == expected_b[:6]
    assert kenkaku[0x0012].value == expected_b
    assert kenkaku[0x0013].value == card.holder.my_number
    assert (card.juki.pins[0x001C].value, card.juki.pins[0x001C].tries_left) == ("2345", 3)


def test_adult_pin_b_is_showa(cards: dict[str, CardState], specs: dict[str, CardSpec]) -> None:
    spec = specs[ADULT]  # born 1985-04-12 = 昭和60
    assert cards[ADULT].kenhojo.pins[0x0015].value == f"600412{spec.expiry.year}{spec.security_code}"


# -- 券面事項確認 AP ------------------------------------------------------------------------------------


def _image(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@pytest.mark.parametrize("name", ALL)
def test_kenkaku_card_face(cards: dict[str, CardState], test_pki: TestPki, name: str) -> None:
    card = cards[name]
    ap = card.kenkaku
    issuer_id, _subject_id, certified = cv_certificate(
        ap.files[0x0004], test_pki.card_issuer_key.public_key()
    )
    assert issuer_id == b"6000023" + b" " * 9
    assert same_key(certified, private(ap.ap_key).public_key())

    face = ap.files[0x0002]
    _value, children = record(face, b"\xff\x20")
    tags = [t for t, *_ in children]
    assert tags == [bytes([0xDF, t]) for t in range(0x21, 0x2B)]
    table = children[0][1]
    assert len(table) == 18
    offsets = [int.from_bytes(table[i : i + 2], "big") for i in range(0, 18, 2)]
    assert offsets == [offset for *_x, offset in children[1:]]
    fields = by_tag(children)
    assert fields[b"\xdf\x22"][0].decode() == card.holder.birth_date
    assert fields[b"\xdf\x23"][0].decode() == card.holder.sex
    assert same_key(public_key(fields[b"\xdf\x24"][0]), certified)
    assert fields[b"\xdf\x29"][0].decode() == card.expiry

    photo = fields[b"\xdf\x27"][0]
    assert photo[4:8] == b"jP  " and len(photo) < 8000  # JP2 container, a few KB
    image = _image(photo)
    assert image.format == "JPEG2000" and image.mode == "L" and image.size == (90, 110)
    for tag in (b"\xdf\x25", b"\xdf\x26", b"\xdf\x2a"):
        png = _image(fields[tag][0])
        assert png.format == "PNG" and png.mode == "1"

    # Our DF28: SHA-256 over SHA-256(DF22‖DF23‖DF24) ‖ SHA-256(DF25‖DF26) ‖ SHA-256(DF27).
    groups = [(b"\xdf\x22", b"\xdf\x23", b"\xdf\x24"), (b"\xdf\x25", b"\xdf\x26"), (b"\xdf\x27",)]
    message = b"".join(hashlib.sha256(b"".join(fields[t][1] for t in g)).digest() for g in groups)
    verify(certified, fields[b"\xdf\x28"][0], message)


def test_kenkaku_age_record_and_my_number_image(cards: dict[str, CardState]) -> None:
    card = cards[ADULT]
    ap = card.kenkaku
    key = private(ap.ap_key).public_key()
    age = ap.files[0x0001]
    # FF 10 / DF 11–13 are two-byte tags asn1crypto refuses: check the exact layout by position.
    assert age[:5] == bytes.fromhex("FF1082021E") and len(age) == 547
    assert age[5:8] == bytes.fromhex("DF1108") and age[8:16].decode() == card.holder.birth_date
    assert age[16:21] == bytes.fromhex("DF12820109")
    assert same_key(public_key(age[21:286]), key)
    assert age[286:291] == bytes.fromhex("DF13820100")
    verify(key, age[291:547], age[5:286])
    with pytest.raises(ValueError, match="Non-minimal"):
        parser.parse(age)  # why kiosk.reader.tlv parses tags itself

    _value, children = record(ap.files[0x0005], b"\xff\x40")
    fields = by_tag(children)
    assert _image(fields[b"\xdf\x41"][0]).mode == "1"
    assert same_key(public_key(fields[b"\xdf\x42"][0]), key)
    verify(key, fields[b"\xdf\x43"][0], fields[b"\xdf\x41"][1] + fields[b"\xdf\x42"][1])


@pytest.mark.parametrize("name", ALL)
def test_kenkaku_basic_info(cards: dict[str, CardState], name: str) -> None:
    _value, children = record(cards[name].kenkaku.files[0x0003], b"\xff\x30")
    fields = by_tag(children)
    assert fields[b"\xdf\x34"][0].decode() == cards[name].municipality
    assert len(fields[b"\xdf\x35"][0]) == 16 + 256


# -- spec validation, photos, TLV helper -----------------------------------------------------------


def _holder(**changes: str) -> Holder:
    fields = {
        "name": "山田　太郎",
        "name_kana": "ヤマダ　タロウ",
        "address": "東京都千代田区千代田１番１号",
        "birth_date": "19700101",
        "sex": "1",
        "my_number": "123456789018",
    }
    fields.update(changes)
    return Holder(**fields)


def _spec(**changes: object) -> CardSpec:
    base: dict[str, object] = {
        "holder": _holder(),
        "security_code": "1234",
        "issue_date": date(2024, 1, 1),
        "expiry": date(2034, 1, 1),
        "municipality": "13101",
    }
    base.update(changes)
    return CardSpec(**base)  # type: ignore[arg-type]


def test_spec_validation_never_shows_pins() -> None:
    assert is_valid("123456789018")
    with pytest.raises(ValueError, match="my_number"):
        _spec(holder=_holder(my_number="123456789019"))
    with pytest.raises(ValueError, match="sign_pin") as info:
        _spec(sign_pin="abc123")
    assert "abc123" not in str(info.value)
    with pytest.raises(ValueError, match="auth_pin"):
        _spec(auth_pin="12345")
    with pytest.raises(ValueError, match="U\\+3000"):
        _spec(holder=_holder(name="山田 太郎"))
    assert "ABC123" not in repr(_spec())


def test_given_photo_becomes_greyscale_jp2(test_pki: TestPki) -> None:
    colour = Image.new("RGB", (300, 400), (200, 30, 30))
    colour.paste((20, 20, 220), (100, 100, 200, 250))
    raw = io.BytesIO()
    colour.save(raw, format="JPEG")
    card = personalise(_spec(photo=raw.getvalue(), with_sign_cert=False), test_pki)
    _value, children = record(card.kenkaku.files[0x0002], b"\xff\x20")
    photo = by_tag(children)[b"\xdf\x27"][0]
    image = _image(photo)
    assert image.mode == "L" and image.size == (90, 110)
    assert image.getextrema()[0] < image.getextrema()[1]  # not a blank image
    assert card.jpki.sign_cert is None


# -- CLI ---------------------------------------------------------------------------------------------


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    return subprocess.run(
        [sys.executable, "-m", "cardemu.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_cli_pki_personalise_residents(tmp_path: Path) -> None:
    pki_dir, card = tmp_path / "pki", tmp_path / "card.json"
    assert _cli("pki", "init", str(pki_dir)).returncode == 0
    assert _cli("pki", "init", str(pki_dir)).returncode == 1  # never overwrites a PKI
    result = _cli(
        "personalise", "--pki", str(pki_dir), "--out", str(card), "--name", "山田 太郎",
        "--address", "東京都千代田区千代田１番１号", "--birth", "1970-01-01", "--sex", "1",
        "--no-sign-cert", "--sign-pin", "XYZ789",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "XYZ789" not in result.stdout + result.stderr
    state = CardState.load(card)
    assert state.holder.name == "山田\u3000太郎" and is_valid(state.holder.my_number)
    assert state.jpki.sign_cert is None and state.jpki.sign_pin.value == "XYZ789"
    _cert(state.jpki.auth_cert).verify_directly_issued_by(TestPki.load(pki_dir).auth_ca_cert)

    result = _cli("residents", "--pki", str(pki_dir), "--out", str(tmp_path / "residents"))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "residents").iterdir()) == sorted(f"{n}.json" for n in ALL)
