"""The steps of one certificate's issuance, each its own committed transaction.

    request_certificate ─► (relay: 機構's cp, `kiosk.flows.responses`) ─► install:
        write_certificate ─► read_back ─► send_confirmation
    or, when the certificate will never be installed: revoke_as_destroyed (破棄)

A crash, a pulled card or a dead link between two steps leaves the journal where the last commit
put it, and the recovery worker (`kiosk.flows.recovery`) continues from there. Messages are only
built and protected here (no network I/O, none inside a transaction); the relay delivers them.
The one online exchange is the card write's authorisation, which the card itself asks for.
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy.orm import Session, sessionmaker

import lcmp
from cardadmin import AdminOperation
from kiosk.flows import exchanges
from kiosk.flows.ports import CARD_KEYS, ITEM_KINDS, CentralPort, PresentCard
from kiosk.reader.admin import AdminAuthorizer, ChallengeResponseIssuer
from kiosk.reader.errors import DataNotFound, SecurityStatusNotSatisfied
from kiosk.reader.jpki import CertSlot, JpkiKey
from kiosk.store.models import CertificateKind, Fee, IssuanceStep
from kiosk.store.sealed import Sealer
from kiosk.sync import journal
from kiosk.sync.central import AuthorizationRefused
from kiosk.sync.outbox import Outgoing
from lcmp import jpki_items

log = logging.getLogger(__name__)

# The CA dates a certificate from the moment it signs it; a kiosk clock this far behind must not
# make a fresh certificate look "not yet valid" (the central accepts the same skew on messages).
CLOCK_SKEW: Final = timedelta(minutes=10)


class WrongCard(Exception):
    """The card at hand is not the card the certificate was requested for."""


class CertificateNotWritable(Exception):
    """The certificate no longer fits the card (another key in the slot, or its validity is over)."""


def can_write(
    certificate: x509.Certificate, now: datetime, card_key: rsa.RSAPublicKey | None, *, card_here: bool
) -> bool:
    """Whether the certificate may still go onto its card: within its validity and, when that card
    is here, certifying the key the card now holds for it (`card_key` None: no key there). Without
    the card only the validity can be judged — the journal's table asks no more then."""
    if not certificate.not_valid_before_utc - CLOCK_SKEW <= now <= certificate.not_valid_after_utc:
        return False
    return not card_here or (card_key is not None and certificate.public_key() == card_key)


def card_key(card: PresentCard, key: JpkiKey, authorizer: AdminAuthorizer) -> rsa.RSAPublicKey | None:
    """The public key the card holds now (READ PUBLIC KEY needs no authorisation); None if none."""
    try:
        return ChallengeResponseIssuer(card.jpki, authorizer).read_public_key(key)
    except DataNotFound:
        return None


def request_certificate(
    sessions: sessionmaker[Session],
    link: CentralPort,
    *,
    application_id: uuid.UUID,
    application_number: int,
    card_id: str,
    cert_kind: CertificateKind,
    csr: x509.CertificateSigningRequest,
    now: datetime,
    fee: Fee = Fee.FREE,
    fee_yen: int = 0,
) -> uuid.UUID:
    """The card-signed CSR as a p10cr (explicit confirmation: certConf only after the read-back)
    and a journal entry at REQUESTED, committed together. Returns the entry's id.

    `fee` / `fee_yen`: what the office collected for this certificate (the ledger's 有償 / 無償);
    checked before the card-signed request is protected, so a wrong amount costs nothing."""
    journal.check_fee(fee, fee_yen)
    p10cr = link.client.prepare_p10cr(
        csr,
        implicit_confirm=False,
        general_info=(
            jpki_items.integer_item(jpki_items.APPLICATION_NUMBER, application_number),
            jpki_items.integer_item(jpki_items.CERTIFICATE_KIND, ITEM_KINDS[cert_kind]),
        ),
    )
    transaction_id = lcmp.decode(p10cr).header.transaction_id
    with sessions.begin() as session:
        entry = journal.start_issuance(
            session,
            application_id=application_id,
            card_id=card_id,
            cert_kind=cert_kind,
            request=Outgoing(exchanges.P10CR, p10cr),
            transaction_id=transaction_id,
            now=now,
            fee=fee,
            fee_yen=fee_yen,
        )
        return entry.id


@dataclass(frozen=True)
class _Issued:
    """What a card step needs of its entry, read in one short transaction."""

    der: bytes
    application: int | str  # `exchanges.application_ref`
    key: JpkiKey


def _issued(
    sessions: sessionmaker[Session],
    sealer: Sealer,
    entry_id: uuid.UUID,
    card: PresentCard,
    step: IssuanceStep,
) -> _Issued:
    with sessions.begin() as session:
        entry = journal.get(session, entry_id)
        if entry.step is not step:
            raise journal.JournalError(f"issuance {entry_id} is at {entry.step.value}, not {step.value}")
        if entry.card_id != card.card_id:
            raise WrongCard(f"issuance {entry_id} is for another card")
        return _Issued(
            entry.open_certificate(sealer),
            exchanges.application_ref(session, entry),
            CARD_KEYS[CertificateKind(entry.cert_kind)],
        )


def on_card(card: PresentCard, slot: CertSlot) -> bytes | None:
    """The slot's certificate DER (b"" if empty); None for the signing slot while the sign PIN is
    not verified — the card will not show it (it names the holder), e.g. on a recovery insertion."""
    try:
        return card.jpki.read_certificate_der(slot)
    except SecurityStatusNotSatisfied:
        if slot is not CertSlot.SIGN:
            raise
        return None


def _note_attempt(sessions: sessionmaker[Session], entry_id: uuid.UUID, now: datetime) -> None:
    with sessions.begin() as session:
        journal.note_write_attempt(session, entry_id, now=now)


class _AttemptCounting:
    """Commits the write attempt once the central has answered the authorisation, before the
    write command goes to the card: a crash or a pull during the write still counts, while an
    unreachable central (nothing was authorised, nothing written) does not use up attempts. A
    refusal counts: asking again would only be refused again."""

    def __init__(self, inner: AdminAuthorizer, note: Callable[[], None]) -> None:
        self.inner = inner
        self.note = note

    def authorize(self, card_id: bytes, challenge: bytes, operation: AdminOperation) -> bytes:
        try:
            response = self.inner.authorize(card_id, challenge, operation)
        except AuthorizationRefused:
            self.note()
            raise
        self.note()
        return response


def write_certificate(
    sessions: sessionmaker[Session], sealer: Sealer, entry_id: uuid.UUID, card: PresentCard, *, now: datetime
) -> None:
    """CERTIFICATE_RECEIVED → WRITTEN_TO_CARD, after checking the certificate still fits the card.

    A slot that already holds exactly this certificate (a write whose record a crash lost) is not
    written again: that would need a second authorisation for nothing."""
    issued = _issued(sessions, sealer, entry_id, card, IssuanceStep.CERTIFICATE_RECEIVED)
    certificate = x509.load_der_x509_certificate(issued.der)
    authorizer = card.authorizer_for(issued.application)
    if not can_write(certificate, now, card_key(card, issued.key, authorizer), card_here=True):
        raise CertificateNotWritable(f"issuance {entry_id}: certificate does not fit the card")
    slot = issued.key.certificate
    if on_card(card, slot) != issued.der:  # unreadable (None) counts as different: write
        counting = _AttemptCounting(authorizer, functools.partial(_note_attempt, sessions, entry_id, now))
        ChallengeResponseIssuer(card.jpki, counting).write_certificate(slot, issued.der)
    with sessions.begin() as session:
        journal.record_written(session, entry_id, now=now)
    log.info("issuance %s: certificate written to the card", entry_id)


def read_back(
    sessions: sessionmaker[Session], sealer: Sealer, entry_id: uuid.UUID, card: PresentCard, *, now: datetime
) -> bool:
    """WRITTEN_TO_CARD → READ_BACK if the card holds exactly the issued certificate (True), else back
    to CERTIFICATE_RECEIVED to write again (False)."""
    issued = _issued(sessions, sealer, entry_id, card, IssuanceStep.WRITTEN_TO_CARD)
    der = on_card(card, issued.key.certificate)
    with sessions.begin() as session:
        if der is None:
            journal.record_card_checked_write(session, entry_id, now=now)
            log.info(
                "issuance %s: signing slot unreadable without the PIN; the card checked the write", entry_id
            )
            return True
        same = journal.record_read_back(session, entry_id, der, sealer, now=now)
    if not same:
        log.warning("issuance %s: certificate read back differs from the one issued", entry_id)
    return same


def send_confirmation(
    sessions: sessionmaker[Session], sealer: Sealer, link: CentralPort, entry_id: uuid.UUID, *, now: datetime
) -> None:
    """READ_BACK → CONFIRMED with the certConf in the outbox, in one transaction. No card needed.
    A certificate handed over to this terminal is confirmed by a genm naming it instead: the
    certConf belongs to the requesting terminal's transaction."""
    with sessions.begin() as session:
        entry = journal.get(session, entry_id)
        certificate = x509.load_der_x509_certificate(entry.open_certificate(sealer))
        if entry.taken_over is not None:
            installed = link.client.prepare_genm(
                (
                    jpki_items.application_item(entry.taken_over),
                    jpki_items.integer_item(jpki_items.INSTALLED_SERIAL, certificate.serial_number),
                )
            )
            journal.confirm(session, entry_id, Outgoing(exchanges.INSTALLED, installed), now=now)
        else:
            exchange = exchanges.certificate_exchange(session, entry)
            conf = exchanges.cert_conf(exchange, certificate, link.protector)
            journal.confirm(session, entry_id, Outgoing(exchanges.CERT_CONF, conf), now=now)
    log.info("issuance %s: confirmed", entry_id)


def install(
    sessions: sessionmaker[Session],
    sealer: Sealer,
    link: CentralPort,
    entry_id: uuid.UUID,
    card: PresentCard,
    *,
    now: datetime,
) -> IssuanceStep:
    """Write, read back, confirm. Returns CONFIRMED, or CERTIFICATE_RECEIVED after a read-back
    mismatch (the recovery worker decides whether to write again)."""
    write_certificate(sessions, sealer, entry_id, card, now=now)
    if not read_back(sessions, sealer, entry_id, card, now=now):
        return IssuanceStep.CERTIFICATE_RECEIVED
    send_confirmation(sessions, sealer, link, entry_id, now=now)
    return IssuanceStep.CONFIRMED


def revocation_request(link: CentralPort, certificate: x509.Certificate, application: int | str) -> bytes:
    """rr for a certificate of this application that will never be installed: 機構 revokes it ex
    officio and counts it as 破棄 (cessationOfOperation, 要領 ケ(カ))."""
    return link.client.prepare_rr(
        certificate.issuer,
        certificate.serial_number,
        x509.ReasonFlags.cessation_of_operation,
        general_info=(jpki_items.application_item(application),),
    )


def revoke_as_destroyed(
    sessions: sessionmaker[Session],
    sealer: Sealer,
    link: CentralPort,
    entry_id: uuid.UUID,
    *,
    reason: str,
    now: datetime,
) -> None:
    """→ REVOKED_AS_DESTROYED with the rr in the outbox, in one transaction. `reason` is a short
    fixed phrase, never personal data."""
    with sessions.begin() as session:
        entry = journal.get(session, entry_id)
        certificate = x509.load_der_x509_certificate(entry.open_certificate(sealer))
        rr = revocation_request(link, certificate, exchanges.application_ref(session, entry))
        journal.revoke_as_destroyed(session, entry_id, Outgoing(exchanges.RR, rr), reason=reason, now=now)
    log.warning("issuance %s: revoked as destroyed (%s)", entry_id, reason)
