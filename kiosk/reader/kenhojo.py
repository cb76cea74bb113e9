"""券面事項入力補助 AP: My Number and 基本4情報 (CARD.md §4)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from kiosk.domain.mynumber import is_valid
from kiosk.domain.resident import BasicFourInfo, Sex, parse_yyyymmdd
from kiosk.reader import tlv
from kiosk.reader.session import ApplicationSession, card_data

KENHOJO_AID = bytes.fromhex("D3921000310001010408")
EF_MY_NUMBER, EF_ATTRIBUTES, EF_INTEGRITY, EF_CV_CERT = 0x0001, 0x0002, 0x0003, 0x0004
_MY_NUMBER_EF_SIZE = 17  # FF 10 0C + 12 digits + FF FF filler
TAG_MY_NUMBER, TAG_ATTRIBUTES = 0xFF10, 0xFF20
TAG_OFFSETS, TAG_NAME, TAG_ADDRESS, TAG_BIRTH, TAG_SEX = 0xDF21, 0xDF22, 0xDF23, 0xDF24, 0xDF25


class KenhojoPin(Enum):
    PIN = 0x0011  # 券面事項入力補助用暗証番号, 4 digits
    CODE_A = 0x0014  # 照合番号A = the My Number: opens EF 0001 and 0003
    CODE_B = 0x0015  # 照合番号B (14 digits): opens EF 0002 and 0003


@dataclass(frozen=True)
class AttributesFile:
    """EF 0002 parsed, keeping the bytes the integrity record hashes."""

    info: BasicFourInfo
    signed_part: bytes = field(repr=False)  # the outer value after the DF21 offset table


def parse_my_number(physical: bytes) -> str:
    number = tlv.expect(physical, TAG_MY_NUMBER).value.decode("ascii")
    if not is_valid(number):
        raise ValueError("My Number on the card fails its check digit")
    return number


def parse_attributes(data: bytes) -> AttributesFile:
    outer = tlv.expect(data, TAG_ATTRIBUTES)
    items = list(tlv.iterate(outer.value))
    if not items or items[0].tag != TAG_OFFSETS:
        raise ValueError("EF 0002 does not start with its offset table")
    fields = {item.tag: item for item in items[1:]}
    missing = {TAG_NAME, TAG_ADDRESS, TAG_BIRTH, TAG_SEX} - set(fields)
    if missing:
        raise ValueError(f"EF 0002 lacks {sorted(f'{t:X}' for t in missing)}")
    info = BasicFourInfo(
        name=fields[TAG_NAME].value.decode("utf-8"),
        address=fields[TAG_ADDRESS].value.decode("utf-8"),
        birth_date=parse_yyyymmdd(fields[TAG_BIRTH].value.decode("ascii")),
        sex=Sex(fields[TAG_SEX].value.decode("ascii")),
    )
    return AttributesFile(info, b"".join(item.encoded for item in items[1:]))


class KenhojoSession(ApplicationSession[KenhojoPin]):
    AID = KENHOJO_AID
    NAME = "券面事項入力補助AP"
    PERSONAL_FILES = frozenset({EF_MY_NUMBER, EF_ATTRIBUTES, EF_INTEGRITY})

    def my_number_file(self) -> bytes:
        """EF 0001 as stored (17 bytes with filler): the integrity record hashes all of it."""
        return self.read_bytes(EF_MY_NUMBER, _MY_NUMBER_EF_SIZE)

    def my_number(self) -> str:
        with card_data("My Number file"):
            return parse_my_number(self.my_number_file())

    def attributes_file(self) -> bytes:
        return self.read_record(EF_ATTRIBUTES)

    def basic_four_info(self) -> BasicFourInfo:
        with card_data("basic 4 information file"):
            return parse_attributes(self.attributes_file()).info

    def integrity_record(self) -> bytes:
        return self.read_record(EF_INTEGRITY)

    def cv_certificate(self) -> bytes:
        return self.read_record(EF_CV_CERT)

    def sign_challenge(self, digest_info: bytes) -> bytes:
        """Card-presence proof: the AP's own key signs (P2 00, no credential needed)."""
        return self.sign_raw(0x00, digest_info, "AP key")
