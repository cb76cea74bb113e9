"""Where 照合番号B is printed: the front of a My Number card, drawn, with its three parts marked.

照合番号B (CARD.md §5) is 14 digits: the date of birth in the Japanese era (YYMMDD, 6 digits),
the card's expiry year (Gregorian, 4 digits) and the 4-digit security code printed under the
photo. Nobody knows it by heart; people find it on the card in their hand, so the screen shows the
card with each part numbered where it is printed, and a legend with the number, what it is and an
example. Each mark carries its digit as well as the accent colour (never colour alone), and the
picture is painted (it scales to any screen and follows the theme, as `card_prompt` does).
Nothing here shows the person's card: the example is the one CARD.md documents.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QPointF, QRectF, Qt
from PySide6.QtGui import QFont, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from kiosk.ui.texts import arg
from kiosk.ui.theme import Metrics

CARD_ASPECT = 85.6 / 54.0  # ID-1, landscape: the front is read this way round
# Where each part sits on the front, as fractions of the card (x, y, width, height).
BIRTH_DATE = (0.05, 0.47, 0.50, 0.09)
EXPIRY = (0.05, 0.74, 0.38, 0.11)
SECURITY_CODE = (0.70, 0.83, 0.20, 0.09)
PHOTO = (0.68, 0.18, 0.26, 0.60)
EXAMPLE = "550217 2035 2285"  # born 昭和55年2月17日, valid until 2035, code 2285 (CARD.md §5)
DRAWING_MM = 55.0


class CardFaceDrawing(QWidget):
    """The card's front with marks 1, 2, 3 on the three parts of 照合番号B."""

    def __init__(self, metrics: Metrics, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # A fixed size in millimetres: big enough to see where each part is, small enough to sit
        # under the keypad's entry field with its legend on a 1280×800 panel.
        width = metrics.px(DRAWING_MM)
        self.setFixedSize(width, int(width / CARD_ASPECT))

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        fg = palette.color(self.foregroundRole())
        accent = palette.color(QPalette.ColorRole.Highlight)
        on_accent = palette.color(QPalette.ColorRole.HighlightedText)
        surface = palette.color(QPalette.ColorRole.Base)
        faint = palette.color(QPalette.ColorRole.Mid)
        w = min(self.width(), self.height() * CARD_ASPECT)
        h = w / CARD_ASPECT
        card = QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)
        line = max(1.5, w / 250)

        def box(part: tuple[float, float, float, float]) -> QRectF:
            x, y, bw, bh = part
            return QRectF(card.x() + x * w, card.y() + y * h, bw * w, bh * h)

        painter.setPen(QPen(fg, line))
        painter.setBrush(surface)
        painter.drawRoundedRect(card, w * 0.04, w * 0.04)
        # Name and address: grey bars (the layout of the card, no text of anyone's).
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(faint)
        for y, length in ((0.12, 0.45), (0.25, 0.55), (0.33, 0.40)):
            painter.drawRoundedRect(box((0.05, y, length, 0.045)), line, line)
        # The photo: a frame with a head and shoulders.
        photo = box(PHOTO)
        painter.setPen(QPen(fg, line))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(photo)
        head = photo.width() * 0.36
        painter.setBrush(faint)
        painter.drawEllipse(
            QPointF(photo.center().x(), photo.top() + photo.height() * 0.38), head / 2, head * 0.6
        )
        painter.drawChord(
            QRectF(photo.left() + photo.width() * 0.12, photo.top() + photo.height() * 0.7,
                   photo.width() * 0.76, photo.height() * 0.6),
            0, 180 * 16,
        )  # fmt: skip
        # The three parts: framed in the accent colour, each with its number in a disc.
        font = QFont(self.font())
        font.setBold(True)
        font.setPixelSize(max(10, int(h * 0.08)))
        painter.setFont(font)
        for number, part in enumerate((BIRTH_DATE, EXPIRY, SECURITY_CODE), start=1):
            area = box(part)
            painter.setPen(QPen(accent, line * 2.5))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(area, line * 2, line * 2)
            radius = h * 0.065
            centre = QPointF(area.right() + radius * 0.2, area.top() - radius * 0.2)
            painter.setPen(QPen(fg, line))
            painter.setBrush(accent)
            painter.drawEllipse(centre, radius, radius)
            painter.setPen(on_accent)
            disc = QRectF(centre.x() - radius, centre.y() - radius, radius * 2, radius * 2)
            painter.drawText(disc, Qt.AlignmentFlag.AlignCenter, str(number))
        painter.end()


class CodeBGuide(QWidget):
    """The drawing and, under it, its legend: 1 date of birth, 2 expiry year, 3 security code."""

    def __init__(self, metrics: Metrics, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.drawing = CardFaceDrawing(metrics, self)
        self.legend = [QLabel(self) for _ in range(4)]
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)  # the legend is one block of text, not four rows
        layout.addWidget(self.drawing)
        for label in self.legend:
            label.setWordWrap(True)
            layout.addWidget(label)
        self.retranslate()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.drawing.setAccessibleName(
            QCoreApplication.translate("Unattended", "The front of the card, with the three parts marked")
        )
        #: 照合番号B, part 1: the date of birth as printed on the card, year in the Japanese era.
        self.legend[0].setText(
            QCoreApplication.translate("Unattended", "1  Date of birth (Japanese era): YYMMDD")
        )
        self.legend[1].setText(QCoreApplication.translate("Unattended", "2  Expiry year of the card: YYYY"))
        self.legend[2].setText(QCoreApplication.translate("Unattended", "3  Security code, under the photo"))
        #: %1 is CARD.md's example 照合番号B in its three parts (not the person's).
        self.legend[3].setText(arg(QCoreApplication.translate("Unattended", "Example: %1"), EXAMPLE))
