"""The application payload a terminal seals for the central (規則 7, 44: sent encrypted).

Shared by the kiosk (which builds it) and the central (which opens it): this module and
`central/envelope.py` import nothing else from `central`, so both can move to a shared package
unchanged. The JSON form is strict: unknown keys, missing keys and wrong types are refused, so a
newer kiosk cannot smuggle fields past an older central unnoticed.

Everything here except the identifiers is personal data: it exists only in memory after the
envelope is opened, and the reprs below never show it.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

SCHEMA_VERSION = 2
# Version 1 lacked `disclosure_kind`: still read, because the central re-opens envelopes it stored
# before (issuance against an earlier application); a disclosure request needs version 2.
READABLE_VERSIONS = (1, 2)
CARD_CERT_KINDS = ("sign", "auth")  # 署名用 / 利用者証明用
PIN_TARGETS = ("sign", "auth")  # the signing PIN (001B) / the user-auth PIN (0018)


class PayloadError(ValueError):
    """The payload is malformed. Messages name the field, never its (personal) value."""


class Procedure(StrEnum):
    """What the terminal asks for (RULES.md "Procedures the terminal performs")."""

    NEW_ISSUANCE = "new_issuance"  # 新規発行
    RENEWAL = "renewal"  # 更新
    REVOCATION = "revocation"  # 失効申請
    KEY_COMPROMISE = "key_compromise"  # 秘密鍵漏えい等届出
    PIN_RESET = "pin_reset"  # 暗証番号初期化・再設定
    FACE_AUTH_SWITCH = "face_auth_switch"  # 顔認証カード切替
    SUSPENSION_RELEASE = "suspension_release"  # 一時停止解除: a lost card found (要領 第4-3, 要綱 5-2)
    DISCLOSURE = "disclosure"  # 開示 / 訂正請求

    @property
    def issues_certificates(self) -> bool:
        return self in (Procedure.NEW_ISSUANCE, Procedure.RENEWAL)


class DisclosureKind(StrEnum):
    """Which request about one's own 認証業務情報 (要綱 6-1): they are different forms."""

    DISCLOSURE = "disclosure"  # 開示請求 (政令 26-2, 様式第7号)
    CORRECTION = "correction"  # 訂正等の請求 of what was disclosed (政令 29-2, 様式第8号)


class IdentityMethod(StrEnum):
    """How the holder's identity was confirmed (要綱 2-4, 要領 第2-1, 規則 64条の5)."""

    PHOTO_ID = "photo_id"  # one document of 要綱 2-5
    TWO_DOCUMENTS_AND_INQUIRY = "two_documents_and_inquiry"  # two of 要綱 2-6 + 照会回答書
    CARD_AND_JUKI_PIN = "card_and_juki_pin"  # My Number card + 住基AP PIN on the terminal (要領 B)
    SURFACE_AND_DECLARATION = "surface_and_declaration"  # face-auth card / PIN failed (要領, 2024)
    FACE_MACHINE = "face_machine"  # 規則 64条の5 第2号 (camera vs. chip photo)
    FACE_VISUAL = "face_visual"  # 規則 64条の5 第1号 (staff compare)
    # Unattended PIN reset (通知 (1), 計画 2-①): the other PIN proven by the card's signature and
    # the machine face match with the presentation-attack challenge (appdata.unattended)
    OTHER_PIN_AND_FACE = "other_pin_and_face"


class Representation(StrEnum):
    SELF = "self"  # 本人
    LEGAL = "legal"  # 法定代理人
    PROXY = "proxy"  # 任意代理人 (委任状)


@dataclass(frozen=True, repr=False)
class BasicInfo:
    """基本4情報 as the signing certificate will carry them (CARD.md §3.2)."""

    name: str
    address: str
    birth_date: dt.date
    sex: str  # ISO 5218 as on the card: "0" not known, "1" male, "2" female, "9" not applicable
    # 代替文字 flags, one "0"/"1" per character; None → none substituted.
    name_alt: str | None = None
    address_alt: str | None = None

    def __post_init__(self) -> None:
        if not self.name or not self.address:
            raise PayloadError("name and address are required")
        if self.sex not in ("0", "1", "2", "9"):
            raise PayloadError("sex must be an ISO 5218 code")
        for flags, text in ((self.name_alt, self.name), (self.address_alt, self.address)):
            if flags is not None and (len(flags) != len(text) or set(flags) - {"0", "1"}):
                raise PayloadError("代替文字 flags must be one 0/1 per character")

    def __repr__(self) -> str:
        return "BasicInfo(<personal data>)"


@dataclass(frozen=True)
class IdentityCheck:
    method: IdentityMethod
    documents: tuple[str, ...] = ()  # kinds of document presented (要綱 2-7: the kind, not a copy)


@dataclass(frozen=True)
class Representative:
    kind: Representation = Representation.SELF
    # 要綱 2-3: the legal representative came along and both wishes were confirmed, which is the
    # only way a minor or adult ward gets a signing certificate.
    accompanied: bool = False
    both_intentions_confirmed: bool = False

    @property
    def legal_exception(self) -> bool:
        return self.kind is Representation.LEGAL and self.accompanied and self.both_intentions_confirmed


@dataclass(frozen=True, repr=False)
class ApplicationData:
    application_id: str
    procedure: Procedure
    card_id: str  # 32 lower-case hex digits
    applicant: BasicInfo
    operator: str = ""  # staff id; "" at an unattended kiosk
    certificates: tuple[str, ...] = ()  # kinds requested (issuance) or named (revocation)
    pin_targets: tuple[str, ...] = ()  # PIN reset: which PINs
    serials: tuple[str, ...] = ()  # revocation: serials read from the card, lower-case hex
    identity_check: IdentityCheck | None = None
    fee_paid: bool = False
    fee_yen: int = 0
    representative: Representative = field(default_factory=Representative)
    adult_ward: bool = False  # 成年被後見人
    face_card: bool = False  # 顔認証カード希望
    disclosure_kind: DisclosureKind | None = None  # 開示・訂正請求 only: which of the two

    def __post_init__(self) -> None:
        if not self.application_id or len(self.application_id) > 64:
            raise PayloadError("application id must be 1–64 characters")
        if len(self.card_id) != 32 or set(self.card_id) - set("0123456789abcdef"):
            raise PayloadError("card id must be 32 lower-case hex digits")
        if set(self.certificates) - set(CARD_CERT_KINDS) or len(set(self.certificates)) != len(
            self.certificates
        ):
            raise PayloadError("certificates must be distinct kinds out of sign/auth")
        if set(self.pin_targets) - set(PIN_TARGETS) or len(set(self.pin_targets)) != len(self.pin_targets):
            raise PayloadError("pin targets must be distinct out of sign/auth")
        if any(not s or set(s) - set("0123456789abcdef") or len(s) > 40 for s in self.serials):
            raise PayloadError("serials must be lower-case hex, at most 20 octets")
        if self.fee_yen < 0 or (self.fee_yen > 0) != self.fee_paid:
            raise PayloadError("fee_yen must be positive exactly when the fee is paid")
        if (self.procedure is Procedure.DISCLOSURE) != (self.disclosure_kind is not None):
            raise PayloadError("disclosure_kind is given exactly for a disclosure request")

    def __repr__(self) -> str:
        return f"ApplicationData({self.application_id!r}, {self.procedure.value}, <personal data>)"

    # -- JSON ---------------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        a = self.applicant
        return {
            "version": SCHEMA_VERSION,
            "application_id": self.application_id,
            "procedure": self.procedure.value,
            "card_id": self.card_id,
            "applicant": {
                "name": a.name,
                "address": a.address,
                "birth_date": a.birth_date.isoformat(),
                "sex": a.sex,
                "name_alt": a.name_alt,
                "address_alt": a.address_alt,
            },
            "operator": self.operator,
            "certificates": list(self.certificates),
            "pin_targets": list(self.pin_targets),
            "serials": list(self.serials),
            "identity_check": None
            if self.identity_check is None
            else {
                "method": self.identity_check.method.value,
                "documents": list(self.identity_check.documents),
            },
            "fee": {"paid": self.fee_paid, "yen": self.fee_yen},
            "representative": {
                "kind": self.representative.kind.value,
                "accompanied": self.representative.accompanied,
                "both_intentions_confirmed": self.representative.both_intentions_confirmed,
            },
            "adult_ward": self.adult_ward,
            "face_card": self.face_card,
            "disclosure_kind": None if self.disclosure_kind is None else self.disclosure_kind.value,
        }

    def to_bytes(self) -> bytes:
        return json.dumps(self.to_json(), ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()

    @classmethod
    def from_json(cls, obj: Any) -> ApplicationData:
        """Strict parse; ValueError on anything unexpected (without echoing personal values)."""
        try:
            version = obj.get("version") if isinstance(obj, dict) else None
            if type(version) is not int or version not in READABLE_VERSIONS:  # not True, not 1.0
                raise PayloadError("unsupported schema version")
            top = _exact(obj, _TOP_KEYS if version == SCHEMA_VERSION else _TOP_KEYS_V1, "application")
            ap = _exact(top["applicant"], _APPLICANT_KEYS, "applicant")
            fee = _exact(top["fee"], {"paid", "yen"}, "fee")
            rep = _exact(top["representative"], {"kind", "accompanied", "both_intentions_confirmed"}, "rep")
            idc = top["identity_check"]
            identity = None
            if idc is not None:
                idc = _exact(idc, {"method", "documents"}, "identity_check")
                identity = IdentityCheck(IdentityMethod(idc["method"]), _strings(idc["documents"]))
            return cls(
                application_id=_str(top["application_id"]),
                procedure=Procedure(top["procedure"]),
                card_id=_str(top["card_id"]),
                applicant=BasicInfo(
                    name=_str(ap["name"]),
                    address=_str(ap["address"]),
                    birth_date=dt.date.fromisoformat(_str(ap["birth_date"])),
                    sex=_str(ap["sex"]),
                    name_alt=None if ap["name_alt"] is None else _str(ap["name_alt"]),
                    address_alt=None if ap["address_alt"] is None else _str(ap["address_alt"]),
                ),
                operator=_str(top["operator"]),
                certificates=_strings(top["certificates"]),
                pin_targets=_strings(top["pin_targets"]),
                serials=_strings(top["serials"]),
                identity_check=identity,
                fee_paid=_bool(fee["paid"]),
                fee_yen=_int(fee["yen"]),
                representative=Representative(
                    Representation(rep["kind"]),
                    _bool(rep["accompanied"]),
                    _bool(rep["both_intentions_confirmed"]),
                ),
                adult_ward=_bool(top["adult_ward"]),
                face_card=_bool(top["face_card"]),
                disclosure_kind=_disclosure_kind(top.get("disclosure_kind")),
            )
        except PayloadError:
            raise
        except (KeyError, TypeError, ValueError) as exc:
            # Library errors may quote the offending value (e.g. a malformed birth date): drop it.
            raise PayloadError(f"malformed application payload ({type(exc).__name__})") from None

    @classmethod
    def from_bytes(cls, data: bytes) -> ApplicationData:
        try:
            obj = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise PayloadError("application payload is not UTF-8 JSON") from None
        return cls.from_json(obj)


_TOP_KEYS = {
    "version",
    "application_id",
    "procedure",
    "card_id",
    "applicant",
    "operator",
    "certificates",
    "pin_targets",
    "serials",
    "identity_check",
    "fee",
    "representative",
    "adult_ward",
    "face_card",
    "disclosure_kind",
}
_TOP_KEYS_V1 = _TOP_KEYS - {"disclosure_kind"}
_APPLICANT_KEYS = {"name", "address", "birth_date", "sex", "name_alt", "address_alt"}


def _exact(obj: Any, keys: set[str], what: str) -> dict[str, Any]:
    if not isinstance(obj, dict) or set(obj) != keys:
        raise PayloadError(f"{what}: unexpected or missing keys")
    return obj


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError
    return value


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError
    return value


def _int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError
    return value


def _disclosure_kind(value: Any) -> DisclosureKind | None:
    return None if value is None else DisclosureKind(_str(value))


def _strings(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise TypeError
    return tuple(_str(v) for v in value)
