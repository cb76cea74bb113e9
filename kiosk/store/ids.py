"""Time-ordered identifiers (UUIDv7 layout, RFC 9562 §5.7).

Python 3.11 has no `uuid.uuid7`. Message ids are time-ordered so the central side's indexes stay
append-mostly and an id says roughly when it was made; ordering itself comes from the outbox `seq`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from kiosk.store.coltypes import utcnow

_MS_MASK = (1 << 48) - 1


def uuid7(now: datetime | None = None, randbytes: Callable[[int], bytes] = os.urandom) -> UUID:
    """48-bit Unix milliseconds | version 7 | 12 random bits | variant 10 | 62 random bits."""
    ms = int((now or utcnow()).timestamp() * 1000) & _MS_MASK
    rand = int.from_bytes(randbytes(10), "big")  # 80 bits, 74 of them used
    rand_a = (rand >> 62) & 0xFFF
    rand_b = rand & ((1 << 62) - 1)
    return UUID(int=(ms << 80) | (0x7 << 76) | (rand_a << 64) | (0b10 << 62) | rand_b)
