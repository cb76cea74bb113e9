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
from cardemu.tlv import children, iter_tlvs, tlv

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
    return tlv(b"\x90", exponent) + tlv(b"\x91", modulus)


def with_offset_table(outer_tag: bytes, table_tag: bytes, fields: list[bytes]) -> bytes:
    """`outer { table, fields… }`, the table holding each field's 2-byte offset from the file start
    (to the field's tag). Offsets depend on the outer header's length, which depends on the total:
    size it with a table of the right length first."""
    table_len = len(tlv(table_tag, bytes(2 * len(fields))))
    content_len = table_len + sum(len(f) for f in fields)
    header_len = len(tlv(outer_tag, bytes(content_len))) - content_len
    offsets, pos = b"", header_len + table_len
    for field in fields:
        offsets += pos.to_bytes(2, "big")
        pos += len(field)
    return tlv(outer_tag, tlv(table_tag, offsets) + b"".join(fields))


# -- 券面事項入力補助 AP (kenhojo) -----------------------------------------------------------------


def kenhojo_my_number(my_number: str) -> bytes:
    """EF 0001: `FF 10 0C` + 12 ASCII digits + `FF FF` filler (17 bytes, all hashed by DF31)."""
    if len(my_number) != 12 or not my_number.isascii() or not my_number.isdigit():
        raise ValueError("a My Number has 12 digits")
    return tlv(b"\xff\x10", my_number.encode("ascii")) + b"\xff\xff"


def kenhojo_attributes(name: str, address: str, birth_date: str, sex: str) -> bytes:
    """EF 0002: `FF 20 { DF21 offsets, DF22 氏名, DF23 住所, DF24 YYYYMMDD, DF25 性別 }`."""
    return with_offset_table(
        b"\xff\x20",
        b"\xdf\x21",
        [
            tlv(b"\xdf\x22", name.encode("utf-8")),
            tlv(b"\xdf\x23", address.encode("utf-8")),
            tlv(b"\xdf\x24", birth_date.encode("ascii")),
            tlv(b"\xdf\x25", sex.encode("ascii")),
        ],
    )


def kenhojo_attributes_digest_input(ef0002: bytes) -> bytes:
    """What DF32 hashes: the FF20 value with the DF21 offset table skipped (SOLTIA)."""
    _outer, fields = children(ef0002, b"\xff\x20")
    if not fields or fields[0].tag != b"\xdf\x21":
        raise ValueError("EF 0002 does not start with its offset table")
    return b"".join(f.encoded for f in fields[1:])


def kenhojo_integrity(ef0001: bytes, ef0002: bytes, key: rsa.RSAPrivateKey) -> bytes:
    """EF 0003: `FF 30 { DF31 SHA-256(0001 physical), DF32 SHA-256(0002 after DF21), DF33 sig }`.

    Our DF33: PKCS#1 v1.5 SHA-256 by the AP key over the DF31 TLV ‖ DF32 TLV.
    """
    signed = tlv(b"\xdf\x31", hashlib.sha256(ef0001).digest()) + tlv(
        b"\xdf\x32", hashlib.sha256(kenhojo_attributes_digest_input(ef0002)).digest()
    )
    return tlv(b"\xff\x30", signed + tlv(b"\xdf\x33", sign(key, signed)))


def kenhojo_basic_info(subject_key_id: bytes, ap_public_key: rsa.RSAPublicKey) -> bytes:
    """EF 0005: `FF 40 { DF41 04, DF42 key id, DF43 128 bytes }`.

    DF43's meaning is unknown on real cards (32 bytes then 96 × FF); we put SHA-256 of the AP's
    public key there, so the shape matches and the content is checkable.
    """
    _check_key_id(subject_key_id)
    digest = hashlib.sha256(rsa_public_key_do(ap_public_key)).digest()
    return tlv(
        b"\xff\x40",
        tlv(b"\xdf\x41", AP_ID_KENHOJO)
        + tlv(b"\xdf\x42", subject_key_id)
        + tlv(b"\xdf\x43", digest + b"\xff" * 96),
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
    return tlv(b"\x7f\x21", tlv(b"\x5f\x4e", body) + tlv(b"\x5f\x37", sign(issuer_key, body)))


# -- 券面事項確認 AP (kenkaku) -----------------------------------------------------------------------


def kenkaku_age_record(birth_date: str, key: rsa.RSAPrivateKey) -> bytes:
    """EF 0001: `FF 10 { DF11 YYYYMMDD, DF12 public key, DF13 sig over DF11‖DF12 TLVs }`."""
    signed = tlv(b"\xdf\x11", birth_date.encode("ascii")) + tlv(
        b"\xdf\x12", rsa_public_key_do(key.public_key())
    )
    return tlv(b"\xff\x10", signed + tlv(b"\xdf\x13", sign(key, signed)))


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
        tlv(b"\xdf\x22", birth_date.encode("ascii"))
        + tlv(b"\xdf\x23", sex.encode("ascii"))
        + tlv(b"\xdf\x24", rsa_public_key_do(key.public_key()))
    )
    group2 = tlv(b"\xdf\x25", name_png) + tlv(b"\xdf\x26", address_png)
    group3 = tlv(b"\xdf\x27", photo_jp2)
    signature = sign(key, card_face_signed_message(group1, group2, group3))
    fields = [
        *(t.encoded for t in iter_tlvs(group1 + group2 + group3)),
        tlv(b"\xdf\x28", signature),
        tlv(b"\xdf\x29", expiry.encode("ascii")),
        tlv(b"\xdf\x2a", security_code_png),
    ]
    return with_offset_table(b"\xff\x20", b"\xdf\x21", fields)


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
    return tlv(
        b"\xff\x30",
        tlv(b"\xdf\x31", AP_ID_KENKAKU)
        + tlv(b"\xdf\x32", key_id_df32)
        + tlv(b"\xdf\x33", b"\x01")
        + tlv(b"\xdf\x34", municipality.encode("ascii"))
        + tlv(b"\xdf\x35", key_id_df35 + opaque),
    )


def kenkaku_my_number_image(my_number_png: bytes, key: rsa.RSAPrivateKey) -> bytes:
    """EF 0005: `FF 40 { DF41 PNG, DF42 public key, DF43 sig over DF41‖DF42 TLVs }`."""
    signed = tlv(b"\xdf\x41", my_number_png) + tlv(b"\xdf\x42", rsa_public_key_do(key.public_key()))
    return tlv(b"\xff\x40", signed + tlv(b"\xdf\x43", sign(key, signed)))
