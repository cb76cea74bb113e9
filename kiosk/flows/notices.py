"""What the kiosk does with each notice from the central (appdata.notices), inside the inbox's
transaction (kiosk.sync.notices.pull → kiosk.sync.inbox.apply_inbox):

| notice               | entry (found by)                    | effect                                       |
|----------------------|-------------------------------------|----------------------------------------------|
| issuance.decided     | REQUESTED (p10cr transactionID)     | the signed answer, verified as a receipt of  |
|                      |                                     | the stored p10cr, applied like a relay answer |
| certificate.revoked, | CERTIFICATE_RECEIVED or             | REVOKED_AS_DESTROYED, nothing sent: the      |
| destroyed (破棄)     | WRITTEN_TO_CARD (certificate serial)| revoked certificate is never written         |
| issuance.handed_over | CERTIFICATE_RECEIVED or             | HANDED_OVER, nothing sent: the terminal      |
|                      | WRITTEN_TO_CARD (certificate serial)| where the card is now installs it            |
| anything else        | —                                   | audit record only                            |

Every notice leaves an audit record. A notice that cannot be used (an answer that does not verify,
a payload in another format) is recorded as rejected and does not block the stream: the page's
signature was the central's, so this is a central defect for staff to look into, not an attack
to retry.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Final

from cryptography import x509
from sqlalchemy.orm import Session

import lcmp
from appdata.notices import (
    CERTIFICATE_REVOKED,
    HANDED_OVER,
    ISSUANCE_DECIDED,
    CertificateRevoked,
    HandedOver,
    IssuanceDecided,
    NoticeFormatError,
    parse_payload,
)
from kiosk.flows import exchanges
from kiosk.flows.responses import CertificateResponses
from kiosk.store.audit import DetailValue, append_audit
from kiosk.store.models import InboxMessage, IssuanceJournal, IssuanceStep
from kiosk.store.sealed import Sealer
from kiosk.sync import journal
from kiosk.sync.inbox import InboxHandler
from kiosk.sync.relay import Receipt, ReceiptVerifier

log = logging.getLogger(__name__)

ACTOR: Final = "central"
DESTROYED_REASON: Final = "revoked by the central before installation"
_NOT_ON_CARD_YET: Final = frozenset({IssuanceStep.CERTIFICATE_RECEIVED, IssuanceStep.WRITTEN_TO_CARD})


class NoticeHandlers:
    def __init__(
        self,
        sealer: Sealer,
        responses: CertificateResponses,
        verify_receipt: ReceiptVerifier,
        *,
        clock: Callable[[], datetime],
    ) -> None:
        self._sealer = sealer
        self._responses = responses
        self._verify_receipt = verify_receipt
        self._clock = clock

    def handlers(self) -> dict[str, InboxHandler]:
        return {
            ISSUANCE_DECIDED: self.issuance_decided,
            CERTIFICATE_REVOKED: self.certificate_revoked,
            HANDED_OVER: self.handed_over,
        }

    # -- issuance.decided ---------------------------------------------------------------------

    def issuance_decided(self, session: Session, notice: InboxMessage) -> None:
        try:
            decided = IssuanceDecided.from_payload(parse_payload(notice.payload))
        except NoticeFormatError as exc:
            self._rejected(session, notice, str(exc))
            return
        entry = journal.find_by_transaction_id(session, decided.transaction_id)
        if entry is None:
            self._record(session, notice, "notice.unmatched", {"transaction": decided.transaction_id.hex()})
            return
        request = exchanges.outbox_row(session, entry.request_msg_id)
        try:
            verified = self._verify_receipt(request, Receipt(decided.answer))
            answer = lcmp.decode(decided.answer)
        except (lcmp.CmpError, ValueError) as exc:
            self._rejected(session, notice, f"answer does not verify ({type(exc).__name__})")
            return
        self._record(session, notice, "notice.issuance_decided", {"issuance": str(entry.id)})
        self._responses.apply(session, entry, answer, accepted=verified.accepted, via=ISSUANCE_DECIDED)

    # -- certificate.revoked ------------------------------------------------------------------

    def certificate_revoked(self, session: Session, notice: InboxMessage) -> None:
        try:
            revoked = CertificateRevoked.from_payload(parse_payload(notice.payload))
        except NoticeFormatError as exc:
            self._rejected(session, notice, str(exc))
            return
        entry = self._entry_holding(session, int(revoked.serial, 16))
        details = {
            "serial": revoked.serial,
            "reason": revoked.reason,
            "destroyed": revoked.destroyed,
            "issuance": str(entry.id) if entry is not None else None,
        }
        self._record(session, notice, "notice.certificate_revoked", details)
        if entry is not None and revoked.destroyed and entry.step in _NOT_ON_CARD_YET:
            journal.destroyed_by_central(session, entry.id, reason=DESTROYED_REASON, now=self._clock())
        elif entry is not None:
            log.warning(
                "certificate %s revoked (%s) while issuance %s is at %s",
                revoked.serial,
                revoked.reason,
                entry.id,
                entry.step.value,
            )

    # -- issuance.handed_over -----------------------------------------------------------------

    def handed_over(self, session: Session, notice: InboxMessage) -> None:
        try:
            handed = HandedOver.from_payload(parse_payload(notice.payload))
        except NoticeFormatError as exc:
            self._rejected(session, notice, str(exc))
            return
        entry = self._entry_holding(session, int(handed.serial, 16))
        details = {
            "serial": handed.serial,
            "to_terminal": handed.to_terminal,
            "issuance": str(entry.id) if entry is not None else None,
        }
        self._record(session, notice, "notice.handed_over", details)
        if entry is not None and entry.step in _NOT_ON_CARD_YET:
            journal.hand_over(session, entry.id, to_terminal=handed.to_terminal, now=self._clock())
        elif entry is not None:  # read back here already: our certConf says so too, and is accepted
            log.info(
                "certificate %s handed over while issuance %s is at %s",
                handed.serial,
                entry.id,
                entry.step.value,
            )

    def _entry_holding(self, session: Session, serial: int) -> IssuanceJournal | None:
        """The unfinished entry whose received certificate has this serial. Unfinished entries
        are few (one or two per card in progress), so opening each sealed certificate is cheap and
        keeps the serial out of a plain column."""
        for entry in journal.unfinished(session):
            if entry.sealed_certificate is None:
                continue
            cert = x509.load_der_x509_certificate(entry.open_certificate(self._sealer))
            if cert.serial_number == serial:
                return entry
        return None

    # -- records ------------------------------------------------------------------------------

    def _record(
        self, session: Session, notice: InboxMessage, action: str, details: Mapping[str, DetailValue]
    ) -> None:
        append_audit(
            session,
            actor=ACTOR,
            action=action,
            subject=f"notice:{notice.msg_id}",
            details={"seq": notice.server_seq, **details},
            now=self._clock(),
        )

    def _rejected(self, session: Session, notice: InboxMessage, why: str) -> None:
        log.error("notice %s (%s) rejected: %s", notice.msg_id, notice.kind, why)
        self._record(session, notice, "notice.rejected", {"kind": notice.kind, "why": why})
