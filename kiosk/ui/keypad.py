"""The on-screen PIN keypad: shuffled keys, a masked field, live rule feedback, tries left.

- **Keys.** Digits, or A–Z and 0–9 for the signing PIN (`PinKind.format.alphabet`). The digits
  are shuffled every time the keypad is shown, after a mismatch and before the confirmation,
  with an injectable `random.Random` (AusweisApp "Shuffle keys", ANCHORS.md §2 B). Letters stay
  A–Z by default: hunting 26 shuffled letters for a 16-character password takes long enough to
  cause wrong entries, and the signing PIN locks after 5 (`shuffle_letters=True` shuffles them).
  Every key is at least 15 mm (`Metrics.touch_target`).
- **No lit key.** A key looks the same pressed, hovered or not and never takes focus, so an
  onlooker cannot see which key was touched ("Hide key animations"); the feedback for a touch
  is a pulse of the whole entry field, the same for every key.
- **The entry.** Held in a `Secret` (a bytearray), never in a QString or a QLineEdit; the field
  shows one dot per character. Growing or shrinking copies into a new exactly-sized buffer and
  zeroes the old one, because `bytearray.append`/`del` may move the buffer with realloc and leave
  the old bytes in freed memory. The PIN leaves the widget once, as the `Secret` emitted by
  `submitted`: the receiver owns it and must wipe it (`with secret:`). Hiding the keypad,
  `reset()` or `discard()` (what its owner calls when it is done with it) wipes whatever was typed.
- **Rules.** `kiosk.domain.pin_rules` judges every key press: keys that cannot come next are
  disabled, OK is enabled once the length fits; a new PIN shows a checklist (length, letter and
  digit, not easy to guess) and is entered twice, compared in constant time.
- **Tries.** `set_counter()` takes the card's counter and shows `pin_rules.tries_notice` — only
  after a wrong entry, with a clear warning before the last try and the keys disabled when locked.
"""

from __future__ import annotations

import enum
import random
from collections.abc import Sequence
from datetime import date

from PySide6.QtCore import QCoreApplication, QEvent, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QHideEvent, QKeyEvent, QPainter, QPaintEvent, QPalette, QPen, QShowEvent
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QStyle,
    QStyleOptionButton,
    QStylePainter,
    QVBoxLayout,
    QWidget,
)

from kiosk.domain import pin_rules
from kiosk.domain.pin_rules import (
    DIGITS,
    LETTERS,
    EntryState,
    PinCounter,
    PinIssue,
    PinKind,
    PinUse,
    TriesLevel,
)
from kiosk.domain.secret import Secret
from kiosk.ui.status import StatusLine
from kiosk.ui.texts import arg, pin_issue_text, pin_kind_name, tries_text
from kiosk.ui.theme import Metrics, State

PULSE_MS = 150
_TRIVIAL = (PinIssue.TRIVIAL_PATTERN, PinIssue.TRIVIAL_BIRTH_DATE)
# Shown by the checklist while typing, not as an error: it is "not yet", not "wrong".
_CHECKLIST_ONLY = (PinIssue.NEEDS_LETTER_AND_DIGIT,)
_TRIES_STATE = {
    TriesLevel.NORMAL: State.INFO,
    TriesLevel.WARNING: State.WARNING,
    TriesLevel.BLOCKED: State.ERROR,
}


class Step(enum.Enum):
    ENTER = "enter"
    CONFIRM = "confirm"  # a new PIN, the second time


def _resized(old: Secret, length: int, last: int | None = None) -> Secret:
    """A new Secret of exactly `length` bytes: old's first bytes, then `last`; old is wiped."""
    src = old.reveal()
    buf = bytearray(length)
    for i in range(min(length, len(src))):  # index by index: a slice would be an unwiped copy
        buf[i] = src[i]
    if last is not None:
        buf[length - 1] = last
    old.wipe()
    return Secret(buf)


class PinKey(QPushButton):
    """A key that never looks pressed, hovered or focused."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("pinKey", True)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setAutoDefault(False)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def paintEvent(self, event: QPaintEvent) -> None:
        option = QStyleOptionButton()
        self.initStyleOption(option)
        hidden = (
            QStyle.StateFlag.State_Sunken
            | QStyle.StateFlag.State_On
            | QStyle.StateFlag.State_MouseOver
            | QStyle.StateFlag.State_HasFocus
        )
        option.state &= ~hidden
        painter = QStylePainter(self)
        painter.drawControl(QStyle.ControlElement.CE_PushButton, option)
        painter.end()


class MaskedField(QWidget):
    """One dot per character entered; empty slots up to the shortest valid length."""

    def __init__(
        self, min_length: int, max_length: int, metrics: Metrics, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._min, self._max = min_length, max_length
        self._length = 0
        self._dot = metrics.px(5.0)
        self._gap = metrics.px(2.5)
        self._pad = metrics.px(3.0)
        self._pulsing = False
        self._pulse = QTimer(self)
        self._pulse.setSingleShot(True)
        self._pulse.setInterval(PULSE_MS)
        self._pulse.timeout.connect(self._end_pulse)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.retranslate()

    @property
    def length(self) -> int:
        return self._length

    @property
    def pulsing(self) -> bool:
        return self._pulsing

    def set_length(self, length: int) -> None:
        self._length = length
        self.setAccessibleDescription(
            arg(QCoreApplication.translate("PinKeypad", "Characters entered: %1"), str(length))
        )
        self.update()

    def pulse(self) -> None:
        """The touch feedback: the whole field flashes, whichever key it was."""
        self._pulsing = True
        self._pulse.start()
        self.update()

    def _end_pulse(self) -> None:
        self._pulsing = False
        self.update()

    def retranslate(self) -> None:
        self.setAccessibleName(QCoreApplication.translate("PinKeypad", "PIN entry (hidden)"))
        self.set_length(self._length)

    def sizeHint(self) -> QSize:
        slots = max(self._min, min(self._max, 8))
        return QSize(slots * (self._dot + self._gap) + 2 * self._pad, self._dot + 2 * self._pad)

    def minimumSizeHint(self) -> QSize:
        return QSize(self._min * (self._dot + self._gap) + 2 * self._pad, self._dot + 2 * self._pad)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        fg = self.palette().color(self.foregroundRole())
        frame = self.palette().color(QPalette.ColorRole.Highlight) if self._pulsing else fg
        width = max(2, self._dot // 3) if self._pulsing else max(1, self._dot // 8)
        painter.setPen(QPen(frame, width))
        painter.drawRoundedRect(QRectF(self.rect()).adjusted(width, width, -width, -width), 6, 6)
        slots = max(self._min, self._length)
        step = self._dot + self._gap
        # Shrink the dots when a 16-character entry does not fit the width it was given.
        room = self.width() - 2 * self._pad
        scale = min(1.0, room / (slots * step)) if slots else 1.0
        dot, step = self._dot * scale, step * scale
        x = (self.width() - slots * step + (step - dot)) / 2
        y = (self.height() - dot) / 2
        painter.setPen(QPen(fg, max(1.0, dot / 8)))
        for i in range(slots):
            painter.setBrush(fg if i < self._length else Qt.BrushStyle.NoBrush)
            painter.drawEllipse(QRectF(x + i * step, y, dot, dot))
        painter.end()


class PinKeypad(QWidget):
    """Entry of one PIN of `kind`. For `PinUse.NEW` the PIN is entered twice (Step.CONFIRM)."""

    submitted = Signal(object)  # a Secret: the receiver owns it and must wipe it

    def __init__(
        self,
        kind: PinKind,
        metrics: Metrics,
        *,
        use: PinUse = PinUse.CURRENT,
        birth_date: date | None = None,
        rng: random.Random | None = None,
        shuffle_letters: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.kind, self.use = kind, use
        self._birth_date = birth_date
        self._rng = rng or random.SystemRandom()
        self._shuffle_letters = shuffle_letters
        self._entry = Secret(bytearray())
        self._first: Secret | None = None  # the first entry of a new PIN, during Step.CONFIRM
        self._step = Step.ENTER
        self._shown_issues: tuple[PinIssue, ...] = ()  # after OK; cleared by the next key
        self._counter: PinCounter | None = None
        self._other_pin_blocked = False
        fmt = kind.format
        self._alphanumeric = any(b in LETTERS for b in fmt.alphabet)

        self.prompt = QLabel(self)
        self.prompt.setProperty("role", "title")
        self.prompt.setWordWrap(True)
        self.hint = QLabel(self)
        self.hint.setWordWrap(True)
        self.tries = StatusLine(self)
        self.field = MaskedField(fmt.min_length, fmt.max_length, metrics, self)
        self.rules = [StatusLine(self) for _ in range(3 if fmt.letter_and_digit else 2)]
        self.issues = StatusLine(self)

        self._keys: list[PinKey] = []
        self._key_bytes: list[int] = []
        touch = metrics.touch_target
        self.backspace = QPushButton(self)
        self.clear = QPushButton(self)
        self.ok = QPushButton(self)
        self.ok.setProperty("role", "primary")
        for button in (self.backspace, self.clear, self.ok):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.setAutoDefault(False)
            button.setMinimumSize(touch, touch)
        self.backspace.clicked.connect(self.delete_last)
        self.clear.clicked.connect(self.clear_entry)
        self.ok.clicked.connect(self.confirm)

        # Texts beside the keys, not above them: a landscape counter screen (1280×800) has the width,
        # and stacked they need more height than it has once large text is on.
        texts = QVBoxLayout()
        for widget in (self.prompt, self.hint, self.tries, self.field, *self.rules, self.issues):
            texts.addWidget(widget)
        texts.addStretch(1)
        self._texts = texts
        layout = QHBoxLayout(self)
        layout.addLayout(texts, 1)
        layout.addLayout(self._build_keys(metrics))
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # a hardware keypad may type too
        self._shuffle()
        self.retranslate()

    # -- public ----------------------------------------------------------------------------------

    @property
    def step(self) -> Step:
        return self._step

    @property
    def entry_length(self) -> int:
        return len(self._entry)

    @property
    def blocked(self) -> bool:
        return self._notice_level() is TriesLevel.BLOCKED

    def key_buttons(self) -> list[PinKey]:
        """The character keys, in layout order (their labels change with every shuffle)."""
        return list(self._keys)

    def set_counter(self, status: PinCounter | None, *, other_pin_blocked: bool = False) -> None:
        """The card's counter for this PIN (`PinStatus`), after each card answer; None hides it."""
        self._counter, self._other_pin_blocked = status, other_pin_blocked
        self._refresh()

    def add_note(self, widget: QWidget) -> None:
        """Show `widget` under the entry, in the column of texts beside the keys (where to find
        what is typed: the 照合番号B screen's card drawing). The keypad becomes its parent: take it
        back (`setParent`) before discarding the keypad if it is to outlive it."""
        self._texts.insertWidget(self._texts.count() - 1, widget)  # above the closing stretch
        widget.show()

    def reset(self) -> None:
        """Wipe everything typed, back to the first entry, new key order."""
        self._wipe()
        self._step = Step.ENTER
        self._shown_issues = ()
        self._shuffle()
        self.retranslate()  # the prompt follows the step

    def discard(self) -> None:
        """Done with this keypad: whatever was typed is wiped now (not only on a hide event, which
        a keypad that was never shown does not get), then the widget goes."""
        self._wipe()
        self.hide()
        self.deleteLater()

    def press(self, key: int) -> None:
        """A key by its ASCII code (a–z are taken as A–Z where letters are allowed)."""
        if self.blocked:
            return
        byte = self._state().accept(key)
        if byte is None:
            return
        self._entry = _resized(self._entry, len(self._entry) + 1, byte)
        self._after_key()

    def delete_last(self) -> None:
        if len(self._entry):
            self._entry = _resized(self._entry, len(self._entry) - 1)
        self._after_key()

    def clear_entry(self) -> None:
        self._entry.wipe()
        self._entry = Secret(bytearray())
        self._after_key()

    def confirm(self) -> None:
        """The OK key: show what is wrong, move on to the confirmation, or hand the PIN over."""
        state = self._state()
        if self.blocked or not state.complete:
            return
        if PinIssue.MISMATCH in state.issues:
            self.reset()  # both entries go; the person starts the new PIN again
            self._show_issues((PinIssue.MISMATCH,))
            return
        if state.issues:
            self._show_issues(state.issues)
            return
        if self.use is PinUse.NEW and self._step is Step.ENTER:
            self._first, self._entry = self._entry, Secret(bytearray())
            self._step = Step.CONFIRM
            self._shuffle()
            self.retranslate()
            return
        if self._first is not None:
            pin, self._first = self._first, None
            self._entry.wipe()
        else:
            pin = self._entry
        self._entry = Secret(bytearray())
        self._step = Step.ENTER
        self._shown_issues = ()
        self.retranslate()
        self.submitted.emit(pin)  # ownership passes here; the keypad keeps no reference

    # -- Qt events -------------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        self.reset()
        self.setFocus()
        super().showEvent(event)

    def hideEvent(self, event: QHideEvent) -> None:
        self.reset()
        super().hideEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key == Qt.Key.Key_Backspace:
            self.delete_last()
        elif key == Qt.Key.Key_Escape:
            self.clear_entry()
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.confirm()
        elif 0x30 <= key <= 0x39 or 0x41 <= key <= 0x5A:  # Qt's key codes for 0–9 and A–Z are ASCII
            self.press(key)
        else:
            super().keyPressEvent(event)

    # -- texts -----------------------------------------------------------------------------------

    def retranslate(self) -> None:
        name = pin_kind_name(self.kind)
        if self.use is PinUse.CURRENT:
            prompt = QCoreApplication.translate("PinKeypad", "Enter your %1.")
        elif self._step is Step.ENTER:
            prompt = QCoreApplication.translate("PinKeypad", "Choose a new %1.")
        else:
            prompt = QCoreApplication.translate("PinKeypad", "Enter the new %1 again to confirm.")
        self.prompt.setText(arg(prompt, name))
        self.hint.setText(self._format_text() if self.use is PinUse.CURRENT else "")
        self.hint.setVisible(self.use is PinUse.CURRENT)
        #: Keypad key that deletes the last character typed.
        self.backspace.setText(QCoreApplication.translate("PinKeypad", "Delete"))
        #: Keypad key that deletes everything typed.
        self.clear.setText(QCoreApplication.translate("PinKeypad", "Clear"))
        #: Keypad key that submits the PIN.
        self.ok.setText(QCoreApplication.translate("PinKeypad", "OK"))
        self.field.retranslate()
        self._refresh()

    def _format_text(self) -> str:
        fmt = self.kind.format
        if not self._alphanumeric:
            return arg(QCoreApplication.translate("PinKeypad", "%1 digits"), str(fmt.max_length))
        text = QCoreApplication.translate(
            "PinKeypad", "%1 to %2 characters: capital letters A–Z and digits 0–9"
        )
        return arg(text, str(fmt.min_length), str(fmt.max_length))

    # -- internals -------------------------------------------------------------------------------

    def _build_keys(self, metrics: Metrics) -> QVBoxLayout:
        touch = metrics.touch_target
        alphabet = self.kind.format.alphabet
        # Keys keep their place; only their labels move with a shuffle. Letters first, then digits.
        self._key_bytes = sorted(b for b in alphabet if b in LETTERS) + sorted(
            b for b in alphabet if b in DIGITS
        )
        for index in range(len(self._key_bytes)):
            key = PinKey(self)
            key.setMinimumSize(touch, touch)
            key.clicked.connect(lambda _checked=False, i=index: self.press(self._key_bytes[i]))
            self._keys.append(key)
        letters = [k for k, b in zip(self._keys, self._key_bytes, strict=True) if b in LETTERS]
        digits = self._keys[len(letters) :]

        digit_grid = QGridLayout()
        for i, key in enumerate(digits[:9]):
            digit_grid.addWidget(key, i // 3, i % 3)
        digit_grid.addWidget(digits[9], 3, 1)
        controls = QHBoxLayout()
        if letters:
            letter_grid = QGridLayout()
            for i, key in enumerate(letters):
                letter_grid.addWidget(key, i // 7, i % 7)
            pads = QHBoxLayout()
            pads.addLayout(letter_grid, 7)
            pads.addSpacing(touch // 3)
            pads.addLayout(digit_grid, 3)
            controls.addWidget(self.clear)
            controls.addWidget(self.backspace)
        else:
            # The ATM layout: Clear and Delete either side of the last digit.
            digit_grid.addWidget(self.clear, 3, 0)
            digit_grid.addWidget(self.backspace, 3, 2)
            pads = QHBoxLayout()
            pads.addLayout(digit_grid)
        controls.addWidget(self.ok, 1)
        keys = QVBoxLayout()
        keys.addLayout(pads)
        keys.addLayout(controls)
        return keys

    def _shuffle(self) -> None:
        letters = [b for b in self._key_bytes if b in LETTERS]
        digits = [b for b in self._key_bytes if b in DIGITS]
        letters.sort()
        digits.sort()
        self._rng.shuffle(digits)
        if self._shuffle_letters:
            self._rng.shuffle(letters)
        self._key_bytes = letters + digits
        for key, byte in zip(self._keys, self._key_bytes, strict=True):
            key.setText(chr(byte))

    def _state(self) -> EntryState:
        if self._step is Step.CONFIRM and self._first is not None:
            return pin_rules.check_confirmation(self.kind, self._first, self._entry)
        return pin_rules.check_entry(self.kind, self._entry, self.use, birth_date=self._birth_date)

    def _notice_level(self) -> TriesLevel | None:
        if self._counter is None:
            return None
        return pin_rules.tries_notice(
            self.kind, self._counter, other_pin_blocked=self._other_pin_blocked
        ).level

    def _after_key(self) -> None:
        self._shown_issues = ()
        self.field.pulse()
        self._refresh()

    def _show_issues(self, issues: Sequence[PinIssue]) -> None:
        self._shown_issues = tuple(issues)
        self._refresh()

    def _refresh(self) -> None:
        state = self._state()
        blocked = self.blocked
        self.field.set_length(state.length)
        for key, byte in zip(self._keys, self._key_bytes, strict=True):
            key.setEnabled(not blocked and byte in state.allowed_next)
        self.ok.setEnabled(not blocked and state.complete)
        self.backspace.setEnabled(not blocked and state.length > 0)
        self.clear.setEnabled(not blocked and state.length > 0)
        self._refresh_tries()
        self._refresh_rules(state)
        shown = self._shown_issues or tuple(i for i in state.live_issues if i not in _CHECKLIST_ONLY)
        self.issues.set_message(State.ERROR, "\n".join(pin_issue_text(i) for i in shown))

    def _refresh_tries(self) -> None:
        if self._counter is None:
            self.tries.clear()
            return
        notice = pin_rules.tries_notice(self.kind, self._counter, other_pin_blocked=self._other_pin_blocked)
        self.tries.set_message(_TRIES_STATE[notice.level], tries_text(self.kind, notice) or "")

    def _refresh_rules(self, state: EntryState) -> None:
        checklist = self.use is PinUse.NEW and self._step is Step.ENTER
        for line in self.rules:
            line.setVisible(checklist)
        if not checklist:
            return
        met = State.SUCCESS
        pending = State.INFO
        self.rules[0].set_message(met if state.complete else pending, self._format_text())
        if self.kind.format.letter_and_digit:
            mixed = state.length > 0 and PinIssue.NEEDS_LETTER_AND_DIGIT not in state.issues
            self.rules[1].set_message(
                met if mixed else pending,
                QCoreApplication.translate("PinKeypad", "At least one letter and one digit"),
            )
        trivial = any(i in state.issues for i in _TRIVIAL)
        guess = State.ERROR if trivial else met if state.complete else pending
        self.rules[-1].set_message(
            guess,
            QCoreApplication.translate("PinKeypad", "Not easy to guess (no repeats, runs or date of birth)"),
        )

    def _wipe(self) -> None:
        self._entry.wipe()
        self._entry = Secret(bytearray())
        if self._first is not None:
            self._first.wipe()
            self._first = None
