"""The unattended PIN-reset terminal as one application: `run_unattended(config, fullscreen=…)`.

    QApplication ─ theme (mm-based metrics) ─ translations
    open_terminal(terminal config): store, terminal identity, central link, background sync
    UnattendedMain: the resident's UnattendedWindow | the maintenance panel (staff only)
    ReaderMonitor (its own thread) ─ Signal ─► UnattendedMain.on_reader_event (UI thread)
    lock_down(window): full screen, no shortcuts, no close without an authorised exit

There is no staff side on screen. Staff maintenance: a staff card inserted while the resident's
window is at rest (attract screen, no attempt, no card work) opens the operator sign-in (staff
card + PIN, `kiosk.ui.staff`), then a small service menu — out of service on/off
(`kiosk.flows.service_mode`, recorded) and "exit the kiosk" (recorded in the audit chain under
the operator, then the lock-down lets the window close). With a staff reader configured its
events go to the sign-in; with one reader for both, a card inserted at rest is looked at without
a PIN try (`OperatorGate.look`): a staff card of this office opens the sign-in, anything else is
a resident's card and goes to the resident's window. Closing the menu, taking the staff card out
before signing in, or the operator's session limit brings the resident's screens back, signed out.

The card recovery on insertion that the counter runs first (`SyncService.card_inserted`) is not
run here: it finishes issuances, which an unattended terminal never starts.
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QStackedLayout, QVBoxLayout, QWidget

from kiosk import __version__
from kiosk.config import KioskConfig, Mode
from kiosk.facecheck.camera import Capture
from kiosk.facecheck.matcher import Matcher, ProcessMatcher
from kiosk.flows.counter.assembly import RunningTerminal, TerminalConfig, open_terminal
from kiosk.flows.counter.terminal import RecipientError
from kiosk.flows.health import CheckName, terminal_checks
from kiosk.flows.health_file import HealthFileIdentity, HealthFileWriter
from kiosk.flows.operator import (
    NotAStaffCard,
    OperatorAuthError,
    SessionEnd,
    SessionLimits,
    StaffCardRemoved,
    StaffCardUnreadable,
    StaffTrust,
)
from kiosk.flows.unattended import Capabilities
from kiosk.reader.connection import CardConnection
from kiosk.reader.errors import CardError
from kiosk.reader.pcsc import ReaderEvent, ReaderEventKind, ReaderMonitor, open_card
from kiosk.reader.transport import Transport
from kiosk.ui.app import StaffCaMissing, _matches, heartbeat, quit_on_signals, show_main, start_qt
from kiosk.ui.console import KioskExit, ServiceModeSwitch
from kiosk.ui.i18n import DEFAULT_LANGUAGE, Language, Translations
from kiosk.ui.idle import IdleController
from kiosk.ui.lockdown import Lockdown
from kiosk.ui.receipt import default_printer
from kiosk.ui.staff import OperatorGate, Phase, StaffCardLook, StaffSignIn
from kiosk.ui.theme import Metrics
from kiosk.ui.unattended import ChallengeRng, UnattendedWindow
from kiosk.ui.widgets import touch_button
from kiosk.ui.workers import TaskRunner

_log = logging.getLogger(__name__)

Opener = Callable[[], CardConnection]
# An operator at an unattended terminal is there for maintenance only: a short idle limit, so a
# session left open by someone who walked away does not stay open for the next passer-by.
UNATTENDED_LIMITS = SessionLimits(idle=timedelta(minutes=5), overall=timedelta(hours=1))
# A resident's card is not a staff card: these say so (or that it could not be read as one).
_NOT_STAFF = (NotAStaffCard, StaffCardUnreadable, StaffCardRemoved)


class MaintenancePanel(QWidget):
    """Staff at the unattended terminal: the sign-in, then the service menu."""

    closed = Signal()  # back to the resident's screens (the operator signed out)
    exit_confirmed = Signal()  # the exit is recorded: the application may end

    def __init__(
        self,
        running: RunningTerminal,
        gate: OperatorGate,
        open_staff: Opener,
        metrics: Metrics,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.running, self.gate = running, gate
        self.sign_in = StaffSignIn(gate, open_staff, metrics, parent=self)
        sessions = running.counter.sessions
        self.service = ServiceModeSwitch(sessions, gate.operator_of, metrics, parent=self)
        # The console's exit (recorded under the operator, then exit code 0): the operator has
        # just signed in with the staff card, which is the fresh confirmation it asks for.
        self.exit = KioskExit(
            sessions, gate.operator_of, lambda: gate.fresh_for_override, metrics, parent=self
        )
        self.exit.reauthentication_wanted.connect(gate.reauthenticate)
        self.exit.exit_confirmed.connect(lambda _operator: self.exit_confirmed.emit())
        self.close_button = touch_button(metrics, self, primary=True)
        self.close_button.clicked.connect(self.leave)
        columns = QHBoxLayout()  # the whole screen is the staff's here: side by side
        columns.addWidget(self.service, 1)
        columns.addWidget(self.exit, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.sign_in)
        layout.addLayout(columns, 1)
        layout.addWidget(self.close_button)
        gate.signed_in.connect(lambda _id: self._refresh())
        gate.reauthenticated.connect(lambda _id: self.exit.refresh())
        gate.signed_out.connect(lambda _code: self.closed.emit())
        self._refresh()

    def _refresh(self) -> None:
        signed_in = self.gate.session is not None
        self.service.setVisible(signed_in)
        self.exit.setVisible(signed_in)
        self.service.update_operator()
        self.exit.update_operator()
        self.retranslate()

    def leave(self) -> None:
        """Close maintenance: sign out (recorded) and give the screen back to residents."""
        if self.gate.session is not None:
            self.gate.end(SessionEnd.LOGOUT)  # `signed_out` → closed
        else:
            self.closed.emit()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.close_button.setText(
            QCoreApplication.translate("Unattended", "Close maintenance and sign out")
            if self.gate.session is not None
            else QCoreApplication.translate("Unattended", "Back to the resident screen")
        )


class UnattendedMain(QWidget):
    """The resident's window or, for staff, the maintenance panel; fed by the reader monitor."""

    reader_event = Signal(object)  # a ReaderEvent; emitted from the monitor's thread, queued here

    def __init__(
        self,
        running: RunningTerminal,
        capabilities: Capabilities,
        translations: Translations,
        metrics: Metrics,
        *,
        open_resident: Opener,
        open_staff: Opener,
        matcher: Matcher | None = None,
        camera: Callable[[], Capture] | None = None,
        limits: SessionLimits = UNATTENDED_LIMITS,
        idle: IdleController | None = None,
        default_language: Language = DEFAULT_LANGUAGE,
        challenge_rng: ChallengeRng | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.running = running
        config = running.config
        self.resident_reader, self.staff_reader = config.resident_reader, config.staff_reader
        if not config.staff_ca_file.is_file():
            raise StaffCaMissing(f"{config.staff_ca_file}: the staff CA certificate is missing")
        self.gate = OperatorGate(
            running.counter.sessions,
            StaffTrust.from_pem_file(config.staff_ca_file),
            limits=limits,
            parent=self,
        )
        if camera is None and config.camera is not None and matcher is not None:
            source = config.camera
            camera = lambda: Capture(source, loop=True)  # noqa: E731 (a factory: one Capture per check)
        self.window = UnattendedWindow(
            running.counter,
            open_resident,
            capabilities,
            translations,
            metrics,
            idle=idle,
            camera=camera,
            matcher=matcher,
            printer=default_printer(),
            default_language=default_language,
            **({"challenge_rng": challenge_rng} if challenge_rng is not None else {}),
        )
        self.maintenance = MaintenancePanel(running, self.gate, open_staff, metrics)
        self.maintenance.closed.connect(self._to_residents)
        self.maintenance.service.mode_changed.connect(
            lambda accepts: self.window.set_out_of_service(not accepts)
        )
        self.lockdown: Lockdown | None = None
        self.maintenance.exit_confirmed.connect(self._exit)
        self._open_staff = open_staff
        self.probe = TaskRunner(parent=self)  # the PIN-free look at a card inserted at rest
        self.probe.succeeded.connect(self._probed)
        self.probe.failed.connect(self._probed)
        self._resident_card = False  # a card in the resident's reader that the window has
        self._probing = False  # a card inserted at rest is being looked at
        self._staff_card = False  # a card taken as a staff card (one reader: until it is out)
        self.stack = QStackedLayout(self)
        self.stack.addWidget(self.window)
        self.stack.addWidget(self.maintenance)
        self.reader_event.connect(self.on_reader_event)
        self.setWindowTitle(QCoreApplication.translate("Unattended", "JPKI PIN reset terminal"))

    @property
    def in_maintenance(self) -> bool:
        return self.stack.currentWidget() is self.maintenance

    def post(self, event: ReaderEvent) -> None:
        """The monitor's listener (its thread): hand the event to the UI thread."""
        self.reader_event.emit(event)

    # -- routing (UI thread) ----------------------------------------------------------------------

    def on_reader_event(self, event: object) -> None:
        assert isinstance(event, ReaderEvent)
        if event.kind is ReaderEventKind.READER_ADDED:
            return
        present = event.kind is ReaderEventKind.CARD_INSERTED
        if self.staff_reader is not None and _matches(event.reader, self.staff_reader):
            self._staff_event(present)
        elif self.resident_reader is None or _matches(event.reader, self.resident_reader):
            self._one_reader_event(present)

    def _staff_event(self, present: bool) -> None:
        if present == self._staff_card:
            return
        self._staff_card = present
        if present:
            if not self.window.at_rest and not self.in_maintenance:
                return  # a resident is using the terminal: maintenance waits for the end
            self._to_maintenance()
            self.maintenance.sign_in.card_inserted()
        else:
            self.maintenance.sign_in.card_removed()
            if self.in_maintenance and self.gate.session is None:
                self._to_residents()

    def _one_reader_event(self, present: bool) -> None:
        if self.staff_reader is None and self._staff_card:
            if not present:  # the staff card came out
                self._staff_event(False)
            return
        if not present:
            self._probing = False
            if self._resident_card:
                self._resident_card = False
                self.window.card_removed()
            return
        if self.staff_reader is None and self.window.at_rest and not self.in_maintenance:
            self._probing = True
            if not self.probe.run(functools.partial(self._look, self.gate, self._open_staff)):
                self._give_to_resident()
            return
        self._give_to_resident()

    @staticmethod
    def _look(gate: OperatorGate, opener: Opener) -> object:
        """Pool thread: is this a staff card of this office? No PIN try, nothing recorded."""
        try:
            connection = opener()
        except CardError as exc:
            return exc
        try:
            return gate.look(Transport(connection))
        except (OperatorAuthError, CardError) as exc:
            return exc
        finally:
            connection.close()

    def _probed(self, result: object) -> None:
        if not self._probing:
            return  # taken out meanwhile
        self._probing = False
        staff = isinstance(result, StaffCardLook) or (
            isinstance(result, OperatorAuthError) and not isinstance(result, _NOT_STAFF)
        )
        if staff and self.window.at_rest:  # (a resident may have started meanwhile: theirs, then)
            # A staff card (a locked or unenrolled one too: the sign-in says what is wrong).
            self._staff_card = True
            self._to_maintenance()
            self.maintenance.sign_in.card_inserted()
            return
        self._give_to_resident()

    def _give_to_resident(self) -> None:
        self._resident_card = True
        self.window.card_inserted()

    def _to_maintenance(self) -> None:
        self.stack.setCurrentWidget(self.maintenance)

    def _to_residents(self) -> None:
        if self.gate.session is not None:
            return
        self.stack.setCurrentWidget(self.window)
        if self.maintenance.sign_in.phase is Phase.PIN:
            self.maintenance.sign_in.card_removed()  # drops a half-typed PIN

    def _exit(self) -> None:
        self.gate.end(SessionEnd.LOGOUT)
        if self.lockdown is not None:
            self.lockdown.exit(0)
        else:
            QCoreApplication.exit(0)

    def shutdown(self) -> None:
        """Sign the operator out (recorded), let card work end, close an open attempt, stop the sync."""
        self.gate.end(SessionEnd.LOGOUT)
        self.probe.wait(10_000)
        self.maintenance.sign_in.runner.wait(10_000)
        self.window.shutdown()
        self.running.stop()


def unattended_limits(configured: SessionLimits) -> SessionLimits:
    """The configured operator limits, no longer than `UNATTENDED_LIMITS`: the terminal's operator
    settings are the counter's too, and half an hour idle is too long where nobody watches."""
    return SessionLimits(
        idle=min(configured.idle, UNATTENDED_LIMITS.idle),
        overall=min(configured.overall, UNATTENDED_LIMITS.overall),
        override_max_age=configured.override_max_age,
    )


@dataclass(frozen=True)
class UnattendedSettings:
    """What the unattended application takes from the kiosk configuration beside the terminal's wiring."""

    capabilities: Capabilities
    language: Language = DEFAULT_LANGUAGE
    idle_seconds: float = 60.0
    countdown_seconds: float = 30.0
    limits: SessionLimits = UNATTENDED_LIMITS
    health_file: Path | None = None  # None: no health file (docs/deploy.md §7)
    health_interval: float = 30.0


def run_unattended(config: KioskConfig, *, fullscreen: bool) -> int:
    """The unattended terminal until its window closes (a recorded staff exit) or a signal ends it."""
    if config.mode is not Mode.UNATTENDED or config.unattended is None:
        raise ValueError('run_unattended runs a terminal configured with mode = "unattended"')
    t = config.timeouts
    settings = UnattendedSettings(
        Capabilities(pins=config.unattended.pins),
        language=Language(config.language),
        idle_seconds=float(t.idle_seconds),
        countdown_seconds=float(t.countdown_seconds),
        limits=unattended_limits(config.session_limits()),
        health_file=config.health_file,
        health_interval=float(config.health_interval_seconds),
    )
    try:
        return _run(config.terminal, settings, fullscreen=fullscreen)
    except (StaffCaMissing, RecipientError) as exc:
        # Not set up: exit 2 (a configuration problem, which systemd does not restart in a loop),
        # as `kiosk run` does for the counter.
        _log.error("unattended: %s", exc)
        print(f"The terminal is not set up: {exc}", file=sys.stderr)
        return 2


def _health_writer(
    terminal: TerminalConfig, settings: UnattendedSettings, main: UnattendedMain
) -> tuple[HealthFileWriter, QTimer] | None:
    """The health file, its checks run by the writer itself (no console here: the counter's come
    from its health view) every five minutes, the camera's skipped while a face check has it; and
    the UI thread's heartbeat."""
    if settings.health_file is None:
        return None
    running = main.running
    checks = terminal_checks(
        sessions=running.reads,
        link=running.counter.link,
        camera=terminal.camera if terminal.camera is not None else "0",
        data_dir=terminal.data_dir,
        preferred_reader=terminal.resident_reader,
    )
    window = main.window
    writer = HealthFileWriter(
        settings.health_file,
        HealthFileIdentity(terminal.terminal_id, Mode.UNATTENDED.value, __version__),
        sessions=running.reads,
        interval=settings.health_interval,
        checks=checks,
        # Read on the writer's thread: one attribute read, no Qt call.
        skip=lambda: (CheckName.CAMERA,) if window.camera_in_use else (),
        heartbeat=True,
    )
    return writer, heartbeat(main, writer, settings.health_interval)


def _run(
    terminal: TerminalConfig,
    settings: UnattendedSettings,
    *,
    fullscreen: bool,
    camera: Callable[[], Capture] | None = None,
    challenge_rng: ChallengeRng | None = None,
) -> int:
    """`camera` and `challenge_rng` are for the demo only (demo/__main__.py): a recorded clip is read
    from its start and the challenge asks the turns it shows. A terminal never gets them — with a
    known challenge a recording of the holder passes (docs/face-check.md) — and `run_unattended`
    has no way to pass them."""
    app, metrics, translations = start_qt()
    running = open_terminal(terminal)
    # No face check without a camera, so no reset at all: the matcher runs only when one is set.
    matcher = ProcessMatcher().start() if terminal.camera is not None else None
    main: UnattendedMain | None = None
    monitor: ReaderMonitor | None = None
    health: tuple[HealthFileWriter, QTimer] | None = None
    try:
        idle = IdleController(app, idle_after=settings.idle_seconds, countdown=settings.countdown_seconds)
        main = UnattendedMain(
            running,
            settings.capabilities,
            translations,
            metrics,
            open_resident=lambda: open_card(terminal.resident_reader),
            open_staff=lambda: open_card(terminal.staff_reader or terminal.resident_reader),
            matcher=matcher,
            camera=camera,
            limits=settings.limits,
            idle=idle,
            default_language=settings.language,
            challenge_rng=challenge_rng,
        )
        monitor = ReaderMonitor(main.post)
        monitor.start()  # a card already in a reader is reported as inserted
        main.lockdown = show_main(app, main, fullscreen=fullscreen)
        health = _health_writer(terminal, settings, main)
        if health is not None:
            health[0].start()
        # A signal (systemd stopping the service) authorises the locked-down window's close.
        lockdown = main.lockdown
        with quit_on_signals(app, lockdown.authorise_exit if lockdown is not None else lambda: None):
            return int(app.exec())
    finally:
        if health is not None:
            health[1].stop()
            health[0].stop()  # its last write says "stopped"
        if monitor is not None:
            monitor.stop()
        if main is not None:
            if main.lockdown is not None:
                main.lockdown.authorise_exit()  # the loop is over: let the window go
            main.shutdown()
        else:
            running.stop()
        if matcher is not None:
            matcher.close()
        translations.uninstall()
