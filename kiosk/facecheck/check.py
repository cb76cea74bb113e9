"""One face check: frames in, guidance out, then one decision (規則 64条の5 第2号).

    POSITIONING ─ good frame ─► MATCHING ─ N good frames fused ─► CHALLENGE (liveness) ─► DONE
         └──────────── quality issues: instruction to the person, counted as reasons ───┘

The caller feeds frames with their capture time (seconds; video time in the evaluation) from a
worker thread; `feed` returns a `Guidance` until it returns the `FaceDecision`. Frames are not
kept: encodings and distances are, until `wipe()`, which the caller runs when the decision is
recorded (or on cancel). Nothing here touches the disk.
"""

from __future__ import annotations

import enum
import random
from collections import Counter
from dataclasses import dataclass, field

import cv2
import numpy as np

from kiosk.facecheck import liveness
from kiosk.facecheck.liveness import ChallengeState, HeadTurnChallenge, Turn, TurnResult
from kiosk.facecheck.pipeline import FaceBox, FacePipeline, Observation, distance, wipe
from kiosk.facecheck.policy import FacePolicy
from kiosk.facecheck.quality import QualityIssue, assess

# Turns in image terms → words for the person, who faces an unmirrored camera: turning to one's
# own right moves the nose toward the image's left.
TURN_INSTRUCTIONS = {
    Turn.LEFT: ("turn_right", "Please turn your head slowly to your right."),
    Turn.RIGHT: ("turn_left", "Please turn your head slowly to your left."),
}
CONTINUITY_EVERY = 3  # during the challenge, every 3rd frontal frame is encoded: same person?


class Outcome(enum.StrEnum):
    MATCHED = "matched"
    NOT_MATCHED = "not_matched"
    ATTACK_SUSPECTED = "attack_suspected"
    UNABLE = "unable"  # the machine could not check properly (64条の5: fall back)


class Phase(enum.Enum):
    POSITIONING = "positioning"
    MATCHING = "matching"
    CHALLENGE = "challenge"
    DONE = "done"


@dataclass(frozen=True)
class Guidance:
    phase: Phase
    code: str  # a QualityIssue code, "hold_still", "turn_left"/"turn_right", "face_camera"
    instruction: str  # English; the UI shows its translation of `code`
    progress: float  # 0..1 of the whole check
    face: FaceBox | None


@dataclass(frozen=True)
class FaceDecision:
    """What is recorded (audit, application): method, decision, score, threshold, reasons,
    challenge results — never an image or an encoding."""

    outcome: Outcome
    reason: str  # a fixed phrase
    score: float | None  # the fused (median) distance to the card photo
    threshold: float
    frames_used: int
    liveness_required: bool
    quality_reasons: tuple[tuple[str, int], ...]  # issue code, frames it was seen in
    challenge: tuple[TurnResult, ...]
    seconds: float

    @classmethod
    def unable(
        cls, reason: str, policy: FacePolicy, seconds: float, *, liveness_required: bool
    ) -> FaceDecision:
        """No check could start (card photo unusable, no camera): the machine cannot match."""
        threshold = policy.match_threshold
        return cls(Outcome.UNABLE, reason, None, threshold, 0, liveness_required, (), (), seconds)

    @property
    def matched(self) -> bool:
        return self.outcome is Outcome.MATCHED

    def audit_details(self) -> dict[str, str | int | bool | None]:
        details: dict[str, str | int | bool | None] = {
            "method": "face_machine",
            "outcome": self.outcome.value,
            "reason": self.reason,
            "score": None if self.score is None else f"{self.score:.3f}",
            "threshold": f"{self.threshold:.3f}",
            "frames": self.frames_used,
            "liveness": self.liveness_required,
            "seconds": round(self.seconds),
            "quality": ",".join(f"{code}:{n}" for code, n in self.quality_reasons) or None,
            "challenge": ",".join(f"{r.turn.name.lower()}:{r.why}" for r in self.challenge) or None,
        }
        return details


@dataclass
class FaceCheck:
    pipeline: FacePipeline
    reference: np.ndarray  # the card photo's encoding; wiped with the check
    liveness_required: bool
    started: float | None = None  # the clock of the frames; None: the first frame's time
    rng: random.Random = field(default_factory=random.SystemRandom)
    phase: Phase = Phase.POSITIONING
    _distances: list[float] = field(default_factory=list)
    _offsets: list[float] = field(default_factory=list)
    _continuity: list[float] = field(default_factory=list)
    _reasons: Counter[str] = field(default_factory=Counter)
    _last_good: float = 0.0
    _challenge: HeadTurnChallenge | None = None
    _challenge_frames: int = 0
    _decision: FaceDecision | None = None

    @property
    def policy(self) -> FacePolicy:
        return self.pipeline.policy

    # -- feeding ------------------------------------------------------------------------------

    def feed(self, bgr: np.ndarray, now: float) -> Guidance | FaceDecision:
        if self._decision is not None:
            return self._decision
        if self.started is None:
            self.started = self._last_good = now
        if now - self.started > self.policy.max_duration:
            return self._decide(Outcome.UNABLE, "timed out", now)
        grey = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
        rgb: np.ndarray | None = None
        try:
            faces = self.pipeline.detect(grey)
            observation: Observation | None = None
            if faces:
                rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
                observation = self.pipeline.observe(rgb, faces[0], encode=False)
            if self.phase is Phase.CHALLENGE:
                return self._challenge_step(grey, rgb, faces, observation, now)
            return self._matching_step(grey, rgb, faces, observation, now)
        finally:
            wipe(grey, rgb)

    def abort(self, reason: str, now: float) -> FaceDecision:
        """End without a machine decision (camera lost, cancelled): the caller falls back."""
        return self._decision or self._decide(Outcome.UNABLE, reason, now)

    def wipe(self) -> None:
        wipe(self.reference)
        self._distances.clear()
        self._continuity.clear()
        self._offsets.clear()

    # -- phases -------------------------------------------------------------------------------

    def _matching_step(
        self,
        grey: np.ndarray,
        rgb: np.ndarray | None,
        faces: list[FaceBox],
        observation: Observation | None,
        now: float,
    ) -> Guidance | FaceDecision:
        landmarks = observation.landmarks if observation else None
        report = assess(grey, faces, landmarks, self.policy)
        if not report.ok:
            for issue in report.issues:
                self._reasons[issue.code] += 1
            if now - self._last_good > self.policy.positioning_timeout:
                return self._decide(Outcome.UNABLE, "no usable image", now)
            issue = report.issues[0]
            return self._guide(issue.code, issue.instruction, faces)
        assert rgb is not None and observation is not None and landmarks is not None
        self._last_good = now
        self.phase = Phase.MATCHING
        self._distances.append(self._distance_to_card(rgb, observation))
        self._offsets.append(landmarks.yaw_offset)
        if len(self._distances) < self.policy.frames_to_fuse:
            return self._guide("hold_still", "Please hold still.", faces)
        return self._fused_decision(faces, now)

    def _fused_decision(self, faces: list[FaceBox], now: float) -> Guidance | FaceDecision:
        fused = self._fused()
        if liveness.too_similar(self._distances, self.policy):
            return self._decide(Outcome.ATTACK_SUSPECTED, "too similar to the card photo", now)
        if fused > self.policy.match_threshold:
            return self._decide(Outcome.NOT_MATCHED, "distance above threshold", now)
        if not self.liveness_required:
            return self._decide(Outcome.MATCHED, "distance within threshold", now)
        self.phase = Phase.CHALLENGE
        self._challenge = HeadTurnChallenge(
            liveness.new_challenge(self.rng, self.policy),
            liveness.frontal_baseline(self._offsets),
            self.policy,
            started=now,
        )
        return self._challenge_guidance(faces)

    def _challenge_step(
        self,
        grey: np.ndarray,
        rgb: np.ndarray | None,
        faces: list[FaceBox],
        observation: Observation | None,
        now: float,
    ) -> Guidance | FaceDecision:
        challenge = self._challenge
        assert challenge is not None
        if len(faces) > 1:
            self._reasons[QualityIssue.MULTIPLE_FACES.code] += 1
            return self._decide(Outcome.ATTACK_SUSPECTED, "a second face during the challenge", now)
        offset = observation.landmarks.yaw_offset if observation else None
        state = challenge.feed(now, offset)
        frontal = offset is not None and abs(offset - challenge.baseline) < self.policy.turn_threshold / 2
        if frontal and rgb is not None and observation is not None:
            self._challenge_frames += 1
            if self._challenge_frames % CONTINUITY_EVERY == 1:
                self._continuity.append(self._distance_to_card(rgb, observation))
        if state is ChallengeState.FAILED:
            why = challenge.results[-1].why if challenge.results else "failed"
            return self._decide(Outcome.ATTACK_SUSPECTED, f"head-turn challenge: {why}", now)
        if state is ChallengeState.PASSED:
            if not self._continuity or max(self._continuity) > self.policy.match_threshold:
                return self._decide(Outcome.ATTACK_SUSPECTED, "another face during the challenge", now)
            return self._decide(Outcome.MATCHED, "distance within threshold, challenge passed", now)
        report = assess(
            grey, faces, observation.landmarks if observation else None, self.policy, frontal=False
        )
        for issue in report.issues:
            self._reasons[issue.code] += 1
        return self._challenge_guidance(faces)

    # -- helpers ------------------------------------------------------------------------------

    def _distance_to_card(self, rgb: np.ndarray, observation: Observation) -> float:
        encoded = self.pipeline.encode(rgb, observation)
        try:
            return distance(encoded, self.reference)
        finally:
            wipe(encoded)

    def _challenge_guidance(self, faces: list[FaceBox]) -> Guidance:
        challenge = self._challenge
        assert challenge is not None
        turn = challenge.current
        if turn is None:
            return self._guide("face_camera", "Please face the camera again.", faces)
        code, text = TURN_INSTRUCTIONS[turn]
        return self._guide(code, text, faces)

    def _guide(self, code: str, instruction: str, faces: list[FaceBox]) -> Guidance:
        return Guidance(self.phase, code, instruction, self._progress(), faces[0] if faces else None)

    def _progress(self) -> float:
        matching = min(1.0, len(self._distances) / self.policy.frames_to_fuse)
        if not self.liveness_required:
            return matching
        turns = self._challenge.turns if self._challenge else ()
        done = sum(1 for r in (self._challenge.results if self._challenge else []) if r.passed)
        return 0.5 * matching + (0.5 * done / len(turns) if turns else 0.0)

    def _fused(self) -> float:
        return liveness.median(self._distances)

    def _decide(self, outcome: Outcome, reason: str, now: float) -> FaceDecision:
        self.phase = Phase.DONE
        self._decision = FaceDecision(
            outcome=outcome,
            reason=reason,
            score=self._fused() if self._distances else None,
            threshold=self.policy.match_threshold,
            frames_used=len(self._distances),
            liveness_required=self.liveness_required,
            quality_reasons=tuple(sorted(self._reasons.items())),
            challenge=tuple(self._challenge.results) if self._challenge else (),
            seconds=now - (now if self.started is None else self.started),
        )
        return self._decision
