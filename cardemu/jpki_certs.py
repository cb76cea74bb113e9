"""End-entity certificates of the JPKI AP (EF 000A 利用者証明用, EF 0001 署名用), from the test CAs.

Shaped after the J-LIS profile as far as public sources show it (CARD.md §3.2): RSA-2048,
sha256WithRSAEncryption, critical certificatePolicies with a CPS pointer, the 基本4情報 in
subjectAltName otherNames (UTF8String) of the sign certificate only, CRL distribution point and
OCSP. URLs point at the reserved `.test` domain. Sizes land near the real 1,571 / 1,742 bytes.
"""

from __future__ import annotations

import datetime as dt
import secrets
import string
from dataclasses import dataclass
from datetime import date

from asn1crypto import core
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID

from cardemu.era import san_birth_date
from cardemu.state import Holder

JST = dt.timezone(dt.timedelta(hours=9), "JST")

# Policy OIDs of the J-LIS profile (production values; J-LIS's own test hierarchy uses
# 1.2.392.200149.8.5.1.0.20 for signing, its auth value is not public).
SIGN_POLICY_OID = x509.ObjectIdentifier("1.2.392.200149.8.5.1.1.20")
AUTH_POLICY_OID = x509.ObjectIdentifier("1.2.392.200149.8.5.1.3.30")
CPS_URL = "http://www.jpki.test/cps.html"

# subjectAltName otherName types carrying the 基本4情報 (MYNA-GO jpki_ap.go).
SAN_NAME = x509.ObjectIdentifier("1.2.392.200149.8.5.5.1")
SAN_NAME_ALT = x509.ObjectIdentifier("1.2.392.200149.8.5.5.2")  # 代替文字 positions in the name
SAN_SEX = x509.ObjectIdentifier("1.2.392.200149.8.5.5.3")
SAN_BIRTH_DATE = x509.ObjectIdentifier("1.2.392.200149.8.5.5.4")
SAN_ADDRESS = x509.ObjectIdentifier("1.2.392.200149.8.5.5.5")
SAN_ADDRESS_ALT = x509.ObjectIdentifier("1.2.392.200149.8.5.5.6")  # 代替文字 positions in the address

# ISO 5218 on the 券面 APs, 1 男 2 女 3 不明 in the certificate.
_SAN_SEX = {"1": "1", "2": "2", "9": "3", "0": "3"}

_SERIAL_ALPHABET = string.digits + string.ascii_uppercase


@dataclass(frozen=True)
class Issuer:
    key: rsa.RSAPrivateKey
    cert: x509.Certificate
    ou: str  # "JPKI for user authentication" / "JPKI for digital signature"
    host: str  # e.g. "auth" → ocsp-auth.jpki.test


def nth_birthday_after(birth: date, after: date, n: int) -> date:
    """The n-th birthday strictly after `after`; 29 Feb → 28 Feb in common years (民法 age rule)."""
    found = 0
    year = after.year
    while True:
        try:
            birthday = birth.replace(year=year)
        except ValueError:
            birthday = date(year, 2, 28)
        if birthday > after:
            found += 1
            if found == n:
                return birthday
        year += 1


def validity(birth: date, issued: date, card_expiry: date) -> tuple[dt.datetime, dt.datetime]:
    """Issue day 00:00 JST → end of the earlier of the 5th birthday after issuance and card expiry."""
    last_day = min(nth_birthday_after(birth, issued, 5), card_expiry)
    start = dt.datetime.combine(issued, dt.time(0, 0), JST)
    end = dt.datetime.combine(last_day, dt.time(23, 59, 59), JST)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def serial_like_cn() -> str:
    """Subject CN: an opaque serial-like string, never personal data."""
    return "".join(secrets.choice(_SERIAL_ALPHABET) for _ in range(25))


def _utf8(value: str) -> bytes:
    return core.UTF8String(value).dump()


def _common_extensions(
    builder: x509.CertificateBuilder, issuer: Issuer, municipality: str, policy: x509.ObjectIdentifier
) -> x509.CertificateBuilder:
    crl_issuer = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "JPKI-TEST"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, issuer.ou),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "CRL Distribution Points"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, f"Municipality {municipality}"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{municipality} CRLDP"),
        ]
    )
    issuer_alt = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "公的個人認証サービス（試験用）"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "地方公共団体情報システム機構"),
        ]
    )
    return (
        builder.add_extension(
            x509.CertificatePolicies(
                [
                    x509.PolicyInformation(
                        policy,
                        [
                            CPS_URL,
                            x509.UserNotice(None, "試験用証明書です。実在の個人とは関係ありません。"),
                        ],
                    )
                ]
            ),
            critical=True,  # the J-LIS profile marks it critical
        )
        .add_extension(x509.IssuerAlternativeName([x509.DirectoryName(issuer_alt)]), critical=False)
        .add_extension(
            x509.CRLDistributionPoints(
                [
                    x509.DistributionPoint(
                        full_name=[
                            x509.DirectoryName(crl_issuer),
                            x509.UniformResourceIdentifier(
                                f"http://crl-{issuer.host}.jpki.test/{municipality}.crl"
                            ),
                        ],
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
                        AuthorityInformationAccessOID.OCSP,
                        x509.UniformResourceIdentifier(f"http://ocsp-{issuer.host}.jpki.test"),
                    ),
                    x509.AccessDescription(
                        AuthorityInformationAccessOID.CA_ISSUERS,
                        x509.UniformResourceIdentifier(f"http://www.jpki.test/ca/{issuer.host}ca.cer"),
                    ),
                ]
            ),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), critical=False
        )
    )


def _base(
    issuer: Issuer, subject: x509.Name, key: rsa.RSAPublicKey, start: dt.datetime, end: dt.datetime
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .issuer_name(issuer.cert.subject)
        .subject_name(subject)
        .public_key(key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key), critical=False)
    )


def _key_usage(*, non_repudiation: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=non_repudiation,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


def auth_certificate(
    issuer: Issuer,
    key: rsa.RSAPublicKey,
    *,
    municipality: str,
    start: dt.datetime,
    end: dt.datetime,
) -> x509.Certificate:
    """利用者証明用: no personal data at all (CN is an opaque serial-like string)."""
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(NameOID.COMMON_NAME, serial_like_cn()),
        ]
    )
    builder = _base(issuer, subject, key, start, end).add_extension(
        _key_usage(non_repudiation=False), critical=True
    )
    builder = _common_extensions(builder, issuer, municipality, AUTH_POLICY_OID)
    return builder.sign(issuer.key, hashes.SHA256())


def sign_certificate(
    issuer: Issuer,
    key: rsa.RSAPublicKey,
    holder: Holder,
    *,
    municipality: str,
    start: dt.datetime,
    end: dt.datetime,
) -> x509.Certificate:
    """署名用: 基本4情報 in subjectAltName, in the order seen on real certificates."""
    birth = date(int(holder.birth_date[:4]), int(holder.birth_date[4:6]), int(holder.birth_date[6:]))
    san = x509.SubjectAlternativeName(
        [
            x509.OtherName(SAN_NAME, _utf8(holder.name)),
            x509.OtherName(SAN_BIRTH_DATE, _utf8(san_birth_date(birth))),
            x509.OtherName(SAN_SEX, _utf8(_SAN_SEX[holder.sex])),
            x509.OtherName(SAN_ADDRESS, _utf8(holder.address)),
            # One flag per character, "0" = the character is not a 代替文字 (substitute).
            x509.OtherName(SAN_NAME_ALT, _utf8("0" * len(holder.name))),
            x509.OtherName(SAN_ADDRESS_ALT, _utf8("0" * len(holder.address))),
        ]
    )
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(NameOID.COMMON_NAME, serial_like_cn()),
        ]
    )
    builder = (
        _base(issuer, subject, key, start, end)
        .add_extension(_key_usage(non_repudiation=True), critical=True)
        .add_extension(san, critical=False)
    )
    builder = _common_extensions(builder, issuer, municipality, SIGN_POLICY_OID)
    return builder.sign(issuer.key, hashes.SHA256())
