"""Where the lower layers' codes become translated words: the one table per kind of code.

The domain and the face check speak in codes with an English text (`PinIssue`, `QualityIssue`,
`Guidance.code`, `TriesNotice`); the English there is the source string here, written out as a
literal so that `pyside6-lupdate` can extract it. tests/ui/test_texts.py checks that every code
has an entry and that each English source is still the lower layer's text, so a changed message
there cannot silently lose its translation here.

Sentences are translated whole, with `%1`-style place markers for the parts that vary (Qt
Linguist checks them), because word order differs between English and Japanese.
"""

from __future__ import annotations

import logging
import re

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

from kiosk.domain.pin_rules import PinIssue, PinKind, ResetPlace, TriesLevel, TriesNotice

_log = logging.getLogger(__name__)

_MARKER = re.compile(r"%([1-9])")


def arg(text: str, *values: str) -> str:
    """Fill `%1`…`%9` in one pass, so a value containing `%2` is never substituted again."""
    return _MARKER.sub(lambda m: values[int(m.group(1)) - 1], text)


# -- PINs -----------------------------------------------------------------------------------------

PIN_KIND_SOURCE = {
    #: Official name of the PIN on the My Number card; used inside sentences.
    PinKind.SIGN: QT_TRANSLATE_NOOP("PinKind", "signing PIN"),
    PinKind.AUTH: QT_TRANSLATE_NOOP("PinKind", "user authentication PIN"),
    PinKind.JUKI: QT_TRANSLATE_NOOP("PinKind", "resident registry PIN"),
    PinKind.KENHOJO: QT_TRANSLATE_NOOP("PinKind", "card information entry PIN"),
}

PIN_ISSUE_SOURCE = {
    PinIssue.CHARACTER_NOT_ALLOWED: QT_TRANSLATE_NOOP(
        "PinIssue", "Only the keys shown on the keypad can be used."
    ),
    PinIssue.TOO_LONG: QT_TRANSLATE_NOOP("PinIssue", "This is too long."),
    PinIssue.TOO_SHORT: QT_TRANSLATE_NOOP("PinIssue", "This is too short."),
    PinIssue.NEEDS_LETTER_AND_DIGIT: QT_TRANSLATE_NOOP(
        "PinIssue", "Use at least one letter and at least one digit."
    ),
    PinIssue.TRIVIAL_PATTERN: QT_TRANSLATE_NOOP(
        "PinIssue",
        "This is too easy to guess. Avoid repeated characters (1111, 1212) and runs (1234, ABC123).",
    ),
    PinIssue.TRIVIAL_BIRTH_DATE: QT_TRANSLATE_NOOP(
        "PinIssue", "This is too easy to guess. Do not use your date of birth."
    ),
    PinIssue.MISMATCH: QT_TRANSLATE_NOOP(
        "PinIssue", "The two entries are different. Please enter the new PIN again."
    ),
}


def pin_kind_name(kind: PinKind) -> str:
    return QCoreApplication.translate("PinKind", PIN_KIND_SOURCE[kind])


def pin_issue_text(issue: PinIssue) -> str:
    return QCoreApplication.translate("PinIssue", PIN_ISSUE_SOURCE[issue])


def tries_text(kind: PinKind, notice: TriesNotice) -> str | None:
    """The translated line for `pin_rules.tries_notice` (None when it has nothing to say).

    Built from the notice's fields, not its English message, which has the PIN names baked in."""
    if notice.message is None:
        return None
    name = pin_kind_name(kind)
    terminal = ResetPlace.UNATTENDED_TERMINAL in notice.reset_at
    other = pin_kind_name(PinKind.AUTH if kind is PinKind.SIGN else PinKind.SIGN) if terminal else ""
    if notice.level is TriesLevel.NORMAL:
        # Only 2 or more reach here (1 is the WARNING), so "tries" reads right for every count.
        text = QCoreApplication.translate("TriesNotice", "%2 tries left for the %1.")
        return arg(text, name, str(notice.tries_left))
    if notice.level is TriesLevel.WARNING:
        if terminal:
            text = QCoreApplication.translate(
                "TriesNotice",
                "One try left: a wrong %1 now locks it, and you will need to reset it at the municipal "
                "counter (bring your card and an identity document), or at a PIN-reset terminal with a "
                "face check and your %2. If you are not sure of it, stop here.",
            )
        else:
            text = QCoreApplication.translate(
                "TriesNotice",
                "One try left: a wrong %1 now locks it, and you will need to reset it at the municipal "
                "counter (bring your card and an identity document). If you are not sure of it, stop here.",
            )
        return arg(text, name, other)
    if terminal:
        text = QCoreApplication.translate(
            "TriesNotice",
            "The %1 is locked after too many wrong entries. You can set a new one at the municipal "
            "counter (bring your card and an identity document), or at a PIN-reset terminal with a "
            "face check and your %2.",
        )
    else:
        text = QCoreApplication.translate(
            "TriesNotice",
            "The %1 is locked after too many wrong entries. You can set a new one at the municipal "
            "counter (bring your card and an identity document).",
        )
    return arg(text, name, other)


# -- face check -----------------------------------------------------------------------------------

GUIDANCE_SOURCE = {
    # kiosk.facecheck.quality.QualityIssue
    "too_dark": QT_TRANSLATE_NOOP("Guidance", "The area is too dark. Please call staff."),
    "too_bright": QT_TRANSLATE_NOOP(
        "Guidance", "There is too much light behind or on you. Please call staff."
    ),
    "no_face": QT_TRANSLATE_NOOP("Guidance", "Please look at the camera."),
    "multiple_faces": QT_TRANSLATE_NOOP("Guidance", "Only one person in front of the camera, please."),
    "too_far": QT_TRANSLATE_NOOP("Guidance", "Please move closer."),
    "too_close": QT_TRANSLATE_NOOP("Guidance", "Please move back a little."),
    "off_centre": QT_TRANSLATE_NOOP("Guidance", "Please move to the centre of the frame."),
    "not_facing": QT_TRANSLATE_NOOP("Guidance", "Please face the camera straight on."),
    "low_contrast": QT_TRANSLATE_NOOP("Guidance", "Your face is not lit evenly. Please call staff."),
    "blurred": QT_TRANSLATE_NOOP("Guidance", "Please hold still."),
    "eyes_not_visible": QT_TRANSLATE_NOOP(
        "Guidance", "Please make sure your eyes are visible (no sunglasses or hands)."
    ),
    # kiosk.facecheck.check: matching and the head-turn challenge (TURN_INSTRUCTIONS)
    "hold_still": QT_TRANSLATE_NOOP("Guidance", "Please hold still."),
    "turn_right": QT_TRANSLATE_NOOP("Guidance", "Please turn your head slowly to your right."),
    "turn_left": QT_TRANSLATE_NOOP("Guidance", "Please turn your head slowly to your left."),
    "face_camera": QT_TRANSLATE_NOOP("Guidance", "Please face the camera again."),
}
# Issues the person cannot fix alone (QualityIssue.needs_staff): shown as a warning, not a hint.
STAFF_GUIDANCE = frozenset({"too_dark", "too_bright", "low_contrast"})


def guidance_text(code: str, english: str) -> str:
    """The translated instruction for a `Guidance.code`; an unknown code (a newer face check than
    this table) shows the check's own English rather than nothing."""
    source = GUIDANCE_SOURCE.get(code)
    if source is None:
        _log.warning("no translation for face check guidance %r", code)
        return english
    return QCoreApplication.translate("Guidance", source)


# The same sentence as kiosk.facecheck.camera.USER_MESSAGE.
CAMERA_UNAVAILABLE_SOURCE = QT_TRANSLATE_NOOP("Camera", "The camera is not available. Please call staff.")


def camera_unavailable_text() -> str:
    return QCoreApplication.translate("Camera", CAMERA_UNAVAILABLE_SOURCE)
