"""Screenshots of the resident's counter window, every screen in Japanese and English.

    .venv/bin/python tools/screenshots.py                      # both languages → docs/screens/
    .venv/bin/python tools/screenshots.py --language en --out /tmp/shots
    .venv/bin/python tools/screenshots.py --display :99        # an X server you started yourself
    .venv/bin/python tools/screenshots.py --platform offscreen # no X at all (what the test runs)

By default the script starts its own X server — `Xvfb -displayfd` picks a free display, 1280×800 at
24 bits — and shows the real counter window there on Qt's xcb platform, with no window manager,
so what is grabbed (`QScreen.grabWindow`) is what the X server drew. With `--display` it uses an
X server that is already running (e.g. under `xvfb-run -s "-screen 0 1280x800x24"`). It needs
Xvfb and the Noto CJK fonts (`fonts-noto-cjk`), both in `./run`'s package list; without a font
that has Japanese glyphs it stops rather than write pictures of empty boxes.

What runs behind the window is the product, not a mock-up: the central CA served in-process over
HTTPS with mutual TLS (`central.httpd.serve_in_thread`), the kiosk's SQLite store, a
`CounterTerminal`, and the sample adult resident's software card (`cardemu.residents`: a
fictitious person) in an in-process reader. The walk-through presses the window's own buttons and
keypad keys, as a resident would, and a fresh world is made for each language, so both languages
show the same states. Each screen's texts are checked before the grab: no PIN typed during the
walk-through and no My Number may appear in any text the window holds (the keypad masks its
entry; the check is what makes sure).

Deterministic where it can be: a fixed window size, a fixed density (100 dpi: a 15-inch 1280×800
panel, given as the terminal configuration's override rather than read from the X server), a
seeded keypad shuffle, a fake idle clock and the card-insertion animation stopped at one frame.
What differs from run to run is the central's: certificate serial numbers, validity dates and
reference numbers on the receipt, and the frame of the busy progress bar.

The pictures are listed in one table, `SHOTS`: a shot names a step that takes the window from the
previous shot's state to its own, and optionally a step that undoes a variant (a theme, an
overlay) before the next one. Add a screen by adding a row; `docs/screens/README.md` is generated
from the same table (tests/ui/test_screenshots_tool.py fails when it is stale).
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import random
import re
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from PIL import Image
from PySide6.QtCore import QBuffer, QByteArray, QIODevice  # noqa: TID251 (a UI tool: Qt is its job)
from PySide6.QtGui import QFont, QFontDatabase, QFontInfo, QFontMetrics, QImage  # noqa: TID251
from PySide6.QtTest import QTest  # noqa: TID251
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QWidget  # noqa: TID251

from cardadmin import derive_card_key
from cardemu.card import SoftCard
from cardemu.inprocess import SoftCardConnection
from cardemu.personalise import personalise
from cardemu.residents import ADULT, JUKI_PIN, KENHOJO_PIN, SIGN_PIN, resident_specs
from cardemu.residents import AUTH_PIN as CARD_AUTH_PIN
from cardemu.state import CardState
from cardemu.testpki import TestPki
from central import migrate
from central.authority import Authority
from central.cmp_intake import CmpIntake
from central.db import make_engine as make_central_engine
from central.httpd import CentralHttpServer, serve_in_thread, server_ssl_context
from central.service import Central
from central.tls import ensure_server_tls
from kiosk.domain.eligibility import Certificate
from kiosk.domain.pin_rules import PinKind, PinUse
from kiosk.domain.procedures import Item, Procedure
from kiosk.domain.resident import parse_yyyymmdd
from kiosk.flows.counter.terminal import CounterTerminal, utcnow
from kiosk.flows.responses import CertificateResponses
from kiosk.reader.authenticity import IssuerTrust
from kiosk.store.db import make_engine, make_sessionmaker
from kiosk.store.migrate import upgrade
from kiosk.store.sealed import Sealer, load_or_create_data_key
from kiosk.sync.central import CentralLink, TerminalIdentity
from kiosk.sync.relay import Relay
from kiosk.ui.counter import CounterWindow
from kiosk.ui.i18n import Language, Translations
from kiosk.ui.idle import IdleController
from kiosk.ui.keypad import PULSE_MS, PinKeypad, Step
from kiosk.ui.theme import (
    DEFAULT_SETTINGS,
    FONT_FAMILIES,
    Contrast,
    Metrics,
    TextSize,
    ThemeSettings,
    apply_theme,
)

ROOT = Path(__file__).resolve().parents[1]
log = logging.getLogger("screenshots")

WIDTH, HEIGHT = 1280, 800
DPI = 100.0  # a 15-inch 1280×800 touch panel; the terminal configuration's override_dpi
SEED = 5  # the keypad shuffle: the same key order on every run
OUT = ROOT / "docs" / "screens"
INDEX = "README.md"
TERMINAL = "kiosk-screens-01"
MUNICIPALITY = "13112"
OPERATOR = "staff-007"  # signed in at the staff console: the identity check needs one
NEW_PIN = "8642"  # the new 利用者証明用 PIN chosen in the walk-through
WRONG_PIN = "0000"
STEP_TIMEOUT_S = 60.0
SETTLE_MS = max(100, PULSE_MS)
JAPANESE_SAMPLE = "日本語の画面です"  # glyphs the font must have: kanji, hiragana


# -- the world behind the window: central, store, terminal, card --------------------------------


def _write_pem(path: Path, *objs: x509.Certificate | rsa.RSAPrivateKey) -> Path:
    data = b""
    for obj in objs:
        if isinstance(obj, x509.Certificate):
            data += obj.public_bytes(serialization.Encoding.PEM)
        else:
            data += obj.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
    path.touch(mode=0o600)
    path.write_bytes(data)
    return path


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


@dataclass
class World:
    terminal: CounterTerminal
    card: SoftCard
    gate: Gate
    secrets: tuple[str, ...]  # what no screen may show: PINs typed, the holder's My Number

    def open_card(self) -> SoftCardConnection:
        return GatedConnection(self.card, self.gate)


@contextmanager
def central_server(directory: Path) -> Iterator[tuple[Central, CentralLink, rsa.RSAPrivateKey]]:
    """The real central as `central serve` runs it (HTTPS, mutual TLS) on 127.0.0.1:0 in a thread of
    this process, with this terminal registered and bootstrapped."""
    authority = Authority.create(directory / "ca", root_bits=2048, ca_bits=2048)
    db_url = f"sqlite:///{directory / 'central.db'}"
    migrate.upgrade(db_url)
    central = Central(authority, make_central_engine(db_url))
    central.add_municipality(MUNICIPALITY, "世田谷区")
    secret = central.register_terminal(TERMINAL, MUNICIPALITY)
    terminal_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, TERMINAL)]))
        .sign(terminal_key, hashes.SHA256())
    )
    issued = central.bootstrap_terminal(TERMINAL, secret, csr)
    keys = directory / "terminal"
    keys.mkdir(mode=0o700)
    identity = TerminalIdentity(
        key_file=_write_pem(keys / "terminal.key", terminal_key),
        cert_file=_write_pem(keys / "terminal.pem", issued.certificate, authority.terminal_ca.cert),
        central_root_file=_write_pem(keys / "central-root.pem", authority.root.cert),
    )
    tls = ensure_server_tls(authority, ["127.0.0.1"])
    context = server_ssl_context(str(tls.cert_chain), str(tls.key), str(tls.client_ca))
    server = CentralHttpServer(("127.0.0.1", 0), CmpIntake(central), context)
    thread = serve_in_thread(server)
    try:
        link = CentralLink(f"https://127.0.0.1:{server.server_address[1]}/pkix/", identity, timeout=10)
        yield central, link, terminal_key
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
        central.close()


@dataclass(frozen=True)
class Sample:
    """Made once per run: the test PKI, its issuer trust, and the adult resident's card file."""

    pki: TestPki
    trust: Path
    card_file: Path

    @classmethod
    def create(cls, directory: Path) -> Sample:
        pki = TestPki.create(directory / "pki")
        card_file = directory / "adult.json"
        personalise(resident_specs()[ADULT], pki).save(card_file)
        return cls(pki, pki.write_issuer_trust(directory / "trust"), card_file)


@contextmanager
def world(sample: Sample, directory: Path) -> Iterator[World]:
    """A fresh central, kiosk store and copy of the card: every language starts from the same state."""
    directory.mkdir(parents=True)
    with central_server(directory / "central") as (central, link, terminal_key):
        card_path = directory / "card.json"
        shutil.copy2(sample.card_file, card_path)
        state = CardState.load(card_path)
        state.admin_key = derive_card_key(central.authority.admin_master_key, state.card_id)
        state.save(card_path)  # personalised under this central's card-admin key (J-LIS issues both)
        central.register_card(state.card_id, MUNICIPALITY, "holder-adult", parse_yyyymmdd(state.expiry))

        engine = make_engine(directory / "kiosk.db")
        upgrade(engine)
        sessions = make_sessionmaker(engine)
        sealer = Sealer(load_or_create_data_key(directory / "data"))
        clock = utcnow  # the central checks message times by the real clock
        relay = Relay(
            sessions,
            link.send,
            verify_receipt=link.verify_receipt,
            on_settled=CertificateResponses(sealer, link, clock=clock),
            clock=clock,
        )
        terminal = CounterTerminal(
            sessions=sessions,
            sealer=sealer,
            link=link,
            relay=relay,
            terminal_id=TERMINAL,
            signing_key=terminal_key,
            recipient=central.authority.encryption_key.public_key(),
            trust=IssuerTrust.from_directory(sample.trust),
            clock=clock,
            rng=random.Random(SEED),  # noqa: S311 (a reproducible key order for the pictures only)
            certificate_wait_s=10,
        )
        pins = (JUKI_PIN, KENHOJO_PIN, CARD_AUTH_PIN, SIGN_PIN, NEW_PIN, WRONG_PIN)
        gate = Gate()
        try:
            yield World(terminal, SoftCard(state, card_path), gate, (*pins, state.holder.my_number))
        finally:
            gate.open()
            engine.dispose()


# -- the walk-through ---------------------------------------------------------------------------


class FakeClock:
    """The idle controller's clock: moves only when the walk-through says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Walk:
    """One language's walk through the counter window, driven through its widgets."""

    app: QApplication
    window: CounterWindow
    world: World
    language: Language
    metrics: Metrics
    idle_clock: FakeClock
    failures: list[str] = field(default_factory=list)

    # helpers

    def settle(self) -> None:
        """Let Qt lay out and paint (and the X server draw) before a grab; a key's pulse of the
        entry field over first, so that the field looks the same on every run."""
        keypad = self.window.pin.keypad
        if isinstance(keypad, PinKeypad) and keypad.isVisible():
            self.wait_until("the entry field's pulse to end", lambda: not keypad.field.pulsing, timeout=5)
        QTest.qWait(SETTLE_MS)

    def wait_until(self, what: str, condition: Callable[[], bool], timeout: float = STEP_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if self.failures:
                raise RuntimeError(f"while waiting for {what}: a counter step failed: {self.failures}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out waiting for {what}")
            QTest.qWait(20)

    def keypad(self) -> PinKeypad:
        keypad = self.window.pin.keypad
        if not isinstance(keypad, PinKeypad) or self.window.stack.currentWidget() is not self.window.pin:
            raise RuntimeError("no PIN keypad on screen")
        return keypad

    def wait_keypad(self, what: str, condition: Callable[[PinKeypad], bool]) -> None:
        """Until a keypad that fits is on screen. Shown means shown: a keypad shuffles and wipes
        itself when it appears, a moment after the window puts it in place."""

        def ready() -> bool:
            keypad = self.window.pin.keypad
            on_screen = self.window.stack.currentWidget() is self.window.pin
            return on_screen and isinstance(keypad, PinKeypad) and keypad.isVisible() and condition(keypad)

        self.wait_until(what, ready)

    def type_keys(self, text: str) -> None:
        """Touch the keys labelled with these characters (their places change with each shuffle)."""
        keypad = self.keypad()
        for ch in text:
            key = next(k for k in keypad.key_buttons() if k.text() == ch)
            if not key.isEnabled():
                raise RuntimeError(f"key {ch!r} is disabled")
            key.click()

    def enter_pin(self, pin: str) -> None:
        keypad = self.keypad()
        keypad.clear.click()
        self.type_keys(pin)
        keypad.ok.click()

    def theme(self, settings: ThemeSettings) -> None:
        """As the resident sets it: the window's large-text and high-contrast buttons where it has
        them (its `display` bar), else the application re-styled as those buttons do."""
        bar = getattr(self.window, "display", None)
        if bar is None:
            apply_theme(self.app, settings, self.metrics)
            return
        if bar.large.isChecked() != (settings.text is TextSize.LARGE):
            bar.large.click()
        if bar.contrast.isChecked() != (settings.contrast is Contrast.HIGH):
            bar.contrast.click()

    # steps: each takes the window from the previous shot's state to its own

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
        self.wait_until("the menu", lambda: self.window.stack.currentWidget() is self.window.menu)

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
        self.window.menu.button_for(Item(Procedure.NEW_ISSUANCE, Certificate.USER_AUTH)).click()
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
        self.wait_until(
            "the progress screen", lambda: self.window.stack.currentWidget() is self.window.progress
        )
        self.wait_until("the card step to start", self.world.gate.waiting.is_set, timeout=10)

    def release_card(self) -> None:
        self.world.gate.open()

    def result(self) -> None:
        self.wait_until("the result", lambda: self.window.stack.currentWidget() is self.window.result)


Action = Callable[[Walk], None]


@dataclass(frozen=True)
class Shot:
    slug: str  # the file name: <nn>-<slug>.png
    title: str
    caption: str
    show: Action  # from the previous shot's state to this one's
    undo: Action | None = None  # after the grab: take a variant (theme, overlay) back off


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
        "The same menu in the high-contrast theme (WCAG AAA).",
        Walk.high_contrast,
        Walk.default_theme,
    ),
    Shot(
        "menu-large-text",
        "Menu, large text",
        "The same menu with large text (1.4×).",
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
        "PIN; two digits typed (dots only), keys shuffled.",
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
        "Done: what changed on the card (the central's serial number and dates differ per run).",
        Walk.result,
    ),
)


# -- grabbing -----------------------------------------------------------------------------------


def visible_texts(root: QWidget) -> Iterator[str]:
    """Every text a visible widget holds: labels, buttons, and what screen readers are told."""
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
    (`take` warns about it)."""
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


def take(app: QApplication, sample: Sample, work: Path, language: Language, out: Path) -> list[Path]:
    """One language's walk-through; returns the files written, in the table's order."""
    folder = out / language.value
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("[0-9][0-9]-*.png"):
        stale.unlink()
    metrics = Metrics(DPI)
    apply_theme(app, DEFAULT_SETTINGS, metrics)
    written: list[Path] = []
    with ExitStack() as stack:
        w = stack.enter_context(world(sample, work / language.value))
        translations = Translations(app)
        stack.callback(translations.uninstall)
        idle_clock = FakeClock()
        idle = IdleController(app, clock=idle_clock)
        window = CounterWindow(w.terminal, w.open_card, lambda: OPERATOR, translations, metrics, idle=idle)
        stack.callback(window.deleteLater)
        stack.callback(window.close)
        walk = Walk(app, window, w, language, metrics, idle_clock)
        window.runner.failed.connect(lambda error: walk.failures.append(type(error).__name__))
        window.setGeometry(0, 0, WIDTH, HEIGHT)
        window.show()
        if not QTest.qWaitForWindowExposed(window, 10_000):
            raise RuntimeError("the window was never exposed")
        for number, shot in enumerate(SHOTS, start=1):
            shot.show(walk)
            window.setGeometry(0, 0, WIDTH, HEIGHT)  # back to the screen's size after a larger variant
            walk.settle()
            if walk.failures:
                raise RuntimeError(f"{shot.slug}: a counter step failed: {walk.failures}")
            check_no_secrets(window, w.secrets)
            if window.height() > HEIGHT or window.width() > WIDTH:
                log.warning(
                    "%s/%s does not fit the screen: the window needs %d×%d",
                    language.value, shot.slug, window.width(), window.height(),
                )  # fmt: skip
            image = grab(window)
            if (image.width(), image.height()) != (WIDTH, HEIGHT):
                raise RuntimeError(
                    f"{shot.slug}: grabbed {image.width()}×{image.height()}, not {WIDTH}×{HEIGHT}"
                )
            path = folder / f"{number:02d}-{shot.slug}.png"
            path.write_bytes(png_bytes(image))
            written.append(path)
            log.info("%s", path)
            if shot.undo is not None:
                shot.undo(walk)
        window.result.finish.click()  # the visit ends: PINs wiped, card released
    app.setStyleSheet("")
    return written


# -- the index ----------------------------------------------------------------------------------

LANGUAGE_HEADINGS = {Language.JA: "日本語 (ja)", Language.EN: "English (en)"}


def file_name(number: int, shot: Shot) -> str:
    return f"{number:02d}-{shot.slug}.png"


def render_index(shots: tuple[Shot, ...] = SHOTS) -> str:
    """docs/screens/README.md: every shot per language, from the table."""
    lines = [
        "# Screens of the resident's counter window",
        "",
        "Taken from the real window under Xvfb by [`tools/screenshots.py`](../../tools/screenshots.py)"
        " (generated file: run the script, do not edit by hand). Behind the window runs the product: the"
        " central CA in-process over HTTPS, the kiosk's store, and the fictitious sample resident's"
        " software card (佐藤　健太, `cardemu.residents`). 1280×800 at 100 dpi, Noto Sans CJK JP.",
        "",
        "```sh",
        ".venv/bin/python tools/screenshots.py   # starts its own Xvfb; both languages",
        "```",
        "",
        "Between residents the kiosk shows the attract screen in Japanese; its English picture shows"
        " the English texts for review. Receipt serial numbers and dates are the central's and change"
        " with every run.",
        "",
    ]
    for language in Language:
        lines.append(f"- [{LANGUAGE_HEADINGS[language]}](#{language.value})")
    for language in Language:
        lines += ["", f'<a id="{language.value}"></a>', "", f"## {LANGUAGE_HEADINGS[language]}", ""]
        lines += ["| # | Screen | Picture |", "|---:|---|---|"]
        for number, shot in enumerate(shots, start=1):
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


def run(languages: list[Language], out: Path, platform: str, display: str | None) -> list[Path]:
    started = time.monotonic()
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
        written: list[Path] = []
        for language in languages:
            written += take(app, sample, work, language, out)
        out.mkdir(parents=True, exist_ok=True)
        (out / INDEX).write_text(render_index(), encoding="utf-8")
    log.info("%d screenshots in %.1f s", len(written), time.monotonic() - started)
    return written


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
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    log.setLevel(logging.INFO if args.verbose else logging.WARNING)
    languages = [Language(v) for v in args.language] if args.language else list(Language)
    written = run(languages, args.out, args.platform, args.display)
    print(f"{len(written)} screenshots in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
