"""Shared fixtures: the test PKI, the five residents' card files, and the real PC/SC harness."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cardemu.harness import PcscHarness, unavailable_reason
from cardemu.residents import write_residents
from cardemu.testpki import TestPki


@pytest.fixture(scope="session")
def test_pki(tmp_path_factory: pytest.TempPathFactory) -> TestPki:
    return TestPki.create(tmp_path_factory.mktemp("pki") / "pki")


@pytest.fixture(scope="session")
def resident_cards(tmp_path_factory: pytest.TempPathFactory, test_pki: TestPki) -> dict[str, Path]:
    """name → card file, written once per session. Do not mutate these: use `card_file`."""
    return write_residents(tmp_path_factory.mktemp("residents"), test_pki)


@pytest.fixture
def card_file(resident_cards: dict[str, Path], tmp_path: Path) -> Callable[[str], Path]:
    """`card_file("adult")` → a private copy of that resident's card file in this test's tmp_path."""
    copies = 0

    def copy(name: str = "adult") -> Path:
        nonlocal copies
        copies += 1
        dest = tmp_path / f"{name}-{copies}.json"
        shutil.copy2(resident_cards[name], dest)
        return dest

    return copy


@pytest.fixture(scope="session")
def pcsc_harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PcscHarness]:
    """pcscd + vpcd + bridge in a loopback-only network namespace, for the whole session.

    Skipped only when pcscd / vsmartcard-vpcd are not installed; any other failure to start
    (e.g. another pcscd running, no root) is an error.
    """
    reason = unavailable_reason()
    if reason:
        pytest.skip(f"PC/SC harness unavailable: {reason}")
    workdir = tmp_path_factory.mktemp("harness")
    harness = PcscHarness(workdir / "control.sock", log_path=workdir / "harness.log")
    harness.start()
    try:
        yield harness
    finally:
        harness.stop()


@pytest.fixture
def inserted(pcsc_harness: PcscHarness, card_file: Callable[[str], Path]) -> Iterator[Callable[[str], Path]]:
    """`inserted("adult")` puts a private copy of that resident's card in the reader; removed after."""

    def insert(name: str = "adult") -> Path:
        path = card_file(name)
        pcsc_harness.insert(path)
        return path

    yield insert
    pcsc_harness.remove()
