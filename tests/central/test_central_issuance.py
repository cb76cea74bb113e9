"""Issuing card certificates against applications (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from central_testkit import (
    ADULT,
    NOW,
    World,
    application,
    csr,
    der,
    key,
    legal_rep,
    lint_certificate,
    lint_chain,
    problems,
)
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from appdata.model import BasicInfo, Procedure
from central.enums import ApplicationStatus, CertKind, CertStatus
from central.errors import ApplicationRejected, Conflict, PolicyViolation
from central.profiles import AUTH_POLICY_OID, SIGN_POLICY_OID
from central.san import SAN_NAME
from central.timeutil import JST

MINOR = BasicInfo("鈴木　陽翔", "東京都千代田区永田町一丁目７番１号", dt.date(2017, 5, 5), "1")
INFANT = BasicInfo("鈴木　葵", "東京都千代田区永田町一丁目７番１号", dt.date(2025, 12, 24), "2")


def test_issue_both_certificates(world: World) -> None:
    card = world.card()
    record = world.apply(application(card_id=card))
    assert record.approved and record.rejection is None
    sign = world.central.issue_certificate(record.id, csr(key("i-sign")), CertKind.SIGN, now=NOW)
    auth = world.central.issue_certificate(
        record.id, csr(key("i-auth")).public_bytes(serialization.Encoding.DER), CertKind.AUTH, now=NOW
    )
    authority = world.central.authority
    for issued, ca, policy_oid in (
        (sign, authority.sign_ca, SIGN_POLICY_OID),
        (auth, authority.auth_ca, AUTH_POLICY_OID),
    ):
        cert = issued.certificate
        assert problems(lint_certificate(issued.der)) == []
        assert problems(lint_chain(der(ca.cert), issued.der)) == []
        assert cert.issuer == ca.cert.subject
        assert format(cert.serial_number, "x") == issued.serial
        assert cert.not_valid_before_utc == NOW
        # 5th birthday after issuance (2031-01-02) comes before the card's expiry (2034-01-02)
        assert cert.not_valid_after_utc.astimezone(JST) == dt.datetime(2031, 1, 2, 23, 59, 59, tzinfo=JST)
        policies = cert.extensions.get_extension_for_class(x509.CertificatePolicies).value
        assert [p.policy_identifier for p in policies] == [policy_oid]
    san = sign.certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    names = {o.type_id: o.value for o in san.get_values_for_type(x509.OtherName)}
    assert ADULT.name.encode() in names[SAN_NAME]
    assert ADULT.name.encode() not in auth.der
    view = world.central.lookup_card(card, now=NOW)
    assert {(c.kind, c.serial) for c in view.certificates} == {
        (CertKind.SIGN, sign.serial),
        (CertKind.AUTH, auth.serial),
    }


def test_card_expiry_limits_validity(world: World) -> None:
    card = world.card("short", expiry=dt.date(2028, 3, 31))
    record = world.apply(application(card_id=card))
    issued = world.central.issue_certificate(record.id, csr(key("i-short")), CertKind.AUTH, now=NOW)
    assert issued.not_after.astimezone(JST).date() == dt.date(2028, 3, 31)


def test_repeated_request_returns_the_same_certificate(world: World) -> None:
    record = world.apply(application(card_id=world.card()))
    first = world.central.issue_certificate(record.id, csr(key("i-repeat")), CertKind.AUTH, now=NOW)
    again = world.central.issue_certificate(record.id, csr(key("i-repeat")), CertKind.AUTH, now=NOW)
    assert again == first
    with pytest.raises(Conflict):
        world.central.issue_certificate(record.id, csr(key("i-repeat-other")), CertKind.AUTH, now=NOW)


def test_one_key_per_certificate(world: World) -> None:
    """規則 3, 39: two key pairs; a key already certified is never certified again."""
    record = world.apply(application(card_id=world.card()))
    world.central.issue_certificate(record.id, csr(key("i-same")), CertKind.AUTH, now=NOW)
    with pytest.raises(PolicyViolation) as refused:
        world.central.issue_certificate(record.id, csr(key("i-same")), CertKind.SIGN, now=NOW)
    assert refused.value.code == "key-reused"


def test_only_requested_kinds(world: World) -> None:
    record = world.apply(application(card_id=world.card(), certificates=("auth",)))
    with pytest.raises(ApplicationRejected, match="does not request"):
        world.central.issue_certificate(record.id, csr(key("i-unrequested")), CertKind.SIGN, now=NOW)


@pytest.mark.parametrize(
    ("case", "overrides", "code"),
    [
        (
            "minor, signing, no exception",
            {"applicant": MINOR, "representative": legal_rep()},
            "minor-no-sign",
        ),
        (
            "minor without legal representative",
            {"applicant": MINOR, "certificates": ("auth",)},
            "legal-representative-required",
        ),
        (
            "infant, signing",
            {"applicant": INFANT, "representative": legal_rep(exception=True)},
            "infant-auth-only",
        ),
        ("face-card wish, signing", {"face_card": True}, "face-card-wish-no-sign"),
    ],
)
def test_refused_at_receipt_and_kept(
    world: World, case: str, overrides: dict[str, object], code: str
) -> None:
    record = world.apply(application(card_id=world.card(), **overrides))
    assert record.status is ApplicationStatus.REJECTED
    assert record.rejection is not None and record.rejection.startswith(code)
    assert record.operations == ()
    with pytest.raises(ApplicationRejected, match="rejected"):
        world.central.issue_certificate(record.id, csr(key("i-refused")), CertKind.AUTH, now=NOW)
    assert world.central.application(record.id).status is ApplicationStatus.REJECTED  # kept (要綱 7)


@pytest.mark.parametrize(
    ("case", "overrides", "kinds"),
    [
        (
            "minor: auth only",
            {"applicant": MINOR, "representative": legal_rep(), "certificates": ("auth",)},
            ["auth"],
        ),
        (
            "minor with the exception: both",
            {"applicant": MINOR, "representative": legal_rep(exception=True)},
            ["sign", "auth"],
        ),
        (
            "infant: auth",
            {"applicant": INFANT, "representative": legal_rep(), "certificates": ("auth",)},
            ["auth"],
        ),
    ],
)
def test_allowed_for_minors(world: World, case: str, overrides: dict[str, object], kinds: list[str]) -> None:
    record = world.apply(application(card_id=world.card(), **overrides))
    assert record.approved, record.rejection
    for kind in kinds:
        issued = world.central.issue_certificate(
            record.id, csr(key(f"i-{case}-{kind}")), CertKind(kind), now=NOW
        )
        assert issued.kind is CertKind(kind)


def test_face_auth_card_gets_no_signing_certificate(world: World) -> None:
    card = world.card("face", face_auth=True)
    assert world.apply(application(card_id=card)).rejection.startswith("face-auth-card-no-sign")  # type: ignore[union-attr]
    record = world.apply(application(card_id=card, certificates=("auth",)))
    assert record.approved


def test_policy_rechecked_at_issuance(world: World) -> None:
    """The card was reported lost after the application arrived: nothing is issued for it."""
    card = world.card()
    record = world.apply(application(card_id=card))
    world.central.suspend_card(card, now=NOW)
    with pytest.raises(PolicyViolation) as refused:
        world.central.issue_certificate(
            record.id, csr(key("i-lost")), CertKind.AUTH, now=NOW + dt.timedelta(hours=1)
        )
    assert refused.value.code == "card-suspended"


def test_weak_key_refused_at_issuance(world: World) -> None:
    record = world.apply(application(card_id=world.card()))
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    with pytest.raises(PolicyViolation) as refused:
        world.central.issue_certificate(record.id, csr(small), CertKind.AUTH, now=NOW)
    assert (refused.value.code, refused.value.rule) == ("key-too-small", "規則 2, 38")


def test_other_terminal_cannot_use_the_application(world: World) -> None:
    record = world.apply(application(card_id=world.card()))
    with pytest.raises(ApplicationRejected, match="another terminal"):
        world.central.issue_certificate(
            record.id, csr(key("i-other")), CertKind.AUTH, terminal_id="kiosk-0002", now=NOW
        )


def test_non_issuing_procedure_issues_nothing(world: World) -> None:
    record = world.apply(application(Procedure.PIN_RESET, card_id=world.card(), pin_targets=("sign",)))
    assert record.approved
    with pytest.raises(ApplicationRejected, match="issues no certificate"):
        world.central.issue_certificate(record.id, csr(key("i-pin")), CertKind.SIGN, now=NOW)


def test_renewal_supersedes_on_installation(world: World) -> None:
    card = world.card()
    first = world.apply(application(card_id=card, certificates=("sign",)))
    old = world.central.issue_certificate(first.id, csr(key("i-old")), CertKind.SIGN, now=NOW)
    world.central.confirm_installed(old.serial, now=NOW)
    later = NOW + dt.timedelta(days=700)
    renewal = world.apply(application(Procedure.RENEWAL, card_id=card, certificates=("sign",)), now=later)
    new = world.central.issue_certificate(renewal.id, csr(key("i-new")), CertKind.SIGN, now=later)
    assert (
        world.central.certificate_status(old.serial, now=later).status is CertStatus.GOOD
    )  # not yet written
    world.central.confirm_installed(new.serial, now=later)
    status = world.central.certificate_status(old.serial, now=later)
    assert status.status is CertStatus.REVOKED
    assert status.reason is not None and status.reason.name == "SUPERSEDED"
    assert world.central.certificate_status(new.serial, now=later).valid
