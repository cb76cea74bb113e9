"""Every certificate profile and CRL is RFC 5280-clean by pkilint, and has the properties the
profile promises (docs/central.md §1, §3)."""

from __future__ import annotations

import datetime as dt

import pytest
from central_testkit import ADULT, CA_EPOCH, der, key, lint_certificate, lint_chain, lint_crl, problems
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.x509.oid import ExtensionOID

from central import profiles
from central.authority import Authority
from central.crl import CrlEntry, build_crl
from central.enums import CaName, RevocationReason
from central.san import SAN_OIDS, birth_date_value

START = dt.datetime(2026, 4, 1, 1, 0, tzinfo=dt.UTC)
END = dt.datetime(2031, 1, 2, 14, 59, 59, tzinfo=dt.UTC)


def _sign(authority: Authority) -> x509.Certificate:
    return profiles.sign_certificate(
        authority.sign_ca,
        authority.publication,
        key("profile-sign").public_key(),
        ADULT,
        not_before=START,
        not_after=END,
        serial=profiles.new_serial(),
    )


def _auth(authority: Authority) -> x509.Certificate:
    return profiles.auth_certificate(
        authority.auth_ca,
        authority.publication,
        key("profile-auth").public_key(),
        not_before=START,
        not_after=END,
        serial=profiles.new_serial(),
    )


def _terminal(authority: Authority) -> x509.Certificate:
    return profiles.terminal_certificate(
        authority.terminal_ca,
        authority.publication,
        key("profile-terminal").public_key(),
        organization="JPKI-TEST",
        municipality_code="13101",
        terminal_id="kiosk-0001",
        not_before=START,
        not_after=START + dt.timedelta(days=1095),
        serial=profiles.new_serial(),
    )


PROFILES = {
    "root": (lambda a: a.root.cert, None),
    "sign-ca": (lambda a: a.sign_ca.cert, CaName.ROOT),
    "auth-ca": (lambda a: a.auth_ca.cert, CaName.ROOT),
    "terminal-ca": (lambda a: a.terminal_ca.cert, CaName.ROOT),
    "cmp-responder": (lambda a: a.cmp_cert, CaName.TERMINAL),
    "application-encryption": (lambda a: a.encryption_cert, CaName.TERMINAL),
    "sign": (_sign, CaName.SIGN),
    "auth": (_auth, CaName.AUTH),
    "terminal": (_terminal, CaName.TERMINAL),
}


@pytest.mark.parametrize("profile", PROFILES)
def test_pkilint_rfc5280_clean(authority: Authority, profile: str) -> None:
    make, issuer = PROFILES[profile]
    cert = make(authority)
    assert problems(lint_certificate(der(cert))) == []
    if issuer is not None:
        assert problems(lint_chain(der(authority.issuer(issuer).cert), der(cert))) == []


@pytest.mark.parametrize("profile", [p for p in PROFILES if PROFILES[p][1] is not None])
def test_common_end_entity_properties(authority: Authority, profile: str) -> None:
    make, issuer_name = PROFILES[profile]
    cert = make(authority)
    issuer = authority.issuer(issuer_name)
    assert 0 < cert.serial_number < 2**159  # positive, ≤ 20 octets
    ext = cert.extensions
    assert ext.get_extension_for_class(x509.KeyUsage).critical
    aki = ext.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    assert aki.key_identifier == issuer.ski.digest
    assert ext.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    points = ext.get_extension_for_class(x509.CRLDistributionPoints).value
    assert [p.full_name[0].value for p in points] == [authority.publication.crl_url(issuer_name)]  # type: ignore[index]
    if issuer_name is not CaName.ROOT:
        with pytest.raises(x509.ExtensionNotFound):
            ext.get_extension_for_class(x509.BasicConstraints)
    issuer.key.public_key().verify(
        cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), cert.signature_hash_algorithm
    )


def test_sign_certificate_carries_basic_four_info(authority: Authority) -> None:
    cert = _sign(authority)
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    values = {n.type_id: n.value for n in san.get_values_for_type(x509.OtherName)}
    assert set(values) == set(SAN_OIDS)
    assert (
        values[x509.ObjectIdentifier("1.2.392.200149.8.5.5.1")]
        == b"\x0c" + bytes([len(ADULT.name.encode())]) + ADULT.name.encode()
    )
    assert birth_date_value(ADULT.birth_date) == "419900102"  # 平成 (era code 4), 1990-01-02
    policies = cert.extensions.get_extension_for_class(x509.CertificatePolicies)
    assert policies.critical
    assert [p.policy_identifier for p in policies.value] == [profiles.SIGN_POLICY_OID]
    ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert ku.digital_signature and ku.content_commitment


def test_auth_certificate_carries_no_personal_data(authority: Authority) -> None:
    cert = _auth(authority)
    with pytest.raises(x509.ExtensionNotFound):
        cert.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
    cn = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value
    assert len(cn) == 25 and cn.isalnum()
    assert ADULT.name.encode() not in der(cert)
    policies = cert.extensions.get_extension_for_class(x509.CertificatePolicies).value
    assert [p.policy_identifier for p in policies] == [profiles.AUTH_POLICY_OID]
    assert not cert.extensions.get_extension_for_class(x509.KeyUsage).value.content_commitment


def test_terminal_certificate_is_an_ra_client(authority: Authority) -> None:
    eku = _terminal(authority).extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert set(eku) == {x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH, profiles.ID_KP_CMC_RA}
    assert (
        profiles.ID_KP_CMC_CA
        in authority.cmp_cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    )


def test_ca_hierarchy_shape(authority: Authority) -> None:
    root_bc = authority.root.cert.extensions.get_extension_for_class(x509.BasicConstraints)
    assert root_bc.critical and root_bc.value.ca and root_bc.value.path_length == 1
    for ca in (CaName.SIGN, CaName.AUTH, CaName.TERMINAL):
        cert = authority.issuer(ca).cert
        bc = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
        assert bc.ca and bc.path_length == 0
        assert cert.issuer == authority.root.cert.subject
        assert cert.not_valid_before_utc == CA_EPOCH


def test_certificate_may_not_outlive_its_ca(authority: Authority) -> None:
    with pytest.raises(ValueError, match="outlive"):
        profiles.auth_certificate(
            authority.auth_ca,
            authority.publication,
            key("profile-auth").public_key(),
            not_before=START,
            not_after=authority.auth_ca.cert.not_valid_after_utc + dt.timedelta(days=1),
            serial=profiles.new_serial(),
        )


@pytest.mark.parametrize(
    "reasons",
    [
        (),
        (RevocationReason.UNSPECIFIED,),
        tuple(RevocationReason),
    ],
    ids=["empty", "unspecified", "every reason"],
)
def test_crl_pkilint_clean(authority: Authority, reasons: tuple[RevocationReason, ...]) -> None:
    entries = [CrlEntry(profiles.new_serial(), START, reason) for reason in reasons]
    crl = build_crl(
        authority.sign_ca, entries, number=7, this_update=START, next_update=START + dt.timedelta(days=2)
    )
    assert problems(lint_crl(der(crl))) == []
    assert crl.is_signature_valid(authority.sign_ca.key.public_key())
    assert crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == 7
    for entry, revoked in zip(entries, crl, strict=True):
        assert revoked.serial_number == entry.serial
        if entry.reason is RevocationReason.UNSPECIFIED:
            assert len(revoked.extensions) == 0  # RFC 5280 §5.3.1: no reasonCode instead of unspecified
        else:
            assert (
                revoked.extensions.get_extension_for_class(x509.CRLReason).value.reason
                == entry.reason.x509_flag
            )
