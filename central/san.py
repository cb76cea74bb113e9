"""基本4情報 in the signing certificate's subjectAltName (CARD.md §3.2): otherName entries under
1.2.392.200149.8.5.5, UTF8String values, in the order seen on real certificates."""

from __future__ import annotations

import datetime as dt

from asn1crypto import core
from cryptography import x509

from appdata.model import BasicInfo

SAN_NAME = x509.ObjectIdentifier("1.2.392.200149.8.5.5.1")
SAN_NAME_ALT = x509.ObjectIdentifier("1.2.392.200149.8.5.5.2")  # 代替文字 flags of the name
SAN_SEX = x509.ObjectIdentifier("1.2.392.200149.8.5.5.3")
SAN_BIRTH_DATE = x509.ObjectIdentifier("1.2.392.200149.8.5.5.4")
SAN_ADDRESS = x509.ObjectIdentifier("1.2.392.200149.8.5.5.5")
SAN_ADDRESS_ALT = x509.ObjectIdentifier("1.2.392.200149.8.5.5.6")  # 代替文字 flags of the address
SAN_OIDS = (SAN_NAME, SAN_NAME_ALT, SAN_SEX, SAN_BIRTH_DATE, SAN_ADDRESS, SAN_ADDRESS_ALT)

# ISO 5218 on the card → the certificate's 1 男 / 2 女 / 3 不明.
_SEX = {"1": "1", "2": "2", "9": "3", "0": "3"}

# (era code as written in the certificate, first day of the era), newest first.
_ERAS = (
    (5, dt.date(2019, 5, 1)),  # 令和
    (4, dt.date(1989, 1, 8)),  # 平成
    (3, dt.date(1926, 12, 25)),  # 昭和
    (2, dt.date(1912, 7, 30)),  # 大正
    (1, dt.date(1868, 1, 25)),  # 明治
)


def birth_date_value(birth: dt.date) -> str:
    """Era code ‖ Gregorian YYYYMMDD, e.g. `419900102` for 2 Jan 1990 (平成)."""
    for code, start in _ERAS:
        if birth >= start:
            return f"{code}{birth:%Y%m%d}"
    raise ValueError("birth date predates the Meiji era")


def _utf8(value: str) -> bytes:
    return core.UTF8String(value).dump()


def basic_info_san(info: BasicInfo) -> x509.SubjectAlternativeName:
    return x509.SubjectAlternativeName(
        [
            x509.OtherName(SAN_NAME, _utf8(info.name)),
            x509.OtherName(SAN_BIRTH_DATE, _utf8(birth_date_value(info.birth_date))),
            x509.OtherName(SAN_SEX, _utf8(_SEX[info.sex])),
            x509.OtherName(SAN_ADDRESS, _utf8(info.address)),
            x509.OtherName(SAN_NAME_ALT, _utf8(info.name_alt or "0" * len(info.name))),
            x509.OtherName(SAN_ADDRESS_ALT, _utf8(info.address_alt or "0" * len(info.address))),
        ]
    )
