"""PIN entry rules the touch keypad checks on every key press, before the card is touched.

The card holds four PINs (CARD.md §3.1, §4, §6; ANCHORS.md §0):

| kind      | on the card                       | format          | tries | reset at                |
|-----------|-----------------------------------|-----------------|-------|-------------------------|
| `SIGN`    | 署名用パスワード (EF 001B)         | 6–16 of A–Z 0–9 | 5     | counter, reset terminal |
| `AUTH`    | 利用者証明用 PIN (EF 0018)         | 4 digits        | 3     | counter, reset terminal |
| `JUKI`    | 住基 PIN (EF 001C)                 | 4 digits        | 3     | counter                 |
| `KENHOJO` | 券面事項入力補助用 PIN (EF 0011)    | 4 digits        | 3     | counter                 |

The tries of the 住基 and 券面事項入力補助 PINs come from municipal pages, not from the card
(CARD.md §13): the counter the card reports (`PinStatus`) always wins over `max_tries`.
Lower-case letters typed for the signing PIN are upper-cased, as every client does (CARD.md §3.1).
A PIN-reset terminal (face check) needs the other JPKI PIN, so with both JPKI PINs locked only
the counter remains (ANCHORS.md §0, §4).

Policy for NEW PINs only (choosing, changing, resetting). Entering a PIN the card already holds is
checked against the card's format and nothing else: the card accepts what it holds, and refusing
it here would lock the person out of their own card.

- Signing PIN: at least one letter and one digit. This is the J-LIS rule residents are told
  (ANCHORS.md §0 [JP-chigasaki] [JP-fukuoka] [JP-takamori]), not ours; NIST SP 800-63B advises
  against composition rules, so the kiosk adds none of its own.
- Refused as too easy to guess, after NIST SP 800-63B (memorized secret verifiers, §5.1.1.2 of
  revision 3): new secrets are compared with values that are "commonly-used, expected, or
  compromised", naming "repetitive or sequential characters (e.g. 'aaaaaa', '1234abcd')" and
  context-specific values. We keep the list small and explainable in one sentence on screen:
  - a repeated character or pattern: 0000, 1212, A1A1A1, ABC1ABC1;
  - a run up or down by one: 1234, 9876 (no wrap-around: 7890 stays allowed);
  - signing PIN: a letter block and a digit block, each a run or a repeat, in either order
    (ABC123, AAA111, 123ABC, A12345) — NIST's '1234abcd' shape;
  - when the flow passes the holder's date of birth (read from the card, 基本4情報): a 4-digit
    PIN equal to the birth year YYYY, MMDD, or YYMM (Gregorian or Japanese era year, the way
    照合番号B writes it, CARD.md §5); a signing PIN whose digits, read in order, are one of
    those forms or YYMMDD / YYYYMMDD (TARO1980, S550217), or that contains the 6- or 8-digit
    date. DDMM is not refused: Japanese dates run year-month-day.
  Without a birth date 114 of the 10,000 four-digit PINs (1.1 %) are refused; a birth date adds
  at most four. Dictionary words and names are not checked: we have no defensible list for A–Z
  passwords, and the names on the card are in kanji.

Nothing here copies a PIN: checks index the live `bytearray` (a slice would copy it), and the
confirmation uses `hmac.compare_digest`, which reads both buffers in place.
"""

from __future__ import annotations

import enum
import hmac
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from kiosk.domain.coded import Coded
from kiosk.domain.secret import Secret

DIGITS = b"0123456789"
LETTERS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_NOTHING = b""


class ResetPlace(enum.StrEnum):
    COUNTER = "counter"  # the municipal counter: ID check by staff, then a new PIN
    UNATTENDED_TERMINAL = "unattended_terminal"  # a PIN-reset terminal with a face check


@dataclass(frozen=True)
class PinFormat:
    min_length: int
    max_length: int
    alphabet: bytes  # in keypad order
    max_tries: int
    letter_and_digit: bool  # a new PIN needs at least one of each
    reset_at: tuple[ResetPlace, ...]


_JPKI_RESET = (ResetPlace.COUNTER, ResetPlace.UNATTENDED_TERMINAL)
# 住基 and 券面事項入力補助 PINs cannot be reset at a store terminal (ANCHORS.md §0 [JP-niigata]).
_COUNTER_ONLY = (ResetPlace.COUNTER,)


class PinKind(enum.Enum):
    SIGN = "sign"  # 署名用電子証明書のパスワード
    AUTH = "auth"  # 利用者証明用電子証明書の暗証番号
    JUKI = "juki"  # 住民基本台帳用暗証番号
    KENHOJO = "kenhojo"  # 券面事項入力補助用暗証番号
    # 照合番号B: date of birth (era YYMMDD), expiry year, security code — printed on the card,
    # keyed in by staff to open the 券面 APs when the resident's PIN cannot be used (CARD.md §4, §5).
    CODE_B = "code_b"

    @property
    def format(self) -> PinFormat:
        return _FORMATS[self]

    @property
    def label(self) -> str:
        """English name used inside messages (the UI translates the whole message)."""
        return _LABELS[self]


_FORMATS = {
    PinKind.SIGN: PinFormat(6, 16, LETTERS + DIGITS, 5, True, _JPKI_RESET),
    PinKind.AUTH: PinFormat(4, 4, DIGITS, 3, False, _JPKI_RESET),
    PinKind.JUKI: PinFormat(4, 4, DIGITS, 3, False, _COUNTER_ONLY),
    PinKind.KENHOJO: PinFormat(4, 4, DIGITS, 3, False, _COUNTER_ONLY),
    PinKind.CODE_B: PinFormat(14, 14, DIGITS, 10, False, _COUNTER_ONLY),
}
_LABELS = {
    PinKind.SIGN: "signing PIN",
    PinKind.AUTH: "user authentication PIN",
    PinKind.JUKI: "resident registry PIN",
    PinKind.KENHOJO: "card information entry PIN",
    PinKind.CODE_B: "verification number B",
}


class PinUse(enum.Enum):
    CURRENT = "current"  # a PIN the card holds: the card's format only
    NEW = "new"  # a PIN being chosen: the card's format plus the kiosk's policy


class PinIssue(Coded):
    """Issue code → plain-language message (the UI translates the English text), most important first."""

    CHARACTER_NOT_ALLOWED = "Only the keys shown on the keypad can be used."
    TOO_LONG = "This is too long."
    TOO_SHORT = "This is too short."
    NEEDS_LETTER_AND_DIGIT = "Use at least one letter and at least one digit."
    TRIVIAL_PATTERN = (
        "This is too easy to guess. Avoid repeated characters (1111, 1212) and runs (1234, ABC123)."
    )
    TRIVIAL_BIRTH_DATE = "This is too easy to guess. Do not use your date of birth."
    MISMATCH = "The two entries are different. Please enter the new PIN again."

    @property
    def message(self) -> str:
        return self.value

    @property
    def live(self) -> bool:
        """Shown while the person types. TOO_SHORT and MISMATCH only mean something once they
        press OK; flashing them at every key press would only nag."""
        return self not in (PinIssue.TOO_SHORT, PinIssue.MISMATCH)


@dataclass(frozen=True)
class EntryState:
    """What the keypad shows after a key press. Holds no PIN character."""

    length: int
    allowed_next: bytes  # keys the keypad enables next, in keypad order; empty when full
    complete: bool  # length within the format: the OK key may be enabled
    issues: tuple[PinIssue, ...]

    @property
    def valid(self) -> bool:
        return not self.issues

    @property
    def live_issues(self) -> tuple[PinIssue, ...]:
        return tuple(i for i in self.issues if i.live)

    def accept(self, key: int) -> int | None:
        """The byte to append for a pressed key (a–z become A–Z where letters are allowed), or
        None when the keypad must ignore it now."""
        if 0x61 <= key <= 0x7A and key - 0x20 in self.allowed_next:
            return key - 0x20
        return key if key in self.allowed_next else None


def check_entry(
    kind: PinKind,
    entry: Secret | bytearray,
    use: PinUse = PinUse.CURRENT,
    *,
    birth_date: date | None = None,
) -> EntryState:
    """The state of the entry as it stands; call it after every key press.

    `birth_date` (the holder's, from the card) turns on the birth-date check for NEW PINs.
    """
    buf = _buffer(entry)
    fmt = kind.format
    n = len(buf)
    issues: list[PinIssue] = []
    alien = any(b not in fmt.alphabet for b in buf)
    if alien:
        issues.append(PinIssue.CHARACTER_NOT_ALLOWED)
    if n > fmt.max_length:
        issues.append(PinIssue.TOO_LONG)
    elif n < fmt.min_length:
        issues.append(PinIssue.TOO_SHORT)
    complete = fmt.min_length <= n <= fmt.max_length
    missing = _missing_classes(buf) if use is PinUse.NEW and fmt.letter_and_digit else _NOTHING
    if missing:
        issues.append(PinIssue.NEEDS_LETTER_AND_DIGIT)
    # Judged on a whole PIN only: "12" on the way to "1290" is not a run of anything yet.
    if use is PinUse.NEW and complete and not alien:
        if _trivial_pattern(buf, two_blocks=fmt.letter_and_digit):
            issues.append(PinIssue.TRIVIAL_PATTERN)
        if birth_date is not None and _birth_date_like(buf, birth_date, whole_only=fmt.alphabet == DIGITS):
            issues.append(PinIssue.TRIVIAL_BIRTH_DATE)
    return EntryState(n, _allowed_next(fmt, n, missing), complete, tuple(issues))


def check_confirmation(kind: PinKind, first: Secret | bytearray, second: Secret | bytearray) -> EntryState:
    """The second entry of a new PIN: same keypad, and MISMATCH until it equals the first."""
    buf = _buffer(second)
    fmt = kind.format
    n = len(buf)
    issues: list[PinIssue] = []
    if any(b not in fmt.alphabet for b in buf):
        issues.append(PinIssue.CHARACTER_NOT_ALLOWED)
    if n > fmt.max_length:
        issues.append(PinIssue.TOO_LONG)
    elif n < fmt.min_length:
        issues.append(PinIssue.TOO_SHORT)
    if not entries_match(first, second):
        issues.append(PinIssue.MISMATCH)
    complete = fmt.min_length <= n <= fmt.max_length
    return EntryState(n, _allowed_next(fmt, n, _NOTHING), complete, tuple(issues))


def entries_match(first: Secret | bytearray, second: Secret | bytearray) -> bool:
    """Constant time in the content (only the lengths show), on the live buffers: compare_digest
    takes bytes-like objects through the buffer protocol, so neither PIN is copied."""
    return hmac.compare_digest(_buffer(first), _buffer(second))


def normalize(kind: PinKind, entry: Secret | bytearray) -> None:
    """Upper-case a signing PIN in place, for entries that did not come through `accept` (a
    hardware keyboard); the card knows only A–Z0–9."""
    if LETTERS[0] not in kind.format.alphabet:
        return
    buf = _buffer(entry)
    for i, b in enumerate(buf):
        if 0x61 <= b <= 0x7A:
            buf[i] = b - 0x20


# -- tries left ----------------------------------------------------------------------------------


class PinCounter(Protocol):
    """What `kiosk.reader.session.PinStatus` offers (the domain cannot import the reader)."""

    @property
    def tries_left(self) -> int | None: ...

    @property
    def blocked(self) -> bool: ...


class TriesLevel(enum.Enum):
    NORMAL = "normal"
    WARNING = "warning"  # one try left: the next wrong PIN locks it
    BLOCKED = "blocked"


@dataclass(frozen=True)
class TriesNotice:
    level: TriesLevel
    tries_left: int | None
    message: str | None  # None: nothing to say (counter full or not reported)
    reset_at: tuple[ResetPlace, ...]  # where a locked PIN is reset; empty at NORMAL


def tries_notice(kind: PinKind, status: PinCounter, *, other_pin_blocked: bool = False) -> TriesNotice:
    """The line shown above the keypad. Counts are mentioned only after a wrong entry (the
    counter below its maximum): before that they only alarm people (ANCHORS.md §3).

    `other_pin_blocked`: the other JPKI PIN is locked too, so a PIN-reset terminal cannot help
    (it checks the other PIN). Not for the user authentication PIN of a face-auth card: that
    one is locked on purpose.
    """
    fmt = kind.format
    reset_at = fmt.reset_at
    if other_pin_blocked and kind in OTHER_JPKI_PIN:
        reset_at = _COUNTER_ONLY
    left = status.tries_left
    if status.blocked or left == 0:
        return TriesNotice(TriesLevel.BLOCKED, 0, _blocked_message(kind, reset_at), reset_at)
    if left == 1:
        return TriesNotice(TriesLevel.WARNING, 1, _warning_message(kind, reset_at), reset_at)
    if left is None or left >= fmt.max_tries:
        return TriesNotice(TriesLevel.NORMAL, left, None, ())
    return TriesNotice(TriesLevel.NORMAL, left, f"{left} tries left for the {kind.label}.", ())


OTHER_JPKI_PIN = {PinKind.SIGN: PinKind.AUTH, PinKind.AUTH: PinKind.SIGN}


def _where(kind: PinKind, reset_at: tuple[ResetPlace, ...]) -> str:
    counter = "at the municipal counter (bring your card and an identity document)"
    if ResetPlace.UNATTENDED_TERMINAL in reset_at:
        other = OTHER_JPKI_PIN[kind].label
        return f"{counter}, or at a PIN-reset terminal with a face check and your {other}"
    return counter


def _warning_message(kind: PinKind, reset_at: tuple[ResetPlace, ...]) -> str:
    return (
        f"One try left: a wrong {kind.label} now locks it, and you will need to reset it "
        f"{_where(kind, reset_at)}. If you are not sure of it, stop here."
    )


def _blocked_message(kind: PinKind, reset_at: tuple[ResetPlace, ...]) -> str:
    return (
        f"The {kind.label} is locked after too many wrong entries. "
        f"You can set a new one {_where(kind, reset_at)}."
    )


# -- helpers: all read the buffer in place ---------------------------------------------------------


def _buffer(entry: Secret | bytearray) -> bytearray:
    if isinstance(entry, Secret):
        return entry.reveal()
    if isinstance(entry, bytearray):
        return entry
    # str and bytes are immutable copies that cannot be wiped: refuse them outright.
    raise TypeError("a PIN entry is a Secret or a bytearray")


def _missing_classes(buf: bytearray) -> bytes:
    """The alphabet of each class (letters, digits) the entry still lacks."""
    has_letter = any(b in LETTERS for b in buf)
    has_digit = any(b in DIGITS for b in buf)
    return (_NOTHING if has_letter else LETTERS) + (_NOTHING if has_digit else DIGITS)


def _allowed_next(fmt: PinFormat, n: int, missing: bytes) -> bytes:
    if n >= fmt.max_length:
        return _NOTHING
    # Last free place and one class still missing: offer only that class, so a long signing PIN
    # cannot type itself into a dead end.
    if n == fmt.max_length - 1 and missing in (LETTERS, DIGITS):
        return missing
    return fmt.alphabet


def _is_digit(b: int) -> bool:
    return 0x30 <= b <= 0x39


def _simple_run(buf: bytearray, start: int, end: int) -> bool:
    """buf[start:end] (not sliced) is one character repeated, or steps up or down by one."""
    if end - start <= 1:
        return True
    step = buf[start + 1] - buf[start]
    if step not in (-1, 0, 1):
        return False
    return all(buf[i + 1] - buf[i] == step for i in range(start, end - 1))


def _repeated_unit(buf: bytearray) -> bool:
    """The whole entry is a shorter unit written two or more times (1212, A1A1A1)."""
    n = len(buf)
    return any(
        n % unit == 0 and all(buf[i] == buf[i % unit] for i in range(n)) for unit in range(1, n // 2 + 1)
    )


def _class_blocks(buf: bytearray) -> Iterator[tuple[int, int]]:
    """(start, end) of each maximal stretch of letters or of digits."""
    start = 0
    for i in range(1, len(buf) + 1):
        if i == len(buf) or _is_digit(buf[i]) != _is_digit(buf[start]):
            yield start, i
            start = i


def _trivial_pattern(buf: bytearray, *, two_blocks: bool) -> bool:
    if _repeated_unit(buf) or _simple_run(buf, 0, len(buf)):
        return True
    if not two_blocks:
        return False
    blocks = list(_class_blocks(buf))
    return len(blocks) == 2 and all(_simple_run(buf, s, e) for s, e in blocks)


# (first day of the era, Gregorian year of its year 1); 明治 counts from the start of 1868.
_ERAS = (
    (date(2019, 5, 1), 2019),  # 令和
    (date(1989, 1, 8), 1989),  # 平成
    (date(1926, 12, 25), 1926),  # 昭和
    (date(1912, 7, 30), 1912),  # 大正
    (date(1868, 1, 1), 1868),  # 明治
)


def _era_year(day: date) -> int | None:
    for first_day, base in _ERAS:
        if day >= first_day:
            return day.year - base + 1
    return None


def _birth_date_forms(day: date) -> tuple[tuple[bytes, ...], tuple[bytes, ...]]:
    """(4-digit forms, 6- and 8-digit forms) of a date of birth."""
    mm, dd = f"{day.month:02d}", f"{day.day:02d}"
    years = [f"{day.year % 100:02d}"]
    era = _era_year(day)
    if era is not None:
        years.append(f"{era % 100:02d}")
    short = {f"{day.year:04d}", mm + dd} | {yy + mm for yy in years}
    long = {f"{day.year:04d}{mm}{dd}"} | {yy + mm + dd for yy in years}
    return tuple(s.encode() for s in sorted(short)), tuple(s.encode() for s in sorted(long))


def _digits_are(buf: bytearray, form: bytes) -> bool:
    """The entry's digits, read in order and not collected anywhere, are exactly `form`."""
    k = 0
    for b in buf:
        if _is_digit(b):
            if k == len(form) or b != form[k]:
                return False
            k += 1
    return k == len(form)


def _birth_date_like(buf: bytearray, day: date, *, whole_only: bool) -> bool:
    short, long = _birth_date_forms(day)
    if whole_only:
        return any(_digits_are(buf, form) for form in short)
    # bytearray.__contains__ searches the buffer in place (no copy of the PIN).
    return any(_digits_are(buf, form) for form in short + long) or any(form in buf for form in long)
