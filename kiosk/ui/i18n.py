"""Translations: install and switch the UI language at run time.

Source strings are **English**; Japanese (the default language of the kiosk) is a translation in
`resources/i18n/kiosk_ja.ts`. Why English and not Japanese source text:

- the lower layers already write their messages in English (`PinIssue`, `QualityIssue`, the tries
  notices): with English sources the UI's table keys on the same text and a test can hold the two
  together (kiosk/ui/texts.py); a second source language would break that link;
- `pyside6-lupdate` output and its diffs stay ASCII on the source side, readable by every developer;
  a reviewer of the Japanese reads source and translation side by side in one file (or Linguist);
- no catalogue is needed for English itself: switching to English removes the translator.

No plural forms (`%n`): `pyside6-lupdate`'s Python parser marks a message as plural only when the
count is a literal, so plurals could not be extracted reliably. Sentences are written so that a
number reads right for every value it takes (`%1`-style markers, filled by `texts.arg`).

Strings are marked with `QCoreApplication.translate("Context", "text")` (or `QT_TRANSLATE_NOOP` in
tables) with a fixed, literal context and text, not `self.tr()`: PySide's `tr()` takes the context
from the object's runtime class, so a subclass would look up a context lupdate never extracted,
and lupdate silently skips a call whose arguments are not literals. A translator comment is a
`#:` line just before the call. tools/update_translations.py extracts and compiles;
tests/ui/test_i18n.py fails when the `.ts` is out of date, a call escaped extraction, a message is
unfinished, or the committed `.qm` differs from what lrelease makes of the `.ts`.

Widgets retranslate themselves: installing a translator sends every widget a `LanguageChange`
event, and each widget of kiosk/ui re-sets its texts in `changeEvent` (the `retranslate()` method).
"""

from __future__ import annotations

import enum
import logging
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLocale, QTranslator

_log = logging.getLogger(__name__)

TRANSLATIONS_DIR = Path(__file__).resolve().parents[2] / "resources" / "i18n"


class Language(enum.Enum):
    JA = "ja"
    EN = "en"

    @property
    def native_name(self) -> str:
        """Shown on the language buttons and never translated: a person who cannot read the
        current language must still find their own."""
        return {Language.JA: "日本語", Language.EN: "English"}[self]

    @property
    def locale(self) -> QLocale:
        return QLocale(self.value)


DEFAULT_LANGUAGE = Language.JA


SOURCE_LANGUAGE = Language.EN  # the strings in the code: no catalogue


def qm_path(language: Language, directory: Path = TRANSLATIONS_DIR) -> Path:
    return directory / f"kiosk_{language.value}.qm"


class Translations:
    """The application's one kiosk translator. `switch()` is what the language buttons and the
    session reset (back to `DEFAULT_LANGUAGE`) call."""

    def __init__(self, app: QCoreApplication, directory: Path = TRANSLATIONS_DIR) -> None:
        self._app = app
        self._directory = directory
        self._translator: QTranslator | None = None
        self._language: Language | None = None

    @property
    def language(self) -> Language | None:
        return self._language

    def switch(self, language: Language) -> None:
        """Show `language`; every widget gets a LanguageChange event and retranslates.

        Raises FileNotFoundError when its .qm cannot be loaded: a kiosk missing its translations
        must fail at start-up, not show half-translated screens. The old language stays then.
        """
        if language is self._language:
            return
        translator: QTranslator | None = None
        if language is not SOURCE_LANGUAGE:
            path = qm_path(language, self._directory)
            translator = QTranslator(self._app)
            if not translator.load(str(path)):
                raise FileNotFoundError(f"cannot load the {language.value} translation {path}")
        # Each of these sends LanguageChange to every widget: they retranslate.
        self._remove()
        if translator is not None:
            self._app.installTranslator(translator)
        QLocale.setDefault(language.locale)  # numbers and dates follow the language
        self._translator, self._language = translator, language
        _log.info("UI language: %s", language.value)

    def uninstall(self) -> None:
        """Remove the translator (back to the source strings and their locale) and forget the
        language: nothing of it may outlive its owner (dates and numbers follow the locale too)."""
        self._remove()
        if self._language is not None:
            QLocale.setDefault(SOURCE_LANGUAGE.locale)
        self._translator, self._language = None, None

    def _remove(self) -> None:
        if self._translator is not None:
            self._app.removeTranslator(self._translator)
            self._translator.deleteLater()
