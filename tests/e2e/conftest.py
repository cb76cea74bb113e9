"""Fixtures for the end-to-end tests (helpers live in e2e_support, importable by the tests)."""

from e2e_support import central_process, central_service, staff_ca  # noqa: F401  (fixtures, registered by import)
