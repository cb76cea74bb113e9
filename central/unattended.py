"""Unattended PIN reset at the central (docs/unattended.md): reset tickets, their limits, the
outcome the terminal reports, and the record of attempts staff read.

A ticket is the central's permission for one attempt: one card, one PIN, one terminal, ten
minutes. It carries a random nonce that the card signs with the *other* PIN's key, so the
central checks that PIN itself instead of taking the terminal's word (central/reset_proof.py).

Every ticket request is recorded, granted or refused: the refused row is the record of why
(retained with the PIN forms, 10 years: 要綱 7). The nonce, the card's signature and the face
data never reach a log; card ids appear as elsewhere in the central's logs.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import secrets
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from appdata.unattended import NONCE_BYTES, PROOF_KEY, Refusal, ResetOutcome, TicketAnswer, TicketRequest
from central import terminals
from central.enums import (
    ApplicationStatus,
    AuthorizationOutcome,
    CardStatus,
    CertKind,
    CertStatus,
    ResetOutcomeKind,
    TerminalMode,
    TicketState,
)
from central.errors import Conflict, NotFound, TerminalNotPermitted
from central.models import AdminAuthorization, Application, Card, Certificate, ResetTicket, Terminal
from central.registry import effective_status
from central.timeutil import start_of_jst_day, whole_seconds

log = logging.getLogger(__name__)

TICKET_ID_BYTES = 16  # 128 random bits, as hex: the ticket id is unguessable, not only unique


@dataclass(frozen=True)
class UnattendedSettings:
    """The limits of the unattended route, in one place (`central serve` options; docs/unattended.md
    "Limits" says why each default).

    Only *opened* tickets count toward the limits: a refused request opens nothing to attempt,
    and counting it would let anyone who knows a card id lock its holder out, and make a
    locked-out resident's retries prolong the lock-out."""

    tickets_per_card: int = 3  # opened in any `card_window`, at any terminal
    card_window: dt.timedelta = dt.timedelta(hours=24)
    tickets_per_terminal: int = 20  # opened at one terminal in any `terminal_window`
    terminal_window: dt.timedelta = dt.timedelta(hours=1)
    ticket_lifetime: dt.timedelta = dt.timedelta(minutes=10)  # the whole visit, ticket to reset
    # The laxest face threshold the central accepts: the kiosk's match_threshold, chosen on the
    # measurements in docs/face-check.md ("Why match_threshold 0.50"). Not a `serve` option:
    # raising it needs new evidence, not a flag.
    max_face_threshold: float = 0.50

    def __post_init__(self) -> None:
        if self.tickets_per_card < 1 or self.tickets_per_terminal < 1:
            raise ValueError(
                "ticket limits are at least 1 (to close the route, register no unattended terminal)"
            )
        for name in ("card_window", "terminal_window", "ticket_lifetime"):
            if getattr(self, name) <= dt.timedelta(0):
                raise ValueError(f"{name.replace('_', ' ')} must be positive")
        if not (math.isfinite(self.max_face_threshold) and 0 < self.max_face_threshold <= 0.6):
            # 0.6: dlib's own same-person radius, laxer than anything docs/face-check.md supports
            raise ValueError("the maximum face threshold lies in (0, 0.6]")


DEFAULT_SETTINGS = UnattendedSettings()


def expired(ticket: ResetTicket, now: dt.datetime) -> bool:
    """A ticket is good from its request up to, not including, `expires_at`."""
    return ticket.expires_at is None or now >= ticket.expires_at


# -- tickets ----------------------------------------------------------------------------------


def proof_certificate(session: Session, card_id: str, kind: CertKind, now: dt.datetime) -> Certificate | None:
    """The card's certificate of `kind` whose key can prove the other PIN: good, in validity and
    confirmed written to the card (an issued but unconfirmed one may never have got there)."""
    return session.scalars(
        select(Certificate)
        .where(Certificate.card_id == card_id, Certificate.kind == kind)
        .where(Certificate.status == CertStatus.GOOD, Certificate.installed_at.is_not(None))
        .where(Certificate.not_before <= now, Certificate.not_after > now)
        .order_by(Certificate.installed_at.desc(), Certificate.serial)
        .limit(1)
    ).one_or_none()


def _opened_since(session: Session, which: ColumnElement[bool], since: dt.datetime) -> int:
    query = (
        select(func.count())
        .select_from(ResetTicket)
        .where(which, ResetTicket.state != TicketState.REFUSED, ResetTicket.requested_at > since)
    )
    return session.scalar(query) or 0


def card_refusal(card: Card | None, now: dt.datetime) -> Refusal | None:
    """Why this card cannot be reset unattended, if it cannot: unknown, not 運用中, or a 顔認証カード
    (whose PINs are reset at the counter: 要綱 4-3, 4-11)."""
    if card is None:
        return Refusal.CARD_UNREGISTERED
    if effective_status(card, now) is not CardStatus.OPERATING:
        return Refusal.CARD_NOT_OPERATING
    if card.face_auth:
        return Refusal.FACE_AUTH_CARD
    return None


def _limit_refusal(
    session: Session, card_id: str, terminal_id: str, now: dt.datetime, settings: UnattendedSettings
) -> Refusal | None:
    by_card = _opened_since(session, ResetTicket.card_id == card_id, now - settings.card_window)
    if by_card >= settings.tickets_per_card:
        return Refusal.RATE_LIMITED_CARD
    terminals.get_terminal(session, terminal_id, for_update=True)
    by_terminal = _opened_since(
        session, ResetTicket.terminal_id == terminal_id, now - settings.terminal_window
    )
    if by_terminal >= settings.tickets_per_terminal:
        return Refusal.RATE_LIMITED_TERMINAL
    return None


def _decide(
    session: Session,
    terminal: Terminal,
    request: TicketRequest,
    now: dt.datetime,
    settings: UnattendedSettings,
) -> Refusal | Certificate:
    """The refusal, or the certificate that is to prove the attempt — checks in the order a
    clerk would give the reasons: this terminal, this card, then the limits."""
    if terminal.mode is not TerminalMode.UNATTENDED:
        return Refusal.TERMINAL_NOT_UNATTENDED
    if not terminals.may_reset(terminal, request.target):
        return Refusal.PIN_NOT_OFFERED
    # Row locks, card before terminal (the order a card suspension takes when it posts notices),
    # serialise two requests for one card, or at one terminal, around their counts.
    card = session.get(Card, request.card_id, with_for_update=True)
    refusal = card_refusal(card, now)
    if refusal is not None or card is None:
        return refusal or Refusal.CARD_UNREGISTERED
    proof = proof_certificate(session, card.card_id, CertKind(PROOF_KEY[request.target]), now)
    if proof is None:
        return Refusal.NO_PROOF_CERTIFICATE
    return _limit_refusal(session, card.card_id, terminal.id, now, settings) or proof


def request_ticket(
    session: Session,
    terminal_id: str,
    request: TicketRequest,
    now: dt.datetime,
    settings: UnattendedSettings = DEFAULT_SETTINGS,
) -> TicketAnswer:
    """Open a ticket, or refuse; either way the request is recorded (in the caller's transaction,
    with the answer the intake stores for a re-sent request)."""
    terminal = terminals.get_terminal(session, terminal_id)
    decision = _decide(session, terminal, request, now, settings)
    row = ResetTicket(
        id=secrets.token_hex(TICKET_ID_BYTES),
        terminal_id=terminal_id,
        municipality_code=terminal.municipality_code,
        card_id=request.card_id,
        target=request.target,
        requested_at=now,
    )
    if isinstance(decision, Refusal):
        row.state, row.refusal = TicketState.REFUSED, decision.value
        session.add(row)
        log.info(
            "terminal %s: reset ticket for card %s (%s PIN) refused: %s",
            terminal_id, request.card_id, request.target, decision.value,
        )  # fmt: skip
        return TicketAnswer(refusal=decision)
    row.state = TicketState.OPEN
    row.nonce = secrets.token_bytes(NONCE_BYTES)
    row.proof_serial = decision.serial
    row.expires_at = whole_seconds(now) + settings.ticket_lifetime
    session.add(row)
    log.info(
        "terminal %s: reset ticket %s opened for card %s (%s PIN, proof certificate %s) until %s",
        terminal_id, row.id, request.card_id, request.target, decision.serial, row.expires_at.isoformat(),
    )  # fmt: skip
    return TicketAnswer(row.id, row.nonce, row.expires_at)


def find_ticket(session: Session, ticket_id: str, *, for_update: bool = False) -> ResetTicket | None:
    """A granted ticket by its id (a refused request's row is no ticket: None for it too)."""
    ticket = session.get(ResetTicket, ticket_id, with_for_update=for_update)
    return None if ticket is None or ticket.state is TicketState.REFUSED else ticket


def ticket_of_application(session: Session, application_id: str) -> ResetTicket | None:
    """The ticket a reset application used, if it came the unattended way."""
    return session.scalars(
        select(ResetTicket).where(ResetTicket.application_id == application_id)
    ).one_or_none()


# -- outcome reports --------------------------------------------------------------------------


def _reset_granted(session: Session, application_id: str | None) -> bool:
    """The application under the ticket was approved and the card's reset authorised: what a
    "completed" report must rest on, since the card cannot be reset otherwise."""
    if application_id is None:
        return False
    app = session.get(Application, application_id)
    if app is None or app.status is not ApplicationStatus.APPROVED:
        return False
    grant = select(AdminAuthorization.id).where(
        AdminAuthorization.application_id == application_id,
        AdminAuthorization.outcome == AuthorizationOutcome.GRANTED,
    )
    return session.scalars(grant.limit(1)).first() is not None


def record_outcome(session: Session, terminal_id: str, report: ResetOutcome, now: dt.datetime) -> ResetTicket:
    """Record how the attempt under a ticket ended. Only the ticket's terminal reports; the same
    report again is accepted as it stands (store-and-forward resends); another report after it
    is a Conflict. A ticket ends here: no application or authorisation under it afterwards."""
    ticket = find_ticket(session, report.ticket_id, for_update=True)
    if ticket is None:
        raise NotFound(f"reset ticket {report.ticket_id}")
    if ticket.terminal_id != terminal_id:
        log.warning(
            "terminal %s reported on reset ticket %s of %s", terminal_id, ticket.id, ticket.terminal_id
        )
        raise TerminalNotPermitted(f"reset ticket {ticket.id} is another terminal's")
    reported = (
        ResetOutcomeKind(report.outcome.value),
        report.reason.value if report.reason is not None else None,
        report.refusal.value if report.refusal is not None else None,
    )
    if ticket.outcome is not None:
        if (ticket.outcome, ticket.outcome_reason, ticket.outcome_refusal) == reported:
            return ticket
        raise Conflict(f"reset ticket {ticket.id}: another outcome is recorded")
    if reported[0] is ResetOutcomeKind.COMPLETED and not _reset_granted(session, ticket.application_id):
        raise Conflict(f"reset ticket {ticket.id}: no approved and authorised reset to have completed")
    ticket.outcome, ticket.outcome_reason, ticket.outcome_refusal = reported
    ticket.reported_at = now
    codes = ", ".join(code for code in reported[1:] if code is not None)
    log.info(
        "terminal %s: reset ticket %s ended %s%s",
        terminal_id,
        ticket.id,
        reported[0].value,
        f" ({codes})" * bool(codes),
    )
    return ticket


# -- the record of attempts -------------------------------------------------------------------


@dataclass(frozen=True)
class ResetAttempt:
    """One row of the attempts listing: identifiers, codes and times, nothing personal."""

    ticket_id: str
    requested_at: dt.datetime
    municipality: str
    terminal_id: str
    card_id: str
    target: str
    state: TicketState
    refusal: str | None  # the central's: of the request, or of the application under the ticket
    expires_at: dt.datetime | None
    application_id: str | None
    application_status: ApplicationStatus | None
    outcome: ResetOutcomeKind | None
    outcome_reason: str | None
    outcome_refusal: str | None
    reported_at: dt.datetime | None

    def status(self, now: dt.datetime) -> str:
        """refused / open / used / expired (granted, no outcome reported, past its expiry) /
        completed / referred (as reported)."""
        if self.outcome is not None:
            return self.outcome.value
        if self.state is TicketState.REFUSED:
            return "refused"
        if self.expires_at is None or now >= self.expires_at:
            return "expired"
        return self.state.value


def list_attempts(
    session: Session,
    *,
    municipality: str | None = None,
    terminal_id: str | None = None,
    card_id: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> list[ResetAttempt]:
    """Reset attempts, oldest first. `municipality` is the terminal's; `since` / `until` are
    inclusive JST days of the request."""
    query = (
        select(ResetTicket, Application.status)
        .outerjoin(Application, Application.id == ResetTicket.application_id)
        .order_by(ResetTicket.requested_at, ResetTicket.id)
    )
    if municipality is not None:
        query = query.where(ResetTicket.municipality_code == municipality)
    if terminal_id is not None:
        query = query.where(ResetTicket.terminal_id == terminal_id)
    if card_id is not None:
        query = query.where(ResetTicket.card_id == card_id)
    if since is not None:
        query = query.where(ResetTicket.requested_at >= start_of_jst_day(since))
    if until is not None:
        query = query.where(ResetTicket.requested_at < start_of_jst_day(until + dt.timedelta(days=1)))
    return [_attempt(ticket, app_status) for ticket, app_status in session.execute(query).all()]


def _attempt(t: ResetTicket, app_status: ApplicationStatus | None) -> ResetAttempt:
    return ResetAttempt(
        t.id, t.requested_at, t.municipality_code, t.terminal_id, t.card_id, t.target, t.state, t.refusal,
        t.expires_at, t.application_id, app_status, t.outcome, t.outcome_reason, t.outcome_refusal,
        t.reported_at,
    )  # fmt: skip
