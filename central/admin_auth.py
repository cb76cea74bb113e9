"""Card-administration authorisations: the central computes the card's response for exactly one
operation on exactly one card, and only when an accepted application on that card names it
(docs/card-admin.md §1: "nothing administrative happens without an authorisation bound to this
card and this one operation").

Checks, in order (the first failure is the refusal reason):
1. the application exists, is accepted, and is this terminal's;
2. it concerns this card, and the card is 運用中;
3. it names this operation (op + EF; see `central.operations`);
4. a WRITE CERTIFICATE carries the hash of exactly the certificate issued under this application
   for that EF (or of the issuing CA's certificate for the CA EFs);
5. PIN reset / lock, key erasure and face-auth operations: an identity check is recorded;
   an unattended terminal's reset (docs/unattended.md) only under its reset ticket, before the
   ticket expires and before the terminal has reported the attempt's end — the approval is
   good for the visit, not for later;
6. single use: one grant per (application, operation). The same challenge again gets the same
   response (a retried message); a different challenge after a grant is refused — except that
   writing the application's own certificate may be granted again, at most `MAX_WRITE_GRANTS`
   times in all, while that certificate is not confirmed installed: the card was pulled between
   the grant and the write, and writing the same certificate twice unlocks nothing new.

Every request is logged in `admin_authorization`, refusals included (規則 73-3).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from sqlalchemy import select
from sqlalchemy.orm import Session

from appdata.model import Procedure
from cardadmin import (
    CARD_ID_LENGTH,
    CHALLENGE_LENGTH,
    AdminOp,
    AdminOperation,
    compute_response,
    derive_card_key,
)
from cardadmin.operation import AUTH_PIN
from central import applications, operations, registry, terminals, unattended
from central.authority import Authority
from central.enums import ApplicationStatus, AuthorizationOutcome, CardStatus, CertStatus, TerminalMode
from central.models import AdminAuthorization, Application, Certificate

log = logging.getLogger(__name__)

MAX_WRITE_GRANTS = 3  # distinct challenges; a kiosk that lost more answers than this gives up (破棄)
WRITE_AGAIN = "write-again"


@dataclass(frozen=True)
class AuthorizationDecision:
    granted: bool
    response: bytes | None = None
    reason: str | None = None


class _Refusal(Exception):
    def __init__(self, reason: str) -> None:
        self.reason = reason


def _expected_certificate_hash(
    session: Session, authority: Authority, app: Application, target: int
) -> bytes:
    if target in operations.CA_CERT_SLOTS:
        ca_cert = authority.issuer(operations.CA_CERT_SLOTS[target]).cert
        return hashlib.sha256(ca_cert.public_bytes(serialization.Encoding.DER)).digest()
    kind = operations.OWN_CERT_SLOTS[target]
    cert = session.scalars(
        select(Certificate).where(Certificate.application_id == app.id, Certificate.kind == kind)
    ).one_or_none()
    if cert is None or cert.status is not CertStatus.GOOD:
        raise _Refusal("no-such-certificate")
    return hashlib.sha256(cert.der).digest()


def _check(
    session: Session,
    authority: Authority,
    card_id: str,
    operation: AdminOperation,
    *,
    application_id: str,
    terminal_id: str | None,
    now: dt.datetime,
) -> Application:
    app = session.get(Application, application_id)
    if app is None:
        raise _Refusal("no-application")
    if app.status is not ApplicationStatus.APPROVED:
        raise _Refusal("application-not-approved")
    if terminal_id is not None and applications.installer(app) != terminal_id:
        raise _Refusal("other-terminal")
    if app.card_id != card_id:
        raise _Refusal("other-card")
    card = registry.get_card(session, card_id)
    if registry.effective_status(card, now) is not CardStatus.OPERATING:
        raise _Refusal(f"card-{registry.effective_status(card, now).value}")
    if operations.token(operation.op, operation.target) not in app.operations.split():
        raise _Refusal("operation-not-named")
    if operation.op is AdminOp.WRITE_CERTIFICATE and operation.data_hash != _expected_certificate_hash(
        session, authority, app, operation.target
    ):
        raise _Refusal("certificate-hash-mismatch")
    if operations.needs_identity_check(app.kind, operation.op) and app.identity_checked_at is None:
        raise _Refusal("identity-not-checked")
    _check_unattended(session, app, terminal_id, now)
    return app


def _check_unattended(session: Session, app: Application, terminal_id: str | None, now: dt.datetime) -> None:
    """An unattended reset is authorised only during its visit: under its ticket, before the
    ticket expires and before the terminal reported how the attempt ended."""
    ticket = unattended.ticket_of_application(session, app.id)
    if ticket is None:
        if (
            terminal_id is not None
            and terminals.get_terminal(session, terminal_id).mode is TerminalMode.UNATTENDED
        ):
            raise _Refusal("not-an-unattended-reset")  # e.g. an application from before its mode
        return
    if ticket.outcome is not None:
        raise _Refusal("attempt-ended")
    if unattended.expired(ticket, now):
        raise _Refusal("ticket-expired")


def authorize(
    session: Session,
    authority: Authority,
    card_id: bytes,
    challenge: bytes,
    operation: AdminOperation,
    *,
    application_id: str,
    now: dt.datetime,
    terminal_id: str | None = None,
) -> AuthorizationDecision:
    """Decide, log, and on a grant compute the response. Does not raise on refusal: the caller
    commits (so the refusal stays logged) and then reports it."""
    if len(card_id) != CARD_ID_LENGTH or len(challenge) != CHALLENGE_LENGTH:
        raise ValueError("card id and challenge must be 16 bytes each")
    card_hex, op_hex = card_id.hex(), operation.encode().hex()
    entry = AdminAuthorization(
        application_id=application_id[:64],
        card_id=card_hex,
        terminal_id=terminal_id,
        operation=op_hex,
        challenge=challenge.hex(),
        requested_at=now,
    )
    try:
        app = _check(
            session,
            authority,
            card_hex,
            operation,
            application_id=application_id,
            terminal_id=terminal_id,
            now=now,
        )
        grant = session.scalars(
            select(AdminAuthorization)
            .where(
                AdminAuthorization.application_id == application_id,
                AdminAuthorization.operation == op_hex,
                AdminAuthorization.outcome == AuthorizationOutcome.GRANTED,
            )
            .with_for_update()
        ).one_or_none()
        if grant is not None:
            earlier = _grant_for_challenge(session, application_id, op_hex, challenge.hex())
            if earlier is not None:
                # The same request again (a re-sent message): same answer, nothing new is unlocked.
                entry.outcome = AuthorizationOutcome.REPEATED
                session.add(entry)
                return AuthorizationDecision(True, bytes.fromhex(earlier))
            if not _may_write_again(session, app, operation, op_hex):
                raise _Refusal("already-used")
            entry.outcome, entry.reason = AuthorizationOutcome.REPEATED, WRITE_AGAIN
            entry.response = compute_response(
                derive_card_key(authority.admin_master_key, card_id), card_id, challenge, operation
            ).hex()
            session.add(entry)
            log.info("authorisation granted again (certificate write): application=%s", application_id)
            return AuthorizationDecision(True, bytes.fromhex(entry.response))
    except _Refusal as refusal:
        entry.outcome, entry.reason = AuthorizationOutcome.REFUSED, refusal.reason
        session.add(entry)
        log.warning(
            "authorisation refused: application=%s card=%s op=%s reason=%s",
            application_id,
            card_hex,
            op_hex,
            refusal.reason,
        )
        return AuthorizationDecision(False, reason=refusal.reason)

    response = compute_response(
        derive_card_key(authority.admin_master_key, card_id), card_id, challenge, operation
    )
    entry.outcome, entry.response = AuthorizationOutcome.GRANTED, response.hex()
    session.add(entry)
    session.flush()  # the partial unique index settles a race between two gateways here
    _side_effects(session, authority, app, operation, now)
    log.info("authorisation granted: application=%s card=%s op=%s", application_id, card_hex, op_hex)
    return AuthorizationDecision(True, response)


def _grant_for_challenge(
    session: Session, application_id: str, op_hex: str, challenge_hex: str
) -> str | None:
    """The response already given for this very challenge (first grant or a write-again), if any."""
    return session.scalars(
        select(AdminAuthorization.response).where(
            AdminAuthorization.application_id == application_id,
            AdminAuthorization.operation == op_hex,
            AdminAuthorization.challenge == challenge_hex,
            AdminAuthorization.response.is_not(None),
        )
    ).first()


def _may_write_again(session: Session, app: Application, operation: AdminOperation, op_hex: str) -> bool:
    if operation.op is not AdminOp.WRITE_CERTIFICATE or operation.target not in operations.OWN_CERT_SLOTS:
        return False
    kind = operations.OWN_CERT_SLOTS[operation.target]
    cert = session.scalars(
        select(Certificate).where(Certificate.application_id == app.id, Certificate.kind == kind)
    ).one_or_none()
    if cert is None or cert.installed_at is not None:
        return False
    grants = session.scalars(
        select(AdminAuthorization.id).where(
            AdminAuthorization.application_id == app.id,
            AdminAuthorization.operation == op_hex,
            (AdminAuthorization.outcome == AuthorizationOutcome.GRANTED)
            | (AdminAuthorization.reason == WRITE_AGAIN),
        )
    ).all()
    return len(grants) < MAX_WRITE_GRANTS


def _side_effects(
    session: Session, authority: Authority, app: Application, operation: AdminOperation, now: dt.datetime
) -> None:
    """Registry consequences the central applies when it unlocks the operation that causes them."""
    if app.card_id is None:  # _check matched it against the card; kept for the type checker
        return
    if operation.op is AdminOp.LOCK_PIN and operation.target == AUTH_PIN:
        # The card is about to become a face-auth card: no valid signing certificate may remain
        # (要綱 4条の3-7). Revoking before the lock errs on the safe side if the card write fails.
        registry.switch_to_face_auth(session, authority, app.card_id, now)
    elif (
        app.kind is Procedure.PIN_RESET and operation.op is AdminOp.RESET_PIN and operation.target == AUTH_PIN
    ):
        registry.clear_face_auth(session, app.card_id, now)  # 要綱 4-3, 4-11
