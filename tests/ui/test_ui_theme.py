"""Theme and accessibility: physical sizes, contrast, state shown by shape and words, not colour alone."""

from __future__ import annotations

import itertools
import math

import pytest
from PySide6.QtCore import QCoreApplication, QRect, QRectF, QSizeF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPalette

from kiosk.ui.i18n import Language
from kiosk.ui.status import StatusLine, Told, paint_state_icon, state_name
from kiosk.ui.theme import (
    FALLBACK_DPI,
    MIN_TOUCH_MM,
    MM_PER_INCH,
    PALETTES,
    Contrast,
    Metrics,
    State,
    TextSize,
    ThemeSettings,
    contrast_ratio,
    density_from_size,
    mm_to_px,
)


@pytest.mark.parametrize(
    ("mm", "dpi", "px"),
    [
        (15.0, 96.0, 57),  # 56.69: rounded up, never smaller than asked
        (15.0, 100.0, 60),  # 59.06
        (15.0, 150.0, 89),  # 88.58
        (25.4, 96.0, 96),  # exactly one inch: no spurious extra pixel
        (0.0, 96.0, 0),
        (1.0, 300.0, 12),  # 11.81
    ],
)
def test_mm_to_px(mm: float, dpi: float, px: int) -> None:
    assert mm_to_px(mm, dpi) == px
    assert px * MM_PER_INCH / dpi >= mm - 1e-9


@pytest.mark.parametrize(("mm", "dpi"), [(-1.0, 96.0), (1.0, 0.0), (1.0, -5.0)])
def test_mm_to_px_refuses_nonsense(mm: float, dpi: float) -> None:
    with pytest.raises(ValueError):
        mm_to_px(mm, dpi)


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ((1920, 1080, 344.0, 194.0), 141.6),  # 15.6" full HD kiosk panel
        ((1920, 1080, 476.0, 268.0), 102.4),  # 21.5" full HD
        ((800, 800, 203.2, 203.2), 100.0),  # Qt's offscreen screen
        ((1920, 1080, 0.0, 0.0), None),  # no EDID
        ((1920, 1080, 16.0, 9.0), None),  # aspect ratio reported as a size (some projectors)
        ((1920, 1080, 34.4, 19.4), None),  # centimetres reported as millimetres
        ((1920, 1080, 344.0, 100.0), None),  # axes disagree: one of them is wrong
        ((1024, 768, 1000.0, 750.0), None),  # 26 dpi: no touch panel is that coarse
        ((0, 1080, 344.0, 194.0), None),
    ],
)
def test_density_from_size(size: tuple[int, int, float, float], expected: float | None) -> None:
    dpi = density_from_size(*size)
    if expected is None:
        assert dpi is None
    else:
        assert dpi == pytest.approx(expected, abs=0.1)


class FakeScreen:
    def __init__(self, width: int, height: int, mm: QSizeF) -> None:
        self._geometry = QRect(0, 0, width, height)
        self._mm = mm

    def geometry(self) -> QRect:
        return self._geometry

    def physicalSize(self) -> QSizeF:
        return self._mm


def test_metrics_from_the_real_screen(qapp) -> None:
    metrics = Metrics.for_screen(qapp.primaryScreen())
    assert metrics.measured
    assert metrics.dpi == pytest.approx(100.0)
    assert metrics.touch_target == 60


def test_metrics_fall_back_to_a_dense_panel_when_the_size_is_unknown() -> None:
    for screen in (None, FakeScreen(1920, 1080, QSizeF(0, 0)), FakeScreen(1920, 1080, QSizeF(16, 9))):
        metrics = Metrics.for_screen(screen)  # type: ignore[arg-type]
        assert not metrics.measured
        assert metrics.dpi == FALLBACK_DPI
    # On any panel up to the fallback's density the target is at least 15 mm.
    target = Metrics.for_screen(None).touch_target
    for real_dpi in (90.0, 120.0, 141.0, FALLBACK_DPI):
        assert target * MM_PER_INCH / real_dpi >= MIN_TOUCH_MM


def test_configured_density_wins() -> None:
    metrics = Metrics.for_screen(FakeScreen(1920, 1080, QSizeF(16, 9)), override_dpi=120.0)  # type: ignore[arg-type]
    assert metrics.dpi == 120.0
    assert metrics.touch_target == math.ceil(15 * 120 / 25.4)


def test_text_meets_the_ada_character_height(metrics: Metrics) -> None:
    # Capital height is about 0.7 em; ADA 707.7.2 asks 4.8 mm.
    for text in TextSize:
        em_mm = metrics.font_px(text) * MM_PER_INCH / metrics.dpi
        assert em_mm * 0.7 >= 4.8
    assert metrics.font_px(TextSize.LARGE) > metrics.font_px(TextSize.NORMAL)
    assert metrics.key_size(TextSize.LARGE) >= metrics.key_size(TextSize.NORMAL) >= metrics.touch_target


def test_contrast_ratio_reference_values() -> None:
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#ffffff", "#000000") == pytest.approx(21.0)
    assert contrast_ratio("#777777", "#777777") == pytest.approx(1.0)
    assert contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)  # WCAG's grey on white
    with pytest.raises(ValueError):
        contrast_ratio("red", "#ffffff")


@pytest.mark.parametrize("contrast", list(Contrast))
def test_every_text_colour_is_readable(contrast: Contrast) -> None:
    palette = PALETTES[contrast]
    low = [(what, round(contrast_ratio(fg, bg), 2)) for what, fg, bg in palette.text_pairs()]
    assert all(ratio >= palette.min_ratio for _, ratio in low), low
    assert PALETTES[Contrast.HIGH].min_ratio >= 7.0


def _icon(state: State, colour: str = "#000000") -> QImage:
    image = QImage(64, 64, QImage.Format.Format_Grayscale8)
    image.fill(Qt.GlobalColor.white)
    painter = QPainter(image)
    painter.setPen(QColor(colour))
    paint_state_icon(painter, state, QRectF(0, 0, 64, 64))
    painter.end()
    return image


def _differing(a: QImage, b: QImage) -> int:
    return sum(1 for x in range(a.width()) for y in range(a.height()) if a.pixel(x, y) != b.pixel(x, y))


def test_states_differ_by_shape_in_grey_and_one_colour() -> None:
    """The icon alone tells the state apart with colour removed."""
    icons = {state: _icon(state) for state in State}
    for a, b in itertools.combinations(State, 2):
        assert _differing(icons[a], icons[b]) > 150, (a, b)


def test_status_line_gives_every_state_its_words(qapp, translations) -> None:
    names = {state_name(state) for state in State}
    assert len(names) == len(State) and all(names)
    line = StatusLine()
    line.set_message(State.WARNING, "Check this")
    assert line.icon.accessibleName() == "Warning"
    assert line.text() == "Check this" and not line.isHidden()
    line.clear()
    assert line.isHidden()


def test_a_told_line_words_its_message_again_in_the_new_language(qtbot, translations) -> None:
    line = Told()
    qtbot.addWidget(line)
    line.tell(State.ERROR, lambda: QCoreApplication.translate("StatusLine", "Error"))
    assert line.text() == "Error"
    translations.switch(Language.JA)
    qtbot.waitUntil(lambda: line.text() == "エラー")
    assert line.state is State.ERROR
    line.clear()
    translations.switch(Language.EN)
    qtbot.wait(50)  # the language change has been delivered
    assert line.text() == "" and line.isHidden()  # a cleared line keeps no words to bring back


def test_the_same_message_again_still_shows_the_line(qapp) -> None:
    line = StatusLine()
    line.set_message(State.INFO, "Same")
    line.hide()  # as a panel does with a line it does not need now
    line.set_message(State.INFO, "Same")
    assert not line.isHidden()


@pytest.mark.parametrize("contrast", list(Contrast))
def test_the_style_sheet_colours_each_state(qtbot, themed, contrast: Contrast) -> None:
    themed(ThemeSettings(contrast=contrast))
    palette = PALETTES[contrast]
    line = StatusLine()
    qtbot.addWidget(line)
    line.show()
    for state in State:
        line.set_message(state, "x")
        colour = line.label.palette().color(QPalette.ColorRole.WindowText).name()
        assert colour == palette.state(state)
        # The icon is drawn in the same colour as the words.
        assert line.icon.palette().color(line.icon.foregroundRole()).name() == palette.state(state)


def test_large_text_grows_the_font(qtbot, themed, metrics: Metrics) -> None:
    normal = themed(ThemeSettings()).font().pixelSize()
    large = themed(ThemeSettings(text=TextSize.LARGE)).font().pixelSize()
    assert large == metrics.font_px(TextSize.LARGE) > normal


def test_disabled_buttons_are_told_by_more_than_colour(themed) -> None:
    sheet = themed(ThemeSettings()).stylesheet()
    assert "QPushButton:disabled { color: #555555; border-style: dashed; }" in sheet
