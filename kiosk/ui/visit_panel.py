"""The staff's panel for the visit at the counter (docs/staff-console.md): what the visit is, who
is applying, and the identity check staff make when the resident's PIN cannot be used.

- **The visit.** The card (its id's first 8 hex digits, as in the operation record), the procedure
  chosen, who is applying, the identity state, and whether staff are needed and why (the
  resident's window says so with `identity_needed`).
- **Who is applying** (要綱 2-3, 2-10, 2-12): the applicant, a legal representative with or without
  the applicant, or a proxy; adult ward; both intentions confirmed (要綱 2-3 ただし書). Anyone but
  the applicant alone is the REPRESENTATIVE override: staff saw the papers, and say so with a
  reason from the picklist. Applied with `Visit.present` before the procedure's flow opens.
- **Identity check by staff** (RULES.md "Identity check at the counter"):
  (a) after a failed PIN or for a face-auth card: the chip's card face read with 照合番号B (keyed
  by staff on a `PinKeypad`), its name, address and photo shown beside "the chip matches the
  printed card" and "the resident stated their resident-record details", else 受付不可
  (要領 第2-1-(1)-ア-(イ)-B); an expired card within 6 months needs the EXPIRED_CARD override;
  (b) documents by hand (要綱 2-4–2-6, 2-12 for a proxy): kinds and dates only, never a number;
  a smartphone screen (映像面) offered for the kinds 2-6 なお書 allows, with the operation check;
  for a proxy, the household and the moving notification's day that may waive the inquiry
  answer (要綱 2-13), said at once on the panel by the rule the identity step applies;
  (c) the visual face comparison (規則 64条の5 第1号) where the window's face check
  (`face_checked`, or `Visit.face_record`) offered it.
  Once the identity step has a result, the resident's window goes on (`identity_established`).
  A refused card-face check stands for the visit: it is not recorded again. A proxy (任意代理人)
  recorded under "who is applying" is never asked the holder's 住基 PIN: the resident's window
  hands the identity check straight to the proxy's documents (`CounterWindow.presentation_changed`).
- **Fees** (交付記録簿 有償 / 無償, per certificate): free unless staff record a paid fee with its
  amount in whole yen (1 to `MAX_FEE_YEN`), until the procedure's flow opens (`Visit.set_fee`).
- **Cannot accept (受付不可)**: staff end the visit with a reason code from a fixed list; the visit
  ends REFUSED and the resident's window shows it cannot be done (`CounterWindow.refuse`).

Overrides are attributed to the operator (規則 73-3), so every override button stays disabled,
with a sentence saying why, unless an operator is signed in, the visit began under their sign-in,
and their staff card + PIN is fresh (`override_allowed`, 5 minutes). Reasons come from
`reasons_for` (a picklist, never free text: the record is kept for years). A fee and a 受付不可
are no overrides (no fresh staff card asked) but are recorded in the visit's operator's name, so
they too need that operator signed in.

Card and store work runs on a `TaskRunner` of the panel (results for a visit that has meanwhile
ended are dropped); a code-B read is refused while the resident's window has a card command
running, and while it runs the resident's Cancel waits for it (`CounterWindow.begin_staff_read`,
whose module says why the cancel is deferred rather than refused). 照合番号B exists only as the
keypad's `Secret`, wiped by the card layer. The card face is shown, never saved: the panel keeps
`QImage`s only, zero-filled on every reset (a visit ended, a new one started), like the camera
preview; `Visit.end` drops the `CardFace` itself.

`operator_of()` counts as the operator's activity (`OperatorGate.operator_of`), so it is called on
events (a visit, an identity request, a staff action, `refresh()`), never by the panel's timer —
except while nobody is known to be signed in, when a call touches no session. The console calls
`refresh()` when the sign-in changes and connects `reauthentication_wanted` to the gate's
`reauthenticate()`.
"""

from __future__ import annotations

import enum
import functools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QCoreApplication,
    QEvent,
    QRectF,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QImage, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from appdata.model import IdentityMethod
from kiosk.domain.eligibility import Certificate, Presenter
from kiosk.domain.identity import (
    SMARTPHONE_KINDS,
    IdentityDecision,
    MovingNotice,
    OtherIdKind,
    PhotoIdKind,
    PinCheck,
    PinRequestForm,
    PresentedDocument,
    Purpose,
    Refusal,
    SmartphoneDisplay,
    inquiry_answer_waived,
)
from kiosk.domain.overrides import Override, OverrideReason, reasons_for
from kiosk.domain.pin_rules import PinKind
from kiosk.domain.procedures import Procedure
from kiosk.domain.secret import Secret
from kiosk.facecheck.fallback import NextStep
from kiosk.flows.counter.certificates import FREE, MAX_FEE_YEN, ORDER, Fee
from kiosk.flows.counter.identity import IdentityRefused, IdentityStep
from kiosk.flows.counter.visit import NotAccepted, Presentation, Visit, VisitError
from kiosk.flows.face import FaceCheckRecord
from kiosk.reader.errors import CardRemoved, InvalidPin, PinBlocked
from kiosk.reader.session import PinStatus
from kiosk.ui.counter import CounterWindow
from kiosk.ui.keypad import PinKeypad
from kiosk.ui.screens import item_name
from kiosk.ui.status import StatusLine, Told
from kiosk.ui.texts import arg, identity_refusal_text
from kiosk.ui.theme import Metrics, State
from kiosk.ui.widgets import date_edit, narrow
from kiosk.ui.workers import TaskRunner

_log = logging.getLogger(__name__)

OperatorOf = Callable[[], str | None]
OverrideAllowed = Callable[[], bool]
UPDATE_MS = 1000  # the override's 5-minute freshness and the visit's steps are re-read this often
DocumentKind = PhotoIdKind | OtherIdKind
# The kinds whose rules look at the issue date: the driving history certificate is a photo ID only
# when issued from 2012-04-01 (要綱 2-5(2), 2-6(26)); a 住基 card's surface data exists only on cards
# issued from 2009-04-20 (要領 第2-1-(1)-ア-(イ)-B). For the others the date is not asked.
ISSUE_DATE_KINDS: frozenset[DocumentKind] = frozenset(
    {
        PhotoIdKind.DRIVING_HISTORY_CERTIFICATE,
        OtherIdKind.DRIVING_HISTORY_CERTIFICATE_BEFORE_2012_04,
        PhotoIdKind.JUKI_CARD_WITH_PHOTO,
        OtherIdKind.JUKI_CARD_WITHOUT_PHOTO,
    }
)


# -- words for the lower layers' codes ------------------------------------------------------------

#: Why the resident's window asks for staff (CounterWindow.identity_needed).
WHY_SOURCE = {
    "pin-failed": QT_TRANSLATE_NOOP("VisitPanel", "The resident's PIN check failed."),
    "pin-blocked": QT_TRANSLATE_NOOP("VisitPanel", "The card's resident registry PIN is locked."),
    "face-auth-card": QT_TRANSLATE_NOOP(
        "VisitPanel", "A face-auth card: it has no PIN the resident can use."
    ),
    "asked": QT_TRANSLATE_NOOP("VisitPanel", "The resident does not know the resident registry PIN."),
    "card-not-in-operation": QT_TRANSLATE_NOOP(
        "VisitPanel",
        "The card is not in operation at 機構 (suspended, or its status cannot be checked now): its PIN "
        "cannot confirm identity.",
    ),
    "proxy": QT_TRANSLATE_NOOP(
        "VisitPanel",
        "A proxy (任意代理人) is applying: check the proxy's documents. The holder's PIN is not asked.",
    ),
}

CERTIFICATE_SOURCE = {
    Certificate.SIGNING: QT_TRANSLATE_NOOP("VisitPanel", "Signing certificate (署名用電子証明書)"),
    Certificate.USER_AUTH: QT_TRANSLATE_NOOP(
        "VisitPanel", "User authentication certificate (利用者証明用電子証明書)"
    ),
}

NOT_ACCEPTED_SOURCE = {
    NotAccepted.SURFACE_CHECK_FAILED: QT_TRANSLATE_NOOP(
        "VisitPanel",
        "The chip does not match the printed card, or the resident could not state their resident-record "
        "details (要領 第2-1-(1)-ア-(イ)-B)",
    ),
    NotAccepted.NO_ACCEPTABLE_DOCUMENTS: QT_TRANSLATE_NOOP(
        "VisitPanel", "No acceptable identity documents (要綱 2-4, 2-5, 2-6)"
    ),
    NotAccepted.NOT_THE_SAME_PERSON: QT_TRANSLATE_NOOP(
        "VisitPanel", "The person is not the one in the card's photo (規則 64条の5)"
    ),
    NotAccepted.REPRESENTATION_NOT_PROVEN: QT_TRANSLATE_NOOP(
        "VisitPanel", "The representative's or proxy's papers are not in order (要綱 2-10, 2-12)"
    ),
    NotAccepted.OTHER: QT_TRANSLATE_NOOP(
        "VisitPanel", "Another reason (note it in the office's own records)"
    ),
}

PRESENTER_SOURCE = {
    Presenter.APPLICANT: QT_TRANSLATE_NOOP("VisitPanel", "The applicant in person (本人)"),
    Presenter.LEGAL_REPRESENTATIVE_WITH_APPLICANT: QT_TRANSLATE_NOOP(
        "VisitPanel", "A legal representative with the applicant (法定代理人・本人同行)"
    ),
    Presenter.LEGAL_REPRESENTATIVE: QT_TRANSLATE_NOOP(
        "VisitPanel", "A legal representative without the applicant (法定代理人)"
    ),
    Presenter.PROXY: QT_TRANSLATE_NOOP("VisitPanel", "A proxy with a letter of attorney (任意代理人)"),
}

OVERRIDE_REASON_SOURCE = {
    OverrideReason.POOR_IMAGE: QT_TRANSLATE_NOOP(
        "VisitPanel", "The camera picture was poor (light, camera, glasses, mask)"
    ),
    OverrideReason.APPEARANCE_CHANGED: QT_TRANSLATE_NOOP(
        "VisitPanel", "The person's appearance changed since the card photo"
    ),
    OverrideReason.CAMERA_UNAVAILABLE: QT_TRANSLATE_NOOP("VisitPanel", "The camera is not available"),
    OverrideReason.CANNOT_FOLLOW_CHALLENGE: QT_TRANSLATE_NOOP(
        "VisitPanel", "The person cannot follow the head-turn prompt"
    ),
    OverrideReason.DOCUMENTS_SEEN: QT_TRANSLATE_NOOP(
        "VisitPanel", "I saw and checked the original documents"
    ),
    OverrideReason.RELATIONSHIP_PROVEN: QT_TRANSLATE_NOOP(
        "VisitPanel",
        "The relationship is proven (family register, guardianship registry or letter of attorney)",
    ),
    OverrideReason.PHOTO_MATCHES: QT_TRANSLATE_NOOP(
        "VisitPanel", "I compared the expired card's photo with the person: it is them"
    ),
}

METHOD_SOURCE = {
    IdentityMethod.PHOTO_ID: QT_TRANSLATE_NOOP("VisitPanel", "one photo ID (要綱2-4(1))"),
    IdentityMethod.TWO_DOCUMENTS_AND_INQUIRY: QT_TRANSLATE_NOOP(
        "VisitPanel", "two documents and the inquiry answer (要綱2-4(2))"
    ),
    IdentityMethod.CARD_AND_JUKI_PIN: QT_TRANSLATE_NOOP(
        "VisitPanel", "the card and its resident registry PIN"
    ),
    IdentityMethod.SURFACE_AND_DECLARATION: QT_TRANSLATE_NOOP(
        "VisitPanel", "the chip's card face and the resident's declaration"
    ),
    IdentityMethod.FACE_MACHINE: QT_TRANSLATE_NOOP("VisitPanel", "the face check"),
    IdentityMethod.FACE_VISUAL: QT_TRANSLATE_NOOP("VisitPanel", "staff's visual face comparison"),
    # Never made at the counter (the unattended terminal's), named so every code has its words.
    IdentityMethod.OTHER_PIN_AND_FACE: QT_TRANSLATE_NOOP(
        "VisitPanel", "the other PIN and the face check (unattended terminal)"
    ),
}

PIN_FORM_SOURCE = {
    PinRequestForm.SEALED: QT_TRANSLATE_NOOP(
        "VisitPanel", "Presented, sealed (envelope or concealment sticker)"
    ),
    PinRequestForm.UNSEALED: QT_TRANSLATE_NOOP("VisitPanel", "Presented, not sealed"),
    PinRequestForm.NOT_PRESENTED: QT_TRANSLATE_NOOP("VisitPanel", "Not presented"),
}


def _tr(text: str) -> str:
    """A table entry (already extracted by QT_TRANSLATE_NOOP) in the current language."""
    return QCoreApplication.translate("VisitPanel", text)


def why_text(why: str) -> str:
    if why in WHY_SOURCE:
        return _tr(WHY_SOURCE[why])
    return arg(QCoreApplication.translate("VisitPanel", "Staff are needed (%1)."), why)


def presenter_text(presenter: Presenter) -> str:
    return _tr(PRESENTER_SOURCE[presenter])


def override_reason_text(reason: OverrideReason) -> str:
    return _tr(OVERRIDE_REASON_SOURCE[reason])


def method_text(method: IdentityMethod) -> str:
    return _tr(METHOD_SOURCE[method])


def pin_form_text(form: PinRequestForm) -> str:
    return _tr(PIN_FORM_SOURCE[form])


def certificate_text(certificate: Certificate) -> str:
    return _tr(CERTIFICATE_SOURCE[certificate])


def not_accepted_text(reason: NotAccepted) -> str:
    return _tr(NOT_ACCEPTED_SOURCE[reason])


def fee_text(fee: Fee) -> str:
    if not fee.paid:
        return QCoreApplication.translate("VisitPanel", "free (無償)")
    return arg(QCoreApplication.translate("VisitPanel", "paid (有償), %1 yen"), str(fee.yen))


# Full-width digits, as a Japanese input method types them, read as the ASCII ones.
_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


def parse_yen(text: str) -> int | None:
    """The amount staff typed, in whole yen from 1 to MAX_FEE_YEN; None when it is not that.
    ASCII and full-width digits only: anything else — a sign, a decimal point, a separator, "円",
    another script's digits — is refused rather than guessed at."""
    digits = text.strip().translate(_FULL_WIDTH_DIGITS)
    if not digits or not digits.isascii() or not digits.isdigit():
        return None
    yen = int(digits)
    return yen if 1 <= yen <= MAX_FEE_YEN else None


def requested_certificates(visit: Visit) -> tuple[Certificate, ...]:
    """The certificates a fee can be recorded for: the chosen issuance's or renewal's; before the
    resident chose, every kind (staff may take the fee first); none for another procedure."""
    item = visit.item
    if item is None:
        return ORDER
    if item.procedure in (Procedure.NEW_ISSUANCE, Procedure.RENEWAL) and isinstance(item.target, Certificate):
        return (item.target,)
    return ()


def not_signed_in_text() -> str:
    return QCoreApplication.translate(
        "VisitPanel", "Sign in at the staff console: every override is recorded under its operator."
    )


def other_operator_text() -> str:
    return QCoreApplication.translate(
        "VisitPanel",
        "This visit did not begin under your sign-in, so an override would not be recorded in your "
        "name. Ask the resident to take out the card and start again.",
    )


def reauthenticate_text() -> str:
    return QCoreApplication.translate(
        "VisitPanel",
        "An override needs your staff card and PIN again (the last check is more than 5 minutes "
        "old). Re-authenticate, then try again.",
    )


def kind_text(kind: DocumentKind) -> str:
    """The item as the 要綱 words it (the office's own text, the same in every UI language)."""
    return f"{kind.citation} {kind.japanese}"


def refusal_texts(decision: IdentityDecision) -> list[str]:
    """Every reason, the whole check's first, then each document's; each once."""
    seen: list[Refusal] = []
    for refusal in (*decision.reasons, *(r for d in decision.documents for r in d.reasons)):
        if refusal not in seen:
            seen.append(refusal)
    return [identity_refusal_text(r) for r in seen]


# -- small widgets --------------------------------------------------------------------------------


class ImageView(QWidget):
    """One card-face image, scaled to fit, aspect kept. Holds one QImage and zero-fills it when
    cleared or replaced: the chip's name, address and photo are personal data shown, never kept."""

    def __init__(self, width_px: int, height_px: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._image: QImage | None = None
        self._size = QSize(width_px, height_px)
        self.setMinimumSize(self._size)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)

    @property
    def has_image(self) -> bool:
        return self._image is not None

    @property
    def image(self) -> QImage | None:
        return self._image

    def set_image(self, image: QImage) -> None:
        self.clear()
        self._image = image
        self.update()

    def clear(self) -> None:
        if self._image is not None:
            self._image.fill(0)
            self._image = None
        self.update()

    def sizeHint(self) -> QSize:
        return self._size

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.drawRect(self.rect().adjusted(0, 0, -1, -1))
        if self._image is not None and not self._image.isNull():
            w, h = self._image.width(), self._image.height()
            scale = min(self.width() / w, self.height() / h)
            tw, th = w * scale, h * scale
            target = QRectF((self.width() - tw) / 2, (self.height() - th) / 2, tw, th)
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawImage(target, self._image)
        painter.end()


def index_of(box: QComboBox, value: object) -> int:
    """The entry holding `value` (a plain Enum member), -1 if none. Not `findData`: a Python
    object in an item's data does not compare equal through QVariant."""
    return next((i for i in range(box.count()) if box.itemData(i) is value), -1)


class CodePicker(QComboBox):
    """A reason code from a fixed list, after an empty first entry: staff choose one. Subclasses
    word the codes (`_code_text`) and name the box (`_name`), again on a language change."""

    def __init__(self, codes: Sequence[enum.Enum], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        narrow(self)
        # Kept here, not as item data: a StrEnum would come back from QVariant as a plain str.
        self._codes: tuple[enum.Enum | None, ...] = (None, *codes)
        for _code in self._codes:
            self.addItem("")
        self.retranslate()

    def _chosen(self) -> enum.Enum | None:
        index = self.currentIndex()
        return self._codes[index] if 0 <= index < len(self._codes) else None

    def choose(self, code: enum.Enum) -> None:
        self.setCurrentIndex(self._codes.index(code))

    def reset(self) -> None:
        self.setCurrentIndex(0)

    def retranslate(self) -> None:
        self.setItemText(0, QCoreApplication.translate("VisitPanel", "Choose a reason…"))
        for i, code in enumerate(self._codes[1:], start=1):
            assert code is not None
            self.setItemText(i, self._code_text(code))
        self.setAccessibleName(self._name())

    def _code_text(self, code: enum.Enum) -> str:
        raise NotImplementedError

    def _name(self) -> str:
        raise NotImplementedError


class ReasonPicker(CodePicker):
    """The override's reasons (`reasons_for`)."""

    def __init__(self, override: Override, parent: QWidget | None = None) -> None:
        super().__init__(reasons_for(override), parent)
        self.override = override

    def reason(self) -> OverrideReason | None:
        chosen = self._chosen()
        return chosen if isinstance(chosen, OverrideReason) else None

    def _code_text(self, code: enum.Enum) -> str:
        assert isinstance(code, OverrideReason)
        return override_reason_text(code)

    def _name(self) -> str:
        return QCoreApplication.translate("VisitPanel", "Reason for the override")


class _ClickLabel(QLabel):
    clicked = Signal()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(event.position().toPoint()):
            self.clicked.emit()
        super().mouseReleaseEvent(event)


class Choice(QWidget):
    """A check box or radio button whose words wrap (a button's own text never does, and the
    staff's side panel is narrow); touching the words toggles it too."""

    toggled = Signal(bool)

    def __init__(self, button: QCheckBox | QRadioButton, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.button = button
        button.setParent(self)
        self.label = _ClickLabel(self)
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.clicked.connect(self.button.click)  # click(): nothing while disabled
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.label, 1)
        button.toggled.connect(self.toggled)

    def setText(self, text: str) -> None:
        self.label.setText(text)
        self.button.setAccessibleName(text)

    def text(self) -> str:
        return self.label.text()

    def isChecked(self) -> bool:
        return self.button.isChecked()

    def setChecked(self, checked: bool) -> None:
        self.button.setChecked(checked)


def check_choice(parent: QWidget) -> Choice:
    return Choice(QCheckBox(), parent)


def radio_choice(parent: QWidget) -> Choice:
    return Choice(QRadioButton(), parent)


class ActionButton(QWidget):
    """A button with the sentence saying why it cannot be pressed now (never a dead button
    without words): a warning when an override is closed, information for what is missing."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.button = QPushButton(self)
        self.button.setProperty("role", "primary")
        self.why = StatusLine(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.button)
        layout.addWidget(self.why)

    def set_open(self, enabled: bool, state: State = State.INFO, why: str = "") -> None:
        self.button.setEnabled(enabled)
        self.why.set_message(state, "" if enabled else why)
        self.button.setAccessibleDescription("" if enabled else why)


# -- the sections ---------------------------------------------------------------------------------


class VisitSummary(QGroupBox):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.card, self.procedure, self.presenter = QLabel(self), QLabel(self), QLabel(self)
        self.identity, self.staff = QLabel(self), StatusLine(self)
        self._captions = [QLabel(self) for _ in range(4)]
        form = QFormLayout(self)
        for caption, value in zip(
            self._captions, (self.card, self.procedure, self.presenter, self.identity), strict=True
        ):
            value.setWordWrap(True)
            value.setTextFormat(Qt.TextFormat.PlainText)
            form.addRow(caption, value)
        form.addRow(self.staff)

    def retranslate(self) -> None:
        self.setTitle(QCoreApplication.translate("VisitPanel", "This visit"))
        for caption, text in zip(
            self._captions,
            (
                QCoreApplication.translate("VisitPanel", "Card"),
                QCoreApplication.translate("VisitPanel", "Procedure"),
                QCoreApplication.translate("VisitPanel", "Who is applying"),
                QCoreApplication.translate("VisitPanel", "Identity"),
            ),
            strict=True,
        ):
            caption.setText(text)


class PresentationBox(QGroupBox):
    """Who is applying (要綱 2-3, 2-10, 2-12)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.group = QButtonGroup(self)
        self.presenters: dict[Presenter, Choice] = {}
        layout = QVBoxLayout(self)
        for presenter in Presenter:
            choice = radio_choice(self)
            self.presenters[presenter] = choice
            self.group.addButton(choice.button)
            layout.addWidget(choice)
        self.adult_ward = check_choice(self)
        self.both_intentions = check_choice(self)
        self.reason = ReasonPicker(Override.REPRESENTATIVE, self)
        self.apply = ActionButton(self)
        self.status = Told(self)
        for widget in (self.adult_ward, self.both_intentions, self.reason, self.apply, self.status):
            layout.addWidget(widget)
        self.reset(Presentation())

    def presenter(self) -> Presenter:
        return next(p for p, b in self.presenters.items() if b.isChecked())

    def reset(self, shown: Presentation) -> None:
        """Show what the visit has now (a new visit: the applicant alone)."""
        self.presenters[shown.presenter].setChecked(True)
        self.adult_ward.setChecked(shown.adult_ward)
        self.both_intentions.setChecked(shown.both_intentions_confirmed)
        if shown.papers is not None:
            self.reason.choose(shown.papers)
        else:
            self.reason.reset()
        self.status.clear()

    def retranslate(self) -> None:
        self.setTitle(QCoreApplication.translate("VisitPanel", "Who is applying"))
        for presenter, button in self.presenters.items():
            button.setText(presenter_text(presenter))
        self.adult_ward.setText(
            QCoreApplication.translate("VisitPanel", "The applicant is an adult ward (成年被後見人)")
        )
        self.both_intentions.setText(
            QCoreApplication.translate(
                "VisitPanel",
                "I confirmed the intention of both the applicant and the legal representative (要綱 2-3)",
            )
        )
        self.reason.retranslate()
        self.apply.button.setText(QCoreApplication.translate("VisitPanel", "Apply"))


class CodeBBox(QGroupBox):
    """(a) 照合番号B: the chip's card face against the printed card, and the declaration."""

    def __init__(self, metrics: Metrics, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.explain = QLabel(self)
        self.explain.setWordWrap(True)
        self.proxy_note = QLabel(self)  # a proxy: the read is for the 基本4情報, not a surface check
        self.proxy_note.setWordWrap(True)
        self.read = ActionButton(self)
        self.keypad_holder = QVBoxLayout()
        self.keypad: PinKeypad | None = None
        self.name_caption, self.address_caption = QLabel(self), QLabel(self)
        self.name_image = ImageView(metrics.px(90), metrics.px(14), self)
        self.address_image = ImageView(metrics.px(90), metrics.px(22), self)
        self.photo = ImageView(metrics.px(30), metrics.px(40), self)  # the card photo's proportions
        self.dates = QLabel(self)
        self.dates.setWordWrap(True)
        self.chip_matches = check_choice(self)
        self.declared = check_choice(self)
        self.expired_caption = QLabel(self)
        self.expired_caption.setWordWrap(True)
        self.expired_override = ReasonPicker(Override.EXPIRED_CARD, self)
        self.confirm = ActionButton(self)
        self.status = Told(self)
        # 規則 64条の5 第2号: the machine compares the person with the chip photo just read.
        self.face_check = ActionButton(self)

        self.face = QFrame(self)  # what the chip holds, shown once read
        texts = QVBoxLayout()
        for widget in (
            self.name_caption,
            self.name_image,
            self.address_caption,
            self.address_image,
        ):
            texts.addWidget(widget)
        # The photo under the name and address, not beside them: the staff side is narrow.
        face_row = QVBoxLayout(self.face)
        face_row.setContentsMargins(0, 0, 0, 0)
        face_row.addLayout(texts)
        face_row.addWidget(self.photo, 0, Qt.AlignmentFlag.AlignLeft)
        layout = QVBoxLayout(self)
        layout.addWidget(self.explain)
        layout.addWidget(self.proxy_note)
        layout.addWidget(self.read)
        layout.addLayout(self.keypad_holder)
        layout.addWidget(self.face)
        for widget in (
            self.dates,  # not beside the photo: a wrapped label in a nested row gets one line's height
            self.chip_matches,
            self.declared,
            self.expired_caption,
            self.expired_override,
            self.confirm,
            self.status,
            self.face_check,
        ):
            layout.addWidget(widget)

    def retranslate(self) -> None:
        self.setTitle(QCoreApplication.translate("VisitPanel", "Card face (照合番号B)"))
        self.face_check.button.setText(QCoreApplication.translate("VisitPanel", "Face check (camera)"))
        self.explain.setText(
            QCoreApplication.translate(
                "VisitPanel",
                "Key in 照合番号B from the printed card, compare what the chip holds with the printed card, "
                "and ask the resident for details of their resident record. Both must be right, otherwise "
                "the application cannot be accepted (受付不可).",
            )
        )
        self.proxy_note.setText(
            QCoreApplication.translate(
                "VisitPanel",
                "A proxy is applying: read the card with 照合番号B for the application's name, address and "
                "date of birth (the proxy does not know the holder's PINs). The proxy's identity is checked "
                "with their documents below.",
            )
        )
        self.read.button.setText(QCoreApplication.translate("VisitPanel", "Read the card with 照合番号B"))
        self.name_caption.setText(QCoreApplication.translate("VisitPanel", "Name in the chip"))
        self.address_caption.setText(QCoreApplication.translate("VisitPanel", "Address in the chip"))
        self.name_image.setAccessibleName(QCoreApplication.translate("VisitPanel", "Name in the chip"))
        self.address_image.setAccessibleName(QCoreApplication.translate("VisitPanel", "Address in the chip"))
        self.photo.setAccessibleName(QCoreApplication.translate("VisitPanel", "Photo in the chip"))
        self.chip_matches.setText(
            QCoreApplication.translate("VisitPanel", "What the chip holds matches the printed card")
        )
        self.declared.setText(
            QCoreApplication.translate(
                "VisitPanel", "The resident stated the details of their resident record correctly"
            )
        )
        self.expired_caption.setText(
            QCoreApplication.translate(
                "VisitPanel",
                "The card has expired. Within 6 months of expiry it is accepted only when its photo shows "
                "the person present (要領 (A)).",
            )
        )
        self.expired_override.retranslate()
        self.confirm.button.setText(QCoreApplication.translate("VisitPanel", "Record the check"))


@dataclass(frozen=True)
class _Shown:
    """The card face as the panel shows it: images and two dates, not the CardFace."""

    name: QImage
    address: QImage
    photo: QImage
    birth_date: date
    expiry: date

    def wipe(self) -> None:
        """Zero-fill the images: a read whose visit ended meanwhile is never shown."""
        for image in (self.name, self.address, self.photo):
            image.fill(0)


class DocumentsBox(QGroupBox):
    """(b) Documents checked by hand (要綱 2-4–2-6; a proxy's, 要綱 2-12)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = narrow(QComboBox(self))
        self.kind.addItem("", None)
        for group in (list(PhotoIdKind), list(OtherIdKind)):
            if self.kind.count() > 1:  # a line between the photo IDs and the other documents
                self.kind.insertSeparator(self.kind.count())
            for kind in group:
                self.kind.addItem(kind_text(kind), kind)
                self.kind.setItemData(self.kind.count() - 1, kind.english, Qt.ItemDataRole.ToolTipRole)
        self.no_validity = check_choice(self)
        self.valid_until = date_edit(self)
        self.issued_caption = QLabel(self)
        self.issued_on = date_edit(self)
        self.valid_caption = QLabel(self)
        # 要綱 2-6 なお書: a student ID, a company ID or a bankbook may be shown as an app's screen
        # (映像面); offered for those kinds only, with the two things staff must have seen.
        self.smartphone = check_choice(self)
        self.smartphone_checks = QFrame(self)
        self.operated = check_choice(self.smartphone_checks)
        self.impractical = check_choice(self.smartphone_checks)
        phone_layout = QVBoxLayout(self.smartphone_checks)
        phone_layout.setContentsMargins(0, 0, 0, 0)
        phone_layout.addWidget(self.operated)
        phone_layout.addWidget(self.impractical)
        self.add = QPushButton(self)
        self.list = QListWidget(self)
        self.list.setWordWrap(True)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setMinimumHeight(self.add.sizeHint().height() * 3)
        self.remove = QPushButton(self)
        self.inquiry_answer = check_choice(self)
        self.proxy = QFrame(self)  # shown when a proxy was applied as the presenter
        self._build_proxy_papers()
        self.reason = ReasonPicker(Override.MANUAL_DOCUMENTS, self)
        self.confirm = ActionButton(self)
        self.status = Told(self)

        dates = QFormLayout()
        dates.addRow(self.valid_caption, self.valid_until)
        dates.addRow(self.no_validity)
        dates.addRow(self.issued_caption, self.issued_on)
        layout = QVBoxLayout(self)
        layout.addWidget(self.kind)
        layout.addLayout(dates)
        layout.addWidget(self.smartphone)
        layout.addWidget(self.smartphone_checks)
        layout.addWidget(self.add)
        layout.addWidget(self.list)
        layout.addWidget(self.remove)
        for widget in (self.inquiry_answer, self.proxy, self.reason, self.confirm, self.status):
            layout.addWidget(widget)
        self.no_validity.toggled.connect(lambda on: self.valid_until.setEnabled(not on))
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.smartphone.toggled.connect(self._kind_changed)
        self._kind_changed()

    def _build_proxy_papers(self) -> None:
        """The proxy's papers besides their photo ID (要綱 2-12(2)(4), 2-13)."""
        self.letter_of_attorney = check_choice(self.proxy)
        self.pin_form_caption = QLabel(self.proxy)
        self.pin_form = narrow(QComboBox(self.proxy))
        for form in PinRequestForm:
            self.pin_form.addItem("", form)
        # 要綱 2-13: a proxy of the applicant's household, within a month of a moving notification
        # (転入届・転居届等), needs no inquiry answer. The date decides; `waiver` says what it means.
        self.same_household = check_choice(self.proxy)
        self.moving_notice = check_choice(self.proxy)
        self.notified_caption = QLabel(self.proxy)
        self.notified_on = date_edit(self.proxy)
        self.waiver = QLabel(self.proxy)
        self.waiver.setWordWrap(True)
        layout = QFormLayout(self.proxy)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addRow(self.letter_of_attorney)
        layout.addRow(self.pin_form_caption, self.pin_form)
        layout.addRow(self.same_household)
        layout.addRow(self.moving_notice)
        layout.addRow(self.notified_caption, self.notified_on)
        layout.addRow(self.waiver)
        for widget in (self.notified_caption, self.notified_on):
            widget.setEnabled(False)
            self.moving_notice.toggled.connect(widget.setEnabled)

    def chosen_kind(self) -> DocumentKind | None:
        data = self.kind.currentData()
        return data if isinstance(data, PhotoIdKind | OtherIdKind) else None

    def choose_kind(self, kind: DocumentKind) -> None:
        self.kind.setCurrentIndex(index_of(self.kind, kind))

    def presented(self) -> list[PresentedDocument]:
        return [self.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.list.count())]

    def shown_on_smartphone(self) -> SmartphoneDisplay | None:
        """How the chosen document is shown: None on paper or plastic (or a kind that may not be
        shown on a phone, for which the choice is not offered)."""
        if self.chosen_kind() not in SMARTPHONE_KINDS or not self.smartphone.isChecked():
            return None
        return SmartphoneDisplay(
            operation_checked=self.operated.isChecked(),
            physical_document_impractical=self.impractical.isChecked(),
        )

    def notice(self) -> MovingNotice | None:
        """The applicant's moving notification as staff recorded it (要綱 2-13), if any."""
        if not self.moving_notice.isChecked():
            return None
        return MovingNotice(
            notified_on=self.notified_on.date().toPython(), same_household=self.same_household.isChecked()
        )

    def clear_smartphone(self) -> None:
        for choice in (self.smartphone, self.operated, self.impractical):
            choice.setChecked(False)

    def reset(self, today: date) -> None:
        self.list.clear()  # the documents' dates go with the visit
        self.kind.setCurrentIndex(0)
        for edit in (self.valid_until, self.issued_on):
            edit.setDate(today)
        self.no_validity.setChecked(False)
        self.clear_smartphone()
        self.inquiry_answer.setChecked(False)
        self.letter_of_attorney.setChecked(False)
        self.pin_form.setCurrentIndex(index_of(self.pin_form, PinRequestForm.NOT_PRESENTED))
        self.same_household.setChecked(False)
        self.moving_notice.setChecked(False)
        self.notified_on.setDate(today)
        self.notified_on.setMaximumDate(today)  # a notification is not filed in the future
        self.reason.reset()
        self.status.clear()

    def _kind_changed(self) -> None:
        kind = self.chosen_kind()
        needs = kind in ISSUE_DATE_KINDS
        self.issued_on.setEnabled(needs)
        self.issued_caption.setEnabled(needs)
        phone = kind in SMARTPHONE_KINDS
        self.smartphone.setVisible(phone)
        self.smartphone_checks.setVisible(phone and self.smartphone.isChecked())

    def retranslate(self) -> None:
        self.setTitle(QCoreApplication.translate("VisitPanel", "Documents by hand"))
        self.kind.setItemText(0, QCoreApplication.translate("VisitPanel", "Choose the kind of document…"))
        self.kind.setAccessibleName(QCoreApplication.translate("VisitPanel", "Kind of document"))
        self.valid_caption.setText(QCoreApplication.translate("VisitPanel", "Valid until"))
        self.no_validity.setText(
            QCoreApplication.translate("VisitPanel", "The document has no validity period")
        )
        self.issued_caption.setText(QCoreApplication.translate("VisitPanel", "Issued on"))
        self.smartphone.setText(
            QCoreApplication.translate("VisitPanel", "Shown as an app's screen on a smartphone (映像面)")
        )
        self.operated.setText(
            QCoreApplication.translate(
                "VisitPanel", "The person operated the app in front of staff (映像面の操作を求める措置)"
            )
        )
        self.impractical.setText(
            QCoreApplication.translate("VisitPanel", "The physical document could not reasonably be shown")
        )
        self.add.setText(QCoreApplication.translate("VisitPanel", "Add the document"))
        self.remove.setText(QCoreApplication.translate("VisitPanel", "Remove the selected document"))
        self.inquiry_answer.setText(
            QCoreApplication.translate("VisitPanel", "The inquiry answer (照会回答書) was presented")
        )
        self.letter_of_attorney.setText(
            QCoreApplication.translate(
                "VisitPanel", "Letter of attorney signed, or named and sealed, by the applicant (委任状)"
            )
        )
        self.pin_form_caption.setText(
            QCoreApplication.translate("VisitPanel", "PIN setting request form (暗証番号設定依頼書)")
        )
        for i in range(self.pin_form.count()):
            self.pin_form.setItemText(i, pin_form_text(self.pin_form.itemData(i)))
        self.same_household.setText(
            QCoreApplication.translate(
                "VisitPanel", "The proxy lives in the applicant's household (同一世帯)"
            )
        )
        self.moving_notice.setText(
            QCoreApplication.translate(
                "VisitPanel",
                "A moving-in or moving notification (転入届・転居届等) for the applicant was filed",
            )
        )
        self.notified_caption.setText(QCoreApplication.translate("VisitPanel", "Filed on"))
        self.reason.retranslate()
        self.confirm.button.setText(QCoreApplication.translate("VisitPanel", "Record the documents"))
        for i in range(self.list.count()):
            item = self.list.item(i)
            item.setText(document_text(item.data(Qt.ItemDataRole.UserRole)))


class VisualBox(QGroupBox):
    """(c) Staff compare the person with the card photo (規則 64条の5 第1号)."""

    def __init__(self, metrics: Metrics, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.explain = QLabel(self)
        self.explain.setWordWrap(True)
        self.photo = ImageView(metrics.px(30), metrics.px(40), self)
        self.same = radio_choice(self)
        self.different = radio_choice(self)
        self.group = QButtonGroup(self)
        self.group.addButton(self.same.button)
        self.group.addButton(self.different.button)
        self.reason = ReasonPicker(Override.VISUAL_FACE, self)
        self.confirm = ActionButton(self)
        self.status = Told(self)
        layout = QVBoxLayout(self)
        for widget in (
            self.explain,
            self.photo,
            self.same,
            self.different,
            self.reason,
            self.confirm,
            self.status,
        ):
            layout.addWidget(widget)

    def answer(self) -> bool | None:
        if self.same.isChecked():
            return True
        return False if self.different.isChecked() else None

    def reset(self) -> None:
        self.photo.clear()
        self.group.setExclusive(False)  # an exclusive group cannot be emptied
        self.same.setChecked(False)
        self.different.setChecked(False)
        self.group.setExclusive(True)
        self.reason.reset()
        self.status.clear()

    def retranslate(self) -> None:
        self.setTitle(QCoreApplication.translate("VisitPanel", "Visual comparison"))
        self.explain.setText(
            QCoreApplication.translate(
                "VisitPanel",
                "The face check could not decide. Compare the person with the photo on the card (and in the "
                "chip, when read with 照合番号B).",
            )
        )
        self.photo.setAccessibleName(QCoreApplication.translate("VisitPanel", "Photo in the chip"))
        self.same.setText(QCoreApplication.translate("VisitPanel", "The same person"))
        self.different.setText(QCoreApplication.translate("VisitPanel", "Not the same person"))
        self.reason.retranslate()
        self.confirm.button.setText(QCoreApplication.translate("VisitPanel", "Record the comparison"))


class FeeRow(QWidget):
    """One certificate's fee: free (the default) or paid, with its amount in yen."""

    def __init__(self, certificate: Certificate, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.certificate = certificate
        self.caption = QLabel(self)
        self.caption.setWordWrap(True)
        self.free = radio_choice(self)
        self.paid = radio_choice(self)
        self.group = QButtonGroup(self)  # one group per row: each certificate has its own choice
        self.group.addButton(self.free.button)
        self.group.addButton(self.paid.button)
        self.amount = QLineEdit(self)
        self.amount.setMaxLength(8)  # room for a typo to be seen and refused, not for a novel
        self.yen = QLabel(self)
        amount_row = QHBoxLayout()
        amount_row.addWidget(self.paid, 1)
        amount_row.addWidget(self.amount)
        amount_row.addWidget(self.yen)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.caption)
        layout.addWidget(self.free)
        layout.addLayout(amount_row)
        self.paid.toggled.connect(self.amount.setEnabled)
        self.show_fee(FREE)

    def show_fee(self, fee: Fee) -> None:
        """What the visit has recorded for this certificate."""
        (self.paid if fee.paid else self.free).setChecked(True)
        self.amount.setText(str(fee.yen) if fee.paid else "")
        self.amount.setEnabled(fee.paid)

    def fee(self) -> Fee | None:
        """The fee as entered; None while "paid" has no valid amount."""
        if not self.paid.isChecked():
            return FREE
        yen = parse_yen(self.amount.text())
        return Fee(paid=True, yen=yen) if yen is not None else None

    def retranslate(self) -> None:
        self.caption.setText(certificate_text(self.certificate))
        self.free.setText(QCoreApplication.translate("VisitPanel", "Free (無償)"))
        self.paid.setText(QCoreApplication.translate("VisitPanel", "Paid (有償)"))
        self.yen.setText(QCoreApplication.translate("VisitPanel", "yen"))
        self.amount.setAccessibleName(
            arg(
                QCoreApplication.translate("VisitPanel", "Fee in yen for the %1"),
                certificate_text(self.certificate),
            )
        )
        self.amount.setPlaceholderText(
            arg(QCoreApplication.translate("VisitPanel", "1–%1"), str(MAX_FEE_YEN))
        )


class FeeBox(QGroupBox):
    """The fee of each certificate requested, as the 交付記録簿 books it (有償 / 無償)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.explain = QLabel(self)
        self.explain.setWordWrap(True)
        self.rows = {certificate: FeeRow(certificate, self) for certificate in ORDER}
        self.none = QLabel(self)  # the procedure issues no certificate
        self.none.setWordWrap(True)
        self.record = ActionButton(self)
        self.status = Told(self)
        layout = QVBoxLayout(self)
        layout.addWidget(self.explain)
        for row in self.rows.values():
            layout.addWidget(row)
        for widget in (self.none, self.record, self.status):
            layout.addWidget(widget)

    def reset(self, visit: Visit | None) -> None:
        for certificate, row in self.rows.items():
            row.show_fee(visit.fee_for(certificate) if visit is not None else FREE)
        self.status.clear()

    def retranslate(self) -> None:
        self.setTitle(QCoreApplication.translate("VisitPanel", "Fees (交付記録簿)"))
        self.explain.setText(
            QCoreApplication.translate(
                "VisitPanel",
                "Issuance is free. Record a fee only if one was collected for a certificate: it goes to "
                "the issuance ledger as paid, with its amount.",
            )
        )
        for row in self.rows.values():
            row.retranslate()
        self.none.setText(
            QCoreApplication.translate("VisitPanel", "No certificate is issued in this procedure.")
        )
        self.record.button.setText(QCoreApplication.translate("VisitPanel", "Record the fees"))


class NotAcceptedPicker(CodePicker):
    """Why the application cannot be accepted (`NotAccepted`)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(tuple(NotAccepted), parent)

    def reason(self) -> NotAccepted | None:
        chosen = self._chosen()
        return chosen if isinstance(chosen, NotAccepted) else None

    def _code_text(self, code: enum.Enum) -> str:
        assert isinstance(code, NotAccepted)
        return not_accepted_text(code)

    def _name(self) -> str:
        return QCoreApplication.translate("VisitPanel", "Why the application cannot be accepted")


class RefuseBox(QGroupBox):
    """受付不可: staff end the visit, with the reason code recorded."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.explain = QLabel(self)
        self.explain.setWordWrap(True)
        self.reason = NotAcceptedPicker(self)
        self.end = ActionButton(self)
        self.status = Told(self)
        layout = QVBoxLayout(self)
        for widget in (self.explain, self.reason, self.end, self.status):
            layout.addWidget(widget)

    def reset(self) -> None:
        self.reason.reset()
        self.status.clear()

    def retranslate(self) -> None:
        self.setTitle(QCoreApplication.translate("VisitPanel", "Cannot accept (受付不可)"))
        self.explain.setText(
            QCoreApplication.translate(
                "VisitPanel",
                "When the application cannot be accepted, end the visit here. The resident's screen says "
                "it cannot be done, and the reason is recorded.",
            )
        )
        self.reason.retranslate()
        self.end.button.setText(QCoreApplication.translate("VisitPanel", "Cannot accept: end the visit"))


def _proxy_purpose(visit: Visit) -> Purpose:
    """要綱 3-6: a proxy's revocation or key-compromise report asks less than an issuance."""
    revoking = visit.item is not None and visit.item.procedure in (
        Procedure.REVOCATION,
        Procedure.KEY_COMPROMISE,
    )
    return Purpose.REVOKE if revoking else Purpose.ISSUE


def _waiver_text(visit: Visit, notice: MovingNotice | None) -> str:
    """What a recorded moving notification means for the inquiry answer (要綱 2-13), before staff
    record the documents: the same rule the identity step applies."""
    if notice is None:
        return ""
    purpose = _proxy_purpose(visit)
    if inquiry_answer_waived(notice, today=visit.today, purpose=purpose):
        return QCoreApplication.translate(
            "VisitPanel",
            "The inquiry answer is not needed: a proxy of the household within a month of the "
            "notification (要綱 2-13).",
        )
    if purpose is Purpose.REVOKE:
        return QCoreApplication.translate(
            "VisitPanel", "A revocation still needs the inquiry answer (要綱 3-6 does not apply 2-13)."
        )
    if not notice.same_household:
        return QCoreApplication.translate(
            "VisitPanel",
            "The notification waives the inquiry answer only for a proxy of the applicant's "
            "household (要綱 2-13).",
        )
    return QCoreApplication.translate(
        "VisitPanel",
        "The notification was filed more than a month ago: the inquiry answer is needed (要綱 2-13).",
    )


def document_text(doc: PresentedDocument) -> str:
    if doc.valid_until is None:
        text = arg(QCoreApplication.translate("VisitPanel", "%1, no validity period"), kind_text(doc.kind))
    else:
        text = arg(
            QCoreApplication.translate("VisitPanel", "%1, valid until %2"),
            kind_text(doc.kind),
            doc.valid_until.isoformat(),
        )
    if doc.issued_on is not None:
        text = arg(
            QCoreApplication.translate("VisitPanel", "%1, issued on %2"), text, doc.issued_on.isoformat()
        )
    if doc.smartphone is not None:
        text = arg(QCoreApplication.translate("VisitPanel", "%1, on a smartphone screen"), text)
    return text


def _read_card_face(visit: Visit, code_b: Secret) -> _Shown:
    """Off the UI thread: the card read (照合番号B wiped by the card layer) and the images decoded.
    QImage (not QPixmap) may be made on any thread."""
    face = visit.read_with_code_b(code_b)
    photo = face.photo()  # greyscale
    pixels = photo.tobytes()
    photo_image = QImage(
        pixels, photo.width, photo.height, photo.width, QImage.Format.Format_Grayscale8
    ).copy()
    return _Shown(
        name=QImage.fromData(face.name_image, "PNG"),
        address=QImage.fromData(face.address_image, "PNG"),
        photo=photo_image,
        birth_date=face.birth_date,
        expiry=face.expiry,
    )


# -- the panel ------------------------------------------------------------------------------------


class VisitPanel(QWidget):
    """The current visit for staff, beside the resident's `CounterWindow`."""

    reauthentication_wanted = Signal()  # an override waits for the operator's staff card + PIN

    def __init__(
        self,
        window: CounterWindow,
        operator_of: OperatorOf,
        override_allowed: OverrideAllowed,
        metrics: Metrics,
        *,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.counter, self.metrics = window, metrics  # not `window`: QWidget.window()
        self._operator_of, self._override_allowed = operator_of, override_allowed
        self.runner = TaskRunner(parent=self)
        self.runner.busy_changed.connect(self._busy_changed)
        window.runner.busy_changed.connect(self._busy_changed)
        self._visit: Visit | None = None
        self._operator: str | None = None
        self._why: str | None = None
        self._card_dates: tuple[date, date] | None = None  # birth, expiry: the card face is shown
        self._face_check: FaceCheckRecord | None = None

        self.summary = VisitSummary(self)
        self.access = StatusLine(self)  # why overrides are closed, once for the whole panel
        self.reauth = QPushButton(self)
        self.reauth.clicked.connect(self.reauthentication_wanted)
        self.presentation = PresentationBox(self)
        self.identity_title = QLabel(self)
        self.identity_title.setProperty("role", "title")
        self.identity_title.setWordWrap(True)
        self.code_b = CodeBBox(metrics, self)
        self.documents = DocumentsBox(self)
        self.visual = VisualBox(metrics, self)
        self.status = Told(self)  # the identity check's outcome
        self.fees = FeeBox(self)
        self.refusal = RefuseBox(self)
        self._lay_out()
        self._connect()
        self._timer = QTimer(self)
        self._timer.setInterval(UPDATE_MS)
        self._timer.timeout.connect(self._tick)
        self._timer.start()
        self.retranslate()
        self.reset()
        if window.visit is not None:
            self._visit_started()

    def _lay_out(self) -> None:
        inner = QWidget()
        layout = QVBoxLayout(inner)
        for widget in (
            self.summary,
            self.access,
            self.reauth,
            self.presentation,
            self.identity_title,
            self.status,
            self.code_b,
            self.documents,
            self.visual,
            self.fees,
            self.refusal,
        ):
            layout.addWidget(widget)
        layout.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # the words wrap instead
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(inner)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

    def _connect(self) -> None:
        window = self.counter
        self.presentation.group.buttonToggled.connect(lambda *_a: self._update())
        for box in (
            self.presentation.reason,
            self.code_b.expired_override,
            self.documents.reason,
            self.visual.reason,
            self.refusal.reason,
        ):
            box.currentIndexChanged.connect(lambda _i: self._update())
        for row in self.fees.rows.values():
            row.group.buttonToggled.connect(lambda *_a: self._update())
            row.amount.textChanged.connect(lambda _t: self._update())
        self.fees.record.button.clicked.connect(self._record_fees)
        self.refusal.end.button.clicked.connect(self._refuse)
        self.documents.list.itemSelectionChanged.connect(self._update)
        self.documents.kind.currentIndexChanged.connect(lambda _i: self._update())
        for choice in (self.documents.same_household, self.documents.moving_notice):
            choice.toggled.connect(lambda _on: self._update())
        self.documents.notified_on.dateChanged.connect(lambda _d: self._update())
        self.visual.group.buttonToggled.connect(lambda *_a: self._update())
        self.presentation.apply.button.clicked.connect(self._apply_presentation)
        self.code_b.read.button.clicked.connect(self._open_code_b)
        self.code_b.confirm.button.clicked.connect(self._confirm_surface)
        self.code_b.face_check.button.clicked.connect(self._start_face_check)
        self.documents.add.clicked.connect(self._add_document)
        self.documents.remove.clicked.connect(self._remove_document)
        self.documents.confirm.button.clicked.connect(self._confirm_documents)
        self.visual.confirm.button.clicked.connect(self._confirm_visual)

        window.visit_started.connect(self._visit_started)
        window.visit_ended.connect(self._visit_ended)
        window.identity_needed.connect(self._identity_needed)
        window.face_checked.connect(self._face_checked)

    # -- public ---------------------------------------------------------------------------------

    @property
    def visit(self) -> Visit | None:
        return self._visit

    def refresh(self) -> None:
        """Read the sign-in again (the console calls this when it changes) and update."""
        self._operator = self._operator_of()
        self._update()

    def reset(self) -> None:
        """Nothing of the last visit stays: the keypad wiped, the card face's images zero-filled,
        the documents and choices cleared."""
        self._visit, self._why, self._face_check = None, None, None
        self._drop_keypad()
        self._drop_card_face()
        self.visual.reset()
        self.presentation.reset(Presentation())
        self.code_b.chip_matches.setChecked(False)
        self.code_b.declared.setChecked(False)
        self.code_b.expired_override.reset()
        self.code_b.status.clear()
        self.documents.reset(date.today())
        self.fees.reset(None)
        self.refusal.reset()
        self.status.clear()
        self._update()

    def _face_checked(self, record: object) -> None:
        """A face check of this visit has decided: accepted, or staff's visual comparison offered."""
        if isinstance(record, FaceCheckRecord):
            self._face_check = record
            self._copy_photo_to_visual()
            self._update()

    # -- visit events ---------------------------------------------------------------------------

    def _visit_started(self) -> None:
        visit = self.counter.visit
        if visit is not self._visit:  # a follow-up of the same visit keeps what staff did
            self.reset()
            self._visit = visit
            if visit is not None:
                self.presentation.reset(visit.presentation)
                self.fees.reset(visit)
                self._face_check = visit.face_record
                if visit.reading is not None:
                    self.documents.reset(visit.today)
        self.refresh()

    def _visit_ended(self, _outcome: str) -> None:
        self.reset()

    def _busy_changed(self, _busy: bool) -> None:
        self._update()

    def _identity_needed(self, why: str) -> None:
        self._why = why
        self.status.clear()
        self.refresh()

    def _tick(self) -> None:
        if self._operator is None:
            # Nobody known: the call touches a session only when one has begun since.
            self._operator = self._operator_of()
        self._update()

    # -- who is applying ------------------------------------------------------------------------

    def _apply_presentation(self) -> None:
        box = self.presentation
        presenter = box.presenter()
        if not self._may_act(override=presenter is not Presenter.APPLICANT):
            return
        visit = self._visit
        assert visit is not None
        presentation = Presentation(
            presenter=presenter,
            adult_ward=box.adult_ward.isChecked(),
            both_intentions_confirmed=(
                presenter is Presenter.LEGAL_REPRESENTATIVE_WITH_APPLICANT and box.both_intentions.isChecked()
            ),
            papers=box.reason.reason() if presenter is not Presenter.APPLICANT else None,
        )

        def done(_result: object) -> None:
            box.status.tell(
                State.SUCCESS,
                lambda: arg(
                    QCoreApplication.translate("VisitPanel", "Recorded: %1."), presenter_text(presenter)
                ),
            )
            if presenter is not Presenter.PROXY and self._why == "proxy":
                self._why = None  # the holder after all: the resident's window asks the PIN again
            # A proxy is not asked the holder's PIN: the resident's window hands the check over now.
            self.counter.presentation_changed()
            self._update()

        self._run(functools.partial(visit.present, presentation), done, box.status)

    # -- fees -------------------------------------------------------------------------------------

    def _fee_changes(self, visit: Visit) -> list[tuple[Certificate, Fee]] | None:
        """The fees entered that differ from the visit's; None while one is not a valid fee."""
        changes: list[tuple[Certificate, Fee]] = []
        for certificate in requested_certificates(visit):
            fee = self.fees.rows[certificate].fee()
            if fee is None:
                return None
            if fee != visit.fee_for(certificate):
                changes.append((certificate, fee))
        return changes

    def _record_fees(self) -> None:
        visit = self._visit
        if visit is None or not self._may_act(override=False, own_visit=True):
            return
        changes = self._fee_changes(visit)
        if not changes:
            return
        operator = self._operator
        assert operator is not None

        def record() -> None:
            for certificate, fee in changes:
                visit.set_fee(certificate, fee, operator=operator)

        def done(_result: object) -> None:
            def words() -> str:
                parts = [
                    arg(
                        QCoreApplication.translate("VisitPanel", "%1: %2"),
                        certificate_text(certificate),
                        fee_text(fee),
                    )
                    for certificate, fee in changes
                ]
                return arg(QCoreApplication.translate("VisitPanel", "Recorded: %1."), "; ".join(parts))

            self.fees.status.tell(State.SUCCESS, words)
            self._update()

        self._run(record, done, self.fees.status)

    # -- 受付不可 ---------------------------------------------------------------------------------

    def _refuse(self) -> None:
        visit, reason = self._visit, self.refusal.reason.reason()
        if visit is None or reason is None or not self._may_act(override=False, own_visit=True):
            return
        operator = self._operator
        assert operator is not None
        try:
            # On the UI thread, as every visit's ending is: the card is released here, and no card
            # command may start in between (the window refuses while one runs).
            ended = self.counter.refuse(reason, operator)
        except VisitError as exc:
            _log.warning("visit panel: refusal not allowed: %s", exc)
            self.refusal.status.tell(
                State.ERROR,
                lambda: QCoreApplication.translate("VisitPanel", "This visit can no longer be refused."),
            )
            self._update()
            return
        if not ended:
            self.refusal.status.tell(
                State.WARNING,
                lambda: QCoreApplication.translate("VisitPanel", "The card is busy. Try again in a moment."),
            )
            self._update()
            return
        # The visit has ended and the panel was reset with it: say what was recorded.
        self.refusal.status.tell(
            State.WARNING,
            lambda: arg(
                QCoreApplication.translate(
                    "VisitPanel", "Not accepted (受付不可): the visit has ended. Reason recorded: %1."
                ),
                not_accepted_text(reason),
            ),
        )
        self._update()

    # -- (a) 照合番号B -------------------------------------------------------------------------

    def _open_code_b(self) -> None:
        if not self._may_act(override=False):
            return
        self._drop_keypad()
        keypad = PinKeypad(PinKind.CODE_B, self.metrics, rng=self.counter.terminal.rng, parent=self.code_b)
        keypad.submitted.connect(self._code_b_entered)
        self.code_b.keypad = keypad
        self.code_b.keypad_holder.addWidget(keypad)
        keypad.show()
        self.code_b.status.clear()
        self._update()

    def _code_b_entered(self, code_b: object) -> None:
        assert isinstance(code_b, Secret)
        visit = self._visit
        if visit is None or not self._may_act(override=False) or not self.counter.begin_staff_read():
            code_b.wipe()
            self.code_b.status.tell(
                State.WARNING,
                lambda: QCoreApplication.translate("VisitPanel", "The card is busy. Try again in a moment."),
            )
            return
        # The resident's window holds its Cancel and idle timeout until the read is over, answered
        # or not (`after`): ending the visit would release the card under the command.
        read = functools.partial(_read_card_face, visit, code_b)
        if not self._run(
            read,
            self._card_face_read,
            self.code_b.status,
            dropped=_Shown.wipe,
            after=self.counter.end_staff_read,
        ):
            self.counter.end_staff_read()
            code_b.wipe()

    def _card_face_read(self, shown: object) -> None:
        assert isinstance(shown, _Shown)
        self._drop_keypad()
        self._drop_card_face()
        # The views hold the only references to the images (zero-filled when cleared; a second
        # reference would make `fill` detach and leave the pixels behind): `shown` goes here.
        self.code_b.name_image.set_image(shown.name)
        self.code_b.address_image.set_image(shown.address)
        self.code_b.photo.set_image(shown.photo)
        self._card_dates = (shown.birth_date, shown.expiry)
        del shown
        self._copy_photo_to_visual()
        self._show_dates()
        if self._visit is not None and self._visit.by_proxy:
            self.code_b.status.tell(
                State.INFO,
                lambda: QCoreApplication.translate(
                    "VisitPanel", "The card was read. Now check the proxy's documents below."
                ),
            )
        else:
            self.code_b.status.tell(
                State.INFO,
                lambda: QCoreApplication.translate(
                    "VisitPanel", "Compare with the printed card, then tick what holds and record the check."
                ),
            )
        self._update()

    def _code_b_failed(self, error: BaseException) -> bool:
        """A wrong or locked 照合番号B: said on the keypad (its counter) and in words."""
        keypad = self.code_b.keypad
        if isinstance(error, InvalidPin) and error.tries_left > 0:
            if keypad is not None:
                keypad.set_counter(PinStatus(error.tries_left))
            self.code_b.status.tell(
                State.WARNING, lambda: QCoreApplication.translate("VisitPanel", "照合番号B was not correct.")
            )
            return True
        if isinstance(error, PinBlocked | InvalidPin):
            if keypad is not None:
                keypad.set_counter(PinStatus(0, blocked=True))
            self.code_b.status.tell(
                State.ERROR,
                lambda: QCoreApplication.translate(
                    "VisitPanel", "照合番号B is locked on this card. Check documents by hand instead."
                ),
            )
            return True
        return False

    def _start_face_check(self) -> None:
        """The face check needs no override: the machine decides; staff act only if it cannot."""
        if not self.counter.start_face_check():
            self.code_b.status.tell(
                State.WARNING,
                lambda: QCoreApplication.translate("VisitPanel", "The face check cannot start now."),
            )
        self._update()

    def _confirm_surface(self) -> None:
        visit, identity = self._visit, self._identity()
        if visit is None or identity is None or self._card_dates is None:
            return
        expired = self._expired()
        override = self.code_b.expired_override.reason() if expired else None
        if not self._may_act(override=override is not None):
            return
        call = functools.partial(
            identity.surface_and_declaration,
            chip_matches_surface=self.code_b.chip_matches.isChecked(),
            declared=self.code_b.declared.isChecked(),
            expired_card_override=override,
        )
        self._run(call, lambda d: self._decided(d, self.code_b.status), self.code_b.status)

    # -- (b) documents --------------------------------------------------------------------------

    def _add_document(self) -> None:
        box = self.documents
        kind = box.chosen_kind()
        if kind is None:
            return
        try:
            doc = PresentedDocument(
                kind,
                valid_until=None if box.no_validity.isChecked() else box.valid_until.date().toPython(),
                issued_on=box.issued_on.date().toPython() if kind in ISSUE_DATE_KINDS else None,
                smartphone=box.shown_on_smartphone(),
            )
        except ValueError:  # the domain refuses the combination; nothing is added
            _log.info("visit panel: document not added")
            return
        item = QListWidgetItem(document_text(doc))
        item.setData(Qt.ItemDataRole.UserRole, doc)
        box.list.addItem(item)
        box.clear_smartphone()  # the next document is on paper unless staff say otherwise
        box.kind.setCurrentIndex(0)
        self._update()

    def _remove_document(self) -> None:
        for item in self.documents.list.selectedItems():
            self.documents.list.takeItem(self.documents.list.row(item))
        self._update()

    def _confirm_documents(self) -> None:
        visit, identity = self._visit, self._identity()
        box = self.documents
        reason = box.reason.reason()
        if visit is None or identity is None or reason is None or not self._may_act(override=True):
            return
        presented = box.presented()
        if visit.presentation.presenter is Presenter.PROXY:
            call: Callable[[], object] = functools.partial(
                identity.proxy,
                presented,
                letter_of_attorney=box.letter_of_attorney.isChecked(),
                inquiry_answer=box.inquiry_answer.isChecked(),
                pin_request_form=box.pin_form.currentData(),
                purpose=_proxy_purpose(visit),
                reason=reason,
                moving_notice=box.notice(),
            )
        else:
            call = functools.partial(
                identity.documents, presented, inquiry_answer=box.inquiry_answer.isChecked(), reason=reason
            )
        self._run(call, lambda d: self._decided(d, box.status), box.status)

    # -- (c) visual face comparison -------------------------------------------------------------

    def _confirm_visual(self) -> None:
        identity, record = self._identity(), self._face_check
        reason, same = self.visual.reason.reason(), self.visual.answer()
        if identity is None or record is None or reason is None or same is None:
            return
        if not self._may_act(override=True):
            return

        def done(result: object) -> None:
            if result:
                self._established()
                return
            self.visual.status.tell(
                State.ERROR,
                lambda: QCoreApplication.translate(
                    "VisitPanel",
                    "Recorded: not the same person. The face does not confirm identity; check documents "
                    "by hand, or the application cannot be accepted.",
                ),
            )
            self._update()

        self._run(
            functools.partial(identity.visual, record, same_person=same, reason=reason),
            done,
            self.visual.status,
        )

    # -- outcomes -------------------------------------------------------------------------------

    def _decided(self, decision: object, where: Told) -> None:
        assert isinstance(decision, IdentityDecision)
        identity = self._identity()
        if decision.accepted and identity is not None and identity.established is not None:
            self._established()
            return

        def words() -> str:
            texts = refusal_texts(decision) or [
                QCoreApplication.translate("VisitPanel", "The identity check was not accepted.")
            ]
            return "\n".join([QCoreApplication.translate("VisitPanel", "Not accepted (recorded):"), *texts])

        where.tell(State.ERROR, words)
        identity = self._identity()
        refused = where is self.code_b.status and identity is not None and identity.surface_refused
        if refused and self.refusal.reason.reason() is None:  # the likely reason, for staff to confirm
            self.refusal.reason.choose(NotAccepted.SURFACE_CHECK_FAILED)
        self._update()

    def _established(self) -> None:
        identity = self._identity()
        assert identity is not None and identity.established is not None
        self._why = None
        self._drop_keypad()
        method = identity.established.method
        self.status.tell(
            State.SUCCESS,
            lambda: arg(
                QCoreApplication.translate(
                    "VisitPanel", "Identity confirmed by %1. The resident's screen goes on."
                ),
                method_text(method),
            ),
        )
        self._update()
        self.counter.identity_established()  # the resident's next step (基本4情報, then the procedure)

    # -- running work ---------------------------------------------------------------------------

    def _run(
        self,
        call: Callable[[], object],
        then: Callable[[object], None],
        where: Told,
        *,
        dropped: Callable[[Any], None] | None = None,
        after: Callable[[], None] | None = None,
    ) -> bool:
        """`call` off the UI thread; `then` with its result, or the error shown at `where` — both
        only while the visit that started it is still the panel's. A result that comes too late
        goes to `dropped` (to wipe what it holds). `after` is called once the call is over, before
        either (it may end the visit: a cancel that waited for the call)."""
        visit = self._visit

        def finish() -> bool:
            self.runner.succeeded.disconnect(delivered)
            self.runner.failed.disconnect(failed)
            if after is not None:
                after()
            return self._visit is visit and visit is not None

        def delivered(result: object) -> None:
            if finish():
                then(result)
            elif dropped is not None:
                dropped(result)

        def failed(error: object) -> None:
            if finish():
                assert isinstance(error, BaseException)
                self._failed(error, where)

        self.runner.succeeded.connect(delivered)
        self.runner.failed.connect(failed)
        if not self.runner.run(call):
            self.runner.succeeded.disconnect(delivered)
            self.runner.failed.disconnect(failed)
            where.tell(
                State.WARNING,
                lambda: QCoreApplication.translate(
                    "VisitPanel", "Still working on the last step. Please wait."
                ),
            )
            return False
        return True

    def _failed(self, error: BaseException, where: Told) -> None:
        if where is self.code_b.status and self._code_b_failed(error):
            return
        code = type(error).__name__  # the code staff can quote; the message may name card details

        def words() -> str:
            if isinstance(error, CardRemoved):
                return QCoreApplication.translate("VisitPanel", "The card was taken out.")
            if isinstance(error, IdentityRefused):
                return QCoreApplication.translate("VisitPanel", "This check is not allowed at this point.")
            return arg(
                QCoreApplication.translate("VisitPanel", "Something went wrong (%1). Nothing was accepted."),
                code,
            )

        if isinstance(error, IdentityRefused):
            _log.warning("visit panel: identity step refused: %s", error)
        elif not isinstance(error, CardRemoved):
            _log.error("visit panel: step failed: %s", code)
        where.tell(State.ERROR, words)
        self._update()

    # -- state ----------------------------------------------------------------------------------

    def _identity(self) -> IdentityStep | None:
        return self._visit.identity if self._visit is not None else None

    def _expired(self) -> bool:
        visit = self._visit
        return visit is not None and visit.reading is not None and visit.reading.snapshot.card_expired

    def _surface_allowed(self) -> bool:
        """要領 B: the card-face path follows a failed PIN, or serves a face-auth card."""
        identity = self._identity()
        return identity is not None and (identity.face_auth_card or identity.pin is PinCheck.FAILED)

    def _override_blocked(self) -> Callable[[], str] | None:
        """Why an override cannot be made now (its words), None when it can."""
        if self._operator is None:
            return not_signed_in_text
        visit = self._visit
        if visit is not None and visit.operator != self._operator:
            return other_operator_text
        if not self._override_allowed():
            return reauthenticate_text
        return None

    def _override_block(self) -> str:
        blocked = self._override_blocked()
        return blocked() if blocked is not None else ""

    def _not_own_visit(self) -> Callable[[], str] | None:
        """Why a recorded staff action (no override) cannot be made now, None when it can: it is
        recorded in the visit's operator's name, so only they, signed in, make it."""
        if self._operator is None:
            return not_signed_in_text
        visit = self._visit
        if visit is not None and visit.operator != self._operator:
            return other_operator_text
        return None

    def _may_act(self, *, override: bool, own_visit: bool = False) -> bool:
        """Checked again at the click: the sign-in (a staff action is the operator's activity) and,
        for an override, its freshness and whose visit it is; `own_visit`: whose visit it is, for a
        recorded action that is no override (a fee, 受付不可)."""
        self._operator = self._operator_of()
        blocked = self._override_blocked() if override or self._operator is None else None
        if blocked is None and own_visit:
            blocked = self._not_own_visit()
        if blocked is not None:
            self.status.tell(State.WARNING, blocked)
            self._update()
            return False
        return True

    def _update(self) -> None:
        """Every text and button from the visit's state, the sign-in and the runner."""
        visit, identity = self._visit, self._identity()
        busy = self.runner.busy or self.counter.runner.busy
        block = self._override_block()
        established = identity is not None and identity.established is not None
        self._show_summary()
        self.access.set_message(State.WARNING, block if visit is not None else "")
        self.reauth.setVisible(visit is not None and self._operator is not None and bool(block))

        # who is applying: until the procedure's flow opens (it reads the presentation then)
        box = self.presentation
        open_ = visit is not None and visit.flow is None
        box.setEnabled(open_)
        presenter = box.presenter()
        box.both_intentions.setEnabled(presenter is Presenter.LEGAL_REPRESENTATIVE_WITH_APPLICANT)
        box.reason.setEnabled(presenter is not Presenter.APPLICANT)
        if visit is None:
            box.apply.set_open(False, State.INFO, QCoreApplication.translate("VisitPanel", "No visit."))
        elif not open_:
            box.apply.set_open(
                False,
                State.INFO,
                QCoreApplication.translate(
                    "VisitPanel", "The procedure has started: who is applying can no longer change."
                ),
            )
        elif presenter is Presenter.APPLICANT:
            operator_block = block if self._operator is None else ""
            box.apply.set_open(not busy and not operator_block, State.WARNING, operator_block)
        elif block:
            box.apply.set_open(False, State.WARNING, block)
        elif box.reason.reason() is None:
            box.apply.set_open(
                False,
                State.INFO,
                QCoreApplication.translate("VisitPanel", "Choose why you accept the papers."),
            )
        else:
            box.apply.set_open(not busy)

        # the identity check: once the resident's window asked for it, or a face check offered it
        asked = (
            identity is not None
            and not established
            and (self._why is not None or self._face_check is not None)
        )
        self.identity_title.setVisible(asked or bool(self.status.text()))
        self.code_b.setVisible(asked and self._why is not None)
        self.documents.setVisible(asked and self._why is not None)
        self.visual.setVisible(
            asked and self._face_check is not None and NextStep.STAFF_VISUAL_CHECK in self._face_check.options
        )
        if asked:
            self._update_code_b(busy, block)
            self._update_documents(busy, block)
            self._update_visual(busy, block)
        self._update_fees(busy)
        self._update_refusal(busy)

    def _update_fees(self, busy: bool) -> None:
        box, visit = self.fees, self._visit
        box.setVisible(visit is not None)
        if visit is None:
            return
        shown = requested_certificates(visit)
        open_ = visit.flow is None and not visit.ended
        for certificate, row in box.rows.items():
            row.setVisible(certificate in shown)
            row.setEnabled(open_)
            if not open_ and row.fee() != visit.fee_for(certificate):
                row.show_fee(visit.fee_for(certificate))  # what the request was made with
        box.none.setVisible(not shown)
        box.record.setVisible(bool(shown))
        if not shown:
            return
        not_own = self._not_own_visit()
        changes = self._fee_changes(visit)
        if not open_:
            box.record.set_open(
                False,
                State.INFO,
                QCoreApplication.translate(
                    "VisitPanel", "The procedure has started: its fees can no longer change."
                ),
            )
        elif not_own is not None:
            box.record.set_open(False, State.WARNING, not_own())
        elif changes is None:
            box.record.set_open(
                False,
                State.WARNING,
                arg(
                    QCoreApplication.translate(
                        "VisitPanel", "Enter the amount in yen: a whole number from 1 to %1."
                    ),
                    str(MAX_FEE_YEN),
                ),
            )
        elif not changes:
            box.record.set_open(
                False,
                State.INFO,
                QCoreApplication.translate("VisitPanel", "The fees shown are the ones recorded."),
            )
        else:
            box.record.set_open(not busy)

    def _update_refusal(self, busy: bool) -> None:
        box, visit = self.refusal, self._visit
        box.reason.setEnabled(visit is not None)
        not_own = self._not_own_visit()
        if visit is None:
            box.end.set_open(False, State.INFO, QCoreApplication.translate("VisitPanel", "No visit."))
        elif visit.flow is not None and visit.flow.closed:
            box.end.set_open(
                False,
                State.INFO,
                QCoreApplication.translate(
                    "VisitPanel", "The procedure has ended: the resident's screen shows its result."
                ),
            )
        elif not_own is not None:
            box.end.set_open(False, State.WARNING, not_own())
        elif box.reason.reason() is None:
            box.end.set_open(
                False,
                State.INFO,
                QCoreApplication.translate("VisitPanel", "Choose why the application cannot be accepted."),
            )
        else:
            box.end.set_open(not busy and not self.counter.staff_reading)

    def _update_code_b(self, busy: bool, block: str) -> None:
        box = self.code_b
        operator_block = block if self._operator is None else ""
        # A proxy: 照合番号B gives the application's 基本4情報 (the holder's PINs are not theirs to
        # enter), but the surface check, the declaration and the face checks are the holder's.
        proxy = self._visit is not None and self._visit.by_proxy
        box.explain.setVisible(not proxy)
        box.proxy_note.setVisible(proxy)
        if not self._surface_allowed() and not proxy:
            box.read.set_open(
                False,
                State.INFO,
                QCoreApplication.translate(
                    "VisitPanel",
                    "The card-face check follows a failed PIN, or serves a face-auth card "
                    "(要領 第2-1-(1)-ア-(イ)-B). The resident has not tried the PIN: let them try it, "
                    "or check documents by hand.",
                ),
            )
        elif operator_block:
            box.read.set_open(False, State.WARNING, operator_block)
        else:
            box.read.set_open(not busy and box.keypad is None and self._card_dates is None)
        if box.keypad is not None:
            box.keypad.setEnabled(not busy)
        read = self._card_dates is not None
        box.face.setVisible(read)
        box.dates.setVisible(read)
        shown = read and not proxy  # the holder's surface check
        for widget in (box.chip_matches, box.declared):
            widget.setVisible(shown)
        expired = self._expired()
        box.expired_caption.setVisible(shown and expired)
        box.expired_override.setVisible(shown and expired)
        box.confirm.setVisible(shown)
        box.face_check.setVisible(shown)
        if shown:
            box.face_check.set_open(
                self.counter.face_check_possible,
                State.INFO,
                QCoreApplication.translate("VisitPanel", "No camera is configured, or a check is running."),
            )
            self._update_surface_confirm(busy, block, expired=expired)

    def _update_surface_confirm(self, busy: bool, block: str, *, expired: bool) -> None:
        """The card face is shown: the ticks and "Record the check", closed for good once refused."""
        box = self.code_b
        operator_block = block if self._operator is None else ""
        identity = self._identity()
        refused = identity is not None and identity.surface_refused
        for widget in (box.chip_matches, box.declared, box.expired_override):
            widget.setEnabled(not refused)
        if refused:
            box.confirm.set_open(
                False,
                State.WARNING,
                QCoreApplication.translate(
                    "VisitPanel",
                    "The card-face check was refused (受付不可) and recorded; it is not made again in this "
                    "visit. End the visit below as not accepted, or check documents by hand.",
                ),
            )
        elif operator_block:
            box.confirm.set_open(False, State.WARNING, operator_block)
        elif expired and block:
            box.confirm.set_open(False, State.WARNING, block)
        elif expired and box.expired_override.reason() is None:
            box.confirm.set_open(
                False,
                State.INFO,
                QCoreApplication.translate(
                    "VisitPanel", "Choose the reason that lets the expired card serve."
                ),
            )
        else:
            box.confirm.set_open(not busy)

    def _update_documents(self, busy: bool, block: str) -> None:
        box = self.documents
        visit = self._visit
        proxy = visit is not None and visit.presentation.presenter is Presenter.PROXY
        box.proxy.setVisible(proxy)
        waiver = _waiver_text(visit, box.notice()) if proxy and visit is not None else ""
        box.waiver.setText(waiver)
        box.waiver.setVisible(bool(waiver))
        box.add.setEnabled(box.chosen_kind() is not None)
        box.remove.setEnabled(bool(box.list.selectedItems()))
        if block:
            box.confirm.set_open(False, State.WARNING, block)
        elif proxy and visit is not None and visit.applicant is None:
            # Accepted now, the resident's window would ask the proxy the holder's card information
            # PIN for the 基本4情報: they come from 照合番号B first.
            box.confirm.set_open(
                False,
                State.INFO,
                QCoreApplication.translate(
                    "VisitPanel",
                    "Read the card with 照合番号B first: the application's details come from it.",
                ),
            )
        elif box.list.count() == 0:
            box.confirm.set_open(
                False, State.INFO, QCoreApplication.translate("VisitPanel", "Add the documents presented.")
            )
        elif box.reason.reason() is None:
            box.confirm.set_open(
                False,
                State.INFO,
                QCoreApplication.translate("VisitPanel", "Choose the reason for the override."),
            )
        else:
            box.confirm.set_open(not busy)

    def _update_visual(self, busy: bool, block: str) -> None:
        box = self.visual
        if block:
            box.confirm.set_open(False, State.WARNING, block)
        elif box.answer() is None or box.reason.reason() is None:
            box.confirm.set_open(
                False,
                State.INFO,
                QCoreApplication.translate(
                    "VisitPanel", "Say whether it is the same person, and why you decide."
                ),
            )
        else:
            box.confirm.set_open(not busy)

    def _show_summary(self) -> None:
        s, visit = self.summary, self._visit
        none = QCoreApplication.translate("VisitPanel", "–")
        if visit is None or visit.reading is None:
            s.card.setText(QCoreApplication.translate("VisitPanel", "No card"))
            for label in (s.procedure, s.presenter, s.identity):
                label.setText(none)
            s.staff.set_message(State.INFO, "")
            return
        s.card.setText(arg(QCoreApplication.translate("VisitPanel", "%1…"), visit.reading.card_hex[:8]))
        s.procedure.setText(
            item_name(visit.item)
            if visit.item is not None
            else QCoreApplication.translate("VisitPanel", "Not chosen yet")
        )
        s.presenter.setText(presenter_text(visit.presentation.presenter))
        identity = visit.identity
        if identity is None:
            s.identity.setText(QCoreApplication.translate("VisitPanel", "Not checked yet"))
        elif identity.established is not None:
            s.identity.setText(
                arg(
                    QCoreApplication.translate("VisitPanel", "Confirmed by %1"),
                    method_text(identity.established.method),
                )
            )
        else:
            s.identity.setText(QCoreApplication.translate("VisitPanel", "Not confirmed yet"))
        if self._why is not None and (identity is None or identity.established is None):
            s.staff.set_message(
                State.WARNING,
                arg(QCoreApplication.translate("VisitPanel", "Staff needed: %1"), why_text(self._why)),
            )
        else:
            s.staff.set_message(State.INFO, "")

    def _show_dates(self) -> None:
        if self._card_dates is None:
            self.code_b.dates.setText("")
            return
        birth, expiry = self._card_dates
        self.code_b.dates.setText(
            arg(
                QCoreApplication.translate(
                    "VisitPanel", "Date of birth in the chip: %1. Card valid until: %2."
                ),
                birth.isoformat(),
                expiry.isoformat(),
            )
        )

    def _copy_photo_to_visual(self) -> None:
        """The visual comparison shows the chip's photo too, when it was read: its own copy."""
        photo = self.code_b.photo.image
        if self._face_check is not None and photo is not None:
            self.visual.photo.set_image(photo.copy())

    def _drop_keypad(self) -> None:
        keypad, self.code_b.keypad = self.code_b.keypad, None
        if keypad is not None:
            keypad.discard()  # wipes whatever was typed

    def _drop_card_face(self) -> None:
        self._card_dates = None  # the images are zero-filled by their views
        for view in (self.code_b.name_image, self.code_b.address_image, self.code_b.photo, self.visual.photo):
            view.clear()
        self._show_dates()

    # -- Qt events ------------------------------------------------------------------------------

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        for box in (
            self.summary,
            self.presentation,
            self.code_b,
            self.documents,
            self.visual,
            self.fees,
            self.refusal,
        ):
            box.retranslate()
        self.identity_title.setText(QCoreApplication.translate("VisitPanel", "Identity check by staff"))
        self.reauth.setText(QCoreApplication.translate("VisitPanel", "Re-authenticate with my staff card"))
        self._show_dates()
        self._update()
