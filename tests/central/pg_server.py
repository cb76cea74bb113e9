"""A private PostgreSQL server for the test session: its own data directory, no TCP at all
(`listen_addresses=''`), one unix socket in a private directory, gone when the tests end.

The tests run as root in CI; PostgreSQL refuses to run as root, so initdb and the server run as
the `postgres` OS user through `runuser -u postgres --`. The server is stopped by its PID in a
`finally`; if the test process dies first, the kernel's parent-death signal reaches `runuser`
(which passes SIGTERM on to its child) and, through `setpriv --pdeathsig`, the postmaster itself.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

PG_BIN = Path(os.environ.get("CENTRAL_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))
PG_USER = "postgres"
_PR_SET_PDEATHSIG = 1


def unavailable_reason() -> str | None:
    if not (PG_BIN / "postgres").exists() or not (PG_BIN / "initdb").exists():
        return f"PostgreSQL server binaries not found in {PG_BIN}"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(PG_USER)
        except KeyError:
            return f"running as root but there is no {PG_USER!r} OS user"
        if shutil.which("runuser") is None or shutil.which("setpriv") is None:
            return "runuser/setpriv (util-linux) not found"
    return None


def _die_with_parent() -> None:  # preexec: between fork and exec of runuser
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG)")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stale(min_age: float = 600.0) -> None:
    """Remove server directories left by a killed test run (its postmaster is gone).

    Only directories older than `min_age` seconds whose postmaster is not running: another test
    session on this machine may be starting its own server right now.
    """
    for base in Path(tempfile.gettempdir()).glob("central-pg-*"):
        try:
            if time.time() - base.stat().st_mtime < min_age:
                continue
            pid_file = base / "data" / "postmaster.pid"
            if pid_file.exists() and _alive(int(pid_file.read_text().splitlines()[0])):
                continue
        except (OSError, ValueError, IndexError):
            continue
        shutil.rmtree(base, ignore_errors=True)


class PostgresServer:
    def __init__(self) -> None:
        sweep_stale()
        # Not under pytest's tmp dirs: those are 0700 root-owned, the postgres user cannot enter.
        self.base = Path(tempfile.mkdtemp(prefix="central-pg-"))
        self.data = self.base / "data"
        self.log = self.base / "server.log"
        self._proc: subprocess.Popen[bytes] | None = None
        self._as_root = os.geteuid() == 0
        if self._as_root:
            entry = pwd.getpwnam(PG_USER)
            os.chown(self.base, entry.pw_uid, entry.pw_gid)
        os.chmod(self.base, 0o700)

    def _argv(self, *cmd: str) -> list[str]:
        return ["runuser", "-u", PG_USER, "--", *cmd] if self._as_root else list(cmd)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{PG_USER}@/{database}?host={self.base}"

    def start(self, timeout: float = 60.0) -> None:
        subprocess.run(
            self._argv(
                str(PG_BIN / "initdb"),
                "-D",
                str(self.data),
                "-U",
                PG_USER,
                "-A",
                "trust",  # only reachable through the private socket directory
                "-E",
                "UTF8",
                "--no-locale",
                "--no-sync",
            ),
            check=True,
            capture_output=True,
        )
        server = [
            str(PG_BIN / "postgres"),
            "-D",
            str(self.data),
            "-k",
            str(self.base),
            "-c",
            "listen_addresses=",
            # Durability is not under test here and would only slow the suite down.
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "full_page_writes=off",
        ]
        if self._as_root:
            server = ["setpriv", "--pdeathsig", "INT", "--", *server]  # postmaster dies with runuser
        with open(self.log, "wb") as log:
            self._proc = subprocess.Popen(
                self._argv(*server),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,  # noqa: PLW1509 — prctl only
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"postgres exited early:\n{self.log.read_text(errors='replace')}")
            ready = subprocess.run(
                [str(PG_BIN / "pg_isready"), "-h", str(self.base), "-U", PG_USER, "-q"], check=False
            )
            if ready.returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeError(f"postgres did not become ready:\n{self.log.read_text(errors='replace')}")

    def _postmaster_pid(self) -> int | None:
        try:
            return int((self.data / "postmaster.pid").read_text().splitlines()[0])
        except (OSError, ValueError, IndexError):
            return None

    def stop(self) -> None:
        """Fast shutdown of the postmaster by its PID, then make sure runuser is gone too."""
        try:
            pid = self._postmaster_pid()
            if pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGINT)
            if self._proc is not None:
                try:
                    self._proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    for victim in (pid, self._proc.pid):
                        if victim is not None:
                            with contextlib.suppress(ProcessLookupError):
                                os.kill(victim, signal.SIGKILL)
                    self._proc.wait(timeout=10)
        finally:
            shutil.rmtree(self.base, ignore_errors=True)
