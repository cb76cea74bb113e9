"""Staff cards: JPKI-shaped cards whose 利用者証明用 key and certificate come from the municipality's
own staff CA, for operator authentication at the counter terminal (docs/staff-console.md).

The test staff CA is kept as files, like the test PKI (`cardemu.testpki`): `staff-ca.key` (0600)
and `staff-ca.pem` in a 0700 directory. The kiosk is configured with `staff-ca.pem` only.

A staff card holds only the JPKI AP, personalised the way `cardemu.personalise` does a resident's:
the auth key born on the card, the staff certificate in EF 000A, the staff CA certificate in EF
000B, the 4-digit auth PIN with 3 tries (the card keeps the lock-out counter, so a lock-out follows
the card to every terminal). No signing key or certificate (the signing PIN is random and blocked),
and no 券面/住基 data: those APs select but every read is "file not found". Nothing here is real:
the names carry `O=JPKI-KIOSK-TEST`.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from cardadmin import MASTER_KEY_LENGTH, derive_card_key
from cardemu.jpki_certs import JST
from cardemu.personalise import AUTH_PIN_TRIES, DEFAULT_AUTH_PIN, SIGN_PIN_TRIES
from cardemu.state import ApState, CardState, Holder, JpkiState, PinState
from cardemu.testpki import (
    CA_NOT_AFTER,
    CA_NOT_BEFORE,
    ca_certificate,
    load_private_pem,
    new_rsa_key,
    private_pem,
    write_exclusive,
)
from kiosk.flows.operator import valid_operator_id

STAFF_CA_KEY, STAFF_CA_CERT = "staff-ca.key", "staff-ca.pem"
DEFAULT_MUNICIPALITY = "13112"
DEFAULT_DISPLAY_NAME = "窓口　職員"
DEFAULT_VALIDITY = timedelta(days=3 * 365)  # ours: a staff card is re-issued with the staff ID card
_TEST_ORG = "JPKI-KIOSK-TEST"
_SIGN_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def staff_ca_name(municipality: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, _TEST_ORG),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, f"Municipality {municipality}"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"Counter staff CA {municipality}"),
        ]
    )


@dataclass(frozen=True)
class StaffCa:
    """The municipality's staff CA (test only): signs the staff cards' authentication certificates."""

    __test__ = False  # a library class, not a pytest test class

    directory: Path
    key: rsa.RSAPrivateKey
    cert: x509.Certificate

    @property
    def cert_path(self) -> Path:
        return self.directory / STAFF_CA_CERT

    @classmethod
    def create(cls, directory: Path, municipality: str = DEFAULT_MUNICIPALITY) -> StaffCa:
        directory = Path(directory)
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        clash = [name for name in (STAFF_CA_KEY, STAFF_CA_CERT) if (directory / name).exists()]
        if clash:
            raise FileExistsError(f"{directory} already holds a staff CA ({', '.join(clash)}); use load()")
        key = new_rsa_key()
        cert = ca_certificate(staff_ca_name(municipality), key)
        write_exclusive(directory / STAFF_CA_KEY, private_pem(key).encode(), 0o600)
        write_exclusive(directory / STAFF_CA_CERT, cert.public_bytes(serialization.Encoding.PEM), 0o644)
        return cls(directory, key, cert)

    @classmethod
    def load(cls, directory: Path) -> StaffCa:
        directory = Path(directory)
        key = load_private_pem((directory / STAFF_CA_KEY).read_bytes())
        cert = x509.load_pem_x509_certificate((directory / STAFF_CA_CERT).read_bytes())
        return cls(directory, key, cert)

    @classmethod
    def load_or_create(cls, directory: Path, municipality: str = DEFAULT_MUNICIPALITY) -> StaffCa:
        if (Path(directory) / STAFF_CA_KEY).exists():
            return cls.load(directory)
        return cls.create(directory, municipality)

    def __repr__(self) -> str:  # the key stays out of logs and tracebacks
        return f"StaffCa({str(self.directory)!r})"


def staff_certificate(
    ca: StaffCa, key: rsa.RSAPublicKey, operator_id: str, *, start: dt.datetime, end: dt.datetime
) -> x509.Certificate:
    """The staff card's 利用者証明用-slot certificate: CN = the operator id, for client authentication."""
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, _TEST_ORG),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Counter staff"),
            x509.NameAttribute(NameOID.COMMON_NAME, operator_id),
        ]
    )
    return (
        x509.CertificateBuilder()
        .issuer_name(ca.cert.subject)
        .subject_name(subject)
        .public_key(key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False
        )
        .sign(ca.key, hashes.SHA256())
    )


def _default_issue_date() -> date:
    return date.today()


@dataclass(frozen=True)
class StaffCardSpec:
    operator_id: str  # the certificate's CN; what `kiosk operator enroll` proposes as the id
    display_name: str = DEFAULT_DISPLAY_NAME  # card-file metadata only: never on the card's interface
    pin: str = DEFAULT_AUTH_PIN  # 4 digits
    issue_date: date = field(default_factory=_default_issue_date)
    expiry: date | None = None  # last valid day; default issue date + DEFAULT_VALIDITY
    municipality: str = DEFAULT_MUNICIPALITY
    pin_tries_left: int = AUTH_PIN_TRIES  # 0 = a card locked out by wrong PINs

    def __post_init__(self) -> None:
        problems = []
        if not valid_operator_id(self.operator_id):  # the kiosk's rule: enrolment proposes the CN
            problems.append("operator_id: 1–64 of A–Z a–z 0–9 . _ -, starting with a letter or digit")
        if not (len(self.pin) == 4 and self.pin.isascii() and self.pin.isdigit()):
            problems.append("pin: 4 digits")  # the value itself never appears in messages
        if not self.issue_date < self.last_day:
            problems.append("expiry: must be after the issue date")
        if not 0 <= self.pin_tries_left <= AUTH_PIN_TRIES:
            problems.append(f"pin_tries_left: 0–{AUTH_PIN_TRIES}")
        if not (len(self.municipality) == 5 and self.municipality.isdigit()):
            problems.append("municipality: 5 digits")
        if problems:
            raise ValueError("invalid StaffCardSpec: " + "; ".join(problems))

    @property
    def last_day(self) -> date:
        return self.expiry if self.expiry is not None else self.issue_date + DEFAULT_VALIDITY

    def validity(self) -> tuple[dt.datetime, dt.datetime]:
        """Issue day 00:00 JST to the last day 23:59:59 JST, as the resident cards' certificates."""
        start = dt.datetime.combine(self.issue_date, dt.time(0, 0), JST)
        end = dt.datetime.combine(self.last_day, dt.time(23, 59, 59), JST)
        return start.astimezone(dt.UTC), end.astimezone(dt.UTC)

    def __repr__(self) -> str:  # the PIN stays out of logs and assertion messages
        return f"StaffCardSpec(operator_id={self.operator_id!r}, last_day={self.last_day})"


def personalise_staff_card(spec: StaffCardSpec, ca: StaffCa) -> CardState:
    start, end = spec.validity()
    if start < CA_NOT_BEFORE or end > CA_NOT_AFTER:
        raise ValueError("the staff card's validity must lie inside the staff CA's")
    card_id = secrets.token_bytes(16)
    key = new_rsa_key()
    cert = staff_certificate(ca, key.public_key(), spec.operator_id, start=start, end=end)
    der = serialization.Encoding.DER
    jpki = JpkiState(
        auth_pin=PinState(value=spec.pin, max_tries=AUTH_PIN_TRIES, tries_left=spec.pin_tries_left),
        # No signing function on a staff card: a PIN nobody knows, blocked, guarding no key.
        sign_pin=PinState(
            value="".join(secrets.choice(_SIGN_ALPHABET) for _ in range(16)),
            max_tries=SIGN_PIN_TRIES,
            tries_left=0,
        ),
        auth_key=private_pem(key),
        auth_cert=cert.public_bytes(der),
        auth_ca_cert=ca.cert.public_bytes(der),
    )
    return CardState(
        card_id=card_id,
        # Administered by nobody: the card key derives from a master key that is thrown away.
        admin_key=derive_card_key(secrets.token_bytes(MASTER_KEY_LENGTH), card_id),
        # Test metadata only (the card exposes none of it); no resident data on a staff card.
        holder=Holder(name=spec.display_name, name_kana="", address="", birth_date="", sex="9", my_number=""),
        jpki=jpki,
        kenhojo=ApState(),
        kenkaku=ApState(),
        juki=ApState(),
        expiry=f"{spec.last_day:%Y%m%d}",
        municipality=spec.municipality,
    )


def write_staff_card(path: Path, spec: StaffCardSpec, ca: StaffCa) -> CardState:
    """Personalise and save a staff card file (0600, like every card file)."""
    state = personalise_staff_card(spec, ca)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state.save(path)
    return state
