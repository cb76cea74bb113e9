"""The running terminal put together from its data directory: store, data key, terminal identity,
central link, the background sync (relay, recovery, notices) and the counter's wiring.

    <data dir>/kiosk.db            the kiosk store (migrated on start)
    <data dir>/data.key            sealing key of personal data at rest (0600, made on first start)
    <data dir>/terminal/           terminal.key, terminal.pem, central-root.pem (from bootstrap)
    <data dir>/central-encryption.pem   the central's application-encryption certificate
    <data dir>/trust/              card issuer keys for the authenticity check (optional)
    <data dir>/staff-ca.pem        the staff CA operators' cards chain to
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from kiosk.flows.background import SyncService, reader_card
from kiosk.flows.counter.terminal import CounterTerminal, load_recipient
from kiosk.reader.authenticity import IssuerTrust
from kiosk.store.db import make_engine, make_sessionmaker
from kiosk.store.migrate import upgrade
from kiosk.store.sealed import Sealer, load_or_create_data_key
from kiosk.sync.bootstrap import identity_in
from kiosk.sync.central import CentralLink


@dataclass(frozen=True)
class TerminalConfig:
    data_dir: Path
    terminal_id: str
    central_url: str
    resident_reader: str | None = None  # None: the reader that has a card
    staff_reader: str | None = None  # None: operators use the resident reader
    camera: str | None = None  # device index, file or URL for the face check; None: no face check

    @property
    def database(self) -> Path:
        return self.data_dir / "kiosk.db"

    @property
    def identity_dir(self) -> Path:
        return self.data_dir / "terminal"

    @property
    def recipient_file(self) -> Path:
        return self.data_dir / "central-encryption.pem"

    @property
    def trust_dir(self) -> Path:
        return self.data_dir / "trust"

    @property
    def staff_ca_file(self) -> Path:
        return self.data_dir / "staff-ca.pem"


@dataclass
class RunningTerminal:
    config: TerminalConfig
    counter: CounterTerminal
    sync: SyncService
    reads: sessionmaker[Session]  # read-only: the console's views never open a write transaction

    def stop(self) -> None:
        self.sync.stop()


def open_terminal(config: TerminalConfig) -> RunningTerminal:
    """Everything but the UI; the background sync is started (recovery of what needs no card first)."""
    engine = make_engine(config.database)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    sealer = Sealer(load_or_create_data_key(config.data_dir))
    identity = identity_in(config.identity_dir)
    link = CentralLink(config.central_url, identity)
    key, _chain, root = identity.load()
    sync = SyncService(
        sessions,
        sealer,
        link,
        send=link.send,
        verify_receipt=link.verify_receipt,
        open_card=reader_card(link, config.resident_reader),
    )
    trust = IssuerTrust.from_directory(config.trust_dir) if config.trust_dir.is_dir() else None
    counter = CounterTerminal(
        sessions=sessions,
        sealer=sealer,
        link=link,
        relay=sync.relay,
        terminal_id=config.terminal_id,
        signing_key=key,
        recipient=load_recipient(config.recipient_file, root),
        trust=trust,
    )
    sync.start()
    return RunningTerminal(config, counter, sync, make_sessionmaker(engine, readonly=True))
