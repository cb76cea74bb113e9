"""The face check end to end: generated video files read through the real cv2.VideoCapture path
(`Capture`), fed by the worker thread (`FaceCheckWorker`) to the matcher in its child process
(`ProcessMatcher`, as in the kiosk), decided and turned into the 規則 64条の5 options. Files are
read as fast as the check takes them (`realtime=False`), so the check sees video time and the
outcome does not depend on the machine's speed.
"""

from __future__ import annotations

import os
import random
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from mjpegkit import MjpegServer

import facekit
from kiosk.facecheck.camera import Capture
from kiosk.facecheck.check import FaceDecision, Guidance, Outcome
from kiosk.facecheck.fallback import NextStep, next_steps
from kiosk.facecheck.liveness import Turn, new_challenge
from kiosk.facecheck.matcher import ProcessMatcher
from kiosk.facecheck.policy import DEFAULT_POLICY, FacePolicy
from kiosk.facecheck.quality import QualityIssue
from kiosk.facecheck.worker import FaceCheckWorker

# Head turns at 15 fps: frontal for the 5 fused frames, then nose right (Turn.RIGHT), back, nose
# left, back, nose right again, back.
RIGHT_LEFT_RIGHT = (
    *((12, 20, 1.0), (26, 34, 0.0)),
    *((40, 48, -1.0), (54, 62, 0.0)),
    *((68, 76, 1.0), (82, 90, 0.0)),
)
ATTACK_FRAMES = 120  # longer than a turn's 5 s timeout after the match
# Quality scenes give up after 2 s of video without a usable frame instead of 20 s: same path, less CPU.
QUICK = FacePolicy(positioning_timeout=2.0)


def seed_for(turns: tuple[Turn, ...]) -> int:
    return next(s for s in range(1000) if new_challenge(random.Random(s), DEFAULT_POLICY) == turns)


ASKS_RIGHT_LEFT_RIGHT = seed_for((Turn.RIGHT, Turn.LEFT, Turn.RIGHT))
ASKS_RIGHT_RIGHT_LEFT = seed_for((Turn.RIGHT, Turn.RIGHT, Turn.LEFT))


@pytest.fixture(scope="module")
def matchers() -> Iterator[dict[FacePolicy, ProcessMatcher]]:
    """One matcher process per policy, started on first use and reused, as the kiosk does."""
    started: dict[FacePolicy, ProcessMatcher] = {}
    yield started
    for matcher in started.values():
        matcher.close()


@pytest.fixture(autouse=True)
def _matchers(matchers: dict[FacePolicy, ProcessMatcher]) -> None:
    Run.matchers = matchers


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """Clips made once per module, on first use."""
    directory = tmp_path_factory.mktemp("clips")
    makers: dict[str, Callable[[Path], Path]] = {
        "genuine": lambda p: facekit.live_clip(p, "obama", RIGHT_LEFT_RIGHT),
        "impostor": lambda p: facekit.live_clip(p, "biden", RIGHT_LEFT_RIGHT),
        "print": lambda p: facekit.photo_attack_clip(p, "obama", RIGHT_LEFT_RIGHT, frames=ATTACK_FRAMES),
        "card_photo": lambda p: facekit.card_photo_attack_clip(p, "obama", frames=40),
        **{kind: (lambda p, k=kind: facekit.scene_clip(p, k, frames=36)) for kind in facekit.SCENE_KINDS},
    }
    made: dict[str, Path] = {}

    def clip(name: str) -> Path:
        if name not in made:
            made[name] = makers[name](directory / f"{name}.avi")
        return made[name]

    return clip


def card_photo(identity: str = "obama") -> bytes:
    return (facekit.FACESET / f"{identity}-card.jp2").read_bytes()


class Run:
    """A check through Capture + FaceCheckWorker, with everything the worker reported."""

    matchers: dict[FacePolicy, ProcessMatcher]

    def __init__(
        self,
        source: Path | str,
        *,
        liveness: bool,
        seed: int | None = ASKS_RIGHT_LEFT_RIGHT,
        policy: FacePolicy = DEFAULT_POLICY,
        photo: bytes | None = None,
        on_guidance: Callable[[Run, Guidance], None] | None = None,
        realtime: bool = False,
    ) -> None:
        self.updates: list[Guidance | FaceDecision] = []
        self.threads: set[str] = set()
        self._on_guidance = on_guidance
        capture = Capture(str(source), realtime=realtime, reopen_backoff=0.1)
        if policy not in self.matchers:
            self.matchers[policy] = ProcessMatcher(policy).start()
        with capture:
            self.worker = FaceCheckWorker(
                capture,
                self.matchers[policy],
                photo if photo is not None else card_photo(),
                liveness_required=liveness,
                listener=self._listen,
                rng=None if seed is None else random.Random(seed),
            )
            self.worker.start()  # after the assignment: listeners may use it at once
            self.decision = self.worker.wait(timeout=90)

    def _listen(self, update: Guidance | FaceDecision) -> None:
        self.threads.add(threading.current_thread().name)
        self.updates.append(update)
        if isinstance(update, Guidance) and self._on_guidance is not None:
            self._on_guidance(self, update)

    @property
    def guidance(self) -> list[Guidance]:
        return [u for u in self.updates if isinstance(u, Guidance)]

    def codes(self) -> list[str]:
        return list(dict.fromkeys(g.code for g in self.guidance))  # in order of first appearance


def assert_private(decision: FaceDecision) -> None:
    """What is recorded is numbers and fixed phrases: nothing that could hold a picture."""
    for value in decision.audit_details().values():
        assert value is None or isinstance(value, str | int | bool)
        assert not isinstance(value, str) or len(value) < 200


# -- the person in front of the camera ------------------------------------------------------------


def test_the_card_holder_passes_the_head_turn_challenge(clips: Callable[[str], Path]) -> None:
    run = Run(clips("genuine"), liveness=True)
    decision = run.decision
    assert decision.outcome is Outcome.MATCHED, decision
    assert decision.threshold == DEFAULT_POLICY.match_threshold
    assert decision.score is not None and decision.score <= decision.threshold
    assert decision.frames_used == DEFAULT_POLICY.frames_to_fuse
    assert [(r.turn, r.passed) for r in decision.challenge] == [
        (Turn.RIGHT, True),
        (Turn.LEFT, True),
        (Turn.RIGHT, True),
    ]
    assert all(r.peak >= DEFAULT_POLICY.turn_threshold for r in decision.challenge)
    # The person was told what to do, in order; the nose moving right is the person's left.
    assert run.codes() == ["hold_still", "turn_left", "face_camera", "turn_right"]
    assert run.updates[-1] is decision and run.threads == {"face-check"}
    assert next_steps(decision, unattended=True) == (NextStep.ACCEPT,)
    assert_private(decision)


def test_the_card_holder_matches_at_the_counter_without_a_challenge(clips: Callable[[str], Path]) -> None:
    decision = Run(clips("genuine"), liveness=False).decision
    assert decision.outcome is Outcome.MATCHED and decision.challenge == ()
    assert decision.seconds < 1.0  # 5 frames of video: a second at most


def test_the_challenge_is_drawn_from_system_entropy_by_default(clips: Callable[[str], Path]) -> None:
    run = Run(clips("impostor"), liveness=True, seed=None)  # as the kiosk runs it: no seed
    assert run.decision.outcome is Outcome.NOT_MATCHED and run.decision.frames_used == 5


def test_an_impostor_does_not_match_and_the_counter_falls_back(clips: Callable[[str], Path]) -> None:
    decision = Run(clips("impostor"), liveness=True).decision
    assert decision.outcome is Outcome.NOT_MATCHED, decision
    assert decision.score is not None and decision.score > DEFAULT_POLICY.match_threshold
    assert decision.challenge == ()  # no challenge for someone who does not match
    # 64条の5: staff compare (第1号) or the PIN (64条の4); unattended there is only the counter.
    assert next_steps(decision, unattended=False) == (NextStep.STAFF_VISUAL_CHECK, NextStep.PIN)
    assert next_steps(decision, unattended=True) == (NextStep.REFER_TO_COUNTER,)


# -- presentation attacks (unattended: liveness is mandatory) -----------------------------------


def test_a_printed_photo_held_up_and_turned_fails_the_challenge(clips: Callable[[str], Path]) -> None:
    run = Run(clips("print"), liveness=True)
    decision = run.decision
    # The print does look like the holder; only the challenge stops it.
    assert decision.score is not None and decision.score <= DEFAULT_POLICY.match_threshold
    assert decision.outcome is Outcome.ATTACK_SUSPECTED, decision
    (result,) = decision.challenge
    assert not result.passed and result.why == "no turn"
    assert result.peak < DEFAULT_POLICY.turn_threshold / 2  # a turned sheet hardly moves the nose
    assert next_steps(decision, unattended=True) == (NextStep.REFER_TO_COUNTER,)
    assert next_steps(decision, unattended=False) == (NextStep.STAFF_VISUAL_CHECK,)


def test_the_cards_own_photo_held_up_is_too_similar(clips: Callable[[str], Path]) -> None:
    for liveness in (True, False):  # caught before any challenge: also at the counter
        decision = Run(clips("card_photo"), liveness=liveness).decision
        assert decision.outcome is Outcome.ATTACK_SUSPECTED, decision
        assert decision.reason == "too similar to the card photo"
        assert decision.score is not None and decision.score < DEFAULT_POLICY.replay_distance
        assert next_steps(decision, unattended=True) == (NextStep.REFER_TO_COUNTER,)


def test_a_replayed_recording_turns_the_way_it_was_recorded(
    clips: Callable[[str], Path], tmp_path: Path
) -> None:
    replay = facekit.replay_clip(tmp_path / "replay.avi", clips("genuine"))
    # Recorded for right-left-right, asked right-right-left: the first turn agrees, the second not.
    decision = Run(replay, liveness=True, seed=ASKS_RIGHT_RIGHT_LEFT).decision
    assert decision.outcome is Outcome.ATTACK_SUSPECTED, decision
    assert [r.why for r in decision.challenge] == ["turned", "wrong way"]


# -- the quality gate's instructions ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("scene", "issue"),
    [
        ("no_face", QualityIssue.NO_FACE),
        ("two_faces", QualityIssue.MULTIPLE_FACES),
        ("dark", QualityIssue.TOO_DARK),
        ("too_far", QualityIssue.TOO_FAR),
        ("off_centre", QualityIssue.OFF_CENTRE),
        ("blurred", QualityIssue.BLURRED),
    ],
)
def test_a_bad_scene_gets_its_instruction_and_is_recorded(
    clips: Callable[[str], Path], scene: str, issue: QualityIssue
) -> None:
    run = Run(clips(scene), liveness=True, policy=QUICK)
    assert run.guidance and {g.code for g in run.guidance} == {issue.code}
    assert {g.instruction for g in run.guidance} == {issue.instruction}
    decision = run.decision
    assert decision.outcome is Outcome.UNABLE and decision.reason == "no usable image"
    assert dict(decision.quality_reasons)[issue.code] >= 25  # ~2 s of frames, each counted
    assert decision.audit_details()["quality"]
    assert next_steps(decision, unattended=False) == (NextStep.STAFF_VISUAL_CHECK, NextStep.PIN)


def test_too_dark_asks_for_staff() -> None:
    assert QualityIssue.TOO_DARK.needs_staff and "call staff" in QualityIssue.TOO_DARK.instruction


# -- the camera and the card photo failing ---------------------------------------------------------


def test_camera_unplugged_mid_check_ends_unable(clips: Callable[[str], Path]) -> None:
    frames = facekit.read_frames(clips("genuine"))[:10]  # frontal frames: the check is mid-way
    bgr = [np.ascontiguousarray(f[..., ::-1]) for f in frames]
    server = MjpegServer(lambda i: bgr[i % len(bgr)], fps=15)
    seen: list[str] = []

    def unplug_after_two(run: Run, guidance: Guidance) -> None:
        seen.append(guidance.code)
        if len(seen) == 2:
            server.unplug()

    try:
        run = Run(server.url, liveness=True, realtime=True, on_guidance=unplug_after_two)
    finally:
        server.unplug()
    decision = run.decision
    assert decision.outcome is Outcome.UNABLE and decision.reason == "camera lost"
    assert next_steps(decision, unattended=False) == (NextStep.STAFF_VISUAL_CHECK, NextStep.PIN)
    assert next_steps(decision, unattended=True) == (NextStep.REFER_TO_COUNTER,)


def test_a_card_photo_without_a_face_ends_unable(clips: Callable[[str], Path]) -> None:
    blank = cv2.imencode(".jp2", np.full((110, 90), 128, np.uint8))[1].tobytes()
    run = Run(clips("genuine"), liveness=False, photo=blank)
    assert run.decision.outcome is Outcome.UNABLE and run.decision.reason == "card photo unusable"
    assert run.guidance == []


def test_cancel_ends_the_check_at_the_next_frame(clips: Callable[[str], Path]) -> None:
    def cancel_at_once(run: Run, guidance: Guidance) -> None:
        run.worker.cancel("resident left")

    run = Run(clips("genuine"), liveness=True, on_guidance=cancel_at_once)
    assert run.decision.outcome is Outcome.UNABLE and run.decision.reason == "resident left"
    assert run.decision.frames_used == 1 and len(run.guidance) == 1


def test_a_dead_matcher_ends_the_check_unable_and_the_next_check_gets_a_new_one(
    clips: Callable[[str], Path],
) -> None:
    killed: list[int] = []

    def kill_matcher(run: Run, guidance: Guidance) -> None:
        matcher = Run.matchers[DEFAULT_POLICY]
        if not killed and matcher.pid is not None:
            killed.append(matcher.pid)
            os.kill(matcher.pid, signal.SIGKILL)

    run = Run(clips("genuine"), liveness=True, on_guidance=kill_matcher)
    assert killed and run.decision.outcome is Outcome.UNABLE and run.decision.reason == "internal error"
    assert next_steps(run.decision, unattended=False) == (NextStep.STAFF_VISUAL_CHECK, NextStep.PIN)
    again = Run(clips("genuine"), liveness=False)
    assert again.decision.outcome is Outcome.MATCHED
    assert Run.matchers[DEFAULT_POLICY].pid not in (None, killed[0])


def test_the_matcher_process_ends_with_the_kiosk() -> None:
    matcher = ProcessMatcher().start()
    pid = matcher.pid
    assert pid is not None
    matcher.close()
    assert matcher.pid is None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # reaped, not a zombie
