"""What every application (AP) on the card offers the command layer: EFs, PINs, signing keys."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Mapping

from cardemu.apdu import StatusError
from cardemu.state import PinState

# New-PIN formats the card accepts (CARD.md §3.1): 4-digit PINs, and the JPKI signing password.
FOUR_DIGITS = re.compile(r"[0-9]{4}")
SIGN_PASSWORD = re.compile(r"[A-Z0-9]{6,16}")


class Application(ABC):
    def __init__(
        self,
        name: str,
        read_access: Mapping[int, frozenset[int]],
        pin_formats: Mapping[int, re.Pattern[str]],
    ) -> None:
        self.name = name
        self.read_access = read_access  # EF → PIN EFs, any one of which unlocks READ BINARY
        self.pin_formats = pin_formats  # PIN EFs the holder may change, and their format

    @abstractmethod
    def files(self) -> Mapping[int, bytes]:
        """Transparent EFs by FID."""

    @abstractmethod
    def pins(self) -> Mapping[int, PinState]:
        """PIN EFs by FID."""

    def key_fids(self) -> frozenset[int]:
        return frozenset()

    @abstractmethod
    def signing_key(self, p2: int, current_ef: int | None, verified: set[int]) -> str:
        """The PKCS#8 PEM key COMPUTE DIGITAL SIGNATURE with this P2 uses, or StatusError."""

    def selectable(self, fid: int) -> bool:
        return fid in self.files() or fid in self.pins() or fid in self.key_fids()

    def read(self, fid: int, verified: set[int]) -> bytes:
        content = self.files().get(fid)
        if content is None:
            # 6981: a PIN or key EF exists but has no readable body.
            raise StatusError(0x6981 if self.selectable(fid) else 0x6A82)
        unlocking = self.read_access.get(fid)
        if unlocking and not unlocking & verified:
            raise StatusError(0x6982)
        return content
