"""pytest-qt fixtures for kiosk/ui: offscreen Qt, a known screen density, the default theme."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

# Before any QApplication exists: tests never need a display (./run test sets it too).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication

from kiosk.ui.i18n import Translations
from kiosk.ui.theme import DEFAULT_SETTINGS, Metrics, Theme, ThemeSettings, apply_theme

DPI = 100.0  # the offscreen platform's screen: 800 px across 203.2 mm


@pytest.fixture
def metrics() -> Metrics:
    return Metrics(DPI)


@pytest.fixture
def theme(qapp: QApplication, metrics: Metrics) -> Iterator[Theme]:
    """The default theme on the whole application, removed afterwards."""
    yield apply_theme(qapp, DEFAULT_SETTINGS, metrics)
    qapp.setStyleSheet("")


@pytest.fixture
def themed(qapp: QApplication, metrics: Metrics) -> Iterator[object]:
    """Apply any ThemeSettings during a test: `themed(ThemeSettings(...))`."""

    def apply(settings: ThemeSettings) -> Theme:
        return apply_theme(qapp, settings, metrics)

    yield apply
    qapp.setStyleSheet("")


@pytest.fixture
def translations(qapp: QApplication) -> Iterator[Translations]:
    """A Translations object whose translator is removed after the test (English sources)."""
    t = Translations(qapp)
    yield t
    t.uninstall()
