"""Camera capture for the face check: one thread reads frames, a second hands them to listeners.

Sources are a V4L2 device, a video file, an image sequence or a network stream (CameraSource). The
capture thread only reads, paces and records the newest frame, so a UI preview polling `latest()`
keeps its rate however slow matching is — as long as matching does not hold the GIL, which dlib's
encoder does: the kiosk matches in a child process (matcher.py). Subscribers and status listeners
run on a separate dispatch thread that drops stale frames instead of holding the capture back.

Frames are biometric data. Nothing here writes them to disk; a frame's pixels are zero-filled when
the last reference to its `Frame` goes (or earlier, by `Frame.wipe()`), so keep the `Frame` — not
a view of its `image` — for as long as you use the pixels, and copy what you must keep.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import cv2
import numpy as np
import numpy.typing as npt

_log = logging.getLogger(__name__)

USER_MESSAGE = "The camera is not available. Please call staff."

_URL = re.compile(r"(https?|rtsps?)://", re.IGNORECASE)
_PRINTF = re.compile(r"%0?\d*d")
_INDEX = re.compile(r"\d+", re.ASCII)
_DEFAULT_FPS = 30.0  # image sequences carry no rate (CAP_PROP_FPS is -1); typical webcam rate
_MAX_FPS = 1000.0
_THUMB_SIZE = (32, 24)
_DISPATCH_TICK = 0.1  # how often the dispatch thread looks for a stalled camera

_T = TypeVar("_T")


class CameraUnavailable(Exception):
    """The camera cannot be opened or read.

    str() is the precise account for the log (which source, what failed); `user_message` is the
    short, plain sentence for the person at the kiosk. Never show str() to the person.
    """

    user_message: str = USER_MESSAGE

    def __init__(self, detail: str) -> None:
        super().__init__(detail)


class CameraLost(CameraUnavailable):
    """The camera stopped delivering (unplugged, stream closed, file damaged) and could not be reopened."""


class SourceKind(Enum):
    DEVICE = "device"
    FILE = "file"
    IMAGES = "images"
    URL = "url"


@dataclass(frozen=True)
class CameraSource:
    """Where frames come from; build it from the configuration string with `parse`."""

    kind: SourceKind
    target: int | str  # device index or /dev path, file path, printf pattern, or URL

    @classmethod
    def parse(cls, text: str) -> CameraSource:
        """`0` → device index, `/dev/video0` → device path, `http(s)://`/`rtsp://` → stream,
        a printf pattern such as `dir/frame_%03d.png` → image sequence, anything else → video file."""
        value = text.strip()
        if not value:
            raise ValueError("empty camera source")
        if _INDEX.fullmatch(value):
            return cls(SourceKind.DEVICE, int(value))
        if _URL.match(value):
            return cls(SourceKind.URL, value)
        if value.startswith("/dev/"):  # stable /dev/v4l/by-id/… names survive a re-plug, indices may not
            return cls(SourceKind.DEVICE, value)
        if _PRINTF.search(value):
            return cls(SourceKind.IMAGES, value)
        return cls(SourceKind.FILE, value)

    @property
    def finite(self) -> bool:
        """A file or image sequence: it can end, and it can be replayed."""
        return self.kind in (SourceKind.FILE, SourceKind.IMAGES)

    def __str__(self) -> str:
        if self.kind is SourceKind.URL:
            return f"stream {_redact(str(self.target))}"
        return f"{self.kind.value} {self.target}"

    def open(self, *, open_timeout: float = 5.0, read_timeout: float = 5.0) -> cv2.VideoCapture:
        """Open the source; raises CameraUnavailable naming the source and what failed.

        The timeouts apply to network streams only (OpenCV's own default is 30 s); other backends
        refuse to open when given parameters they do not know.
        """
        api = self._api()
        backend = cv2.videoio_registry.getBackendName(api) if api != cv2.CAP_ANY else "default"
        params: list[int] = []
        if self.kind is SourceKind.URL:
            params = [
                cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
                round(open_timeout * 1000),
                cv2.CAP_PROP_READ_TIMEOUT_MSEC,
                round(read_timeout * 1000),
            ]
        self._check_path()
        try:
            capture = cv2.VideoCapture(self.target, api, params)
        except cv2.error as exc:
            raise CameraUnavailable(f"camera {self}: {backend} backend failed: {exc}") from exc
        if not capture.isOpened():
            capture.release()
            raise CameraUnavailable(f"camera {self}: {backend} backend could not open it")
        return capture

    def _api(self) -> int:
        if self.kind is SourceKind.DEVICE:
            if sys.platform.startswith("linux") and cv2.videoio_registry.hasBackend(cv2.CAP_V4L2):
                return cv2.CAP_V4L2
            return cv2.CAP_ANY
        if self.kind is SourceKind.IMAGES:
            return cv2.CAP_IMAGES
        return cv2.CAP_FFMPEG

    def _check_path(self) -> None:
        # OpenCV only says "could not open"; the log should say which part is missing.
        if self.kind is SourceKind.FILE and not Path(str(self.target)).is_file():
            raise CameraUnavailable(f"camera {self}: no such file")
        if self.kind is SourceKind.IMAGES and not Path(str(self.target)).parent.is_dir():
            raise CameraUnavailable(f"camera {self}: no such directory")


def _redact(url: str) -> str:
    # Stream URLs may carry credentials; they must not reach the log.
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


@dataclass(frozen=True, eq=False)  # eq=False: arrays do not compare as bools; identity is what matters
class Frame:
    """One camera image (BGR, uint8) with its sequence number and `time.monotonic()` capture time."""

    seq: int
    captured_at: float
    image: npt.NDArray[np.uint8]

    def __post_init__(self) -> None:
        # Whoever drops the last reference, the pixels are zeroed before numpy frees the buffer.
        weakref.finalize(self, _wipe_quietly, self.image)

    def wipe(self) -> None:
        """Zero-fill the pixels now. Frames from a Capture are shared (preview, listeners), so call
        this only on a frame you alone hold; shared ones are wiped when the last reference goes."""
        _zero(self.image)


def _zero(image: npt.NDArray[np.uint8]) -> None:
    image.flags.writeable = True  # Capture hands frames out read-only
    image.fill(0)


def _wipe_quietly(image: npt.NDArray[np.uint8]) -> None:
    try:
        _zero(image)
    except ValueError:  # a view of read-only memory: nothing we can overwrite
        _log.debug("frame image is read-only memory; not wiped")


class CameraStatus(Enum):
    STARTING = "starting"  # opened, no frame yet
    RUNNING = "running"
    FROZEN = "frozen"  # no new frame for a while, or the same picture over and over; may recover
    LOST = "lost"  # reading failed and reopening did not help (final)
    ENDED = "ended"  # a file or image sequence reached its end (final)
    STOPPED = "stopped"  # stop() was called (final)


_FINAL = frozenset({CameraStatus.LOST, CameraStatus.ENDED, CameraStatus.STOPPED})

FrameListener = Callable[[Frame], None]
StatusListener = Callable[[CameraStatus], None]


class _Inbox:
    """The frames waiting for one `frames()` consumer, then how the stream ended."""

    def __init__(self, size: int) -> None:
        self._cond = threading.Condition()
        self._frames: deque[Frame] = deque()
        self._size = size
        self._ended = False
        self._error: CameraLost | None = None
        self._abandoned = False

    def put(self, frame: Frame, *, wait: bool, stop: threading.Event) -> None:
        with self._cond:
            if wait:  # evaluation of a file: hold the reader back rather than lose a frame
                while len(self._frames) >= self._size and not (self._abandoned or stop.is_set()):
                    self._cond.wait(_DISPATCH_TICK)
            elif len(self._frames) >= self._size:  # a live camera cannot wait: drop the oldest
                self._frames.popleft()
            if not self._abandoned:
                self._frames.append(frame)
                self._cond.notify_all()

    def finish(self, error: CameraLost | None) -> None:
        with self._cond:
            self._ended, self._error = True, error
            self._cond.notify_all()

    def abandon(self) -> None:
        with self._cond:
            self._abandoned = True
            self._frames.clear()
            self._cond.notify_all()

    def get(self, timeout: float | None) -> Frame | None:
        """The next frame, None at a normal end; raises CameraLost, or TimeoutError after `timeout` s."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._frames or self._ended, timeout):
                raise TimeoutError(f"no camera frame within {timeout} s")
            if self._frames:
                frame = self._frames.popleft()
                self._cond.notify_all()
                return frame
            if self._error is not None:
                raise self._error
            return None


class Capture:
    """Reads a CameraSource on a daemon thread; use as a context manager or call start()/stop().

    - `latest()`: the newest frame, for a preview polling at its own rate.
    - `subscribe(cb)`: cb(frame) on the dispatch thread with the newest frame; frames that arrive
      while listeners are busy are dropped, so slow matching never holds back capture or preview.
    - `frames(timeout)`: a generator of every frame. For a file with realtime=False the reader
      waits for the slowest consumer and loses nothing; otherwise (a camera cannot wait) a
      consumer more than `buffer` frames behind loses the oldest (gaps show in `seq`).
    - `status` / `on_status(cb)`: each change reported once, on the dispatch thread, in order.

    A file plays at its own FPS (`realtime=True`, or `fps` if given) or as fast as `frames()`
    consumers take it (`realtime=False`, which waits for the first `frames()` call before reading).
    `loop=True` replays it.
    A device or stream whose read fails is reopened `reopen_attempts` times with doubling backoff
    before the capture is LOST; a Capture is single-use, so after a final status build a new one.
    """

    def __init__(
        self,
        source: CameraSource | str,
        *,
        realtime: bool = True,
        loop: bool = False,
        fps: float | None = None,
        frozen_after: float = 2.0,
        identical_frames: int = 30,
        reopen_attempts: int = 3,
        reopen_backoff: float = 0.2,
        buffer: int = 8,
        open_timeout: float = 5.0,
        read_timeout: float = 5.0,
    ) -> None:
        self.source = source if isinstance(source, CameraSource) else CameraSource.parse(source)
        self.realtime = realtime
        self.loop = loop
        self.frozen_after = frozen_after
        self.identical_frames = identical_frames
        self._fps_override = fps
        self._reopen_attempts = reopen_attempts
        self._reopen_backoff = reopen_backoff
        self._buffer = buffer
        self._open_timeout = open_timeout
        self._read_timeout = read_timeout
        # A file read as fast as possible has no natural rate: silence there is the consumer's pace.
        self._watch_stalls = not (self.source.finite and not realtime)

        self._lock = threading.Condition()  # guards the state below; wakes the dispatch thread
        self._status = CameraStatus.STARTING
        self._latest: Frame | None = None
        self._last_frame_at = time.monotonic()
        self._events: deque[Frame | CameraStatus] = deque()
        self._subscribers: list[FrameListener] = []
        self._status_listeners: list[StatusListener] = []
        self._inboxes: list[_Inbox] = []
        self._lost: CameraLost | None = None
        self._last_thumb = b""
        self._same_run = 0

        self._stop = threading.Event()
        self._has_consumer = threading.Event()
        self._capture: cv2.VideoCapture | None = None  # used only by the capture thread once started
        self._frame_count = 0
        self._interval = 0.0
        self._reader = threading.Thread(target=self._read_loop, name="camera-capture", daemon=True)
        self._dispatcher = threading.Thread(target=self._dispatch_loop, name="camera-dispatch", daemon=True)

    # -- lifecycle --------------------------------------------------------------------------------

    def start(self) -> None:
        """Open the source (raising CameraUnavailable here, to the caller) and start reading."""
        if self._reader.ident is not None or self._stop.is_set():
            raise RuntimeError("a Capture can be started once")
        capture = self.source.open(open_timeout=self._open_timeout, read_timeout=self._read_timeout)
        self._capture = capture
        if self.source.finite:
            self._frame_count = max(0, int(capture.get(cv2.CAP_PROP_FRAME_COUNT)))
            fps = self._fps_override or capture.get(cv2.CAP_PROP_FPS)
            self._interval = 1.0 / fps if 0 < fps <= _MAX_FPS else 1.0 / _DEFAULT_FPS
        with self._lock:
            self._last_frame_at = time.monotonic()
        self._reader.start()
        self._dispatcher.start()

    def stop(self) -> None:
        """Stop reading, wait for both threads, release the camera. Safe to call from a listener."""
        self._stop.set()
        self._set_status(CameraStatus.STOPPED)  # kept as is after ENDED or LOST
        current = threading.current_thread()
        for thread in (self._reader, self._dispatcher):
            if thread.ident is not None and thread is not current:
                # A blocked read() cannot be interrupted; it returns within the read timeout.
                thread.join(self._read_timeout + 1.0)
                if thread.is_alive():
                    _log.warning("camera %s: %s did not stop in time", self.source, thread.name)
        with self._lock:
            self._latest = None  # drop our references so the pixels get wiped
            if not self._dispatcher.is_alive():  # called from a listener: STOPPED is still queued
                self._events.clear()

    def __enter__(self) -> Capture:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- consumers --------------------------------------------------------------------------------

    @property
    def status(self) -> CameraStatus:
        with self._lock:
            return self._status

    def latest(self) -> Frame | None:
        """The most recent frame (None before the first one and after stop())."""
        with self._lock:
            return self._latest

    def timeline(self, frame: Frame) -> float:
        """The time a consumer should see for `frame`, in seconds: when it was captured, or for a
        file read as fast as it is consumed, its position in the file, so that an evaluation
        gives the same timings (head-turn deadlines) on a slow machine as on a fast one."""
        if self.source.finite and not self.realtime:
            return frame.seq * self._interval
        return frame.captured_at

    def subscribe(self, callback: FrameListener) -> Callable[[], None]:
        """Call `callback(frame)` on the dispatch thread; returns a function that unsubscribes."""
        with self._lock:
            self._subscribers.append(callback)
        return lambda: self._remove(self._subscribers, callback)

    def on_status(self, callback: StatusListener) -> Callable[[], None]:
        """Call `callback(status)` on the dispatch thread at each change; returns an unsubscriber."""
        with self._lock:
            self._status_listeners.append(callback)
        return lambda: self._remove(self._status_listeners, callback)

    def frames(self, timeout: float | None = None) -> Iterator[Frame]:
        """The newest frame already captured (if any), then every later one.

        Ends at ENDED or STOPPED; raises CameraLost at LOST, TimeoutError when no frame comes within
        `timeout` seconds. Starting from the newest frame means `for f in capture.frames()` right
        after start() misses nothing, and a live consumer starts with a current picture.
        """
        inbox = _Inbox(self._buffer)
        with self._lock:  # registered now, not at the first next(): no frame slips past
            if self._status in _FINAL:
                inbox.finish(self._lost)
            else:
                if self._latest is not None:
                    inbox.put(self._latest, wait=False, stop=self._stop)
                self._inboxes.append(inbox)
        self._has_consumer.set()
        frames = self._drain(inbox, timeout)
        # A generator dropped before its first next() never runs its finally: unregister it anyway.
        weakref.finalize(frames, self._forget, inbox)
        return frames

    def _drain(self, inbox: _Inbox, timeout: float | None) -> Iterator[Frame]:
        try:
            while (frame := inbox.get(timeout)) is not None:
                yield frame
        finally:
            self._forget(inbox)

    def _forget(self, inbox: _Inbox) -> None:
        inbox.abandon()  # a reader waiting on this consumer must not wait forever
        self._remove(self._inboxes, inbox)

    def _remove(self, items: list[Any], item: object) -> None:
        with self._lock:
            if item in items:
                items.remove(item)

    # -- capture thread ---------------------------------------------------------------------------

    def _read_loop(self) -> None:
        try:
            if self.source.finite and not self.realtime:
                while not self._has_consumer.wait(_DISPATCH_TICK):  # nobody to feed yet
                    if self._stop.is_set():
                        return
            self._read_frames()
        except Exception as exc:  # an OpenCV surprise must end as LOST, not as a silent dead thread
            _log.exception("camera %s: capture thread failed", self.source)
            self._set_status(CameraStatus.LOST, f"camera {self.source}: capture thread failed: {exc}")
        finally:
            if self._capture is not None:
                self._capture.release()
                self._capture = None

    def _read_frames(self) -> None:
        seq = 0
        read_this_pass = 0  # frames since the source was (re)opened
        due: float | None = None
        while not self._stop.is_set() and self._capture is not None:
            ok, image = self._capture.read()
            if ok and image is not None and image.size:
                read_this_pass += 1
                if self.source.finite and self.realtime:
                    due = self._pace(due)
                if self._stop.is_set():
                    return
                image.flags.writeable = False  # shared by preview and listeners: nobody may draw on it
                self._publish(Frame(seq, time.monotonic(), image))
                seq += 1
            elif not self._recover(read_this_pass):
                return
            else:
                read_this_pass = 0

    def _pace(self, due: float | None) -> float:
        now = time.monotonic()
        if due is None or now - due > 1.0:  # first frame, or far behind: resync instead of bursting
            due = now
        elif due > now:
            self._stop.wait(due - now)
        return due + self._interval

    def _publish(self, frame: Frame) -> None:
        thumb = self._thumbnail(frame.image)
        with self._lock:
            if self._status in _FINAL:
                return
            # A real sensor always has noise; a stuck driver hands back the same buffer.
            self._same_run = self._same_run + 1 if thumb == self._last_thumb else 1
            self._last_thumb = thumb
            self._latest = frame
            self._last_frame_at = frame.captured_at
            if self._same_run >= self.identical_frames:
                self._set_status_locked(
                    CameraStatus.FROZEN, f"{self._same_run} identical frames up to #{frame.seq}"
                )
            else:
                self._set_status_locked(CameraStatus.RUNNING)
            # Newest replaces an undelivered frame: busy listeners skip frames, capture never waits.
            if self._events and isinstance(self._events[-1], Frame):
                self._events[-1] = frame
            else:
                self._events.append(frame)
            self._lock.notify_all()
            inboxes = list(self._inboxes)
        wait = self.source.finite and not self.realtime
        for inbox in inboxes:
            inbox.put(frame, wait=wait, stop=self._stop)

    @staticmethod
    def _thumbnail(image: npt.NDArray[np.uint8]) -> bytes:
        small = cv2.resize(image, _THUMB_SIZE, interpolation=cv2.INTER_AREA)
        if small.ndim == 3:
            small = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
        return small.tobytes()

    def _recover(self, read_this_pass: int) -> bool:
        """After a failed read: True to go on reading, False once a final status is set."""
        if self.source.finite:
            return self._end_of_file(read_this_pass)
        assert self._capture is not None
        self._capture.release()
        self._capture = None
        delay, last = self._reopen_backoff, ""
        for attempt in range(1, self._reopen_attempts + 1):
            if self._stop.wait(delay):
                return False
            try:
                self._capture = self.source.open(
                    open_timeout=self._open_timeout, read_timeout=self._read_timeout
                )
            except CameraUnavailable as exc:
                last = str(exc)
                _log.info("camera %s: reopen attempt %d failed: %s", self.source, attempt, exc)
                delay *= 2
                continue
            _log.warning("camera %s: read failed; reopened on attempt %d", self.source, attempt)
            return True
        self._set_status(
            CameraStatus.LOST,
            f"camera {self.source}: read failed and {self._reopen_attempts} reopen attempts failed ({last})",
        )
        return False

    def _end_of_file(self, read_this_pass: int) -> bool:
        expected = self._frame_count
        if self.loop and read_this_pass > 0:
            assert self._capture is not None
            self._capture.release()
            self._capture = None
            try:  # reopening rewinds exactly for every codec; seeking to frame 0 may not
                self._capture = self.source.open()
            except CameraUnavailable as exc:
                self._set_status(CameraStatus.LOST, f"{exc} (while rewinding to loop)")
                return False
            return True
        if read_this_pass == 0 and self.loop:
            self._set_status(CameraStatus.LOST, f"camera {self.source}: no frame could be read")
        elif expected - read_this_pass > max(2, expected // 50):
            # Containers without an index estimate the count from duration × fps; allow that slack.
            self._set_status(
                CameraStatus.LOST,
                f"camera {self.source}: read failed after {read_this_pass} of {expected} frames",
            )
        else:
            self._set_status(CameraStatus.ENDED)
        return False

    # -- status and dispatch ----------------------------------------------------------------------

    def _set_status(self, status: CameraStatus, detail: str = "") -> None:
        with self._lock:
            self._set_status_locked(status, detail)

    def _set_status_locked(self, status: CameraStatus, detail: str = "") -> None:
        if status is self._status or self._status in _FINAL:
            return
        previous, self._status = self._status, status
        if status in (CameraStatus.LOST, CameraStatus.FROZEN):
            _log.warning("camera %s: %s → %s: %s", self.source, previous.value, status.value, detail)
        else:
            _log.info("camera %s: %s → %s", self.source, previous.value, status.value)
        self._events.append(status)
        self._lock.notify_all()
        if status is CameraStatus.LOST:
            self._lost = CameraLost(detail or f"camera {self.source}: lost")
        if status in _FINAL:
            for inbox in self._inboxes:
                inbox.finish(self._lost)

    def _dispatch_loop(self) -> None:
        while True:
            with self._lock:
                if not self._events:
                    self._lock.wait(_DISPATCH_TICK)
                self._check_stalled_locked()
                if not self._events:
                    continue
                event = self._events.popleft()
                subscribers, status_listeners = list(self._subscribers), list(self._status_listeners)
            if isinstance(event, Frame):
                for subscriber in subscribers:
                    self._call(subscriber, event)
                continue
            for listener in status_listeners:
                self._call(listener, event)
            if event in _FINAL:
                return

    def _call(self, listener: Callable[[_T], None], arg: _T) -> None:
        try:
            listener(arg)
        except Exception:  # a faulty listener must not end capture for the others
            _log.exception("camera %s: listener failed", self.source)

    def _check_stalled_locked(self) -> None:
        # Runs on the dispatch thread because the capture thread may be blocked inside read().
        if not self._watch_stalls or self._status not in (CameraStatus.STARTING, CameraStatus.RUNNING):
            return
        silent = time.monotonic() - self._last_frame_at
        # UVC cameras may take seconds to deliver the first frame after open: that is not frozen.
        limit = self.frozen_after if self._status is CameraStatus.RUNNING else self._open_timeout
        if silent > max(limit, self.frozen_after):
            self._set_status_locked(CameraStatus.FROZEN, f"no new frame for {silent:.1f} s")
