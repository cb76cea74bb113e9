"""The face check's speed: per-frame latency and decision time of our pipeline against the naive
face_recognition call on the full frame, and whether the UI's preview keeps its frame rate while
matching runs.

Frames come from synthetic camera clips (facekit/: real MJPG .avi files, 640×480, 15 fps)
written to a temporary directory: a live Obama clip that follows a head-turn script, a live Biden
clip (an impostor against Obama's card photo) and a frontal Obama clip for the preview.

The naive baseline is what `face_recognition.face_locations(img, number_of_times_to_upsample=1)`
followed by `face_recognition.face_encodings(img, locations, num_jitters=1, model="small")` does,
reproduced with dlib directly because importing face_recognition loads the 68-point model
(non-commercial training data, FACE.md §1). In face_recognition 1.3.0 (`api.py`) those two calls
are exactly: `dlib.get_frontal_face_detector()(rgb, 1)` on the full RGB frame; then, per face, the
5-point `dlib.shape_predictor` (model="small") and the ResNet encoder's
`compute_face_descriptor(rgb, shape, 1)`, both loaded from the same face_recognition_models files
as kiosk/facecheck/models.py. The only steps left out are its rect ↔ (top, right, bottom, left)
conversions and bounds trimming, which cost microseconds.

1. Per-frame latency. Ours is what `FaceCheck.feed` does on a good frame while matching: grey
   copy, `FacePipeline.detect` (HOG at half size, no upsampling), RGB copy, `observe` (two 5-point
   fits), the quality gate, `encode`, distance, wipe. Naive: BGR→RGB, detect ×1 upsampling on the
   full frame, 5-point fit, encode. Both on the same frames, interleaved, after a warm-up.
2. Decision time. Ours: wall clock from `FaceCheckWorker.start()` to its FaceDecision, reading the
   clip through `Capture(clip, realtime=False)` (every frame, as fast as the check takes them),
   liveness off and on (the head-turn script follows the challenge drawn from a fixed seed). The
   matcher is the kiosk's: a `ProcessMatcher` started beforehand (as the kiosk does at its start;
   the start is timed on its own), the worker thread sending it every frame over its pipe; the
   same checks with a `LocalMatcher` (matching on the worker thread) show what the process costs.
   One unmeasured check through each warms it up (the first one in the child is reported).
   Naive: the same number of frames read with cv2.VideoCapture, each detected and encoded, the
   decision fused from the median of the first 5 distances as ours; the card photo is encoded the
   same way (upscaled ×2 as ours, so it is found) and counts in both.
3. Preview while matching. A Qt (PySide6, offscreen) QTimer at 30 Hz polls `Capture.latest()` on the
   main thread and shows each new frame as a QPixmap on a QLabel, as the kiosk UI will; the capture
   loops a clip in real time at 30 fps. Measured idle, then while FaceCheckWorker checks run back
   to back: with a `LocalMatcher` (matching on the worker thread, what a plain threaded design
   gives), then with the kiosk's `ProcessMatcher` (the worker thread only feeds the child process
   and waits). A probe thread that sleeps 1 ms and records how late it wakes shows which dlib
   calls hold the GIL — the reason the kiosk matches in a child process.

The machine is shared: CPU used by other processes during each section is printed next to ours
(ours includes the matcher's child process).

    .venv/bin/python bench/bench_face.py
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402
import dlib  # noqa: E402
import numpy as np  # noqa: E402

from facekit import live_clip, read_frames  # noqa: E402
from kiosk.facecheck import liveness  # noqa: E402
from kiosk.facecheck.camera import Capture  # noqa: E402
from kiosk.facecheck.check import FaceDecision, Guidance, Outcome  # noqa: E402
from kiosk.facecheck.liveness import Turn  # noqa: E402
from kiosk.facecheck.matcher import LocalMatcher, Matcher, ProcessMatcher  # noqa: E402
from kiosk.facecheck.models import ENCODER, SHAPE_5, default_models, models_dir  # noqa: E402
from kiosk.facecheck.pipeline import FacePipeline, distance, wipe  # noqa: E402
from kiosk.facecheck.policy import DEFAULT_POLICY  # noqa: E402
from kiosk.facecheck.quality import assess  # noqa: E402
from kiosk.facecheck.worker import FaceCheckWorker  # noqa: E402

CARD_PHOTO = ROOT / "resources" / "faceset" / "obama-card.jp2"
# Turn right (nose to the image's right) at frames 12–20, back, left at 40–48, back: the order
# the worker asks for when its rng draws (RIGHT, LEFT).
CHALLENGE_SCRIPT = ((12, 20, 1.0), (26, 34, 0.0), (40, 48, -1.0), (54, 62, 0.0))
WANTED_TURNS = (Turn.RIGHT, Turn.LEFT)
PREVIEW_HZ = 30.0
CAPTURE_FPS = 30.0  # the clip is replayed at a webcam's rate, twice its recorded 15 fps
PREVIEW_SECONDS = 5.0
STALL = 0.05  # a timer tick this late is a visible hitch in a 30 Hz preview
WARMUP_FRAMES = 3
THREAD_ROW = "matching, LocalMatcher on the thread"
PROCESS_ROW = "matching, ProcessMatcher (kiosk)"


# ---------------------------------------------------------------- helpers


def pct(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f}"


class CpuMeter:
    """Cores busy during a section: the whole machine (/proc/stat), and this process with its
    waited-for children (getrusage) plus the running child processes named (/proc/PID/stat: the
    ProcessMatcher's child, which getrusage counts only once it has exited and been waited for);
    the difference is what other processes took."""

    def __init__(self, children: Sequence[int | None] = ()) -> None:
        self.hz = os.sysconf("SC_CLK_TCK")
        self.children = tuple(pid for pid in children if pid is not None)
        self.start = self._sample()

    @staticmethod
    def _busy_jiffies() -> int:
        with open("/proc/stat", encoding="ascii") as stat:
            fields = [int(v) for v in stat.readline().split()[1:]]
        idle = fields[3] + fields[4]  # idle + iowait
        return sum(fields[:8]) - idle

    def _child_seconds(self) -> dict[int, float]:
        seconds = {}
        for pid in self.children:
            try:
                with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()  # from field 3 (state) on
            except FileNotFoundError:
                continue
            seconds[pid] = (int(fields[11]) + int(fields[12])) / self.hz  # utime, stime
        return seconds

    def _sample(self) -> tuple[float, int, float, dict[int, float]]:
        own = sum(os.times()[:4])  # user, system, children's user, children's system
        return time.monotonic(), self._busy_jiffies(), own, self._child_seconds()

    def report(self) -> str:
        t0, busy0, own0, children0 = self.start
        t1, busy1, own1, children1 = self._sample()
        wall = t1 - t0
        machine = (busy1 - busy0) / self.hz / wall
        children = sum(children1[pid] - children0[pid] for pid in children1 if pid in children0)
        ours = (own1 - own0 + children) / wall
        others = max(0.0, machine - ours)
        text = f"CPU: machine {machine:.2f} cores busy, this bench {ours:.2f}, others ~{others:.2f}"
        if self.children:
            text += " (bench = this process + matcher child)"
        if children0.keys() != children1.keys():
            text += "; a matcher child ended during the section: figures uncertain"
        return text


class Naive:
    """face_recognition 1.3.0's face_locations(img, 1) + face_encodings(img, locs, 1, "small"),
    with the same module-level dlib objects its api.py builds."""

    def __init__(self) -> None:
        base = models_dir()
        self.detector = dlib.get_frontal_face_detector()
        self.pose_predictor_5_point = dlib.shape_predictor(str(base / SHAPE_5))
        self.face_encoder = dlib.face_recognition_model_v1(str(base / ENCODER))

    def face_locations(self, rgb: np.ndarray) -> Any:
        return self.detector(rgb, 1)

    def face_encodings(self, rgb: np.ndarray, rects: Any) -> list[np.ndarray]:
        shapes = [self.pose_predictor_5_point(rgb, rect) for rect in rects]
        return [np.array(self.face_encoder.compute_face_descriptor(rgb, s, 1)) for s in shapes]

    def reference(self, photo: bytes) -> np.ndarray:
        grey = cv2.imdecode(np.frombuffer(photo, np.uint8), cv2.IMREAD_GRAYSCALE)
        big = cv2.resize(grey, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)  # as ours: else missed
        rgb = cv2.cvtColor(big, cv2.COLOR_GRAY2RGB)
        encodings = self.face_encodings(rgb, self.face_locations(rgb))
        if len(encodings) != 1:
            raise RuntimeError(f"naive: {len(encodings)} faces in the card photo")
        return encodings[0]


# ---------------------------------------------------------------- 1. per-frame latency


@dataclass
class FrameTimes:
    detect: list[float] = field(default_factory=list)
    total: list[float] = field(default_factory=list)
    no_face: int = 0


def ours_frame(pipeline: FacePipeline, bgr: np.ndarray, reference: np.ndarray) -> tuple[float, float, bool]:
    """FaceCheck._matching_step's work on a frame (encoding it whatever the quality gate says, so
    every frame costs what a good one does). Returns (detect seconds, total seconds, face found)."""
    start = time.perf_counter()
    grey = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    faces = pipeline.detect(grey)
    detected = time.perf_counter()
    rgb = None
    if faces:
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        observation = pipeline.observe(rgb, faces[0], encode=False)
        assess(grey, faces, observation.landmarks, pipeline.policy)
        encoded = pipeline.encode(rgb, observation)
        distance(encoded, reference)
        wipe(encoded)
    wipe(grey, rgb)
    return detected - start, time.perf_counter() - start, bool(faces)


def naive_frame(naive: Naive, bgr: np.ndarray) -> tuple[float, float, bool]:
    start = time.perf_counter()
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)  # face_recognition takes RGB (load_image_file)
    rects = naive.face_locations(rgb)
    detected = time.perf_counter()
    naive.face_encodings(rgb, rects)
    return detected - start, time.perf_counter() - start, len(rects) > 0


def section_latency(
    pipeline: FacePipeline, naive: Naive, clips: dict[str, Path], reference: np.ndarray
) -> None:
    print("\n1. Per-frame latency, 640×480 frames (ms)", flush=True)
    meter = CpuMeter()
    frames: list[np.ndarray] = []
    for path in clips.values():
        frames += read_frames(path, rgb=False)[::2]  # every other frame: turns, sway and both identities
    for bgr in frames[:WARMUP_FRAMES]:
        ours_frame(pipeline, bgr, reference)
        naive_frame(naive, bgr)
    ours, base = FrameTimes(), FrameTimes()
    for i, bgr in enumerate(frames):
        # Alternate which goes first: the other tenant's load drifts, both see the same drift.
        runs = (
            (ours, lambda b=bgr: ours_frame(pipeline, b, reference)),
            (base, lambda b=bgr: naive_frame(naive, b)),
        )
        for times, run in runs if i % 2 == 0 else reversed(runs):
            detect, total, found = run()
            times.detect.append(detect)
            times.total.append(total)
            times.no_face += not found
    print(f"   {len(frames)} frames ({', '.join(clips)}), each through both, after {WARMUP_FRAMES} warm-up")
    print(f"   {'':52} {'median':>7} {'p95':>7}  {'naive/ours':>10}")
    rows = (
        ("detect: ours, half size grey, upsample 0", ours.detect, base.detect),
        ("detect: naive, full RGB, upsample 1", base.detect, base.detect),
        ("frame: ours (detect, 2×5-pt fit, gate, encode)", ours.total, base.total),
        ("frame: naive face_locations + face_encodings", base.total, base.total),
    )
    for label, values, baseline in rows:
        ratio = statistics.median(baseline) / statistics.median(values)
        print(f"   {label:52} {ms(statistics.median(values))} {ms(pct(values, 95))}  {ratio:9.2f}×")
    print(f"   frames without a face: ours {ours.no_face}, naive {base.no_face}")
    encode_share = statistics.median(ours.total) - statistics.median(ours.detect)
    print(f"   {meter.report()}")
    print(
        f"   → ours is {statistics.median(base.total) / statistics.median(ours.total):.2f}× faster per frame;"
        f" detection alone {statistics.median(base.detect) / statistics.median(ours.detect):.1f}×;"
        f" landmarks + encoding (~{encode_share * 1000:.0f} ms, the same work in both) now dominate"
    )


# ---------------------------------------------------------------- 2. decision time


def challenge_seed() -> int:
    """The first seed whose rng makes the worker ask for WANTED_TURNS (the clip's script)."""
    for seed in range(1000):
        if liveness.new_challenge(random.Random(seed), DEFAULT_POLICY) == WANTED_TURNS:
            return seed
    raise RuntimeError("no seed gives the wanted turns")


def decide_ours(
    matcher: Matcher, clip: Path, photo: bytes, *, liveness_required: bool, seed: int
) -> tuple[float, int, FaceDecision]:
    """One check as the kiosk runs it: FaceCheckWorker reading the clip, matching in `matcher`.
    Returns (seconds, frames fed, decision)."""
    fed = 0

    def count(update: Guidance | FaceDecision) -> None:
        nonlocal fed
        fed += 1  # one update per frame fed: Guidance, or the decision for the last one

    with Capture(str(clip), realtime=False) as capture:
        start = time.perf_counter()
        worker = FaceCheckWorker(
            capture,
            matcher,
            photo,
            liveness_required=liveness_required,
            listener=count,
            rng=random.Random(seed),
        ).start()
        decision = worker.wait(120)
        seconds = time.perf_counter() - start
    return seconds, fed, decision


def decide_naive(naive: Naive, clip: Path, photo: bytes, frames: int) -> tuple[float, bool, float]:
    """The naive check on the first `frames` frames: every one detected and encoded, the decision
    from the median distance of the first frames_to_fuse faces. Returns (seconds, matched, fused)."""
    start = time.perf_counter()
    reference = naive.reference(photo)
    distances: list[float] = []
    capture = cv2.VideoCapture(str(clip))
    try:
        for _ in range(frames):
            ok, bgr = capture.read()
            if not ok:
                raise RuntimeError(f"{clip}: fewer than {frames} frames")
            rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            encodings = naive.face_encodings(rgb, naive.face_locations(rgb))
            if encodings:
                distances.append(distance(encodings[0], reference))
    finally:
        capture.release()
    fused = sorted(distances[: DEFAULT_POLICY.frames_to_fuse])[DEFAULT_POLICY.frames_to_fuse // 2]
    return time.perf_counter() - start, fused <= DEFAULT_POLICY.match_threshold, fused


def section_decision(
    pipeline: FacePipeline,
    naive: Naive,
    clip: Path,
    photo: bytes,
    *,
    process: ProcessMatcher,
    started_in: float,
) -> None:
    seed = challenge_seed()
    print(
        f"\n2. Decision time, genuine clip {clip.name} (s; liveness turns from random.Random({seed}))",
        flush=True,
    )
    matchers: dict[str, Matcher] = {"process": process, "local": LocalMatcher(pipeline)}
    # Warm-up: the child has loaded its models but not yet run them (the kiosk's first check).
    cold = {
        name: decide_ours(matcher, clip, photo, liveness_required=False, seed=seed)[0]
        for name, matcher in matchers.items()
    }
    print(
        f"   ProcessMatcher: start (spawn, imports, models) {started_in:.2f} s, beforehand as in the kiosk;"
        f" its first check {cold['process']:.2f} s (LocalMatcher's first, warm from section 1:"
        f" {cold['local']:.2f} s), left out below"
    )
    meter = CpuMeter(children=(process.pid,))
    print(
        f"   {'':34} {'frames':>6} {'process':>7} {'local':>7} {'naive':>7}"
        f"  {'naive/process':>13}  decision (process)"
    )
    totals: dict[str, list[float]] = {"process": [], "local": []}
    for liveness_required, runs_ours, runs_naive in ((False, 3, 3), (True, 2, 2)):
        times: dict[str, list[float]] = {name: [] for name in matchers}
        outcomes: dict[str, tuple[int, FaceDecision]] = {}
        for i in range(runs_ours):
            # Alternate which goes first: the other tenant's load drifts, both see the same drift.
            order = list(matchers.items()) if i % 2 == 0 else list(reversed(matchers.items()))
            for name, matcher in order:
                seconds, fed, decision = decide_ours(
                    matcher, clip, photo, liveness_required=liveness_required, seed=seed
                )
                times[name].append(seconds)
                outcomes[name] = (fed, decision)
        for name, (_, decision) in outcomes.items():
            if decision.outcome is not Outcome.MATCHED:
                raise RuntimeError(f"our check ({name} matcher) did not match the genuine clip: {decision}")
        fed, decision = outcomes["process"]
        if outcomes["local"][0] != fed:
            print(f"   (the local matcher took {outcomes['local'][0]} frames, the process {fed})")
        naive_times = []
        for _ in range(runs_naive):
            seconds, matched, fused = decide_naive(naive, clip, photo, fed)
            naive_times.append(seconds)
            if not matched:
                raise RuntimeError(f"the naive check did not match the genuine clip: {fused:.3f}")
        process_s, local_s = statistics.median(times["process"]), statistics.median(times["local"])
        naive_s = statistics.median(naive_times)
        totals["process"].append(process_s)
        totals["local"].append(local_s)
        label = f"liveness {'on ' if liveness_required else 'off'} (median of {runs_ours} / {runs_naive})"
        ratio = naive_s / process_s
        print(
            f"   {label:34} {fed:6d} {process_s:7.2f} {local_s:7.2f} {naive_s:7.2f}  {ratio:12.2f}×"
            f"  {decision.outcome.value}, {decision.reason}, score {decision.score:.3f},"
            f" {decision.frames_used} encoded for fusion"
        )
    print(f"   {meter.report()}")
    overhead = [p / q - 1 for p, q in zip(totals["process"], totals["local"], strict=True)]
    print(
        "   → with liveness on, most frames are landmarked only (encoding every 3rd frontal one),"
        " so the gap widens against a pipeline that encodes every frame; the child process (frames"
        f" sent as bytes over its pipe) changes the decision time by {overhead[0] * 100:+.0f}% /"
        f" {overhead[1] * 100:+.0f}% (liveness off / on) against matching on the worker thread"
    )


# ---------------------------------------------------------------- 3. preview while matching


@dataclass(frozen=True)
class PreviewStats:
    seconds: float
    shown: int  # distinct frames put on the label
    captured: int  # frames the capture thread published meanwhile
    intervals: tuple[float, ...]  # between timer ticks
    checks: int = 0
    fed: int = 0

    @property
    def fps(self) -> float:
        return self.shown / self.seconds

    @property
    def capture_fps(self) -> float:
        return self.captured / self.seconds

    @property
    def stalls(self) -> int:
        return sum(i > STALL for i in self.intervals)


class Preview:
    """The UI's preview: a QTimer on the Qt main thread polls Capture.latest() and shows each new
    frame. PySide6 is imported here only, so the matcher process (spawn) does not load Qt."""

    def __init__(self, capture: Capture) -> None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        from PySide6.QtCore import Qt, QTimer  # noqa: TID251 - the bench stands in for kiosk/ui
        from PySide6.QtGui import QImage, QPixmap  # noqa: TID251
        from PySide6.QtWidgets import QApplication, QLabel  # noqa: TID251

        self._qimage, self._qpixmap, self._qtimer = QImage, QPixmap, QTimer
        self.app = QApplication.instance() or QApplication([])
        self.capture = capture
        self.label = QLabel()
        self.label.resize(640, 480)
        self.label.show()
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(round(1000 / PREVIEW_HZ))
        self.timer.timeout.connect(self._tick)
        self.ticks: list[float] = []
        self.last_seq = -1
        self.shown = 0

    def _tick(self) -> None:
        self.ticks.append(time.perf_counter())
        frame = self.capture.latest()
        if frame is None or frame.seq == self.last_seq:
            return
        self.last_seq = frame.seq
        image = frame.image  # BGR; the Frame stays referenced until the pixmap has copied it
        height, width = image.shape[:2]
        qimage = self._qimage(image.data, width, height, image.strides[0], self._qimage.Format.Format_BGR888)
        self.label.setPixmap(self._qpixmap.fromImage(qimage))
        self.shown += 1

    def measure(self, seconds: float) -> PreviewStats:
        self.ticks.clear()
        self.shown = 0
        first = self.capture.latest()
        first_seq = first.seq if first else 0
        del first
        start = time.perf_counter()
        self.timer.start()
        self._qtimer.singleShot(round(seconds * 1000), self.app.quit)
        self.app.exec()
        self.timer.stop()
        elapsed = time.perf_counter() - start
        last = self.capture.latest()
        captured = (last.seq if last else 0) - first_seq
        del last
        intervals = tuple(b - a for a, b in zip(self.ticks, self.ticks[1:], strict=False))
        return PreviewStats(elapsed, self.shown, captured, intervals)


class Checks:
    """Checks back to back on FaceCheckWorker threads, as the kiosk runs them, matching in the
    given matcher."""

    def __init__(self, capture: Capture, matcher: Matcher, photo: bytes) -> None:
        self.capture, self.matcher, self.photo = capture, matcher, photo
        self.checks = self.fed = 0
        self.failed: list[FaceDecision] = []  # finished checks that did not match (none expected)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-checks", daemon=True)

    def _count(self, update: Guidance | FaceDecision) -> None:
        self.fed += 1  # one update per frame fed

    def _run(self) -> None:
        seed = 0
        while not self._stop.is_set():
            seed += 1
            worker = FaceCheckWorker(
                self.capture,
                self.matcher,
                self.photo,
                liveness_required=False,
                listener=self._count,
                # Explicit, as every caller in the repository passes one: the worker's default
                # (random.SystemRandom) cannot be pickled to the ProcessMatcher's child.
                rng=random.Random(seed),
            ).start()
            while not self._stop.is_set():
                try:
                    decision = worker.wait(0.05)
                except TimeoutError:
                    continue
                self.checks += 1
                if decision.outcome is not Outcome.MATCHED:
                    self.failed.append(decision)
                break
            else:
                worker.cancel("bench over")
                worker.wait(30)

    def start(self) -> Checks:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(30)


@dataclass(frozen=True)
class GilRow:
    call: str
    seconds: float  # median duration
    worst_wake: float  # worst lateness of the 1 ms sleeper during the call


def gil_probe(calls: Sequence[tuple[str, Callable[[], object]]], repeats: int = 3) -> list[GilRow]:
    """A thread sleeps 1 ms in a loop and records how late it wakes. It needs the GIL to wake:
    a call that holds the GIL delays it by the call's whole length, one that releases it by
    ~nothing (a pure-Python loop: by the 5 ms switch interval)."""
    wakes: list[float] = []
    stop = threading.Event()

    def sleeper() -> None:
        while not stop.is_set():
            before = time.perf_counter()
            time.sleep(0.001)
            wakes.append(time.perf_counter() - before - 0.001)

    thread = threading.Thread(target=sleeper, daemon=True)
    thread.start()
    rows = []
    try:
        for name, call in calls:
            durations, worst = [], 0.0
            for _ in range(repeats):
                time.sleep(0.01)
                wakes.clear()
                start = time.perf_counter()
                call()
                durations.append(time.perf_counter() - start)
                time.sleep(0.01)  # let a blocked sleeper record its wake-up
                worst = max(worst, *wakes, 0.0)
            rows.append(GilRow(name, statistics.median(durations), worst))
    finally:
        stop.set()
        thread.join(1)
    return rows


def python_loop(seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def section_preview(pipeline: FacePipeline, process: ProcessMatcher, clip: Path, photo: bytes) -> None:
    print(
        f"\n3. Preview while matching: Qt QTimer at {PREVIEW_HZ:.0f} Hz polling Capture.latest(),"
        f" capture looping {clip.name} at {CAPTURE_FPS:.0f} fps, {PREVIEW_SECONDS:.0f} s each",
        flush=True,
    )
    results: dict[str, tuple[PreviewStats, str]] = {}
    with Capture(str(clip), realtime=True, loop=True, fps=CAPTURE_FPS) as capture:
        preview = Preview(capture)
        preview.measure(0.5)  # capture running, Qt's first paint done
        meter = CpuMeter()
        results["idle"] = (preview.measure(PREVIEW_SECONDS), meter.report())

        runs = (
            (THREAD_ROW, LocalMatcher(pipeline)),
            (PROCESS_ROW, process),  # started (models loaded, warmed up) before section 2
        )
        for label, matcher in runs:
            meter = CpuMeter(children=(process.pid,))
            checks = Checks(capture, matcher, photo).start()
            try:
                stats = preview.measure(PREVIEW_SECONDS)
            finally:
                checks.stop()
            if checks.failed:
                raise RuntimeError(
                    f"{label}: {len(checks.failed)} of {checks.checks} checks did not match the"
                    f" frontal clip, first: {checks.failed[0]}"
                )
            results[label] = (
                PreviewStats(
                    stats.seconds, stats.shown, stats.captured, stats.intervals, checks.checks, checks.fed
                ),
                meter.report(),
            )
        preview.label.close()

    idle = results["idle"][0]
    print(
        f"   {'':36} {'preview':>7} {'× idle':>6} {'capture':>7} {'tick p95':>8} {'max':>6}"
        f" {'stalls':>6} {'checks':>6} {'frames':>6}"
    )
    print(
        f"   {'':36} {'fps':>7} {'':>6} {'fps':>7} {'ms':>8} {'ms':>6} {'>50ms':>6} {'done':>6} {'fed/s':>6}"
    )
    for label, (stats, _) in results.items():
        print(
            f"   {label:36} {stats.fps:7.1f} {stats.fps / idle.fps:6.2f} {stats.capture_fps:7.1f}"
            f" {pct(stats.intervals, 95) * 1000:8.1f} {max(stats.intervals) * 1000:6.1f}"
            f" {stats.stalls:6d} {stats.checks:6d} {stats.fed / stats.seconds:6.1f}"
        )
    for label, (_, cpu) in results.items():
        print(f"   {label}: {cpu}")

    # Why: which calls keep the other Python threads (the Qt main thread among them) waiting.
    bgr = read_frames(clip, rgb=False)[0]
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    half = cv2.resize(
        cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY), None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA
    )
    models = pipeline.models
    rect = models.detector(rgb, 0)[0]
    shape = models.shape_5(rgb, rect)
    rows = gil_probe(
        (
            ("time.sleep(0.1) (control)", lambda: time.sleep(0.1)),
            ("pure-Python loop 0.1 s (control)", lambda: python_loop(0.1)),
            ("HOG detect, half grey, upsample 0", lambda: models.detector(half, 0)),
            ("HOG detect, full RGB, upsample 1", lambda: models.detector(rgb, 1)),
            ("5-point shape_predictor", lambda: models.shape_5(rgb, rect)),
            (
                "compute_face_descriptor (encode)",
                lambda: models.encoder.compute_face_descriptor(rgb, shape, 1),
            ),
        )
    )
    held_by: set[str] = set()
    print("\n   GIL probe (a thread sleeping 1 ms: worst wake-up delay during each call, 3 calls each)")
    print(f"   {'':36} {'call ms':>7} {'worst wake ms':>13}  GIL")
    for row in rows:
        held = row.worst_wake > 0.5 * row.seconds and row.worst_wake > 0.02
        verdict = "held for the whole call" if held else "released"
        if held and "control" not in row.call:
            held_by.add(row.call)
        print(f"   {row.call:36} {ms(row.seconds)} {ms(row.worst_wake):>13}  {verdict}")

    thread_stats = results[THREAD_ROW][0]
    process_stats = results[PROCESS_ROW][0]
    holders = [f"{r.call} (~{r.seconds * 1000:.0f} ms)" for r in rows if r.call in held_by]
    why = (
        f"GIL held for whole calls by {', '.join(holders)}: the Qt slot and the capture thread wait"
        if holders
        else "no dlib call holds the GIL"
    )
    print(
        f"   → LocalMatcher on the worker thread: preview {thread_stats.fps / idle.fps:.2f}× idle fps,"
        f" worst UI stall {max(thread_stats.intervals) * 1000:.0f} ms"
        f" (idle {max(idle.intervals) * 1000:.0f} ms); {why}."
    )
    print(
        f"   → ProcessMatcher (the kiosk): preview {process_stats.fps / idle.fps:.2f}× idle fps, worst stall"
        f" {max(process_stats.intervals) * 1000:.0f} ms, {process_stats.stalls} stalls >{STALL * 1000:.0f} ms"
        f" (thread: {thread_stats.stalls}); {process_stats.checks} checks,"
        f" {process_stats.fed / process_stats.seconds:.1f} frames/s matched vs {thread_stats.checks},"
        f" {thread_stats.fed / thread_stats.seconds:.1f} on the thread"
    )


# ---------------------------------------------------------------- main


def environment() -> None:
    model = "?"
    with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as info:
        for line in info:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = os.getloadavg()
    print(
        f"Face check speed — {os.cpu_count()} cores ({model}), usable {len(os.sched_getaffinity(0))};"
        f" load average at start {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} (1 / 5 / 15 min)"
    )
    print(
        f"Python {sys.version.split()[0]}, dlib {dlib.__version__} (AVX {dlib.USE_AVX_INSTRUCTIONS}),"
        f" OpenCV {cv2.__version__}, numpy {np.__version__}, PySide6 {version('PySide6')};"
        f" policy: detect ×{DEFAULT_POLICY.detect_scale} upsample {DEFAULT_POLICY.detect_upsample},"
        f" {DEFAULT_POLICY.frames_to_fuse} frames fused, threshold {DEFAULT_POLICY.match_threshold}"
    )


def main() -> int:
    started = time.perf_counter()
    environment()
    photo = CARD_PHOTO.read_bytes()
    with tempfile.TemporaryDirectory(prefix="bench-face-") as tmp:
        work = Path(tmp)
        print("generating clips …", flush=True)
        challenge = live_clip(work / "obama-challenge.avi", "obama", CHALLENGE_SCRIPT)
        impostor = live_clip(work / "biden-frontal.avi", "biden", (), frames=30)
        frontal = live_clip(work / "obama-frontal.avi", "obama", (), frames=45)
        pipeline = FacePipeline(default_models(), DEFAULT_POLICY)
        naive = Naive()
        reference = pipeline.reference(photo)
        try:
            section_latency(
                pipeline, naive, {"obama live with turns": challenge, "biden impostor": impostor}, reference
            )
        finally:
            wipe(reference)
        start = time.perf_counter()
        with ProcessMatcher(DEFAULT_POLICY).start() as process:  # the kiosk starts it at launch
            started_in = time.perf_counter() - start
            section_decision(pipeline, naive, challenge, photo, process=process, started_in=started_in)
            section_preview(pipeline, process, frontal, photo)
    load = os.getloadavg()
    print(
        f"\ndone in {time.perf_counter() - started:.0f} s; load average at end"
        f" {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
