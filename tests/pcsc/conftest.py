"""Tests through the real stack: pyscard/OpenSC → pcscd → vsmartcard-vpcd → software card."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.pcsc  # applies to this conftest only: each test module carries its own
