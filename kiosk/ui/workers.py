"""Run one blocking call (a card command, a flow step, a central query) off the UI thread.

The UI thread never waits (STYLE.md §3, §7.6): `TaskRunner.run(fn)` hands `fn` to a thread pool
and returns at once; the result or the exception comes back as a signal on the UI thread, where
the screen may touch widgets again. A runner does one call at a time — `run()` refuses while
`busy` — so a double tap on "OK" cannot send two commands to one card: screens bind their
buttons with `bind()` (disabled while busy) and keep one runner per resource (per reader).

`fn` must not touch widgets; it gets whatever it needs as arguments (`functools.partial`). An
exception in `fn` is delivered by `failed`, never raised in the pool thread, and logged with its
type only — messages of lower layers are written to be loggable, but the screen decides what to
show.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, QRunnable, QThread, QThreadPool, Signal
from PySide6.QtWidgets import QWidget

_log = logging.getLogger(__name__)


class _Delivery(QObject):
    """Lives on the UI thread; emitting from the pool thread queues the call to it."""

    done = Signal(object, object)  # result, exception (one of them is None)


class _Call(QRunnable):
    def __init__(self, fn: Callable[[], object], delivery: _Delivery) -> None:
        super().__init__()
        self._fn = fn
        self._delivery = delivery

    def run(self) -> None:
        try:
            result = self._fn()
        except Exception as exc:  # delivered to the UI, which decides what the person sees
            _log.info("background call failed: %s", type(exc).__name__)
            self._delivery.done.emit(None, exc)
        else:
            self._delivery.done.emit(result, None)
        finally:
            self._fn = _done  # drop the call's arguments (a PIN Secret, a card session) now


def _done() -> None:
    return None


class TaskRunner(QObject):
    busy_changed = Signal(bool)
    succeeded = Signal(object)  # the call's return value
    failed = Signal(object)  # the exception it raised

    def __init__(self, pool: QThreadPool | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = pool or QThreadPool.globalInstance()
        self._busy = False
        self._delivery = _Delivery(self)
        self._delivery.done.connect(self._finish)
        self._bound: list[QWidget] = []

    @property
    def busy(self) -> bool:
        return self._busy

    def run(self, fn: Callable[[], object]) -> bool:
        """Start `fn` on the pool; False (and nothing started) while a call is still running.
        Call from the UI thread."""
        if QThread.currentThread() is not self.thread():
            raise RuntimeError("TaskRunner.run() is for the thread the runner lives in")
        if self._busy:
            return False
        self._set_busy(True)
        self._pool.start(_Call(fn, self._delivery))
        return True

    def bind(self, *widgets: QWidget) -> None:
        """Disable `widgets` while a call runs (the buttons that would start another)."""
        for widget in widgets:
            self._bound.append(widget)
            widget.setEnabled(not self._busy)
        # Forget widgets as they are deleted, so a later busy change does not touch a dead one.
        for widget in widgets:
            widget.destroyed.connect(lambda _obj=None, w=widget: self._forget(w))

    def wait(self, msecs: int = -1) -> bool:
        """Block until the pool is idle (tests, shutdown). The result still comes as a signal."""
        return self._pool.waitForDone(msecs)

    def _forget(self, widget: QWidget) -> None:
        if widget in self._bound:
            self._bound.remove(widget)

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        for widget in self._bound:
            widget.setEnabled(not busy)
        self.busy_changed.emit(busy)

    def _finish(self, result: object, error: object) -> None:
        # Not busy before the result goes out, so a slot may chain the next call.
        self._set_busy(False)
        if error is not None:
            self.failed.emit(error)
        else:
            self.succeeded.emit(result)
