"""PIN entry rules: live keypad state, new-PIN policy, confirmation, tries-left notices."""

from __future__ import annotations

from datetime import date
from itertools import product

import pytest

from kiosk.domain import pin_rules
from kiosk.domain.pin_rules import (
    DIGITS,
    LETTERS,
    PinIssue,
    PinKind,
    PinUse,
    ResetPlace,
    TriesLevel,
    check_confirmation,
    check_entry,
    entries_match,
    normalize,
    tries_notice,
)
from kiosk.domain.secret import Secret
from kiosk.reader.session import PinStatus

NEW = PinUse.NEW
BIRTH = date(1980, 2, 17)  # 昭和55: 照合番号B's example (CARD.md §5)
FOUR_DIGIT = [PinKind.AUTH, PinKind.JUKI, PinKind.KENHOJO]


class NoCopy(bytearray):
    """A PIN buffer that fails the test if the rules copy it out (slice, bytes(), str, decode)."""

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            raise AssertionError("sliced: a copy of the PIN")
        return super().__getitem__(index)

    def __bytes__(self) -> bytes:
        raise AssertionError("bytes(): an immutable copy of the PIN")

    def decode(self, *args, **kwargs):  # type: ignore[override]
        raise AssertionError("decoded: a str copy of the PIN")

    def __str__(self) -> str:
        raise AssertionError("str(): a copy of the PIN")

    __repr__ = __str__


def entry(text: str) -> Secret:
    return Secret(NoCopy(text.encode("ascii")))


def issues(kind: PinKind, text: str, use: PinUse = NEW, birth: date | None = None) -> tuple[PinIssue, ...]:
    return check_entry(kind, entry(text), use, birth_date=birth).issues


@pytest.mark.parametrize(
    ("kind", "lengths", "tries", "reset_at"),
    [
        (PinKind.SIGN, (6, 16), 5, (ResetPlace.COUNTER, ResetPlace.UNATTENDED_TERMINAL)),
        (PinKind.AUTH, (4, 4), 3, (ResetPlace.COUNTER, ResetPlace.UNATTENDED_TERMINAL)),
        (PinKind.JUKI, (4, 4), 3, (ResetPlace.COUNTER,)),
        (PinKind.KENHOJO, (4, 4), 3, (ResetPlace.COUNTER,)),
    ],
)
def test_formats(
    kind: PinKind, lengths: tuple[int, int], tries: int, reset_at: tuple[ResetPlace, ...]
) -> None:
    fmt = kind.format
    assert (fmt.min_length, fmt.max_length) == lengths
    assert fmt.max_tries == tries
    assert fmt.reset_at == reset_at
    assert fmt.alphabet == (LETTERS + DIGITS if kind is PinKind.SIGN else DIGITS)


@pytest.mark.parametrize("kind", FOUR_DIGIT)
def test_four_digits_typed_one_key_at_a_time(kind: PinKind) -> None:
    secret = Secret(NoCopy())
    states = []
    for key in b"1290":
        state = check_entry(kind, secret, NEW)
        byte = state.accept(key)
        assert byte == key
        secret.reveal().append(byte)
        states.append(check_entry(kind, secret, NEW))
    assert [s.complete for s in states] == [False, False, False, True]
    assert [s.issues for s in states[:3]] == [(PinIssue.TOO_SHORT,)] * 3
    assert all(s.live_issues == () for s in states)  # "too short" waits for OK
    assert states[2].allowed_next == DIGITS
    done = states[3]
    assert done.valid
    assert done.allowed_next == b""
    assert done.accept(ord("5")) is None  # full: the keypad ignores more keys
    assert done.length == 4


def test_digit_keypad_refuses_letters_and_symbols() -> None:
    state = check_entry(PinKind.AUTH, entry("12"))
    assert state.accept(ord("A")) is None
    assert state.accept(ord("a")) is None
    assert state.accept(ord("*")) is None
    assert state.accept(ord("7")) == ord("7")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1290", ()),
        ("0000", (PinIssue.TRIVIAL_PATTERN,)),
        ("7777", (PinIssue.TRIVIAL_PATTERN,)),
        ("1212", (PinIssue.TRIVIAL_PATTERN,)),  # a repeated pair
        ("1234", (PinIssue.TRIVIAL_PATTERN,)),
        ("6789", (PinIssue.TRIVIAL_PATTERN,)),
        ("9876", (PinIssue.TRIVIAL_PATTERN,)),
        ("3210", (PinIssue.TRIVIAL_PATTERN,)),
        ("7890", ()),  # no wrap-around
        ("1122", ()),
        ("1235", ()),
        ("123", (PinIssue.TOO_SHORT,)),  # a run is judged on a whole PIN only
        ("12345", (PinIssue.TOO_LONG,)),
        ("12A4", (PinIssue.CHARACTER_NOT_ALLOWED,)),
        ("１２９０", None),  # full-width digits: not ASCII, cannot even be encoded as typed
    ],
)
def test_new_four_digit_pins(text: str, expected: tuple[PinIssue, ...] | None) -> None:
    if expected is None:
        with pytest.raises(UnicodeEncodeError):
            entry(text)
        return
    for kind in FOUR_DIGIT:
        assert issues(kind, text) == expected


@pytest.mark.parametrize("text", ["0000", "1234", "1212", "0217", "1980"])
def test_existing_pins_are_never_judged_trivial(text: str) -> None:
    """The card accepts what it holds: entering it must not be refused for being weak."""
    for kind in FOUR_DIGIT:
        state = check_entry(kind, entry(text), PinUse.CURRENT, birth_date=BIRTH)
        assert state.valid, (kind, text)


def test_how_many_four_digit_pins_are_refused() -> None:
    """114 of 10,000 (the figure the module docstring gives), and at most four more with a birth date."""
    pins = ["".join(p) for p in product("0123456789", repeat=4)]
    refused = [p for p in pins if not check_entry(PinKind.AUTH, entry(p), NEW).valid]
    assert len(refused) == 114
    with_birth = [p for p in pins if not check_entry(PinKind.AUTH, entry(p), NEW, birth_date=BIRTH).valid]
    assert sorted(set(with_birth) - set(refused)) == ["0217", "1980", "5502", "8002"]


@pytest.mark.parametrize(
    ("birth", "refused", "allowed"),
    [
        (BIRTH, ["1980", "0217", "8002", "5502"], ["1702", "8017", "5517"]),  # DDMM allowed
        (date(1989, 1, 7), ["6401", "8901", "0107"], []),  # 昭和64 (last week of Showa)
        (date(1989, 1, 8), ["8901", "0108"], ["6401"]),  # 平成元年 (its "0101" is a pattern anyway)
        (date(1989, 3, 20), ["0103", "8903", "0320", "1989"], ["6403"]),  # 平成元年
        (date(2019, 4, 30), ["3104", "1904"], ["0104"]),  # 平成31
        (date(2019, 5, 1), ["0105", "1905", "0501"], ["3105"]),  # 令和元年
        (date(1926, 12, 24), ["1512"], ["0112"]),  # 大正15
    ],
)
def test_birth_date_for_four_digit_pins(birth: date, refused: list[str], allowed: list[str]) -> None:
    for text in refused:
        assert issues(PinKind.JUKI, text, birth=birth) == (PinIssue.TRIVIAL_BIRTH_DATE,), text
        assert issues(PinKind.JUKI, text) == (), "only with a birth date"
    for text in allowed:
        assert issues(PinKind.JUKI, text, birth=birth) == (), text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("K583920", ()),
        ("QX1234", ()),  # QX is no run
        ("ABC123X", ()),  # three blocks
        ("PASS1234", ()),  # words are not checked (docstring)
        ("ABC123", (PinIssue.TRIVIAL_PATTERN,)),
        ("123ABC", (PinIssue.TRIVIAL_PATTERN,)),
        ("AAA111", (PinIssue.TRIVIAL_PATTERN,)),
        ("A12345", (PinIssue.TRIVIAL_PATTERN,)),
        ("ZYX987", (PinIssue.TRIVIAL_PATTERN,)),
        ("ABCD1111", (PinIssue.TRIVIAL_PATTERN,)),
        ("A1A1A1", (PinIssue.TRIVIAL_PATTERN,)),
        ("ABC1ABC1", (PinIssue.TRIVIAL_PATTERN,)),
        ("ABCDEF", (PinIssue.NEEDS_LETTER_AND_DIGIT, PinIssue.TRIVIAL_PATTERN)),
        ("483920", (PinIssue.NEEDS_LETTER_AND_DIGIT,)),
        ("AB12", (PinIssue.TOO_SHORT,)),
        ("ABCDEFGHJ1234567X", (PinIssue.TOO_LONG,)),
        ("abc123", (PinIssue.CHARACTER_NOT_ALLOWED, PinIssue.NEEDS_LETTER_AND_DIGIT)),
        ("AB-123", (PinIssue.CHARACTER_NOT_ALLOWED,)),
    ],
)
def test_new_signing_pins(text: str, expected: tuple[PinIssue, ...]) -> None:
    assert issues(PinKind.SIGN, text) == expected


@pytest.mark.parametrize(
    ("text", "trivial_birth"),
    [
        ("TARO1980", True),  # digits = birth year
        ("HANA0217", True),  # digits = MMDD
        ("S550217", True),  # era YYMMDD, as 照合番号B writes it
        ("X800217Q", True),  # Gregorian YYMMDD
        ("Z9K19800217", True),  # contains YYYYMMDD (digits alone are 919800217)
        ("K1980Q7", False),  # digits 19807: the year is only part of them
        ("TARO1702", False),  # DDMM
    ],
)
def test_birth_date_in_signing_pins(text: str, trivial_birth: bool) -> None:
    found = PinIssue.TRIVIAL_BIRTH_DATE in issues(PinKind.SIGN, text, birth=BIRTH)
    assert found is trivial_birth
    assert PinIssue.TRIVIAL_BIRTH_DATE not in issues(PinKind.SIGN, text)


def test_existing_signing_pin_needs_only_the_card_format() -> None:
    for text in ("ABCDEF", "123456", "ABC123", "TARO1980"):
        assert check_entry(PinKind.SIGN, entry(text), birth_date=BIRTH).valid, text


def test_signing_keypad_upper_cases_and_allows_typing_on() -> None:
    secret = Secret(NoCopy())
    for key in b"abc123x":
        byte = check_entry(PinKind.SIGN, secret, NEW).accept(key)
        assert byte is not None
        secret.reveal().append(byte)
        state = check_entry(PinKind.SIGN, secret, NEW)
        if len(secret) == 6:
            # ABC123 is refused live, yet more keys stay open: typing on can fix it.
            assert state.live_issues == (PinIssue.TRIVIAL_PATTERN,)
            assert state.allowed_next == LETTERS + DIGITS
    assert secret.reveal() == b"ABC123X"
    assert check_entry(PinKind.SIGN, secret, NEW).valid


@pytest.mark.parametrize(
    ("text", "allowed"),
    [
        ("ABCDEFGHJKLMNPQ", DIGITS),  # 15 letters: only a digit can still make it valid
        ("123456789012345", LETTERS),
        ("ABCDEFGHJ123456", LETTERS + DIGITS),
        ("ABCDEFGHJKLMNP", LETTERS + DIGITS),  # two places left: no need to narrow yet
        ("ABCDEFGHJ1234567", b""),
    ],
)
def test_signing_keypad_avoids_a_dead_end(text: str, allowed: bytes) -> None:
    assert check_entry(PinKind.SIGN, entry(text), NEW).allowed_next == allowed


def test_existing_signing_pin_keypad_is_not_narrowed() -> None:
    assert check_entry(PinKind.SIGN, entry("ABCDEFGHJKLMNPQ")).allowed_next == LETTERS + DIGITS


def test_normalize_upper_cases_in_place() -> None:
    buf = bytearray(b"abc123")
    normalize(PinKind.SIGN, buf)
    assert buf == b"ABC123"
    digits = bytearray(b"12ab")
    normalize(PinKind.AUTH, digits)  # no letters on a digit PIN: left for check_entry to refuse
    assert digits == b"12ab"


@pytest.mark.parametrize("bad", ["1234", b"1234", memoryview(bytearray(b"1234"))])
def test_immutable_or_foreign_entries_are_refused(bad: object) -> None:
    with pytest.raises(TypeError):
        check_entry(PinKind.AUTH, bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        entries_match(bytearray(b"1234"), bad)  # type: ignore[arg-type]


def test_state_carries_no_pin() -> None:
    state = check_entry(PinKind.SIGN, entry("QW7351"), NEW)
    assert "QW7351" not in repr(state)
    assert "7351" not in repr(check_entry(PinKind.AUTH, entry("7351")))


def test_confirmation() -> None:
    first = entry("4096")
    same = check_confirmation(PinKind.AUTH, first, entry("4096"))
    assert same.valid
    assert same.complete
    other = check_confirmation(PinKind.AUTH, first, entry("4069"))
    assert other.issues == (PinIssue.MISMATCH,)
    assert other.live_issues == ()  # shown on OK only
    partial = check_confirmation(PinKind.AUTH, first, entry("40"))
    assert partial.issues == (PinIssue.TOO_SHORT, PinIssue.MISMATCH)
    assert partial.allowed_next == DIGITS
    longer = check_confirmation(PinKind.SIGN, entry("K583920"), entry("K5839201"))
    assert longer.issues == (PinIssue.MISMATCH,)


def test_confirmation_compares_the_live_buffers_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[object, object]] = []
    real = pin_rules.hmac.compare_digest

    def spy(a: bytearray, b: bytearray) -> bool:
        seen.append((a, b))
        return real(a, b)

    monkeypatch.setattr(pin_rules.hmac, "compare_digest", spy)
    first, second = entry("K583920"), NoCopy(b"K583920")
    assert entries_match(first, second)
    assert len(seen) == 1
    assert seen[0][0] is first.reveal()
    assert seen[0][1] is second  # the caller's own buffers: no copy was made
    assert not entries_match(first, bytearray(b"K583921"))
    assert not entries_match(first, bytearray(b"K58392"))


def test_wiped_first_entry_never_matches() -> None:
    first = entry("4096")
    first.wipe()
    assert not entries_match(first, entry("4096"))


@pytest.mark.parametrize(
    ("kind", "status", "other_blocked", "level", "reset_at", "says", "never_says"),
    [
        (PinKind.SIGN, PinStatus(5), False, TriesLevel.NORMAL, (), None, None),
        (PinKind.AUTH, PinStatus(None, verified=True), False, TriesLevel.NORMAL, (), None, None),
        (PinKind.SIGN, PinStatus(3), False, TriesLevel.NORMAL, (), "3 tries left", None),
        (PinKind.AUTH, PinStatus(2), False, TriesLevel.NORMAL, (), "2 tries left", None),
        (PinKind.SIGN, PinStatus(2), False, TriesLevel.NORMAL, (), "2 tries left", None),
        (
            PinKind.SIGN,
            PinStatus(1),
            False,
            TriesLevel.WARNING,
            (ResetPlace.COUNTER, ResetPlace.UNATTENDED_TERMINAL),
            "One try left",
            None,
        ),
        (
            PinKind.AUTH,
            PinStatus(1),
            False,
            TriesLevel.WARNING,
            (ResetPlace.COUNTER, ResetPlace.UNATTENDED_TERMINAL),
            "your signing PIN",  # the terminal checks the other JPKI PIN
            None,
        ),
        (PinKind.JUKI, PinStatus(1), False, TriesLevel.WARNING, (ResetPlace.COUNTER,), "counter", "terminal"),
        (
            PinKind.KENHOJO,
            PinStatus.from_sw(0x63C1),
            False,
            TriesLevel.WARNING,
            (ResetPlace.COUNTER,),
            "locks it",
            "terminal",
        ),
        (
            PinKind.SIGN,
            PinStatus.from_sw(0x6984),
            False,
            TriesLevel.BLOCKED,
            (ResetPlace.COUNTER, ResetPlace.UNATTENDED_TERMINAL),
            "user authentication PIN",
            None,
        ),
        (
            PinKind.SIGN,
            PinStatus.from_sw(0x63C0),
            True,
            TriesLevel.BLOCKED,
            (ResetPlace.COUNTER,),
            "counter",
            "terminal",
        ),
        (PinKind.AUTH, PinStatus(1), True, TriesLevel.WARNING, (ResetPlace.COUNTER,), "counter", "terminal"),
        (
            PinKind.JUKI,
            PinStatus(0, blocked=True),
            False,
            TriesLevel.BLOCKED,
            (ResetPlace.COUNTER,),
            "is locked",
            "terminal",
        ),
        (
            PinKind.KENHOJO,
            PinStatus(0),
            False,
            TriesLevel.BLOCKED,
            (ResetPlace.COUNTER,),
            "identity document",
            None,
        ),
        (PinKind.JUKI, PinStatus(3), True, TriesLevel.NORMAL, (), None, None),  # other PIN: JPKI only
    ],
)
def test_tries_notice(
    kind: PinKind,
    status: PinStatus,
    other_blocked: bool,
    level: TriesLevel,
    reset_at: tuple[ResetPlace, ...],
    says: str | None,
    never_says: str | None,
) -> None:
    notice = tries_notice(kind, status, other_pin_blocked=other_blocked)
    assert notice.level is level
    assert notice.reset_at == reset_at
    if says is None:
        assert notice.message is None
    else:
        assert notice.message is not None
        assert says in notice.message
        if never_says is not None:
            assert never_says not in notice.message
    if level is TriesLevel.BLOCKED:
        assert notice.tries_left == 0


def test_every_pin_names_itself_in_its_notices() -> None:
    for kind in PinKind:
        for status in (PinStatus(1), PinStatus(0, blocked=True)):
            message = tries_notice(kind, status).message
            assert message is not None
            assert kind.label in message


def test_issue_codes_and_messages() -> None:
    assert len({i.code for i in PinIssue}) == len(PinIssue)
    assert all(i.message.endswith(".") for i in PinIssue)
    assert {i for i in PinIssue if not i.live} == {PinIssue.TOO_SHORT, PinIssue.MISMATCH}
