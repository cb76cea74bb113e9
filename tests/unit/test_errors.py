import pytest

from kiosk.reader import errors
from kiosk.reader.session import PinStatus


@pytest.mark.parametrize(
    ("sw", "kind"),
    [
        (0x63C2, errors.InvalidPin),
        (0x63C1, errors.InvalidPin),
        (0x63C0, errors.PinBlocked),
        (0x6984, errors.PinBlocked),
        (0x6982, errors.SecurityStatusNotSatisfied),
        (0x6983, errors.AuthenticationBlocked),
        (0x6985, errors.ConditionsNotSatisfied),
        (0x6A82, errors.FileNotFound),
        (0x6A88, errors.DataNotFound),
        (0x6A80, errors.WrongData),
        (0x6700, errors.WrongLength),
        (0x6A86, errors.WrongParameters),
        (0x6D00, errors.NotSupported),
        (0x6E00, errors.NotSupported),
        (0x6F00, errors.ApduError),
    ],
)
def test_status_word_table(sw: int, kind: type[errors.ApduError]) -> None:
    error = errors.error_for(sw, "VERIFY AUTH")
    assert type(error) is kind
    assert error.sw == sw
    assert f"{sw:04X}" in str(error)
    assert "VERIFY AUTH" in str(error)


def test_invalid_pin_carries_tries_left() -> None:
    error = errors.error_for(0x63C2)
    assert isinstance(error, errors.InvalidPin)
    assert error.tries_left == 2


@pytest.mark.parametrize(
    ("sw", "status"),
    [
        (0x63C3, PinStatus(3)),
        (0x63C5, PinStatus(5)),
        (0x63C0, PinStatus(0, blocked=True)),
        (0x6984, PinStatus(0, blocked=True)),
        (0x9000, PinStatus(None, verified=True)),
        (0x6300, PinStatus(None)),
    ],
)
def test_pin_status_from_empty_verify(sw: int, status: PinStatus) -> None:
    assert PinStatus.from_sw(sw) == status


def test_pin_status_other_sw_raises_typed_error() -> None:
    with pytest.raises(errors.FileNotFound):
        PinStatus.from_sw(0x6A82)
