"""The CA hierarchy and the central's other keys, kept as files in one directory (`central init`).

| File | What |
|---|---|
| `root.key` / `root.pem` | root CA (self-signed, pathLen 1) |
| `sign-ca.key` / `sign-ca.pem` | 署名用 issuing CA (under the root, pathLen 0) |
| `auth-ca.key` / `auth-ca.pem` | 利用者証明用 issuing CA |
| `terminal-ca.key` / `.pem` | CA for terminals (RA certificates) and the central's service certificates |
| `cmp.key` / `cmp.pem` | the central's CMP responder (EKU cmcCA) |
| `encryption.key` / `encryption.pem` | RSA key terminals encrypt application envelopes to (規則 7, 44) |
| `admin-master.key` | 32-byte card-administration master key, hex (docs/card-admin.md §2) |
| `authority.json` | organisation name and publication URL (not secret) |

Private files are 0600 inside a 0700 directory, written with O_EXCL so an existing hierarchy is
never overwritten. **Production keeps every private key here in an HSM** (PKCS#11; the CA keys
non-extractable, the master key used only inside the HSM's KBKDF/CMAC); these files are the
development and single-municipality stand-in, and the `Authority` object is the only place that
would change.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from cardadmin import MASTER_KEY_LENGTH
from central import profiles
from central.enums import CaName
from central.profiles import Issuer, Publication
from central.timeutil import require_aware, whole_seconds

DEFAULT_ORGANIZATION = "JPKI-TEST"  # not J-LIS: a deployment sets its own name
DEFAULT_PUBLICATION_URL = "http://pki.jpki.test"
ROOT_BITS, CA_BITS, SERVICE_BITS = 4096, 3072, 3072
ROOT_YEARS, CA_YEARS, SERVICE_YEARS = 30, 25, 5

_CA_FILES = {
    CaName.ROOT: "root",
    CaName.SIGN: "sign-ca",
    CaName.AUTH: "auth-ca",
    CaName.TERMINAL: "terminal-ca",
}
CMP, ENCRYPTION, MASTER, SETTINGS = "cmp", "encryption", "admin-master.key", "authority.json"


@dataclass(frozen=True)
class Settings:
    organization: str = DEFAULT_ORGANIZATION
    publication_url: str = DEFAULT_PUBLICATION_URL
    crl_validity: dt.timedelta = dt.timedelta(hours=48)  # nextUpdate; regenerate well before it
    terminal_validity: dt.timedelta = dt.timedelta(days=3 * 365)

    @property
    def publication(self) -> Publication:
        return Publication(self.publication_url)

    def to_json(self) -> str:
        return json.dumps(
            {
                "organization": self.organization,
                "publication_url": self.publication_url,
                "crl_validity_hours": self.crl_validity.total_seconds() / 3600,
                "terminal_validity_days": self.terminal_validity.days,
            },
            ensure_ascii=False,
            indent=2,
        )

    @classmethod
    def from_json(cls, text: str) -> Settings:
        obj = json.loads(text)
        return cls(
            organization=obj["organization"],
            publication_url=obj["publication_url"],
            crl_validity=dt.timedelta(hours=obj["crl_validity_hours"]),
            terminal_validity=dt.timedelta(days=obj["terminal_validity_days"]),
        )


@dataclass(frozen=True)
class Authority:
    directory: Path
    settings: Settings
    root: Issuer
    sign_ca: Issuer
    auth_ca: Issuer
    terminal_ca: Issuer
    cmp_key: rsa.RSAPrivateKey
    cmp_cert: x509.Certificate
    encryption_key: rsa.RSAPrivateKey
    encryption_cert: x509.Certificate
    admin_master_key: bytes

    def __repr__(self) -> str:  # keys stay out of logs and tracebacks
        return f"Authority({str(self.directory)!r})"

    def issuer(self, ca: CaName) -> Issuer:
        return {
            CaName.ROOT: self.root,
            CaName.SIGN: self.sign_ca,
            CaName.AUTH: self.auth_ca,
            CaName.TERMINAL: self.terminal_ca,
        }[ca]

    @property
    def publication(self) -> Publication:
        return self.settings.publication

    def chain(self, ca: CaName) -> list[x509.Certificate]:
        """The issuing CA's certificate and the root (for CMP extraCerts / caPubs)."""
        return [self.root.cert] if ca is CaName.ROOT else [self.issuer(ca).cert, self.root.cert]

    # -- creation -------------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        directory: Path,
        *,
        settings: Settings | None = None,
        now: dt.datetime | None = None,
        root_bits: int = ROOT_BITS,
        ca_bits: int = CA_BITS,
    ) -> Authority:
        directory = Path(directory)
        settings = settings or Settings()
        start = whole_seconds(require_aware(now) if now else dt.datetime.now(dt.UTC))
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(directory, 0o700)  # mkdir's mode is masked by umask and ignored if it existed
        if any(directory.iterdir()):
            raise FileExistsError(f"{directory} is not empty; an existing hierarchy is never overwritten")

        def years(n: int) -> dt.datetime:
            return start + dt.timedelta(days=365 * n + n // 4)

        org, pub = settings.organization, settings.publication
        root_key = _new_key(root_bits)
        root = Issuer(
            CaName.ROOT, root_key, profiles.root_certificate(root_key, org, start, years(ROOT_YEARS))
        )
        issuers = {CaName.ROOT: root}
        for ca in (CaName.SIGN, CaName.AUTH, CaName.TERMINAL):
            key = _new_key(ca_bits)
            cert = profiles.subordinate_ca_certificate(
                root, pub, ca, key.public_key(), organization=org, not_before=start, not_after=years(CA_YEARS)
            )
            issuers[ca] = Issuer(ca, key, cert)
        terminal_ca = issuers[CaName.TERMINAL]
        cmp_key, enc_key = _new_key(SERVICE_BITS), _new_key(SERVICE_BITS)
        cmp_cert = profiles.service_certificate(
            terminal_ca,
            pub,
            cmp_key.public_key(),
            organization=org,
            common_name="JPKI CMP responder",
            purpose="cmp",
            not_before=start,
            not_after=years(SERVICE_YEARS),
        )
        enc_cert = profiles.service_certificate(
            terminal_ca,
            pub,
            enc_key.public_key(),
            organization=org,
            common_name="JPKI application encryption",
            purpose="encryption",
            not_before=start,
            not_after=years(SERVICE_YEARS),
        )
        master = secrets.token_bytes(MASTER_KEY_LENGTH)

        for ca, base in _CA_FILES.items():
            _write_key(directory / f"{base}.key", issuers[ca].key)
            _write(directory / f"{base}.pem", _pem(issuers[ca].cert), 0o644)
        _write_key(directory / f"{CMP}.key", cmp_key)
        _write(directory / f"{CMP}.pem", _pem(cmp_cert), 0o644)
        _write_key(directory / f"{ENCRYPTION}.key", enc_key)
        _write(directory / f"{ENCRYPTION}.pem", _pem(enc_cert), 0o644)
        _write(directory / MASTER, master.hex().encode() + b"\n", 0o600)
        _write(directory / SETTINGS, settings.to_json().encode() + b"\n", 0o644)
        return cls.load(directory)

    @classmethod
    def load(cls, directory: Path) -> Authority:
        directory = Path(directory)
        settings = Settings.from_json((directory / SETTINGS).read_text(encoding="utf-8"))
        issuers = {
            ca: Issuer(ca, _load_key(directory / f"{base}.key"), _load_cert(directory / f"{base}.pem"))
            for ca, base in _CA_FILES.items()
        }
        for issuer in issuers.values():
            _check_pair(issuer.key, issuer.cert)
        cmp_key, cmp_cert = _load_key(directory / f"{CMP}.key"), _load_cert(directory / f"{CMP}.pem")
        enc_key, enc_cert = (
            _load_key(directory / f"{ENCRYPTION}.key"),
            _load_cert(directory / f"{ENCRYPTION}.pem"),
        )
        _check_pair(cmp_key, cmp_cert)
        _check_pair(enc_key, enc_cert)
        master = bytes.fromhex((directory / MASTER).read_text(encoding="ascii").strip())
        if len(master) != MASTER_KEY_LENGTH:
            raise ValueError(f"{directory / MASTER}: expected {MASTER_KEY_LENGTH} bytes")
        return cls(
            directory,
            settings,
            issuers[CaName.ROOT],
            issuers[CaName.SIGN],
            issuers[CaName.AUTH],
            issuers[CaName.TERMINAL],
            cmp_key,
            cmp_cert,
            enc_key,
            enc_cert,
            master,
        )


def _new_key(bits: int) -> rsa.RSAPrivateKey:
    if bits < 2048:
        raise ValueError("CA keys must be at least RSA-2048 (規則 2, 38)")
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _write(path: Path, data: bytes, mode: int) -> None:
    # O_EXCL: never overwrite; mode given at creation, so the file is never briefly world-readable.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.chmod(path, mode)  # the creation mode is masked by the umask


def _write_key(path: Path, key: rsa.RSAPrivateKey) -> None:
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    _write(path, pem, 0o600)


def _load_key(path: Path) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError(f"{path}: expected an RSA private key")
    return key


def _load_cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def _check_pair(key: rsa.RSAPrivateKey, cert: x509.Certificate) -> None:
    if cert.public_key() != key.public_key():
        raise ValueError("a key file does not match its certificate")
