"""Fixtures for the end-to-end tests (helpers live in e2e_support, importable by the tests)."""

from e2e_support import central_process  # noqa: F401  (a fixture, registered by import)
