"""Which PIN an unattended terminal may reset on this card, and why not the others (pure rules).

The unattended reset (通知 (1); 計画 2-①) replaces the counter's identity check by three proofs
(FIPS 201-3 §2.9.3: card authentication and a 1:1 biometric match, or no reset):
- the card is genuine (規則 64条の12) and 運用中 at 機構;
- the person knows the *other* JPKI PIN, proven by the card's signature with that PIN's key,
  which 機構 checks against the certificate it holds for the card — so the other PIN's
  certificate must be on the card and good;
- a live face matching the chip's photo, with the presentation-attack challenge.
A 顔認証カード is refused: its auth PIN is random and locked, and resetting one of its PINs makes
it a normal card again (要綱 4-3, 4-11), which is the counter's decision.

The other PIN is tried here only while it has more than one try left: a mistyped PIN at a
terminal with nobody to help must never block the second PIN as well (both blocked → only the
counter can help), so the last try is kept for the counter.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from kiosk.domain.eligibility import CardKind
from kiosk.domain.pin_rules import OTHER_JPKI_PIN, PinKind
from kiosk.domain.procedures import Authenticity, CardSnapshot, CardStatus, CertificateState, CertStatus

RESETTABLE: Final = (PinKind.SIGN, PinKind.AUTH)
OTHER: Final = OTHER_JPKI_PIN  # the PIN that proves the person when this one is reset
MIN_TRIES_TO_SPEND: Final = 2  # the other PIN is tried only while it has at least this many left


class Unavailable(enum.StrEnum):
    """Why a PIN cannot be reset here: the first that applies, in this order (the card before
    the PIN before the terminal)."""

    NOT_GENUINE = "not-genuine"  # 規則 64条の12 failed or could not be checked
    CENTRAL_UNREACHABLE = "central-unreachable"
    CARD_NOT_OPERATING = "card-not-operating"  # suspended, abolished, expired
    FACE_AUTH_CARD = "face-auth-card"
    NO_PROOF_CERTIFICATE = "no-proof-certificate"  # the other PIN's certificate is absent or not good
    OTHER_PIN_BLOCKED = "other-pin-blocked"
    OTHER_PIN_LAST_TRY = "other-pin-last-try"  # kept for the counter (module docstring)
    NOT_OFFERED_HERE = "not-offered-here"  # the terminal does not declare it (last: about the terminal)


@dataclass(frozen=True)
class Offer:
    resettable: tuple[PinKind, ...]
    unavailable: Mapping[PinKind, Unavailable]

    @property
    def anything(self) -> bool:
        return bool(self.resettable)

    def first_reason(self) -> Unavailable:
        """The reason shown when nothing can be offered: the one about the card before the one
        about a PIN (the order of `Unavailable`)."""
        order = list(Unavailable)
        return min(self.unavailable.values(), key=order.index)


def _certificate(snapshot: CardSnapshot, kind: PinKind) -> CertificateState:
    return snapshot.signing if kind is PinKind.SIGN else snapshot.user_auth


def may_spend_try(tries_left: int | None) -> bool:
    """Whether the other PIN may be tried here now (None: the card did not say — treated as
    unknown, so not tried: a blocked second PIN is the outcome to avoid)."""
    return tries_left is not None and tries_left >= MIN_TRIES_TO_SPEND


def _proof_unusable(snapshot: CardSnapshot, other: PinKind) -> bool:
    proof = _certificate(snapshot, other)
    expired = proof.not_after is not None and proof.not_after < snapshot.today
    return not proof.on_card or proof.central is not CertStatus.GOOD or expired


def _blocked(snapshot: CardSnapshot, other: PinKind) -> bool:
    counter = snapshot.pins[other]
    return counter.blocked or counter.tries_left == 0


# The checks in order, each with the reason it gives: a table, so the order is visible and tested.
_CHECKS: Final[tuple[tuple[Unavailable, Callable[[CardSnapshot, PinKind], bool]], ...]] = (
    (Unavailable.NOT_GENUINE, lambda s, _o: s.authenticity is not Authenticity.GENUINE),
    (Unavailable.CENTRAL_UNREACHABLE, lambda s, _o: not s.central_reachable),
    (
        Unavailable.CARD_NOT_OPERATING,
        lambda s, _o: s.card_status is not CardStatus.IN_OPERATION or s.card_expiry < s.today,
    ),
    (Unavailable.FACE_AUTH_CARD, lambda s, _o: s.kind is CardKind.FACE_AUTH),
    (Unavailable.NO_PROOF_CERTIFICATE, _proof_unusable),
    (Unavailable.OTHER_PIN_BLOCKED, _blocked),
    (Unavailable.OTHER_PIN_LAST_TRY, lambda s, o: not may_spend_try(s.pins[o].tries_left)),
)


def why_not(snapshot: CardSnapshot, target: PinKind, declared: tuple[PinKind, ...]) -> Unavailable | None:
    """None when `target` can be reset here; else the first reason it cannot."""
    if target not in RESETTABLE or target not in declared:
        return Unavailable.NOT_OFFERED_HERE
    other = OTHER[target]
    return next((reason for reason, applies in _CHECKS if applies(snapshot, other)), None)


def offer(snapshot: CardSnapshot, declared: tuple[PinKind, ...]) -> Offer:
    reasons = {kind: why_not(snapshot, kind, declared) for kind in RESETTABLE}
    return Offer(
        tuple(kind for kind, reason in reasons.items() if reason is None),
        {kind: reason for kind, reason in reasons.items() if reason is not None},
    )
