"""Answers of the central's status queries (docs/sync-protocol.md): what a card's registry entry
and a certificate's status look like on the wire — JSON in a genp UTF8String item — and what an
accepted suspension release revoked (the same kind of item, next to the application status). Shared by the
central (which builds them) and the kiosk (which reads them), so neither imports the other.

No personal data: identifiers, codes, dates and flags only.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

T = TypeVar("T")

CARD_STATUSES = frozenset({"operating", "suspended", "abolished", "expired", "unregistered"})
CERT_STATUSES = frozenset({"good", "hold", "revoked", "unknown"})


@dataclass(frozen=True)
class CardCertificateView:
    kind: str  # "sign" / "auth"
    serial: str  # lower-case hex
    status: str  # good / hold
    not_after: dt.datetime


@dataclass(frozen=True)
class CardStatusAnswer:
    """運用状況 of one card: the kiosk refuses procedures on a card that is not operating."""

    card_id: str  # 32 hex digits
    status: str
    expiry: dt.date | None = None
    face_auth: bool = False
    certificates: tuple[CardCertificateView, ...] = ()

    @property
    def operating(self) -> bool:
        return self.status == "operating"

    def to_json(self) -> str:
        return json.dumps(asdict(self), default=_iso, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> CardStatusAnswer:
        obj = _object(text)
        status = _status(obj, CARD_STATUSES)
        return cls(
            card_id=str(obj["card_id"]),
            status=status,
            expiry=_optional(obj, "expiry", dt.date.fromisoformat),
            face_auth=bool(obj.get("face_auth", False)),
            certificates=tuple(
                CardCertificateView(
                    kind=str(c["kind"]),
                    serial=str(c["serial"]),
                    status=str(c["status"]),
                    not_after=dt.datetime.fromisoformat(c["not_after"]),
                )
                for c in obj.get("certificates", ())
            ),
        )


@dataclass(frozen=True)
class CertificateStatusAnswer:
    serial: str
    status: str
    kind: str | None = None
    reason: str | None = None  # CRLReason name when revoked or held
    revoked_at: dt.datetime | None = None
    not_after: dt.datetime | None = None
    expired: bool = False

    @property
    def valid(self) -> bool:
        return self.status == "good" and not self.expired

    def to_json(self) -> str:
        return json.dumps(asdict(self), default=_iso, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> CertificateStatusAnswer:
        obj = _object(text)
        status = _status(obj, CERT_STATUSES)
        return cls(
            serial=str(obj["serial"]),
            status=status,
            kind=obj.get("kind"),
            reason=obj.get("reason"),
            revoked_at=_optional(obj, "revoked_at", dt.datetime.fromisoformat),
            not_after=_optional(obj, "not_after", dt.datetime.fromisoformat),
            expired=bool(obj.get("expired", False)),
        )


@dataclass(frozen=True)
class RevokedCertificate:
    kind: str  # "sign" / "auth"
    serial: str  # lower-case hex, no leading zeros (as in CardCertificateView)


@dataclass(frozen=True)
class SuspensionReleased:
    """What an accepted 一時停止解除 did (要領 第4-3, 要綱 5-2): the card is 運用中 again and these
    certificates, held since the loss, are revoked — not released. The kiosk tells the holder
    which ones and offers new ones in the same visit, each on a new issuance application."""

    card_id: str  # 32 hex digits
    revoked_at: dt.datetime
    revoked: tuple[RevokedCertificate, ...] = ()

    def to_json(self) -> str:
        return json.dumps(asdict(self), default=_iso, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> SuspensionReleased:
        obj = _object(text)
        revoked = tuple(RevokedCertificate(str(c["kind"]), str(c["serial"])) for c in obj["revoked"])
        if any(c.kind not in ("sign", "auth") for c in revoked):
            raise ValueError("unknown certificate kind")
        return cls(str(obj["card_id"]), dt.datetime.fromisoformat(obj["revoked_at"]), revoked)


def _iso(value: object) -> str:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _status(obj: dict[str, Any], allowed: frozenset[str]) -> str:
    status = str(obj["status"])
    if status not in allowed:
        raise ValueError(f"unknown status {status!r}")
    return status


def _optional(obj: dict[str, Any], key: str, parse: Callable[[str], T]) -> T | None:
    value = obj.get(key)
    return parse(value) if value else None


def _object(text: str) -> dict[str, Any]:
    obj = json.loads(text)
    if not isinstance(obj, dict):
        raise ValueError("status answer is not a JSON object")
    return obj
