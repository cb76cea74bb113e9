"""What an unattended terminal declares it does: the UI shows only these, 機構 enforces its own
registration of the terminal (docs/unattended.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from kiosk.domain.pin_rules import PinKind
from kiosk.domain.unattended import RESETTABLE

PROCEDURES: Final = frozenset({"pin_reset"})  # the only procedure done without staff


@dataclass(frozen=True)
class Capabilities:
    pins: tuple[PinKind, ...] = RESETTABLE
    procedures: frozenset[str] = PROCEDURES

    def __post_init__(self) -> None:
        if not self.pins or set(self.pins) - set(RESETTABLE) or len(set(self.pins)) != len(self.pins):
            raise ValueError("an unattended terminal resets the signing and/or the user-auth PIN, each once")
        if not self.procedures or self.procedures - PROCEDURES:
            raise ValueError(f"an unattended terminal does only {', '.join(sorted(PROCEDURES))}")
