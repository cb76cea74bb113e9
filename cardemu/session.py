"""Volatile card state: everything a reset (power-off, card pulled) forgets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from cardadmin import AdminOperation
from cardemu.apdu import StatusError
from cardemu.application import Application
from cardemu.state import CardState, PinState


@dataclass
class Session:
    state: CardState
    apps: Mapping[bytes, Application | None]  # by AID; None = the GlobalPlatform ISD (MF level)
    app: Application | None = None  # power-up selects the ISD
    current_ef: int | None = None
    verified: set[int] = field(default_factory=set)  # PIN EFs of `app` verified since it was selected
    challenge: tuple[AdminOperation, bytes] | None = None  # BEGIN ADMIN awaiting ADMIN AUTHENTICATE
    authorisation: AdminOperation | None = None  # granted by ADMIN AUTHENTICATE to the next command
    granted: AdminOperation | None = None  # what the command being processed may use (taken off the above)
    dirty: bool = False  # persistent state changed: save before answering

    def select_app(self, app: Application | None) -> None:
        if app is not self.app:  # leaving an AP drops its security status (CARD.md §1)
            self.verified.clear()
            self.challenge = None
            self.authorisation = None
        self.app = app
        self.current_ef = None

    def resolve_ef(self, p1: int, p2: int) -> tuple[int, int]:
        """(FID, offset) of READ/UPDATE BINARY: 15-bit offset on the current EF, or SFI + 8-bit offset."""
        if not p1 & 0x80:
            if self.current_ef is None:
                raise StatusError(0x6986)
            return self.current_ef, (p1 << 8) | p2
        sfi = p1 & 0x1F
        if p1 & 0x60 or sfi in (0x00, 0x1F):
            raise StatusError(0x6A86)
        if self.app is None or not self.app.selectable(sfi):
            raise StatusError(0x6A82)
        self.current_ef = sfi  # SFI addressing selects the EF
        return sfi, p2

    def resolve_pin(self, p2: int) -> tuple[int, PinState]:
        """The PIN EF named by P2: 80 = the current EF, 80|SFI = that EF (current EF unchanged)."""
        if p2 == 0x80:
            if self.current_ef is None:
                raise StatusError(0x6986)
            fid = self.current_ef
        elif 0x81 <= p2 <= 0x9E:
            fid = p2 & 0x1F
        else:
            raise StatusError(0x6A86)
        pin = self.app.pins().get(fid) if self.app else None
        if pin is None:
            raise StatusError(0x6A88)
        return fid, pin
