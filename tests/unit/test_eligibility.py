"""Who may apply for which certificate, through whom (kiosk.domain.eligibility).

Each row names the RULES.md "Who may apply" bullet (or "Procedures": 新規発行 / 更新) and the
article of the original it encodes; "decision" marks a row for a rule the sources leave open.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest

from kiosk.domain.eligibility import (
    CardKind,
    Certificate,
    Check,
    Eligibility,
    Intake,
    PinEntry,
    Presenter,
    Reason,
    assess,
    legal_age,
)

SIGN = Certificate.SIGNING
AUTH = Certificate.USER_AUTH
BOTH = frozenset({SIGN, AUTH})
TODAY = date(2025, 6, 15)
ADULT = date(1980, 4, 1)
CHILD = date(2015, 1, 10)  # 10 on TODAY
INFANT = date(2025, 1, 10)  # 5 months on TODAY

LR = Presenter.LEGAL_REPRESENTATIVE
LR_WITH = Presenter.LEGAL_REPRESENTATIVE_WITH_APPLICANT
ALONE = Presenter.APPLICANT
PROXY = Presenter.PROXY

REP_CHECKS = (Check.APPLICANT_IDENTITY, Check.LEGAL_REPRESENTATIVE_IDENTITY)
PROXY_CHECKS = (Check.PROXY_PHOTO_ID, Check.LETTER_OF_ATTORNEY, Check.INQUIRY_ANSWER, Check.SEALED_PIN_FORM)


def intake(
    presenter: Presenter,
    birth: date = ADULT,
    today: date = TODAY,
    certificates: frozenset[Certificate] = BOTH,
    *,
    confirmed: bool = False,
    **kwargs: Any,
) -> Intake:
    """`confirmed`: both wishes to apply confirmed (要綱 2-3 ただし書)."""
    return Intake(
        birth_date=birth,
        today=today,
        certificates=certificates,
        presenter=presenter,
        both_intentions_confirmed=confirmed,
        **kwargs,
    )


# --- age (年齢計算ニ関スル法律, 民法 143条; 要綱 2-2(3) "発行の申請の日において") -----------------


@pytest.mark.parametrize(
    ("birth", "on", "age"),
    [
        (date(2010, 6, 16), date(2025, 6, 14), 14),  # two days before the 15th birthday
        (date(2010, 6, 16), date(2025, 6, 15), 15),  # the eve: the age is reached (年齢到達日)
        (date(2010, 6, 16), date(2025, 6, 16), 15),  # the birthday itself
        (date(2024, 6, 16), date(2025, 6, 14), 0),  # under 1 (特定年齢未満)
        (date(2024, 6, 16), date(2025, 6, 15), 1),  # the eve of the 1st birthday
        (date(2025, 6, 15), date(2025, 6, 15), 0),  # the day of birth
        (date(2024, 1, 1), date(2024, 12, 31), 1),  # eve across a year end
        (date(2008, 2, 29), date(2009, 2, 27), 0),
        (date(2008, 2, 29), date(2009, 2, 28), 1),  # common year: 143条2項ただし書, end of February
        (date(2008, 2, 29), date(2012, 2, 27), 3),
        (date(2008, 2, 29), date(2012, 2, 28), 4),  # leap year: the eve of 29 February
        (date(2008, 2, 29), date(2023, 2, 27), 14),
        (date(2008, 2, 29), date(2023, 2, 28), 15),
        (date(2008, 3, 1), date(2009, 2, 28), 1),  # born 1 March: same day as 29 Feb in a common year
        (date(2008, 3, 1), date(2012, 2, 28), 3),  # ... but a day later in a leap year
        (date(2008, 3, 1), date(2012, 2, 29), 4),
        (date(2008, 2, 28), date(2009, 2, 27), 1),
    ],
    ids=[
        "15-minus-2-days", "15-eve", "15-birthday", "1-minus-2-days", "1-eve", "day-of-birth",
        "year-end-eve", "leap-born-common-27feb", "leap-born-common-28feb", "leap-born-leap-27feb",
        "leap-born-leap-28feb", "leap-born-15-minus-1", "leap-born-15-eve", "1mar-born-common",
        "1mar-born-leap-28feb", "1mar-born-leap-29feb", "28feb-born",
    ],
)  # fmt: skip
def test_legal_age(birth: date, on: date, age: int) -> None:
    assert legal_age(birth, on) == age


def test_age_before_birth_is_an_error() -> None:
    with pytest.raises(ValueError, match="after the day of the application"):
        legal_age(date(2025, 6, 16), date(2025, 6, 15))


# --- who may apply ----------------------------------------------------------------------------------

ALLOWED = Reason.ALLOWED
EXCEPTION = Reason.ALLOWED_BY_SIGNING_EXCEPTION
OK = {SIGN: ALLOWED, AUTH: ALLOWED}
NO_SIGN_ABSENT = {SIGN: Reason.NO_SIGNING_WITHOUT_APPLICANT, AUTH: ALLOWED}
NO_SIGN_FACE = {SIGN: Reason.NO_SIGNING_ON_FACE_AUTH_CARD, AUTH: ALLOWED}
NO_SIGN_INFANT = {SIGN: Reason.NO_SIGNING_UNDER_ONE, AUTH: ALLOWED}
SIGN_EXCEPTION = {SIGN: EXCEPTION, AUTH: ALLOWED}
OWN_ID = (Check.APPLICANT_IDENTITY,)
PARENT = (*REP_CHECKS, Check.PARENTAL_AUTHORITY)
PARENT_BOTH = (*PARENT, Check.BOTH_INTENTIONS)
GUARDIAN = (*REP_CHECKS, Check.GUARDIANSHIP)
PROXY_PAPERS = (Check.PROXY_PHOTO_ID, Check.LETTER_OF_ATTORNEY)
BY_SELF = PinEntry.APPLICANT
BY_REP = PinEntry.LEGAL_REPRESENTATIVE
BY_STAFF = PinEntry.STAFF_FROM_SEALED_FORM
RANDOM = PinEntry.STAFF_RANDOM_THEN_LOCK
FACE = CardKind.FACE_AUTH
ONLY_AUTH = frozenset({AUTH})


def refused(reason: Reason, certificates: frozenset[Certificate] = BOTH) -> dict[Certificate, Reason]:
    return dict.fromkeys(certificates, reason)


MUST_REP = refused(Reason.LEGAL_REPRESENTATIVE_MUST_APPLY)


@pytest.mark.parametrize(
    ("case", "reasons", "checks", "pin"),
    [
        # RULES "Identity check" + "Procedures: 新規発行": 要綱 2-4, 2-11
        pytest.param(intake(ALONE), OK, OWN_ID, BY_SELF, id="adult-alone"),
        # RULES "Procedures: face-auth card requested → no signing certificate": 要綱 2-15
        pytest.param(intake(ALONE, card=FACE), NO_SIGN_FACE, OWN_ID, RANDOM, id="adult-face-auth"),
        # RULES "Under 15": 要綱 2-3, age on the eve of the 15th birthday (年齢計算ニ関スル法律)
        pytest.param(intake(ALONE, birth=date(2010, 6, 16)), OK, OWN_ID, BY_SELF, id="15-eve-alone"),
        pytest.param(intake(ALONE, birth=date(2010, 6, 15)), OK, OWN_ID, BY_SELF, id="15-birthday-alone"),
        pytest.param(intake(ALONE, birth=date(2010, 6, 17)), MUST_REP, (), None, id="15-minus-1-alone"),
        # RULES "Under 15 ... the legal representative applies; signing not issued": 要綱 2-3, 2-10, 2-11
        pytest.param(intake(LR, birth=CHILD), NO_SIGN_ABSENT, PARENT, BY_REP, id="child-by-rep-absent"),
        pytest.param(intake(LR, birth=CHILD, confirmed=True), NO_SIGN_ABSENT, PARENT, BY_REP,
                     id="child-by-rep-absent-intentions"),
        pytest.param(intake(LR_WITH, birth=CHILD),
                     {SIGN: Reason.NO_SIGNING_WITHOUT_BOTH_INTENTIONS, AUTH: ALLOWED}, PARENT, BY_REP,
                     id="child-rep-with-no-intentions"),
        # RULES "... exception when the legal representative accompanies and both intentions are
        # confirmed": 要綱 2-3 ただし書
        pytest.param(intake(LR_WITH, birth=CHILD, confirmed=True), SIGN_EXCEPTION, PARENT_BOTH,
                     BY_REP, id="child-signing-exception"),
        pytest.param(intake(LR_WITH, birth=CHILD, confirmed=True, card=FACE),
                     NO_SIGN_FACE, PARENT, RANDOM, id="child-exception-face-auth"),  # 要綱 2-15 wins
        # RULES "Under 15 or adult ward": 要綱 2-3, 2-10 (登記事項証明書)
        pytest.param(intake(ALONE, adult_ward=True), MUST_REP, (), None, id="ward-alone"),
        pytest.param(intake(LR, adult_ward=True), NO_SIGN_ABSENT, GUARDIAN, BY_REP, id="ward-by-rep-absent"),
        pytest.param(intake(LR_WITH, adult_ward=True, confirmed=True), SIGN_EXCEPTION,
                     (*GUARDIAN, Check.BOTH_INTENTIONS), BY_REP, id="ward-signing-exception"),
        # decision: both grounds at once → both relations proved (要綱 2-10)
        pytest.param(intake(LR, birth=CHILD, adult_ward=True), NO_SIGN_ABSENT, (*PARENT, Check.GUARDIANSHIP),
                     BY_REP, id="child-and-ward"),
        # decision: no proxy for the represented (要綱 2-3 "その法定代理人が申請しなければならない")
        pytest.param(intake(PROXY, birth=CHILD), refused(Reason.PROXY_NOT_FOR_MINOR_OR_WARD), (), None,
                     id="child-by-proxy"),
        pytest.param(intake(PROXY, adult_ward=True, certificates=ONLY_AUTH),
                     refused(Reason.PROXY_NOT_FOR_MINOR_OR_WARD, ONLY_AUTH), (), None, id="ward-by-proxy"),
        # decision: the representative path is 要綱 2-3/2-10's, for under 15 and adult wards only
        pytest.param(intake(LR_WITH, birth=date(2009, 1, 1)), refused(Reason.NO_LEGAL_REPRESENTATION),
                     (), None, id="16-by-rep"),
        # RULES "Proxy": 要綱 2-12 (1)-(4), 2-14
        pytest.param(intake(PROXY), OK, PROXY_CHECKS, BY_STAFF, id="adult-proxy"),
        # RULES "Proxy ... same household ... within a month ... no inquiry answer": 要綱 2-13
        pytest.param(intake(PROXY, proxy_same_household=True, moving_notification_within_month=True), OK,
                     (*PROXY_PAPERS, Check.SEALED_PIN_FORM), BY_STAFF, id="proxy-household-moved"),
        pytest.param(intake(PROXY, proxy_same_household=True), OK, PROXY_CHECKS, BY_STAFF,
                     id="proxy-household-not-moved"),
        pytest.param(intake(PROXY, moving_notification_within_month=True), OK, PROXY_CHECKS, BY_STAFF,
                     id="proxy-moved-not-household"),
        # RULES "Proxy" + face-auth: 要綱 2-12(4) "顔認証カードを希望する場合を除く", 2-15
        pytest.param(intake(PROXY, card=FACE), NO_SIGN_FACE, (*PROXY_PAPERS, Check.INQUIRY_ANSWER),
                     RANDOM, id="proxy-face-auth"),
        # RULES "Under 1 year: user-auth certificate only": 要綱 2-2(3) + decision
        pytest.param(intake(LR_WITH, birth=INFANT, confirmed=True), NO_SIGN_INFANT, PARENT,
                     BY_REP, id="infant-signing"),
        pytest.param(intake(LR_WITH, birth=date(2024, 6, 17), confirmed=True), NO_SIGN_INFANT,
                     PARENT, BY_REP, id="1-minus-1-signing"),
        pytest.param(intake(LR_WITH, birth=date(2024, 6, 16), confirmed=True), SIGN_EXCEPTION,
                     PARENT_BOTH, BY_REP, id="1-eve-signing-exception"),
        pytest.param(intake(LR, birth=INFANT, certificates=ONLY_AUTH), {AUTH: ALLOWED}, PARENT, BY_REP,
                     id="infant-user-auth"),
        # 要綱 4条の3-1: no face-auth card under 1 (特定年齢未満申請者を除く)
        pytest.param(intake(LR, birth=INFANT, certificates=ONLY_AUTH, card=FACE),
                     {AUTH: Reason.FACE_AUTH_CARD_NOT_UNDER_ONE}, (), None, id="infant-face-auth"),
        # leap-day births: under 1 until 28 Feb of the common year (民法 143条2項ただし書)
        pytest.param(intake(LR_WITH, date(2024, 2, 29), date(2025, 2, 27), confirmed=True), NO_SIGN_INFANT,
                     PARENT, BY_REP, id="leap-born-under-1"),
        pytest.param(intake(LR_WITH, date(2024, 2, 29), date(2025, 2, 28), confirmed=True), SIGN_EXCEPTION,
                     PARENT_BOTH, BY_REP, id="leap-born-1-eve"),
        # ... and under 15 until 28 Feb of the 15th year (要綱 2-3)
        pytest.param(intake(ALONE, birth=date(2008, 2, 29), today=date(2023, 2, 27)),
                     MUST_REP, (), None, id="leap-born-15-minus-1"),
        pytest.param(intake(ALONE, birth=date(2008, 2, 29), today=date(2023, 2, 28)), OK, OWN_ID, BY_SELF,
                     id="leap-born-15-eve"),
    ],
)  # fmt: skip
def test_who_may_apply(
    case: Intake, reasons: dict[Certificate, Reason], checks: tuple[Check, ...], pin: PinEntry | None
) -> None:
    result = assess(case)
    assert {r.certificate: r.reason for r in result.rulings} == reasons
    assert result.checks == checks
    assert result.pin_entry is pin
    assert result.anything_allowed is (pin is not None)


# --- renewal (要綱 2-16; RULES "Procedures": renewal keeps the current ones) ------------------------


@pytest.mark.parametrize(
    ("presenter", "card", "renewal", "keeps"),
    [
        (ALONE, CardKind.NORMAL, True, True),  # 要綱 2-16 (2-11's PIN)
        (PROXY, CardKind.NORMAL, True, True),  # 要綱 2-16 (2-14's PIN)
        (ALONE, CardKind.NORMAL, False, False),  # new issuance: new PINs
        (ALONE, CardKind.FACE_AUTH, True, False),  # 要綱 2-15: random PIN "発行又は更新後"
    ],
    ids=["renew-alone", "renew-proxy", "new", "renew-face-auth"],
)
def test_renewal_keeps_current_pins(presenter: Presenter, card: CardKind, renewal: bool, keeps: bool) -> None:
    result = assess(intake(presenter, card=card, renewal=renewal))
    assert result.keeps_current_pins is keeps


def test_proxy_renewal_still_needs_the_sealed_form() -> None:
    # decision: 2-16 changes which PIN is set, not 要綱 2-12(4)'s list
    assert Check.SEALED_PIN_FORM in assess(intake(PROXY, renewal=True)).checks


def test_refused_renewal_keeps_nothing() -> None:
    result = assess(intake(ALONE, birth=CHILD, renewal=True))
    assert not result.anything_allowed and not result.keeps_current_pins


# --- the result and the intake ----------------------------------------------------------------------


def test_rulings_follow_certificate_order_and_only_what_was_asked() -> None:
    result = assess(intake(LR, birth=CHILD))
    assert [r.certificate for r in result.rulings] == [SIGN, AUTH]
    assert result.allowed == (AUTH,)
    assert result.ruling(AUTH).allowed and not result.ruling(SIGN).allowed
    assert result.age == 10
    only_auth = assess(intake(ALONE, certificates=ONLY_AUTH))
    with pytest.raises(KeyError):
        only_auth.ruling(SIGN)


def test_signing_alone_refused_gives_no_checks() -> None:
    """Nothing to take: no documents asked for, no PIN set."""
    result = assess(intake(LR, birth=CHILD, certificates=frozenset({SIGN})))
    assert result == Eligibility(10, result.rulings)
    assert result.ruling(SIGN).reason is Reason.NO_SIGNING_WITHOUT_APPLICANT


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"certificates": frozenset()}, "no certificate"),
        ({"birth": date(2025, 6, 16)}, "after the day of the application"),
    ],
    ids=["nothing-requested", "born-tomorrow"],
)
def test_intake_is_validated(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        intake(ALONE, **kwargs)


def test_intake_repr_hides_the_date_of_birth() -> None:
    text = repr(intake(PROXY, birth=date(1987, 11, 23)))
    assert "1987" not in text and "personal data" in text and "proxy" in text


JAPANESE_IN_PARENTHESES = re.compile(r"\([^)]*[\u3040-\u30ff\u4e00-\u9fff][^)]*\)")


@pytest.mark.parametrize("item", [*Reason, *Check], ids=lambda item: item.code)
def test_texts_are_plain_english_with_the_japanese_term(item: Reason | Check) -> None:
    assert item.text.isascii() is False and JAPANESE_IN_PARENTHESES.search(item.text)
    assert item.text[0].isupper() and item.text.endswith(".")
    assert item.code == item.name.lower()


def test_only_the_two_allowing_reasons_allow() -> None:
    assert {r for r in Reason if r.allows} == {Reason.ALLOWED, Reason.ALLOWED_BY_SIGNING_EXCEPTION}
