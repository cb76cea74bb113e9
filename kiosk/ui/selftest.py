"""The Qt part of `kiosk selftest` (kiosk/selftest.py runs these; only kiosk/ui imports Qt).

Headless: unless QT_QPA_PLATFORM says otherwise the checks run on Qt's `offscreen` platform, so
they need no display. On a terminal, `QT_QPA_PLATFORM=xcb jpki-kiosk selftest` run on its screen
checks the xcb plugin and its system libraries instead.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

# The widgets and translations under test: a light screen of the resident's UI (no card, no
# worker threads), the same translator the counter window installs, and the receipt printer.
from PySide6 import __version__ as pyside_version
from PySide6.QtCore import qVersion
from PySide6.QtGui import QFontDatabase
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QApplication

from kiosk.ui.i18n import Language, Translations
from kiosk.ui.receipt import receipt_document
from kiosk.ui.screens import AttractScreen
from kiosk.ui.theme import FONT_FAMILIES, Metrics

# The attract screen's title (kiosk/ui/screens.py), in the source language: a string the
# translation must cover. Read off the widget, not translated here: tests/ui/test_ui_i18n.py
# wants every translate() call extractable, and the widget's own retranslation is what counts.
KNOWN_SOURCE = "My Number card certificates"
_JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")  # kana or CJK ideographs


class QtCheckFailed(Exception):
    pass


def application() -> QApplication:
    """The one QApplication of the self-test (made on the first call, offscreen by default)."""
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    return QApplication([sys.argv[0] if sys.argv else "kiosk"])


def check_platform() -> str:
    app = application()
    screen = app.primaryScreen()
    if screen is None:
        raise QtCheckFailed(f"platform {app.platformName()} started without a screen")
    size = screen.geometry()
    return (
        f"Qt {qVersion()} (PySide6 {pyside_version}) on the {app.platformName()} platform, "
        f"screen {size.width()}×{size.height()}"
    )


def check_widget() -> str:
    app = application()
    screen = AttractScreen(Metrics.for_screen(app.primaryScreen()))
    try:
        screen.resize(1280, 800)
        screen.show()
        app.processEvents()
        picture = screen.grab()  # paints it: styles, fonts and the raster engine
        if picture.isNull() or not screen.isVisible():
            raise QtCheckFailed("the attract screen did not show")
        buttons = [button.text() for button in screen.buttons.values()]
        return f"AttractScreen shown and painted {picture.width()}×{picture.height()}, buttons {buttons}"
    finally:
        screen.close()
        screen.deleteLater()
        app.processEvents()


def check_translation() -> str:
    """The Japanese catalogue loads from the bundle and re-words a live widget, and back."""
    app = application()
    translations = Translations(app)
    screen = AttractScreen(Metrics.for_screen(app.primaryScreen()))
    try:
        translations.switch(Language.JA)  # raises FileNotFoundError if the .qm does not load
        app.processEvents()
        japanese = screen.title.text()
        if japanese == KNOWN_SOURCE or not _JAPANESE.search(japanese):
            raise QtCheckFailed(f"{KNOWN_SOURCE!r} was not translated: the title shows {japanese!r}")
        translations.switch(Language.EN)
        app.processEvents()
        if screen.title.text() != KNOWN_SOURCE:
            raise QtCheckFailed(f"back in English the title shows {screen.title.text()!r}")
        return f"kiosk_ja.qm loaded: {KNOWN_SOURCE!r} → {japanese!r}, and back to English"
    finally:
        translations.uninstall()
        screen.deleteLater()
        app.processEvents()


def japanese_font() -> str | None:
    """The first of the theme's Japanese font families this machine has, or None."""
    application()
    families = set(QFontDatabase.families())
    for family in FONT_FAMILIES:
        if family in families:
            return f"{family} (of {len(families)} font families)"
    return None


def check_receipt(target: Path) -> str:
    """QtPrintSupport is in the build: a receipt, with Japanese text, printed to a PDF file."""
    application()
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(target))
    receipt_document("電子証明書の発行", "利用者証明用電子証明書: 発行しました", "SELFTEST").print_(printer)
    data = target.read_bytes() if target.is_file() else b""
    if not data.startswith(b"%PDF"):
        raise QtCheckFailed(f"no PDF was written to {target}")
    return f"receipt printed to a {len(data)}-byte PDF"
