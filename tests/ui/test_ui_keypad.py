"""The PIN keypad: shuffled 15 mm keys that never light up, a PIN that only leaves as a Secret."""

from __future__ import annotations

import random
from datetime import date

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton

from kiosk.domain.pin_rules import DIGITS, LETTERS, PinIssue, PinKind, PinUse
from kiosk.domain.secret import Secret
from kiosk.reader.session import PinStatus
from kiosk.ui.keypad import PULSE_MS, PinKey, PinKeypad, Step
from kiosk.ui.theme import Metrics, State


@pytest.fixture
def make(qtbot, theme, metrics: Metrics):
    """make(kind, ...) → a shown keypad and the list its `submitted` Secrets land in."""

    def build(kind: PinKind = PinKind.AUTH, **kwargs) -> tuple[PinKeypad, list[Secret]]:
        kwargs.setdefault("rng", random.Random(7))
        keypad = PinKeypad(kind, metrics, **kwargs)
        qtbot.addWidget(keypad)
        got: list[Secret] = []
        keypad.submitted.connect(got.append)
        keypad.show()
        qtbot.waitExposed(keypad)
        return keypad, got

    return build


def key(keypad: PinKeypad, char: str) -> PinKey:
    [found] = [k for k in keypad.key_buttons() if k.text() == char]
    return found


def tap(qtbot, keypad: PinKeypad, text: str) -> None:
    for char in text:
        qtbot.mouseClick(key(keypad, char), Qt.MouseButton.LeftButton)


def ok(qtbot, keypad: PinKeypad) -> None:
    qtbot.mouseClick(keypad.ok, Qt.MouseButton.LeftButton)


def labels(keypad: PinKeypad) -> list[str]:
    return [k.text() for k in keypad.key_buttons()]


# -- layout and shuffling --------------------------------------------------------------------------


def test_digits_are_shuffled_on_every_show(make) -> None:
    keypad, _ = make(PinKind.AUTH, rng=random.Random(1))
    orders = []
    for _ in range(4):
        orders.append(labels(keypad))
        keypad.hide()
        keypad.show()
    assert all(sorted(order) == list("0123456789") for order in orders)
    assert len({tuple(order) for order in orders}) == len(orders)
    # The same seed gives the same orders: the randomness is the injected generator's.
    again, _ = make(PinKind.AUTH, rng=random.Random(1))
    assert labels(again) == orders[0]


def test_signing_keypad_has_letters_in_order_and_shuffled_digits(make) -> None:
    keypad, _ = make(PinKind.SIGN)
    shown = labels(keypad)
    assert shown[:26] == [chr(b) for b in LETTERS]
    assert sorted(shown[26:]) == [chr(b) for b in DIGITS] and shown[26:] != [chr(b) for b in DIGITS]
    shuffled, _ = make(PinKind.SIGN, shuffle_letters=True)
    assert sorted(labels(shuffled)[:26]) == [chr(b) for b in LETTERS]
    assert labels(shuffled)[:26] != [chr(b) for b in LETTERS]


@pytest.mark.parametrize("kind", [PinKind.AUTH, PinKind.SIGN])
def test_every_key_is_at_least_15_mm(make, metrics: Metrics, kind: PinKind) -> None:
    keypad, _ = make(kind)
    buttons = [*keypad.key_buttons(), keypad.ok, keypad.clear, keypad.backspace]
    for button in buttons:
        assert min(button.width(), button.height()) >= metrics.touch_target, button.text()
    assert metrics.touch_target * 25.4 / metrics.dpi >= 15.0


# -- the entry --------------------------------------------------------------------------------------


def test_the_pin_leaves_once_as_a_secret_and_the_keypad_forgets_it(qtbot, make) -> None:
    keypad, got = make(PinKind.AUTH)
    tap(qtbot, keypad, "4729")
    assert keypad.entry_length == 4 and keypad.field.length == 4
    assert keypad.ok.isEnabled()
    ok(qtbot, keypad)
    assert len(got) == 1 and isinstance(got[0], Secret)
    assert bytes(got[0].reveal()) == b"4729"
    assert keypad.entry_length == 0 and keypad.field.length == 0
    assert keypad._entry is not got[0]
    ok(qtbot, keypad)  # nothing left to hand over
    assert len(got) == 1
    got[0].wipe()


def test_the_pin_is_never_text_in_a_widget(qtbot, make) -> None:
    keypad, _ = make(PinKind.SIGN)
    tap(qtbot, keypad, "TARO42")
    assert not keypad.findChildren(QLineEdit)
    texts = [w.text() for w in keypad.findChildren(QLabel)] + [
        w.text() for w in keypad.findChildren(QPushButton)
    ]
    texts += [keypad.field.accessibleName(), keypad.field.accessibleDescription()]
    assert not [t for t in texts if "TARO" in t or "O42" in t]
    assert keypad.field.accessibleDescription() == "Characters entered: 6"


def test_growing_and_shrinking_wipe_the_old_buffer(qtbot, make) -> None:
    keypad, got = make(PinKind.SIGN)
    tap(qtbot, keypad, "AB")
    before = keypad._entry.reveal()
    tap(qtbot, keypad, "C")
    assert not any(before), "the two-character buffer was left behind"
    before = keypad._entry.reveal()
    qtbot.mouseClick(keypad.backspace, Qt.MouseButton.LeftButton)
    assert not any(before)
    assert keypad.entry_length == 2
    before = keypad._entry.reveal()
    qtbot.mouseClick(keypad.clear, Qt.MouseButton.LeftButton)
    assert not any(before) and keypad.entry_length == 0
    assert got == []


def test_hiding_wipes_what_was_typed(qtbot, make) -> None:
    keypad, got = make(PinKind.AUTH)
    tap(qtbot, keypad, "47")
    typed = keypad._entry.reveal()
    keypad.hide()
    assert not any(typed) and keypad.entry_length == 0
    keypad.show()
    assert keypad.field.length == 0 and got == []


def test_discarding_wipes_even_a_keypad_never_shown(qtbot, metrics: Metrics) -> None:
    """A keypad that was never on screen gets no hide event: `discard` wipes it all the same."""
    keypad = PinKeypad(PinKind.AUTH, metrics, use=PinUse.NEW, rng=random.Random(7))
    qtbot.addWidget(keypad)
    for char in "4725":
        keypad.press(ord(char))
    keypad.confirm()  # the first entry of a new PIN, kept for the confirmation
    keypad.press(ord("4"))
    first, typed = keypad._first, keypad._entry.reveal()
    assert first is not None and keypad.step is Step.CONFIRM and any(typed)
    keypad.discard()
    assert first.wiped and not any(typed) and keypad.entry_length == 0


def test_hardware_keys(qtbot, make) -> None:
    keypad, got = make(PinKind.SIGN)
    for k in (Qt.Key.Key_T, Qt.Key.Key_A, Qt.Key.Key_R, Qt.Key.Key_O, Qt.Key.Key_4, Qt.Key.Key_3):
        qtbot.keyClick(keypad, k)
    qtbot.keyClick(keypad, Qt.Key.Key_Backspace)
    qtbot.keyClick(keypad, Qt.Key.Key_2)
    qtbot.keyClick(keypad, Qt.Key.Key_Percent)  # not on the keypad: ignored
    qtbot.keyClick(keypad, Qt.Key.Key_Return)
    assert [bytes(s.reveal()) for s in got] == [b"TARO42"]
    qtbot.keyClick(keypad, Qt.Key.Key_1)
    qtbot.keyClick(keypad, Qt.Key.Key_Escape)
    assert keypad.entry_length == 0


def test_lower_case_letters_are_taken_as_capitals(make) -> None:
    keypad, got = make(PinKind.SIGN)
    for byte in b"taro42":
        keypad.press(byte)
    keypad.confirm()
    assert bytes(got[0].reveal()) == b"TARO42"


def test_a_four_digit_pin_cannot_grow_past_four(qtbot, make) -> None:
    keypad, _ = make(PinKind.AUTH)
    tap(qtbot, keypad, "4729")
    assert not any(k.isEnabled() for k in keypad.key_buttons())
    keypad.press(ord("1"))
    assert keypad.entry_length == 4


# -- no key shows which one was touched -----------------------------------------------------------


def test_a_pressed_key_looks_unpressed_and_the_field_pulses(qtbot, make) -> None:
    keypad, _ = make(PinKind.AUTH)
    target = keypad.key_buttons()[4]
    before = target.grab().toImage()
    QTest.mousePress(target, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(5, 5))
    assert target.isDown()
    assert target.grab().toImage() == before
    QTest.mouseRelease(target, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(5, 5))
    assert target.grab().toImage() == before
    assert not target.hasFocus()
    assert keypad.field.pulsing  # the feedback: the whole field, the same for every key
    qtbot.waitUntil(lambda: not keypad.field.pulsing, timeout=PULSE_MS * 10)


def test_an_ordinary_button_would_show_the_press(qtbot, theme) -> None:
    """The comparison above can fail: a plain button does change when pressed."""
    button = QPushButton("5")
    qtbot.addWidget(button)
    button.resize(80, 80)
    button.show()
    qtbot.waitExposed(button)
    before = button.grab().toImage()
    QTest.mousePress(button, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(5, 5))
    assert button.grab().toImage() != before
    QTest.mouseRelease(button, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(5, 5))


# -- a new PIN ---------------------------------------------------------------------------------------


def test_new_pin_is_checked_live_then_entered_twice(qtbot, make) -> None:
    keypad, got = make(PinKind.AUTH, use=PinUse.NEW)
    tap(qtbot, keypad, "1234")
    assert keypad.issues.state is State.ERROR
    assert keypad.issues.text() == PinIssue.TRIVIAL_PATTERN.message  # live, before OK
    assert keypad.rules[-1].state is State.ERROR
    ok(qtbot, keypad)
    assert keypad.step is Step.ENTER and got == []
    qtbot.mouseClick(keypad.clear, Qt.MouseButton.LeftButton)
    order = labels(keypad)
    tap(qtbot, keypad, "4729")
    assert [r.state for r in keypad.rules] == [State.SUCCESS, State.SUCCESS]
    ok(qtbot, keypad)
    assert keypad.step is Step.CONFIRM and keypad.entry_length == 0
    assert keypad.prompt.text() == "Enter the new user authentication PIN again to confirm."
    assert labels(keypad) != order  # reshuffled for the second entry
    assert all(r.isHidden() for r in keypad.rules)
    tap(qtbot, keypad, "4729")
    ok(qtbot, keypad)
    assert [bytes(s.reveal()) for s in got] == [b"4729"]
    assert keypad.step is Step.ENTER


def test_a_mismatch_wipes_both_entries_and_starts_again(qtbot, make) -> None:
    keypad, got = make(PinKind.AUTH, use=PinUse.NEW)
    tap(qtbot, keypad, "4729")
    first = keypad._entry.reveal()
    ok(qtbot, keypad)
    tap(qtbot, keypad, "4728")
    second = keypad._entry.reveal()
    ok(qtbot, keypad)
    assert got == []
    assert not any(first) and not any(second)
    assert keypad.step is Step.ENTER and keypad.entry_length == 0
    assert keypad.issues.text() == PinIssue.MISMATCH.message
    assert keypad.prompt.text() == "Choose a new user authentication PIN."


def test_new_signing_pin_checklist(qtbot, make) -> None:
    keypad, _ = make(PinKind.SIGN, use=PinUse.NEW, birth_date=date(1980, 2, 17))
    length, mixed, guess = keypad.rules
    tap(qtbot, keypad, "T")
    assert (length.state, mixed.state, guess.state) == (State.INFO, State.INFO, State.INFO)
    assert keypad.issues.isHidden()  # "needs a digit" is a pending tick, not an error
    tap(qtbot, keypad, "ARO1980")
    assert (length.state, mixed.state, guess.state) == (State.SUCCESS, State.SUCCESS, State.ERROR)
    assert keypad.issues.text() == PinIssue.TRIVIAL_BIRTH_DATE.message
    qtbot.mouseClick(keypad.clear, Qt.MouseButton.LeftButton)
    tap(qtbot, keypad, "TAROYAMADAHANAK")  # 15 letters: the last place must be a digit
    enabled = {k.text() for k in keypad.key_buttons() if k.isEnabled()}
    assert enabled == {chr(b) for b in DIGITS}
    ok(qtbot, keypad)  # complete but letters only
    assert keypad.issues.text() == PinIssue.NEEDS_LETTER_AND_DIGIT.message


# -- tries left ---------------------------------------------------------------------------------------


def test_tries_are_shown_after_a_wrong_entry_with_a_warning_before_the_last(qtbot, make) -> None:
    keypad, got = make(PinKind.AUTH)
    keypad.set_counter(PinStatus(3))
    assert keypad.tries.isHidden()  # a full counter says nothing (it would only alarm)
    keypad.set_counter(PinStatus(2))
    assert (
        keypad.tries.state is State.INFO
        and keypad.tries.text() == "2 tries left for the user authentication PIN."
    )
    keypad.set_counter(PinStatus(1))
    assert keypad.tries.state is State.WARNING
    assert keypad.tries.text().startswith("One try left: a wrong user authentication PIN now locks it")
    assert "If you are not sure of it, stop here." in keypad.tries.text()
    keypad.set_counter(PinStatus(1), other_pin_blocked=True)
    assert "PIN-reset terminal" not in keypad.tries.text()
    keypad.set_counter(PinStatus(0, blocked=True))
    assert keypad.tries.state is State.ERROR and keypad.blocked
    assert not any(k.isEnabled() for k in keypad.key_buttons()) and not keypad.ok.isEnabled()
    keypad.press(ord("1"))
    assert keypad.entry_length == 0 and got == []
