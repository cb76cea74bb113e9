"""The 公的個人認証 AP (JPKI-AP, CARD.md §3): certificate EFs, the two PINs, the two RSA keys."""

from __future__ import annotations

import struct
from collections.abc import Mapping
from types import MappingProxyType

from cardadmin.operation import (
    AUTH_CA_CERT,
    AUTH_CERT,
    AUTH_KEY,
    AUTH_PIN,
    SIGN_CA_CERT,
    SIGN_CERT,
    SIGN_KEY,
    SIGN_PIN,
)
from cardemu.apdu import StatusError
from cardemu.application import FOUR_DIGITS, SIGN_PASSWORD, Application
from cardemu.state import JpkiState, PinState

JPKI_AID = bytes.fromhex("D392F000260100000001")
TOKEN_INFO, CERT_AVAILABILITY = 0x0006, 0x0008

KEY_PIN = MappingProxyType({AUTH_KEY: AUTH_PIN, SIGN_KEY: SIGN_PIN})  # key EF → PIN that unlocks it
KEY_CERT = MappingProxyType({AUTH_KEY: AUTH_CERT, SIGN_KEY: SIGN_CERT})  # key EF → its certificate EF
# JpkiState attribute behind each administrable EF (docs/card-admin.md §3).
KEY_FIELD = MappingProxyType({AUTH_KEY: "auth_key", SIGN_KEY: "sign_key"})
CERT_FIELD = MappingProxyType(
    {
        AUTH_CERT: "auth_cert",
        AUTH_CA_CERT: "auth_ca_cert",
        SIGN_CERT: "sign_cert",
        SIGN_CA_CERT: "sign_ca_cert",
    }
)

_CERT_PRESENT = 0x8F  # EF 0008 marker for "this certificate exists"
# CK_TOKEN_INFO, big-endian, CK_ULONG = 4 bytes: 32 + 32 + 16 + 16 + 11 × 4 + 4 + 16 = 160 bytes.
_TOKEN_INFO = struct.Struct(">32s32s16s16s11L4B16s")
_CKF = 0x0001 | 0x0004 | 0x0008 | 0x0400  # RNG, LOGIN_REQUIRED, USER_PIN_INITIALIZED, TOKEN_INITIALIZED
_UNAVAILABLE = 0xFFFFFFFF  # CK_UNAVAILABLE_INFORMATION


def token_info(label: str, card_id: bytes) -> bytes:
    """EF 0006. Clients only look at the space-padded label in the first 32 bytes."""
    counts = (_CKF, 0, _UNAVAILABLE, 0, _UNAVAILABLE, 16, 4, *(_UNAVAILABLE,) * 4)
    return _TOKEN_INFO.pack(
        label.encode("ascii").ljust(32, b" "),
        b"JPKI software test card".ljust(32, b" "),  # honest: this is never a real card
        b"SoftCard".ljust(16, b" "),
        card_id[:8].hex().upper().encode("ascii"),
        *counts,
        *(1, 0, 1, 0),  # hardware / firmware version
        b" " * 16,  # utcTime: no clock on the token
    )


class JpkiAp(Application):
    def __init__(self, jpki: JpkiState, card_id: bytes) -> None:
        super().__init__(
            "JPKI",
            read_access={SIGN_CERT: frozenset({SIGN_PIN})},  # the 署名用 cert carries 基本4情報
            pin_formats={AUTH_PIN: FOUR_DIGITS, SIGN_PIN: SIGN_PASSWORD},
        )
        self.jpki = jpki
        self._card_id = card_id

    def files(self) -> Mapping[int, bytes]:
        j = self.jpki
        files = {fid: getattr(j, field) or b"" for fid, field in CERT_FIELD.items()}
        files[TOKEN_INFO] = token_info(j.token_label, self._card_id)
        files[CERT_AVAILABILITY] = bytes(
            [_CERT_PRESENT if j.sign_cert else 0, _CERT_PRESENT if j.auth_cert else 0, 0]
        )
        return files

    def pins(self) -> Mapping[int, PinState]:
        return {AUTH_PIN: self.jpki.auth_pin, SIGN_PIN: self.jpki.sign_pin}

    def key_fids(self) -> frozenset[int]:
        return frozenset(KEY_PIN)

    def signing_key(self, p2: int, current_ef: int | None, verified: set[int]) -> str:
        if p2 == 0x80:
            if current_ef is None:
                raise StatusError(0x6986)
            fid = current_ef
        elif 0x81 <= p2 <= 0x9E:
            fid = p2 & 0x1F
        else:
            raise StatusError(0x6A86)
        if fid not in KEY_PIN:
            raise StatusError(0x6A88)
        if KEY_PIN[fid] not in verified:
            raise StatusError(0x6982)
        pem: str | None = getattr(self.jpki, KEY_FIELD[fid])
        if pem is None:
            raise StatusError(0x6A88)
        return pem
