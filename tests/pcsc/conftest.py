"""Tests through the real stack: pyscard/OpenSC → pcscd → vsmartcard-vpcd → software card."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.pcsc
