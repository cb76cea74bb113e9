"""Who may apply for which certificate, and through whom (RULES.md, "Who may apply").

Pure: an `Intake` (what the counter knows: date of birth, today, adult ward or not, who is at the
counter, card kind, certificates asked for) goes in; an `Eligibility` comes out: per certificate
allowed or refused with a `Reason`, the `Check`s staff must make for that path, and who enters
the PIN. Sources: the city intake rules 要綱 (seeds 004) 第2条 3・10〜16項 and 第4条の3, the
procedure manual 要領 (seeds 001) 第2-1-(2), and 規則 第5条 (seeds 000).

Rules encoded:

- Age is the legal age on the application day (要綱 2-2(3) "発行の申請の日において"), counted
  under 年齢計算ニ関スル法律 and 民法 143条: a year of age is complete at the end of the day before
  the birthday, so the eve is the day the age is reached (年齢到達日). Someone born on 29 February
  reaches it on 28 February in common years (143条2項ただし書: no matching day → end of month).
- Under 15 or an adult ward (成年被後見人): the legal representative (法定代理人) must apply
  (要綱 2-3). The signing certificate is not issued, except when the legal representative comes
  with the applicant (法定代理人が同行し) and both the applicant's and the representative's wish
  to apply is confirmed (要綱 2-3 ただし書).
- The legal representative proves who they are and who the applicant is (要綱 2-10 with 2-4),
  and the relation: a family register copy (戸籍謄本) for a parent unless the city's records
  show it, a certificate of registered matters (登記事項証明書) or the like for a guardian. No
  inquiry answer is asked of a legal representative (要領 第2-1-(2)-ア-(ア)-C, new text).
- The applicant or the legal representative sets the PIN at the terminal (要綱 2-11).
- A proxy (任意代理人) shows their own photo ID (要綱 2-5 list), a letter of attorney signed or
  name-and-sealed by the applicant, the inquiry answer (照会回答書), and the PIN request form
  sealed so the proxy cannot learn the PIN (要綱 2-12); staff set that PIN (要綱 2-14). No
  inquiry answer when the proxy is of the applicant's household and the application goes with a
  moving-in or moving notification within a month (要綱 2-13).
- Face-auth card (顔認証カード) asked for: no signing certificate; staff set a random user-auth PIN
  and lock it (要綱 2-15, 4条の3-7); the proxy needs no sealed PIN form (要綱 2-12(4) parenthesis).
  A child under 1 year (特定年齢未満) cannot have a face-auth card (要綱 4条の3-1).
- Renewal keeps the current PINs (要綱 2-16), except on a face-auth card (random PIN, 2-15).

Decisions where the sources are silent or ambiguous (the conservative choice, stricter wins):

- Under 1 year: user-auth certificate only. 要綱 2-2(3) says this only for the route through
  another municipality; on the home counter the under-15 exception would in words still apply,
  but a child under 1 cannot form the wish to apply the exception needs, so signing is refused.
- A proxy for an applicant under 15 or an adult ward is refused: 要綱 2-3 says the legal
  representative must apply, and no source lets the representative delegate (復代理).
- A legal representative of an applicant aged 15 or over who is not an adult ward is refused:
  the 要綱 gives the representative path only for 2-3's cases (要領 第2-1-(2) mentions 保佐人,
  補助人 and 任意後見人 with a 代理行為目録, which the city rules do not take up). Such an
  applicant applies in person or through a proxy, whose path asks for more.
- No inquiry answer from a legal representative follows the 要綱 2-10 and the new 要領 text;
  the 規則 5条2項 text in the seeds waives it for a legal representative only together with a
  moving notification. The identity check of 2-4 still asks for it with non-photo documents.
- An applicant both under 15 and an adult ward: the representative proves both relations.
- On the representative path the representative, who is the one applying, enters the PIN, also
  when the applicant is present (要綱 2-11 "自ら"; 要領 lets a legal representative know it).
- A proxy's renewal still needs the sealed PIN form: 2-16 changes which PIN is set, not 2-12(4).
- A proxy at the registration of a birth (要領: no proxy ID then) is not modelled: ID is asked.
- One reason per certificate: the first that applies, in the order of `Reason`.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from kiosk.domain.coded import CodedText

REPRESENTATION_AGE: Final = 15  # 要綱 2-3: under 15 the legal representative applies
SPECIFIED_AGE: Final = 1  # 要綱 2-2(3): 特定年齢 (under it: 特定年齢未満申請者)


def legal_age(birth: date, on: date) -> int:
    """Completed years on `on` (年齢計算ニ関スル法律, 民法 143条).

    The age is counted from the day of birth, so the n-th year is complete at the end of the day
    before the n-th birthday: `on` has reached the age when the next day is the birthday or later.
    A 29 February birthday in a common year falls on 1 March for this comparison, which makes
    28 February the eve, as 143条2項ただし書 (end of the month) gives.
    """
    if birth > on:
        raise ValueError("the date of birth is after the day of the application")
    following = on + timedelta(days=1)
    before_birthday = (following.month, following.day) < (birth.month, birth.day)
    return following.year - birth.year - int(before_birthday)


class Certificate(enum.StrEnum):
    SIGNING = "signing"  # 署名用電子証明書
    USER_AUTH = "user_auth"  # 利用者証明用電子証明書


class CardKind(enum.StrEnum):
    """The kind the card is to be after this application."""

    NORMAL = "normal"
    # The face-auth box is ticked on the form or the inquiry answer (要綱 2-15), or the card is one
    # and stays one. Back to normal is a PIN reset, another procedure (要綱 4-3).
    FACE_AUTH = "face_auth"  # 顔認証カード


class Presenter(enum.StrEnum):
    """Who is at the counter."""

    APPLICANT = "applicant"  # 本人, alone
    LEGAL_REPRESENTATIVE = "legal_representative"  # 法定代理人, the applicant not present
    LEGAL_REPRESENTATIVE_WITH_APPLICANT = "legal_representative_with_applicant"  # 法定代理人が同行
    PROXY = "proxy"  # 任意代理人 with a letter of attorney (委任状)


class Reason(CodedText):
    """Reason code → plain-language text (the UI translates the English). Refusals are listed in
    the order they are tried: the first that applies is the one given."""

    ALLOWED = "Allowed (受付可)."
    ALLOWED_BY_SIGNING_EXCEPTION = (
        "Allowed: the legal representative (法定代理人) came with the applicant and both confirmed "
        "the wish to apply (申請の意思)."
    )
    # Refusals of the whole application: nobody at the counter may make it.
    LEGAL_REPRESENTATIVE_MUST_APPLY = (
        "An applicant under 15 or an adult ward (成年被後見人) cannot apply alone: "
        "the legal representative (法定代理人) must apply."
    )
    PROXY_NOT_FOR_MINOR_OR_WARD = (
        "A proxy (任意代理人) cannot apply for an applicant under 15 or an adult ward (成年被後見人): "
        "the legal representative (法定代理人) must apply."
    )
    NO_LEGAL_REPRESENTATION = (
        "An applicant aged 15 or over who is not an adult ward applies in person or through a proxy "
        "with a letter of attorney (委任状), not through a legal representative (法定代理人)."
    )
    FACE_AUTH_CARD_NOT_UNDER_ONE = (
        "A child under 1 year (特定年齢未満) cannot have a face-auth card (顔認証カード): "
        "apply for a normal card."
    )
    # Refusals of the signing certificate only.
    NO_SIGNING_ON_FACE_AUTH_CARD = (
        "A face-auth card (顔認証カード) carries no signing certificate (署名用電子証明書)."
    )
    NO_SIGNING_UNDER_ONE = (
        "A child under 1 year (特定年齢未満) gets the user-authentication certificate "
        "(利用者証明用電子証明書) only."
    )
    NO_SIGNING_WITHOUT_APPLICANT = (
        "The signing certificate (署名用電子証明書) for an applicant under 15 or an adult ward is issued "
        "only when the applicant comes with the legal representative (法定代理人)."
    )
    NO_SIGNING_WITHOUT_BOTH_INTENTIONS = (
        "The signing certificate (署名用電子証明書) for an applicant under 15 or an adult ward needs both "
        "the applicant's and the legal representative's wish to apply (申請の意思) confirmed."
    )

    @property
    def allows(self) -> bool:
        return self in (Reason.ALLOWED, Reason.ALLOWED_BY_SIGNING_EXCEPTION)


class Check(CodedText):
    """What staff must see or confirm before the application is taken, in the order to do it."""

    APPLICANT_IDENTITY = (  # 要綱 2-4 (also for the representative path, 2-10)
        "Applicant's identity (本人確認): one photo ID, or two other documents and the inquiry "
        "answer (照会回答書)."
    )
    LEGAL_REPRESENTATIVE_IDENTITY = (  # 要綱 2-10 with 2-4
        "Legal representative's (法定代理人) identity: one photo ID, or two other documents and the "
        "inquiry answer (照会回答書)."
    )
    PARENTAL_AUTHORITY = (  # 要綱 2-10; 要領 第2-1-(2)-ア-(ア)-C-(A)
        "Parental authority (親権者): a family register copy (戸籍謄本), unless the city's records "
        "(市の公簿) show it."
    )
    GUARDIANSHIP = (  # 要綱 2-10
        "The guardian's power of representation (代理権): a certificate of registered matters "
        "(登記事項証明書) or the like."
    )
    BOTH_INTENTIONS = (  # 要綱 2-3 ただし書: recorded with the application
        "The applicant's and the legal representative's wish to apply for the signing certificate "
        "(申請の意思), confirmed in person."
    )
    PROXY_PHOTO_ID = "The proxy's (任意代理人) own photo ID (顔写真付き本人確認書類)."  # 要綱 2-12(1)
    LETTER_OF_ATTORNEY = (  # 要綱 2-12(2)
        "Letter of attorney (委任状) signed, or name written and sealed, by the applicant."
    )
    INQUIRY_ANSWER = (  # 要綱 2-12(3), waived by 2-13
        "Inquiry answer (照会回答書) the city or J-LIS sent to the applicant."
    )
    SEALED_PIN_FORM = (  # 要綱 2-12(4), 2-14; 要領 第2-1-(2): the proxy must not learn the PIN
        "PIN request form (暗証番号設定依頼書) still sealed in its envelope or under the concealment "
        "sticker (隠ぺいシール): staff open it and enter the PIN."
    )


class PinEntry(enum.StrEnum):
    """Who sets the PINs of the certificates issued."""

    APPLICANT = "applicant"  # 要綱 2-11
    LEGAL_REPRESENTATIVE = "legal_representative"  # 要綱 2-11 (the representative applied)
    STAFF_FROM_SEALED_FORM = "staff_from_sealed_form"  # 要綱 2-14
    STAFF_RANDOM_THEN_LOCK = "staff_random_then_lock"  # 要綱 2-15, 4条の3-7: face-auth card


@dataclass(frozen=True)
class Intake:
    """What the counter knows when it takes an application for certificates."""

    birth_date: date
    today: date  # the day of the application: the age is taken on it (要綱 2-2(3))
    certificates: frozenset[Certificate]
    presenter: Presenter
    card: CardKind = CardKind.NORMAL
    adult_ward: bool = False  # 成年被後見人
    # 要綱 2-3 ただし書: staff confirmed both the applicant's and the legal representative's wish.
    both_intentions_confirmed: bool = False
    renewal: bool = False  # 更新 (else 新規発行)
    # 要綱 2-13, for a proxy: of the applicant's household (同一世帯人), and the application goes
    # with a moving-in or moving notification (転入届・転居届等) within a month.
    proxy_same_household: bool = False
    moving_notification_within_month: bool = False

    def __post_init__(self) -> None:
        if not self.certificates:
            raise ValueError("no certificate requested")
        if self.birth_date > self.today:
            raise ValueError("the date of birth is after the day of the application")

    def __repr__(self) -> str:  # the date of birth is personal data: out of logs and tracebacks
        wanted = ",".join(sorted(self.certificates))
        return f"Intake(<personal data>, {self.presenter}, {self.card}, {wanted})"


@dataclass(frozen=True)
class Ruling:
    certificate: Certificate
    reason: Reason

    @property
    def allowed(self) -> bool:
        return self.reason.allows


@dataclass(frozen=True)
class Eligibility:
    age: int
    rulings: tuple[Ruling, ...]  # one per certificate requested, in `Certificate` order
    checks: tuple[Check, ...] = ()  # empty when nothing is allowed
    pin_entry: PinEntry | None = None  # None when nothing is allowed
    keeps_current_pins: bool = False  # 要綱 2-16: renewal keeps the PINs the card has

    def ruling(self, certificate: Certificate) -> Ruling:
        for r in self.rulings:
            if r.certificate is certificate:
                return r
        raise KeyError(f"{certificate} was not requested")

    @property
    def allowed(self) -> tuple[Certificate, ...]:
        return tuple(r.certificate for r in self.rulings if r.allowed)

    @property
    def anything_allowed(self) -> bool:
        return any(r.allowed for r in self.rulings)


def assess(intake: Intake) -> Eligibility:
    age = legal_age(intake.birth_date, intake.today)
    represented = age < REPRESENTATION_AGE or intake.adult_ward  # 要綱 2-3
    wanted = [c for c in Certificate if c in intake.certificates]

    refusal = _refusal_of_application(intake, age, represented=represented)
    if refusal is not None:
        return Eligibility(age, tuple(Ruling(c, refusal) for c in wanted))

    rulings = tuple(Ruling(c, _ruling_reason(c, intake, age, represented=represented)) for c in wanted)
    if not any(r.allowed for r in rulings):
        return Eligibility(age, rulings)
    face_auth = intake.card is CardKind.FACE_AUTH
    return Eligibility(
        age,
        rulings,
        checks=tuple(_checks(intake, age, rulings)),
        pin_entry=_pin_entry(intake),
        keeps_current_pins=intake.renewal and not face_auth,  # 2-15: the face-auth PIN is random
    )


def _refusal_of_application(intake: Intake, age: int, *, represented: bool) -> Reason | None:
    """A reason that refuses every certificate requested: the wrong person at the counter, or a
    card that cannot be made."""
    by_representative = intake.presenter in (
        Presenter.LEGAL_REPRESENTATIVE,
        Presenter.LEGAL_REPRESENTATIVE_WITH_APPLICANT,
    )
    if represented and intake.presenter is Presenter.APPLICANT:
        return Reason.LEGAL_REPRESENTATIVE_MUST_APPLY  # 要綱 2-3
    if represented and intake.presenter is Presenter.PROXY:
        return Reason.PROXY_NOT_FOR_MINOR_OR_WARD  # decision: 2-3 names the representative only
    if not represented and by_representative:
        return Reason.NO_LEGAL_REPRESENTATION  # decision: the 要綱 has this path for 2-3 only
    if age < SPECIFIED_AGE and intake.card is CardKind.FACE_AUTH:
        return Reason.FACE_AUTH_CARD_NOT_UNDER_ONE  # 要綱 4条の3-1
    return None


def _ruling_reason(certificate: Certificate, intake: Intake, age: int, *, represented: bool) -> Reason:
    if certificate is Certificate.USER_AUTH:
        return Reason.ALLOWED  # every limit in the sources is on the signing certificate
    return _signing_reason(intake, age, represented=represented)


def _signing_reason(intake: Intake, age: int, *, represented: bool) -> Reason:
    if intake.card is CardKind.FACE_AUTH:
        return Reason.NO_SIGNING_ON_FACE_AUTH_CARD  # 要綱 2-15
    if age < SPECIFIED_AGE:
        return Reason.NO_SIGNING_UNDER_ONE  # 要綱 2-2(3), and the decision in the module docstring
    if not represented:
        return Reason.ALLOWED
    # 要綱 2-3: in principle not issued; the exception needs the applicant present with the
    # legal representative and both wishes confirmed (電子署名法 3条: a signature binds the signer).
    if intake.presenter is not Presenter.LEGAL_REPRESENTATIVE_WITH_APPLICANT:
        return Reason.NO_SIGNING_WITHOUT_APPLICANT
    if not intake.both_intentions_confirmed:
        return Reason.NO_SIGNING_WITHOUT_BOTH_INTENTIONS
    return Reason.ALLOWED_BY_SIGNING_EXCEPTION


def _checks(intake: Intake, age: int, rulings: Iterable[Ruling]) -> list[Check]:
    if intake.presenter is Presenter.APPLICANT:
        return [Check.APPLICANT_IDENTITY]  # 要綱 2-4
    if intake.presenter is Presenter.PROXY:
        checks = [Check.PROXY_PHOTO_ID, Check.LETTER_OF_ATTORNEY]  # 要綱 2-12(1)(2)
        if not (intake.proxy_same_household and intake.moving_notification_within_month):
            checks.append(Check.INQUIRY_ANSWER)  # 要綱 2-12(3); 2-13 waives it
        if intake.card is not CardKind.FACE_AUTH:
            checks.append(Check.SEALED_PIN_FORM)  # 要綱 2-12(4): not for a face-auth card
        return checks
    # The legal representative (要綱 2-10): both identities, then the relation.
    checks = [Check.APPLICANT_IDENTITY, Check.LEGAL_REPRESENTATIVE_IDENTITY]
    if age < REPRESENTATION_AGE:
        checks.append(Check.PARENTAL_AUTHORITY)
    if intake.adult_ward:
        checks.append(Check.GUARDIANSHIP)
    if any(r.reason is Reason.ALLOWED_BY_SIGNING_EXCEPTION for r in rulings):
        checks.append(Check.BOTH_INTENTIONS)
    return checks


def _pin_entry(intake: Intake) -> PinEntry:
    if intake.card is CardKind.FACE_AUTH:
        return PinEntry.STAFF_RANDOM_THEN_LOCK  # 要綱 2-15
    if intake.presenter is Presenter.PROXY:
        return PinEntry.STAFF_FROM_SEALED_FORM  # 要綱 2-14
    if intake.presenter is Presenter.APPLICANT:
        return PinEntry.APPLICANT  # 要綱 2-11
    return PinEntry.LEGAL_REPRESENTATIVE  # 要綱 2-11, and the decision in the module docstring
