"""Taking over an issuance another terminal of the municipality started (docs/sync-protocol.md,
"Handover").

When a card is inserted, before the recovery worker resumes this terminal's own journal entries
for it, the central is asked whether it holds certificates for this card that another terminal
requested and never confirmed installed (the resident pulled the card there and came back here).
Each one it hands over becomes a journal entry at CERTIFICATE_RECEIVED, with a local application
row that only refers to the central's (the personal data stays where it was taken); the recovery
worker then writes, reads back and confirms it as it would its own — or revokes it as 破棄 when it
no longer fits the card. The requesting terminal is told by a notice (kiosk.flows.notices).

Online only: with the central unreachable nothing is taken over, and the card is simply served.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

import lcmp
from appdata.handover import HandoverAnswer, HandoverFormatError
from kiosk.flows.ports import CentralPort, PresentCard
from kiosk.store.models import Application, ApplicationState, CertificateKind, ProcedureKind
from kiosk.store.sealed import Sealer
from kiosk.sync import journal
from lcmp import jpki_items

log = logging.getLogger(__name__)


class HandoverUnavailable(Exception):
    """The central could not be asked, or its answer is unusable: nothing was taken over."""


def ask(link: CentralPort, card_id: str) -> HandoverAnswer:
    """The central's handover for this card (it hands the certificates over as it answers)."""
    try:
        items = link.client.genm((jpki_items.octets_item(jpki_items.HANDOVER_QUERY, bytes.fromhex(card_id)),))
    except (lcmp.CmpTransportError, lcmp.CmpError) as exc:  # CmpRejected is a CmpError
        raise HandoverUnavailable(f"handover query failed: {type(exc).__name__}: {exc}") from exc
    text = jpki_items.text_value(items, jpki_items.HANDOVER)
    if text is None:
        raise HandoverUnavailable("the central answered without a handover item")
    try:
        answer = HandoverAnswer.from_json(text)
    except HandoverFormatError as exc:
        raise HandoverUnavailable(str(exc)) from exc
    if answer.card_id != card_id:
        raise HandoverUnavailable("the handover answer is for another card")
    return answer


def take_over(
    sessions: sessionmaker[Session],
    sealer: Sealer,
    link: CentralPort,
    card: PresentCard,
    *,
    clock: Callable[[], datetime],
) -> list[uuid.UUID]:
    """Journal entries for what the central handed over for the card at hand (new ones only: an
    entry made at an earlier insertion is not made twice). Returns the new entries' ids;
    raises HandoverUnavailable when the central cannot be asked."""
    answer = ask(link, card.card_id)
    made = []
    with sessions.begin() as session:
        now = clock()
        for handed in answer.certificates:
            kind = CertificateKind(handed.cert_kind)
            if journal.taken_over(session, handed.application_id, kind) is not None:
                continue
            application = Application(
                id=uuid.uuid4(),
                kind=ProcedureKind(handed.procedure),
                state=ApplicationState.SUBMITTED,
                created_at=now,
                updated_at=now,
            )
            # Only a reference: the application's personal data stays with the requesting terminal.
            application.seal_payload(sealer, json.dumps({"taken_over": handed.application_id}).encode())
            session.add(application)
            session.flush()
            entry = journal.take_over(
                session,
                application_id=application.id,
                central_application=handed.application_id,
                card_id=card.card_id,
                cert_kind=kind,
                certificate=handed.certificate,
                sealer=sealer,
                now=now,
            )
            made.append(entry.id)
            log.info(
                "issuance %s taken over: %s certificate of %s", entry.id, kind.value, handed.application_id
            )
    return made
