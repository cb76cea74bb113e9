import pytest

from kiosk.domain.mynumber import check_digit, is_valid


@pytest.mark.parametrize(
    ("first11", "digit"),
    [
        ("12345678901", 8),  # Σ P·Q = 212, 212 mod 11 = 3 → 11 - 3
        ("00000000001", 9),  # P1 = 1, Q1 = 2 → r = 2 → 9
        ("00000000006", 0),  # r = 12 mod 11 = 1 → 0 (r ≤ 1)
        ("00000000000", 0),  # r = 0 → 0
        ("10000000000", 5),  # P11 = 1, Q11 = 6 → r = 6 → 5
    ],
)
def test_check_digit(first11: str, digit: int) -> None:
    assert check_digit(first11) == digit


@pytest.mark.parametrize(
    ("number", "ok"),
    [
        ("123456789018", True),
        ("123456789017", False),
        ("12345678901", False),
        ("12345678901X", False),
        ("１２３４５６７８９０１８", False),  # full-width digits are not ASCII
    ],
)
def test_is_valid(number: str, ok: bool) -> None:
    assert is_valid(number) is ok


def test_check_digit_input_validated() -> None:
    with pytest.raises(ValueError):
        check_digit("1234")
