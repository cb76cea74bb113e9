"""Where the lower layers' codes become translated words: the one table per kind of code.

The domain and the face check speak in codes with an English text (`PinIssue`, `QualityIssue`,
`Guidance.code`, `TriesNotice`, the pre-flight's and the intake's reasons, the identity check's
refusals); the English there is the source string here, written out as a literal so that
`pyside6-lupdate` can extract it. tests/ui/test_ui_texts.py checks that every code
has an entry and that each English source is still the lower layer's text, so a changed message
there cannot silently lose its translation here.

Sentences are translated whole, with `%1`-style place markers for the parts that vary (Qt
Linguist checks them), because word order differs between English and Japanese.
"""

from __future__ import annotations

import logging
import re

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

from kiosk.domain.eligibility import Check
from kiosk.domain.eligibility import Reason as EligibilityReason
from kiosk.domain.identity import Refusal
from kiosk.domain.pin_rules import PinIssue, PinKind, ResetPlace, TriesLevel, TriesNotice
from kiosk.domain.procedures import Reason as PreflightReason

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
    PinKind.CODE_B: QT_TRANSLATE_NOOP("PinKind", "verification number B"),
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


# -- reasons: what the card allows, who may apply, the identity check ----------------------------
# The domain's English names the official Japanese term in brackets; a translation keeps it.

# kiosk.domain.procedures.Reason: why a procedure is or is not on the pre-flight menu.
PREFLIGHT_REASON_SOURCE = {
    PreflightReason.AVAILABLE: QT_TRANSLATE_NOOP("Reason", "Available (受付可)."),
    PreflightReason.NOT_GENUINE: QT_TRANSLATE_NOOP(
        "Reason", "The card failed the authenticity check (真正性の確認): please ask a member of staff."
    ),
    PreflightReason.AUTHENTICITY_NOT_CHECKED: QT_TRANSLATE_NOOP(
        "Reason", "The card's authenticity (真正性) could not be checked: please ask a member of staff."
    ),
    PreflightReason.CARD_ABOLISHED: QT_TRANSLATE_NOOP(
        "Reason",
        "The card has been cancelled (廃止) and its certificates no longer count: a new card is needed.",
    ),
    PreflightReason.CARD_EXPIRED: QT_TRANSLATE_NOOP(
        "Reason",
        "The card is past its expiry date (有効期限切れ) and its certificates count as revoked: a new card "
        "is needed first.",
    ),
    PreflightReason.CARD_SUSPENDED: QT_TRANSLATE_NOOP(
        "Reason",
        "The card is suspended (一時停止) after a loss report: if it has been found, lift the suspension "
        "first; other procedures can be chosen afterwards.",
    ),
    PreflightReason.CARD_NOT_SUSPENDED: QT_TRANSLATE_NOOP(
        "Reason", "The card is in operation (運用中): there is no suspension to lift."
    ),
    PreflightReason.CARD_STATUS_UNKNOWN: QT_TRANSLATE_NOOP(
        "Reason", "The card's status (運用状況) cannot be checked while 機構 is not reachable."
    ),
    PreflightReason.RELEASE_FOUND_CARD: QT_TRANSLATE_NOOP(
        "Reason",
        "If the card has been found: its held certificates (一時保留) are revoked and the card goes back "
        "into operation (運用中); new certificates can then be issued.",
    ),
    PreflightReason.NEW_AFTER_RELEASE: QT_TRANSLATE_NOOP(
        "Reason",
        "After the suspension is lifted, new certificates (新規発行) can be issued in the same visit.",
    ),
    PreflightReason.QUEUED_UNTIL_ONLINE: QT_TRANSLATE_NOOP(
        "Reason",
        "機構 cannot be reached now: the request is taken and sent as soon as the link is back (送信待ち).",
    ),
    PreflightReason.CENTRAL_UNREACHABLE: QT_TRANSLATE_NOOP(
        "Reason", "機構 cannot be reached now, and this needs it online: please try again later."
    ),
    PreflightReason.NO_CERTIFICATE: QT_TRANSLATE_NOOP(
        "Reason", "The card holds no such certificate (電子証明書なし)."
    ),
    PreflightReason.CERTIFICATE_REVOKED: QT_TRANSLATE_NOOP(
        "Reason", "The certificate has been revoked (失効済み)."
    ),
    PreflightReason.CERTIFICATE_EXPIRED: QT_TRANSLATE_NOOP(
        "Reason", "The certificate is past its validity (有効期間満了) and has lost effect."
    ),
    PreflightReason.USE_RENEWAL: QT_TRANSLATE_NOOP(
        "Reason",
        "The certificate is valid and in its renewal window: renew it (更新) instead; that keeps the PIN.",
    ),
    PreflightReason.REVOKE_FIRST: QT_TRANSLATE_NOOP(
        "Reason",
        "The card holds a valid certificate (有効な電子証明書): it is revoked (失効) first, then a new one "
        "is issued in the same visit.",
    ),
    PreflightReason.IN_RENEWAL_WINDOW: QT_TRANSLATE_NOOP(
        "Reason",
        "The certificate ends within three months: it can be renewed (更新), keeping the current PIN "
        "(従来の暗証番号).",
    ),
    PreflightReason.RENEWAL_NOT_YET: QT_TRANSLATE_NOOP(
        "Reason", "Renewal (更新) opens three months before the certificate ends, on the date shown."
    ),
    PreflightReason.RENEWAL_ENDS_WITH_CARD: QT_TRANSLATE_NOOP(
        "Reason",
        "The certificate already runs to the card's expiry date (カードの有効期間満了日): a renewed one "
        "could not last longer. The card itself must be renewed first.",
    ),
    PreflightReason.RENEWAL_NEEDS_PIN: QT_TRANSLATE_NOOP(
        "Reason",
        "Renewal keeps the current PIN (従来の暗証番号), which is locked or forgotten: it is reset "
        "(再設定) first, then the certificate renewed.",
    ),
    PreflightReason.RENEWAL_DATES_AFTER_PIN: QT_TRANSLATE_NOOP(
        "Reason",
        "The signing certificate can be read only after its PIN (署名用パスワード): its dates are checked "
        "then, at the start of the renewal.",
    ),
    PreflightReason.FACE_AUTH_RANDOM_PIN: QT_TRANSLATE_NOOP(
        "Reason", "To stay a face-auth card (顔認証カード), staff set a random PIN and lock it again."
    ),
    PreflightReason.NO_SIGNING_ON_FACE_AUTH_CARD: QT_TRANSLATE_NOOP(
        "Reason",
        "A face-auth card (顔認証カード) carries no signing certificate (署名用電子証明書): resetting the "
        "user-authentication PIN first makes it a normal card.",
    ),
    PreflightReason.SERIAL_AFTER_PIN: QT_TRANSLATE_NOOP(
        "Reason",
        "The certificate's serial number (シリアル番号) is read from the card after its PIN is entered.",
    ),
    PreflightReason.SERIAL_UNKNOWN: QT_TRANSLATE_NOOP(
        "Reason",
        "The certificate's serial number (シリアル番号) is needed to revoke it: without its PIN only 機構 "
        "can supply it.",
    ),
    PreflightReason.PIN_BLOCKED: QT_TRANSLATE_NOOP(
        "Reason",
        "The PIN is locked (ロック) after too many wrong entries: a change needs the current PIN, so reset "
        "it (再設定) instead.",
    ),
    PreflightReason.PIN_FORGOTTEN: QT_TRANSLATE_NOOP(
        "Reason",
        "A change needs the current PIN (従来の暗証番号), which you said you have forgotten: reset it "
        "(再設定) instead.",
    ),
    PreflightReason.LAST_TRY: QT_TRANSLATE_NOOP(
        "Reason",
        "One try left: a wrong current PIN now locks it (ロック). If you are not sure of it, reset it "
        "instead.",
    ),
    PreflightReason.FACE_AUTH_PIN_LOCKED: QT_TRANSLATE_NOOP(
        "Reason",
        "On a face-auth card (顔認証カード) the user-authentication PIN is random and locked: it cannot be "
        "changed, only reset, which makes the card a normal card.",
    ),
    PreflightReason.PIN_WITHOUT_CERTIFICATE: QT_TRANSLATE_NOOP(
        "Reason",
        "The certificate this PIN protects is missing, revoked or expired: a new certificate (新規発行) "
        "comes with a new PIN.",
    ),
    PreflightReason.RESET_LOCKED_PIN: QT_TRANSLATE_NOOP(
        "Reason", "The PIN is locked (ロック): it can be reset (初期化・再設定) after the identity check."
    ),
    PreflightReason.RESET_DECLARED_FORGOTTEN: QT_TRANSLATE_NOOP(
        "Reason", "You said you have forgotten this PIN: it can be reset (再設定) after the identity check."
    ),
    PreflightReason.RESET_IF_FORGOTTEN: QT_TRANSLATE_NOOP(
        "Reason",
        "If you have forgotten this PIN, it can be reset (再設定) after the identity check; there is no "
        "need to lock it first.",
    ),
    PreflightReason.RESET_MAKES_NORMAL_CARD: QT_TRANSLATE_NOOP(
        "Reason",
        "Resetting the user-authentication PIN of a face-auth card (顔認証カード) makes it a normal card "
        "again, usable with a PIN.",
    ),
    PreflightReason.ALREADY_FACE_AUTH: QT_TRANSLATE_NOOP(
        "Reason", "The card already is a face-auth card (顔認証カード)."
    ),
    PreflightReason.SWITCH_REVOKES_SIGNING: QT_TRANSLATE_NOOP(
        "Reason",
        "Switching revokes the valid signing certificate (署名用電子証明書の失効) and locks the "
        "user-authentication PIN.",
    ),
    PreflightReason.SWITCH_NEEDS_USER_AUTH: QT_TRANSLATE_NOOP(
        "Reason",
        "A face-auth card needs a valid user-authentication certificate (利用者証明用電子証明書): it is "
        "issued first, with the face-auth wish ticked on the form.",
    ),
    PreflightReason.CARD_NOT_ID: QT_TRANSLATE_NOOP(
        "Reason", "This card cannot serve as your identity document (本人確認書類): please show another one."
    ),
    PreflightReason.EXPIRED_CARD_ID_WITH_PHOTO: QT_TRANSLATE_NOOP(
        "Reason",
        "The card expired less than 6 months ago: it serves as your identity document (本人確認書類) only "
        "if staff confirm that its photo shows you.",
    ),
}


def preflight_reason_text(reason: PreflightReason) -> str:
    return QCoreApplication.translate("Reason", PREFLIGHT_REASON_SOURCE[reason])


# kiosk.domain.eligibility: who may apply for which certificate, and what staff must check.
ELIGIBILITY_REASON_SOURCE = {
    EligibilityReason.ALLOWED: QT_TRANSLATE_NOOP("Eligibility", "Allowed (受付可)."),
    EligibilityReason.ALLOWED_BY_SIGNING_EXCEPTION: QT_TRANSLATE_NOOP(
        "Eligibility",
        "Allowed: the legal representative (法定代理人) came with the applicant and both confirmed the "
        "wish to apply (申請の意思).",
    ),
    EligibilityReason.LEGAL_REPRESENTATIVE_MUST_APPLY: QT_TRANSLATE_NOOP(
        "Eligibility",
        "An applicant under 15 or an adult ward (成年被後見人) cannot apply alone: the legal "
        "representative (法定代理人) must apply.",
    ),
    EligibilityReason.PROXY_NOT_FOR_MINOR_OR_WARD: QT_TRANSLATE_NOOP(
        "Eligibility",
        "A proxy (任意代理人) cannot apply for an applicant under 15 or an adult ward (成年被後見人): the "
        "legal representative (法定代理人) must apply.",
    ),
    EligibilityReason.NO_LEGAL_REPRESENTATION: QT_TRANSLATE_NOOP(
        "Eligibility",
        "An applicant aged 15 or over who is not an adult ward applies in person or through a proxy with a "
        "letter of attorney (委任状), not through a legal representative (法定代理人).",
    ),
    EligibilityReason.FACE_AUTH_CARD_NOT_UNDER_ONE: QT_TRANSLATE_NOOP(
        "Eligibility",
        "A child under 1 year (特定年齢未満) cannot have a face-auth card (顔認証カード): apply for a "
        "normal card.",
    ),
    EligibilityReason.NO_SIGNING_ON_FACE_AUTH_CARD: QT_TRANSLATE_NOOP(
        "Eligibility", "A face-auth card (顔認証カード) carries no signing certificate (署名用電子証明書)."
    ),
    EligibilityReason.NO_SIGNING_UNDER_ONE: QT_TRANSLATE_NOOP(
        "Eligibility",
        "A child under 1 year (特定年齢未満) gets the user-authentication certificate "
        "(利用者証明用電子証明書) only.",
    ),
    EligibilityReason.NO_SIGNING_WITHOUT_APPLICANT: QT_TRANSLATE_NOOP(
        "Eligibility",
        "The signing certificate (署名用電子証明書) for an applicant under 15 or an adult ward is issued "
        "only when the applicant comes with the legal representative (法定代理人).",
    ),
    EligibilityReason.NO_SIGNING_WITHOUT_BOTH_INTENTIONS: QT_TRANSLATE_NOOP(
        "Eligibility",
        "The signing certificate (署名用電子証明書) for an applicant under 15 or an adult ward needs both "
        "the applicant's and the legal representative's wish to apply (申請の意思) confirmed.",
    ),
}

CHECK_SOURCE = {
    Check.APPLICANT_IDENTITY: QT_TRANSLATE_NOOP(
        "Eligibility",
        "Applicant's identity (本人確認): one photo ID, or two other documents and the inquiry answer "
        "(照会回答書).",
    ),
    Check.LEGAL_REPRESENTATIVE_IDENTITY: QT_TRANSLATE_NOOP(
        "Eligibility",
        "Legal representative's (法定代理人) identity: one photo ID, or two other documents and the "
        "inquiry answer (照会回答書).",
    ),
    Check.PARENTAL_AUTHORITY: QT_TRANSLATE_NOOP(
        "Eligibility",
        "Parental authority (親権者): a family register copy (戸籍謄本), unless the city's records "
        "(市の公簿) show it.",
    ),
    Check.GUARDIANSHIP: QT_TRANSLATE_NOOP(
        "Eligibility",
        "The guardian's power of representation (代理権): a certificate of registered matters "
        "(登記事項証明書) or the like.",
    ),
    Check.BOTH_INTENTIONS: QT_TRANSLATE_NOOP(
        "Eligibility",
        "The applicant's and the legal representative's wish to apply for the signing certificate "
        "(申請の意思), confirmed in person.",
    ),
    Check.PROXY_PHOTO_ID: QT_TRANSLATE_NOOP(
        "Eligibility", "The proxy's (任意代理人) own photo ID (顔写真付き本人確認書類)."
    ),
    Check.LETTER_OF_ATTORNEY: QT_TRANSLATE_NOOP(
        "Eligibility", "Letter of attorney (委任状) signed, or name written and sealed, by the applicant."
    ),
    Check.INQUIRY_ANSWER: QT_TRANSLATE_NOOP(
        "Eligibility", "Inquiry answer (照会回答書) the city or J-LIS sent to the applicant."
    ),
    Check.SEALED_PIN_FORM: QT_TRANSLATE_NOOP(
        "Eligibility",
        "PIN request form (暗証番号設定依頼書) still sealed in its envelope or under the concealment "
        "sticker (隠ぺいシール): staff open it and enter the PIN.",
    ),
}


def eligibility_reason_text(reason: EligibilityReason) -> str:
    return QCoreApplication.translate("Eligibility", ELIGIBILITY_REASON_SOURCE[reason])


def check_text(check: Check) -> str:
    return QCoreApplication.translate("Eligibility", CHECK_SOURCE[check])


# kiosk.domain.identity.Refusal: why a document or the whole identity check is refused. The
# domain's `japanese` is the legal term; the Japanese translation is a sentence that keeps it.
IDENTITY_REFUSAL_SOURCE = {
    Refusal.EXPIRED: QT_TRANSLATE_NOOP("Identity", "The document is past its validity period."),
    Refusal.EXPIRED_CARD_PHOTO_NOT_CONFIRMED: QT_TRANSLATE_NOOP(
        "Identity",
        "The My Number card has expired; within 6 months of expiry it is accepted only after staff confirm "
        "that its photo shows the person present.",
    ),
    Refusal.ISSUE_DATE_NOT_ELIGIBLE: QT_TRANSLATE_NOOP(
        "Identity",
        "The driving history certificate's issue date does not fit this list (photo ID if issued on or "
        "after 1 April 2012, other document if issued earlier), or it was not entered.",
    ),
    Refusal.SMARTPHONE_NOT_ACCEPTED_FOR_KIND: QT_TRANSLATE_NOOP(
        "Identity",
        "This document cannot be shown on a smartphone; only a student ID, a company ID or a bankbook app "
        "may be.",
    ),
    Refusal.SMARTPHONE_ONLY_IF_DOCUMENT_IMPRACTICAL: QT_TRANSLATE_NOOP(
        "Identity",
        "A smartphone screen is accepted only when the physical document cannot reasonably be shown.",
    ),
    Refusal.SMARTPHONE_OPERATION_NOT_CHECKED: QT_TRANSLATE_NOOP(
        "Identity", "Staff must have the person operate the app before its screen is accepted."
    ),
    Refusal.PIN_CHECK_NOT_DONE: QT_TRANSLATE_NOOP(
        "Identity", "The card's resident-register (住基) PIN has not been checked on the terminal yet."
    ),
    Refusal.OPERATOR_NOT_AUTHENTICATED: QT_TRANSLATE_NOOP(
        "Identity", "The PIN check counts only after the staff member has signed in on the terminal."
    ),
    Refusal.NOT_ON_RESIDENT_REGISTER: QT_TRANSLATE_NOOP(
        "Identity", "The details on the application do not match a person on the resident register."
    ),
    Refusal.CARD_NOT_IN_OPERATION: QT_TRANSLATE_NOOP(
        "Identity", "The card is not in operation (for example suspended or cancelled)."
    ),
    Refusal.CHIP_SURFACE_MISMATCH: QT_TRANSLATE_NOOP(
        "Identity",
        "Without a PIN check, the surface data in the card's chip must match the printed card; it does not "
        "(cannot accept).",
    ),
    Refusal.RESIDENT_RECORD_NOT_DECLARED: QT_TRANSLATE_NOOP(
        "Identity",
        "Without a PIN check, the person must also correctly state details of their resident record; they "
        "did not (cannot accept).",
    ),
    Refusal.JUKI_CARD_TOO_OLD_FOR_SURFACE_CHECK: QT_TRANSLATE_NOOP(
        "Identity",
        "This Basic Resident Register card was issued before 20 April 2009 (or its issue date was not "
        "entered), so it has no surface data to compare without the PIN (cannot accept).",
    ),
    Refusal.JUKI_CARD_PIN_NOT_VERIFIED: QT_TRANSLATE_NOOP(
        "Identity",
        "A Basic Resident Register card without photo counts only when its PIN is checked successfully.",
    ),
    Refusal.PROXY_NEEDS_PHOTO_ID: QT_TRANSLATE_NOOP(
        "Identity", "A proxy must identify themself with a document from the photo-ID list (要綱2-5)."
    ),
    Refusal.TOO_FEW_DOCUMENTS: QT_TRANSLATE_NOOP(
        "Identity",
        "Show one valid document from the photo-ID list, or two different documents from the other list "
        "together with the mailed inquiry answer.",
    ),
    Refusal.INQUIRY_ANSWER_MISSING: QT_TRANSLATE_NOOP(
        "Identity", "The inquiry answer (照会回答書) mailed to the resident's address is required."
    ),
    Refusal.PROXY_PHOTO_ID_MISSING: QT_TRANSLATE_NOOP(
        "Identity", "The proxy has not shown a valid photo ID of their own."
    ),
    Refusal.LETTER_OF_ATTORNEY_MISSING: QT_TRANSLATE_NOOP(
        "Identity", "A letter of attorney signed (or named and sealed) by the applicant is required."
    ),
    Refusal.PIN_REQUEST_FORM_MISSING: QT_TRANSLATE_NOOP(
        "Identity", "The applicant's PIN setting request form is required."
    ),
    Refusal.PIN_REQUEST_FORM_NOT_SEALED: QT_TRANSLATE_NOOP(
        "Identity",
        "The PIN setting request form must be sealed in an envelope or covered with a concealment sticker, "
        "so the proxy cannot read the PIN.",
    ),
}


def identity_refusal_text(refusal: Refusal) -> str:
    return QCoreApplication.translate("Identity", IDENTITY_REFUSAL_SOURCE[refusal])
