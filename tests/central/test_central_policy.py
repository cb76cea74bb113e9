"""The issuance policy, table by table, each row citing the rule it checks (docs/central.md §3)."""

from __future__ import annotations

import datetime as dt

import pytest
from asn1crypto import csr as asn1_csr
from central_testkit import csr, key
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from central import policy
from central.enums import CardStatus, CertKind
from central.errors import PolicyViolation
from central.policy import CardFacts, Holder

TODAY = dt.date(2026, 4, 1)
CARD = CardFacts(CardStatus.OPERATING, dt.date(2034, 1, 2))


def born(years: int, days: int = 0) -> dt.date:
    """A birth date making the holder `years` old today (plus `days` more)."""
    return TODAY.replace(year=TODAY.year - years) - dt.timedelta(days=days)


# (case, kind, holder, card, expected refusal code or None, rule cited)
KIND_TABLE = [
    ("adult: signing", CertKind.SIGN, Holder(born(36)), CARD, None, ""),
    ("adult: auth", CertKind.AUTH, Holder(born(36)), CARD, None, ""),
    ("just 15: signing", CertKind.SIGN, Holder(born(15)), CARD, None, "要綱 2-3"),
    (
        "14 by one day: no signing",
        CertKind.SIGN,
        Holder(born(15, -1), legal_representative=True),
        CARD,
        "minor-no-sign",
        "要綱 2-3",
    ),
    ("minor: auth", CertKind.AUTH, Holder(born(9), legal_representative=True), CARD, None, "要綱 2-3"),
    (
        "minor, representative accompanied, both intentions confirmed: signing",
        CertKind.SIGN,
        Holder(born(9), legal_representative=True, legal_exception=True),
        CARD,
        None,
        "要綱 2-3 ただし書",
    ),
    (
        "adult ward: no signing",
        CertKind.SIGN,
        Holder(born(40), adult_ward=True, legal_representative=True),
        CARD,
        "adult-ward-no-sign",
        "要綱 2-3",
    ),
    (
        "adult ward with the exception: signing",
        CertKind.SIGN,
        Holder(born(40), adult_ward=True, legal_representative=True, legal_exception=True),
        CARD,
        None,
        "要綱 2-3 ただし書",
    ),
    (
        "infant: auth",
        CertKind.AUTH,
        Holder(born(0, 100), legal_representative=True),
        CARD,
        None,
        "要綱 2-2-(3)",
    ),
    (
        "infant: no signing, even with the exception",
        CertKind.SIGN,
        Holder(born(0, 100), legal_representative=True, legal_exception=True),
        CARD,
        "infant-auth-only",
        "要綱 2-2-(3)",
    ),
    (
        "face-auth card: no signing",
        CertKind.SIGN,
        Holder(born(36)),
        CardFacts(CardStatus.OPERATING, dt.date(2034, 1, 2), face_auth=True),
        "face-auth-card-no-sign",
        "規則 42-3",
    ),
    (
        "face-auth card: auth",
        CertKind.AUTH,
        Holder(born(36)),
        CardFacts(CardStatus.OPERATING, dt.date(2034, 1, 2), face_auth=True),
        None,
        "規則 64条の5",
    ),
    (
        "face-card wish: no signing",
        CertKind.SIGN,
        Holder(born(36), face_card=True),
        CARD,
        "face-card-wish-no-sign",
        "要綱 2-15",
    ),
    (
        "terminal certificates are not card certificates",
        CertKind.TERMINAL,
        Holder(born(36)),
        CARD,
        "not-a-card-certificate",
        "",
    ),
]


@pytest.mark.parametrize(
    ("case", "kind", "holder", "card", "code", "rule"), KIND_TABLE, ids=[r[0] for r in KIND_TABLE]
)
def test_who_gets_which_certificate(
    case: str, kind: CertKind, holder: Holder, card: CardFacts, code: str | None, rule: str
) -> None:
    if code is None:
        policy.check_kind(kind, holder, card, TODAY)
        return
    with pytest.raises(PolicyViolation) as refused:
        policy.check_kind(kind, holder, card, TODAY)
    assert refused.value.code == code
    assert rule.split(" ただし書", maxsplit=1)[0] in refused.value.rule


APPLICANT_TABLE = [
    ("adult applies alone", Holder(born(36)), None, ""),
    ("minor without legal representative", Holder(born(9)), "legal-representative-required", "要綱 2-3"),
    (
        "adult ward without legal representative",
        Holder(born(40), adult_ward=True),
        "legal-representative-required",
        "要綱 2-3",
    ),
    ("minor through the legal representative", Holder(born(9), legal_representative=True), None, ""),
    (
        "infant wishing a face-auth card",
        Holder(born(0, 10), legal_representative=True, face_card=True),
        "face-card-infant",
        "要綱 4条の3-1",
    ),
]


@pytest.mark.parametrize(
    ("case", "holder", "code", "rule"), APPLICANT_TABLE, ids=[r[0] for r in APPLICANT_TABLE]
)
def test_who_may_apply(case: str, holder: Holder, code: str | None, rule: str) -> None:
    if code is None:
        policy.check_applicant(holder, TODAY)
        return
    with pytest.raises(PolicyViolation) as refused:
        policy.check_applicant(holder, TODAY)
    assert (refused.value.code, rule in refused.value.rule) == (code, True)


CARD_TABLE = [
    ("運用中", CARD, None, ""),
    ("一時停止", CardFacts(CardStatus.SUSPENDED, dt.date(2034, 1, 2)), "card-suspended", "要領 第4-3"),
    ("廃止", CardFacts(CardStatus.ABOLISHED, dt.date(2034, 1, 2)), "card-abolished", "規則 17, 53"),
    ("expired (status)", CardFacts(CardStatus.EXPIRED, dt.date(2034, 1, 2)), "card-expired", "有効期間"),
    (
        "expired yesterday",
        CardFacts(CardStatus.OPERATING, TODAY - dt.timedelta(days=1)),
        "card-expired",
        "有効期間",
    ),
    ("expires today", CardFacts(CardStatus.OPERATING, TODAY), None, ""),
]


@pytest.mark.parametrize(("case", "card", "code", "rule"), CARD_TABLE, ids=[r[0] for r in CARD_TABLE])
def test_only_cards_in_operation(case: str, card: CardFacts, code: str | None, rule: str) -> None:
    if code is None:
        policy.check_card(card, TODAY)
        return
    with pytest.raises(PolicyViolation) as refused:
        policy.check_card(card, TODAY)
    assert refused.value.code == code
    assert rule in refused.value.rule


SUSPENDED = CardFacts(CardStatus.SUSPENDED, dt.date(2034, 1, 2))
# 一時停止解除: (case, card, holder, expected refusal code or None, rule cited)
RELEASE_TABLE = [
    ("一時停止, adult", SUSPENDED, Holder(born(36)), None, ""),
    ("運用中: nothing to release", CARD, Holder(born(36)), "card-not-suspended", "要領 第4-3, 要綱 5-2"),
    (
        "廃止",
        CardFacts(CardStatus.ABOLISHED, dt.date(2034, 1, 2)),
        Holder(born(36)),
        "card-abolished",
        "規則 17",
    ),
    (
        "expired while lost",
        CardFacts(CardStatus.EXPIRED, TODAY),
        Holder(born(36)),
        "card-expired",
        "有効期間",
    ),
    ("minor alone", SUSPENDED, Holder(born(9)), "legal-representative-required", "要綱 3-3"),
    (
        "minor through the legal representative",
        SUSPENDED,
        Holder(born(9), legal_representative=True),
        None,
        "",
    ),
    (
        "adult ward alone",
        SUSPENDED,
        Holder(born(40), adult_ward=True),
        "legal-representative-required",
        "要綱 3-3",
    ),
    ("just 15, alone", SUSPENDED, Holder(born(15)), None, ""),
]


@pytest.mark.parametrize(
    ("case", "card", "holder", "code", "rule"), RELEASE_TABLE, ids=[r[0] for r in RELEASE_TABLE]
)
def test_found_card_release(case: str, card: CardFacts, holder: Holder, code: str | None, rule: str) -> None:
    if code is None:
        policy.check_release(card, holder, TODAY)
        return
    with pytest.raises(PolicyViolation) as refused:
        policy.check_release(card, holder, TODAY)
    assert refused.value.code == code
    assert rule in refused.value.rule


# 規則 (有効期間): the earlier of the 5th birthday after issuance and the card's expiry.
VALIDITY_TABLE = [
    (
        "5th birthday first",
        dt.date(1990, 1, 2),
        dt.date(2026, 4, 1),
        dt.date(2034, 1, 2),
        dt.date(2031, 1, 2),
    ),
    (
        "card expiry first",
        dt.date(1990, 1, 2),
        dt.date(2026, 4, 1),
        dt.date(2029, 6, 30),
        dt.date(2029, 6, 30),
    ),
    (
        "issued on the birthday: that one does not count",
        dt.date(1990, 4, 1),
        dt.date(2026, 4, 1),
        dt.date(2040, 1, 1),
        dt.date(2031, 4, 1),
    ),
    (
        "issued the day before the birthday",
        dt.date(1990, 4, 2),
        dt.date(2026, 4, 1),
        dt.date(2040, 1, 1),
        dt.date(2030, 4, 2),
    ),
    (
        "29 February → 28 February in common years",
        dt.date(2000, 2, 29),
        dt.date(2026, 4, 1),
        dt.date(2040, 1, 1),
        dt.date(2031, 2, 28),
    ),
    (
        "29 February, leap 5th year",
        dt.date(2000, 2, 29),
        dt.date(2027, 4, 1),
        dt.date(2040, 1, 1),
        dt.date(2032, 2, 29),
    ),
]


@pytest.mark.parametrize(
    ("case", "birth", "issued", "expiry", "last"), VALIDITY_TABLE, ids=[r[0] for r in VALIDITY_TABLE]
)
def test_validity_end(case: str, birth: dt.date, issued: dt.date, expiry: dt.date, last: dt.date) -> None:
    assert policy.validity_last_day(birth, issued, expiry) == last


@pytest.mark.parametrize(
    ("birth", "day", "age"),
    [
        (dt.date(2011, 4, 1), dt.date(2026, 3, 31), 14),
        (dt.date(2011, 4, 1), dt.date(2026, 4, 1), 15),
        (dt.date(2025, 4, 2), dt.date(2026, 4, 1), 0),
        (dt.date(2025, 4, 1), dt.date(2026, 4, 1), 1),
    ],
)
def test_age(birth: dt.date, day: dt.date, age: int) -> None:
    assert policy.age_on(birth, day) == age


# -- keys and proof of possession (規則 2, 38; 規則 3, 39) ----------------------------------------


def _rsa(bits: int) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def test_rsa_2048_accepted() -> None:
    request = csr(key("policy-2048"))
    assert policy.check_public_key(request).key_size == 2048
    policy.check_proof_of_possession(request)


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda: csr(_rsa(1024)), "key-too-small"),
        (lambda: csr(_rsa(1536)), "key-too-small"),
        (
            lambda: (
                x509.CertificateSigningRequestBuilder()
                .subject_name(x509.Name([]))
                .sign(ec.generate_private_key(ec.SECP256R1()), hashes.SHA256())
            ),
            "key-not-rsa",
        ),
    ],
    ids=["RSA-1024", "RSA-1536", "EC P-256"],
)
def test_weak_or_wrong_keys_refused(make: object, code: str) -> None:
    with pytest.raises(PolicyViolation) as refused:
        policy.check_public_key(make())  # type: ignore[operator]
    assert refused.value.code == code
    assert refused.value.rule == "規則 2, 38"


def _spliced(
    request: x509.CertificateSigningRequest, other: rsa.RSAPrivateKey
) -> x509.CertificateSigningRequest:
    """The request's content, signed by a key that is not the one inside it."""
    parsed = asn1_csr.CertificationRequest.load(request.public_bytes(serialization.Encoding.DER))
    info = parsed["certification_request_info"]
    signature = other.sign(info.dump(), padding.PKCS1v15(), hashes.SHA256())
    forged = asn1_csr.CertificationRequest(
        {
            "certification_request_info": info,
            "signature_algorithm": parsed["signature_algorithm"],
            "signature": signature,
        }
    )
    return x509.load_der_x509_csr(forged.dump())


def test_proof_of_possession_required() -> None:
    forged = _spliced(csr(key("policy-victim")), key("policy-attacker"))
    with pytest.raises(PolicyViolation) as refused:
        policy.check_proof_of_possession(forged)
    assert refused.value.code == "csr-signature-invalid"
    assert "規則 3, 39" in refused.value.rule


def test_sha1_signed_request_refused() -> None:
    # cryptography no longer signs SHA-1 requests, so build one: same content, sha1WithRSAEncryption.
    private = key("policy-sha1")
    parsed = asn1_csr.CertificationRequest.load(csr(private).public_bytes(serialization.Encoding.DER))
    info = parsed["certification_request_info"]
    sha1_request = asn1_csr.CertificationRequest(
        {
            "certification_request_info": info,
            "signature_algorithm": {"algorithm": "sha1_rsa"},
            "signature": private.sign(info.dump(), padding.PKCS1v15(), hashes.SHA1()),
        }
    )
    with pytest.raises(PolicyViolation) as refused:
        policy.check_proof_of_possession(x509.load_der_x509_csr(sha1_request.dump()))
    assert refused.value.code == "csr-weak-hash"


def test_decide_issuance_gives_validity_and_key() -> None:
    holder = Holder(dt.date(1990, 1, 2))
    request = csr(key("policy-decide"))
    decision = policy.decide_issuance(CertKind.SIGN, request, holder, CARD, applied=TODAY, issued=TODAY)
    assert decision.last_day == dt.date(2031, 1, 2)
    assert decision.public_key == request.public_key()


def test_holder_repr_hides_birth_date() -> None:
    assert "1990" not in repr(Holder(dt.date(1990, 1, 2)))
