"""The PIN-reset application of an unattended terminal: what it may send at all, and when the
central approves it (docs/unattended.md, "The reset application").

Two kinds of refusal, on purpose:

- What the terminal's mode does not allow (`check_terminal_mode`): an unattended terminal sending
  anything but a PIN reset proven by the other PIN and the face, or a counter terminal using that
  route. Raised as TerminalNotPermitted before anything is stored: a CMP error, logged — a terminal
  that tries this is misconfigured or not ours.
- Why this attempt fails (`check_reset`): PolicyViolation with an `appdata.unattended.Refusal`
  code, so the application is kept as rejected (the record of why, as every refused application)
  and the kiosk can name the refusal on its screen and in its outcome report.

FIPS 201-3 §2.9.3 is the shape: the card is authenticated (here: the card's signature with the
other PIN's key over the ticket's nonce) **and** the 1:1 biometric match is positive, or there is
no reset. Nothing here logs the signature, the nonce or the face figures.
"""

from __future__ import annotations

import datetime as dt
import logging
import math

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from sqlalchemy.orm import Session

from appdata.model import ApplicationData, IdentityMethod, Procedure
from appdata.unattended import Refusal, ResetProof, proof_message
from central import policy
from central.enums import CertStatus, TerminalMode, TicketState
from central.errors import PolicyViolation, TerminalNotPermitted
from central.models import Card, Certificate, ResetTicket, Terminal
from central.unattended import DEFAULT_SETTINGS, UnattendedSettings, card_refusal, expired

log = logging.getLogger(__name__)

OPERATOR_PRESENT = "unattended-operator"  # not a Refusal: a kiosk that sends one is broken, not refused

# The provision each refusal rests on (docs/unattended.md repeats the table).
REFUSAL_RULES: dict[Refusal, str] = {
    Refusal.TERMINAL_NOT_UNATTENDED: policy.RULE_UNATTENDED,
    Refusal.PIN_NOT_OFFERED: policy.RULE_UNATTENDED,
    Refusal.CARD_UNREGISTERED: policy.RULE_CARD_REGISTERED,
    Refusal.CARD_NOT_OPERATING: policy.RULE_CARD_SUSPENDED,
    Refusal.FACE_AUTH_CARD: policy.RULE_UNATTENDED_FACE_CARD,
    Refusal.NO_PROOF_CERTIFICATE: policy.RULE_UNATTENDED_PROOF,
    Refusal.RATE_LIMITED_CARD: policy.RULE_UNATTENDED_LIMIT,
    Refusal.RATE_LIMITED_TERMINAL: policy.RULE_UNATTENDED_LIMIT,
    Refusal.TICKET_UNKNOWN: policy.RULE_UNATTENDED_TICKET,
    Refusal.TICKET_EXPIRED: policy.RULE_UNATTENDED_TICKET,
    Refusal.TICKET_USED: policy.RULE_UNATTENDED_TICKET,
    Refusal.TICKET_MISMATCH: policy.RULE_UNATTENDED_TICKET,
    Refusal.PROOF_INVALID: policy.RULE_UNATTENDED_PROOF,
    Refusal.FACE_NOT_MATCHED: policy.RULE_UNATTENDED_FACE,
}


def refused(refusal: Refusal, detail: str = "") -> PolicyViolation:
    return PolicyViolation(refusal.value, REFUSAL_RULES[refusal], detail)


def check_terminal_mode(terminal: Terminal, data: ApplicationData, proof: ResetProof | None) -> None:
    """TerminalNotPermitted unless the application fits the terminal's mode."""
    method = data.identity_check.method if data.identity_check is not None else None
    if terminal.mode is TerminalMode.COUNTER:
        if proof is not None or method is IdentityMethod.OTHER_PIN_AND_FACE:
            raise TerminalNotPermitted(
                f"terminal {terminal.id} is a counter terminal: the unattended reset route is not its"
            )
        return
    if data.procedure is not Procedure.PIN_RESET:
        raise TerminalNotPermitted(
            f"unattended terminal {terminal.id} may not apply for {data.procedure.value}"
        )
    if method is not IdentityMethod.OTHER_PIN_AND_FACE:
        shown = method.value if method is not None else "none"
        raise TerminalNotPermitted(f"unattended terminal {terminal.id}: identity method {shown} is not its")
    if proof is None:
        raise TerminalNotPermitted(
            f"unattended terminal {terminal.id}: a reset application carries its proof"
        )


def _check_ticket(
    data: ApplicationData, ticket: ResetTicket | None, terminal_id: str, now: dt.datetime
) -> str:
    """The ticket's target, if the ticket is this attempt's and still good."""
    if ticket is None or ticket.state is TicketState.REFUSED:
        raise refused(Refusal.TICKET_UNKNOWN)
    if ticket.terminal_id != terminal_id or ticket.card_id != data.card_id:
        raise refused(Refusal.TICKET_MISMATCH, "another terminal's or another card's")
    if ticket.state is TicketState.USED or ticket.outcome is not None:
        raise refused(Refusal.TICKET_USED)
    if expired(ticket, now):
        raise refused(Refusal.TICKET_EXPIRED)
    if data.pin_targets != (ticket.target,):
        raise refused(Refusal.TICKET_MISMATCH, "the application resets another PIN than the ticket's")
    return ticket.target


def _proof_key(session: Session, ticket: ResetTicket, now: dt.datetime) -> rsa.RSAPublicKey:
    """The key of the certificate the ticket named, if it still proves anything: good, in
    validity, this card's (a card suspended or renewed since the ticket loses it)."""
    cert = session.get(Certificate, ticket.proof_serial) if ticket.proof_serial is not None else None
    if (
        cert is None
        or cert.card_id != ticket.card_id
        or cert.status is not CertStatus.GOOD
        or cert.installed_at is None
        or not cert.not_before <= now < cert.not_after
    ):
        raise refused(Refusal.NO_PROOF_CERTIFICATE)
    key = x509.load_der_x509_certificate(cert.der).public_key()
    if not isinstance(key, rsa.RSAPublicKey):  # the central issues RSA only (規則 2, 38)
        raise refused(Refusal.NO_PROOF_CERTIFICATE)
    return key


def _check_signature(
    key: rsa.RSAPublicKey, proof: ResetProof, ticket: ResetTicket, target: str, terminal_id: str
) -> None:
    """The card signed this ticket's nonce, for this card, PIN and terminal, with the other key
    (PKCS#1 v1.5 over SHA-256, as the card signs)."""
    assert ticket.nonce is not None  # every granted ticket has one
    message = proof_message(ticket.id, ticket.nonce, ticket.card_id, target, terminal_id)
    try:
        key.verify(proof.signature, message, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        raise refused(Refusal.PROOF_INVALID) from None


def _check_face(proof: ResetProof, settings: UnattendedSettings) -> None:
    """A live match by the kiosk's own decision, at a threshold no laxer than the central's."""
    figures = (proof.face_score, proof.face_threshold)
    if not all(math.isfinite(f) and f >= 0 for f in figures):
        raise refused(Refusal.FACE_NOT_MATCHED, "face figures out of range")
    if proof.face_threshold > settings.max_face_threshold:
        raise refused(Refusal.FACE_NOT_MATCHED, "threshold laxer than the central's maximum")
    if not proof.face_matched:
        raise refused(Refusal.FACE_NOT_MATCHED)


def check_reset(
    session: Session,
    data: ApplicationData,
    proof: ResetProof,
    ticket: ResetTicket | None,
    card: Card | None,
    *,
    terminal_id: str,
    now: dt.datetime,
    settings: UnattendedSettings = DEFAULT_SETTINGS,
) -> None:
    """Raise PolicyViolation (a Refusal code and its rule) unless the central approves this
    unattended PIN reset. `ticket` is the one the proof names (None if there is none)."""
    target = _check_ticket(data, ticket, terminal_id, now)
    assert ticket is not None
    if data.operator:
        raise PolicyViolation(OPERATOR_PRESENT, policy.RULE_UNATTENDED)
    refusal = card_refusal(card, now)
    if refusal is not None:
        raise refused(refusal)
    _check_signature(_proof_key(session, ticket, now), proof, ticket, target, terminal_id)
    _check_face(proof, settings)


def settle_ticket(
    ticket: ResetTicket | None,
    *,
    application_id: str,
    terminal_id: str,
    card_id: str,
    refusal: str | None,
    now: dt.datetime,
) -> None:
    """An application under an open ticket of its own terminal and card uses it up, approved or
    not: one ticket, one attempt. Another terminal naming the ticket changes nothing, and a spent
    ticket keeps its first application."""
    if ticket is None or ticket.terminal_id != terminal_id or ticket.card_id != card_id:
        return
    if ticket.state is not TicketState.OPEN or ticket.outcome is not None:
        return
    ticket.state, ticket.application_id, ticket.used_at, ticket.refusal = (
        TicketState.USED,
        application_id,
        now,
        refusal,
    )
    log.info(
        "reset ticket %s used by application %s%s",
        ticket.id,
        application_id,
        f": {refusal}" if refusal else "",
    )
