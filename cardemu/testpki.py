"""The test PKI every software card is personalised from, kept as files in one directory.

| File | What |
|---|---|
| `card-issuer.key` / `card-issuer.pub.pem` | 券面 AP card issuer key: signs the CV certificates (EF 0004) |
| `auth-ca.key` / `auth-ca.pem` | JPKI 利用者証明用 CA (self-signed) |
| `sign-ca.key` / `sign-ca.pem` | JPKI 署名用 CA (self-signed) |
| `admin-master.key` | 32-byte admin master key, hex (docs/card-admin.md §2; the central's, dev only) |

Private files are 0600 in a 0700 directory. Nothing here is real: the CAs carry `O=JPKI-TEST`
(the name J-LIS's own test hierarchy uses) and keys nobody else has.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from cardadmin import MASTER_KEY_LENGTH

KEY_ID_LENGTH = 16
# CARD.md §4: production 券面 issuer key ids are 5000033 (kenhojo) / 5000023 (kenkaku); a test
# hierarchy's start with 6.
KENHOJO_ISSUER_NUMBER = "6000033"
KENKAKU_ISSUER_NUMBER = "6000023"

CARD_ISSUER_KEY = "card-issuer.key"
CARD_ISSUER_PUB = "card-issuer.pub.pem"
AUTH_CA_KEY, AUTH_CA_CERT = "auth-ca.key", "auth-ca.pem"
SIGN_CA_KEY, SIGN_CA_CERT = "sign-ca.key", "sign-ca.pem"
ADMIN_MASTER_KEY = "admin-master.key"
_ALL_FILES = (CARD_ISSUER_KEY, CARD_ISSUER_PUB, AUTH_CA_KEY, AUTH_CA_CERT, SIGN_CA_KEY, SIGN_CA_CERT)

# Fixed, wide CA validity so that cards "issued" years ago (the expired resident) still chain.
CA_NOT_BEFORE = dt.datetime(2010, 1, 1, tzinfo=dt.UTC)
CA_NOT_AFTER = dt.datetime(2049, 12, 31, 14, 59, 59, tzinfo=dt.UTC)

_JLIS = "Japan Agency for Local Authority Information Systems"
AUTH_CA_NAME = x509.Name(
    [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "JPKI-TEST"),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "JPKI for user authentication"),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, _JLIS),
    ]
)
SIGN_CA_NAME = x509.Name(
    [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "JPKI-TEST"),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "JPKI for digital signature"),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, _JLIS),
    ]
)


def key_id(number: str) -> bytes:
    """A 16-byte 鍵ID: the 7-digit key number in ASCII, right-padded with spaces.

    Our encoding (docs/card-emulation.md): real cards use `number 08 05 group 00 00 00 00`, so our
    ids never equal a real J-LIS key id even where the number is the same.
    """
    if len(number) != 7 or not number.isascii() or not number.isdigit():
        raise ValueError(f"key number must be 7 digits, got {number!r}")
    return number.encode("ascii").ljust(KEY_ID_LENGTH, b" ")


KENHOJO_ISSUER_KEY_ID = key_id(KENHOJO_ISSUER_NUMBER)
KENKAKU_ISSUER_KEY_ID = key_id(KENKAKU_ISSUER_NUMBER)


def new_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key: rsa.RSAPrivateKey) -> str:
    """PKCS#8 PEM, unencrypted: the form card state and this directory keep keys in."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")


def load_private_pem(pem: str | bytes) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem.encode() if isinstance(pem, str) else pem, None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("expected an RSA private key")
    return key


def write_exclusive(path: Path, data: bytes, mode: int) -> None:
    # O_EXCL: never overwrite an existing PKI by accident; mode set at creation, not after.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


def ca_certificate(name: x509.Name, key: rsa.RSAPrivateKey) -> x509.Certificate:
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(CA_NOT_BEFORE)
        .not_valid_after(CA_NOT_AFTER)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ski, critical=False)
        .sign(key, hashes.SHA256())
    )


@dataclass(frozen=True)
class TestPki:
    __test__ = False  # a library class, not a pytest test class

    directory: Path
    card_issuer_key: rsa.RSAPrivateKey
    auth_ca_key: rsa.RSAPrivateKey
    auth_ca_cert: x509.Certificate
    sign_ca_key: rsa.RSAPrivateKey
    sign_ca_cert: x509.Certificate
    admin_master_key: bytes

    @classmethod
    def create(cls, directory: Path) -> TestPki:
        directory = Path(directory)
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        clash = [name for name in (*_ALL_FILES, ADMIN_MASTER_KEY) if (directory / name).exists()]
        if clash:
            raise FileExistsError(f"{directory} already holds a PKI ({', '.join(clash)}); use load()")
        issuer, auth_key, sign_key = new_rsa_key(), new_rsa_key(), new_rsa_key()
        auth_cert = ca_certificate(AUTH_CA_NAME, auth_key)
        sign_cert = ca_certificate(SIGN_CA_NAME, sign_key)
        master = secrets.token_bytes(MASTER_KEY_LENGTH)

        pem = serialization.Encoding.PEM
        write_exclusive(directory / CARD_ISSUER_KEY, private_pem(issuer).encode(), 0o600)
        write_exclusive(
            directory / CARD_ISSUER_PUB,
            issuer.public_key().public_bytes(pem, serialization.PublicFormat.SubjectPublicKeyInfo),
            0o644,
        )
        write_exclusive(directory / AUTH_CA_KEY, private_pem(auth_key).encode(), 0o600)
        write_exclusive(directory / AUTH_CA_CERT, auth_cert.public_bytes(pem), 0o644)
        write_exclusive(directory / SIGN_CA_KEY, private_pem(sign_key).encode(), 0o600)
        write_exclusive(directory / SIGN_CA_CERT, sign_cert.public_bytes(pem), 0o644)
        write_exclusive(directory / ADMIN_MASTER_KEY, master.hex().encode() + b"\n", 0o600)
        return cls(directory, issuer, auth_key, auth_cert, sign_key, sign_cert, master)

    @classmethod
    def load(cls, directory: Path) -> TestPki:
        directory = Path(directory)

        def key(name: str) -> rsa.RSAPrivateKey:
            return load_private_pem((directory / name).read_bytes())

        def cert(name: str) -> x509.Certificate:
            return x509.load_pem_x509_certificate((directory / name).read_bytes())

        master = bytes.fromhex((directory / ADMIN_MASTER_KEY).read_text(encoding="ascii").strip())
        if len(master) != MASTER_KEY_LENGTH:
            raise ValueError(f"{directory / ADMIN_MASTER_KEY}: expected {MASTER_KEY_LENGTH} bytes")
        return cls(
            directory,
            key(CARD_ISSUER_KEY),
            key(AUTH_CA_KEY),
            cert(AUTH_CA_CERT),
            key(SIGN_CA_KEY),
            cert(SIGN_CA_CERT),
            master,
        )

    @classmethod
    def load_or_create(cls, directory: Path) -> TestPki:
        if (Path(directory) / ADMIN_MASTER_KEY).exists():
            return cls.load(directory)
        return cls.create(directory)

    def write_issuer_trust(self, directory: Path) -> Path:
        """The kiosk's trust anchors for card authenticity (`IssuerTrust.from_directory` layout)."""
        pem = self.card_issuer_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        for ap, number in (("kenhojo", KENHOJO_ISSUER_NUMBER), ("kenkaku", KENKAKU_ISSUER_NUMBER)):
            (directory / ap).mkdir(parents=True, exist_ok=True)
            (directory / ap / f"{number}.pem").write_bytes(pem)  # public: may be rewritten
        return directory

    def __repr__(self) -> str:  # keys and the master key stay out of logs and tracebacks
        return f"TestPki({str(self.directory)!r})"
