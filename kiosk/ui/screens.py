"""The resident's screens, each a plain widget the counter window stacks; no card or network here.

Attract (language) → insert card → menu (what the card allows, and why not the rest) → PIN
entries → progress → result with the receipt. Texts go through Qt's translation system
(context "Counter"); the lower layers' codes become words in `kiosk.ui.texts`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QEvent, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from kiosk.domain.eligibility import Certificate
from kiosk.domain.pin_rules import PinKind
from kiosk.domain.procedures import Decision, Item, Procedure
from kiosk.flows.counter.machine import Outcome
from kiosk.flows.counter.visit import Receipt
from kiosk.ui.i18n import Language
from kiosk.ui.status import StatusLine
from kiosk.ui.texts import arg, pin_kind_name
from kiosk.ui.theme import DEFAULT_SETTINGS, Contrast, Metrics, State, TextSize, ThemeSettings
from kiosk.ui.widgets import touch_button

if TYPE_CHECKING:
    from kiosk.ui.keypad import PinKeypad
    from kiosk.ui.preview import CameraPreview


def procedure_name(procedure: Procedure) -> str:
    names = {
        Procedure.NEW_ISSUANCE: QCoreApplication.translate("Counter", "Get a new certificate"),
        Procedure.RENEWAL: QCoreApplication.translate("Counter", "Renew a certificate"),
        Procedure.REVOCATION: QCoreApplication.translate("Counter", "Revoke a certificate"),
        Procedure.KEY_COMPROMISE: QCoreApplication.translate(
            "Counter", "Report a leaked key and revoke its certificate"
        ),
        Procedure.PIN_CHANGE: QCoreApplication.translate("Counter", "Change a PIN"),
        Procedure.PIN_RESET: QCoreApplication.translate("Counter", "Reset a forgotten or locked PIN"),
        Procedure.FACE_AUTH_SWITCH: QCoreApplication.translate("Counter", "Switch to a face-auth card"),
        Procedure.FOUND_CARD_RELEASE: QCoreApplication.translate(
            "Counter", "My lost card was found: lift the suspension"
        ),
        Procedure.DISCLOSURE: QCoreApplication.translate("Counter", "Request disclosure or correction"),
    }
    return names[procedure]


def certificate_name(certificate: Certificate) -> str:
    if certificate is Certificate.SIGNING:
        return QCoreApplication.translate("Counter", "signing certificate")
    return QCoreApplication.translate("Counter", "user authentication certificate")


def _target_name(item: Item) -> str | None:
    """What the item acts on (a certificate, a PIN), None for a procedure on the whole card."""
    if isinstance(item.target, Certificate):
        return certificate_name(item.target)
    if isinstance(item.target, PinKind):
        return pin_kind_name(item.target)
    return None


def item_name(item: Item) -> str:
    name, target = procedure_name(item.procedure), _target_name(item)
    return name if target is None else arg(QCoreApplication.translate("Counter", "%1: %2"), name, target)


def item_lines(item: Item) -> str:
    """The procedure, and on a second line what it acts on: a menu button never outgrows the screen."""
    name, target = procedure_name(item.procedure), _target_name(item)
    return name if target is None else f"{name}\n{target}"


def _big_button(text: str, metrics: Metrics, parent: QWidget, *, primary: bool = False) -> QPushButton:
    """A resident's button: a touch target that never takes focus."""
    return touch_button(metrics, parent, text, primary=primary, focus=False)


def _wrapped(parent: QWidget) -> QLabel:
    label = QLabel(parent)
    label.setWordWrap(True)
    return label


class Screen(QWidget):
    """Base: a title and a body; `retranslate` on language change."""

    def __init__(self, metrics: Metrics, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.metrics = metrics
        self.title = _wrapped(self)
        self.title.setProperty("role", "title")
        self.body = QVBoxLayout(self)
        self.body.addWidget(self.title)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        """Subclasses set their texts here."""


class CancellableScreen(Screen):
    """A screen with a way out: `cancel`, which the subclass places, emits `cancelled` (the window
    ends the visit, or the face check)."""

    cancelled = Signal()

    def __init__(self, metrics: Metrics, parent: QWidget | None = None) -> None:
        super().__init__(metrics, parent)
        self.cancel = _big_button("", metrics, self)
        self.cancel.clicked.connect(self.cancelled)

    def retranslate(self) -> None:
        self.cancel.setText(QCoreApplication.translate("Counter", "Cancel"))


class DisplayBar(QWidget):
    """Large text and high contrast, on every screen; each button says its state in words."""

    changed = Signal(object)  # ThemeSettings

    def __init__(self, metrics: Metrics, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.large = _big_button("", metrics, self)
        self.contrast = _big_button("", metrics, self)
        for button in (self.large, self.contrast):
            button.setCheckable(True)
            button.toggled.connect(self._toggled)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addStretch(1)
        row.addWidget(self.large)
        row.addWidget(self.contrast)
        self.retranslate()

    @property
    def settings(self) -> ThemeSettings:
        return ThemeSettings(
            contrast=Contrast.HIGH if self.contrast.isChecked() else Contrast.DEFAULT,
            text=TextSize.LARGE if self.large.isChecked() else TextSize.NORMAL,
        )

    def reset(self) -> None:
        changed = self.settings != DEFAULT_SETTINGS
        for button in (self.large, self.contrast):
            button.blockSignals(True)
            button.setChecked(False)
            button.blockSignals(False)
        self.retranslate()
        if changed:
            self.changed.emit(DEFAULT_SETTINGS)

    def _toggled(self, _checked: bool) -> None:
        self.retranslate()
        self.changed.emit(self.settings)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        on, off = QCoreApplication.translate("Counter", "on"), QCoreApplication.translate("Counter", "off")
        self.large.setText(
            arg(
                QCoreApplication.translate("Counter", "Large text: %1"), on if self.large.isChecked() else off
            )
        )
        self.contrast.setText(
            arg(
                QCoreApplication.translate("Counter", "High contrast: %1"),
                on if self.contrast.isChecked() else off,
            )
        )


class AttractScreen(Screen):
    """What the kiosk shows between residents: choose a language to start."""

    language_chosen = Signal(object)  # Language

    def __init__(self, metrics: Metrics, parent: QWidget | None = None) -> None:
        super().__init__(metrics, parent)
        self.text = _wrapped(self)
        self.status = StatusLine(self)
        self.buttons: dict[Language, QPushButton] = {}
        row = QHBoxLayout()
        for language in Language:
            button = _big_button(language.native_name, metrics, self, primary=True)
            button.clicked.connect(lambda _checked=False, lang=language: self.language_chosen.emit(lang))
            self.buttons[language] = button
            row.addWidget(button)
        self.body.addStretch(1)
        self.body.addWidget(self.text)
        self.body.addLayout(row)
        self.body.addWidget(self.status)
        self.body.addStretch(1)
        self.retranslate()

    def set_out_of_service(self, reason: str | None) -> None:
        """Out of service: no session starts; the banner says so in words and icon."""
        for button in self.buttons.values():
            button.setEnabled(reason is None)
        if reason is None:
            self.status.set_message(State.INFO, "")
        else:
            self.status.set_message(
                State.ERROR,
                QCoreApplication.translate(
                    "Counter", "This terminal is out of service. Please ask staff at the counter."
                ),
            )

    def retranslate(self) -> None:
        self.title.setText(QCoreApplication.translate("Counter", "My Number card certificates"))
        self.text.setText(
            QCoreApplication.translate(
                "Counter",
                "Get, renew or revoke your card's certificates, and change or reset their PINs. "
                "Choose your language to start.",
            )
        )


class InsertCardScreen(CancellableScreen):
    def __init__(self, prompt: QWidget, metrics: Metrics, parent: QWidget | None = None) -> None:
        super().__init__(metrics, parent)
        self.prompt = prompt
        self.body.addWidget(prompt, 1)
        self.body.addWidget(self.cancel)
        self.retranslate()

    def retranslate(self) -> None:
        self.title.setText(QCoreApplication.translate("Counter", "Insert your card"))
        self.cancel.setText(QCoreApplication.translate("Counter", "Back"))  # no visit yet: nothing to cancel


class MenuScreen(Screen):
    """What the card allows now (buttons), and what it does not, with the reason, in words."""

    chosen = Signal(object)  # Item
    finished = Signal()

    def __init__(
        self, metrics: Metrics, reason_text: Callable[[Decision], str], parent: QWidget | None = None
    ) -> None:
        super().__init__(metrics, parent)
        self._reason_text = reason_text
        self._decisions: tuple[Decision, ...] = ()
        self._online = True
        self.offline = StatusLine(self)
        self.list = QWidget(self)
        self.list_layout = QVBoxLayout(self.list)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.list)
        self.done = _big_button("", metrics, self)
        self.done.clicked.connect(self.finished)
        self.body.addWidget(self.offline)
        self.body.addWidget(scroll, 1)
        self.body.addWidget(self.done)
        self.item_buttons: list[QPushButton] = []
        self.retranslate()

    def show_decisions(self, decisions: Sequence[Decision], *, online: bool) -> None:
        self._decisions = tuple(decisions)
        self._online = online
        self._rebuild()

    def button_for(self, item: Item) -> QPushButton:
        for button in self.item_buttons:
            if button.property("item") == item:
                return button
        raise KeyError(item)

    def _rebuild(self) -> None:
        while self.list_layout.count():
            child = self.list_layout.takeAt(0).widget()
            if child is not None:
                child.deleteLater()
        self.item_buttons = []
        for decision in self._decisions:
            if decision.offered:
                button = _big_button(item_lines(decision.item), self.metrics, self.list, primary=True)
                button.setProperty("item", decision.item)
                button.clicked.connect(lambda _c=False, item=decision.item: self.chosen.emit(item))
                self.item_buttons.append(button)
                self.list_layout.addWidget(button)
        shown_reasons = [d for d in self._decisions if not d.offered]
        if shown_reasons:
            heading = QLabel(
                QCoreApplication.translate("Counter", "Not possible with this card today:"), self.list
            )
            heading.setWordWrap(True)
            self.list_layout.addWidget(heading)
        for decision in shown_reasons:
            line = StatusLine(self.list)
            line.set_message(State.INFO, f"{item_name(decision.item)} — {self._reason_text(decision)}")
            self.list_layout.addWidget(line)
        self.list_layout.addStretch(1)
        if self._online:
            self.offline.set_message(State.INFO, "")
        else:
            self.offline.set_message(
                State.WARNING,
                QCoreApplication.translate(
                    "Counter",
                    "The connection to the certification centre is down. What needs it cannot be done "
                    "now; requests that can wait are sent as soon as it is back.",
                ),
            )

    def retranslate(self) -> None:
        self.title.setText(QCoreApplication.translate("Counter", "What would you like to do?"))
        self.done.setText(QCoreApplication.translate("Counter", "Finish and take out the card"))
        if self._decisions:
            self._rebuild()


class PinScreen(CancellableScreen):
    """Hosts one keypad (the window makes a new one per entry: a new shuffle, nothing carried)."""

    alternative_chosen = Signal()

    def __init__(self, metrics: Metrics, parent: QWidget | None = None) -> None:
        super().__init__(metrics, parent)
        self.explain = _wrapped(self)
        self.status = StatusLine(self)
        self.holder = QVBoxLayout()
        # "I don't know this PIN": another way, where the step has one (staff's identity check).
        self.alternative = _big_button("", metrics, self)
        self.alternative.clicked.connect(self.alternative_chosen)
        self.alternative.hide()
        row = QHBoxLayout()
        row.addWidget(self.cancel)
        row.addWidget(self.alternative)
        self.body.addWidget(self.explain)
        self.body.addWidget(self.status)
        self.body.addLayout(self.holder, 1)
        self.body.addLayout(row)
        self.keypad: PinKeypad | None = None
        self._title = ""
        self._explain = ""
        self.retranslate()

    def clear_keypad(self) -> None:
        """Drop the keypad (its entry wiped): the stack sizes itself to its largest page, and a
        keypad left here would keep every other screen as tall as this one."""
        if self.keypad is not None:
            self.holder.removeWidget(self.keypad)
            self.keypad.discard()  # wipes whatever was typed
            self.keypad = None

    def set_keypad(self, keypad: PinKeypad, title: str, explain: str, *, alternative: bool = False) -> None:
        self.clear_keypad()
        self.keypad = keypad
        self.holder.addWidget(keypad)
        self._title, self._explain = title, explain
        self.alternative.setVisible(alternative)
        self.status.set_message(State.INFO, "")
        self.retranslate()

    def retranslate(self) -> None:
        super().retranslate()
        self.title.setText(self._title)
        self.explain.setText(self._explain)
        self.alternative.setText(QCoreApplication.translate("Counter", "I do not know this PIN"))


class ChoiceScreen(CancellableScreen):
    """A question with a few large answers (disclosure or correction; confirm a switch)."""

    chosen = Signal(object)

    def __init__(self, metrics: Metrics, parent: QWidget | None = None) -> None:
        super().__init__(metrics, parent)
        self.text = _wrapped(self)
        self.answers = QVBoxLayout()
        self.body.addWidget(self.text)
        self.body.addLayout(self.answers)
        self.body.addStretch(1)
        self.body.addWidget(self.cancel)
        self.buttons: list[QPushButton] = []
        self._texts: Callable[[], tuple[str, str, Sequence[tuple[object, str]]]] | None = None
        self.retranslate()

    def ask(self, texts: Callable[[], tuple[str, str, Sequence[tuple[object, str]]]]) -> None:
        """`texts()` → (title, explanation, [(value, answer)]); called again on a language change."""
        self._texts = texts
        self.retranslate()

    def retranslate(self) -> None:
        super().retranslate()
        if self._texts is None:
            return
        title, text, answers = self._texts()
        self.title.setText(title)
        self.text.setText(text)
        for button in self.buttons:
            button.deleteLater()
        self.buttons = []
        for value, label in answers:
            button = _big_button(label, self.metrics, self, primary=True)
            button.clicked.connect(lambda _c=False, v=value: self.chosen.emit(v))
            self.buttons.append(button)
            self.answers.addWidget(button)


class StaffCheckScreen(CancellableScreen):
    """While staff check the resident's identity at the console (PIN failed, face-auth card)."""

    def __init__(self, metrics: Metrics, parent: QWidget | None = None) -> None:
        super().__init__(metrics, parent)
        self.text = _wrapped(self)
        self.body.addStretch(1)
        self.body.addWidget(self.text)
        self.body.addStretch(1)
        self.body.addWidget(self.cancel)
        self.retranslate()

    def retranslate(self) -> None:
        super().retranslate()
        self.title.setText(QCoreApplication.translate("Counter", "Staff will check your identity"))
        self.text.setText(
            QCoreApplication.translate(
                "Counter",
                "Please hand your card and an identity document to the staff member. Leave the card in "
                "the reader; the screen continues when staff have checked.",
            )
        )


class FaceScreen(CancellableScreen):
    """The face check (規則 64条の5): the live preview with the face check's guidance."""

    def __init__(self, preview: CameraPreview, metrics: Metrics, parent: QWidget | None = None) -> None:
        super().__init__(metrics, parent)
        self.preview = preview
        self.text = _wrapped(self)
        self.body.addWidget(self.text)
        self.body.addWidget(preview, 1)
        self.body.addWidget(self.cancel)
        self.retranslate()

    def retranslate(self) -> None:
        super().retranslate()
        self.title.setText(QCoreApplication.translate("Counter", "Face check"))
        self.text.setText(
            QCoreApplication.translate(
                "Counter",
                "Look at the camera. Your face is compared with the photo on your card's chip; no picture "
                "is kept.",
            )
        )


class ProgressScreen(Screen):
    def __init__(self, metrics: Metrics, parent: QWidget | None = None) -> None:
        super().__init__(metrics, parent)
        self.step = _wrapped(self)
        self.warning = StatusLine(self)
        self.bar = QProgressBar(self)
        self.bar.setRange(0, 0)  # busy: the steps' lengths are the card's and the network's
        self.body.addStretch(1)
        self.body.addWidget(self.step)
        self.body.addWidget(self.bar)
        self.body.addWidget(self.warning)
        self.body.addStretch(1)
        self.retranslate()

    def set_step(self, text: str) -> None:
        self.step.setText(text)

    def retranslate(self) -> None:
        self.title.setText(QCoreApplication.translate("Counter", "Please wait"))
        self.warning.set_message(
            State.WARNING, QCoreApplication.translate("Counter", "Do not take out your card.")
        )


class ResultScreen(Screen):
    """The outcome in plain words, the receipt (what changed on the card), print and finish."""

    finished = Signal()
    print_requested = Signal()
    more_requested = Signal()

    def __init__(self, metrics: Metrics, parent: QWidget | None = None) -> None:
        super().__init__(metrics, parent)
        self.status = StatusLine(self)
        self.receipt = _wrapped(self)
        self.receipt.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self.staff_code = QLabel(self)
        row = QHBoxLayout()
        self.print_button = _big_button("", metrics, self)
        self.more = _big_button("", metrics, self)  # another procedure in this visit (a follow-up)
        self.more.hide()
        self.more.clicked.connect(self.more_requested)
        self.finish = _big_button("", metrics, self, primary=True)
        self.print_button.clicked.connect(self.print_requested)
        self.finish.clicked.connect(self.finished)
        row.addWidget(self.print_button)
        row.addWidget(self.more)
        row.addWidget(self.finish)
        self.body.addWidget(self.status)
        self.body.addWidget(self.receipt, 1)
        self.body.addWidget(self.staff_code)
        self.body.addLayout(row)
        self._receipt: Receipt | None = None
        self._message: tuple[State, str] = (State.INFO, "")
        self.retranslate()

    def show_receipt(
        self, receipt: Receipt | None, state: State, message: str, *, more: bool = False
    ) -> None:
        self._receipt, self._message = receipt, (state, message)
        self.more.setVisible(more)
        self.retranslate()

    def printed(self) -> None:
        self.print_button.setText(QCoreApplication.translate("Counter", "Printed"))

    def receipt_text(self) -> str:
        receipt = self._receipt
        if receipt is None:
            return ""
        lines = [
            arg(QCoreApplication.translate("Counter", "Procedure: %1"), procedure_name(receipt.procedure))
        ]
        for installed in receipt.installed:
            lines.append(
                arg(
                    QCoreApplication.translate(
                        "Counter", "New %1 on your card, valid until %2 (serial number %3)."
                    ),
                    certificate_name(installed.certificate),
                    installed.not_after.isoformat(),
                    installed.serial,
                )
            )
        for revoked in receipt.revoked:
            lines.append(
                arg(
                    QCoreApplication.translate("Counter", "Revoked (it was on hold): %1, serial number %2."),
                    certificate_name(revoked.kind),
                    revoked.serial,
                )
            )
        if receipt.serial is not None and receipt.outcome in (Outcome.COMPLETED, Outcome.QUEUED):
            lines.append(
                arg(
                    QCoreApplication.translate("Counter", "Certificate named: serial number %1."),
                    receipt.serial,
                )
            )
        if receipt.pin is not None and receipt.outcome is Outcome.COMPLETED:
            lines.append(
                arg(
                    QCoreApplication.translate("Counter", "Your %1 has been set. Nobody else has seen it."),
                    pin_kind_name(receipt.pin),
                )
            )
        if receipt.reference:
            lines.append(
                arg(QCoreApplication.translate("Counter", "Reference number: %1"), receipt.reference)
            )
        return "\n".join(lines)

    def retranslate(self) -> None:
        self.title.setText(QCoreApplication.translate("Counter", "Result"))
        self.status.set_message(*self._message)
        self.receipt.setText(self.receipt_text())
        code = self._receipt.code if self._receipt is not None else ""
        self.staff_code.setText(
            arg(QCoreApplication.translate("Counter", "For staff: %1"), code) if code else ""
        )
        self.print_button.setText(QCoreApplication.translate("Counter", "Print receipt"))
        self.more.setText(QCoreApplication.translate("Counter", "Continue with new certificates"))
        self.finish.setText(QCoreApplication.translate("Counter", "Finish"))
