"""Presentation-attack signals (FACE.md §1.3–1.4, §5.4). Pure: numbers in, verdicts out.

- **Head-turn challenge**: the person is asked to turn left or right, in an order drawn at random
  for each check. A real head turning moves the nose across the line between the eyes (it stands
  out of the face's plane); a photo or a card, however it is tilted, turned or moved, keeps its
  nose where it is relative to the eyes (`Landmarks5.yaw_offset`). A replayed video turns when
  it was recorded to, not when asked: a turn the wrong way first fails the challenge.
- **Too similar to the card photo**: a copy of the card photo shown to the camera matches the
  chip photo far better (0.07–0.38) than its living holder does (FACE.md §5.4).

Directions are in image terms: LEFT = the nose moves toward the image's left edge. The UI words
the instruction for the person, who sees a mirrored preview.
"""

from __future__ import annotations

import enum
import random
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from kiosk.facecheck.policy import FacePolicy


class Turn(enum.Enum):
    LEFT = -1
    RIGHT = 1


def new_challenge(rng: random.Random, policy: FacePolicy) -> tuple[Turn, ...]:
    """The turns to ask for, each direction drawn independently (use `secrets.SystemRandom()`
    in production so an attacker cannot predict the order)."""
    return tuple(rng.choice((Turn.LEFT, Turn.RIGHT)) for _ in range(policy.challenge_turns))


@dataclass(frozen=True)
class TurnResult:
    turn: Turn
    passed: bool
    peak: float  # largest offset change toward the asked side, until the head came back
    seconds: float
    why: str  # "turned", "wrong way", "no turn", "face lost"


class ChallengeState(enum.Enum):
    ASKING = "asking"  # waiting for the current turn
    RETURNING = "returning"  # turn done: back to face the camera before the next
    PASSED = "passed"
    FAILED = "failed"


@dataclass
class HeadTurnChallenge:
    """Feeds on (time, yaw offset) per frame once the frontal baseline is known."""

    turns: tuple[Turn, ...]
    baseline: float
    policy: FacePolicy
    started: float
    results: list[TurnResult] = field(default_factory=list)
    state: ChallengeState = ChallengeState.ASKING
    _asked_at: float = 0.0
    _peak: float = 0.0

    def __post_init__(self) -> None:
        self._asked_at = self.started
        if not self.turns:
            self.state = ChallengeState.PASSED

    @property
    def current(self) -> Turn | None:
        index = len(self.results)
        if self.state is ChallengeState.ASKING and index < len(self.turns):
            return self.turns[index]
        return None

    def feed(self, now: float, yaw_offset: float | None) -> ChallengeState:
        if self.state is ChallengeState.RETURNING:
            return self._returning(now, yaw_offset)
        if self.state is ChallengeState.ASKING:
            return self._asking(now, yaw_offset)
        return self.state

    def _returning(self, now: float, yaw_offset: float | None) -> ChallengeState:
        last = self.results[-1]
        if yaw_offset is not None and (yaw_offset - self.baseline) * last.turn.value > last.peak:
            # the head goes on turning after the threshold: the record keeps how far it went
            self.results[-1] = replace(last, peak=(yaw_offset - self.baseline) * last.turn.value)
        if yaw_offset is not None and abs(yaw_offset - self.baseline) < self.policy.turn_threshold / 2:
            done = len(self.results) >= len(self.turns)
            self.state = ChallengeState.PASSED if done else ChallengeState.ASKING
            self._asked_at, self._peak = now, 0.0
        elif now - self._asked_at > self.policy.turn_timeout:
            return self._fail(now, "did not face the camera again")
        return self.state

    def _asking(self, now: float, yaw_offset: float | None) -> ChallengeState:
        turn = self.turns[len(self.results)]
        elapsed = now - self._asked_at
        change = None if yaw_offset is None else (yaw_offset - self.baseline) * turn.value
        if change is not None:
            self._peak = max(self._peak, change)
        if change is not None and change <= -self.policy.turn_threshold:
            return self._fail(now, "wrong way")
        if change is not None and change >= self.policy.turn_threshold:
            self.results.append(TurnResult(turn, True, self._peak, elapsed, "turned"))
            self.state = ChallengeState.RETURNING
            self._asked_at = now
        elif elapsed > self.policy.turn_timeout:
            return self._fail(now, "face lost" if change is None else "no turn")
        return self.state

    def _fail(self, now: float, why: str) -> ChallengeState:
        index = min(len(self.results), len(self.turns) - 1)
        self.results.append(TurnResult(self.turns[index], False, self._peak, now - self._asked_at, why))
        self.state = ChallengeState.FAILED
        return self.state


def median(values: Sequence[float]) -> float:
    """The upper median: always one of the values (fusion and baselines pick a real frame's)."""
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def frontal_baseline(offsets: Sequence[float]) -> float:
    """The person's own frontal yaw offset (faces and cameras are not perfectly symmetric)."""
    return median(offsets) if offsets else 0.0


def too_similar(distances: Sequence[float], policy: FacePolicy) -> bool:
    """The fused distance is closer to the card photo than a living face gets: a copy of it."""
    return bool(distances) and median(distances) < policy.replay_distance
