"""Which PIN an unattended terminal may reset (kiosk.domain.unattended), row by row.

Rules: RULES.md "Procedures the terminal performs", 暗証番号初期化・再設定 (a convenience-store
terminal using face recognition: 通知 (1); 計画 2-①); 規則 64条の12 (card authenticity);
要綱 4-3, 4-11 (a face-auth card's PIN reset is the counter's); ANCHORS.md, FIPS 201-3 §2.9.3
(card authentication and a biometric match, or no reset). "decision" marks this product's rule.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from kiosk.domain.eligibility import CardKind
from kiosk.domain.pin_rules import PinKind
from kiosk.domain.procedures import (
    Authenticity,
    CardSnapshot,
    CardStatus,
    CertificateState,
    CertStatus,
    PinState,
)
from kiosk.domain.unattended import Offer, Unavailable, may_spend_try, offer, why_not

TODAY = date(2026, 11, 23)
SIGN, AUTH, JUKI = PinKind.SIGN, PinKind.AUTH, PinKind.JUKI
BOTH = (SIGN, AUTH)
U = Unavailable


def cert(end: date = date(2029, 3, 10), status: CertStatus = CertStatus.GOOD) -> CertificateState:
    return CertificateState.read(end, "0a1b2c", status)


def snap(**changes: object) -> CardSnapshot:
    """A genuine, operating normal card with both certificates good and full PIN counters."""
    base = CardSnapshot(
        today=TODAY,
        authenticity=Authenticity.GENUINE,
        kind=CardKind.NORMAL,
        card_expiry=date(2034, 3, 10),
        card_status=CardStatus.IN_OPERATION,
        signing=cert(),
        user_auth=cert(),
        pins={SIGN: PinState(5), AUTH: PinState(3), JUKI: PinState(3)},
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def offline() -> CardSnapshot:
    unknown = replace(cert(), central=CertStatus.UNKNOWN)
    return snap(card_status=CardStatus.UNKNOWN, signing=unknown, user_auth=unknown)


ROWS = [
    # (case, snapshot, target, declared, expected reason) — the rule each row encodes
    ("healthy card, sign PIN (proven by the auth PIN)", snap(), SIGN, BOTH, None),
    ("healthy card, auth PIN (proven by the sign PIN)", snap(), AUTH, BOTH, None),
    ("the target PIN may itself be blocked: that is what a reset is for", snap(
        pins={SIGN: PinState(0, blocked=True), AUTH: PinState(3), JUKI: PinState(3)}), SIGN, BOTH, None),
    ("規則 64条の12: not genuine", snap(authenticity=Authenticity.NOT_GENUINE), SIGN, BOTH, U.NOT_GENUINE),
    ("規則 64条の12: genuineness not checked is not enough unattended (decision)",
     snap(authenticity=Authenticity.NOT_CHECKED), SIGN, BOTH, U.NOT_GENUINE),
    ("機構 unreachable: no ticket, no status", offline(), AUTH, BOTH, U.CENTRAL_UNREACHABLE),
    ("要領 第4-3: suspended card", snap(card_status=CardStatus.SUSPENDED), SIGN, BOTH, U.CARD_NOT_OPERATING),
    ("abolished card", snap(card_status=CardStatus.ABOLISHED), AUTH, BOTH, U.CARD_NOT_OPERATING),
    ("card past its expiry", snap(card_expiry=date(2026, 11, 22)), AUTH, BOTH, U.CARD_NOT_OPERATING),
    ("要綱 4-3, 4-11: face-auth card goes to the counter", snap(kind=CardKind.FACE_AUTH), AUTH, BOTH,
     U.FACE_AUTH_CARD),
    ("proof needs the other certificate: no auth certificate on the card",
     snap(user_auth=CertificateState.absent(CertStatus.REVOKED)), SIGN, BOTH, U.NO_PROOF_CERTIFICATE),
    ("proof needs the other certificate good at 機構", snap(signing=cert(status=CertStatus.REVOKED)),
     AUTH, BOTH, U.NO_PROOF_CERTIFICATE),
    ("proof certificate on hold", snap(signing=cert(status=CertStatus.ON_HOLD)), AUTH, BOTH,
     U.NO_PROOF_CERTIFICATE),
    ("proof certificate expired", snap(user_auth=cert(end=date(2026, 11, 22))), SIGN, BOTH,
     U.NO_PROOF_CERTIFICATE),
    ("the other certificate is irrelevant to the target's own", snap(signing=cert(status=CertStatus.REVOKED)),
     SIGN, BOTH, None),
    ("other PIN blocked: both forgotten in effect", snap(
        pins={SIGN: PinState(5), AUTH: PinState(0, blocked=True), JUKI: PinState(3)}), SIGN, BOTH,
     U.OTHER_PIN_BLOCKED),
    ("other PIN on its last try: kept for the counter (decision)", snap(
        pins={SIGN: PinState(1), AUTH: PinState(3), JUKI: PinState(3)}), AUTH, BOTH, U.OTHER_PIN_LAST_TRY),
    ("other PIN's count not reported: not tried (decision)", snap(
        pins={SIGN: PinState(None), AUTH: PinState(3), JUKI: PinState(3)}), AUTH, BOTH, U.OTHER_PIN_LAST_TRY),
    ("other PIN with two tries left may be tried", snap(
        pins={SIGN: PinState(5), AUTH: PinState(2), JUKI: PinState(3)}), SIGN, BOTH, None),
    ("the terminal declares only the auth PIN", snap(), SIGN, (AUTH,), U.NOT_OFFERED_HERE),
    ("the 住基 PIN is never reset by 機構", snap(), JUKI, BOTH, U.NOT_OFFERED_HERE),
    ("card reasons come before PIN reasons", snap(
        card_status=CardStatus.SUSPENDED, pins={SIGN: PinState(5), AUTH: PinState(0, blocked=True),
                                                JUKI: PinState(3)}), SIGN, BOTH, U.CARD_NOT_OPERATING),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "snapshot", "target", "declared", "expected"), ROWS, ids=[r[0] for r in ROWS]
)
def test_why_not(
    case: str,
    snapshot: CardSnapshot,
    target: PinKind,
    declared: tuple[PinKind, ...],
    expected: Unavailable | None,
) -> None:
    assert why_not(snapshot, target, declared) is expected, case


def test_offer_lists_what_can_be_reset_and_why_not_the_rest() -> None:
    found = offer(snap(signing=cert(status=CertStatus.REVOKED)), BOTH)
    assert found.resettable == (SIGN,)
    assert found.unavailable == {AUTH: U.NO_PROOF_CERTIFICATE}
    assert found.anything


def test_nothing_offered_names_the_card_reason_before_the_terminal_one() -> None:
    found = offer(snap(authenticity=Authenticity.NOT_GENUINE), (AUTH,))
    assert not found.anything
    assert found.unavailable == {SIGN: U.NOT_OFFERED_HERE, AUTH: U.NOT_GENUINE}
    assert found.first_reason() is U.NOT_GENUINE


def test_first_reason_follows_the_declared_order() -> None:
    assert (
        Offer((), {SIGN: U.OTHER_PIN_LAST_TRY, AUTH: U.OTHER_PIN_BLOCKED}).first_reason()
        is U.OTHER_PIN_BLOCKED
    )


@pytest.mark.parametrize(("tries", "allowed"), [(None, False), (0, False), (1, False), (2, True), (5, True)])
def test_a_try_is_spent_only_with_one_to_spare(tries: int | None, allowed: bool) -> None:
    assert may_spend_try(tries) is allowed
