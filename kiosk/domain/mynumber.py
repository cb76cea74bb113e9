"""個人番号 (My Number): 11 digits plus a check digit (総務省令 第五条)."""

MY_NUMBER_LENGTH = 12


def check_digit(first11: str) -> int:
    """Check digit of the first 11 digits.

    With P(n) the n-th digit counted from the right (n = 1..11) and Q(n) = n + 1 for n ≤ 6,
    n - 5 for n ≥ 7: r = Σ P(n)·Q(n) mod 11; the check digit is 0 when r ≤ 1, else 11 - r.
    """
    if len(first11) != MY_NUMBER_LENGTH - 1 or not first11.isascii() or not first11.isdigit():
        raise ValueError("expected 11 ASCII digits")
    total = 0
    for n, ch in enumerate(reversed(first11), start=1):
        q = n + 1 if n <= 6 else n - 5
        total += int(ch) * q
    r = total % 11
    return 0 if r <= 1 else 11 - r


def is_valid(number: str) -> bool:
    if len(number) != MY_NUMBER_LENGTH or not number.isascii() or not number.isdigit():
        return False
    return check_digit(number[:-1]) == int(number[-1])
