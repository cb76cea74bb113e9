"""The identity check at the counter (RULES.md "Identity check at the counter"; 要綱 2-4–2-8,
要領 第2-1-(1), 規則 64条の5) as one step of a visit, ahead of any procedure.

Paths, as the domain rules (`kiosk.domain.identity`) judge them:
- the My Number card with its 住基AP PIN entered on the terminal (operator authenticated first,
  the card in operation, the person found in the register — here: 機構's registry of the card);
- a face-auth card or a failed PIN: chip surface data against the printed card, shown to staff,
  and the resident's declaration of their resident-record details, else 受付不可 (made once: a
  refusal is not tried again in the visit);
- other documents (one photo ID, or two of the second list with the inquiry answer): kinds only;
- a proxy (任意代理人): no 住基 PIN (it is the holder's), the proxy's own documents (要綱 2-12);
- the face match against the card photo (規則 64条の5 第2号) and, where the machine could not
  decide, the staff's visual comparison (第1号) as an override.

Every attempt goes to the audit chain with the operator as actor and the application's local id
as subject; PINs are wiped here after the one VERIFY.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import TypeVar

from appdata.model import IdentityCheck, IdentityMethod
from kiosk.domain.identity import (
    CardCheck,
    IdentityDecision,
    IdentityPath,
    MovingNotice,
    PhotoIdKind,
    PinCheck,
    PinRequestForm,
    PresentedDocument,
    Purpose,
    check_applicant,
    check_proxy,
)
from kiosk.domain.overrides import Override, OverrideReason, valid_reason
from kiosk.domain.procedures import CardStatus
from kiosk.domain.secret import Secret
from kiosk.facecheck.fallback import NextStep
from kiosk.flows.counter.card import CardAtCounter, CardReading
from kiosk.flows.counter.machine import Recorder
from kiosk.flows.face import FaceCheckRecord
from kiosk.reader.errors import InvalidPin, PinBlocked
from kiosk.reader.juki import JukiPin, JukiSession
from kiosk.reader.session import ApplicationSession

log = logging.getLogger(__name__)
P = TypeVar("P", bound=Enum)


class IdentityRefused(ValueError):
    """A step the rules do not allow here (message for staff and the log, no personal data)."""


@dataclass(frozen=True)
class PinAttempt:
    verified: bool
    tries_left: int | None  # after this attempt; None if the card did not say
    blocked: bool = False


VERIFIED = PinAttempt(True, None)


def try_pin(session: ApplicationSession[P], pin_ref: P, pin: Secret) -> PinAttempt:
    """One VERIFY, the card's answer as an attempt: a wrong or blocked PIN is an answer, not an
    error (anything else — a pulled card — raises). The PIN is not wiped here: the caller owns it."""
    try:
        session.verify(pin_ref, pin)
    except InvalidPin as exc:
        return PinAttempt(False, exc.tries_left, blocked=exc.tries_left == 0)
    except PinBlocked:
        return PinAttempt(False, 0, blocked=True)
    return VERIFIED


@dataclass(frozen=True)
class Established:
    """The identity check's result as the application carries it (kinds only, 要綱 2-7)."""

    method: IdentityMethod
    documents: tuple[str, ...]
    overrides: tuple[Override, ...] = ()

    def for_application(self) -> IdentityCheck:
        return IdentityCheck(self.method, self.documents)


class IdentityStep:
    """One resident's identity check. `established` is set once a path succeeded."""

    def __init__(
        self, card: CardAtCounter, reading: CardReading, *, operator: str, record: Recorder, today: date
    ) -> None:
        if not operator:
            raise IdentityRefused(
                "the operator authenticates before any identity check (要領 第2-1-(1)-ア-(イ)-B)"
            )
        self.card, self.reading, self.operator = card, reading, operator
        self._record, self._today = record, today
        self.pin = PinCheck.NOT_DONE
        self.established: Established | None = None
        self.last_decision: IdentityDecision | None = None
        # 要領 B: a refused surface check is 受付不可, not a first try. Once refused it is not made
        # again in this visit (ticking the boxes again until it passes would defeat the check).
        self.surface_refused = False

    @property
    def face_auth_card(self) -> bool:
        return self.reading.snapshot.face_auth

    def _card_check(self, **established: bool) -> CardCheck:
        in_operation = self.reading.snapshot.card_status is CardStatus.IN_OPERATION
        return CardCheck(
            face_auth_card=self.face_auth_card,
            pin=self.pin,
            operator_authenticated=True,
            on_resident_register=in_operation,  # 機構's registry stands in for the 住基 look-up
            card_in_operation=in_operation,
            **established,
        )

    def _card_document(self, card_check: CardCheck, *, photo_confirmed: bool = False) -> PresentedDocument:
        return PresentedDocument(
            PhotoIdKind.MY_NUMBER_CARD_WITH_PHOTO,
            valid_until=self.reading.snapshot.card_expiry,
            photo_confirmed=photo_confirmed,
            card=card_check,
        )

    def _judge(
        self, documents: Sequence[PresentedDocument], *, inquiry_answer: bool = False
    ) -> IdentityDecision:
        decision = check_applicant(documents, inquiry_answer=inquiry_answer, today=self._today)
        self.last_decision = decision
        return decision

    def verify_juki_pin(
        self, pin: Secret, *, expired_card_override: OverrideReason | None = None
    ) -> PinAttempt:
        """The resident enters the 住基AP PIN on the terminal; the PIN is wiped here."""
        if self.face_auth_card:
            pin.wipe()
            raise IdentityRefused("a face-auth card has no usable PIN: use the surface check")
        try:
            attempt = try_pin(JukiSession(self.card.transport), JukiPin.PIN, pin)
        finally:
            pin.wipe()
        self.pin = PinCheck.VERIFIED if attempt.verified else PinCheck.FAILED
        self._record("identity.juki_pin", {"verified": attempt.verified, "tries_left": attempt.tries_left})
        if attempt.verified:
            decision = self._judge_card(photo_confirmed=expired_card_override is not None)
            self._accept_card(IdentityMethod.CARD_AND_JUKI_PIN, decision, expired_card_override)
        return attempt

    @property
    def pin_path_open(self) -> bool:
        """要綱 2-8: the 住基 PIN confirms identity only with the card in operation at 機構 (not
        suspended, and its status known)."""
        return self.reading.snapshot.card_status is CardStatus.IN_OPERATION

    def pin_path_closed(self) -> None:
        """The card is not in operation (`pin_path_open`): the PIN check cannot succeed, as after a
        wrong PIN, and no try is spent finding that out; staff take the surface check or documents
        (要領 B). The found-card release is made this way."""
        self._pin_cannot_succeed("card_not_in_operation")

    def pin_unknown(self) -> None:
        """The resident says they do not know the 住基 PIN: the PIN check cannot succeed, exactly
        as after a wrong one, and no try is spent finding that out (要領 B: the surface data and a
        declaration, or other documents)."""
        self._pin_cannot_succeed("unknown")

    def by_proxy(self) -> None:
        """要綱 2-12: a proxy (任意代理人) stands at the counter. The 住基 PIN is the holder's and not
        the proxy's to know, so it is not asked and no try is spent; staff check the proxy's own
        documents (`proxy`). Recorded as the path taken."""
        self._record("identity.path", {"path": "proxy_documents", "rule": "要綱 2-12"})

    def _pin_cannot_succeed(self, why: str) -> None:
        if self.pin is PinCheck.NOT_DONE:
            self.pin = PinCheck.FAILED
            self._record("identity.juki_pin", {"verified": False, why: True})

    def surface_and_declaration(
        self,
        *,
        chip_matches_surface: bool,
        declared: bool,
        expired_card_override: OverrideReason | None = None,
    ) -> IdentityDecision:
        """要領 B (2024): after a failed PIN, or on a face-auth card. Made once: a refusal stands for
        the visit (`surface_refused`)."""
        if not self.face_auth_card and self.pin is not PinCheck.FAILED:
            raise IdentityRefused("the surface check follows a failed PIN, or serves a face-auth card")
        if self.surface_refused:
            raise IdentityRefused("the surface check was refused in this visit (受付不可): not made again")
        decision = self._judge_card(
            photo_confirmed=expired_card_override is not None,
            chip_matches_surface=chip_matches_surface,
            resident_record_declared=declared,
        )
        self._record(
            "identity.surface",
            {
                "chip_matches_surface": chip_matches_surface,
                "declared": declared,
                "accepted": decision.accepted,
            },
        )
        if decision.accepted:
            self._accept_card(IdentityMethod.SURFACE_AND_DECLARATION, decision, expired_card_override)
        else:
            self.surface_refused = True
        return decision

    def _judge_card(self, *, photo_confirmed: bool, **established: bool) -> IdentityDecision:
        """The card as the one document, with what this path established about it."""
        return self._judge(
            [self._card_document(self._card_check(**established), photo_confirmed=photo_confirmed)]
        )

    def _accept_card(
        self, method: IdentityMethod, decision: IdentityDecision, expired_override: OverrideReason | None
    ) -> None:
        if not decision.accepted:
            log.info("identity: card path refused: %s", ", ".join(r.name for r in decision.reasons))
            return
        overrides: tuple[Override, ...] = ()
        if decision.documents[0].expiry_grace_used:
            if expired_override is None or not valid_reason(Override.EXPIRED_CARD, expired_override):
                raise IdentityRefused("an expired card serves only with staff's photo confirmation")
            self._record(
                "override.expired_card",
                {"reason": expired_override.value, "rule": Override.EXPIRED_CARD.rule},
            )
            overrides = (Override.EXPIRED_CARD,)
        self.established = Established(method, (PhotoIdKind.MY_NUMBER_CARD_WITH_PHOTO.name,), overrides)

    def documents(
        self, presented: Sequence[PresentedDocument], *, inquiry_answer: bool, reason: OverrideReason
    ) -> IdentityDecision:
        """Staff checked documents by hand (an override of the card path): kinds are recorded."""
        _require_documents_reason(reason)
        decision = self._judge(presented, inquiry_answer=inquiry_answer)
        two = decision.record is not None and decision.record.path is not IdentityPath.PHOTO_ID
        method = IdentityMethod.TWO_DOCUMENTS_AND_INQUIRY if two else IdentityMethod.PHOTO_ID
        return self._by_documents(
            decision,
            method,
            action="override.manual_documents",
            rule=Override.MANUAL_DOCUMENTS.rule,
            reason=reason,
        )

    def proxy(
        self,
        presented: Sequence[PresentedDocument],
        *,
        letter_of_attorney: bool,
        inquiry_answer: bool,
        pin_request_form: PinRequestForm,
        purpose: Purpose,
        reason: OverrideReason,
        moving_notice: MovingNotice | None = None,
    ) -> IdentityDecision:
        """要綱 2-12 (3-6 for revocation): a 任意代理人's own photo ID, the letter of attorney, the
        inquiry answer and, for issuance, the sealed PIN form — all checked by staff. A proxy of the
        applicant's household within a month of a moving notification needs no inquiry answer
        (要綱 2-13, `moving_notice`); whether that waived it is recorded, the notice's date is not."""
        _require_documents_reason(reason)
        decision = check_proxy(
            presented,
            letter_of_attorney=letter_of_attorney,
            inquiry_answer=inquiry_answer,
            today=self._today,
            purpose=purpose,
            pin_request_form=pin_request_form,
            face_auth_card_requested=self.face_auth_card,
            moving_notice=moving_notice,
        )
        self.last_decision = decision
        waived = decision.record is not None and decision.record.inquiry_answer_waived
        return self._by_documents(
            decision,
            IdentityMethod.PHOTO_ID,
            action="override.proxy_documents",
            rule="要綱 2-12, 2-13" if waived else "要綱 2-12",
            reason=reason,
            extra={"inquiry_answer_waived": waived},
        )

    def _by_documents(
        self,
        decision: IdentityDecision,
        method: IdentityMethod,
        *,
        action: str,
        rule: str,
        reason: OverrideReason,
        extra: dict[str, object] | None = None,
    ) -> IdentityDecision:
        """Staff's check of documents by hand, recorded as the override it is (kinds only); the
        identity is established by `method` when the documents made a record. Which of them were
        shown as an app's screen (映像面, 要綱 2-6 なお書) goes in the record too: the operation
        check it needed is staff's word."""
        documents = decision.record.documents if decision.record else ()
        kinds = tuple(d.kind.name for d in documents)
        on_phone = [d.kind.name for d in documents if d.shown_on_smartphone]
        self._record(
            action,
            {
                "reason": reason.value,
                "rule": rule,
                "accepted": decision.accepted,
                "kinds": ",".join(kinds) or None,
                "smartphone": ",".join(on_phone) or None,
                **(extra or {}),
            },
        )
        if decision.record is not None:
            self.established = Established(method, kinds, (Override.MANUAL_DOCUMENTS,))
        return decision

    def face(self, record: FaceCheckRecord) -> bool:
        """The machine's decision (already in the audit chain via `kiosk.flows.face`)."""
        if record.accepted:
            self.established = Established(
                IdentityMethod.FACE_MACHINE, (PhotoIdKind.MY_NUMBER_CARD_WITH_PHOTO.name,)
            )
        return record.accepted

    def visual(self, record: FaceCheckRecord, *, same_person: bool, reason: OverrideReason) -> bool:
        """第1号 by staff, only where the machine's decision offered it; recorded with the operator
        (the actor of this step's recorder) and the reason code."""
        if NextStep.STAFF_VISUAL_CHECK not in record.options:
            raise IdentityRefused("a visual check is not offered after this face check")
        if not valid_reason(Override.VISUAL_FACE, reason):
            raise IdentityRefused(f"{reason.value} is not a reason for a visual check")
        self._record(
            "override.visual_face",
            {
                "reason": reason.value,
                "rule": Override.VISUAL_FACE.rule,
                "same_person": same_person,
                "machine_outcome": record.decision.outcome.value,
            },
        )
        if same_person:
            self.established = Established(
                IdentityMethod.FACE_VISUAL,
                (PhotoIdKind.MY_NUMBER_CARD_WITH_PHOTO.name,),
                (Override.VISUAL_FACE,),
            )
        return same_person


def _require_documents_reason(reason: OverrideReason) -> None:
    if not valid_reason(Override.MANUAL_DOCUMENTS, reason):
        raise IdentityRefused(f"{reason.value} is not a reason for {Override.MANUAL_DOCUMENTS.value}")
