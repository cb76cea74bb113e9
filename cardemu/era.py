"""Japanese-era dates as the card uses them: the 生年月日 key, 照合番号B, the sign-cert SAN.

CARD.md §5: the birth-date key (kenkaku 0011) is `YYMMDD` with the *era* year; 照合番号B is that,
the Gregorian expiry year and the 4-digit security code (14 digits). The 署名用 certificate writes
the birth date as `E` + `YYYYMMDD` with E the era code (1 明治 … 5 令和).
"""

from __future__ import annotations

from datetime import date
from typing import NamedTuple


class Era(NamedTuple):
    name: str
    code: int  # as in the 1.2.392.200149.8.5.5.4 SAN value
    start: date  # first day of the era (Gregorian)


ERAS: tuple[Era, ...] = (  # newest first
    Era("令和", 5, date(2019, 5, 1)),
    Era("平成", 4, date(1989, 1, 8)),
    Era("昭和", 3, date(1926, 12, 25)),
    Era("大正", 2, date(1912, 7, 30)),
    Era("明治", 1, date(1868, 1, 25)),
)


def era_of(day: date) -> tuple[Era, int]:
    """The era `day` falls in and the year within it (元年 = 1)."""
    for era in ERAS:
        if day >= era.start:
            return era, day.year - era.start.year + 1
    raise ValueError(f"{day} predates the Meiji era")


def parse_yyyymmdd(text: str) -> date:
    if len(text) != 8 or not text.isascii() or not text.isdigit():
        raise ValueError(f"expected YYYYMMDD, got {text!r}")
    return date(int(text[:4]), int(text[4:6]), int(text[6:]))


def era_yymmdd(day: date) -> str:
    """The 6-digit 生年月日 key: era year, month, day."""
    _era, year = era_of(day)
    if year > 99:
        raise ValueError(f"era year {year} of {day} does not fit two digits")
    return f"{year:02d}{day.month:02d}{day.day:02d}"


def pin_b(birth: date, expiry_year: int, security_code: str) -> str:
    """照合番号B: era `YYMMDD` ‖ Gregorian expiry year ‖ security code (14 digits, CARD.md §5)."""
    if len(security_code) != 4 or not security_code.isascii() or not security_code.isdigit():
        raise ValueError("security code must be 4 digits")
    if not 1000 <= expiry_year <= 9999:
        raise ValueError("expiry year must have 4 digits")
    return f"{era_yymmdd(birth)}{expiry_year:04d}{security_code}"


def san_birth_date(birth: date) -> str:
    """The sign-cert SAN birth date: era code ‖ Gregorian YYYYMMDD (e.g. `419900102`)."""
    era, _year = era_of(birth)
    return f"{era.code}{birth:%Y%m%d}"
