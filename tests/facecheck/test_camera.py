"""Camera capture through the real cv2.VideoCapture: generated clips, image sequences, an MJPEG stream.

Each synthetic frame carries its index as 8 black/white squares over sensor-like noise, so order
survives JPEG compression and can be read back. No timing is asserted tightly.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from mjpegkit import MjpegServer

from kiosk.facecheck.camera import (
    USER_MESSAGE,
    CameraLost,
    CameraSource,
    CameraStatus,
    CameraUnavailable,
    Capture,
    Frame,
    SourceKind,
)

W, H = 320, 240
RUNNING, FROZEN, LOST, ENDED, STOPPED = (
    CameraStatus.RUNNING,
    CameraStatus.FROZEN,
    CameraStatus.LOST,
    CameraStatus.ENDED,
    CameraStatus.STOPPED,
)


def synthetic(index: int, rng: np.random.Generator) -> np.ndarray:
    image = rng.integers(0, 40, (H, W, 3), dtype=np.uint8)
    for bit in range(8):
        if index >> bit & 1:
            x = 10 + bit * 38
            image[100:140, x : x + 30] = 255
    return image


def index_of(image: np.ndarray) -> int:
    return sum(1 << bit for bit in range(8) if image[110:130, 15 + bit * 38 : 35 + bit * 38].mean() > 128)


def write_clip(path: Path, count: int, *, fps: float = 15, identical: bool = False) -> Path:
    rng = np.random.default_rng(7)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (W, H))
    assert writer.isOpened()
    still = synthetic(5, rng)
    for i in range(count):
        writer.write(still if identical else synthetic(i, rng))
    writer.release()
    return path


class Statuses:
    """Collects status reports and lets a test wait for one."""

    def __init__(self, capture: Capture) -> None:
        self.seen: list[CameraStatus] = []
        self._cond = threading.Condition()
        capture.on_status(self._add)

    def _add(self, status: CameraStatus) -> None:
        with self._cond:
            self.seen.append(status)
            self._cond.notify_all()

    def wait_for(self, status: CameraStatus, *, count: int = 1, timeout: float = 5.0) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self.seen.count(status) >= count, timeout)


def collect(capture: Capture, timeout: float = 5.0) -> list[Frame]:
    return list(capture.frames(timeout=timeout))


# -- sources ----------------------------------------------------------------------------------------


def test_parse_config_strings() -> None:
    assert CameraSource.parse("0") == CameraSource(SourceKind.DEVICE, 0)
    assert CameraSource.parse("/dev/v4l/by-id/usb-cam").kind is SourceKind.DEVICE
    assert CameraSource.parse("demo/clip.avi") == CameraSource(SourceKind.FILE, "demo/clip.avi")
    assert CameraSource.parse("dir/frame_%03d.png").kind is SourceKind.IMAGES
    assert CameraSource.parse("http://127.0.0.1:8080/stream.mjpg").kind is SourceKind.URL
    rtsp = CameraSource.parse("rtsp://admin:secret@10.0.0.5:554/live")
    assert rtsp.kind is SourceKind.URL
    assert "secret" not in str(rtsp)
    assert "admin:***@10.0.0.5:554" in str(rtsp)


def test_missing_file_is_unavailable_with_separate_messages(tmp_path: Path) -> None:
    missing = tmp_path / "nope.avi"
    with pytest.raises(CameraUnavailable) as caught:
        Capture(str(missing)).start()
    assert caught.value.user_message == USER_MESSAGE
    assert str(missing) in str(caught.value)  # the log names the source ...
    assert "no such file" in str(caught.value)
    assert "nope" not in caught.value.user_message  # ... the person gets no internals


def test_unreadable_file_and_bad_index_are_unavailable(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.avi"
    garbage.write_bytes(b"not a video")
    with pytest.raises(CameraUnavailable, match="could not open"):
        CameraSource.parse(str(garbage)).open()
    with pytest.raises(CameraUnavailable, match="device 63") as caught:
        Capture("63").start()
    assert caught.value.user_message == USER_MESSAGE
    with pytest.raises(CameraUnavailable, match="no such directory"):
        CameraSource.parse(str(tmp_path / "none" / "f_%03d.png")).open()


# -- files ------------------------------------------------------------------------------------------


def test_file_plays_every_frame_in_order_at_its_fps(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "clip.avi", 15, fps=15)

    capture = Capture(str(clip))
    statuses = Statuses(capture)  # before start(): no report missed
    with capture:
        started = time.monotonic()
        frames = collect(capture)
        realtime = time.monotonic() - started
        assert statuses.wait_for(ENDED)
    assert [index_of(f.image) for f in frames] == list(range(15))
    assert [f.seq for f in frames] == list(range(15))
    assert realtime > 0.5  # 15 frames at 15 fps: ~0.93 s
    assert frames[-1].captured_at - frames[0].captured_at > 0.5
    assert statuses.seen == [RUNNING, ENDED]
    assert capture.status is ENDED  # stop() after the end keeps ENDED

    with Capture(str(clip), realtime=False) as capture:
        started = time.monotonic()
        fast = collect(capture)
        assert time.monotonic() - started < realtime
    assert [index_of(f.image) for f in fast] == list(range(15))


def test_image_sequence(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    for i in range(6):
        cv2.imwrite(str(tmp_path / f"frame_{i:03d}.png"), synthetic(i, rng))

    with Capture(str(tmp_path / "frame_%03d.png")) as capture:  # no FPS in PNGs: 30
        frames = collect(capture)
    assert [index_of(f.image) for f in frames] == list(range(6))
    assert frames[0].image.shape == (H, W, 3)
    assert frames[0].image.dtype == np.uint8
    assert capture.status is ENDED


def test_loop_replays_the_file(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "loop.avi", 5)
    with Capture(str(clip), loop=True, realtime=False) as capture:
        frames = capture.frames(timeout=5)
        indices = [index_of(next(frames).image) for _ in range(12)]
        assert capture.status is RUNNING
    assert indices == [0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1]
    assert capture.status is STOPPED


def test_truncated_file_is_lost_not_ended(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "whole.avi", 30)
    truncated = tmp_path / "truncated.avi"
    truncated.write_bytes(clip.read_bytes()[: clip.stat().st_size // 2])

    with Capture(str(truncated), realtime=False) as capture:
        received = []
        with pytest.raises(CameraLost, match="of 30 frames") as caught:
            for frame in capture.frames(timeout=5):
                received.append(frame.seq)
        assert 0 < len(received) < 30
        assert capture.status is LOST
    assert caught.value.user_message == USER_MESSAGE


def test_identical_frames_report_frozen(tmp_path: Path) -> None:
    still = write_clip(tmp_path / "still.avi", 40, identical=True)
    capture = Capture(str(still), realtime=False, identical_frames=30)
    statuses = Statuses(capture)  # before start(): no report missed
    with capture:
        frames = collect(capture)
        assert statuses.wait_for(ENDED)
    assert len(frames) == 40
    assert statuses.seen == [RUNNING, FROZEN, ENDED]

    noisy = write_clip(tmp_path / "noisy.avi", 40)
    capture = Capture(str(noisy), realtime=False, identical_frames=30)
    statuses = Statuses(capture)  # before start(): no report missed
    with capture:
        collect(capture)
        assert statuses.wait_for(ENDED)
    assert statuses.seen == [RUNNING, ENDED]


# -- frames as biometric data -----------------------------------------------------------------------


def test_wipe_zeroes_the_image() -> None:
    frame = Frame(0, time.monotonic(), np.full((H, W, 3), 200, np.uint8))
    frame.wipe()
    assert not frame.image.any()


def test_dropped_frame_is_wiped_and_captured_frames_are_read_only(tmp_path: Path) -> None:
    image = np.full((H, W, 3), 200, np.uint8)
    frame = Frame(0, time.monotonic(), image)
    del frame
    gc.collect()
    assert not image.any()  # the last reference went: pixels zeroed before numpy frees them

    with Capture(str(write_clip(tmp_path / "ro.avi", 3)), realtime=False) as capture:
        first = next(capture.frames(timeout=5))
        with pytest.raises(ValueError, match="read-only"):
            first.image[0, 0] = 1  # shared with preview and listeners


# -- preview vs slow listeners ----------------------------------------------------------------------


def test_latest_keeps_its_rate_while_a_subscriber_is_slow(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "thirty.avi", 30, fps=30)
    delivered: list[int] = []

    def slow_matcher(frame: Frame) -> None:
        delivered.append(frame.seq)
        time.sleep(0.2)

    capture = Capture(str(clip))
    statuses = Statuses(capture)  # before start(): no report missed
    capture.subscribe(slow_matcher)
    with capture:
        previewed: set[int] = set()
        started = time.monotonic()
        while capture.status is not ENDED and time.monotonic() - started < 10:
            if (frame := capture.latest()) is not None:
                previewed.add(frame.seq)
            time.sleep(0.02)
        played_for = time.monotonic() - started
        last = capture.latest()
        assert last is not None
        assert last.seq == 29
        assert statuses.wait_for(ENDED)  # the listener thread has caught up

    # Held back by 0.2 s per frame, 30 frames would take 6 s; the clip lasts 1 s.
    assert played_for < 4
    assert len(previewed) >= 15
    assert len(delivered) < 15
    assert delivered == sorted(delivered)
    assert delivered[-1] == 29  # stale frames dropped, the newest delivered


# -- network stream: unplug and stall ---------------------------------------------------------------


@pytest.fixture
def mjpeg_server() -> Iterator[MjpegServer]:
    rng = np.random.default_rng(3)
    server = MjpegServer(lambda index: synthetic(index % 256, rng))
    yield server
    server.unplug()


def test_ffmpeg_opens_an_http_mjpeg_stream(mjpeg_server: MjpegServer) -> None:
    with Capture(mjpeg_server.url) as capture:
        frames = capture.frames(timeout=5)
        first = [next(frames) for _ in range(3)]
    assert all(f.image.shape == (H, W, 3) for f in first)
    assert [f.seq for f in first] == [0, 1, 2]


def test_unplugged_stream_is_lost(mjpeg_server: MjpegServer) -> None:
    capture = Capture(mjpeg_server.url, frozen_after=10, reopen_backoff=0.1)
    statuses = Statuses(capture)  # before start(): no report missed
    with capture:
        frames = capture.frames(timeout=5)
        for _ in range(5):
            next(frames)
        mjpeg_server.unplug()
        unplugged_at = time.monotonic()
        with pytest.raises(CameraLost) as caught:
            for _ in frames:
                pass
        assert time.monotonic() - unplugged_at < 5
        assert statuses.wait_for(LOST)
        assert capture.status is LOST
    assert statuses.seen == [RUNNING, LOST]
    assert "reopen attempts failed" in str(caught.value)
    assert "127.0.0.1" in str(caught.value)
    assert caught.value.user_message == USER_MESSAGE


def test_stalled_stream_is_frozen_then_recovers(mjpeg_server: MjpegServer) -> None:
    capture = Capture(mjpeg_server.url, frozen_after=0.5, read_timeout=5)
    statuses = Statuses(capture)  # before start(): no report missed
    with capture:
        next(capture.frames(timeout=5))
        mjpeg_server.stalled.set()
        assert statuses.wait_for(FROZEN)
        stalled = capture.frames(timeout=0.3)
        next(stalled)  # the newest frame from before the stall
        with pytest.raises(TimeoutError):
            next(stalled)
        mjpeg_server.stalled.clear()
        assert statuses.wait_for(RUNNING, count=2)
        assert capture.status is RUNNING
    assert statuses.seen == [RUNNING, FROZEN, RUNNING, STOPPED]


def test_listener_exceptions_do_not_stop_capture(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "five.avi", 5)
    calls: list[int] = []

    def broken(frame: Frame) -> None:
        raise RuntimeError("listener bug")

    capture = Capture(str(clip), realtime=False)
    capture.subscribe(broken)
    capture.subscribe(lambda f: calls.append(f.seq))
    statuses = Statuses(capture)
    with capture:
        assert len(collect(capture)) == 5
        assert statuses.wait_for(ENDED)
    assert calls  # the second subscriber still ran
