"""VERIFY and CHANGE REFERENCE DATA (CARD.md §3.3), shared by every AP."""

from __future__ import annotations

import hashlib
import hmac

from cardemu.apdu import Command, StatusError
from cardemu.session import Session
from cardemu.state import EmptyVerifyQuirk, PinState


def _tries_sw(pin: PinState) -> int:
    return 0x63C0 | min(pin.tries_left, 0x0F)


def _matches(pin: PinState, presented: bytes) -> bool:
    # Hash first so that neither the content nor the length of the reference leaks through timing.
    expected = hashlib.sha256(pin.value.encode("utf-8")).digest()
    return hmac.compare_digest(expected, hashlib.sha256(presented).digest())


def verify(cmd: Command, s: Session) -> bytes:
    """`00 20 00 P2 [Lc PIN]`; an empty VERIFY reports the counter without spending a try."""
    if cmd.p1 != 0x00:
        raise StatusError(0x6A86)
    fid, pin = s.resolve_pin(cmd.p2)
    observed = s.state.empty_verify is EmptyVerifyQuirk.OBSERVED
    if not cmd.data:
        if pin.blocked:
            raise StatusError(0x6984 if observed else 0x63C0)
        if observed and fid in s.verified:
            return b""
        raise StatusError(_tries_sw(pin))
    if pin.blocked:
        raise StatusError(0x6984)
    if not _matches(pin, cmd.data):
        pin.tries_left -= 1
        s.verified.discard(fid)
        s.dirty = True
        raise StatusError(_tries_sw(pin))
    if pin.tries_left != pin.max_tries:
        pin.tries_left = pin.max_tries
        s.dirty = True
    s.verified.add(fid)
    return b""


def new_pin_value(s: Session, fid: int, data: bytes) -> str:
    """The new reference data if the AP allows changing this PIN and `data` has its format."""
    pattern = s.app.pin_formats.get(fid) if s.app else None
    if pattern is None:  # 照合番号A/B and the birth-date key are printed data, not secrets to change
        raise StatusError(0x6985)
    try:
        value = data.decode("ascii")
    except UnicodeDecodeError:
        raise StatusError(0x6A80) from None
    if not pattern.fullmatch(value):
        raise StatusError(0x6A80)
    return value


def change_reference_data(cmd: Command, s: Session) -> bytes:
    """`00 24 01 P2 Lc <new>` (ISO), also JICSAP CHANGE KEY `80 32 00 P2 Lc <new>` (common/住基 APs)."""
    if cmd.p1 != (0x01 if cmd.ins == 0x24 else 0x00):
        raise StatusError(0x6A86)  # P1 00 (old ‖ new in one command) is not how this card works
    fid, pin = s.resolve_pin(cmd.p2)
    if fid not in s.verified:
        raise StatusError(0x6982)
    pin.value = new_pin_value(s, fid, cmd.data)
    pin.tries_left = pin.max_tries
    s.dirty = True
    return b""
