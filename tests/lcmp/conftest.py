"""Fixtures for the CMP library: the test PKI, `openssl cmp` runs, the netns mock server."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest
from lcmp_mock import MockCmpServer, unavailable_reason
from lcmp_pki import CmpTestPki


@pytest.fixture(scope="session")
def cmp_pki(tmp_path_factory: pytest.TempPathFactory) -> CmpTestPki:
    return CmpTestPki.create(tmp_path_factory.mktemp("cmp-pki"))


@pytest.fixture
def openssl_cmp(cmp_pki: CmpTestPki, tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run `openssl cmp ARGS` in the PKI directory; message files go to tmp_path (absolute)."""
    reason = unavailable_reason()
    if reason:
        pytest.skip(f"openssl cmp interop unavailable: {reason}")

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            ["openssl", "cmp", *args],
            cwd=cmp_pki.dir,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,  # its log lines go to both; `.stdout` has them in order
            text=True,
            timeout=60,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"openssl cmp {' '.join(args)} → {result.returncode}\n{result.stdout[-3000:]}"
            )
        return result

    return run


@pytest.fixture
def mock_server(cmp_pki: CmpTestPki, tmp_path: Path) -> Callable[..., AbstractContextManager[MockCmpServer]]:
    """`with mock_server(*openssl_args) as srv:` — `openssl cmp -port` in its own network namespace."""
    reason = unavailable_reason()
    if reason:
        pytest.skip(f"openssl cmp interop unavailable: {reason}")
    counter = iter(range(1000))

    @contextmanager
    def start(*args: str) -> Iterator[MockCmpServer]:
        log = tmp_path / f"mock-{next(counter)}.log"
        with MockCmpServer(cmp_pki.dir, log, list(args)) as server:
            yield server

    return start
