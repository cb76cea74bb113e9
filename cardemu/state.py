"""What a software card stores, and its file format (one JSON file per card).

Only the emulator reads this file. It contains the card's secrets (PIN reference data, private
keys, the diversified admin key) exactly as a real chip would hold them, so test cards must never
be confused with anything real: every card file carries `"test_card": true`.
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

FORMAT_VERSION = 1
JPKI_ATR = bytes.fromhex("3BE000FF8131FE4514")


class EmptyVerifyQuirk(StrEnum):
    """How an empty VERIFY answers when the PIN is already verified or blocked (CARD.md §3.3, §12.4 #8)."""

    OPENSC = "opensc"  # always 63Cx: OpenSC 0.23's PKCS#15 binding needs this
    OBSERVED = "observed"  # 9000 when verified, 6984 when blocked, as seen on some real cards


@dataclass
class PinState:
    value: str  # reference data, ASCII; the card's own secret
    max_tries: int
    tries_left: int

    @property
    def blocked(self) -> bool:
        return self.tries_left == 0


@dataclass
class JpkiState:
    auth_pin: PinState
    sign_pin: PinState
    token_label: str = "JPKIAPICCTOKEN2"  # noqa: S105 — a PKCS#11 token label, not a secret
    auth_key: str | None = None  # PKCS#8 PEM, never leaves the card
    sign_key: str | None = None
    auth_cert: bytes | None = None  # EF 000A
    auth_ca_cert: bytes | None = None  # EF 000B
    sign_cert: bytes | None = None  # EF 0001 (needs the sign PIN to read)
    sign_ca_cert: bytes | None = None  # EF 0002


@dataclass
class ApState:
    """A 券面/住基 application: files written at manufacture, PINs, and the AP's own signing key."""

    files: dict[int, bytes] = field(default_factory=dict)
    pins: dict[int, PinState] = field(default_factory=dict)
    ap_key: str | None = None  # PKCS#8 PEM: signs challenges (80 2A 00 00, no credential)


@dataclass
class Holder:
    """Who the card was personalised for: test metadata, not readable through the card's interface."""

    name: str  # kanji, family and given name separated by U+3000
    name_kana: str
    address: str
    birth_date: str  # YYYYMMDD
    sex: str  # ISO 5218: 1 male, 2 female, 9 not applicable
    my_number: str  # 12 digits with a valid check digit


@dataclass
class CardState:
    card_id: bytes  # 16 bytes, GET DATA 0045
    admin_key: bytes  # K_card, docs/card-admin.md §2
    holder: Holder
    jpki: JpkiState
    kenhojo: ApState
    kenkaku: ApState
    juki: ApState
    expiry: str  # YYYYMMDD, GET DATA 00F2
    municipality: str  # 5 digits, GET DATA 00F0
    atr: bytes = JPKI_ATR
    admin_failures: int = 0
    empty_verify: EmptyVerifyQuirk = EmptyVerifyQuirk.OPENSC
    test_card: bool = True
    format: int = FORMAT_VERSION

    # -- persistence -------------------------------------------------------------------------

    def save(self, path: Path) -> None:
        """Atomic write: a card survives a crash of the emulator mid-write."""
        data = json.dumps(_encode(asdict(self)), ensure_ascii=False, indent=1, sort_keys=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: Path) -> CardState:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if raw.get("format") != FORMAT_VERSION:
            raise ValueError(f"{path}: unsupported card file format {raw.get('format')!r}")
        if raw.get("test_card") is not True:
            raise ValueError(f"{path}: not a test card file")
        return cls.from_dict(_decode(raw))

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CardState:
        def pin(p: dict[str, Any]) -> PinState:
            return PinState(**p)

        def ap(a: dict[str, Any]) -> ApState:
            return ApState(
                files={int(k, 16): v for k, v in a["files"].items()},
                pins={int(k, 16): pin(v) for k, v in a["pins"].items()},
                ap_key=a.get("ap_key"),
            )

        jpki = dict(d["jpki"])
        jpki["auth_pin"], jpki["sign_pin"] = pin(jpki["auth_pin"]), pin(jpki["sign_pin"])
        return cls(
            card_id=d["card_id"],
            admin_key=d["admin_key"],
            holder=Holder(**d["holder"]),
            jpki=JpkiState(**jpki),
            kenhojo=ap(d["kenhojo"]),
            kenkaku=ap(d["kenkaku"]),
            juki=ap(d["juki"]),
            expiry=d["expiry"],
            municipality=d["municipality"],
            atr=d["atr"],
            admin_failures=d["admin_failures"],
            empty_verify=EmptyVerifyQuirk(d["empty_verify"]),
            test_card=d["test_card"],
            format=d["format"],
        )


# bytes ↔ {"b64": ...}; int dict keys ↔ 4-digit hex FIDs. Explicit so the file stays diffable.
def _encode(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"b64": base64.b64encode(value).decode("ascii")}
    if isinstance(value, dict):
        return {(f"{k:04X}" if isinstance(k, int) else k): _encode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"b64"}:
            return base64.b64decode(value["b64"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value
