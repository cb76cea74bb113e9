"""Idle timeout: a visible countdown after a quiet spell, then the session ends.

After `idle_after` seconds without a touch or key the kiosk asks "are you still there?" with a
countdown of `countdown` seconds (90 s in all with the defaults, 30 s of them visible: the dora.dev
pattern in ANCHORS.md §2 E); any touch or key ends the countdown, and when it runs out `expired`
fires once — the main window then wipes the session and restores the default language and theme.
Residents are warned and may carry on, never reset without notice (AusweisApp dropped its hard
5-minute PIN limit).

`hold()` / `release()` suspend the timer while the card is being written or the central is being
waited for: a person watching a progress bar is not idle, and a reset mid-write is what must
never happen (ANCHORS.md §4, [VX-4167]). Holds nest; after the last release the person gets the
full idle time again.

Input is seen by an event filter on the application: presses, touches, keys and the wheel, not
mouse movement (a jittery mouse or a dusty touch panel must not keep a session open forever).
The countdown arithmetic is the pure `idle_state`, table-tested.
"""

from __future__ import annotations

import enum
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from kiosk.ui.theme import Metrics
from kiosk.ui.widgets import touch_button

DEFAULT_IDLE_AFTER = 60.0
DEFAULT_COUNTDOWN = 30.0
TICK_MS = 200

INPUT_EVENTS = frozenset(
    {
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseButtonDblClick,
        QEvent.Type.TouchBegin,
        QEvent.Type.TouchUpdate,
        QEvent.Type.TabletPress,
        QEvent.Type.KeyPress,
        QEvent.Type.Wheel,
    }
)


class IdlePhase(enum.Enum):
    ACTIVE = "active"
    WARNING = "warning"  # the countdown is showing
    EXPIRED = "expired"
    HELD = "held"  # suspended: a card write or a long wait is in progress


@dataclass(frozen=True)
class IdleState:
    phase: IdlePhase
    seconds_left: int | None  # whole seconds the countdown shows; None outside WARNING


def idle_state(idle_for: float, *, idle_after: float, countdown: float, held: bool = False) -> IdleState:
    """Where the idle timer stands `idle_for` seconds after the last input.

    The countdown shows the seconds left rounded up, so it reads `countdown` when it appears and
    1 in its last second, and never 0 while the session is still open."""
    if idle_after < 0 or countdown <= 0:
        raise ValueError("idle_after must be >= 0 and countdown > 0")
    if held:
        return IdleState(IdlePhase.HELD, None)
    if idle_for < idle_after:
        return IdleState(IdlePhase.ACTIVE, None)
    remaining = idle_after + countdown - idle_for
    if remaining <= 0:
        return IdleState(IdlePhase.EXPIRED, None)
    return IdleState(IdlePhase.WARNING, math.ceil(remaining))


class IdleController(QObject):
    countdown = Signal(int)  # seconds left: when the countdown appears, then at each change
    resumed = Signal()  # input or a hold ended a countdown: hide it
    expired = Signal()  # once per start(): end the session

    def __init__(
        self,
        app: QCoreApplication,
        *,
        idle_after: float = DEFAULT_IDLE_AFTER,
        countdown: float = DEFAULT_COUNTDOWN,
        clock: Callable[[], float] = time.monotonic,
        tick_ms: int = TICK_MS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        idle_state(0.0, idle_after=idle_after, countdown=countdown)  # validates the numbers
        self._app = app
        self.idle_after, self.countdown_seconds = idle_after, countdown
        self._clock = clock
        self._last_input = clock()
        self._holds = 0
        self._running = False
        self._shown: int | None = None  # the number the countdown shows, None while hidden
        self._timer = QTimer(self)
        self._timer.setInterval(tick_ms)
        self._timer.timeout.connect(self._tick)

    @property
    def running(self) -> bool:
        return self._running

    @property
    def held(self) -> bool:
        return self._holds > 0

    @property
    def state(self) -> IdleState:
        return idle_state(
            self._clock() - self._last_input,
            idle_after=self.idle_after,
            countdown=self.countdown_seconds,
            held=self.held,
        )

    def start(self) -> None:
        """Start watching (a new session); the idle time counts from now."""
        if not self._running:
            self._app.installEventFilter(self)
            self._running = True
        self._last_input = self._clock()
        self._shown = None
        self._timer.start()

    def stop(self) -> None:
        if self._running:
            self._app.removeEventFilter(self)
            self._running = False
        self._timer.stop()
        self._shown = None

    def poke(self) -> None:
        """The person did something: the idle time starts again."""
        self._last_input = self._clock()
        self._hide_countdown()

    def hold(self) -> None:
        """Suspend expiry (card write in progress); pair every hold with a release (try/finally)."""
        self._holds += 1
        self._hide_countdown()

    def release(self) -> None:
        if self._holds == 0:
            raise RuntimeError("release() without hold()")
        self._holds -= 1
        if self._holds == 0:
            self._last_input = self._clock()  # the wait was not the person's idleness

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in INPUT_EVENTS:
            self.poke()
        return False  # only watching: every event goes on to its widget

    def _hide_countdown(self) -> None:
        if self._shown is not None:
            self._shown = None
            self.resumed.emit()

    def _tick(self) -> None:
        state = self.state
        if state.phase is IdlePhase.WARNING and state.seconds_left != self._shown:
            self._shown = state.seconds_left
            self.countdown.emit(state.seconds_left)
        elif state.phase is IdlePhase.EXPIRED:
            self.stop()
            self.expired.emit()


class IdleCountdown(QWidget):
    """The "are you still there?" panel: covers its parent while the countdown runs."""

    def __init__(self, controller: IdleController, metrics: Metrics, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._seconds = 0
        self.title = QLabel(self)
        self.title.setProperty("role", "title")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.number = QLabel(self)  # the seconds left, large: readable without the sentence
        self.number.setProperty("role", "countdown")
        self.number.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.text = QLabel(self)
        self.text.setWordWrap(True)
        self.text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.button = touch_button(metrics, self, primary=True)
        self.button.clicked.connect(controller.poke)
        row = QHBoxLayout()  # a wide button: the one thing to touch on this panel
        row.addStretch(1)
        row.addWidget(self.button, 2)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(self.title)
        layout.addWidget(self.number)
        layout.addWidget(self.text)
        layout.addLayout(row)
        layout.addStretch(1)
        self.setAutoFillBackground(True)
        # A plain QWidget paints no style-sheet background without this: the screen below showed through.
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        controller.countdown.connect(self._on_countdown)
        controller.resumed.connect(self.hide)
        controller.expired.connect(self.hide)
        self.hide()
        self.retranslate()

    def retranslate(self) -> None:
        self.title.setText(QCoreApplication.translate("IdleCountdown", "Are you still there?"))
        self.number.setText(str(self._seconds))
        self.number.setAccessibleName(QCoreApplication.translate("IdleCountdown", "Seconds left"))
        self.text.setText(
            QCoreApplication.translate(
                "IdleCountdown",
                "Touch the screen to continue. When the countdown reaches zero, this session ends "
                "and what you entered is erased.",
            )
        )
        #: Button on the idle countdown: keep the session open.
        self.button.setText(QCoreApplication.translate("IdleCountdown", "Continue"))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def _on_countdown(self, seconds: int) -> None:
        self._seconds = seconds
        self.retranslate()
        parent = self.parentWidget()
        if parent is not None:
            self.setGeometry(parent.rect())
        self.show()
        self.raise_()
