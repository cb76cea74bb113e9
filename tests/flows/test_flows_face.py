"""Recording the face check and the staff's visual comparison (規則 64条の5 第1号, 73-3)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from kiosk.facecheck.check import FaceDecision, Outcome
from kiosk.facecheck.fallback import NextStep
from kiosk.facecheck.liveness import Turn, TurnResult
from kiosk.facecheck.policy import DEFAULT_POLICY
from kiosk.flows.face import (
    UNATTENDED_ACTOR,
    FaceCheckRefused,
    VisualResult,
    record_face_check,
    record_visual_check,
)
from kiosk.store.audit import verify_chain
from kiosk.store.models import AuditRecord

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
SUBJECT = "application:5f0c"


def decision(outcome: Outcome, score: float | None = 0.62) -> FaceDecision:
    return FaceDecision(
        outcome=outcome,
        reason="distance above threshold",
        score=score,
        threshold=DEFAULT_POLICY.match_threshold,
        frames_used=5,
        liveness_required=True,
        quality_reasons=(("blurred", 3),),
        challenge=(TurnResult(Turn.LEFT, True, 0.21, 1.4, "turned"),),
        seconds=6.2,
    )


def records(session: Session) -> list[AuditRecord]:
    return list(session.scalars(select(AuditRecord).order_by(AuditRecord.id)))


def test_the_machine_decision_is_recorded_without_any_image(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        record = record_face_check(
            session,
            subject=SUBJECT,
            decision=decision(Outcome.NOT_MATCHED),
            unattended=False,
            operator="staff-7",
            now=NOW,
        )
    assert record.options == (NextStep.STAFF_VISUAL_CHECK, NextStep.PIN) and not record.accepted
    with sessions() as session:
        (audit,) = records(session)
        assert (audit.actor, audit.action, audit.subject) == ("staff-7", "identity.face_check", SUBJECT)
        assert json.loads(audit.details) == {
            "method": "face_machine",
            "outcome": "not_matched",
            "reason": "distance above threshold",
            "score": "0.620",
            "threshold": "0.500",
            "frames": 5,
            "liveness": True,
            "seconds": 6,
            "quality": "blurred:3",
            "challenge": "left:turned",
            "unattended": False,
            "next": "staff_visual_check,pin",
        }


def test_unattended_records_the_terminal_as_actor_and_refers_to_the_counter(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        record = record_face_check(
            session,
            subject=SUBJECT,
            decision=decision(Outcome.ATTACK_SUSPECTED, 0.12),
            unattended=True,
            operator=None,
            now=NOW,
        )
        assert record.options == (NextStep.REFER_TO_COUNTER,)
        assert records(session)[0].actor == UNATTENDED_ACTOR
        # No staff at an unattended terminal: a visual check cannot be recorded there.
        with pytest.raises(FaceCheckRefused, match="not offered"):
            record_visual_check(
                session,
                subject=SUBJECT,
                machine=record,
                operator="staff-7",
                result=VisualResult.SAME_PERSON,
                reason="looks alike",
                now=NOW,
            )


@pytest.mark.parametrize(
    ("operator", "reason", "message"),
    [("staff-7", "  ", "reason"), ("", "glasses in the card photo", "operator")],
)
def test_a_visual_check_needs_an_operator_and_a_reason(
    sessions: sessionmaker[Session], operator: str, reason: str, message: str
) -> None:
    with sessions.begin() as session:
        machine = record_face_check(
            session,
            subject=SUBJECT,
            decision=decision(Outcome.UNABLE, None),
            unattended=False,
            operator="staff-7",
            now=NOW,
        )
        with pytest.raises(FaceCheckRefused, match=message):
            record_visual_check(
                session,
                subject=SUBJECT,
                machine=machine,
                operator=operator,
                result=VisualResult.SAME_PERSON,
                reason=reason,
                now=NOW,
            )


def test_a_visual_check_after_a_mismatch_is_chained_after_the_machines(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        machine = record_face_check(
            session,
            subject=SUBJECT,
            decision=decision(Outcome.NOT_MATCHED),
            unattended=False,
            operator="staff-7",
            now=NOW,
        )
        same = record_visual_check(
            session,
            subject=SUBJECT,
            machine=machine,
            operator="staff-7",
            result=VisualResult.SAME_PERSON,
            reason=" card photo 9 years old; compared ears and chin ",
            now=NOW,
        )
        differs = record_visual_check(
            session,
            subject=SUBJECT,
            machine=machine,
            operator="staff-9",
            result=VisualResult.NOT_SAME_PERSON,
            reason="second opinion",
            now=NOW,
        )
    assert same and not differs
    with sessions() as session:
        machine_record, visual, second = records(session)
        assert visual.prev_hash == machine_record.hash and (visual.actor, visual.action) == (
            "staff-7",
            "identity.face_visual",
        )
        assert json.loads(visual.details) == {
            "method": "face_visual",
            "result": "same_person",
            "reason": "card photo 9 years old; compared ears and chin",
            "machine_outcome": "not_matched",
            "machine_reason": "distance above threshold",
        }
        assert second.actor == "staff-9" and json.loads(second.details)["result"] == "not_same_person"
        assert verify_chain(session).ok


def test_a_machine_match_leaves_nothing_for_staff_to_override(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        machine = record_face_check(
            session,
            subject=SUBJECT,
            decision=decision(Outcome.MATCHED, 0.41),
            unattended=False,
            operator="staff-7",
            now=NOW,
        )
        assert machine.accepted
        with pytest.raises(FaceCheckRefused):
            record_visual_check(
                session,
                subject=SUBJECT,
                machine=machine,
                operator="staff-7",
                result=VisualResult.NOT_SAME_PERSON,
                reason="doubt",
                now=NOW,
            )
