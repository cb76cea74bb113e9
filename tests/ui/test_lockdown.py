"""Kiosk lock-down (kiosk/ui/lockdown.py) and the staff's way out (kiosk/ui/console.py KioskExit),
offscreen: the window's flags and full screen, closes refused until authorised, shortcuts and
context menus swallowed (each shown to work without the lock first, so the test can fail), and
the staff exit — only for a signed-in operator with a fresh staff card + PIN, recorded in the
audit chain before the kiosk ends — on its own and in the counter's main window with the real
gate, staff card and central."""

# The store and main-window fixtures are imported by name; pytest passes them as arguments.
# ruff: noqa: F811

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flowkit import TERMINAL
from kiosk_store_fixtures import FakeClock, db_path, engine, sessions  # noqa: F401 (fixtures)
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QContextMenuEvent, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication, QDialog, QWidget
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from test_ui_app import RESIDENT, STAFF, WAIT, World, build, event, sign_in, type_pin, world  # noqa: F401

from demo import seed
from kiosk.reader.pcsc import ReaderEventKind
from kiosk.store.audit import verify_chain
from kiosk.store.db import make_engine, make_sessionmaker
from kiosk.store.models import AuditRecord
from kiosk.ui.console import EXIT_ACTION, EXIT_SUBJECT, KioskExit
from kiosk.ui.lockdown import Lockdown, lock_down
from kiosk.ui.staff import Phase
from kiosk.ui.theme import Metrics, State

MODIFIER_KEYS = {k.value for k in (Qt.Key.Key_Control, Qt.Key.Key_Alt, Qt.Key.Key_Meta, Qt.Key.Key_Shift)}


class Keys(QWidget):
    """A window that notes the keys and context menus that reach it."""

    def __init__(self) -> None:
        super().__init__()
        self.keys: list[tuple[int, Qt.KeyboardModifier]] = []
        self.menus = 0
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() not in MODIFIER_KEYS:  # QTest presses Ctrl itself before Ctrl+1
            self.keys.append((event.key(), event.modifiers()))

    def contextMenuEvent(self, _event: QContextMenuEvent) -> None:
        self.menus += 1


@pytest.fixture
def window(qtbot) -> Iterator[Keys]:
    window = Keys()
    qtbot.addWidget(window)
    yield window


@pytest.fixture
def locked(qapp: QApplication, window: Keys) -> Iterator[tuple[Lockdown, list[int]]]:
    """`window` locked down; the exits it would make are noted instead of ending the test run."""
    exits: list[int] = []
    lockdown = lock_down(window, exit_application=exits.append)
    yield lockdown, exits
    lockdown.release()  # the application-wide filter must not outlive the test
    lockdown.authorise_exit()
    window.close()


def test_frameless_on_top_and_full_screen(window: Keys, locked: tuple[Lockdown, list[int]]) -> None:
    flags = window.windowFlags()
    assert flags & Qt.WindowType.FramelessWindowHint and flags & Qt.WindowType.WindowStaysOnTopHint
    assert window.isVisible() and window.windowState() & Qt.WindowState.WindowFullScreen
    assert window.contextMenuPolicy() is Qt.ContextMenuPolicy.NoContextMenu


def test_out_of_full_screen_it_goes_back(qtbot, window: Keys, locked: tuple[Lockdown, list[int]]) -> None:
    window.showNormal()
    qtbot.waitUntil(lambda: bool(window.windowState() & Qt.WindowState.WindowFullScreen))
    window.showMinimized()
    qtbot.waitUntil(lambda: window.windowState() == Qt.WindowState.WindowFullScreen)


def test_closing_is_refused_until_the_exit_is_authorised(
    window: Keys, locked: tuple[Lockdown, list[int]]
) -> None:
    lockdown, exits = locked
    assert not window.close()  # Alt+F4 through the window manager, a close button: a close request
    assert window.isVisible() and lockdown.refused_closes == 1
    assert not lockdown.exit_authorised
    lockdown.exit(0)
    assert lockdown.exit_authorised and exits == [0]
    assert window.close() and not window.isVisible()


def test_an_exit_rule_of_the_application_is_asked_on_each_close(qtbot, qapp: QApplication) -> None:
    window = QWidget()
    qtbot.addWidget(window)
    allowed = {"now": False}
    lockdown = lock_down(window, exit_allowed=lambda: allowed["now"])
    try:
        assert not window.close()
        allowed["now"] = True
        assert window.close()
    finally:
        lockdown.release()


def _shortcut_fired(qtbot, target: QWidget, sequence: str, key: Qt.Key, modifier: Qt.KeyboardModifier) -> int:
    fired: list[bool] = []
    shortcut = QShortcut(QKeySequence(sequence), target)
    shortcut.setContext(Qt.ShortcutContext.ApplicationShortcut)
    shortcut.activated.connect(lambda: fired.append(True))
    target.activateWindow()
    target.setFocus()
    qtbot.keyClick(target, key, modifier)
    shortcut.setEnabled(False)
    return len(fired)


def test_shortcuts_are_swallowed(qtbot, qapp: QApplication, window: Keys) -> None:
    window.show()
    # Unlocked, Ctrl+Q is a shortcut and Ctrl+1 a key press: the test can tell.
    assert _shortcut_fired(qtbot, window, "Ctrl+Q", Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier) == 1
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert [k for k, _m in window.keys] == [Qt.Key.Key_1.value]
    window.keys.clear()
    lockdown = lock_down(window, exit_application=lambda _code: None)
    try:
        assert (
            _shortcut_fired(qtbot, window, "Ctrl+Q", Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier) == 0
        )
        assert (
            _shortcut_fired(qtbot, window, "Ctrl+W", Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier) == 0
        )
        for key, modifier in (
            (Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier),
            (Qt.Key.Key_F4, Qt.KeyboardModifier.AltModifier),
            (Qt.Key.Key_Tab, Qt.KeyboardModifier.AltModifier),
            (Qt.Key.Key_F11, Qt.KeyboardModifier.NoModifier),
            (Qt.Key.Key_Menu, Qt.KeyboardModifier.NoModifier),
        ):
            qtbot.keyClick(window, key, modifier)
        assert window.keys == [] and lockdown.swallowed >= 5
        # What a resident's keypad needs still arrives: digits, letters, Backspace, Enter, Escape.
        for key in (Qt.Key.Key_4, Qt.Key.Key_A, Qt.Key.Key_Backspace, Qt.Key.Key_Return, Qt.Key.Key_Escape):
            qtbot.keyClick(window, key)
        assert [k for k, _m in window.keys] == [
            Qt.Key.Key_4.value, Qt.Key.Key_A.value, Qt.Key.Key_Backspace.value,
            Qt.Key.Key_Return.value, Qt.Key.Key_Escape.value,
        ]  # fmt: skip
    finally:
        lockdown.release()
        lockdown.authorise_exit()


def test_escape_does_not_dismiss_a_dialog(qtbot, window: Keys) -> None:
    window.show()
    dialog = QDialog(window)
    dialog.show()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()  # unlocked, Escape rejects a dialog
    lockdown = lock_down(window, exit_application=lambda _code: None)
    try:
        dialog.show()
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)
        assert dialog.isVisible()
    finally:
        lockdown.release()
        lockdown.authorise_exit()
        dialog.close()


def test_context_menus_never_open(
    qapp: QApplication, window: Keys, locked: tuple[Lockdown, list[int]]
) -> None:
    lockdown, _exits = locked
    field = Keys()  # a widget inside the window with a menu of its own (a text field's paste)
    field.setParent(window)

    def menu(reason: QContextMenuEvent.Reason) -> None:
        QApplication.sendEvent(
            field, QContextMenuEvent(reason, QPoint(5, 5), field.mapToGlobal(QPoint(5, 5)))
        )

    lockdown.release()
    menu(QContextMenuEvent.Reason.Mouse)
    assert field.menus == 1  # unlocked, the widget gets it
    qapp.installEventFilter(lockdown)  # locked again
    menu(QContextMenuEvent.Reason.Mouse)
    menu(QContextMenuEvent.Reason.Keyboard)
    assert field.menus == 1 and lockdown.swallowed == 2


SIGTERM_SCRIPT = """
import signal, sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWidget
from kiosk.ui.app import quit_on_signals
from kiosk.ui.lockdown import lock_down

app = QApplication(sys.argv[:1])
window = QWidget()
lockdown = lock_down(window, exit_application=lambda _code: None)
for before_quit in (lambda: None, lockdown.authorise_exit):
    QTimer.singleShot(100, lambda: signal.raise_signal(signal.SIGTERM))
    give_up = QTimer()  # a quit the window refuses would wait for ever
    give_up.setSingleShot(True)
    give_up.timeout.connect(lambda: app.exit(3))
    give_up.start(2000)
    with quit_on_signals(app, before_quit):
        print(app.exec(), window.isVisible(), flush=True)
    give_up.stop()
"""


def test_sigterm_ends_a_locked_down_kiosk() -> None:
    """Qt 6's quit() closes the windows first, and a locked window refuses: `systemctl stop` must
    authorise the exit before quitting (kiosk.ui.app.quit_on_signals). In a process of its own:
    an event loop ended by quit() leaves the tests' application unable to deliver signals."""
    result = subprocess.run(
        [sys.executable, "-c", SIGTERM_SCRIPT], capture_output=True, text=True, timeout=60, check=False,
        cwd=ROOT, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    # Without the authorisation the quit is refused (the loop only ends by the give-up timer).
    assert result.stdout.split("\n")[:2] == ["3 True", "0 False"]


def test_only_a_top_level_window_is_locked(qtbot) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    with pytest.raises(ValueError, match="top-level"):
        lock_down(QWidget(parent))


# -- the staff exit --------------------------------------------------------------------------------

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]


class Staff:
    """Who is signed in and whether their staff card + PIN is fresh, as the gate would say."""

    def __init__(self) -> None:
        self.operator: str | None = None
        self.fresh = False
        self.asked = 0

    def operator_of(self) -> str | None:
        self.asked += 1
        return self.operator


def _exits(sessions: sessionmaker[Session]) -> list[AuditRecord]:
    with sessions() as session:
        return list(session.scalars(select(AuditRecord).where(AuditRecord.action == EXIT_ACTION)))


@pytest.fixture
def staff() -> Staff:
    return Staff()


@pytest.fixture
def exit_view(qtbot, sessions: sessionmaker[Session], staff: Staff, metrics: Metrics) -> KioskExit:
    view = KioskExit(sessions, staff.operator_of, lambda: staff.fresh, metrics, clock=FakeClock(T0))
    qtbot.addWidget(view)
    view.show()
    return view


def test_nobody_signed_in_no_exit(exit_view: KioskExit, staff: Staff) -> None:
    assert not exit_view.exit_button.isEnabled() and not exit_view.reauth_button.isVisible()
    exit_view.exit_button.click()  # disabled: nothing happens
    assert not exit_view.armed


def test_a_signed_in_operator_must_confirm_with_the_staff_card_first(
    qtbot, exit_view: KioskExit, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    staff.operator = "op-0042"
    exit_view.update_operator()
    assert not exit_view.exit_button.isEnabled() and exit_view.reauth_button.isVisible()
    with qtbot.waitSignal(exit_view.reauthentication_wanted, timeout=1000):
        exit_view.reauth_button.click()
    assert exit_view.status.text() == "Confirm with your staff card and PIN on the Sign-in tab."
    staff.fresh = True  # the gate's re-authentication succeeded
    exit_view.refresh()
    assert exit_view.exit_button.isEnabled() and not exit_view.reauth_button.isVisible()
    assert _exits(sessions) == []


def test_the_exit_is_confirmed_then_recorded_then_signalled(
    qtbot, exit_view: KioskExit, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    staff.operator, staff.fresh = "op-0042", True
    exit_view.update_operator()
    exit_view.exit_button.click()
    assert exit_view.armed and exit_view.confirm_button.isVisible() and exit_view.cancel_button.isVisible()
    assert exit_view.status.state is State.WARNING
    exit_view.cancel_button.click()  # second thoughts
    assert not exit_view.armed and exit_view.exit_button.isVisible() and _exits(sessions) == []
    exit_view.exit_button.click()
    recorded_first: list[int] = []
    exit_view.exit_confirmed.connect(lambda _op: recorded_first.append(len(_exits(sessions))))
    with qtbot.waitSignal(exit_view.exit_confirmed, timeout=WAIT) as confirmed:
        exit_view.confirm_button.click()
    assert confirmed.args == ["op-0042"]
    assert recorded_first == [1]  # committed before anyone was told to exit
    (record,) = _exits(sessions)
    assert (record.actor, record.action, record.subject, record.details) == (
        "op-0042", EXIT_ACTION, EXIT_SUBJECT, '{"exit_code":0}'
    )  # fmt: skip
    assert record.at.replace(tzinfo=UTC) == T0
    with sessions() as session:
        assert verify_chain(session).ok


def test_a_confirmation_that_runs_out_or_a_session_that_ends_stops_the_exit(
    qtbot, exit_view: KioskExit, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    staff.operator, staff.fresh = "op-0042", True
    exit_view.update_operator()
    exit_view.exit_button.click()
    staff.fresh = False  # five minutes passed while "Exit now" waited
    exit_view.timer.setInterval(10)
    qtbot.waitUntil(lambda: not exit_view.armed, timeout=2000)
    assert not exit_view.confirm_button.isVisible() and exit_view.reauth_button.isVisible()
    staff.fresh = True
    exit_view.refresh()
    exit_view.exit_button.click()
    staff.operator = None  # signed out (a limit) between the two taps
    exit_view.confirm_button.click()
    assert not exit_view.runner.busy and not exit_view.armed
    assert exit_view.status.text() == "Nobody is signed in: sign in with your staff card first."
    assert _exits(sessions) == []


def test_an_exit_that_cannot_be_recorded_does_not_happen(
    qtbot, tmp_path: Path, staff: Staff, metrics: Metrics
) -> None:
    unmigrated = make_engine(tmp_path / "empty.db")  # no audit table: the record fails
    try:
        view = KioskExit(make_sessionmaker(unmigrated), staff.operator_of, lambda: True, metrics)
        qtbot.addWidget(view)
        staff.operator = "op-0042"
        view.update_operator()
        view.exit_button.click()
        exited: list[str] = []
        view.exit_confirmed.connect(exited.append)
        view.confirm_button.click()
        qtbot.waitUntil(lambda: view.status.state is State.ERROR, timeout=WAIT)
        assert exited == [] and not view.armed
        assert view.status.text() == "The exit could not be recorded, so the kiosk keeps running. Try again."
    finally:
        unmigrated.dispose()


def test_an_open_exit_view_does_not_keep_the_operator_active(
    qtbot, exit_view: KioskExit, staff: Staff
) -> None:
    """Its timer reads only the freshness, which touches no session (OperatorGate.operator_of
    counts as activity: a view left open must not hold the session past its idle limit)."""
    staff.operator = "op-0042"
    exit_view.update_operator()
    exit_view.timer.setInterval(10)
    before = staff.asked
    qtbot.wait(200)
    assert staff.asked == before


# -- in the counter's main window --------------------------------------------------------------------


def test_staff_exit_from_the_service_tab_needs_a_fresh_staff_card(
    qtbot, qapp: QApplication, metrics: Metrics, world: World
) -> None:
    main = build(qtbot, qapp, metrics, world, resident=RESIDENT, staff=STAFF)
    try:
        exit_view = main.exit_kiosk
        main.tabs.setCurrentIndex(5)  # Service
        qtbot.waitUntil(exit_view.isVisible)
        assert not exit_view.exit_button.isEnabled()  # nobody signed in
        main.on_reader_event(event(ReaderEventKind.CARD_INSERTED, STAFF))
        sign_in(qtbot, main)
        assert exit_view.exit_button.isEnabled()  # the sign-in itself is a fresh staff card + PIN
        clock = FakeClock(datetime.now(UTC) + timedelta(minutes=6))  # the confirmation is too old now
        main.gate.clock = clock
        exit_view.refresh()
        assert not exit_view.exit_button.isEnabled() and exit_view.reauth_button.isVisible()
        exit_view.reauth_button.click()  # the staff panel asks for the card's PIN again
        qtbot.waitUntil(lambda: main.staff.phase is Phase.REAUTH_PIN, timeout=WAIT)
        with qtbot.waitSignal(main.gate.reauthenticated, timeout=WAIT):
            type_pin(main.staff.keypad, seed.STAFF_PIN)
        assert exit_view.exit_button.isEnabled()
        exit_view.exit_button.click()
        with qtbot.waitSignal(exit_view.exit_confirmed, timeout=WAIT) as confirmed:
            exit_view.confirm_button.click()
        assert confirmed.args == [seed.OPERATOR_ID]
        with main.running.reads() as session:
            actions = [
                (r.actor, r.action) for r in session.scalars(select(AuditRecord).order_by(AuditRecord.id))
            ]
        assert actions[-3:] == [
            (seed.OPERATOR_ID, "operator.login"),
            (seed.OPERATOR_ID, "operator.reauthenticated"),
            (seed.OPERATOR_ID, EXIT_ACTION),
        ]
    finally:
        main.shutdown()


# -- `kiosk run`, as systemd runs it ---------------------------------------------------------------


def test_kiosk_run_from_its_configuration_until_sigterm(world: World, tmp_path: Path) -> None:
    """The counter from a configuration file in a process of its own (offscreen, the central served
    by this test): JSON logs in their directory, the health file written and rewritten with the
    console's first checks and the UI's heartbeat, and SIGTERM — `systemctl stop` — ending the
    locked-down kiosk with exit status 0 and a last "stopped" health file."""
    world.data.chmod(0o700)  # as `kiosk run` requires (the copied identity left it 0755)
    health, logs = tmp_path / "run" / "health.json", tmp_path / "logs"
    config = tmp_path / "kiosk.toml"
    config.write_text(
        f'[terminal]\nid = "{TERMINAL}"\nmode = "counter"\ncentral_url = "{world.server.url}"\n'
        f'data_dir = "{world.data}"\n[devices]\nresident_reader = "{RESIDENT}"\nstaff_reader = "{STAFF}"\n'
        f'[logging]\ndirectory = "{logs}"\n[health]\nfile = "{health}"\ninterval_seconds = 5\n',
        encoding="utf-8",
    )
    kiosk = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "run", "--config", str(config)],
        cwd=ROOT, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        document: dict[str, object] = {}
        while time.monotonic() < deadline and kiosk.poll() is None:
            if health.exists():
                document = json.loads(health.read_text(encoding="utf-8"))
                if document["checked_at"] is not None:
                    break
            time.sleep(0.2)
        assert document.get("checked_at") is not None, kiosk.stderr.read() if kiosk.poll() is not None else ""
        assert (document["terminal_id"], document["mode"]) == (TERMINAL, "counter")
        assert document["ui"] == {"status": "ok", "heartbeat_at": document["ui"]["heartbeat_at"]}  # type: ignore[index]
        central = next(c for c in document["checks"] if c["name"] == "central")  # type: ignore[union-attr]
        assert central["code"] == "central.answers"
        kiosk.send_signal(signal.SIGTERM)
        assert kiosk.wait(60) == 0
    finally:
        if kiosk.poll() is None:
            kiosk.kill()
            kiosk.wait(10)
    assert json.loads(health.read_text(encoding="utf-8"))["status"] == "stopped"
    (log_file,) = logs.iterdir()
    messages = [json.loads(line)["message"] for line in log_file.read_text(encoding="utf-8").splitlines()]
    assert messages[0].startswith("kiosk ") and messages[0].endswith(" starting")
    assert messages[-1] == "kiosk stopped"
