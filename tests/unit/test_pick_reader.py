import pytest

from kiosk.reader.errors import NoCard, ReaderUnavailable
from kiosk.reader.pcsc import ReaderState, pick_reader

EMPTY0 = ReaderState("Virtual PCD 00 00", False)
EMPTY1 = ReaderState("Virtual PCD 00 01", False)
CARD0 = ReaderState("Virtual PCD 00 00", True, b"\x3b")
CARD1 = ReaderState("Virtual PCD 00 01", True, b"\x3b")
STAFF = ReaderState("SCM Microsystems SCR3310 [CCID] 00 00", True, b"\x3b\x01")


@pytest.mark.parametrize(
    ("states", "preferred", "expected"),
    [
        ([EMPTY0, CARD1], None, CARD1),  # never blindly the first reader (CARD.md §12.4 #3)
        ([CARD0, EMPTY1], None, CARD0),
        ([CARD0, STAFF], "SCM", STAFF),  # a named reader wins, by prefix
        ([CARD0, STAFF], "Virtual PCD 00 00", CARD0),
        ([EMPTY0, EMPTY1], "Virtual PCD 00 01", EMPTY1),  # named: returned even if empty
    ],
)
def test_pick_reader(states, preferred, expected) -> None:
    assert pick_reader(states, preferred) == expected


@pytest.mark.parametrize(
    ("states", "preferred", "error", "message"),
    [
        ([], None, NoCard, "no reader connected"),
        ([EMPTY0, EMPTY1], None, NoCard, "no card in any reader"),
        ([CARD0, CARD1], None, NoCard, "several readers"),
        ([CARD0], "Gemalto", ReaderUnavailable, "not found"),
    ],
)
def test_pick_reader_refusals(states, preferred, error, message) -> None:
    with pytest.raises(error, match=message):
        pick_reader(states, preferred)
