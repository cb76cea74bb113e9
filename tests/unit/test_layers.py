"""Layers depend one way (DEVELOPERS.md): checked on the import statements themselves."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KIOSK = sorted((ROOT / "kiosk").rglob("*.py"))
# What kiosk/flows/ may import from the kiosk (besides the shared lcmp, appdata, cardadmin).
FLOWS_MAY_USE = (
    *("kiosk.flows", "kiosk.reader", "kiosk.facecheck"),
    *("kiosk.sync", "kiosk.store", "kiosk.domain"),
)


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            # A relative import would hide a dependency from these checks: the project uses none.
            assert node.level == 0, f"{path}: relative import (write it absolute)"
            if node.module:
                found.add(node.module)
    return found


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def top(module: str) -> str:
    return module.split(".", maxsplit=1)[0]


@pytest.mark.parametrize("path", KIOSK, ids=rel)
def test_kiosk_layering(path: Path) -> None:
    where = rel(path)
    mods = imports(path)
    tops = {top(m) for m in mods}
    assert not tops & {"cardemu", "facekit", "demo", "central", "tests"}, (
        "the shipped kiosk never imports dev/test code"
    )
    if not where.startswith("kiosk/ui/"):
        assert "PySide6" not in tops, "only kiosk/ui/ imports Qt"
    if where != "kiosk/reader/pcsc.py":
        assert "smartcard" not in tops, "only kiosk/reader/pcsc.py imports pyscard"
    if not where.startswith("kiosk/facecheck/"):
        assert not tops & {"cv2", "face_recognition", "dlib"}, (
            "only kiosk/facecheck/ touches the camera/matcher"
        )
    # Importing face_recognition loads the 68-point landmark model (non-commercial training
    # data, FACE.md §1): the models are loaded with dlib directly (kiosk/facecheck/models.py).
    assert "face_recognition" not in tops, "never import face_recognition (it loads the 68-point model)"
    if where.startswith("kiosk/domain/"):
        assert all(m.startswith("kiosk.domain") for m in mods if top(m) == "kiosk"), (
            "domain depends on nothing"
        )
    if where.startswith(("kiosk/reader/", "kiosk/facecheck/", "kiosk/sync/", "kiosk/store/")):
        upward = {m for m in mods if m.startswith(("kiosk.ui", "kiosk.flows"))}
        assert not upward, f"{where} reaches up into {upward}"
        # The four are peers under the flows: none reaches sideways into another.
        own = where.split("/")[1]
        peers = {f"kiosk.{p}" for p in ("reader", "facecheck", "sync") if p != own}
        sideways = {m for m in mods if m.startswith(tuple(peers))}
        assert not sideways, f"{where} reaches sideways into {sideways}"
    if where.startswith("kiosk/flows/"):
        own = {m for m in mods if top(m) == "kiosk"}
        outside = {m for m in own if not m.startswith(FLOWS_MAY_USE)}
        assert not outside, f"flows use the layers below them only, not {outside}"


def test_flows_are_checked() -> None:
    """The flows rule above runs on real files (a renamed package would silently skip it)."""
    assert any(rel(p).startswith("kiosk/flows/") for p in KIOSK)


@pytest.mark.parametrize("package", ["cardadmin", "appdata", "lcmp"])
def test_shared_contracts_stand_alone(package: str) -> None:
    """What kiosk and central share depends on neither (nor on the test card)."""
    for path in (ROOT / package).rglob("*.py"):
        assert not {top(m) for m in imports(path)} & {"kiosk", "cardemu", "central"}, rel(path)


def test_central_never_imports_the_kiosk() -> None:
    for path in (ROOT / "central").rglob("*.py"):
        assert not {top(m) for m in imports(path)} & {"kiosk", "cardemu", "demo"}, rel(path)


def test_the_check_sees_violations(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from smartcard import scard\nimport PySide6.QtWidgets\n", encoding="utf-8")
    assert imports(bad) == {"smartcard", "PySide6.QtWidgets"}


def test_a_relative_import_is_flagged(tmp_path: Path) -> None:
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text("from ..ui import screens\n", encoding="utf-8")
    with pytest.raises(AssertionError, match="relative import"):
        imports(sneaky)
