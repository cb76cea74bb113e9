"""The counter terminal end to end, every real part in place: the application's main window (the
resident's counter window and the staff panel, offscreen Qt) fed by the reader monitor; the
resident's card in slot 0 and the staff card in slot 1 of the PC/SC harness (pcscd + vpcd); the
central as its own process (HTTPS, mutual TLS). The world is the demo's (demo/seed.py): the sample
card's user-authentication certificate was issued by the central years ago and is up for renewal.

- the operator signs in with the staff card and its PIN, the resident renews the certificate
  through the widgets, and the central counts the new one installed and the old one superseded;
- the card pulled during the certificate write: the visit ends CARD_REMOVED, and when the card is
  back the recovery worker finishes the write and confirms it;
- the central killed before a revocation is filed: the resident is told it is taken (QUEUED), and
  it reaches the central after the restart.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from e2e_support import TERMINAL, WRITE_CERTIFICATE, CentralProcess, PullingReader
from sqlalchemy import select

from cardemu.harness import READER, STAFF_READER, PcscHarness
from cardemu.residents import AUTH_PIN, JUKI_PIN, KENHOJO_PIN
from cardemu.staff import StaffCa
from cardemu.state import CardState
from cardemu.testpki import TestPki
from central.enums import CertStatus, RevocationReason
from central.models import Certificate as CentralCertificate
from central.service import Central
from demo import seed
from kiosk.domain.eligibility import Certificate
from kiosk.domain.procedures import Item, Procedure
from kiosk.flows.counter.assembly import TerminalConfig, open_terminal
from kiosk.flows.counter.machine import Outcome
from kiosk.reader.pcsc import ReaderMonitor, open_card
from kiosk.store.models import AuditRecord, IssuanceJournal, IssuanceStep, OutboxMessage, OutboxState
from kiosk.ui.app import CounterMain
from kiosk.ui.i18n import Language, Translations
from kiosk.ui.keypad import PinKeypad
from kiosk.ui.staff import Phase
from kiosk.ui.theme import Metrics

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # read when pytest-qt makes the QApplication
pytestmark = pytest.mark.pcsc
WAIT = 30_000  # ms: a step through pcscd, the central and the card


@dataclass
class Counter:
    main: CounterMain
    central: Central  # a second handle on the central's database, for the checks
    central_process: CentralProcess
    harness: PcscHarness
    resident: PullingReader
    seeded: seed.SeededCard
    staff_card: Path

    def journal(self) -> list[IssuanceJournal]:
        with self.main.running.counter.sessions() as session:
            return list(session.scalars(select(IssuanceJournal)))

    def outbox(self) -> list[tuple[str, OutboxState]]:
        with self.main.running.counter.sessions() as session:
            rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.seq))
            return [(m.kind, m.state) for m in rows]

    def audit(self) -> list[tuple[str, str]]:
        with self.main.running.counter.sessions() as session:
            return [
                (r.actor, r.action) for r in session.scalars(select(AuditRecord).order_by(AuditRecord.id))
            ]

    def card_certificates(self) -> list[CentralCertificate]:
        card = self.seeded.card_id.hex()
        with self.central.transaction() as session:
            rows = session.scalars(select(CentralCertificate).where(CentralCertificate.card_id == card))
            return sorted(rows, key=lambda r: r.issued_at)

    def on_card(self) -> x509.Certificate:
        der = CardState.load(self.seeded.path).jpki.auth_cert
        assert der is not None
        return x509.load_der_x509_certificate(der)


@pytest.fixture
def counter(
    qtbot, qapp, central_process: CentralProcess, pcsc_harness: PcscHarness, test_pki: TestPki, tmp_path: Path
) -> Iterator[Counter]:
    central = central_process.central()
    data = tmp_path / "data"
    identity = central_process.identity
    (data / "terminal").mkdir(parents=True, mode=0o700)
    for source, name in (
        (identity.key_file, "terminal.key"),
        (identity.cert_file, "terminal.pem"),
        (identity.central_root_file, "central-root.pem"),
    ):
        shutil.copy2(source, data / "terminal" / name)
    staff_ca = StaffCa.create(tmp_path / "staff-ca")
    staff_card = tmp_path / "staff.json"
    seed.prepare_terminal(data, central.authority, test_pki, staff_ca, staff_card)
    key, _chain, _root = identity.load()
    seeded = seed.seed_renewable_card(
        tmp_path / "resident.json", test_pki, central, terminal_id=TERMINAL, terminal_key=key
    )
    running = open_terminal(TerminalConfig(data, TERMINAL, central_process.url, READER, STAFF_READER))
    running.counter.certificate_wait_s = 20  # the central answers p10cr at once; no need to wait longer
    translations = Translations(qapp)
    resident = PullingReader(pcsc_harness)
    main = CounterMain(
        running,
        translations,
        Metrics(96.0),
        open_resident=resident.open,
        open_staff=lambda: open_card(STAFF_READER),
    )
    qtbot.addWidget(main)
    main.resize(1600, 1000)
    main.show()
    monitor = ReaderMonitor(main.post)
    monitor.start()
    try:
        pcsc_harness.insert(seeded.path)
        pcsc_harness.insert(staff_card, slot=1)
        yield Counter(main, central, central_process, pcsc_harness, resident, seeded, staff_card)
    finally:
        monitor.stop()
        main.shutdown()
        translations.uninstall()
        for slot in (1, 0):
            if pcsc_harness.status(slot).get("card"):
                pcsc_harness.remove(slot=slot)
        central.close()


# -- driving the widgets ---------------------------------------------------------------------------


def type_pin(keypad: object, pin: str) -> None:
    assert isinstance(keypad, PinKeypad)
    for ch in pin:
        keypad.press(ord(ch))
    keypad.confirm()


def sign_in(qtbot, counter: Counter) -> None:
    staff = counter.main.staff
    qtbot.waitUntil(lambda: staff.phase is Phase.PIN, timeout=WAIT)  # the monitor saw the staff card
    with qtbot.waitSignal(counter.main.gate.signed_in, timeout=WAIT):
        type_pin(staff.keypad, seed.STAFF_PIN)
    assert counter.main.gate.operator_id == seed.OPERATOR_ID


def open_menu(qtbot, counter: Counter) -> None:
    window = counter.main.counter
    qtbot.waitUntil(lambda: window.card_present, timeout=WAIT)  # after the recovery worker's turn
    window.attract.buttons[Language.EN].click()
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.menu, timeout=WAIT)


def enter(qtbot, counter: Counter, kind_name: str, pin: str) -> None:
    """Wait for the keypad of that PIN kind (by name), then type the PIN."""
    window = counter.main.counter
    qtbot.waitUntil(
        lambda: (
            window.stack.currentWidget() is window.pin
            and isinstance(window.pin.keypad, PinKeypad)
            and window.pin.keypad.kind.name == kind_name
        ),
        timeout=WAIT,
    )
    type_pin(window.pin.keypad, pin)


def identify(qtbot, counter: Counter) -> None:
    enter(qtbot, counter, "JUKI", JUKI_PIN)  # who is there: 住基 PIN
    enter(qtbot, counter, "KENHOJO", KENHOJO_PIN)  # the applicant's 基本4情報


def wait_for(qtbot, predicate: Callable[[], bool], timeout_s: float = 60.0) -> None:
    """The Qt event loop keeps running meanwhile: reader events reach the window through it."""
    qtbot.waitUntil(predicate, timeout=int(timeout_s * 1000))


# -- the tests -------------------------------------------------------------------------------------


def test_staff_signs_in_and_the_resident_renews_the_certificate(qtbot, counter: Counter) -> None:
    old = counter.seeded
    sign_in(qtbot, counter)
    open_menu(qtbot, counter)
    window = counter.main.counter
    window.menu.button_for(Item(Procedure.RENEWAL, Certificate.USER_AUTH)).click()
    identify(qtbot, counter)
    enter(qtbot, counter, "AUTH", AUTH_PIN)  # renewal keeps the PIN: the card checks it
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.result, timeout=90_000)
    assert window.visit is not None and window.visit.flow is not None
    assert window.visit.flow.ending is not None and window.visit.flow.ending.outcome is Outcome.COMPLETED
    new = counter.on_card()
    assert new.serial_number != old.certificate.serial_number
    text = window.result.receipt.text()
    assert "New user authentication certificate on your card" in text, text
    assert format(new.serial_number, "x") in text
    # The central: the new one installed (certConf delivered), the old one superseded by it.
    rows = {r.serial: r for r in counter.card_certificates()}
    assert rows[old.serial].status is CertStatus.REVOKED
    assert rows[old.serial].revocation_reason is RevocationReason.SUPERSEDED
    current = rows[format(new.serial_number, "x")]
    assert current.installed_at is not None and current.status is CertStatus.GOOD
    assert new.not_valid_after_utc > old.certificate.not_valid_after_utc  # four more years
    # Who did it: the operator proven by the staff card is the actor of the visit's records.
    audit = counter.audit()
    assert (seed.OPERATOR_ID, "operator.login") in audit
    assert (seed.OPERATOR_ID, "visit.start") in audit and (seed.OPERATOR_ID, "certificate.installed") in audit


def test_card_pulled_during_the_write_is_finished_when_it_returns(qtbot, counter: Counter) -> None:
    sign_in(qtbot, counter)
    open_menu(qtbot, counter)
    window = counter.main.counter
    window.menu.button_for(Item(Procedure.RENEWAL, Certificate.USER_AUTH)).click()
    identify(qtbot, counter)
    counter.resident.pull_at(WRITE_CERTIFICATE)
    with qtbot.waitSignal(window.visit_ended, timeout=90_000) as ended:
        enter(qtbot, counter, "AUTH", AUTH_PIN)
    assert counter.resident.pulled.is_set()
    assert ended.args == [Outcome.CARD_REMOVED.value]
    (entry,) = counter.journal()
    assert entry.step is IssuanceStep.CERTIFICATE_RECEIVED and entry.attempts == 1  # authorised, not written
    # The new key pair is on the card (the old certificate went with the old key); its certificate not.
    assert CardState.load(counter.seeded.path).jpki.auth_cert is None
    issued = [r for r in counter.card_certificates() if r.serial != counter.seeded.serial]
    assert len(issued) == 1 and issued[0].installed_at is None

    counter.harness.insert(counter.seeded.path)  # the holder puts the card back
    wait_for(qtbot, lambda: counter.journal()[0].step is IssuanceStep.CONFIRMED)  # the recovery's write
    wait_for(qtbot, lambda: all(state is OutboxState.SENT for _k, state in counter.outbox()))  # certConf
    assert format(counter.on_card().serial_number, "x") == issued[0].serial
    rows = {r.serial: r for r in counter.card_certificates()}
    assert rows[issued[0].serial].installed_at is not None
    assert rows[counter.seeded.serial].status is CertStatus.REVOKED  # superseded once installed
    # Then the card is the window's again: a new visit can start on it.
    qtbot.waitUntil(lambda: window.card_present, timeout=WAIT)


def test_central_down_the_revocation_is_queued_and_delivered_after_restart(qtbot, counter: Counter) -> None:
    sign_in(qtbot, counter)
    open_menu(qtbot, counter)  # the pre-flight asked the central, which knows the certificate
    counter.central_process.kill()  # a power cut at 機構, before anything is filed
    window = counter.main.counter
    window.menu.button_for(Item(Procedure.REVOCATION, Certificate.USER_AUTH)).click()
    identify(qtbot, counter)  # the card and the kiosk's store only: no central needed
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.result, timeout=WAIT)
    assert window.visit is not None and window.visit.flow is not None
    assert window.visit.flow.ending is not None and window.visit.flow.ending.outcome is Outcome.QUEUED
    assert "will be sent automatically" in window.result.status.text()
    assert counter.seeded.serial in window.result.receipt.text()
    assert [state for _k, state in counter.outbox()] == [OutboxState.PENDING, OutboxState.PENDING]
    assert counter.central.certificate_status(counter.seeded.serial).status is CertStatus.GOOD

    counter.central_process.restart(same_port=True)  # the configured address answers again
    # The relay's next attempt delivers the application, then its rr (back-off capped at 30 s).
    wait_for(qtbot, lambda: [state for _k, state in counter.outbox()] == [OutboxState.SENT] * 2, 90)
    status = counter.central.certificate_status(counter.seeded.serial)
    assert status.status is CertStatus.REVOKED
