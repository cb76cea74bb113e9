"""The few conversions between pyasn1 objects and `cryptography` / Python values.

All DER is produced and parsed by pyasn1 (schemas from pyasn1-alt-modules) or by `cryptography`;
nothing here assembles tag or length bytes by hand. Decoding is strict: the input must be DER, so
whatever a peer signed is byte-for-byte what we re-encode (checked, not assumed).
"""

from __future__ import annotations

import datetime as dt
from typing import TypeVar

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.name import _ASN1Type
from pyasn1.codec.der import decoder as der_decoder
from pyasn1.codec.der import encoder as der_encoder
from pyasn1.error import PyAsn1Error
from pyasn1.type import base, char, univ, useful
from pyasn1_alt_modules import rfc5280

from lcmp.errors import CmpError, FailureInfo

T = TypeVar("T", bound=base.Asn1Item)

# pyasn1 string classes → the string type cryptography re-encodes with. Keeping the type means a
# name we echo back (the request's sender as the answer's recipient) is the same DER the peer sent.
_STRING_TYPES: dict[type[base.Asn1Item], _ASN1Type] = {
    char.UTF8String: _ASN1Type.UTF8String,
    char.PrintableString: _ASN1Type.PrintableString,
    char.IA5String: _ASN1Type.IA5String,
    char.BMPString: _ASN1Type.BMPString,
    char.TeletexString: _ASN1Type.T61String,
    char.UniversalString: _ASN1Type.UniversalString,
    char.VisibleString: _ASN1Type.VisibleString,
    char.NumericString: _ASN1Type.NumericString,
}


def encode(value: base.Asn1Item) -> bytes:
    try:
        der: bytes = der_encoder.encode(value)
    except PyAsn1Error as exc:  # an incomplete structure is our bug, not the peer's
        raise ValueError(f"cannot DER-encode {type(value).__name__}: {exc}") from exc
    return der


def decode(data: bytes, spec: T, what: str) -> T:
    """Decode exactly one DER value of `spec` from `data`; anything else is badDataFormat."""
    try:
        value, rest = der_decoder.decode(data, asn1Spec=spec)
    # OverflowError: a length field too large for an index (pyasn1 tries to read that much)
    except (PyAsn1Error, ValueError, TypeError, IndexError, KeyError, OverflowError) as exc:
        raise CmpError(FailureInfo.badDataFormat, f"{what}: not valid DER ({exc})") from exc
    if rest:
        raise CmpError(FailureInfo.badDataFormat, f"{what}: {len(rest)} trailing bytes")
    # pyasn1 reads some BER (long-form lengths, ...) leniently; the protection is computed over DER.
    try:
        again = der_encoder.encode(value)
    except PyAsn1Error as exc:
        raise CmpError(FailureInfo.badDataFormat, f"{what}: incomplete ({exc})") from exc
    if again != data:
        raise CmpError(FailureInfo.badDataFormat, f"{what}: not DER")
    return value  # type: ignore[no-any-return]


def copy_into(target: T, value: base.Asn1Item) -> T:
    """Fill `target` (e.g. an explicitly tagged field's empty instance) with `value`'s components.

    pyasn1 refuses to assign an untagged SEQUENCE to an [n]-tagged field, but the components are the
    same types, so they are copied one by one.
    """
    if isinstance(target, univ.SequenceOf):
        for item in value:
            target.append(item)
    else:
        for idx in range(len(value)):
            component = value.getComponentByPosition(idx)
            if component.isValue:
                target.setComponentByPosition(idx, component)
    return target


def cert_to_asn1(cert: x509.Certificate, target: T) -> T:
    parsed = der_decoder.decode(
        cert.public_bytes(serialization.Encoding.DER), asn1Spec=rfc5280.Certificate()
    )[0]
    return copy_into(target, parsed)


def cert_from_asn1(value: base.Asn1Item, what: str) -> x509.Certificate:
    untagged = copy_into(rfc5280.Certificate(), value)
    try:
        return x509.load_der_x509_certificate(encode(untagged))
    except ValueError as exc:
        raise CmpError(FailureInfo.badDataFormat, f"{what}: not a certificate ({exc})") from exc


def name_to_asn1(name: x509.Name, target: rfc5280.Name) -> rfc5280.Name:
    parsed = der_decoder.decode(name.public_bytes(), asn1Spec=rfc5280.Name())[0]
    target["rdnSequence"] = parsed["rdnSequence"]
    return target


def general_name_to_asn1(name: x509.Name, target: rfc5280.GeneralName) -> rfc5280.GeneralName:
    name_to_asn1(name, target["directoryName"])
    return target


def name_from_asn1(value: rfc5280.Name, what: str) -> x509.Name:
    rdns = []
    try:
        for rdn in value["rdnSequence"]:
            attrs = []
            for atv in rdn:
                decoded, rest = der_decoder.decode(bytes(atv["value"]))
                string_type = _STRING_TYPES.get(type(decoded))
                if rest or string_type is None:
                    raise CmpError(FailureInfo.badDataFormat, f"{what}: unsupported attribute value type")
                oid = x509.ObjectIdentifier(str(atv["type"]))
                attrs.append(x509.NameAttribute(oid, str(decoded), _type=string_type))
            rdns.append(x509.RelativeDistinguishedName(attrs))
        return x509.Name(rdns)
    except (PyAsn1Error, ValueError, UnicodeError) as exc:
        raise CmpError(FailureInfo.badDataFormat, f"{what}: bad name ({exc})") from exc


def general_name_from_asn1(value: rfc5280.GeneralName, what: str) -> x509.Name:
    # RFC 9483 §3.1: sender and recipient are names of PKI entities; we only deal in directoryNames.
    if value.getName() != "directoryName":
        raise CmpError(FailureInfo.badDataFormat, f"{what}: {value.getName()} is not a directoryName")
    return name_from_asn1(value["directoryName"], what)


def utc(when: dt.datetime) -> dt.datetime:
    """Whole seconds in UTC: what a DER GeneralizedTime without fraction holds."""
    if when.tzinfo is None:
        raise ValueError("time must be timezone-aware")
    return when.astimezone(dt.UTC).replace(microsecond=0)


def generalized_time(when: dt.datetime, target: T) -> T:
    return target.clone(utc(when).strftime("%Y%m%d%H%M%SZ"))


def time_from_asn1(value: useful.GeneralizedTime, what: str) -> dt.datetime:
    text = str(value)
    # DER (X.690 §11.7): UTC ("Z"), seconds present; a fraction is allowed but we never need it.
    if not text.endswith("Z") or len(text) < 15:
        raise CmpError(FailureInfo.badDataFormat, f"{what}: GeneralizedTime must be UTC with seconds")
    try:
        return value.asDateTime.astimezone(dt.UTC)
    except (PyAsn1Error, ValueError) as exc:
        raise CmpError(FailureInfo.badDataFormat, f"{what}: bad GeneralizedTime ({exc})") from exc
