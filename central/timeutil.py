"""Time: the database and certificates use UTC; ledger days and ages are Japanese calendar days."""

from __future__ import annotations

import datetime as dt

JST = dt.timezone(dt.timedelta(hours=9), "JST")


def require_aware(when: dt.datetime) -> dt.datetime:
    """Naive datetimes are ambiguous across the kiosk (JST) and the database (UTC): refuse them."""
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError("timezone-aware datetime required")
    return when.astimezone(dt.UTC)


def jst_day(when: dt.datetime) -> dt.date:
    """The calendar day in Japan at `when` — what a ledger row, an age or an issue date refers to."""
    return require_aware(when).astimezone(JST).date()


def start_of_jst_day(day: dt.date) -> dt.datetime:
    """00:00 JST on `day`, in UTC: where a query by Japanese calendar day starts."""
    return dt.datetime.combine(day, dt.time(0, 0), JST).astimezone(dt.UTC)


def end_of_jst_day(day: dt.date) -> dt.datetime:
    """23:59:59 JST on `day`, in UTC: a validity that ends "on" a day ends at its last second."""
    return dt.datetime.combine(day, dt.time(23, 59, 59), JST).astimezone(dt.UTC)


def whole_seconds(when: dt.datetime) -> dt.datetime:
    """X.509 and CRL times have one-second resolution; store exactly what is signed."""
    return require_aware(when).replace(microsecond=0)
