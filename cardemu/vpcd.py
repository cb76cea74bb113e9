"""Serve software cards to vsmartcard-vpcd, and the Unix-socket control protocol of that bridge.

vpcd (Debian `vsmartcard-vpcd`, server mode, CARD.md §12.1) listens inside pcscd on two ports, one
per reader: 35963 = "Virtual PCD 00 00" (slot 0, the resident's reader) and 35964 = "Virtual PCD
00 01" (slot 1, the staff-card reader). One `VpcdBridge` per slot is the TCP client: connecting =
inserting the card, closing = removing it. Framing: 2-byte big-endian length + payload. A 1-byte
payload is a control code (0 power off, 1 power on, 2 reset: no answer; 4 = get ATR: answered with
the ATR). Anything longer is a C-APDU, answered with the R-APDU.

Control protocol (one request line, one JSON answer line, then the server closes); SLOT is
optional and defaults to 0:
    insert [SLOT] /abs/path/card.json  → {"ok": true, "card": "/abs/path/card.json"}
    remove [SLOT]                      → {"ok": true, "removed": true|false}
    status [SLOT]                      → {"ok": true, "card": path|null, "connected": bool,
                                          "apdus": n, "pid": n}
Errors → {"ok": false, "error": "..."}. APDU contents are never logged (they carry PINs).

Run: `python -m cardemu.vpcd --control SOCKET [--card FILE] [--host H] [--port P] [--slots N]`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import signal
import socket
import socketserver
import struct
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, Protocol

from cardemu.card import SoftCard
from cardemu.state import CardState

log = logging.getLogger("cardemu.vpcd")

VPCD_HOST = "127.0.0.1"
VPCD_PORT = 35963  # reader "Virtual PCD 00 00"; slot n is port 35963 + n ("… 00 01" on 35964)
VPCD_SLOTS = 2  # vpcd always creates two readers (CARD.md §12.1)
POWER_OFF, POWER_ON, RESET, GET_ATR = 0, 1, 2, 4
_SW_NO_PRECISE_DIAGNOSIS = b"\x6f\x00"
_CONTROL_TIMEOUT = 10.0
# pcscd asks vpcd for the card every 400 ms; a swap faster than that would look to pcscd like the
# same card staying in, with a fresh, unpowered card behind it. A hand takes longer anyway.
SWAP_PAUSE = 0.6


class Card(Protocol):
    """What the bridge needs of a card: `cardemu.card.SoftCard`'s interface."""

    def power_on(self) -> bytes: ...

    def power_off(self) -> None: ...

    def process(self, apdu: bytes) -> bytes: ...


class VpcdClosed(ConnectionError):
    """vpcd closed the connection (pcscd stopped, or our own remove)."""


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    # TCP may deliver a frame in pieces: loop until it is complete (CARD.md §12.4 #6).
    chunks, missing = [], size
    while missing:
        chunk = sock.recv(missing)
        if not chunk:
            raise VpcdClosed("connection closed")
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)


def recv_frame(sock: socket.socket) -> bytes:
    (length,) = struct.unpack(">H", _recv_exact(sock, 2))
    return _recv_exact(sock, length)


def send_frame(sock: socket.socket, payload: bytes) -> None:
    if len(payload) > 0xFFFF:
        raise ValueError(f"vpcd frames carry at most 65535 bytes, not {len(payload)}")
    sock.sendall(struct.pack(">H", len(payload)) + payload)


def load_soft_card(path: Path) -> tuple[Card, bytes]:
    """The card engine for a card file, and its ATR."""
    state = CardState.load(path)
    return SoftCard(state, path), state.atr


@dataclass
class _Insertion:
    path: Path
    card: Card
    atr: bytes
    sock: socket.socket
    thread: threading.Thread | None = None
    apdus: int = 0
    connected: bool = True
    removing: threading.Event = field(default_factory=threading.Event)


class VpcdBridge:
    """Holds at most one inserted card and serves it to vpcd on a background thread."""

    def __init__(
        self,
        host: str = VPCD_HOST,
        port: int = VPCD_PORT,
        *,
        connect_timeout: float = 10.0,
        card_loader: Callable[[Path], tuple[Card, bytes]] = load_soft_card,
    ) -> None:
        self.host, self.port = host, port
        self.connect_timeout = connect_timeout
        self._load = card_loader
        self._lock = threading.Lock()  # serialises insert/remove/status
        self._current: _Insertion | None = None

    # -- control -------------------------------------------------------------------------------

    def insert(self, path: Path) -> None:
        """Load the card file and connect to vpcd; replaces a card already inserted."""
        path = Path(path).resolve()
        with self._lock:
            card, atr = self._load(path)  # a bad file leaves the current card in place
            if self._remove_locked():
                time.sleep(SWAP_PAUSE)
            sock = self._connect()
            insertion = _Insertion(path, card, atr, sock)
            insertion.thread = threading.Thread(
                target=self._serve, args=(insertion,), name=f"vpcd-{path.name}", daemon=True
            )
            self._current = insertion
            insertion.thread.start()
        log.info("inserted %s", path.name)

    def remove(self) -> bool:
        with self._lock:
            return self._remove_locked()

    def status(self) -> dict[str, Any]:
        with self._lock:
            cur = self._current
            return {
                "card": str(cur.path) if cur else None,
                "connected": bool(cur and cur.connected),
                "apdus": cur.apdus if cur else 0,
                "pid": os.getpid(),
            }

    def close(self) -> None:
        self.remove()

    # -- internals -----------------------------------------------------------------------------

    def _connect(self) -> socket.socket:
        # vpcd's listener appears only once pcscd has loaded the driver: retry until the deadline.
        deadline = time.monotonic() + self.connect_timeout
        while True:
            try:
                sock = socket.create_connection((self.host, self.port), timeout=2.0)
            except OSError as exc:
                if time.monotonic() >= deadline:
                    raise ConnectionError(f"vpcd not reachable at {self.host}:{self.port}: {exc}") from None
                time.sleep(0.05)
                continue
            sock.settimeout(None)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return sock

    def _remove_locked(self) -> bool:
        cur, self._current = self._current, None
        if cur is None:
            return False
        cur.removing.set()
        with contextlib.suppress(OSError):
            cur.sock.shutdown(socket.SHUT_RDWR)  # wakes the serving thread's recv
        cur.sock.close()
        if cur.thread is not None:
            cur.thread.join(timeout=5.0)
        try:
            cur.card.power_off()  # pulling the card cuts its power: volatile state goes
        except Exception:
            log.exception("power_off on removal failed for %s", cur.path.name)
        log.info("removed %s", cur.path.name)
        return True

    def _serve(self, ins: _Insertion) -> None:
        try:
            while True:
                frame = recv_frame(ins.sock)
                if len(frame) == 1:
                    self._control(ins, frame[0])
                    continue
                send_frame(ins.sock, self._process(ins, frame))
        except (VpcdClosed, OSError) as exc:
            if not ins.removing.is_set():
                log.warning("vpcd closed the connection for %s: %s", ins.path.name, exc)
        finally:
            ins.connected = False

    def _control(self, ins: _Insertion, code: int) -> None:
        try:
            self._power(ins, code)
        except (VpcdClosed, OSError):
            raise
        except Exception:
            log.exception("card engine failed on vpcd control code %d", code)

    def _power(self, ins: _Insertion, code: int) -> None:
        if code == GET_ATR:
            send_frame(ins.sock, ins.atr)
        elif code == POWER_ON:
            ins.atr = ins.card.power_on() or ins.atr
        elif code == RESET:
            ins.card.power_off()
            ins.atr = ins.card.power_on() or ins.atr
        elif code == POWER_OFF:
            ins.card.power_off()
        else:
            log.warning("unknown vpcd control code %d ignored", code)

    def _process(self, ins: _Insertion, apdu: bytes) -> bytes:
        ins.apdus += 1
        try:
            response = ins.card.process(apdu)
        except Exception:
            # The engine must never take the bridge down (OpenSC probes with ~40 foreign APDUs).
            log.exception("card engine failed on an APDU (INS %02X, %d bytes)", apdu[1], len(apdu))
            return _SW_NO_PRECISE_DIAGNOSIS
        log.debug("APDU INS %02X Lc+hdr %d → %d bytes", apdu[1], len(apdu), len(response))
        return response


# -- control server ----------------------------------------------------------------------------------


def _slot(bridges: Sequence[VpcdBridge], argument: str) -> tuple[VpcdBridge, str]:
    """Split an optional leading slot number off the argument (a card path is absolute, so a
    leading number is never part of it)."""
    first, _, rest = argument.partition(" ")
    if not first.isdecimal():
        return bridges[0], argument
    slot = int(first)
    if slot >= len(bridges):
        raise ValueError(f"no slot {slot} (this bridge has slots 0–{len(bridges) - 1})")
    return bridges[slot], rest.strip()


def _insert(bridges: Sequence[VpcdBridge], argument: str) -> dict[str, Any]:
    bridge, argument = _slot(bridges, argument)
    path = Path(argument)
    if not argument or not path.is_absolute():
        raise ValueError("usage: insert [SLOT] /absolute/path/card.json")
    bridge.insert(path)
    return {"card": str(path.resolve())}


def _slot_only(bridges: Sequence[VpcdBridge], argument: str, command: str) -> VpcdBridge:
    bridge, rest = _slot(bridges, argument)
    if rest:
        raise ValueError(f"usage: {command} [SLOT]")
    return bridge


def _remove(bridges: Sequence[VpcdBridge], argument: str) -> dict[str, Any]:
    return {"removed": _slot_only(bridges, argument, "remove").remove()}


def _status(bridges: Sequence[VpcdBridge], argument: str) -> dict[str, Any]:
    return _slot_only(bridges, argument, "status").status()


_COMMANDS: dict[str, Callable[[Sequence[VpcdBridge], str], dict[str, Any]]] = {
    "insert": _insert,
    "remove": _remove,
    "status": _status,
}


def _handle_line(bridges: Sequence[VpcdBridge], line: str) -> dict[str, Any]:
    command, _, argument = line.strip().partition(" ")
    handler = _COMMANDS.get(command)
    if handler is None:
        return {
            "ok": False,
            "error": f"unknown command {command!r} (insert [SLOT] PATH | remove [SLOT] | status [SLOT])",
        }
    try:
        return {"ok": True, **handler(bridges, argument.strip())}
    except Exception as exc:  # answered to the client, the server keeps running
        log.warning("%s failed: %s", command, exc)
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}


class ControlServer(socketserver.UnixStreamServer):
    """One request per connection, handled in turn: insert/remove never race each other.

    `bridge` is slot 0's bridge, or one bridge per slot in slot order."""

    def __init__(self, path: Path, bridge: VpcdBridge | Sequence[VpcdBridge]) -> None:
        self.bridges: tuple[VpcdBridge, ...] = (bridge,) if isinstance(bridge, VpcdBridge) else tuple(bridge)
        if not self.bridges:
            raise ValueError("a control server needs at least one bridge")
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.unlink(missing_ok=True)
        old_umask = os.umask(0o177)  # socket file 0600 from the start: it controls the card slot
        try:
            super().__init__(str(self.path), _ControlHandler)
        finally:
            os.umask(old_umask)

    def server_close(self) -> None:
        super().server_close()
        self.path.unlink(missing_ok=True)


class _ControlHandler(socketserver.StreamRequestHandler):
    timeout = _CONTROL_TIMEOUT

    def handle(self) -> None:
        server = self.server
        assert isinstance(server, ControlServer)
        line = self.rfile.readline(4096).decode("utf-8", "replace")
        answer = _handle_line(server.bridges, line)
        self.wfile.write(json.dumps(answer).encode("utf-8") + b"\n")


def control_request(path: Path, line: str, timeout: float = _CONTROL_TIMEOUT) -> dict[str, Any]:
    """Send one control line to a bridge, return its decoded answer."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(str(path))
        sock.sendall(line.encode("utf-8") + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    if not data:
        raise ConnectionError(f"no answer from the bridge at {path}")
    answer: dict[str, Any] = json.loads(data)
    return answer


def _terminate(_signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cardemu.vpcd", description=__doc__.splitlines()[0])
    parser.add_argument("--control", type=Path, required=True, help="Unix socket for insert/remove/status")
    parser.add_argument("--card", type=Path, help="card file to insert into slot 0 at start")
    parser.add_argument("--host", default=VPCD_HOST)
    parser.add_argument("--port", type=int, default=VPCD_PORT, help="slot 0's port; slot n uses PORT + n")
    parser.add_argument("--slots", type=int, default=VPCD_SLOTS, choices=range(1, 9), metavar="N")
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level, format="%(asctime)s bridge[%(process)d] %(message)s")

    signal.signal(signal.SIGTERM, _terminate)
    # A bridge connects only when a card goes in, so an unused slot costs nothing.
    bridges = [VpcdBridge(args.host, args.port + slot) for slot in range(args.slots)]
    server = ControlServer(args.control, bridges)
    try:
        if args.card:
            bridges[0].insert(args.card.resolve())
        log.info("control socket %s ready (%d slots)", args.control, len(bridges))
        server.serve_forever(poll_interval=0.2)
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.server_close()
        for bridge in bridges:
            bridge.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
