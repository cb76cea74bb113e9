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
    FaceCheckRecord,
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


def machine(session: Session, outcome: Outcome, score: float | None = 0.62) -> FaceCheckRecord:
    """The machine's decision recorded at the counter by staff-7."""
    return record_face_check(
        session,
        subject=SUBJECT,
        decision=decision(outcome, score),
        unattended=False,
        operator="staff-7",
        now=NOW,
    )


def visual(
    session: Session,
    record: FaceCheckRecord,
    *,
    operator: str = "staff-7",
    reason: str = "compared ears",
    result: VisualResult = VisualResult.SAME_PERSON,
) -> bool:
    return record_visual_check(
        session, subject=SUBJECT, machine=record, operator=operator, result=result, reason=reason, now=NOW
    )


def records(session: Session) -> list[AuditRecord]:
    return list(session.scalars(select(AuditRecord).order_by(AuditRecord.id)))


def test_the_machine_decision_is_recorded_without_any_image(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        record = machine(session, Outcome.NOT_MATCHED)
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
            visual(session, record)


@pytest.mark.parametrize(
    ("operator", "reason", "message"),
    [("staff-7", "  ", "reason"), ("", "glasses in the card photo", "operator")],
)
def test_a_visual_check_needs_an_operator_and_a_reason(
    sessions: sessionmaker[Session], operator: str, reason: str, message: str
) -> None:
    with sessions.begin() as session:
        record = machine(session, Outcome.UNABLE, None)
        with pytest.raises(FaceCheckRefused, match=message):
            visual(session, record, operator=operator, reason=reason)


def test_a_visual_check_after_a_mismatch_is_chained_after_the_machines(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        record = machine(session, Outcome.NOT_MATCHED)
        same = visual(session, record, reason=" card photo 9 years old; compared ears and chin ")
        differs = visual(
            session, record, operator="staff-9", result=VisualResult.NOT_SAME_PERSON, reason="second opinion"
        )
    assert same and not differs
    with sessions() as session:
        machine_record, first, second = records(session)
        assert first.prev_hash == machine_record.hash
        assert (first.actor, first.action) == ("staff-7", "identity.face_visual")
        assert json.loads(first.details) == {
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
        record = machine(session, Outcome.MATCHED, 0.41)
        assert record.accepted
        with pytest.raises(FaceCheckRefused):
            visual(session, record, result=VisualResult.NOT_SAME_PERSON, reason="doubt")
