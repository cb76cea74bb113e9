"""Where the matching runs: in this process (`LocalMatcher`, for the evaluation and tools) or in
a long-lived child process (`ProcessMatcher`, for the kiosk).

Why a child process: dlib's `compute_face_descriptor` holds Python's GIL for its whole 100–160 ms
(measured in bench/bench_face.py; detection and the landmark fit release it). On a thread, every
encoding froze the Qt preview and the capture thread for that long — the preview fell to 0.28×
its idle frame rate. In a child, the feeding thread waits on a pipe (GIL released) and the
preview keeps 0.97× its rate.

Frames go to the child as raw bytes over the pipe (a socket pair: nothing in the file system,
unlike shared memory in /dev/shm); the child wipes its copy after each frame, and the card photo
and every encoding after each check. The child ignores Ctrl-C (the parent ends it) and exits when
the parent's end of the pipe closes, so it never outlives the kiosk. It is started with `spawn`:
the parent runs Qt and threads, which `fork` would copy half-locked.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.connection
import pickle
import random
import signal
import threading
from typing import Any, Protocol

import numpy as np

from kiosk.facecheck.check import FaceCheck, FaceDecision, Guidance
from kiosk.facecheck.models import default_models
from kiosk.facecheck.pipeline import CardPhotoUnusable, FacePipeline
from kiosk.facecheck.policy import DEFAULT_POLICY, FacePolicy

_log = logging.getLogger(__name__)

START_TIMEOUT = 60.0  # importing dlib and OpenCV and loading the models: ~2 s, more on a busy machine
ANSWER_TIMEOUT = 30.0  # one frame takes well under a second; longer means the child is stuck


class MatcherFailed(RuntimeError):
    """The matcher could not answer (the child died or hung): this check cannot go on."""


class Matcher(Protocol):
    """One check at a time: begin, feed frames until a decision (or abort), end."""

    policy: FacePolicy

    def begin(
        self, card_photo: bytes | bytearray, *, liveness_required: bool, rng: random.Random | None
    ) -> None:
        """Encode the card photo; raises CardPhotoUnusable. Call end() afterwards in any case.
        `rng` draws the challenge: None in production (system entropy), seeded in tests."""

    def feed(self, image: np.ndarray, now: float) -> Guidance | FaceDecision: ...

    def abort(self, reason: str, now: float) -> FaceDecision: ...

    def end(self) -> None:
        """Wipe everything the check held. Always called, also after a failure."""


class LocalMatcher:
    """Matching on the calling thread."""

    def __init__(self, pipeline: FacePipeline) -> None:
        self.pipeline = pipeline
        self.policy = pipeline.policy
        self._check: FaceCheck | None = None

    def begin(
        self, card_photo: bytes | bytearray, *, liveness_required: bool, rng: random.Random | None
    ) -> None:
        reference = self.pipeline.reference(card_photo)
        self._check = FaceCheck(self.pipeline, reference, liveness_required, rng=rng or random.SystemRandom())

    def feed(self, image: np.ndarray, now: float) -> Guidance | FaceDecision:
        assert self._check is not None, "begin() first"
        return self._check.feed(image, now)

    def abort(self, reason: str, now: float) -> FaceDecision:
        assert self._check is not None, "begin() first"
        return self._check.abort(reason, now)

    def end(self) -> None:
        if self._check is not None:
            self._check.wipe()
            self._check = None


class ProcessMatcher:
    """Matching in a child process, started once and reused for every check (starting one costs
    ~2 s of imports and model loading). Thread-safe: one check at a time holds it."""

    def __init__(self, policy: FacePolicy = DEFAULT_POLICY) -> None:
        self.policy = policy
        self._context = multiprocessing.get_context("spawn")
        self._process: Any = None  # multiprocessing.process.BaseProcess
        self._conn: multiprocessing.connection.Connection | None = None
        self._lock = threading.Lock()

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> ProcessMatcher:
        """Start the child and wait until its models are loaded (call early: the kiosk's start)."""
        with self._lock:
            self._ensure_started()
        return self

    def close(self) -> None:
        with self._lock:
            self._stop_child()

    def __enter__(self) -> ProcessMatcher:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None and self._process.is_alive() else None

    def _ensure_started(self) -> multiprocessing.connection.Connection:
        if self._conn is not None and self._process is not None and self._process.is_alive():
            return self._conn
        self._stop_child()
        parent, child = self._context.Pipe(duplex=True)
        process = self._context.Process(
            target=_serve, args=(child, self.policy), name="face-matcher", daemon=True
        )
        process.start()
        child.close()  # the child holds its end; ours closing lets it see EOF if we die
        self._process, self._conn = process, parent
        self._answer(timeout=START_TIMEOUT)  # "ready", or the reason it could not load
        _log.info("face matcher process %d ready", process.pid)
        return parent

    def _stop_child(self) -> None:
        conn, process = self._conn, self._process
        self._conn = self._process = None
        if conn is not None:
            conn.close()  # the child sees EOF and exits
        if process is not None:
            process.join(5)
            if process.is_alive():
                process.kill()
                process.join(5)

    # -- one check ----------------------------------------------------------------------------

    def begin(
        self, card_photo: bytes | bytearray, *, liveness_required: bool, rng: random.Random | None
    ) -> None:
        # SystemRandom cannot cross a pipe (it has no state): None makes the child use its own.
        self._lock.acquire()  # held until end(), which the caller runs whatever begin() did
        conn = self._ensure_started()
        try:
            conn.send(("begin", liveness_required, rng))
            conn.send_bytes(card_photo)
        except (OSError, TypeError, ValueError, NotImplementedError, pickle.PicklingError) as exc:
            self._failed(f"cannot start a check: {type(exc).__name__}: {exc}")
        self._answer()

    def feed(self, image: np.ndarray, now: float) -> Guidance | FaceDecision:
        conn = self._require()
        frame = np.ascontiguousarray(image)
        try:
            conn.send(("frame", now, frame.shape))
            conn.send_bytes(memoryview(frame).cast("B"))
        except OSError as exc:
            self._failed(f"cannot send a frame: {exc}")
        answer = self._answer()
        assert isinstance(answer, Guidance | FaceDecision)
        return answer

    def abort(self, reason: str, now: float) -> FaceDecision:
        conn = self._require()
        try:
            conn.send(("abort", reason, now))
        except OSError as exc:
            self._failed(f"cannot abort: {exc}")
        answer = self._answer()
        assert isinstance(answer, FaceDecision)
        return answer

    def end(self) -> None:
        try:
            if self._conn is not None:
                try:
                    self._conn.send(("end",))
                    self._answer()
                except (OSError, MatcherFailed) as exc:
                    _log.warning("face matcher: could not end the check cleanly: %s", exc)
                    self._stop_child()  # a fresh child holds no trace of this check
        finally:
            if self._lock.locked():
                self._lock.release()

    # -- the pipe -----------------------------------------------------------------------------

    def _require(self) -> multiprocessing.connection.Connection:
        if self._conn is None:
            raise MatcherFailed("no check in progress (the matcher process ended)")
        return self._conn

    def _answer(self, timeout: float = ANSWER_TIMEOUT) -> object:
        conn = self._require()
        try:
            if not conn.poll(timeout):
                self._failed(f"no answer within {timeout:.0f} s")
            kind, payload = conn.recv()
        except (EOFError, OSError) as exc:
            self._failed(f"the matcher process ended ({exc or type(exc).__name__})")
        if kind == "unusable":
            raise CardPhotoUnusable(payload)
        if kind == "error":
            self._failed(payload)
        return payload

    def _failed(self, why: str) -> Any:
        process = self._process
        _log.error("face matcher process %s: %s", process.pid if process else "-", why)
        self._stop_child()
        raise MatcherFailed(why)


# -- the child ------------------------------------------------------------------------------------


def _serve(conn: multiprocessing.connection.Connection, policy: FacePolicy) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    try:
        pipeline = FacePipeline(default_models(), policy)
    except Exception as exc:
        conn.send(("error", f"cannot load the face models: {exc}"))
        return
    conn.send(("ready", None))
    check: FaceCheck | None = None
    buffer = bytearray()
    try:
        while True:
            try:
                message = conn.recv()
            except EOFError:  # the parent closed or died
                return
            try:
                check, buffer, answer = _handle(conn, pipeline, check, buffer, message)
            except CardPhotoUnusable as exc:
                answer = ("unusable", str(exc))
            except Exception as exc:  # reported to the parent, which ends the check as UNABLE
                answer = ("error", f"{type(exc).__name__}: {exc}")
            conn.send(answer)
    finally:
        if check is not None:
            check.wipe()
        buffer[:] = bytes(len(buffer))


def _handle(
    conn: multiprocessing.connection.Connection,
    pipeline: FacePipeline,
    check: FaceCheck | None,
    buffer: bytearray,
    message: tuple[Any, ...],
) -> tuple[FaceCheck | None, bytearray, tuple[str, object]]:
    command = message[0]
    if command == "begin":
        _, liveness_required, rng = message
        if check is not None:
            check.wipe()
            check = None
        photo = bytearray(conn.recv_bytes())
        try:
            reference = pipeline.reference(photo)
        finally:
            photo[:] = bytes(len(photo))
        check = FaceCheck(pipeline, reference, liveness_required, rng=rng or random.SystemRandom())
        return check, buffer, ("ok", None)
    if command == "frame":
        _, now, shape = message
        size = int(np.prod(shape))
        if len(buffer) != size:
            buffer[:] = bytes(len(buffer))
            buffer = bytearray(size)
        conn.recv_bytes_into(buffer)
        if check is None:
            raise RuntimeError("a frame before begin")
        try:
            result = check.feed(np.frombuffer(buffer, np.uint8).reshape(shape), now)
        finally:
            buffer[:] = bytes(size)
        return check, buffer, ("result", result)
    if command == "abort":
        _, reason, now = message
        if check is None:
            raise RuntimeError("abort before begin")
        return check, buffer, ("result", check.abort(reason, now))
    if command == "end":
        if check is not None:
            check.wipe()
        return None, buffer, ("ok", None)
    raise RuntimeError(f"unknown command {command!r}")
