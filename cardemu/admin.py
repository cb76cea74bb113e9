"""The administrative command set of docs/card-admin.md §5 (JPKI AP only).

BEGIN ADMIN hands out a fresh challenge for one named operation; ADMIN AUTHENTICATE checks the
central's response and grants exactly that operation to the next command, whatever it is. The
dispatcher moves the grant to `Session.granted` before every command, so it is spent either way.
"""

from __future__ import annotations

import hashlib
import secrets

from cardadmin import CHALLENGE_LENGTH, RESPONSE_LENGTH, AdminOp, AdminOperation, verify_response
from cardemu.apdu import Command, StatusError
from cardemu.jpki import CERT_FIELD, KEY_CERT, KEY_FIELD, JpkiAp
from cardemu.pins import new_pin_value
from cardemu.session import Session
from cardemu.signing import generate_key, public_key_template
from cardemu.state import JpkiState

MAX_ADMIN_FAILURES = 10  # consecutive wrong responses before administration is blocked for good


def _jpki(s: Session) -> JpkiState:
    if not isinstance(s.app, JpkiAp):
        raise StatusError(0x6D00)  # the administrative INS exist only in the JPKI AP
    return s.app.jpki


def _check_p1(cmd: Command, *allowed: int) -> None:
    if cmd.p1 not in allowed:
        raise StatusError(0x6A86)


def _require(s: Session, op: AdminOp, target: int) -> AdminOperation:
    granted = s.granted
    if granted is None or granted.op is not op or granted.target != target:
        raise StatusError(0x6982)
    return granted


def _key_fid(p2: int) -> int:
    if p2 not in KEY_FIELD:
        raise StatusError(0x6A86)
    return p2


def begin_admin(cmd: Command, s: Session) -> bytes:
    """`80 A8 00 00 Lc <descriptor> 00` → card_id ‖ challenge."""
    _jpki(s)
    if (cmd.p1, cmd.p2) != (0x00, 0x00):
        raise StatusError(0x6A86)
    if s.state.admin_failures >= MAX_ADMIN_FAILURES:
        raise StatusError(0x6983)
    try:
        operation = AdminOperation.decode(cmd.data)
    except ValueError:
        raise StatusError(0x6A80) from None
    challenge = secrets.token_bytes(CHALLENGE_LENGTH)
    s.challenge = (operation, challenge)
    return s.state.card_id + challenge


def admin_authenticate(cmd: Command, s: Session) -> bytes:
    """`80 AA 00 00 10 <response>`: a wrong response spends the challenge and counts a failure."""
    _jpki(s)
    if (cmd.p1, cmd.p2) != (0x00, 0x00):
        raise StatusError(0x6A86)
    if s.state.admin_failures >= MAX_ADMIN_FAILURES:
        raise StatusError(0x6983)
    if s.challenge is None:
        raise StatusError(0x6985)
    if len(cmd.data) != RESPONSE_LENGTH:
        raise StatusError(0x6700)
    (operation, challenge), s.challenge = s.challenge, None
    state = s.state
    if not verify_response(state.admin_key, state.card_id, challenge, operation, cmd.data):
        state.admin_failures += 1
        s.dirty = True
        raise StatusError(0x6982)
    if state.admin_failures:
        state.admin_failures = 0
        s.dirty = True
    s.authorisation = operation
    return b""


def generate_key_pair(cmd: Command, s: Session) -> bytes:
    """`00 47 00 <17|1A> 00` generates (authorised); `00 47 81 <17|1A> 00` reads the public key."""
    j = _jpki(s)
    _check_p1(cmd, 0x00, 0x81)
    fid = _key_fid(cmd.p2)
    if cmd.data:
        raise StatusError(0x6700)
    if cmd.p1 == 0x00:
        _require(s, AdminOp.GENERATE_KEY, fid)
        setattr(j, KEY_FIELD[fid], generate_key())
        setattr(j, CERT_FIELD[KEY_CERT[fid]], None)  # the old certificate no longer matches
        s.dirty = True
    pem: str | None = getattr(j, KEY_FIELD[fid])
    if pem is None:
        raise StatusError(0x6A88)
    return public_key_template(pem)


def update_binary(cmd: Command, s: Session) -> bytes:
    """WRITE CERTIFICATE: `00 D6 00 00 <DER>` (extended Lc or chained) replaces the whole EF."""
    j = _jpki(s)
    fid, offset = s.resolve_ef(cmd.p1, cmd.p2)
    if fid not in CERT_FIELD:
        raise StatusError(0x6982)
    granted = _require(s, AdminOp.WRITE_CERTIFICATE, fid)
    if offset != 0:
        raise StatusError(0x6B00)
    if not cmd.data:
        raise StatusError(0x6700)
    if hashlib.sha256(cmd.data).digest() != granted.data_hash:
        raise StatusError(0x6A80)
    setattr(j, CERT_FIELD[fid], cmd.data)
    s.dirty = True
    return b""


def reset_retry_counter(cmd: Command, s: Session) -> bytes:
    """`00 2C 02 <80|SFI> Lc <new PIN>`: new reference data, counter back to max."""
    _jpki(s)
    _check_p1(cmd, 0x02)  # P1 02: new PIN only, the admin authorisation replaces the PUK
    fid, pin = s.resolve_pin(cmd.p2)
    _require(s, AdminOp.RESET_PIN, fid)
    pin.value = new_pin_value(s, fid, cmd.data)
    pin.tries_left = pin.max_tries
    s.verified.discard(fid)  # the holder proves the new PIN with a VERIFY
    s.dirty = True
    return b""


def block_pin(cmd: Command, s: Session) -> bytes:
    """`80 5A 00 <80|SFI>`: the PIN answers 6984 until RESET RETRY COUNTER."""
    _jpki(s)
    _check_p1(cmd, 0x00)
    fid, pin = s.resolve_pin(cmd.p2)
    _require(s, AdminOp.LOCK_PIN, fid)
    pin.tries_left = 0
    s.verified.discard(fid)
    s.dirty = True
    return b""


def erase_key(cmd: Command, s: Session) -> bytes:
    """`80 E4 00 <17|1A>`: the key pair and its certificate EF are erased."""
    j = _jpki(s)
    _check_p1(cmd, 0x00)
    fid = _key_fid(cmd.p2)
    _require(s, AdminOp.ERASE_KEY, fid)
    setattr(j, KEY_FIELD[fid], None)
    setattr(j, CERT_FIELD[KEY_CERT[fid]], None)
    s.dirty = True
    return b""
