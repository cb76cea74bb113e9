"""機構's answers to certificate requests, applied as the relay settles them (or as a notice
brings a deferred decision, kiosk.flows.notices); and polling.

`CertificateResponses` is the outbox relay's `on_settled` hook. For a p10cr or pollReq it finds the
journal entry by the CMP transactionID and acts in the settling transaction, so the outbox row's
`sent`/`failed` and the journal step commit together (if it raises, neither does and the relay
asks again; the central answers a repeated p10cr with its stored answer, a repeated pollReq with
the same decision):

| answer (verified by the relay)             | entry at  | effect                                        |
|--------------------------------------------|-----------|-----------------------------------------------|
| cp granted, with the certificate           | REQUESTED | record_certificate (sealed)                   |
| cp granted, with the certificate           | ABANDONED | revoke as 破棄: it was issued after all       |
| cp `waiting`, pollRep                      | REQUESTED | none: `enqueue_polls` asks again when due     |
| refused (error message, rejected cp, other)| REQUESTED | abandon, with a fixed reason                  |
| anything                                   | any other | none (logged): a late or repeated answer      |

A certificate for another key than the card's is recorded like any other: the card step and the
recovery worker check the key before writing, and revoke it as 破棄 instead.
"""

from __future__ import annotations

import enum
import logging
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Final

from cryptography.hazmat.primitives import serialization
from sqlalchemy.orm import Session, sessionmaker

import lcmp
from kiosk.flows import exchanges
from kiosk.flows.issuance import revocation_request
from kiosk.flows.ports import CentralPort
from kiosk.store.models import IssuanceJournal, IssuanceStep, OutboxMessage, OutboxState
from kiosk.store.sealed import Sealer
from kiosk.sync import journal
from kiosk.sync.outbox import Outgoing
from kiosk.sync.relay import Receipt, VerifiedReceipt

log = logging.getLogger(__name__)

REFUSED_REASON: Final = "certificate request refused by the central"
LATE_REASON: Final = "certificate arrived after the request was abandoned"


class Verdict(enum.Enum):
    ISSUED = "issued"
    WAITING = "waiting"
    REFUSED = "refused"


def verdict(answer: lcmp.Message, accepted: bool) -> Verdict:
    """What a verified answer to a p10cr or pollReq means for its request."""
    if not accepted:
        return Verdict.REFUSED
    if exchanges.issued_certificate(answer) is not None:
        return Verdict.ISSUED
    if exchanges.waiting(answer.body) is not None:
        return Verdict.WAITING
    return Verdict.REFUSED  # signed and ours, but no answer to a certificate request


class CertificateResponses:
    """The relay's `on_settled` hook for certificate requests (see the module's table)."""

    def __init__(self, sealer: Sealer, link: CentralPort, *, clock: Callable[[], datetime]) -> None:
        self._sealer = sealer
        self._link = link
        self._clock = clock

    def __call__(
        self, session: Session, message: OutboxMessage, receipt: Receipt, verified: VerifiedReceipt
    ) -> None:
        if message.kind not in (exchanges.P10CR, exchanges.POLL_REQ):
            return
        answer = lcmp.decode(receipt.raw)
        entry = journal.find_by_transaction_id(session, answer.header.transaction_id)
        if entry is None:
            log.warning("outbox %s (%s): no issuance has its transaction", message.msg_id, message.kind)
            return
        self.apply(session, entry, answer, accepted=verified.accepted, via=message.kind)

    def apply(
        self, session: Session, entry: IssuanceJournal, answer: lcmp.Message, *, accepted: bool, via: str
    ) -> None:
        """The module's table for one verified answer to `entry`'s request; `via` (the message
        kind or notice it came with) is for the log."""
        outcome, step, now = verdict(answer, accepted), entry.step, self._clock()
        certificate = exchanges.issued_certificate(answer)
        if outcome is Verdict.ISSUED and certificate is not None and step is IssuanceStep.REQUESTED:
            der = certificate.public_bytes(serialization.Encoding.DER)
            journal.record_certificate(session, entry.id, der, self._sealer, now=now)
        elif outcome is Verdict.ISSUED and certificate is not None and step is IssuanceStep.ABANDONED:
            number = exchanges.application_number(session, entry)
            rr = Outgoing(exchanges.RR, revocation_request(self._link, certificate, number))
            journal.revoke_as_destroyed(session, entry.id, rr, reason=LATE_REASON, now=now)
        elif outcome is Verdict.REFUSED and step is IssuanceStep.REQUESTED:
            journal.abandon(session, entry.id, reason=REFUSED_REASON, now=now)
        else:
            log.info(
                "issuance %s at %s: %s answer via %s changes nothing",
                entry.id,
                step.value,
                outcome.value,
                via,
            )


def poll_due(exchange: exchanges.Exchange, now: datetime) -> exchanges.Waiting | None:
    """The wait to follow up on, if the exchange was answered `waiting` and its checkAfter is over."""
    row = exchange.row
    if exchange.answer is None or row.state is not OutboxState.SENT or row.delivered_at is None:
        return None
    wait = exchanges.waiting(exchange.answer.body)
    if wait is None or now < row.delivered_at + wait.check_after:
        return None
    return wait


def enqueue_polls(sessions: sessionmaker[Session], link: CentralPort, *, now: datetime) -> list[uuid.UUID]:
    """A pollReq for every entry at REQUESTED whose last answer said `waiting` and is due, each in
    its own transaction with an audit record. Run periodically; returns the entries polled. One
    entry failing is logged and does not stop the others."""
    with sessions.begin() as session:
        waiting_ids = [e.id for e in journal.unfinished(session) if e.step is IssuanceStep.REQUESTED]
    polled: list[uuid.UUID] = []
    for entry_id in waiting_ids:
        try:
            with sessions.begin() as session:
                entry = journal.get(session, entry_id)
                last = exchanges.exchanges(session, entry)[-1]
                wait = poll_due(last, now) if entry.step is IssuanceStep.REQUESTED else None
                if wait is None:
                    continue
                poll = exchanges.poll_req(last, wait.cert_req_id, link.protector)
                journal.request_poll(session, entry_id, Outgoing(exchanges.POLL_REQ, poll), now=now)
        except Exception as exc:
            log.error("issuance %s: pollReq not enqueued: %s", entry_id, type(exc).__name__)
            continue
        polled.append(entry_id)
    return polled
