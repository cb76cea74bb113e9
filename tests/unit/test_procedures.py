"""The counter's pre-flight (kiosk.domain.procedures): which procedures the inserted card can go through.

Each row names the rule it encodes: the RULES.md "Procedures the terminal performs" row or the
article of the original; "decision" marks a rule the sources leave open (see the module docstring).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import date, timedelta
from itertools import product

import pytest

from kiosk.domain.eligibility import CardKind, Certificate
from kiosk.domain.pin_rules import PinCounter, PinKind
from kiosk.domain.procedures import (
    MENU,
    PINS,
    Authenticity,
    Availability,
    CardSnapshot,
    CardStatus,
    CertificateState,
    CertStatus,
    Decision,
    Item,
    PinState,
    Preflight,
    Procedure,
    Reason,
    preflight,
    renewal_opens,
)
from kiosk.reader.session import PinStatus
from kiosk.store.models import ProcedureKind

TODAY = date(2025, 6, 15)
CARD_EXPIRY = date(2034, 3, 10)  # far away: the card is not the limit unless a row says so
CERT_END = date(2029, 3, 10)  # far outside the renewal window
SIGN, AUTH, JUKI = PinKind.SIGN, PinKind.AUTH, PinKind.JUKI
SIGNING, USER_AUTH = Certificate.SIGNING, Certificate.USER_AUTH

P = Procedure
A = Availability
R = Reason
OFFERED, QUEUED, FOLLOW_UP = A.OFFERED, A.QUEUED, A.FOLLOW_UP
NEEDS, NO = A.NEEDS_CENTRAL, A.NOT_OFFERED
FULL = {SIGN: PinState(5), AUTH: PinState(3), JUKI: PinState(3)}
LOCKED = PinState(0, blocked=True)


def cert(end: date = CERT_END, status: CertStatus = CertStatus.GOOD) -> CertificateState:
    return CertificateState.read(end, "0A1B2C", status)


def snap(
    *,
    today: date = TODAY,
    authenticity: Authenticity = Authenticity.GENUINE,
    kind: CardKind = CardKind.NORMAL,
    card_expiry: date = CARD_EXPIRY,
    status: CardStatus = CardStatus.IN_OPERATION,
    signing: CertificateState | None = None,
    user_auth: CertificateState | None = None,
    pins: Mapping[PinKind, PinCounter] | None = None,
    forgotten: frozenset[PinKind] = frozenset(),
    offline: bool = False,
) -> CardSnapshot:
    """A healthy normal card unless told otherwise. `offline`: 機構 unreachable, so its answers
    (card and certificate status) are unknown."""
    signing = cert() if signing is None else signing
    user_auth = cert() if user_auth is None else user_auth
    if offline:
        status = CardStatus.UNKNOWN
        signing = replace(signing, central=CertStatus.UNKNOWN)
        user_auth = replace(user_auth, central=CertStatus.UNKNOWN)
    return CardSnapshot(
        today=today,
        authenticity=authenticity,
        kind=kind,
        card_expiry=card_expiry,
        card_status=status,
        signing=signing,
        user_auth=user_auth,
        pins={**FULL, **(pins or {})},
        declared_forgotten=forgotten,
    )


def face_auth_card(
    *,
    status: CardStatus = CardStatus.IN_OPERATION,
    signing: CertificateState | None = None,
    user_auth: CertificateState | None = None,
    pins: Mapping[PinKind, PinCounter] | None = None,
) -> CardSnapshot:
    """What 要綱 4条の3-7 leaves: no signing certificate, the auth PIN random and locked."""
    return snap(
        kind=CardKind.FACE_AUTH,
        status=status,
        signing=CertificateState.absent(CertStatus.REVOKED) if signing is None else signing,
        user_auth=user_auth,
        pins={AUTH: LOCKED} if pins is None else pins,
    )


def unread_signing(*, not_after: date | None = None, serial: str | None = None) -> CertificateState:
    """The signing certificate behind its PIN (CARD.md §3.1), with what 機構's record gave."""
    return CertificateState.unread(CertStatus.GOOD, not_after=not_after, serial=serial)


def days(n: int) -> timedelta:
    return timedelta(days=n)


# --- one decision per row -------------------------------------------------------------------------


def row(
    name: str,
    snapshot: CardSnapshot,
    item: Item,
    availability: Availability,
    *reasons: Reason,
    after: Item | None = None,
) -> object:
    return pytest.param(snapshot, item, availability, reasons, after, id=name)


ROWS = [
    # 規則 64条の12 (card authenticity); RULES "Face check": a card that is not genuine gets nothing.
    row(
        "not-genuine-no-disclosure-64-12",
        snap(authenticity=Authenticity.NOT_GENUINE),
        Item(P.DISCLOSURE),
        NO,
        R.NOT_GENUINE,
    ),
    row(
        "authenticity-not-checked-counts-as-not-genuine-decision",
        snap(authenticity=Authenticity.NOT_CHECKED),
        Item(P.PIN_CHANGE, JUKI),
        NO,
        R.AUTHENTICITY_NOT_CHECKED,
    ),
    # 規則 17, 53: a card that lost its validity counts as a revocation request.
    row(
        "abolished-no-issuance-17-53",
        snap(
            status=CardStatus.ABOLISHED,
            signing=cert(status=CertStatus.REVOKED),
            user_auth=cert(status=CertStatus.REVOKED),
        ),
        Item(P.NEW_ISSUANCE, USER_AUTH),
        NO,
        R.CARD_ABOLISHED,
    ),
    row(
        "abolished-disclosure-with-another-id-要綱6",
        snap(status=CardStatus.ABOLISHED),
        Item(P.DISCLOSURE),
        OFFERED,
        R.CARD_NOT_ID,
    ),
    row(
        "card-expiry-day-still-valid-17-53",
        snap(card_expiry=TODAY),
        Item(P.REVOCATION, SIGNING),
        OFFERED,
        R.AVAILABLE,
    ),
    row(
        "card-day-after-expiry-17-53",
        snap(card_expiry=TODAY - days(1)),
        Item(P.REVOCATION, SIGNING),
        NO,
        R.CARD_EXPIRED,
    ),
    row(
        "central-says-expired-wins-decision",
        snap(status=CardStatus.EXPIRED),
        Item(P.PIN_CHANGE, JUKI),
        NO,
        R.CARD_EXPIRED,
    ),
    # 要領 第2-1-(1)-ア-(イ)-A-(A): an expired card is an ID for 6 months (here: to 2025-06-15).
    row(
        "expired-card-last-grace-day-要領A",
        snap(card_expiry=date(2024, 12, 15)),
        Item(P.DISCLOSURE),
        OFFERED,
        R.EXPIRED_CARD_ID_WITH_PHOTO,
    ),
    row(
        "expired-card-grace-over-要領A",
        snap(card_expiry=date(2024, 12, 14)),
        Item(P.DISCLOSURE),
        OFFERED,
        R.CARD_NOT_ID,
    ),
    # 要領 第4-3, 要綱 5-2: a suspended card gets the found-card release, then new certificates.
    row(
        "suspended-release-要領4-3",
        snap(
            status=CardStatus.SUSPENDED,
            signing=cert(status=CertStatus.ON_HOLD),
            user_auth=cert(status=CertStatus.ON_HOLD),
        ),
        Item(P.FOUND_CARD_RELEASE),
        OFFERED,
        R.RELEASE_FOUND_CARD,
    ),
    row(
        "suspended-new-issuance-follows-要綱5-2",
        snap(status=CardStatus.SUSPENDED),
        Item(P.NEW_ISSUANCE, SIGNING),
        FOLLOW_UP,
        R.NEW_AFTER_RELEASE,
        after=Item(P.FOUND_CARD_RELEASE),
    ),
    row(
        "suspended-no-revocation-要領4-3",
        snap(status=CardStatus.SUSPENDED),
        Item(P.REVOCATION, USER_AUTH),
        NO,
        R.CARD_SUSPENDED,
    ),
    row(
        "suspended-no-disclosure-brief",
        snap(status=CardStatus.SUSPENDED),
        Item(P.DISCLOSURE),
        NO,
        R.CARD_SUSPENDED,
    ),
    row(
        "certificate-on-hold-counts-as-suspended-decision",
        snap(user_auth=cert(status=CertStatus.ON_HOLD)),
        Item(P.FOUND_CARD_RELEASE),
        OFFERED,
        R.RELEASE_FOUND_CARD,
    ),
    row(
        "suspended-and-expired-no-release-17-53",
        snap(status=CardStatus.SUSPENDED, card_expiry=TODAY - days(1)),
        Item(P.FOUND_CARD_RELEASE),
        NO,
        R.CARD_EXPIRED,
    ),
    row(
        "suspended-face-auth-no-signing-follow-up-42-3",
        face_auth_card(status=CardStatus.SUSPENDED),
        Item(P.NEW_ISSUANCE, SIGNING),
        NO,
        R.NO_SIGNING_ON_FACE_AUTH_CARD,
    ),
    row(
        "in-operation-nothing-to-release-要領4-3",
        snap(),
        Item(P.FOUND_CARD_RELEASE),
        NO,
        R.CARD_NOT_SUSPENDED,
    ),
    # Renewal (要綱 2-16) opens three months before the end (decision), through the last day.
    row(
        "renewal-window-first-day-decision",
        snap(signing=cert(date(2025, 9, 15))),
        Item(P.RENEWAL, SIGNING),
        OFFERED,
        R.IN_RENEWAL_WINDOW,
    ),
    row(
        "renewal-window-day-before-decision",
        snap(signing=cert(date(2025, 9, 16))),
        Item(P.RENEWAL, SIGNING),
        NO,
        R.RENEWAL_NOT_YET,
    ),
    row(
        "renewal-on-last-valid-day-要綱2-16",
        snap(user_auth=cert(TODAY)),
        Item(P.RENEWAL, USER_AUTH),
        OFFERED,
        R.IN_RENEWAL_WINDOW,
    ),
    row(
        "no-renewal-day-after-expiry-法34-1-5",
        snap(user_auth=cert(TODAY - days(1))),
        Item(P.RENEWAL, USER_AUTH),
        NO,
        R.CERTIFICATE_EXPIRED,
    ),
    row(
        "expired-certificate-new-issuance-法34-1-5",
        snap(user_auth=cert(TODAY - days(1))),
        Item(P.NEW_ISSUANCE, USER_AUTH),
        OFFERED,
        R.CERTIFICATE_EXPIRED,
    ),
    row(
        "revoked-no-renewal-法15",
        snap(signing=cert(status=CertStatus.REVOKED)),
        Item(P.RENEWAL, SIGNING),
        NO,
        R.CERTIFICATE_REVOKED,
    ),
    row(
        "revoked-new-issuance-法15",
        snap(signing=cert(status=CertStatus.REVOKED)),
        Item(P.NEW_ISSUANCE, SIGNING),
        OFFERED,
        R.CERTIFICATE_REVOKED,
    ),
    row(
        "absent-no-renewal-要綱2-16",
        snap(signing=CertificateState.absent(CertStatus.REVOKED)),
        Item(P.RENEWAL, SIGNING),
        NO,
        R.NO_CERTIFICATE,
    ),
    row(
        "absent-new-issuance-要綱2-1",
        snap(signing=CertificateState.absent(CertStatus.REVOKED)),
        Item(P.NEW_ISSUANCE, SIGNING),
        OFFERED,
        R.NO_CERTIFICATE,
    ),
    # 規則 有効期間 第2号: a certificate ends at the latest with the card.
    row(
        "renewal-pointless-ends-with-card-規則有効期間",
        snap(card_expiry=date(2025, 8, 1), user_auth=cert(date(2025, 8, 1))),
        Item(P.RENEWAL, USER_AUTH),
        NO,
        R.RENEWAL_ENDS_WITH_CARD,
    ),
    row(
        "certificate-cut-at-card-expiry-規則有効期間",
        snap(card_expiry=date(2025, 8, 1), user_auth=cert(date(2026, 3, 1))),
        Item(P.RENEWAL, USER_AUTH),
        NO,
        R.RENEWAL_ENDS_WITH_CARD,
    ),
    row(
        "renewal-extends-when-card-lasts-longer-規則有効期間",
        snap(card_expiry=date(2025, 10, 1), user_auth=cert(date(2025, 8, 1))),
        Item(P.RENEWAL, USER_AUTH),
        OFFERED,
        R.IN_RENEWAL_WINDOW,
    ),
    # Renewal keeps the current PIN (要綱 2-16): locked or forgotten → reset first (decision).
    row(
        "renewal-locked-pin-after-reset-要綱2-16",
        snap(signing=cert(TODAY + days(30)), pins={SIGN: LOCKED}),
        Item(P.RENEWAL, SIGNING),
        FOLLOW_UP,
        R.RENEWAL_NEEDS_PIN,
        after=Item(P.PIN_RESET, SIGN),
    ),
    row(
        "renewal-forgotten-pin-after-reset-要綱2-16",
        snap(user_auth=cert(TODAY + days(30)), forgotten=frozenset({AUTH})),
        Item(P.RENEWAL, USER_AUTH),
        FOLLOW_UP,
        R.RENEWAL_NEEDS_PIN,
        after=Item(P.PIN_RESET, AUTH),
    ),
    row(
        "renewal-warns-last-try-ANCHORS",
        snap(signing=cert(TODAY + days(30)), pins={SIGN: PinState(1)}),
        Item(P.RENEWAL, SIGNING),
        OFFERED,
        R.IN_RENEWAL_WINDOW,
        R.LAST_TRY,
    ),
    row(
        "in-window-new-issuance-is-renewal-要綱2-16",
        snap(signing=cert(TODAY + days(30))),
        Item(P.NEW_ISSUANCE, SIGNING),
        NO,
        R.USE_RENEWAL,
    ),
    row(
        "in-window-locked-pin-still-renewal-要綱2-16",
        snap(signing=cert(TODAY + days(30)), pins={SIGN: LOCKED}),
        Item(P.NEW_ISSUANCE, SIGNING),
        NO,
        R.USE_RENEWAL,
    ),
    row(
        "valid-outside-window-revoke-then-issue-要綱3-1-decision",
        snap(),
        Item(P.NEW_ISSUANCE, USER_AUTH),
        FOLLOW_UP,
        R.REVOKE_FIRST,
        after=Item(P.REVOCATION, USER_AUTH),
    ),
    # The signing certificate is behind its PIN (CARD.md §3.1): 機構's record, or read after the PIN.
    row(
        "unread-signing-dates-from-central-decision",
        snap(signing=unread_signing(not_after=TODAY + days(30), serial="77")),
        Item(P.RENEWAL, SIGNING),
        OFFERED,
        R.IN_RENEWAL_WINDOW,
    ),
    row(
        "unread-signing-window-from-central-decision",
        snap(signing=unread_signing(not_after=date(2025, 9, 16), serial="77")),
        Item(P.RENEWAL, SIGNING),
        NO,
        R.RENEWAL_NOT_YET,
    ),
    row(
        "unread-signing-dates-after-pin-decision",
        snap(signing=unread_signing()),
        Item(P.RENEWAL, SIGNING),
        OFFERED,
        R.RENEWAL_DATES_AFTER_PIN,
    ),
    row(
        "unread-signing-locked-pin-reset-first-要綱2-16",
        snap(signing=unread_signing(), pins={SIGN: LOCKED}),
        Item(P.RENEWAL, SIGNING),
        FOLLOW_UP,
        R.RENEWAL_NEEDS_PIN,
        after=Item(P.PIN_RESET, SIGN),
    ),
    # Face-auth card: no signing certificate (規則 42-3; 要綱 2-15, 4条の3-7), auth PIN locked.
    row(
        "face-auth-signing-after-auth-reset-要綱4-3",
        face_auth_card(),
        Item(P.NEW_ISSUANCE, SIGNING),
        FOLLOW_UP,
        R.NO_SIGNING_ON_FACE_AUTH_CARD,
        after=Item(P.PIN_RESET, AUTH),
    ),
    row(
        "face-auth-no-signing-renewal-42-3",
        face_auth_card(signing=cert()),
        Item(P.RENEWAL, SIGNING),
        NO,
        R.NO_SIGNING_ON_FACE_AUTH_CARD,
    ),
    row(
        "face-auth-stray-signing-can-be-revoked-要綱3",
        face_auth_card(signing=cert()),
        Item(P.REVOCATION, SIGNING),
        OFFERED,
        R.AVAILABLE,
    ),
    row(
        "face-auth-pin-cannot-change-4の3-7",
        face_auth_card(),
        Item(P.PIN_CHANGE, AUTH),
        NO,
        R.FACE_AUTH_PIN_LOCKED,
    ),
    row(
        "face-auth-reset-makes-normal-要綱4-3-4-11",
        face_auth_card(),
        Item(P.PIN_RESET, AUTH),
        OFFERED,
        R.RESET_MAKES_NORMAL_CARD,
    ),
    row(
        "face-auth-signing-pin-guards-nothing-decision",
        face_auth_card(),
        Item(P.PIN_RESET, SIGN),
        NO,
        R.PIN_WITHOUT_CERTIFICATE,
    ),
    row(
        "face-auth-renewal-random-pin-要綱2-15",
        face_auth_card(user_auth=cert(TODAY + days(10))),
        Item(P.RENEWAL, USER_AUTH),
        OFFERED,
        R.IN_RENEWAL_WINDOW,
        R.FACE_AUTH_RANDOM_PIN,
    ),
    row(
        "face-auth-new-auth-random-pin-要綱2-15",
        face_auth_card(user_auth=cert(TODAY - days(1))),
        Item(P.NEW_ISSUANCE, USER_AUTH),
        OFFERED,
        R.CERTIFICATE_EXPIRED,
        R.FACE_AUTH_RANDOM_PIN,
    ),
    row(
        "face-auth-no-auth-certificate-no-way-to-signing-42-3",
        face_auth_card(user_auth=cert(TODAY - days(1))),
        Item(P.NEW_ISSUANCE, SIGNING),
        NO,
        R.NO_SIGNING_ON_FACE_AUTH_CARD,
    ),
    row(
        "face-auth-no-second-switch-4の3", face_auth_card(), Item(P.FACE_AUTH_SWITCH), NO, R.ALREADY_FACE_AUTH
    ),
    row(
        "face-auth-juki-pin-own-counter-decision",
        face_auth_card(pins={AUTH: LOCKED, JUKI: PinState(2)}),
        Item(P.PIN_CHANGE, JUKI),
        OFFERED,
        R.AVAILABLE,
    ),
    # 顔認証カード切替 (要綱 4条の3-7): revokes the valid signing certificate; needs a user-auth one.
    row(
        "switch-warns-signing-revoked-4の3-7",
        snap(),
        Item(P.FACE_AUTH_SWITCH),
        OFFERED,
        R.SWITCH_REVOKES_SIGNING,
    ),
    row(
        "switch-without-signing-4の3-7",
        snap(signing=CertificateState.absent(CertStatus.REVOKED)),
        Item(P.FACE_AUTH_SWITCH),
        OFFERED,
        R.AVAILABLE,
    ),
    row(
        "switch-after-auth-issuance-要綱2-15",
        snap(user_auth=CertificateState.absent(CertStatus.REVOKED)),
        Item(P.FACE_AUTH_SWITCH),
        FOLLOW_UP,
        R.SWITCH_NEEDS_USER_AUTH,
        after=Item(P.NEW_ISSUANCE, USER_AUTH),
    ),
    # PIN change needs the current PIN (要綱 4-9); reset after the identity check (要綱 4-1, 4-9).
    row(
        "locked-pin-no-change-要綱4-9", snap(pins={SIGN: LOCKED}), Item(P.PIN_CHANGE, SIGN), NO, R.PIN_BLOCKED
    ),
    row(
        "zero-tries-is-locked-CARD3-3",
        snap(pins={SIGN: PinState(0)}),
        Item(P.PIN_CHANGE, SIGN),
        NO,
        R.PIN_BLOCKED,
    ),
    row(
        "locked-pin-reset-要綱4-1",
        snap(pins={SIGN: LOCKED}),
        Item(P.PIN_RESET, SIGN),
        OFFERED,
        R.RESET_LOCKED_PIN,
    ),
    row("pin-change-要綱4-9", snap(), Item(P.PIN_CHANGE, AUTH), OFFERED, R.AVAILABLE),
    row(
        "count-not-reported-reader-pinstatus-CARD3-3",
        snap(pins={AUTH: PinStatus(None, verified=True)}),
        Item(P.PIN_CHANGE, AUTH),
        OFFERED,
        R.AVAILABLE,
    ),
    row(
        "pin-change-last-try-warning-ANCHORS",
        snap(pins={AUTH: PinState(1)}),
        Item(P.PIN_CHANGE, AUTH),
        OFFERED,
        R.LAST_TRY,
    ),
    row(
        "unlocked-pin-reset-if-forgotten-decision",
        snap(),
        Item(P.PIN_RESET, AUTH),
        OFFERED,
        R.RESET_IF_FORGOTTEN,
    ),
    row(
        "forgotten-pin-no-change-要綱4-9",
        snap(forgotten=frozenset({JUKI})),
        Item(P.PIN_CHANGE, JUKI),
        NO,
        R.PIN_FORGOTTEN,
    ),
    row(
        "forgotten-pin-reset-要綱4-1",
        snap(forgotten=frozenset({JUKI})),
        Item(P.PIN_RESET, JUKI),
        OFFERED,
        R.RESET_DECLARED_FORGOTTEN,
    ),
    row(
        "no-reset-for-revoked-certificate-decision",
        snap(signing=cert(status=CertStatus.REVOKED), pins={SIGN: LOCKED}),
        Item(P.PIN_RESET, SIGN),
        NO,
        R.PIN_WITHOUT_CERTIFICATE,
    ),
    row(
        "no-change-for-expired-certificate-decision",
        snap(user_auth=cert(TODAY - days(1))),
        Item(P.PIN_CHANGE, AUTH),
        NO,
        R.PIN_WITHOUT_CERTIFICATE,
    ),
    row(
        "juki-pin-needs-no-certificate",
        snap(
            signing=CertificateState.absent(CertStatus.REVOKED),
            user_auth=CertificateState.absent(CertStatus.REVOKED),
            pins={JUKI: LOCKED},
        ),
        Item(P.PIN_RESET, JUKI),
        OFFERED,
        R.RESET_LOCKED_PIN,
    ),
    # Revocation / key-compromise report: identified by serial (要綱 3-8).
    row("key-compromise-要綱3-1", snap(), Item(P.KEY_COMPROMISE, SIGNING), OFFERED, R.AVAILABLE),
    row(
        "already-revoked-要綱3",
        snap(user_auth=cert(status=CertStatus.REVOKED)),
        Item(P.REVOCATION, USER_AUTH),
        NO,
        R.CERTIFICATE_REVOKED,
    ),
    row(
        "expired-needs-no-revocation-法34-1-5",
        snap(user_auth=cert(TODAY - days(1))),
        Item(P.KEY_COMPROMISE, USER_AUTH),
        NO,
        R.CERTIFICATE_EXPIRED,
    ),
    row(
        "nothing-to-revoke-要綱3-8",
        snap(signing=CertificateState.absent(CertStatus.REVOKED)),
        Item(P.REVOCATION, SIGNING),
        NO,
        R.NO_CERTIFICATE,
    ),
    row(
        "unread-signing-online-central-knows-serial-要綱3-8",
        snap(signing=unread_signing()),
        Item(P.REVOCATION, SIGNING),
        OFFERED,
        R.AVAILABLE,
    ),
    row(
        "offline-serial-read-after-pin-要綱3-8",
        snap(signing=unread_signing(), offline=True),
        Item(P.REVOCATION, SIGNING),
        QUEUED,
        R.SERIAL_AFTER_PIN,
        R.QUEUED_UNTIL_ONLINE,
    ),
    row(
        "offline-no-serial-without-pin-要綱3-8",
        snap(signing=unread_signing(), pins={SIGN: LOCKED}, offline=True),
        Item(P.REVOCATION, SIGNING),
        NEEDS,
        R.SERIAL_UNKNOWN,
    ),
    # 機構 unreachable (decision): queue what harms nothing, wait for 機構 for card writes.
    row(
        "offline-revocation-queued",
        snap(offline=True),
        Item(P.REVOCATION, USER_AUTH),
        QUEUED,
        R.QUEUED_UNTIL_ONLINE,
    ),
    row(
        "offline-pin-change-queued",
        snap(offline=True),
        Item(P.PIN_CHANGE, SIGN),
        QUEUED,
        R.QUEUED_UNTIL_ONLINE,
    ),
    row(
        "offline-disclosure-queued-要綱6-6",
        snap(offline=True),
        Item(P.DISCLOSURE),
        QUEUED,
        R.QUEUED_UNTIL_ONLINE,
    ),
    row(
        "offline-pin-reset-needs-central-card-admin",
        snap(offline=True, pins={AUTH: LOCKED}),
        Item(P.PIN_RESET, AUTH),
        NEEDS,
        R.RESET_LOCKED_PIN,
        R.CENTRAL_UNREACHABLE,
    ),
    row(
        "offline-renewal-needs-central",
        snap(offline=True, user_auth=cert(TODAY + days(5))),
        Item(P.RENEWAL, USER_AUTH),
        NEEDS,
        R.IN_RENEWAL_WINDOW,
        R.CENTRAL_UNREACHABLE,
    ),
    row(
        "offline-switch-needs-central",
        snap(offline=True),
        Item(P.FACE_AUTH_SWITCH),
        NEEDS,
        R.SWITCH_REVOKES_SIGNING,
        R.CENTRAL_UNREACHABLE,
    ),
    row(
        "offline-release-status-unknown-要綱2-8",
        snap(offline=True),
        Item(P.FOUND_CARD_RELEASE),
        NEEDS,
        R.CARD_STATUS_UNKNOWN,
    ),
    row(
        "offline-follow-up-needs-central",
        snap(offline=True),
        Item(P.NEW_ISSUANCE, USER_AUTH),
        NEEDS,
        R.REVOKE_FIRST,
        R.CENTRAL_UNREACHABLE,
        after=Item(P.REVOCATION, USER_AUTH),
    ),
    row(
        "offline-expired-card-still-refused-17-53",
        snap(offline=True, card_expiry=TODAY - days(1)),
        Item(P.PIN_CHANGE, JUKI),
        NO,
        R.CARD_EXPIRED,
    ),
]


@pytest.mark.parametrize(("snapshot", "item", "availability", "reasons", "after"), ROWS)
def test_decision(
    snapshot: CardSnapshot,
    item: Item,
    availability: Availability,
    reasons: tuple[Reason, ...],
    after: Item | None,
) -> None:
    d = preflight(snapshot).decision(item.procedure, item.target)
    assert (d.availability, d.reasons, d.after) == (availability, reasons, after)
    assert d.offered is (availability in (OFFERED, QUEUED))


# --- the renewal window --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("end", "opens"),
    [
        (date(2025, 9, 15), date(2025, 6, 15)),
        (date(2025, 5, 31), date(2025, 2, 28)),  # February has no 31st: its last day
        (date(2024, 5, 31), date(2024, 2, 29)),  # leap year
        (date(2025, 3, 31), date(2024, 12, 31)),  # across the year end
        (date(2026, 1, 1), date(2025, 10, 1)),
    ],
    ids=str,
)
def test_renewal_opens_three_months_before(end: date, opens: date) -> None:
    assert renewal_opens(end) == opens


def test_renewal_not_yet_says_when() -> None:
    d = preflight(snap(signing=cert(date(2025, 12, 31)))).decision(P.RENEWAL, SIGNING)
    assert (d.availability, d.opens_on) == (NO, date(2025, 9, 30))


@pytest.mark.parametrize("offset", range(-3, 4), ids=lambda n: f"today{n:+d}")
def test_window_edge_around_today(offset: int) -> None:
    """Renewal is on offer exactly from the window's first day to the certificate's last day."""
    for end in (TODAY + days(92 + offset), TODAY + days(offset)):
        d = preflight(snap(user_auth=cert(end))).decision(P.RENEWAL, USER_AUTH)
        assert d.offered is (renewal_opens(end) <= TODAY <= end), end


# --- whole-card outcomes -------------------------------------------------------------------------


@pytest.mark.parametrize("authenticity", [Authenticity.NOT_GENUINE, Authenticity.NOT_CHECKED])
def test_not_genuine_gets_only_staff(authenticity: Authenticity) -> None:
    result = preflight(snap(authenticity=authenticity))
    assert result.offered == ()
    assert {d.availability for d in result.decisions} == {NO}
    assert result.refer_to_staff is not None
    assert all(d.reasons == (result.refer_to_staff,) for d in result.decisions)


def test_genuine_card_needs_no_staff() -> None:
    assert preflight(snap()).refer_to_staff is None


def test_suspended_card_offers_only_the_release() -> None:
    """要領 第4-3, 要綱 5-2: the release, and new certificates as its follow-ups."""
    result = preflight(snap(status=CardStatus.SUSPENDED, pins={SIGN: LOCKED}))
    assert [d.item for d in result.offered] == [Item(P.FOUND_CARD_RELEASE)]
    follow = result.with_availability(FOLLOW_UP)
    assert [d.item for d in follow] == [Item(P.NEW_ISSUANCE, SIGNING), Item(P.NEW_ISSUANCE, USER_AUTH)]


@pytest.mark.parametrize(
    "snapshot",
    [snap(card_expiry=TODAY - days(1)), snap(status=CardStatus.ABOLISHED)],
    ids=["expired", "abolished"],
)
def test_dead_card_offers_only_disclosure(snapshot: CardSnapshot) -> None:
    """規則 17, 53: nothing on the card; 要綱 6: the request about 機構's records stays open."""
    result = preflight(snapshot)
    assert [d.item for d in result.offered] == [Item(P.DISCLOSURE)]
    assert result.with_availability(FOLLOW_UP, NEEDS) == ()


def test_offline_sorts_queued_from_needs_central() -> None:
    result = preflight(snap(offline=True, pins={AUTH: LOCKED}))
    assert not result.central_reachable
    assert result.with_availability(OFFERED, FOLLOW_UP) == ()
    queued = {d.item.procedure for d in result.with_availability(QUEUED)}
    waiting = {d.item.procedure for d in result.with_availability(NEEDS)}
    assert queued == {P.REVOCATION, P.KEY_COMPROMISE, P.PIN_CHANGE, P.DISCLOSURE}
    assert waiting == {P.PIN_RESET, P.NEW_ISSUANCE, P.FACE_AUTH_SWITCH, P.FOUND_CARD_RELEASE}


# --- screen order --------------------------------------------------------------------------------


def test_every_menu_item_once_in_availability_order() -> None:
    result = preflight(snap(pins={SIGN: LOCKED}, user_auth=cert(TODAY + days(20))))
    assert sorted(map(str, (d.item for d in result.decisions))) == sorted(map(str, MENU))
    ranks = [list(Availability).index(d.availability) for d in result.decisions]
    assert ranks == sorted(ranks)


def test_locked_pin_first_forgotten_reset_after_changes() -> None:
    result = preflight(snap(pins={SIGN: LOCKED}, user_auth=cert(TODAY + days(20))))
    items = [d.item for d in result.offered]
    assert items[0] == Item(P.PIN_RESET, SIGN)  # why the person most likely came
    assert items[1] == Item(P.RENEWAL, USER_AUTH)
    changes = [i for i, it in enumerate(items) if it.procedure is P.PIN_CHANGE]
    maybe_resets = [items.index(Item(P.PIN_RESET, p)) for p in (AUTH, JUKI)]
    assert max(changes) < min(maybe_resets)
    assert items[-1] == Item(P.DISCLOSURE)


# --- invariants over a grid of cards --------------------------------------------------------------

_CERT_CHOICES = {
    "absent": CertificateState.absent(CertStatus.REVOKED),
    "valid": cert(),
    "window": cert(TODAY + days(40)),
    "expired": cert(TODAY - days(1)),
    "revoked": cert(status=CertStatus.REVOKED),
}


def _grid() -> list[CardSnapshot]:
    cards = []
    for kind, status, sig, aut, sign_pin, auth_pin, offline in product(
        CardKind,
        (CardStatus.IN_OPERATION, CardStatus.SUSPENDED),
        _CERT_CHOICES.values(),
        _CERT_CHOICES.values(),
        (PinState(5), LOCKED),
        (PinState(3), LOCKED),
        (False, True),
    ):
        if offline and status is CardStatus.SUSPENDED:
            continue  # nobody can know
        cards.append(
            snap(
                kind=kind,
                status=status,
                signing=sig,
                user_auth=aut,
                pins={SIGN: sign_pin, AUTH: auth_pin},
                offline=offline,
            )
        )
    return cards


GRID = _grid()


def test_grid_invariants() -> None:
    for s in GRID:
        result = preflight(s)
        by_item = {d.item: d for d in result.decisions}
        assert set(by_item) == set(MENU)
        for d in result.decisions:
            proc, target = d.item.procedure, d.item.target
            if d.offered and proc in (P.NEW_ISSUANCE, P.RENEWAL) and target is SIGNING:
                assert s.kind is CardKind.NORMAL, "規則 42-3: no signing certificate on a face-auth card"
            if d.offered and proc is P.FACE_AUTH_SWITCH:
                assert s.kind is CardKind.NORMAL, "要綱 4条の3: not for a face-auth card"
            if d.offered and proc is P.PIN_CHANGE:
                assert isinstance(target, PinKind)
                assert not s.pin_blocked(target), "要綱 4-9: a change needs the current PIN"
            if s.suspended and d.offered:
                assert proc is P.FOUND_CARD_RELEASE, "要領 第4-3: only the release"
            if not s.central_reachable:
                assert d.availability not in (OFFERED, FOLLOW_UP), "機構 unreachable: queued or waiting"
            if d.availability is FOLLOW_UP:
                assert d.after is not None and by_item[d.after].availability is OFFERED, "a follow-up follows"
            if proc is P.RENEWAL and d.offered:
                assert not s.pin_blocked(PinKind.SIGN if target is SIGNING else AUTH) or (
                    s.kind is CardKind.FACE_AUTH and target is USER_AUTH
                ), "要綱 2-16: renewal keeps the current PIN"


# --- inputs, labels, texts -----------------------------------------------------------------------


def test_procedures_match_the_store() -> None:
    """The flow files an application under the same value (kiosk.store.models.ProcedureKind)."""
    assert ProcedureKind is Procedure
    assert {p.value for p in Procedure} >= {"new_issuance", "renewal", "suspension_release"}


def test_reasons_cite_and_name_the_japanese_term() -> None:
    cjk = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
    for reason in Reason:
        assert reason.source and reason.text.endswith("."), reason
        assert cjk.search(reason.text), f"{reason.code}: no Japanese term"
    assert len({r.text for r in Reason}) == len(Reason), "two codes, one text: an enum alias"


def test_labels() -> None:
    assert Item(P.RENEWAL, SIGNING).label == "Renewal (更新): signing certificate (署名用電子証明書)"
    assert Item(P.DISCLOSURE).label == "Disclosure or correction request (開示・訂正請求)"
    assert all(Item(P.PIN_CHANGE, p).label.endswith(")") for p in PINS)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: CertificateState(on_card=False, serial="01"), "absent"),
        (lambda: CertificateState(on_card=True, read_from_card=True, serial="01"), "read from the card"),
        (lambda: replace(snap(), pins={SIGN: PinState(5)}), "missing: AUTH, JUKI"),
        (lambda: replace(snap(offline=True), card_status=CardStatus.IN_OPERATION), "exactly when"),
        (lambda: replace(snap(), card_status=CardStatus.UNKNOWN), "exactly when"),
        (lambda: Decision(Item(P.DISCLOSURE), OFFERED, ()), "says why"),
        (lambda: Decision(Item(P.DISCLOSURE), FOLLOW_UP, (R.AVAILABLE,)), "names what"),
    ],
    ids=[
        "absent-with-serial",
        "read-without-dates",
        "pins-missing",
        "online-unknown-cert",
        "offline-known-cert",
        "no-reason",
        "follow-up-of-nothing",
    ],
)
def test_inconsistent_inputs_are_refused(make: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()  # type: ignore[operator]


def test_lookup_of_an_unknown_item() -> None:
    result = Preflight((), central_reachable=True)
    with pytest.raises(KeyError):
        result.decision(P.DISCLOSURE)
