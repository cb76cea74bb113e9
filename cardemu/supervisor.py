"""The process that runs pcscd and the vpcd bridge inside a loopback-only network namespace.

Started by `cardemu.harness.PcscHarness` as `unshare --net -- python -m cardemu.supervisor …`.
Server-mode vpcd binds 0.0.0.0:35963/35964 (CARD.md §12.4 #2); in a fresh network namespace
with only `lo` up, those ports exist nowhere else. pcscd's client socket is a file
(/run/pcscd/pcscd.comm), so PC/SC clients outside the namespace still reach it.

Protocol with the parent, over pipes:
- stdout: one line `READY {"pcscd": pid, "bridge": pid}` once both run, or `FAILED reason`;
  then one answer line (`OK {...}` / `ERR reason`) per command.
- stdin: command lines; `restart-bridge`, `pids`. **EOF = shut down**: when the parent dies, its
  end of the pipe closes and everything here stops (besides PR_SET_PDEATHSIG on every process).
"""

from __future__ import annotations

import argparse
import ctypes
import json
import logging
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

from cardemu.vpcd import VPCD_SLOTS, control_request

log = logging.getLogger("cardemu.supervisor")

PR_SET_PDEATHSIG = 1
_STOP_GRACE = 5.0
# Resolved once at import: the call is also made between fork and exec (preexec_fn), where loading
# a library could deadlock on a lock held by another thread of the parent.
_prctl = ctypes.CDLL(None, use_errno=True).prctl


def set_parent_death_signal(signum: int = signal.SIGTERM) -> None:
    """Have the kernel send `signum` to this process when its parent (thread) exits."""
    if _prctl(PR_SET_PDEATHSIG, signum, 0, 0, 0) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"prctl(PR_SET_PDEATHSIG): {os.strerror(err)}")


def _child_preexec() -> None:  # runs between fork and exec of pcscd / the bridge
    set_parent_death_signal(signal.SIGTERM)


def _spawn(cmd: list[str]) -> subprocess.Popen[bytes]:
    # stdout → our stderr: our stdout is the answer pipe to the harness and must carry nothing else.
    return subprocess.Popen(  # noqa: S603 — our own fixed argv
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=sys.stderr.fileno(),
        preexec_fn=_child_preexec,  # noqa: PLW1509 — prctl only, and this process has no threads
    )


class _Stop(Exception):
    pass


def _on_signal(_signum: int, _frame: FrameType | None) -> None:
    raise _Stop


def _net_namespace(pid: int | str) -> str:
    return os.readlink(f"/proc/{pid}/ns/net")


def _stop_process(proc: subprocess.Popen[bytes] | None, name: str) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(_STOP_GRACE)
    except subprocess.TimeoutExpired:
        log.warning("%s (pid %d) ignored SIGTERM, killing", name, proc.pid)
        proc.kill()
        proc.wait()


class Supervisor:
    def __init__(self, control: Path, card: Path | None, pcscd: str) -> None:
        self.control, self.card, self.pcscd_cmd = control, card, pcscd
        self.pcscd: subprocess.Popen[bytes] | None = None
        self.bridge: subprocess.Popen[bytes] | None = None

    def pids(self) -> dict[str, int | None]:
        return {
            "supervisor": os.getpid(),
            "pcscd": self.pcscd.pid if self.pcscd else None,
            "bridge": self.bridge.pid if self.bridge else None,
        }

    def start_pcscd(self) -> None:
        # -f: foreground, logs to our stderr. Never -a: it would log every APDU, PINs included.
        self.pcscd = _spawn([self.pcscd_cmd, "-f"])

    def start_bridge(self, card: Path | None, timeout: float = 15.0) -> None:
        # One bridge process serves both of vpcd's readers: slot 0 (resident) and slot 1 (staff card).
        cmd = [sys.executable, "-m", "cardemu.vpcd", "--control", str(self.control)]
        cmd += ["--slots", str(VPCD_SLOTS)]
        if card is not None:
            cmd += ["--card", str(card)]
        self.bridge = _spawn(cmd)
        deadline = time.monotonic() + timeout
        while True:
            if self.bridge.poll() is not None:
                raise RuntimeError(f"bridge exited with status {self.bridge.returncode}")
            try:
                control_request(self.control, "status", timeout=1.0)
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("bridge control socket did not come up") from None
                time.sleep(0.05)

    def restart_bridge(self) -> None:
        """Kill the bridge and start a fresh one (the card, if any, stays out until inserted)."""
        _stop_process(self.bridge, "bridge")
        self.start_bridge(None)

    def stop(self) -> None:
        _stop_process(self.bridge, "bridge")
        _stop_process(self.pcscd, "pcscd")

    def serve(self) -> int:
        """Answer commands until stdin closes; exits non-zero if pcscd dies under us."""
        stdin = sys.stdin.buffer
        while True:
            if self.pcscd is not None and self.pcscd.poll() is not None:
                log.error("pcscd exited with status %s", self.pcscd.returncode)
                return 1
            if self.bridge is not None and self.bridge.poll() is not None:
                log.error("bridge exited with status %s; starting a new one", self.bridge.returncode)
                self.start_bridge(None)
            ready, _w, _x = select.select([stdin], [], [], 0.5)
            if not ready:
                continue
            line = stdin.readline()
            if not line:
                return 0  # parent closed the pipe (stop(), or the parent died)
            self._command(line.decode("utf-8", "replace").strip())

    def _command(self, command: str) -> None:
        try:
            if command == "restart-bridge":
                self.restart_bridge()
            elif command != "pids":
                _reply(f"ERR unknown command {command!r}")
                return
            _reply("OK " + json.dumps(self.pids()))
        except Exception as exc:
            _reply(f"ERR {type(exc).__name__}: {exc}")


def _reply(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cardemu.supervisor")
    parser.add_argument("--parent", type=int, required=True, help="pid of the harness process")
    parser.add_argument("--control", type=Path, required=True)
    parser.add_argument("--card", type=Path)
    parser.add_argument("--pcscd", default="pcscd")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s supervisor[%(process)d] %(message)s")

    set_parent_death_signal(signal.SIGTERM)
    if os.getppid() != args.parent:  # the parent died before prctl took effect
        return 1
    # Never run a 0.0.0.0 vpcd in the host's network namespace.
    if _net_namespace("self") == _net_namespace(args.parent):
        _reply("FAILED not in a separate network namespace (run under `unshare --net`)")
        return 2
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)

    supervisor = Supervisor(args.control, args.card, args.pcscd)
    try:
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True)  # noqa: S607 — found on PATH
        supervisor.start_pcscd()
        supervisor.start_bridge(args.card)
        _reply("READY " + json.dumps(supervisor.pids()))
        return supervisor.serve()
    except _Stop:
        return 0
    except Exception as exc:
        log.exception("harness failed")
        _reply(f"FAILED {type(exc).__name__}: {exc}")
        return 1
    finally:
        try:
            supervisor.stop()
        except _Stop:  # a second signal during shutdown: finish it anyway
            supervisor.stop()


if __name__ == "__main__":
    sys.exit(main())
