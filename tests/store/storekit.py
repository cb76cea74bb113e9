"""Helpers for the store tests (a uniquely named module: tests directories are not packages)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class FakeClock:
    """An injected clock: aware UTC, moved only by the test."""

    def __init__(self, start: datetime = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
