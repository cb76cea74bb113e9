"""APDU helpers for the engine tests (a terminal's side of the conversation)."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from asn1crypto import core
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from cardadmin import AdminOperation, compute_response, derive_card_key
from cardemu.card import SoftCard
from cardemu.jpki import JPKI_AID
from cardemu.state import Holder
from kiosk.reader.connection import CardConnection

MASTER_KEY = bytes(range(32))  # the central's K_master, test only
CARD_ID = bytes.fromhex("0123456789ABCDEF0011223344556677")
AUTH_PIN, SIGN_PIN = "1234", "ABC123"
KENHOJO_PIN, JUKI_PIN = "2468", "1357"
MY_NUMBER = "123456789018"  # = 照合番号A
PIN_B = "55021720352285"  # 照合番号B: 昭和55-02-17, expiry 2035, security code 2285 (CARD.md §5)
BIRTH_KEY = "550217"  # kenkaku 生年月日 key, Japanese-era YYMMDD
CODE_TRIES = 10

HOLDER = Holder(
    name="試験\u3000花子",
    name_kana="シケン\u3000ハナコ",
    address="東京都千代田区霞が関二丁目１番２号",
    birth_date="19800217",
    sex="2",
    my_number=MY_NUMBER,
)


def pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")


def _name(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "JPKI-TEST"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "JPKI for user authentication"),
            x509.NameAttribute(
                NameOID.ORGANIZATIONAL_UNIT_NAME, "Japan Agency for Local Authority Information Systems"
            ),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def make_cert(
    subject: str,
    public: rsa.RSAPublicKey,
    ca_key: rsa.RSAPrivateKey,
    *,
    ca: bool = False,
    holder: bool = False,
) -> bytes:
    """A CA-signed (or self-signed) certificate shaped like the J-LIS profile, so sizes are realistic."""
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    usage = dict.fromkeys(
        ("content_commitment", "key_encipherment", "data_encipherment", "key_agreement", "encipher_only"),
        False,
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name("JPKI-TEST CA"))
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=not ca, key_cert_sign=ca, crl_sign=ca, decipher_only=False, **usage
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
    )
    if not ca:
        policy = x509.PolicyInformation(
            x509.ObjectIdentifier("1.2.392.200149.8.5.1.3.30"), ["http://www.jpki.test/cps.html"]
        )
        crl = x509.DistributionPoint(
            [x509.UniformResourceIdentifier("http://crl.jpki.test/a.crl")], None, None, None
        )
        aia = [
            x509.AccessDescription(
                x509.oid.AuthorityInformationAccessOID.OCSP,
                x509.UniformResourceIdentifier("http://ocsp.jpki.test/"),
            ),
            x509.AccessDescription(
                x509.oid.AuthorityInformationAccessOID.CA_ISSUERS,
                x509.UniformResourceIdentifier("http://www.jpki.test/ca/jpki-test-ca.der"),
            ),
        ]
        builder = (
            builder.add_extension(x509.CertificatePolicies([policy]), critical=True)
            .add_extension(x509.CRLDistributionPoints([crl]), critical=False)
            .add_extension(x509.AuthorityInformationAccess(aia), critical=False)
        )
    if holder:  # 基本4情報 in subjectAltName otherNames, as on the 署名用 certificate (CARD.md §3.2)
        values = {
            "1": HOLDER.name,
            "2": "",
            "3": HOLDER.sex,
            "4": HOLDER.birth_date,
            "5": HOLDER.address,
            "6": "",
        }
        names = [
            x509.OtherName(x509.ObjectIdentifier(f"1.2.392.200149.8.5.5.{arc}"), core.UTF8String(v).dump())
            for arc, v in values.items()
        ]
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


Card = SoftCard | CardConnection  # tests talk to the engine directly or through a connection


class Response(NamedTuple):
    data: bytes
    sw: int


def h(text: str) -> bytes:
    return bytes.fromhex(text.replace(" ", ""))


def apdu(
    cla: int, ins: int, p1: int, p2: int, data: bytes = b"", le: int | None = None, *, ext: bool = False
) -> bytes:
    """Encode one C-APDU; `le` 256 (short) / 65536 (extended) are encoded as zeros."""
    out = bytes([cla, ins, p1, p2])
    if ext:
        out += (b"\x00" + len(data).to_bytes(2, "big") + data) if data else b""
        if le is not None:
            out += (b"" if data else b"\x00") + (le % 65536).to_bytes(2, "big")
    else:
        out += (bytes([len(data)]) + data) if data else b""
        if le is not None:
            out += bytes([le % 256])
    return out


def send(card: Card, command: bytes | str) -> Response:
    raw_command = h(command) if isinstance(command, str) else command
    raw = card.process(raw_command) if isinstance(card, SoftCard) else card.transmit(raw_command)
    assert len(raw) >= 2
    return Response(raw[:-2], int.from_bytes(raw[-2:], "big"))


def ok(card: Card, command: bytes | str) -> bytes:
    r = send(card, command)
    assert r.sw == 0x9000, f"SW {r.sw:04X}"
    return r.data


def select_ap(card: Card, aid: bytes) -> None:
    ok(card, apdu(0x00, 0xA4, 0x04, 0x0C, aid))


def select_ef(card: Card, fid: int) -> None:
    ok(card, apdu(0x00, 0xA4, 0x02, 0x0C, fid.to_bytes(2, "big")))


def verify(card: Card, fid: int, pin: str) -> int:
    return send(card, apdu(0x00, 0x20, 0x00, 0x80 | fid, pin.encode())).sw


def read_opensc(card: Card, fid: int) -> bytes:
    """OpenSC jpki: SELECT, 4-byte probe for the DER length, then 256-byte short reads."""
    select_ef(card, fid)
    head = ok(card, "00 B0 00 00 04")
    size = int.from_bytes(head[2:4], "big") + 4
    out = b""
    while len(out) < size:
        chunk = min(256, size - len(out))
        out += ok(card, apdu(0x00, 0xB0, len(out) >> 8, len(out) & 0xFF, le=chunk))
    return out


def read_chunks(card: Card, fid: int) -> bytes:
    """SOLTIA style: Le 00 (256) reads by 15-bit offset until the card says 6B00."""
    select_ef(card, fid)
    out = b""
    while True:
        r = send(card, apdu(0x00, 0xB0, len(out) >> 8, len(out) & 0xFF, le=256))
        if r.sw == 0x6B00:
            return out
        assert r.sw == 0x9000, f"SW {r.sw:04X}"
        out += r.data


def read_sfi_extended(card: Card, fid: int) -> bytes:
    """AOKI: `00 B0 8<sfi> 00 00 00 00` — no SELECT, one extended read."""
    return ok(card, apdu(0x00, 0xB0, 0x80 | fid, 0x00, le=65536, ext=True))


def read_extended(card: Card, fid: int) -> bytes:
    """NFCPY: SELECT, then `00 B0 00 00 00 00 00`."""
    select_ef(card, fid)
    return ok(card, "00 B0 00 00 00 00 00")


def authorise(card: Card, operation: AdminOperation, *, select: bool = True) -> None:
    """BEGIN ADMIN → the central's response → ADMIN AUTHENTICATE.

    The grant is spent by the very next command, so an EF the command acts on must be selected
    before this (`select=False` keeps the current selection) or named by SFI.
    """
    if select:
        select_ap(card, JPKI_AID)
    begun = ok(card, apdu(0x80, 0xA8, 0x00, 0x00, operation.encode(), le=256))
    real_id, challenge = begun[:16], begun[16:]
    response = compute_response(derive_card_key(MASTER_KEY, real_id), real_id, challenge, operation)
    ok(card, apdu(0x80, 0xAA, 0x00, 0x00, response))
