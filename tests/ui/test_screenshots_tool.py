"""tools/screenshots.py cannot rot: its walk-through runs offscreen for one language into tmp_path
(the real central in-process, the terminal as `kiosk counter` opens it, the software cards, the
face matcher's process and a video-file camera; the resident's window, then the main window with
the staff side, driven through their own buttons), every shot of its table comes out as a 1280×800
PNG with something on it, and the committed docs/screens/ is what the table says (its index
generated from the table, every picture there)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import threading
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from PIL import Image
from PySide6.QtWidgets import QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from kiosk.facecheck.check import FaceDecision, Guidance, Phase
from kiosk.facecheck.policy import DEFAULT_POLICY

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "screenshots.py"
DOCS = ROOT / "docs" / "screens"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _load_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("screenshots_tool", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


tool = _load_tool()


def _expected(language: str) -> list[str]:
    return [f"{language}/{tool.file_name(n, shot)}" for n, shot in enumerate(tool.SHOTS, start=1)]


def _check_picture(path: Path) -> None:
    data = path.read_bytes()
    assert data.startswith(PNG_MAGIC), path
    with Image.open(path) as image:
        assert image.format == "PNG", path
        assert image.size == (tool.WIDTH, tool.HEIGHT), (path, image.size)
        colours = image.convert("RGB").getcolors(maxcolors=1 << 16)
        assert colours is not None and len(colours) > 8, f"{path}: an empty grab"


def test_the_walk_through_takes_every_shot(tmp_path: Path) -> None:
    # Its own process: its own QApplication on a 1280×800 offscreen screen, nothing shared with
    # the other UI tests' application.
    command = [sys.executable, str(TOOL), "--platform", "offscreen", "--language", "en"]
    command += ["--out", str(tmp_path)]
    # ~40 s here; the face matcher's process starts once (~3 s), the face checks run on clips.
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-4000:]
    taken = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.png"))
    assert taken == _expected("en")
    for name in taken:
        _check_picture(tmp_path / name)
    assert (tmp_path / tool.INDEX).read_text(encoding="utf-8") == tool.render_index()


def test_the_committed_screens_are_the_tables() -> None:
    index = (DOCS / tool.INDEX).read_text(encoding="utf-8")
    assert index == tool.render_index(), "docs/screens/ is stale: run tools/screenshots.py"
    committed = sorted(p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.png"))
    assert committed == sorted(_expected("ja") + _expected("en"))
    for name in committed:
        assert f'src="{name}"' in index
        _check_picture(DOCS / name)


def test_the_readme_links_the_screens() -> None:
    assert "(docs/screens/README.md)" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_a_pin_on_screen_stops_the_tool(qtbot) -> None:
    root = QWidget()
    qtbot.addWidget(root)
    label = QLabel("Your PIN is 2345.", root)
    root.show()
    with pytest.raises(AssertionError, match="secret"):
        tool.check_no_secrets(root, ("2345",))
    label.setText("serial number 0a2345ff")  # a PIN's digits inside a longer word are not the PIN
    tool.check_no_secrets(root, ("2345",))
    root.setAccessibleDescription("PIN 2345")  # what a screen reader is told counts too
    with pytest.raises(AssertionError):
        tool.check_no_secrets(root, ("2345",))


def test_both_windows_are_in_the_table_and_the_index() -> None:
    parts = [shot.part for shot in tool.SHOTS]
    assert parts == sorted(parts, key=list(tool.Part).index), (
        "the resident's shots first, then the main window's"
    )
    assert set(parts) == set(tool.Part)
    index = tool.render_index()
    assert all(f"### {heading}" in index for heading in tool.PART_HEADINGS.values())
    slugs = [shot.slug for shot in tool.SHOTS]
    assert len(slugs) == len(set(slugs))


def test_what_does_not_fit_is_named(qtbot) -> None:
    top = QWidget()
    qtbot.addWidget(top)
    top.resize(tool.WIDTH, tool.HEIGHT)
    area = QScrollArea(top)
    area.setWidgetResizable(True)
    inner = QWidget()
    inner.setMinimumWidth(tool.WIDTH * 2)
    area.setWidget(inner)
    button = QPushButton("A long label that does not fit", top)
    layout = QVBoxLayout(top)
    layout.addWidget(area)
    layout.addWidget(button)
    top.show()
    button.setFixedWidth(40)
    found = tool.misfits(top)
    assert any("scrolls sideways" in f for f in found), found
    assert any("A long label" in f for f in found), found
    button.setFixedWidth(button.sizeHint().width())
    inner.setMinimumWidth(0)
    assert tool.misfits(top) == []


class _Decides:
    """A stand-in matcher: guidance for the first frame, a decision for the second."""

    policy = DEFAULT_POLICY

    def __init__(self) -> None:
        self.frames = 0

    def feed(self, image: np.ndarray, now: float) -> Guidance | FaceDecision:
        self.frames += 1
        if self.frames == 1:
            return Guidance(Phase.MATCHING, "hold_still", "Hold still.", 0.5, None)
        return FaceDecision.unable("test", DEFAULT_POLICY, now, liveness_required=False)


def test_the_held_matcher_holds_the_decision_until_released() -> None:
    held = tool.HeldMatcher(_Decides())  # type: ignore[arg-type]
    frame = np.zeros((2, 2, 3), np.uint8)
    held.hold()
    assert isinstance(held.feed(frame, 0.0), Guidance)  # guidance passes
    answers: list[object] = []
    worker = threading.Thread(target=lambda: answers.append(held.feed(frame, 1.0)))
    worker.start()
    assert held.holding.wait(5) and not answers  # the decision waits
    held.release()
    worker.join(5)
    assert isinstance(answers[0], FaceDecision)
