"""Blocking calls off the UI thread: results back on the UI thread, one call at a time."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QThread
from PySide6.QtWidgets import QPushButton

from kiosk.ui.workers import TaskRunner


@pytest.fixture
def runner(qapp):
    task_runner = TaskRunner()
    yield task_runner
    task_runner.wait(5000)


def test_result_arrives_on_the_ui_thread(qtbot, qapp, runner: TaskRunner) -> None:
    ran_on: list[int] = []
    delivered: list[tuple[object, bool]] = []
    runner.succeeded.connect(lambda r: delivered.append((r, QThread.currentThread() is qapp.thread())))

    def work() -> int:
        ran_on.append(threading.get_ident())
        return 42

    with qtbot.waitSignal(runner.succeeded, timeout=5000):
        assert runner.run(work)
    assert delivered == [(42, True)]
    assert ran_on and ran_on[0] != threading.get_ident()  # not on the UI thread


def test_an_exception_is_delivered_not_raised(qtbot, runner: TaskRunner) -> None:
    def broken() -> None:
        raise ValueError("card said no")

    with qtbot.waitSignal(runner.failed, timeout=5000) as blocker:
        runner.run(broken)
    [error] = blocker.args
    assert isinstance(error, ValueError) and str(error) == "card said no"
    assert not runner.busy


def test_one_call_at_a_time_and_bound_buttons(qtbot, runner: TaskRunner) -> None:
    button = QPushButton("OK")
    qtbot.addWidget(button)
    runner.bind(button)
    gate = threading.Event()
    states: list[bool] = []
    runner.busy_changed.connect(states.append)

    assert runner.run(lambda: gate.wait(5))
    assert runner.busy and not button.isEnabled()
    assert not runner.run(lambda: "second")  # the double tap is refused
    with qtbot.waitSignal(runner.succeeded, timeout=5000) as blocker:
        gate.set()
    assert blocker.args == [True]
    assert not runner.busy and button.isEnabled()
    assert states == [True, False]


def test_a_result_slot_may_start_the_next_call(qtbot, runner: TaskRunner) -> None:
    results: list[object] = []

    def next_step(result: object) -> None:
        results.append(result)
        if result == "first":
            assert runner.run(lambda: "second")

    runner.succeeded.connect(next_step)
    runner.run(lambda: "first")
    qtbot.waitUntil(lambda: results == ["first", "second"], timeout=5000)


def test_run_is_refused_off_the_ui_thread(runner: TaskRunner) -> None:
    errors: list[BaseException] = []

    def other_thread() -> None:
        try:
            runner.run(lambda: None)
        except RuntimeError as exc:
            errors.append(exc)

    thread = threading.Thread(target=other_thread)
    thread.start()
    thread.join()
    assert len(errors) == 1 and not runner.busy


def test_a_deleted_bound_widget_is_forgotten(qtbot, runner: TaskRunner) -> None:
    button = QPushButton("gone")
    runner.bind(button)
    button.deleteLater()
    qtbot.waitUntil(lambda: not runner._bound, timeout=2000)
    with qtbot.waitSignal(runner.succeeded, timeout=5000):
        runner.run(lambda: 1)
