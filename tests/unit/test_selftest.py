"""`kiosk selftest` from the source tree (the packaged build's run is ./run test's package stage,
docs/packaging.md): every check passes here, and any failing check fails the command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk import cli, selftest
from kiosk.selftest import CHECKS, Check, CheckWarning

ROOT = Path(__file__).resolve().parents[2]
# No pcscd outside the PC/SC harness: "no pcscd" is the one WARN a healthy machine may give.
MAY_WARN = {"pcsc"}


def test_selftest_from_source_passes(tmp_path: Path) -> None:
    # A child process, as a person runs it: its own QApplication and the matcher's spawned child,
    # and a working directory outside the tree (the package must be found as installed).
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "KIOSK_SELFTEST_TRACEBACK": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "kiosk", "selftest"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = {
        line.split()[1]: line for line in done.stdout.splitlines() if line[:4] in {"PASS", "WARN", "FAIL"}
    }
    assert list(lines) == [check.name for check in CHECKS], done.stdout
    for name, line in lines.items():
        allowed = ("PASS", "WARN") if name in MAY_WARN else ("PASS",)
        assert line.startswith(allowed), line
    assert "マイナンバーカードの電子証明書" in lines["translation"]
    assert done.stdout.splitlines()[-1].startswith("self-test OK")


def _boom() -> str:
    raise RuntimeError("the widget would not build")


def _warn() -> str:
    raise CheckWarning("no pcscd")


def test_a_failing_check_fails_the_command(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    checks = (Check("first", lambda: "fine"), Check("broken", _boom), Check("after", lambda: "still ran"))
    monkeypatch.setattr(selftest, "CHECKS", checks)
    assert cli.main(["selftest"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[1].startswith("PASS  first")
    assert out[2].startswith("FAIL  broken") and "RuntimeError: the widget would not build" in out[2]
    assert out[3].startswith("PASS  after")  # one failure does not stop the others
    assert out[-1] == "self-test FAILED: broken (1 of 3 checks)"


def test_a_warning_alone_passes(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(selftest, "CHECKS", (Check("pcsc", _warn), Check("store", lambda: "ok")))
    assert cli.main(["selftest"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1].startswith("WARN  pcsc") and "no pcscd" in out[1]
    assert out[-1] == "self-test OK: all 2 checks ran without a failure, warnings: pcsc"


def test_a_missing_resource_fails_the_real_checks(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A build that lost a data file: the resource check names it, and what needs it fails too."""
    monkeypatch.setattr(selftest, "CARD_PHOTO", tmp_path / "obama-card.jp2")
    picked = {"resources", "opencv"}
    monkeypatch.setattr(selftest, "CHECKS", tuple(check for check in CHECKS if check.name in picked))
    assert cli.main(["selftest"]) == 1
    out = capsys.readouterr().out
    assert f"FAIL  resources        missing: {tmp_path / 'obama-card.jp2'}" in out
    assert "FAIL  opencv" in out and "FileNotFoundError" in out


def test_check_runs_only_the_named_checks(capsys: pytest.CaptureFixture[str]) -> None:
    # How ./run test re-runs the Qt checks on xcb: the store check alone here (fast, no Qt).
    assert cli.main(["selftest", "--check", "store"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[1] for line in out[1:-1]] == ["store"]
    assert out[1].startswith("PASS  store") and "migrations ran to" in out[1]
