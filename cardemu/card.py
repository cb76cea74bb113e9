"""The software My Number card: power, the APDU dispatcher, and the card-level commands.

`SoftCard.process` takes one C-APDU and answers one R-APDU (data ‖ SW); it never raises. Class
byte checks, command chaining (CLA b5) and response chaining (61xx / GET RESPONSE) are handled
here; the commands themselves live in `pins`, `signing`, `admin` and the applications.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path

from cardemu import admin, pins, signing
from cardemu.apdu import Command, StatusError, parse
from cardemu.jpki import JPKI_AID, JpkiAp
from cardemu.session import Session
from cardemu.state import CardState
from cardemu.surface import file_aps

log = logging.getLogger(__name__)

ISD_AID = bytes.fromhex("A0000001510000")  # GlobalPlatform ISD, selected at power-up (MF level)
_OK = 0x9000
_CHAINING = 0x10
_MAX_CHAINED = 65535  # what one extended command could have carried
_SECRET_INS = frozenset({0x20, 0x24, 0x2C, 0x32, 0xAA})  # PINs and admin responses: log lengths only

Handler = Callable[[Command, Session], bytes]


def _sw(sw: int) -> bytes:
    return sw.to_bytes(2, "big")


def _check_class(cla: int) -> None:
    """ISO 7816-4 §5.4.1; the proprietary 8X/9X class (JICSAP) is structured like 0X/1X."""
    if cla & 0xC0 == 0x40:  # further interindustry class: logical channels 4–19
        raise StatusError(0x6881)
    if cla & 0x60:  # 20–3F reserved; A0–FF unknown proprietary classes
        raise StatusError(0x6E00)
    if cla & 0x03:
        raise StatusError(0x6881)
    if cla & 0x0C:
        raise StatusError(0x6882)


def _describe(raw: bytes) -> str:
    """Header and lengths; the data only for commands that carry no secret."""
    header = raw[:4].hex(" ").upper()
    try:
        cmd = parse(raw)
    except StatusError:
        return f"{header} (malformed, {len(raw)} bytes)"
    text = f"{header} Lc={len(cmd.data)} Le={cmd.ne}"
    if cmd.data and cmd.ins not in _SECRET_INS:
        text += f" {cmd.data[:32].hex().upper()}{'…' if len(cmd.data) > 32 else ''}"
    return text


def _select(cmd: Command, s: Session) -> bytes:
    if cmd.p1 == 0x04:  # by AID; unknown AIDs (OpenSC probes dozens) are simply not found
        if cmd.data not in s.apps:
            raise StatusError(0x6A82)
        if cmd.p2 not in (0x00, 0x0C):
            raise StatusError(0x6A86)
        s.select_app(s.apps[cmd.data])
        return b""  # no FCI
    if cmd.p1 == 0x00 and not cmd.data:  # MF: refused at ISD level, a no-op inside an AP
        if s.app is None:
            raise StatusError(0x6A86)
        return b""
    if cmd.p1 in (0x00, 0x02):  # EF by FID in the selected AP (3F00 is no EF: 6A82)
        if len(cmd.data) != 2:
            raise StatusError(0x6700)
        fid = int.from_bytes(cmd.data, "big")
        if s.app is None or not s.app.selectable(fid):
            raise StatusError(0x6A82)
        if cmd.p2 not in (0x00, 0x0C):
            raise StatusError(0x6A86)
        s.current_ef = fid
        return b""
    if cmd.p1 in (0x01, 0x03, 0x08, 0x09):  # DF / parent / path: no such hierarchy on this card
        raise StatusError(0x6A82)
    raise StatusError(0x6A86)


def _read_binary(cmd: Command, s: Session) -> bytes:
    if cmd.data or not cmd.ne:
        raise StatusError(0x6700)
    fid, offset = s.resolve_ef(cmd.p1, cmd.p2)
    if s.app is None:
        raise StatusError(0x6986)
    content = s.app.read(fid, s.verified)
    if offset >= len(content):
        raise StatusError(0x6B00)
    return content[offset : offset + cmd.ne]


def _get_data(cmd: Command, s: Session) -> bytes:
    """Card-level objects, answered in any selection state (CARD.md §1)."""
    st = s.state
    objects = {
        0x0045: st.card_id,
        0x5F51: st.atr[1:],  # the contact ATR without TS
        0x00F0: st.municipality.encode("ascii"),
        0x00F2: st.expiry.encode("ascii"),
    }
    obj = objects.get((cmd.p1 << 8) | cmd.p2)
    if obj is None:
        raise StatusError(0x6A88)
    if cmd.data:
        raise StatusError(0x6700)
    if cmd.ne and not cmd.le_is_max and cmd.ne != len(obj):
        raise StatusError(0x6C00 | len(obj))
    return obj


def _get_challenge(cmd: Command, s: Session) -> bytes:
    if cmd.p1 or cmd.p2:
        raise StatusError(0x6A86)
    if cmd.data or not 1 <= cmd.ne <= 256:
        raise StatusError(0x6700)
    return secrets.token_bytes(cmd.ne)


# Commands by INS, for the interindustry class (0X) and the proprietary class (8X).
_INTERINDUSTRY: Mapping[int, Handler] = {
    0xA4: _select,
    0xB0: _read_binary,
    0xCA: _get_data,
    0x84: _get_challenge,
    0x20: pins.verify,
    0x24: pins.change_reference_data,
    0x2C: admin.reset_retry_counter,
    0x47: admin.generate_key_pair,
    0xD6: admin.update_binary,
}
_PROPRIETARY: Mapping[int, Handler] = {
    0x2A: signing.compute_digital_signature,
    0x32: pins.change_reference_data,  # JICSAP CHANGE KEY (common / 住基 APs)
    0xA8: admin.begin_admin,
    0xAA: admin.admin_authenticate,
    0x5A: admin.block_pin,
    0xE4: admin.erase_key,
}
_GET_RESPONSE = 0xC0


class SoftCard:
    """One card. Usable right after construction (as if just powered on)."""

    def __init__(self, state: CardState, path: Path | None = None) -> None:
        self.state = state
        self.path = path  # where to save persistent changes; None = keep them in memory only
        self._lock = threading.Lock()
        self.power_on()

    def power_on(self) -> bytes:
        """Reset: ISD selected, no current EF, no PIN verified, nothing pending. Returns the ATR."""
        apps = {ISD_AID: None, JPKI_AID: JpkiAp(self.state.jpki, self.state.card_id), **file_aps(self.state)}
        with self._lock:
            self._session = Session(self.state, apps)
            self._pending = b""  # response bytes GET RESPONSE will deliver
            self._chain: tuple[tuple[int, int, int, int], bytes] | None = None
        return self.state.atr

    def power_off(self) -> None:
        self.power_on()  # all volatile state is lost either way; the next power-up starts clean

    def process(self, apdu: bytes) -> bytes:
        with self._lock:
            s = self._session
            try:
                response = self._process(bytes(apdu))
            except Exception:
                log.exception("internal error, answering 6F00")
                self._pending, self._chain = b"", None
                response = _sw(0x6F00)
            if s.dirty:
                s.dirty = False
                try:
                    if self.path is not None:
                        self.state.save(self.path)
                except Exception:
                    log.exception("could not save the card state to %s", self.path)
                    response = _sw(0x6F00)
            log.debug("< SW %s, %d data bytes", response[-2:].hex().upper(), len(response) - 2)
            return response

    def _process(self, raw: bytes) -> bytes:
        s = self._session
        if log.isEnabledFor(logging.DEBUG):
            log.debug("> %s", _describe(raw))
        pending, self._pending = self._pending, b""  # any command but GET RESPONSE drops it
        granted, s.authorisation = s.authorisation, None  # spent by this command, whatever it is
        try:
            cmd = self._assemble(raw)
            if cmd is None:  # a block of a chained command: the command is not complete yet
                s.authorisation = granted
                return _sw(_OK)
            s.granted = granted
            if (cmd.cla & 0x80, cmd.ins) == (0x00, _GET_RESPONSE):
                data = self._get_response(cmd, pending)
            else:
                data = self._handler(cmd)(cmd, s)
        except StatusError as exc:
            return _sw(exc.sw)
        finally:
            s.granted = None
        return self._respond(cmd, data)

    def _assemble(self, raw: bytes) -> Command | None:
        """Class checks, parsing, and ISO command chaining (CLA b5 set on every block but the last)."""
        if len(raw) < 4:
            raise StatusError(0x6700)
        _check_class(raw[0])
        cmd = parse(raw)
        key = (cmd.cla & ~_CHAINING, cmd.ins, cmd.p1, cmd.p2)
        chain, self._chain = self._chain, None
        if chain is not None and chain[0] != key:
            chain = None  # a different command abandons the unfinished one
        data = (chain[1] if chain else b"") + cmd.data
        if len(data) > _MAX_CHAINED:
            raise StatusError(0x6700)
        if cmd.cla & _CHAINING:
            self._chain = (key, data)
            return None
        return replace(cmd, data=data) if chain else cmd

    @staticmethod
    def _handler(cmd: Command) -> Handler:
        table, other = (_PROPRIETARY, _INTERINDUSTRY) if cmd.cla & 0x80 else (_INTERINDUSTRY, _PROPRIETARY)
        handler = table.get(cmd.ins)
        if handler is None:
            raise StatusError(0x6E00 if cmd.ins in other or cmd.ins == _GET_RESPONSE else 0x6D00)
        return handler

    @staticmethod
    def _get_response(cmd: Command, pending: bytes) -> bytes:
        if cmd.p1 or cmd.p2:
            raise StatusError(0x6A86)
        if not pending:
            raise StatusError(0x6985)
        if cmd.data or not cmd.ne:
            raise StatusError(0x6700)
        return pending

    def _respond(self, cmd: Command, data: bytes) -> bytes:
        """More data than Ne: Ne bytes + 61xx (xx = bytes left, 00 for 256 or more)."""
        if len(data) <= cmd.ne or not data:
            return data + _sw(_OK)
        self._pending = data[cmd.ne :]
        return data[: cmd.ne] + bytes([0x61, min(len(self._pending), 256) & 0xFF])
