"""Card personalisation: a `CardSpec` (who, which PINs, which kind of card) → a `CardState`.

Does at "manufacture" what the real card's issuer does: JPKI keys born on the card, certificates
from the test CAs, the 券面 AP records signed by the AP key whose CV certificate the test card
issuer signed, PIN reference data, card id and the diversified admin key.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from cardadmin import derive_card_key
from cardemu import images, records
from cardemu.era import era_yymmdd, parse_yyyymmdd, pin_b
from cardemu.jpki_certs import Issuer, auth_certificate, sign_certificate, validity
from cardemu.state import ApState, CardState, EmptyVerifyQuirk, Holder, JpkiState, PinState
from cardemu.testpki import (
    KENHOJO_ISSUER_KEY_ID,
    KENKAKU_ISSUER_KEY_ID,
    TestPki,
    key_id,
    new_rsa_key,
    private_pem,
)
from kiosk.domain.mynumber import is_valid as my_number_is_valid

DEFAULT_AUTH_PIN = "1234"
DEFAULT_SIGN_PIN = "ABC123"
DEFAULT_JUKI_PIN = "2345"
DEFAULT_KENHOJO_PIN = "3456"

AUTH_PIN_TRIES, SIGN_PIN_TRIES = 3, 5  # CARD.md §3.1 (OpenSC)
FOUR_DIGIT_PIN_TRIES = 3  # 住基 and kenhojo PINs: municipal pages say 3
# 照合番号A/B and the 生年月日 key: no source gives the limit (CARD.md §13); ours.
CODE_TRIES = 10

# EFs of the 券面/住基 APs (CARD.md §4–§6).
KENHOJO_PIN, KENHOJO_BLOCKED, KENHOJO_PIN_A, KENHOJO_PIN_B = 0x0011, 0x0012, 0x0014, 0x0015
KENKAKU_BIRTH, KENKAKU_PIN_B, KENKAKU_PIN_A = 0x0011, 0x0012, 0x0013
JUKI_PIN = 0x001C

_SIGN_PIN_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


def _digits(value: str, length: int) -> bool:
    return len(value) == length and value.isascii() and value.isdigit()


@dataclass(frozen=True)
class CardSpec:
    holder: Holder
    security_code: str  # 4 digits printed on the card face; part of 照合番号B
    issue_date: date
    expiry: date
    municipality: str  # 5 digits (全国地方公共団体コード without its check digit)
    auth_pin: str = DEFAULT_AUTH_PIN  # 4 digits
    sign_pin: str = DEFAULT_SIGN_PIN  # 6–16 of A–Z 0–9
    juki_pin: str = DEFAULT_JUKI_PIN  # 4 digits
    kenhojo_pin: str = DEFAULT_KENHOJO_PIN  # 4 digits
    photo: bytes | None = None  # any image Pillow reads; None → synthetic placeholder
    with_sign_cert: bool = True  # False: under 15 / adult ward (RULES.md)
    face_auth: bool = False  # 顔認証カード: random, blocked auth PIN; never a sign cert
    sign_pin_blocked: bool = False
    empty_verify: EmptyVerifyQuirk = EmptyVerifyQuirk.OPENSC

    def __post_init__(self) -> None:
        problems = self._holder_problems() + self._card_problems()
        if problems:
            raise ValueError("invalid CardSpec: " + "; ".join(problems))

    def _holder_problems(self) -> list[str]:
        h = self.holder
        problems = []
        if not my_number_is_valid(h.my_number):
            problems.append("my_number: not 12 digits with a valid check digit")
        if h.sex not in {"1", "2", "9"}:
            problems.append("sex: ISO 5218 1, 2 or 9")
        try:
            birth = parse_yyyymmdd(h.birth_date)
        except ValueError as exc:
            problems.append(f"birth_date: {exc}")
        else:
            if birth >= self.issue_date:
                problems.append("birth_date: must be before the issue date")
        if "\u3000" not in h.name:
            problems.append("name: family and given name are separated by U+3000")
        return problems

    def _card_problems(self) -> list[str]:
        problems = []
        if not self.issue_date < self.expiry:
            problems.append("expiry: must be after the issue date")
        if not _digits(self.municipality, 5):
            problems.append("municipality: 5 digits")
        if not _digits(self.security_code, 4):
            problems.append("security_code: 4 digits")
        # PIN *values* never appear in messages.
        for field, value in (
            ("auth_pin", self.auth_pin),
            ("juki_pin", self.juki_pin),
            ("kenhojo_pin", self.kenhojo_pin),
        ):
            if not _digits(value, 4):
                problems.append(f"{field}: 4 digits")
        if not (6 <= len(self.sign_pin) <= 16 and set(self.sign_pin) <= _SIGN_PIN_ALPHABET):
            problems.append("sign_pin: 6–16 characters A–Z 0–9")
        return problems

    @property
    def issues_sign_cert(self) -> bool:
        return self.with_sign_cert and not self.face_auth

    @property
    def birth(self) -> date:
        return parse_yyyymmdd(self.holder.birth_date)

    @property
    def pin_b(self) -> str:
        """照合番号B (14 digits), the value printed-data-derived key 0015 / 0012 holds."""
        return pin_b(self.birth, self.expiry.year, self.security_code)

    def __repr__(self) -> str:  # PINs stay out of logs and assertion messages
        return (
            f"CardSpec(holder={self.holder.name!r}, municipality={self.municipality}, "
            f"expiry={self.expiry}, sign_cert={self.issues_sign_cert}, face_auth={self.face_auth})"
        )


def _pin(value: str, tries: int, *, blocked: bool = False) -> PinState:
    return PinState(value=value, max_tries=tries, tries_left=0 if blocked else tries)


def _random_digits(n: int) -> str:
    return "".join(secrets.choice("0123456789") for _ in range(n))


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def _jpki(spec: CardSpec, pki: TestPki) -> JpkiState:
    start, end = validity(spec.birth, spec.issue_date, spec.expiry)
    auth_issuer = Issuer(pki.auth_ca_key, pki.auth_ca_cert, "JPKI for user authentication", "auth")
    sign_issuer = Issuer(pki.sign_ca_key, pki.sign_ca_cert, "JPKI for digital signature", "sign")

    auth_key = new_rsa_key()
    auth_cert = auth_certificate(
        auth_issuer, auth_key.public_key(), municipality=spec.municipality, start=start, end=end
    )
    if spec.face_auth:
        # 規則 42-3 / 要綱 2-15: a random PIN nobody knows, locked; presence is proven by face.
        auth_pin = _pin(_random_digits(4), AUTH_PIN_TRIES, blocked=True)
    else:
        auth_pin = _pin(spec.auth_pin, AUTH_PIN_TRIES)

    sign_key_pem = sign_cert_der = None
    if spec.issues_sign_cert:
        sign_key = new_rsa_key()
        sign_key_pem = private_pem(sign_key)
        sign_cert_der = _der(
            sign_certificate(
                sign_issuer,
                sign_key.public_key(),
                spec.holder,
                municipality=spec.municipality,
                start=start,
                end=end,
            )
        )
    return JpkiState(
        auth_pin=auth_pin,
        sign_pin=_pin(spec.sign_pin, SIGN_PIN_TRIES, blocked=spec.sign_pin_blocked),
        auth_key=private_pem(auth_key),
        sign_key=sign_key_pem,
        auth_cert=_der(auth_cert),
        auth_ca_cert=_der(pki.auth_ca_cert),
        sign_cert=sign_cert_der,
        sign_ca_cert=_der(pki.sign_ca_cert),
    )


def _ap_subject_key_id(spec: CardSpec, ap_digit: str) -> bytes:
    """被証明者鍵ID: on real cards the municipality's own key id; ours is `6` + code + AP digit."""
    return key_id(f"6{spec.municipality}{ap_digit}")


def _kenhojo(spec: CardSpec, pki: TestPki) -> ApState:
    h = spec.holder
    key = new_rsa_key()
    ef1 = records.kenhojo_my_number(h.my_number)
    ef2 = records.kenhojo_attributes(h.name, h.address, h.birth_date, h.sex)
    files = {
        0x0001: ef1,
        0x0002: ef2,
        0x0003: records.kenhojo_integrity(ef1, ef2, key),
        0x0004: records.cv_certificate(
            KENHOJO_ISSUER_KEY_ID, _ap_subject_key_id(spec, "3"), key.public_key(), pki.card_issuer_key
        ),
        0x0005: records.kenhojo_basic_info(key_id("6000034"), key.public_key()),
    }
    pins = {
        KENHOJO_PIN: _pin(spec.kenhojo_pin, FOUR_DIGIT_PIN_TRIES),
        # Blocked on every card examined (SOLTIA); what it guards is unknown.
        KENHOJO_BLOCKED: _pin(_random_digits(4), FOUR_DIGIT_PIN_TRIES, blocked=True),
        KENHOJO_PIN_A: _pin(h.my_number, CODE_TRIES),
        KENHOJO_PIN_B: _pin(spec.pin_b, CODE_TRIES),
    }
    return ApState(files=files, pins=pins, ap_key=private_pem(key))


def _kenkaku(spec: CardSpec, pki: TestPki) -> ApState:
    h = spec.holder
    key = new_rsa_key()
    photo_source = spec.photo or images.placeholder_portrait(h.name + h.my_number)
    face = records.kenkaku_card_face(
        birth_date=h.birth_date,
        sex=h.sex,
        name_png=images.text_png([h.name]),
        address_png=images.text_png(images.wrap(h.address, 16)),
        photo_jp2=images.photo_jp2(photo_source),
        expiry=f"{spec.expiry:%Y%m%d}",
        security_code_png=images.text_png([spec.security_code]),
        key=key,
    )
    my_number = f"{h.my_number[:4]} {h.my_number[4:8]} {h.my_number[8:]}"
    files = {
        0x0001: records.kenkaku_age_record(h.birth_date, key),
        0x0002: face,
        0x0003: records.kenkaku_basic_info(
            spec.municipality, key_id("6000024"), key_id("6000024"), secrets.token_bytes(256)
        ),
        0x0004: records.cv_certificate(
            KENKAKU_ISSUER_KEY_ID, _ap_subject_key_id(spec, "2"), key.public_key(), pki.card_issuer_key
        ),
        0x0005: records.kenkaku_my_number_image(images.text_png([my_number]), key),
    }
    pins = {
        KENKAKU_BIRTH: _pin(era_yymmdd(spec.birth), CODE_TRIES),
        KENKAKU_PIN_B: _pin(spec.pin_b, CODE_TRIES),
        KENKAKU_PIN_A: _pin(h.my_number, CODE_TRIES),
    }
    return ApState(files=files, pins=pins, ap_key=private_pem(key))


def personalise(spec: CardSpec, pki: TestPki) -> CardState:
    card_id = secrets.token_bytes(16)
    return CardState(
        card_id=card_id,
        admin_key=derive_card_key(pki.admin_master_key, card_id),
        holder=spec.holder,
        jpki=_jpki(spec, pki),
        kenhojo=_kenhojo(spec, pki),
        kenkaku=_kenkaku(spec, pki),
        juki=ApState(pins={JUKI_PIN: _pin(spec.juki_pin, FOUR_DIGIT_PIN_TRIES)}),
        expiry=f"{spec.expiry:%Y%m%d}",
        municipality=spec.municipality,
        empty_verify=spec.empty_verify,
    )
