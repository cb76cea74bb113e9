"""Every counter procedure end to end through the real widgets of the application's main window
(`CounterMain`, offscreen Qt): the resident's screens and the staff panel, the staff card signed in
in the staff reader, the resident's software card in the resident reader of the PC/SC harness
(pcscd + vpcd), the central as its own process (HTTPS, mutual TLS) and, where a face check runs,
a video file as the camera with the matcher in its own process. Each test checks the outcome on
the resident's screen (result, receipt) and at the central (certificates, card, applications).

Renewal, the card pulled mid-write and the central down are in test_counter_e2e.py. Here:

- new user-authentication certificate after its revocation; signing certificate issued, then a
  key-compromise report (its PIN asked, a wrong one first);
- the card pulled as one terminal writes a new certificate, finished at a second terminal (the
  central's handover);
- PIN change; wrong PINs until lock-out (tries shown, the last-try warning), then the PIN reset
  with the staff path (照合番号B and the surface check) after the 住基 PIN locks too;
- face-auth switch; found-card release (the card suspended at the central first), then new
  certificates in the same visit;
- disclosure request;
- face check: a stranger's clip is a mismatch and staff compare visually; the holder's clip matches;
- under 15: refused without the legal representative, accepted with them;
- a proxy with the sealed PIN form: staff key in the new PIN.

One central process, one staff CA, the camera clips and the matcher process serve the whole
module; every test has its own terminal (registered and bootstrapped at that central; the handover
test two), kiosk store and cards, so the tests do not depend on each other.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from e2e_support import (
    WRITE_CERTIFICATE,
    CentralProcess,
    PullingReader,
    enrol_terminal,
    touch_keys,
)
from sqlalchemy import select

import facekit
from appdata.model import DisclosureKind, IdentityMethod
from appdata.model import Procedure as Filed
from cardadmin import derive_card_key
from cardemu.harness import READER, STAFF_READER, PcscHarness
from cardemu.personalise import CardSpec, personalise
from cardemu.residents import ADULT, AUTH_PIN, JUKI_PIN, KENHOJO_PIN, MINOR, resident_specs
from cardemu.staff import StaffCa
from cardemu.state import CardState
from cardemu.testpki import TestPki
from central.applications import ApplicationRecord
from central.enums import ApplicationStatus, CardStatus, CertStatus, RevocationReason
from central.models import Certificate as CentralCertificate
from central.service import Central
from demo import seed
from kiosk.domain.eligibility import Certificate, Presenter
from kiosk.domain.identity import PhotoIdKind, PinRequestForm
from kiosk.domain.overrides import OverrideReason
from kiosk.domain.pin_rules import PinKind, PinUse
from kiosk.domain.procedures import Item, Procedure
from kiosk.facecheck.check import Outcome as FaceOutcome
from kiosk.facecheck.fallback import NextStep
from kiosk.facecheck.matcher import Matcher, ProcessMatcher
from kiosk.facecheck.policy import DEFAULT_POLICY
from kiosk.flows.counter.assembly import TerminalConfig, open_terminal
from kiosk.flows.counter.machine import Ending, Outcome
from kiosk.flows.face import FaceCheckRecord
from kiosk.reader.connection import CardConnection
from kiosk.reader.pcsc import ReaderMonitor, open_card
from kiosk.store.models import AuditRecord, IssuanceJournal, IssuanceStep, OutboxMessage, OutboxState
from kiosk.ui.app import CounterMain
from kiosk.ui.counter import CounterWindow
from kiosk.ui.i18n import Language, Translations
from kiosk.ui.keypad import PinKeypad
from kiosk.ui.staff import Phase
from kiosk.ui.status import StatusLine
from kiosk.ui.theme import Metrics, State
from kiosk.ui.visit_panel import VisitPanel, index_of

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # read when pytest-qt makes the QApplication
pytestmark = pytest.mark.pcsc
WAIT = 30_000  # ms: a step through pcscd, the central and the card
WRITE = 90_000  # ms: an application, key generation on the card and the certificate written
FACE = 90_000  # ms: the clip played at its own rate until the matcher decides
SEEDED = "seeded"  # the demo's card: a user-authentication certificate the central issued
MINOR_MUNICIPALITY = "14104"  # 横浜市中区: the minor resident's card
NEW_AUTH = Item(Procedure.NEW_ISSUANCE, Certificate.USER_AUTH)
NEW_SIGN = Item(Procedure.NEW_ISSUANCE, Certificate.SIGNING)
NEW_AUTH_PIN = "5820"
NEW_SIGN_PIN = "KIOSK2030"


# -- what the module shares ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def central(central_service: CentralProcess) -> Iterator[Central]:
    """The test's own handle on the central's database: set-up (terminals, cards) and checks."""
    handle = central_service.central()
    handle.add_municipality(MINOR_MUNICIPALITY, "横浜市中区")
    try:
        yield handle
    finally:
        handle.close()


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Camera clips (video files): the adult card's holder (its chip photo is the face set's
    "obama"), and someone else."""
    directory = tmp_path_factory.mktemp("camera")
    return {
        "holder": facekit.live_clip(directory / "holder.avi", "obama", (), frames=45),
        "stranger": facekit.live_clip(directory / "stranger.avi", "biden", (), frames=45),
    }


@pytest.fixture(scope="module")
def matcher() -> Iterator[Matcher]:
    """The face matcher in its own process, as `kiosk counter` runs it: started once, reused."""
    with ProcessMatcher(DEFAULT_POLICY) as running:
        yield running.start()


# -- one test's counter ----------------------------------------------------------------------------


@dataclass
class Desk:
    """The main window of one test's terminal, and what the test checks it against."""

    main: CounterMain
    central: Central
    card: Path  # the resident's card file, which the software card keeps up to date
    spec: CardSpec
    opened_at: dt.datetime
    seeded: seed.SeededCard | None = None
    close: Callable[[], None] = lambda: None  # the terminal shut down, its staff card taken out

    @property
    def window(self) -> CounterWindow:
        return self.main.counter

    @property
    def panel(self) -> VisitPanel:
        return self.main.visit_panel

    def card_state(self) -> CardState:
        return CardState.load(self.card)

    @property
    def card_hex(self) -> str:
        return self.card_state().card_id.hex()

    def certificate(self, serial: str) -> CentralCertificate:
        with self.central.transaction() as session:
            row = session.get(CentralCertificate, serial)
            assert row is not None, serial
            session.expunge(row)
            return row

    def applications(self) -> list[ApplicationRecord]:
        """The central's applications for this card since the desk opened (not the seed's)."""
        rows = self.central.applications(since=self.opened_at.date() - dt.timedelta(days=1))
        return sorted(
            (a for a in rows if a.card_id == self.card_hex and a.received_at >= self.opened_at),
            key=lambda a: a.received_at,
        )

    def audit(self) -> list[tuple[str, str]]:
        with self.main.running.counter.sessions() as session:
            return [
                (r.actor, r.action) for r in session.scalars(select(AuditRecord).order_by(AuditRecord.id))
            ]

    def journal(self) -> list[tuple[IssuanceStep, str | None]]:
        """This terminal's issuance journal: each entry's step, and whose request it took over."""
        with self.main.running.counter.sessions() as session:
            return [(e.step, e.taken_over) for e in session.scalars(select(IssuanceJournal))]

    def outbox(self) -> list[tuple[str, OutboxState]]:
        with self.main.running.counter.sessions() as session:
            rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.seq))
            return [(m.kind, m.state) for m in rows]

    def on_card(self, certificate: Certificate) -> x509.Certificate:
        jpki = self.card_state().jpki
        der = jpki.auth_cert if certificate is Certificate.USER_AUTH else jpki.sign_cert
        assert der is not None
        return x509.load_der_x509_certificate(der)


OpenDesk = Callable[..., Desk]


@pytest.fixture
def open_desk(
    qtbot,
    qapp,
    central_service: CentralProcess,
    central: Central,
    staff_ca: StaffCa,
    pcsc_harness: PcscHarness,
    test_pki: TestPki,
    tmp_path: Path,
) -> Iterator[OpenDesk]:
    """`open_desk(resident, camera=(clip, matcher))`: a new terminal at the central, its store with
    the staff card enrolled, the resident's card known to the central, the main window fed by the
    reader monitor, and both cards in their readers. `card=` brings an earlier desk's card (the
    same resident at a second terminal); `open_resident=` opens the resident's reader instead of
    pcscd directly (a `PullingReader`'s)."""
    opened: list[tuple[ReaderMonitor, CounterMain, Translations]] = []

    def close(entry: tuple[ReaderMonitor, CounterMain, Translations]) -> None:
        if entry in opened:
            opened.remove(entry)
            monitor, main, translations = entry
            monitor.stop()
            main.shutdown()
            translations.uninstall()

    def open_(
        resident: str,
        *,
        camera: tuple[Path, Matcher] | None = None,
        card: tuple[Path, CardSpec] | None = None,
        open_resident: Callable[[], CardConnection] | None = None,
    ) -> Desk:
        terminal_id = f"kiosk-proc-{uuid.uuid4().hex[:8]}"
        data = tmp_path / terminal_id
        identity = enrol_terminal(central, terminal_id, data / "terminal")
        staff_card = tmp_path / f"staff-{terminal_id}.json"
        seed.prepare_terminal(data, central.authority, test_pki, staff_ca, staff_card)
        seeded = None
        if card is not None:
            card_path, spec = card
        elif resident == SEEDED:
            key, _chain, _root = identity.load()
            seeded = seed.seed_renewable_card(
                tmp_path / "resident.json", test_pki, central, terminal_id=terminal_id, terminal_key=key
            )
            card_path, spec = seeded.path, seeded.spec
        else:
            # A card of its own (a new card id): the central's record of it starts with this test.
            spec = resident_specs()[resident]
            state = personalise(spec, test_pki)
            # J-LIS issues the card-admin key and the central's master key together.
            state.admin_key = derive_card_key(central.authority.admin_master_key, state.card_id)
            card_path = tmp_path / f"{resident}.json"
            state.save(card_path)
            central.register_card(
                state.card_id, state.municipality, f"{resident}-{state.card_id.hex()[:8]}", spec.expiry
            )
        opened_at = dt.datetime.now(dt.UTC)  # the seed's application is older
        clip, face_matcher = camera if camera is not None else (None, None)
        config = TerminalConfig(
            data, terminal_id, central_service.url, READER, STAFF_READER, camera=str(clip) if clip else None
        )
        running = open_terminal(config)
        running.counter.certificate_wait_s = 20  # the central answers p10cr at once
        translations = Translations(qapp)
        try:
            main = CounterMain(
                running,
                translations,
                Metrics(96.0),
                open_resident=open_resident or (lambda: open_card(READER)),
                open_staff=lambda: open_card(STAFF_READER),
                matcher=face_matcher,
            )
        except BaseException:
            running.stop()
            translations.uninstall()
            raise
        qtbot.addWidget(main)
        main.resize(1600, 1000)
        main.show()
        monitor = ReaderMonitor(main.post)
        entry = (monitor, main, translations)
        opened.append(entry)
        monitor.start()
        pcsc_harness.insert(card_path)
        pcsc_harness.insert(staff_card, slot=1)

        def shut() -> None:
            close(entry)
            if pcsc_harness.status(1).get("card"):
                pcsc_harness.remove(slot=1)

        return Desk(main, central, card_path, spec, opened_at, seeded, shut)

    try:
        yield open_
    finally:
        for entry in list(opened):
            close(entry)
        for slot in (1, 0):
            if pcsc_harness.status(slot).get("card"):
                pcsc_harness.remove(slot=slot)


# -- driving the widgets ---------------------------------------------------------------------------


def wait_keypad(qtbot, desk: Desk, kind: PinKind, use: PinUse = PinUse.CURRENT) -> PinKeypad:
    """The resident's screen asks for this PIN (a fresh keypad: the one after a wrong entry too)."""
    window = desk.window

    def asking() -> bool:
        keypad = window.pin.keypad
        return (
            window.stack.currentWidget() is window.pin
            and isinstance(keypad, PinKeypad)
            and keypad.kind is kind
            and keypad.use is use
        )

    qtbot.waitUntil(asking, timeout=WAIT)
    keypad = window.pin.keypad
    assert isinstance(keypad, PinKeypad)
    return keypad


def enter(qtbot, desk: Desk, kind: PinKind, pin: str) -> None:
    touch_keys(wait_keypad(qtbot, desk, kind), pin)


def enter_new(qtbot, desk: Desk, kind: PinKind, pin: str) -> None:
    """A new PIN: chosen, then entered again to confirm."""
    keypad = wait_keypad(qtbot, desk, kind, PinUse.NEW)
    touch_keys(keypad, pin)
    touch_keys(keypad, pin)


def enter_wrong(qtbot, desk: Desk, kind: PinKind, wrong: str) -> PinKeypad:
    """A wrong current PIN; returns the keypad shown next (the resident's retry)."""
    shown = wait_keypad(qtbot, desk, kind)
    touch_keys(shown, wrong)
    qtbot.waitUntil(lambda: desk.window.pin.keypad is not shown, timeout=WAIT)
    return wait_keypad(qtbot, desk, kind)


def sign_in(qtbot, desk: Desk) -> None:
    """The operator's staff card is in the staff reader: its PIN on the staff panel's keypad."""
    staff = desk.main.staff
    qtbot.waitUntil(lambda: staff.phase is Phase.PIN, timeout=WAIT)
    with qtbot.waitSignal(desk.main.gate.signed_in, timeout=WAIT):
        touch_keys(staff.keypad, seed.STAFF_PIN)
    assert desk.main.gate.operator_id == seed.OPERATOR_ID


def start_visit(qtbot, desk: Desk) -> None:
    """The resident chooses English on the attract screen; the card (in the reader) is read."""
    window = desk.window
    qtbot.waitUntil(lambda: window.card_present, timeout=WAIT)  # after the recovery worker's turn
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.attract, timeout=WAIT)
    window.attract.buttons[Language.EN].click()
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.menu, timeout=WAIT)


def offered(desk: Desk) -> list[Item]:
    return [button.property("item") for button in desk.window.menu.item_buttons]


def not_offered_lines(desk: Desk) -> list[str]:
    """The menu's "not possible with this card today" lines, each with its reason."""
    return [line.text() for line in desk.window.menu.list.findChildren(StatusLine) if line.text()]


def identify(qtbot, desk: Desk) -> None:
    enter(qtbot, desk, PinKind.JUKI, JUKI_PIN)  # who is there: 住基 PIN
    enter(qtbot, desk, PinKind.KENHOJO, KENHOJO_PIN)  # the applicant's 基本4情報


def ending(qtbot, desk: Desk, timeout: int = WRITE) -> Ending:
    """The result screen of the procedure; its flow's ending."""
    window = desk.window
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.result, timeout=timeout)
    visit = window.visit
    assert visit is not None and visit.flow is not None and visit.flow.ending is not None
    return visit.flow.ending


def finish(qtbot, desk: Desk) -> None:
    with qtbot.waitSignal(desk.window.visit_ended, timeout=WAIT):
        desk.window.result.finish.click()


def staff_reads_code_b(qtbot, desk: Desk) -> None:
    """Staff key in 照合番号B from the printed card: the chip's card face is shown on the panel."""
    box = desk.panel.code_b
    qtbot.waitUntil(lambda: box.isVisible() and box.read.button.isEnabled(), timeout=WAIT)
    box.read.button.click()
    touch_keys(box.keypad, desk.spec.pin_b)
    qtbot.waitUntil(lambda: box.photo.has_image and box.name_image.has_image, timeout=WAIT)


def staff_confirms_surface(qtbot, desk: Desk) -> None:
    """The chip matches the printed card and the resident stated their record: recorded."""
    box = desk.panel.code_b
    box.chip_matches.button.click()
    box.declared.button.click()
    qtbot.waitUntil(box.confirm.button.isEnabled, timeout=WAIT)
    box.confirm.button.click()


def staff_presents(qtbot, desk: Desk, presenter: Presenter) -> None:
    """Staff record who is applying, having seen the papers (the REPRESENTATIVE override)."""
    box = desk.panel.presentation
    box.presenters[presenter].button.click()
    box.reason.choose(OverrideReason.RELATIONSHIP_PROVEN)
    qtbot.waitUntil(box.apply.button.isEnabled, timeout=WAIT)
    box.apply.button.click()
    qtbot.waitUntil(lambda: "Recorded" in box.status.text(), timeout=WAIT)


def face_check(qtbot, desk: Desk) -> FaceCheckRecord:
    """Staff start the face check from the panel; the resident's screen shows the camera."""
    window, box = desk.window, desk.panel.code_b
    qtbot.waitUntil(box.face_check.button.isEnabled, timeout=WAIT)
    with qtbot.waitSignal(window.face_checked, timeout=FACE) as checked:
        box.face_check.button.click()
        assert window.stack.currentWidget() is window.face
    record = checked.args[0]
    assert isinstance(record, FaceCheckRecord)
    return record


# -- certificates ----------------------------------------------------------------------------------


def test_new_user_auth_certificate_after_its_revocation(qtbot, open_desk: OpenDesk) -> None:
    desk = open_desk(SEEDED)
    assert desk.seeded is not None
    old = desk.seeded.serial
    window = desk.window
    sign_in(qtbot, desk)
    start_visit(qtbot, desk)
    assert NEW_AUTH not in offered(desk)  # the card's certificate is valid: revoked first
    window.menu.button_for(Item(Procedure.REVOCATION, Certificate.USER_AUTH)).click()
    identify(qtbot, desk)
    assert ending(qtbot, desk).outcome is Outcome.COMPLETED
    assert "Done" in window.result.status.text()
    assert f"Certificate named: serial number {old}." in window.result.receipt.text()
    revoked = desk.certificate(old)
    assert revoked.status is CertStatus.REVOKED and revoked.revocation_reason is RevocationReason.UNSPECIFIED
    finish(qtbot, desk)

    start_visit(qtbot, desk)  # the same card, a new visit: the pre-flight sees it revoked
    window.menu.button_for(NEW_AUTH).click()
    identify(qtbot, desk)
    enter_new(qtbot, desk, PinKind.AUTH, NEW_AUTH_PIN)
    assert ending(qtbot, desk).outcome is Outcome.COMPLETED
    new = desk.on_card(Certificate.USER_AUTH)
    serial = format(new.serial_number, "x")
    assert serial != old
    assert "New user authentication certificate on your card, valid until" in window.result.receipt.text()
    assert f"(serial number {serial})" in window.result.receipt.text()
    issued = desk.certificate(serial)
    assert issued.status is CertStatus.GOOD and issued.installed_at is not None
    assert desk.card_state().jpki.auth_pin.value == NEW_AUTH_PIN  # the PIN chosen at the counter
    apps = desk.applications()
    assert [(a.kind, a.status) for a in apps] == [
        (Filed.REVOCATION, ApplicationStatus.APPROVED),
        (Filed.NEW_ISSUANCE, ApplicationStatus.APPROVED),
    ]
    assert {a.identity_method for a in apps} == {IdentityMethod.CARD_AND_JUKI_PIN.value}
    assert issued.application_id == apps[1].id


def test_signing_certificate_issued_then_reported_compromised(qtbot, open_desk: OpenDesk) -> None:
    desk = open_desk(ADULT)  # its certificates were never issued by this central
    window = desk.window
    key_compromise = Item(Procedure.KEY_COMPROMISE, Certificate.SIGNING)
    sign_in(qtbot, desk)
    start_visit(qtbot, desk)
    assert key_compromise not in offered(desk)  # nothing the central knows to revoke
    window.menu.button_for(NEW_SIGN).click()
    identify(qtbot, desk)
    enter_new(qtbot, desk, PinKind.SIGN, NEW_SIGN_PIN)
    assert ending(qtbot, desk).outcome is Outcome.COMPLETED
    serial = format(desk.on_card(Certificate.SIGNING).serial_number, "x")
    assert "New signing certificate on your card, valid until" in window.result.receipt.text()
    assert desk.certificate(serial).status is CertStatus.GOOD
    assert desk.certificate(serial).installed_at is not None
    finish(qtbot, desk)

    start_visit(qtbot, desk)
    window.menu.button_for(key_compromise).click()
    identify(qtbot, desk)
    keypad = wait_keypad(qtbot, desk, PinKind.SIGN)  # the card shows the certificate after its PIN
    assert "only after its PIN" in window.pin.explain.text()
    keypad = enter_wrong(qtbot, desk, PinKind.SIGN, "WRONG1")
    assert window.pin.status.text() == "The PIN was not correct."
    assert "4 tries left" in keypad.tries.text()
    touch_keys(keypad, NEW_SIGN_PIN)
    assert ending(qtbot, desk).outcome is Outcome.COMPLETED
    assert f"Certificate named: serial number {serial}." in window.result.receipt.text()
    row = desk.certificate(serial)
    assert row.status is CertStatus.REVOKED and row.revocation_reason is RevocationReason.KEY_COMPROMISE
    assert [(a.kind, a.status) for a in desk.applications()] == [
        (Filed.NEW_ISSUANCE, ApplicationStatus.APPROVED),
        (Filed.KEY_COMPROMISE, ApplicationStatus.APPROVED),
    ]


def test_card_pulled_mid_write_at_one_terminal_is_finished_at_another(
    qtbot, open_desk: OpenDesk, pcsc_harness: PcscHarness
) -> None:
    """The issuance journal across terminals (sync-protocol.md, "Handover"): the card is pulled
    as terminal A writes the new certificate; A is shut down; the resident takes the card to
    terminal B, which asks the central, takes the certificate over, writes it and confirms it —
    with no PIN asked, since the keys are on the card already."""
    pulling = PullingReader(pcsc_harness)
    a = open_desk(ADULT, open_resident=pulling.open)
    sign_in(qtbot, a)
    start_visit(qtbot, a)
    a.window.menu.button_for(NEW_AUTH).click()
    identify(qtbot, a)
    pulling.pull_at(WRITE_CERTIFICATE)
    with qtbot.waitSignal(a.window.visit_ended, timeout=WRITE) as ended:
        enter_new(qtbot, a, PinKind.AUTH, NEW_AUTH_PIN)
    assert pulling.pulled.is_set() and ended.args == [Outcome.CARD_REMOVED.value]
    assert a.journal() == [(IssuanceStep.CERTIFICATE_RECEIVED, None)]  # authorised, not written
    assert a.card_state().jpki.auth_cert is None
    [application] = a.applications()
    with a.central.transaction() as session:
        [issued] = session.scalars(
            select(CentralCertificate).where(CentralCertificate.application_id == application.id)
        )
        serial, installed_at = issued.serial, issued.installed_at
    assert installed_at is None
    a.close()  # terminal A is out of the picture: the card does not come back to it

    b = open_desk(ADULT, card=(a.card, a.spec))  # the same card, in terminal B's reader
    qtbot.waitUntil(lambda: a.card_state().jpki.auth_cert is not None, timeout=WRITE)
    assert format(b.on_card(Certificate.USER_AUTH).serial_number, "x") == serial
    [(_step, taken_over)] = b.journal()
    assert taken_over == application.id  # A's application, as the central names it
    qtbot.waitUntil(lambda: b.journal()[0][0] is IssuanceStep.CONFIRMED, timeout=WRITE)
    qtbot.waitUntil(lambda: b.outbox() == [("genm-installed", OutboxState.SENT)], timeout=WRITE)
    row = b.certificate(serial)
    assert row.status is CertStatus.GOOD and row.installed_at is not None
    assert b.card_state().jpki.auth_pin.value == NEW_AUTH_PIN  # the PIN chosen at A
    # B's window then serves the card: a visit starts on it, the certificate there and valid.
    sign_in(qtbot, b)
    start_visit(qtbot, b)
    assert Item(Procedure.REVOCATION, Certificate.USER_AUTH) in offered(b)
    assert "issuance.taken_over" in {action for _actor, action in b.audit()}


# -- PINs ------------------------------------------------------------------------------------------


def test_pin_change(qtbot, open_desk: OpenDesk) -> None:
    desk = open_desk(SEEDED)
    window = desk.window
    sign_in(qtbot, desk)
    start_visit(qtbot, desk)
    window.menu.button_for(Item(Procedure.PIN_CHANGE, PinKind.AUTH)).click()
    enter(qtbot, desk, PinKind.AUTH, AUTH_PIN)  # the card checks the current one
    enter_new(qtbot, desk, PinKind.AUTH, NEW_AUTH_PIN)
    assert ending(qtbot, desk).outcome is Outcome.COMPLETED
    assert "Your user authentication PIN has been set" in window.result.receipt.text()
    pin = desk.card_state().jpki.auth_pin
    assert pin.value == NEW_AUTH_PIN and pin.tries_left == pin.max_tries
    assert desk.applications() == []  # nothing the central holds changes
    assert desk.seeded is not None and desk.certificate(desk.seeded.serial).status is CertStatus.GOOD


def test_wrong_pins_until_lock_out_then_the_pin_reset(qtbot, open_desk: OpenDesk) -> None:
    desk = open_desk(SEEDED)
    window, panel = desk.window, desk.panel
    sign_in(qtbot, desk)
    start_visit(qtbot, desk)
    window.menu.button_for(Item(Procedure.PIN_CHANGE, PinKind.AUTH)).click()
    keypad = wait_keypad(qtbot, desk, PinKind.AUTH)
    assert keypad.tries.text() == ""  # the count is not shown before a wrong entry
    keypad = enter_wrong(qtbot, desk, PinKind.AUTH, "0000")
    assert window.pin.status.text() == "The PIN was not correct."
    assert keypad.tries.state is State.INFO and "2 tries left" in keypad.tries.text()
    keypad = enter_wrong(qtbot, desk, PinKind.AUTH, "0001")
    assert keypad.tries.state is State.WARNING  # the warning before the last try
    assert keypad.tries.text().startswith("One try left: a wrong user authentication PIN now locks it")
    touch_keys(keypad, "0002")
    locked = ending(qtbot, desk, WAIT)
    assert (locked.outcome, locked.code) == (Outcome.REFUSED, "pin-blocked")
    assert "This cannot be done" in window.result.status.text()
    assert window.result.staff_code.text() == "For staff: pin-blocked"
    assert desk.card_state().jpki.auth_pin.tries_left == 0
    finish(qtbot, desk)

    start_visit(qtbot, desk)  # the locked PIN cannot be changed, only reset
    assert Item(Procedure.PIN_CHANGE, PinKind.AUTH) not in offered(desk)
    assert any("locked" in line and "Change a PIN" in line for line in not_offered_lines(desk))
    window.menu.button_for(Item(Procedure.PIN_RESET, PinKind.AUTH)).click()
    # The identity check: this resident gets the 住基 PIN wrong until it locks too.
    keypad = enter_wrong(qtbot, desk, PinKind.JUKI, "1111")
    assert "2 tries left" in keypad.tries.text()
    keypad = enter_wrong(qtbot, desk, PinKind.JUKI, "2222")
    assert keypad.tries.state is State.WARNING
    with qtbot.waitSignal(window.identity_needed, timeout=WAIT) as needed:
        touch_keys(keypad, "3333")
    assert needed.args == ["pin-blocked"]
    assert window.stack.currentWidget() is window.staff_check
    assert "locked" in panel.summary.staff.text()
    # The staff path: 照合番号B, the chip's card face against the printed card, the declaration.
    staff_reads_code_b(qtbot, desk)
    staff_confirms_surface(qtbot, desk)
    enter_new(qtbot, desk, PinKind.AUTH, NEW_AUTH_PIN)  # 基本4情報 came with 照合番号B
    assert ending(qtbot, desk).outcome is Outcome.COMPLETED
    assert "Your user authentication PIN has been set" in window.result.receipt.text()
    pin = desk.card_state().jpki.auth_pin
    assert pin.value == NEW_AUTH_PIN and pin.tries_left == pin.max_tries
    (reset,) = desk.applications()
    assert (reset.kind, reset.status) == (Filed.PIN_RESET, ApplicationStatus.APPROVED)
    assert reset.identity_method == IdentityMethod.SURFACE_AND_DECLARATION.value
    audit = desk.audit()
    assert (seed.OPERATOR_ID, "identity.code_b_read") in audit and (seed.OPERATOR_ID, "pin.reset") in audit


# -- the card --------------------------------------------------------------------------------------


def test_face_auth_switch(qtbot, open_desk: OpenDesk) -> None:
    desk = open_desk(SEEDED)
    assert desk.seeded is not None
    window = desk.window
    sign_in(qtbot, desk)
    start_visit(qtbot, desk)
    window.menu.button_for(Item(Procedure.FACE_AUTH_SWITCH)).click()
    identify(qtbot, desk)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.choice, timeout=WAIT)
    assert "signing certificate will be revoked" in window.choice.text.text()
    window.choice.buttons[0].click()  # "Switch"
    assert ending(qtbot, desk).outcome is Outcome.COMPLETED
    assert "Done" in window.result.status.text()
    assert desk.central.lookup_card(desk.card_state().card_id).face_auth
    (switch,) = desk.applications()
    assert (switch.kind, switch.status) == (Filed.FACE_AUTH_SWITCH, ApplicationStatus.APPROVED)
    jpki = desk.card_state().jpki
    assert jpki.auth_pin.tries_left == 0  # set to a random value nobody learns, and locked
    assert jpki.sign_key is None  # the signing key erased
    assert desk.certificate(desk.seeded.serial).status is CertStatus.GOOD  # user-auth stays
    finish(qtbot, desk)

    start_visit(qtbot, desk)  # now a face-auth card: no second switch, no PIN change of its PIN
    assert Item(Procedure.FACE_AUTH_SWITCH) not in offered(desk)
    assert Item(Procedure.PIN_CHANGE, PinKind.AUTH) not in offered(desk)


def test_found_card_release_then_new_certificates(qtbot, open_desk: OpenDesk) -> None:
    desk = open_desk(SEEDED)
    assert desk.seeded is not None
    old = desk.seeded.serial
    window, panel = desk.window, desk.panel
    desk.central.suspend_card(desk.card_state().card_id)  # reported lost: its certificates held
    assert desk.certificate(old).status is CertStatus.HOLD
    sign_in(qtbot, desk)
    start_visit(qtbot, desk)
    assert offered(desk) == [Item(Procedure.FOUND_CARD_RELEASE)]  # nothing else on a suspended card
    juki_tries = desk.card_state().juki.pins
    # A suspended card's 住基 PIN cannot confirm identity (要綱 2-8): staff check, no try spent.
    with qtbot.waitSignal(window.identity_needed, timeout=WAIT) as needed:
        window.menu.button_for(Item(Procedure.FOUND_CARD_RELEASE)).click()
    assert needed.args == ["card-not-in-operation"]
    assert window.stack.currentWidget() is window.staff_check
    assert desk.card_state().juki.pins == juki_tries
    assert "not in operation" in panel.summary.staff.text()
    staff_reads_code_b(qtbot, desk)
    staff_confirms_surface(qtbot, desk)
    assert ending(qtbot, desk).outcome is Outcome.COMPLETED
    text = window.result.receipt.text()
    assert f"Revoked (it was on hold): user authentication certificate, serial number {old}." in text
    assert window.result.more.isVisible()
    assert desk.central.lookup_card(desk.card_state().card_id).status is CardStatus.OPERATING
    row = desk.certificate(old)
    assert row.status is CertStatus.REVOKED
    (release,) = desk.applications()
    assert (release.kind, release.status) == (Filed.SUSPENSION_RELEASE, ApplicationStatus.APPROVED)
    assert [serial for _kind, serial in release.revoked] == [old]

    window.result.more.click()  # "Continue with new certificates": the card is read again
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.menu, timeout=WAIT)
    assert NEW_AUTH in offered(desk)
    window.menu.button_for(NEW_AUTH).click()
    # The identity check and the 基本4情報 of this visit stand: straight to the new PIN.
    enter_new(qtbot, desk, PinKind.AUTH, NEW_AUTH_PIN)
    assert ending(qtbot, desk).outcome is Outcome.COMPLETED
    serial = format(desk.on_card(Certificate.USER_AUTH).serial_number, "x")
    assert f"(serial number {serial})" in window.result.receipt.text()
    assert desk.certificate(serial).status is CertStatus.GOOD
    release, issuance = desk.applications()
    assert (issuance.kind, issuance.status) == (Filed.NEW_ISSUANCE, ApplicationStatus.APPROVED)
    assert issuance.identity_method == IdentityMethod.SURFACE_AND_DECLARATION.value


# -- disclosure ------------------------------------------------------------------------------------


def test_disclosure_request(qtbot, open_desk: OpenDesk) -> None:
    desk = open_desk(ADULT)
    window = desk.window
    sign_in(qtbot, desk)
    start_visit(qtbot, desk)
    window.menu.button_for(Item(Procedure.DISCLOSURE)).click()
    identify(qtbot, desk)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.choice, timeout=WAIT)
    assert [b.text() for b in window.choice.buttons] == ["Disclosure (開示請求)", "Correction (訂正請求)"]
    window.choice.buttons[0].click()
    assert ending(qtbot, desk).outcome is Outcome.COMPLETED
    assert "Reference number: " in window.result.receipt.text()
    (request,) = desk.applications()
    assert (request.kind, request.status) == (Filed.DISCLOSURE, ApplicationStatus.APPROVED)
    assert request.disclosure_kind is DisclosureKind.DISCLOSURE
    assert request.identity_method == IdentityMethod.CARD_AND_JUKI_PIN.value


# -- the face check --------------------------------------------------------------------------------


def test_face_mismatch_then_the_staff_visual_comparison(
    qtbot, open_desk: OpenDesk, clips: dict[str, Path], matcher: Matcher
) -> None:
    desk = open_desk(ADULT, camera=(clips["stranger"], matcher))
    window, panel = desk.window, desk.panel
    sign_in(qtbot, desk)
    start_visit(qtbot, desk)
    window.menu.button_for(Item(Procedure.DISCLOSURE)).click()
    wait_keypad(qtbot, desk, PinKind.JUKI)
    with qtbot.waitSignal(window.identity_needed, timeout=WAIT):
        window.pin.alternative.click()  # "I do not know this PIN"
    staff_reads_code_b(qtbot, desk)
    record = face_check(qtbot, desk)
    assert record.decision.outcome is FaceOutcome.NOT_MATCHED
    assert record.options == (NextStep.STAFF_VISUAL_CHECK, NextStep.PIN)
    assert window.stack.currentWidget() is window.staff_check  # the resident waits for staff
    visual = panel.visual
    qtbot.waitUntil(visual.isVisible, timeout=WAIT)
    assert visual.photo.has_image  # the chip's photo beside the person
    visual.same.button.click()
    visual.reason.choose(OverrideReason.APPEARANCE_CHANGED)
    qtbot.waitUntil(visual.confirm.button.isEnabled, timeout=WAIT)
    visual.confirm.button.click()
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.choice, timeout=WAIT)
    window.choice.buttons[1].click()  # correction
    assert ending(qtbot, desk).outcome is Outcome.COMPLETED
    assert "Reference number: " in window.result.receipt.text()
    (request,) = desk.applications()
    assert (request.kind, request.status) == (Filed.DISCLOSURE, ApplicationStatus.APPROVED)
    assert request.disclosure_kind is DisclosureKind.CORRECTION
    assert request.identity_method == IdentityMethod.FACE_VISUAL.value
    audit = desk.audit()
    assert (seed.OPERATOR_ID, "override.visual_face") in audit


def test_face_match_with_the_holders_clip(
    qtbot, open_desk: OpenDesk, clips: dict[str, Path], matcher: Matcher
) -> None:
    desk = open_desk(ADULT, camera=(clips["holder"], matcher))
    window, panel = desk.window, desk.panel
    sign_in(qtbot, desk)
    start_visit(qtbot, desk)
    window.menu.button_for(NEW_AUTH).click()  # the central never issued this card's certificate
    wait_keypad(qtbot, desk, PinKind.JUKI)
    with qtbot.waitSignal(window.identity_needed, timeout=WAIT):
        window.pin.alternative.click()
    staff_reads_code_b(qtbot, desk)
    record = face_check(qtbot, desk)
    assert record.decision.outcome is FaceOutcome.MATCHED and record.accepted
    assert not panel.visual.isVisible()  # nothing for staff to decide
    enter_new(qtbot, desk, PinKind.AUTH, NEW_AUTH_PIN)  # the resident goes on at once
    assert ending(qtbot, desk).outcome is Outcome.COMPLETED
    serial = format(desk.on_card(Certificate.USER_AUTH).serial_number, "x")
    assert f"(serial number {serial})" in window.result.receipt.text()
    assert desk.certificate(serial).status is CertStatus.GOOD
    (issuance,) = desk.applications()
    assert (issuance.kind, issuance.status) == (Filed.NEW_ISSUANCE, ApplicationStatus.APPROVED)
    assert issuance.identity_method == IdentityMethod.FACE_MACHINE.value


# -- who applies -----------------------------------------------------------------------------------


def test_under_15_needs_the_legal_representative(qtbot, open_desk: OpenDesk) -> None:
    desk = open_desk(MINOR)  # 9 years old
    window = desk.window
    sign_in(qtbot, desk)
    start_visit(qtbot, desk)
    window.menu.button_for(NEW_AUTH).click()
    identify(qtbot, desk)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.result, timeout=WAIT)
    assert window.result.status.state is State.ERROR
    assert "the legal representative (法定代理人) must apply" in window.result.status.text()
    assert desk.applications() == []  # refused at the counter, nothing filed
    assert (seed.OPERATOR_ID, "eligibility.refused") in desk.audit()
    finish(qtbot, desk)

    start_visit(qtbot, desk)  # the parent comes back with the child
    staff_presents(qtbot, desk, Presenter.LEGAL_REPRESENTATIVE_WITH_APPLICANT)
    window.menu.button_for(NEW_AUTH).click()
    identify(qtbot, desk)
    enter_new(qtbot, desk, PinKind.AUTH, NEW_AUTH_PIN)  # the representative sets it (要綱 2-11)
    assert ending(qtbot, desk).outcome is Outcome.COMPLETED
    serial = format(desk.on_card(Certificate.USER_AUTH).serial_number, "x")
    assert f"(serial number {serial})" in window.result.receipt.text()
    assert desk.certificate(serial).status is CertStatus.GOOD
    # The central refuses an under-15's application without the legal representative in it.
    (issuance,) = desk.applications()
    assert (issuance.kind, issuance.status) == (Filed.NEW_ISSUANCE, ApplicationStatus.APPROVED)
    assert (seed.OPERATOR_ID, "override.representative") in desk.audit()


def test_proxy_with_the_sealed_pin_form(qtbot, open_desk: OpenDesk) -> None:
    desk = open_desk(ADULT)
    window, panel = desk.window, desk.panel
    sign_in(qtbot, desk)
    start_visit(qtbot, desk)
    staff_presents(qtbot, desk, Presenter.PROXY)
    with qtbot.waitSignal(window.identity_needed, timeout=WAIT) as needed:
        window.menu.button_for(NEW_AUTH).click()  # a proxy is never asked the holder's PIN
    assert needed.args == ["proxy"]
    staff_reads_code_b(qtbot, desk)  # the applicant's 基本4情報 from the card
    docs = panel.documents
    assert docs.proxy.isVisible()  # the letter of attorney and the PIN form are asked
    docs.choose_kind(PhotoIdKind.PASSPORT)  # the proxy's own photo ID
    docs.valid_until.setDate(window.visit.today + dt.timedelta(days=3 * 365))
    docs.add.click()
    docs.letter_of_attorney.button.click()
    docs.inquiry_answer.button.click()
    docs.pin_form.setCurrentIndex(index_of(docs.pin_form, PinRequestForm.SEALED))
    docs.reason.choose(OverrideReason.DOCUMENTS_SEEN)
    qtbot.waitUntil(docs.confirm.button.isEnabled, timeout=WAIT)
    docs.confirm.button.click()
    wait_keypad(qtbot, desk, PinKind.AUTH, PinUse.NEW)
    assert "Staff: key in the PIN from the sealed PIN request form" in window.pin.explain.text()
    enter_new(qtbot, desk, PinKind.AUTH, NEW_AUTH_PIN)  # staff, from the sealed form
    assert ending(qtbot, desk).outcome is Outcome.COMPLETED
    serial = format(desk.on_card(Certificate.USER_AUTH).serial_number, "x")
    assert f"(serial number {serial})" in window.result.receipt.text()
    assert desk.certificate(serial).status is CertStatus.GOOD
    assert desk.card_state().jpki.auth_pin.value == NEW_AUTH_PIN
    (issuance,) = desk.applications()
    assert (issuance.kind, issuance.status) == (Filed.NEW_ISSUANCE, ApplicationStatus.APPROVED)
    assert issuance.identity_method == IdentityMethod.PHOTO_ID.value
    assert (seed.OPERATOR_ID, "override.proxy_documents") in desk.audit()
