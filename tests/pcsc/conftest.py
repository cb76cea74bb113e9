"""Tests through the real stack: pyscard/OpenSC → pcscd → vsmartcard-vpcd → software card."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cardemu.harness import PcscHarness

pytestmark = pytest.mark.pcsc


@pytest.fixture
def inserted(pcsc_harness: PcscHarness, card_file: Callable[[str], Path]) -> Iterator[Callable[[str], Path]]:
    """`inserted("adult")` puts a private copy of that resident's card in the reader; removed after."""

    def insert(name: str = "adult") -> Path:
        path = card_file(name)
        pcsc_harness.insert(path)
        return path

    yield insert
    pcsc_harness.remove()
