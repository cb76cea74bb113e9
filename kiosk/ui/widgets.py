"""Small widget makers shared by the resident's screens and the staff side, so that a button, a
combo box or a date field is set up one way everywhere."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QDateEdit, QPushButton, QWidget

from kiosk.ui.theme import Metrics


def touch_button(
    metrics: Metrics, parent: QWidget, text: str = "", *, primary: bool = False, focus: bool = True
) -> QPushButton:
    """A button at least one touch target tall (`Metrics.touch_target`); `primary` gives it the
    style sheet's accent. `focus=False` for the resident's touch screens: no focus frame, and a
    hardware key never presses a button that merely had focus."""
    button = QPushButton(text, parent)
    button.setMinimumHeight(metrics.touch_target)
    if not focus:
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    if primary:
        button.setProperty("role", "primary")
    return button


def narrow(box: QComboBox) -> QComboBox:
    """A combo box that does not ask for its longest entry's width (the 要綱's item texts, the
    out-of-service reasons are long; the staff side is narrow): the closed box elides, the open
    list shows every entry whole."""
    box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    box.setMinimumContentsLength(12)
    box.view().setTextElideMode(Qt.TextElideMode.ElideNone)
    return box


def date_edit(parent: QWidget, day: date | None = None) -> QDateEdit:
    """A date field with its calendar, ISO-written (`yyyy-MM-dd`) in every language."""
    edit = QDateEdit(parent) if day is None else QDateEdit(day, parent)
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    return edit
