"""Builders for the records of the two 券面 APs (CARD.md §4, §5), byte for byte.

Pure functions of their inputs, so a reader (the kiosk's parser) can be tested against a known
record: pass fixed images and keys, get the exact bytes. Layouts are the real card's; the
signature inputs of DF33 (kenhojo 0003) and DF28 (kenkaku 0002) and the key id encoding are
ours (docs/card-emulation.md).
"""

from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from cardemu.testpki import KEY_ID_LENGTH
from kiosk.reader.tlv import emit, expect, iterate

MY_NUMBER_FILE_LENGTH = 17  # FF 10 0C + 12 digits + FF FF
AP_ID_KENHOJO = bytes.fromhex("01030E01")  # DF41 of kenhojo 0005 on the cards seen (SOLTIA)
AP_ID_KENKAKU = bytes.fromhex("06030E01")  # DF31 of kenkaku 0003 on the cards seen (SOLTIA)


def sign(key: rsa.RSAPrivateKey, message: bytes) -> bytes:
    """RSA PKCS#1 v1.5 with SHA-256: every signature in these records."""
    return key.sign(message, padding.PKCS1v15(), hashes.SHA256())


def rsa_public_key_do(key: rsa.RSAPublicKey) -> bytes:
    """`90 <exponent> 91 <modulus>`: how the 券面 APs write an RSA public key."""
    numbers = key.public_numbers()
    exponent = numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big")
    modulus = numbers.n.to_bytes(key.key_size // 8, "big")
    return emit(0x90, exponent) + emit(0x91, modulus)


def with_offset_table(outer_tag: int, table_tag: int, fields: list[bytes]) -> bytes:
    """`outer { table, fields… }`, the table holding each field's 2-byte offset from the file start
    (to the field's tag). Offsets depend on the outer header's length, which depends on the total:
    size it with a table of the right length first."""
    table_len = len(emit(table_tag, bytes(2 * len(fields))))
    content_len = table_len + sum(len(f) for f in fields)
    header_len = len(emit(outer_tag, bytes(content_len))) - content_len
    offsets, pos = b"", header_len + table_len
    for field in fields:
        offsets += pos.to_bytes(2, "big")
        pos += len(field)
    return emit(outer_tag, emit(table_tag, offsets) + b"".join(fields))


# -- 券面事項入力補助 AP (kenhojo) -----------------------------------------------------------------


def kenhojo_my_number(my_number: str) -> bytes:
    """EF 0001: `FF 10 0C` + 12 ASCII digits + `FF FF` filler (17 bytes, all hashed by DF31)."""
    if len(my_number) != 12 or not my_number.isascii() or not my_number.isdigit():
        raise ValueError("a My Number has 12 digits")
    return emit(0xFF10, my_number.encode("ascii")) + b"\xff\xff"


def kenhojo_attributes(name: str, address: str, birth_date: str, sex: str) -> bytes:
    """EF 0002: `FF 20 { DF21 offsets, DF22 氏名, DF23 住所, DF24 YYYYMMDD, DF25 性別 }`."""
    return with_offset_table(
        0xFF20,
        0xDF21,
        [
            emit(0xDF22, name.encode("utf-8")),
            emit(0xDF23, address.encode("utf-8")),
            emit(0xDF24, birth_date.encode("ascii")),
            emit(0xDF25, sex.encode("ascii")),
        ],
    )


def kenhojo_attributes_digest_input(ef0002: bytes) -> bytes:
    """What DF32 hashes: the FF20 value with the DF21 offset table skipped (SOLTIA)."""
    fields = list(iterate(expect(ef0002, 0xFF20).value))
    if not fields or fields[0].tag != 0xDF21:
        raise ValueError("EF 0002 does not start with its offset table")
    return b"".join(f.encoded for f in fields[1:])


def kenhojo_integrity(ef0001: bytes, ef0002: bytes, key: rsa.RSAPrivateKey) -> bytes:
    """EF 0003: `FF 30 { DF31 SHA-256(0001 physical), DF32 SHA-256(0002 after DF21), DF33 sig }`.

    Our DF33: PKCS#1 v1.5 SHA-256 by the AP key over the DF31 TLV ‖ DF32 TLV.
    """
    signed = emit(0xDF31, hashlib.sha256(ef0001).digest()) + emit(
        0xDF32, hashlib.sha256(kenhojo_attributes_digest_input(ef0002)).digest()
    )
    return emit(0xFF30, signed + emit(0xDF33, sign(key, signed)))


def kenhojo_basic_info(subject_key_id: bytes, ap_public_key: rsa.RSAPublicKey) -> bytes:
    """EF 0005: `FF 40 { DF41 04, DF42 key id, DF43 128 bytes }`.

    DF43's meaning is unknown on real cards (32 bytes then 96 × FF); we put SHA-256 of the AP's
    public key there, so the shape matches and the content is checkable.
    """
    _check_key_id(subject_key_id)
    digest = hashlib.sha256(rsa_public_key_do(ap_public_key)).digest()
    return emit(
        0xFF40,
        emit(0xDF41, AP_ID_KENHOJO) + emit(0xDF42, subject_key_id) + emit(0xDF43, digest + b"\xff" * 96),
    )


# -- CV certificate (EF 0004 of both APs) -----------------------------------------------------------


def _check_key_id(key_id: bytes) -> None:
    if len(key_id) != KEY_ID_LENGTH:
        raise ValueError(f"a key id has {KEY_ID_LENGTH} bytes, got {len(key_id)}")


def cv_certificate(
    issuer_key_id: bytes, subject_key_id: bytes, subject_key: rsa.RSAPublicKey, issuer_key: rsa.RSAPrivateKey
) -> bytes:
    """`7F 21 { 5F 4E body, 5F 37 sig }`, body = issuer id ‖ subject id ‖ `90` e ‖ `91` n (297 bytes);
    sig = PKCS#1 v1.5 SHA-256 by the card issuer key over the body bytes (5F4E value)."""
    _check_key_id(issuer_key_id)
    _check_key_id(subject_key_id)
    body = issuer_key_id + subject_key_id + rsa_public_key_do(subject_key)
    return emit(0x7F21, emit(0x5F4E, body) + emit(0x5F37, sign(issuer_key, body)))


# -- 券面事項確認 AP (kenkaku) -----------------------------------------------------------------------


def kenkaku_age_record(birth_date: str, key: rsa.RSAPrivateKey) -> bytes:
    """EF 0001: `FF 10 { DF11 YYYYMMDD, DF12 public key, DF13 sig over DF11‖DF12 TLVs }`."""
    signed = emit(0xDF11, birth_date.encode("ascii")) + emit(0xDF12, rsa_public_key_do(key.public_key()))
    return emit(0xFF10, signed + emit(0xDF13, sign(key, signed)))


def card_face_signed_message(df22_24: bytes, df25_26: bytes, df27: bytes) -> bytes:
    """Our DF28 message: SHA-256 of the three groups of complete TLVs, concatenated (96 bytes)."""
    return b"".join(hashlib.sha256(group).digest() for group in (df22_24, df25_26, df27))


def kenkaku_card_face(
    *,
    birth_date: str,
    sex: str,
    name_png: bytes,
    address_png: bytes,
    photo_jp2: bytes,
    expiry: str,
    security_code_png: bytes,
    key: rsa.RSAPrivateKey,
) -> bytes:
    """EF 0002: `FF 20 { DF21 offsets, DF22 birth, DF23 sex, DF24 key, DF25 name PNG, DF26 address
    PNG, DF27 photo JP2, DF28 sig, DF29 expiry, DF2A security-code PNG }`.

    DF28 = PKCS#1 v1.5 SHA-256 by the AP key over `card_face_signed_message(...)`; DF29 and DF2A
    come after the signature and are not covered (as on the real card).
    """
    group1 = (
        emit(0xDF22, birth_date.encode("ascii"))
        + emit(0xDF23, sex.encode("ascii"))
        + emit(0xDF24, rsa_public_key_do(key.public_key()))
    )
    group2 = emit(0xDF25, name_png) + emit(0xDF26, address_png)
    group3 = emit(0xDF27, photo_jp2)
    signature = sign(key, card_face_signed_message(group1, group2, group3))
    fields = [
        *(t.encoded for t in iterate(group1 + group2 + group3)),
        emit(0xDF28, signature),
        emit(0xDF29, expiry.encode("ascii")),
        emit(0xDF2A, security_code_png),
    ]
    return with_offset_table(0xFF20, 0xDF21, fields)


def kenkaku_basic_info(municipality: str, key_id_df32: bytes, key_id_df35: bytes, opaque: bytes) -> bytes:
    """EF 0003: `FF 30 { DF31 04, DF32 key id, DF33 version, DF34 municipality, DF35 id ‖ 256 }`.

    DF35's 256 bytes are opaque on real cards (SOLTIA); we store what the caller gives.
    """
    if len(municipality) != 5 or not municipality.isdigit():
        raise ValueError("municipality code has 5 digits")
    _check_key_id(key_id_df32)
    _check_key_id(key_id_df35)
    if len(opaque) != 256:
        raise ValueError("DF35 carries 256 opaque bytes after its key id")
    return emit(
        0xFF30,
        emit(0xDF31, AP_ID_KENKAKU)
        + emit(0xDF32, key_id_df32)
        + emit(0xDF33, b"\x01")
        + emit(0xDF34, municipality.encode("ascii"))
        + emit(0xDF35, key_id_df35 + opaque),
    )


def kenkaku_my_number_image(my_number_png: bytes, key: rsa.RSAPrivateKey) -> bytes:
    """EF 0005: `FF 40 { DF41 PNG, DF42 public key, DF43 sig over DF41‖DF42 TLVs }`."""
    signed = emit(0xDF41, my_number_png) + emit(0xDF42, rsa_public_key_do(key.public_key()))
    return emit(0xFF40, signed + emit(0xDF43, sign(key, signed)))
