"""The resident's screens of the unattended PIN-reset terminal (no staff): the ones the counter's
screens do not already give (kiosk/ui/screens.py gives insert card, PIN entry and progress).

    attract (what this terminal resets; language) → insert card → checking → choose the PIN →
    the PIN you know → 照合番号B (where it is on the card) → face check → new PIN → receipt
                                                  every failure → referral to the municipal counter

Texts go through Qt's translation system, context "Unattended"; the codes' sentences are in
kiosk/ui/unattended_texts.py. No screen shows anything of the person or the card beyond what the
counter's receipt shows (which PIN, a reference, the terminal).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QLocale, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from appdata.unattended import Reason, Refusal
from kiosk.domain.pin_rules import PinKind
from kiosk.domain.unattended import Offer
from kiosk.flows.unattended import ResetReceipt
from kiosk.ui.card_guide import CodeBGuide
from kiosk.ui.preview import CameraPreview
from kiosk.ui.screens import AttractScreen, CancellableScreen, FaceScreen, InsertCardScreen, Screen
from kiosk.ui.status import StatusLine
from kiosk.ui.texts import arg, pin_kind_name
from kiosk.ui.theme import Metrics, State
from kiosk.ui.unattended_texts import referral_lines, unavailable_text
from kiosk.ui.widgets import touch_button

if TYPE_CHECKING:
    from kiosk.ui.keypad import PinKeypad


def _button(text: str, metrics: Metrics, parent: QWidget, *, primary: bool = False) -> QPushButton:
    return touch_button(metrics, parent, text, primary=primary, focus=False)


def _wrapped(parent: QWidget) -> QLabel:
    label = QLabel(parent)
    label.setWordWrap(True)
    return label


def pin_names(pins: Sequence[PinKind]) -> str:
    """ "signing PIN, user authentication PIN" in the current language (a list of names, no grammar)."""
    separator = QCoreApplication.translate("Unattended", ", ")
    return separator.join(pin_kind_name(kind) for kind in pins)


def pin_what(kind: PinKind) -> str:
    """What the PIN looks like, so the person recognises which one they forgot."""
    if kind is PinKind.SIGN:
        return QCoreApplication.translate(
            "Unattended", "6 to 16 capital letters and digits; used to sign documents (e-Tax and others)"
        )
    return QCoreApplication.translate(
        "Unattended", "4 digits; used to log in (マイナポータル, convenience-store certificates and others)"
    )


class ResetAttractScreen(AttractScreen):
    """Between residents: what this terminal does — and only what it declares — then a language."""

    def __init__(self, pins: Sequence[PinKind], metrics: Metrics, parent: QWidget | None = None) -> None:
        self.pins = tuple(pins)  # before the base's __init__, which calls retranslate
        super().__init__(metrics, parent)

    def set_out_of_service(self, reason: str | None) -> None:
        """Out of service: no session starts; nobody is here to ask, so the banner says where to go."""
        for button in self.buttons.values():
            button.setEnabled(reason is None)
        if reason is None:
            self.status.set_message(State.INFO, "")
        else:
            self.status.set_message(
                State.ERROR,
                QCoreApplication.translate(
                    "Unattended",
                    "This terminal is out of service. Please try again later, "
                    "or go to the municipal counter.",
                ),
            )

    def retranslate(self) -> None:
        self.title.setText(QCoreApplication.translate("Unattended", "Reset a forgotten or locked PIN"))
        self.text.setText(
            arg(
                QCoreApplication.translate(
                    "Unattended",
                    "For your My Number card's certificates. This terminal resets: %1.\n"
                    "You need your card, the other PIN (the one you still know) and your face in front "
                    "of the camera. There is no staff here. Choose your language to start.",
                ),
                pin_names(self.pins),
            )
        )


class ChooseScreen(CancellableScreen):
    """Which PIN was forgotten: one button per PIN this terminal and this card allow, "I forgot
    both", and the others with why not (ANCHORS.md §4: the terminal says up front what it can do)."""

    chosen = Signal(object)  # PinKind
    both_forgotten = Signal()

    def __init__(self, metrics: Metrics, parent: QWidget | None = None) -> None:
        super().__init__(metrics, parent)
        self.text = _wrapped(self)
        self.options = QVBoxLayout()
        self.both = _button("", metrics, self)
        self.both.clicked.connect(self.both_forgotten)
        self.not_here = _wrapped(self)
        self.reasons = QVBoxLayout()
        self.body.addWidget(self.text)
        self.body.addLayout(self.options)
        self.body.addWidget(self.both)
        self.body.addWidget(self.not_here)
        self.body.addLayout(self.reasons)
        self.body.addStretch(1)
        self.body.addWidget(self.cancel)
        self.pin_buttons: dict[PinKind, QPushButton] = {}
        self.reason_lines: dict[PinKind, StatusLine] = {}
        self._offer: Offer | None = None
        self.retranslate()

    def show_offer(self, offer: Offer) -> None:
        self._offer = offer
        for widget in (*self.pin_buttons.values(), *self.reason_lines.values()):
            widget.deleteLater()
        self.pin_buttons, self.reason_lines = {}, {}
        for kind in offer.resettable:
            button = _button("", self.metrics, self, primary=True)
            button.clicked.connect(lambda _c=False, k=kind: self.chosen.emit(k))
            self.pin_buttons[kind] = button
            self.options.addWidget(button)
        for kind in offer.unavailable:
            line = StatusLine(self)
            self.reason_lines[kind] = line
            self.reasons.addWidget(line)
        self.retranslate()

    def retranslate(self) -> None:
        super().retranslate()
        self.title.setText(QCoreApplication.translate("Unattended", "Which PIN did you forget?"))
        self.text.setText(
            QCoreApplication.translate(
                "Unattended",
                "Choose the PIN to reset. To confirm who you are, you will then enter the other PIN, "
                "the one you still know.",
            )
        )
        self.both.setText(QCoreApplication.translate("Unattended", "I forgot both PINs"))
        offer = self._offer
        if offer is None:
            return
        for kind, button in self.pin_buttons.items():
            button.setText(f"{pin_kind_name(kind)}\n{pin_what(kind)}")
        self.not_here.setText(
            QCoreApplication.translate("Unattended", "Not possible at this terminal with this card:")
            if offer.unavailable
            else ""
        )
        for kind, line in self.reason_lines.items():
            reason = offer.unavailable[kind]
            line.set_message(State.INFO, f"{pin_kind_name(kind)} — {unavailable_text(reason, kind)}")


class CodeBScreen(CancellableScreen):
    """照合番号B: a keypad (one per entry) with the card drawn under its entry field, the three
    parts marked — beside the keys, where the keypad's column of texts leaves room: stacked above
    the keypad they needed more height than a 1280×800 panel has."""

    def __init__(self, metrics: Metrics, parent: QWidget | None = None) -> None:
        super().__init__(metrics, parent)
        self.explain = _wrapped(self)
        self.status = StatusLine(self)
        self.guide = CodeBGuide(metrics, self)
        self.guide.hide()  # shown inside each keypad
        self.holder = QVBoxLayout()
        self.body.addWidget(self.explain)
        self.body.addWidget(self.status)
        self.body.addLayout(self.holder, 1)
        self.body.addWidget(self.cancel)
        self.keypad: PinKeypad | None = None
        self.retranslate()

    def clear_keypad(self) -> None:
        if self.keypad is not None:
            self.guide.hide()
            self.guide.setParent(self)  # the guide outlives the keypad it was shown in
            self.holder.removeWidget(self.keypad)
            self.keypad.discard()  # wipes whatever was typed
            self.keypad = None

    def set_keypad(self, keypad: PinKeypad) -> None:
        self.clear_keypad()
        keypad.prompt.hide()  # "Enter your verification number B." repeats the title
        keypad.add_note(self.guide)
        self.keypad = keypad
        self.holder.addWidget(keypad)
        self.status.set_message(State.INFO, "")

    def retranslate(self) -> None:
        super().retranslate()
        self.title.setText(
            QCoreApplication.translate("Unattended", "Enter verification number B (照合番号B)")
        )
        self.explain.setText(
            QCoreApplication.translate(
                "Unattended",
                "It opens your card's photo for the face check. Keep the card in the reader.",
            )
        )


class ResetFaceScreen(FaceScreen):
    """The face check with the head-turn challenge, which is never optional here."""

    def __init__(self, preview: CameraPreview, metrics: Metrics, parent: QWidget | None = None) -> None:
        super().__init__(preview, metrics, parent)

    def retranslate(self) -> None:
        super().retranslate()
        self.text.setText(
            QCoreApplication.translate(
                "Unattended",
                "Look at the camera, then turn your head slowly when the screen asks you to. Your face is "
                "compared with the photo in your card's chip; no picture is kept.",
            )
        )


class OutcomeScreen(Screen):
    """The end of a session: done (with the receipt), a referral (with why), or cancelled.

    What the receipt says is what the counter's says (which PIN, a reference number, the
    terminal) and no more: no name, no card number, no face score."""

    finished = Signal()
    print_requested = Signal()

    def __init__(self, metrics: Metrics, parent: QWidget | None = None) -> None:
        super().__init__(metrics, parent)
        self.status = StatusLine(self)
        self.lines = _wrapped(self)
        self.lines.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self.lines.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)  # read from the top
        self.advice = StatusLine(self)
        self.print_button = _button("", metrics, self)
        self.finish = _button("", metrics, self, primary=True)
        self.print_button.clicked.connect(self.print_requested)
        self.finish.clicked.connect(self.finished)
        row = QHBoxLayout()
        row.addWidget(self.print_button)
        row.addWidget(self.finish)
        self.body.addWidget(self.status)
        self.body.addWidget(self.lines, 1)
        self.body.addWidget(self.advice)
        self.body.addLayout(row)
        self.receipt: ResetReceipt | None = None
        self.reason: Reason | None = None
        self.refusal: Refusal | None = None
        self.referred = False
        self.cancelled = False
        self.card_maybe_changed = False  # pulled while the card was being written
        self.reference = ""
        self.can_print = True  # False: no printer at this terminal, no button
        self.retranslate()

    # -- what to show -----------------------------------------------------------------------------

    def show_done(self, receipt: ResetReceipt) -> None:
        self._set(receipt=receipt, reference=receipt.attempt)

    def show_referral(
        self,
        reason: Reason | None,
        refusal: Refusal | None,
        *,
        reference: str,
        card_maybe_changed: bool = False,
    ) -> None:
        self._set(referred=True, reason=reason, refusal=refusal, reference=reference,
                  card_maybe_changed=card_maybe_changed)  # fmt: skip

    def show_cancelled(self) -> None:
        self._set(cancelled=True)

    def _set(
        self,
        *,
        receipt: ResetReceipt | None = None,
        referred: bool = False,
        reason: Reason | None = None,
        refusal: Refusal | None = None,
        cancelled: bool = False,
        reference: str = "",
        card_maybe_changed: bool = False,
    ) -> None:
        self.receipt, self.referred, self.reason, self.refusal = receipt, referred, reason, refusal
        self.cancelled, self.reference, self.card_maybe_changed = cancelled, reference, card_maybe_changed
        self.print_button.setEnabled(True)
        self.print_button.setVisible(self.printable)
        self.retranslate()

    @property
    def printable(self) -> bool:
        return self.can_print and (self.receipt is not None or self.referred)

    def printed(self) -> None:
        self.print_button.setText(QCoreApplication.translate("Unattended", "Printed"))

    # -- texts ------------------------------------------------------------------------------------

    def heading(self) -> str:
        if self.receipt is not None:
            return QCoreApplication.translate("Unattended", "Your PIN has been reset")
        if self.referred:
            return QCoreApplication.translate("Unattended", "Please go to the municipal counter")
        return QCoreApplication.translate("Unattended", "Cancelled")

    def receipt_text(self) -> str:
        """The lines on screen and on paper (the title is printed above them)."""
        lines: list[str] = []
        procedure = QCoreApplication.translate(
            "Unattended", "Procedure: reset of a forgotten or locked PIN (unattended terminal)"
        )
        if self.receipt is not None:
            when = QLocale().toString(self.receipt.completed_at.astimezone(), QLocale.FormatType.ShortFormat)
            lines += [
                procedure,
                arg(
                    QCoreApplication.translate(
                        "Unattended", "Your %1 has been reset. Nobody else has seen it."
                    ),
                    pin_kind_name(self.receipt.target),
                ),
                QCoreApplication.translate("Unattended", "Your other PIN was not changed."),
                arg(QCoreApplication.translate("Unattended", "Reset at %1"), when),
            ]
        elif self.referred:
            lines += [procedure, *referral_lines(self.reason, self.refusal)]
            if self.card_maybe_changed:
                lines.append(
                    QCoreApplication.translate(
                        "Unattended",
                        "The card was being written when it was taken out: the PIN may or may not have been "
                        "reset. Staff at the counter can check it.",
                    )
                )
            else:
                lines.append(QCoreApplication.translate("Unattended", "Nothing was changed on your card."))
            lines.append(
                QCoreApplication.translate(
                    "Unattended",
                    "At the municipal counter, show your card and an identity document; staff can reset "
                    "the PIN there.",
                )
            )
        if self.reference:
            lines.append(
                arg(QCoreApplication.translate("Unattended", "Reference number: %1"), self.reference)
            )
        return "\n".join(lines)

    def retranslate(self) -> None:
        self.title.setText(self.heading())
        if self.receipt is not None:
            self.status.set_message(
                State.SUCCESS,
                QCoreApplication.translate("Unattended", "Done. Use the new PIN from now on."),
            )
        elif self.referred:
            self.status.set_message(
                State.ERROR,
                QCoreApplication.translate("Unattended", "The PIN could not be reset at this terminal."),
            )
        elif self.cancelled:
            self.status.set_message(
                State.INFO,
                QCoreApplication.translate("Unattended", "Cancelled. Nothing was changed on your card."),
            )
        else:
            self.status.set_message(State.INFO, "")
        self.lines.setText(self.receipt_text())
        self.advice.set_message(
            State.INFO,
            QCoreApplication.translate(
                "Unattended", "Print the receipt before you take out your card, if you want one."
            )
            if self.printable
            else "",
        )
        self.print_button.setText(QCoreApplication.translate("Unattended", "Print receipt"))
        self.finish.setText(QCoreApplication.translate("Unattended", "Finish"))


class ResetInsertCardScreen(InsertCardScreen):
    """Insert the card; first, where the two numbers the person will be asked for are printed —
    once the card is in the reader, part of its front is hidden."""

    def __init__(self, prompt: QWidget, metrics: Metrics, parent: QWidget | None = None) -> None:
        self.note: StatusLine | None = None  # the base's __init__ retranslates before it exists
        super().__init__(prompt, metrics, parent)
        self.note = StatusLine(self)
        self.body.insertWidget(1, self.note)
        self.retranslate()

    def retranslate(self) -> None:
        super().retranslate()
        if self.note is not None:
            self.note.set_message(
                State.INFO,
                QCoreApplication.translate(
                    "Unattended",
                    "Before you insert it, look at the front of your card: you will be asked for its expiry "
                    "year (lower left) and the 4-digit security code (under the photo).",
                ),
            )


class TakeCardScreen(Screen):
    """The session is over and the card is still in the reader: nothing starts on a card left
    behind; the next person begins once it is out."""

    def __init__(self, metrics: Metrics, parent: QWidget | None = None) -> None:
        super().__init__(metrics, parent)
        self.text = StatusLine(self)
        self.body.addStretch(1)
        self.body.addWidget(self.text)
        self.body.addStretch(1)
        self.retranslate()

    def retranslate(self) -> None:
        self.title.setText(QCoreApplication.translate("Unattended", "Please take your card"))
        self.text.set_message(
            State.WARNING,
            QCoreApplication.translate(
                "Unattended",
                "The session has ended. Take your card out of the reader; the screen then starts again.",
            ),
        )
