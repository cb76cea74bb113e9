"""PINs and other secrets held in wipeable buffers.

Python `str` and `bytes` are immutable and may linger in memory; a PIN is therefore kept in a
`bytearray` owned by a `Secret`, which zeroes it on `wipe()` (and on leaving a `with` block). A
`Secret` never shows its content in `repr`, `str` or f-strings, so it cannot reach a log or an
exception message by accident.
"""

from __future__ import annotations

from types import TracebackType


class Secret:
    __slots__ = ("_buf",)

    def __init__(self, value: bytearray) -> None:
        """Takes ownership of `value`: the caller must not keep using it."""
        if not isinstance(value, bytearray):
            raise TypeError("a Secret is built from a bytearray")
        self._buf = value

    @classmethod
    def from_ascii(cls, text: str) -> Secret:
        """For input that already exists as `str` (keyboard, CLI); the UI keypad appends bytes instead."""
        return cls(bytearray(text.encode("ascii")))

    def __len__(self) -> int:
        return len(self._buf)

    def __repr__(self) -> str:
        return f"<Secret len={len(self._buf)}>" if self._buf else "<Secret wiped>"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a Secret cannot be pickled")

    def __eq__(self, other: object) -> bool:
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def reveal(self) -> bytearray:
        """The live buffer, for the one place that must send it to the card."""
        return self._buf

    def upper(self) -> None:
        """Upper-case ASCII letters in place (signing PINs are A–Z0–9; clients upper-case input)."""
        for i, b in enumerate(self._buf):
            if 0x61 <= b <= 0x7A:
                self._buf[i] = b - 0x20

    def wipe(self) -> None:
        for i in range(len(self._buf)):
            self._buf[i] = 0
        self._buf.clear()

    @property
    def wiped(self) -> bool:
        return not self._buf

    def __enter__(self) -> Secret:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.wipe()
