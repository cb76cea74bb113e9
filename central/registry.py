"""The card registry: each card's 運用状況 and the transitions the rules allow.

```
            lost (一時保留, by phone to 機構)         found: held certificates revoked
 運用中  ─────────────────────────────────▶  一時停止  ─────────────────────────────▶  運用中
   │  ╲                                         │
   │   ╲ expiry passes                          │ 廃止 (held certificates revoked)
   │    ╲────────────▶ expired                  ▼
   └──────── 廃止 (valid certificates revoked) ─▶ 廃止
```

要領 第4-3 / 要綱 5: when a lost card is found the held certificates are revoked, not released;
the card goes back to 運用中 and new certificates are issued on a new application. A card that
lost its validity counts as a revocation request for its certificates (規則 17, 53).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from central.authority import Authority
from central.enums import CARD_CERT_KINDS, CardStatus, CertKind, CertStatus, RevocationReason
from central.errors import Conflict, InvalidTransition, NotFound
from central.models import Card, Certificate, Municipality
from central.revocation import hold_row, refresh_crls, revoke_row
from central.timeutil import jst_day

log = logging.getLogger(__name__)

CardId = bytes | str


def card_key(card_id: CardId) -> str:
    """Registry key: 32 lower-case hex digits (the card's 16-byte id, docs/card-admin.md §2)."""
    text = card_id.hex() if isinstance(card_id, bytes) else card_id.strip().lower()
    if len(text) != 32 or set(text) - set("0123456789abcdef"):
        raise ValueError("card id must be 16 bytes / 32 hex digits")
    return text


@dataclass(frozen=True)
class CardCertificate:
    kind: CertKind
    serial: str
    status: CertStatus
    not_after: dt.datetime


@dataclass(frozen=True)
class CardView:
    """What a kiosk's identity check needs: the card's status and its live certificates."""

    card_id: str
    municipality: str
    status: CardStatus
    expiry: dt.date
    face_auth: bool
    certificates: tuple[CardCertificate, ...]  # good or held, not yet expired

    @property
    def operating(self) -> bool:
        return self.status is CardStatus.OPERATING


def register_card(
    session: Session,
    card_id: CardId,
    municipality_code: str,
    holder_ref: str,
    expiry: dt.date,
    *,
    now: dt.datetime,
    face_auth: bool = False,
) -> Card:
    key = card_key(card_id)
    if session.get(Municipality, municipality_code) is None:
        raise NotFound(f"municipality {municipality_code}")
    if session.get(Card, key) is not None:
        raise Conflict(f"card {key} is already registered")
    row = Card(
        card_id=key,
        municipality_code=municipality_code,
        holder_ref=holder_ref,
        status=CardStatus.OPERATING,
        expiry=expiry,
        face_auth=face_auth,
        registered_at=now,
        status_changed_at=now,
    )
    session.add(row)
    session.flush()
    return row


def get_card(session: Session, card_id: CardId, *, for_update: bool = False) -> Card:
    query = select(Card).where(Card.card_id == card_key(card_id))
    if for_update:
        query = query.with_for_update()
    row = session.scalars(query).one_or_none()
    if row is None:
        raise NotFound(f"card {card_key(card_id)}")
    return row


def effective_status(card: Card, now: dt.datetime) -> CardStatus:
    """The stored status, or expired once the card's last day has passed (JST)."""
    if card.status in (CardStatus.OPERATING, CardStatus.SUSPENDED) and card.expiry < jst_day(now):
        return CardStatus.EXPIRED
    return card.status


def live_certificates(
    session: Session, card_id: str, now: dt.datetime, *, for_update: bool = False
) -> list[Certificate]:
    query = (
        select(Certificate)
        .where(
            Certificate.card_id == card_id,
            Certificate.status.in_((CertStatus.GOOD, CertStatus.HOLD)),
            Certificate.not_after >= now,
        )
        .order_by(Certificate.issued_at)
    )
    if for_update:
        query = query.with_for_update()
    return list(session.scalars(query).all())


def lookup_card(session: Session, card_id: CardId, now: dt.datetime) -> CardView:
    card = get_card(session, card_id)
    certs = live_certificates(session, card.card_id, now)
    return CardView(
        card.card_id,
        card.municipality_code,
        effective_status(card, now),
        card.expiry,
        card.face_auth,
        tuple(CardCertificate(c.kind, c.serial, c.status, c.not_after) for c in certs),
    )


def _set_status(card: Card, status: CardStatus, now: dt.datetime) -> None:
    log.info("card %s: %s → %s", card.card_id, card.status.value, status.value)
    card.status = status
    card.status_changed_at = now


def _require(card: Card, now: dt.datetime, *allowed: CardStatus) -> None:
    current = effective_status(card, now)
    if current not in allowed:
        raise InvalidTransition(f"card {card.card_id} is {current.value}")


def suspend_card(session: Session, authority: Authority, card_id: CardId, now: dt.datetime) -> CardView:
    """Card reported lost: 一時停止, its live certificates on hold (certificateHold)."""
    card = get_card(session, card_id, for_update=True)
    _require(card, now, CardStatus.OPERATING)
    certs = live_certificates(session, card.card_id, now, for_update=True)
    changed = [c.issuer for c in certs if c.kind in CARD_CERT_KINDS and hold_row(c, now)]
    _set_status(card, CardStatus.SUSPENDED, now)
    refresh_crls(session, authority, changed, now)
    return lookup_card(session, card.card_id, now)


def release_card(
    session: Session, authority: Authority, card_id: CardId, now: dt.datetime
) -> tuple[CardCertificate, ...]:
    """Lost card found: held certificates revoked (要領 第4-3), card back to 運用中.

    The revocation is the holder's (要綱 5-2: "第3条に規定する方法で失効"), not 職権失効: no reason
    code on the CRL, and no 交付記録簿 column. Returns the certificates it revoked.
    """
    card = get_card(session, card_id, for_update=True)
    _require(card, now, CardStatus.SUSPENDED)
    held = [
        c
        for c in live_certificates(session, card.card_id, now, for_update=True)
        if c.status is CertStatus.HOLD
    ]
    revoked = [c for c in held if revoke_row(session, c, RevocationReason.UNSPECIFIED, now)]
    _set_status(card, CardStatus.OPERATING, now)
    refresh_crls(session, authority, [c.issuer for c in revoked], now)
    return tuple(CardCertificate(c.kind, c.serial, c.status, c.not_after) for c in revoked)


def release_suspension(session: Session, authority: Authority, card_id: CardId, now: dt.datetime) -> CardView:
    """`release_card`, answered with the card as it is now (its held certificates gone)."""
    release_card(session, authority, card_id, now)
    return lookup_card(session, card_id, now)


def abolish_card(session: Session, authority: Authority, card_id: CardId, now: dt.datetime) -> CardView:
    """廃止: every live certificate is revoked (規則 17, 53)."""
    card = get_card(session, card_id, for_update=True)
    _require(card, now, CardStatus.OPERATING, CardStatus.SUSPENDED, CardStatus.EXPIRED)
    certs = live_certificates(session, card.card_id, now, for_update=True)
    changed = [
        c.issuer for c in certs if revoke_row(session, c, RevocationReason.CESSATION_OF_OPERATION, now)
    ]
    _set_status(card, CardStatus.ABOLISHED, now)
    refresh_crls(session, authority, changed, now)
    return lookup_card(session, card.card_id, now)


def expire_cards(session: Session, now: dt.datetime) -> int:
    """Persist `expired` for cards past their last day (their certificates end with the card)."""
    cards = session.scalars(
        select(Card)
        .where(Card.status.in_((CardStatus.OPERATING, CardStatus.SUSPENDED)), Card.expiry < jst_day(now))
        .with_for_update()
    ).all()
    for card in cards:
        _set_status(card, CardStatus.EXPIRED, now)
    return len(cards)


def switch_to_face_auth(
    session: Session, authority: Authority, card_id: CardId, now: dt.datetime
) -> CardView:
    """顔認証カード: the valid signing certificate is revoked (要綱 4条の3-7)."""
    card = get_card(session, card_id, for_update=True)
    _require(card, now, CardStatus.OPERATING)
    certs = live_certificates(session, card.card_id, now, for_update=True)
    changed = [
        c.issuer
        for c in certs
        if c.kind is CertKind.SIGN and revoke_row(session, c, RevocationReason.CESSATION_OF_OPERATION, now)
    ]
    if not card.face_auth:
        log.info("card %s switched to face-auth", card.card_id)
    card.face_auth = True
    card.status_changed_at = now
    refresh_crls(session, authority, changed, now)
    return lookup_card(session, card.card_id, now)


def clear_face_auth(session: Session, card_id: CardId, now: dt.datetime) -> None:
    """Resetting a face-auth card's PIN makes it a normal card again (要綱 4-3, 4-11)."""
    card = get_card(session, card_id, for_update=True)
    if card.face_auth:
        log.info("card %s is a normal card again", card.card_id)
        card.face_auth = False
        card.status_changed_at = now
