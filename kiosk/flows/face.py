"""The identity check by face (規則 64条の5) as it is recorded: the machine's decision and, when the
machine could not match properly, the staff's visual comparison (第1号) with who made it and why.

Only `FaceDecision.audit_details()` goes into the operation record (規則 73-3): method, outcome,
score, threshold, quality reasons, challenge results — never an image, a crop or an encoding.
The subject is the application the check belongs to, never the card or the person.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from kiosk.domain.secret import Secret
from kiosk.facecheck.check import FaceDecision
from kiosk.facecheck.fallback import NextStep, next_steps
from kiosk.reader.kenkaku import KenkakuPin, KenkakuSession
from kiosk.reader.transport import Transport
from kiosk.store.audit import append_audit

UNATTENDED_ACTOR = "terminal"  # no operator at an unattended terminal


class FaceCheckRefused(ValueError):
    """A fallback that the rules do not allow here; the message is for the log and staff."""


class VisualResult(enum.StrEnum):
    SAME_PERSON = "same_person"
    NOT_SAME_PERSON = "not_same_person"


@dataclass(frozen=True)
class FaceCheckRecord:
    decision: FaceDecision
    options: tuple[NextStep, ...]  # what the screen offers next, in order

    @property
    def accepted(self) -> bool:
        return self.options == (NextStep.ACCEPT,)


def read_card_photo(transport: Transport, code_b: Secret) -> bytearray:
    """The reference for the face check: the photo in the 券面事項確認AP (greyscale JP2), read
    after 照合番号B, which is wiped here. Returned as a bytearray the caller wipes once the matcher
    has it; the rest of the card face (name, address, birth date images) is dropped here."""
    try:
        session = KenkakuSession(transport)
        session.verify(KenkakuPin.CODE_B, code_b)
    finally:
        code_b.wipe()
    face = session.card_face()
    return bytearray(face.photo_jp2)


def record_face_check(
    session: Session,
    *,
    subject: str,
    decision: FaceDecision,
    unattended: bool,
    operator: str | None,
    now: datetime,
) -> FaceCheckRecord:
    """Record the machine's decision and return the options that follow from it."""
    options = next_steps(decision, unattended=unattended)
    append_audit(
        session,
        actor=operator or UNATTENDED_ACTOR,
        action="identity.face_check",
        subject=subject,
        details={
            **decision.audit_details(),
            "unattended": unattended,
            "next": ",".join(option.value for option in options),
        },
        now=now,
    )
    return FaceCheckRecord(decision, options)


def record_visual_check(
    session: Session,
    *,
    subject: str,
    machine: FaceCheckRecord,
    operator: str,
    result: VisualResult,
    reason: str,
    now: datetime,
) -> bool:
    """第1号: staff compared the person with the card photo. Only where the machine's decision
    offered it, only by an authenticated operator, always with a reason. True = same person."""
    if NextStep.STAFF_VISUAL_CHECK not in machine.options:
        raise FaceCheckRefused(
            f"a visual check is not offered after {machine.decision.outcome.value} "
            f"({', '.join(option.value for option in machine.options)})"
        )
    if not operator.strip():
        raise FaceCheckRefused("a visual check is made by an authenticated operator")
    if not reason.strip():
        raise FaceCheckRefused("a visual check needs the operator's reason")
    append_audit(
        session,
        actor=operator,
        action="identity.face_visual",
        subject=subject,
        details={
            "method": "face_visual",  # 64条の5 第1号
            "result": result.value,
            "reason": reason.strip(),
            "machine_outcome": machine.decision.outcome.value,
            "machine_reason": machine.decision.reason,
        },
        now=now,
    )
    return result is VisualResult.SAME_PERSON
