"""Answers of the central's status queries (docs/sync-protocol.md): what a card's registry entry
and a certificate's status look like on the wire — JSON in a genp UTF8String item. Shared by the
central (which builds them) and the kiosk (which reads them), so neither imports the other.

No personal data: identifiers, codes, dates and flags only.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass
from typing import Any

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
        status = str(obj["status"])
        if status not in CARD_STATUSES:
            raise ValueError(f"unknown card status {status!r}")
        return cls(
            card_id=str(obj["card_id"]),
            status=status,
            expiry=dt.date.fromisoformat(obj["expiry"]) if obj.get("expiry") else None,
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
        status = str(obj["status"])
        if status not in CERT_STATUSES:
            raise ValueError(f"unknown certificate status {status!r}")
        return cls(
            serial=str(obj["serial"]),
            status=status,
            kind=obj.get("kind"),
            reason=obj.get("reason"),
            revoked_at=dt.datetime.fromisoformat(obj["revoked_at"]) if obj.get("revoked_at") else None,
            not_after=dt.datetime.fromisoformat(obj["not_after"]) if obj.get("not_after") else None,
            expired=bool(obj.get("expired", False)),
        )


def _iso(value: object) -> str:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _object(text: str) -> dict[str, Any]:
    obj = json.loads(text)
    if not isinstance(obj, dict):
        raise ValueError("status answer is not a JSON object")
    return obj
