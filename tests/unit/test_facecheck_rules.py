"""The face check's pure rules: quality gate, head-turn challenge, replay cue, fallback."""

from __future__ import annotations

import random

import numpy as np
import pytest

from kiosk.facecheck.check import FaceDecision, Outcome
from kiosk.facecheck.fallback import NextStep, next_steps
from kiosk.facecheck.liveness import (
    ChallengeState,
    HeadTurnChallenge,
    Turn,
    frontal_baseline,
    new_challenge,
    too_similar,
)
from kiosk.facecheck.pipeline import FaceBox, Landmarks5
from kiosk.facecheck.policy import DEFAULT_POLICY, FacePolicy
from kiosk.facecheck.quality import QualityIssue, assess

P = DEFAULT_POLICY


def landmarks(nose_x: float = 320.0, eye_y: float = 220.0, tilt: float = 0.0) -> Landmarks5:
    """Eyes 80 px apart around x = 320; the nose 60 px below."""
    return Landmarks5(((270, eye_y), (290, eye_y), (350, eye_y + tilt), (370, eye_y + tilt), (nose_x, 280)))


def textured(mean: float, spread: float, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.clip(rng.normal(mean, spread, (480, 640)), 0, 255).astype(np.uint8)


CENTRED = FaceBox(220, 120, 420, 360)  # 240 px tall: half the frame, centred


@pytest.mark.parametrize(
    ("grey", "faces", "marks", "expected"),
    [
        (textured(120, 40), [CENTRED], landmarks(), ()),
        (textured(25, 10), [CENTRED], landmarks(), (QualityIssue.TOO_DARK,)),
        (textured(240, 10), [CENTRED], landmarks(), (QualityIssue.TOO_BRIGHT,)),
        (textured(120, 40), [], None, (QualityIssue.NO_FACE,)),
        (textured(120, 40), [CENTRED, FaceBox(10, 10, 60, 60)], landmarks(), (QualityIssue.MULTIPLE_FACES,)),
        (textured(120, 40), [FaceBox(300, 200, 360, 270)], landmarks(), (QualityIssue.TOO_FAR,)),
        (textured(120, 40), [FaceBox(100, 0, 540, 470)], landmarks(), (QualityIssue.TOO_CLOSE,)),
        (textured(120, 40), [FaceBox(10, 120, 210, 360)], landmarks(), (QualityIssue.OFF_CENTRE,)),
        (textured(120, 40), [CENTRED], landmarks(nose_x=345), (QualityIssue.NOT_FACING,)),
        (textured(120, 40), [CENTRED], landmarks(tilt=60), (QualityIssue.NOT_FACING,)),
    ],
    ids=["good", "dark", "bright", "no-face", "two-faces", "far", "close", "off-centre", "turned", "tilted"],
)
def test_quality_gate(
    grey: np.ndarray, faces: list[FaceBox], marks: Landmarks5 | None, expected: tuple[QualityIssue, ...]
) -> None:
    assert assess(grey, faces, marks, P).issues == expected


def test_blur_and_covered_eyes() -> None:
    report = assess(np.full((480, 640), 120, np.uint8), [CENTRED], landmarks(), P)
    assert QualityIssue.BLURRED in report.issues and QualityIssue.EYES_NOT_VISIBLE in report.issues
    assert assess(textured(120, 40), [CENTRED], landmarks(), P, frontal=False).ok
    assert assess(
        textured(120, 40), [CENTRED], landmarks(nose_x=345), P, frontal=False
    ).ok  # turning is asked


def test_instructions_name_who_can_fix_it() -> None:
    assert QualityIssue.TOO_DARK.needs_staff and "call staff" in QualityIssue.TOO_DARK.instruction
    assert not QualityIssue.TOO_FAR.needs_staff and QualityIssue.TOO_FAR.instruction == "Please move closer."
    assert QualityIssue.NO_FACE.code == "no_face"


def test_yaw_offset_moves_with_the_nose_not_with_the_picture() -> None:
    assert landmarks().yaw_offset == pytest.approx(0)
    assert landmarks(nose_x=340).yaw_offset == pytest.approx(0.25)
    # The same face moved, scaled and rotated as a flat picture keeps its offset.
    pts = np.array(landmarks(nose_x=330).points)
    angle = np.radians(15)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    moved = Landmarks5(tuple(tuple(p) for p in (pts @ rot.T) * 0.7 + [40, -30]))
    assert moved.yaw_offset == pytest.approx(landmarks(nose_x=330).yaw_offset)
    assert moved.roll_degrees == pytest.approx(15)


def run(turns: tuple[Turn, ...], offsets: list[tuple[float, float | None]]) -> HeadTurnChallenge:
    challenge = HeadTurnChallenge(turns, 0.0, P, started=0.0)
    for now, offset in offsets:
        challenge.feed(now, offset)
    return challenge


@pytest.mark.parametrize(
    ("turns", "offsets", "state", "whys"),
    [
        ((Turn.LEFT, Turn.RIGHT), [(0.5, -0.05), (1, -0.2), (1.5, 0.0), (2, 0.1), (2.5, 0.2), (3, 0.01)],
         ChallengeState.PASSED, ["turned", "turned"]),
        ((Turn.LEFT,), [(0.5, 0.2)], ChallengeState.FAILED, ["wrong way"]),  # a replay turning its own way
        ((Turn.RIGHT,), [(1, 0.02), (3, 0.05), (5.5, 0.04)], ChallengeState.FAILED, ["no turn"]),  # a photo
        ((Turn.RIGHT,), [(1, None), (6, None)], ChallengeState.FAILED, ["face lost"]),
        ((Turn.RIGHT, Turn.RIGHT), [(1, 0.2), (2, 0.2), (7, 0.2)], ChallengeState.FAILED,
         ["turned", "did not face the camera again"]),
        ((Turn.RIGHT,), [(1, 0.1)], ChallengeState.ASKING, []),
        ((), [], ChallengeState.PASSED, []),
    ],
    ids=["both-turns", "wrong-way", "no-turn", "face-lost", "never-back", "in-progress", "no-challenge"],
)  # fmt: skip
def test_head_turn_challenge(
    turns: tuple[Turn, ...], offsets: list[tuple[float, float | None]], state: ChallengeState, whys: list[str]
) -> None:
    challenge = run(turns, offsets)
    assert challenge.state is state
    assert [r.why for r in challenge.results] == whys


def test_the_recorded_peak_is_how_far_the_head_went_not_where_it_crossed() -> None:
    offsets = [(0.5, -0.16), (0.7, -0.27), (0.9, -0.21), (1.2, 0.01), (2, 0.3)]
    challenge = run((Turn.LEFT, Turn.RIGHT), offsets)
    assert [round(r.peak, 2) for r in challenge.results] == [0.27, 0.3]


def test_challenge_directions_are_drawn_at_random() -> None:
    drawn = {new_challenge(random.Random(seed), P) for seed in range(100)}
    # every order of 3 turns: a recording follows the order asked 1 time in 8 at most
    assert len(drawn) == 8 and all(len(order) == 3 for order in drawn)
    assert new_challenge(random.Random(1), FacePolicy(challenge_turns=0)) == ()


def test_baseline_and_replay_cue() -> None:
    assert frontal_baseline([0.05, 0.02, 0.9, 0.03, 0.04]) == 0.04  # one glance away is ignored
    assert too_similar([0.1, 0.12, 0.3, 0.11, 0.4], P)  # median 0.12: a copy of the card photo
    assert not too_similar([0.38, 0.41, 0.22, 0.40, 0.39], P)
    assert not too_similar([], P)


def test_policy_is_checked() -> None:
    with pytest.raises(ValueError, match="replay_distance"):
        FacePolicy(replay_distance=0.6)
    with pytest.raises(ValueError, match="detect_scale"):
        FacePolicy(detect_scale=0)


def decision(outcome: Outcome) -> FaceDecision:
    return FaceDecision(outcome, "r", 0.4, 0.5, 5, True, (), (), 3.0)


@pytest.mark.parametrize(
    ("outcome", "unattended", "steps"),
    [
        (Outcome.MATCHED, False, (NextStep.ACCEPT,)),
        (Outcome.MATCHED, True, (NextStep.ACCEPT,)),
        (Outcome.NOT_MATCHED, False, (NextStep.STAFF_VISUAL_CHECK, NextStep.PIN)),
        (Outcome.UNABLE, False, (NextStep.STAFF_VISUAL_CHECK, NextStep.PIN)),
        (Outcome.ATTACK_SUSPECTED, False, (NextStep.STAFF_VISUAL_CHECK,)),
        (Outcome.NOT_MATCHED, True, (NextStep.REFER_TO_COUNTER,)),
        (Outcome.UNABLE, True, (NextStep.REFER_TO_COUNTER,)),
        (Outcome.ATTACK_SUSPECTED, True, (NextStep.REFER_TO_COUNTER,)),
    ],
)
def test_fallback_follows_rule_64_5(outcome: Outcome, unattended: bool, steps: tuple[NextStep, ...]) -> None:
    assert next_steps(decision(outcome), unattended=unattended) == steps


def test_audit_details_hold_no_image() -> None:
    details = decision(Outcome.MATCHED).audit_details()
    assert details["method"] == "face_machine" and details["score"] == "0.400"
    assert all(isinstance(v, (str, int, bool)) or v is None for v in details.values())
