"""Encoding and strict decoding: every body type round-trips; malformed input is a CmpError."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random

import pytest
from cryptography import x509
from lcmp_pki import CmpTestPki
from pyasn1.codec.ber import encoder as ber_encoder
from pyasn1.codec.der import decoder as der_decoder
from pyasn1.codec.der import encoder as der_encoder
from pyasn1.type import univ
from pyasn1_alt_modules import rfc9810

from lcmp import (
    ACCEPTED,
    CertConf,
    CmpError,
    Cp,
    ErrorMsg,
    FailureInfo,
    Genm,
    Genp,
    Header,
    InfoTypeAndValue,
    Message,
    P10cr,
    PkiConf,
    PKIStatus,
    PollRep,
    PollReq,
    Rp,
    Rr,
    SignatureProtection,
    StatusInfo,
    asn1,
    cert_hash,
    decode,
    encode,
    new_header,
    reply_header,
)

NOW = dt.datetime(2026, 11, 22, 9, 30, 15, tzinfo=dt.UTC)
APP_OID = "2.25.329800735698586629295641978511506172918"  # an application item under the UUID arc


def _request_header(pki: CmpTestPki, **kwargs: object) -> Header:
    return new_header(pki.kiosk.subject, pki.root.subject, now=NOW, **kwargs)  # type: ignore[arg-type]


def _bodies(pki: CmpTestPki) -> list[object]:
    rejected = StatusInfo(
        PKIStatus.rejection,
        ("no such resident", "再申請してください"),
        FailureInfo.badRequest | FailureInfo.badPOP,
    )
    return [
        P10cr(pki.csr),
        Cp(ACCEPTED, pki.issued, ca_pubs=(pki.root,)),
        Cp(StatusInfo(PKIStatus.waiting)),
        Cp(rejected, cert_req_id=0),
        CertConf.for_certificate(pki.issued),
        CertConf(cert_hash(pki.issued), -1, StatusInfo(PKIStatus.rejection, ("card write failed",))),
        PkiConf(),
        PollReq(),
        PollRep(-1, 30, ("CA busy",)),
        Rr(pki.root.subject, pki.issued.serial_number, x509.ReasonFlags.key_compromise),
        Rr(pki.root.subject, 12345),
        Rp(ACCEPTED),
        Rp(rejected),
        ErrorMsg(rejected, 42, ("details",)),
        ErrorMsg(StatusInfo(PKIStatus.rejection, failure_info=FailureInfo.duplicateCertReq)),
        Genm((InfoTypeAndValue.utf8(APP_OID, "eyJhbGciOi..."), InfoTypeAndValue("1.3.6.1.5.5.7.4.2"))),
        Genp((InfoTypeAndValue.utf8(APP_OID, "answer"),)),
        Genm(),
    ]


@pytest.mark.parametrize("index", range(18))
def test_every_body_round_trips_protected_and_not(cmp_pki: CmpTestPki, index: int) -> None:
    body = _bodies(cmp_pki)[index]
    header = dataclasses.replace(
        _request_header(cmp_pki, implicit_confirm=True),
        recip_nonce=b"\x01" * 16,
        confirm_wait_time=NOW + dt.timedelta(hours=8),
        free_text=("kiosk 0001",),
        general_info=(InfoTypeAndValue.utf8(APP_OID, "申請 0001"), InfoTypeAndValue("2.25.1")),
    )
    message = Message(header, body, extra_certs=(cmp_pki.root,))  # type: ignore[arg-type]
    unprotected = decode(encode(message))
    assert unprotected == message
    assert unprotected.protection is None

    protector = SignatureProtection(cmp_pki.kiosk_key, cmp_pki.kiosk)
    der = encode(message, protector)
    decoded = decode(der)
    # encode fills senderKID from the protection certificate and puts that certificate first
    assert decoded == dataclasses.replace(
        message,
        header=dataclasses.replace(header, sender_kid=protector.sender_kid),
        extra_certs=(cmp_pki.kiosk, cmp_pki.root),
    )
    assert decoded.protection is not None
    assert decoded.protection.algorithm.oid == "1.2.840.113549.1.1.11"


def test_header_fields_survive(cmp_pki: CmpTestPki) -> None:
    request = _request_header(cmp_pki, implicit_confirm=True)
    reply = reply_header(request, cmp_pki.srv.subject, implicit_confirm=True, now=NOW)
    decoded = decode(encode(Message(reply, Cp(ACCEPTED, cmp_pki.issued)))).header
    assert decoded.transaction_id == request.transaction_id
    assert decoded.recip_nonce == request.sender_nonce
    assert decoded.sender_nonce != request.sender_nonce
    assert decoded.recipient == cmp_pki.kiosk.subject
    assert decoded.sender == cmp_pki.srv.subject
    assert decoded.implicit_confirm
    assert decoded.message_time == NOW
    assert decoded.pvno == 2


def test_message_time_is_whole_seconds_utc(cmp_pki: CmpTestPki) -> None:
    jst = dt.timezone(dt.timedelta(hours=9))
    header = new_header(
        cmp_pki.kiosk.subject, cmp_pki.root.subject, now=dt.datetime(2026, 1, 1, 9, 0, 0, 999, jst)
    )
    assert header.message_time == dt.datetime(2026, 1, 1, 0, 0, 0, tzinfo=dt.UTC)
    with pytest.raises(ValueError, match="aware"):
        new_header(cmp_pki.kiosk.subject, cmp_pki.root.subject, now=dt.datetime(2026, 1, 1))


def test_general_info_items(cmp_pki: CmpTestPki) -> None:
    item = InfoTypeAndValue.utf8(APP_OID, "compact.jwe.value")
    header = dataclasses.replace(_request_header(cmp_pki, implicit_confirm=True), general_info=(item,))
    decoded = decode(encode(Message(header, PkiConf()))).header
    assert decoded.implicit_confirm
    assert decoded.general_info == (item,)
    assert decoded.general_info[0].utf8_value() == "compact.jwe.value"
    with pytest.raises(CmpError):
        InfoTypeAndValue(APP_OID, encode_null()).utf8_value()
    with pytest.raises(ValueError, match="own fields"):
        dataclasses.replace(header, general_info=(InfoTypeAndValue("1.3.6.1.5.5.7.4.13"),))


def encode_null() -> bytes:
    return bytes(der_encoder.encode(univ.Null("")))


def test_name_string_types_are_preserved(cmp_pki: CmpTestPki) -> None:
    # countryName is a PrintableString, the rest UTF8String: an echoed name must stay the same DER
    header = decode(encode(Message(_request_header(cmp_pki), PkiConf()))).header
    assert header.sender.public_bytes() == cmp_pki.kiosk.subject.public_bytes()


# --- malformed input ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def good_der(cmp_pki: CmpTestPki) -> bytes:
    return encode(
        Message(_request_header(cmp_pki), P10cr(cmp_pki.csr)),
        SignatureProtection(cmp_pki.kiosk_key, cmp_pki.kiosk),
    )


def _failure(der: bytes) -> FailureInfo:
    with pytest.raises(CmpError) as info:
        decode(der)
    return info.value.failure_info


@pytest.mark.parametrize("cut", [1, 10, 100, 1000])
def test_truncated_der(good_der: bytes, cut: int) -> None:
    assert _failure(good_der[:-cut]) == FailureInfo.badDataFormat


@pytest.mark.parametrize("junk", [b"", b"\x00", b"hello", b"\x30\x80\x00\x00", b"\x30\x84\xff\xff\xff\xff"])
def test_garbage(junk: bytes) -> None:
    assert _failure(junk) == FailureInfo.badDataFormat


def test_trailing_bytes(good_der: bytes) -> None:
    assert _failure(good_der + b"\x00") == FailureInfo.badDataFormat


def test_other_structure(cmp_pki: CmpTestPki) -> None:
    from cryptography.hazmat.primitives.serialization import Encoding

    assert _failure(cmp_pki.issued.public_bytes(Encoding.DER)) == FailureInfo.badDataFormat


def test_ber_is_not_der(good_der: bytes) -> None:
    message = der_decoder.decode(good_der, asn1Spec=rfc9810.PKIMessage())[0]
    ber = ber_encoder.encode(message, defMode=False)  # indefinite lengths: valid BER, not DER
    assert ber != good_der
    assert _failure(ber) == FailureInfo.badDataFormat


def _edit(der: bytes, change: object) -> bytes:
    message = der_decoder.decode(der, asn1Spec=rfc9810.PKIMessage())[0]
    change(message)  # type: ignore[operator]
    return bytes(der_encoder.encode(message))


def test_unknown_body_tag(good_der: bytes) -> None:
    message = der_decoder.decode(good_der, asn1Spec=rfc9810.PKIMessage())[0]
    body = bytes(der_encoder.encode(message["body"]))
    assert body[0] == 0xA4  # [4] p10cr
    at = good_der.index(body)
    # [27] does not exist in RFC 9810's PKIBody
    mangled = good_der[:at] + bytes([0xBB]) + good_der[at + 1 :]
    assert _failure(mangled) == FailureInfo.badDataFormat


def test_known_but_unsupported_body(cmp_pki: CmpTestPki, good_der: bytes) -> None:
    def to_cann(message: rfc9810.PKIMessage) -> None:  # a CA certificate announcement
        asn1.cert_to_asn1(cmp_pki.root, message["body"]["cann"])

    with pytest.raises(CmpError, match="unsupported PKIBody type cann") as info:
        decode(_edit(good_der, to_cann))
    assert info.value.failure_info == FailureInfo.badRequest


def test_pvno_3_is_unsupported(cmp_pki: CmpTestPki) -> None:
    header = dataclasses.replace(_request_header(cmp_pki), pvno=3)
    assert _failure(encode(Message(header, PkiConf()))) == FailureInfo.unsupportedVersion


@pytest.mark.parametrize(
    ("field", "value", "failure"),
    [
        ("transactionID", b"short", FailureInfo.badRequest),
        ("senderNonce", b"\x00" * 8, FailureInfo.badSenderNonce),
        ("recipNonce", b"\x00" * 17, FailureInfo.badRecipientNonce),
    ],
)
def test_header_id_lengths(good_der: bytes, field: str, value: bytes, failure: FailureInfo) -> None:
    def change(message: rfc9810.PKIMessage) -> None:
        message["header"][field] = value

    assert _failure(_edit(good_der, change)) == failure


def test_sender_must_be_a_directory_name(good_der: bytes) -> None:
    def change(message: rfc9810.PKIMessage) -> None:
        message["header"]["sender"]["dNSName"] = "kiosk.example"

    assert _failure(_edit(good_der, change)) == FailureInfo.badDataFormat


def test_cp_with_two_responses_is_refused(cmp_pki: CmpTestPki) -> None:
    der = encode(Message(_request_header(cmp_pki), Cp(ACCEPTED, cmp_pki.issued)))

    def change(message: rfc9810.PKIMessage) -> None:
        responses = message["body"]["cp"]["response"]
        responses.append(responses[0])

    with pytest.raises(CmpError, match="exactly one") as info:
        decode(_edit(der, change))
    assert info.value.failure_info == FailureInfo.badRequest


def test_granted_cp_without_certificate_is_refused(cmp_pki: CmpTestPki) -> None:
    der = encode(Message(_request_header(cmp_pki), Cp(StatusInfo(PKIStatus.waiting))))

    def change(message: rfc9810.PKIMessage) -> None:
        message["body"]["cp"]["response"][0]["status"]["status"] = 0

    assert _failure(_edit(der, change)) == FailureInfo.badRequest


def test_protection_without_algorithm(good_der: bytes) -> None:
    def change(message: rfc9810.PKIMessage) -> None:
        header = rfc9810.PKIHeader()
        for name in message["header"]:
            if name != "protectionAlg" and message["header"][name].isValue:
                header[name] = message["header"][name]
        message["header"] = header

    assert _failure(_edit(good_der, change)) == FailureInfo.badAlg


def test_building_invalid_values_fails_early(cmp_pki: CmpTestPki) -> None:
    with pytest.raises(ValueError, match="transactionID"):
        dataclasses.replace(_request_header(cmp_pki), transaction_id=b"x")
    with pytest.raises(ValueError, match="carries the certificate"):
        Cp(ACCEPTED)
    with pytest.raises(ValueError, match="no certificate"):
        Cp(StatusInfo(PKIStatus.rejection), cmp_pki.issued)
    with pytest.raises(ValueError, match="checkAfter"):
        PollRep(-1, -5)


def test_mutations_never_crash(good_der: bytes) -> None:
    """Random byte flips, insertions and cuts: decode() answers CmpError or a Message, nothing else."""
    rng = random.Random(9483)  # fixed: a failure is reproducible
    outcomes = {"error": 0, "decoded": 0}
    for _ in range(1500):
        data = bytearray(good_der)
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(len(data))
            action = rng.random()
            if action < 0.6:
                data[at] = rng.randrange(256)
            elif action < 0.8:
                data.insert(at, rng.randrange(256))
            else:
                del data[at : at + rng.randint(1, 64)]
        try:
            decode(bytes(data))
        except CmpError:
            outcomes["error"] += 1
        except Exception as exc:  # the input goes into the report: good_der differs per session
            pytest.fail(f"{type(exc).__name__}: {exc} on input {bytes(data).hex()}")
        else:
            outcomes["decoded"] += 1  # e.g. a flipped bit inside a signature or a name
    assert outcomes["error"] > 1000


@pytest.mark.parametrize(
    "der",
    [
        # the header's length: 2^63 - 1, beyond any index (pyasn1 raised OverflowError)
        bytes.fromhex(
            "304c30887fffffffffffffff020102a4023000a4023000a011180f32303236303130313030303030305a"
            "a412041074747474747474747474747474747474a51204106e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6eb3020500"
        ),
        bytes.fromhex("30 84 7f ff ff ff 02 01 00"),  # a length far beyond the data
        bytes.fromhex("30 82 00 03 02 01 00"),  # long form where short form is due: BER, not DER
    ],
)
def test_hostile_lengths_are_bad_data(der: bytes) -> None:
    """Found by the mutation test on a CI run: a huge long-form length made pyasn1 raise
    OverflowError out of decode()."""
    with pytest.raises(CmpError) as refused:
        decode(der)
    assert refused.value.failure_info & FailureInfo.badDataFormat
