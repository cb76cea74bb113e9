"""The unattended reset's messages to 機構 (appdata.unattended; docs/unattended.md).

The ticket request goes out directly: it is asked with the resident at the screen and is worth
nothing later. The application with its proof is filed through the outbox like every application
(kept, crash-safe); the outcome report is store-and-forward too — it is the record of why an
attempt ended, and must reach 機構 even if the link drops right after the reset.
"""

from __future__ import annotations

import logging
import uuid

import lcmp
from appdata.unattended import ResetOutcome, TicketAnswer, TicketRequest, UnattendedFormatError
from kiosk.flows.counter.applications import push
from kiosk.flows.counter.terminal import CounterTerminal
from kiosk.sync import queries
from kiosk.sync.outbox import Outgoing, enqueue_outgoing
from lcmp import jpki_items

log = logging.getLogger(__name__)

GENM_RESET_OUTCOME = "genm-reset-outcome"  # outbox kind


def request_ticket(link: queries.Link, card_id: str, target: str) -> TicketAnswer:
    """A ticket for resetting `target` on this card, or 機構's refusal (both are answers).
    Raises CentralUnreachable, or QueryRefused when the answer is not one."""
    item = lcmp.InfoTypeAndValue.utf8(
        jpki_items.RESET_TICKET_REQUEST, TicketRequest(card_id, target).to_json()
    )
    text = queries.ask(link, item, jpki_items.RESET_TICKET)
    try:
        return TicketAnswer.from_json(text)
    except UnattendedFormatError as exc:
        raise queries.QueryRefused(str(exc)) from exc


def proof_item(proof_json: str) -> lcmp.InfoTypeAndValue:
    return lcmp.InfoTypeAndValue.utf8(jpki_items.RESET_PROOF, proof_json)


def queue_outcome(terminal: CounterTerminal, outcome: ResetOutcome) -> uuid.UUID:
    """Put the outcome report in the outbox (one local transaction, no network)."""
    genm = terminal.link.client.prepare_genm(
        (lcmp.InfoTypeAndValue.utf8(jpki_items.RESET_OUTCOME, outcome.to_json()),)
    )
    with terminal.sessions.begin() as session:
        message = enqueue_outgoing(session, Outgoing(GENM_RESET_OUTCOME, genm), now=terminal.clock())
        return message.msg_id


def deliver(terminal: CounterTerminal) -> bool:
    """Try to deliver what the outbox holds now; False when 機構 could not be reached (the
    messages wait for the background relay)."""
    try:
        delivered = push(terminal)
    except Exception:  # a delivery thread has nobody to raise to
        log.exception("delivering the reset outcome failed")
        return False
    if not delivered:
        log.info("reset outcome queued: 機構 not reachable")
    return delivered
