"""The unattended PIN-reset window driven through its real widgets (pytest-qt, offscreen), with the
real flow (`kiosk.flows.unattended.UnattendedReset`): the software card in an in-process reader,
the real central served in-process with this kiosk registered there as an *unattended* terminal,
the kiosk's store. The same paths over pcscd/vpcd with the central as its own process and the face
check on a camera clip are in tests/e2e/test_unattended_e2e.py.

The card is the demo's (demo/seed.py): its user-authentication certificate was issued by this
central, so the signing PIN can be reset here (proved by the user-authentication PIN) and the
user-authentication PIN cannot (the card has no signing certificate to prove it with).
"""

# Fixtures imported by name (counter_fixtures, kiosk_store_fixtures) are parameters of the tests.
# ruff: noqa: F811

from __future__ import annotations

import datetime as dt
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from counter_fixtures import server  # noqa: F401 (fixture)
from flowkit import MUNICIPALITY, TERMINAL, CentralServer, Reader, Slot, enrol, reader_for
from kiosk_store_fixtures import db_path, engine, sealer, sessions  # noqa: F401 (fixtures)
from PySide6.QtCore import QCoreApplication
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QApplication
from sqlalchemy import select

import facekit
from appdata.unattended import Reason, Refusal
from cardemu.residents import AUTH_PIN
from cardemu.staff import StaffCa
from cardemu.testpki import TestPki
from central.enums import TerminalMode
from demo import seed
from kiosk.domain.pin_rules import PinKind
from kiosk.domain.unattended import Offer, Unavailable
from kiosk.flows.counter.assembly import TerminalConfig, open_terminal
from kiosk.flows.counter.machine import Outcome
from kiosk.flows.counter.terminal import CounterTerminal, utcnow
from kiosk.flows.responses import CertificateResponses
from kiosk.flows.unattended import Capabilities, ResetReceipt
from kiosk.reader.authenticity import IssuerTrust
from kiosk.reader.pcsc import ReaderEvent, ReaderEventKind
from kiosk.store.models import AuditRecord
from kiosk.store.sealed import Sealer
from kiosk.sync.central import CentralLink
from kiosk.sync.relay import Relay
from kiosk.ui.i18n import DEFAULT_LANGUAGE, Language, Translations
from kiosk.ui.keypad import PinKeypad
from kiosk.ui.receipt import receipt_document
from kiosk.ui.staff import Phase
from kiosk.ui.theme import Metrics, TextSize
from kiosk.ui.unattended import UnattendedWindow, tries_here
from kiosk.ui.unattended_app import UnattendedMain
from kiosk.ui.unattended_texts import (
    REASON_SOURCE,
    REFUSAL_SOURCE,
    UNAVAILABLE_SOURCE,
    reason_text,
    refusal_text,
    unavailable_text,
)

UNATTENDED = "kiosk-unattended-ui"
WAIT = 30_000
ROOT = Path(__file__).resolve().parents[2]


# -- the world: the central knows this kiosk as unattended, and the card's auth certificate ------


@pytest.fixture
def kiosk(
    sessions, sealer: Sealer, server: CentralServer, test_pki: TestPki, tmp_path: Path
) -> CounterTerminal:
    """This kiosk, registered at the central as an unattended terminal (both PINs)."""
    identity, key = enrol(
        server.central, UNATTENDED, MUNICIPALITY, tmp_path / "unattended",
        mode=TerminalMode.UNATTENDED, reset_pins=("sign", "auth"),
    )  # fmt: skip
    link = CentralLink(server.url, identity, timeout=10)
    relay = Relay(sessions, link.send, verify_receipt=link.verify_receipt,
                  on_settled=CertificateResponses(sealer, link, clock=utcnow), clock=utcnow)  # fmt: skip
    return CounterTerminal(
        sessions=sessions, sealer=sealer, link=link, relay=relay, terminal_id=UNATTENDED, signing_key=key,
        recipient=server.central.authority.encryption_key.public_key(),
        trust=IssuerTrust.from_directory(test_pki.write_issuer_trust(tmp_path / "trust")),
        rng=random.Random(7),
    )  # fmt: skip


@pytest.fixture
def seeded(server: CentralServer, test_pki: TestPki, tmp_path: Path) -> seed.SeededCard:
    """The demo's card: its user-authentication certificate issued by this central (through the
    counter terminal the in-process central comes with)."""
    return seed.seed_renewable_card(
        tmp_path / "resident.json",
        test_pki,
        server.central,
        terminal_id=TERMINAL,
        terminal_key=server.terminal_key,
    )


class Printed:
    """A PDF printer that remembers how often it was asked for."""

    def __init__(self, directory: Path) -> None:
        self.directory, self.count = directory, 0

    def __call__(self) -> QPrinter:
        self.count += 1
        out = QPrinter(QPrinter.PrinterMode.HighResolution)
        out.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        out.setOutputFileName(str(self.directory / f"receipt-{self.count}.pdf"))
        return out


def make_window(qtbot, kiosk: CounterTerminal, reader: Reader | None, **kwargs) -> UnattendedWindow:
    app = QApplication.instance()
    translations = Translations(app)
    opener = (lambda: reader) if reader is not None else _no_card
    window = UnattendedWindow(
        kiosk, opener, kwargs.pop("capabilities", Capabilities()), translations, Metrics(96.0), **kwargs
    )
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    window.translations_ = translations  # type: ignore[attr-defined]  # uninstalled by `close`
    return window


def _no_card() -> Reader:
    raise AssertionError("no card in this test")


@pytest.fixture
def windows(qtbot):
    made: list[UnattendedWindow] = []

    def make(kiosk: CounterTerminal, reader: Reader | None, **kwargs) -> UnattendedWindow:
        window = make_window(qtbot, kiosk, reader, **kwargs)
        made.append(window)
        return window

    yield make
    for window in made:
        window.shutdown()
        window.close()
        window.translations_.uninstall()  # type: ignore[attr-defined]


def english(qtbot, window: UnattendedWindow) -> None:
    """English, once the widgets have had the (posted) LanguageChange of every switch so far."""
    window.translations.switch(Language.EN)
    qtbot.waitUntil(lambda: window.attract.title.text() == "Reset a forgotten or locked PIN", timeout=5000)


def start(qtbot, window: UnattendedWindow) -> None:
    window.attract.buttons[Language.EN].click()
    window.card_inserted()
    qtbot.waitUntil(lambda: window.stack.currentWidget() in (window.choose, window.outcome), timeout=WAIT)


def wait_screen(qtbot, window: UnattendedWindow, screen) -> None:
    qtbot.waitUntil(lambda: window.stack.currentWidget() is screen, timeout=WAIT)


def keypad_of(window: UnattendedWindow, kind: PinKind, *, code_b: bool = False) -> PinKeypad:
    keypad = window.code_b.keypad if code_b else window.pin.keypad
    assert isinstance(keypad, PinKeypad) and keypad.kind is kind
    return keypad


def touch(keypad: PinKeypad, text: str) -> None:
    """Touch the key showing each character (the digits move with every shuffle), then OK."""
    for ch in text:
        (key,) = [k for k in keypad.key_buttons() if k.text() == ch]
        key.click()
    keypad.ok.click()


def wait_keypad(
    qtbot, window: UnattendedWindow, kind: PinKind, *, after: PinKeypad | None = None
) -> PinKeypad:
    def shown() -> bool:
        keypad = window.code_b.keypad if kind is PinKind.CODE_B else window.pin.keypad
        return keypad is not None and keypad is not after and keypad.kind is kind and not window.runner.busy

    qtbot.waitUntil(shown, timeout=WAIT)
    return keypad_of(window, kind, code_b=kind is PinKind.CODE_B)


def to_other_pin(qtbot, window: UnattendedWindow) -> PinKeypad:
    """Choose the signing PIN (the one the card allows): 機構 opens a ticket, the auth PIN is asked."""
    start(qtbot, window)
    assert window.stack.currentWidget() is window.choose
    window.choose.pin_buttons[PinKind.SIGN].click()
    return wait_keypad(qtbot, window, PinKind.AUTH)


def audit_records(kiosk: CounterTerminal) -> list[AuditRecord]:
    with kiosk.sessions() as session:
        return list(session.scalars(select(AuditRecord).order_by(AuditRecord.id)))


def audit(kiosk: CounterTerminal) -> list[tuple[str, dict]]:
    return [(r.action, json.loads(r.details)) for r in audit_records(kiosk)]


def referred_reasons(kiosk: CounterTerminal) -> list[str]:
    return [d.get("reason") for action, d in audit(kiosk) if action == "unattended.referred"]


# -- the codes' words ------------------------------------------------------------------------------


def test_every_code_has_its_sentence(qapp) -> None:
    assert set(UNAVAILABLE_SOURCE) == set(Unavailable)
    assert set(REASON_SOURCE) == set(Reason)
    assert set(REFUSAL_SOURCE) == set(Refusal)
    for reason in Unavailable:
        assert unavailable_text(reason, PinKind.SIGN)
    sentences = [reason_text(r) for r in Reason] + [refusal_text(r) for r in Refusal]
    assert all(sentences) and "%" not in "".join(sentences)
    # A proving PIN named in the sentence is the other one, never the PIN being reset.
    text = unavailable_text(Unavailable.OTHER_PIN_BLOCKED, PinKind.SIGN)
    assert "user authentication PIN" in text and "signing PIN" not in text


def test_the_japanese_keeps_the_official_terms(qapp, translations) -> None:
    """A sentence that names an official term in brackets (機構, 真正性, 照合番号B…) keeps it in
    Japanese: it is what the counter's staff and the resident's papers say."""
    translations.switch(Language.JA)
    sources = [*UNAVAILABLE_SOURCE.values(), *REASON_SOURCE.values(), *REFUSAL_SOURCE.values()]
    checked = 0
    for english in sources:
        japanese = QCoreApplication.translate("Unattended", english)
        assert japanese != english, english
        for term in re.findall(r"\(([^()]*[\u3040-\u30ff\u4e00-\u9fff][^()]*)\)", english):
            assert term in japanese, (term, japanese)
            checked += 1
    assert checked >= 8  # the check has something to check


def test_tries_here_keeps_the_last_try_for_the_counter() -> None:
    assert [tries_here(n) for n in (None, 0, 1, 2, 3, 5)] == [0, 0, 0, 1, 2, 4]


# -- screens -------------------------------------------------------------------------------------


def test_the_attract_screen_names_only_what_the_terminal_declares(qtbot, windows, kiosk) -> None:
    window = windows(kiosk, None, capabilities=Capabilities(pins=(PinKind.SIGN,)))
    english(qtbot, window)
    text = window.attract.text.text()
    assert "signing PIN" in text and "user authentication PIN" not in text
    window.set_out_of_service(True)
    assert not any(b.isEnabled() for b in window.attract.buttons.values())
    assert "out of service" in window.attract.status.text()
    window.set_out_of_service(False)
    assert all(b.isEnabled() for b in window.attract.buttons.values())


def test_the_choice_offers_the_allowed_pins_and_says_why_not_the_others(qtbot, windows, kiosk) -> None:
    window = windows(kiosk, None)
    english(qtbot, window)
    window.choose.show_offer(Offer((PinKind.SIGN,), {PinKind.AUTH: Unavailable.NO_PROOF_CERTIFICATE}))
    assert list(window.choose.pin_buttons) == [PinKind.SIGN]
    assert window.choose.pin_buttons[PinKind.SIGN].text().startswith("signing PIN")
    line = window.choose.reason_lines[PinKind.AUTH].text()
    assert (
        line.startswith("user authentication PIN")
        and "valid certificate for the other PIN (signing PIN)" in line
    )
    assert window.choose.both.isVisible() or window.choose.both.text() == "I forgot both PINs"


def test_the_code_b_screen_shows_where_each_part_is_printed(qtbot, windows, kiosk) -> None:
    window = windows(kiosk, None)
    english(qtbot, window)
    window._ask_code_b()
    assert window.stack.currentWidget() is window.code_b
    keypad = keypad_of(window, PinKind.CODE_B, code_b=True)
    legend = [label.text() for label in window.code_b.guide.legend]
    assert legend[0].startswith("1") and "Japanese era" in legend[0]
    assert legend[1].startswith("2") and "Expiry year" in legend[1]
    assert legend[2].startswith("3") and "under the photo" in legend[2]
    for ch in "5502172035228":  # 13 of the 14 digits: not yet complete
        keypad.press(ord(ch))
    assert not keypad.ok.isEnabled()
    keypad.press(ord("5"))
    assert keypad.ok.isEnabled()
    window.translations.switch(Language.JA)  # the legend follows the language (a posted event)
    qtbot.waitUntil(lambda: window.code_b.guide.legend[0].text() != legend[0], timeout=5000)
    assert "和暦" in window.code_b.guide.legend[0].text()


def test_the_referral_slip_prints_the_reason_and_nothing_personal(qtbot, windows, kiosk, tmp_path) -> None:
    printer = Printed(tmp_path)
    window = windows(kiosk, None, printer=printer)
    english(qtbot, window)
    window.outcome.show_referral(Reason.CENTRAL_REFUSED, Refusal.RATE_LIMITED_CARD, reference="reset/abc")
    window._show(window.outcome)
    text = window.outcome.receipt_text()
    assert "did not allow this reset" in text and "too many reset attempts" in text
    assert "Nothing was changed on your card." in text and "reset/abc" in text
    assert window.outcome.title.text() == "Please go to the municipal counter"
    window.outcome.print_button.click()
    assert printer.count == 1 and window.outcome.print_button.text() == "Printed"
    document = receipt_document(window.outcome.heading(), text, UNATTENDED).toPlainText()
    assert UNATTENDED in document and "reset/abc" in document


def test_the_receipt_names_the_pin_and_not_the_person(qtbot, windows, kiosk) -> None:
    window = windows(kiosk, None)
    english(qtbot, window)
    receipt = ResetReceipt(
        PinKind.SIGN, UNATTENDED, "reset/1234", dt.datetime(2026, 11, 23, 1, 2, tzinfo=dt.UTC)
    )
    window.outcome.show_done(receipt)
    text = window.outcome.receipt_text()
    assert "Your signing PIN has been reset" in text and "reset/1234" in text
    assert "other PIN was not changed" in text
    assert not window.outcome.print_button.isVisibleTo(window.outcome)  # no printer: no button


# -- with the real flow ----------------------------------------------------------------------------


def test_a_card_the_central_cannot_vouch_for_is_referred_at_once(
    qtbot, windows, kiosk, server, card_file
) -> None:
    """A software card whose certificates this central never issued: nothing can prove who holds
    it, so nothing is offered — straight to the referral, recorded with 機構's reason."""
    reader = reader_for(card_file("adult"), server.central)
    state = reader.card.state
    server.central.register_card(state.card_id, MUNICIPALITY, "holder-x", dt.date(2034, 1, 1))
    window = windows(kiosk, reader)
    start(qtbot, window)
    assert window.stack.currentWidget() is window.outcome
    assert window.outcome.referred and window.outcome.refusal is Refusal.NO_PROOF_CERTIFICATE
    assert "certificate of the PIN you still know is not valid" in window.outcome.lines.text()
    assert window.last_ending is not None and window.last_ending.outcome is Outcome.REFUSED
    assert referred_reasons(kiosk) == [Reason.CENTRAL_REFUSED.value]
    # The slip names the attempt the referral is recorded under, though no flow reached the UI.
    (subject,) = {r.subject for r in audit_records(kiosk) if r.action == "unattended.referred"}
    assert subject.startswith("reset/") and window.outcome.reference == subject
    assert f"Reference number: {subject}" in window.outcome.lines.text()
    with qtbot.waitSignal(window.stack.currentChanged, timeout=WAIT):
        window.card_removed()  # the person takes the card: the next one may start, in Japanese
    assert window.stack.currentWidget() is window.attract
    assert window.translations.language is DEFAULT_LANGUAGE


def test_the_choice_then_a_wrong_other_pin_until_the_terminal_stops(
    qtbot, windows, kiosk, seeded, server
) -> None:
    reader = reader_for(seeded.path, server.central)
    window = windows(kiosk, reader)
    start(qtbot, window)
    # The card allows the signing PIN only: the user-authentication PIN is named with why not.
    assert list(window.choose.pin_buttons) == [PinKind.SIGN]
    assert PinKind.AUTH in window.choose.reason_lines
    window.choose.pin_buttons[PinKind.SIGN].click()
    first = wait_keypad(qtbot, window, PinKind.AUTH)
    assert "Tries you may use at this terminal: 2." in window.pin.explain.text()  # 3 on the card
    touch(first, "0000")
    second = wait_keypad(qtbot, window, PinKind.AUTH, after=first)
    assert "last try at this terminal" in window.pin.status.text()
    assert "2" in second.tries.text()  # the card's counter, after the wrong entry
    touch(second, "0001")
    wait_screen(qtbot, window, window.outcome)
    assert window.outcome.reason is Reason.OTHER_PIN_WRONG
    assert "stops before the last try" in window.outcome.lines.text()
    # One try is left on the card: the PIN did not lock, and the PIN being reset was not touched.
    assert reader.card.state.jpki.auth_pin.tries_left == 1
    assert referred_reasons(kiosk) == [Reason.OTHER_PIN_WRONG.value]


def test_both_forgotten_at_the_choice(qtbot, windows, kiosk, seeded, server) -> None:
    reader = reader_for(seeded.path, server.central)
    window = windows(kiosk, reader)
    start(qtbot, window)
    window.choose.both.click()
    wait_screen(qtbot, window, window.outcome)
    assert window.outcome.reason is Reason.BOTH_FORGOTTEN
    assert "only be set at the municipal counter" in window.outcome.lines.text()
    assert reader.card.state.jpki.auth_pin.tries_left == 3  # no try spent
    assert referred_reasons(kiosk) == [Reason.BOTH_FORGOTTEN.value]


def test_wrong_code_b_twice_then_no_camera(qtbot, windows, kiosk, seeded, server) -> None:
    """照合番号B keyed wrong is asked again once, then referred; keyed right on a terminal without
    a camera, the face check cannot run and there is no staff to look instead: referred."""
    window = windows(kiosk, reader_for(seeded.path, server.central))
    touch(to_other_pin(qtbot, window), AUTH_PIN)
    first = wait_keypad(qtbot, window, PinKind.CODE_B)
    touch(first, "0" * 14)
    second = wait_keypad(qtbot, window, PinKind.CODE_B, after=first)
    assert "did not accept this number" in window.code_b.status.text()
    touch(second, seeded.spec.pin_b)
    wait_screen(qtbot, window, window.outcome)
    assert window.outcome.reason is Reason.FACE_NOT_CAPTURED  # no camera configured here
    face = [d for action, d in audit(kiosk) if action == "identity.face_check"]
    assert face and face[0]["outcome"] == "unable" and face[0]["liveness"] is True


def test_a_pulled_card_ends_the_attempt_and_says_so(qtbot, windows, kiosk, seeded, server) -> None:
    window = windows(kiosk, reader_for(seeded.path, server.central))
    keypad = to_other_pin(qtbot, window)
    for ch in "12":
        keypad.press(ord(ch))  # half-typed: wiped with the keypad
    window.card_removed()
    assert window.stack.currentWidget() is window.outcome
    assert window.outcome.reason is Reason.CARD_REMOVED and not window.outcome.card_maybe_changed
    assert window.last_ending is not None and window.last_ending.outcome is Outcome.CARD_REMOVED
    assert keypad.entry_length == 0
    window.outcome.finish.click()
    assert window.stack.currentWidget() is window.attract


def test_cancel_is_recorded_and_the_session_starts_afresh(
    qtbot, windows, kiosk, seeded, server, themed
) -> None:
    window = windows(kiosk, reader_for(seeded.path, server.central))
    start(qtbot, window)
    window.display.large.click()  # this person's setting
    assert window.display.settings.text is TextSize.LARGE
    window.choose.cancel.click()
    assert window.stack.currentWidget() is window.outcome and window.outcome.cancelled
    assert window.last_ending is not None and window.last_ending.outcome is Outcome.CANCELLED
    window.outcome.finish.click()  # the card is still in: asked for before anyone else starts
    assert window.stack.currentWidget() is window.take_card
    assert window.translations.language is DEFAULT_LANGUAGE
    assert window.display.settings.text is TextSize.NORMAL
    window.card_removed()
    assert window.stack.currentWidget() is window.attract
    actions = [action for action, _d in audit(kiosk)]
    assert "flow.unattended_reset" in actions


def test_texts_are_translated(qtbot, windows, kiosk) -> None:
    window = windows(kiosk, None)
    english(qtbot, window)
    window.translations.switch(Language.JA)  # widgets retranslate on the posted LanguageChange
    japanese = QCoreApplication.translate("Unattended", "Reset a forgotten or locked PIN")
    assert japanese != "Reset a forgotten or locked PIN"
    qtbot.waitUntil(lambda: window.attract.title.text() == japanese, timeout=5000)


# -- the application: maintenance at rest, and `kiosk run` -------------------------------------


@dataclass
class Shop:
    server: CentralServer
    data: Path  # the unattended terminal's data directory, as the installer leaves it
    resident: Path
    staff: Path


@pytest.fixture
def shop(server: CentralServer, test_pki: TestPki, tmp_path: Path) -> Shop:
    data = tmp_path / "shop"
    enrol(
        server.central, UNATTENDED, MUNICIPALITY, data / "terminal",
        mode=TerminalMode.UNATTENDED, reset_pins=("sign", "auth"),
    )  # fmt: skip
    staff = tmp_path / "staff.json"
    seed.prepare_terminal(
        data, server.central.authority, test_pki, StaffCa.create(tmp_path / "staff-ca"), staff
    )
    seeded = seed.seed_renewable_card(
        tmp_path / "resident.json", test_pki, server.central, terminal_id=TERMINAL,
        terminal_key=server.terminal_key,
    )  # fmt: skip
    return Shop(server, data, seeded.path, staff)


def inserted(reader: str = "ACME Reader 00") -> ReaderEvent:
    return ReaderEvent(ReaderEventKind.CARD_INSERTED, reader, b"\x3b")


def removed(reader: str = "ACME Reader 00") -> ReaderEvent:
    return ReaderEvent(ReaderEventKind.CARD_REMOVED, reader, b"")


def test_a_staff_card_at_rest_opens_maintenance_a_residents_card_does_not(qtbot, qapp, shop: Shop) -> None:
    """One reader for both: a card inserted at the attract screen is looked at without a PIN try;
    the resident's goes to the resident's window, the staff card opens the sign-in, then the
    service menu; taking the terminal out of service shows on the resident's screen; closing
    maintenance signs out and gives the screen back."""
    slot = Slot(shop.resident)
    running = open_terminal(TerminalConfig(shop.data, UNATTENDED, shop.server.url))
    translations = Translations(qapp)
    main = UnattendedMain(
        running, Capabilities(), translations, Metrics(96.0), open_resident=slot.open, open_staff=slot.open
    )
    qtbot.addWidget(main)
    main.resize(1280, 800)
    main.show()
    try:
        main.on_reader_event(inserted())
        qtbot.waitUntil(lambda: main.window.card_present, timeout=WAIT)  # the look said: a resident's
        assert not main.in_maintenance and main.window.stack.currentWidget() is main.window.attract
        main.on_reader_event(removed())
        slot.put(shop.staff)
        main.on_reader_event(inserted())
        staff = main.maintenance.sign_in
        qtbot.waitUntil(lambda: main.in_maintenance and staff.phase is Phase.PIN, timeout=WAIT)
        assert not main.window.card_present  # the staff card is not a resident's
        assert not main.maintenance.service.isVisibleTo(main.maintenance)  # nothing before sign-in
        keypad = staff.keypad
        assert keypad is not None
        with qtbot.waitSignal(main.gate.signed_in, timeout=WAIT):
            touch(keypad, seed.STAFF_PIN)
        switch = main.maintenance.service
        qtbot.waitUntil(lambda: switch.mode is not None and switch.take_out.isEnabled(), timeout=WAIT)
        assert main.maintenance.exit.isVisibleTo(main.maintenance)
        switch.take_out.click()
        qtbot.waitUntil(lambda: not main.window.attract.buttons[Language.JA].isEnabled(), timeout=WAIT)
        main.maintenance.close_button.click()  # sign out, back to the residents' screen
        assert main.gate.session is None and not main.in_maintenance
        assert main.window.attract.status.text()  # the out-of-service banner stays for residents
        with running.counter.sessions() as session:
            actions = [r.action for r in session.scalars(select(AuditRecord).order_by(AuditRecord.id))]
        assert {"operator.login", "terminal.mode", "operator.logout"} <= set(actions)
    finally:
        main.shutdown()
        translations.uninstall()


def test_kiosk_run_unattended_until_sigterm(shop: Shop, tmp_path: Path) -> None:
    """`kiosk run` with an unattended configuration, in a process of its own (offscreen, no pcscd:
    the reader monitor waits): the health file says "unattended" with the checks the writer ran
    itself, and SIGTERM — `systemctl stop` — ends the locked-down kiosk with exit status 0."""
    shop.data.chmod(0o700)  # as `kiosk run` requires
    clip = facekit.live_clip(tmp_path / "camera.avi", "obama", (), frames=15)
    health, logs = tmp_path / "run" / "health.json", tmp_path / "logs"
    config = tmp_path / "kiosk.toml"
    config.write_text(
        f'[terminal]\nid = "{UNATTENDED}"\nmode = "unattended"\ncentral_url = "{shop.server.url}"\n'
        f'data_dir = "{shop.data}"\n[devices]\ncamera = "{clip}"\n'
        f'[unattended]\npins = ["sign"]\n[logging]\ndirectory = "{logs}"\n'
        f'[health]\nfile = "{health}"\ninterval_seconds = 5\n',
        encoding="utf-8",
    )
    kiosk = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "run", "--config", str(config)],
        cwd=ROOT, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        document: dict[str, object] = {}
        deadline = time.monotonic() + 90  # a bound on a hang, not a measured time
        while time.monotonic() < deadline and kiosk.poll() is None:
            if health.exists():
                document = json.loads(health.read_text(encoding="utf-8"))
                if document["checked_at"] is not None:
                    break
            time.sleep(0.2)
        assert document.get("checked_at") is not None, kiosk.stderr.read() if kiosk.poll() is not None else ""
        assert (document["terminal_id"], document["mode"]) == (UNATTENDED, "unattended")
        names = {c["name"] for c in document["checks"]}  # type: ignore[union-attr]
        assert "central" in names
        kiosk.send_signal(signal.SIGTERM)
        assert kiosk.wait(60) == 0
    finally:
        if kiosk.poll() is None:
            kiosk.kill()
            kiosk.wait(10)
    assert json.loads(health.read_text(encoding="utf-8"))["status"] == "stopped"
