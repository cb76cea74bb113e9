"""Work the terminal still owes, for the staff console: messages waiting in the outbox and
certificates whose issuance has not reached a final step, and the console's one action on it,
"send now".

The lists are read in the caller's session. Only the columns shown are selected: an outbox payload
and a journal's sealed certificate are never read, so nothing personal can reach a console screen
(the signing certificate names its holder) and a screen refresh does not page megabytes of
messages.

"Send now" is an operation by staff, so it is recorded (規則 73-3): one `outbox.send_now` record in
the audit chain, naming the signed-in operator, in the same transaction as the change.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from kiosk.store.audit import append_audit
from kiosk.store.models import CertificateKind, IssuanceJournal, IssuanceStep, OutboxMessage, OutboxState
from kiosk.sync.journal import (
    DEFAULT_POLICY,
    FINAL_STEPS,
    RecoveryAction,
    RecoveryInput,
    RecoveryPolicy,
    next_action,
)
from kiosk.sync.outbox import retry_now

SEND_NOW_ACTION: Final = "outbox.send_now"


@dataclass(frozen=True)
class PendingMessage:
    """An outbox message not yet delivered (its payload is not part of it)."""

    seq: int  # the sending order: a message waits for every one before it
    msg_id: uuid.UUID
    kind: str
    created_at: datetime
    age: timedelta
    attempts: int
    next_attempt_at: datetime
    last_error: str | None


@dataclass(frozen=True)
class UnfinishedIssuance:
    """A certificate's issuance not yet confirmed, destroyed or abandoned."""

    id: uuid.UUID
    application_id: uuid.UUID
    cert_kind: CertificateKind
    step: IssuanceStep
    created_at: datetime
    age: timedelta  # since the entry last moved: what the card wait counts
    attempts: int  # card writes tried
    last_error: str | None
    # What the recovery worker will do while the card stays away (with the card: write it).
    next_action: RecoveryAction
    # When an issued certificate stops waiting for its card and is revoked as 破棄; None while
    # no certificate has come.
    card_wait_ends: datetime | None


@dataclass(frozen=True)
class PendingWork:
    at: datetime
    messages: tuple[PendingMessage, ...]  # in sending order
    issuances: tuple[UnfinishedIssuance, ...]  # oldest first

    @property
    def oldest_message_age(self) -> timedelta | None:
        return max((m.age for m in self.messages), default=None)

    @property
    def empty(self) -> bool:
        return not self.messages and not self.issuances


def pending_messages(session: Session, *, now: datetime) -> tuple[PendingMessage, ...]:
    rows = session.execute(
        select(
            OutboxMessage.seq,
            OutboxMessage.msg_id,
            OutboxMessage.kind,
            OutboxMessage.created_at,
            OutboxMessage.attempts,
            OutboxMessage.next_attempt_at,
            OutboxMessage.last_error,
        )
        .where(OutboxMessage.state == OutboxState.PENDING)
        .order_by(OutboxMessage.seq)
    )
    return tuple(
        PendingMessage(seq, msg_id, kind, created, now - created, attempts, due, error)
        for seq, msg_id, kind, created, attempts, due, error in rows
    )


def unfinished_issuances(
    session: Session, *, now: datetime, policy: RecoveryPolicy = DEFAULT_POLICY
) -> tuple[UnfinishedIssuance, ...]:
    rows = session.execute(
        select(
            IssuanceJournal.id,
            IssuanceJournal.application_id,
            IssuanceJournal.cert_kind,
            IssuanceJournal.step,
            IssuanceJournal.created_at,
            IssuanceJournal.updated_at,
            IssuanceJournal.attempts,
            IssuanceJournal.last_error,
        )
        .where(IssuanceJournal.step.not_in(FINAL_STEPS))
        .order_by(IssuanceJournal.created_at)
    )
    found = []
    for entry_id, application_id, kind, stored_step, created, updated, attempts, error in rows:
        step = IssuanceStep(stored_step)
        # Without the card, "writable" is only the validity; assume it holds, as the journal's
        # table does for a card that is away (the worker checks the certificate itself).
        state = RecoveryInput(step, now - updated, same_card_present=False, can_write=True, attempts=attempts)
        waits_for_card = step in (IssuanceStep.CERTIFICATE_RECEIVED, IssuanceStep.WRITTEN_TO_CARD)
        found.append(
            UnfinishedIssuance(
                entry_id,
                application_id,
                CertificateKind(kind),
                step,
                created,
                now - updated,
                attempts,
                error,
                next_action(state, policy),
                updated + policy.card_wait if waits_for_card else None,
            )
        )
    return tuple(found)


def pending_work(session: Session, *, now: datetime, policy: RecoveryPolicy = DEFAULT_POLICY) -> PendingWork:
    """Both lists, from the caller's session (a read-only one reads them in one snapshot)."""
    return PendingWork(
        now, pending_messages(session, now=now), unfinished_issuances(session, now=now, policy=policy)
    )


# -- "send now" -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SendNow:
    """What a "send now" found and did."""

    msg_id: uuid.UUID
    seq: int | None  # None: no such message in the outbox
    pending: bool  # True: it was waiting and is now due at once; False: nothing to do


def send_now(session: Session, msg_id: uuid.UUID, *, operator_id: str, now: datetime) -> SendNow:
    """Make a pending message due at once for the signed-in operator, with its audit record, in
    the caller's write transaction. A message already delivered (or unknown) is left as it is,
    and the tap is recorded all the same: every operation by staff is (規則 73-3).

    Raises ValueError without writing anything when `operator_id` is blank: who may send is the
    console's business, but an operation nobody is named for cannot be recorded."""
    if not session.in_transaction():
        raise RuntimeError("send_now runs inside the caller's transaction")
    operator = operator_id.strip()
    if not operator:
        raise ValueError("send now needs the signed-in operator's id")
    # The number staff see on the screen, for the record (None: the message is not in the outbox).
    seq = session.scalar(select(OutboxMessage.seq).where(OutboxMessage.msg_id == msg_id))
    was_pending = retry_now(session, msg_id, now=now)
    append_audit(
        session,
        actor=operator,
        action=SEND_NOW_ACTION,
        subject=f"outbox:{msg_id}",
        details={"seq": seq, "pending": was_pending},  # ids and a flag: nothing personal
        now=now,
    )
    return SendNow(msg_id, seq, was_pending)


def send_message_now(
    sessions: sessionmaker[Session], msg_id: uuid.UUID, *, operator_id: str, now: datetime
) -> SendNow:
    """`send_now` in its own committed transaction (the console's button)."""
    with sessions.begin() as session:
        return send_now(session, msg_id, operator_id=operator_id, now=now)
