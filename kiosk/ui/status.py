"""A message with its state told three ways: colour, an icon of its own shape, and words.

Shapes: info a circle with "i", success a circle with a tick, warning a triangle with "!", error
an octagon with a cross — distinct in grey, so nobody needs the colour (ANCHORS.md §2 E,
accessibility). The colour comes from the style sheet (`StatusLine[state=…] QLabel`, theme.py),
so a theme switch recolours every line without the widgets knowing the theme.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QEvent, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QPainter, QPainterPath, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QWidget

from kiosk.ui.theme import State


def state_icon_path(state: State, box: QRectF) -> tuple[QPainterPath, QPainterPath]:
    """(outline, mark) of the state's icon inside `box`: outlines are stroked, marks stroked too."""
    side = min(box.width(), box.height())
    c = box.center()
    r = side / 2 * 0.9
    outline = QPainterPath()
    mark = QPainterPath()
    if state is State.WARNING:
        top = QPointF(c.x(), c.y() - r)
        outline.addPolygon(
            QPolygonF([top, QPointF(c.x() + r, c.y() + r * 0.8), QPointF(c.x() - r, c.y() + r * 0.8), top])
        )
        mark.moveTo(c.x(), c.y() - r * 0.35)
        mark.lineTo(c.x(), c.y() + r * 0.25)
        mark.addEllipse(QPointF(c.x(), c.y() + r * 0.55), r * 0.04, r * 0.04)
    elif state is State.ERROR:
        angles = [math.pi / 8 + k * math.pi / 4 for k in range(9)]  # 8 corners and back to the first
        points = [QPointF(c.x() + r * math.cos(a), c.y() + r * math.sin(a)) for a in angles]
        outline.addPolygon(QPolygonF(points))
        d = r * 0.4
        mark.moveTo(c.x() - d, c.y() - d)
        mark.lineTo(c.x() + d, c.y() + d)
        mark.moveTo(c.x() + d, c.y() - d)
        mark.lineTo(c.x() - d, c.y() + d)
    else:
        outline.addEllipse(c, r, r)
        if state is State.SUCCESS:
            mark.moveTo(c.x() - r * 0.45, c.y())
            mark.lineTo(c.x() - r * 0.1, c.y() + r * 0.35)
            mark.lineTo(c.x() + r * 0.5, c.y() - r * 0.35)
        else:
            mark.addEllipse(QPointF(c.x(), c.y() - r * 0.45), r * 0.04, r * 0.04)
            mark.moveTo(c.x(), c.y() - r * 0.1)
            mark.lineTo(c.x(), c.y() + r * 0.5)
    return outline, mark


def paint_state_icon(painter: QPainter, state: State, box: QRectF) -> None:
    """Draw the icon with the painter's current pen colour."""
    side = min(box.width(), box.height())
    pen = QPen(painter.pen().color(), max(2.0, side * 0.09))
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    outline, mark = state_icon_path(state, box)
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawPath(outline)
    painter.drawPath(mark)
    painter.restore()


def state_name(state: State) -> str:
    """The state in words, for screen readers (the icon's accessible name)."""
    names = {
        State.INFO: QCoreApplication.translate("StatusLine", "Information"),
        State.SUCCESS: QCoreApplication.translate("StatusLine", "Done"),
        State.WARNING: QCoreApplication.translate("StatusLine", "Warning"),
        State.ERROR: QCoreApplication.translate("StatusLine", "Error"),
    }
    return names[state]


class StatusIcon(QLabel):
    """A QLabel so the style sheet's `StatusLine[state=…] QLabel` colour reaches it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._state = State.INFO
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def set_state(self, state: State) -> None:
        self._state = state
        self.setAccessibleName(state_name(state))
        self.update()

    def sizeHint(self) -> QSize:
        side = round(self.fontMetrics().height() * 1.3)
        return QSize(side, side)

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setPen(self.palette().color(self.foregroundRole()))
        paint_state_icon(painter, self._state, QRectF(self.rect()))
        painter.end()


class StatusLine(QWidget):
    """Icon and wrapped text on one line; hidden while it has nothing to say."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._state = State.INFO
        # Paint the style sheet's background: over a camera picture the line must stay readable.
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.icon = StatusIcon(self)
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.icon, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.label, 1)
        self._show(State.INFO, "")

    @property
    def state(self) -> State:
        return self._state

    def text(self) -> str:
        return self.label.text()

    def set_message(self, state: State, text: str) -> None:
        """Show `text` in `state`. Cheap when nothing changed: panels that re-word themselves every
        second do not re-polish their lines each time."""
        if state is not self._state or text != self.label.text():
            self._show(state, text)
        self.setVisible(bool(text))

    def _show(self, state: State, text: str) -> None:
        self._state = state
        self.setProperty("state", state.value)
        self.icon.set_state(state)
        self.label.setText(text)
        self.setVisible(bool(text))
        # A changed dynamic property takes effect only after a re-polish.
        for widget in (self, self.icon, self.label):
            widget.style().unpolish(widget)
            widget.style().polish(widget)

    def clear(self) -> None:
        self.set_message(State.INFO, "")

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.icon.set_state(self._state)
        super().changeEvent(event)


class Told(StatusLine):
    """A status line whose message is kept as a function of the language: worded again on a
    language change (the resident's language switch reaches the staff's panels too)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        self._words: Callable[[], str] | None = None
        super().__init__(parent)

    def tell(self, state: State, words: Callable[[], str]) -> None:
        self._words = words
        self.set_message(state, words())

    def clear(self) -> None:
        self._words = None
        super().clear()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.LanguageChange and self._words is not None:
            self.set_message(self.state, self._words())
