"""DER encoding and strict decoding of `lcmp.messages` with the RFC 9810 schemas.

`encode(message, protector)` builds the PKIMessage, protects ProtectedPart{header, body} and
returns the DER. `decode(der)` accepts exactly one DER PKIMessage of a body type we use and
returns a `Message`; everything else raises `CmpError` with the failure bit a CMP error message
should carry (badDataFormat, unsupportedVersion, badRequest, ...). Protection is not checked
here (see `lcmp.protection`), but the bytes it covers are kept with the message.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyasn1.codec.der import decoder as der_decoder
from pyasn1.type import base, constraint, namedtype, tag, univ
from pyasn1_alt_modules import rfc5280, rfc6402, rfc9810

from lcmp import asn1
from lcmp.errors import CmpError, FailureInfo
from lcmp.messages import (
    CONFIRM_WAIT_TIME,
    ID_LENGTH,
    IMPLICIT_CONFIRM,
    PVNO,
    AlgorithmId,
    Body,
    CertConf,
    Cp,
    ErrorMsg,
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
    ReceivedProtection,
    Rp,
    Rr,
    StatusInfo,
)
from lcmp.protection import Protector

MAX = float("inf")

# CRLReason codes (RFC 5280 §5.3.1); 7 is unused.
_REASON_CODES: dict[x509.ReasonFlags, int] = {
    x509.ReasonFlags.unspecified: 0,
    x509.ReasonFlags.key_compromise: 1,
    x509.ReasonFlags.ca_compromise: 2,
    x509.ReasonFlags.affiliation_changed: 3,
    x509.ReasonFlags.superseded: 4,
    x509.ReasonFlags.cessation_of_operation: 5,
    x509.ReasonFlags.certificate_hold: 6,
    x509.ReasonFlags.remove_from_crl: 8,
    x509.ReasonFlags.privilege_withdrawn: 9,
    x509.ReasonFlags.aa_compromise: 10,
}
_REASONS = {code: flag for flag, code in _REASON_CODES.items()}


# --- the PKIMessage frame ---------------------------------------------------------------------------


class _RawPKIMessage(univ.Sequence):
    """PKIMessage with header, body and each extraCert kept as the exact bytes sent.

    The protection covers header and body as sent, so they are carried verbatim (pyasn1 `Any`)
    and decoded separately; certificates go straight to `cryptography`, whose parser is strict DER.
    """

    componentType = namedtype.NamedTypes(
        namedtype.NamedType("header", univ.Any()),
        namedtype.NamedType("body", univ.Any()),
        namedtype.OptionalNamedType(
            "protection",
            rfc9810.PKIProtection().subtype(explicitTag=tag.Tag(tag.tagClassContext, tag.tagFormatSimple, 0)),
        ),
        namedtype.OptionalNamedType(
            "extraCerts",
            univ.SequenceOf(componentType=univ.Any())
            .subtype(subtypeSpec=constraint.ValueSizeConstraint(1, MAX))
            .subtype(explicitTag=tag.Tag(tag.tagClassContext, tag.tagFormatConstructed, 1)),
        ),
    )


class _RawProtectedPart(univ.Sequence):
    """ProtectedPart ::= SEQUENCE { header PKIHeader, body PKIBody }, from their DER."""

    componentType = namedtype.NamedTypes(
        namedtype.NamedType("header", univ.Any()),
        namedtype.NamedType("body", univ.Any()),
    )


def _protected_part(header: bytes, body: bytes) -> bytes:
    part = _RawProtectedPart()
    part["header"] = univ.Any(header)
    part["body"] = univ.Any(body)
    return asn1.encode(part)


# --- encoding ---------------------------------------------------------------------------------------


def encode(message: Message, protector: Protector | None = None) -> bytes:
    """DER of `message`, protected by `protector` (None: unprotected, e.g. for tests)."""
    header = message.header
    extra_certs = message.extra_certs
    algorithm: AlgorithmId | None = None
    if protector is not None:
        kid = protector.sender_kid
        if header.sender_kid is None and kid is not None:
            header = dataclasses.replace(header, sender_kid=kid)
        algorithm = protector.algorithm()
        # the protection certificate must come first (RFC 9483 §3.3)
        extra_certs = protector.extra_certs + tuple(c for c in extra_certs if c not in protector.extra_certs)

    header_der = asn1.encode(_encode_header(rfc9810.PKIHeader(), header, algorithm))
    body_der = asn1.encode(_encode_body(rfc9810.PKIBody(), message.body))
    pki_message = _RawPKIMessage()
    pki_message["header"] = univ.Any(header_der)
    pki_message["body"] = univ.Any(body_der)
    if protector is not None and algorithm is not None:
        value = protector.compute(algorithm, _protected_part(header_der, body_der))
        pki_message["protection"] = pki_message["protection"].clone(hexValue=value.hex())
    for cert in extra_certs:
        pki_message["extraCerts"].append(univ.Any(cert.public_bytes(serialization.Encoding.DER)))
    return asn1.encode(pki_message)


def _encode_header(
    target: rfc9810.PKIHeader, header: Header, algorithm: AlgorithmId | None
) -> rfc9810.PKIHeader:
    target["pvno"] = header.pvno
    asn1.general_name_to_asn1(header.sender, target["sender"])
    asn1.general_name_to_asn1(header.recipient, target["recipient"])
    target["messageTime"] = asn1.generalized_time(header.message_time, target["messageTime"])
    if algorithm is not None:
        target["protectionAlg"]["algorithm"] = univ.ObjectIdentifier(algorithm.oid)
        if algorithm.parameters is not None:
            target["protectionAlg"]["parameters"] = univ.Any(algorithm.parameters)
    if header.sender_kid is not None:
        target["senderKID"] = header.sender_kid
    target["transactionID"] = header.transaction_id
    target["senderNonce"] = header.sender_nonce
    if header.recip_nonce is not None:
        target["recipNonce"] = header.recip_nonce
    for text in header.free_text:
        target["freeText"].append(text)
    items = []
    if header.implicit_confirm:
        items.append(InfoTypeAndValue(IMPLICIT_CONFIRM, asn1.encode(univ.Null(""))))
    if header.confirm_wait_time is not None:
        wait = asn1.generalized_time(header.confirm_wait_time, rfc9810.ConfirmWaitTimeValue())
        items.append(InfoTypeAndValue(CONFIRM_WAIT_TIME, asn1.encode(wait)))
    for item in (*items, *header.general_info):
        target["generalInfo"].append(_encode_info(target["generalInfo"].componentType.clone(), item))
    return target


def _encode_info(target: base.Asn1Item, item: InfoTypeAndValue) -> base.Asn1Item:
    target["infoType"] = univ.ObjectIdentifier(item.info_type)
    if item.value is not None:
        target["infoValue"] = univ.Any(item.value)
    return target


def _decode_info(source: base.Asn1Item) -> InfoTypeAndValue:
    return InfoTypeAndValue(str(source["infoType"]), _bytes(source["infoValue"]))


def _encode_status(target: base.Asn1Item, status: StatusInfo) -> None:
    target["status"] = int(status.status)
    for text in status.text:
        target["statusString"].append(text)
    if status.failure_info:
        bits = int(status.failure_info)
        # DER named bit list: no trailing zero bits (X.690 §11.2.2)
        target["failInfo"] = target["failInfo"].clone(
            binValue="".join("1" if bits >> i & 1 else "0" for i in range(bits.bit_length()))
        )


def _encode_body(target: rfc9810.PKIBody, body: Body) -> rfc9810.PKIBody:
    encoder = _BODY_ENCODERS.get(type(body))
    if encoder is None:
        raise TypeError(f"not a CMP body: {type(body).__name__}")
    encoder(target, body)
    return target


def _encode_p10cr(target: rfc9810.PKIBody, body: P10cr) -> None:
    csr = der_decoder.decode(
        body.csr.public_bytes(serialization.Encoding.DER), asn1Spec=rfc6402.CertificationRequest()
    )[0]
    asn1.copy_into(target["p10cr"], csr)


def _encode_cp(target: rfc9810.PKIBody, body: Cp) -> None:
    content = target["cp"]
    for cert in body.ca_pubs:
        content["caPubs"].append(asn1.cert_to_asn1(cert, rfc9810.CMPCertificate()))
    response = content["response"].componentType.clone()
    response["certReqId"] = body.cert_req_id
    _encode_status(response["status"], body.status)
    if body.certificate is not None:
        asn1.cert_to_asn1(body.certificate, response["certifiedKeyPair"]["certOrEncCert"]["certificate"])
    content["response"].append(response)


def _encode_cert_conf(target: rfc9810.PKIBody, body: CertConf) -> None:
    cert_status = target["certConf"].componentType.clone()
    cert_status["certHash"] = body.cert_hash
    cert_status["certReqId"] = body.cert_req_id
    if body.status is not None:
        _encode_status(cert_status["statusInfo"], body.status)
    target["certConf"].append(cert_status)


def _encode_pki_conf(target: rfc9810.PKIBody, _body: PkiConf) -> None:
    target["pkiconf"] = ""  # NULL


def _encode_poll_req(target: rfc9810.PKIBody, body: PollReq) -> None:
    request = target["pollReq"].componentType.clone()
    request["certReqId"] = body.cert_req_id
    target["pollReq"].append(request)


def _encode_poll_rep(target: rfc9810.PKIBody, body: PollRep) -> None:
    reply = target["pollRep"].componentType.clone()
    reply["certReqId"] = body.cert_req_id
    reply["checkAfter"] = body.check_after
    for text in body.reason:
        reply["reason"].append(text)
    target["pollRep"].append(reply)


def _encode_rr(target: rfc9810.PKIBody, body: Rr) -> None:
    details = target["rr"].componentType.clone()
    template = details["certDetails"]
    asn1.name_to_asn1(body.issuer, template["issuer"])
    template["serialNumber"] = body.serial
    if body.reason is not None:
        # RFC 9483 §4.2: the reason travels as a CRL entry extension, as it will appear in the CRL
        extension = details["crlEntryDetails"].componentType.clone()
        extension["extnID"] = rfc5280.id_ce_cRLReasons
        extension["extnValue"] = asn1.encode(rfc5280.CRLReason(_REASON_CODES[body.reason]))
        details["crlEntryDetails"].append(extension)
    target["rr"].append(details)


def _encode_rp(target: rfc9810.PKIBody, body: Rp) -> None:
    status = target["rp"]["status"].componentType.clone()
    _encode_status(status, body.status)
    target["rp"]["status"].append(status)


def _encode_genm(target: rfc9810.PKIBody, body: Genm) -> None:
    content = target["genm"]
    for item in body.items:
        content.append(_encode_info(content.componentType.clone(), item))


def _encode_genp(target: rfc9810.PKIBody, body: Genp) -> None:
    content = target["genp"]
    for item in body.items:
        content.append(_encode_info(content.componentType.clone(), item))


def _encode_error(target: rfc9810.PKIBody, body: ErrorMsg) -> None:
    content = target["error"]
    _encode_status(content["pKIStatusInfo"], body.status)
    if body.error_code is not None:
        content["errorCode"] = body.error_code
    for text in body.details:
        content["errorDetails"].append(text)


_BODY_ENCODERS: dict[type, Callable[[rfc9810.PKIBody, Any], None]] = {
    P10cr: _encode_p10cr,
    Cp: _encode_cp,
    CertConf: _encode_cert_conf,
    PkiConf: _encode_pki_conf,
    PollReq: _encode_poll_req,
    PollRep: _encode_poll_rep,
    Rr: _encode_rr,
    Rp: _encode_rp,
    Genm: _encode_genm,
    Genp: _encode_genp,
    ErrorMsg: _encode_error,
}


# --- decoding ---------------------------------------------------------------------------------------


def decode(der: bytes) -> Message:
    """Parse one DER PKIMessage strictly; raise CmpError for anything we cannot accept."""
    if not isinstance(der, bytes | bytearray | memoryview):
        raise TypeError("decode() takes the DER bytes")
    raw = asn1.decode(bytes(der), _RawPKIMessage(), "PKIMessage")
    header_der, body_der = bytes(raw["header"]), bytes(raw["body"])
    header, algorithm = _decode_header(asn1.decode(header_der, rfc9810.PKIHeader(), "PKIHeader"))
    body = _decode_body(asn1.decode(body_der, rfc9810.PKIBody(), "PKIBody"))
    extra_certs = tuple(
        _load_certificate(bytes(cert), f"extraCerts[{i}]")
        for i, cert in enumerate(raw["extraCerts"] if raw["extraCerts"].isValue else ())
    )
    protection = None
    if raw["protection"].isValue:
        if algorithm is None:
            raise CmpError(FailureInfo.badAlg, "protection present without protectionAlg")
        bits = raw["protection"]
        if len(bits) % 8:
            raise CmpError(FailureInfo.badDataFormat, "protection is not a whole number of bytes")
        protection = ReceivedProtection(algorithm, bits.asOctets(), _protected_part(header_der, body_der))
    elif algorithm is not None:
        raise CmpError(FailureInfo.badMessageCheck, "protectionAlg present but no protection")
    return Message(header, body, extra_certs, protection)


def _load_certificate(der: bytes, what: str) -> x509.Certificate:
    try:
        return x509.load_der_x509_certificate(der)
    except ValueError as exc:
        raise CmpError(FailureInfo.badDataFormat, f"{what}: not a DER certificate ({exc})") from exc


def _bytes(value: base.Asn1Item) -> bytes | None:
    return bytes(value) if value.isValue else None


def _texts(value: base.Asn1Item) -> tuple[str, ...]:
    return tuple(str(text) for text in value) if value.isValue else ()


def _decode_header(source: rfc9810.PKIHeader) -> tuple[Header, AlgorithmId | None]:
    pvno = int(source["pvno"])
    if pvno != PVNO:
        raise CmpError(FailureInfo.unsupportedVersion, f"pvno {pvno}; only {PVNO} (cmp2000) is supported")
    sender = asn1.general_name_from_asn1(source["sender"], "sender")
    recipient = asn1.general_name_from_asn1(source["recipient"], "recipient")
    if not source["messageTime"].isValue:
        raise CmpError(FailureInfo.badRequest, "messageTime missing")
    message_time = asn1.time_from_asn1(source["messageTime"], "messageTime")
    tid = _bytes(source["transactionID"])
    if tid is None or len(tid) != ID_LENGTH:
        raise CmpError(FailureInfo.badRequest, f"transactionID must be {ID_LENGTH} bytes")
    sender_nonce = _bytes(source["senderNonce"])
    if sender_nonce is None or len(sender_nonce) != ID_LENGTH:
        raise CmpError(FailureInfo.badSenderNonce, f"senderNonce must be {ID_LENGTH} bytes")
    recip_nonce = _bytes(source["recipNonce"])
    if recip_nonce is not None and len(recip_nonce) != ID_LENGTH:
        raise CmpError(FailureInfo.badRecipientNonce, f"recipNonce must be {ID_LENGTH} bytes")
    sender_kid = _bytes(source["senderKID"]) or None
    algorithm = None
    if source["protectionAlg"].isValue:
        alg = source["protectionAlg"]
        algorithm = AlgorithmId(str(alg["algorithm"]), _bytes(alg["parameters"]))
    implicit_confirm = False
    confirm_wait_time = None
    general_info = []
    for info in source["generalInfo"] if source["generalInfo"].isValue else ():
        item = _decode_info(info)
        if item.info_type == IMPLICIT_CONFIRM:
            if item.value is not None:
                asn1.decode(item.value, univ.Null(), "implicitConfirm")
            implicit_confirm = True
        elif item.info_type == CONFIRM_WAIT_TIME:
            if item.value is None:
                raise CmpError(FailureInfo.badDataFormat, "confirmWaitTime without a time")
            wait = asn1.decode(item.value, rfc9810.ConfirmWaitTimeValue(), "confirmWaitTime")
            confirm_wait_time = asn1.time_from_asn1(wait, "confirmWaitTime")
        else:  # the application's (or unknown) items: kept for the caller to judge
            general_info.append(item)
    header = Header(
        sender=sender,
        recipient=recipient,
        transaction_id=tid,
        sender_nonce=sender_nonce,
        message_time=message_time,
        recip_nonce=recip_nonce,
        sender_kid=sender_kid,
        implicit_confirm=implicit_confirm,
        confirm_wait_time=confirm_wait_time,
        free_text=_texts(source["freeText"]),
        general_info=tuple(general_info),
        pvno=pvno,
    )
    return header, algorithm


def _decode_status(source: base.Asn1Item) -> StatusInfo:
    try:
        status = PKIStatus(int(source["status"]))
    except ValueError as exc:
        raise CmpError(FailureInfo.badDataFormat, f"unknown PKIStatus {int(source['status'])}") from exc
    bits = 0
    if source["failInfo"].isValue:
        for position, bit in enumerate(source["failInfo"]):
            bits |= bit << position
    return StatusInfo(status, _texts(source["statusString"]), FailureInfo(bits))


def _one(items: base.Asn1Item, what: str) -> base.Asn1Item:
    # RFC 9483 profiles every message we use to a single request / response / status.
    if len(items) != 1:
        raise CmpError(FailureInfo.badRequest, f"{what}: exactly one entry expected, got {len(items)}")
    return items[0]


def _decode_body(source: rfc9810.PKIBody) -> Body:
    kind = source.getName()
    decoder = _BODY_DECODERS.get(kind)
    if decoder is None:
        raise CmpError(FailureInfo.badRequest, f"unsupported PKIBody type {kind}")
    try:
        return decoder(source[kind])
    except ValueError as exc:  # our dataclasses' consistency checks
        raise CmpError(FailureInfo.badRequest, f"{kind}: {exc}") from exc


def _decode_p10cr(source: base.Asn1Item) -> P10cr:
    der = asn1.encode(asn1.copy_into(rfc6402.CertificationRequest(), source))
    try:
        csr = x509.load_der_x509_csr(der)
    except ValueError as exc:
        raise CmpError(FailureInfo.badDataFormat, f"p10cr: not a PKCS#10 request ({exc})") from exc
    return P10cr(csr)


def _decode_cp(source: base.Asn1Item) -> Cp:
    response = _one(source["response"], "cp response")
    certificate = None
    if response["certifiedKeyPair"].isValue:
        pair = response["certifiedKeyPair"]
        if pair["privateKey"].isValue:
            raise CmpError(FailureInfo.badRequest, "cp: central key generation is not supported")
        if pair["certOrEncCert"].getName() != "certificate":
            raise CmpError(FailureInfo.badRequest, "cp: encrypted certificates are not supported")
        certificate = asn1.cert_from_asn1(pair["certOrEncCert"]["certificate"], "cp certificate")
    ca_pubs = tuple(
        asn1.cert_from_asn1(cert, "caPubs") for cert in (source["caPubs"] if source["caPubs"].isValue else ())
    )
    return Cp(_decode_status(response["status"]), certificate, int(response["certReqId"]), ca_pubs)


def _decode_cert_conf(source: base.Asn1Item) -> CertConf:
    cert_status = _one(source, "certConf")
    if cert_status["hashAlg"].isValue:
        raise CmpError(FailureInfo.unsupportedVersion, "certConf hashAlg needs cmp2021")
    status = _decode_status(cert_status["statusInfo"]) if cert_status["statusInfo"].isValue else None
    return CertConf(bytes(cert_status["certHash"]), int(cert_status["certReqId"]), status)


def _decode_rr(source: base.Asn1Item) -> Rr:
    details = _one(source, "rr")
    template = details["certDetails"]
    if not template["issuer"].isValue or not template["serialNumber"].isValue:
        raise CmpError(FailureInfo.badCertTemplate, "rr: certDetails must name issuer and serialNumber")
    issuer = asn1.name_from_asn1(template["issuer"], "rr issuer")
    reason = None
    for extension in details["crlEntryDetails"] if details["crlEntryDetails"].isValue else ():
        if extension["extnID"] == rfc5280.id_ce_cRLReasons:
            code = asn1.decode(bytes(extension["extnValue"]), rfc5280.CRLReason(), "CRLReason")
            if int(code) not in _REASONS:
                raise CmpError(FailureInfo.badDataFormat, f"rr: unknown CRLReason {int(code)}")
            reason = _REASONS[int(code)]
    return Rr(issuer, int(template["serialNumber"]), reason)


def _decode_error(source: base.Asn1Item) -> ErrorMsg:
    code = int(source["errorCode"]) if source["errorCode"].isValue else None
    return ErrorMsg(_decode_status(source["pKIStatusInfo"]), code, _texts(source["errorDetails"]))


def _decode_poll_rep(source: base.Asn1Item) -> PollRep:
    reply = _one(source, "pollRep")
    return PollRep(int(reply["certReqId"]), int(reply["checkAfter"]), _texts(reply["reason"]))


_BODY_DECODERS = {
    "p10cr": _decode_p10cr,
    "cp": _decode_cp,
    "certConf": _decode_cert_conf,
    "pkiconf": lambda _source: PkiConf(),
    "pollReq": lambda source: PollReq(int(_one(source, "pollReq")["certReqId"])),
    "pollRep": _decode_poll_rep,
    "rr": _decode_rr,
    "rp": lambda source: Rp(_decode_status(_one(source["status"], "rp status"))),
    "genm": lambda source: Genm(tuple(_decode_info(item) for item in source)),
    "genp": lambda source: Genp(tuple(_decode_info(item) for item in source)),
    "error": _decode_error,
}
