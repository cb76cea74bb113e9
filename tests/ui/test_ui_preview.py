"""The camera preview: frames pulled at display rate, mirrored, guidance over them, a lost camera said."""

from __future__ import annotations

import gc
import threading
import weakref

import numpy as np
import pytest
from PySide6.QtCore import QThread
from PySide6.QtGui import QColor, QImage

from kiosk.facecheck.camera import CameraStatus, Frame
from kiosk.facecheck.check import FaceDecision, Guidance, Outcome, Phase
from kiosk.facecheck.policy import DEFAULT_POLICY
from kiosk.ui.preview import CameraPreview, GuidanceRelay, PreviewState, frame_to_image
from kiosk.ui.theme import State


class FakeCapture:
    """What the preview reads of a Capture: latest() and status."""

    def __init__(self) -> None:
        self.status = CameraStatus.RUNNING
        self.frame: Frame | None = None
        self.reads = 0

    def latest(self) -> Frame | None:
        self.reads += 1
        return self.frame

    def put(self, bgr: np.ndarray) -> Frame:
        self.frame = Frame(0 if self.frame is None else self.frame.seq + 1, 0.0, bgr)
        return self.frame


def solid(b: int, g: int, r: int, width: int = 64, height: int = 48) -> np.ndarray:
    image = np.zeros((height, width, 3), np.uint8)
    image[:] = (b, g, r)
    return image


def halves() -> np.ndarray:
    """Left half red, right half green (BGR)."""
    image = solid(0, 0, 255)
    image[:, 32:] = (0, 255, 0)
    return image


@pytest.fixture
def preview(qtbot, theme) -> CameraPreview:
    widget = CameraPreview(fps=100)
    qtbot.addWidget(widget)
    widget.resize(320, 240)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def pixel(widget: CameraPreview, x: float, y: float) -> QColor:
    image = widget.grab().toImage()
    return QColor(image.pixel(round(x * image.width()), round(y * image.height())))


def test_frame_to_image_reads_bgr_and_grey() -> None:
    image = frame_to_image(Frame(0, 0.0, solid(255, 0, 0)))
    assert image is not None and QColor(image.pixel(3, 3)).name() == "#0000ff"  # BGR blue is blue
    grey = frame_to_image(Frame(0, 0.0, np.full((10, 12), 77, np.uint8)))
    assert grey is not None and grey.format() == QImage.Format.Format_Grayscale8
    assert QColor(grey.pixel(5, 5)).red() == 77
    assert frame_to_image(Frame(0, 0.0, np.zeros((4, 4, 4), np.uint8))) is None


def test_frame_to_image_copies(qapp) -> None:
    pixels = solid(255, 0, 0)
    image = frame_to_image(Frame(0, 0.0, pixels))
    pixels[:] = 0  # the capture wipes its frame
    assert image is not None and QColor(image.pixel(3, 3)).name() == "#0000ff"


def test_live_picture_is_mirrored(qtbot, preview: CameraPreview) -> None:
    camera = FakeCapture()
    camera.put(halves())
    preview.set_source(camera)
    qtbot.waitUntil(lambda: preview.frames_shown == 1)
    assert preview.state is PreviewState.LIVE
    # Mirrored: the frame's right (green) shows on the left, like a mirror.
    assert pixel(preview, 0.2, 0.5).green() > 200
    assert pixel(preview, 0.8, 0.5).red() > 200
    preview.mirrored = False
    preview.update()
    assert pixel(preview, 0.2, 0.5).red() > 200


def test_a_frame_is_converted_once_and_not_kept(qtbot, preview: CameraPreview) -> None:
    camera = FakeCapture()
    frame = camera.put(solid(0, 0, 255))
    preview.set_source(camera)
    reads = camera.reads
    qtbot.waitUntil(lambda: camera.reads > reads + 5)  # the timer keeps polling …
    assert preview.frames_shown == 1  # … but an unchanged frame costs no conversion
    camera.put(solid(0, 255, 0))
    qtbot.waitUntil(lambda: preview.frames_shown == 2)
    assert pixel(preview, 0.5, 0.2).green() > 200
    gone = weakref.ref(frame)
    del frame
    gc.collect()
    assert gone() is None  # the preview held no reference to the old frame


def test_frozen_keeps_the_picture_and_says_so(qtbot, preview: CameraPreview) -> None:
    camera = FakeCapture()
    camera.put(solid(0, 0, 255))
    preview.set_source(camera)
    qtbot.waitUntil(lambda: preview.frames_shown == 1)
    camera.status = CameraStatus.FROZEN
    qtbot.waitUntil(lambda: preview.state is PreviewState.FROZEN)
    assert preview.message.state is State.WARNING
    assert preview.message.text() == "The camera picture has stopped. Please wait a moment."
    assert pixel(preview, 0.5, 0.2).red() > 200


def test_lost_camera_wipes_the_picture_and_asks_for_staff(qtbot, preview: CameraPreview) -> None:
    camera = FakeCapture()
    camera.put(solid(0, 0, 255))
    preview.set_source(camera)
    qtbot.waitUntil(lambda: preview.frames_shown == 1)
    shown = preview._image
    assert shown is not None
    camera.status = CameraStatus.LOST
    qtbot.waitUntil(lambda: preview.state is PreviewState.LOST)
    assert preview.message.state is State.ERROR
    assert preview.message.text() == "The camera is not available. Please call staff."
    assert preview._image is None
    assert QColor(shown.pixel(3, 3)).name() == "#000000"  # the copy of the face was zero-filled
    assert pixel(preview, 0.5, 0.2).name() == "#000000"
    reads = camera.reads
    qtbot.wait(50)
    assert camera.reads == reads  # LOST is final: polling stopped


def test_starting_and_no_camera(qtbot, preview: CameraPreview) -> None:
    camera = FakeCapture()
    camera.status = CameraStatus.STARTING
    preview.set_source(camera)
    assert preview.state is PreviewState.STARTING
    assert preview.message.text() == "Starting the camera…"
    preview.set_source(None)
    assert preview.state is PreviewState.OFF and preview.message.isHidden()


def guidance(code: str, text: str, progress: float = 0.25) -> Guidance:
    return Guidance(Phase.POSITIONING, code, text, progress, None)


def test_guidance_is_shown_translated_with_its_progress(qtbot, preview: CameraPreview) -> None:
    camera = FakeCapture()
    camera.put(solid(90, 90, 90))
    preview.set_source(camera)
    qtbot.waitUntil(lambda: preview.state is PreviewState.LIVE)
    preview.set_guidance(guidance("too_far", "Please move closer.", 0.4))
    assert (preview.message.state, preview.message.text()) == (State.INFO, "Please move closer.")
    assert preview.progress.value() == 40 and not preview.progress.isHidden()
    preview.set_guidance(guidance("too_dark", "The area is too dark. Please call staff."))
    assert preview.message.state is State.WARNING  # the person cannot fix it alone


@pytest.mark.parametrize(("code", "arrow_on_right"), [("turn_right", True), ("turn_left", False)])
def test_turn_arrow_points_the_way_the_mirror_shows(
    qtbot, preview: CameraPreview, code: str, arrow_on_right: bool
) -> None:
    camera = FakeCapture()
    camera.put(solid(0, 0, 0))
    preview.set_source(camera)
    qtbot.waitUntil(lambda: preview.state is PreviewState.LIVE)
    preview.message.hide()
    preview.progress.hide()
    plain = preview.grab().toImage()
    preview.set_guidance(guidance(code, "turn"))
    preview.message.hide()
    preview.progress.hide()
    drawn = preview.grab().toImage()
    changed = [
        x
        for x in range(plain.width())
        for y in range(0, plain.height(), 4)
        if plain.pixel(x, y) != drawn.pixel(x, y)
    ]
    assert changed
    centre = plain.width() / 2
    assert (min(changed) > centre) == arrow_on_right and (max(changed) < centre) == (not arrow_on_right)


def test_relay_brings_worker_updates_to_the_ui_thread(qtbot, qapp) -> None:
    relay = GuidanceRelay()
    seen: list[tuple[object, bool]] = []
    relay.guidance.connect(lambda g: seen.append((g, QThread.currentThread() is qapp.thread())))
    relay.decided.connect(lambda d: seen.append((d, QThread.currentThread() is qapp.thread())))
    hint = guidance("hold_still", "Please hold still.")
    decision = FaceDecision.unable("camera lost", DEFAULT_POLICY, 1.0, liveness_required=False)
    worker = threading.Thread(target=lambda: (relay(hint), relay(decision)))
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: len(seen) == 2)
    assert seen == [(hint, True), (decision, True)]
    assert decision.outcome is Outcome.UNABLE
