"""End to end: the kiosk with a software card in the PC/SC harness, the central as its own process."""

from __future__ import annotations

import collections
import datetime as dt
import re
import signal
import sqlite3
import subprocess
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flowkit import enrol

from cardemu.harness import READER, PcscHarness
from cardemu.staff import StaffCa
from central import migrate
from central.authority import Authority
from central.db import make_engine
from central.service import Central
from demo.central_process import CentralDidNotStart, serve_central
from kiosk.reader.connection import CardConnection
from kiosk.reader.pcsc import open_card
from kiosk.sync.central import TerminalIdentity
from kiosk.ui.keypad import PinKeypad

ROOT = Path(__file__).resolve().parents[2]
TERMINAL = "kiosk-e2e-01"
WRITE_CERTIFICATE = 0xD6  # INS of the certificate write (kiosk/reader/admin.py)
MUNICIPALITY = "13112"  # 世田谷区: the adult resident's card


@dataclass
class CentralProcess:
    """`central serve` as its own process; it can be killed and started again on the same data."""

    url: str  # CMP endpoint
    db_url: str
    ca_dir: Path
    identity: TerminalIdentity
    process: subprocess.Popen[str]

    def central(self) -> Central:
        """A second handle on the same database, for the test's own checks and set-up."""
        return Central.open(self.ca_dir, self.db_url)

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush — a power cut for the central."""
        self.process.kill()
        self.process.wait(10)

    def restart(self, *, same_port: bool = False) -> None:
        """A new process on the same database and CA directory: on a new port (`url` changes), or
        on the same one, as a kiosk's configured address would see it come back."""
        if self.process.poll() is None:
            self.kill()
        # https://127.0.0.1:<port>/pkix/
        port = int(self.url.rsplit(":", 1)[1].split("/", 1)[0]) if same_port else 0
        self.process, self.url = _serve(self.db_url, self.ca_dir, port)

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGCONT)  # a frozen one cannot handle SIGTERM
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.kill()


def _serve(db_url: str, ca_dir: Path, port: int = 0) -> tuple[subprocess.Popen[str], str]:
    try:  # its own process, as in production
        return serve_central(db_url, ca_dir, lambda line: CENTRAL_LOG.append(line.rstrip()), port=port)
    except CentralDidNotStart:
        raise AssertionError(f"central did not start: {list(CENTRAL_LOG)[-5:]}") from None


CENTRAL_LOG: collections.deque[str] = collections.deque(maxlen=2000)  # for failure reports


def start_central(directory: Path) -> CentralProcess:
    """A new central (CA hierarchy, database, `TERMINAL` bootstrapped) served by its own process."""
    ca_dir, db_url = directory / "ca", f"sqlite:///{directory / 'central.db'}"
    authority = Authority.create(ca_dir, root_bits=2048, ca_bits=2048)
    migrate.upgrade(db_url)
    central = Central(authority, make_engine(db_url))
    try:
        central.add_municipality(MUNICIPALITY, "世田谷区")
        identity = enrol_terminal(central, TERMINAL, directory / "kiosk")
    finally:
        central.close()
    process, url = _serve(db_url, ca_dir)
    return CentralProcess(url, db_url, ca_dir, identity, process)


def enrol_terminal(
    central: Central, terminal_id: str, directory: Path, **registration: object
) -> TerminalIdentity:
    """A terminal of `MUNICIPALITY` registered and bootstrapped at the central; its key, certificate
    and the central's root written to `directory` (made here). `registration`: the central's
    registration options (an unattended terminal: `mode=TerminalMode.UNATTENDED, reset_pins=…`)."""
    return enrol(central, terminal_id, MUNICIPALITY, directory, **registration)[0]


class PullingReader:
    """The resident's reader as a window opens it (`open`). Once `pull_at(ins)` is armed, the card is
    taken out of the harness just as the next command with that INS reaches for it — a hand
    pulling the card mid-write; the command then meets an empty reader. Everything else goes to
    pcscd untouched."""

    def __init__(self, harness: PcscHarness, reader: str = READER) -> None:
        self.harness, self.reader = harness, reader
        self.armed: int | None = None
        self.pulled = threading.Event()

    def pull_at(self, ins: int) -> None:
        self.armed = ins

    def open(self) -> CardConnection:
        return _Pulling(open_card(self.reader), self)


class _Pulling:
    def __init__(self, inner: CardConnection, reader: PullingReader) -> None:
        self.inner, self.reader = inner, reader

    @property
    def atr(self) -> bytes:
        return self.inner.atr

    @property
    def supports_extended_length(self) -> bool:
        return self.inner.supports_extended_length

    def transmit(self, apdu: bytes | bytearray) -> bytes:
        if self.reader.armed is not None and apdu[1] == self.reader.armed:
            self.reader.armed = None
            self.reader.harness.remove(slot=0)  # returns once pcscd reports the reader empty
            self.reader.pulled.set()
        return self.inner.transmit(apdu)

    def close(self) -> None:
        self.inner.close()


@pytest.fixture
def central_process(tmp_path: Path) -> Iterator[CentralProcess]:
    running = start_central(tmp_path)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def central_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CentralProcess]:
    """One central process a whole test module shares (each test registers its own terminal)."""
    running = start_central(tmp_path_factory.mktemp("central"))
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def staff_ca(tmp_path_factory: pytest.TempPathFactory) -> StaffCa:
    return StaffCa.create(tmp_path_factory.mktemp("staff") / "staff-ca")


def touch_keys(keypad: object, text: str) -> None:
    """Touch the key showing each character (the digits move with every shuffle), then OK."""
    assert isinstance(keypad, PinKeypad)
    for ch in text:
        (key,) = [k for k in keypad.key_buttons() if k.text() == ch]
        assert key.isEnabled(), ch
        key.click()
    keypad.ok.click()


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def personal_needles(holder: object, pins: Iterable[str]) -> list[str]:
    """What must never be found at rest on the kiosk or in its log: PINs, and the holder's basic
    4 information and My Number in the forms they are written on the card and in applications."""
    birth = str(getattr(holder, "birth_date"))  # noqa: B009 (cardemu Holder, untyped here)
    needles = [*pins, birth, f"{birth[:4]}-{birth[4:6]}-{birth[6:]}"]
    for field in ("name", "address", "my_number"):
        value = str(getattr(holder, field))
        needles += [value, value.replace("\u3000", " ")]
    return needles


def find_at_rest(db_path: Path, log_text: str, needles: Iterable[str]) -> list[str]:
    """Every place a needle occurs: in any cell of any table of the kiosk database (text as is,
    BLOBs as UTF-8 and as raw bytes), in the raw database and WAL files, and in the log. Needles
    match as whole tokens (a PIN's digits inside a hex id or a timestamp are not a PIN)."""
    found: list[str] = []
    patterns = {n: re.compile(rf"(?<![0-9A-Za-z]){re.escape(n)}(?![0-9A-Za-z])") for n in needles}
    con = sqlite3.connect(db_path)
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for row in con.execute(f'SELECT * FROM "{table}"'):
                for cell in row:
                    text = cell.decode("utf-8", "replace") if isinstance(cell, bytes) else str(cell)
                    found += [f"{table}: {n!r}" for n, p in patterns.items() if p.search(text)]
    finally:
        con.close()
    for path in (db_path, db_path.with_name(db_path.name + "-wal")):
        if path.exists():
            raw = path.read_bytes()
            found += [f"{path.name} bytes: {n!r}" for n in needles if len(n) > 6 and n.encode() in raw]
    found += [f"log: {n!r}" for n, p in patterns.items() if p.search(log_text)]
    return found
