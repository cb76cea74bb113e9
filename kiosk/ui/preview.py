"""The live camera preview of the face check, with the check's guidance over it.

The UI thread only paints (docs/face-check.md, "Where it runs"): a QTimer pulls the newest frame
from `Capture.latest()` — a lock held for a pointer copy — and copies its pixels once into a
QImage; scaling and mirroring happen in the painter. Matching runs in the matcher process and its
`Guidance` arrives from the worker thread through `GuidanceRelay`, a queued signal; nothing here
waits for either. A frame is converted only when a new one has arrived, so a stalled camera
costs nothing.

The preview is mirrored by default: people expect a mirror, and the check's instructions are
worded for the person's own left and right (`kiosk.facecheck.check.TURN_INSTRUCTIONS`), which a
mirror shows on the same side.

Frames are biometric data: the preview holds one copy (the QImage) and zero-fills it when it is
replaced, when the camera is lost and on `set_source(None)`; it keeps no reference to a `Frame`,
so the capture's own wiping is not held up.
"""

from __future__ import annotations

import enum
import weakref
from typing import Protocol

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QHideEvent,
    QImage,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPalette,
    QPen,
    QShowEvent,
)
from PySide6.QtWidgets import QProgressBar, QSizePolicy, QVBoxLayout, QWidget

from kiosk.facecheck.camera import CameraStatus, Frame
from kiosk.facecheck.check import FaceDecision, Guidance
from kiosk.ui.status import StatusLine
from kiosk.ui.texts import STAFF_GUIDANCE, camera_unavailable_text, guidance_text
from kiosk.ui.theme import State

DEFAULT_FPS = 25.0


class FrameSource(Protocol):
    """What the preview needs of `kiosk.facecheck.camera.Capture`."""

    def latest(self) -> Frame | None: ...

    @property
    def status(self) -> CameraStatus: ...


class PreviewState(enum.Enum):
    OFF = "off"  # no camera given, or it was stopped
    STARTING = "starting"
    LIVE = "live"
    FROZEN = "frozen"  # no new picture for a while: may recover
    LOST = "lost"  # gone for good: the flow falls back (64条の5)


_STATES = {
    CameraStatus.STARTING: PreviewState.STARTING,
    CameraStatus.RUNNING: PreviewState.LIVE,
    CameraStatus.FROZEN: PreviewState.FROZEN,
    CameraStatus.LOST: PreviewState.LOST,
    CameraStatus.ENDED: PreviewState.LOST,  # a camera does not end: for the person it is gone
    CameraStatus.STOPPED: PreviewState.OFF,
}


def frame_to_image(frame: Frame) -> QImage | None:
    """A QImage owning a copy of the frame's pixels (BGR or grey), or None for another layout."""
    pixels = frame.image
    if pixels.ndim == 3 and pixels.shape[2] == 3:
        fmt = QImage.Format.Format_BGR888
    elif pixels.ndim == 2:
        fmt = QImage.Format.Format_Grayscale8
    else:
        return None
    if not pixels.flags.c_contiguous:
        return None  # a contiguous copy would be one more unwiped copy; cameras deliver contiguous
    height, width = pixels.shape[:2]
    # The QImage first borrows the frame's buffer (which `frame` keeps alive), then copy() detaches.
    return QImage(pixels.data, width, height, pixels.strides[0], fmt).copy()


class GuidanceRelay(QObject):
    """The `FaceCheckWorker` listener: call it from the worker thread; the signals reach slots on
    the thread the relay lives in (the UI's), queued."""

    guidance = Signal(object)  # kiosk.facecheck.check.Guidance
    decided = Signal(object)  # kiosk.facecheck.check.FaceDecision

    def __call__(self, update: Guidance | FaceDecision) -> None:
        if isinstance(update, FaceDecision):
            self.decided.emit(update)
        else:
            self.guidance.emit(update)


class CameraPreview(QWidget):
    def __init__(
        self, *, fps: float = DEFAULT_FPS, mirrored: bool = True, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.mirrored = mirrored
        self._source: FrameSource | None = None
        self._state = PreviewState.OFF
        self._image: QImage | None = None
        self._last: weakref.ref[Frame] | None = None
        self._guidance: Guidance | None = None
        self._frames_shown = 0
        self._timer = QTimer(self)
        self._timer.setInterval(max(1, round(1000 / fps)))
        self._timer.timeout.connect(self.pull)

        self.message = StatusLine(self)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 100)
        self.progress.setTextVisible(False)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(self.message)
        layout.addWidget(self.progress)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self._show_state()

    # -- public ----------------------------------------------------------------------------------

    @property
    def state(self) -> PreviewState:
        return self._state

    @property
    def frames_shown(self) -> int:
        """Frames converted for display (not repaints): what the preview's rate is measured on."""
        return self._frames_shown

    def set_source(self, source: FrameSource | None) -> None:
        """Start previewing `source` (a running Capture), or stop and wipe the picture with None."""
        self._source = source
        self._guidance = None
        self._wipe()
        if source is None:
            self._timer.stop()
            self._set_state(PreviewState.OFF)
        else:
            self._timer.start()
            self.pull()

    def set_guidance(self, guidance: Guidance | None) -> None:
        """The face check's latest instruction (connect `GuidanceRelay.guidance` here)."""
        self._guidance = guidance
        self._show_state()

    def pull(self) -> None:
        """One timer tick: take the newest frame if it is new, follow the camera's status."""
        source = self._source
        if source is None:
            return
        state = _STATES[source.status]
        if state in (PreviewState.LOST, PreviewState.OFF):
            self._wipe()
            self._timer.stop()  # both are final for a Capture
        elif state is PreviewState.LIVE:
            frame = source.latest()
            if frame is not None and (self._last is None or self._last() is not frame):
                self._replace(frame_to_image(frame))
                self._last = weakref.ref(frame)
                self._frames_shown += 1
        self._set_state(state)

    # -- Qt events -------------------------------------------------------------------------------

    def hideEvent(self, event: QHideEvent) -> None:
        # Nobody sees it: no work, and no picture of the person kept in memory.
        self._timer.stop()
        self._wipe()
        super().hideEvent(event)

    def showEvent(self, event: QShowEvent) -> None:
        if self._source is not None and self._state not in (PreviewState.LOST, PreviewState.OFF):
            self._timer.start()
        super().showEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._show_state()
        super().changeEvent(event)

    def sizeHint(self) -> QSize:
        return QSize(640, 480)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), Qt.GlobalColor.black)
        target = self._target()
        if self._image is not None and self._state in (PreviewState.LIVE, PreviewState.FROZEN):
            painter.save()
            if self.mirrored:
                painter.translate(target.x() + target.width(), target.y())
                painter.scale(-1, 1)
            else:
                painter.translate(target.x(), target.y())
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawImage(QRectF(0, 0, target.width(), target.height()), self._image)
            painter.restore()
        if self._state is PreviewState.LIVE:
            self._paint_guide(painter, target)
        painter.end()

    # -- internals -------------------------------------------------------------------------------

    def _target(self) -> QRectF:
        """Where the picture goes: as large as fits, aspect kept (the whole frame must show, so
        the person sees when they are off centre)."""
        w, h = (self._image.width(), self._image.height()) if self._image is not None else (4, 3)
        scale = min(self.width() / w, self.height() / h)
        tw, th = w * scale, h * scale
        return QRectF((self.width() - tw) / 2, (self.height() - th) / 2, tw, th)

    def _paint_guide(self, painter: QPainter, target: QRectF) -> None:
        accent = self.palette().color(QPalette.ColorRole.Highlight)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(accent, max(3.0, target.height() / 120))
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        oval_h = target.height() * 0.62
        centre = target.center()
        painter.drawEllipse(centre, oval_h * 0.38, oval_h / 2)
        code = self._guidance.code if self._guidance is not None else ""
        if code in ("turn_left", "turn_right"):
            # The person's own right shows on the screen's right in a mirror.
            right = (code == "turn_right") == self.mirrored
            self._paint_arrow(painter, target, oval_h, right=right, colour=accent)

    @staticmethod
    def _paint_arrow(painter: QPainter, target: QRectF, size: float, *, right: bool, colour: QColor) -> None:
        sign = 1 if right else -1
        c = target.center()
        x0 = c.x() + sign * size * 0.48
        length, half = size * 0.3, size * 0.14
        path = QPainterPath(QPointF(x0, c.y() - half / 2))
        path.lineTo(x0 + sign * length * 0.6, c.y() - half / 2)
        path.lineTo(x0 + sign * length * 0.6, c.y() - half)
        path.lineTo(x0 + sign * length, c.y())
        path.lineTo(x0 + sign * length * 0.6, c.y() + half)
        path.lineTo(x0 + sign * length * 0.6, c.y() + half / 2)
        path.lineTo(x0, c.y() + half / 2)
        path.closeSubpath()
        painter.fillPath(path, colour)

    def _replace(self, image: QImage | None) -> None:
        self._wipe()
        self._image = image
        self.update()

    def _wipe(self) -> None:
        if self._image is not None:
            self._image.fill(0)
            self._image = None
        self._last = None
        self.update()

    def _set_state(self, state: PreviewState) -> None:
        if state is not self._state:
            self._state = state
            self._show_state()

    def _show_state(self) -> None:
        state = self._state
        guidance = self._guidance
        show_progress = False
        if state is PreviewState.LOST:
            self.message.set_message(State.ERROR, camera_unavailable_text())
        elif state is PreviewState.FROZEN:
            self.message.set_message(
                State.WARNING,
                QCoreApplication.translate("Camera", "The camera picture has stopped. Please wait a moment."),
            )
        elif state is PreviewState.STARTING:
            self.message.set_message(State.INFO, QCoreApplication.translate("Camera", "Starting the camera…"))
        elif state is PreviewState.LIVE and guidance is not None:
            level = State.WARNING if guidance.code in STAFF_GUIDANCE else State.INFO
            self.message.set_message(level, guidance_text(guidance.code, guidance.instruction))
            self.progress.setValue(round(guidance.progress * 100))
            show_progress = True
        else:
            self.message.clear()
        self.progress.setVisible(show_progress)
        self.update()
