"""The "insert your card" prompt: a drawn card sliding into the reader's slot, the reader's state in words.

The picture shows where and which way round (IC chip first and facing up, AusweisApp's card
position guidance, ANCHORS.md §2 A); it is painted, so it scales to any screen and follows the
theme's colours. With `animate=False` (the "reduce motion" setting) it is a still picture with an
arrow, which says the same. The state line says what the reader sees, each state with its own
icon: no reader (call staff), ready (insert), card present (leave it in), unreadable (re-insert).
"""

from __future__ import annotations

import enum

from PySide6.QtCore import (
    Property,
    QCoreApplication,
    QEasingCurve,
    QEvent,
    QPointF,
    QPropertyAnimation,
    QRectF,
    QSize,
    Qt,
)
from PySide6.QtGui import QColor, QHideEvent, QPainter, QPainterPath, QPaintEvent, QPalette, QPen, QShowEvent
from PySide6.QtWidgets import QSizePolicy, QVBoxLayout, QWidget

from kiosk.ui.status import StatusLine
from kiosk.ui.theme import Metrics, State

CARD_ASPECT = 85.6 / 54.0  # ID-1 card: long side / short side
ANIMATION_MS = 1800
STILL_INSERTION = 0.55  # the still picture: the card half-way in, with the arrow


class ReaderState(enum.Enum):
    NO_READER = "no_reader"
    READY = "ready"  # a reader, no card: show where to insert it
    CARD_PRESENT = "card_present"
    CARD_UNREADABLE = "card_unreadable"  # upside down, dirty, not a My Number card


_STATE_LEVEL = {
    ReaderState.NO_READER: State.ERROR,
    ReaderState.READY: State.INFO,
    ReaderState.CARD_PRESENT: State.SUCCESS,
    ReaderState.CARD_UNREADABLE: State.WARNING,
}


def state_text(state: ReaderState) -> str:
    if state is ReaderState.NO_READER:
        return QCoreApplication.translate(
            "CardPrompt", "The card reader is not connected. Please call staff."
        )
    if state is ReaderState.READY:
        return QCoreApplication.translate(
            "CardPrompt", "Insert your My Number card into the card reader, IC chip first and facing up."
        )
    if state is ReaderState.CARD_PRESENT:
        return QCoreApplication.translate(
            "CardPrompt", "Your card is in the reader. Leave it there until you are asked to take it out."
        )
    return QCoreApplication.translate(
        "CardPrompt",
        "The card could not be read. Take it out and insert it again, IC chip first and facing up. "
        "If this happens again, please call staff.",
    )


class CardScene(QWidget):
    """The picture. `insertion` runs from 0 (card in front of the slot) to 1 (card in)."""

    def __init__(self, metrics: Metrics, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._insertion = 0.0
        self._reader = True
        self._arrow = False
        self.setMinimumSize(metrics.px(60), metrics.px(60))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def _get_insertion(self) -> float:
        return self._insertion

    def _set_insertion(self, value: float) -> None:
        self._insertion = max(0.0, min(1.0, value))
        self.update()

    insertion = Property(float, _get_insertion, _set_insertion)

    def set_reader(self, present: bool) -> None:
        self._reader = present
        self.update()

    def set_arrow(self, shown: bool) -> None:
        self._arrow = shown
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(self.minimumWidth() * 2, self.minimumHeight() * 2)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        fg = self.palette().color(self.foregroundRole())
        accent = self.palette().color(QPalette.ColorRole.Highlight)
        surface = self.palette().color(QPalette.ColorRole.Base)
        w, h = self.width(), self.height()
        line = max(2.0, min(w, h) / 100)

        # The reader: a box across the top, its slot on the lower face.
        reader = QRectF(w * 0.15, h * 0.05, w * 0.7, h * 0.3)
        slot_y = reader.bottom() - line * 3
        pen = QPen(fg, line)
        if not self._reader:
            pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(reader, line * 4, line * 4)

        card_w = w * 0.32
        card_h = card_w * CARD_ASPECT  # inserted short edge first: portrait
        slot = QRectF(w / 2 - card_w * 0.6, slot_y - line, card_w * 1.2, line * 2)
        painter.fillRect(slot, fg)
        if not self._reader:
            painter.end()
            return

        # The card below the slot; at 1 most of it is inside. Whatever is inside is hidden.
        travel = card_h * 0.7 + h * 0.12
        top = slot_y + h * 0.12 - travel * self._insertion
        card = QRectF(w / 2 - card_w / 2, top, card_w, card_h)
        painter.save()
        painter.setClipRect(QRectF(0, slot_y, w, h - slot_y))
        painter.setPen(QPen(fg, line))
        painter.setBrush(surface)
        painter.drawRoundedRect(card, line * 3, line * 3)
        # The IC chip near the leading edge, on the face shown: "chip first, facing up".
        chip = QRectF(
            card.center().x() - card_w * 0.14, card.top() + card_h * 0.1, card_w * 0.28, card_w * 0.22
        )
        painter.setBrush(accent)
        painter.drawRoundedRect(chip, line, line)
        painter.setPen(QPen(surface, line / 2))
        painter.drawLine(QPointF(chip.left(), chip.center().y()), QPointF(chip.right(), chip.center().y()))
        painter.drawLine(QPointF(chip.center().x(), chip.top()), QPointF(chip.center().x(), chip.bottom()))
        painter.restore()

        if self._arrow:
            self._paint_arrow(painter, QPointF(w * 0.82, h * 0.85), h * 0.3, line, accent)
        painter.end()

    @staticmethod
    def _paint_arrow(painter: QPainter, base: QPointF, length: float, line: float, colour: QColor) -> None:
        tip = QPointF(base.x(), base.y() - length)
        painter.setPen(QPen(colour, line * 2, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        painter.drawLine(base, tip)
        head = QPainterPath(tip)
        head.lineTo(tip.x() - length * 0.15, tip.y() + length * 0.2)
        head.lineTo(tip.x() + length * 0.15, tip.y() + length * 0.2)
        head.closeSubpath()
        painter.fillPath(head, colour)


class CardPrompt(QWidget):
    def __init__(self, metrics: Metrics, *, animate: bool = True, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._state = ReaderState.READY
        self._animate = animate
        self.scene = CardScene(metrics, self)
        self.status = StatusLine(self)
        self.animation = QPropertyAnimation(self.scene, b"insertion", self)
        self.animation.setStartValue(0.0)
        self.animation.setEndValue(1.0)
        self.animation.setDuration(ANIMATION_MS)
        self.animation.setLoopCount(-1)
        self.animation.setEasingCurve(QEasingCurve.Type.InOutCubic)
        layout = QVBoxLayout(self)
        layout.addWidget(self.scene, 1)
        layout.addWidget(self.status)
        self._apply()

    @property
    def state(self) -> ReaderState:
        return self._state

    def set_state(self, state: ReaderState) -> None:
        self._state = state
        self._apply()

    def set_animate(self, animate: bool) -> None:
        """False for the reduce-motion setting: a still picture with an arrow."""
        self._animate = animate
        self._apply()

    def retranslate(self) -> None:
        self.status.set_message(_STATE_LEVEL[self._state], state_text(self._state))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def showEvent(self, event: QShowEvent) -> None:
        self._apply()
        super().showEvent(event)

    def hideEvent(self, event: QHideEvent) -> None:
        self.animation.stop()  # nobody is watching
        super().hideEvent(event)

    def _apply(self) -> None:
        state = self._state
        moving = state is ReaderState.READY and self._animate and self.isVisible()
        if moving:
            if self.animation.state() != QPropertyAnimation.State.Running:
                self.animation.start()
        else:
            self.animation.stop()
            still = {
                ReaderState.READY: STILL_INSERTION,
                ReaderState.CARD_PRESENT: 1.0,
                ReaderState.CARD_UNREADABLE: 0.2,
                ReaderState.NO_READER: 0.0,
            }[state]
            self.scene.setProperty("insertion", still)
        self.scene.set_reader(state is not ReaderState.NO_READER)
        self.scene.set_arrow(state in (ReaderState.READY, ReaderState.CARD_UNREADABLE))
        self.retranslate()
