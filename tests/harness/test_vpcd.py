"""The bridge's vpcd framing and control protocol, against a fake vpcd on loopback (no pcscd)."""

from __future__ import annotations

import socket
import stat
import struct
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cardemu.state import CardState
from cardemu.vpcd import GET_ATR, POWER_OFF, POWER_ON, RESET, ControlServer, VpcdBridge, control_request

SELECT_JPKI = bytes.fromhex("00A4040C0AD392F000260100000001")


class FakeVpcd:
    """Plays vpcd's server side; sends every frame one byte at a time to exercise short reads."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.conn: socket.socket | None = None

    def accept(self) -> None:
        self.listener.settimeout(5)
        self.conn, _addr = self.listener.accept()
        self.conn.settimeout(5)

    def send(self, payload: bytes) -> None:
        assert self.conn is not None
        for byte in struct.pack(">H", len(payload)) + payload:
            self.conn.sendall(bytes([byte]))

    def recv(self) -> bytes:
        assert self.conn is not None
        header = self._exact(2)
        return self._exact(struct.unpack(">H", header)[0])

    def _exact(self, n: int) -> bytes:
        assert self.conn is not None
        data = b""
        while len(data) < n:
            chunk = self.conn.recv(n - len(data))
            if not chunk:
                raise ConnectionError("bridge closed")
            data += chunk
        return data

    def closed_by_peer(self) -> bool:
        assert self.conn is not None
        return self.conn.recv(1) == b""

    def close(self) -> None:
        if self.conn:
            self.conn.close()
        self.listener.close()


@pytest.fixture
def vpcd() -> Iterator[FakeVpcd]:
    fake = FakeVpcd()
    yield fake
    fake.close()


@pytest.fixture
def bridge(vpcd: FakeVpcd) -> Iterator[VpcdBridge]:
    b = VpcdBridge("127.0.0.1", vpcd.port, connect_timeout=5)
    yield b
    b.close()


def test_framing_control_codes_and_apdus(
    vpcd: FakeVpcd, bridge: VpcdBridge, card_file: Callable[[str], Path]
) -> None:
    path = card_file("adult")
    bridge.insert(path)
    vpcd.accept()
    vpcd.send(bytes([GET_ATR]))
    assert vpcd.recv() == bytes.fromhex("3BE000FF8131FE4514")
    vpcd.send(bytes([POWER_ON]))  # no answer to power codes: the next frame answers the APDU
    vpcd.send(SELECT_JPKI)
    assert vpcd.recv() == b"\x90\x00"
    vpcd.send(bytes.fromhex("00A4020C02000A"))
    assert vpcd.recv() == b"\x90\x00"
    vpcd.send(bytes.fromhex("00B0000004"))
    head = vpcd.recv()
    assert head[:2] == b"\x30\x82" and head[-2:] == b"\x90\x00"
    # Extended Le through one frame: the whole certificate at once.
    vpcd.send(bytes.fromhex("00B00000000000"))
    whole = vpcd.recv()
    assert whole[:-2] == CardState.load(path).jpki.auth_cert and whole[-2:] == b"\x90\x00"
    vpcd.send(bytes([RESET]))
    vpcd.send(bytes.fromhex("00A4020C02000A"))  # after reset no AP is selected any more
    assert vpcd.recv() != b"\x90\x00"
    vpcd.send(bytes([POWER_OFF]))
    assert bridge.status()["apdus"] == 5 and bridge.status()["connected"]

    assert bridge.remove() is True
    assert vpcd.closed_by_peer()
    assert bridge.status() == {"card": None, "connected": False, "apdus": 0, "pid": bridge.status()["pid"]}
    assert bridge.remove() is False


def test_vpcd_going_away_marks_the_card_disconnected(
    vpcd: FakeVpcd, bridge: VpcdBridge, card_file: Callable[[str], Path]
) -> None:
    bridge.insert(card_file("minor"))
    vpcd.accept()
    assert vpcd.conn is not None
    vpcd.conn.close()
    for _ in range(100):
        if not bridge.status()["connected"]:
            break
        threading.Event().wait(0.02)
    assert bridge.status()["connected"] is False and bridge.status()["card"] is not None


def test_control_protocol(
    vpcd: FakeVpcd, bridge: VpcdBridge, card_file: Callable[[str], Path], tmp_path: Path
) -> None:
    server = ControlServer(tmp_path / "ctl" / "control.sock", bridge)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        sock = tmp_path / "ctl" / "control.sock"
        assert stat.S_IMODE(sock.stat().st_mode) == 0o600
        assert control_request(sock, "status")["card"] is None
        assert control_request(sock, "insert relative.json") == {
            "ok": False,
            "error": "ValueError: usage: insert [SLOT] /absolute/path/card.json",
        }
        assert not control_request(sock, "eject")["ok"]
        missing = control_request(sock, f"insert {tmp_path / 'missing.json'}")
        assert not missing["ok"] and "FileNotFoundError" in missing["error"]

        path = card_file("adult")
        assert control_request(sock, f"insert {path}") == {"ok": True, "card": str(path.resolve())}
        vpcd.accept()
        assert control_request(sock, "status")["card"] == str(path.resolve())
        assert control_request(sock, "remove") == {"ok": True, "removed": True}
        assert control_request(sock, "remove") == {"ok": True, "removed": False}
    finally:
        server.shutdown()
        server.server_close()
    assert not (tmp_path / "ctl" / "control.sock").exists()


def test_unreachable_vpcd_is_an_error(card_file: Callable[[str], Path]) -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]  # closed again below: nothing listens there
    bridge = VpcdBridge("127.0.0.1", port, connect_timeout=0.3)
    with pytest.raises(ConnectionError, match="not reachable"):
        bridge.insert(card_file("adult"))
    assert bridge.status()["card"] is None


def test_control_protocol_with_two_slots(card_file: Callable[[str], Path], tmp_path: Path) -> None:
    """Slot n is its own bridge on its own vpcd port: a card goes in and out of each independently."""
    resident_side, staff_side = FakeVpcd(), FakeVpcd()
    bridges = [
        VpcdBridge("127.0.0.1", resident_side.port, connect_timeout=5),
        VpcdBridge("127.0.0.1", staff_side.port, connect_timeout=5),
    ]
    sock = tmp_path / "control.sock"
    server = ControlServer(sock, bridges)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        adult, minor = card_file("adult"), card_file("minor")
        assert control_request(sock, f"insert 1 {minor}") == {"ok": True, "card": str(minor.resolve())}
        staff_side.accept()
        assert control_request(sock, "status")["card"] is None  # no slot = slot 0, still empty
        assert control_request(sock, "status 1")["card"] == str(minor.resolve())
        assert control_request(sock, f"insert {adult}")["ok"]  # slot 0, as before slots existed
        resident_side.accept()
        assert control_request(sock, "status 0")["card"] == str(adult.resolve())

        staff_side.send(bytes([GET_ATR]))  # each slot serves its own card
        assert staff_side.recv() == bytes.fromhex("3BE000FF8131FE4514")
        staff_side.send(SELECT_JPKI)
        assert staff_side.recv() == b"\x90\x00"
        assert (
            control_request(sock, "status 1")["apdus"] == 1
            and control_request(sock, "status 0")["apdus"] == 0
        )

        assert control_request(sock, "remove 1") == {"ok": True, "removed": True}
        assert staff_side.closed_by_peer()
        assert control_request(sock, "status 0")["connected"] is True  # slot 0 untouched
        assert control_request(sock, "remove") == {"ok": True, "removed": True}
        assert resident_side.closed_by_peer()

        assert control_request(sock, f"insert 2 {adult}") == {
            "ok": False,
            "error": "ValueError: no slot 2 (this bridge has slots 0–1)",
        }
        assert not control_request(sock, "remove 1 extra")["ok"]
        assert not control_request(sock, "status 9")["ok"]
    finally:
        server.shutdown()
        server.server_close()
        for bridge in bridges:
            bridge.close()
        resident_side.close()
        staff_side.close()
