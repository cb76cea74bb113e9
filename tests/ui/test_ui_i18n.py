"""Translations: the committed .ts/.qm are complete and current, and widgets switch language live."""

from __future__ import annotations

import ast
import importlib.util
import shutil
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType

import pytest
from PySide6.QtCore import QCoreApplication, QLocale

from kiosk.domain.pin_rules import PinKind
from kiosk.reader.session import PinStatus
from kiosk.ui.card_prompt import CardPrompt, ReaderState
from kiosk.ui.i18n import DEFAULT_LANGUAGE, SOURCE_LANGUAGE, Language, Translations, qm_path
from kiosk.ui.idle import IdleController, IdleCountdown
from kiosk.ui.keypad import PinKeypad
from kiosk.ui.status import StatusLine
from kiosk.ui.theme import Metrics, State

ROOT = Path(__file__).resolve().parents[2]
UI = ROOT / "kiosk" / "ui"
I18N = ROOT / "resources" / "i18n"


def _load_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "update_translations", ROOT / "tools" / "update_translations.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


tool = _load_tool()


def _ts_messages(path: Path) -> set[tuple[str, str]]:
    root = ET.parse(path).getroot()
    return {
        (context.findtext("name", ""), message.findtext("source", ""))
        for context in root.iter("context")
        for message in context.iter("message")
    }


# -- the committed catalogue -----------------------------------------------------------------------


def test_the_ts_is_what_lupdate_makes_of_the_sources() -> None:
    stale = [p for p in tool.problems(I18N, UI) if "out of date" in p or "missing" in p]
    assert not stale, "run tools/update_translations.py: " + "; ".join(stale)


def test_every_message_is_translated() -> None:
    todo = tool.unfinished(tool.ts_file("ja", I18N))
    assert not todo, "translate in resources/i18n/kiosk_ja.ts: " + "; ".join(todo)


def test_the_qm_is_what_lrelease_makes_of_the_ts() -> None:
    assert not [p for p in tool.problems(I18N, UI) if ".qm" in p]


def _literal(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _translatable_calls(ui: Path = UI) -> tuple[set[tuple[str, str]], list[str]]:
    """(context, source) of every QCoreApplication.translate()/QT_TRANSLATE_NOOP in kiosk/ui, and
    the calls lupdate cannot read: tr() (lupdate and PySide disagree on its context), a
    non-literal context, or a non-literal text that no QT_TRANSLATE_NOOP table of that context
    in the same file marks for extraction."""
    found: set[tuple[str, str]] = set()
    bad: list[str] = []
    for path in sorted(ui.rglob("*.py")):
        where = path.relative_to(ui)
        calls: list[tuple[str, ast.Call]] = []
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if isinstance(func, ast.Name) and func.id in ("tr", "QT_TRANSLATE_NOOP"):
                calls.append((func.id, node))
            elif isinstance(func, ast.Attribute) and func.attr == "tr":
                calls.append(("tr", node))
            elif (
                isinstance(func, ast.Attribute)
                and func.attr == "translate"
                and isinstance(func.value, ast.Name)
                and func.value.id == "QCoreApplication"
            ):
                calls.append(("translate", node))
        tables: set[str] = set()
        looked_up: list[tuple[str, int]] = []
        for name, node in calls:
            if name == "tr":
                bad.append(
                    f"{where}:{node.lineno}: tr() (use QCoreApplication.translate with a literal context)"
                )
                continue
            context = _literal(node.args[0]) if node.args else None
            text = _literal(node.args[1]) if len(node.args) > 1 else None
            if context is None:
                bad.append(f"{where}:{node.lineno}: {name}() with a non-literal context")
            elif text is not None:
                found.add((context, text))
                if name == "QT_TRANSLATE_NOOP":
                    tables.add(context)
            elif name == "QT_TRANSLATE_NOOP":
                bad.append(f"{where}:{node.lineno}: QT_TRANSLATE_NOOP() with a non-literal text")
            else:
                looked_up.append((context, node.lineno))
        bad += [
            f"{where}:{line}: translate({c!r}, <variable>) with no table"
            for c, line in looked_up
            if c not in tables
        ]
    return found, bad


def test_every_translatable_call_is_extracted() -> None:
    found, bad = _translatable_calls()
    assert not bad
    assert found  # the scan sees the calls at all
    assert found == _ts_messages(tool.ts_file("ja", I18N))


def test_the_scan_flags_what_lupdate_would_miss(tmp_path: Path) -> None:
    (tmp_path / "w.py").write_text(
        "from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication\n"
        'TABLE = {1: QT_TRANSLATE_NOOP("Table", "One")}\n'
        'ok = QCoreApplication.translate("Table", TABLE[1])\n'
        'plain = QCoreApplication.translate("Plain", "Words")\n'
        "def f(self, ctx, text):\n"
        '    self.tr("Guessed context")\n'
        '    QCoreApplication.translate(ctx, "Lost")\n'
        '    QCoreApplication.translate("Plain", text)\n'
        "    painter.translate(3, 4)\n",
        encoding="utf-8",
    )
    found, bad = _translatable_calls(tmp_path)
    assert found == {("Table", "One"), ("Plain", "Words")}
    assert [b.split(": ", 1)[1] for b in bad] == [
        "tr() (use QCoreApplication.translate with a literal context)",
        "translate() with a non-literal context",
        "translate('Plain', <variable>) with no table",
    ]


def test_the_check_finds_stale_and_unfinished_catalogues(tmp_path: Path) -> None:
    """The checks above can fail: a new string, an untranslated one, a tampered .qm."""
    i18n, ui = tmp_path / "i18n", tmp_path / "ui"
    shutil.copytree(I18N, i18n)
    ui.mkdir()
    (ui / "widget.py").write_text(
        'from PySide6.QtCore import QCoreApplication\n\nQCoreApplication.translate("Test", "New words")\n',
        encoding="utf-8",
    )
    problems = tool.problems(i18n, ui)
    assert any("out of date" in p for p in problems)
    tool.update(i18n, ui)  # now the .ts has the new string, untranslated
    assert tool.unfinished(tool.ts_file("ja", i18n)) == ["Test: New words"]
    assert any("unfinished: Test: New words" in p for p in tool.problems(i18n, ui))
    qm = tool.qm_file("ja", i18n)
    qm.write_bytes(qm.read_bytes() + b"\0")
    assert any("kiosk_ja.qm: differs" in p for p in tool.problems(i18n, ui))


# -- switching at run time -------------------------------------------------------------------------


def test_switching_language(qapp, translations: Translations) -> None:
    assert DEFAULT_LANGUAGE is Language.JA
    translations.switch(Language.JA)
    assert translations.language is Language.JA
    assert QCoreApplication.translate("PinKeypad", "OK") == "決定"
    translations.switch(Language.EN)
    assert translations.language is Language.EN
    assert QCoreApplication.translate("PinKeypad", "OK") == "OK"
    # The names on the language buttons never change.
    assert [lang.native_name for lang in Language] == ["日本語", "English"]


def test_a_missing_catalogue_fails_loudly_and_keeps_the_language(qapp, tmp_path: Path) -> None:
    translations = Translations(qapp, directory=tmp_path)
    try:
        with pytest.raises(FileNotFoundError, match="ja"):
            translations.switch(Language.JA)
        assert translations.language is None
        assert QCoreApplication.translate("PinKeypad", "OK") == "OK"
    finally:
        translations.uninstall()
    assert qm_path(Language.JA).exists()


def test_live_widgets_retranslate(qapp, qtbot, translations: Translations, metrics: Metrics) -> None:
    keypad = PinKeypad(PinKind.AUTH, metrics)
    keypad.set_counter(PinStatus(1))
    line = StatusLine()
    line.set_message(State.WARNING, "x")
    prompt = CardPrompt(metrics, animate=False)
    controller = IdleController(qapp)
    countdown = IdleCountdown(controller, metrics)
    for widget in (keypad, line, prompt, countdown):
        qtbot.addWidget(widget)
    assert keypad.ok.text() == "OK"
    assert keypad.prompt.text() == "Enter your user authentication PIN."

    translations.switch(Language.JA)
    qtbot.waitUntil(lambda: keypad.ok.text() == "決定")
    assert keypad.prompt.text() == "利用者証明用電子証明書の暗証番号を入力してください。"
    assert keypad.backspace.text() == "訂正"
    assert keypad.tries.text().startswith("残り1回です。")
    assert line.icon.accessibleName() == "注意"
    assert prompt.status.text().startswith("マイナンバーカードを")
    assert countdown.button.text() == "続ける"

    translations.switch(Language.EN)
    qtbot.waitUntil(lambda: keypad.ok.text() == "OK")
    assert prompt.state is ReaderState.READY and prompt.status.text().startswith("Insert your My Number card")
    assert countdown.title.text() == "Are you still there?"


def test_uninstall_restores_the_source_locale(qapp, translations: Translations) -> None:
    translations.switch(Language.JA)
    assert QLocale().language() is QLocale.Language.Japanese
    translations.uninstall()
    assert QLocale().language() is SOURCE_LANGUAGE.locale.language()
