"""The kiosk process SIGKILLed at each point of an issuance, then started again with the card in the
reader: the relay and the recovery worker finish it. The card is in pcscd/vpcd, the central is its
own process. Every time: the application once, exactly one certificate, installed, on the card,
the journal CONFIRMED and the outbox delivered.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from cryptography import x509
from e2e_support import MUNICIPALITY, ROOT, TERMINAL, CentralProcess, now
from issuance_child import POINTS
from sqlalchemy import func, select
from testkit import auth_issuance

import lcmp
from appdata.envelope import seal_application
from cardadmin import derive_card_key
from cardemu.state import CardState
from central.enums import AuthorizationOutcome, CaName
from central.models import AdminAuthorization, Certificate
from kiosk.domain.resident import parse_yyyymmdd
from kiosk.flows.background import SyncService, reader_card
from kiosk.reader.errors import CardError
from kiosk.reader.pcsc import ReaderMonitor, open_card
from kiosk.store.db import make_engine, make_sessionmaker
from kiosk.store.migrate import upgrade
from kiosk.store.models import (
    Application,
    ApplicationState,
    IssuanceJournal,
    IssuanceStep,
    OutboxMessage,
    OutboxState,
    ProcedureKind,
)
from kiosk.store.sealed import Sealer, load_or_create_data_key
from kiosk.sync.central import CentralLink
from kiosk.sync.journal import RecoveryAction
from kiosk.sync.outbox import Outgoing, enqueue_outgoing
from kiosk.sync.relay import Relay
from lcmp import jpki_items

pytestmark = pytest.mark.pcsc
NUMBER = 7
CHILD = Path(__file__).with_name("issuance_child.py")


def _child(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(CHILD.parent)]))
    return subprocess.run(
        [sys.executable, str(CHILD), *args], capture_output=True, text=True, timeout=120, env=env, check=False
    )


def _prepare(central_process: CentralProcess, card_file, pcsc_harness, tmp_path: Path) -> tuple[Path, Path]:
    """Card personalised under this central, inserted and registered; the application delivered.
    Returns the child's state file and the card's state file."""
    with central_process.central() as central:
        card_path = card_file("adult")
        card = CardState.load(card_path)
        card.admin_key = derive_card_key(central.authority.admin_master_key, card.card_id)
        card.save(card_path)
        central.register_card(card.card_id, MUNICIPALITY, "holder-faults", parse_yyyymmdd(card.expiry))
        recipient = central.authority.encryption_key.public_key()
    pcsc_harness.insert(card_path)

    # -- the application reaches the central (not under test here) ----------------------------
    db = tmp_path / "kiosk.db"
    engine = make_engine(db)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    sealer = Sealer(load_or_create_data_key(tmp_path / "kiosk-data"))
    identity = central_process.identity
    link = CentralLink(central_process.url, identity)
    data = auth_issuance(card, TERMINAL, NUMBER)
    key, _chain, _root = identity.load()
    sealed = seal_application(data, terminal_id=TERMINAL, signing_key=key, recipient=recipient, now=now())
    local_id = uuid.uuid4()
    with sessions.begin() as s:
        row = Application(id=local_id, kind=ProcedureKind.NEW_ISSUANCE, state=ApplicationState.SUBMITTED)
        row.seal_payload(sealer, sealed.encode())
        s.add(row)
        genm = link.client.prepare_genm(
            (lcmp.InfoTypeAndValue.utf8(jpki_items.APPLICATION_ENVELOPE, sealed),)
        )
        enqueue_outgoing(s, Outgoing("genm", genm), now=now())
    Relay(sessions, link.send, verify_receipt=link.verify_receipt).drain()
    engine.dispose()

    state = tmp_path / "state.json"
    state.write_text(json.dumps({
        "kiosk_db": str(db), "data_dir": str(tmp_path / "kiosk-data"), "central_url": central_process.url,
        "key_file": str(identity.key_file), "cert_file": str(identity.cert_file),
        "root_file": str(identity.central_root_file),
        "application_id": str(local_id), "application_number": NUMBER,
    }))  # fmt: skip
    return state, card_path


@pytest.mark.parametrize("kill_at", POINTS)
def test_kiosk_killed_and_restarted(
    kill_at: str, central_process: CentralProcess, card_file, pcsc_harness, tmp_path: Path
) -> None:
    state, card_path = _prepare(central_process, card_file, pcsc_harness, tmp_path)
    db = tmp_path / "kiosk.db"
    # -- the kiosk dies at `kill_at`, then starts again with the card still in the reader --------
    died = _child("run", str(state), kill_at)
    assert died.returncode == -signal.SIGKILL, died.stdout + died.stderr
    restarted = _child("recover", str(state))
    assert restarted.returncode == 0, restarted.stdout + restarted.stderr

    # -- one certificate, installed, on the card; the journal and the outbox finished -----------
    app_id = jpki_items.application_id(TERMINAL, NUMBER)
    with central_process.central() as central, central.transaction() as s:
        certs = s.scalars(select(Certificate).where(Certificate.application_id == app_id)).all()
        assert len(certs) == 1, [c.serial for c in certs]
        assert certs[0].installed_at is not None
        issued = certs[0].der
        write_grants = s.scalar(
            select(func.count()).where(
                AdminAuthorization.application_id == app_id,
                AdminAuthorization.outcome != AuthorizationOutcome.REFUSED,
                AdminAuthorization.reason == "write-again",
            )
        )
    assert CardState.load(card_path).jpki.auth_cert == issued
    x509.load_der_x509_certificate(issued)  # well-formed
    assert write_grants == (1 if kill_at == "granted_not_written" else 0)
    steps, outbox = _journal(db)
    assert steps == [IssuanceStep.CONFIRMED]
    assert outbox and set(outbox) == {OutboxState.SENT}
    pcsc_harness.remove()


def _wait_released(timeout: float = 10.0) -> None:
    """Until pcscd has cleaned up after the killed process (its exclusive connection). Pulling the
    virtual card during that cleanup leaves vpcd deaf to the next insertion — a limit of the
    pcscd + vpcd emulation (docs/card-emulation.md), not of a real reader; a resident takes
    longer than this anyway."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with open_card():
                return
        except CardError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _journal(db: Path) -> tuple[list[IssuanceStep], list[OutboxState]]:
    engine = make_engine(db)
    try:
        with make_sessionmaker(engine)() as s:
            return list(s.scalars(select(IssuanceJournal.step))), list(s.scalars(select(OutboxMessage.state)))
    finally:
        engine.dispose()


@pytest.mark.parametrize("kill_at", ["received", "written"])
def test_orphan_is_revoked_as_destroyed(
    kill_at: str, central_process: CentralProcess, card_file, pcsc_harness, tmp_path: Path
) -> None:
    """The kiosk dies with an issued certificate not (or not surely) on the card, and the card
    never comes back: the restarted kiosk revokes it as 破棄 and the central books it so."""
    state, _card_path = _prepare(central_process, card_file, pcsc_harness, tmp_path)
    died = _child("run", str(state), kill_at)
    assert died.returncode == -signal.SIGKILL, died.stdout + died.stderr
    pcsc_harness.remove()
    restarted = _child("orphan", str(state))
    assert restarted.returncode == 0, restarted.stdout + restarted.stderr
    app_id = jpki_items.application_id(TERMINAL, NUMBER)
    with central_process.central() as central:
        with central.transaction() as s:
            certs = s.scalars(select(Certificate).where(Certificate.application_id == app_id)).all()
        assert len(certs) == 1 and certs[0].installed_at is None
        status = central.certificate_status(certs[0].serial)
        assert status.status.value == "revoked" and status.reason is not None
        assert status.reason.name == "CESSATION_OF_OPERATION"
        assert sum(r.destroyed_or_revoked_ex_officio for r in central.ledger()) == 1
        crl = x509.load_der_x509_crl(central.current_crl(CaName.AUTH) or b"")
        assert crl.get_revoked_certificate_by_serial_number(int(certs[0].serial, 16)) is not None
    steps, outbox = _journal(tmp_path / "kiosk.db")
    assert steps == [IssuanceStep.REVOKED_AS_DESTROYED]
    assert outbox and set(outbox) == {OutboxState.SENT}


def test_restart_without_the_card_then_the_card_comes_back(
    central_process: CentralProcess, card_file, pcsc_harness, tmp_path: Path
) -> None:
    """Killed with the certificate received; restarted with the reader empty (nothing can be done
    for the card); the resident comes back and inserts the card: the background service resumes
    on the insertion event alone, and its relay delivers the certConf."""
    state, card_path = _prepare(central_process, card_file, pcsc_harness, tmp_path)
    died = _child("run", str(state), "received")
    assert died.returncode == -signal.SIGKILL, died.stdout + died.stderr
    _wait_released()
    pcsc_harness.remove()

    engine = make_engine(tmp_path / "kiosk.db")
    sessions = make_sessionmaker(engine)
    sealer = Sealer(load_or_create_data_key(tmp_path / "kiosk-data"))
    link = CentralLink(central_process.url, central_process.identity)
    service = SyncService(
        sessions, sealer, link, send=link.send, verify_receipt=link.verify_receipt,
        open_card=reader_card(link), poll_interval=dt.timedelta(milliseconds=200),
    )  # fmt: skip
    monitor = ReaderMonitor(service.on_reader_event, poll_ms=200)
    try:
        at_start = service.start()
        assert [e.actions for e in at_start.entries] == [(RecoveryAction.WAIT_FOR_CARD,)]
        monitor.start()
        pcsc_harness.insert(card_path)  # the service reacts to the event on its own
        app_id = jpki_items.application_id(TERMINAL, NUMBER)
        deadline = time.monotonic() + 60
        installed = False
        while not installed and time.monotonic() < deadline:
            with central_process.central() as central, central.transaction() as s:
                cert = s.scalars(select(Certificate).where(Certificate.application_id == app_id)).one()
                installed = cert.installed_at is not None
            time.sleep(0.2)
        assert installed, "the certificate was not installed after the card came back"
    finally:
        monitor.stop()
        service.stop()
    assert CardState.load(card_path).jpki.auth_cert == cert.der
    steps, _outbox = _journal(tmp_path / "kiosk.db")
    assert steps == [IssuanceStep.CONFIRMED]
    engine.dispose()
