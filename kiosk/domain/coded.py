"""Enums of reasons and issues shown to people: the member's lower-cased name is its stable code
(what logs, records and the UI's translations key on); the English text is the UI's source."""

from __future__ import annotations

import enum


class Coded(enum.Enum):
    @property
    def code(self) -> str:
        return self.name.lower()


class CodedText(Coded):
    """The member's value is its plain-English text."""

    @property
    def text(self) -> str:
        return str(self.value)
