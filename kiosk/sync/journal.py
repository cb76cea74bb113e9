"""The issuance journal: what to do next with one certificate's issuance, and the atomic steps.

A certificate passes REQUESTED → CERTIFICATE_RECEIVED → WRITTEN_TO_CARD → READ_BACK → CONFIRMED.
Between any two steps the kiosk may crash, the network may be down for days, or the resident may
walk away with the card. The journal makes every step durable, and `next_action` (pure, table-
tested) decides on restart — or when a card is presented again — how to continue:

| step                 | situation                                   | action                 |
|----------------------|---------------------------------------------|------------------------|
| REQUESTED            | any                                         | WAIT_FOR_CERTIFICATE   |
| CERTIFICATE_RECEIVED | same card here, certificate still writable  | WRITE_CERTIFICATE      |
| CERTIFICATE_RECEIVED | same card here, write attempts used up      | REVOKE_AS_DESTROYED    |
| CERTIFICATE_RECEIVED | certificate no longer writable              | REVOKE_AS_DESTROYED    |
| CERTIFICATE_RECEIVED | card away, within the card wait             | WAIT_FOR_CARD          |
| CERTIFICATE_RECEIVED | card away, card wait over                   | REVOKE_AS_DESTROYED    |
| WRITTEN_TO_CARD      | same card here                              | READ_BACK_AND_CONFIRM  |
| WRITTEN_TO_CARD      | card away, within the card wait             | WAIT_FOR_CARD          |
| WRITTEN_TO_CARD      | card away, card wait over                   | REVOKE_AS_DESTROYED    |
| READ_BACK            | any                                         | SEND_CONFIRMATION      |
| CONFIRMED, ABANDONED, REVOKED_AS_DESTROYED, HANDED_OVER | —       | NOTHING                |

"Writable" is for the caller to establish: the card's key for that slot is still the one the
certificate certifies, and the certificate is within its validity. A written but unconfirmed
certificate whose card never comes back is revoked too: without a read-back nobody knows it is on
a card, and 機構 would revoke an unconfirmed certificate after its confirmWaitTime anyway (CMP).
A revocation for an issued-but-never-installed certificate is the ledger's 破棄 (RULES.md, Records).
When the card comes back to another terminal of the municipality, the central hands the
certificate over (`take_over` there, HANDED_OVER here: kiosk.flows.handover).

The store functions below move one entry forward inside the caller's transaction, together with
the outbox message that step causes (certConf with CONFIRMED, the revocation request with
REVOKED_AS_DESTROYED) and an audit record, so the step and its message are committed together.
"""

from __future__ import annotations

import enum
import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.store.audit import append_audit
from kiosk.store.models import CertificateKind, Fee, IssuanceJournal, IssuanceStep
from kiosk.store.sealed import Sealer
from kiosk.sync.outbox import Outgoing, enqueue_outgoing

# --- pure decision --------------------------------------------------------------------------------


class RecoveryAction(enum.Enum):
    WAIT_FOR_CERTIFICATE = "wait_for_certificate"  # 機構 has not answered; nothing to do here
    WAIT_FOR_CARD = "wait_for_card"  # resume when the same card is presented again
    WRITE_CERTIFICATE = "write_certificate"
    READ_BACK_AND_CONFIRM = "read_back_and_confirm"
    SEND_CONFIRMATION = "send_confirmation"  # certConf through the outbox; no card needed
    REVOKE_AS_DESTROYED = "revoke_as_destroyed"  # give up: request revocation, record as 破棄
    NOTHING = "nothing"


@dataclass(frozen=True)
class RecoveryPolicy:
    # How long an issued certificate waits for its card to come back. A policy choice (the rules
    # name no figure); it must stay below 機構's confirmWaitTime for our certConf to be accepted.
    card_wait: timedelta = timedelta(days=14)
    max_write_attempts: int = 3


@dataclass(frozen=True)
class RecoveryInput:
    step: IssuanceStep
    age: timedelta  # since the entry last advanced
    same_card_present: bool
    can_write: bool  # the certificate still fits the card's key and its validity
    attempts: int = 0  # card writes tried so far


DEFAULT_POLICY: Final = RecoveryPolicy()
# Steps an entry never leaves (also the console's pending view's filter).
FINAL_STEPS: Final = frozenset(
    {
        IssuanceStep.CONFIRMED,
        IssuanceStep.ABANDONED,
        IssuanceStep.REVOKED_AS_DESTROYED,
        IssuanceStep.HANDED_OVER,
    }
)


def next_action(state: RecoveryInput, policy: RecoveryPolicy = DEFAULT_POLICY) -> RecoveryAction:
    step = state.step
    card_gone_for_good = not state.same_card_present and state.age >= policy.card_wait
    if step in FINAL_STEPS:
        action = RecoveryAction.NOTHING
    elif step is IssuanceStep.REQUESTED:
        action = RecoveryAction.WAIT_FOR_CERTIFICATE
    elif step is IssuanceStep.READ_BACK:
        action = RecoveryAction.SEND_CONFIRMATION
    elif step is IssuanceStep.CERTIFICATE_RECEIVED:
        unwritable = not state.can_write or state.attempts >= policy.max_write_attempts
        if unwritable or card_gone_for_good:
            action = RecoveryAction.REVOKE_AS_DESTROYED
        elif state.same_card_present:
            action = RecoveryAction.WRITE_CERTIFICATE
        else:
            action = RecoveryAction.WAIT_FOR_CARD
    elif step is IssuanceStep.WRITTEN_TO_CARD:
        if card_gone_for_good:
            action = RecoveryAction.REVOKE_AS_DESTROYED
        elif state.same_card_present:
            action = RecoveryAction.READ_BACK_AND_CONFIRM
        else:
            action = RecoveryAction.WAIT_FOR_CARD
    else:
        raise ValueError(f"unknown step {step!r}")
    return action


# --- transitions ----------------------------------------------------------------------------------

ALLOWED: Final[dict[IssuanceStep, frozenset[IssuanceStep]]] = {
    IssuanceStep.REQUESTED: frozenset({IssuanceStep.CERTIFICATE_RECEIVED, IssuanceStep.ABANDONED}),
    IssuanceStep.CERTIFICATE_RECEIVED: frozenset(
        {IssuanceStep.WRITTEN_TO_CARD, IssuanceStep.REVOKED_AS_DESTROYED, IssuanceStep.HANDED_OVER}
    ),
    IssuanceStep.WRITTEN_TO_CARD: frozenset(
        # back to CERTIFICATE_RECEIVED when the read-back differs: write again
        {
            IssuanceStep.READ_BACK,
            IssuanceStep.CERTIFICATE_RECEIVED,
            IssuanceStep.REVOKED_AS_DESTROYED,
            IssuanceStep.HANDED_OVER,
        }
    ),
    IssuanceStep.READ_BACK: frozenset({IssuanceStep.CONFIRMED}),
    # a certificate arriving for an abandoned request was issued after all: revoke it as 破棄
    IssuanceStep.ABANDONED: frozenset({IssuanceStep.REVOKED_AS_DESTROYED}),
    IssuanceStep.CONFIRMED: frozenset(),
    IssuanceStep.REVOKED_AS_DESTROYED: frozenset(),
    IssuanceStep.HANDED_OVER: frozenset(),
}


class JournalError(RuntimeError):
    """A step the journal does not allow from where the entry stands (a bug or a stale screen)."""


ACTOR_DEFAULT: Final = "kiosk"


def _load(session: Session, journal_id: uuid.UUID) -> IssuanceJournal:
    if not session.in_transaction():
        raise RuntimeError("journal steps run inside the caller's transaction")
    entry = session.get(IssuanceJournal, journal_id, populate_existing=True)
    if entry is None:
        raise LookupError(f"no issuance journal entry {journal_id}")
    return entry


def _advance(
    session: Session,
    entry: IssuanceJournal,
    to: IssuanceStep,
    *,
    now: datetime,
    actor: str,
    msg_id: uuid.UUID | None = None,
    note: str | None = None,
) -> None:
    current = IssuanceStep(entry.step)
    if to not in ALLOWED[current]:
        raise JournalError(f"issuance {entry.id}: {current.value} → {to.value} is not allowed")
    entry.step = to
    entry.updated_at = now
    append_audit(
        session,
        actor=actor,
        action=f"issuance.{to.value}",
        subject=f"issuance:{entry.id}",
        details={
            "application": str(entry.application_id),
            "cert_kind": CertificateKind(entry.cert_kind).value,
            "from": current.value,
            "msg_id": str(msg_id) if msg_id else None,
            "note": note,
        },
        now=now,
    )


def start_issuance(
    session: Session,
    *,
    application_id: uuid.UUID,
    card_id: str,
    cert_kind: CertificateKind,
    request: Outgoing,
    transaction_id: bytes | None,
    now: datetime,
    actor: str = ACTOR_DEFAULT,
    fee: Fee = Fee.FREE,
    fee_yen: int = 0,
) -> IssuanceJournal:
    """A new entry at REQUESTED, with its certificate request in the outbox, in one transaction.

    `fee` / `fee_yen`: what the office collected for this certificate, for the 交付記録簿; an
    amount exactly when paid (ValueError otherwise, before anything is written)."""
    if not session.in_transaction():
        raise RuntimeError("journal steps run inside the caller's transaction")
    check_fee(fee, fee_yen)
    fee = Fee(fee)
    message = enqueue_outgoing(session, request, now=now)
    entry = IssuanceJournal(
        id=uuid.uuid4(),
        application_id=application_id,
        card_id=card_id.lower(),
        cert_kind=cert_kind,
        step=IssuanceStep.REQUESTED,
        transaction_id=transaction_id,
        request_msg_id=message.msg_id,
        attempts=0,
        fee=fee,
        fee_yen=fee_yen,
        created_at=now,
        updated_at=now,
    )
    session.add(entry)
    session.flush()
    append_audit(
        session,
        actor=actor,
        action="issuance.requested",
        subject=f"issuance:{entry.id}",
        details={
            "application": str(application_id),
            "cert_kind": cert_kind.value,
            "msg_id": str(message.msg_id),
            "fee": fee.value,
            "fee_yen": fee_yen,
        },
        now=now,
    )
    return entry


def take_over(
    session: Session,
    *,
    application_id: uuid.UUID,
    central_application: str,
    card_id: str,
    cert_kind: CertificateKind,
    certificate: bytes,
    sealer: Sealer,
    now: datetime,
    actor: str = ACTOR_DEFAULT,
) -> IssuanceJournal:
    """A new entry at CERTIFICATE_RECEIVED for another terminal's certificate the central handed
    over to this one (the card came back here): from there it goes on as this terminal's own.
    Booked free here: the requesting terminal booked the fee with its request."""
    if not session.in_transaction():
        raise RuntimeError("journal steps run inside the caller's transaction")
    entry = IssuanceJournal(
        id=uuid.uuid4(),
        application_id=application_id,
        card_id=card_id.lower(),
        cert_kind=cert_kind,
        step=IssuanceStep.CERTIFICATE_RECEIVED,
        attempts=0,
        taken_over=central_application,
        created_at=now,
        updated_at=now,
    )
    entry.seal_certificate(sealer, certificate)
    session.add(entry)
    session.flush()
    append_audit(
        session,
        actor=actor,
        action="issuance.taken_over",
        subject=f"issuance:{entry.id}",
        details={
            "application": str(application_id),
            "central_application": central_application,
            "cert_kind": cert_kind.value,
        },
        now=now,
    )
    return entry


def taken_over(
    session: Session, central_application: str, cert_kind: CertificateKind
) -> IssuanceJournal | None:
    """The entry already made for that handed-over certificate, if any."""
    return session.scalars(
        select(IssuanceJournal).where(
            IssuanceJournal.taken_over == central_application, IssuanceJournal.cert_kind == cert_kind
        )
    ).first()


def hand_over(
    session: Session, journal_id: uuid.UUID, *, to_terminal: str, now: datetime, actor: str = "central"
) -> IssuanceJournal:
    """The central handed the certificate to `to_terminal`, where the card is now: this terminal
    neither writes it nor revokes it (破棄) any more. Nothing is sent."""
    entry = _load(session, journal_id)
    _advance(session, entry, IssuanceStep.HANDED_OVER, now=now, actor=actor, note=f"to {to_terminal}")
    return entry


def check_fee(fee: Fee, fee_yen: int) -> None:
    """The store's CHECK, said before the insert so the caller gets a plain error, not an IntegrityError."""
    if not isinstance(fee_yen, int) or isinstance(fee_yen, bool) or fee_yen < 0:
        raise ValueError("fee_yen is a whole number of yen, 0 or more")
    if (Fee(fee) is Fee.PAID) != (fee_yen > 0):
        raise ValueError("a paid fee has an amount in yen and a free one has none")


def get(session: Session, journal_id: uuid.UUID) -> IssuanceJournal:
    """One entry, freshly loaded, in the caller's transaction (LookupError if there is none)."""
    return _load(session, journal_id)


def find_by_transaction_id(session: Session, transaction_id: bytes) -> IssuanceJournal | None:
    return session.scalars(
        select(IssuanceJournal).where(IssuanceJournal.transaction_id == transaction_id)
    ).first()


def record_certificate(
    session: Session,
    journal_id: uuid.UUID,
    der: bytes,
    sealer: Sealer,
    *,
    now: datetime,
    actor: str = ACTOR_DEFAULT,
) -> IssuanceJournal:
    """機構's certificate arrived (typically via an inbox handler): sealed, entry at CERTIFICATE_RECEIVED."""
    entry = _load(session, journal_id)
    entry.seal_certificate(sealer, der)
    _advance(session, entry, IssuanceStep.CERTIFICATE_RECEIVED, now=now, actor=actor)
    return entry


def request_poll(
    session: Session,
    journal_id: uuid.UUID,
    poll: Outgoing,
    *,
    now: datetime,
    actor: str = ACTOR_DEFAULT,
) -> IssuanceJournal:
    """機構 answered `waiting`: its pollReq in the outbox, audited. Not a step: the entry stays at
    REQUESTED and keeps its age (the card wait runs from the certificate's arrival)."""
    entry = _load(session, journal_id)
    if entry.step is not IssuanceStep.REQUESTED:
        raise JournalError(f"issuance {entry.id}: only a request still waiting for its certificate polls")
    message = enqueue_outgoing(session, poll, now=now)
    append_audit(
        session,
        actor=actor,
        action="issuance.poll",
        subject=f"issuance:{entry.id}",
        details={
            "application": str(entry.application_id),
            "cert_kind": CertificateKind(entry.cert_kind).value,
            "msg_id": str(message.msg_id),
        },
        now=now,
    )
    return entry


def note_write_attempt(session: Session, journal_id: uuid.UUID, *, now: datetime) -> IssuanceJournal:
    """Commit this *before* writing to the card: a crash during the write still counts the attempt."""
    entry = _load(session, journal_id)
    if entry.step is not IssuanceStep.CERTIFICATE_RECEIVED:
        raise JournalError(f"issuance {entry.id}: no certificate waiting to be written")
    entry.attempts += 1
    entry.updated_at = now
    return entry


def record_written(
    session: Session, journal_id: uuid.UUID, *, now: datetime, actor: str = ACTOR_DEFAULT
) -> IssuanceJournal:
    entry = _load(session, journal_id)
    _advance(session, entry, IssuanceStep.WRITTEN_TO_CARD, now=now, actor=actor)
    return entry


def record_read_back(
    session: Session,
    journal_id: uuid.UUID,
    der_on_card: bytes,
    sealer: Sealer,
    *,
    now: datetime,
    actor: str = ACTOR_DEFAULT,
) -> bool:
    """Compare what the card holds with what 機構 sent. Identical → READ_BACK (True); otherwise back
    to CERTIFICATE_RECEIVED to write again (False), with the mismatch recorded."""
    entry = _load(session, journal_id)
    if entry.step is not IssuanceStep.WRITTEN_TO_CARD:
        raise JournalError(f"issuance {entry.id}: read-back only follows a write")
    if hmac.compare_digest(entry.open_certificate(sealer), der_on_card):
        _advance(session, entry, IssuanceStep.READ_BACK, now=now, actor=actor)
        return True
    entry.last_error = "certificate read back from the card differs from the one issued"
    _advance(
        session, entry, IssuanceStep.CERTIFICATE_RECEIVED, now=now, actor=actor, note="read-back mismatch"
    )
    return False


def record_card_checked_write(
    session: Session, journal_id: uuid.UUID, *, now: datetime, actor: str = ACTOR_DEFAULT
) -> IssuanceJournal:
    """WRITTEN_TO_CARD → READ_BACK without reading: for the signing certificate when the sign PIN
    is not verified (recovery on a later insertion), the card will not show it. The write itself
    is the check — the card accepted the file only because its SHA-256 equals the one the
    central authorised for this certificate (docs/card-admin.md)."""
    entry = _load(session, journal_id)
    if entry.step is not IssuanceStep.WRITTEN_TO_CARD:
        raise JournalError(f"issuance {entry.id}: read-back only follows a write")
    _advance(session, entry, IssuanceStep.READ_BACK, now=now, actor=actor, note="card-checked write")
    return entry


def confirm(
    session: Session,
    journal_id: uuid.UUID,
    cert_conf: Outgoing,
    *,
    now: datetime,
    actor: str = ACTOR_DEFAULT,
) -> IssuanceJournal:
    """CONFIRMED and the certConf message, in the caller's one transaction."""
    entry = _load(session, journal_id)
    if IssuanceStep.CONFIRMED not in ALLOWED[IssuanceStep(entry.step)]:
        raise JournalError(f"issuance {entry.id}: cannot confirm from {entry.step.value}")
    message = enqueue_outgoing(session, cert_conf, now=now)
    entry.closing_msg_id = message.msg_id
    _advance(session, entry, IssuanceStep.CONFIRMED, now=now, actor=actor, msg_id=message.msg_id)
    return entry


def revoke_as_destroyed(
    session: Session,
    journal_id: uuid.UUID,
    revocation: Outgoing,
    *,
    reason: str,
    now: datetime,
    actor: str = ACTOR_DEFAULT,
) -> IssuanceJournal:
    """Give up on an issued certificate: REVOKED_AS_DESTROYED (破棄) and the revocation request, together.

    `reason` is a short fixed phrase (e.g. "card did not return"), never personal data."""
    entry = _load(session, journal_id)
    if IssuanceStep.REVOKED_AS_DESTROYED not in ALLOWED[IssuanceStep(entry.step)]:
        raise JournalError(f"issuance {entry.id}: cannot revoke from {entry.step.value}")
    message = enqueue_outgoing(session, revocation, now=now)
    entry.closing_msg_id = message.msg_id
    entry.last_error = reason[:500]
    _advance(
        session,
        entry,
        IssuanceStep.REVOKED_AS_DESTROYED,
        now=now,
        actor=actor,
        msg_id=message.msg_id,
        note=reason,
    )
    return entry


def destroyed_by_central(
    session: Session, journal_id: uuid.UUID, *, reason: str, now: datetime, actor: str = "central"
) -> IssuanceJournal:
    """The central revoked the certificate as 破棄 on its own (its confirmation wait ran out while
    this terminal was away): REVOKED_AS_DESTROYED with no message of ours — nothing to request,
    and the revoked certificate must never be written to the card."""
    entry = _load(session, journal_id)
    entry.last_error = reason[:500]
    _advance(session, entry, IssuanceStep.REVOKED_AS_DESTROYED, now=now, actor=actor, note=reason)
    return entry


def abandon(
    session: Session, journal_id: uuid.UUID, *, reason: str, now: datetime, actor: str = ACTOR_DEFAULT
) -> IssuanceJournal:
    """Give up before any certificate exists (e.g. the application was cancelled at REQUESTED)."""
    entry = _load(session, journal_id)
    entry.last_error = reason[:500]
    _advance(session, entry, IssuanceStep.ABANDONED, now=now, actor=actor, note=reason)
    return entry


def recovery_input(
    entry: IssuanceJournal, *, now: datetime, present_card_id: str | None, can_write: bool
) -> RecoveryInput:
    """The decision's input for a stored entry and the card (if any) in the reader."""
    return RecoveryInput(
        step=IssuanceStep(entry.step),
        age=now - entry.updated_at,
        same_card_present=present_card_id is not None and present_card_id.lower() == entry.card_id,
        can_write=can_write,
        attempts=entry.attempts,
    )


def unfinished(session: Session) -> list[IssuanceJournal]:
    """Entries not at a final step, oldest first: what start-up recovery looks at."""
    return list(
        session.scalars(
            select(IssuanceJournal)
            .where(IssuanceJournal.step.not_in(FINAL_STEPS))
            .order_by(IssuanceJournal.created_at)
        )
    )
