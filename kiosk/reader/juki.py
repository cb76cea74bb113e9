"""住基 AP: the 4-digit 住民基本台帳 PIN checked at the counter (要領 第2-1; CARD.md §6)."""

from __future__ import annotations

from enum import Enum

from kiosk.reader.session import ApplicationSession

# CARD.md §2 [conflict]: SOLTIA names …04 01 the 住基AP; TRET queries the same PIN EF 001C under
# …01 00. Both exist on every card and carry PIN EF 001C; we use …04 01.
JUKI_AID = bytes.fromhex("D3921000310001010401")


class JukiPin(Enum):
    PIN = 0x001C


class JukiSession(ApplicationSession[JukiPin]):
    AID = JUKI_AID
    NAME = "住基AP"
