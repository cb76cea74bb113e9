"""The demo's world, shared with the end-to-end test of the counter (tests/e2e/test_counter_e2e.py).

A renewal (更新) is only offered in the last 3 months of a user-authentication certificate that does
not end on the card's expiry day (kiosk/domain/procedures.py), and the central makes certificates
that end on the holder's 5th birthday after issuance (central/policy.py). So that a newcomer can
renew on any day, the demo's sample card is the sample adult (佐藤　健太, cardemu/residents.py) with
two things moved relative to today:

- the birthday falls `RENEWAL_LEAD` after today (the birth year stays 1985), and the card was
  issued a little over 5 years before that birthday (its expiry is then the 10th birthday after);
- the card's user-authentication certificate was issued BY THE CENTRAL back then, through the
  central's own code: a 新規発行 application from this terminal (received today), the key pair
  generated on the card and written under the central's card-admin authorisation, the on-card
  CSR, `Central.issue_certificate` with `now` = the issue day, `Central.confirm_installed`. Its end
  is therefore that 5th birthday, inside the renewal window and before the card's expiry.

The shortcut, said plainly: the central's CA hierarchy is made when the demo (or the test) first
runs, so this certificate's start predates its issuing CA's; nothing at the counter checks a card
certificate's start against its CA's. The application record says "received today" and the
certificate "issued five years ago"; the central's ledger books the issuance on that old day.
"""

from __future__ import annotations

import datetime as dt
import functools
import secrets
from dataclasses import dataclass, replace
from pathlib import Path
from zoneinfo import ZoneInfo

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy.orm import Session, sessionmaker

from appdata.envelope import seal_application
from appdata.model import ApplicationData, BasicInfo, IdentityCheck, IdentityMethod, Procedure
from cardadmin import derive_card_key
from cardemu.card import SoftCard
from cardemu.inprocess import SoftCardConnection
from cardemu.personalise import CardSpec, personalise
from cardemu.residents import ADULT, AUTH_PIN, card_expiry, resident_specs
from cardemu.staff import StaffCa, StaffCardSpec, write_staff_card
from cardemu.state import CardState
from cardemu.testpki import TestPki
from central.authority import Authority
from central.enums import CertKind
from central.service import ApplicationAuthorizer, Central
from kiosk.domain.resident import parse_yyyymmdd
from kiosk.domain.secret import Secret
from kiosk.flows.operator import StaffTrust, enroll_operator
from kiosk.reader.admin import ChallengeResponseIssuer
from kiosk.reader.csr import p10_from_card
from kiosk.reader.jpki import CertSlot, JpkiKey, JpkiPin, JpkiSession
from kiosk.reader.transport import Transport
from kiosk.store.db import make_engine, make_sessionmaker
from kiosk.store.migrate import upgrade
from lcmp import jpki_items

JST = ZoneInfo("Asia/Tokyo")
MUNICIPALITY = "13112"  # 世田谷区: the sample adult's
MUNICIPALITY_NAME = "世田谷区"
RENEWAL_LEAD = dt.timedelta(days=45)  # the certificate ends this long after today (window: 3 months)
OPERATOR_ID = "op-001"
OPERATOR_NAME = "窓口1"
STAFF_PIN = "4826"  # the demo staff card's PIN (4 digits, 3 tries)
SEED_OPERATOR = "staff-2021"  # who served the holder at the counter back then (in the application)
RECIPIENT_FILE, STAFF_CA_FILE, TRUST_DIR = "central-encryption.pem", "staff-ca.pem", "trust"
STORE_FILE = "kiosk.db"  # the kiosk store (kiosk/flows/counter/assembly.py)


@dataclass(frozen=True)
class SeededCard:
    path: Path
    spec: CardSpec
    certificate: x509.Certificate  # the user-authentication certificate the central issued
    issued_on: dt.date  # JST

    @property
    def card_id(self) -> bytes:
        return CardState.load(self.path).card_id

    @property
    def serial(self) -> str:
        return format(self.certificate.serial_number, "x")

    @property
    def ends_on(self) -> dt.date:
        return self.certificate.not_valid_after_utc.astimezone(JST).date()


def renewable_adult(today: dt.date) -> CardSpec:
    """The sample adult with the birthday `RENEWAL_LEAD` after today, the card issued just over 5
    years before that birthday."""
    base = resident_specs(today)[ADULT]
    birthday = today + RENEWAL_LEAD
    if (birthday.month, birthday.day) == (2, 29):  # a birthday that exists every year
        birthday += dt.timedelta(days=1)
    birth = dt.date(1985, birthday.month, birthday.day)
    issued = dt.date(birthday.year - 5, birthday.month, birthday.day) + dt.timedelta(days=20)
    holder = replace(base.holder, birth_date=f"{birth:%Y%m%d}")
    return replace(base, holder=holder, issue_date=issued, expiry=card_expiry(birth, issued))


def seed_renewable_card(
    path: Path,
    pki: TestPki,
    central: Central,
    *,
    terminal_id: str,
    terminal_key: rsa.RSAPrivateKey,
    today: dt.date | None = None,
) -> SeededCard:
    """Personalise the demo card (card-admin key under the central's master key, as J-LIS issues
    both), register it with the central, and give it a central-issued user-authentication
    certificate from its issue day (module docstring). Writes the card file at `path`."""
    today = today or dt.datetime.now(JST).date()
    spec = renewable_adult(today)
    state = personalise(spec, pki)
    adopt_card(central, state, path, f"demo-{state.card_id.hex()[:8]}")  # in MUNICIPALITY, the adult's

    number = secrets.randbelow(2**62 - 1) + 1  # random, as the kiosk numbers its applications
    application_id = jpki_items.application_id(terminal_id, number)
    holder = state.holder
    data = ApplicationData(
        application_id=application_id,
        procedure=Procedure.NEW_ISSUANCE,
        card_id=state.card_id.hex(),
        applicant=BasicInfo(holder.name, holder.address, parse_yyyymmdd(holder.birth_date), holder.sex),
        operator=SEED_OPERATOR,
        certificates=("auth",),
        identity_check=IdentityCheck(IdentityMethod.CARD_AND_JUKI_PIN),
    )
    now = dt.datetime.now(dt.UTC)
    sealed = seal_application(
        data,
        terminal_id=terminal_id,
        signing_key=terminal_key,
        recipient=central.authority.encryption_key.public_key(),
        now=now,
    )
    if not central.receive_application(sealed, terminal_id=terminal_id, now=now).approved:
        raise RuntimeError(f"the central refused the demo card's application {application_id}")

    issued_at = dt.datetime.combine(spec.issue_date + dt.timedelta(days=10), dt.time(10, 0), JST)
    card = SoftCard(CardState.load(path), path)  # saves what the card changes, as a real one keeps it
    connection = SoftCardConnection(card)
    try:
        jpki = JpkiSession(Transport(connection))
        issuer = ChallengeResponseIssuer(jpki, ApplicationAuthorizer(central, application_id, terminal_id))
        public_key = issuer.generate_key_pair(JpkiKey.AUTH)
        with Secret.from_ascii(AUTH_PIN) as pin:
            jpki.verify(JpkiPin.AUTH, pin)
        csr = p10_from_card(public_key, functools.partial(jpki.compute_signature, JpkiKey.AUTH))
        issued = central.issue_certificate(
            application_id, csr, CertKind.AUTH, terminal_id=terminal_id, now=issued_at
        )
        issuer.write_certificate(CertSlot.AUTH, issued.der)
        ca_der = central.authority.auth_ca.cert.public_bytes(serialization.Encoding.DER)
        issuer.write_certificate(CertSlot.AUTH_CA, ca_der)
    finally:
        connection.close()
    central.confirm_installed(issued.serial, terminal_id=terminal_id, now=issued_at + dt.timedelta(minutes=5))
    return SeededCard(path, spec, issued.certificate, issued_at.date())


def adopt_card(
    central: Central, state: CardState, path: Path, holder_ref: str, *, face_auth: bool = False
) -> CardState:
    """A software card for this central: its card-admin key derived from the central's master key
    (J-LIS issues both), saved at `path`, registered in the card's municipality."""
    state.admin_key = derive_card_key(central.authority.admin_master_key, state.card_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    state.save(path)
    expiry = parse_yyyymmdd(state.expiry)
    central.register_card(state.card_id, state.municipality, holder_ref, expiry, face_auth=face_auth)
    return state


def prepare_terminal(
    data_dir: Path, authority: Authority, pki: TestPki, staff_ca: StaffCa, staff_card: Path
) -> str:
    """The data directory around the terminal identity, as the installer and an administrator
    leave it: `write_terminal_files`, the store migrated, the staff card at `staff_card` made and
    enrolled (`make_staff_card`). Returns the operator id."""
    write_terminal_files(data_dir, authority, pki, staff_ca)
    engine = make_engine(data_dir / STORE_FILE)
    try:
        upgrade(engine)
        return make_staff_card(staff_card, staff_ca, make_sessionmaker(engine))
    finally:
        engine.dispose()


def write_terminal_files(data_dir: Path, authority: Authority, pki: TestPki, staff_ca: StaffCa) -> None:
    """What an installer puts next to the terminal identity (kiosk/flows/counter/assembly.py): the
    central's encryption certificate with its CA, the card issuer trust, the staff CA."""
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    pem = serialization.Encoding.PEM
    chain = authority.encryption_cert.public_bytes(pem) + authority.terminal_ca.cert.public_bytes(pem)
    (data_dir / RECIPIENT_FILE).write_bytes(chain)
    pki.write_issuer_trust(data_dir / TRUST_DIR)
    (data_dir / STAFF_CA_FILE).write_bytes(staff_ca.cert.public_bytes(pem))


def make_staff_card(path: Path, staff_ca: StaffCa, sessions: sessionmaker[Session]) -> str:
    """A staff card for `OPERATOR_ID` with `STAFF_PIN`, enrolled in the kiosk's store as an
    administrator would (`kiosk operator enroll`). Returns the operator id."""
    state = write_staff_card(
        path, StaffCardSpec(OPERATOR_ID, display_name=OPERATOR_NAME, pin=STAFF_PIN), staff_ca
    )
    certificate = x509.load_der_x509_certificate(state.jpki.auth_cert or b"")
    with sessions.begin() as session:
        enroll_operator(
            session,
            operator_id=OPERATOR_ID,
            display_name=OPERATOR_NAME,
            certificate=certificate,
            trust=StaffTrust((staff_ca.cert,)),
            now=dt.datetime.now(dt.UTC),
            actor="demo-setup",
        )
    return OPERATOR_ID
