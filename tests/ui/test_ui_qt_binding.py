"""The Qt binding keeps Python's reference counts: PySide6 6.12.0 drops one reference to None on
every call that returns nothing, and on Python 3.11 (no immortal None) a UI then aborts with
"deallocating None" after enough calls (pyproject.toml pins PySide6 below 6.12)."""

from __future__ import annotations

import sys

import pytest
from PySide6.QtWidgets import QWidget


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None is immortal from Python 3.12 (PEP 683)")
def test_calls_returning_nothing_keep_none_alive(qtbot) -> None:
    widget = QWidget()
    qtbot.addWidget(widget)
    for _ in range(100):  # warm-up: caches that hold None settle
        widget.update()
        widget.setEnabled(True)
    before = sys.getrefcount(None)
    for _ in range(2000):
        widget.update()
        widget.setEnabled(True)
    assert sys.getrefcount(None) - before > -100  # 6.12.0 loses 4000 here
