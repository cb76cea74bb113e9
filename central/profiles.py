"""Certificate profiles: pure builders, RFC 5280-clean (linted with pkilint in the tests).

Common to every end-entity certificate: a random positive serial of at most 20 octets (159 bits,
RFC 5280 §4.1.2.2), sha256WithRSAEncryption, AKI = the issuer's SKI, SKI, keyUsage critical, a
CRL distribution point and caIssuers URL at the central's publication point, no basicConstraints.
Card certificates also carry the J-LIS certificatePolicies (critical, as in the J-LIS profile)
and a subject that is an opaque serial-like string, never personal data.
"""

from __future__ import annotations

import datetime as dt
import secrets
import string
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

from appdata.model import BasicInfo
from central.enums import CaName
from central.san import basic_info_san

# certificatePolicies of the J-LIS profile (the values the software card's certificates carry).
SIGN_POLICY_OID = x509.ObjectIdentifier("1.2.392.200149.8.5.1.1.20")
AUTH_POLICY_OID = x509.ObjectIdentifier("1.2.392.200149.8.5.1.3.30")
# RFC 6402 §2.10: a CMP/CMC responder acting for a CA, and a registration authority.
ID_KP_CMC_CA = x509.ObjectIdentifier("1.3.6.1.5.5.7.3.27")
ID_KP_CMC_RA = x509.ObjectIdentifier("1.3.6.1.5.5.7.3.28")

JLIS = "Japan Agency for Local Authority Information Systems"
CA_UNITS = {
    CaName.ROOT: "JPKI Root CA",
    CaName.SIGN: "JPKI for digital signature",
    CaName.AUTH: "JPKI for user authentication",
    CaName.TERMINAL: "JPKI terminal CA",
}
_OPAQUE_ALPHABET = string.digits + string.ascii_uppercase


@dataclass(frozen=True)
class Issuer:
    name: CaName
    key: rsa.RSAPrivateKey
    cert: x509.Certificate

    @property
    def ski(self) -> x509.SubjectKeyIdentifier:
        return self.cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value

    def __repr__(self) -> str:
        return f"Issuer({self.name.value})"


@dataclass(frozen=True)
class Publication:
    """Where relying parties fetch CRLs, CA certificates and the CPS."""

    base_url: str  # e.g. "http://pki.jpki.test" (plain HTTP: CRLs and certs are signed objects)

    def crl_url(self, ca: CaName) -> str:
        return f"{self.base_url.rstrip('/')}/crl/{ca.value}.crl"

    def ca_cert_url(self, ca: CaName) -> str:
        return f"{self.base_url.rstrip('/')}/ca/{ca.value}.cer"

    @property
    def cps_url(self) -> str:
        return f"{self.base_url.rstrip('/')}/cps.html"


def ca_name(organization: str, ca: CaName) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, CA_UNITS[ca]),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, JLIS),
        ]
    )


def new_serial() -> int:
    """159 random bits: positive, ≤ 20 octets in DER, unguessable (uniqueness: the DB primary key)."""
    return x509.random_serial_number()


def opaque_common_name() -> str:
    """25 characters of [0-9A-Z], like the J-LIS subject CN: identifies nothing about the holder."""
    return "".join(secrets.choice(_OPAQUE_ALPHABET) for _ in range(25))


def _key_usage(
    *,
    digital_signature: bool = False,
    content_commitment: bool = False,
    key_encipherment: bool = False,
    cert_sign: bool = False,
) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=content_commitment,
        key_encipherment=key_encipherment,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _issued_by(
    issuer: Issuer,
    publication: Publication,
    subject: x509.Name,
    public_key: rsa.RSAPublicKey,
    *,
    not_before: dt.datetime,
    not_after: dt.datetime,
    serial: int,
) -> x509.CertificateBuilder:
    """The part every certificate below a CA shares."""
    if not_after > issuer.cert.not_valid_after_utc:
        # RFC 5280 §6 would make the tail of such a certificate unverifiable; refuse, do not clip.
        raise ValueError("certificate would outlive its issuing CA")
    return (
        x509.CertificateBuilder()
        .issuer_name(issuer.cert.subject)
        .subject_name(subject)
        .public_key(public_key)
        .serial_number(serial)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(issuer.ski), critical=False
        )
        .add_extension(
            x509.CRLDistributionPoints(
                [
                    x509.DistributionPoint(
                        full_name=[x509.UniformResourceIdentifier(publication.crl_url(issuer.name))],
                        relative_name=None,
                        reasons=None,
                        crl_issuer=None,
                    )
                ]
            ),
            critical=False,
        )
        .add_extension(
            x509.AuthorityInformationAccess(
                [
                    x509.AccessDescription(
                        AuthorityInformationAccessOID.CA_ISSUERS,
                        x509.UniformResourceIdentifier(publication.ca_cert_url(issuer.name)),
                    )
                ]
            ),
            critical=False,
        )
    )


# -- the hierarchy ----------------------------------------------------------------------------


def root_certificate(
    key: rsa.RSAPrivateKey, organization: str, not_before: dt.datetime, not_after: dt.datetime
) -> x509.Certificate:
    name = ca_name(organization, CaName.ROOT)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(new_serial())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )


def subordinate_ca_certificate(
    root: Issuer,
    publication: Publication,
    ca: CaName,
    public_key: rsa.RSAPublicKey,
    *,
    organization: str,
    not_before: dt.datetime,
    not_after: dt.datetime,
) -> x509.Certificate:
    """An issuing CA: path length 0 (it issues end entities only)."""
    builder = _issued_by(
        root,
        publication,
        ca_name(organization, ca),
        public_key,
        not_before=not_before,
        not_after=not_after,
        serial=new_serial(),
    )
    return (
        builder.add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .sign(root.key, hashes.SHA256())
    )


# -- end entities -----------------------------------------------------------------------------


def _card_policies(policy: x509.ObjectIdentifier, publication: Publication) -> x509.CertificatePolicies:
    return x509.CertificatePolicies([x509.PolicyInformation(policy, [publication.cps_url])])


def _opaque_subject() -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(NameOID.COMMON_NAME, opaque_common_name()),
        ]
    )


def sign_certificate(
    issuer: Issuer,
    publication: Publication,
    public_key: rsa.RSAPublicKey,
    holder: BasicInfo,
    *,
    not_before: dt.datetime,
    not_after: dt.datetime,
    serial: int,
) -> x509.Certificate:
    """署名用電子証明書: non-repudiation (規則 36: the signer proves the act of signing), 基本4情報 in SAN."""
    builder = (
        _issued_by(
            issuer,
            publication,
            _opaque_subject(),
            public_key,
            not_before=not_before,
            not_after=not_after,
            serial=serial,
        )
        .add_extension(_key_usage(digital_signature=True, content_commitment=True), critical=True)
        .add_extension(_card_policies(SIGN_POLICY_OID, publication), critical=True)
        .add_extension(basic_info_san(holder), critical=False)
    )
    return builder.sign(issuer.key, hashes.SHA256())


def auth_certificate(
    issuer: Issuer,
    publication: Publication,
    public_key: rsa.RSAPublicKey,
    *,
    not_before: dt.datetime,
    not_after: dt.datetime,
    serial: int,
) -> x509.Certificate:
    """利用者証明用電子証明書: proves "the card holder is here" and carries no personal data at all."""
    builder = (
        _issued_by(
            issuer,
            publication,
            _opaque_subject(),
            public_key,
            not_before=not_before,
            not_after=not_after,
            serial=serial,
        )
        .add_extension(_key_usage(digital_signature=True), critical=True)
        .add_extension(_card_policies(AUTH_POLICY_OID, publication), critical=True)
    )
    return builder.sign(issuer.key, hashes.SHA256())


def terminal_certificate(
    issuer: Issuer,
    publication: Publication,
    public_key: rsa.RSAPublicKey,
    *,
    organization: str,
    municipality_code: str,
    terminal_id: str,
    not_before: dt.datetime,
    not_after: dt.datetime,
    serial: int,
) -> x509.Certificate:
    """A terminal (RA): signs its CMP messages and JWS, authenticates to the intake over mTLS."""
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, municipality_code),
            x509.NameAttribute(NameOID.COMMON_NAME, terminal_id),
        ]
    )
    builder = (
        _issued_by(
            issuer,
            publication,
            subject,
            public_key,
            not_before=not_before,
            not_after=not_after,
            serial=serial,
        )
        .add_extension(_key_usage(digital_signature=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH, ID_KP_CMC_RA]), critical=False)
    )
    return builder.sign(issuer.key, hashes.SHA256())


def service_certificate(
    issuer: Issuer,
    publication: Publication,
    public_key: rsa.RSAPublicKey,
    *,
    organization: str,
    common_name: str,
    purpose: str,
    not_before: dt.datetime,
    not_after: dt.datetime,
) -> x509.Certificate:
    """The central's own certificates: `purpose` "cmp" (CMP responder) or "encryption" (the key
    terminals encrypt application envelopes to)."""
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, JLIS),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    builder = _issued_by(
        issuer,
        publication,
        subject,
        public_key,
        not_before=not_before,
        not_after=not_after,
        serial=new_serial(),
    )
    if purpose == "cmp":
        builder = builder.add_extension(_key_usage(digital_signature=True), critical=True).add_extension(
            x509.ExtendedKeyUsage([ID_KP_CMC_CA]), critical=False
        )
    elif purpose == "encryption":
        builder = builder.add_extension(_key_usage(key_encipherment=True), critical=True)
    else:
        raise ValueError(f"unknown service certificate purpose {purpose!r}")
    return builder.sign(issuer.key, hashes.SHA256())
