import pickle

import pytest

from kiosk.domain.secret import Secret


def test_wipe_zeroes_the_buffer_it_owns() -> None:
    buf = bytearray(b"ABC123")
    secret = Secret(buf)
    view = secret.reveal()
    secret.wipe()
    assert secret.wiped
    assert view == b""  # same object, cleared
    assert buf == b""


def test_context_manager_wipes_even_on_error() -> None:
    buf = bytearray(b"1234")
    with pytest.raises(RuntimeError), Secret(buf):
        raise RuntimeError("boom")
    assert buf == b""


@pytest.mark.parametrize("render", [repr, str, lambda s: f"{s}", "{}".format, "%s".__mod__])
def test_never_rendered(render) -> None:
    secret = Secret(bytearray(b"9876"))
    assert "9876" not in render(secret)


def test_not_picklable_and_not_comparable() -> None:
    secret = Secret(bytearray(b"1234"))
    with pytest.raises(TypeError):
        pickle.dumps(secret)
    assert (secret == Secret(bytearray(b"1234"))) is False


def test_upper_in_place() -> None:
    secret = Secret(bytearray(b"abc123Z"))
    secret.upper()
    assert secret.reveal() == b"ABC123Z"


def test_refuses_immutable_input() -> None:
    with pytest.raises(TypeError):
        Secret(b"1234")  # type: ignore[arg-type]
