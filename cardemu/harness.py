"""A real PC/SC stack with a software card in its reader: pcscd + vpcd + our bridge, loopback only.

    with PcscHarness() as h:          # refuses if another pcscd runs (one per host)
        h.insert(card_file)           # returns once pcscd reports the card PRESENT
        ...pyscard / OpenSC / the kiosk on reader "Virtual PCD 00 00"...
        h.remove()                    # returns once the reader is EMPTY
        h.insert(staff_card, slot=1)  # the staff-card reader, "Virtual PCD 00 01"
        h.remove(slot=1)

Two slots, as vpcd always makes two readers: slot 0 = `READER` (the resident's card, the default
of every call), slot 1 = `STAFF_READER` (the operator's staff card). Each slot is its own bridge
connection in the one bridge process, so cards go in and out of each independently.

Processes: this one → `unshare --net` → `cardemu.supervisor` (own network namespace, `lo` up)
→ `pcscd -f` and `python -m cardemu.vpcd`. All of them die with their parent (PR_SET_PDEATHSIG,
and the supervisor also exits when its stdin pipe closes); `stop()` ends them by PID and waits.
The bridge is controlled over a Unix socket (a file, so it crosses network namespaces): see
`cardemu.vpcd` for the protocol, `cardemu insert|remove|status` for the CLI. Needs root (network
namespace, /run/pcscd).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from smartcard import scard

from cardemu.supervisor import set_parent_death_signal
from cardemu.vpcd import control_request

READER = "Virtual PCD 00 00"
STAFF_READER = "Virtual PCD 00 01"
SLOT_READERS = (READER, STAFF_READER)  # slot n → the reader pcscd shows for vpcd port 35963 + n
VPCD_DRIVER = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")
VPCD_READER_CONF = Path("/etc/reader.conf.d/vpcd")
PCSCD_DIR = Path("/run/pcscd")
PCSCD_SOCKET = PCSCD_DIR / "pcscd.comm"
DEFAULT_CONTROL = Path(os.environ.get("CARDEMU_CONTROL", "/run/cardemu/control.sock"))

_PACKAGE_ROOT = Path(__file__).resolve().parent.parent  # so `python -m cardemu.…` works anywhere


class HarnessError(RuntimeError):
    pass


def unavailable_reason() -> str | None:
    """Why the harness cannot run on this host, or None (used to skip tests with a clear reason)."""
    missing = [tool for tool in ("pcscd", "unshare", "ip") if shutil.which(tool) is None]
    if missing:
        return f"not installed: {', '.join(missing)} (apt install pcscd util-linux iproute2)"
    if not VPCD_DRIVER.exists() or not VPCD_READER_CONF.exists():
        return f"vsmartcard-vpcd not installed ({VPCD_DRIVER}, {VPCD_READER_CONF})"
    return None


def running_pcscd() -> list[int]:
    """PIDs of pcscd processes visible in this PID namespace."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() == "pcscd":
                    found.append(int(entry.name))
    return found


def _socket_live(path: Path) -> bool:
    if not path.exists():
        return False
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(1.0)
        try:
            sock.connect(str(path))
        except OSError:
            return False
    return True


def _process_alive(pid: int, expected: tuple[str, ...]) -> bool:
    """Alive and still the process we started (guards against PID reuse)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z" and any(word in cmdline for word in expected)


# -- PC/SC observation (pyscard) -----------------------------------------------------------------


def list_readers() -> list[str]:
    """Reader names pcscd reports; [] while pcscd is not up."""
    try:
        result, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    except Exception:  # pyscard raises when libpcsclite cannot reach the daemon
        return []
    if result != scard.SCARD_S_SUCCESS:
        return []
    try:
        result, readers = scard.SCardListReaders(context, [])
        return list(readers) if result == scard.SCARD_S_SUCCESS else []
    finally:
        scard.SCardReleaseContext(context)


def wait_for_reader(reader: str = READER, timeout: float = 15.0) -> float:
    """Poll until pcscd lists `reader`; returns the seconds it took."""
    start = time.monotonic()
    while reader not in list_readers():
        if time.monotonic() - start > timeout:
            raise HarnessError(f"reader {reader!r} not listed after {timeout:.0f} s")
        time.sleep(0.1)
    return time.monotonic() - start


def wait_card_state(present: bool, reader: str = READER, timeout: float = 5.0) -> float:
    """Block in SCardGetStatusChange until the reader is PRESENT (or EMPTY); returns the seconds."""
    start = time.monotonic()
    wanted = scard.SCARD_STATE_PRESENT if present else scard.SCARD_STATE_EMPTY
    result, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if result != scard.SCARD_S_SUCCESS:
        raise HarnessError(f"SCardEstablishContext: {scard.SCardGetErrorMessage(result)}")
    try:
        known = scard.SCARD_STATE_UNAWARE
        while True:
            remaining = timeout - (time.monotonic() - start)
            if remaining <= 0:
                raise HarnessError(
                    f"{reader}: card not {'present' if present else 'removed'} after {timeout} s"
                )
            result, states = scard.SCardGetStatusChange(context, int(remaining * 1000), [(reader, known)])
            if result == scard.SCARD_E_TIMEOUT:
                continue
            if result != scard.SCARD_S_SUCCESS:
                raise HarnessError(f"SCardGetStatusChange: {scard.SCardGetErrorMessage(result)}")
            _name, event, _atr = states[0]
            if event & wanted:
                return time.monotonic() - start
            known = event & ~scard.SCARD_STATE_CHANGED
    finally:
        scard.SCardReleaseContext(context)


# -- the harness ---------------------------------------------------------------------------------


class PcscHarness:
    def __init__(
        self,
        control_socket: Path | None = None,
        *,
        log_path: Path | None = None,
        card: Path | None = None,
        reader: str = READER,
        start_timeout: float = 20.0,
    ) -> None:
        self.control = Path(control_socket or DEFAULT_CONTROL)
        self.log_path = Path(log_path) if log_path else None
        self.card = card
        self.reader = reader
        self.readers = (reader, *SLOT_READERS[1:])  # by slot
        self.start_timeout = start_timeout
        self.pids: dict[str, int] = {}
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    # -- lifecycle -----------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> PcscHarness:
        if self._proc is not None:
            raise HarnessError("harness already started")
        reason = unavailable_reason()
        if reason:
            raise HarnessError(reason)
        if os.geteuid() != 0:
            raise HarnessError(
                "the PC/SC harness needs root: `unshare --net` and pcscd's /run/pcscd (run as root, "
                "e.g. in the CI container)"
            )
        self._refuse_other_instances()
        self._clean_stale_files()
        if self.log_path is None:
            fd, name = tempfile.mkstemp(prefix="cardemu-harness-", suffix=".log")
            os.close(fd)
            self.log_path = Path(name)
        self._log = self.log_path.open("ab")
        self.control.parent.mkdir(parents=True, exist_ok=True)
        cmd = ["unshare", "--net", "--", sys.executable, "-m", "cardemu.supervisor"]
        cmd += ["--parent", str(os.getpid()), "--control", str(self.control)]
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_PACKAGE_ROOT), env.get("PYTHONPATH")]))
        env["PYTHONUNBUFFERED"] = "1"
        # unshare execs the supervisor in place: this PID is the supervisor's.
        # preexec_fn only calls the pre-resolved prctl: safe even if this process has threads.
        self._proc = subprocess.Popen(  # noqa: S603 — fixed argv
            cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            env=env,
            preexec_fn=set_parent_death_signal,  # noqa: PLW1509
        )
        atexit.register(self.stop)
        try:
            ready = self._read_line(self.start_timeout)
            if not ready.startswith("READY "):
                raise HarnessError(f"harness did not start: {ready or 'no answer'}\n{self.log_tail()}")
            self.pids = {k: v for k, v in json.loads(ready[6:]).items() if v}
            for reader in self.readers:
                wait_for_reader(reader, self.start_timeout)
            if self.card is not None:
                self.insert(self.card)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """End the supervisor, pcscd and the bridge by PID and wait for each; idempotent."""
        proc, self._proc = self._proc, None
        if proc is not None:
            with contextlib.suppress(OSError):
                proc.stdin.close()  # type: ignore[union-attr]  # EOF: orderly shutdown
            try:
                proc.wait(timeout / 2)
            except subprocess.TimeoutExpired:
                proc.terminate()
                try:
                    proc.wait(timeout / 2)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            with contextlib.suppress(OSError):
                proc.stdout.close()  # type: ignore[union-attr]
        # Grandchildren are not ours to wait() for: make sure they are gone, by PID.
        for name, pid in self.pids.items():
            self._reap(pid, name, timeout)
        self.pids = {}
        if self._log is not None:
            self._log.close()
            self._log = None
        if not _socket_live(self.control):
            self.control.unlink(missing_ok=True)
        atexit.unregister(self.stop)

    def __enter__(self) -> PcscHarness:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- card slots ----------------------------------------------------------------------------

    def reader_for(self, slot: int = 0) -> str:
        """The PC/SC reader name of a slot (0: the resident's reader, 1: the staff-card reader)."""
        if not 0 <= slot < len(self.readers):
            raise HarnessError(f"no slot {slot}: the harness has slots 0–{len(self.readers) - 1}")
        return self.readers[slot]

    def insert(self, card: Path, timeout: float = 5.0, *, wait: bool = True, slot: int = 0) -> float:
        """Insert a card file; returns seconds until pcscd reported it PRESENT (0 if not waiting).

        A card already in the slot is pulled first, and pcscd is given time to see the slot empty.
        """
        reader = self.reader_for(slot)
        if self.status(slot).get("card"):
            self.remove(timeout, slot=slot)
        start = time.monotonic()
        self._request(f"insert {slot} {Path(card).resolve()}")
        if not wait:
            return 0.0
        wait_card_state(True, reader, timeout)
        return time.monotonic() - start

    def remove(self, timeout: float = 5.0, *, wait: bool = True, slot: int = 0) -> float:
        """Pull the card; returns seconds until pcscd reported the reader EMPTY (0 if not waiting)."""
        reader = self.reader_for(slot)
        start = time.monotonic()
        self._request(f"remove {slot}")
        if not wait:
            return 0.0
        wait_card_state(False, reader, timeout)
        return time.monotonic() - start

    def status(self, slot: int = 0) -> dict[str, Any]:
        self.reader_for(slot)  # refuses a slot the harness does not have
        return self._request(f"status {slot}")

    def restart_bridge(self, timeout: float = 15.0) -> None:
        """Kill the bridge process and start a new one (no card inserted afterwards, in any slot)."""
        answer = self._supervisor_command("restart-bridge", timeout)
        self.pids = {k: v for k, v in json.loads(answer).items() if v}
        for reader in self.readers:
            wait_card_state(False, reader, timeout)

    # -- internals -----------------------------------------------------------------------------

    def _request(self, line: str) -> dict[str, Any]:
        if not self.running:
            raise HarnessError("harness is not running")
        answer = control_request(self.control, line)
        if not answer.get("ok"):
            raise HarnessError(f"bridge: {answer.get('error')}")
        return answer

    def _supervisor_command(self, command: str, timeout: float) -> str:
        if not self.running:
            raise HarnessError("harness is not running")
        assert self._proc is not None and self._proc.stdin is not None
        self._proc.stdin.write(command.encode() + b"\n")
        self._proc.stdin.flush()
        answer = self._read_line(timeout)
        if not answer.startswith("OK "):
            raise HarnessError(f"supervisor: {answer or 'no answer'}")
        return answer[3:]

    def _read_line(self, timeout: float) -> str:
        assert self._proc is not None and self._proc.stdout is not None
        out = self._proc.stdout
        deadline = time.monotonic() + timeout
        buffer = b""
        while not buffer.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([out], [], [], remaining)[0]:
                break
            byte = os.read(out.fileno(), 1)  # unbuffered: never read past the line
            if not byte:
                break
            buffer += byte
        return buffer.decode("utf-8", "replace").strip()

    def log_tail(self, lines: int = 30) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def _refuse_other_instances(self) -> None:
        pids = running_pcscd()
        if pids or _socket_live(PCSCD_SOCKET):
            who = f"pid {', '.join(map(str, pids))}" if pids else f"socket {PCSCD_SOCKET} answers"
            raise HarnessError(
                f"another pcscd is already running ({who}). pcscd 1.9.9 allows one daemon per host "
                "(fixed /run/pcscd/pcscd.comm, CARD.md §12.4 #4): stop it first, e.g. "
                "`systemctl stop pcscd.socket pcscd.service`, or stop the other harness."
            )
        if _socket_live(self.control):
            raise HarnessError(f"another bridge answers on {self.control}: is a harness already running?")

    def _clean_stale_files(self) -> None:
        # No pcscd runs (checked above): whatever is left in /run/pcscd is from a killed daemon.
        if PCSCD_DIR.is_dir():
            for entry in PCSCD_DIR.iterdir():
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)
        self.control.unlink(missing_ok=True)

    @staticmethod
    def _reap(pid: int, name: str, timeout: float) -> None:
        expected = {"pcscd": ("pcscd",), "bridge": ("cardemu.vpcd",), "supervisor": ("cardemu.supervisor",)}
        marks = expected.get(name, (name,))
        if not _process_alive(pid, marks):
            return
        for signum in (signal.SIGTERM, signal.SIGKILL):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if not _process_alive(pid, marks):
                    return
                time.sleep(0.05)
        raise HarnessError(f"{name} (pid {pid}) survived SIGKILL")
