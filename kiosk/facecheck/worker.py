"""One face check run on its own thread: camera frames in, guidance and one decision out.

The UI starts a `FaceCheckWorker` with the running `Capture` and the card photo, shows the
preview from `Capture.latest()` at its own rate and the `Guidance` it is sent, and gets exactly
one `FaceDecision` — also when the camera is lost, stops sending frames, reaches the end of a
file, or the check is cancelled (then UNABLE, which the flow turns into the 64条の5 fallback).
Callbacks run on the worker thread: a Qt UI forwards them to its own thread with a signal.

The matching itself runs where the `Matcher` puts it: in the kiosk a `ProcessMatcher` (a child
process, because dlib's encoder holds the GIL and would freeze the preview); this thread only
feeds it frames and waits. The card photo is encoded there too (≈0.2 s), never on the UI thread.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable

from kiosk.facecheck.camera import CameraLost, Capture
from kiosk.facecheck.check import FaceDecision, Guidance
from kiosk.facecheck.matcher import Matcher, MatcherFailed
from kiosk.facecheck.pipeline import CardPhotoUnusable

_log = logging.getLogger(__name__)

Listener = Callable[[Guidance | FaceDecision], None]

FRAME_TIMEOUT = 3.0  # seconds without a frame before the camera counts as gone for this check


class FaceCheckWorker:
    def __init__(
        self,
        capture: Capture,
        matcher: Matcher,
        card_photo: bytes | bytearray,
        *,
        liveness_required: bool,
        listener: Listener | None = None,
        rng: random.Random | None = None,
        frame_timeout: float = FRAME_TIMEOUT,
    ) -> None:
        self.capture = capture
        self.matcher = matcher
        self.liveness_required = liveness_required
        # A private copy: the caller wipes its own, the worker wipes this one once sent.
        self._photo = bytearray(card_photo)
        self._listener = listener
        self._rng = rng  # None: the matcher draws the challenge from the system's entropy
        self._frame_timeout = frame_timeout
        self._cancelled = threading.Event()
        self._cancel_reason = "cancelled"
        self._done = threading.Event()
        self._decision: FaceDecision | None = None
        self._thread = threading.Thread(target=self._run, name="face-check", daemon=True)

    def start(self) -> FaceCheckWorker:
        self._thread.start()
        return self

    def cancel(self, reason: str = "cancelled") -> None:
        """End the check at the next frame with UNABLE (the person left, staff took over)."""
        self._cancel_reason = reason
        self._cancelled.set()

    @property
    def decision(self) -> FaceDecision | None:
        return self._decision

    def wait(self, timeout: float | None = None) -> FaceDecision:
        if not self._done.wait(timeout):
            raise TimeoutError(f"the face check did not finish within {timeout} s")
        assert self._decision is not None
        return self._decision

    # -- worker thread --------------------------------------------------------------------------

    def _run(self) -> None:
        started = time.monotonic()
        try:
            decision = self._check()
        except Exception:  # a bug must still end the check with a decision the flow can act on
            _log.exception("face check failed")
            decision = self._unable("internal error", started)
        self._decision = decision
        _log.info(
            "face check: %s (%s), score %s, %d frames",
            decision.outcome.value,
            decision.reason,
            "-" if decision.score is None else f"{decision.score:.3f}",
            decision.frames_used,
        )
        self._emit(decision)  # the listener has it before wait() returns
        self._done.set()

    def _check(self) -> FaceDecision:
        started = time.monotonic()
        try:  # end() whatever happened: it wipes what the matcher holds and frees it
            try:
                self.matcher.begin(self._photo, liveness_required=self.liveness_required, rng=self._rng)
            except CardPhotoUnusable as exc:
                _log.warning("face check: %s", exc)
                return self._unable("card photo unusable", started)
            finally:
                self._photo[:] = bytes(len(self._photo))
            return self._feed()  # decided, with its fused score, before end() wipes the check
        except MatcherFailed:
            return self._unable("internal error", started)
        finally:
            self.matcher.end()

    def _feed(self) -> FaceDecision:
        frames = self.capture.frames(timeout=self._frame_timeout)
        now = 0.0
        try:
            for frame in frames:
                now = self.capture.timeline(frame)
                if self._cancelled.is_set():
                    break
                result = self.matcher.feed(frame.image, now)
                del frame  # the last reference wipes the pixels
                if isinstance(result, FaceDecision):
                    return result
                self._emit(result)
            reason = "the camera stream ended"
        except CameraLost as exc:
            _log.warning("face check: %s", exc)
            reason = "camera lost"
        except TimeoutError:
            reason = "camera sent no picture"
        finally:
            frames.close()
        return self.matcher.abort(self._cancel_reason if self._cancelled.is_set() else reason, now)

    def _unable(self, reason: str, started: float) -> FaceDecision:
        return FaceDecision.unable(
            reason,
            self.matcher.policy,
            time.monotonic() - started,
            liveness_required=self.liveness_required,
        )

    def _emit(self, update: Guidance | FaceDecision) -> None:
        if self._listener is None:
            return
        try:
            self._listener(update)
        except Exception:  # the UI's bug must not kill the check
            _log.exception("face check listener failed")
