"""The identity check at the counter: which documents prove who the applicant (or their proxy) is,
and what is kept afterwards.

Sources: 要綱 = the city intake rules (電子証明書の発行申請等の受付に関する要綱), 要領 = the national
procedure manual (公的個人認証サービス事務処理要領, 第2-1), 規則 = the ordinance, 通知 = 総行住第17号.

The flow reports what staff and the terminal established (dates on the documents, the PIN result,
the chip comparison, staff's look at the photo); these rules decide. The record they return holds
the *kinds* of documents only (通知 (2); 要綱2-7): its fields are enums and flags, checked at run time,
so a document number or a copy has nowhere to go.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum
from typing import final

# 要綱2-5(2) / 2-6(26): the driving history certificate is a photo ID from 平成24年4月1日 on.
DRIVING_HISTORY_PHOTO_SINCE = date(2012, 4, 1)
# 要領 第2-1-(1)-ア-(イ)-B: only 住基 cards issued from 平成21年4月20日 carry the surface data to compare.
JUKI_SURFACE_DATA_SINCE = date(2009, 4, 20)
# 要領 第2-1-(1)-ア-(イ)-A-(A): 「有効期間満了の日から6月以内」.
EXPIRED_CARD_GRACE_MONTHS = 6
# 要綱2-13: 「転入届又は転居届等と併せて…１か月以内」.
MOVING_NOTICE_WINDOW_MONTHS = 1


class Photo(Enum):
    """What the 要綱 item itself says about a face photo. Most items say nothing, and the rules here
    do not guess: the photo matters only where the text makes it a condition."""

    WITH_PHOTO = "顔写真有のものに限る"
    WITHOUT_PHOTO = "顔写真無のもの"
    NOT_STATED = "記載なし"


class _DocumentKind(Enum):
    """A numbered item of 要綱2-5 or 2-6: the item number, its exact Japanese text, an English gloss."""

    item: int
    japanese: str
    english: str
    photo: Photo

    def __init__(self, item: int, japanese: str, english: str, photo: Photo = Photo.NOT_STATED) -> None:
        self.item = item
        self.japanese = japanese
        self.english = english
        self.photo = photo


class PhotoIdKind(_DocumentKind):
    """要綱 第2条第5項 第1号–第29号: one valid document of these proves identity on its own (2-4(1))."""

    DRIVERS_LICENCE = (1, "運転免許証", "driver's licence")
    DRIVING_HISTORY_CERTIFICATE = (
        2,
        "運転経歴証明書（交付年月日が平成２４年４月１日以降のものに限る。）",
        "driving history certificate (issued on or after 1 April 2012)",
    )
    PASSPORT = (3, "旅券", "passport")
    PHYSICAL_DISABILITY_CERTIFICATE = (4, "身体障害者手帳", "physical disability certificate")
    MENTAL_DISABILITY_CERTIFICATE_WITH_PHOTO = (
        5,
        "精神障害者保健福祉手帳（顔写真有のものに限る。）",
        "mental disability certificate (with photo)",
        Photo.WITH_PHOTO,
    )
    INTELLECTUAL_DISABILITY_CERTIFICATE = (6, "療育手帳", "intellectual disability certificate")
    RESIDENCE_CARD_WITH_PHOTO = (
        7,
        "在留カード（顔写真有のものに限る。）",
        "residence card (with photo)",
        Photo.WITH_PHOTO,
    )
    SPECIAL_PERMANENT_RESIDENT_CERTIFICATE_WITH_PHOTO = (
        8,
        "特別永住者証明書（顔写真有のものに限る。）",
        "special permanent resident certificate (with photo)",
        Photo.WITH_PHOTO,
    )
    TEMPORARY_REFUGE_PERMIT = (9, "一時庇護許可書", "permit for temporary refuge")
    PROVISIONAL_STAY_PERMIT = (10, "仮滞在許可書", "permit for provisional stay")
    JUKI_CARD_WITH_PHOTO = (
        11,
        "住民基本台帳カード（顔写真有のものに限る。）",
        "Basic Resident Register card (with photo)",
        Photo.WITH_PHOTO,
    )
    MY_NUMBER_CARD_WITH_PHOTO = (
        12,
        "個人番号カード（顔写真有のものに限る。）",
        "My Number card (with photo)",
        Photo.WITH_PHOTO,
    )
    ELECTRICIAN_LICENCE = (13, "電気工事士免状", "electrician's licence")
    RADIO_OPERATOR_LICENCE = (14, "無線従事者免許証", "radio operator's licence")
    RAILWAY_DRIVER_LICENCE = (15, "動力車操縦者運転免許証", "railway (power vehicle) driver's licence")
    FLIGHT_DISPATCHER_CERTIFICATE = (
        16,
        "運航管理者技能検定合格証明書",
        "flight dispatcher proficiency test certificate",
    )
    REAL_ESTATE_BROKER_CARD = (17, "宅地建物取引士証", "licensed real estate broker card")
    SEAFARERS_HANDBOOK = (18, "船員手帳", "seafarer's handbook")
    WAR_INJURY_HANDBOOK = (19, "戦傷病者手帳", "war invalid's handbook")
    MARINE_OFFICER_LICENCE = (20, "海技免状", "marine officer's licence")
    DRIVING_INSTRUCTOR_CERTIFICATE = (21, "教習資格認定証", "driving instructor qualification certificate")
    PROFICIENCY_TEST_CERTIFICATE_WITH_PHOTO = (
        22,
        "検定合格証（顔写真有のものに限る。）",
        "proficiency test pass certificate (with photo)",
        Photo.WITH_PHOTO,
    )
    GOVERNMENT_STAFF_ID_WITH_PHOTO = (
        23,
        "官公署がその職員に対して発行した身分証明書（顔写真有のものに限る。）",
        "staff ID issued by a public office to its employee (with photo)",
        Photo.WITH_PHOTO,
    )
    FIREARMS_PERMIT = (24, "猟銃・空気銃所持許可証", "hunting gun / air gun possession permit")
    SPECIAL_ELECTRICAL_WORK_CERTIFICATE = (
        25,
        "特種電気工事資格者認定証",
        "special electrical work qualification certificate",
    )
    CERTIFIED_ELECTRICAL_WORKER_CERTIFICATE = (
        26,
        "認定電気工事従事者認定証",
        "certified electrical worker certificate",
    )
    AIRWORTHINESS_INSPECTOR_CERTIFICATE = (27, "耐空検査員の証", "airworthiness inspector's certificate")
    AVIATION_LICENCE = (28, "航空従事者技能証明書", "aviation personnel competence certificate")
    SMALL_BOAT_LICENCE = (29, "小型船舶操縦免許証", "small boat operator's licence")

    @property
    def citation(self) -> str:
        return f"要綱2-5({self.item})"


class OtherIdKind(_DocumentKind):
    """要綱 第2条第6項 第1号–第26号: two of these, with the inquiry answer, prove identity (2-4(2)).

    第26号 is one item listing nine documents 「のうち１点」: each has its own member (the record names
    the kind shown) but they share item 26, and two of them count as one.
    """

    TEMPORARY_CERTIFICATE_DURING_RENEWAL = (
        1,
        "前項に規定する書類が更新中の場合に交付される仮証明書や引換証類",
        "temporary certificate or claim slip issued while a photo ID of 2-5 is being renewed",
    )
    MY_NUMBER_CARD_WITHOUT_PHOTO = (
        2,
        "個人番号カード（顔写真無のもの。）",
        "My Number card (without photo)",
        Photo.WITHOUT_PHOTO,
    )
    QUALIFICATION_CONFIRMATION = (3, "資格確認書", "health insurance eligibility certificate")
    NATIONAL_HEALTH_INSURANCE_CARD = (4, "国民健康保険被保険者証", "National Health Insurance card")
    HEALTH_INSURANCE_CARD = (5, "健康保険被保険者証", "health insurance card")
    SEAMENS_INSURANCE_CARD = (6, "船員保険被保険者証", "seamen's insurance card")
    LONG_TERM_CARE_INSURANCE_CARD = (7, "介護保険被保険者証", "long-term care insurance card")
    LATE_STAGE_ELDERLY_MEDICAL_CARD = (8, "後期高齢者医療被保険者証", "late-stage elderly medical care card")
    MUTUAL_AID_ASSOCIATION_CARD = (9, "共済組合員証", "mutual aid association membership card")
    PENSION_BOOK = (10, "年金手帳", "pension book")
    PENSION_CERTIFICATE = (11, "各種年金証書", "pension certificate (any scheme)")
    ONKYU_PENSION_CERTIFICATE = (12, "恩給証書", "government (onkyu) pension certificate")
    STUDENT_ID = (13, "学生証", "student ID")
    CORPORATE_ID = (14, "法人が発行した身分証明書", "ID issued by a company or other corporation")
    PUBLIC_ASSISTANCE_CERTIFICATE = (15, "生活保護受給に係る証明書", "public assistance certificate")
    BASIC_PENSION_NUMBER_NOTICE = (16, "基礎年金番号通知書", "basic pension number notice")
    MENTAL_DISABILITY_CERTIFICATE_WITHOUT_PHOTO = (
        17,
        "精神障害者保健福祉手帳（顔写真無のもの。）",
        "mental disability certificate (without photo)",
        Photo.WITHOUT_PHOTO,
    )
    RESIDENCE_CARD_WITHOUT_PHOTO = (
        18,
        "在留カード（顔写真無のもの。）",
        "residence card (without photo)",
        Photo.WITHOUT_PHOTO,
    )
    SPECIAL_PERMANENT_RESIDENT_CERTIFICATE_WITHOUT_PHOTO = (
        19,
        "特別永住者証明書（顔写真無のもの。）",
        "special permanent resident certificate (without photo)",
        Photo.WITHOUT_PHOTO,
    )
    JUKI_CARD_WITHOUT_PHOTO = (
        20,
        "住民基本台帳カード（顔写真無のもので暗証番号を照合できる場合に限る。）",
        "Basic Resident Register card (without photo; only when its PIN can be checked)",
        Photo.WITHOUT_PHOTO,
    )
    SECURITY_GUARD_PASS_CERTIFICATE = (
        21,
        "警備業法第２３条第４項に規定する合格証明書",
        "security guard qualification certificate (Security Business Act art. 23(4))",
    )
    MEDICAL_SUBSIDY_RECIPIENT_CERTIFICATE = (
        22,
        "一部負担金相当額等一部助成医療証等官公署が発行した医療費助成又は手当等に係る受給者証",
        "recipient certificate for a public medical subsidy or allowance",
    )
    MATERNAL_AND_CHILD_HEALTH_HANDBOOK = (23, "母子健康手帳", "maternal and child health handbook")
    BIRTH_CERTIFICATE = (24, "出生証明書", "birth certificate (medical)")
    BIRTH_REGISTRATION_CERTIFICATE = (25, "出生届出済証明書", "certificate that the birth was registered")
    BANKBOOK = (26, "住民名義の預金通帳", "bankbook in the resident's name")
    LIBRARY_CARD = (26, "豊中市立図書館の利用者カード", "Toyonaka city library card")
    RESIDENT_CODE_NOTICE = (26, "住民票コード通知票", "resident record code notice")
    PATIENT_CARD = (26, "医療機関の診察券", "patient card of a medical institution")
    CASH_CARD = (26, "キャッシュカード", "bank cash card")
    CREDIT_CARD = (26, "クレジットカード", "credit card")
    COMMUTER_PASS = (26, "交通機関の定期券", "commuter pass")
    TASPO = (26, "成人識別ＩＣカードｔａｓｐｏ", "taspo adult-identification IC card")
    DRIVING_HISTORY_CERTIFICATE_BEFORE_2012_04 = (
        26,
        "運転経歴証明書（平成２４年３月３１日までに交付されたもの。）",
        "driving history certificate (issued by 31 March 2012)",
    )

    @property
    def citation(self) -> str:
        return f"要綱2-6({self.item})"


DocumentKind = PhotoIdKind | OtherIdKind

# 要綱2-6 なお書 / 要領(E) なお書: only these may be shown as a smartphone app's screen (映像面). The
# 要綱 cites 「第１１号、第１２号又は第２０号」, numbers that no longer fit its own list (11 and 12 are
# pensions, 20 the 住基 card); 要領 names 学生証, 民間企業の社員証 and 預金通帳, which is what is applied.
SMARTPHONE_KINDS: frozenset[OtherIdKind] = frozenset(
    {OtherIdKind.STUDENT_ID, OtherIdKind.CORPORATE_ID, OtherIdKind.BANKBOOK}
)
# 要領 第2-1-(1)-ア-(イ)-B names every My Number card (not only the photo one of 要綱2-8).
_MY_NUMBER_CARDS: frozenset[DocumentKind] = frozenset(
    {PhotoIdKind.MY_NUMBER_CARD_WITH_PHOTO, OtherIdKind.MY_NUMBER_CARD_WITHOUT_PHOTO}
)
_CARD_KINDS: frozenset[DocumentKind] = _MY_NUMBER_CARDS | {
    PhotoIdKind.JUKI_CARD_WITH_PHOTO,
    OtherIdKind.JUKI_CARD_WITHOUT_PHOTO,
}


class Refusal(Enum):
    """Why a document or a whole check is refused: source, the Japanese term, plain English."""

    source: str
    japanese: str
    english: str

    def __init__(self, source: str, japanese: str, english: str) -> None:
        self.source = source
        self.japanese = japanese
        self.english = english

    @property
    def describe(self) -> str:
        return f"{self.english} ({self.japanese}, {self.source})"

    # One document
    EXPIRED = ("要綱2-5, 2-6", "有効期間外", "The document is past its validity period.")
    EXPIRED_CARD_PHOTO_NOT_CONFIRMED = (
        "要領 第2-1-(1)-ア-(イ)-A-(A)",
        "有効期間満了後の個人番号カード（写真との同一性未確認）",
        "The My Number card has expired; within 6 months of expiry it is accepted only after staff "
        "confirm that its photo shows the person present.",
    )
    ISSUE_DATE_NOT_ELIGIBLE = (
        "要綱2-5(2), 2-6(26)",
        "交付年月日の条件",
        "The driving history certificate's issue date does not fit this list (photo ID if issued on "
        "or after 1 April 2012, other document if issued earlier), or it was not entered.",
    )
    SMARTPHONE_NOT_ACCEPTED_FOR_KIND = (
        "要綱2-6 なお書",
        "映像面の提示を認めない書類",
        "This document cannot be shown on a smartphone; only a student ID, a company ID or a "
        "bankbook app may be.",
    )
    SMARTPHONE_ONLY_IF_DOCUMENT_IMPRACTICAL = (
        "要綱2-6 なお書",
        "書類の提示を受けることが困難である場合に限る",
        "A smartphone screen is accepted only when the physical document cannot reasonably be shown.",
    )
    SMARTPHONE_OPERATION_NOT_CHECKED = (
        "要綱2-6 なお書, 要領(E) なお書",
        "映像面の操作を求める措置",
        "Staff must have the person operate the app before its screen is accepted.",
    )
    PIN_CHECK_NOT_DONE = (
        "要綱2-8, 要領 第2-1-(1)-ア-(イ)-B",
        "暗証番号の照合未実施",
        "The card's resident-register (住基) PIN has not been checked on the terminal yet.",
    )
    OPERATOR_NOT_AUTHENTICATED = (
        "要領 第2-1-(1)-ア-(イ)-B",
        "統合端末の操作者の認証",
        "The PIN check counts only after the staff member has signed in on the terminal.",
    )
    NOT_ON_RESIDENT_REGISTER = (
        "要綱2-8",
        "住民基本台帳に記録されていない",
        "The details on the application do not match a person on the resident register.",
    )
    CARD_NOT_IN_OPERATION = (
        "要綱2-8",
        "カードの運用状況",
        "The card is not in operation (for example suspended or cancelled).",
    )
    CHIP_SURFACE_MISMATCH = (
        "要綱2-8, 要領 第2-1-(1)-ア-(イ)-B",
        "券面事項確認情報と券面記載事項の不一致（受付不可）",
        "Without a PIN check, the surface data in the card's chip must match the printed card; it "
        "does not (cannot accept).",
    )
    RESIDENT_RECORD_NOT_DECLARED = (
        "要領 第2-1-(1)-ア-(イ)-B",
        "住民票の記載事項の申告（受付不可）",
        "Without a PIN check, the person must also correctly state details of their resident "
        "record; they did not (cannot accept).",
    )
    JUKI_CARD_TOO_OLD_FOR_SURFACE_CHECK = (
        "要領 第2-1-(1)-ア-(イ)-B",
        "平成21年4月20日以後に交付された住基カードに限る（受付不可）",
        "This Basic Resident Register card was issued before 20 April 2009 (or its issue date was not "
        "entered), so it has no surface data to compare without the PIN (cannot accept).",
    )
    JUKI_CARD_PIN_NOT_VERIFIED = (
        "要綱2-6(20)",
        "暗証番号を照合できる場合に限る",
        "A Basic Resident Register card without photo counts only when its PIN is checked successfully.",
    )
    PROXY_NEEDS_PHOTO_ID = (
        "要綱2-12(1)",
        "任意代理人は第5項の書類に限る",
        "A proxy must identify themself with a document from the photo-ID list (要綱2-5).",
    )
    # The whole check
    TOO_FEW_DOCUMENTS = (
        "要綱2-4",
        "本人確認書類の不足",
        "Show one valid document from the photo-ID list, or two different documents from the other "
        "list together with the mailed inquiry answer.",
    )
    INQUIRY_ANSWER_MISSING = (
        "要綱2-4(2), 2-12(3)",
        "照会回答書の未提出",
        "The inquiry answer (照会回答書) mailed to the resident's address is required.",
    )
    PROXY_PHOTO_ID_MISSING = (
        "要綱2-12(1)",
        "任意代理人の本人確認書類の不足",
        "The proxy has not shown a valid photo ID of their own.",
    )
    LETTER_OF_ATTORNEY_MISSING = (
        "要綱2-12(2)",
        "委任状の未提出",
        "A letter of attorney signed (or named and sealed) by the applicant is required.",
    )
    PIN_REQUEST_FORM_MISSING = (
        "要綱2-12(4)",
        "暗証番号設定依頼書の未提出",
        "The applicant's PIN setting request form is required.",
    )
    PIN_REQUEST_FORM_NOT_SEALED = (
        "要綱2-12(4)",
        "暗証番号設定依頼書の封入・封緘又は隠ぺいシール",
        "The PIN setting request form must be sealed in an envelope or covered with a concealment "
        "sticker, so the proxy cannot read the PIN.",
    )


class Holder(Enum):
    """Whose document it is: some rules hold for the applicant only."""

    APPLICANT = "申請者／利用者"
    PROXY = "任意代理人"


class PinCheck(Enum):
    """The 住基AP PIN check on the terminal (要綱2-8)."""

    VERIFIED = "照合成功"
    FAILED = "照合失敗"  # wrong PIN or locked: both lead to the surface-data fallback
    NOT_DONE = "未実施"


class CardCheckMethod(Enum):
    """How a My Number / 住基 card was confirmed: kept in the record (no PIN, no card data)."""

    PIN = "住基AP暗証番号の照合"
    SURFACE_DATA_AND_DECLARATION = "券面事項確認情報の照合及び住民票記載事項の申告"


@dataclass(frozen=True)
class CardCheck:
    """What the terminal and staff established about a presented card. Every default means "not
    established", so a missing step refuses rather than passes."""

    face_auth_card: bool = False  # 顔認証カード: its PIN is locked by design
    pin: PinCheck = PinCheck.NOT_DONE
    operator_authenticated: bool = False
    on_resident_register: bool = False  # the application's 基本4情報 found on the register
    card_in_operation: bool = False  # 運用状況
    chip_matches_surface: bool = False  # 券面事項確認情報 == 券面記載事項
    resident_record_declared: bool = False  # the person stated their 住民票 details correctly


@dataclass(frozen=True)
class SmartphoneDisplay:
    """The document was shown as an app's screen (映像面), not on paper or plastic."""

    operation_checked: bool  # staff had the person operate the app (映像面の操作を求める措置)
    physical_document_impractical: bool  # staff judged the physical document hard to present


@dataclass(frozen=True)
class PresentedDocument:
    """One document as staff saw it. There is no field for its number: the rules do not need it."""

    kind: DocumentKind
    valid_until: date | None  # last day of validity; None when the document has no validity period
    issued_on: date | None = None  # needed for driving history certificates and 住基 cards
    photo_confirmed: bool = False  # staff compared the photo with the person (要領(A) grace)
    smartphone: SmartphoneDisplay | None = None
    card: CardCheck | None = None

    def __post_init__(self) -> None:
        if self.card is not None and self.kind not in _CARD_KINDS:
            raise ValueError(f"{self.kind.name} is not a card with a chip to check")
        if self.card is not None and self.card.face_auth_card and self.kind not in _MY_NUMBER_CARDS:
            raise ValueError("only a My Number card can be a face-auth card")
        if self.card is not None and self.smartphone is not None:
            raise ValueError("a card checked on the terminal is not a smartphone screen")


@dataclass(frozen=True)
class DocumentVerdict:
    kind: DocumentKind
    reasons: tuple[Refusal, ...]
    shown_on_smartphone: bool = False
    card_check: CardCheckMethod | None = None
    expiry_grace_used: bool = False

    @property
    def ok(self) -> bool:
        return not self.reasons


class IdentityPath(Enum):
    PHOTO_ID = "要綱2-4(1)"  # one document of 2-5
    TWO_DOCUMENTS_AND_INQUIRY_ANSWER = "要綱2-4(2)"  # two of 2-6 and the 照会回答書
    PROXY = "要綱2-12"  # the proxy's photo ID, letter of attorney, inquiry answer


class SupportingDocument(Enum):
    INQUIRY_ANSWER = "照会回答書"
    LETTER_OF_ATTORNEY = "委任状"
    PIN_REQUEST_FORM = "暗証番号設定依頼書"


def _check_fields(obj: object, spec: dict[str, tuple[type, ...]]) -> None:
    # Exact type checks (not isinstance) so that a str, an int or a bool-like can never stand in for
    # a kind: the record keeps kinds, never numbers (通知 (2)).
    for name, allowed in spec.items():
        value = getattr(obj, name)
        if type(value) not in allowed:
            raise TypeError(f"{type(obj).__name__}.{name} cannot hold a {type(value).__name__}")


@final
@dataclass(frozen=True, slots=True)
class RecordedDocument:
    """One document in the record: its kind and how it was checked, nothing that identifies it."""

    kind: DocumentKind
    shown_on_smartphone: bool = False
    card_check: CardCheckMethod | None = None
    expiry_grace_used: bool = False

    def __post_init__(self) -> None:
        _check_fields(
            self,
            {
                "kind": (PhotoIdKind, OtherIdKind),
                "shown_on_smartphone": (bool,),
                "card_check": (CardCheckMethod, type(None)),
                "expiry_grace_used": (bool,),
            },
        )

    def __init_subclass__(cls, **kwargs: object) -> None:
        raise TypeError("the record's fields are fixed")


@final
@dataclass(frozen=True, slots=True)
class IdentityRecord:
    """What is written on the application (要綱2-7): the kinds of documents, never a number or copy."""

    path: IdentityPath
    documents: tuple[RecordedDocument, ...]  # the applicant's, or on the proxy path the proxy's
    supporting: tuple[SupportingDocument, ...] = ()
    inquiry_answer_waived: bool = False  # 要綱2-13

    def __post_init__(self) -> None:
        _check_fields(
            self,
            {
                "path": (IdentityPath,),
                "documents": (tuple,),
                "supporting": (tuple,),
                "inquiry_answer_waived": (bool,),
            },
        )
        for doc in self.documents:
            if type(doc) is not RecordedDocument:
                raise TypeError(f"IdentityRecord.documents cannot hold a {type(doc).__name__}")
        for sup in self.supporting:
            if type(sup) is not SupportingDocument:
                raise TypeError(f"IdentityRecord.supporting cannot hold a {type(sup).__name__}")

    def __init_subclass__(cls, **kwargs: object) -> None:
        raise TypeError("the record's fields are fixed")


@dataclass(frozen=True)
class IdentityDecision:
    """Accepted exactly when there is a record; refused exactly when there are reasons."""

    record: IdentityRecord | None
    reasons: tuple[Refusal, ...]
    documents: tuple[DocumentVerdict, ...]  # one per presented document, in the order shown

    def __post_init__(self) -> None:
        if (self.record is None) != bool(self.reasons):
            raise ValueError("a decision has a record or reasons, not both or neither")

    @property
    def accepted(self) -> bool:
        return self.record is not None


def period_last_day(event_day: date, months: int) -> date:
    """The last day of a period of `months` months counted from `event_day`.

    The sources give no method, so the 民法's general rules apply (第138条): the day of the event is
    not counted (第140条 初日不算入); the period ends on the day before the same-numbered day `months`
    months after the first counted day (第143条第2項), or at the end of that month when it has no such
    day (同項ただし書). 「以内」 includes this last day.
    """
    if months < 1:
        raise ValueError("a period of at least one month")
    first = event_day + timedelta(days=1)
    year, month0 = divmod(first.year * 12 + first.month - 1 + months, 12)
    month_end = calendar.monthrange(year, month0 + 1)[1]
    if first.day > month_end:
        return date(year, month0 + 1, month_end)
    return date(year, month0 + 1, first.day) - timedelta(days=1)


def expired_card_last_day(valid_until: date) -> date:
    """The last day an expired My Number card may still identify its holder (要領(A): 6 months)."""
    return period_last_day(valid_until, EXPIRED_CARD_GRACE_MONTHS)


def _validity(doc: PresentedDocument, today: date, holder: Holder) -> tuple[tuple[Refusal, ...], bool]:
    """Reasons against the document's validity, and whether the 6-month grace was used."""
    if doc.valid_until is None or today <= doc.valid_until:  # 有効期間内 includes its last day
        return (), False
    # 要領(A) speaks of the applicant's own card (「交付申請者が本人であること」); the proxy's list in
    # 要領 第2-1-(2)-ア-(イ)-A has no such grace, nor does any other document.
    if (
        holder is Holder.APPLICANT
        and doc.kind is PhotoIdKind.MY_NUMBER_CARD_WITH_PHOTO
        and today <= expired_card_last_day(doc.valid_until)
    ):
        if doc.photo_confirmed:
            return (), True
        return (Refusal.EXPIRED_CARD_PHOTO_NOT_CONFIRMED,), False
    return (Refusal.EXPIRED,), False


def _issue_date(doc: PresentedDocument) -> tuple[Refusal, ...]:
    issued = doc.issued_on
    if doc.kind is PhotoIdKind.DRIVING_HISTORY_CERTIFICATE and (
        issued is None or issued < DRIVING_HISTORY_PHOTO_SINCE
    ):
        return (Refusal.ISSUE_DATE_NOT_ELIGIBLE,)
    if doc.kind is OtherIdKind.DRIVING_HISTORY_CERTIFICATE_BEFORE_2012_04 and (
        issued is None or issued >= DRIVING_HISTORY_PHOTO_SINCE
    ):
        return (Refusal.ISSUE_DATE_NOT_ELIGIBLE,)
    return ()


def _smartphone(kind: DocumentKind, shown: SmartphoneDisplay) -> tuple[Refusal, ...]:
    if kind not in SMARTPHONE_KINDS:
        return (Refusal.SMARTPHONE_NOT_ACCEPTED_FOR_KIND,)
    reasons: list[Refusal] = []
    if not shown.physical_document_impractical:
        reasons.append(Refusal.SMARTPHONE_ONLY_IF_DOCUMENT_IMPRACTICAL)
    if not shown.operation_checked:
        reasons.append(Refusal.SMARTPHONE_OPERATION_NOT_CHECKED)
    return tuple(reasons)


def _pin_path(card: CardCheck, holder: Holder) -> tuple[Refusal, ...]:
    # 要綱2-8: after the PIN, the register (by the application's 基本4情報, i.e. the applicant's) and
    # the card's operating status. The proxy is not the person on the application: no register look-up.
    reasons: list[Refusal] = []
    if not card.operator_authenticated:
        reasons.append(Refusal.OPERATOR_NOT_AUTHENTICATED)
    if holder is Holder.APPLICANT and not card.on_resident_register:
        reasons.append(Refusal.NOT_ON_RESIDENT_REGISTER)
    if not card.card_in_operation:
        reasons.append(Refusal.CARD_NOT_IN_OPERATION)
    return tuple(reasons)


def _fallback(doc: PresentedDocument, card: CardCheck) -> tuple[Refusal, ...]:
    # 要領B (2024 text): a face-auth card or a failed PIN is 受付不可 unless the chip's surface data
    # matches the printed card AND the person declares their resident-record details.
    reasons: list[Refusal] = []
    if doc.kind is PhotoIdKind.JUKI_CARD_WITH_PHOTO and (
        doc.issued_on is None or doc.issued_on < JUKI_SURFACE_DATA_SINCE
    ):
        reasons.append(Refusal.JUKI_CARD_TOO_OLD_FOR_SURFACE_CHECK)
    if not card.chip_matches_surface:
        reasons.append(Refusal.CHIP_SURFACE_MISMATCH)
    if not card.resident_record_declared:
        reasons.append(Refusal.RESIDENT_RECORD_NOT_DECLARED)
    return tuple(reasons)


def _card(doc: PresentedDocument, holder: Holder) -> tuple[tuple[Refusal, ...], CardCheckMethod | None]:
    card = doc.card if doc.card is not None else CardCheck()
    if doc.kind is OtherIdKind.JUKI_CARD_WITHOUT_PHOTO:
        # 要綱2-6(20): it counts only with a PIN check; it has no printed 基本4情報 to fall back on.
        if card.pin is not PinCheck.VERIFIED:
            return (Refusal.JUKI_CARD_PIN_NOT_VERIFIED,), None
        if not card.operator_authenticated:
            return (Refusal.OPERATOR_NOT_AUTHENTICATED,), None
        return (), CardCheckMethod.PIN
    if not card.face_auth_card and card.pin is PinCheck.NOT_DONE:
        return (Refusal.PIN_CHECK_NOT_DONE,), None
    if not card.face_auth_card and card.pin is PinCheck.VERIFIED:
        reasons = _pin_path(card, holder)
        return reasons, None if reasons else CardCheckMethod.PIN
    reasons = _fallback(doc, card)
    return reasons, None if reasons else CardCheckMethod.SURFACE_DATA_AND_DECLARATION


def judge_document(doc: PresentedDocument, *, today: date, holder: Holder) -> DocumentVerdict:
    """All reasons against one document (not just the first), so staff see everything to fix."""
    reasons: list[Refusal] = []
    if holder is Holder.PROXY and not isinstance(doc.kind, PhotoIdKind):
        reasons.append(Refusal.PROXY_NEEDS_PHOTO_ID)
    validity, grace_used = _validity(doc, today, holder)
    reasons += validity
    reasons += _issue_date(doc)
    if doc.smartphone is not None:
        reasons += _smartphone(doc.kind, doc.smartphone)
    method: CardCheckMethod | None = None
    if doc.kind in _CARD_KINDS:
        card_reasons, method = _card(doc, holder)
        reasons += card_reasons
    ok = not reasons
    return DocumentVerdict(
        kind=doc.kind,
        reasons=tuple(reasons),
        shown_on_smartphone=doc.smartphone is not None,
        card_check=method if ok else None,
        expiry_grace_used=grace_used and ok,
    )


def _recorded(verdict: DocumentVerdict) -> RecordedDocument:
    return RecordedDocument(
        kind=verdict.kind,
        shown_on_smartphone=verdict.shown_on_smartphone,
        card_check=verdict.card_check,
        expiry_grace_used=verdict.expiry_grace_used,
    )


def _one_per_item(verdicts: Iterable[DocumentVerdict]) -> tuple[DocumentVerdict, ...]:
    # Two of the same kind are one document, and 第26号's nine kinds are one item 「のうち１点」.
    seen: set[int] = set()
    kept: list[DocumentVerdict] = []
    for v in verdicts:
        if v.kind.item not in seen:
            seen.add(v.kind.item)
            kept.append(v)
    return tuple(kept)


def _refused(path_reasons: Iterable[Refusal], verdicts: tuple[DocumentVerdict, ...]) -> IdentityDecision:
    # What is missing first, then what was wrong with each document; each reason once.
    ordered = [*path_reasons, *(r for v in verdicts for r in v.reasons)]
    return IdentityDecision(record=None, reasons=tuple(dict.fromkeys(ordered)), documents=verdicts)


def check_applicant(
    documents: Sequence[PresentedDocument], *, inquiry_answer: bool, today: date
) -> IdentityDecision:
    """The applicant in person (要綱2-4): one valid photo ID of 2-5, or two different documents of
    2-6 with the 照会回答書. The same rules serve revocation and other requests (要綱3-4)."""
    verdicts = tuple(judge_document(d, today=today, holder=Holder.APPLICANT) for d in documents)
    photo = next((v for v in verdicts if v.ok and isinstance(v.kind, PhotoIdKind)), None)
    if photo is not None:
        record = IdentityRecord(path=IdentityPath.PHOTO_ID, documents=(_recorded(photo),))
        return IdentityDecision(record=record, reasons=(), documents=verdicts)
    others = _one_per_item(v for v in verdicts if v.ok and isinstance(v.kind, OtherIdKind))
    missing: list[Refusal] = []
    if len(others) < 2:
        missing.append(Refusal.TOO_FEW_DOCUMENTS)
    if not inquiry_answer and others:  # on the two-document path: say the answer is missing too
        missing.append(Refusal.INQUIRY_ANSWER_MISSING)
    if not missing:  # two different items, and (since there are some) the inquiry answer
        record = IdentityRecord(
            path=IdentityPath.TWO_DOCUMENTS_AND_INQUIRY_ANSWER,
            documents=tuple(_recorded(v) for v in others),
            supporting=(SupportingDocument.INQUIRY_ANSWER,),
        )
        return IdentityDecision(record=record, reasons=(), documents=verdicts)
    return _refused(missing, verdicts)


class Purpose(Enum):
    ISSUE = "要綱2-12"  # 新規発行／更新
    REVOKE = "要綱3-6"  # 失効申請／秘密鍵漏えい等届出: 2-12 without (4), and 2-13 is not applied


class PinRequestForm(Enum):
    SEALED = "封入・封緘又は隠ぺいシール貼付"
    UNSEALED = "封緘なし"
    NOT_PRESENTED = "未提出"


@dataclass(frozen=True)
class MovingNotice:
    """A 転入届 or 転居届 (要綱2-13 「等」; 規則5条2項 also names the 国外転出届) filed for the applicant."""

    notified_on: date
    same_household: bool  # the proxy lives in the applicant's household (同一世帯人)


def inquiry_answer_waived(notice: MovingNotice | None, *, today: date, purpose: Purpose) -> bool:
    """要綱2-13: a same-household proxy applying within a month of the moving notification needs no
    inquiry answer. 3-6 applies 2-12 to revocation but not 2-13, so revocation never waives it."""
    if notice is None or purpose is not Purpose.ISSUE or not notice.same_household:
        return False
    last = period_last_day(notice.notified_on, MOVING_NOTICE_WINDOW_MONTHS)
    return notice.notified_on <= today <= last


def check_proxy(
    proxy_documents: Sequence[PresentedDocument],
    *,
    letter_of_attorney: bool,
    inquiry_answer: bool,
    today: date,
    purpose: Purpose = Purpose.ISSUE,
    pin_request_form: PinRequestForm = PinRequestForm.NOT_PRESENTED,
    face_auth_card_requested: bool = False,
    moving_notice: MovingNotice | None = None,
) -> IdentityDecision:
    """A 任意代理人 (要綱2-12): the proxy's own photo ID, the applicant's letter of attorney, the
    inquiry answer (unless 2-13 waives it) and, for issuance, the sealed PIN request form. Whether
    this person may act as a proxy at all is decided elsewhere.

    `letter_of_attorney` means one bearing the applicant's signature or name and seal (2-12(2)).
    """
    verdicts = tuple(judge_document(d, today=today, holder=Holder.PROXY) for d in proxy_documents)
    photo = next((v for v in verdicts if v.ok), None)  # judge_document refused non-2-5 kinds already
    waived = not inquiry_answer and inquiry_answer_waived(moving_notice, today=today, purpose=purpose)
    # 2-12(4): the form is not needed for a face-auth card (staff set a random PIN) nor for revocation.
    form_needed = purpose is Purpose.ISSUE and not face_auth_card_requested
    missing: list[Refusal] = []
    if photo is None:
        missing.append(Refusal.PROXY_PHOTO_ID_MISSING)
    if not letter_of_attorney:
        missing.append(Refusal.LETTER_OF_ATTORNEY_MISSING)
    if not inquiry_answer and not waived:
        missing.append(Refusal.INQUIRY_ANSWER_MISSING)
    if form_needed and pin_request_form is PinRequestForm.NOT_PRESENTED:
        missing.append(Refusal.PIN_REQUEST_FORM_MISSING)
    if form_needed and pin_request_form is PinRequestForm.UNSEALED:
        missing.append(Refusal.PIN_REQUEST_FORM_NOT_SEALED)
    if missing or photo is None:
        return _refused(missing, verdicts)
    supporting = [SupportingDocument.LETTER_OF_ATTORNEY]
    if inquiry_answer:
        supporting.append(SupportingDocument.INQUIRY_ANSWER)
    if pin_request_form is PinRequestForm.SEALED:
        supporting.append(SupportingDocument.PIN_REQUEST_FORM)
    record = IdentityRecord(
        path=IdentityPath.PROXY,
        documents=(_recorded(photo),),
        supporting=tuple(supporting),
        inquiry_answer_waived=waived,
    )
    return IdentityDecision(record=record, reasons=(), documents=verdicts)
