"""The reader monitor's log while PC/SC is down: one warning per failure, not one per poll (a
terminal started without pcscd used to write a warning every second). The PC/SC service is
replaced here by a context that fails a set number of times, then stays up with no reader; the
monitor against the real pcscd is tested in tests/pcsc/test_kiosk_over_pcsc.py."""

from __future__ import annotations

import logging
import threading

import pytest

from kiosk.reader import pcsc
from kiosk.reader.errors import ReaderUnavailable


class _Service:
    """`PcscContext()` as the monitor calls it: `failures` fail in turn, then an empty context."""

    def __init__(self, failures: list[str]) -> None:
        self.failures = list(failures)
        self.up = threading.Event()

    def __call__(self) -> _EmptyContext:
        if self.failures:
            raise ReaderUnavailable(self.failures.pop(0))
        self.up.set()
        return _EmptyContext()


class _EmptyContext:
    def readers(self) -> list[str]:
        return []

    def wait_for_change(self, _known: object, timeout_ms: int) -> None:
        threading.Event().wait(timeout_ms / 1000)

    def cancel(self) -> None:
        pass

    def close(self) -> None:
        pass


def test_a_lasting_failure_is_warned_once_and_its_end_noted(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    down, other = "no PC/SC service", "PC/SC refused the context"
    service = _Service([down] * 5 + [other, other, down])
    monkeypatch.setattr(pcsc, "PcscContext", service)
    caplog.set_level(logging.DEBUG, logger=pcsc.__name__)
    monitor = pcsc.ReaderMonitor(lambda _event: None, poll_ms=5)
    monitor.start()
    try:
        assert service.up.wait(5)
    finally:
        monitor.stop()
    lines = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == pcsc.__name__]
    warnings = [text for level, text in lines if level == logging.WARNING]
    # each new failure is warned (the first one again when it comes back); repeats are not
    assert warnings == [f"reader monitor: {text}; retrying" for text in (down, other, down)]
    assert sum(level == logging.DEBUG for level, _text in lines) == 5  # 4 repeats of down, 1 of other
    assert (logging.INFO, "reader monitor: PC/SC is back") in lines
