"""Extract the UI's strings into resources/i18n/*.ts and compile them to the committed .qm files.

    .venv/bin/python tools/update_translations.py           # lupdate, then lrelease, in place
    .venv/bin/python tools/update_translations.py --check   # change nothing; exit 1 if anything is
                                                            # stale or untranslated (the UI tests
                                                            # run the same checks)

Workflow: write `QCoreApplication.translate("Context", "English text")` in kiosk/ui/, run this,
translate the new `type="unfinished"` messages of kiosk_ja.ts (Qt Linguist: `pyside6-linguist
resources/i18n/kiosk_ja.ts`, or by hand), run it again to compile, commit .ts and .qm together.
English is the source language and has no catalogue (kiosk/ui/i18n.py says why).

The .ts files carry no source locations and sorted messages (`-locations none -sort-messages`),
so they change only when a string does, and a fresh lupdate of an up-to-date file is
byte-identical to it — which is what `--check` compares.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
UI_DIR = ROOT / "kiosk" / "ui"
I18N_DIR = ROOT / "resources" / "i18n"
LANGUAGES = ("ja",)  # English is the source: no catalogue


def _tool(name: str) -> str:
    beside = Path(sys.executable).parent / name  # the venv's PySide6 tools, matching its Qt
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        raise SystemExit(f"{name} not found (install PySide6 in this environment)")
    return found


def sources(ui_dir: Path = UI_DIR) -> list[Path]:
    """Every Python file of the UI. Passed one by one: lupdate's directory scan skips .py."""
    return sorted(ui_dir.rglob("*.py"))


def ts_file(language: str, directory: Path = I18N_DIR) -> Path:
    return directory / f"kiosk_{language}.ts"


def qm_file(language: str, directory: Path = I18N_DIR) -> Path:
    return directory / f"kiosk_{language}.qm"


def lupdate(ts: Path, language: str, files: list[Path]) -> None:
    """Merge the strings of `files` into `ts` (created if missing); vanished strings are dropped."""
    args = [_tool("pyside6-lupdate"), "-silent", "-no-obsolete", "-locations", "none", "-sort-messages"]
    args += ["-source-language", "en", "-target-language", language]
    subprocess.run([*args, *map(str, files), "-ts", str(ts)], check=True)  # noqa: S603 (our own tool)


def lrelease(ts: Path, qm: Path) -> None:
    subprocess.run([_tool("pyside6-lrelease"), "-silent", str(ts), "-qm", str(qm)], check=True)  # noqa: S603


def unfinished(ts: Path) -> list[str]:
    """`context: source` of every message without a finished translation."""
    root = ET.parse(ts).getroot()  # noqa: S314 (our own file, not untrusted input)
    found = []
    for context in root.iter("context"):
        name = context.findtext("name", "")
        for message in context.iter("message"):
            label = f"{name}: {message.findtext('source', '')}"
            translation = message.find("translation")
            # type is "unfinished", "vanished" or "obsolete": none of them ships.
            if translation is None or translation.get("type") is not None:
                found.append(label)
                continue
            forms = list(translation) if message.get("numerus") == "yes" else [translation]
            if not forms or not all((form.text or "").strip() for form in forms):
                found.append(label)
    return found


def problems(directory: Path = I18N_DIR, ui_dir: Path = UI_DIR) -> list[str]:
    """What `--check` reports: a .ts that lupdate would change, an unfinished message, a .qm
    missing or different from lrelease's output. Changes nothing in `directory`."""
    found: list[str] = []
    files = sources(ui_dir)
    with tempfile.TemporaryDirectory() as tmp:
        for language in LANGUAGES:
            ts, qm = ts_file(language, directory), qm_file(language, directory)
            if not ts.exists():
                found.append(f"{ts.name}: missing")
                continue
            fresh_ts = Path(tmp) / ts.name
            shutil.copyfile(ts, fresh_ts)
            lupdate(fresh_ts, language, files)
            if fresh_ts.read_bytes() != ts.read_bytes():
                found.append(f"{ts.name}: out of date with the sources (run tools/update_translations.py)")
            found.extend(f"{ts.name}: unfinished: {m}" for m in unfinished(ts))
            fresh_qm = Path(tmp) / qm.name
            lrelease(ts, fresh_qm)
            if not qm.exists():
                found.append(f"{qm.name}: missing")
            elif qm.read_bytes() != fresh_qm.read_bytes():
                found.append(f"{qm.name}: differs from lrelease {ts.name} (run tools/update_translations.py)")
    return found


def update(directory: Path = I18N_DIR, ui_dir: Path = UI_DIR) -> list[str]:
    """Extract and compile in place; returns the unfinished messages still to translate."""
    directory.mkdir(parents=True, exist_ok=True)
    files = sources(ui_dir)
    todo: list[str] = []
    for language in LANGUAGES:
        ts = ts_file(language, directory)
        lupdate(ts, language, files)
        lrelease(ts, qm_file(language, directory))
        todo.extend(f"{ts.name}: {m}" for m in unfinished(ts))
    return todo


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--check", action="store_true", help="report stale or untranslated files, change nothing"
    )
    args = parser.parse_args(argv)
    if args.check:
        found = problems()
        for line in found:
            print(line)
        return 1 if found else 0
    todo = update()
    for line in todo:
        print(f"to translate: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
