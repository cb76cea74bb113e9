"""The unattended PIN reset's codes in words: why a PIN is not offered, why the person is referred
to the municipal counter, and 機構's refusals (kiosk.domain.unattended, appdata.unattended).

One table per kind of code, as kiosk/ui/texts.py does for the counter: the codes are fixed
(the ledger of attempts records them), the sentences are whole and translated whole (context
"Unattended"); tests/ui/test_unattended_ui.py checks that every code has its sentence. Every
referral sentence says *why* only; the referral screen adds where to go and what to bring.
Nothing here names the person or the card.
"""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

from appdata.unattended import Reason, Refusal
from kiosk.domain.pin_rules import PinKind
from kiosk.domain.unattended import OTHER, Unavailable
from kiosk.ui.texts import arg, pin_kind_name

# Why a PIN cannot be reset at this terminal with this card (the choice screen's lines).
# %1 is the PIN that would have to prove who the person is (the other one).
UNAVAILABLE_SOURCE = {
    Unavailable.NOT_OFFERED_HERE: QT_TRANSLATE_NOOP("Unattended", "This terminal does not reset this PIN."),
    Unavailable.NOT_GENUINE: QT_TRANSLATE_NOOP(
        "Unattended", "The card's authenticity (真正性) could not be confirmed at this terminal."
    ),
    Unavailable.CENTRAL_UNREACHABLE: QT_TRANSLATE_NOOP(
        "Unattended", "The certification centre (機構) cannot be reached right now."
    ),
    Unavailable.CARD_NOT_OPERATING: QT_TRANSLATE_NOOP(
        "Unattended", "The card is not in operation (運用中ではありません): suspended, cancelled or expired."
    ),
    Unavailable.FACE_AUTH_CARD: QT_TRANSLATE_NOOP(
        "Unattended", "This is a face-auth card (顔認証カード): its PINs are reset at the municipal counter."
    ),
    Unavailable.NO_PROOF_CERTIFICATE: QT_TRANSLATE_NOOP(
        "Unattended",
        "The card has no valid certificate for the other PIN (%1), so that PIN cannot prove who you are.",
    ),
    Unavailable.OTHER_PIN_BLOCKED: QT_TRANSLATE_NOOP(
        "Unattended", "Your %1 is locked, so it cannot prove who you are."
    ),
    Unavailable.OTHER_PIN_LAST_TRY: QT_TRANSLATE_NOOP(
        "Unattended",
        "Your %1 has only one try left. This terminal never uses the last try, so that the PIN does "
        "not lock.",
    ),
}

# Why the attempt ended at the municipal counter (the referral screen and slip).
REASON_SOURCE = {
    Reason.BOTH_FORGOTTEN: QT_TRANSLATE_NOOP(
        "Unattended",
        "This terminal needs the PIN you still know to confirm who you are. With both PINs forgotten, "
        "new PINs can only be set at the municipal counter.",
    ),
    Reason.OTHER_PIN_WRONG: QT_TRANSLATE_NOOP(
        "Unattended",
        "The PIN you still know was not entered correctly. This terminal stops before the last try, "
        "so that this PIN does not lock too.",
    ),
    Reason.OTHER_PIN_BLOCKED: QT_TRANSLATE_NOOP(
        "Unattended", "The PIN you still know is locked, so it cannot confirm who you are here."
    ),
    Reason.FACE_MISMATCH: QT_TRANSLATE_NOOP(
        "Unattended", "The face check did not match the photo recorded in your card."
    ),
    Reason.PRESENTATION_ATTACK: QT_TRANSLATE_NOOP(
        "Unattended",
        "The face check could not confirm that a person was in front of the camera: a photo or a "
        "screen was shown, or the head turns did not follow the instructions.",
    ),
    Reason.FACE_NOT_CAPTURED: QT_TRANSLATE_NOOP(
        "Unattended", "The camera could not take a picture of your face that could be checked."
    ),
    Reason.CARD_CODE_WRONG: QT_TRANSLATE_NOOP(
        "Unattended", "The card did not accept verification number B (照合番号B)."
    ),
    Reason.CARD_NOT_GENUINE: QT_TRANSLATE_NOOP(
        "Unattended", "The card's authenticity (真正性) could not be confirmed."
    ),
    Reason.CENTRAL_REFUSED: QT_TRANSLATE_NOOP(
        "Unattended", "The certification centre (機構) did not allow this reset."
    ),
    Reason.CENTRAL_UNREACHABLE: QT_TRANSLATE_NOOP(
        "Unattended",
        "The certification centre (機構) cannot be reached right now. You may also try again here later.",
    ),
    Reason.CARD_REMOVED: QT_TRANSLATE_NOOP("Unattended", "The card was taken out before the end."),
    Reason.TIMED_OUT: QT_TRANSLATE_NOOP("Unattended", "The session ended because there was no input."),
    Reason.CANCELLED: QT_TRANSLATE_NOOP("Unattended", "The reset was cancelled."),
    Reason.RESET_FAILED: QT_TRANSLATE_NOOP("Unattended", "The card did not accept the new PIN."),
}

# 機構's refusal, shown under "The certification centre did not allow this reset."
REFUSAL_SOURCE = {
    Refusal.TERMINAL_NOT_UNATTENDED: QT_TRANSLATE_NOOP(
        "Unattended", "This terminal is not registered for PIN resets."
    ),
    Refusal.PIN_NOT_OFFERED: QT_TRANSLATE_NOOP(
        "Unattended", "This terminal is not registered to reset that PIN."
    ),
    Refusal.CARD_UNREGISTERED: QT_TRANSLATE_NOOP(
        "Unattended", "The certification centre has no record of this card."
    ),
    Refusal.CARD_NOT_OPERATING: QT_TRANSLATE_NOOP(
        "Unattended",
        "The card is not in operation (運用中ではありません): it is suspended (一時停止), "
        "cancelled or expired.",
    ),
    Refusal.FACE_AUTH_CARD: QT_TRANSLATE_NOOP(
        "Unattended", "This is a face-auth card (顔認証カード): its PINs are reset at the municipal counter."
    ),
    Refusal.NO_PROOF_CERTIFICATE: QT_TRANSLATE_NOOP(
        "Unattended",
        "The certificate of the PIN you still know is not valid, so it cannot prove who you are.",
    ),
    Refusal.RATE_LIMITED_CARD: QT_TRANSLATE_NOOP(
        "Unattended",
        "This card has had too many reset attempts recently. For your protection, further attempts "
        "are made at the municipal counter.",
    ),
    Refusal.RATE_LIMITED_TERMINAL: QT_TRANSLATE_NOOP(
        "Unattended", "This terminal has had too many reset attempts recently."
    ),
    Refusal.TICKET_UNKNOWN: QT_TRANSLATE_NOOP(
        "Unattended", "The authorisation for this reset was not found."
    ),
    Refusal.TICKET_EXPIRED: QT_TRANSLATE_NOOP("Unattended", "The time allowed for this reset ran out."),
    Refusal.TICKET_USED: QT_TRANSLATE_NOOP(
        "Unattended", "The authorisation for this reset had already been used."
    ),
    Refusal.TICKET_MISMATCH: QT_TRANSLATE_NOOP(
        "Unattended", "The authorisation was for another card, PIN or terminal."
    ),
    Refusal.PROOF_INVALID: QT_TRANSLATE_NOOP(
        "Unattended", "The card's proof of the PIN you still know was not accepted."
    ),
    Refusal.FACE_NOT_MATCHED: QT_TRANSLATE_NOOP(
        "Unattended", "The certification centre did not accept the face check."
    ),
}

# A failure no code names (a bug, an unexpected answer): still a fixed sentence, never an error text.
UNEXPECTED_SOURCE = QT_TRANSLATE_NOOP(
    "Unattended", "This terminal could not finish the reset because of a technical problem."
)


def unavailable_text(reason: Unavailable, target: PinKind) -> str:
    """Why `target` cannot be reset here; the sentences about the proving PIN name it."""
    return arg(
        QCoreApplication.translate("Unattended", UNAVAILABLE_SOURCE[reason]), pin_kind_name(OTHER[target])
    )


def reason_text(reason: Reason | None) -> str:
    source = REASON_SOURCE[reason] if reason is not None else UNEXPECTED_SOURCE
    return QCoreApplication.translate("Unattended", source)


def refusal_text(refusal: Refusal) -> str:
    return QCoreApplication.translate("Unattended", REFUSAL_SOURCE[refusal])


def referral_lines(reason: Reason | None, refusal: Refusal | None) -> list[str]:
    """Why, in one or two sentences: the reason, then 機構's refusal when it gave one."""
    lines = [reason_text(reason)]
    if refusal is not None:
        lines.append(refusal_text(refusal))
    return lines
