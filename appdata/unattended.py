"""The unattended PIN reset's wire format (docs/unattended.md): shared by the central, which opens
tickets, checks the card's proof and rate-limits, and the kiosk, which asks and proves.

    kiosk                                   central
    RESET_TICKET_REQUEST {card, target} ─►  mode, card status, proof certificate, rate limits
                                       ◄─  RESET_TICKET {ticket, nonce, expires} | {refusal}
    VERIFY the other PIN; the card signs `proof_message` with the other PIN's key
    face check with the presentation-attack challenge
    APPLICATION_ENVELOPE (PIN_RESET,
      identity other_pin_and_face)
      + RESET_PROOF {ticket, signature,  ─►  ticket open, unexpired, this card and terminal; the
        face score, liveness}                signature verifies with the card's good certificate
                                            of the other key; face matched with liveness
                                       ◄─  APPLICATION_ID, APPLICATION_STATUS (approved until the
                                            ticket expires: admin_auth refuses after)
    admin challenge / response (single use) → RESET RETRY COUNTER on the card
    RESET_OUTCOME {ticket, outcome, reason} ─►  recorded with the ticket (the referral's "why")

JSON in UTF8String items, as appdata.handover. Reasons and refusals are fixed codes (below):
they reach the ledger of attempts and the screen's wording, never free text or personal data.
"""

from __future__ import annotations

import base64
import datetime as dt
import enum
import hashlib
import json
import math
import re
from dataclasses import dataclass
from typing import Final

RESET_TARGETS: Final = ("sign", "auth")  # the PIN being reset, as ApplicationData.pin_targets
# The PIN the person proves: the other one. Its key signs the proof, checked against its
# certificate, so the central does not take the terminal's word for the VERIFY.
PROOF_KEY: Final = {"sign": "auth", "auth": "sign"}
_PROOF_LABEL: Final = b"JPKI-KIOSK-UNATTENDED-PIN-RESET/1\x00"
_CARD_ID = re.compile(r"[0-9a-f]{32}")
NONCE_BYTES: Final = 32


class UnattendedFormatError(ValueError):
    """A message that does not follow this module's format (the text names the field only)."""


class Refusal(enum.StrEnum):
    """Why the central will not open a ticket or accept the proof."""

    TERMINAL_NOT_UNATTENDED = "terminal-not-unattended"  # a counter terminal asked
    PIN_NOT_OFFERED = "pin-not-offered"  # this terminal is not registered to reset that PIN
    CARD_UNREGISTERED = "card-unregistered"
    CARD_NOT_OPERATING = "card-not-operating"  # suspended (一時停止), abolished, expired
    FACE_AUTH_CARD = "face-auth-card"  # 顔認証カード: its PINs are reset at the counter (要綱 4-11)
    NO_PROOF_CERTIFICATE = "no-proof-certificate"  # the other PIN's certificate is not good
    RATE_LIMITED_CARD = "rate-limited-card"  # too many attempts on this card
    RATE_LIMITED_TERMINAL = "rate-limited-terminal"  # too many attempts at this terminal
    TICKET_UNKNOWN = "ticket-unknown"
    TICKET_EXPIRED = "ticket-expired"
    TICKET_USED = "ticket-used"
    TICKET_MISMATCH = "ticket-mismatch"  # another card, terminal or PIN than the ticket's
    PROOF_INVALID = "proof-invalid"  # the card's signature does not verify
    FACE_NOT_MATCHED = "face-not-matched"  # the reported face decision is not a live match


class Outcome(enum.StrEnum):
    COMPLETED = "completed"  # the PIN was reset on the card
    REFERRED = "referred"  # the person was sent to the municipal counter (reason says why)


class Reason(enum.StrEnum):
    """Why an attempt ended in a referral (the record of why, and the screen's wording)."""

    BOTH_FORGOTTEN = "both-forgotten"
    OTHER_PIN_WRONG = "other-pin-wrong"  # wrong every time this visit allows
    OTHER_PIN_BLOCKED = "other-pin-blocked"
    FACE_MISMATCH = "face-mismatch"
    PRESENTATION_ATTACK = "presentation-attack"  # a held-up photo, a replay, a failed challenge
    FACE_NOT_CAPTURED = "face-not-captured"  # no usable frames, no camera
    CARD_CODE_WRONG = "card-code-wrong"  # 照合番号B refused by the card
    CARD_NOT_GENUINE = "card-not-genuine"  # 規則 64条の12
    CENTRAL_REFUSED = "central-refused"  # the refusal code is recorded beside it
    CENTRAL_UNREACHABLE = "central-unreachable"
    CARD_REMOVED = "card-removed"
    TIMED_OUT = "timed-out"
    CANCELLED = "cancelled"
    RESET_FAILED = "reset-failed"  # the card refused the reset itself


def _card_id(value: object) -> str:
    text = str(value)
    if not _CARD_ID.fullmatch(text):
        raise UnattendedFormatError("card_id must be 32 lower-case hex digits")
    return text


def _target(value: object) -> str:
    text = str(value)
    if text not in RESET_TARGETS:
        raise UnattendedFormatError("target must be 'sign' or 'auth'")
    return text


def _b64(text: object, field: str) -> bytes:
    try:
        return base64.b64decode(str(text), validate=True)
    except ValueError as exc:
        raise UnattendedFormatError(f"{field} is not base64") from exc


def _load(text: str, what: str) -> dict[str, object]:
    try:
        obj = json.loads(text)
    except ValueError as exc:
        raise UnattendedFormatError(f"{what}: not JSON") from exc
    if not isinstance(obj, dict):
        raise UnattendedFormatError(f"{what}: not an object")
    return obj


def _finite_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _time(value: object) -> dt.datetime:
    try:
        when = dt.datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise UnattendedFormatError("expires_at is not an ISO 8601 time") from exc
    if when.tzinfo is None:
        raise UnattendedFormatError("expires_at has no time zone")
    return when


@dataclass(frozen=True)
class TicketRequest:
    card_id: str  # 32 lower-case hex digits
    target: str  # the PIN to reset: one of RESET_TARGETS

    def __post_init__(self) -> None:
        _card_id(self.card_id)
        _target(self.target)

    def to_json(self) -> str:
        return json.dumps({"card_id": self.card_id, "target": self.target}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> TicketRequest:
        obj = _load(text, "ticket request")
        try:
            return cls(_card_id(obj["card_id"]), _target(obj["target"]))
        except KeyError as exc:
            raise UnattendedFormatError(f"ticket request: {exc.args[0]} missing") from None


@dataclass(frozen=True)
class TicketAnswer:
    """A ticket (ticket_id, nonce, expires_at) or a refusal, never both."""

    ticket_id: str | None = None
    nonce: bytes | None = None
    expires_at: dt.datetime | None = None
    refusal: Refusal | None = None

    def __post_init__(self) -> None:
        granted = (self.ticket_id, self.nonce, self.expires_at)
        if self.refusal is None and None in granted:
            raise UnattendedFormatError("a ticket has an id, a nonce and an expiry")
        if self.refusal is not None and any(v is not None for v in granted):
            raise UnattendedFormatError("a refusal carries no ticket")
        if self.nonce is not None and len(self.nonce) != NONCE_BYTES:
            raise UnattendedFormatError(f"a nonce is {NONCE_BYTES} bytes")

    @property
    def granted(self) -> bool:
        return self.refusal is None

    def to_json(self) -> str:
        if self.refusal is not None:
            return json.dumps({"refusal": self.refusal.value})
        assert self.nonce is not None and self.expires_at is not None
        return json.dumps(
            {
                "ticket_id": self.ticket_id,
                "nonce": base64.b64encode(self.nonce).decode("ascii"),
                "expires_at": self.expires_at.isoformat(),
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> TicketAnswer:
        obj = _load(text, "ticket answer")
        try:
            if "refusal" in obj:
                return cls(refusal=Refusal(str(obj["refusal"])))
            return cls(str(obj["ticket_id"]), _b64(obj["nonce"], "nonce"), _time(obj["expires_at"]))
        except KeyError as exc:
            raise UnattendedFormatError(f"ticket answer: {exc.args[0]} missing") from None
        except ValueError as exc:  # an unknown refusal code
            raise UnattendedFormatError(f"ticket answer: {exc}") from None


def proof_message(ticket_id: str, nonce: bytes, card_id: str, target: str, terminal_id: str) -> bytes:
    """What the card signs (SHA-256, PKCS#1 v1.5) with the other PIN's key: the ticket's nonce
    bound to this ticket, card, PIN and terminal, so a signature proves this attempt only."""
    fields = (
        ticket_id.encode(),
        nonce,
        _card_id(card_id).encode(),
        _target(target).encode(),
        terminal_id.encode(),
    )
    body = b"".join(len(f).to_bytes(2, "big") + f for f in fields)
    return _PROOF_LABEL + hashlib.sha256(body).digest()


@dataclass(frozen=True)
class ResetProof:
    """Sent beside the PIN_RESET application: the card's signature and the face decision (scores
    only: never an image)."""

    ticket_id: str
    signature: bytes
    face_score: float  # the fused distance to the card photo (lower = more alike)
    face_threshold: float
    liveness_passed: bool  # the presentation-attack challenge was asked and passed

    def to_json(self) -> str:
        return json.dumps(
            {
                "ticket_id": self.ticket_id,
                "signature": base64.b64encode(self.signature).decode("ascii"),
                "face_score": round(self.face_score, 4),
                "face_threshold": round(self.face_threshold, 4),
                "liveness_passed": self.liveness_passed,
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> ResetProof:
        obj = _load(text, "reset proof")
        try:
            score, threshold, live = obj["face_score"], obj["face_threshold"], obj["liveness_passed"]
            # json.loads reads NaN and ±Infinity, and a bool is an int: none of them is a score
            # (an -Infinity distance would pass any threshold).
            if not all(_finite_number(v) for v in (score, threshold)):
                raise UnattendedFormatError("reset proof: face scores are finite numbers")
            if not isinstance(live, bool):
                raise UnattendedFormatError("reset proof: liveness_passed is true or false")
            return cls(
                str(obj["ticket_id"]),
                _b64(obj["signature"], "signature"),
                float(score),
                float(threshold),
                live,
            )
        except KeyError as exc:
            raise UnattendedFormatError(f"reset proof: {exc.args[0]} missing") from None

    @property
    def face_matched(self) -> bool:
        return self.liveness_passed and self.face_score <= self.face_threshold


@dataclass(frozen=True)
class ResetOutcome:
    """How the attempt under a ticket ended, reported by the kiosk (store-and-forward)."""

    ticket_id: str
    outcome: Outcome
    reason: Reason | None = None  # set for a referral
    refusal: Refusal | None = None  # the central's code, when the reason is CENTRAL_REFUSED

    def __post_init__(self) -> None:
        if (self.outcome is Outcome.REFERRED) != (self.reason is not None):
            raise UnattendedFormatError("a referral, and only a referral, has a reason")

    def to_json(self) -> str:
        obj: dict[str, str] = {"ticket_id": self.ticket_id, "outcome": self.outcome.value}
        if self.reason is not None:
            obj["reason"] = self.reason.value
        if self.refusal is not None:
            obj["refusal"] = self.refusal.value
        return json.dumps(obj, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ResetOutcome:
        obj = _load(text, "reset outcome")
        try:
            reason, refusal = obj.get("reason"), obj.get("refusal")
            return cls(
                str(obj["ticket_id"]),
                Outcome(str(obj["outcome"])),
                Reason(str(reason)) if reason is not None else None,
                Refusal(str(refusal)) if refusal is not None else None,
            )
        except KeyError as exc:
            raise UnattendedFormatError(f"reset outcome: {exc.args[0]} missing") from None
        except ValueError as exc:
            if isinstance(exc, UnattendedFormatError):
                raise
            raise UnattendedFormatError(f"reset outcome: {exc}") from None
