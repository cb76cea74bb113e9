"""Screenshots of the counter terminal, every screen in Japanese and English: the resident's
counter window on its own, then the whole main window with the staff side beside it.

    .venv/bin/python tools/screenshots.py                      # both languages → docs/screens/
    .venv/bin/python tools/screenshots.py --language en --out /tmp/shots
    .venv/bin/python tools/screenshots.py --display :99        # an X server you started yourself
    .venv/bin/python tools/screenshots.py --platform offscreen # no X at all (what the test runs)

By default the script starts its own X server — `Xvfb -displayfd` picks a free display, 1280×800 at
24 bits — and shows the real windows there on Qt's xcb platform, with no window manager, so what
is grabbed (`QScreen.grabWindow`) is what the X server drew. With `--display` it uses an X server
that is already running (e.g. under `xvfb-run -s "-screen 0 1280x800x24"`). It needs Xvfb and the
Noto CJK fonts (`fonts-noto-cjk`), both in `./run`'s package list; without a font that has Japanese
glyphs it stops rather than write pictures of empty boxes.

What runs behind the windows is the product, not a mock-up: the central CA served in-process over
HTTPS with mutual TLS (`central.httpd.serve_in_thread`), the terminal as `kiosk counter` opens it
(`open_terminal` on a data directory laid out as the demo lays it out, demo/seed.py: store, terminal
identity, central link, background sync), the fictitious sample residents' software cards
(`cardemu.residents`: the adult 佐藤　健太 and the minor 鈴木　陽翔) in an in-process reader, the
demo's staff card (operator op-001) in a second one, and the face check's matcher in its own
process (`ProcessMatcher`) fed by a camera that is a video file (`facekit.live_clip`). The
walk-through presses the windows' own buttons and keypad keys, as a resident and staff would, and
a fresh world is made for each language, so both languages show the same states. Each screen's
texts are checked before the grab: no PIN or 照合番号B typed during the walk-through and no My
Number may appear in any text the window holds (the keypads mask their entry; the check is what
makes sure).

The story, in the table's order: a new user authentication certificate (the resident's screens
with their display variants); the card reported lost (機構 suspends it) and found again at the
counter; "I do not know this PIN", the staff's 照合番号B read and the face check, matched; the
minor's card refused; the central taken down (its port closed): the menu without it and a
disclosure request queued. Then the main window on the same terminal: staff sign-in, a resident
who does not know the PIN, the Visit panel with the chip's card face, the documents, the face
check that does not match (a stranger's clip) and the visual comparison it offers; the ledger of
the day (the certificate issued above), the queued requests, the health checks (the central
unreachable: its port is closed), and the terminal taken out of service. Last, the unattended
PIN-reset terminal (`UnattendedMain`, docs/unattended.md) on a second terminal of the same central,
registered there as unattended: the signing PIN of the demo's card (its user-authentication
certificate issued by the central) reset with the user-authentication PIN, 照合番号B and the face
check with its head-turn challenge — the camera a clip of the holder turning right, left, right and
the challenge seeded to ask that order, as the e2e tests do —, the receipt, "take your card", a
referral to the counter, and the maintenance panel a staff card opens.

What is not the product's own path, said plainly: card insertions are given to the windows
directly (`CounterWindow.card_inserted`, the staff reader's event to `CounterMain`) instead of
coming from a PC/SC monitor, so the recovery pass on insertion (`SyncService.card_inserted`, which
opens the PC/SC reader) does not run; the health view's reader check answers from a stand-in
PC/SC context that lists the two in-process readers (the host's pcscd is not touched); in the
resident-only part, the 照合番号B read that staff make at the console is made by the script
(`Visit.read_with_code_b`), and the matcher's decision is held back until the face check's picture
is taken (the preview stays live meanwhile). The face images are resources/faceset's (public test
images of real people: the sample adult's card photo is its "obama" identity, the stranger the
public-domain "astronaut"), not photographs of the fictitious residents.

Deterministic where it can be: a fixed window size, a fixed density (100 dpi: a 15-inch 1280×800
panel, given as the terminal configuration's override rather than read from the X server), seeded
keypad shuffles, a fake idle clock in the resident-only part and the card-insertion animation
stopped at one frame. What differs from run to run is the central's (certificate serial numbers,
validity dates, reference numbers), the times on the staff side, the camera frame in the preview
and the frame of the busy progress bar.

The pictures are listed in one table, `SHOTS`: a shot names the window it shows (`Part`), a step
that takes the window from the previous shot's state to its own, and optionally a step that undoes
a variant (a theme, an overlay) before the next one. Add a screen by adding a row;
`docs/screens/README.md` is generated from the same table (tests/ui/test_screenshots_tool.py fails
when it is stale). A screen whose layout needs more than 1280×800 is listed at the end ("does not
fit"), and the run fails with `--strict`.
"""

# The repository's own packages (facekit, demo) are imported from the checkout, as the other tools do.
# ruff: noqa: E402

from __future__ import annotations

import argparse
import enum
import io
import json
import logging
import os
import random
import re
import select
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import TracebackType

import numpy as np
from PIL import Image
from PySide6.QtCore import QBuffer, QByteArray, QDate, QIODevice, QPoint, Qt  # noqa: TID251 (a UI tool)
from PySide6.QtGui import QFont, QFontDatabase, QFontInfo, QFontMetrics, QImage  # noqa: TID251
from PySide6.QtPrintSupport import QPrinter  # noqa: TID251
from PySide6.QtTest import QTest  # noqa: TID251
from PySide6.QtWidgets import (  # noqa: TID251
    QAbstractButton,
    QApplication,
    QLabel,
    QListWidget,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QWidget,
)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import facekit
from cardemu.card import SoftCard
from cardemu.inprocess import SoftCardConnection
from cardemu.personalise import KENKAKU_PIN_B, personalise
from cardemu.residents import ADULT, JUKI_PIN, KENHOJO_PIN, MINOR, SIGN_PIN, resident_specs
from cardemu.residents import AUTH_PIN as CARD_AUTH_PIN
from cardemu.staff import StaffCa
from cardemu.state import CardState
from cardemu.testpki import TestPki
from central import migrate
from central.authority import Authority
from central.cmp_intake import CmpIntake
from central.db import make_engine as make_central_engine
from central.enums import TerminalMode
from central.httpd import CentralHttpServer, serve_in_thread, server_ssl_context
from central.service import Central
from central.tls import ensure_server_tls
from demo import seed
from kiosk.domain.eligibility import Certificate
from kiosk.domain.identity import OtherIdKind, PhotoIdKind, PresentedDocument
from kiosk.domain.overrides import OverrideReason
from kiosk.domain.pin_rules import PinKind, PinUse
from kiosk.domain.procedures import Item, Procedure
from kiosk.domain.secret import Secret
from kiosk.domain.service_mode import OutOfServiceReason, ServiceState
from kiosk.facecheck.camera import Capture
from kiosk.facecheck.check import FaceDecision, Guidance
from kiosk.facecheck.liveness import Turn, new_challenge
from kiosk.facecheck.matcher import Matcher, ProcessMatcher
from kiosk.facecheck.policy import DEFAULT_POLICY
from kiosk.flows.counter.assembly import RunningTerminal, TerminalConfig, open_terminal
from kiosk.flows.counter.machine import FlowEnded
from kiosk.flows.health import CheckName, ReaderContext, terminal_checks
from kiosk.flows.unattended import Capabilities
from kiosk.reader.pcsc import ReaderEvent, ReaderEventKind, ReaderState
from kiosk.sync.bootstrap import bootstrap, identity_in
from kiosk.ui.app import CounterMain
from kiosk.ui.console import HealthView
from kiosk.ui.counter import CounterWindow
from kiosk.ui.i18n import Language, Translations
from kiosk.ui.idle import IdleController
from kiosk.ui.keypad import PULSE_MS, PinKeypad, Step
from kiosk.ui.receipt import PrinterFactory
from kiosk.ui.staff import Phase
from kiosk.ui.theme import (
    DEFAULT_SETTINGS,
    FONT_FAMILIES,
    Contrast,
    Metrics,
    TextSize,
    ThemeSettings,
    apply_theme,
)
from kiosk.ui.unattended_app import UnattendedMain

log = logging.getLogger("screenshots")

WIDTH, HEIGHT = 1280, 800
DPI = 100.0  # a 15-inch 1280×800 touch panel; the terminal configuration's override_dpi
SEED = 5  # the keypad shuffle: the same key order on every run
OUT = ROOT / "docs" / "screens"
INDEX = "README.md"
TERMINAL = "kiosk-screens-01"
MUNICIPALITIES = {"13112": "世田谷区", "14104": "横浜市中区"}  # the sample adult's and the minor's
RESIDENT_READER, STAFF_READER = "In-process reader 00", "In-process reader 01"
NEW_PIN = "8642"  # the new 利用者証明用 PIN chosen in the walk-through
WRONG_PIN = "0000"
CLIP_FRAMES = 75  # 5 s at 15 fps, played in a loop
STEP_TIMEOUT_S = 60.0
SETTLE_MS = max(100, PULSE_MS)
JAPANESE_SAMPLE = "日本語の画面です"  # glyphs the font must have: kanji, hiragana
NEW_AUTH = Item(Procedure.NEW_ISSUANCE, Certificate.USER_AUTH)
SHOP_TERMINAL = "kiosk-screens-shop-01"  # the unattended terminal of the last part
NEW_SIGN_PIN = "SHOP2026X"  # the new 署名用 PIN chosen there
# The holder's clip for the unattended face check at 15 fps: frontal, then right, back, left, back,
# right, back (facekit's script: first frame, last frame, yaw); the challenge is seeded to ask that.
RIGHT_LEFT_RIGHT = ((12, 20, 1.0), (26, 34, 0.0), (40, 48, -1.0), (54, 62, 0.0), (68, 76, 1.0), (82, 90, 0.0))
TAB_VISIT, TAB_LEDGER, TAB_PENDING, TAB_HEALTH, TAB_SERVICE = 1, 2, 3, 4, 5  # CounterMain's tabs


# -- the world behind the windows: central, terminal, cards, camera, matcher ---------------------


class Gate:
    """Holds the card's commands while closed, so the progress screen stays up for its picture."""

    def __init__(self) -> None:
        self._open = threading.Event()
        self._open.set()
        self.waiting = threading.Event()  # a command is being held

    def close(self) -> None:
        self.waiting.clear()
        self._open.clear()

    def open(self) -> None:
        self._open.set()

    def pass_through(self) -> None:
        if not self._open.is_set():
            self.waiting.set()
            self._open.wait()


class GatedConnection(SoftCardConnection):
    """The in-process reader: a `CardConnection` to the software card, behind the gate."""

    def __init__(self, card: SoftCard, gate: Gate) -> None:
        super().__init__(card)
        self._gate = gate

    def transmit(self, apdu: bytes | bytearray) -> bytes:
        self._gate.pass_through()
        return super().transmit(bytes(apdu))


class HeldMatcher:
    """The face check's matcher (a real one, `ProcessMatcher`) whose decision can be held back
    until the face screen's picture is taken: the preview stays live and shows the check's last
    guidance meanwhile. Released, the decision goes on unchanged."""

    def __init__(self, inner: Matcher) -> None:
        self.inner = inner
        self.policy = inner.policy
        self._released = threading.Event()
        self._released.set()
        self.holding = threading.Event()  # a decision is being held

    def hold(self) -> None:
        self.holding.clear()
        self._released.clear()

    def release(self) -> None:
        self._released.set()

    def begin(
        self, card_photo: bytes | bytearray, *, liveness_required: bool, rng: random.Random | None
    ) -> None:
        self.inner.begin(card_photo, liveness_required=liveness_required, rng=rng)

    def feed(self, image: np.ndarray, now: float) -> Guidance | FaceDecision:
        answer = self.inner.feed(image, now)
        if isinstance(answer, FaceDecision) and not self._released.is_set():
            self.holding.set()
            self._released.wait()
        return answer

    def abort(self, reason: str, now: float) -> FaceDecision:
        return self.inner.abort(reason, now)

    def end(self) -> None:
        self.inner.end()


class InProcessReaders:
    """The health view's reader check without PC/SC: the two in-process readers, each with its
    card, as PC/SC would list them (the host's pcscd is not touched)."""

    def __call__(self) -> ReaderContext:
        return self

    def __enter__(self) -> ReaderContext:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None

    def states(self) -> list[ReaderState]:
        return [ReaderState(RESIDENT_READER, present=True), ReaderState(STAFF_READER, present=True)]


class Served:
    """The central's HTTPS endpoint on one port of 127.0.0.1: taken down (its port closed, so every
    exchange is refused) and brought back on the same port."""

    def __init__(self, central: Central, context: ssl.SSLContext) -> None:
        self.central = central
        self._context = context
        self._port = 0  # the first start picks a free one
        self._server: CentralHttpServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self._port}/pkix/"

    def start(self) -> None:
        if self._server is None:
            self._server = CentralHttpServer(
                ("127.0.0.1", self._port), CmpIntake(self.central), self._context
            )
            self._port = self._server.server_address[1]
            self._thread = serve_in_thread(self._server)

    def stop(self) -> None:
        server, thread, self._server, self._thread = self._server, self._thread, None, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(10)


@contextmanager
def central_server(directory: Path) -> Iterator[Served]:
    """The real central as `central serve` runs it (HTTPS, mutual TLS) on 127.0.0.1 in a thread of
    this process, with the sample residents' municipalities."""
    authority = Authority.create(directory / "ca", root_bits=2048, ca_bits=2048)
    db_url = f"sqlite:///{directory / 'central.db'}"
    migrate.upgrade(db_url)
    central = Central(authority, make_central_engine(db_url))
    for code, name in MUNICIPALITIES.items():
        central.add_municipality(code, name)
    tls = ensure_server_tls(authority, ["127.0.0.1"])
    served = Served(central, server_ssl_context(str(tls.cert_chain), str(tls.key), str(tls.client_ca)))
    served.start()
    try:
        yield served
    finally:
        served.stop()
        central.close()


@dataclass(frozen=True)
class Sample:
    """Made once per run: the test PKI, the staff CA, the residents' card files, the camera clips."""

    pki: TestPki
    staff_ca: StaffCa
    cards: dict[str, Path]  # ADULT, MINOR
    holder_clip: Path  # the adult card's holder in front of the camera
    stranger_clip: Path  # someone else
    turns_clip: Path  # the holder turning right, left, right (the unattended face check)

    @classmethod
    def create(cls, directory: Path) -> Sample:
        pki = TestPki.create(directory / "pki")
        specs = resident_specs()
        cards = {}
        for name in (ADULT, MINOR):
            cards[name] = directory / f"{name}.json"
            personalise(specs[name], pki).save(cards[name])
        camera = directory / "camera"
        camera.mkdir()
        holder = facekit.live_clip(camera / "holder.avi", "obama", (), frames=CLIP_FRAMES)
        stranger = facekit.live_clip(camera / "stranger.avi", "astronaut", (), frames=CLIP_FRAMES)
        turns = facekit.live_clip(camera / "holder-turns.avi", "obama", RIGHT_LEFT_RIGHT)
        staff_ca = StaffCa.create(directory / "staff-ca", seed.MUNICIPALITY)
        return cls(pki, staff_ca, cards, holder, stranger, turns)


@dataclass
class World:
    running: RunningTerminal
    served: Served  # the central: `stop()` takes it down, `start()` brings it back
    cards: dict[str, SoftCard]
    staff_card: SoftCard
    code_b: dict[str, str]  # 照合番号B of each resident's card
    gate: Gate
    secrets: tuple[str, ...]  # what no screen may show: PINs and 照合番号B typed, My Numbers
    shop: RunningTerminal  # the unattended terminal, at the same central
    shop_card: SoftCard  # the demo's card: its user-authentication certificate from this central
    shop_staff: SoftCard  # the staff card enrolled at the unattended terminal
    shop_code_b: str
    in_reader: str = ADULT  # whose card is in the resident's reader

    def open_card(self) -> SoftCardConnection:
        return GatedConnection(self.cards[self.in_reader], self.gate)

    def open_staff(self) -> SoftCardConnection:
        return SoftCardConnection(self.staff_card)

    def open_shop_card(self) -> SoftCardConnection:
        return SoftCardConnection(self.shop_card)

    def open_shop_staff(self) -> SoftCardConnection:
        return SoftCardConnection(self.shop_staff)


def _card_for(central: Central, source: Path, path: Path) -> SoftCard:
    """A copy of the sample card file, made this central's (`seed.adopt_card`)."""
    shutil.copy2(source, path)
    state = seed.adopt_card(central, CardState.load(path), path, f"holder-{path.stem}")
    return SoftCard(state, path)


@contextmanager
def world(sample: Sample, directory: Path) -> Iterator[World]:
    """A fresh central, terminal data directory and copies of the cards: every language starts
    from the same state. The terminal is enrolled as `kiosk terminal bootstrap` enrols it (CMP with
    its one-time secret), its data directory laid out as the demo's (`seed.prepare_terminal`), and
    it is opened as `kiosk counter` opens it (`open_terminal`)."""
    directory.mkdir(parents=True)
    with central_server(directory / "central") as served:
        central = served.central
        data = directory / "data"
        secret = central.register_terminal(TERMINAL, seed.MUNICIPALITY)
        bootstrap(served.url, TERMINAL, secret, central.authority.root.cert, data / "terminal")
        staff_path = directory / "staff.json"
        seed.prepare_terminal(data, central.authority, sample.pki, sample.staff_ca, staff_path)  # op-001
        cards = {name: _card_for(central, path, directory / path.name) for name, path in sample.cards.items()}
        specs = resident_specs()
        code_b = {name: specs[name].pin_b for name in cards}
        config = TerminalConfig(
            data, TERMINAL, served.url, RESIDENT_READER, STAFF_READER, camera=str(sample.stranger_clip)
        )
        running = open_terminal(config)
        running.counter.rng = random.Random(SEED)  # noqa: S311 (a reproducible key order for the pictures)
        running.counter.certificate_wait_s = 10
        shop, shop_card, shop_staff = _shop(served, sample, directory, data)
        shop_code_b = CardState.load(shop_card.path).kenkaku.pins[KENKAKU_PIN_B].value
        pins = (
            JUKI_PIN,
            KENHOJO_PIN,
            CARD_AUTH_PIN,
            SIGN_PIN,
            NEW_PIN,
            WRONG_PIN,
            NEW_SIGN_PIN,
            seed.STAFF_PIN,
        )
        cards_now = (*cards.values(), shop_card)
        numbers = tuple(card.state.holder.my_number for card in cards_now)
        gate = Gate()
        staff_card = SoftCard(CardState.load(staff_path), staff_path)
        try:
            yield World(
                running, served, cards, staff_card, code_b, gate,
                (*pins, *code_b.values(), shop_code_b, *numbers),
                shop, shop_card, shop_staff, shop_code_b,
            )  # fmt: skip
        finally:
            gate.open()
            shop.stop()
            running.stop()


def _shop(
    served: Served, sample: Sample, directory: Path, counter_data: Path
) -> tuple[RunningTerminal, SoftCard, SoftCard]:
    """The unattended terminal: registered as such (both JPKI PINs), bootstrapped, laid out as the
    demo lays it out with its own staff card (op-001), opened as `run_unattended` opens it; and the
    demo's card, its user-authentication certificate issued through the counter terminal."""
    central = served.central
    data = directory / "shop"
    secret = central.register_terminal(
        SHOP_TERMINAL, seed.MUNICIPALITY, mode=TerminalMode.UNATTENDED, reset_pins=("sign", "auth")
    )
    bootstrap(served.url, SHOP_TERMINAL, secret, central.authority.root.cert, data / "terminal")
    staff_path = directory / "shop-staff.json"
    seed.prepare_terminal(data, central.authority, sample.pki, sample.staff_ca, staff_path)
    counter_key, _chain, _root = identity_in(counter_data / "terminal").load()
    seeded = seed.seed_renewable_card(
        directory / "shop-card.json", sample.pki, central, terminal_id=TERMINAL, terminal_key=counter_key
    )
    config = TerminalConfig(
        data, SHOP_TERMINAL, served.url, RESIDENT_READER, STAFF_READER, camera=str(sample.turns_clip)
    )
    running = open_terminal(config)
    running.counter.rng = random.Random(SEED)  # noqa: S311 (a reproducible key order for the pictures)
    card = SoftCard(CardState.load(seeded.path), seeded.path)
    return running, card, SoftCard(CardState.load(staff_path), staff_path)


def asking_right_left_right() -> random.Random:
    """The challenge that asks the turns the clip shows (a recording cannot follow a random one)."""
    turns = (Turn.RIGHT, Turn.LEFT, Turn.RIGHT)
    number = next(n for n in range(1000) if new_challenge(random.Random(n), DEFAULT_POLICY) == turns)  # noqa: S311
    return random.Random(number)  # noqa: S311


def pdf_printer(path: Path) -> PrinterFactory:
    """A receipt printer that writes a PDF: the result screen offers "Print receipt" as at a counter
    with a printer."""

    def make() -> QPrinter:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(path))
        return printer

    return make


# -- the walk-through ---------------------------------------------------------------------------


class FakeClock:
    """The idle controller's clock: moves only when the walk-through says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Part(enum.Enum):
    """Which window a shot shows; each part has its own, shown alone on the screen."""

    RESIDENT = "resident"  # the resident's CounterWindow, full screen
    MAIN = "main"  # CounterMain: the resident's window and the staff side
    UNATTENDED = "unattended"  # UnattendedMain: the unattended PIN-reset terminal


PART_HEADINGS = {
    Part.RESIDENT: "The resident's counter window",
    Part.MAIN: "The main window: the resident's screen and the staff side",
    Part.UNATTENDED: "The unattended PIN-reset terminal",
}


@dataclass
class Walk:
    """One language's walk through the windows, driven through their widgets."""

    app: QApplication
    world: World
    language: Language
    metrics: Metrics
    translations: Translations
    matcher: HeldMatcher
    idle_clock: FakeClock
    window: CounterWindow  # the resident's window: alone, or the one in `main`
    main: CounterMain | None = None
    shop: UnattendedMain | None = None  # the last part's window
    failures: list[str] = field(default_factory=list)

    @property
    def top(self) -> QWidget:
        if self.shop is not None:
            return self.shop
        return self.main if self.main is not None else self.window

    def current(self) -> QWidget:
        """The screen the part's resident window shows."""
        if self.shop is not None:
            return self.shop.window.stack.currentWidget()
        return self.window.stack.currentWidget()

    def staff(self) -> CounterMain:
        if self.main is None:
            raise RuntimeError("no staff side: the main window is not open")
        return self.main

    # helpers

    def settle(self) -> None:
        """Let Qt lay out and paint (and the X server draw) before a grab; a key's pulse of an
        entry field over first, so that the field looks the same on every run."""
        if self.shop is not None:
            self.shop.window.idle.poke()
        elif self.main is not None:
            self.window.idle.poke()  # staff and resident touch the screen: the idle time starts again
        for keypad in self.top.findChildren(PinKeypad):
            if keypad.isVisible():
                self.wait_until("the entry field's pulse to end", lambda k=keypad: not k.field.pulsing, 5)
        QTest.qWait(SETTLE_MS)

    def wait_until(self, what: str, condition: Callable[[], bool], timeout: float = STEP_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if self.failures:
                raise RuntimeError(f"while waiting for {what}: a counter step failed: {self.failures}")
            if time.monotonic() > deadline:
                screen = type(self.current()).__name__
                shown = " | ".join(t for t in visible_texts(self.current()) if t)
                raise TimeoutError(f"timed out waiting for {what}; on screen: {screen}: {shown[:800]}")
            QTest.qWait(20)

    def wait_screen(self, what: str, screen: QWidget) -> None:
        self.wait_until(what, lambda: self.window.stack.currentWidget() is screen)

    def keypad(self) -> PinKeypad:
        keypad = self.window.pin.keypad
        if not isinstance(keypad, PinKeypad) or self.window.stack.currentWidget() is not self.window.pin:
            raise RuntimeError("no PIN keypad on screen")
        return keypad

    def wait_keypad(self, what: str, condition: Callable[[PinKeypad], bool]) -> None:
        """Until a keypad that fits is on the resident's screen. Shown means shown: a keypad
        shuffles and wipes itself when it appears, a moment after the window puts it in place."""

        def ready() -> bool:
            keypad = self.window.pin.keypad
            on_screen = self.window.stack.currentWidget() is self.window.pin
            return on_screen and isinstance(keypad, PinKeypad) and keypad.isVisible() and condition(keypad)

        self.wait_until(what, ready)

    @staticmethod
    def press_keys(keypad: PinKeypad, text: str) -> None:
        """Touch the keys labelled with these characters (their places change with each shuffle)."""
        for ch in text:
            key = next(k for k in keypad.key_buttons() if k.text() == ch)
            if not key.isEnabled():
                raise RuntimeError(f"key {ch!r} is disabled")
            key.click()

    def type_keys(self, text: str) -> None:
        self.press_keys(self.keypad(), text)

    def enter_pin(self, pin: str) -> None:
        keypad = self.keypad()
        keypad.clear.click()
        self.type_keys(pin)
        keypad.ok.click()

    def identify(self) -> None:
        """The identity check with the resident registry PIN, then the card information PIN."""
        self.wait_keypad("the identity PIN keypad", lambda k: k.kind is PinKind.JUKI)
        self.enter_pin(JUKI_PIN)
        self.wait_keypad("the card information PIN keypad", lambda k: k.kind is PinKind.KENHOJO)
        self.enter_pin(KENHOJO_PIN)

    def new_visit(self, card: str = ADULT) -> None:
        """The next resident: the last one's result finished, their language on the attract
        screen, their card in the reader, the menu."""
        window = self.window
        if window.stack.currentWidget() is window.result:
            window.result.finish.click()
        self.wait_screen("the attract screen", window.attract)
        if self.world.in_reader != card:
            window.card_removed()
            self.world.in_reader = card
        window.attract.buttons[self.language].click()
        if not window.card_present:  # a card left in the reader opens the visit at once
            window.card_inserted()
        self.wait_screen("the menu", window.menu)

    def scroll_to(self, section: QWidget) -> None:
        """The staff side scrolled so that `section` is at the top of the innermost scroll area
        holding it (the Visit panel has its own inside the tab's)."""
        QTest.qWait(SETTLE_MS)  # laid out first: the section's place is known
        areas = [a for a in self.staff().findChildren(QScrollArea) if a.widget().isAncestorOf(section)]
        area = next(a for a in areas if not any(a.isAncestorOf(b) for b in areas if b is not a))
        area.verticalScrollBar().setValue(section.mapTo(area.widget(), QPoint(0, 0)).y())

    def theme(self, settings: ThemeSettings) -> None:
        """As the resident sets it: the window's large-text and high-contrast buttons."""
        bar = self.window.display
        if bar.large.isChecked() != (settings.text is TextSize.LARGE):
            bar.large.click()
        if bar.contrast.isChecked() != (settings.contrast is Contrast.HIGH):
            bar.contrast.click()

    # steps of the resident's window: each takes it from the previous shot's state to its own

    def attract(self) -> None:
        # Between residents the attract screen is in the default language (Japanese); the English
        # set shows its texts with the English catalogue, as a reviewer of the wording needs them.
        self.window.translations.switch(self.language)

    def out_of_service(self) -> None:
        self.window.attract.set_out_of_service("maintenance")

    def in_service(self) -> None:
        self.window.attract.set_out_of_service(None)

    def insert_card(self) -> None:
        self.window.attract.buttons[self.language].click()
        animation = self.window.prompt.animation
        animation.pause()  # one frame of the insertion animation, the same on every run
        animation.setCurrentTime(int(animation.duration() * 0.45))

    def menu(self) -> None:
        self.window.card_inserted()
        self.wait_screen("the menu", self.window.menu)

    def high_contrast(self) -> None:
        self.theme(ThemeSettings(contrast=Contrast.HIGH))

    def large_text(self) -> None:
        self.theme(ThemeSettings(text=TextSize.LARGE))

    def default_theme(self) -> None:
        self.theme(DEFAULT_SETTINGS)

    def idle_countdown(self) -> None:
        idle = self.window.idle
        self.idle_clock.now += idle.idle_after + 7  # 23 of the 30 visible seconds left
        self.wait_until("the idle countdown", self.window.countdown.isVisible, timeout=5)

    def continue_session(self) -> None:
        self.window.countdown.button.click()
        self.wait_until("the countdown to close", lambda: not self.window.countdown.isVisible(), timeout=5)

    def identity_pin(self) -> None:
        self.window.menu.button_for(NEW_AUTH).click()
        self.wait_keypad("the identity PIN keypad", lambda k: k.kind is PinKind.JUKI)
        self.type_keys(JUKI_PIN[:2])  # two of four: the field shows two dots

    def wrong_pin(self) -> None:
        self.enter_pin(WRONG_PIN)
        self.wait_keypad("the tries left", lambda k: bool(k.tries.text()))

    def card_information_pin(self) -> None:
        self.enter_pin(JUKI_PIN)
        self.wait_keypad("the card information PIN keypad", lambda k: k.kind is PinKind.KENHOJO)
        self.type_keys(KENHOJO_PIN[:2])

    def new_pin(self) -> None:
        self.enter_pin(KENHOJO_PIN)
        self.wait_keypad("the new PIN keypad", lambda k: k.kind is PinKind.AUTH and k.use is PinUse.NEW)
        self.type_keys(NEW_PIN)  # complete: the checklist ticks every rule, OK not yet pressed

    def new_pin_confirm(self) -> None:
        self.keypad().ok.click()
        self.wait_keypad("the confirmation step", lambda k: k.step is Step.CONFIRM)
        self.type_keys(NEW_PIN[:2])

    def progress(self) -> None:
        self.world.gate.close()  # the card's first command waits until the picture is taken
        self.type_keys(NEW_PIN[2:])
        self.keypad().ok.click()
        self.wait_screen("the progress screen", self.window.progress)
        self.wait_until("the card step to start", self.world.gate.waiting.is_set, timeout=10)

    def release_card(self) -> None:
        self.world.gate.open()

    def result(self) -> None:
        self.wait_screen("the result", self.window.result)

    def found_card_staff(self) -> None:
        # The card was reported lost by phone (機構 suspended it, its certificates on hold) and is
        # found again. A card not in operation cannot confirm its holder: staff check, no PIN try.
        self.world.served.central.suspend_card(self.world.cards[ADULT].state.card_id)
        self.new_visit()
        self.window.menu.button_for(Item(Procedure.FOUND_CARD_RELEASE)).click()
        self.wait_screen("the staff check", self.window.staff_check)

    def staff_documents(self) -> None:
        """What staff do at the console when the card cannot confirm its holder (not in operation, or
        its status unknown with the central down): a document checked by hand. The main window's
        Visit panel does this; here the script does it, then the window goes on."""
        visit = self.window.visit
        assert visit is not None and visit.identity is not None
        licence = PresentedDocument(
            PhotoIdKind.DRIVERS_LICENCE, valid_until=date(visit.today.year + 3, 3, 31)
        )
        decision = visit.identity.documents(
            [licence], inquiry_answer=False, reason=OverrideReason.DOCUMENTS_SEEN
        )
        if not decision.accepted:
            raise RuntimeError(f"the documents were not accepted: {decision.reasons}")
        self.window.identity_established()
        self.wait_keypad("the card information PIN keypad", lambda k: k.kind is PinKind.KENHOJO)
        self.enter_pin(KENHOJO_PIN)

    def found_card(self) -> None:
        self.staff_documents()
        self.wait_screen("the result", self.window.result)

    def face_check(self) -> None:
        self.new_visit()
        self.window.menu.button_for(NEW_AUTH).click()
        self.wait_keypad("the identity PIN keypad", lambda k: k.kind is PinKind.JUKI)
        self.window.pin.alternative.click()  # "I do not know this PIN": staff check
        self.wait_screen("the staff check", self.window.staff_check)
        visit = self.window.visit
        assert visit is not None
        # 照合番号B as staff key it at the console (the main window's Visit panel does this read).
        visit.read_with_code_b(Secret.from_ascii(self.world.code_b[ADULT]))
        self.matcher.hold()
        if not self.window.start_face_check():
            raise RuntimeError("the face check did not start")
        self.wait_until("the face check's decision", self.matcher.holding.is_set)
        preview = self.window.face.preview
        self.wait_until("a camera picture in the preview", lambda: preview.frames_shown > 0)  # type: ignore[attr-defined]

    def face_matched(self) -> None:
        self.matcher.release()
        self.wait_keypad("the new PIN keypad", lambda k: k.kind is PinKind.AUTH and k.use is PinUse.NEW)

    def minor_refused(self) -> None:
        self.window.pin.cancel.click()  # the last resident stopped at the new PIN: nothing changed
        self.new_visit(MINOR)
        self.window.menu.button_for(NEW_AUTH).click()
        self.identify()
        self.wait_screen("the result", self.window.result)

    def central_down(self) -> None:
        self.world.served.stop()  # its port closed: every exchange is refused
        self.new_visit(ADULT)

    def disclosure_choice(self) -> None:
        # The card's status is unknown without the central: its PIN cannot confirm its holder.
        self.window.menu.button_for(Item(Procedure.DISCLOSURE)).click()
        self.wait_screen("the staff check", self.window.staff_check)
        self.staff_documents()
        self.wait_screen("the choice", self.window.choice)

    def queued_result(self) -> None:
        self.window.choice.buttons[0].click()  # disclosure (開示請求)
        self.wait_screen("the result", self.window.result)

    # steps of the main window (the resident's window and the staff side)

    def staff_sign_in(self) -> None:
        main = self.staff()
        main.on_reader_event(ReaderEvent(ReaderEventKind.CARD_INSERTED, STAFF_READER, b"\x3b"))
        self.wait_until(
            "the staff PIN keypad",
            lambda: main.staff.phase is Phase.PIN and main.staff.keypad is not None
            and main.staff.keypad.isVisible(),
        )  # fmt: skip
        assert main.staff.keypad is not None
        self.press_keys(main.staff.keypad, seed.STAFF_PIN[:2])

    def staff_signed_in(self) -> None:
        main = self.staff()
        keypad = main.staff.keypad
        assert keypad is not None
        self.press_keys(keypad, seed.STAFF_PIN[2:])
        keypad.ok.click()
        self.wait_until("the sign-in", lambda: main.staff.phase is Phase.SIGNED_IN)

    def visit_code_b(self) -> None:
        main = self.staff()
        self.new_visit()  # the Visit tab comes up with the visit
        # A disclosure request; the resident does not know the resident registry PIN, so staff
        # check identity.
        self.window.menu.button_for(Item(Procedure.DISCLOSURE)).click()
        self.wait_keypad("the identity PIN keypad", lambda k: k.kind is PinKind.JUKI)
        self.window.pin.alternative.click()
        self.wait_screen("the staff check", self.window.staff_check)
        box = main.visit_panel.code_b
        self.wait_until("the 照合番号B button", box.read.button.isEnabled)
        box.read.button.click()
        keypad = box.keypad
        assert keypad is not None
        self.wait_until("the 照合番号B keypad", keypad.isVisible)
        self.press_keys(keypad, self.world.code_b[ADULT])
        keypad.ok.click()
        self.wait_until("the chip's card face", lambda: box.name_image.has_image)
        self.scroll_to(box)

    def documents(self) -> None:
        panel = self.staff().visit_panel
        docs = panel.documents
        visit = self.window.visit
        assert visit is not None
        docs.choose_kind(PhotoIdKind.DRIVERS_LICENCE)
        docs.valid_until.setDate(QDate(visit.today.year + 3, 3, 31))
        docs.add.click()
        # The next one half-entered: a student ID on a phone, with what staff must have seen.
        docs.choose_kind(OtherIdKind.STUDENT_ID)
        docs.valid_until.setDate(QDate(visit.today.year + 1, 3, 31))
        for choice in (docs.smartphone, docs.operated, docs.impractical):
            choice.setChecked(True)
        docs.reason.choose(OverrideReason.DOCUMENTS_SEEN)
        self.scroll_to(docs)

    def visual_comparison(self) -> None:
        panel = self.staff().visit_panel
        panel.code_b.face_check.button.click()  # the camera: a stranger's clip, so it does not match
        self.wait_until("the visual comparison", lambda: panel.visual.isVisibleTo(panel))
        self.wait_screen("the staff check again", self.window.staff_check)
        self.scroll_to(panel.visual)

    def ledger(self) -> None:
        main = self.staff()
        # The visit goes on: staff record the card-face check; the central goes down; the resident
        # asks for a correction (queued) and finishes.
        box = main.visit_panel.code_b
        box.chip_matches.setChecked(True)
        box.declared.setChecked(True)
        self.wait_until("the record button", box.confirm.button.isEnabled)
        box.confirm.button.click()
        self.wait_screen("the choice", self.window.choice)
        self.world.served.stop()  # the central goes down again: the request waits in the outbox
        self.window.choice.buttons[1].click()  # correction (訂正請求)
        self.wait_screen("the result", self.window.result)
        self.window.result.finish.click()
        self.wait_screen("the attract screen", self.window.attract)
        self.translations.switch(self.language)  # the attract screen went back to Japanese
        main.tabs.setCurrentIndex(TAB_LEDGER)
        view = main.ledger
        self.wait_until("the ledger", lambda: view.printout is not None and not view.runner.busy)
        # Every row is shown and the page scrolls: at its top, the figures of both kinds.
        QTest.qWait(SETTLE_MS)

    def pending(self) -> None:
        main = self.staff()
        main.tabs.setCurrentIndex(TAB_PENDING)
        view = main.pending
        self.wait_until("the pending work", lambda: view.work is not None and not view.reader.busy)

    def health(self) -> None:
        main = self.staff()
        main.tabs.setCurrentIndex(TAB_HEALTH)
        view = main.health
        self.wait_until("the health checks", lambda: view.report is not None and not view.runner.busy)
        self.scroll_to(view.rows[CheckName.READER])  # the checks in view, the central's among them

    def service(self) -> None:
        main = self.staff()
        main.tabs.setCurrentIndex(TAB_SERVICE)
        switch = main.service
        self.wait_until("the service mode", lambda: switch.mode is not None and switch.take_out.isEnabled())
        switch.choose_reason(OutOfServiceReason.CENTRAL_UNREACHABLE)
        switch.take_out.click()
        self.wait_until(
            "out of service",
            lambda: switch.mode is not None and switch.mode.state is ServiceState.OUT_OF_SERVICE
            and not self.window.attract.buttons[self.language].isEnabled(),
        )  # fmt: skip

    # steps of the unattended terminal (UnattendedMain)

    def unattended(self) -> UnattendedMain:
        if self.shop is None:
            raise RuntimeError("the unattended terminal is not open")
        return self.shop

    def shop_keypad(
        self, what: str, kind: PinKind, use: PinUse = PinUse.CURRENT, after: object = None
    ) -> PinKeypad:
        window = self.unattended().window

        def ready() -> bool:
            screen = window.code_b if kind is PinKind.CODE_B else window.pin
            keypad = screen.keypad
            shown = window.stack.currentWidget() is screen and isinstance(keypad, PinKeypad)
            return (
                shown and keypad.isVisible() and keypad is not after and keypad.kind is kind
                and keypad.use is use and not window.runner.busy
            )  # fmt: skip

        self.wait_until(what, ready)
        keypad = (window.code_b if kind is PinKind.CODE_B else window.pin).keypad
        assert isinstance(keypad, PinKeypad)
        return keypad

    def shop_screen(self, what: str, screen: QWidget) -> None:
        self.wait_until(what, lambda: self.unattended().window.stack.currentWidget() is screen)

    def shop_attract(self) -> None:
        self.translations.switch(self.language)  # as the counter's attract step

    def shop_insert_card(self) -> None:
        window = self.unattended().window
        window.attract.buttons[self.language].click()
        animation = window.prompt.animation
        animation.pause()
        animation.setCurrentTime(int(animation.duration() * 0.45))

    def shop_choose(self) -> None:
        window = self.unattended().window
        window.card_inserted()
        self.shop_screen("the choice", window.choose)

    def shop_other_pin(self) -> None:
        window = self.unattended().window
        window.choose.pin_buttons[PinKind.SIGN].click()
        keypad = self.shop_keypad("the user authentication PIN keypad", PinKind.AUTH)
        self.press_keys(keypad, CARD_AUTH_PIN[:2])

    def shop_other_pin_wrong(self) -> None:
        window = self.unattended().window
        keypad = window.pin.keypad
        assert keypad is not None
        keypad.clear.click()
        self.press_keys(keypad, WRONG_PIN)
        keypad.ok.click()
        self.shop_keypad("the keypad after a wrong PIN", PinKind.AUTH, after=keypad)

    def shop_code_b(self) -> None:
        window = self.unattended().window
        keypad = window.pin.keypad
        assert keypad is not None
        self.press_keys(keypad, CARD_AUTH_PIN)
        keypad.ok.click()
        code = self.shop_keypad("the 照合番号B keypad", PinKind.CODE_B)
        self.press_keys(code, self.world.shop_code_b[:6])  # part 1 typed: six dots

    def shop_face(self) -> None:
        window = self.unattended().window
        code = window.code_b.keypad
        assert code is not None
        self.press_keys(code, self.world.shop_code_b[6:])
        self.matcher.hold()  # the decision waits until the picture is taken
        code.ok.click()
        self.shop_screen("the face check", window.face)
        self.wait_until("the face check's decision", self.matcher.holding.is_set)
        preview = window.face.preview
        self.wait_until("a camera picture in the preview", lambda: preview.frames_shown > 0)

    def shop_new_pin(self) -> None:
        self.matcher.release()
        keypad = self.shop_keypad("the new signing PIN keypad", PinKind.SIGN, PinUse.NEW)
        self.press_keys(keypad, NEW_SIGN_PIN)  # complete: the checklist ticks every rule

    def shop_receipt(self) -> None:
        window = self.unattended().window
        keypad = window.pin.keypad
        assert keypad is not None
        keypad.ok.click()
        self.wait_keypad_step(keypad)
        self.press_keys(keypad, NEW_SIGN_PIN)
        keypad.ok.click()
        self.shop_screen("the receipt", window.outcome)
        if window.outcome.receipt is None:
            raise RuntimeError(f"no receipt: {window.outcome.lines.text()}")

    def wait_keypad_step(self, keypad: PinKeypad) -> None:
        self.wait_until("the confirmation step", lambda: keypad.step is Step.CONFIRM)

    def shop_take_card(self) -> None:
        window = self.unattended().window
        window.outcome.finish.click()  # the card is still in the reader
        self.shop_screen("take your card", window.take_card)

    def shop_referral(self) -> None:
        window = self.unattended().window
        window.card_removed()
        self.shop_screen("the attract screen", window.attract)
        window.attract.buttons[self.language].click()
        window.card_inserted()
        self.shop_screen("the choice", window.choose)
        window.choose.both.click()  # "I forgot both PINs"
        self.shop_screen("the referral", window.outcome)

    def shop_maintenance_sign_in(self) -> None:
        shop = self.unattended()
        window = shop.window
        window.outcome.finish.click()
        self.shop_screen("take your card", window.take_card)
        window.card_removed()
        self.shop_screen("the attract screen", window.attract)
        self.translations.switch(self.language)  # the attract screen went back to Japanese
        shop.on_reader_event(ReaderEvent(ReaderEventKind.CARD_INSERTED, STAFF_READER, b"\x3b"))
        staff = shop.maintenance.sign_in
        self.wait_until(
            "the staff PIN keypad",
            lambda: staff.phase is Phase.PIN and staff.keypad is not None and staff.keypad.isVisible(),
        )
        assert staff.keypad is not None
        self.press_keys(staff.keypad, seed.STAFF_PIN[:2])

    def shop_maintenance(self) -> None:
        shop = self.unattended()
        staff = shop.maintenance.sign_in
        keypad = staff.keypad
        assert keypad is not None
        self.press_keys(keypad, seed.STAFF_PIN[2:])
        keypad.ok.click()
        self.wait_until("the sign-in", lambda: staff.phase is Phase.SIGNED_IN)
        self.wait_until("the service mode", lambda: shop.maintenance.service.mode is not None)


Action = Callable[[Walk], None]


@dataclass(frozen=True)
class Shot:
    slug: str  # the file name: <nn>-<slug>.png
    title: str
    caption: str
    show: Action  # from the previous shot's state to this one's
    undo: Action | None = None  # after the grab: take a variant (theme, overlay) back off
    part: Part = Part.RESIDENT


SHOTS: tuple[Shot, ...] = (
    Shot(
        "attract",
        "Attract",
        "Between residents: what the kiosk does, and the language buttons.",
        Walk.attract,
    ),
    Shot(
        "attract-out-of-service",
        "Out of service",
        "The attract screen with the out-of-service banner (icon and words); no session can start.",
        Walk.out_of_service,
        Walk.in_service,
    ),
    Shot(
        "insert-card",
        "Insert card",
        "After the language: where the card goes (one frame of the insertion animation).",
        Walk.insert_card,
    ),
    Shot(
        "menu",
        "Menu",
        "The pre-flight read: what this card can do today, and why not the rest.",
        Walk.menu,
    ),
    Shot(
        "menu-high-contrast",
        "Menu, high contrast",
        "The same menu in the high-contrast theme (WCAG AAA), set with the display bar.",
        Walk.high_contrast,
        Walk.default_theme,
    ),
    Shot(
        "menu-large-text",
        "Menu, large text",
        "The same menu with large text (1.4×), set with the display bar.",
        Walk.large_text,
        Walk.default_theme,
    ),
    Shot(
        "idle-countdown",
        "Idle countdown",
        "After a quiet minute: the countdown over the screen, with Continue.",
        Walk.idle_countdown,
        Walk.continue_session,
    ),
    Shot(
        "identity-pin",
        "Identity PIN",
        "A new user authentication certificate: the identity check asks for the resident registry "
        "PIN; two digits typed (dots only), keys shuffled, what to type beside the keys.",
        Walk.identity_pin,
    ),
    Shot(
        "identity-pin-high-contrast",
        "Keypad, high contrast",
        "The same keypad in the high-contrast theme.",
        Walk.high_contrast,
        Walk.default_theme,
    ),
    Shot(
        "identity-pin-large-text",
        "Keypad, large text",
        "The same keypad with large text.",
        Walk.large_text,
        Walk.default_theme,
    ),
    Shot(
        "identity-pin-wrong",
        "Wrong PIN",
        "After a wrong PIN: a new shuffle, the warning and the tries left.",
        Walk.wrong_pin,
    ),
    Shot(
        "card-information-pin",
        "Card information PIN",
        "The right PIN: next, the card information PIN to read name, address and date of birth.",
        Walk.card_information_pin,
    ),
    Shot(
        "new-pin",
        "New PIN",
        "Choosing the new certificate's PIN: four digits typed, the checklist ticked.",
        Walk.new_pin,
    ),
    Shot(
        "new-pin-confirm",
        "New PIN, confirm",
        "The new PIN a second time, on a fresh shuffle.",
        Walk.new_pin_confirm,
    ),
    Shot(
        "progress",
        "Progress",
        "The key pair and certificate being made on the card; the idle timer is held.",
        Walk.progress,
        Walk.release_card,
    ),
    Shot(
        "result",
        "Result and receipt",
        "Done: what changed on the card (the central's serial number and dates differ per run), "
        "print the receipt or finish.",
        Walk.result,
    ),
    Shot(
        "staff-check",
        "Staff will check your identity",
        'The card was reported lost (機構 suspended it) and is found: "My lost card was found". A '
        "card not in operation cannot confirm its holder, so no PIN is asked: the resident waits while "
        "staff check a document by hand at the console.",
        Walk.found_card_staff,
    ),
    Shot(
        "found-card-result",
        "Found card: suspension lifted",
        "After the card information PIN: the release revoked the certificate that was on hold; new "
        "certificates can follow in the same visit.",
        Walk.found_card,
    ),
    Shot(
        "face-check",
        "Face check",
        'The next visit: "I do not know this PIN"; staff read the chip\'s photo with 照合番号B and '
        "start the face check: the live preview (a video-file camera of the card's holder) with the "
        "check's guidance. It matches; the visit goes on to the new PIN.",
        Walk.face_check,
        Walk.face_matched,
    ),
    Shot(
        "minor-refused",
        "Not eligible: under 15",
        "The minor's card: after the PINs, the certificate is refused without the legal "
        "representative (要綱 2-3).",
        Walk.minor_refused,
    ),
    Shot(
        "menu-central-down",
        "Menu, central down",
        "The central cannot be reached (its port is closed): what needs it is not offered, what "
        "can wait is taken and sent later.",
        Walk.central_down,
    ),
    Shot(
        "disclosure-choice",
        "Disclosure or correction",
        "The disclosure request: without the central the card's status is unknown, so staff "
        "checked a document by hand; after the card information PIN, which of the two.",
        Walk.disclosure_choice,
    ),
    Shot(
        "queued-result",
        "Result, request queued",
        "The request is taken and will be sent when the central is back.",
        Walk.queued_result,
    ),
    Shot(
        "staff-sign-in",
        "Staff sign-in",
        "The whole window: the resident's attract screen and, beside it, the staff side. The staff "
        "card is in the staff reader; two digits of its PIN typed.",
        Walk.staff_sign_in,
        part=Part.MAIN,
    ),
    Shot(
        "staff-signed-in",
        "Signed in",
        "The operator is signed in (op-001): every override is recorded in their name.",
        Walk.staff_signed_in,
        part=Part.MAIN,
    ),
    Shot(
        "visit-code-b",
        "Visit: the chip's card face (照合番号B)",
        "A resident who does not know the PIN: staff keyed 照合番号B; the chip's name, address and "
        "photo (the fictitious sample resident's) beside the checks against the printed card.",
        Walk.visit_code_b,
        part=Part.MAIN,
    ),
    Shot(
        "visit-documents",
        "Visit: documents by hand",
        "The other way: the documents presented (kinds and dates, never a number); a student ID being "
        "entered as shown on a smartphone, with the two things staff must have seen (要綱 2-6 なお書).",
        Walk.documents,
        part=Part.MAIN,
    ),
    Shot(
        "visit-visual-comparison",
        "Visit: visual face comparison",
        "The face check did not match (a stranger's clip): staff compare the person with the "
        "chip's photo (規則 64条の5 第1号).",
        Walk.visual_comparison,
        part=Part.MAIN,
    ),
    Shot(
        "ledger",
        "Ledger",
        "The day's 交付記録簿 with the user authentication certificate issued in this walk-through, "
        "both kinds side by side (the full names on the column heads' tooltips), every row shown; the "
        "operation record's head and the CSV export are further down the page.",
        Walk.ledger,
        part=Part.MAIN,
    ),
    Shot(
        "pending",
        "Pending",
        "The correction request of that visit waiting for the central (down again), with Send now.",
        Walk.pending,
        part=Part.MAIN,
    ),
    Shot(
        "health",
        "Health",
        "The terminal's checks: the central unreachable (its port is closed), requests waiting; the "
        "camera is the clip file, the readers the in-process ones.",
        Walk.health,
        part=Part.MAIN,
    ),
    Shot(
        "service",
        "Out of service",
        "Staff take the terminal out of service (reason: the central cannot be reached); the "
        "resident's screen says so.",
        Walk.service,
        part=Part.MAIN,
    ),
    Shot(
        "unattended-attract",
        "Unattended: attract",
        "The unattended PIN-reset terminal between residents: what it resets (both PINs here), what "
        "the person needs, that nobody staffs it; the language.",
        Walk.shop_attract,
        part=Part.UNATTENDED,
    ),
    Shot(
        "unattended-insert-card",
        "Unattended: insert card",
        "Where the card goes, and first which numbers on its front will be asked.",
        Walk.shop_insert_card,
        part=Part.UNATTENDED,
    ),
    Shot(
        "unattended-choose",
        "Unattended: which PIN",
        "The card is checked: the signing PIN can be reset (the user authentication certificate "
        "proves the holder); the user authentication PIN cannot, and the line says why.",
        Walk.shop_choose,
        part=Part.UNATTENDED,
    ),
    Shot(
        "unattended-other-pin",
        "Unattended: the PIN you still know",
        "The user authentication PIN, two digits typed; how many tries this terminal allows (it "
        "never spends the last).",
        Walk.shop_other_pin,
        part=Part.UNATTENDED,
    ),
    Shot(
        "unattended-other-pin-wrong",
        "Unattended: wrong PIN, last try here",
        "After a wrong entry: the card's counter and the warning before the terminal's last try.",
        Walk.shop_other_pin_wrong,
        part=Part.UNATTENDED,
    ),
    Shot(
        "unattended-code-b",
        "Unattended: 照合番号B",
        "Verification number B with the card's front drawn and its three parts numbered where "
        "they are printed; part 1 typed (dots only).",
        Walk.shop_code_b,
        part=Part.UNATTENDED,
    ),
    Shot(
        "unattended-face-check",
        "Unattended: face check",
        "The face check with its head-turn challenge (always, here): the preview of the camera "
        "clip and the check's guidance.",
        Walk.shop_face,
        part=Part.UNATTENDED,
    ),
    Shot(
        "unattended-new-pin",
        "Unattended: new signing PIN",
        "The central authorised the reset: the new signing PIN, the checklist ticked.",
        Walk.shop_new_pin,
        part=Part.UNATTENDED,
    ),
    Shot(
        "unattended-receipt",
        "Unattended: receipt",
        "Done: which PIN, that the other was not changed, when, the reference; printable.",
        Walk.shop_receipt,
        part=Part.UNATTENDED,
    ),
    Shot(
        "unattended-take-card",
        "Unattended: take your card",
        "The session is over with the card still in: the next person starts once it is out.",
        Walk.shop_take_card,
        part=Part.UNATTENDED,
    ),
    Shot(
        "unattended-referral",
        "Unattended: referral to the counter",
        'The next attempt: "I forgot both PINs": go to the municipal counter, why, what to bring; printable.',
        Walk.shop_referral,
        part=Part.UNATTENDED,
    ),
    Shot(
        "unattended-maintenance-sign-in",
        "Unattended: staff card",
        "A staff card inserted at the attract screen opens the maintenance panel: its PIN, two digits typed.",
        Walk.shop_maintenance_sign_in,
        part=Part.UNATTENDED,
    ),
    Shot(
        "unattended-maintenance",
        "Unattended: maintenance",
        "Signed in: out of service on or off, exit the kiosk (both recorded), close maintenance.",
        Walk.shop_maintenance,
        part=Part.UNATTENDED,
    ),
)


# -- grabbing -----------------------------------------------------------------------------------


def visible_texts(root: QWidget) -> Iterator[str]:
    """Every text a visible widget holds: labels, buttons, list and table cells, and what screen
    readers are told."""
    for widget in [root, *root.findChildren(QWidget)]:
        if not widget.isVisible():
            continue
        if isinstance(widget, QLabel | QAbstractButton):
            yield widget.text()
        text = getattr(widget, "text", None)
        if callable(text) and not isinstance(widget, QLabel | QAbstractButton):
            try:
                value = text()
            except TypeError:
                value = None
            if isinstance(value, str):
                yield value
        if isinstance(widget, QListWidget):
            yield from (widget.item(row).text() for row in range(widget.count()))
        if isinstance(widget, QTableWidget):
            for row in range(widget.rowCount()):
                cells = (widget.item(row, column) for column in range(widget.columnCount()))
                yield from (cell.text() for cell in cells if cell is not None)
        yield widget.accessibleName()
        yield widget.accessibleDescription()
        yield widget.toolTip()
        yield widget.windowTitle()


def check_no_secrets(root: QWidget, secrets: tuple[str, ...]) -> None:
    """No PIN of the walk-through and no My Number in any visible text (whole words)."""
    patterns = [re.compile(rf"(?<![0-9A-Za-z]){re.escape(s)}(?![0-9A-Za-z])") for s in secrets]
    for text in visible_texts(root):
        for secret, pattern in zip(secrets, patterns, strict=True):
            if pattern.search(text):
                raise AssertionError(f"a secret ({len(secret)} characters) is on screen in {text!r}")


def misfits(top: QWidget) -> list[str]:
    """What does not fit the screen: the window larger than it (cut off on the panel), a scroll
    area wider inside than its view (cut off on the right: scrolled sideways, or never when its
    sideways scroll bar is off), a button narrower than its words."""
    found = []
    if top.width() > WIDTH or top.height() > HEIGHT:
        found.append(f"the window needs {top.width()}×{top.height()}")
    for area in top.findChildren(QScrollArea):
        inner = area.widget()
        if not area.isVisible() or inner is None:
            continue
        need, has = max(inner.minimumSizeHint().width(), inner.minimumWidth()), area.viewport().width()
        if need > has:
            how = (
                "cut off"
                if area.horizontalScrollBarPolicy() is Qt.ScrollBarPolicy.ScrollBarAlwaysOff
                else "scrolls"
            )
            name = type(inner if type(inner) is not QWidget else area.parentWidget()).__name__
            found.append(f"{name} {how} sideways: needs {need} px, has {has}")
    for button in top.findChildren(QPushButton):
        if button.isVisible() and button.text() and button.sizeHint().width() > button.width():
            found.append(f"button {button.text()!r}: {button.width()} px for {button.sizeHint().width()}")
    return found


def png_bytes(image: QImage) -> bytes:
    """A small PNG: Qt's grab as RGB, reduced to a 256-colour palette (flat UI colours and
    anti-aliased text survive it), written by Pillow with optimisation."""
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.convertToFormat(QImage.Format.Format_RGB32).save(buffer, "PNG")
    data = QByteArray(buffer.data()).data()
    with Image.open(io.BytesIO(data)) as grabbed:
        small = grabbed.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=0)
    out = io.BytesIO()
    small.save(out, "PNG", optimize=True)
    return out.getvalue()


def grab(window: QWidget) -> QImage:
    """What the screen shows of the window (xcb: the X server's pixels): its top-left WIDTH×HEIGHT,
    the whole screen. A screen whose layout needs more than that is cut off here as on the panel
    (`misfits` lists it)."""
    screen = window.screen()
    image = screen.grabWindow(window.winId(), 0, 0, WIDTH, HEIGHT).toImage()
    if image.isNull():
        raise RuntimeError("the screen grab came back empty")
    return image


def check_fonts(app: QApplication) -> str:
    """The family Japanese text is drawn in; stops when no font has Japanese glyphs."""
    font = app.font()
    family = QFontInfo(font).family()
    metrics = QFontMetrics(QFont(family))
    missing = [ch for ch in JAPANESE_SAMPLE if not metrics.inFontUcs4(ord(ch))]
    if missing or not any(QFontDatabase.hasFamily(f) for f in FONT_FAMILIES[:2]):
        raise SystemExit(
            f"no Japanese font: the UI font resolves to {family!r} (missing {''.join(missing)!r}). "
            "Install fonts-noto-cjk (./run installs it)."
        )
    return family


@dataclass
class Taken:
    written: list[Path] = field(default_factory=list)
    misfits: list[str] = field(default_factory=list)  # "<language>/<slug>: what does not fit"


def _shoot(walk: Walk, number: int, shot: Shot, folder: Path, taken: Taken) -> None:
    top = walk.top
    shot.show(walk)
    top.setGeometry(0, 0, WIDTH, HEIGHT)  # back to the screen's size after a larger variant
    walk.settle()
    if walk.failures:
        raise RuntimeError(f"{shot.slug}: a counter step failed: {walk.failures}")
    check_no_secrets(top, walk.world.secrets)
    for misfit in misfits(top):
        taken.misfits.append(f"{walk.language.value}/{shot.slug}: {misfit}")
        log.info("%s/%s does not fit: %s", walk.language.value, shot.slug, misfit)
    image = grab(top)
    if (image.width(), image.height()) != (WIDTH, HEIGHT):
        raise RuntimeError(f"{shot.slug}: grabbed {image.width()}×{image.height()}, not {WIDTH}×{HEIGHT}")
    path = folder / file_name(number, shot)
    path.write_bytes(png_bytes(image))
    taken.written.append(path)
    log.info("%s", path)
    if shot.undo is not None:
        shot.undo(walk)


def _show(top: QWidget) -> None:
    top.setGeometry(0, 0, WIDTH, HEIGHT)
    top.show()
    if not QTest.qWaitForWindowExposed(top, 10_000):
        raise RuntimeError("the window was never exposed")


def _failed(walk: Walk) -> Callable[[object], None]:
    def note(error: object) -> None:
        if not isinstance(error, FlowEnded):  # a flow's own ending (shown as its result) is no failure
            walk.failures.append(type(error).__name__)

    return note


def take(
    app: QApplication, sample: Sample, matcher: HeldMatcher, work: Path, *, language: Language, out: Path
) -> Taken:
    """One language's walk-through: the resident's window, then the main window, on one terminal."""
    folder = out / language.value
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("[0-9][0-9]-*.png"):
        stale.unlink()
    metrics = Metrics(DPI)
    apply_theme(app, DEFAULT_SETTINGS, metrics)
    taken = Taken()
    numbered = list(enumerate(SHOTS, start=1))
    with ExitStack() as stack:
        w = stack.enter_context(world(sample, work / language.value))
        translations = Translations(app)
        stack.callback(translations.uninstall)

        # the resident's window alone, as the resident sees it
        idle_clock = FakeClock()
        window = CounterWindow(
            w.running.counter, w.open_card, lambda: seed.OPERATOR_ID, translations, metrics,
            idle=IdleController(app, clock=idle_clock),
            camera=lambda: Capture(str(sample.holder_clip), loop=True),
            matcher=matcher,
            printer=pdf_printer(work / f"receipt-{language.value}.pdf"),
        )  # fmt: skip
        walk = Walk(app, w, language, metrics, translations, matcher, idle_clock, window)
        window.runner.failed.connect(_failed(walk))
        _show(window)
        for number, shot in numbered:
            if shot.part is Part.RESIDENT:
                _shoot(walk, number, shot, folder, taken)
        if window.stack.currentWidget() is window.result:
            window.result.finish.click()  # the visit ends: PINs wiped, card released
        window.close()
        window.deleteLater()
        apply_theme(app, DEFAULT_SETTINGS, metrics)

        # the main window on the same terminal: the resident's window and the staff side
        main = CounterMain(
            w.running,
            translations,
            metrics,
            open_resident=w.open_card,
            open_staff=w.open_staff,
            matcher=matcher,
        )
        main.staff.rng = random.Random(SEED)  # noqa: S311 (a reproducible key order for the pictures)
        stack.callback(main.deleteLater)
        stack.callback(main.close)
        stack.callback(main.shutdown)
        # The health checks as the console runs them, but the reader check through a stand-in
        # PC/SC context (the in-process readers): the host's pcscd is not touched.
        config = w.running.config
        counter = main.counter
        health = HealthView(
            terminal_checks(
                sessions=w.running.reads,
                link=w.running.counter.link,
                camera=config.camera or "0",
                data_dir=config.data_dir,
                preferred_reader=config.resident_reader,
                reader_context=InProcessReaders(),
            ),
            metrics,
            camera_busy=lambda: counter.stack.currentWidget() is counter.face,
        )
        page = main.tabs.widget(TAB_HEALTH)
        assert isinstance(page, QScrollArea)
        page.setWidget(health)  # the view CounterMain made (never shown, nothing run) is deleted
        main.health = health
        walk.window, walk.main = counter, main
        counter.runner.failed.connect(_failed(walk))
        w.served.start()  # the central is back (the queued request goes out)
        translations.switch(language)  # as the attract step: the English set in English
        _show(main)
        for number, shot in numbered:
            if shot.part is Part.MAIN:
                _shoot(walk, number, shot, folder, taken)
        main.hide()
        _take_unattended(walk, stack, numbered, folder, taken)
    app.setStyleSheet("")
    return taken


def _take_unattended(
    walk: Walk, stack: ExitStack, numbered: list[tuple[int, Shot]], folder: Path, taken: Taken
) -> None:
    """The last part: the unattended terminal at the same central, its window on its own."""
    app, w, matcher, metrics, translations = (
        walk.app,
        walk.world,
        walk.matcher,
        walk.metrics,
        walk.translations,
    )
    w.served.start()  # back after the health shot
    apply_theme(app, DEFAULT_SETTINGS, metrics)
    clip = str(w.shop.config.camera)
    shop = UnattendedMain(
        w.shop, Capabilities(), translations, metrics,
        open_resident=w.open_shop_card, open_staff=w.open_shop_staff, matcher=matcher,
        # read from its first frame as the check takes it, the challenge asking its turns
        camera=lambda: Capture(clip, realtime=False),
        idle=IdleController(app, clock=walk.idle_clock),
        challenge_rng=asking_right_left_right,
    )  # fmt: skip
    shop.maintenance.sign_in.rng = random.Random(SEED)  # noqa: S311 (as above)
    stack.callback(shop.deleteLater)
    stack.callback(shop.close)
    stack.callback(shop.shutdown)
    shop.window.outcome.can_print = True  # as at a terminal with a printer: the button shows
    walk.shop = shop
    shop.window.runner.failed.connect(_failed(walk))
    _show(shop)
    for number, shot in numbered:
        if shot.part is Part.UNATTENDED:
            _shoot(walk, number, shot, folder, taken)


# -- the index ----------------------------------------------------------------------------------

LANGUAGE_HEADINGS = {Language.JA: "日本語 (ja)", Language.EN: "English (en)"}


def file_name(number: int, shot: Shot) -> str:
    return f"{number:02d}-{shot.slug}.png"


def render_index(shots: tuple[Shot, ...] = SHOTS) -> str:
    """docs/screens/README.md: every shot per language, from the table."""
    lines = [
        "# Screens of the counter terminal",
        "",
        "Taken from the real windows under Xvfb by [`tools/screenshots.py`](../../tools/screenshots.py)"
        " (generated file: run the script, do not edit by hand). Behind the windows runs the product: the"
        " central CA in-process over HTTPS, the terminal opened as `kiosk counter` opens it (store,"
        " terminal identity, central link, background sync), the fictitious sample residents' software"
        " cards (佐藤　健太 and the minor 鈴木　陽翔, `cardemu.residents`), the demo's staff card"
        " (op-001), and the face check's matcher process fed by a video-file camera"
        " (`facekit.live_clip`). 1280×800 at 100 dpi, Noto Sans CJK JP.",
        "",
        "```sh",
        ".venv/bin/python tools/screenshots.py   # starts its own Xvfb; both languages",
        "```",
        "",
        "The resident's window is shown first on its own, then the main window: the resident's screen"
        " with the staff side beside it, then the unattended PIN-reset terminal (docs/unattended.md) on"
        " a second terminal of the same central, registered there as unattended. Between residents the"
        " kiosk shows the attract screen in"
        " Japanese; the English pictures show the English texts for review. Serial numbers, dates,"
        " reference numbers and times are the central's and the clock's and change with every run.",
        "",
        "What is not the product's own path: card insertions are given to the windows directly (no"
        " PC/SC monitor, so no recovery pass on insertion); the health view's reader check lists the"
        " two in-process readers through a stand-in PC/SC context; the central is taken down by"
        ' closing its port (the health view\'s "cannot be reached"); in the resident-only part the'
        " script makes the 照合番号B read staff make at the console, and holds the face check's"
        " decision until its picture is taken; in the unattended part the head-turn challenge is seeded"
        " to ask the turns its clip shows (a recording cannot follow a random challenge). The face images"
        " come from `resources/faceset` (public"
        ' test images of real people: the sample adult\'s card photo and camera clip are its "obama"'
        ' identity, the stranger\'s clip its public-domain "astronaut"), not from the fictitious'
        " residents.",
        "",
        "What a picture shows cut off is cut off on the panel too: the script ends with the list of"
        " screens that do not fit 1280×800 (a window larger than the screen, a view wider than its"
        " scroll area, a button narrower than its words).",
        "",
    ]
    for language in Language:
        lines.append(f"- [{LANGUAGE_HEADINGS[language]}](#{language.value})")
    for language in Language:
        lines += ["", f'<a id="{language.value}"></a>', "", f"## {LANGUAGE_HEADINGS[language]}"]
        for part in Part:
            lines += ["", f"### {PART_HEADINGS[part]}", ""]
            lines += ["| # | Screen | Picture |", "|---:|---|---|"]
            for number, shot in enumerate(shots, start=1):
                if shot.part is not part:
                    continue
                path = f"{language.value}/{file_name(number, shot)}"
                picture = f'<a href="{path}"><img src="{path}" width="480" alt="{shot.title}"></a>'
                lines.append(f"| {number:02d} | **{shot.title}**<br>{shot.caption} | {picture} |")
    return "\n".join(lines) + "\n"


# -- the X server and the application -----------------------------------------------------------


@contextmanager
def xvfb() -> Iterator[str]:
    """Our own Xvfb on a free display (it picks one: -displayfd), stopped on the way out."""
    binary = shutil.which("Xvfb")
    if binary is None:
        raise SystemExit("Xvfb is not installed (apt-get install xvfb; ./run installs it)")
    read_end, write_end = os.pipe()
    command = [binary, "-displayfd", str(write_end), "-screen", "0", f"{WIDTH}x{HEIGHT}x24"]
    command += ["-dpi", "96", "-nolisten", "tcp", "-noreset"]  # 96: Qt's device pixel ratio stays 1
    server = subprocess.Popen(command, pass_fds=(write_end,), stderr=subprocess.DEVNULL)  # noqa: S603
    os.close(write_end)
    try:
        number = b""
        deadline = time.monotonic() + 10
        while not number.endswith(b"\n"):
            ready, _, _ = select.select([read_end], [], [], max(0.0, deadline - time.monotonic()))
            chunk = os.read(read_end, 16) if ready else b""
            if not chunk:
                raise RuntimeError("Xvfb did not start")
            number += chunk
        display = f":{int(number)}"
        log.info("Xvfb on %s (pid %d)", display, server.pid)
        yield display
    finally:
        os.close(read_end)
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def make_app(platform: str, work: Path) -> QApplication:
    """The QApplication on `platform`: xcb (a real X server, $DISPLAY) or offscreen (the test)."""
    os.environ["QT_ENABLE_HIGHDPI_SCALING"] = "0"  # one grabbed pixel per logical pixel
    if platform == "offscreen":
        config = work / "offscreen.json"
        screen = {"name": "kiosk", "x": 0, "y": 0, "width": WIDTH, "height": HEIGHT, "logicalDpi": 96}
        config.write_text(json.dumps({"screens": [screen]}), encoding="utf-8")
        platform = f"offscreen:configfile={config}"
    return QApplication([sys.argv[0], "-platform", platform])


def run(languages: list[Language], out: Path, platform: str, display: str | None) -> Taken:
    started = time.monotonic()
    taken = Taken()
    with ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="screens-")))
        if platform == "xcb":
            os.environ["DISPLAY"] = display or stack.enter_context(xvfb())
            os.environ.pop("WAYLAND_DISPLAY", None)
        app = make_app(platform, work)
        if app.platformName() != platform:
            raise SystemExit(f"Qt runs on {app.platformName()!r}, not {platform!r}")
        size = app.primaryScreen().geometry().size()
        if size.width() < WIDTH or size.height() < HEIGHT:
            raise SystemExit(f"the screen is {size.width()}×{size.height()}: {WIDTH}×{HEIGHT} is needed")
        apply_theme(app, DEFAULT_SETTINGS, Metrics(DPI))
        log.info("font: %s", check_fonts(app))
        sample = Sample.create(work / "sample")
        # The kiosk's matcher: a child process, started once (models loaded) and used by every check.
        matcher = HeldMatcher(stack.enter_context(ProcessMatcher()))
        for language in languages:
            done = take(app, sample, matcher, work, language=language, out=out)
            taken.written += done.written
            taken.misfits += done.misfits
        out.mkdir(parents=True, exist_ok=True)
        (out / INDEX).write_text(render_index(), encoding="utf-8")
    log.info("%d screenshots in %.1f s", len(taken.written), time.monotonic() - started)
    return taken


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=OUT, help="where <language>/<nn>-<screen>.png go")
    parser.add_argument(
        "--language", choices=[lang.value for lang in Language], action="append", help="default: all"
    )
    parser.add_argument(
        "--platform", choices=["xcb", "offscreen"], default="xcb", help="offscreen: no X server (tests)"
    )
    parser.add_argument("--display", help="use this running X server instead of starting Xvfb")
    parser.add_argument("--strict", action="store_true", help="fail when a screen does not fit 1280×800")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    log.setLevel(logging.INFO if args.verbose else logging.WARNING)
    if not args.verbose:  # the relay's retries while the central is down are part of the story
        logging.getLogger("kiosk").setLevel(logging.ERROR)
    languages = [Language(v) for v in args.language] if args.language else list(Language)
    taken = run(languages, args.out, args.platform, args.display)
    print(f"{len(taken.written)} screenshots in {args.out}")
    if taken.misfits:
        print(f"does not fit {WIDTH}×{HEIGHT} ({len(taken.misfits)}):", *taken.misfits, sep="\n  ")
        return 1 if args.strict else 0
    print(f"every screen fits {WIDTH}×{HEIGHT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
