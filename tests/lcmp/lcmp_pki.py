"""The CMP test PKI: a root, the CMP server (cmcRA), a terminal, a card-like CSR, files for openssl.

| File | What |
|---|---|
| `root.crt` / `root.key` | self-signed root CA |
| `srv.crt` / `srv.key` | the central's CMP signer: EKU cmcRA (1.3.6.1.5.5.7.3.28) |
| `kiosk.crt` / `kiosk.key` | a terminal's CMP signer (and mTLS client) certificate |
| `card.csr` / `card.key` | an RSA-2048 PKCS#10 signed the way the card signs (DigestInfo, raw PKCS#1) |
| `issued.crt` | a certificate for the card key, what the mock server hands out |
| `rogue.crt` / `rogue.key` | a self-signed certificate with the terminal's name |
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

from cardemu.signing import pkcs1_sign
from kiosk.reader.csr import p10_from_card

CMC_RA = ObjectIdentifier("1.3.6.1.5.5.7.3.28")


def name(cn: str, *, ou: str | None = None) -> x509.Name:
    attrs = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "JPKI-TEST"),
    ]
    if ou:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ou))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    return x509.Name(attrs)


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _cert(
    subject: x509.Name,
    public_key: rsa.RSAPublicKey,
    issuer: x509.Name,
    issuer_key: rsa.RSAPrivateKey,
    *,
    ca: bool = False,
    eku: list[ObjectIdentifier] | None = None,
    days: int = 365,
) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.KeyUsage(
                digital_signature=not ca,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=ca,
                crl_sign=ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    )
    if issuer != subject:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False
        )
    if eku:
        builder = builder.add_extension(x509.ExtendedKeyUsage(eku), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _write_key(path: Path, key: rsa.RSAPrivateKey) -> Path:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    path.chmod(0o600)
    return path


def _write_cert(path: Path, cert: x509.Certificate) -> Path:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


@dataclass(frozen=True)
class CmpTestPki:
    dir: Path
    root: x509.Certificate
    root_key: rsa.RSAPrivateKey
    srv: x509.Certificate
    srv_key: rsa.RSAPrivateKey
    kiosk: x509.Certificate
    kiosk_key: rsa.RSAPrivateKey
    card_key: rsa.RSAPrivateKey
    csr: x509.CertificateSigningRequest
    issued: x509.Certificate
    rogue: x509.Certificate
    rogue_key: rsa.RSAPrivateKey

    def path(self, file: str) -> str:
        return str(self.dir / file)

    def issue(self, csr: x509.CertificateSigningRequest, *, serial: int | None = None) -> x509.Certificate:
        """What a CA would answer to `csr` (the tests' stand-in for the central's issuance)."""
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        return (
            x509.CertificateBuilder()
            .subject_name(csr.subject if len(csr.subject) else name("card holder"))
            .issuer_name(self.root.subject)
            .public_key(csr.public_key())  # type: ignore[arg-type]
            .serial_number(serial or x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(self.root_key, hashes.SHA256())
        )

    @classmethod
    def create(cls, directory: Path) -> CmpTestPki:
        directory.mkdir(parents=True, exist_ok=True)
        root_key, srv_key, kiosk_key, card_key, rogue_key = (_key() for _ in range(5))
        root_name = name("LCMP Test Root CA")
        root = _cert(root_name, root_key.public_key(), root_name, root_key, ca=True, days=3650)
        srv = _cert(
            name("Central CMP Server", ou="central"), srv_key.public_key(), root_name, root_key, eku=[CMC_RA]
        )
        kiosk_name = name("kiosk-0001", ou="terminals")
        kiosk = _cert(
            kiosk_name, kiosk_key.public_key(), root_name, root_key, eku=[ExtendedKeyUsageOID.CLIENT_AUTH]
        )
        rogue = _cert(kiosk_name, rogue_key.public_key(), kiosk_name, rogue_key)
        # Signed as the card signs: the card gets a DigestInfo and pads it itself.
        csr = p10_from_card(
            card_key.public_key(),
            functools.partial(pkcs1_sign, card_key),
            subject=x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "JPKI card key")]),
        )
        pki = cls(
            directory, root, root_key, srv, srv_key, kiosk, kiosk_key, card_key, csr, root, rogue, rogue_key
        )
        issued = pki.issue(csr)
        pki = cls(
            directory, root, root_key, srv, srv_key, kiosk, kiosk_key, card_key, csr, issued, rogue, rogue_key
        )
        for stem, cert, key in (
            ("root", root, root_key),
            ("srv", srv, srv_key),
            ("kiosk", kiosk, kiosk_key),
            ("rogue", rogue, rogue_key),
        ):
            _write_cert(directory / f"{stem}.crt", cert)
            _write_key(directory / f"{stem}.key", key)
        _write_key(directory / "card.key", card_key)
        (directory / "card.csr").write_bytes(csr.public_bytes(serialization.Encoding.PEM))
        _write_cert(directory / "issued.crt", issued)
        return pki
