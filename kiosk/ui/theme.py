"""Sizes, colours and the style sheet of the touch UI: default, high-contrast and large-text modes.

Sizes are physical. A touch target is at least `MIN_TOUCH_MM` (15 mm) on the glass, whatever the
panel's density: `Metrics` turns millimetres into Qt's logical pixels from the screen's measured
size (EDID) and falls back to an assumed dense panel when the measurement is missing or absurd,
so an unknown screen gets targets too large rather than too small. Text follows ADA 2010 §707.7.2
(characters at least 4.8 mm high, ANCHORS.md §2 E): the body em is 7 mm, whose capital height
(~0.7 em) is 4.9 mm.

Colour never carries information alone: every state colour comes with an icon of its own shape
and words (`kiosk.ui.status`). Every palette's text and state colours are checked for contrast
against their background (WCAG 2 ratios: 4.5:1 default, 7:1 high contrast) by the tests.

Pure helpers (`mm_to_px`, `density_from_size`, `contrast_ratio`) carry the arithmetic; `Theme`
only formats it into a Qt style sheet and `apply_theme` installs it.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

from PySide6.QtGui import QFont, QScreen
from PySide6.QtWidgets import QApplication

MM_PER_INCH = 25.4
MIN_TOUCH_MM = 15.0
# Unknown density: assume a dense panel (a 15.6" full-HD kiosk is ~141 dpi), so that on a
# coarser screen targets come out larger than 15 mm, never smaller.
FALLBACK_DPI = 150.0
# Outside this, the EDID size is wrong (projectors report 0 or 16x9 mm, some panels centimetres).
PLAUSIBLE_DPI = (50.0, 500.0)
# Width and height densities further apart than this mean a bogus size, not a real panel.
MAX_AXIS_MISMATCH = 0.2
BODY_EM_MM = 7.0


def mm_to_px(mm: float, dpi: float) -> int:
    """Logical pixels covering at least `mm` millimetres at `dpi` (rounded up: never smaller)."""
    if mm < 0 or dpi <= 0:
        raise ValueError("mm must be >= 0 and dpi > 0")
    return math.ceil(mm * dpi / MM_PER_INCH - 1e-9)


def density_from_size(width_px: int, height_px: int, width_mm: float, height_mm: float) -> float | None:
    """Logical pixels per inch of a screen from its size in pixels and millimetres, or None when
    the millimetres cannot be a real panel's."""
    if min(width_px, height_px) <= 0 or min(width_mm, height_mm) <= 0:
        return None
    across = width_px * MM_PER_INCH / width_mm
    down = height_px * MM_PER_INCH / height_mm
    if abs(across - down) > MAX_AXIS_MISMATCH * max(across, down):
        return None
    dpi = (across + down) / 2
    low, high = PLAUSIBLE_DPI
    return dpi if low <= dpi <= high else None


class TextSize(enum.Enum):
    NORMAL = 1.0
    LARGE = 1.4

    @property
    def scale(self) -> float:
        return float(self.value)


@dataclass(frozen=True)
class Metrics:
    """Millimetres → logical pixels for one screen. `measured` is False when `dpi` is the fallback."""

    dpi: float
    measured: bool = True

    @classmethod
    def for_screen(cls, screen: QScreen | None, *, override_dpi: float | None = None) -> Metrics:
        """`override_dpi` (from the terminal's configuration) wins: some panels report a wrong size."""
        if override_dpi is not None:
            return cls(override_dpi, measured=True)
        if screen is None:
            return cls(FALLBACK_DPI, measured=False)
        # geometry() is in logical pixels, physicalSize() in mm: their ratio is what widgets need
        # (physicalDotsPerInch() has meant device pixels in some Qt versions).
        geometry, size = screen.geometry(), screen.physicalSize()
        dpi = density_from_size(geometry.width(), geometry.height(), size.width(), size.height())
        return cls(FALLBACK_DPI, measured=False) if dpi is None else cls(dpi, measured=True)

    def px(self, mm: float) -> int:
        return mm_to_px(mm, self.dpi)

    @property
    def touch_target(self) -> int:
        """The smallest side of anything a finger must hit."""
        return self.px(MIN_TOUCH_MM)

    def font_px(self, text: TextSize = TextSize.NORMAL, *, scale: float = 1.0) -> int:
        return self.px(BODY_EM_MM * text.scale * scale)

    def key_size(self, text: TextSize = TextSize.NORMAL) -> int:
        """A keypad key: 15 mm, or more when large text needs room for the label."""
        return max(self.touch_target, round(self.font_px(text, scale=1.2) * 1.6))


class Contrast(enum.Enum):
    DEFAULT = "default"
    HIGH = "high"


@dataclass(frozen=True)
class ThemeSettings:
    """What the person may change during a session; the session reset restores `DEFAULT_SETTINGS`
    (ANCHORS.md §2 E: settings must not carry over to the next person)."""

    contrast: Contrast = Contrast.DEFAULT
    text: TextSize = TextSize.NORMAL
    reduce_motion: bool = False  # still pictures instead of animations (AusweisApp AA9)


DEFAULT_SETTINGS = ThemeSettings()


class State(enum.Enum):
    """A message's state. The colour is one cue of three: `kiosk.ui.status` adds the icon shape
    and the words."""

    INFO = "info"
    SUCCESS = "success"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class Palette:
    background: str
    surface: str  # keys, buttons, panels
    text: str
    muted: str  # secondary and disabled text
    border: str
    accent: str  # the primary button
    accent_text: str
    info: str
    success: str
    warning: str
    error: str
    min_ratio: float  # what every text colour must reach against background and surface

    def state(self, state: State) -> str:
        return str(getattr(self, state.value))

    def text_pairs(self) -> list[tuple[str, str, str]]:
        """(what, foreground, background) for every text colour the UI uses."""
        pairs = [("accent text", self.accent_text, self.accent)]
        for back_name, back in (("background", self.background), ("surface", self.surface)):
            pairs.append((f"text on {back_name}", self.text, back))
            pairs.append((f"muted on {back_name}", self.muted, back))
            pairs.extend((f"{s.value} on {back_name}", self.state(s), back) for s in State)
        return pairs


PALETTES = {
    Contrast.DEFAULT: Palette(
        background="#f4f4f1",
        surface="#ffffff",
        text="#1a1a1a",
        muted="#555555",
        border="#6b6b6b",
        accent="#0b4f9c",
        accent_text="#ffffff",
        info="#0b4f9c",
        success="#1b6b2e",
        warning="#7a4d00",
        error="#a1221b",
        min_ratio=4.5,  # WCAG 2 AA, normal text
    ),
    Contrast.HIGH: Palette(
        background="#000000",
        surface="#000000",
        text="#ffffff",
        muted="#d0d0d0",
        border="#ffffff",
        accent="#ffff00",
        accent_text="#000000",
        info="#ffffff",
        success="#8cff8c",
        warning="#ffff00",
        error="#ff9a9a",
        min_ratio=7.0,  # WCAG 2 AAA
    ),
}


def _channel(c: int) -> float:
    s = c / 255
    return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    """WCAG 2 relative luminance of `#rrggbb`."""
    if len(colour) != 7 or colour[0] != "#":
        raise ValueError(f"not a #rrggbb colour: {colour!r}")
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_ratio(a: str, b: str) -> float:
    """WCAG 2 contrast ratio, 1 (none) to 21 (black on white)."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


FONT_FAMILIES = ["Noto Sans CJK JP", "Noto Sans JP", "sans-serif"]


@dataclass(frozen=True)
class Theme:
    settings: ThemeSettings
    metrics: Metrics

    @property
    def palette(self) -> Palette:
        return PALETTES[self.settings.contrast]

    def font(self) -> QFont:
        font = QFont()
        font.setFamilies(FONT_FAMILIES)
        font.setPixelSize(self.metrics.font_px(self.settings.text))
        return font

    def stylesheet(self) -> str:
        p, m, text = self.palette, self.metrics, self.settings.text
        high = self.settings.contrast is Contrast.HIGH
        border = m.px(0.8 if high else 0.4) or 1
        radius = m.px(1.5)
        touch = m.touch_target
        body, title, key = m.font_px(text), m.font_px(text, scale=1.4), m.font_px(text, scale=1.2)
        keys = m.key_size(text)
        rules = [
            # Painted widgets read these through their QPalette: text, window, highlight (accent).
            f"QWidget {{ background: {p.background}; color: {p.text}; font-size: {body}px;"
            f" selection-background-color: {p.accent}; selection-color: {p.accent_text}; }}",
            f"QLabel[role='title'] {{ font-size: {title}px; font-weight: bold; }}",
            f"QLabel[role='countdown'] {{ font-size: {title * 2}px; font-weight: bold; }}",
            f"QPushButton {{ background: {p.surface}; color: {p.text}; border: {border}px solid {p.border};"
            f" border-radius: {radius}px; min-height: {touch}px; min-width: {touch}px;"
            f" padding: 0 {m.px(3)}px; }}",
            f"QPushButton:pressed {{ background: {p.border}; color: {p.surface}; }}",
            f"QPushButton[role='primary'] {{ background: {p.accent}; color: {p.accent_text}; }}",
            # Disabled is told by the dashed border as well as the colour.
            f"QPushButton:disabled {{ color: {p.muted}; border-style: dashed; }}",
            f"QPushButton[role='primary']:disabled {{ background: {p.surface}; color: {p.muted}; }}",
            # PIN keys look the same pressed or not: a lit key shows an onlooker the digit
            # (AusweisApp "Hide key animations", ANCHORS.md §2 B); the entry field pulses instead.
            f"QPushButton[pinKey='true'] {{ font-size: {key}px; font-weight: bold;"
            f" min-width: {keys}px; min-height: {keys}px; }}",
            f"QPushButton[pinKey='true']:pressed {{ background: {p.surface}; color: {p.text}; }}",
            # Staff-side tabs: touch height, smaller words, so six fit the 140 mm side in Japanese too.
            f"QTabBar::tab {{ font-size: {m.font_px(text, scale=0.75)}px; min-height: {touch}px;"
            f" padding: 0 {m.px(1.5)}px; }}",
            f"QProgressBar {{ border: {border}px solid {p.border}; background: {p.surface};"
            f" min-height: {m.px(3)}px; }}",
            f"QProgressBar::chunk {{ background: {p.accent}; }}",
        ]
        for state in State:
            rules.append(f"StatusLine[state='{state.value}'] QLabel {{ color: {p.state(state)}; }}")
        return "\n".join(rules)


def apply_theme(app: QApplication, settings: ThemeSettings, metrics: Metrics) -> Theme:
    """Install the theme on the whole application and return it (widgets read its metrics)."""
    theme = Theme(settings, metrics)
    app.setStyle("Fusion")  # the same look on every platform; the native style ignores parts of QSS
    app.setFont(theme.font())
    app.setStyleSheet(theme.stylesheet())
    return theme
