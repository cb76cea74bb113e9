"""The counter window driven through its real widgets (pytest-qt, offscreen): the software card in
an in-process reader, the real central served in-process, the kiosk's store. The same paths over
pcscd/vpcd with the central as its own process are in tests/e2e."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from counter_fixtures import insert, server, terminal  # noqa: F401 (fixtures)
from kiosk_store_fixtures import db_path, engine, sealer, sessions  # noqa: F401 (fixtures)
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QApplication

import facekit
from cardemu.residents import AUTH_PIN, JUKI_PIN, KENHOJO_PIN, resident_specs
from kiosk.config import parse_config
from kiosk.domain.eligibility import Certificate, Presenter
from kiosk.domain.identity import PinCheck
from kiosk.domain.overrides import OverrideReason
from kiosk.domain.pin_rules import PinKind
from kiosk.domain.procedures import Item, Procedure
from kiosk.domain.secret import Secret
from kiosk.facecheck.camera import Capture
from kiosk.facecheck.fallback import NextStep
from kiosk.facecheck.matcher import ProcessMatcher
from kiosk.facecheck.policy import DEFAULT_POLICY
from kiosk.flows.counter.card import CardAtCounter
from kiosk.flows.counter.machine import Outcome
from kiosk.flows.counter.visit import Presentation, Visit
from kiosk.ui.app import CounterSettings
from kiosk.ui.counter import CounterWindow
from kiosk.ui.i18n import Language, Translations
from kiosk.ui.keypad import PinKeypad
from kiosk.ui.receipt import receipt_document
from kiosk.ui.theme import DEFAULT_SETTINGS, Metrics, TextSize

OPERATOR = "staff-007"


@pytest.fixture
def window(qtbot, terminal, insert):  # noqa: F811
    reader, _card = insert("adult")
    app = QApplication.instance()
    translations = Translations(app)
    operator = {"id": OPERATOR}
    win = CounterWindow(terminal, lambda: reader, lambda: operator["id"], translations, Metrics(96.0))
    qtbot.addWidget(win)
    win.resize(1024, 768)
    win.show()
    win.reader = reader  # type: ignore[attr-defined]
    win.operator = operator  # type: ignore[attr-defined]
    yield win
    translations.uninstall()


def _type(qtbot, window: CounterWindow, text: str, *, twice: bool = False) -> None:
    keypad = window.pin.keypad
    assert isinstance(keypad, PinKeypad)
    for _ in range(2 if twice else 1):
        for ch in text:
            keypad.press(ord(ch))
        keypad.confirm()


def _wait_screen(qtbot, window: CounterWindow, screen) -> None:
    qtbot.waitUntil(lambda: window.stack.currentWidget() is screen, timeout=30_000)


def _start(qtbot, window: CounterWindow) -> None:
    window.attract.buttons[Language.EN].click()
    window.card_inserted()
    _wait_screen(qtbot, window, window.menu)


def test_pin_change_through_the_widgets(qtbot, window) -> None:
    _start(qtbot, window)
    # the software card's certificates are unknown to this central: no PIN change offered yet
    with pytest.raises(KeyError):
        window.menu.button_for(Item(Procedure.PIN_CHANGE, PinKind.AUTH))
    window.menu.button_for(Item(Procedure.PIN_CHANGE, PinKind.JUKI)).click()
    _wait_screen(qtbot, window, window.pin)
    _type(qtbot, window, JUKI_PIN)
    qtbot.waitUntil(
        lambda: window.pin.keypad is not None and window.pin.keypad.use.name == "NEW", timeout=10_000
    )
    _type(qtbot, window, "5820", twice=True)
    _wait_screen(qtbot, window, window.result)
    assert "Done" in window.result.status.text()
    with qtbot.waitSignal(window.visit_ended, timeout=5000):
        window.result.finish.click()
    assert window.stack.currentWidget() is window.attract


def test_new_certificate_through_the_widgets(qtbot, window) -> None:
    _start(qtbot, window)
    window.menu.button_for(Item(Procedure.NEW_ISSUANCE, Certificate.USER_AUTH)).click()
    _wait_screen(qtbot, window, window.pin)
    _type(qtbot, window, JUKI_PIN)  # identity: 住基 PIN
    qtbot.waitUntil(lambda: window.pin.keypad.kind is PinKind.KENHOJO, timeout=10_000)
    _type(qtbot, window, KENHOJO_PIN)  # the 基本4情報 for the application
    qtbot.waitUntil(lambda: window.pin.keypad.kind is PinKind.AUTH, timeout=10_000)
    _type(qtbot, window, "8642", twice=True)  # the new certificate's PIN
    _wait_screen(qtbot, window, window.result)
    text = window.result.receipt.text()
    assert "New user authentication certificate on your card" in text, text
    visit = window.visit
    assert visit is not None and visit.flow.ending.outcome is Outcome.COMPLETED


def test_wrong_identity_pin_shows_tries_and_card_pull_ends_the_visit(qtbot, window) -> None:
    _start(qtbot, window)
    window.menu.button_for(Item(Procedure.NEW_ISSUANCE, Certificate.USER_AUTH)).click()
    _wait_screen(qtbot, window, window.pin)
    _type(qtbot, window, "0000")
    qtbot.waitUntil(lambda: "not correct" in window.pin.status.text(), timeout=10_000)
    assert "2" in window.pin.keypad.tries.text()
    with qtbot.waitSignal(window.visit_ended, timeout=5000) as ended:
        window.card_removed()
    assert ended.args == [Outcome.CARD_REMOVED.value]
    assert window.stack.currentWidget() is window.attract


def test_a_pin_submitted_while_the_card_is_busy_is_wiped(qtbot, window) -> None:
    """The keypad stays on screen while the card checks a PIN: one submitted again meanwhile
    reaches no card, and is wiped rather than left in memory."""
    _start(qtbot, window)
    window.menu.button_for(Item(Procedure.PIN_CHANGE, PinKind.JUKI)).click()
    _wait_screen(qtbot, window, window.pin)
    submitted: list[Secret] = []
    window.pin.keypad.submitted.connect(submitted.append)
    release = threading.Event()
    assert window.runner.run(release.wait)  # the reader's runner is busy with a step
    try:
        _type(qtbot, window, JUKI_PIN)
        assert len(submitted) == 1 and submitted[0].wiped
    finally:
        release.set()
        window.runner.wait(5000)


def test_a_step_that_failed_does_not_take_the_next_steps_result(qtbot, window) -> None:
    """The PIN locked during a PIN change ends the flow with an error; the next visit's card read
    must reach the menu, not the PIN change's handler left waiting for a result."""
    _start(qtbot, window)
    window.menu.button_for(Item(Procedure.PIN_CHANGE, PinKind.JUKI)).click()
    for _ in range(3):
        shown = window.pin.keypad
        _type(qtbot, window, "0000")
        qtbot.waitUntil(
            lambda shown=shown: (
                window.pin.keypad is not shown or window.stack.currentWidget() is window.result
            ),
            timeout=10_000,
        )
    _wait_screen(qtbot, window, window.result)
    assert window.visit.flow.ending.code == "pin-blocked"
    with qtbot.waitSignal(window.visit_ended, timeout=5000):
        window.result.finish.click()
    window.reader.insert()  # the in-process reader was released with the visit: power it up again
    window.attract.buttons[Language.EN].click()  # the card is still in: the next visit reads it
    _wait_screen(qtbot, window, window.menu)
    assert window.visit is not None and window.visit.preflight is not None


def test_a_suspended_card_goes_to_staff_then_new_certificates_follow(qtbot, window, server) -> None:  # noqa: F811
    server.central.suspend_card(window.reader.card.state.card_id)
    _start(qtbot, window)
    with qtbot.waitSignal(window.identity_needed, timeout=5000) as needed:
        window.menu.button_for(Item(Procedure.FOUND_CARD_RELEASE)).click()
    assert needed.args == ["card-not-in-operation"]  # its PIN path is refused (要綱 2-8)
    assert window.stack.currentWidget() is window.staff_check
    assert window.visit.identity.pin is PinCheck.FAILED  # the surface check is open to staff
    assert all(pin.tries_left == pin.max_tries for pin in window.reader.card.state.juki.pins.values())
    # staff: 照合番号B and the surface check (the panel's work, tests/ui/test_visit_panel.py)
    window.visit.read_with_code_b(Secret.from_ascii(resident_specs()["adult"].pin_b))
    assert window.visit.identity.surface_and_declaration(chip_matches_surface=True, declared=True).accepted
    window.identity_established()
    _wait_screen(qtbot, window, window.result)
    assert window.visit.flow.ending.outcome is Outcome.COMPLETED and window.result.more.isVisibleTo(window)
    window.result.more.click()  # new certificates in the same visit
    _wait_screen(qtbot, window, window.menu)
    window.menu.button_for(Item(Procedure.NEW_ISSUANCE, Certificate.USER_AUTH)).click()
    # the identity check of this visit stands: no 住基 PIN asked again, straight to the new PIN
    _wait_screen(qtbot, window, window.pin)
    assert window.pin.keypad.kind is PinKind.AUTH and window.pin.keypad.use.name == "NEW"


def test_a_proxy_is_not_asked_the_holders_pin(qtbot, window) -> None:
    """要綱 2-12: with a proxy recorded (the staff panel's work, tests/ui/test_visit_panel.py), the
    window never shows the 住基 PIN keypad; the identity check goes to staff at once."""
    _start(qtbot, window)
    window.visit.present(Presentation(Presenter.PROXY, papers=OverrideReason.RELATIONSHIP_PROVEN))
    shown: list[object] = []
    with qtbot.waitSignal(window.identity_needed, timeout=5000) as needed:
        window.menu.button_for(Item(Procedure.NEW_ISSUANCE, Certificate.USER_AUTH)).click()
        shown.append(window.pin.keypad)
    assert needed.args == ["proxy"]
    assert shown == [None] and window.stack.currentWidget() is window.staff_check
    assert window.visit.identity.pin is PinCheck.NOT_DONE
    assert all(pin.tries_left == pin.max_tries for pin in window.reader.card.state.juki.pins.values())


def test_no_operator_no_identity_check(qtbot, window) -> None:
    window.operator["id"] = None
    _start(qtbot, window)
    window.menu.button_for(Item(Procedure.NEW_ISSUANCE, Certificate.USER_AUTH)).click()
    _wait_screen(qtbot, window, window.result)
    assert "Staff must sign in" in window.result.status.text()


def test_a_new_session_starts_in_japanese(qtbot, window) -> None:
    _start(qtbot, window)
    assert window.translations.language is Language.EN
    window.menu.done.click()
    assert window.translations.language is Language.JA
    assert AUTH_PIN


def test_the_configured_language_starts_every_session(qtbot, terminal, insert) -> None:  # noqa: F811
    """`ui.language = "en"` (a terminal in an area with many foreign residents): the attract screen and
    every new session are in English; a resident who chose Japanese leaves nothing behind."""
    reader, _card = insert("adult")
    translations = Translations(QApplication.instance())
    win = CounterWindow(
        terminal, lambda: reader, lambda: OPERATOR, translations, Metrics(96.0), default_language=Language.EN
    )
    qtbot.addWidget(win)
    try:
        assert translations.language is Language.EN
        win.attract.buttons[Language.JA].click()
        win.card_inserted()
        _wait_screen(qtbot, win, win.menu)
        assert translations.language is Language.JA
        win.menu.done.click()
        assert translations.language is Language.EN
        assert win.stack.currentWidget() is win.attract
    finally:
        translations.uninstall()


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_configuration_file_sets_the_counter_language(language: str) -> None:
    config = parse_config(
        {
            "terminal": {"id": "kiosk-0001", "mode": "counter", "central_url": "https://central.example/",
                         "data_dir": "/var/lib/jpki-kiosk"},
            "ui": {"language": language},
        },
        source=Path("/etc/jpki-kiosk/kiosk.toml"),
    )  # fmt: skip
    assert CounterSettings.from_config(config).language is Language(language)


def _identify(qtbot, window: CounterWindow) -> None:
    _wait_screen(qtbot, window, window.pin)
    _type(qtbot, window, JUKI_PIN)
    qtbot.waitUntil(lambda: window.pin.keypad.kind is PinKind.KENHOJO, timeout=10_000)
    _type(qtbot, window, KENHOJO_PIN)


def test_disclosure_request_through_the_widgets(qtbot, window) -> None:
    _start(qtbot, window)
    window.menu.button_for(Item(Procedure.DISCLOSURE)).click()
    _identify(qtbot, window)
    _wait_screen(qtbot, window, window.choice)
    assert len(window.choice.buttons) == 2
    window.choice.buttons[1].click()  # correction
    _wait_screen(qtbot, window, window.result)
    assert window.visit.flow.ending.outcome is Outcome.COMPLETED
    assert "Reference number" in window.result.receipt.text()


def test_face_auth_switch_through_the_widgets(qtbot, window, terminal, server) -> None:  # noqa: F811
    _issue_auth_certificate(terminal, window.reader)  # the switch needs a valid one 機構 knows
    _start(qtbot, window)
    window.menu.button_for(Item(Procedure.FACE_AUTH_SWITCH)).click()
    _identify(qtbot, window)
    _wait_screen(qtbot, window, window.choice)
    window.choice.buttons[0].click()
    _wait_screen(qtbot, window, window.result)
    assert window.visit.flow.ending.outcome is Outcome.COMPLETED
    assert server.central.lookup_card(window.reader.card.state.card_id).face_auth


def test_under_15_is_refused_without_the_legal_representative(qtbot, terminal, insert) -> None:  # noqa: F811
    reader, _card = insert("minor")
    translations = Translations(QApplication.instance())
    win = CounterWindow(terminal, lambda: reader, lambda: OPERATOR, translations, Metrics(96.0))
    qtbot.addWidget(win)
    try:
        _start(qtbot, win)
        win.menu.button_for(Item(Procedure.NEW_ISSUANCE, Certificate.USER_AUTH)).click()
        _identify(qtbot, win)
        _wait_screen(qtbot, win, win.result)
        assert "legal representative" in win.result.status.text()
    finally:
        translations.uninstall()


def _issue_auth_certificate(terminal, reader) -> None:  # noqa: F811
    """Through the flows (not the widgets): a user-auth certificate 機構 has on record."""
    card = CardAtCounter(reader)
    visit = Visit(terminal, card, operator=OPERATOR)
    visit.start()
    assert visit.begin_identity().verify_juki_pin(Secret.from_ascii(JUKI_PIN)).verified
    visit.read_applicant(Secret.from_ascii(KENHOJO_PIN))
    visit.choose(Item(Procedure.NEW_ISSUANCE, Certificate.USER_AUTH))
    flow = visit.open_flow()
    flow.set_new_pin(PinKind.AUTH, Secret.from_ascii("8642"))
    flow.apply()
    flow.install()


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    """Camera clips (video files) of the adult card's holder and of someone else."""
    directory = tmp_path_factory.mktemp("camera")
    return {
        "holder": facekit.live_clip(directory / "holder.avi", "obama", (), frames=45),
        "stranger": facekit.live_clip(directory / "stranger.avi", "biden", (), frames=45),
    }


@pytest.fixture(scope="module")
def matcher():
    with ProcessMatcher(DEFAULT_POLICY) as running:
        yield running.start()


def _face_window(qtbot, terminal, reader, clip, matcher):  # noqa: F811
    translations = Translations(QApplication.instance())
    win = CounterWindow(
        terminal,
        lambda: reader,
        lambda: OPERATOR,
        translations,
        Metrics(96.0),
        camera=lambda: Capture(str(clip), realtime=False),
        matcher=matcher,
    )
    qtbot.addWidget(win)
    return win, translations


@pytest.mark.parametrize(("who", "accepted"), [("holder", True), ("stranger", False)])
def test_face_check_at_the_counter(qtbot, terminal, insert, clips, matcher, who, accepted) -> None:  # noqa: F811
    reader, _card = insert("adult")
    win, translations = _face_window(qtbot, terminal, reader, clips[who], matcher)
    try:
        _start(qtbot, win)
        win.menu.button_for(Item(Procedure.NEW_ISSUANCE, Certificate.USER_AUTH)).click()
        _wait_screen(qtbot, win, win.pin)
        with qtbot.waitSignal(win.identity_needed) as needed:
            win.pin.alternative.click()  # "I do not know this PIN": staff check instead
        assert needed.args == ["asked"]
        assert not win.start_face_check()  # not before staff read the chip's photo
        win.visit.read_with_code_b(Secret.from_ascii(resident_specs()["adult"].pin_b))
        with qtbot.waitSignal(win.face_checked, timeout=60_000) as checked:
            assert win.start_face_check()
            assert win.stack.currentWidget() is win.face
        record = checked.args[0]
        assert record.accepted is accepted
        if accepted:  # on to the next step: the 基本4情報 were read with 照合番号B already
            qtbot.waitUntil(lambda: win.pin.keypad is not None and win.pin.keypad.kind is PinKind.AUTH)
        else:  # staff compare the person with the photo (第1号), or another way
            assert win.stack.currentWidget() is win.staff_check
            assert NextStep.STAFF_VISUAL_CHECK in record.options
            assert win.visit.identity.visual(
                record, same_person=True, reason=OverrideReason.APPEARANCE_CHANGED
            )
            win.identity_established()
            qtbot.waitUntil(lambda: win.pin.keypad is not None and win.pin.keypad.kind is PinKind.AUTH)
    finally:
        translations.uninstall()


def test_display_settings_reset_with_every_session(qtbot, window) -> None:
    window.display.large.click()
    window.display.contrast.click()
    assert (
        window.display.settings.text is TextSize.LARGE and "オン" in window.display.large.text()
    )  # attract: Japanese
    _start(qtbot, window)
    window.menu.done.click()  # the next person gets the defaults
    assert window.display.settings == DEFAULT_SETTINGS


def test_receipt_prints_once_per_press(qtbot, terminal, insert, tmp_path) -> None:  # noqa: F811
    reader, _card = insert("adult")
    pdfs: list[Path] = []

    def printer() -> QPrinter:
        out = QPrinter(QPrinter.PrinterMode.HighResolution)
        out.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        pdfs.append(tmp_path / f"receipt-{len(pdfs)}.pdf")
        out.setOutputFileName(str(pdfs[-1]))
        return out

    translations = Translations(QApplication.instance())
    win = CounterWindow(
        terminal, lambda: reader, lambda: OPERATOR, translations, Metrics(96.0), printer=printer
    )
    qtbot.addWidget(win)
    try:
        _start(qtbot, win)
        win.menu.button_for(Item(Procedure.PIN_CHANGE, PinKind.JUKI)).click()
        _wait_screen(qtbot, win, win.pin)
        _type(qtbot, win, JUKI_PIN)
        qtbot.waitUntil(
            lambda: win.pin.keypad is not None and win.pin.keypad.use.name == "NEW", timeout=10_000
        )
        _type(qtbot, win, "5820", twice=True)
        _wait_screen(qtbot, win, win.result)
        win.result.print_button.click()
        assert not win.result.print_button.isEnabled()  # no duplicate from a double tap
        assert len(pdfs) == 1 and pdfs[0].read_bytes().startswith(b"%PDF")
    finally:
        translations.uninstall()


def test_the_receipt_footer_fills_each_marker_once(qapp) -> None:
    """A terminal id that happens to contain `%2` is printed as it is, not filled with the time."""
    footer = receipt_document("Result", "Procedure: x", "T-%2").toPlainText().splitlines()[-1]
    assert footer.startswith("Terminal T-%2, printed 2"), footer


def test_a_closed_window_keeps_no_idle_timer(qtbot, window) -> None:
    """A closed window's idle expiry would reset the language of whatever runs next."""
    _start(qtbot, window)
    assert window.idle.running
    window.close()
    assert not window.idle.running
