"""券面事項確認 AP: the chip copy of the printed card surface, including the face photo (CARD.md §5)."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import date
from enum import Enum

from cryptography.hazmat.primitives.asymmetric import rsa
from PIL import Image

from kiosk.domain.resident import Sex, parse_yyyymmdd
from kiosk.reader import tlv
from kiosk.reader.cvc import rsa_key_from_tlv
from kiosk.reader.session import ApplicationSession, card_data

KENKAKU_AID = bytes.fromhex("D3921000310001010402")
EF_CARD_FACE, EF_CV_CERT = 0x0002, 0x0004
TAG_FACE = 0xFF20
TAG_OFFSETS, TAG_BIRTH, TAG_SEX, TAG_AP_KEY = 0xDF21, 0xDF22, 0xDF23, 0xDF24
TAG_NAME_IMAGE, TAG_ADDRESS_IMAGE, TAG_PHOTO, TAG_SIGNATURE = 0xDF25, 0xDF26, 0xDF27, 0xDF28
TAG_EXPIRY, TAG_SECURITY_CODE_IMAGE = 0xDF29, 0xDF2A
_SIGNED_GROUPS = ((TAG_BIRTH, TAG_SEX, TAG_AP_KEY), (TAG_NAME_IMAGE, TAG_ADDRESS_IMAGE), (TAG_PHOTO,))
_JP2_SIGNATURE = b"jP  "


class KenkakuPin(Enum):
    BIRTH_DATE = 0x0011  # 生年月日 key (Japanese-era YYMMDD): opens EF 0001 only
    CODE_B = 0x0012  # 照合番号B: opens the card face
    CODE_A = 0x0013  # 照合番号A (My Number): card face and the My Number image


@dataclass(frozen=True)
class CardFace:
    """EF 0002. Holds the face photo: keep it in memory only, never log or store it."""

    birth_date: date
    sex: Sex
    expiry: date
    ap_public_key: rsa.RSAPublicKey
    name_image: bytes  # PNG
    address_image: bytes  # PNG
    photo_jp2: bytes
    signature: bytes
    group_digests: bytes  # SHA-256 of each signed group, concatenated: what DF28 signs

    def __repr__(self) -> str:
        return "CardFace(<personal data>)"

    def photo(self) -> Image.Image:
        """The face photo decoded (greyscale). In memory only."""
        if self.photo_jp2[4:8] != _JP2_SIGNATURE:
            raise ValueError("face photo is not a JP2 file")
        with Image.open(io.BytesIO(self.photo_jp2)) as img:
            img.load()
            return img.convert("L")


def parse_card_face(data: bytes) -> CardFace:
    outer = tlv.expect(data, TAG_FACE)
    items = list(tlv.iterate(outer.value))
    if not items or items[0].tag != TAG_OFFSETS:
        raise ValueError("card face does not start with its offset table")
    f = {item.tag: item for item in items[1:]}
    needed = {t for group in _SIGNED_GROUPS for t in group} | {TAG_SIGNATURE, TAG_EXPIRY}
    missing = needed - set(f)
    if missing:
        raise ValueError(f"card face lacks {sorted(f'{t:X}' for t in missing)}")
    digests = b"".join(
        hashlib.sha256(b"".join(f[tag].encoded for tag in group)).digest() for group in _SIGNED_GROUPS
    )
    return CardFace(
        birth_date=parse_yyyymmdd(f[TAG_BIRTH].value.decode("ascii")),
        sex=Sex(f[TAG_SEX].value.decode("ascii")),
        expiry=parse_yyyymmdd(f[TAG_EXPIRY].value.decode("ascii")),
        ap_public_key=rsa_key_from_tlv(f[TAG_AP_KEY].value),
        name_image=f[TAG_NAME_IMAGE].value,
        address_image=f[TAG_ADDRESS_IMAGE].value,
        photo_jp2=f[TAG_PHOTO].value,
        signature=f[TAG_SIGNATURE].value,
        group_digests=digests,
    )


class KenkakuSession(ApplicationSession[KenkakuPin]):
    AID = KENKAKU_AID
    NAME = "券面事項確認AP"
    PERSONAL_FILES = frozenset({0x0001, EF_CARD_FACE, 0x0005})  # age record, card face, My Number image

    def card_face(self) -> CardFace:
        """Needs 照合番号A or B verified first."""
        with card_data("card face"):
            return parse_card_face(self.read_record(EF_CARD_FACE))

    def cv_certificate(self) -> bytes:
        return self.read_record(EF_CV_CERT)

    def sign_challenge(self, digest_info: bytes) -> bytes:
        return self.sign_raw(0x00, digest_info, "AP key")
