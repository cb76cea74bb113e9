"""Evaluation of the face check over a labelled clip set: `kiosk face eval SET_DIR`.

Every trial runs through the path the kiosk uses: the clip is opened as a camera
(`Capture(clip, realtime=False)`, so the check sees video time and the result does not depend on
the machine's speed), a `FaceCheckWorker` decodes the card photo and makes one decision, with the
challenge drawn from `random.Random(challenge_seed)`, the default models and `DEFAULT_POLICY`.
The matching runs in a `LocalMatcher` (so detection, landmarks and encoding can be timed apart)
or, with `matcher="process"`, in the kiosk's `ProcessMatcher` child: the same `FaceCheck` code.

A second pass over each distinct (clip, card) pair scores the frames themselves: every frame that
passes the quality gate is encoded and its distance to the card photo kept, so the distributions
show more than the one fused score per trial. The set (`labels.json`, format `FORMAT`) is written
by tools/build_face_evalset.py, whose docstring documents it; nothing here knows what a trial
should give except its label.

Reported: frame-level and fused-score distributions per class, FMR/FNMR at the policy threshold
and a threshold sweep, APCER per attack type and BPCER (ISO/IEC 30107-3, FACE.md §1.3), how far
heads and pictures turned against the challenge's threshold, and latency per frame and per trial.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import math
import os
import platform
import random
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import dlib
import numpy as np

from kiosk.facecheck import liveness
from kiosk.facecheck.camera import Capture
from kiosk.facecheck.check import FaceDecision, Guidance, Outcome
from kiosk.facecheck.liveness import Turn
from kiosk.facecheck.matcher import LocalMatcher, Matcher, ProcessMatcher
from kiosk.facecheck.models import FaceModels, default_models
from kiosk.facecheck.pipeline import FaceBox, FacePipeline, Observation, distance, wipe
from kiosk.facecheck.policy import DEFAULT_POLICY, FacePolicy
from kiosk.facecheck.quality import assess
from kiosk.facecheck.worker import FaceCheckWorker

FORMAT = "kiosk-face-evalset/1"
GENUINE, IMPOSTOR, ATTACK, SAME_SOURCE = "genuine", "impostor", "attack", "same_source"
CLASSES = (GENUINE, IMPOSTOR, ATTACK, SAME_SOURCE)
ATTACK_TYPES = ("print", "card_photo", "replay")
# Report groups: the classes with the attacks split by type (APCER is per attack type).
GROUPS = (GENUINE, IMPOSTOR, SAME_SOURCE, *(f"{ATTACK}:{kind}" for kind in ATTACK_TYPES))
SWEEP = (0.40, 0.45, 0.50, 0.55, 0.60)
HISTOGRAM_STEP = 0.05
TRIAL_TIMEOUT = 600.0  # seconds of wall clock per trial; a clip is at most ~15 s of video
MATCHERS = ("local", "process")
FRAME_TIMEOUT = 30.0  # a loaded machine may be slow to decode, and a file cannot stall


class EvalSetError(ValueError):
    """labels.json is not JSON, of another format, malformed, or names a file that is not there."""


# ------------------------------------------------------------------------------ the labelled set


@dataclass(frozen=True)
class Trial:
    id: str
    clip: Path
    card: Path
    claimed: str  # whose card
    live: str  # who is in front of the camera (for an attack: whose picture is shown)
    kind: str  # one of CLASSES
    attack: str | None  # one of ATTACK_TYPES for an attack
    challenge_seed: int
    challenge: tuple[Turn, ...] | None  # the order the seed is meant to draw (None: not labelled)
    turns: tuple[Turn, ...]  # the head turns a live clip (or the replayed recording) performs

    @property
    def group(self) -> str:
        return f"{ATTACK}:{self.attack}" if self.kind == ATTACK else self.kind


@dataclass(frozen=True)
class EvalSet:
    root: Path
    trials: tuple[Trial, ...]

    @classmethod
    def load(cls, root: Path) -> EvalSet:
        labels = root / "labels.json"
        try:
            data = json.loads(labels.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise EvalSetError(f"{labels}: not JSON: {exc}") from exc
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise EvalSetError(f"{labels}: not a {FORMAT} file")
        clips = data.get("clips", {})
        try:
            trials = tuple(_trial(root, raw, clips) for raw in data["trials"])
        except (KeyError, TypeError, ValueError) as exc:
            raise EvalSetError(f"{labels}: bad trial: {exc!r}") from exc
        if not trials:
            raise EvalSetError(f"{labels}: no trials")
        missing = sorted({str(p) for t in trials for p in (t.clip, t.card) if not p.is_file()})
        if missing:
            raise EvalSetError(f"{labels}: missing file(s): {', '.join(missing)}")
        ids = Counter(t.id for t in trials)
        if max(ids.values()) > 1:
            raise EvalSetError(f"{labels}: duplicate trial ids: {[i for i, n in ids.items() if n > 1]}")
        return cls(root, trials)


def _trial(root: Path, raw: dict[str, Any], clips: dict[str, Any]) -> Trial:
    kind, attack = raw["class"], raw.get("attack")
    if kind not in CLASSES:
        raise ValueError(f"class {kind!r}")
    if (kind == ATTACK) != (attack is not None) or (attack is not None and attack not in ATTACK_TYPES):
        raise ValueError(f"attack {attack!r} for class {kind!r}")
    challenge = raw.get("challenge")
    clip = clips.get(raw["clip"], {})
    script = clip.get("script") or clips.get(clip.get("source", ""), {}).get("script") or []
    turns = tuple(Turn(1 if yaw > 0 else -1) for _start, _end, yaw in script if yaw)
    return Trial(
        id=str(raw["id"]),
        clip=root / raw["clip"],
        card=root / raw["card"],
        claimed=str(raw["claimed"]),
        live=str(raw["live"]),
        kind=kind,
        attack=attack,
        challenge_seed=int(raw["challenge_seed"]),
        challenge=None if challenge is None else tuple(Turn[name] for name in challenge),
        turns=turns,
    )


def drawn_challenge(seed: int, policy: FacePolicy) -> tuple[Turn, ...]:
    """The turns the check will ask for with `random.Random(seed)`: the worker's rng makes no
    other draw before it."""
    # Reproducible on purpose (a labelled challenge order); the kiosk itself uses SystemRandom.
    return liveness.new_challenge(random.Random(seed), policy)  # noqa: S311


# ------------------------------------------------------------------------------ statistics (pure)


@dataclass(frozen=True)
class Summary:
    count: int
    min: float
    p5: float
    median: float
    p95: float
    max: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Summary | None:
        if not values:
            return None
        a = np.asarray(values, dtype=float)
        p5, median, p95 = (float(v) for v in np.percentile(a, [5, 50, 95]))
        return cls(len(a), float(a.min()), p5, median, p95, float(a.max()))


@dataclass(frozen=True)
class Rate:
    """errors out of total trials or comparisons, with the 95 % one-sided upper bound."""

    errors: int
    total: int

    @property
    def value(self) -> float | None:
        return self.errors / self.total if self.total else None

    @property
    def upper95(self) -> float | None:
        return upper_bound_95(self.errors, self.total) if self.total else None

    def __str__(self) -> str:
        if not self.total:
            return "n/a (0 trials)"
        assert self.value is not None and self.upper95 is not None
        return f"{self.errors}/{self.total} = {self.value:.1%} (95 % upper {self.upper95:.1%})"

    def to_dict(self) -> dict[str, Any]:
        return {"errors": self.errors, "total": self.total, "rate": self.value, "upper95": self.upper95}


def upper_bound_95(errors: int, total: int) -> float:
    """One-sided 95 % Clopper–Pearson upper bound of an error rate: with 0 errors it is
    1 − 0.05^(1/n) ≈ 3/n, the "rule of three" (FACE.md §3)."""
    if not 0 <= errors <= total or total <= 0:
        raise ValueError(f"bad count {errors}/{total}")
    if errors == total:
        return 1.0

    def at_most(p: float) -> float:  # P(X ≤ errors) for X ~ Binomial(total, p)
        return sum(math.comb(total, k) * p**k * (1 - p) ** (total - k) for k in range(errors + 1))

    low, high = errors / total, 1.0
    for _ in range(60):  # bisection: at_most falls as p rises
        mid = (low + high) / 2
        low, high = (mid, high) if at_most(mid) > 0.05 else (low, mid)
    return high


def false_match(impostor: Iterable[float | None], threshold: float) -> Rate:
    """FMR: impostor comparisons at or below the threshold (the check accepts d ≤ threshold);
    a comparison without a score (no usable frame) cannot match."""
    scores = list(impostor)
    return Rate(sum(1 for s in scores if s is not None and s <= threshold), len(scores))


def false_non_match(genuine: Iterable[float | None], threshold: float) -> Rate:
    """FNMR: genuine comparisons above the threshold; one without a score counts as a miss (the
    person was not matched)."""
    scores = list(genuine)
    return Rate(sum(1 for s in scores if s is None or s > threshold), len(scores))


def attack_acceptance(outcomes: Iterable[tuple[str, bool]]) -> dict[str, Rate]:
    """APCER per attack type from (attack type, accepted) pairs: attacks accepted as bona fide."""
    accepted: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for kind, ok in outcomes:
        total[kind] += 1
        accepted[kind] += ok
    return {kind: Rate(accepted[kind], total[kind]) for kind in total}


def histogram(values: Iterable[float], step: float = HISTOGRAM_STEP, top: float = 1.0) -> list[int]:
    """Counts per bin [k·step, (k+1)·step) up to `top`; anything beyond falls in the last bin."""
    bins = [0] * round(top / step)
    for v in values:
        bins[min(len(bins) - 1, max(0, math.floor(v / step + 1e-9)))] += 1
    return bins


def frontal(good_offsets: Sequence[float], frames_to_fuse: int, turn_threshold: float) -> list[bool]:
    """Which good frames face the camera as the check's encoded frames do: within half a turn of
    the frontal baseline (the challenge's continuity frames; the matching frames are the baseline)."""
    if not good_offsets:
        return []
    baseline = liveness.frontal_baseline(good_offsets[:frames_to_fuse])
    return [abs(o - baseline) < turn_threshold / 2 for o in good_offsets]


def turn_reach(
    offsets: Sequence[float | None], good: Sequence[bool], frames_to_fuse: int
) -> dict[Turn, float]:
    """How far the yaw offset got from the frontal baseline toward each side, the baseline taken
    as the check takes it (median of the first `frames_to_fuse` good frames)."""
    base = [o for o, ok in zip(offsets, good, strict=True) if ok and o is not None][:frames_to_fuse]
    seen = [o for o in offsets if o is not None]
    if not base or not seen:
        return {}
    baseline = liveness.frontal_baseline(base)
    return {turn: max((o - baseline) * turn.value for o in seen) for turn in Turn}


# ------------------------------------------------------------------------------ running


class _TimedPipeline(FacePipeline):
    """The real pipeline, timing each call (only where it runs in this process: `LocalMatcher`)."""

    def __init__(self, models: FaceModels, policy: FacePolicy) -> None:
        super().__init__(models, policy)
        self.calls: defaultdict[str, list[float]] = defaultdict(list)
        self._in_reference = False  # the card photo's own landmark fit is not a frame's

    def _timed(self, name: str, started: float) -> None:
        if not self._in_reference:
            self.calls[name].append(time.perf_counter() - started)

    def detect(self, grey: np.ndarray) -> list[FaceBox]:
        started = time.perf_counter()
        try:
            return super().detect(grey)
        finally:
            self._timed("detect", started)

    def observe(self, rgb: np.ndarray, box: FaceBox, *, encode: bool) -> Observation:
        started = time.perf_counter()
        try:
            return super().observe(rgb, box, encode=encode)
        finally:
            self._timed("landmarks", started)

    def encode(self, rgb: np.ndarray, observation: Observation) -> np.ndarray:
        started = time.perf_counter()
        try:
            return super().encode(rgb, observation)
        finally:
            self._timed("encode", started)

    def reference(self, photo_jp2: bytes | bytearray) -> np.ndarray:
        self._in_reference = True
        try:
            return super().reference(photo_jp2)
        finally:
            self._in_reference = False


class _TimedMatcher:
    """A Matcher that times what the worker asks of the real one: the card photo (begin) and
    each frame (feed, by the phase the check is in after it)."""

    def __init__(self, inner: Matcher) -> None:
        self.inner = inner
        self.policy = inner.policy
        self.frames: defaultdict[str, list[float]] = defaultdict(list)
        self.card_photo: list[float] = []

    def begin(
        self, card_photo: bytes | bytearray, *, liveness_required: bool, rng: random.Random | None
    ) -> None:
        started = time.perf_counter()
        try:
            self.inner.begin(card_photo, liveness_required=liveness_required, rng=rng)
        finally:
            self.card_photo.append(time.perf_counter() - started)

    def feed(self, image: np.ndarray, now: float) -> Guidance | FaceDecision:
        started = time.perf_counter()
        result = self.inner.feed(image, now)
        phase = result.phase.value if isinstance(result, Guidance) else "decision"
        self.frames[phase].append(time.perf_counter() - started)
        return result

    def abort(self, reason: str, now: float) -> FaceDecision:
        return self.inner.abort(reason, now)

    def end(self) -> None:
        self.inner.end()


@dataclass(frozen=True)
class TrialResult:
    trial: Trial
    asked: tuple[Turn, ...]
    decision: FaceDecision
    wall_seconds: float

    @property
    def accepted(self) -> bool:
        return self.decision.outcome is Outcome.MATCHED

    def to_dict(self) -> dict[str, Any]:
        d = self.decision
        return {
            "id": self.trial.id,
            "class": self.trial.kind,
            "attack": self.trial.attack,
            "claimed": self.trial.claimed,
            "live": self.trial.live,
            "asked": [t.name for t in self.asked],
            "outcome": d.outcome.value,
            "reason": d.reason,
            "score": d.score,
            "frames_used": d.frames_used,
            "video_seconds": d.seconds,
            "wall_seconds": self.wall_seconds,
            "challenge": [
                {"turn": r.turn.name, "passed": r.passed, "peak": r.peak, "seconds": r.seconds, "why": r.why}
                for r in d.challenge
            ],
            "quality": dict(d.quality_reasons),
        }


@dataclass
class ClipScores:
    """The frame-level pass over one clip: distances of its good frames to each card."""

    frames: int = 0  # frames looked at (every `frame_step`-th)
    with_face: int = 0
    good: int = 0  # passed the quality gate: these were encoded
    distances: dict[Path, list[float]] = field(default_factory=dict)
    offsets: list[float | None] = field(default_factory=list)
    good_flags: list[bool] = field(default_factory=list)
    good_offsets: list[float] = field(default_factory=list)  # parallel to each distances list


def run_trial(trial: Trial, matcher: Matcher, *, liveness_required: bool) -> TrialResult:
    asked = drawn_challenge(trial.challenge_seed, matcher.policy) if liveness_required else ()
    photo = bytearray(trial.card.read_bytes())
    started = time.perf_counter()
    try:
        with Capture(str(trial.clip), realtime=False) as capture:
            worker = FaceCheckWorker(
                capture,
                matcher,
                photo,
                liveness_required=liveness_required,
                rng=random.Random(trial.challenge_seed),  # noqa: S311  (reproducible, see drawn_challenge)
                frame_timeout=FRAME_TIMEOUT,
            ).start()
            try:
                decision = worker.wait(TRIAL_TIMEOUT)
            except TimeoutError:
                worker.cancel("evaluation timeout")
                decision = worker.wait(FRAME_TIMEOUT)
    finally:
        photo[:] = bytes(len(photo))
    return TrialResult(trial, asked, decision, time.perf_counter() - started)


def score_clip(
    pipeline: FacePipeline, clip: Path, references: dict[Path, np.ndarray], frame_step: int
) -> ClipScores:
    """Encode every `frame_step`-th frame of `clip` that passes the quality gate (as the check's
    matching step does) and measure it against each reference."""
    scores = ClipScores(distances={card: [] for card in references})
    with Capture(str(clip), realtime=False) as capture:
        stream = capture.frames(timeout=FRAME_TIMEOUT)
        try:
            for frame in stream:
                if frame.seq % frame_step == 0:
                    _score_frame(pipeline, frame.image, references, scores)
                del frame  # the last reference wipes the pixels
        finally:
            stream.close()
    return scores


def _score_frame(
    pipeline: FacePipeline, bgr: np.ndarray, references: dict[Path, np.ndarray], scores: ClipScores
) -> None:
    scores.frames += 1
    grey = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    rgb: np.ndarray | None = None
    encoding: np.ndarray | None = None
    try:
        faces = pipeline.detect(grey)
        if not faces:
            scores.offsets.append(None)
            scores.good_flags.append(False)
            return
        scores.with_face += 1
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        observation = pipeline.observe(rgb, faces[0], encode=False)
        ok = assess(grey, faces, observation.landmarks, pipeline.policy).ok
        scores.offsets.append(observation.landmarks.yaw_offset)
        scores.good_flags.append(ok)
        if ok:
            scores.good += 1
            scores.good_offsets.append(observation.landmarks.yaw_offset)
            encoding = pipeline.encode(rgb, observation)
            for card, reference in references.items():
                scores.distances[card].append(distance(encoding, reference))
    finally:
        wipe(grey, rgb, encoding)


@dataclass
class Report:
    set_dir: Path
    policy: FacePolicy
    liveness_required: bool
    frame_step: int
    matcher: str
    environment: dict[str, Any]
    results: list[TrialResult]
    frame_scores: dict[str, list[float]]  # group → distances of good frames, per distinct (clip, card)
    frontal_scores: dict[str, list[float]]  # the same, frames within half a turn of frontal only
    pairs: dict[str, int]  # group → distinct (clip, card) pairs scored
    reach: dict[str, list[float]]  # "live toward asked side" / per attack group: yaw change reached
    calls: dict[str, list[float]]
    frames: dict[str, list[float]]
    seconds: float

    # -- derived -------------------------------------------------------------------------------

    def scores(self, group: str) -> list[float | None]:
        return [r.decision.score for r in self.results if r.trial.group == group]

    def rates(self, threshold: float) -> dict[str, Rate]:
        fs, front = self.frame_scores, self.frontal_scores
        return {
            "frame_fmr": false_match(fs[IMPOSTOR], threshold),
            "frame_fnmr": false_non_match(fs[GENUINE], threshold),
            "frontal_fmr": false_match(front[IMPOSTOR], threshold),
            "frontal_fnmr": false_non_match(front[GENUINE], threshold),
            "decision_fmr": false_match(self.scores(IMPOSTOR), threshold),
            "decision_fnmr": false_non_match(self.scores(GENUINE), threshold),
        }

    def apcer(self) -> dict[str, Rate]:
        acc = attack_acceptance(
            (r.trial.attack, r.accepted) for r in self.results if r.trial.attack is not None
        )
        return {kind: acc[kind] for kind in ATTACK_TYPES if kind in acc}

    def genuine_rejected(self) -> Rate:
        genuine = [r for r in self.results if r.trial.kind == GENUINE]
        return Rate(sum(1 for r in genuine if not r.accepted), len(genuine))

    def bpcer(self) -> Rate:
        """ISO/IEC 30107-3 BPCER: bona fide (genuine) presentations classified as attacks."""
        genuine = [r for r in self.results if r.trial.kind == GENUINE]
        suspected = sum(1 for r in genuine if r.decision.outcome is Outcome.ATTACK_SUSPECTED)
        return Rate(suspected, len(genuine))

    def impostor_accepted(self) -> Rate:
        impostor = [r for r in self.results if r.trial.kind == IMPOSTOR]
        return Rate(sum(1 for r in impostor if r.accepted), len(impostor))

    def outcomes(self) -> dict[tuple[str, str], Counter[str]]:
        """(group, live identity) → "outcome: reason" counts."""
        table: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
        for r in self.results:
            table[(r.trial.group, r.trial.live)][f"{r.decision.outcome.value}: {r.decision.reason}"] += 1
        return dict(sorted(table.items(), key=lambda kv: (GROUPS.index(kv[0][0]), kv[0][1])))

    def fused_range(self, group: str, live: str) -> tuple[float, float] | None:
        scores = _present(
            r.decision.score for r in self.results if (r.trial.group, r.trial.live) == (group, live)
        )
        return (min(scores), max(scores)) if scores else None

    def to_dict(self) -> dict[str, Any]:
        p = self.policy
        summary = {g: _summary_dict(Summary.of(self.frame_scores[g])) for g in GROUPS}
        return {
            "format": FORMAT,
            "set": str(self.set_dir),
            "liveness_required": self.liveness_required,
            "frame_step": self.frame_step,
            "matcher": self.matcher,
            "policy": {
                "match_threshold": p.match_threshold,
                "replay_distance": p.replay_distance,
                "frames_to_fuse": p.frames_to_fuse,
                "challenge_turns": p.challenge_turns,
                "turn_threshold": p.turn_threshold,
                "turn_timeout": p.turn_timeout,
            },
            "environment": self.environment,
            "trials": len(self.results),
            "frame_distances": {
                g: {
                    "pairs": self.pairs.get(g, 0),
                    "summary": summary[g],
                    "at_or_below_threshold": false_match(self.frame_scores[g], p.match_threshold).to_dict(),
                    "below_replay_distance": _below(self.frame_scores[g], p.replay_distance).to_dict(),
                    "histogram": histogram(self.frame_scores[g]),
                }
                for g in GROUPS
            },
            "histogram_step": HISTOGRAM_STEP,
            "frontal_distances": {g: _summary_dict(Summary.of(self.frontal_scores[g])) for g in GROUPS},
            "fused_scores": {g: _summary_dict(Summary.of(_present(self.scores(g)))) for g in GROUPS},
            "at_threshold": {k: v.to_dict() for k, v in self.rates(p.match_threshold).items()},
            "sweep": [{"threshold": t, **{k: v.to_dict() for k, v in self.rates(t).items()}} for t in SWEEP],
            "apcer": {k: v.to_dict() for k, v in self.apcer().items()},
            "bpcer": self.bpcer().to_dict(),
            "genuine_not_matched": self.genuine_rejected().to_dict(),
            "impostor_matched": self.impostor_accepted().to_dict(),
            "outcomes": [
                {"group": g, "live": who, "counts": dict(c), "fused_range": self.fused_range(g, who)}
                for (g, who), c in self.outcomes().items()
            ],
            "turn_reach": {k: _summary_dict(Summary.of(v)) for k, v in self.reach.items()},
            "latency_ms": {
                "feed_by_phase": {
                    k: _summary_dict(Summary.of(_ms(v))) for k, v in sorted(self.frames.items())
                },
                "feed_all": _summary_dict(Summary.of(_ms([s for v in self.frames.values() for s in v]))),
                "calls": {k: _summary_dict(Summary.of(_ms(v))) for k, v in sorted(self.calls.items())},
            },
            "decision_wall_seconds": {
                g: _summary_dict(Summary.of([r.wall_seconds for r in self.results if r.trial.group == g]))
                for g in GROUPS
            },
            "decision_video_seconds": {
                g: _summary_dict(Summary.of([r.decision.seconds for r in self.results if r.trial.group == g]))
                for g in GROUPS
            },
            "run_seconds": self.seconds,
            "results": [r.to_dict() for r in self.results],
        }


def run_set(
    evalset: EvalSet,
    *,
    liveness_required: bool = True,
    frame_step: int = 1,
    policy: FacePolicy = DEFAULT_POLICY,
    models: FaceModels | None = None,
    matcher: str = "local",
    progress: Callable[[str], None] | None = None,
) -> Report:
    """`matcher`: "local" matches on the worker's thread in this process, which times detection,
    landmarks and encoding apart; "process" in a `ProcessMatcher` child as the kiosk does, so the
    per-frame time includes the pipe. The decisions are the same code either way."""
    if matcher not in MATCHERS:
        raise ValueError(f"matcher must be one of {MATCHERS}")
    if frame_step < 1:
        raise ValueError("frame_step must be ≥ 1")
    if liveness_required:  # a stale label (say, after a change of challenge_turns) would mislead
        wrong = [
            t.id
            for t in evalset.trials
            if t.challenge is not None and drawn_challenge(t.challenge_seed, policy) != t.challenge
        ]
        if wrong:
            raise EvalSetError(
                f"{len(wrong)} trial(s) label a challenge their seed does not draw under this policy "
                f"(first: {wrong[0]}); rebuild the set"
            )
    models = models or default_models()
    environment = describe_environment()
    began = time.perf_counter()
    timed = _TimedPipeline(models, policy)
    say = progress or (lambda _text: None)
    results = []
    with contextlib.ExitStack() as stack:
        if matcher == "process":
            inner: Matcher = stack.enter_context(ProcessMatcher(policy))
        else:
            inner = LocalMatcher(timed)
        timed_matcher = _TimedMatcher(inner)
        for i, trial in enumerate(evalset.trials, 1):
            say(f"trial {i}/{len(evalset.trials)} {trial.id}")
            results.append(run_trial(trial, timed_matcher, liveness_required=liveness_required))

    plain = FacePipeline(models, policy)
    cards = sorted({t.card for t in evalset.trials})
    references = {card: plain.reference(card.read_bytes()) for card in cards}
    by_clip: dict[Path, list[Trial]] = defaultdict(list)
    for trial in evalset.trials:
        by_clip[trial.clip].append(trial)
    frame_scores: dict[str, list[float]] = {g: [] for g in GROUPS}
    frontal_scores: dict[str, list[float]] = {g: [] for g in GROUPS}
    pairs: Counter[str] = Counter()
    reach: dict[str, list[float]] = defaultdict(list)
    try:
        for i, (clip, trials) in enumerate(sorted(by_clip.items()), 1):
            say(f"frames {i}/{len(by_clip)} {clip.name}")
            wanted = {t.card: references[t.card] for t in trials}
            scores = score_clip(plain, clip, wanted, frame_step)
            # One distribution entry per distinct (clip, card, group): a replay asked 4 ways is one clip.
            facing = frontal(scores.good_offsets, policy.frames_to_fuse, policy.turn_threshold)
            for card, group in sorted({(t.card, t.group) for t in trials}):
                frame_scores[group] += scores.distances[card]
                frontal_scores[group] += [d for d, f in zip(scores.distances[card], facing, strict=True) if f]
                pairs[group] += 1
            _collect_reach(trials, scores, policy, reach)
    finally:
        wipe(*references.values())
    return Report(
        set_dir=evalset.root,
        policy=policy,
        liveness_required=liveness_required,
        frame_step=frame_step,
        matcher=matcher,
        environment=environment,
        results=results,
        frame_scores=frame_scores,
        frontal_scores=frontal_scores,
        pairs=dict(pairs),
        reach=dict(reach),
        calls={"card_photo": timed_matcher.card_photo, **timed.calls},
        frames=dict(timed_matcher.frames),
        seconds=time.perf_counter() - began,
    )


def _collect_reach(
    trials: list[Trial], scores: ClipScores, policy: FacePolicy, reach: dict[str, list[float]]
) -> None:
    """Live clips: the change reached toward each side the person turned to (the challenge needs
    `turn_threshold`). Attacks: the larger change either way, all a picture or a replay offers."""
    got = turn_reach(scores.offsets, scores.good_flags, policy.frames_to_fuse)
    trial = trials[0]  # the trials of one clip share its content
    if not got:
        return
    if trial.kind == ATTACK:
        reach[f"{ATTACK}:{trial.attack} (either side)"].append(max(got.values()))
    else:
        reach["live (each side turned to)"] += [got[turn] for turn in Turn if turn in trial.turns]


def describe_environment() -> dict[str, Any]:
    cpu = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            cpu = next((line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), "")
    except OSError:
        pass
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu": cpu,
        "load_average": None if load is None else [round(v, 2) for v in load],
        "platform": platform.platform(),
        "python": platform.python_version(),
        "dlib": dlib.__version__,
        "opencv": cv2.__version__,
        "numpy": np.__version__,
    }


def _present(values: Iterable[float | None]) -> list[float]:
    return [v for v in values if v is not None]


def _below(values: Sequence[float], limit: float) -> Rate:
    return Rate(sum(1 for v in values if v < limit), len(values))


def _ms(seconds: Iterable[float]) -> list[float]:
    return [1000 * s for s in seconds]


def _summary_dict(summary: Summary | None) -> dict[str, float | int] | None:
    if summary is None:
        return None
    return {k: getattr(summary, k) for k in ("count", "min", "p5", "median", "p95", "max")}


# ------------------------------------------------------------------------------ text output


def format_report(report: Report) -> str:
    sections = (_header, _frame_section, _fused_section, _rates_section, _decision_section)
    parts = [section(report) for section in (*sections, _reach_section, _latency_section)]
    return "\n\n".join("\n".join(line.rstrip() for line in lines) for lines in parts)


def _header(report: Report) -> list[str]:
    p, env = report.policy, report.environment
    return [
        f"Face check evaluation: {report.set_dir} ({len(report.results)} trials, {FORMAT})",
        f"policy: match_threshold {p.match_threshold:.2f}, replay_distance {p.replay_distance:.2f}, "
        f"frames_to_fuse {p.frames_to_fuse}, {p.challenge_turns} turns of {p.turn_threshold:.2f} "
        f"within {p.turn_timeout:.0f} s; liveness {'required' if report.liveness_required else 'off'}; "
        f"{report.matcher} matcher",
        f"machine: {env['cpus']} CPUs ({env['cpu'] or 'unknown'}), load {env['load_average']}, "
        f"{env['platform']}, Python {env['python']}, dlib {env['dlib']}, OpenCV {env['opencv']}, "
        f"numpy {env['numpy']}; {env['date']}; run {report.seconds:.0f} s",
    ]


def _frame_section(report: Report) -> list[str]:
    p = report.policy
    step = "" if report.frame_step == 1 else f", 1 frame in {report.frame_step}"
    lines = [
        f"1. Frame-level distance to the card photo (frames passing the quality gate{step})",
        f"   {'group':<18}{'pairs':>6}{'frames':>8}{'min':>7}{'p5':>7}{'median':>8}{'p95':>7}{'max':>7}"
        f"{'<=thr':>8}{'<replay':>9}",
    ]
    for g in GROUPS:
        values = report.frame_scores[g]
        s = Summary.of(values)
        at = false_match(values, p.match_threshold).value
        low = _below(values, p.replay_distance).value
        if s is None or at is None or low is None:
            cells = f"{'-':>7}" * 5 + f"{'-':>8}{'-':>9}"
        else:
            cells = (
                f"{s.min:>7.3f}{s.p5:>7.3f}{s.median:>8.3f}{s.p95:>7.3f}{s.max:>7.3f}{at:>8.1%}{low:>9.1%}"
            )
        lines.append(f"   {g:<18}{report.pairs.get(g, 0):>6}{len(values):>8}{cells}")
    for g in (GENUINE, IMPOSTOR):  # the frames the check encodes: near its frontal baseline
        values = report.frontal_scores[g]
        s = Summary.of(values)
        at = false_match(values, p.match_threshold).value
        if s is not None and at is not None:
            lines.append(
                f"   {g + ', frontal':<18}{'':>6}{len(values):>8}{s.min:>7.3f}{s.p5:>7.3f}{s.median:>8.3f}"
                f"{s.p95:>7.3f}{s.max:>7.3f}{at:>8.1%}"
            )
    lines.append(
        f"   (frontal: within {p.turn_threshold / 2:.3f} yaw offset of the clip's frontal baseline, as the "
        "frames the check encodes)"
    )
    hist = {g: histogram(report.frame_scores[g]) for g in GROUPS}
    used = [k for k in range(len(hist[GENUINE])) if any(hist[g][k] for g in GROUPS)]
    heads = ("gen", "imp", "same", "print", "card", "replay")
    lines += [
        "",
        f"   histogram, bins of {HISTOGRAM_STEP}; bars: genuine g, impostor i, each scaled to its own peak",
        f"   {'bin':<11}{'':<22}{'':<22}" + "".join(f"{h:>7}" for h in heads),
    ]
    peak_g, peak_i = max(hist[GENUINE]) or 1, max(hist[IMPOSTOR]) or 1
    for k in range(used[0], used[-1] + 1) if used else ():
        lo = k * HISTOGRAM_STEP
        label = f"{lo:.2f}-{lo + HISTOGRAM_STEP:.2f}" if k < len(hist[GENUINE]) - 1 else f">={lo:.2f}"
        bar_g = "g" * math.ceil(20 * hist[GENUINE][k] / peak_g)
        bar_i = "i" * math.ceil(20 * hist[IMPOSTOR][k] / peak_i)
        lines.append(f"   {label:<11}{bar_g:<22}{bar_i:<22}" + "".join(f"{hist[g][k]:>7}" for g in GROUPS))
    return lines


def _fused_section(report: Report) -> list[str]:
    lines = [
        f"2. Fused decision score per trial (median of {report.policy.frames_to_fuse} good frames)",
        f"   {'group':<18}{'trials':>7}{'scored':>7}{'min':>7}{'median':>8}{'max':>7}",
    ]
    for g in GROUPS:
        scores = report.scores(g)
        s = Summary.of(_present(scores))
        cells = f"{s.min:>7.3f}{s.median:>8.3f}{s.max:>7.3f}" if s else f"{'-':>7}{'-':>8}{'-':>7}"
        lines.append(f"   {g:<18}{len(scores):>7}{len(_present(scores)):>7}{cells}")
    return lines


def _rates_section(report: Report) -> list[str]:
    threshold = report.policy.match_threshold
    lines = [f"3. FMR / FNMR, a match being distance <= threshold; policy threshold {threshold:.2f}"]
    names = {
        "frame_fmr": "frame FMR",
        "frame_fnmr": "frame FNMR",
        "frontal_fmr": "frontal FMR",
        "frontal_fnmr": "frontal FNMR",
        "decision_fmr": "trial FMR",
        "decision_fnmr": "trial FNMR",
    }
    lines += [f"   {names[k]:<13} {rate}" for k, rate in report.rates(threshold).items()]
    lines.append(f"   {'sweep':<7}" + "".join(f"{names[k]:<16}" for k in names))
    for t in SWEEP:
        rates = report.rates(t)
        lines.append(f"   {t:<7.2f}" + "".join(f"{_short(rates[k]):<16}" for k in names))
    return lines


def _decision_section(report: Report) -> list[str]:
    lines = [f"4. Decisions (liveness {'required' if report.liveness_required else 'off'})"]
    lines += [f"   APCER {kind:<11} {rate}" for kind, rate in report.apcer().items()]
    lines += [
        f"   BPCER (genuine -> attack suspected) {report.bpcer()}",
        f"   genuine not matched                 {report.genuine_rejected()}",
        f"   impostor matched                    {report.impostor_accepted()}",
        "   outcomes by group and live identity (fused score range):",
    ]
    for (g, who), counts in report.outcomes().items():
        text = "; ".join(f"{k} x{n}" for k, n in sorted(counts.items()))
        span = report.fused_range(g, who)
        fused = f"{span[0]:.3f}-{span[1]:.3f}" if span else "-"
        lines.append(f"     {g:<18}{who:<10}{sum(counts.values()):>3}  fused {fused:<12} {text}")
    return lines


def _reach_section(report: Report) -> list[str]:
    p = report.policy
    lines = [
        "5. Head-turn reach: largest yaw-offset change from the frontal baseline "
        f"(a turn counts at {p.turn_threshold:.2f})"
    ]
    for name, values in sorted(report.reach.items()):
        s = Summary.of(values)
        if s:
            lines.append(
                f"   {name:<34} n {s.count:>3}  min {s.min:.3f}  median {s.median:.3f}  max {s.max:.3f}"
            )
    return lines


def _latency_section(report: Report) -> list[str]:
    lines = ["6. Latency, wall clock on this machine (the check itself runs on video time)"]
    every = [v for vs in report.frames.values() for v in vs]
    for phase, values in [*sorted(report.frames.items()), ("all", every)]:
        s = Summary.of(_ms(values))
        if s:
            lines.append(
                f"   feed, {phase:<12} frames {s.count:>5}  median {s.median:6.1f} ms  "
                f"p95 {s.p95:6.1f} ms  max {s.max:6.1f} ms"
            )
    for name, values in sorted(report.calls.items()):
        s = Summary.of(_ms(values))
        if s:
            lines.append(
                f"   call {name:<13} calls {s.count:>5}  median {s.median:6.1f} ms  p95 {s.p95:6.1f} ms"
            )
    lines.append(f"   {'per trial':<18}{'trials':>7}{'wall median':>13}{'wall max':>10}{'video median':>14}")
    for g in GROUPS:
        mine = [r for r in report.results if r.trial.group == g]
        wall = Summary.of([r.wall_seconds for r in mine])
        video = Summary.of([r.decision.seconds for r in mine])
        if wall and video:
            lines.append(
                f"   {g:<18}{len(mine):>7}{wall.median:>11.2f} s{wall.max:>8.2f} s{video.median:>12.2f} s"
            )
    return lines


def _short(rate: Rate) -> str:
    return f"{rate.errors}/{rate.total}" + (f" {rate.value:.1%}" if rate.value is not None else "")


def evaluate(set_dir: Path, *, liveness_required: bool, frame_step: int, matcher: str, as_json: bool) -> str:
    """What `kiosk face eval` prints."""
    evalset = EvalSet.load(set_dir)
    progress = (lambda text: print(text, file=sys.stderr, flush=True)) if sys.stderr.isatty() else None
    report = run_set(
        evalset,
        liveness_required=liveness_required,
        frame_step=frame_step,
        matcher=matcher,
        progress=progress,
    )
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) if as_json else format_report(report)
