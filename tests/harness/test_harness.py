"""The real PC/SC stack: pcscd + vsmartcard-vpcd + our bridge in a loopback-only network namespace,
observed from outside with pyscard exactly as the kiosk will see it."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from smartcard import scard
from smartcard.System import readers

from cardemu.harness import PCSCD_SOCKET, READER, STAFF_READER, HarnessError, PcscHarness
from cardemu.state import CardState

pytestmark = pytest.mark.pcsc

JPKI_ATR = bytes.fromhex("3BE000FF8131FE4514")
SELECT_JPKI = bytes.fromhex("00A4040C0AD392F000260100000001")
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def harness(pcsc_harness: PcscHarness) -> Iterator[PcscHarness]:
    """The session harness, with both slots emptied after each test whatever happened."""
    if not pcsc_harness.running:
        pcsc_harness.start()
    yield pcsc_harness
    if pcsc_harness.running:
        for slot in (1, 0):
            with contextlib.suppress(Exception):
                pcsc_harness.remove(slot=slot)


def reader_state(name: str = READER) -> tuple[int, bytes]:
    """(event state flags, ATR) of a reader, straight from SCardGetStatusChange."""
    result, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    assert result == scard.SCARD_S_SUCCESS
    try:
        result, states = scard.SCardGetStatusChange(context, 0, [(name, scard.SCARD_STATE_UNAWARE)])
        assert result == scard.SCARD_S_SUCCESS, scard.SCardGetErrorMessage(result)
        _name, event, atr = states[0]
        return event, bytes(atr)
    finally:
        scard.SCardReleaseContext(context)


def wait_for(state: int, timeout: float = 3.0, name: str = READER) -> float:
    start = time.monotonic()
    while not reader_state(name)[0] & state:
        assert time.monotonic() - start < timeout, f"reader not in state {state:#x} after {timeout} s"
        time.sleep(0.02)
    return time.monotonic() - start


class Connection:
    def __init__(self, name: str = READER) -> None:
        reader = next(r for r in readers() if str(r) == name)
        self.conn = reader.createConnection()
        self.conn.connect()

    def send(self, apdu: bytes) -> tuple[bytes, int]:
        data, sw1, sw2 = self.conn.transmit(list(apdu))
        return bytes(data), (sw1 << 8) | sw2

    def read_file(self, fid: int) -> bytes:
        """SELECT EF, then OpenSC's strategy: 4-byte DER header probe, 256-byte chunks."""
        assert self.send(bytes.fromhex("00A4020C02") + fid.to_bytes(2, "big"))[1] == 0x9000
        head, sw = self.send(bytes.fromhex("00B0000004"))
        assert sw == 0x9000 and head[:2] == b"\x30\x82"
        total, data = int.from_bytes(head[2:4], "big") + 4, b""
        while len(data) < total:
            chunk, sw = self.send(
                bytes([0, 0xB0, len(data) >> 8, len(data) & 0xFF, min(256, total - len(data)) & 0xFF])
            )
            assert sw == 0x9000
            data += chunk
        return data

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.disconnect()
        with contextlib.suppress(Exception):
            self.conn.release()


@contextlib.contextmanager
def connected(name: str = READER) -> Iterator[Connection]:
    conn = Connection(name)
    try:
        yield conn
    finally:
        conn.close()


# -- isolation -----------------------------------------------------------------------------------


def test_readers_listed_and_nothing_listens_outside(harness: PcscHarness) -> None:
    names = [str(r) for r in readers()]
    assert "Virtual PCD 00 00" in names and "Virtual PCD 00 01" in names

    for port in (35963, 35964):
        with socket.socket() as sock, pytest.raises(ConnectionRefusedError):
            sock.settimeout(2)
            sock.connect(("127.0.0.1", port))
    host = subprocess.run(["ss", "-ltnp"], capture_output=True, text=True, check=True).stdout
    assert ":35963" not in host and ":35964" not in host

    # Positive control: inside the namespace vpcd does listen (on 0.0.0.0, as it always does).
    netns = f"/proc/{harness.pids['supervisor']}/ns/net"
    inside = subprocess.run(
        ["nsenter", f"--net={netns}", "ss", "-ltn"], capture_output=True, text=True, check=True
    )
    assert ":35963" in inside.stdout and ":35964" in inside.stdout
    assert os.readlink(netns) != os.readlink("/proc/self/ns/net")


def test_a_second_harness_is_refused(harness: PcscHarness, tmp_path: Path) -> None:
    with pytest.raises(HarnessError, match="already running"):
        PcscHarness(tmp_path / "other.sock").start()
    assert harness.running


# -- hot plug ------------------------------------------------------------------------------------


def test_hot_plug_insert_remove_and_another_card(
    harness: PcscHarness, resident_cards: dict[str, Path], card_file: Callable[[str], Path]
) -> None:
    assert reader_state()[0] & scard.SCARD_STATE_EMPTY

    adult = card_file("adult")
    harness.insert(adult)
    event, atr = reader_state()
    assert event & scard.SCARD_STATE_PRESENT and atr == JPKI_ATR
    with connected() as conn:
        assert bytes(conn.conn.getATR()) == JPKI_ATR
        assert conn.send(SELECT_JPKI)[1] == 0x9000
        assert conn.read_file(0x000A) == CardState.load(adult).jpki.auth_cert

    harness.remove(wait=False)  # measured here, independently of the harness's own wait
    removed_after = wait_for(scard.SCARD_STATE_EMPTY, timeout=2.0)
    assert removed_after < 1.5

    minor = card_file("minor")
    inserted_after = harness.insert(minor)
    assert inserted_after < 2.0
    with connected() as conn:
        assert conn.send(SELECT_JPKI)[1] == 0x9000
        assert conn.read_file(0x000A) == CardState.load(minor).jpki.auth_cert
    assert harness.status()["card"] == str(minor.resolve())
    print(f"\ninsert→PRESENT {inserted_after * 1000:.0f} ms, remove→EMPTY {removed_after * 1000:.0f} ms")


def test_insert_replaces_the_card_in_the_slot(harness: PcscHarness, card_file: Callable[[str], Path]) -> None:
    first, second = card_file("adult"), card_file("expired")
    harness.insert(first)
    with connected() as conn:
        assert conn.send(SELECT_JPKI)[1] == 0x9000
    harness.insert(second)  # no explicit remove: the first card is pulled, pcscd sees the swap
    assert harness.status()["card"] == str(second.resolve())
    with connected() as conn:
        assert conn.send(SELECT_JPKI)[1] == 0x9000
        assert conn.read_file(0x000A) == CardState.load(second).jpki.auth_cert


def test_bad_card_file_is_reported_not_fatal(harness: PcscHarness, tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.json"
    bogus.write_text("{}")
    with pytest.raises(HarnessError, match="bridge"):
        harness.insert(bogus, timeout=1.0)
    assert harness.status()["card"] is None and harness.running


def test_card_state_survives_bridge_restart(harness: PcscHarness, card_file: Callable[[str], Path]) -> None:
    path = card_file("adult")
    harness.insert(path)
    with connected() as conn:
        assert conn.send(SELECT_JPKI)[1] == 0x9000
        assert conn.send(bytes.fromhex("00A4020C020018"))[1] == 0x9000
        assert conn.send(bytes.fromhex("002000800439393939"))[1] == 0x63C2  # wrong auth PIN
    assert CardState.load(path).jpki.auth_pin.tries_left == 2

    old_bridge = harness.pids["bridge"]
    harness.restart_bridge()
    assert harness.pids["bridge"] != old_bridge
    assert (
        not Path(f"/proc/{old_bridge}").exists()
        or b"cardemu.vpcd" not in Path(f"/proc/{old_bridge}/cmdline").read_bytes()
    )
    assert reader_state()[0] & scard.SCARD_STATE_EMPTY

    harness.insert(path)
    with connected() as conn:
        assert conn.send(SELECT_JPKI)[1] == 0x9000
        assert conn.send(bytes.fromhex("00A4020C020018"))[1] == 0x9000
        assert conn.send(bytes.fromhex("00200080"))[1] == 0x63C2  # counter kept across the restart
        assert conn.send(bytes.fromhex("002000800431323334"))[1] == 0x9000
    assert CardState.load(path).jpki.auth_pin.tries_left == 3


# -- two slots: the resident's reader and the staff-card reader ------------------------------------------


def test_two_slots_are_independent(harness: PcscHarness, card_file: Callable[[str], Path]) -> None:
    resident, staff = card_file("adult"), card_file("minor")  # any card file goes in either slot
    assert harness.reader_for(0) == READER and harness.reader_for(1) == STAFF_READER
    assert reader_state(STAFF_READER)[0] & scard.SCARD_STATE_EMPTY

    harness.insert(staff, slot=1)
    assert reader_state(STAFF_READER)[0] & scard.SCARD_STATE_PRESENT
    assert reader_state(READER)[0] & scard.SCARD_STATE_EMPTY  # slot 0 saw nothing
    harness.insert(resident)  # slot 0, the default
    assert harness.status()["card"] == str(resident.resolve())
    assert harness.status(1)["card"] == str(staff.resolve())

    with connected(READER) as res, connected(STAFF_READER) as stf:
        assert res.send(SELECT_JPKI)[1] == 0x9000 and stf.send(SELECT_JPKI)[1] == 0x9000
        assert res.read_file(0x000A) == CardState.load(resident).jpki.auth_cert
        assert stf.read_file(0x000A) == CardState.load(staff).jpki.auth_cert

        harness.remove(slot=1)  # the staff card leaves while the resident's is in use
        assert reader_state(STAFF_READER)[0] & scard.SCARD_STATE_EMPTY
        assert reader_state(READER)[0] & scard.SCARD_STATE_PRESENT
        assert res.read_file(0x000B) == CardState.load(resident).jpki.auth_ca_cert  # same connection

        harness.insert(staff, slot=1)  # and comes back, still without disturbing slot 0
        assert res.send(SELECT_JPKI)[1] == 0x9000
    with connected(STAFF_READER) as stf:
        assert stf.send(SELECT_JPKI)[1] == 0x9000

    harness.remove()  # slot 0 out, slot 1 stays
    assert reader_state(READER)[0] & scard.SCARD_STATE_EMPTY
    assert reader_state(STAFF_READER)[0] & scard.SCARD_STATE_PRESENT
    assert harness.status()["card"] is None and harness.status(1)["connected"]
    with pytest.raises(HarnessError, match="no slot 2"):
        harness.insert(resident, slot=2)


def test_restart_bridge_empties_both_slots(harness: PcscHarness, card_file: Callable[[str], Path]) -> None:
    harness.insert(card_file("adult"))
    harness.insert(card_file("minor"), slot=1)
    harness.restart_bridge()
    assert reader_state(READER)[0] & scard.SCARD_STATE_EMPTY
    assert reader_state(STAFF_READER)[0] & scard.SCARD_STATE_EMPTY
    assert harness.status(1)["card"] is None


# -- CLI against the running harness ------------------------------------------------------------------


def _cli(harness: PcscHarness, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO), CARDEMU_CONTROL=str(harness.control))
    return subprocess.run(
        [sys.executable, "-m", "cardemu.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_cli_insert_status_remove(harness: PcscHarness, card_file: Callable[[str], Path]) -> None:
    path = card_file("sign_blocked")
    result = _cli(harness, "insert", str(path))
    assert result.returncode == 0, result.stderr
    assert "card present" in result.stdout
    assert reader_state()[0] & scard.SCARD_STATE_PRESENT
    status = json.loads(_cli(harness, "status").stdout)
    assert status["card"] == str(path.resolve()) and status["connected"]

    other = card_file("adult")  # straight swap through the control socket: the bridge pauses
    assert _cli(harness, "insert", str(other)).returncode == 0
    with connected() as conn:
        assert conn.send(SELECT_JPKI)[1] == 0x9000
        assert conn.read_file(0x000A) == CardState.load(other).jpki.auth_cert
    result = _cli(harness, "remove")
    assert result.returncode == 0 and "reader empty" in result.stdout
    assert reader_state()[0] & scard.SCARD_STATE_EMPTY
    assert _cli(harness, "insert", str(path.with_name("missing.json"))).returncode == 1


def test_cli_staff_slot(harness: PcscHarness, card_file: Callable[[str], Path]) -> None:
    path = card_file("minor")
    result = _cli(harness, "insert", "--slot", "1", str(path))
    assert result.returncode == 0, result.stderr
    assert reader_state(STAFF_READER)[0] & scard.SCARD_STATE_PRESENT
    assert reader_state(READER)[0] & scard.SCARD_STATE_EMPTY
    assert json.loads(_cli(harness, "status", "--slot", "1").stdout)["card"] == str(path.resolve())
    assert json.loads(_cli(harness, "status").stdout)["card"] is None
    result = _cli(harness, "remove", "--slot", "1")
    assert result.returncode == 0 and "reader empty" in result.stdout
    assert reader_state(STAFF_READER)[0] & scard.SCARD_STATE_EMPTY
    assert _cli(harness, "remove", "--slot", "2").returncode == 2  # argparse: no such slot


# -- supervision: everything dies with its parent ----------------------------------------------------

_ORPHAN_SCRIPT = """
import json, sys, time
from pathlib import Path
from cardemu.harness import PcscHarness
h = PcscHarness(Path(sys.argv[1]), log_path=Path(sys.argv[2]), card=Path(sys.argv[3]))
h.start()
print(json.dumps(h.pids), flush=True)
time.sleep(600)
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_everything_stops_when_the_parent_dies(
    pcsc_harness: PcscHarness, card_file: Callable[[str], Path], tmp_path: Path
) -> None:
    pcsc_harness.stop()  # one pcscd per host: make room for the orphan-to-be
    parent = None
    pids: dict[str, int] = {}
    try:
        env = dict(os.environ, PYTHONPATH=str(REPO))
        parent = subprocess.Popen(
            [
                sys.executable,
                "-c",
                _ORPHAN_SCRIPT,
                str(tmp_path / "c.sock"),
                str(tmp_path / "h.log"),
                str(card_file("adult")),
            ],
            stdout=subprocess.PIPE,
            env=env,
            text=True,
        )
        assert parent.stdout is not None
        pids = json.loads(parent.stdout.readline())
        assert set(pids) == {"supervisor", "pcscd", "bridge"}
        assert all(_alive(pid) for pid in pids.values())
        assert reader_state()[0] & scard.SCARD_STATE_PRESENT

        parent.send_signal(signal.SIGKILL)  # no stop(), no atexit: only the kernel and the pipe
        parent.wait()
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in pids.values()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not [name for name, pid in pids.items() if _alive(pid)]
        assert not PCSCD_SOCKET.exists()  # pcscd got SIGTERM and cleaned up after itself
    finally:
        if parent is not None and parent.poll() is None:
            parent.kill()
            parent.wait()
        for pid in pids.values():  # by PID, only if the test failed and they linger
            if _alive(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        # A stale socket file left by a crashed daemon must not stop the next start.
        PCSCD_SOCKET.parent.mkdir(exist_ok=True)
        PCSCD_SOCKET.write_bytes(b"")
        pcsc_harness.start()
    assert pcsc_harness.running and READER in [str(r) for r in readers()]
