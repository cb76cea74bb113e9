"""The counter's pre-flight: which procedures can succeed on the inserted card, and why not the others.

Pure: when a card goes in, the flows read what costs no PIN try (the PIN counters, the certificates
the card shows, the card's kind and expiry, its authenticity) and ask 機構 for the card's and the
certificates' status. A `CardSnapshot` of that and today's date goes in; a `Preflight` comes out: one
`Decision` per procedure and target, in the order a screen lists them, each with reason codes whose
text is plain English with the Japanese term. The screen then offers only what can succeed, and
says up front what has to wait, rather than sending someone away after a queue and an identity
check (ANCHORS.md §3, §4). Who may apply (age, representative, proxy) is `eligibility.assess`'s
question, at intake; this module knows only the card.

Sources: 規則 (seeds 000), 要領 (001), 通知 (002), the law's text appended to the 計画 (003), 要綱
(004); "RULES" = RULES.md "Procedures the terminal performs".

Rules encoded:

- Authenticity (真正性, 規則 64条の12): a card that is not genuine gets nothing; staff are called.
- A card that lost its validity (expired, or 廃止) counts as a revocation request for its
  certificates (規則 17, 53): nothing is issued, renewed, reset or revoked on it. What stays open is
  the disclosure/correction request (要綱 6), which concerns 機構's records, not the card; as an
  identity document an expired card serves only within 6 months of expiry and with a photo check
  (要領 第2-1-(1)-ア-(イ)-A-(A)), an abolished one not at all.
- A suspended card (一時停止 after a loss report; its certificates 一時保留) gets only the found-card
  release: the held certificates are revoked, the card goes back to 運用中 (要領 第4-3, 要綱 5-2),
  and new certificates are issued on request in the same visit — its follow-ups (same texts,
  "あわせて…新たな電子証明書の発行申請").
- A certificate's validity ends at the latest on the card's expiry day (規則, 有効期間 第2号 "個人番号
  カードの有効期間が満了する日"), and a certificate past it has lost effect (法 15条1項5号, 34条1項5号).
- Renewal (更新) replaces a valid certificate and keeps its current PIN, with no revocation form
  (要綱 2-16); so it needs that PIN usable. New issuance (新規発行) is for a card without a valid
  certificate of that kind, and sets a new PIN (要綱 2-11, 2-14).
- A face-auth card (顔認証カード) carries no signing certificate (規則 42-3; 要綱 2-15, 4条の3-7); its
  user-authentication PIN is random and locked, so it cannot be changed; resetting it makes the card
  a normal card again (要綱 4-3, 4-11). Renewing its user-auth certificate sets a random PIN and
  locks it again (要綱 2-15).
- Revocation / key-compromise report (失効 / 秘密鍵漏えい等届出): the certificate is identified by
  the serial number read from the card or from other material (要綱 3-8). One that is revoked or past
  its validity has no effect left to end (法 15条1項, 34条1項), so it is not offered.
- PIN change (暗証番号変更) needs the current PIN (要綱 4-9): not for a locked one.
- PIN reset (暗証番号初期化・再設定) after an identity check (要綱 4-1, 4-5, 4-9; 規則 65-4, 65-5).
- Switch to a face-auth card (顔認証カード切替): not for a card that is one; staff set a random
  user-auth PIN and lock it, and the valid signing certificate is revoked (要綱 4条の3-7).
- Disclosure / correction request (開示・訂正請求): intake with an identity check; the form goes to
  機構 (要綱 6).

Decisions where the sources are silent (stated in the reason text where it matters):

- Renewal window: no seed says when renewal opens. J-LIS and the municipalities open it three
  months before the certificate ends (ANCHORS.md §0 [JP-ama]); it opens on the same day number
  three months earlier (the month's last day when that month is shorter) and runs to the last valid
  day. After that day the certificate is dead and the way is a new issuance, not a renewal.
- A certificate that already ends on the card's expiry day is not offered for renewal: the new one
  could not end later (規則 有効期間 第2号), so the card itself must be renewed first.
- A "not checked" authenticity counts as not genuine: every procedure here writes to the chip or
  relies on it, and the kiosk cannot tell a failed check from a forged card.
- A valid certificate outside the renewal window is replaced by revoking it first, then a new
  issuance in the same visit (要綱 2-16 spares renewal the revocation form, so issuance over a valid
  one needs it); a renewal with a locked or forgotten PIN follows a PIN reset of that PIN.
- A signing or user-auth PIN is changed or reset only while its certificate is valid: without one
  the PIN guards nothing, and the new issuance sets a new PIN anyway. The 住基 PIN has no certificate.
- A PIN that is not locked may still be forgotten: its reset is offered too, listed after the change,
  and the flow records the person's declaration; a PIN declared forgotten is not offered for change.
  Nobody is asked to lock a PIN on purpose to qualify.
- The signing certificate is readable only after its PIN (CARD.md §3.1). Its dates and serial come
  from 機構's record when it is reachable; otherwise the renewal window is checked, and the serial
  for a revocation read, right after the PIN is entered, the first step of those flows.
- 機構 unreachable (`CardStatus.UNKNOWN`): everything that writes to the card (its administrative
  commands are authorised online, docs/card-admin.md §1) or changes the card's status needs it:
  issuance, renewal, PIN reset, face-auth switch, found-card release. Revocation, key-compromise
  report, PIN change and the disclosure request are taken and queued (store-and-forward,
  docs/store-and-sync.md): none can harm a card whose status is unknown — revoking only removes
  trust, a PIN change needs the current PIN and changes nothing 機構 holds. The found-card release
  is listed as needing 機構 because only 機構 knows whether the card is suspended.
- The 住基 PIN follows its own counter on either kind of card: the face-auth rules concern the
  user-authentication PIN only (規則 42-3).
- A suspended card is not offered the disclosure request either ("only the release"): once the
  release is done the pre-flight runs again on a card in operation. A suspended card that is also
  expired gets nothing but that request: releasing an expired card restores nothing (規則 17, 53).
- A locked PIN does not stop a new issuance: it sets a new PIN (要綱 2-11, and the RESET PIN in the
  issuance authorisations, docs/central.md §6).
- Screen order: by availability (now, queued, follow-up, waiting for 機構, not offered), then the
  found-card release, PIN resets of locked or forgotten PINs, renewals, new certificates, PIN
  changes, the reset "if forgotten", key-compromise reports, revocations, the face-auth switch, the
  disclosure request: what most often brings people to the counter first.
- A certificate 機構 reports on hold (一時保留) makes the card count as suspended, whatever the
  card's own status says; an "expired" from 機構 counts even if the card's date says otherwise.
"""

from __future__ import annotations

import calendar
import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Final

from kiosk.domain.coded import Coded
from kiosk.domain.eligibility import CardKind, Certificate
from kiosk.domain.identity import expired_card_last_day
from kiosk.domain.pin_rules import PinCounter, PinKind

RENEWAL_WINDOW_MONTHS: Final = 3  # decision: J-LIS practice (ANCHORS.md §0), the sources are silent

# The PINs the pre-flight reads; the 券面事項入力補助 PIN has no procedure here.
PINS: Final = (PinKind.SIGN, PinKind.AUTH, PinKind.JUKI)
_PIN_OF: Final = {Certificate.SIGNING: PinKind.SIGN, Certificate.USER_AUTH: PinKind.AUTH}
_CERT_OF: Final = {pin: cert for cert, pin in _PIN_OF.items()}


# -- input ---------------------------------------------------------------------------------------


class Authenticity(enum.StrEnum):
    GENUINE = "genuine"  # the 券面 APs' signatures verified against the issuer keys
    NOT_GENUINE = "not_genuine"
    NOT_CHECKED = "not_checked"  # the check could not run (no trust store, read error)


class CardStatus(enum.StrEnum):
    """The card's 運用状況 at 機構."""

    IN_OPERATION = "in_operation"  # 運用中
    SUSPENDED = "suspended"  # 一時停止 (lost, reported by phone)
    ABOLISHED = "abolished"  # 廃止
    EXPIRED = "expired"  # 機構's view of a card past its expiry (期限切れ)
    UNKNOWN = "unknown"  # 機構 unreachable


class CertStatus(enum.StrEnum):
    """A certificate's status at 機構."""

    GOOD = "good"  # 有効
    ON_HOLD = "on_hold"  # 一時保留
    REVOKED = "revoked"  # 失効
    UNKNOWN = "unknown"  # 機構 unreachable


@dataclass(frozen=True)
class CertificateState:
    """One certificate slot as the pre-flight knows it.

    `not_after` is the last valid day (JST); it and `serial` come from the certificate read from the
    card, or from 機構's record of the card when the card would not show it (the signing certificate
    before its PIN).
    """

    on_card: bool  # the card's availability flags (EF 0008) say a certificate is there
    read_from_card: bool = False  # the card gave it to us: the signing one only after its PIN
    not_after: date | None = None
    serial: str | None = None
    central: CertStatus = CertStatus.UNKNOWN

    def __post_init__(self) -> None:
        details = self.not_after is not None or self.serial is not None
        if not self.on_card and (self.read_from_card or details):
            raise ValueError("an absent certificate has no dates and no serial")
        if self.read_from_card and (self.not_after is None or self.serial is None):
            raise ValueError("a certificate read from the card has its dates and serial")

    @classmethod
    def absent(cls, central: CertStatus = CertStatus.UNKNOWN) -> CertificateState:
        return cls(on_card=False, central=central)

    @classmethod
    def read(cls, not_after: date, serial: str, central: CertStatus) -> CertificateState:
        return cls(on_card=True, read_from_card=True, not_after=not_after, serial=serial, central=central)

    @classmethod
    def unread(
        cls, central: CertStatus, *, not_after: date | None = None, serial: str | None = None
    ) -> CertificateState:
        """On the card but not read (the signing certificate without its PIN)."""
        return cls(on_card=True, read_from_card=False, not_after=not_after, serial=serial, central=central)


@dataclass(frozen=True)
class PinState:
    """A PIN's retry counter, read without spending a try (implements `pin_rules.PinCounter`)."""

    tries_left: int | None  # None: the card did not report a count
    blocked: bool = False


@dataclass(frozen=True)
class CardSnapshot:
    today: date  # the JST calendar day
    authenticity: Authenticity
    kind: CardKind  # what the card is now
    card_expiry: date  # the card's last valid day
    card_status: CardStatus
    signing: CertificateState
    user_auth: CertificateState
    pins: Mapping[PinKind, PinCounter]  # SIGN, AUTH and JUKI
    # PINs the person said they have forgotten (asked before the menu, or on a second pass).
    declared_forgotten: frozenset[PinKind] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        missing = [p.name for p in PINS if p not in self.pins]
        if missing:
            raise ValueError(f"PIN states missing: {', '.join(missing)}")
        for cert in (self.signing, self.user_auth):
            # 機構 answers for the card and its certificates together, or not at all.
            if cert.on_card and (cert.central is CertStatus.UNKNOWN) != (not self.central_reachable):
                raise ValueError("a certificate's status is known exactly when 機構 was reached")

    @property
    def central_reachable(self) -> bool:
        return self.card_status is not CardStatus.UNKNOWN

    @property
    def card_expired(self) -> bool:
        # 有効期間内 includes its last day; 機構's "expired" wins over the card's own date.
        return self.card_status is CardStatus.EXPIRED or self.today > self.card_expiry

    @property
    def suspended(self) -> bool:
        held = any(c.on_card and c.central is CertStatus.ON_HOLD for c in (self.signing, self.user_auth))
        return self.card_status is CardStatus.SUSPENDED or held

    @property
    def face_auth(self) -> bool:
        return self.kind is CardKind.FACE_AUTH

    def certificate(self, cert: Certificate) -> CertificateState:
        return self.signing if cert is Certificate.SIGNING else self.user_auth

    def pin_blocked(self, pin: PinKind) -> bool:
        state = self.pins[pin]
        return state.blocked or state.tries_left == 0

    def validity_end(self, cert: Certificate) -> date | None:
        """The certificate's last valid day: its own, cut at the card's expiry (規則 有効期間 第2号)."""
        not_after = self.certificate(cert).not_after
        return None if not_after is None else min(not_after, self.card_expiry)


# -- output --------------------------------------------------------------------------------------


class Procedure(enum.StrEnum):
    """The procedures the terminal performs; the store files applications under these values
    (`kiosk.store.models.ProcedureKind` is this enum)."""

    NEW_ISSUANCE = "new_issuance"  # 新規発行
    RENEWAL = "renewal"  # 更新
    REVOCATION = "revocation"  # 失効
    KEY_COMPROMISE = "key_compromise"  # 秘密鍵漏えい等届出
    PIN_CHANGE = "pin_change"  # 暗証番号変更
    PIN_RESET = "pin_reset"  # 暗証番号初期化・再設定
    FACE_AUTH_SWITCH = "face_auth_switch"  # 顔認証カード切替
    FOUND_CARD_RELEASE = "suspension_release"  # 一時停止解除
    DISCLOSURE = "disclosure"  # 開示・訂正請求

    @property
    def label(self) -> str:
        return _PROCEDURE_LABELS[self]


_PROCEDURE_LABELS: Final = {
    Procedure.NEW_ISSUANCE: "New certificate (新規発行)",
    Procedure.RENEWAL: "Renewal (更新)",
    Procedure.REVOCATION: "Revocation (失効)",
    Procedure.KEY_COMPROMISE: "Key-compromise report (秘密鍵漏えい等届出)",
    Procedure.PIN_CHANGE: "PIN change (暗証番号変更)",
    Procedure.PIN_RESET: "PIN reset (暗証番号初期化・再設定)",
    Procedure.FACE_AUTH_SWITCH: "Switch to a face-auth card (顔認証カード切替)",
    Procedure.FOUND_CARD_RELEASE: "Lost card found: lift the suspension (一時停止解除)",
    Procedure.DISCLOSURE: "Disclosure or correction request (開示・訂正請求)",
}
_CERT_LABELS: Final = {
    Certificate.SIGNING: "signing certificate (署名用電子証明書)",
    Certificate.USER_AUTH: "user-authentication certificate (利用者証明用電子証明書)",
}
_PIN_LABELS: Final = {
    PinKind.SIGN: "signing PIN (署名用パスワード)",
    PinKind.AUTH: "user-authentication PIN (利用者証明用暗証番号)",
    PinKind.JUKI: "resident registry PIN (住民基本台帳用暗証番号)",
}

Target = Certificate | PinKind


@dataclass(frozen=True)
class Item:
    """One line of the menu: a procedure, and the certificate or PIN it acts on."""

    procedure: Procedure
    target: Target | None = None

    @property
    def label(self) -> str:
        if self.target is None:
            return self.procedure.label
        name = _CERT_LABELS[self.target] if isinstance(self.target, Certificate) else _PIN_LABELS[self.target]
        return f"{self.procedure.label}: {name}"


# The menu in the order a screen lists it among lines of equal availability: what brings people
# to the counter most urgently first (a lost card found, a locked PIN), reports of a leaked key
# before plain revocation, and the forms that need no card last.
_CERTS: Final = (Certificate.SIGNING, Certificate.USER_AUTH)
MENU: Final = (
    Item(Procedure.FOUND_CARD_RELEASE),
    *(Item(Procedure.PIN_RESET, p) for p in PINS),
    *(Item(Procedure.RENEWAL, c) for c in _CERTS),
    *(Item(Procedure.NEW_ISSUANCE, c) for c in _CERTS),
    *(Item(Procedure.PIN_CHANGE, p) for p in PINS),
    *(Item(Procedure.KEY_COMPROMISE, c) for c in _CERTS),
    *(Item(Procedure.REVOCATION, c) for c in _CERTS),
    Item(Procedure.FACE_AUTH_SWITCH),
    Item(Procedure.DISCLOSURE),
)


class Availability(enum.StrEnum):
    OFFERED = "offered"  # can be done now
    QUEUED = "queued"  # can be done now; its message to 機構 waits in the store-and-forward queue
    FOLLOW_UP = "follow_up"  # can be done in this visit once `after` is done
    NEEDS_CENTRAL = "needs_central"  # would be possible, but needs 機構 online
    NOT_OFFERED = "not_offered"


_AVAILABILITY_ORDER: Final = tuple(Availability)
# What needs 機構 live: card writes are authorised online per command (docs/card-admin.md §1), and
# the release changes the card's status. The rest is taken now and sent later.
_NEEDS_CENTRAL: Final = frozenset(
    {
        Procedure.NEW_ISSUANCE,
        Procedure.RENEWAL,
        Procedure.PIN_RESET,
        Procedure.FACE_AUTH_SWITCH,
        Procedure.FOUND_CARD_RELEASE,
    }
)


class Reason(Coded):
    """Reason code → source and plain-English text (the UI translates the English)."""

    source: str
    text: str

    def __init__(self, source: str, text: str) -> None:
        self.source = source
        self.text = text

    # The card as a whole
    AVAILABLE = ("RULES", "Available (受付可).")
    NOT_GENUINE = (
        "規則 64条の12",
        "The card failed the authenticity check (真正性の確認): please ask a member of staff.",
    )
    AUTHENTICITY_NOT_CHECKED = (
        "規則 64条の12; decision",
        "The card's authenticity (真正性) could not be checked: please ask a member of staff.",
    )
    CARD_ABOLISHED = (
        "規則 17, 53",
        "The card has been cancelled (廃止) and its certificates no longer count: a new card is needed.",
    )
    CARD_EXPIRED = (
        "規則 17, 53",
        "The card is past its expiry date (有効期限切れ) and its certificates count as revoked: "
        "a new card is needed first.",
    )
    CARD_SUSPENDED = (
        "要領 第4-3; 要綱 5-2",
        "The card is suspended (一時停止) after a loss report: if it has been found, lift the "
        "suspension first; other procedures can be chosen afterwards.",
    )
    CARD_NOT_SUSPENDED = ("要領 第4-3", "The card is in operation (運用中): there is no suspension to lift.")
    CARD_STATUS_UNKNOWN = (
        "要綱 2-8; decision",
        "The card's status (運用状況) cannot be checked while 機構 is not reachable.",
    )
    RELEASE_FOUND_CARD = (
        "要領 第4-3; 要綱 5-2",
        "If the card has been found: its held certificates (一時保留) are revoked and the card goes "
        "back into operation (運用中); new certificates can then be issued.",
    )
    NEW_AFTER_RELEASE = (
        "要領 第4-3; 要綱 5-2",
        "After the suspension is lifted, new certificates (新規発行) can be issued in the same visit.",
    )
    # 機構 unreachable
    QUEUED_UNTIL_ONLINE = (
        "docs/store-and-sync.md; decision",
        "機構 cannot be reached now: the request is taken and sent as soon as the link is back (送信待ち).",
    )
    CENTRAL_UNREACHABLE = (
        "docs/card-admin.md §1; decision",
        "機構 cannot be reached now, and this needs it online: please try again later.",
    )
    # Certificates
    NO_CERTIFICATE = ("要綱 2-1", "The card holds no such certificate (電子証明書なし).")
    CERTIFICATE_REVOKED = ("法 15条, 34条; 要綱 3", "The certificate has been revoked (失効済み).")
    CERTIFICATE_EXPIRED = (
        "法 15条1項5号, 34条1項5号",
        "The certificate is past its validity (有効期間満了) and has lost effect.",
    )
    USE_RENEWAL = (
        "要綱 2-16",
        "The certificate is valid and in its renewal window: renew it (更新) instead; that keeps the PIN.",
    )
    REVOKE_FIRST = (
        "要綱 2-16, 3-1; decision",
        "The card holds a valid certificate (有効な電子証明書): it is revoked (失効) first, then a new "
        "one is issued in the same visit.",
    )
    IN_RENEWAL_WINDOW = (
        "要綱 2-16; decision (three months)",
        "The certificate ends within three months: it can be renewed (更新), keeping the current PIN "
        "(従来の暗証番号).",
    )
    RENEWAL_NOT_YET = (
        "decision (three months)",
        "Renewal (更新) opens three months before the certificate ends, on the date shown.",
    )
    RENEWAL_ENDS_WITH_CARD = (
        "規則 (有効期間) 第2号; decision",
        "The certificate already runs to the card's expiry date (カードの有効期間満了日): a renewed one "
        "could not last longer. The card itself must be renewed first.",
    )
    RENEWAL_NEEDS_PIN = (
        "要綱 2-16; decision",
        "Renewal keeps the current PIN (従来の暗証番号), which is locked or forgotten: it is reset "
        "(再設定) first, then the certificate renewed.",
    )
    RENEWAL_DATES_AFTER_PIN = (
        "CARD.md §3.1; decision",
        "The signing certificate can be read only after its PIN (署名用パスワード): its dates are "
        "checked then, at the start of the renewal.",
    )
    FACE_AUTH_RANDOM_PIN = (
        "要綱 2-15",
        "To stay a face-auth card (顔認証カード), staff set a random PIN and lock it again.",
    )
    NO_SIGNING_ON_FACE_AUTH_CARD = (
        "規則 42-3; 要綱 2-15, 4条の3-7, 4-3",
        "A face-auth card (顔認証カード) carries no signing certificate (署名用電子証明書): resetting "
        "the user-authentication PIN first makes it a normal card.",
    )
    SERIAL_AFTER_PIN = (
        "要綱 3-8; CARD.md §3.1",
        "The certificate's serial number (シリアル番号) is read from the card after its PIN is entered.",
    )
    SERIAL_UNKNOWN = (
        "要綱 3-8",
        "The certificate's serial number (シリアル番号) is needed to revoke it: without its PIN only "
        "機構 can supply it.",
    )
    # PINs
    PIN_BLOCKED = (
        "要綱 4-9",
        "The PIN is locked (ロック) after too many wrong entries: a change needs the current PIN, so "
        "reset it (再設定) instead.",
    )
    PIN_FORGOTTEN = (
        "要綱 4-9",
        "A change needs the current PIN (従来の暗証番号), which you said you have forgotten: reset it "
        "(再設定) instead.",
    )
    LAST_TRY = (
        "pin_rules; ANCHORS.md §3",
        "One try left: a wrong current PIN now locks it (ロック). If you are not sure of it, reset it "
        "instead.",
    )
    FACE_AUTH_PIN_LOCKED = (
        "要綱 4条の3-7",
        "On a face-auth card (顔認証カード) the user-authentication PIN is random and locked: it cannot "
        "be changed, only reset, which makes the card a normal card.",
    )
    PIN_WITHOUT_CERTIFICATE = (
        "要綱 2-11, 4-1; decision",
        "The certificate this PIN protects is missing, revoked or expired: a new certificate "
        "(新規発行) comes with a new PIN.",
    )
    RESET_LOCKED_PIN = (
        "要綱 4-1, 4-9; 規則 65-4, 65-5",
        "The PIN is locked (ロック): it can be reset (初期化・再設定) after the identity check.",
    )
    RESET_DECLARED_FORGOTTEN = (
        "要綱 4-1; decision",
        "You said you have forgotten this PIN: it can be reset (再設定) after the identity check.",
    )
    RESET_IF_FORGOTTEN = (
        "要綱 4-1; decision",
        "If you have forgotten this PIN, it can be reset (再設定) after the identity check; there is no "
        "need to lock it first.",
    )
    RESET_MAKES_NORMAL_CARD = (
        "要綱 4-3, 4-11",
        "Resetting the user-authentication PIN of a face-auth card (顔認証カード) makes it a normal "
        "card again, usable with a PIN.",
    )
    # Face-auth switch
    ALREADY_FACE_AUTH = ("要綱 4条の3-1", "The card already is a face-auth card (顔認証カード).")
    SWITCH_REVOKES_SIGNING = (
        "要綱 4条の3-7",
        "Switching revokes the valid signing certificate (署名用電子証明書の失効) and locks the "
        "user-authentication PIN.",
    )
    SWITCH_NEEDS_USER_AUTH = (
        "要綱 2-15, 4条の3-7",
        "A face-auth card needs a valid user-authentication certificate (利用者証明用電子証明書): "
        "it is issued first, with the face-auth wish ticked on the form.",
    )
    # Disclosure
    CARD_NOT_ID = (
        "要綱 6-2 (2-4, 2-5); 要領 第2-1-(1)-ア-(イ)-A-(A)",
        "This card cannot serve as your identity document (本人確認書類): please show another one.",
    )
    EXPIRED_CARD_ID_WITH_PHOTO = (
        "要領 第2-1-(1)-ア-(イ)-A-(A)",
        "The card expired less than 6 months ago: it serves as your identity document (本人確認書類) only "
        "if staff confirm that its photo shows you.",
    )


@dataclass(frozen=True)
class Decision:
    item: Item
    availability: Availability
    reasons: tuple[Reason, ...]
    after: Item | None = None  # FOLLOW_UP (or NEEDS_CENTRAL for one): what comes first
    opens_on: date | None = None  # RENEWAL_NOT_YET: the first day of the renewal window

    def __post_init__(self) -> None:
        if not self.reasons:
            raise ValueError("every decision says why")
        if (self.availability is Availability.FOLLOW_UP) and self.after is None:
            raise ValueError("a follow-up names what it follows")

    @property
    def offered(self) -> bool:
        """Can be started now (queued or not)."""
        return self.availability in (Availability.OFFERED, Availability.QUEUED)


@dataclass(frozen=True)
class Preflight:
    decisions: tuple[Decision, ...]  # every `MENU` item once, in screen order
    central_reachable: bool
    refer_to_staff: Reason | None = None  # set when the card gets nothing and staff must look at it

    def decision(self, procedure: Procedure, target: Target | None = None) -> Decision:
        item = Item(procedure, target)
        for d in self.decisions:
            if d.item == item:
                return d
        raise KeyError(item)

    def with_availability(self, *availability: Availability) -> tuple[Decision, ...]:
        return tuple(d for d in self.decisions if d.availability in availability)

    @property
    def offered(self) -> tuple[Decision, ...]:
        return tuple(d for d in self.decisions if d.offered)


# -- the rules -----------------------------------------------------------------------------------


def preflight(snapshot: CardSnapshot) -> Preflight:
    online = snapshot.central_reachable
    if snapshot.authenticity is not Authenticity.GENUINE:
        reason = (
            Reason.NOT_GENUINE
            if snapshot.authenticity is Authenticity.NOT_GENUINE
            else Reason.AUTHENTICITY_NOT_CHECKED
        )
        refused = tuple(Decision(item, Availability.NOT_OFFERED, (reason,)) for item in MENU)
        return Preflight(refused, online, refer_to_staff=reason)
    decider = _Decider(snapshot)
    decisions = [decider.decide(item) for item in MENU]
    if not online:
        decisions = [_offline(d) for d in decisions]
    return Preflight(tuple(sorted(decisions, key=_screen_rank)), online)


def renewal_opens(end: date) -> date:
    """The first day of the renewal window for a certificate whose last valid day is `end`: the
    same day number `RENEWAL_WINDOW_MONTHS` months earlier, or that month's last day."""
    months = end.year * 12 + end.month - 1 - RENEWAL_WINDOW_MONTHS
    year, month0 = divmod(months, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(end.day, last))


class _Cert(enum.Enum):
    """A certificate's condition for the rules (on hold is handled as a suspended card)."""

    ABSENT = "absent"
    REVOKED = "revoked"
    EXPIRED = "expired"
    VALID = "valid"
    VALID_UNDATED = "valid_undated"  # on the card, not revoked, validity unknown (not read, offline)

    @property
    def valid(self) -> bool:
        return self in (_Cert.VALID, _Cert.VALID_UNDATED)


_NOT_VALID_REASON: Final = {
    _Cert.ABSENT: Reason.NO_CERTIFICATE,
    _Cert.REVOKED: Reason.CERTIFICATE_REVOKED,
    _Cert.EXPIRED: Reason.CERTIFICATE_EXPIRED,
}


def _decision(
    item: Item,
    availability: Availability,
    *reasons: Reason,
    after: Item | None = None,
    opens_on: date | None = None,
) -> Decision:
    return Decision(item, availability, reasons, after=after, opens_on=opens_on)


class _Decider:
    """Decides each item as if 機構 were reachable (`_offline` adjusts afterwards), memoising, so
    a follow-up can look at the decision it follows."""

    def __init__(self, snapshot: CardSnapshot) -> None:
        self.s = snapshot
        self._done: dict[Item, Decision] = {}
        self._rules: dict[Procedure, Callable[[Item], Decision]] = {
            Procedure.NEW_ISSUANCE: self._new_issuance,
            Procedure.RENEWAL: self._renewal,
            Procedure.REVOCATION: self._revocation,
            Procedure.KEY_COMPROMISE: self._revocation,
            Procedure.PIN_CHANGE: self._pin_change,
            Procedure.PIN_RESET: self._pin_reset,
            Procedure.FACE_AUTH_SWITCH: self._face_auth_switch,
            Procedure.FOUND_CARD_RELEASE: self._found_card_release,
            Procedure.DISCLOSURE: self._disclosure,
        }

    def decide(self, item: Item) -> Decision:
        if item not in self._done:
            self._done[item] = self._card_gate(item) or self._rules[item.procedure](item)
        return self._done[item]

    # The card as a whole: first that applies.

    def _card_gate(self, item: Item) -> Decision | None:
        s = self.s
        if s.card_status is CardStatus.ABOLISHED or s.card_expired:
            if item.procedure is Procedure.DISCLOSURE:
                return None  # about 機構's records, not the card: open on a dead card too
            abolished = s.card_status is CardStatus.ABOLISHED
            reason = Reason.CARD_ABOLISHED if abolished else Reason.CARD_EXPIRED
            return _decision(item, Availability.NOT_OFFERED, reason)
        if s.suspended:
            return self._suspended(item)
        return None

    def _suspended(self, item: Item) -> Decision:
        if item.procedure is Procedure.FOUND_CARD_RELEASE:
            return _decision(item, Availability.OFFERED, Reason.RELEASE_FOUND_CARD)
        if item.procedure is Procedure.NEW_ISSUANCE:
            if item.target is Certificate.SIGNING and self.s.face_auth:
                # Lifting the suspension leaves a face-auth card one; its PIN reset comes later.
                return _decision(item, Availability.NOT_OFFERED, Reason.NO_SIGNING_ON_FACE_AUTH_CARD)
            release = Item(Procedure.FOUND_CARD_RELEASE)
            return _decision(item, Availability.FOLLOW_UP, Reason.NEW_AFTER_RELEASE, after=release)
        return _decision(item, Availability.NOT_OFFERED, Reason.CARD_SUSPENDED)

    # Helpers

    def _condition(self, cert: Certificate) -> _Cert:
        state = self.s.certificate(cert)
        if not state.on_card:
            return _Cert.ABSENT
        if state.central is CertStatus.REVOKED:
            return _Cert.REVOKED
        end = self.s.validity_end(cert)
        if end is None:
            return _Cert.VALID_UNDATED
        return _Cert.EXPIRED if self.s.today > end else _Cert.VALID

    def _pin_unusable(self, pin: PinKind) -> bool:
        return self.s.pin_blocked(pin) or pin in self.s.declared_forgotten

    def _follow(self, item: Item, first: Item, *reasons: Reason) -> Decision:
        """FOLLOW_UP after `first` when that is on offer; otherwise a plain refusal."""
        if self.decide(first).availability is Availability.OFFERED:
            return _decision(item, Availability.FOLLOW_UP, *reasons, after=first)
        return _decision(item, Availability.NOT_OFFERED, *reasons)

    @staticmethod
    def _cert(item: Item) -> Certificate:
        if not isinstance(item.target, Certificate):  # MENU pairs them; a hand-made Item may not
            raise TypeError(f"{item.procedure} acts on a certificate")
        return item.target

    @staticmethod
    def _pin(item: Item) -> PinKind:
        if not isinstance(item.target, PinKind):
            raise TypeError(f"{item.procedure} acts on a PIN")
        return item.target

    # Certificates

    def _new_issuance(self, item: Item) -> Decision:
        cert = self._cert(item)
        if cert is Certificate.SIGNING and self.s.face_auth:
            return self._follow(
                item, Item(Procedure.PIN_RESET, PinKind.AUTH), Reason.NO_SIGNING_ON_FACE_AUTH_CARD
            )
        condition = self._condition(cert)
        if not condition.valid:
            notes = (Reason.FACE_AUTH_RANDOM_PIN,) if self.s.face_auth else ()
            return _decision(item, Availability.OFFERED, _NOT_VALID_REASON[condition], *notes)
        renewal = self.decide(Item(Procedure.RENEWAL, cert)).availability
        if renewal in (Availability.OFFERED, Availability.FOLLOW_UP):
            return _decision(item, Availability.NOT_OFFERED, Reason.USE_RENEWAL)
        return self._follow(item, Item(Procedure.REVOCATION, cert), Reason.REVOKE_FIRST)

    def _renewal(self, item: Item) -> Decision:
        cert = self._cert(item)
        refusal = self._renewal_refusal(item, cert)
        if refusal is not None:
            return refusal
        known = self.s.validity_end(cert) is not None
        notes = (Reason.IN_RENEWAL_WINDOW if known else Reason.RENEWAL_DATES_AFTER_PIN,)
        if cert is Certificate.USER_AUTH and self.s.face_auth:
            return _decision(item, Availability.OFFERED, *notes, Reason.FACE_AUTH_RANDOM_PIN)
        pin = _PIN_OF[cert]
        if self._pin_unusable(pin):
            return self._follow(item, Item(Procedure.PIN_RESET, pin), Reason.RENEWAL_NEEDS_PIN)
        if self.s.pins[pin].tries_left == 1:
            notes = (*notes, Reason.LAST_TRY)  # the renewal starts by entering that PIN
        return _decision(item, Availability.OFFERED, *notes)

    def _renewal_refusal(self, item: Item, cert: Certificate) -> Decision | None:
        if cert is Certificate.SIGNING and self.s.face_auth:
            return _decision(item, Availability.NOT_OFFERED, Reason.NO_SIGNING_ON_FACE_AUTH_CARD)
        condition = self._condition(cert)
        if not condition.valid:
            return _decision(item, Availability.NOT_OFFERED, _NOT_VALID_REASON[condition])
        end = self.s.validity_end(cert)
        if end is None:
            return None  # the signing certificate unread and 機構 silent: checked after the PIN
        if end >= self.s.card_expiry:
            return _decision(item, Availability.NOT_OFFERED, Reason.RENEWAL_ENDS_WITH_CARD)
        opens = renewal_opens(end)
        if self.s.today < opens:
            return _decision(item, Availability.NOT_OFFERED, Reason.RENEWAL_NOT_YET, opens_on=opens)
        return None

    def _revocation(self, item: Item) -> Decision:
        cert = self._cert(item)
        condition = self._condition(cert)
        if not condition.valid:
            return _decision(item, Availability.NOT_OFFERED, _NOT_VALID_REASON[condition])
        if self.s.certificate(cert).serial is not None:
            return _decision(item, Availability.OFFERED, Reason.AVAILABLE)
        if self.s.central_reachable:
            return _decision(item, Availability.OFFERED, Reason.AVAILABLE)  # 機構 knows the card's
        if not self._pin_unusable(_PIN_OF[cert]):
            return _decision(item, Availability.OFFERED, Reason.SERIAL_AFTER_PIN)
        return _decision(item, Availability.NEEDS_CENTRAL, Reason.SERIAL_UNKNOWN)

    # PINs

    def _pin_certificate_valid(self, pin: PinKind) -> bool:
        cert = _CERT_OF.get(pin)
        return cert is None or self._condition(cert).valid  # the 住基 PIN has no certificate

    def _pin_change(self, item: Item) -> Decision:
        pin = self._pin(item)
        if pin is PinKind.AUTH and self.s.face_auth:
            return _decision(item, Availability.NOT_OFFERED, Reason.FACE_AUTH_PIN_LOCKED)
        if not self._pin_certificate_valid(pin):
            return _decision(item, Availability.NOT_OFFERED, Reason.PIN_WITHOUT_CERTIFICATE)
        if self.s.pin_blocked(pin):
            return _decision(item, Availability.NOT_OFFERED, Reason.PIN_BLOCKED)
        if pin in self.s.declared_forgotten:
            return _decision(item, Availability.NOT_OFFERED, Reason.PIN_FORGOTTEN)
        if self.s.pins[pin].tries_left == 1:
            return _decision(item, Availability.OFFERED, Reason.LAST_TRY)
        return _decision(item, Availability.OFFERED, Reason.AVAILABLE)

    def _pin_reset(self, item: Item) -> Decision:
        pin = self._pin(item)
        if not self._pin_certificate_valid(pin):
            return _decision(item, Availability.NOT_OFFERED, Reason.PIN_WITHOUT_CERTIFICATE)
        if pin is PinKind.AUTH and self.s.face_auth:
            return _decision(item, Availability.OFFERED, Reason.RESET_MAKES_NORMAL_CARD)
        if self.s.pin_blocked(pin):
            return _decision(item, Availability.OFFERED, Reason.RESET_LOCKED_PIN)
        if pin in self.s.declared_forgotten:
            return _decision(item, Availability.OFFERED, Reason.RESET_DECLARED_FORGOTTEN)
        return _decision(item, Availability.OFFERED, Reason.RESET_IF_FORGOTTEN)

    # The card

    def _face_auth_switch(self, item: Item) -> Decision:
        if self.s.face_auth:
            return _decision(item, Availability.NOT_OFFERED, Reason.ALREADY_FACE_AUTH)
        if not self._condition(Certificate.USER_AUTH).valid:
            first = Item(Procedure.NEW_ISSUANCE, Certificate.USER_AUTH)
            return self._follow(item, first, Reason.SWITCH_NEEDS_USER_AUTH)
        if self._condition(Certificate.SIGNING).valid:
            return _decision(item, Availability.OFFERED, Reason.SWITCH_REVOKES_SIGNING)
        return _decision(item, Availability.OFFERED, Reason.AVAILABLE)

    def _found_card_release(self, item: Item) -> Decision:
        # Reached only when the card is not suspended, as far as anyone can tell now.
        if not self.s.central_reachable:
            return _decision(item, Availability.NEEDS_CENTRAL, Reason.CARD_STATUS_UNKNOWN)
        return _decision(item, Availability.NOT_OFFERED, Reason.CARD_NOT_SUSPENDED)

    def _disclosure(self, item: Item) -> Decision:
        s = self.s
        if s.card_status is CardStatus.ABOLISHED:
            return _decision(item, Availability.OFFERED, Reason.CARD_NOT_ID)
        if s.card_expired:
            # 要領 (A): the grace runs from the card's own expiry day.
            if s.today <= expired_card_last_day(s.card_expiry):
                return _decision(item, Availability.OFFERED, Reason.EXPIRED_CARD_ID_WITH_PHOTO)
            return _decision(item, Availability.OFFERED, Reason.CARD_NOT_ID)
        return _decision(item, Availability.OFFERED, Reason.AVAILABLE)


def _offline(d: Decision) -> Decision:
    """機構 unreachable: what was on offer is queued, or waits for 機構 (module docstring)."""
    if d.availability not in (Availability.OFFERED, Availability.FOLLOW_UP):
        return d
    kept = tuple(r for r in d.reasons if r is not Reason.AVAILABLE)
    # Every follow-up is a procedure that needs 機構 (issuance, renewal, switch).
    if d.availability is Availability.OFFERED and d.item.procedure not in _NEEDS_CENTRAL:
        return replace(d, availability=Availability.QUEUED, reasons=(*kept, Reason.QUEUED_UNTIL_ONLINE))
    return replace(d, availability=Availability.NEEDS_CENTRAL, reasons=(*kept, Reason.CENTRAL_UNREACHABLE))


_MENU_RANK: Final = {item: i for i, item in enumerate(MENU)}
_LAST_PIN_CHANGE: Final = _MENU_RANK[Item(Procedure.PIN_CHANGE, PINS[-1])]


def _screen_rank(d: Decision) -> tuple[int, int, int]:
    """Availability first; within it the menu order, except that the reset of a PIN nobody has
    reported locked or forgotten comes right after the PIN changes (it is the rarer wish)."""
    rank = _MENU_RANK[d.item]
    speculative = Reason.RESET_IF_FORGOTTEN in d.reasons
    position = 2 * _LAST_PIN_CHANGE + 1 if speculative else 2 * rank
    return (_AVAILABILITY_ORDER.index(d.availability), position, rank)
