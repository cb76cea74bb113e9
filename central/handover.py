"""Handover: an issuance finished at another terminal of the municipality (docs/sync-protocol.md,
"Handover").

The resident pulled the card after 機構 issued a certificate and before the terminal wrote it,
and came back to another counter. The certificate certifies a key that only that card holds, so
the terminal where the card is now may finish the job — write, read back, confirm — instead of
the certificate being destroyed (破棄) and the resident applying again.

Asked when a card is inserted (the kiosk's recovery), with the card id. For each certificate of
that card issued and not yet confirmed installed, under an approved issuance application of the
asking terminal's municipality, the application's installer becomes the asking terminal: from
then on only it is authorised to write that certificate, to confirm it or to give it up (破棄),
and the requesting terminal gets a notice to stop waiting for the card. The application row
keeps who received it (`terminal_id`); the handover is logged with both terminals.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from appdata.handover import HandedOverCertificate, HandoverAnswer
from appdata.model import Procedure
from appdata.notices import HANDED_OVER, HandedOver
from central import applications, notices, registry
from central.enums import ApplicationStatus, CardStatus, CertKind, CertStatus, Fee
from central.errors import NotFound
from central.models import Certificate, Terminal

log = logging.getLogger(__name__)

_ISSUANCES = (Procedure.NEW_ISSUANCE, Procedure.RENEWAL)


def hand_over(session: Session, card_id: bytes, terminal_id: str, now: dt.datetime) -> HandoverAnswer:
    """The card's certificates the asking terminal may now install (those handed over to it
    earlier included, so a terminal that crashed after asking gets them again). In the caller's
    transaction: the installer changes and the notices are posted with it."""
    card_hex = card_id.hex()
    asking = session.get(Terminal, terminal_id)
    if asking is None:
        raise NotFound(f"terminal {terminal_id}")
    try:
        card = registry.get_card(session, card_id)
    except NotFound:
        return HandoverAnswer(card_hex)
    if registry.effective_status(card, now) is not CardStatus.OPERATING:
        return HandoverAnswer(card_hex)  # nothing may be written to it
    rows = session.scalars(
        select(Certificate)
        .where(Certificate.card_id == card.card_id, Certificate.kind != CertKind.TERMINAL)
        .where(Certificate.installed_at.is_(None), Certificate.status == CertStatus.GOOD)
        .where(Certificate.application_id.is_not(None))
        .order_by(Certificate.issued_at)
        .with_for_update()
    ).all()
    found = []
    for row in rows:
        assert row.application_id is not None
        app = applications.get_application(session, row.application_id, for_update=True)
        if app.kind not in _ISSUANCES or app.status is not ApplicationStatus.APPROVED:
            continue
        if app.terminal_id == terminal_id:
            continue  # its own request: the terminal's journal resumes it
        if app.municipality_code != asking.municipality_code:
            log.info(
                "handover of %s to %s refused: application of municipality %s",
                app.id, terminal_id, app.municipality_code,
            )  # fmt: skip
            continue
        previous = applications.installer(app)
        if previous != terminal_id:
            app.installer_terminal_id = terminal_id
            notice = HandedOver(row.serial, row.kind.value, app.id, terminal_id)
            notices.post(session, previous, HANDED_OVER, notice.to_payload(), now)
            log.info(
                "certificate %s of application %s handed over from %s to %s",
                row.serial, app.id, previous, terminal_id,
            )  # fmt: skip
        found.append(
            HandedOverCertificate(app.id, app.kind.value, row.kind.value, row.der, app.fee is Fee.PAID)
        )
    return HandoverAnswer(card_hex, tuple(found))
