"""The world the flow tests run in (a uniquely named module: test directories are not packages).

- `CentralServer`: the real central — CA hierarchy, SQLite database, CMP intake — served over
  HTTPS with mutual TLS from a thread of this process, with one bootstrapped terminal.
- `Reader`: a software card in an in-process reader that a test can pull out mid-command.
- `Kiosk`: the kiosk's store, its link to the central and the outbox relay, and a restart.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from kiosk_store_fixtures import FakeClock
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from testkit import auth_issuance, write_pem

from appdata.envelope import seal_application
from cardadmin import derive_card_key
from cardemu.authority import DevAuthority
from cardemu.card import SoftCard
from cardemu.inprocess import SoftCardConnection
from cardemu.state import CardState
from central import migrate
from central.authority import Authority
from central.cmp_intake import CmpIntake
from central.db import make_engine as make_central_engine
from central.enums import CertKind
from central.httpd import CentralHttpServer, serve_in_thread, server_ssl_context
from central.models import Certificate
from central.service import Central
from central.tls import ensure_server_tls
from kiosk.domain.resident import parse_yyyymmdd
from kiosk.domain.secret import Secret
from kiosk.flows import issuance
from kiosk.flows.ports import CARD_KEYS, PresentCard
from kiosk.flows.recovery import RecoveryReport, recover
from kiosk.flows.responses import CertificateResponses
from kiosk.reader.admin import ChallengeResponseIssuer
from kiosk.reader.csr import p10_from_card
from kiosk.reader.jpki import CertSlot, JpkiKey, JpkiSession
from kiosk.reader.transport import Transport
from kiosk.store.db import make_engine, make_sessionmaker
from kiosk.store.models import (
    Application,
    ApplicationState,
    CertificateKind,
    IssuanceJournal,
    IssuanceStep,
    OutboxMessage,
    OutboxState,
    ProcedureKind,
)
from kiosk.store.sealed import Sealer
from kiosk.sync import journal
from kiosk.sync.bootstrap import identity_in
from kiosk.sync.central import CentralLink, CmpAdminAuthorizer, TerminalIdentity
from kiosk.sync.journal import DEFAULT_POLICY, RecoveryPolicy
from kiosk.sync.relay import Relay
from lcmp import jpki_items

TERMINAL = "kiosk-flows-01"
MUNICIPALITY = "13112"
NUMBER = 1  # this terminal's application number for the adult's application
AUTH_PIN = "1234"  # the software residents' 利用者証明用 PIN
SIGN_PIN = "ABC123"  # and their 署名用 PIN


@dataclass
class CentralServer:
    central: Central
    url: str
    identity: TerminalIdentity
    terminal_key: rsa.RSAPrivateKey
    intake: CmpIntake

    def link(self) -> CentralLink:
        return CentralLink(self.url, self.identity, timeout=10)

    def certificates(self, number: int) -> list[Certificate]:
        """The central's certificates of this terminal's application `number`."""
        app_id = jpki_items.application_id(TERMINAL, number)
        with self.central.transaction() as s:
            return list(s.scalars(select(Certificate).where(Certificate.application_id == app_id)))

    def approve(self, card: CardState, number: int, certificates: tuple[str, ...] = ("auth",)) -> None:
        """The card registered and an approved 新規発行 application for its 利用者証明用 certificate
        (or `certificates`)."""
        self.central.register_card(
            card.card_id, MUNICIPALITY, f"holder-{number}", parse_yyyymmdd(card.expiry)
        )
        data = auth_issuance(card, TERMINAL, number, certificates)
        sealed = seal_application(
            data,
            terminal_id=TERMINAL,
            signing_key=self.terminal_key,
            recipient=self.central.authority.encryption_key.public_key(),
            now=dt.datetime.now(dt.UTC),
        )
        assert self.central.receive_application(sealed, terminal_id=TERMINAL).approved


def enrol(
    central: Central, terminal_id: str, municipality: str, directory: Path, **registration: Any
) -> tuple[TerminalIdentity, rsa.RSAPrivateKey]:
    """A terminal registered and bootstrapped at the central, its identity files in `directory`.
    `registration`: the central's registration options (an unattended terminal's mode and PINs)."""
    secret = central.register_terminal(terminal_id, municipality, **registration)
    terminal_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, terminal_id)]))
        .sign(terminal_key, hashes.SHA256())
    )
    issued = central.bootstrap_terminal(terminal_id, secret, csr)
    authority = central.authority
    directory.mkdir(mode=0o700, parents=True)
    identity = identity_in(directory)  # the file names `kiosk terminal bootstrap` writes
    write_pem(identity.key_file, terminal_key)
    write_pem(identity.cert_file, issued.certificate, authority.terminal_ca.cert)
    write_pem(identity.central_root_file, authority.root.cert)
    return identity, terminal_key


@contextmanager
def central_server(directory: Path, *, deferred: bool = False) -> Iterator[CentralServer]:
    """As `central serve` runs it (TLS asking for the terminal certificate), bound to 127.0.0.1:0.
    `deferred`: as with --deferred-issuance, without its worker (the test calls `issue_pending`)."""
    authority = Authority.create(directory / "ca", root_bits=2048, ca_bits=2048)
    db_url = f"sqlite:///{directory / 'central.db'}"
    migrate.upgrade(db_url)
    central = Central(authority, make_central_engine(db_url))
    central.add_municipality(MUNICIPALITY, "世田谷区")
    identity, terminal_key = enrol(central, TERMINAL, MUNICIPALITY, directory / "terminal")
    tls = ensure_server_tls(authority, ["127.0.0.1"])
    context = server_ssl_context(str(tls.cert_chain), str(tls.key), str(tls.client_ca))
    intake = CmpIntake(central, deferred_issuance=deferred, check_after=60)
    server = CentralHttpServer(("127.0.0.1", 0), intake, context)
    thread = serve_in_thread(server)
    try:
        url = f"https://127.0.0.1:{server.server_address[1]}/pkix/"
        yield CentralServer(central, url, identity, terminal_key, intake)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
        central.close()


class Slot:
    """An in-process reader a window opens (`open`, as the reader monitor's opener would): each
    open powers up the card in it; `put` puts another card (or the same, reloaded) in."""

    def __init__(self, path: Path) -> None:
        self.put(path)

    def put(self, path: Path) -> None:
        self.card = SoftCard(CardState.load(path), path)

    def open(self) -> SoftCardConnection:
        return SoftCardConnection(self.card)


class Reader:
    """An in-process reader holding a software card (`kiosk.reader.connection.CardConnection`).

    `pull_at(ins)` takes the card out just as the next command with that INS would reach it, as a
    holder snatching the card mid-write would; `insert()` puts it back (a fresh power-up)."""

    def __init__(self, card: SoftCard) -> None:
        self.card = card
        self._pull_at: int | None = None
        self.insert()

    def insert(self) -> None:
        self._connection = SoftCardConnection(self.card)
        self.jpki = JpkiSession(Transport(self))

    def pull_at(self, ins: int) -> None:
        self._pull_at = ins

    @property
    def atr(self) -> bytes:
        return self._connection.atr

    @property
    def supports_extended_length(self) -> bool:
        return self._connection.supports_extended_length

    def transmit(self, apdu: bytes | bytearray) -> bytes:
        if self._pull_at is not None and apdu[1] == self._pull_at:
            self._pull_at = None
            self._connection.pull()
        return self._connection.transmit(apdu)

    def close(self) -> None:
        self._connection.close()

    @property
    def card_id(self) -> str:
        return self.card.state.card_id.hex()

    def present(self, link: CentralLink) -> PresentCard:
        return PresentCard(self.card_id, self.jpki, functools.partial(CmpAdminAuthorizer, link))

    def auth_certificate(self) -> bytes:
        return self.jpki.read_certificate_der(CertSlot.AUTH)

    def replace_auth_key(self, master_key: bytes) -> None:
        """Another 利用者証明用 key pair, made outside the application under test (as a later
        更新 elsewhere would), authorised straight from the master key. Its old certificate goes."""
        ChallengeResponseIssuer(self.jpki, DevAuthority(master_key)).generate_key_pair(JpkiKey.AUTH)

    def request_csr(
        self, link: CentralLink, number: int, key: JpkiKey = JpkiKey.AUTH
    ) -> x509.CertificateSigningRequest:
        """A new key pair on the card (authorised by the central) and its on-card CSR."""
        issuer = ChallengeResponseIssuer(self.jpki, CmpAdminAuthorizer(link, number))
        public_key = issuer.generate_key_pair(key)
        with Secret.from_ascii(AUTH_PIN if key is JpkiKey.AUTH else SIGN_PIN) as pin:
            self.jpki.verify(key.pin, pin)
        return p10_from_card(public_key, functools.partial(self.jpki.compute_signature, key))


def reader_for(card_path: Path, central: Central) -> Reader:
    """The card, personalised under this central's card-admin master key (J-LIS issues both)."""
    state = CardState.load(card_path)
    state.admin_key = derive_card_key(central.authority.admin_master_key, state.card_id)
    state.save(card_path)
    return Reader(SoftCard(state, card_path))


@dataclass
class Kiosk:
    db_path: Path
    sessions: sessionmaker[Session]
    sealer: Sealer
    clock: FakeClock
    server: CentralServer
    link: CentralLink = field(init=False)
    relay: Relay = field(init=False)

    def __post_init__(self) -> None:
        self.link = self.server.link()
        self.relay = Relay(
            self.sessions,
            self.link.send,
            verify_receipt=self.link.verify_receipt,
            on_settled=CertificateResponses(self.sealer, self.link, clock=self.clock),
            clock=self.clock,
        )

    def restarted(self) -> Kiosk:
        """A fresh process on the same files: new engine, new link, new relay."""
        return Kiosk(
            self.db_path,
            make_sessionmaker(make_engine(self.db_path)),
            self.sealer,
            self.clock,
            self.server,
        )

    def application(self) -> uuid.UUID:
        """The local application row the journal entries hang off (its payload sealed)."""
        with self.sessions.begin() as s:
            app = Application(kind=ProcedureKind.NEW_ISSUANCE, state=ApplicationState.SUBMITTED)
            app.seal_payload(self.sealer, b"the sealed application envelope")
            s.add(app)
            s.flush()
            return app.id

    def request(self, reader: Reader, number: int, kind: CertificateKind = CertificateKind.AUTH) -> uuid.UUID:
        csr = reader.request_csr(self.link, number, CARD_KEYS[kind])
        return issuance.request_certificate(
            self.sessions,
            self.link,
            application_id=self.application(),
            application_number=number,
            card_id=reader.card_id,
            cert_kind=kind,
            csr=csr,
            now=self.clock(),
        )

    def recover(
        self, card: PresentCard | None = None, policy: RecoveryPolicy = DEFAULT_POLICY
    ) -> RecoveryReport:
        return recover(self.sessions, self.sealer, self.link, now=self.clock(), card=card, policy=policy)

    def entry(self, entry_id: uuid.UUID) -> IssuanceJournal:
        with self.sessions.begin() as s:
            return journal.get(s, entry_id)

    def step(self, entry_id: uuid.UUID) -> IssuanceStep:
        return self.entry(entry_id).step

    def certificate(self, entry_id: uuid.UUID) -> bytes:
        return self.entry(entry_id).open_certificate(self.sealer)

    def outbox(self) -> list[tuple[str, OutboxState]]:
        with self.sessions.begin() as s:
            rows = s.scalars(select(OutboxMessage).order_by(OutboxMessage.seq))
            return [(m.kind, m.state) for m in rows]

    def outbox_payload(self, kind: str) -> bytes:
        with self.sessions.begin() as s:
            return s.scalars(select(OutboxMessage.payload).where(OutboxMessage.kind == kind)).one()


def one_auth_certificate(server: CentralServer, number: int) -> Certificate:
    """Exactly one certificate for the application, a 利用者証明用 one."""
    rows = server.certificates(number)
    assert [r.kind for r in rows] == [CertKind.AUTH]
    return rows[0]
