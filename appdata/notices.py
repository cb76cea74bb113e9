"""The central's downstream notices to a terminal (docs/sync-protocol.md, "Notices"): what the
central decided on its own after the terminal's request was answered — a deferred issuance
decided, a certificate the terminal requested revoked (破棄 by the confirmation sweep, a
revocation from another counter, a card reported lost), or handed over to the terminal where its
card came back.

A terminal pulls them with a genm carrying its cursor (the highest `seq` it has applied); the
genp answer is one `NoticePage` as JSON, signed with the rest of the CMP answer. Shared by the
central (which writes them) and the kiosk (which applies them), so neither imports the other.
No personal data: identifiers, codes, times and the central's own signed CMP answers.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

ISSUANCE_DECIDED: Final = "issuance.decided"
CERTIFICATE_REVOKED: Final = "certificate.revoked"
HANDED_OVER: Final = "issuance.handed_over"
KINDS: Final = frozenset({ISSUANCE_DECIDED, CERTIFICATE_REVOKED, HANDED_OVER})

PAGE_SIZE: Final = 100  # notices per genp; `more` says another page is waiting


class NoticeFormatError(ValueError):
    """A notice or page that does not follow this module's format."""


@dataclass(frozen=True)
class Notice:
    msg_id: uuid.UUID  # unique for ever: the kiosk's inbox applies each one once
    seq: int  # 1, 2, 3 … per terminal, no gaps
    kind: str  # one of KINDS (a newer central may send kinds an older kiosk keeps unapplied)
    payload: Mapping[str, Any] = field(default_factory=dict)

    def payload_bytes(self) -> bytes:
        """The payload as stored in the kiosk's inbox: canonical JSON."""
        return canonical(self.payload)


@dataclass(frozen=True)
class NoticePage:
    terminal_id: str  # whose notices these are: the kiosk checks it is itself
    after: int  # the cursor the terminal sent
    notices: tuple[Notice, ...]
    more: bool  # another page follows after the last notice

    def to_json(self) -> str:
        return json.dumps(
            {
                "terminal_id": self.terminal_id,
                "after": self.after,
                "more": self.more,
                "notices": [
                    {"msg_id": str(n.msg_id), "seq": n.seq, "kind": n.kind, "payload": dict(n.payload)}
                    for n in self.notices
                ],
            },
            ensure_ascii=False,
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> NoticePage:
        try:
            obj = json.loads(text)
            notices = tuple(
                Notice(uuid.UUID(str(n["msg_id"])), _int(n["seq"]), str(n["kind"]), dict(n["payload"]))
                for n in obj["notices"]
            )
            page = cls(str(obj["terminal_id"]), _int(obj["after"]), notices, bool(obj["more"]))
        except (KeyError, TypeError, ValueError) as exc:  # JSONDecodeError is a ValueError
            raise NoticeFormatError(f"unreadable notice page ({type(exc).__name__})") from exc
        expected = range(page.after + 1, page.after + 1 + len(notices))
        if [n.seq for n in notices] != list(expected):
            raise NoticeFormatError("notice page out of sequence")
        return page


# --- payloads -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuanceDecided:
    """A deferred p10cr was decided: `answer` is the central's signed CMP answer to that p10cr
    (cp with the certificate, or an error), exactly what a pollReq would have fetched."""

    transaction_id: bytes
    answer: bytes

    def to_payload(self) -> dict[str, Any]:
        return {
            "transaction_id": self.transaction_id.hex(),
            "answer": base64.b64encode(self.answer).decode("ascii"),
        }

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> IssuanceDecided:
        try:
            return cls(
                bytes.fromhex(str(payload["transaction_id"])),
                base64.b64decode(str(payload["answer"]), validate=True),
            )
        except (KeyError, TypeError, ValueError) as exc:  # binascii.Error is a ValueError
            raise NoticeFormatError(f"bad {ISSUANCE_DECIDED} payload ({type(exc).__name__})") from exc


@dataclass(frozen=True)
class CertificateRevoked:
    """A certificate this terminal requested was revoked. `destroyed`: ex officio before it was
    confirmed installed (破棄) — a terminal still holding it must not write it to the card."""

    serial: str  # lower-case hex, no leading zeros
    cert_kind: str  # "sign" / "auth"
    reason: str  # RFC 5280 reason name, e.g. "CESSATION_OF_OPERATION"
    ex_officio: bool
    destroyed: bool
    revoked_at: dt.datetime
    application_id: str | None

    def to_payload(self) -> dict[str, Any]:
        return {
            "serial": self.serial,
            "cert_kind": self.cert_kind,
            "reason": self.reason,
            "ex_officio": self.ex_officio,
            "destroyed": self.destroyed,
            "revoked_at": self.revoked_at.isoformat(),
            "application_id": self.application_id,
        }

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> CertificateRevoked:
        try:
            revoked_at = dt.datetime.fromisoformat(str(payload["revoked_at"]))
            application = payload.get("application_id")
            return cls(
                format(int(str(payload["serial"]), 16), "x"),
                str(payload["cert_kind"]),
                str(payload["reason"]),
                bool(payload["ex_officio"]),
                bool(payload["destroyed"]),
                revoked_at,
                None if application is None else str(application),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise NoticeFormatError(f"bad {CERTIFICATE_REVOKED} payload ({type(exc).__name__})") from exc


@dataclass(frozen=True)
class HandedOver:
    """A certificate this terminal requested is being installed by `to_terminal`, where its card
    is now (the handover): this terminal must neither write it nor revoke it as 破棄."""

    serial: str  # lower-case hex, no leading zeros
    cert_kind: str  # "sign" / "auth"
    application_id: str
    to_terminal: str

    def to_payload(self) -> dict[str, Any]:
        return {
            "serial": self.serial,
            "cert_kind": self.cert_kind,
            "application_id": self.application_id,
            "to_terminal": self.to_terminal,
        }

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> HandedOver:
        try:
            return cls(
                format(int(str(payload["serial"]), 16), "x"),
                str(payload["cert_kind"]),
                str(payload["application_id"]),
                str(payload["to_terminal"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise NoticeFormatError(f"bad {HANDED_OVER} payload ({type(exc).__name__})") from exc


def canonical(payload: Mapping[str, Any]) -> bytes:
    return json.dumps(dict(payload), ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def parse_payload(data: bytes) -> dict[str, Any]:
    try:
        obj = json.loads(data)
    except ValueError as exc:
        raise NoticeFormatError("notice payload is not JSON") from exc
    if not isinstance(obj, dict):
        raise NoticeFormatError("notice payload is not a JSON object")
    return obj


def _int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError("expected a non-negative integer")
    return value
