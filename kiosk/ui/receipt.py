"""The receipt on paper: the same lines the result screen shows, printed once per result.

Printing is idempotent per visit (ANCHORS.md §2 E: a polling printer path printed twice): the
button prints, then says it has printed; a second copy is a deliberate second press after the
first has finished. With no printer configured the button is not offered at all.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QDateTime
from PySide6.QtGui import QTextDocument
from PySide6.QtPrintSupport import QPrinter, QPrinterInfo

from kiosk.ui.texts import arg

log = logging.getLogger(__name__)

PrinterFactory = Callable[[], QPrinter]


def default_printer() -> PrinterFactory | None:
    """The system's default printer, or None when there is none (no button then)."""
    info = QPrinterInfo.defaultPrinter()
    if info.isNull():
        return None
    return lambda: QPrinter(info, QPrinter.PrinterMode.HighResolution)


def receipt_document(title: str, lines: str, terminal_id: str) -> QTextDocument:
    """Plain text only (no HTML from data): a receipt cannot be made to print markup."""
    document = QTextDocument()
    stamp = QDateTime.currentDateTime().toString("yyyy-MM-dd HH:mm")
    footer = arg(QCoreApplication.translate("Receipt", "Terminal %1, printed %2"), terminal_id, stamp)
    document.setPlainText("\n".join([title, "", lines, "", footer]))
    return document


def print_receipt(printer: QPrinter, title: str, lines: str, terminal_id: str) -> None:
    receipt_document(title, lines, terminal_id).print_(printer)
    log.info("receipt printed (%d lines)", lines.count("\n") + 1)
