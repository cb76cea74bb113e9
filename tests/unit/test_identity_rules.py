"""The identity check at the counter (kiosk/domain/identity.py): every rule and boundary, with the
article it comes from in the test id.

RULES.md "Identity check at the counter", bullet by bullet (line numbers of RULES.md):

- l.28 one photo ID of 要綱 2-5, or two of 2-6 with the inquiry answer; expired documents refused,
  a My Number card ≤ 6 months past expiry with its photo matched → `APPLICANT_CASES` ("要綱2-4", "要綱2-5",
  "要綱2-6", "要領(A)" rows), `test_expired_card_grace_is_six_months`, `test_period_last_day`;
- l.29 the kind recorded, never a copy or number → `test_record_refuses_anything_but_kinds`,
  `test_record_cannot_grow_a_number_field`, `test_record_types_hold_no_text_or_numbers`;
- l.30 card + 住基AP PIN after the operator, the register and 運用状況 → the "要綱2-8" rows;
- l.31 face-auth card or failed PIN: surface data and the declaration, else 受付不可 → the "要領B"
  rows;
- l.32 smartphone screens only with an operation check → the "要領(E)" rows;
- RULES.md "Who may apply", l.38 (the proxy) → `PROXY_CASES` / `test_proxy` ("要綱2-12", "要綱2-13").
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from datetime import date, timedelta

import pytest

from kiosk.domain.identity import (
    CardCheck,
    CardCheckMethod,
    IdentityDecision,
    IdentityPath,
    IdentityRecord,
    MovingNotice,
    OtherIdKind,
    Photo,
    PhotoIdKind,
    PinCheck,
    PinRequestForm,
    PresentedDocument,
    Purpose,
    RecordedDocument,
    Refusal,
    SmartphoneDisplay,
    SupportingDocument,
    check_applicant,
    check_proxy,
    expired_card_last_day,
    period_last_day,
)

R = Refusal
TODAY = date(2026, 5, 20)
NEXT_YEAR = date(2027, 5, 20)
CARD_EXPIRY = date(2026, 3, 15)  # a card whose 6-month grace ends on 2026-09-15

PIN_OK = CardCheck(
    pin=PinCheck.VERIFIED, operator_authenticated=True, on_resident_register=True, card_in_operation=True
)
FALLBACK_OK = CardCheck(pin=PinCheck.FAILED, chip_matches_surface=True, resident_record_declared=True)
APP_CHECKED = SmartphoneDisplay(operation_checked=True, physical_document_impractical=True)


def doc(
    kind: PhotoIdKind | OtherIdKind, valid_until: date | None = NEXT_YEAR, **kw: object
) -> PresentedDocument:
    return PresentedDocument(kind, valid_until, **kw)  # type: ignore[arg-type]


LICENCE = doc(PhotoIdKind.DRIVERS_LICENCE)
PASSPORT = doc(PhotoIdKind.PASSPORT)
HEALTH = doc(OtherIdKind.HEALTH_INSURANCE_CARD)
PENSION = doc(OtherIdKind.PENSION_BOOK, None)
CASH = doc(OtherIdKind.CASH_CARD)
CREDIT = doc(OtherIdKind.CREDIT_CARD)


def my_card(
    card: CardCheck | None = PIN_OK, valid_until: date = NEXT_YEAR, **kw: object
) -> PresentedDocument:
    return doc(PhotoIdKind.MY_NUMBER_CARD_WITH_PHOTO, valid_until, card=card, **kw)


def one(kind: PhotoIdKind | OtherIdKind, **kw: object) -> IdentityRecord:
    return IdentityRecord(IdentityPath.PHOTO_ID, (RecordedDocument(kind, **kw),))  # type: ignore[arg-type]


def two(*docs: RecordedDocument | PhotoIdKind | OtherIdKind) -> IdentityRecord:
    recorded = tuple(d if isinstance(d, RecordedDocument) else RecordedDocument(d) for d in docs)
    return IdentityRecord(
        IdentityPath.TWO_DOCUMENTS_AND_INQUIRY_ANSWER, recorded, (SupportingDocument.INQUIRY_ANSWER,)
    )


Expected = tuple[Refusal, ...] | IdentityRecord


def case(
    case_id: str,
    documents: list[PresentedDocument],
    expected: Expected,
    *,
    answer: bool = False,
    **kw: object,
) -> typing.Any:
    """One row: the id cites the rule; `expected` is either the refusal reasons or the record kept."""
    return pytest.param(documents, expected, answer, kw, id=case_id)


def judged(decision: IdentityDecision) -> Expected:
    return decision.record if decision.record is not None else decision.reasons


TOO_FEW = R.TOO_FEW_DOCUMENTS
SURFACE = CardCheckMethod.SURFACE_DATA_AND_DECLARATION
MY_CARD = PhotoIdKind.MY_NUMBER_CARD_WITH_PHOTO
OLD_HISTORY = OtherIdKind.DRIVING_HISTORY_CERTIFICATE_BEFORE_2012_04
GRACE_DAY_1 = {"today": date(2026, 3, 16)}

APPLICANT_CASES = [
    # 要綱2-4(1) / 2-5: one valid photo ID
    case("要綱2-5(1) licence", [LICENCE], one(PhotoIdKind.DRIVERS_LICENCE)),
    case(
        "要綱2-5 有効期間内: valid on its last day",
        [doc(PhotoIdKind.DRIVERS_LICENCE, TODAY)],
        one(PhotoIdKind.DRIVERS_LICENCE),
    ),
    case(
        "要綱2-5 有効期間外: the day after",
        [doc(PhotoIdKind.DRIVERS_LICENCE, TODAY - timedelta(days=1))],
        (TOO_FEW, R.EXPIRED),
    ),
    case(
        "要綱2-5 no validity period",
        [doc(PhotoIdKind.PHYSICAL_DISABILITY_CERTIFICATE, None)],
        one(PhotoIdKind.PHYSICAL_DISABILITY_CERTIFICATE),
    ),
    case(
        "要綱2-5(2) issued 2012-04-01",
        [doc(PhotoIdKind.DRIVING_HISTORY_CERTIFICATE, None, issued_on=date(2012, 4, 1))],
        one(PhotoIdKind.DRIVING_HISTORY_CERTIFICATE),
    ),
    case(
        "要綱2-5(2) issued 2012-03-31",
        [doc(PhotoIdKind.DRIVING_HISTORY_CERTIFICATE, None, issued_on=date(2012, 3, 31))],
        (TOO_FEW, R.ISSUE_DATE_NOT_ELIGIBLE),
    ),
    case(
        "要綱2-5(2) issue date not entered",
        [doc(PhotoIdKind.DRIVING_HISTORY_CERTIFICATE, None)],
        (TOO_FEW, R.ISSUE_DATE_NOT_ELIGIBLE),
    ),
    case(
        "要綱2-5 expired licence, valid passport",
        [doc(PhotoIdKind.DRIVERS_LICENCE, date(2026, 1, 1)), PASSPORT],
        one(PhotoIdKind.PASSPORT),
    ),
    case("要綱2-4 nothing shown", [], (TOO_FEW,), answer=True),
    # 要綱2-4(2) / 2-6: two different documents and the inquiry answer
    case(
        "要綱2-4(2) two + 照会回答書",
        [HEALTH, PENSION],
        two(OtherIdKind.HEALTH_INSURANCE_CARD, OtherIdKind.PENSION_BOOK),
        answer=True,
    ),
    case("要綱2-4(2) two without 照会回答書", [HEALTH, PENSION], (R.INQUIRY_ANSWER_MISSING,)),
    case("要綱2-4(2) one list-2-6 doc", [HEALTH], (TOO_FEW,), answer=True),
    case("要綱2-4(2) one list-2-6 doc, no 照会回答書", [HEALTH], (TOO_FEW, R.INQUIRY_ANSWER_MISSING)),
    case("要綱2-4(2) same kind twice = one", [HEALTH, HEALTH], (TOO_FEW,), answer=True),
    case("要綱2-6(26) のうち１点: two of item 26", [CASH, CREDIT], (TOO_FEW,), answer=True),
    case(
        "要綱2-6(26) one of item 26 counts",
        [CASH, HEALTH, CREDIT],
        two(OtherIdKind.CASH_CARD, OtherIdKind.HEALTH_INSURANCE_CARD),
        answer=True,
    ),
    case(
        "要綱2-6 有効期間外 doc does not count",
        [doc(OtherIdKind.HEALTH_INSURANCE_CARD, TODAY - timedelta(days=1)), PENSION],
        (TOO_FEW, R.EXPIRED),
        answer=True,
    ),
    case(
        "要綱2-6(26) driving history issued 2012-03-31",
        [doc(OLD_HISTORY, None, issued_on=date(2012, 3, 31)), HEALTH],
        two(OLD_HISTORY, OtherIdKind.HEALTH_INSURANCE_CARD),
        answer=True,
    ),
    case(
        "要綱2-6(26) driving history issued 2012-04-01 belongs to 2-5",
        [doc(OLD_HISTORY, None, issued_on=date(2012, 4, 1)), HEALTH],
        (TOO_FEW, R.ISSUE_DATE_NOT_ELIGIBLE),
        answer=True,
    ),
    case(
        "要綱2-4(2) expired photo ID, two others + 照会回答書",
        [doc(PhotoIdKind.DRIVERS_LICENCE, date(2026, 1, 1)), HEALTH, PENSION],
        two(OtherIdKind.HEALTH_INSURANCE_CARD, OtherIdKind.PENSION_BOOK),
        answer=True,
    ),
    # 要領(A): a My Number card up to 6 months past expiry, when its photo matches the person
    case(
        "要領(A) on its expiry day: no grace needed",
        [my_card(valid_until=CARD_EXPIRY)],
        one(MY_CARD, card_check=CardCheckMethod.PIN),
        today=CARD_EXPIRY,
    ),
    case(
        "要領(A) first day past expiry, photo confirmed",
        [my_card(valid_until=CARD_EXPIRY, photo_confirmed=True)],
        one(MY_CARD, card_check=CardCheckMethod.PIN, expiry_grace_used=True),
        **GRACE_DAY_1,
    ),
    case(
        "要領(A) 6月以内: last day 2026-09-15",
        [my_card(valid_until=CARD_EXPIRY, photo_confirmed=True)],
        one(MY_CARD, card_check=CardCheckMethod.PIN, expiry_grace_used=True),
        today=date(2026, 9, 15),
    ),
    case(
        "要領(A) 6 months over: 2026-09-16",
        [my_card(valid_until=CARD_EXPIRY, photo_confirmed=True)],
        (TOO_FEW, R.EXPIRED),
        today=date(2026, 9, 16),
    ),
    case(
        "要領(A) within 6 months, photo not confirmed",
        [my_card(valid_until=CARD_EXPIRY)],
        (TOO_FEW, R.EXPIRED_CARD_PHOTO_NOT_CONFIRMED),
        **GRACE_DAY_1,
    ),
    case(
        "要領(A) grace is for the My Number card only",
        [doc(PhotoIdKind.DRIVERS_LICENCE, CARD_EXPIRY, photo_confirmed=True)],
        (TOO_FEW, R.EXPIRED),
        **GRACE_DAY_1,
    ),
    case(
        "要領(A) no grace for a card without photo",
        [
            doc(OtherIdKind.MY_NUMBER_CARD_WITHOUT_PHOTO, CARD_EXPIRY, photo_confirmed=True, card=PIN_OK),
            HEALTH,
        ],
        (TOO_FEW, R.EXPIRED),
        answer=True,
        **GRACE_DAY_1,
    ),
    # 要綱2-6 なお書 / 要領(E): smartphone screens
    case(
        "要領(E) student ID app, operation checked",
        [doc(OtherIdKind.STUDENT_ID, smartphone=APP_CHECKED), HEALTH],
        two(
            RecordedDocument(OtherIdKind.STUDENT_ID, shown_on_smartphone=True),
            OtherIdKind.HEALTH_INSURANCE_CARD,
        ),
        answer=True,
    ),
    case(
        "要領(E) 映像面の操作 not done",
        [doc(OtherIdKind.BANKBOOK, smartphone=SmartphoneDisplay(False, True)), HEALTH],
        (TOO_FEW, R.SMARTPHONE_OPERATION_NOT_CHECKED),
        answer=True,
    ),
    case(
        "要綱2-6 なお書 the card itself could be shown",
        [doc(OtherIdKind.CORPORATE_ID, smartphone=SmartphoneDisplay(True, False)), HEALTH],
        (TOO_FEW, R.SMARTPHONE_ONLY_IF_DOCUMENT_IMPRACTICAL),
        answer=True,
    ),
    case(
        "要綱2-6 なお書 passport on a phone",
        [doc(PhotoIdKind.PASSPORT, smartphone=APP_CHECKED)],
        (TOO_FEW, R.SMARTPHONE_NOT_ACCEPTED_FOR_KIND),
    ),
    case(
        "要綱2-6 なお書 health card on a phone",
        [doc(OtherIdKind.HEALTH_INSURANCE_CARD, smartphone=APP_CHECKED), PENSION],
        (TOO_FEW, R.SMARTPHONE_NOT_ACCEPTED_FOR_KIND),
        answer=True,
    ),
    # 要綱2-8 / 要領 第2-1-(1)-ア-(イ)-B: the card's PIN, register and status, or the fallback
    case("要綱2-8 PIN, register, in operation", [my_card()], one(MY_CARD, card_check=CardCheckMethod.PIN)),
    case(
        "要領B PIN without operator sign-in",
        [my_card(dataclasses.replace(PIN_OK, operator_authenticated=False))],
        (TOO_FEW, R.OPERATOR_NOT_AUTHENTICATED),
    ),
    case(
        "要綱2-8 not on the register",
        [my_card(dataclasses.replace(PIN_OK, on_resident_register=False))],
        (TOO_FEW, R.NOT_ON_RESIDENT_REGISTER),
    ),
    case(
        "要綱2-8 運用状況 not in operation",
        [my_card(dataclasses.replace(PIN_OK, card_in_operation=False))],
        (TOO_FEW, R.CARD_NOT_IN_OPERATION),
    ),
    case("要綱2-8 PIN not checked", [my_card(None)], (TOO_FEW, R.PIN_CHECK_NOT_DONE)),
    case(
        "要領B PIN failed: surface data + declaration",
        [my_card(FALLBACK_OK)],
        one(MY_CARD, card_check=SURFACE),
    ),
    case(
        "要領B PIN failed, no declaration",
        [my_card(dataclasses.replace(FALLBACK_OK, resident_record_declared=False))],
        (TOO_FEW, R.RESIDENT_RECORD_NOT_DECLARED),
    ),
    case(
        "要領B face-auth card, chip mismatch",
        [my_card(CardCheck(face_auth_card=True, resident_record_declared=True))],
        (TOO_FEW, R.CHIP_SURFACE_MISMATCH),
    ),
    case(
        "要領B face-auth card, surface data + declaration",
        [my_card(CardCheck(face_auth_card=True, chip_matches_surface=True, resident_record_declared=True))],
        one(MY_CARD, card_check=SURFACE),
    ),
    case(
        "要綱2-8 face-auth card has no PIN path",
        [my_card(dataclasses.replace(PIN_OK, face_auth_card=True))],
        (TOO_FEW, R.CHIP_SURFACE_MISMATCH, R.RESIDENT_RECORD_NOT_DECLARED),
    ),
    case(
        "要領B 住基 card issued 2009-04-20, fallback",
        [doc(PhotoIdKind.JUKI_CARD_WITH_PHOTO, card=FALLBACK_OK, issued_on=date(2009, 4, 20))],
        one(PhotoIdKind.JUKI_CARD_WITH_PHOTO, card_check=SURFACE),
    ),
    case(
        "要領B 住基 card issued 2009-04-19, fallback",
        [doc(PhotoIdKind.JUKI_CARD_WITH_PHOTO, card=FALLBACK_OK, issued_on=date(2009, 4, 19))],
        (TOO_FEW, R.JUKI_CARD_TOO_OLD_FOR_SURFACE_CHECK),
    ),
    case(
        "要綱2-8 old 住基 card with PIN",
        [doc(PhotoIdKind.JUKI_CARD_WITH_PHOTO, card=PIN_OK, issued_on=date(2005, 1, 1))],
        one(PhotoIdKind.JUKI_CARD_WITH_PHOTO, card_check=CardCheckMethod.PIN),
    ),
    case(
        "要綱2-6(20) 住基 card without photo, PIN ok",
        [doc(OtherIdKind.JUKI_CARD_WITHOUT_PHOTO, card=PIN_OK), HEALTH],
        two(
            RecordedDocument(OtherIdKind.JUKI_CARD_WITHOUT_PHOTO, card_check=CardCheckMethod.PIN),
            OtherIdKind.HEALTH_INSURANCE_CARD,
        ),
        answer=True,
    ),
    case(
        "要綱2-6(20) 住基 card without photo, PIN failed: no fallback",
        [doc(OtherIdKind.JUKI_CARD_WITHOUT_PHOTO, card=FALLBACK_OK), HEALTH],
        (TOO_FEW, R.JUKI_CARD_PIN_NOT_VERIFIED),
        answer=True,
    ),
    case(
        "要領B card without photo needs the PIN too",
        [doc(OtherIdKind.MY_NUMBER_CARD_WITHOUT_PHOTO), HEALTH],
        (TOO_FEW, R.PIN_CHECK_NOT_DONE),
        answer=True,
    ),
]


@pytest.mark.parametrize(("documents", "expected", "answer", "kw"), APPLICANT_CASES)
def test_applicant(
    documents: list[PresentedDocument], expected: Expected, answer: bool, kw: dict[str, date]
) -> None:
    decision = check_applicant(documents, inquiry_answer=answer, today=kw.get("today", TODAY))
    assert judged(decision) == expected
    assert decision.accepted is isinstance(expected, IdentityRecord)
    assert [v.kind for v in decision.documents] == [d.kind for d in documents]


PROXY_ID = doc(PhotoIdKind.DRIVERS_LICENCE)
ALL_THREE = (
    SupportingDocument.LETTER_OF_ATTORNEY,
    SupportingDocument.INQUIRY_ANSWER,
    SupportingDocument.PIN_REQUEST_FORM,
)
NO_FORM = ALL_THREE[:2]
NO_ANSWER = ALL_THREE[::2]
MOVED = MovingNotice(notified_on=date(2026, 3, 15), same_household=True)
WAIVER = {"answer": False, "moving_notice": MOVED}


def proxy_record(
    supporting: tuple[SupportingDocument, ...] = ALL_THREE,
    waived: bool = False,
    kind: PhotoIdKind = PhotoIdKind.DRIVERS_LICENCE,
    **kw: object,
) -> IdentityRecord:
    recorded = (RecordedDocument(kind, **kw),)  # type: ignore[arg-type]
    return IdentityRecord(IdentityPath.PROXY, recorded, supporting, waived)


def pcase(
    case_id: str, documents: list[PresentedDocument], expected: Expected, **kw: typing.Any
) -> typing.Any:
    """A proxy row: by default every document is there; `kw` takes one away or changes the day."""
    args = {
        "letter_of_attorney": True,
        "inquiry_answer": kw.pop("answer", True),
        "pin_request_form": PinRequestForm.SEALED,
        "today": TODAY,
        **kw,
    }
    return pytest.param(documents, expected, args, id=case_id)


PROXY_CASES = [
    pcase("要綱2-12 all four documents", [PROXY_ID], proxy_record()),
    pcase("要綱2-12(2) no 委任状", [PROXY_ID], (R.LETTER_OF_ATTORNEY_MISSING,), letter_of_attorney=False),
    pcase("要綱2-12(3) no 照会回答書", [PROXY_ID], (R.INQUIRY_ANSWER_MISSING,), answer=False),
    pcase(
        "要綱2-12(1) list-2-6 docs do not identify a proxy",
        [HEALTH, PENSION],
        (R.PROXY_PHOTO_ID_MISSING, R.PROXY_NEEDS_PHOTO_ID),
    ),
    pcase("要綱2-12(1) nothing shown", [], (R.PROXY_PHOTO_ID_MISSING,)),
    pcase(
        "要領 第2-1-(2) no 6-month grace for a proxy",
        [my_card(valid_until=TODAY - timedelta(days=1), photo_confirmed=True)],
        (R.PROXY_PHOTO_ID_MISSING, R.EXPIRED),
    ),
    pcase(
        "要領 第2-1-(2)-B proxy's card: PIN, no register look-up",
        [my_card(dataclasses.replace(PIN_OK, on_resident_register=False))],
        proxy_record(kind=MY_CARD, card_check=CardCheckMethod.PIN),
    ),
    pcase(
        "要領 第2-1-(2)-B proxy's card fallback",
        [my_card(dataclasses.replace(FALLBACK_OK, chip_matches_surface=False))],
        (R.PROXY_PHOTO_ID_MISSING, R.CHIP_SURFACE_MISMATCH),
    ),
    pcase(
        "要綱2-6 なお書 proxy's ID on a phone",
        [doc(PhotoIdKind.PASSPORT, smartphone=APP_CHECKED)],
        (R.PROXY_PHOTO_ID_MISSING, R.SMARTPHONE_NOT_ACCEPTED_FOR_KIND),
    ),
    pcase(
        "要綱2-12(4) form not sealed",
        [PROXY_ID],
        (R.PIN_REQUEST_FORM_NOT_SEALED,),
        pin_request_form=PinRequestForm.UNSEALED,
    ),
    pcase(
        "要綱2-12(4) form missing",
        [PROXY_ID],
        (R.PIN_REQUEST_FORM_MISSING,),
        pin_request_form=PinRequestForm.NOT_PRESENTED,
    ),
    pcase(
        "要綱2-12(4) 顔認証カード希望: no form",
        [PROXY_ID],
        proxy_record(NO_FORM),
        pin_request_form=PinRequestForm.NOT_PRESENTED,
        face_auth_card_requested=True,
    ),
    pcase(
        "要綱3-6 revocation: no form",
        [PROXY_ID],
        proxy_record(NO_FORM),
        pin_request_form=PinRequestForm.NOT_PRESENTED,
        purpose=Purpose.REVOKE,
    ),
    pcase(
        "要綱2-13 same household, notified today",
        [PROXY_ID],
        proxy_record(NO_ANSWER, waived=True),
        today=date(2026, 3, 15),
        **WAIVER,
    ),
    pcase(
        "要綱2-13 １か月以内: last day",
        [PROXY_ID],
        proxy_record(NO_ANSWER, waived=True),
        today=date(2026, 4, 15),
        **WAIVER,
    ),
    pcase(
        "要綱2-13 a month and a day",
        [PROXY_ID],
        (R.INQUIRY_ANSWER_MISSING,),
        today=date(2026, 4, 16),
        **WAIVER,
    ),
    pcase(
        "要綱2-13 before the notification",
        [PROXY_ID],
        (R.INQUIRY_ANSWER_MISSING,),
        today=date(2026, 3, 14),
        **WAIVER,
    ),
    pcase(
        "要綱2-13 not 同一世帯人",
        [PROXY_ID],
        (R.INQUIRY_ANSWER_MISSING,),
        today=date(2026, 3, 20),
        answer=False,
        moving_notice=dataclasses.replace(MOVED, same_household=False),
    ),
    pcase(
        "要綱3-6 revocation: 2-13 not applied",
        [PROXY_ID],
        (R.INQUIRY_ANSWER_MISSING,),
        today=date(2026, 3, 20),
        purpose=Purpose.REVOKE,
        **WAIVER,
    ),
    pcase(
        "要綱2-13 answer shown anyway: recorded, not waived",
        [PROXY_ID],
        proxy_record(),
        today=date(2026, 3, 20),
        moving_notice=MOVED,
    ),
]


@pytest.mark.parametrize(("documents", "expected", "kwargs"), PROXY_CASES)
def test_proxy(documents: list[PresentedDocument], expected: Expected, kwargs: dict[str, typing.Any]) -> None:
    assert judged(check_proxy(documents, **kwargs)) == expected


@pytest.mark.parametrize(
    ("event", "months", "last"),
    [
        (date(2026, 3, 15), 6, date(2026, 9, 15)),
        (date(2026, 8, 27), 6, date(2027, 2, 27)),
        (date(2026, 8, 30), 6, date(2027, 2, 28)),
        (date(2026, 8, 31), 6, date(2027, 2, 28)),
        (date(2027, 8, 31), 6, date(2028, 2, 29)),
        (date(2026, 2, 28), 6, date(2026, 8, 31)),
        (date(2026, 6, 30), 6, date(2026, 12, 31)),
        (date(2026, 12, 31), 6, date(2027, 6, 30)),
        (date(2026, 3, 15), 1, date(2026, 4, 15)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
    ],
    ids=[
        "民法143②: the day before the same-numbered day",
        "民法143②: end of February, day exists",
        "民法143②ただし書: no 30 February",
        "民法143②: counting from 1 September",
        "民法143②: leap year",
        "民法140: counting from 1 March runs to 31 August",
        "民法140: counting from 1 July runs to 31 December",
        "民法143②: across the year",
        "要綱2-13 one month",
        "要綱2-13 one month from 31 January",
    ],
)
def test_period_last_day(event: date, months: int, last: date) -> None:
    assert period_last_day(event, months) == last


def test_period_needs_a_month() -> None:
    with pytest.raises(ValueError):
        period_last_day(TODAY, 0)


def test_expired_card_grace_is_six_months() -> None:
    assert expired_card_last_day(CARD_EXPIRY) == date(2026, 9, 15)  # 要領(A)


def test_list_2_5_is_transcribed() -> None:
    assert sorted(k.item for k in PhotoIdKind) == list(range(1, 30))  # 要綱2-5 第1号–第29号


def test_list_2_6_is_transcribed() -> None:
    items = [k.item for k in OtherIdKind]
    assert sorted(set(items)) == list(range(1, 27))  # 要綱2-6 第1号–第26号
    assert items.count(26) == 9  # 第26号 lists nine documents 「のうち１点」
    assert all(items.count(i) == 1 for i in range(1, 26))


@pytest.mark.parametrize("kind", [*PhotoIdKind, *OtherIdKind], ids=lambda k: k.name)
def test_kind_photo_follows_the_text(kind: PhotoIdKind | OtherIdKind) -> None:
    assert kind.english
    assert ("顔写真有" in kind.japanese) == (kind.photo is Photo.WITH_PHOTO)
    assert ("顔写真無" in kind.japanese) == (kind.photo is Photo.WITHOUT_PHOTO)
    assert kind.citation.startswith(("要綱2-5(", "要綱2-6("))


@pytest.mark.parametrize("reason", list(Refusal), ids=lambda r: r.name)
def test_every_reason_explains_itself(reason: Refusal) -> None:
    assert reason.source.startswith(("要綱", "要領"))
    assert reason.japanese and reason.english.endswith(".")
    assert reason.japanese in reason.describe and reason.english in reason.describe


# 通知 (2), 要綱2-7: the record keeps kinds only. None of these can carry a document number.
@pytest.mark.parametrize(
    "build",
    [
        lambda: RecordedDocument("AB1234567"),  # type: ignore[arg-type]
        lambda: RecordedDocument(PhotoIdKind.PASSPORT, shown_on_smartphone=1),  # type: ignore[arg-type]
        lambda: IdentityRecord(IdentityPath.PHOTO_ID, ("AB1234567",)),  # type: ignore[arg-type]
        lambda: IdentityRecord(IdentityPath.PHOTO_ID, [RecordedDocument(PhotoIdKind.PASSPORT)]),  # type: ignore[arg-type]
        lambda: IdentityRecord(IdentityPath.PHOTO_ID, (), ("写し",)),  # type: ignore[arg-type]
        lambda: IdentityRecord("要綱2-4(1) AB1234567", ()),  # type: ignore[arg-type]
    ],
    ids=[
        "kind as str",
        "flag as int",
        "document as str",
        "list not tuple",
        "supporting as str",
        "path as str",
    ],
)
def test_record_refuses_anything_but_kinds(build: typing.Callable[[], object]) -> None:
    with pytest.raises(TypeError):
        build()


def test_record_cannot_grow_a_number_field() -> None:
    record = one(PhotoIdKind.PASSPORT)
    with pytest.raises(AttributeError):  # slots: no new attribute, not even bypassing frozen
        object.__setattr__(record, "document_number", "AB1234567")
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.documents = ()  # type: ignore[misc]
    with pytest.raises(TypeError):

        class _WithNumber(IdentityRecord):  # type: ignore[misc]
            number: str = ""


def _leaf_types(hint: object) -> set[object]:
    args = typing.get_args(hint)
    if not args:
        return {hint}
    return set().union(*(_leaf_types(a) for a in args if a is not Ellipsis))


@pytest.mark.parametrize("cls", [IdentityRecord, RecordedDocument])
def test_record_types_hold_no_text_or_numbers(cls: type) -> None:
    leaves = set().union(*(_leaf_types(h) for h in typing.get_type_hints(cls).values()))
    assert not leaves & {str, int, bytes, float, typing.Any, object}
    assert all(
        t in (bool, types.NoneType, RecordedDocument) or (isinstance(t, type) and issubclass(t, enum.Enum))
        for t in leaves
    ), leaves


def test_decision_is_accepted_or_refused() -> None:
    with pytest.raises(ValueError):
        IdentityDecision(record=None, reasons=(), documents=())
    with pytest.raises(ValueError):
        IdentityDecision(record=one(PhotoIdKind.PASSPORT), reasons=(R.EXPIRED,), documents=())


@pytest.mark.parametrize(
    "build",
    [
        lambda: doc(PhotoIdKind.DRIVERS_LICENCE, card=PIN_OK),
        lambda: doc(PhotoIdKind.JUKI_CARD_WITH_PHOTO, card=CardCheck(face_auth_card=True)),
        lambda: doc(PhotoIdKind.MY_NUMBER_CARD_WITH_PHOTO, card=PIN_OK, smartphone=APP_CHECKED),
    ],
    ids=["card check on a licence", "face-auth 住基 card", "card and smartphone"],
)
def test_inconsistent_input_is_rejected(build: typing.Callable[[], object]) -> None:
    with pytest.raises(ValueError):
        build()
