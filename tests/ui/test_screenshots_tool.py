"""tools/screenshots.py cannot rot: its walk-through of the counter window runs offscreen for one
language into tmp_path (the real central in-process, the software card, the window's own buttons),
every shot of its table comes out as a 1280×800 PNG with something on it, and the committed
docs/screens/ is what the table says (its index generated from the table, every picture there)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from PIL import Image
from PySide6.QtWidgets import QLabel, QWidget

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
    done = subprocess.run(command, capture_output=True, text=True, timeout=110, check=False)
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
