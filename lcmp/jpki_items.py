"""The JPKI kiosk's own generalInfo / genm items (docs/sync-protocol.md).

OIDs under the UUID arc 2.25 (ITU-T X.667: no registration needed), each the UUIDv5 of a URN
naming it, so they can be re-derived and never collide. The application reference is an INTEGER
— a per-terminal application number — because that is what `openssl cmp -geninfo` can carry.
"""

from __future__ import annotations

import re
import uuid
from enum import IntEnum

from pyasn1.type import univ

from lcmp import asn1
from lcmp.errors import CmpError, FailureInfo
from lcmp.messages import InfoTypeAndValue


def _oid(name: str) -> str:
    return f"2.25.{uuid.uuid5(uuid.NAMESPACE_URL, f'urn:jpki-kiosk/{name}').int}"


APPLICATION_NUMBER = _oid("application-number")  # INTEGER, unique per terminal
CERTIFICATE_KIND = _oid("certificate-kind")  # INTEGER, CertificateKind
APPLICATION_ENVELOPE = _oid("application-envelope")  # UTF8String, compact JWE (genm)
APPLICATION_ID = _oid("application-id")  # UTF8String, the central's id for it (genp)
APPLICATION_STATUS = _oid("application-status")  # UTF8String, the central's answer (genp)
# an accepted 一時停止解除: which held certificates the central revoked (genp, after the status)
SUSPENSION_RELEASED = _oid("suspension-released")  # UTF8String: appdata.status.SuspensionReleased JSON
# card administration (docs/card-admin.md): genm asks, genp answers
ADMIN_CHALLENGE = _oid("admin-challenge")  # OCTET STRING: card id (16) ‖ challenge (16) ‖ operation TLV
ADMIN_RESPONSE = _oid("admin-response")  # OCTET STRING: the 16-byte single-use response

# status queries (genm asks, genp answers with JSON, appdata.status)
CARD_QUERY = _oid("card-query")  # OCTET STRING: the 16-byte card id
CARD_STATUS = _oid("card-status")  # UTF8String: appdata.status.CardStatusAnswer JSON
CERTIFICATE_QUERY = _oid("certificate-query")  # INTEGER: the certificate's serial number
CERTIFICATE_STATUS = _oid("certificate-status")  # UTF8String: CertificateStatusAnswer JSON
# downstream notices (genm asks with the terminal's cursor, genp answers with one page)
NOTICES_AFTER = _oid("notices-after")  # INTEGER: the highest notice seq the terminal applied
NOTICE_PAGE = _oid("notice-page")  # UTF8String: appdata.notices.NoticePage JSON
# handover (docs/sync-protocol.md, "Handover"): another terminal of the municipality finishes an
# issuance whose card left the terminal that requested it
HANDOVER_QUERY = _oid("handover-query")  # OCTET STRING: the 16-byte card id at this terminal
HANDOVER = _oid("handover")  # UTF8String: appdata.handover.HandoverAnswer JSON
INSTALLED_SERIAL = _oid("installed-serial")  # INTEGER: a handed-over certificate, now on the card
# unattended PIN reset (docs/unattended.md): JSON of appdata.unattended in UTF8String items
RESET_TICKET_REQUEST = _oid("reset-ticket-request")  # genm: TicketRequest
RESET_TICKET = _oid("reset-ticket")  # genp: TicketAnswer (a ticket or a refusal)
RESET_PROOF = _oid("reset-proof")  # genm, beside the PIN_RESET APPLICATION_ENVELOPE: ResetProof
RESET_OUTCOME = _oid("reset-outcome")  # genm: ResetOutcome; genp answers APPLICATION_STATUS "recorded"

MAX_APPLICATION_NUMBER = 2**63 - 1  # what a C long (openssl cmp -geninfo) holds


class CertificateKind(IntEnum):
    SIGN = 1  # 署名用電子証明書
    AUTH = 2  # 利用者証明用電子証明書


def application_id(terminal_id: str, number: int) -> str:
    """The application's id at the central: the terminal's id and its own application number."""
    if not 0 < number <= MAX_APPLICATION_NUMBER:
        raise ValueError("application number out of range")
    return f"{terminal_id}/{number}"


def application_item(application: int | str) -> InfoTypeAndValue:
    """How a terminal names an application: its own by number, one handed over to it by the
    central's id (docs/sync-protocol.md, "Handover")."""
    if isinstance(application, str):
        return InfoTypeAndValue.utf8(APPLICATION_ID, application)
    return integer_item(APPLICATION_NUMBER, application)


def normalise_bootstrap_secret(secret: str) -> bytes:
    """A terminal's one-time bootstrap secret as the PBM key material both sides use: printed as
    XXXX-XXXX-… (base32) for typing; spaces and dashes dropped, case folded."""
    cleaned = re.sub(r"[\s-]", "", secret).upper()
    if not cleaned.isascii():
        raise ValueError("a bootstrap secret is ASCII (A–Z, 2–7)")
    return cleaned.encode("ascii")


def integer_item(info_type: str, value: int) -> InfoTypeAndValue:
    return InfoTypeAndValue(info_type, asn1.encode(univ.Integer(value)))


def integer_value(items: tuple[InfoTypeAndValue, ...], info_type: str) -> int | None:
    """The INTEGER item of that type, None if absent; CmpError(badDataFormat) if malformed or repeated."""
    found = [item for item in items if item.info_type == info_type]
    if not found:
        return None
    if len(found) > 1 or found[0].value is None:
        raise CmpError(FailureInfo.badDataFormat, f"{info_type}: expected exactly one INTEGER")
    return int(asn1.decode(found[0].value, univ.Integer(), info_type))


def octets_item(info_type: str, value: bytes) -> InfoTypeAndValue:
    return InfoTypeAndValue(info_type, asn1.encode(univ.OctetString(value)))


def octets_value(items: tuple[InfoTypeAndValue, ...], info_type: str) -> bytes | None:
    found = [item for item in items if item.info_type == info_type]
    if not found:
        return None
    if len(found) > 1 or found[0].value is None:
        raise CmpError(FailureInfo.badDataFormat, f"{info_type}: expected exactly one OCTET STRING")
    return bytes(asn1.decode(found[0].value, univ.OctetString(), info_type))


def text_value(items: tuple[InfoTypeAndValue, ...], info_type: str) -> str | None:
    found = [item for item in items if item.info_type == info_type]
    if not found:
        return None
    if len(found) > 1:
        raise CmpError(FailureInfo.badDataFormat, f"{info_type}: repeated")
    return found[0].utf8_value()
