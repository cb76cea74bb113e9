"""The insert-card prompt: where the card goes, and what the reader sees, in words and icons."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QAbstractAnimation

from kiosk.ui.card_prompt import STILL_INSERTION, CardPrompt, ReaderState
from kiosk.ui.theme import Metrics, State


@pytest.fixture
def prompt(qtbot, theme, metrics: Metrics) -> CardPrompt:
    widget = CardPrompt(metrics)
    qtbot.addWidget(widget)
    widget.resize(400, 500)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_ready_animates_the_card_into_the_slot(qtbot, prompt: CardPrompt) -> None:
    assert prompt.state is ReaderState.READY
    assert prompt.animation.state() == QAbstractAnimation.State.Running
    seen: set[float] = set()

    def moving() -> bool:
        seen.add(round(prompt.scene.property("insertion"), 2))
        return len(seen) > 3

    qtbot.waitUntil(moving)
    assert prompt.status.state is State.INFO
    assert (
        prompt.status.text()
        == "Insert your My Number card into the card reader, IC chip first and facing up."
    )


def test_each_state_has_its_own_icon_and_words(prompt: CardPrompt) -> None:
    shown = {}
    for state in ReaderState:
        prompt.set_state(state)
        shown[state] = (prompt.status.state, prompt.status.text())
        assert prompt.status.text() and not prompt.status.isHidden()
    assert len({level for level, _ in shown.values()}) == len(ReaderState)
    assert shown[ReaderState.NO_READER][0] is State.ERROR and "call staff" in shown[ReaderState.NO_READER][1]
    assert shown[ReaderState.CARD_PRESENT][0] is State.SUCCESS
    assert shown[ReaderState.CARD_UNREADABLE][0] is State.WARNING


def test_other_states_hold_a_still_picture(prompt: CardPrompt) -> None:
    pictures = {}
    for state, insertion in [
        (ReaderState.CARD_PRESENT, 1.0),
        (ReaderState.CARD_UNREADABLE, 0.2),
        (ReaderState.NO_READER, 0.0),
    ]:
        prompt.set_state(state)
        assert prompt.animation.state() == QAbstractAnimation.State.Stopped
        assert prompt.scene.property("insertion") == pytest.approx(insertion)
        pictures[state] = prompt.scene.grab().toImage()
    present, unreadable, no_reader = pictures.values()
    assert present != unreadable and unreadable != no_reader and present != no_reader
    prompt.set_state(ReaderState.READY)
    assert prompt.animation.state() == QAbstractAnimation.State.Running


def test_reduced_motion_shows_a_still_card_with_an_arrow(qtbot, prompt: CardPrompt) -> None:
    prompt.set_animate(False)
    assert prompt.animation.state() == QAbstractAnimation.State.Stopped
    assert prompt.scene.property("insertion") == pytest.approx(STILL_INSERTION)
    before = prompt.scene.grab().toImage()
    qtbot.wait(100)
    assert prompt.scene.grab().toImage() == before  # nothing moves


def test_hidden_prompt_does_not_animate(prompt: CardPrompt) -> None:
    prompt.hide()
    assert prompt.animation.state() == QAbstractAnimation.State.Stopped
    prompt.show()
    assert prompt.animation.state() == QAbstractAnimation.State.Running
