"""Application intake: open the envelope, decide, store the envelope as received.

The decrypted content lives only in memory for the duration of a call: the row keeps the JWE,
its digest, and the few non-personal fields the ledger, the authorisation checks and staff need
(procedure, card id, fee, operations named, identity-check time and method code, a disclosure
request's kind, what a suspension release revoked). Logs carry ids and codes only.

Acceptance is decided here, once: an accepted ("approved") application is what certificates
and card-administration authorisations may later refer to. A refused one is kept as well (with
its refusal code and rule) because applications are retained for 15 years (要綱 7).

An unattended terminal's PIN reset comes with its proof (appdata.unattended.ResetProof) and is
decided by `central.reset_proof` instead of the counter's rules; it uses up its reset ticket.

Two procedures are complete on receipt. 一時停止解除 (a lost card found): accepting it revokes
the card's held certificates and puts the card back in operation, in the same transaction
(要領 第4-3, 要綱 5-2); new certificates follow on their own application. 開示・訂正請求: only
recorded, for staff to act on (`list_applications`, `central applications`); it names no card
operation and changes no certificate. Both need the identity check in the payload.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from appdata import envelope
from appdata.model import ApplicationData, DisclosureKind, IdentityMethod, Procedure, Representation
from appdata.unattended import ResetProof
from central import operations, policy, registry, reset_proof, terminals, unattended
from central.authority import Authority
from central.certstore import serial_key
from central.enums import ApplicationStatus, CardStatus, CertKind, Fee
from central.errors import (
    ApplicationRejected,
    Conflict,
    EnvelopeError,
    NotFound,
    PolicyViolation,
    TerminalNotPermitted,
)
from central.models import Application, Card, Certificate
from central.registry import effective_status
from central.timeutil import jst_day, start_of_jst_day

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ApplicationRecord:
    """The non-personal view of an application (what the front end answers with, and what the
    staff listing shows)."""

    id: str
    kind: Procedure
    status: ApplicationStatus
    rejection: str | None
    terminal_id: str
    municipality: str
    card_id: str | None
    operations: tuple[str, ...]
    identity_checked: bool
    received_at: dt.datetime
    identity_method: str | None = None
    disclosure_kind: DisclosureKind | None = None  # 開示・訂正請求: which of the two
    revoked: tuple[tuple[CertKind, str], ...] = ()  # 一時停止解除: (kind, serial) its acceptance revoked

    @property
    def approved(self) -> bool:
        return self.status is ApplicationStatus.APPROVED

    @classmethod
    def of(cls, row: Application) -> ApplicationRecord:
        return cls(
            row.id,
            row.kind,
            row.status,
            row.rejection,
            row.terminal_id,
            row.municipality_code,
            row.card_id,
            tuple(row.operations.split()),
            row.identity_checked_at is not None,
            row.received_at,
            row.identity_method,
            row.disclosure_kind,
            tuple(_parse_revoked(row.revoked_certificates)),
        )


def revoked_text(revoked: Iterable[tuple[CertKind, str]]) -> str:
    """(kind, serial) pairs as the row keeps them and staff read them: "kind:serial", spaced."""
    return " ".join(f"{kind.value}:{serial}" for kind, serial in revoked)


def _parse_revoked(text: str) -> list[tuple[CertKind, str]]:
    pairs = [token.split(":", 1) for token in text.split()]
    return [(CertKind(kind), serial) for kind, serial in pairs]


def holder_facts(data: ApplicationData) -> policy.Holder:
    rep = data.representative
    return policy.Holder(
        birth_date=data.applicant.birth_date,
        adult_ward=data.adult_ward,
        legal_representative=rep.kind is Representation.LEGAL,
        legal_exception=rep.legal_exception,
        face_card=data.face_card,
    )


def card_facts(card: Card, now: dt.datetime) -> policy.CardFacts:
    return policy.CardFacts(effective_status(card, now), card.expiry, card.face_auth)


def _evaluate_issuance(
    data: ApplicationData, facts: policy.CardFacts, applied: dt.date, today: dt.date
) -> None:
    if not data.certificates:
        raise PolicyViolation("nothing-requested", "要綱 2")
    policy.check_card(facts, today)
    holder = holder_facts(data)
    policy.check_applicant(holder, applied)
    for name in data.certificates:
        policy.check_kind(CertKind(name), holder, facts, applied)


def _evaluate_revocation(session: Session, data: ApplicationData, card: Card) -> None:
    if not data.serials:
        raise PolicyViolation("no-serial", "要綱 3 (the certificate is identified by its serial)")
    for serial in data.serials:
        cert = session.get(Certificate, serial_key(serial))
        if cert is None or cert.card_id != card.card_id:
            raise PolicyViolation("serial-not-on-card", "要綱 3")


def _require_operating(facts: policy.CardFacts) -> None:
    if facts.status is not CardStatus.OPERATING:
        raise PolicyViolation(f"card-{facts.status.value}", policy.RULE_CARD_SUSPENDED)


def _require_identity_check(data: ApplicationData, rule: str) -> None:
    """For procedures the central completes on receipt: no later `record_identity_check` can count."""
    if data.identity_check is None:
        raise PolicyViolation("identity-not-checked", rule)


def _evaluate_release(data: ApplicationData, facts: policy.CardFacts, applied: dt.date) -> None:
    policy.check_release(facts, holder_facts(data), applied)
    if data.certificates:
        # The combined paper form aside, new certificates go on their own application, sent once
        # the card is 運用中 again: only that one can name the card operations they need.
        raise PolicyViolation("issuance-needs-own-application", policy.RULE_RELEASE_NEW)
    _require_identity_check(data, policy.RULE_RELEASE_IDENTITY)


def _evaluate(
    session: Session, data: ApplicationData, card: Card | None, applied: dt.date, now: dt.datetime
) -> None:
    """Raise PolicyViolation if the central will not act on this application."""
    if card is None:
        raise PolicyViolation("unknown-card", "要領 第2-1 (運用状況の確認)")
    facts = card_facts(card, now)
    procedure = data.procedure
    if procedure.issues_certificates:
        _evaluate_issuance(data, facts, applied, jst_day(now))
    elif procedure in (Procedure.REVOCATION, Procedure.KEY_COMPROMISE):
        _evaluate_revocation(session, data, card)
    elif procedure is Procedure.PIN_RESET:
        if not data.pin_targets:
            raise PolicyViolation("no-pin-named", "要綱 4")
        _require_operating(facts)
    elif procedure is Procedure.FACE_AUTH_SWITCH:
        _require_operating(facts)
        if policy.age_on(data.applicant.birth_date, applied) < policy.SPECIFIC_AGE:
            raise PolicyViolation("face-card-infant", policy.RULE_FACE_INFANT)
    elif procedure is Procedure.SUSPENSION_RELEASE:
        _evaluate_release(data, facts, applied)
    elif procedure is Procedure.DISCLOSURE:
        # About 機構's records of the person, not the card: any card status (abolished and expired
        # cards too, as the kiosk offers it); nothing is done to card or certificates.
        _require_identity_check(data, policy.RULE_DISCLOSURE_IDENTITY)


def receive_application(
    session: Session,
    authority: Authority,
    sealed: str,
    *,
    terminal_id: str,
    now: dt.datetime,
    proof: ResetProof | None = None,
    settings: unattended.UnattendedSettings = unattended.DEFAULT_SETTINGS,
) -> ApplicationRecord:
    """Accept (or refuse and keep) one sealed application from `terminal_id`; `proof` is what an
    unattended terminal sends beside its PIN reset (`settings`: the central's face maximum).

    Raises EnvelopeError if the envelope cannot be trusted (nothing is stored then: its content,
    even its application id, is unauthenticated), Conflict if the application id was used with
    a different envelope, TerminalNotPermitted (nothing stored) if the terminal's mode does not
    allow the application. An identical envelope sent again returns the stored record.
    """
    terminal = terminals.get_terminal(session, terminal_id)
    try:
        opened = envelope.open_application(
            sealed,
            decryption_key=authority.encryption_key,
            terminal_key=lambda kid: terminals.verification_key(session, kid, now),
            now=now,
            expected_terminal_id=terminal_id,
        )
    except envelope.EnvelopeInvalid as exc:
        log.warning("terminal %s: envelope refused: %s", terminal_id, exc)
        raise EnvelopeError(str(exc)) from None
    data = opened.data
    existing = session.get(Application, data.application_id)
    if existing is not None:
        if existing.envelope_sha256 == opened.envelope_sha256 and existing.terminal_id == terminal_id:
            return ApplicationRecord.of(existing)
        raise Conflict(f"application id {data.application_id} is in use")
    try:
        reset_proof.check_terminal_mode(terminal, data, proof)
    except TerminalNotPermitted:
        log.warning(
            "terminal %s: application %s refused for the terminal's mode", terminal_id, data.application_id
        )
        raise
    releasing = data.procedure is Procedure.SUSPENSION_RELEASE
    # A release changes the card: locked from the decision to the change (PostgreSQL; SQLite's
    # BEGIN IMMEDIATE already serialises writers).
    card = session.get(Card, data.card_id, with_for_update=releasing)
    ticket = unattended.find_ticket(session, proof.ticket_id, for_update=True) if proof is not None else None
    applied = jst_day(opened.issued_at)
    status, rejection, refusal, ops = ApplicationStatus.APPROVED, None, None, ""
    try:
        if proof is not None:
            reset_proof.check_reset(
                session, data, proof, ticket, card, terminal_id=terminal_id, now=now, settings=settings
            )
        else:
            _evaluate(session, data, card, applied, now)
        ops = " ".join(operations.named_operations(data.procedure, data))
    except PolicyViolation as exc:
        status, rejection, refusal = ApplicationStatus.REJECTED, f"{exc.code} ({exc.rule})", exc.code
    revoked = ""
    if releasing and status is ApplicationStatus.APPROVED and card is not None:
        # 要領 第4-3: accepting the release *is* the revocation of the held certificates.
        released = registry.release_card(session, authority, card.card_id, now)
        revoked = revoked_text((c.kind, c.serial) for c in released)
    row = Application(
        id=data.application_id,
        terminal_id=terminal_id,
        municipality_code=terminal.municipality_code,
        card_id=card.card_id if card is not None else None,
        kind=data.procedure,
        status=status,
        rejection=rejection,
        envelope=sealed,
        envelope_sha256=opened.envelope_sha256,
        signer_serial=terminals.current_certificate(session, terminal_id).serial,
        fee=Fee.PAID if data.fee_paid else Fee.FREE,
        fee_yen=data.fee_yen,
        operations=ops,
        identity_checked_at=now if data.identity_check is not None else None,
        identity_method=data.identity_check.method.value if data.identity_check is not None else None,
        disclosure_kind=data.disclosure_kind,
        revoked_certificates=revoked,
        signed_at=opened.issued_at,
        expires_at=opened.expires_at,
        received_at=now,
    )
    session.add(row)
    session.flush()
    if proof is not None:
        reset_proof.settle_ticket(
            ticket,
            application_id=row.id,
            terminal_id=terminal_id,
            card_id=data.card_id,
            refusal=refusal,
            now=now,
        )
    log.info(
        "application %s (%s) from terminal %s: %s%s%s",
        row.id,
        row.kind.value,
        terminal_id,
        status.value,
        f" {rejection}" if rejection else "",
        f", revoked {revoked}" if revoked else "",
    )
    return ApplicationRecord.of(row)


def list_applications(
    session: Session,
    *,
    kind: Procedure | None = None,
    status: ApplicationStatus | None = None,
    municipality: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> list[ApplicationRecord]:
    """Received applications, oldest first, for staff (e.g. the 開示・訂正請求 to act on).
    `since` / `until` are inclusive JST days of receipt. Identifiers and codes only."""
    # The stored envelopes are not needed for the listing: not loaded (15 years of them).
    query = select(Application).options(defer(Application.envelope))
    query = query.order_by(Application.received_at, Application.id)
    if kind is not None:
        query = query.where(Application.kind == kind)
    if status is not None:
        query = query.where(Application.status == status)
    if municipality is not None:
        query = query.where(Application.municipality_code == municipality)
    if since is not None:
        query = query.where(Application.received_at >= start_of_jst_day(since))
    if until is not None:
        query = query.where(Application.received_at < start_of_jst_day(until + dt.timedelta(days=1)))
    return [ApplicationRecord.of(row) for row in session.scalars(query)]


def installer(app: Application) -> str:
    """The terminal that writes the application's certificates: the requesting one, unless the
    issuance was handed over to the terminal where the card came back (central/handover.py)."""
    return app.installer_terminal_id or app.terminal_id


def get_application(session: Session, application_id: str, *, for_update: bool = False) -> Application:
    row = session.get(Application, application_id, with_for_update=for_update)
    if row is None:
        raise NotFound(f"application {application_id}")
    return row


def record_identity_check(
    session: Session,
    application_id: str,
    method: IdentityMethod,
    now: dt.datetime,
    *,
    terminal_id: str | None = None,
) -> ApplicationRecord:
    """The terminal confirmed the holder (e.g. the face check of 規則 64条の5 at a kiosk)."""
    row = get_application(session, application_id, for_update=True)
    if terminal_id is not None and row.terminal_id != terminal_id:
        raise ApplicationRejected(f"application {application_id} belongs to another terminal")
    if row.status is not ApplicationStatus.APPROVED:
        raise ApplicationRejected(f"application {application_id} is {row.status.value}")
    if row.identity_checked_at is None:
        row.identity_checked_at = now
        row.identity_method = method.value
        log.info("application %s: identity checked (%s)", application_id, method.value)
    return ApplicationRecord.of(row)


def open_stored(session: Session, authority: Authority, row: Application) -> ApplicationData:
    """Decrypt an accepted application again, verified against the certificate that signed it then.

    The signature is checked with the signer certificate recorded at receipt, not the terminal's
    current one: a renewed terminal certificate must not orphan its earlier applications.
    """
    signer = session.get(Certificate, row.signer_serial)
    if signer is None:
        raise NotFound(f"signer certificate {row.signer_serial}")
    key = x509.load_der_x509_certificate(signer.der).public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise EnvelopeError(f"signer certificate {row.signer_serial} has no RSA key")

    def signer_key(kid: str) -> rsa.RSAPublicKey:
        if kid != row.terminal_id:
            raise LookupError(kid)
        return key

    try:
        opened = envelope.open_application(
            row.envelope,
            decryption_key=authority.encryption_key,
            terminal_key=signer_key,
            now=row.received_at,
            expected_terminal_id=row.terminal_id,
            check_expiry=False,
        )
    except envelope.EnvelopeInvalid as exc:
        raise EnvelopeError(f"stored application {row.id} no longer opens: {exc}") from None
    if opened.envelope_sha256 != row.envelope_sha256 or opened.application_id != row.id:
        raise EnvelopeError(f"stored application {row.id} does not match its record")
    return opened.data
