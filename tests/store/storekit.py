"""Helpers for the store tests (a uniquely named module: tests directories are not packages)."""

from __future__ import annotations

from kiosk_store_fixtures import FakeClock  # noqa: F401 (re-exported for the tests)
