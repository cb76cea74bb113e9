"""Kiosk lock-down of a top-level window: full screen, no decorations, no way out for a resident.

    lockdown = lock_down(window)            # before window.show(): it shows the window itself
    ...
    lockdown.exit(0)                        # a staff action: authorised, recorded, then this

What Qt can do, this does:

- the window is frameless and stays on top (`FramelessWindowHint | WindowStaysOnTopHint`) and
  is shown full screen; if anything takes it out of full screen or minimises it (a window
  manager's key, a stray event), it goes back;
- an application-wide event filter swallows the shortcuts Qt sees, on every widget: any key
  with Ctrl, Alt or Meta held (Ctrl+Q, Ctrl+W, Alt+F4 as a key, Alt+Tab where it reaches Qt),
  the function keys F1–F35 (F11 toggles full screen in many toolkits), the menu and close keys,
  and Escape inside a dialog (it would dismiss it). Swallowing a key's ShortcutOverride *accepts*
  it, which is how Qt is told "no shortcut here": a QShortcut or QAction of any widget never
  fires; the key press itself is then dropped too. Plain keys (digits, letters, Backspace,
  Enter, Escape outside dialogs) still reach the keypads;
- context menus are never opened (a text field's menu offers paste, a file dialog's offers
  delete and rename);
- a close request for the window (Alt+F4 through the window manager, the close button a
  decorated window would have, `close()`, `QApplication.quit()`, which in Qt 6 closes the
  windows first) is refused until the exit is authorised: `authorise_exit()` (a staff action
  that has been authenticated and recorded, or the process's SIGTERM handler), or the
  `exit_allowed()` callable given to `lock_down` answering True at that moment.

What Qt cannot do is the session around it: switching virtual terminals (Ctrl+Alt+F1), the
window manager's own keys (Alt+Tab, Super), Ctrl+Alt+Backspace, a second application. Those are
the operating system's part: a kiosk session with a single-application compositor (`cage`) or an
X server without a window manager, VT switching disabled (docs/deploy.md, "The kiosk session").

Contract for the applications (the counter's `run_counter`, the unattended terminal's):

- call `lock_down(window, exit_allowed=…)` once, before the event loop, on the one top-level
  window residents see; keep the returned `Lockdown` (it owns the event filter);
- exit only through `lockdown.exit(code)` (or `authorise_exit()` then `QCoreApplication.exit`),
  after the staff action is authenticated and in the audit chain: exit code 0 is an orderly
  stop, which systemd's `Restart=on-failure` does not restart; a crash exits non-zero and is
  restarted;
- `release()` undoes everything but the window flags (tests; a developer's `--windowed` never
  locks down in the first place).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Final

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QKeyEvent, QWindowStateChangeEvent
from PySide6.QtWidgets import QApplication, QDialog, QWidget

_log = logging.getLogger(__name__)

# Held with any key, these make a shortcut: none is left to a resident.
SHORTCUT_MODIFIERS: Final = (
    Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier | Qt.KeyboardModifier.MetaModifier
)
# Keys that act on windows or the session whatever the modifiers.
WINDOW_KEYS: Final = frozenset(
    {
        Qt.Key.Key_Menu,  # opens a context menu
        Qt.Key.Key_Close,
        Qt.Key.Key_Exit,
        Qt.Key.Key_LogOff,  # media keyboards' session keys, should the session pass them on
        Qt.Key.Key_PowerOff,
        Qt.Key.Key_Sleep,
        Qt.Key.Key_Suspend,
        Qt.Key.Key_Hibernate,
        Qt.Key.Key_Super_L,  # may come without the Meta modifier
        Qt.Key.Key_Super_R,
        Qt.Key.Key_SysReq,
    }
)
_WINDOW_KEY_CODES: Final = frozenset(int(k.value) for k in WINDOW_KEYS)
KEY_EVENTS: Final = frozenset({QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress, QEvent.Type.KeyRelease})


def _function_key(key: int) -> bool:
    return int(Qt.Key.Key_F1.value) <= key <= int(Qt.Key.Key_F35.value)


def blocked_key(event: QKeyEvent, receiver: QObject) -> bool:
    """Whether a key event is one a resident must not have (see the module)."""
    key = event.key()
    if event.modifiers() & SHORTCUT_MODIFIERS or _function_key(key):
        return True
    if key in _WINDOW_KEY_CODES:
        return True
    if key == Qt.Key.Key_Escape.value:  # closes a dialog; elsewhere a keypad's "clear"
        window = receiver.window() if isinstance(receiver, QWidget) else None
        return isinstance(window, QDialog)
    return False


class Lockdown(QObject):
    """The lock on one window; made by `lock_down`. Lives on the UI thread."""

    def __init__(
        self,
        window: QWidget,
        app: QApplication,
        exit_allowed: Callable[[], bool] | None = None,
        exit_application: Callable[[int], None] = QCoreApplication.exit,
    ) -> None:
        super().__init__(window)
        self.window, self._app = window, app
        self._exit_allowed = exit_allowed
        self._exit_application = exit_application
        self._authorised = False
        self.swallowed = 0  # shortcut and menu events dropped (counted, not logged: a resident may mash keys)
        self.refused_closes = 0
        self._active = True
        app.installEventFilter(self)

    @property
    def exit_authorised(self) -> bool:
        return self._authorised

    def authorise_exit(self) -> None:
        """From now on the window may close (a staff action, recorded; or SIGTERM)."""
        self._authorised = True

    def exit(self, code: int = 0) -> None:
        """Authorise, then end the event loop with `code` (0: an orderly stop, not restarted)."""
        self.authorise_exit()
        _log.info("kiosk exit authorised (exit code %d)", code)
        self._exit_application(code)

    def release(self) -> None:
        """Take the event filter off (tests); the window flags stay as they are."""
        if self._active:
            self._app.removeEventFilter(self)
            self._active = False

    def _may_close(self) -> bool:
        return self._authorised or (self._exit_allowed is not None and self._exit_allowed())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind in KEY_EVENTS:
            assert isinstance(event, QKeyEvent)
            if blocked_key(event, watched):
                self.swallowed += 1
                # Accepted: for a ShortcutOverride that means "consumed here", so no shortcut
                # fires; the press that follows is dropped by returning True as well.
                event.accept()
                return True
            return False
        if kind == QEvent.Type.ContextMenu:
            self.swallowed += 1
            event.accept()
            return True
        if watched is self.window:
            if kind == QEvent.Type.Close and not self._may_close():
                self.refused_closes += 1
                _log.warning("close request for the kiosk window refused: exit not authorised")
                event.ignore()
                return True
            if kind == QEvent.Type.WindowStateChange and not self._may_close():
                assert isinstance(event, QWindowStateChangeEvent)
                state = self.window.windowState()
                if not state & Qt.WindowState.WindowFullScreen or state & Qt.WindowState.WindowMinimized:
                    # Back to full screen once the change has been processed, not inside it.
                    QTimer.singleShot(0, self.window.showFullScreen)
        return False


def lock_down(
    window: QWidget,
    *,
    exit_allowed: Callable[[], bool] | None = None,
    show: bool = True,
    exit_application: Callable[[int], None] = QCoreApplication.exit,
) -> Lockdown:
    """Lock `window` (a top-level widget) down for a kiosk and, with `show`, show it full screen.

    `exit_allowed`: asked on every close request; True lets that close through (for an
    application with its own exit rule). Without it only `authorise_exit()` opens the way.
    `exit_application(code)` is what `Lockdown.exit` ends the event loop with (tests replace it)."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        raise RuntimeError("lock_down needs the QApplication")
    if not window.isWindow():
        raise ValueError("lock_down locks a top-level window")
    # Set before showing: changing a visible window's flags hides it again.
    window.setWindowFlags(
        window.windowFlags() | Qt.WindowType.FramelessWindowHint | Qt.WindowType.WindowStaysOnTopHint
    )
    window.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
    lockdown = Lockdown(window, app, exit_allowed, exit_application)
    if show:
        window.showFullScreen()
    return lockdown
