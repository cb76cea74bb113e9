"""The recovery worker: resume or clean up every unfinished certificate issuance.

Run at start-up without a card (confirmations whose certConf was never queued, 破棄 of certificates
whose card stayed away past the card wait) and whenever a card is inserted (that card's
certificates are written, read back and confirmed). For each unfinished journal entry it asks the
journal's table (`kiosk.sync.journal.next_action`) what to do, does it through the issuance steps
(each a committed transaction with its audit record), and asks again until the entry is final or
has to wait. One entry failing — card pulled, central unreachable, write refused — is logged with
ids, step and error class only, and the others still run; the entry stays where its last commit
put it, so the next run continues from there.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from cryptography import x509
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

import lcmp
from kiosk.flows import exchanges, issuance
from kiosk.flows.ports import CARD_KEYS, CentralPort, PresentCard
from kiosk.reader.errors import CardError
from kiosk.store.models import CertificateKind, IssuanceStep
from kiosk.store.sealed import Sealer
from kiosk.sync import journal
from kiosk.sync.central import AuthorizationRefused, CentralUnreachable
from kiosk.sync.journal import DEFAULT_POLICY, RecoveryAction, RecoveryInput, RecoveryPolicy, next_action

log = logging.getLogger(__name__)

NOT_WRITABLE: Final = "certificate no longer fits the card (key changed or validity over)"
ATTEMPTS_USED_UP: Final = "card write attempts used up"
CARD_DID_NOT_RETURN: Final = "card did not come back within the card wait"

_WAITS: Final = frozenset({RecoveryAction.WAIT_FOR_CERTIFICATE, RecoveryAction.WAIT_FOR_CARD})
# Failures the worker expects in the field: logged without a traceback.
_EXPECTED: Final = (
    CardError,
    CentralUnreachable,
    AuthorizationRefused,
    issuance.CertificateNotWritable,
    lcmp.CmpError,
    SQLAlchemyError,
)


def destroy_reason(state: RecoveryInput, policy: RecoveryPolicy = DEFAULT_POLICY) -> str:
    """Why `next_action` chose REVOKE_AS_DESTROYED for `state`, as the journal records it."""
    if state.step is IssuanceStep.CERTIFICATE_RECEIVED:
        if not state.can_write:
            return NOT_WRITABLE
        if state.attempts >= policy.max_write_attempts:
            return ATTEMPTS_USED_UP
    return CARD_DID_NOT_RETURN


@dataclass(frozen=True)
class EntryRecovery:
    """One entry: the actions decided, in order, and the step it ended at."""

    journal_id: uuid.UUID
    actions: tuple[RecoveryAction, ...]
    step: IssuanceStep | None  # None only if the database could not be read
    error: str | None = None  # class of the error that stopped the last action


@dataclass(frozen=True)
class RecoveryReport:
    entries: tuple[EntryRecovery, ...]

    @property
    def failures(self) -> int:
        return sum(1 for e in self.entries if e.error is not None)

    def entry(self, journal_id: uuid.UUID) -> EntryRecovery:
        return next(e for e in self.entries if e.journal_id == journal_id)


def recover(
    sessions: sessionmaker[Session],
    sealer: Sealer,
    link: CentralPort,
    *,
    now: datetime,
    card: PresentCard | None = None,
    policy: RecoveryPolicy = DEFAULT_POLICY,
) -> RecoveryReport:
    """Every unfinished entry, oldest first, as far as it can go now (see the module docstring)."""
    with sessions.begin() as session:
        ids = [entry.id for entry in journal.unfinished(session)]
    worker = _Worker(sessions, sealer, link, now, card, policy)
    report = RecoveryReport(tuple(worker.run(entry_id) for entry_id in ids))
    if report.entries:
        log.info("recovery: %d unfinished issuances, %d failed", len(report.entries), report.failures)
    return report


@dataclass(frozen=True)
class _Worker:
    sessions: sessionmaker[Session]
    sealer: Sealer
    link: CentralPort
    now: datetime
    card: PresentCard | None
    policy: RecoveryPolicy

    def run(self, entry_id: uuid.UUID) -> EntryRecovery:
        actions: list[RecoveryAction] = []
        # each write either advances the entry or uses an attempt, so this bounds a healthy run
        for _ in range(2 * self.policy.max_write_attempts + 4):
            try:
                state, application_id = self._decide(entry_id)
                action = next_action(state, self.policy)
                if action is RecoveryAction.NOTHING:
                    break
                actions.append(action)
                if action in _WAITS:
                    break
                self._execute(entry_id, action, state)
            except Exception as exc:
                return self._failed(entry_id, actions, exc)
            log.info("recovery of issuance %s (application %s): %s", entry_id, application_id, action.value)
        else:
            log.warning("recovery of issuance %s: still unfinished after %d actions", entry_id, len(actions))
        return EntryRecovery(entry_id, tuple(actions), self._step(entry_id))

    def _failed(self, entry_id: uuid.UUID, actions: list[RecoveryAction], exc: Exception) -> EntryRecovery:
        step = self._step(entry_id)
        where, what = step.value if step else "?", actions[-1].value if actions else "deciding"
        if isinstance(exc, _EXPECTED):
            log.warning(
                "recovery of issuance %s at %s: %s failed: %s", entry_id, where, what, type(exc).__name__
            )
        else:  # a bug: its traceback is needed (messages here carry ids, never personal data)
            log.error("recovery of issuance %s at %s: %s failed", entry_id, where, what, exc_info=exc)
        return EntryRecovery(entry_id, tuple(actions), step, type(exc).__name__)

    def _decide(self, entry_id: uuid.UUID) -> tuple[RecoveryInput, uuid.UUID]:
        with self.sessions.begin() as session:
            entry = journal.get(session, entry_id)
            der = entry.open_certificate(self.sealer) if entry.sealed_certificate is not None else None
            application = exchanges.application_ref(session, entry)
        here = self.card is not None and self.card.card_id == entry.card_id
        can_write = True
        if der is not None:
            card_key = None
            # the one step whose decision needs the card's key: read it (one APDU, no transaction open)
            if self.card is not None and here and entry.step is IssuanceStep.CERTIFICATE_RECEIVED:
                key = CARD_KEYS[CertificateKind(entry.cert_kind)]
                card_key = issuance.card_key(self.card, key, self.card.authorizer_for(application))
            certificate = x509.load_der_x509_certificate(der)
            can_write = issuance.can_write(certificate, self.now, card_key, card_here=here)
        present = self.card.card_id if self.card is not None else None
        state = journal.recovery_input(entry, now=self.now, present_card_id=present, can_write=can_write)
        return state, entry.application_id

    def _execute(self, entry_id: uuid.UUID, action: RecoveryAction, state: RecoveryInput) -> None:
        sessions, sealer, now = self.sessions, self.sealer, self.now
        if action is RecoveryAction.SEND_CONFIRMATION:
            issuance.send_confirmation(sessions, sealer, self.link, entry_id, now=now)
        elif action is RecoveryAction.REVOKE_AS_DESTROYED:
            reason = destroy_reason(state, self.policy)
            issuance.revoke_as_destroyed(sessions, sealer, self.link, entry_id, reason=reason, now=now)
        elif self.card is None:  # the table asks for the card only when it is here
            raise RuntimeError(f"{action.value} without a card")
        elif action is RecoveryAction.WRITE_CERTIFICATE:
            issuance.write_certificate(sessions, sealer, entry_id, self.card, now=now)
        elif action is RecoveryAction.READ_BACK_AND_CONFIRM:
            if issuance.read_back(sessions, sealer, entry_id, self.card, now=now):
                issuance.send_confirmation(sessions, sealer, self.link, entry_id, now=now)
        else:
            raise ValueError(f"no execution for {action!r}")

    def _step(self, entry_id: uuid.UUID) -> IssuanceStep | None:
        """Where the entry stands now; None if the database cannot say."""
        try:
            with self.sessions.begin() as session:
                return journal.get(session, entry_id).step
        except SQLAlchemyError:
            return None
