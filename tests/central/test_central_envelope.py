"""The application envelope: JWE to the central wrapping a JWS by the terminal; every tampering,
wrong key, wrong signer or stale envelope is refused, and nothing personal leaks into errors."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
from central_testkit import ADULT, NOW, application, key, new_card_id
from joserfc import jwe, jws
from joserfc.jwk import OctKey, RSAKey

from appdata.envelope import (
    JWE_ALG,
    JWE_ENC,
    EnvelopeInvalid,
    OpenedApplication,
    key_id,
    open_application,
    seal_application,
)
from appdata.model import ApplicationData, BasicInfo, DisclosureKind, PayloadError, Procedure

TERMINAL = "kiosk-0001"
CENTRAL = key("envelope-central")
TERMINAL_KEY = key("envelope-terminal")


def seal(data: ApplicationData | None = None, **kwargs: object) -> str:
    params: dict[str, object] = {
        "terminal_id": TERMINAL,
        "signing_key": TERMINAL_KEY,
        "recipient": CENTRAL.public_key(),
        "now": NOW,
    }
    params.update(kwargs)
    return seal_application(data or application(card_id=new_card_id()), **params)  # type: ignore[arg-type]


def open_(sealed: str, **kwargs: object) -> OpenedApplication:
    params: dict[str, object] = {
        "decryption_key": CENTRAL,
        "terminal_key": lambda kid: {TERMINAL: TERMINAL_KEY.public_key()}[kid],
        "now": NOW + dt.timedelta(hours=1),
        "expected_terminal_id": TERMINAL,
    }
    params.update(kwargs)
    return open_application(sealed, **params)  # type: ignore[arg-type]


@pytest.mark.parametrize("algorithm", ["PS256", "RS256"])
def test_round_trip(algorithm: str) -> None:
    data = application(card_id=new_card_id())
    opened = open_(seal(data, algorithm=algorithm))
    assert opened.data == data
    assert opened.terminal_id == TERMINAL
    assert opened.issued_at == NOW
    assert opened.expires_at == NOW + dt.timedelta(days=14)
    assert opened.data.applicant.name == ADULT.name


def test_headers_as_specified() -> None:
    sealed = seal()
    header = json.loads(base64.urlsafe_b64decode(sealed.split(".")[0] + "=="))
    assert header == {
        "alg": "RSA-OAEP-256",
        "enc": "A256GCM",
        "cty": "JWT",
        "kid": key_id(CENTRAL.public_key()),
    }
    inner = jwe.decrypt_compact(sealed, RSAKey.import_key(CENTRAL), algorithms=[JWE_ALG, JWE_ENC]).plaintext
    assert inner is not None
    signed = jws.extract_compact(inner)
    assert signed.protected == {"alg": "PS256", "typ": "application+jwt", "kid": TERMINAL}
    assert set(json.loads(signed.payload)) == {"application_id", "terminal_id", "iat", "exp", "application"}


def test_personal_data_not_readable_without_the_key() -> None:
    sealed = seal()
    assert "佐藤" not in sealed
    for part in sealed.split("."):
        decoded = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        assert ADULT.name.encode() not in decoded


def _flip(sealed: str, index: int) -> str:
    parts = sealed.split(".")
    raw = bytearray(base64.urlsafe_b64decode(parts[index] + "=" * (-len(parts[index]) % 4)))
    raw[len(raw) // 2] ^= 0x01
    parts[index] = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    return ".".join(parts)


@pytest.mark.parametrize(
    ("what", "index"), [("encrypted key", 1), ("iv", 2), ("ciphertext", 3), ("tag", 4)], ids=str
)
def test_tampering_refused(what: str, index: int) -> None:
    with pytest.raises(EnvelopeInvalid):
        open_(_flip(seal(), index))


def test_tampered_protected_header_refused() -> None:
    sealed = seal()
    parts = sealed.split(".")
    header = json.loads(base64.urlsafe_b64decode(parts[0] + "=="))
    header["kid"] = "someone-else"
    parts[0] = base64.urlsafe_b64encode(json.dumps(header).encode()).rstrip(b"=").decode()
    with pytest.raises(EnvelopeInvalid, match="decrypt"):  # the header is GCM's additional data
        open_(".".join(parts))


def test_wrong_decryption_key_refused() -> None:
    with pytest.raises(EnvelopeInvalid, match="decrypt"):
        open_(seal(), decryption_key=key("envelope-other-central"))


def test_signed_by_another_key_refused() -> None:
    with pytest.raises(EnvelopeInvalid, match="signature"):
        open_(seal(signing_key=key("envelope-impostor")))


def test_signed_as_another_terminal_refused() -> None:
    sealed = seal(terminal_id="kiosk-0002")
    with pytest.raises(EnvelopeInvalid, match="another terminal"):
        open_(sealed)


def test_unknown_signer_refused() -> None:
    with pytest.raises(EnvelopeInvalid, match="known"):
        open_(seal(terminal_id="kiosk-9999"), expected_terminal_id=None)


def test_expired_and_future_refused() -> None:
    sealed = seal(lifetime=dt.timedelta(hours=1))
    with pytest.raises(EnvelopeInvalid, match="expired"):
        open_(sealed, now=NOW + dt.timedelta(hours=1))
    with pytest.raises(EnvelopeInvalid, match="future"):
        open_(seal(now=NOW + dt.timedelta(hours=3)))
    # An accepted envelope can be re-opened later (stored applications):
    assert open_(sealed, now=NOW + dt.timedelta(days=400), check_expiry=False).terminal_id == TERMINAL


def _inner(claims: dict[str, object], *, alg: str = "PS256", signing_key: object = None) -> str:
    """An envelope around a hand-made JWS (for claims/algorithms the sealer never produces)."""
    payload = json.dumps(claims, ensure_ascii=False).encode()
    jwk = signing_key or RSAKey.import_key(TERMINAL_KEY)
    signed = jws.serialize_compact(
        {"alg": alg, "typ": "application+jwt", "kid": TERMINAL}, payload, jwk, algorithms=[alg]
    )
    return jwe.encrypt_compact(
        {"alg": JWE_ALG, "enc": JWE_ENC, "cty": "JWT"},
        signed,
        RSAKey.import_key(CENTRAL.public_key()),
        algorithms=[JWE_ALG, JWE_ENC],
    )


def _claims(**changes: object) -> dict[str, object]:
    data = application(card_id=new_card_id())
    claims: dict[str, object] = {
        "application_id": data.application_id,
        "terminal_id": TERMINAL,
        "iat": int(NOW.timestamp()),
        "exp": int(NOW.timestamp()) + 86400,
        "application": data.to_json(),
    }
    claims.update(changes)
    return claims


def test_hand_made_envelope_accepted_when_correct() -> None:
    assert open_(_inner(_claims())).terminal_id == TERMINAL


def test_symmetric_algorithm_refused() -> None:
    # HS256 keyed with something public must never verify as a terminal's signature.
    with pytest.raises(EnvelopeInvalid, match="signature"):
        open_(_inner(_claims(), alg="HS256", signing_key=OctKey.import_key(b"k" * 32)))


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"terminal_id": "kiosk-0002"}, "terminal_id claim"),
        ({"application_id": "other"}, "application_id claim"),
        ({"exp": int(NOW.timestamp())}, "exp not after iat"),
        ({"iat": "yesterday"}, "not an integer"),
        ({"extra": 1}, "unexpected claims"),
    ],
)
def test_bad_claims_refused(changes: dict[str, object], match: str) -> None:
    with pytest.raises(EnvelopeInvalid, match=match):
        open_(_inner(_claims(**changes)))


def test_payload_schema_is_strict() -> None:
    claims = _claims()
    claims["application"]["nickname"] = "x"  # type: ignore[index]
    with pytest.raises(EnvelopeInvalid, match="unexpected or missing keys"):
        open_(_inner(claims))


def test_errors_and_reprs_carry_no_personal_data() -> None:
    data = application(card_id=new_card_id())
    claims = _claims(application={**data.to_json(), "card_id": "not hex " + ADULT.name})
    with pytest.raises(EnvelopeInvalid) as refused:
        open_(_inner(claims))
    assert ADULT.name not in str(refused.value)
    opened = open_(seal(data))
    for text in (repr(opened), repr(opened.data), repr(opened.data.applicant), str(opened.data)):
        assert ADULT.name not in text
        assert ADULT.address not in text
        assert "1990" not in text


def test_payload_validation() -> None:
    with pytest.raises(ValueError, match="sex"):
        BasicInfo("a", "b", dt.date(2000, 1, 1), "5")
    with pytest.raises(ValueError, match="card id"):
        ApplicationData("x", Procedure.NEW_ISSUANCE, "XYZ", ADULT)
    with pytest.raises(ValueError, match="fee"):
        application(card_id=new_card_id(), fee_paid=True, fee_yen=0)


def test_malformed_values_are_not_quoted() -> None:
    data = application(card_id=new_card_id())
    payload = data.to_json()
    payload["applicant"] = {**payload["applicant"], "birth_date": "1990-13-45"}
    with pytest.raises(EnvelopeInvalid) as refused:
        open_(_inner(_claims(application=payload)))
    assert "1990-13-45" not in str(refused.value)
    assert "malformed application payload" in str(refused.value)


@pytest.mark.parametrize(
    "data",
    [
        application(Procedure.SUSPENSION_RELEASE, card_id=new_card_id()),
        application(Procedure.DISCLOSURE, card_id=new_card_id(), disclosure_kind=DisclosureKind.CORRECTION),
        application(Procedure.DISCLOSURE, card_id=new_card_id()),
    ],
    ids=["release", "correction", "disclosure"],
)
def test_new_procedures_round_trip(data: ApplicationData) -> None:
    opened = open_(seal(data))
    assert opened.data == data
    assert opened.data.to_json()["disclosure_kind"] == (
        None if data.disclosure_kind is None else data.disclosure_kind.value
    )


def test_disclosure_kind_exactly_for_a_disclosure_request() -> None:
    with pytest.raises(ValueError, match="disclosure_kind"):
        application(Procedure.DISCLOSURE, card_id=new_card_id(), disclosure_kind=None)
    with pytest.raises(ValueError, match="disclosure_kind"):
        application(card_id=new_card_id(), disclosure_kind=DisclosureKind.DISCLOSURE)
    payload = application(Procedure.DISCLOSURE, card_id=new_card_id()).to_json()
    with pytest.raises(EnvelopeInvalid, match="malformed"):
        open_(_inner(_claims(application={**payload, "disclosure_kind": "erasure"})))


def test_version_1_payloads_still_open() -> None:
    """Envelopes stored before `disclosure_kind` existed are re-opened at issuance; a version-1
    disclosure request cannot say which it is, and the current version needs the field."""

    def v1(data: ApplicationData) -> dict[str, object]:
        return {k: v for k, v in data.to_json().items() if k != "disclosure_kind"} | {"version": 1}

    data = application(card_id=new_card_id())
    assert ApplicationData.from_json(v1(data)) == data
    assert open_(_inner(_claims(application=v1(data), application_id=data.application_id))).data == data
    with pytest.raises(PayloadError, match="disclosure_kind"):
        ApplicationData.from_json(v1(application(Procedure.DISCLOSURE, card_id=new_card_id())))
    with pytest.raises(PayloadError, match="unexpected or missing keys"):
        ApplicationData.from_json(v1(data) | {"version": 2})
    for version in (3, True, 2.0, "2"):
        with pytest.raises(PayloadError, match="unsupported schema version"):
            ApplicationData.from_json(data.to_json() | {"version": version})
