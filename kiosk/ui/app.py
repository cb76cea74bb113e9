"""The counter terminal as one application: `kiosk counter` runs `run_counter`.

    QApplication ─ theme (mm-based metrics of the screen) ─ translations
    open_terminal(config): store, terminal identity, central link, background sync (started)
    CounterMain: the resident's CounterWindow | the staff panel (StaffSignIn, OperatorGate)
    ReaderMonitor (its own thread) ─ Signal ─► CounterMain.on_reader_event (UI thread)

The real 統合端末 has a staff-facing side beside the resident's screen; here both are one window,
side by side. Reader events are routed by reader name: the staff reader's go to the staff panel,
the resident reader's to the counter window — after the recovery worker has had the card
(`SyncService.card_inserted`: an issuance interrupted by a pulled card is finished or revoked
first), so a visit never competes with the recovery for the card. With no staff reader
configured, one reader serves both: a card inserted while nobody is signed in is taken as a staff
card, any other as a resident's (an override's re-authentication then has no reader: configure a
staff reader for it). On exit the monitor stops, the operator is signed out (recorded) and the sync stops.

Full screen means locked down (kiosk.ui.lockdown): frameless, shortcuts swallowed, closing
refused. The way out is the Service tab's "Exit the kiosk" (KioskExit: a signed-in operator with a
fresh staff card + PIN, recorded in the audit chain), which ends with exit code 0, or SIGTERM
(`systemctl stop`); a crash exits non-zero and systemd restarts it (docs/deploy.md). `--windowed`
is the developer's maximised window without any of it. With a health file configured
(`kiosk run`), a HealthFileWriter (kiosk.flows.health_file) writes it from its own thread with the
console's health reports and a heartbeat from this thread's timer.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QEvent, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk import __version__
from kiosk.facecheck.camera import Capture
from kiosk.facecheck.matcher import Matcher, ProcessMatcher
from kiosk.flows.counter.assembly import RunningTerminal, TerminalConfig, open_terminal
from kiosk.flows.counter.machine import Outcome
from kiosk.flows.health import terminal_checks
from kiosk.flows.health_file import HealthFileIdentity, HealthFileWriter
from kiosk.flows.operator import SessionEnd, SessionLimits, StaffTrust
from kiosk.reader.connection import CardConnection
from kiosk.reader.pcsc import ReaderEvent, ReaderEventKind, ReaderMonitor, open_card
from kiosk.ui.console import HealthView, KioskExit, LedgerView, PendingView, ServiceModeSwitch
from kiosk.ui.counter import CounterWindow, end_visit
from kiosk.ui.i18n import DEFAULT_LANGUAGE, Language, Translations
from kiosk.ui.idle import DEFAULT_COUNTDOWN, DEFAULT_IDLE_AFTER, IdleController
from kiosk.ui.lockdown import Lockdown, lock_down
from kiosk.ui.receipt import default_printer
from kiosk.ui.staff import OperatorGate, StaffSignIn
from kiosk.ui.theme import DEFAULT_SETTINGS, Metrics, apply_theme
from kiosk.ui.visit_panel import VisitPanel
from kiosk.ui.workers import TaskRunner

if TYPE_CHECKING:
    from kiosk.config import KioskConfig

_log = logging.getLogger(__name__)

Opener = Callable[[], CardConnection]
SIGNAL_POLL_MS = 200  # lets Python run its signal handlers while Qt's loop waits in C++
# The staff side's least width: the sign-in keypad (15 mm keys, its texts beside them) and the
# views' words; at 1280×800 and 100 dpi the resident's screen keeps the rest (~700 px).
STAFF_PANEL_MM = 140.0
TAB_TITLES = (
    QT_TRANSLATE_NOOP("Staff", "Sign-in"),
    QT_TRANSLATE_NOOP("Staff", "Visit"),
    QT_TRANSLATE_NOOP("Staff", "Ledger"),
    QT_TRANSLATE_NOOP("Staff", "Pending"),
    QT_TRANSLATE_NOOP("Staff", "Health"),
    QT_TRANSLATE_NOOP("Staff", "Service"),
)


class StaffCaMissing(FileNotFoundError):
    """The terminal has no staff CA certificate: nobody could sign in."""


@dataclass(frozen=True)
class CounterSettings:
    """What the configuration file (`kiosk run`) adds to the TerminalConfig; the defaults are
    `kiosk counter`'s."""

    limits: SessionLimits = field(default_factory=SessionLimits)
    idle_after: float = DEFAULT_IDLE_AFTER
    countdown: float = DEFAULT_COUNTDOWN
    health_file: Path | None = None  # None: no health file
    health_interval: float = 30.0
    language: Language = DEFAULT_LANGUAGE  # every session returns to it

    @classmethod
    def from_config(cls, config: KioskConfig) -> CounterSettings:
        return cls(
            limits=config.session_limits(),
            idle_after=float(config.timeouts.idle_seconds),
            countdown=float(config.timeouts.countdown_seconds),
            health_file=config.health_file,
            health_interval=float(config.health_interval_seconds),
            language=Language(config.language),
        )


def _matches(reader: str, configured: str) -> bool:
    return reader == configured or reader.startswith(configured)  # as pick_reader names readers


class CounterMain(QWidget):
    """The resident's counter window and the staff panel, fed by the reader monitor."""

    reader_event = Signal(object)  # a ReaderEvent; emitted from the monitor's thread, queued here

    def __init__(
        self,
        running: RunningTerminal,
        translations: Translations,
        metrics: Metrics,
        *,
        open_resident: Opener,
        open_staff: Opener,
        limits: SessionLimits | None = None,
        matcher: Matcher | None = None,
        idle: IdleController | None = None,
        default_language: Language = DEFAULT_LANGUAGE,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.running = running
        config = running.config
        self.resident_reader, self.staff_reader = config.resident_reader, config.staff_reader
        if not config.staff_ca_file.is_file():
            raise StaffCaMissing(f"{config.staff_ca_file}: the staff CA certificate is missing")
        trust = StaffTrust.from_pem_file(config.staff_ca_file)
        terminal = running.counter
        self.gate = OperatorGate(terminal.sessions, trust, limits=limits, parent=self)
        camera = config.camera
        self.counter = CounterWindow(
            terminal,
            open_resident,
            self.gate.operator_of,
            translations,
            metrics,
            camera=(lambda: Capture(camera, loop=True))
            if camera is not None and matcher is not None
            else None,
            matcher=matcher,
            printer=default_printer(),
            idle=idle,
            default_language=default_language,
        )
        self.staff = StaffSignIn(self.gate, open_staff, metrics)
        self.visit_panel = VisitPanel(
            self.counter, self.gate.operator_of, lambda: self.gate.fresh_for_override, metrics
        )
        self.ledger = LedgerView(
            running.reads, metrics, sessions=terminal.sessions, operator_of=self.gate.operator_of
        )
        self.pending = PendingView(terminal.sessions, self.gate.operator_of, metrics, reads=running.reads)
        self.health = HealthView(
            terminal_checks(
                sessions=running.reads,
                link=terminal.link,
                camera=camera if camera is not None else "0",
                data_dir=config.data_dir,
                preferred_reader=config.resident_reader,
            ),
            metrics,
            # The face check has the camera: never open it twice (nor when there is none to open).
            camera_busy=lambda: camera is None or self.counter.stack.currentWidget() is self.counter.face,
        )
        self.service = ServiceModeSwitch(terminal.sessions, self.gate.operator_of, metrics)
        self.service.mode_changed.connect(
            lambda accepts: self.counter.attract.set_out_of_service(None if accepts else "out")
        )
        self.exit_kiosk = KioskExit(
            terminal.sessions, self.gate.operator_of, lambda: self.gate.fresh_for_override, metrics
        )
        self.gate.signed_in.connect(lambda _id: self._operator_changed())
        self.gate.signed_out.connect(lambda _code: self._operator_changed())
        self.gate.reauthenticated.connect(lambda _id: self.visit_panel.refresh())
        self.gate.reauthenticated.connect(lambda _id: self.exit_kiosk.refresh())
        self.visit_panel.reauthentication_wanted.connect(self.gate.reauthenticate)
        self.exit_kiosk.reauthentication_wanted.connect(self.gate.reauthenticate)
        self.tabs = QTabWidget(self)
        self._lay_out(metrics)
        self.counter.visit_started.connect(lambda: self.tabs.setCurrentIndex(1))
        self.recovery = TaskRunner(parent=self)  # the resident's card, before a visit may have it
        self.recovery.succeeded.connect(self._recovered)
        self.recovery.failed.connect(self._recovered)
        self._resident_card = False
        self._recover_again = False
        self._staff_card = False
        self.reader_event.connect(self.on_reader_event)
        self.setWindowTitle(QCoreApplication.translate("Staff", "JPKI counter terminal"))

    def _lay_out(self, metrics: Metrics) -> None:
        """The resident's window on the left, the staff side's tabs on the right."""
        service_page = QWidget(self)  # the mode switch, and below it the way out
        service_layout = QVBoxLayout(service_page)
        service_layout.setContentsMargins(0, 0, 0, 0)
        service_layout.addWidget(self.service)
        service_layout.addWidget(self.exit_kiosk)
        pages = (self.staff, self.visit_panel, self.ledger, self.pending, self.health, service_page)
        for widget, title in zip(pages, TAB_TITLES, strict=True):
            scroll = QScrollArea(self.tabs)  # the staff side is narrow: long sections scroll
            scroll.setWidgetResizable(True)
            scroll.setWidget(widget)
            self.tabs.addTab(scroll, QCoreApplication.translate("Staff", title))
        side = QFrame(self)
        side.setFrameShape(QFrame.Shape.StyledPanel)
        side.setMinimumWidth(metrics.px(STAFF_PANEL_MM))
        side_layout = QHBoxLayout(side)
        side_layout.addWidget(self.tabs)
        layout = QHBoxLayout(self)
        layout.addWidget(self.counter, 2)
        layout.addWidget(side, 1)

    def _operator_changed(self) -> None:
        self.visit_panel.refresh()
        self.service.update_operator()
        self.exit_kiosk.update_operator()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            for index, title in enumerate(TAB_TITLES):
                self.tabs.setTabText(index, QCoreApplication.translate("Staff", title))
        super().changeEvent(event)

    def post(self, event: ReaderEvent) -> None:
        """The monitor's listener (its thread): hand the event to the UI thread."""
        self.reader_event.emit(event)

    # -- routing (UI thread) ----------------------------------------------------------------------

    def on_reader_event(self, event: object) -> None:
        assert isinstance(event, ReaderEvent)
        if event.kind is ReaderEventKind.READER_ADDED:
            return
        present = event.kind is ReaderEventKind.CARD_INSERTED
        if self._is_staff_reader(event.reader):
            self._staff_event(present)
        elif self._is_resident_reader(event.reader):
            self._resident_event(present)

    def _is_staff_reader(self, name: str) -> bool:
        if self.staff_reader is not None:
            return _matches(name, self.staff_reader)
        # One reader for both: a card is a staff card while nobody is signed in (or it was one).
        one_reader = self.resident_reader is None or _matches(name, self.resident_reader)
        return one_reader and (self._staff_card or (self.gate.session is None and not self._resident_card))

    def _is_resident_reader(self, name: str) -> bool:
        return self.resident_reader is None or _matches(name, self.resident_reader)

    def _staff_event(self, present: bool) -> None:
        if present == self._staff_card:
            return
        self._staff_card = present
        if present:
            self.staff.card_inserted()
        else:
            self.staff.card_removed()

    def _resident_event(self, present: bool) -> None:
        if present == self._resident_card:
            return
        self._resident_card = present
        if not present:
            self.counter.card_removed()
            return
        if not self.recovery.run(self.running.sync.card_inserted):
            self._recover_again = True  # a recovery is still on the previous insertion

    def _recovered(self, result: object) -> None:
        """The recovery worker had the card (and released it): now a visit may open it."""
        if isinstance(result, Exception):
            _log.warning("recovery on card insertion failed: %s", type(result).__name__)
        if self._recover_again and self._resident_card:
            self._recover_again = False
            self.recovery.run(self.running.sync.card_inserted)
            return
        self._recover_again = False
        if self._resident_card:
            self.counter.card_inserted()

    # -- shutdown -------------------------------------------------------------------------------

    def shutdown(self) -> None:
        """Sign the operator out (recorded), let running card work end (a write is not cut off),
        end a visit still open (its card released: an exclusive connection would outlive us in
        pcscd), stop the sync."""
        self.gate.end(SessionEnd.LOGOUT)
        self.counter.idle.stop()  # no session reset (and language switch) after the shutdown
        for runner in (self.counter.runner, self.staff.runner, self.recovery):
            runner.wait(30_000)
        if self.counter.visit is not None:
            end_visit(self.counter.visit, Outcome.CANCELLED, "shutdown")
        self.running.stop()


def start_qt() -> tuple[QApplication, Metrics, Translations]:
    """The application object both terminals run in: named, themed for this screen, translated."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("jpki-kiosk")
    metrics = Metrics.for_screen(app.primaryScreen())
    apply_theme(app, DEFAULT_SETTINGS, metrics)
    return app, metrics, Translations(app)


def show_main(app: QApplication, window: QWidget, *, fullscreen: bool) -> Lockdown | None:
    """Full screen and locked down, or (a developer's run) a maximised window that can close."""
    if fullscreen:
        return lock_down(window)
    screen = app.primaryScreen()
    if screen is not None:  # without a window manager (Xvfb) "maximised" means nothing
        window.resize(screen.availableGeometry().size())
    window.showMaximized()
    return None


def heartbeat(parent: QWidget, writer: HealthFileWriter, interval_s: float) -> QTimer:
    """The health file's heartbeat, beaten on the UI thread: a UI that stops running its loop stops
    beating, which is what the monitoring should see."""
    beat = QTimer(parent)
    beat.timeout.connect(writer.beat)
    beat.start(max(1000, round(interval_s * 1000)))
    writer.beat()
    return beat


@contextlib.contextmanager
def quit_on_signals(app: QApplication, before_quit: Callable[[], None] = lambda: None) -> Iterator[None]:
    """Ctrl-C and SIGTERM end the event loop (and so run the orderly shutdown); `before_quit`
    runs first (a locked-down window refuses to close until its exit is authorised, and Qt 6's
    quit closes the windows)."""
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

    def handle(*_args: object) -> None:
        before_quit()
        app.quit()

    for sig in previous:
        signal.signal(sig, handle)
    poll = QTimer()
    poll.timeout.connect(lambda: None)
    poll.start(SIGNAL_POLL_MS)
    try:
        yield
    finally:
        poll.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _health_writer(
    config: TerminalConfig, settings: CounterSettings, window: CounterMain
) -> tuple[HealthFileWriter, QTimer] | None:
    """The health file's writer fed by the console's health view, and the heartbeat timer."""
    if settings.health_file is None:
        return None
    writer = HealthFileWriter(
        settings.health_file,
        HealthFileIdentity(config.terminal_id, "counter", __version__),
        sessions=window.running.reads,
        interval=settings.health_interval,
        heartbeat=True,
    )
    window.health.report_ready.connect(writer.offer)
    return writer, heartbeat(window, writer, settings.health_interval)


def run_counter(
    config: TerminalConfig, *, fullscreen: bool = True, settings: CounterSettings | None = None
) -> int:
    """The counter terminal until its window closes, staff exit it or a signal ends it; the exit
    status. Full screen is locked down (module docstring)."""
    settings = settings or CounterSettings()
    app, metrics, translations = start_qt()
    running = open_terminal(config)
    # The face check's matcher in its own process (dlib holds the GIL): started once, reused.
    matcher = ProcessMatcher().start() if config.camera is not None else None
    window: CounterMain | None = None
    monitor: ReaderMonitor | None = None
    health: tuple[HealthFileWriter, QTimer] | None = None
    lockdown: Lockdown | None = None
    try:
        window = CounterMain(
            running,
            translations,
            metrics,
            open_resident=lambda: open_card(config.resident_reader),
            open_staff=lambda: open_card(config.staff_reader or config.resident_reader),
            limits=settings.limits,
            matcher=matcher,
            idle=IdleController(app, idle_after=settings.idle_after, countdown=settings.countdown),
            default_language=settings.language,
        )
        monitor = ReaderMonitor(window.post)
        monitor.start()  # the cards already in the readers are reported as inserted
        lockdown = show_main(app, window, fullscreen=fullscreen)
        locked = lockdown
        window.exit_kiosk.exit_confirmed.connect(
            lambda _operator: locked.exit(0) if locked is not None else QCoreApplication.exit(0)
        )
        health = _health_writer(config, settings, window)
        if health is not None:
            health[0].start()
            window.health.run_checks()  # the first report now, not in five minutes
        with quit_on_signals(app, locked.authorise_exit if locked is not None else lambda: None):
            return int(app.exec())
    finally:
        if health is not None:
            health[1].stop()
            health[0].stop()  # its last write says "stopped"
        if monitor is not None:
            monitor.stop()
        if window is not None:
            window.shutdown()
        else:
            running.stop()
        if matcher is not None:
            matcher.close()
        translations.uninstall()
