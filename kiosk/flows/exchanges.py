"""A certificate request's CMP exchanges, as the outbox keeps them.

Each outbox row holds the protected bytes sent and, once delivered, the central's signed answer
(`receipt`, kept as evidence). That is all a later message of the same transaction needs: a
pollReq or certConf follows up on the last answer (its senderNonce becomes our recipNonce), and
the application number the central knows the request by is in the p10cr's header. So nothing is
copied into other tables, and what the kiosk sends next is derived from what was really exchanged.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from cryptography import x509
from sqlalchemy import select
from sqlalchemy.orm import Session

import lcmp
from appdata import notices
from kiosk.store.models import InboxMessage, IssuanceJournal, OutboxMessage
from lcmp import jpki_items

# Outbox kinds: the CMP body names.
P10CR: Final = lcmp.P10cr.kind
POLL_REQ: Final = lcmp.PollReq.kind
CERT_CONF: Final = lcmp.CertConf.kind
RR: Final = lcmp.Rr.kind
INSTALLED: Final = "genm-installed"  # a handed-over certificate confirmed (no certConf of ours)


@dataclass(frozen=True)
class Exchange:
    """One request of a transaction and, once delivered, the answer it got."""

    row: OutboxMessage
    request: lcmp.Message
    answer: lcmp.Message | None


@dataclass(frozen=True)
class Waiting:
    """The CA has not decided yet (RFC 9483 §4.4): poll for `cert_req_id` after `check_after`."""

    cert_req_id: int
    check_after: timedelta


def outbox_row(session: Session, msg_id: uuid.UUID | None) -> OutboxMessage:
    row = session.scalars(select(OutboxMessage).where(OutboxMessage.msg_id == msg_id)).first()
    if row is None:
        raise LookupError(f"no outbox message {msg_id}")
    return row


def _exchange(row: OutboxMessage, request: lcmp.Message) -> Exchange:
    return Exchange(row, request, lcmp.decode(row.receipt) if row.receipt is not None else None)


def exchanges(session: Session, entry: IssuanceJournal) -> list[Exchange]:
    """The entry's certificate request, then its pollReqs, in sending order."""
    first = outbox_row(session, entry.request_msg_id)
    found = [_exchange(first, lcmp.decode(first.payload))]
    polls = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.kind == POLL_REQ, OutboxMessage.seq > first.seq)
        .order_by(OutboxMessage.seq)
    )
    for row in polls:
        request = lcmp.decode(row.payload)
        if request.header.transaction_id == entry.transaction_id:
            found.append(_exchange(row, request))
    return found


def application_ref(session: Session, entry: IssuanceJournal) -> int | str:
    """How the central knows the entry's application: the central's id of one handed over to
    this terminal, else this terminal's number (`jpki_items.application_item`)."""
    if entry.taken_over is not None:
        return entry.taken_over
    return application_number(session, entry)


def application_number(session: Session, entry: IssuanceJournal) -> int:
    """The terminal's application number, as the entry's p10cr told the central."""
    request = lcmp.decode(outbox_row(session, entry.request_msg_id).payload)
    number = jpki_items.integer_value(request.header.general_info, jpki_items.APPLICATION_NUMBER)
    if number is None:
        raise LookupError(f"issuance {entry.id}: its request names no application number")
    return number


def issued_certificate(answer: lcmp.Message | None) -> x509.Certificate | None:
    """The certificate a granted cp carries, else None."""
    body = answer.body if answer is not None else None
    if isinstance(body, lcmp.Cp) and body.status.granted:
        return body.certificate
    return None


def waiting(body: lcmp.Body) -> Waiting | None:
    """A cp saying `waiting` (checkAfter is only in pollRep: poll at once), or a pollRep."""
    if isinstance(body, lcmp.Cp) and body.status.status is lcmp.PKIStatus.waiting:
        return Waiting(body.cert_req_id, timedelta(0))
    if isinstance(body, lcmp.PollRep):
        return Waiting(body.cert_req_id, timedelta(seconds=body.check_after))
    return None


def noticed_decisions(session: Session, entry: IssuanceJournal) -> list[Exchange]:
    """Deferred decisions the central pushed as notices for the entry's p10cr: each answers the
    p10cr itself (its nonce). Only applied ones, which the notice handler verified first."""
    if entry.transaction_id is None:
        return []
    first = outbox_row(session, entry.request_msg_id)
    rows = session.scalars(
        select(InboxMessage)
        .where(InboxMessage.kind == notices.ISSUANCE_DECIDED, InboxMessage.applied_at.is_not(None))
        .order_by(InboxMessage.server_seq)
    )
    found = []
    for message in rows:
        try:
            decided = notices.IssuanceDecided.from_payload(notices.parse_payload(message.payload))
        except notices.NoticeFormatError:
            continue
        if decided.transaction_id == entry.transaction_id:
            found.append(Exchange(first, lcmp.decode(first.payload), lcmp.decode(decided.answer)))
    return found


def certificate_exchange(session: Session, entry: IssuanceJournal) -> Exchange:
    """The exchange whose answer carried the certificate: the certConf follows up on it. Asked
    once per confirmation, so the notices are searched here, not on every polling pass."""
    for exchange in reversed(exchanges(session, entry) + noticed_decisions(session, entry)):
        if issued_certificate(exchange.answer) is not None:
            return exchange
    raise LookupError(f"issuance {entry.id}: no stored answer carries a certificate")


def cert_conf(exchange: Exchange, certificate: x509.Certificate, protector: lcmp.Protector) -> bytes:
    """certConf accepting `certificate`, following up on the cp that carried it."""
    if exchange.answer is None or not isinstance(exchange.answer.body, lcmp.Cp):
        raise ValueError("a certConf follows up on a cp")
    header = lcmp.follow_up_header(exchange.request.header, exchange.answer.header)
    body = lcmp.CertConf.for_certificate(certificate, exchange.answer.body.cert_req_id)
    return lcmp.encode(lcmp.Message(header, body), protector)


def poll_req(exchange: Exchange, cert_req_id: int, protector: lcmp.Protector) -> bytes:
    """pollReq following up on the exchange's `waiting` answer."""
    if exchange.answer is None:
        raise ValueError("a pollReq follows up on an answer")
    header = lcmp.follow_up_header(exchange.request.header, exchange.answer.header)
    return lcmp.encode(lcmp.Message(header, lcmp.PollReq(cert_req_id)), protector)
