"""Idle timeout: the countdown arithmetic as a table, then the controller on a fake clock."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QPushButton, QWidget

from kiosk.ui.idle import IdleController, IdleCountdown, IdlePhase, IdleState, idle_state
from kiosk.ui.theme import Metrics

ACTIVE, WARNING, EXPIRED, HELD = IdlePhase.ACTIVE, IdlePhase.WARNING, IdlePhase.EXPIRED, IdlePhase.HELD


@pytest.mark.parametrize(
    ("idle_for", "held", "expected"),
    [
        (0.0, False, IdleState(ACTIVE, None)),
        (59.99, False, IdleState(ACTIVE, None)),
        (60.0, False, IdleState(WARNING, 30)),  # appears showing the full count
        (60.5, False, IdleState(WARNING, 30)),
        (61.0, False, IdleState(WARNING, 29)),
        (89.0, False, IdleState(WARNING, 1)),
        (89.999, False, IdleState(WARNING, 1)),  # never shows 0 while still open
        (90.0, False, IdleState(EXPIRED, None)),
        (5000.0, False, IdleState(EXPIRED, None)),
        (5000.0, True, IdleState(HELD, None)),  # held: never expires
        (0.0, True, IdleState(HELD, None)),
    ],
)
def test_idle_state(idle_for: float, held: bool, expected: IdleState) -> None:
    assert idle_state(idle_for, idle_after=60.0, countdown=30.0, held=held) == expected


def test_idle_state_without_a_quiet_spell() -> None:
    assert idle_state(0.0, idle_after=0.0, countdown=10.0) == IdleState(WARNING, 10)
    assert idle_state(9.5, idle_after=0.0, countdown=10.0) == IdleState(WARNING, 1)


@pytest.mark.parametrize(("idle_after", "countdown"), [(-1.0, 30.0), (60.0, 0.0), (60.0, -5.0)])
def test_idle_state_refuses_nonsense(idle_after: float, countdown: float) -> None:
    with pytest.raises(ValueError):
        idle_state(0.0, idle_after=idle_after, countdown=countdown)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def idle(qapp, clock: Clock):
    controller = IdleController(qapp, idle_after=60.0, countdown=30.0, clock=clock, tick_ms=5)
    controller.start()
    yield controller
    controller.stop()


@pytest.fixture
def window(qtbot, theme) -> QWidget:
    widget = QWidget()
    qtbot.addWidget(widget)
    widget.resize(400, 300)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_countdown_then_expiry(qtbot, idle: IdleController, clock: Clock) -> None:
    seen: list[int] = []
    idle.countdown.connect(seen.append)
    clock.now += 61
    qtbot.waitUntil(lambda: seen == [29])
    clock.now += 20.5
    qtbot.waitUntil(lambda: seen == [29, 9])
    with qtbot.waitSignal(idle.expired, timeout=1000):
        clock.now += 10
    assert not idle.running
    with qtbot.assertNotEmitted(idle.expired, wait=50):
        clock.now += 100  # fires once


def test_a_touch_ends_the_countdown(qtbot, idle: IdleController, clock: Clock, window: QWidget) -> None:
    clock.now += 70
    qtbot.waitSignal(idle.countdown, timeout=1000).wait()
    with qtbot.waitSignal(idle.resumed, timeout=1000):
        qtbot.mouseClick(window, Qt.MouseButton.LeftButton, pos=QPoint(10, 10))
    assert idle.state.phase is ACTIVE
    with qtbot.assertNotEmitted(idle.expired, wait=50):
        clock.now += 59  # the idle time counts from the touch


def test_a_key_counts_and_a_mouse_move_does_not(
    qtbot, idle: IdleController, clock: Clock, window: QWidget
) -> None:
    clock.now += 50
    qtbot.mouseMove(window, QPoint(30, 30))
    qtbot.mouseMove(window, QPoint(60, 40))
    assert idle.state == IdleState(ACTIVE, None)
    clock.now += 15
    assert idle.state.phase is WARNING  # the moves did not reset it
    qtbot.keyClick(window, Qt.Key.Key_5)
    assert idle.state.phase is ACTIVE


def test_hold_suspends_expiry_during_a_card_write(qtbot, idle: IdleController, clock: Clock) -> None:
    clock.now += 70
    qtbot.waitSignal(idle.countdown, timeout=1000).wait()
    with qtbot.waitSignal(idle.resumed, timeout=1000):
        idle.hold()  # the write starts while the countdown shows: it goes away
    idle.hold()  # holds nest
    with qtbot.assertNotEmitted(idle.expired, wait=50), qtbot.assertNotEmitted(idle.countdown, wait=0):
        clock.now += 1000
    idle.release()
    assert idle.held
    with qtbot.assertNotEmitted(idle.expired, wait=50):
        clock.now += 1000
    idle.release()  # the write is done: the person gets the full idle time again
    assert not idle.held and idle.state == IdleState(ACTIVE, None)
    with qtbot.waitSignal(idle.expired, timeout=1000):
        clock.now += 90
    with pytest.raises(RuntimeError):
        idle.release()


def test_after_expiry_input_no_longer_counts(
    qtbot, idle: IdleController, clock: Clock, window: QWidget
) -> None:
    with qtbot.waitSignal(idle.expired, timeout=1000):
        clock.now += 100
    with qtbot.assertNotEmitted(idle.resumed, wait=20):
        qtbot.mouseClick(window, Qt.MouseButton.LeftButton)
    idle.start()  # the next session
    assert idle.running and idle.state.phase is ACTIVE


def test_the_countdown_panel(
    qtbot, idle: IdleController, clock: Clock, window: QWidget, metrics: Metrics
) -> None:
    panel = IdleCountdown(idle, metrics, parent=window)
    assert panel.isHidden()
    clock.now += 65
    qtbot.waitUntil(panel.isVisible)
    assert panel.number.text() == "25" and panel.geometry() == window.rect()
    assert panel.title.text() == "Are you still there?"
    assert min(panel.button.width(), panel.button.height()) >= metrics.touch_target
    clock.now += 5
    qtbot.waitUntil(lambda: panel.number.text() == "20")
    with qtbot.waitSignal(idle.resumed, timeout=1000):
        qtbot.mouseClick(panel.button, Qt.MouseButton.LeftButton)
    assert panel.isHidden()
    assert isinstance(panel.button, QPushButton)
