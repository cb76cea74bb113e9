"""The counter window driven through its real widgets (pytest-qt, offscreen): the software card in
an in-process reader, the real central served in-process, the kiosk's store. The same paths over
pcscd/vpcd with the central as its own process are in tests/e2e."""

from __future__ import annotations

import pytest
from counter_fixtures import insert, server, terminal  # noqa: F401 (fixtures)
from kiosk_store_fixtures import db_path, engine, sealer, sessions  # noqa: F401 (fixtures)
from PySide6.QtWidgets import QApplication

from cardemu.residents import AUTH_PIN, JUKI_PIN, KENHOJO_PIN
from kiosk.domain.eligibility import Certificate
from kiosk.domain.pin_rules import PinKind
from kiosk.domain.procedures import Item, Procedure
from kiosk.flows.counter.machine import Outcome
from kiosk.ui.counter import CounterWindow
from kiosk.ui.i18n import Language, Translations
from kiosk.ui.keypad import PinKeypad
from kiosk.ui.theme import Metrics

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
