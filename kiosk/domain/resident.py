"""The resident's 基本4情報 as the card holds them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import Enum


class Sex(Enum):
    """ISO/IEC 5218 codes, as on the card (DF 25 / DF 23)."""

    NOT_KNOWN = "0"
    MALE = "1"
    FEMALE = "2"
    NOT_APPLICABLE = "9"


@dataclass(frozen=True)
class BasicFourInfo:
    name: str  # family and given name separated by U+3000
    address: str
    birth_date: date
    sex: Sex

    def __repr__(self) -> str:  # personal data stays out of logs and tracebacks
        return "BasicFourInfo(<personal data>)"


def parse_yyyymmdd(text: str) -> date:
    if len(text) != 8 or not text.isascii() or not text.isdigit():
        raise ValueError("expected an 8-digit YYYYMMDD date")
    return date(int(text[:4]), int(text[4:6]), int(text[6:]))
