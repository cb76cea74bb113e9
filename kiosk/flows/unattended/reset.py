"""The unattended PIN reset (通知 (1); 計画 2-①; docs/unattended.md), one attempt per card insertion:

    CHOOSE ─► OTHER_PIN ─► CARD_CODE ─► FACE ─► NEW_PIN ─► RESETTING ─► DONE
      │ (ticket)   │ (card signs      │ (照合番号B:    │ (application +
      │            │  the proof)      │  photo, 4 info) │  proof: authorised)
      └────────────┴──────────────────┴────────────────┴──► referred (a fixed reason, recorded)

There is no staff fallback: every failure ends the flow as a referral to the municipal counter
(`Referred`, Outcome.REFUSED with the reason as its code), recorded in the audit chain and, once
a ticket exists, reported to 機構 (store-and-forward) as the record of why. Cancel, idle timeout
and a pulled card end it the same way.

Order matters: the ticket comes first because its nonce is what the card signs after the other
PIN, and because 機構 counts attempts from it (rate limits); the face check comes after the PIN
and 照合番号B, which open the chip photo; 機構 authorises the reset only after both proofs.
"""

from __future__ import annotations

import enum
import logging
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from appdata.model import ApplicationData, BasicInfo, IdentityCheck, IdentityMethod, Procedure
from appdata.unattended import (
    Outcome as ResetEnd,
)
from appdata.unattended import (
    Reason,
    Refusal,
    ResetOutcome,
    ResetProof,
    TicketAnswer,
    proof_message,
)
from kiosk.domain.pin_rules import PinKind
from kiosk.domain.secret import Secret
from kiosk.domain.unattended import OTHER, Offer, Unavailable, may_spend_try, offer
from kiosk.facecheck.check import FaceDecision
from kiosk.facecheck.check import Outcome as FaceOutcome
from kiosk.flows.counter import applications
from kiosk.flows.counter.card import CardAtCounter, CardReading
from kiosk.flows.counter.identity import PinAttempt, try_pin
from kiosk.flows.counter.machine import Ending, Flow, FlowEnded, Outcome
from kiosk.flows.counter.pins import JPKI_PIN, check_new_pin
from kiosk.flows.counter.terminal import CounterTerminal
from kiosk.flows.face import UNATTENDED_ACTOR, record_face_check
from kiosk.flows.unattended import wire
from kiosk.reader.admin import ChallengeResponseIssuer
from kiosk.reader.errors import CardRemoved, InvalidPin, NoCard, PinBlocked, ReaderUnavailable, TransportError
from kiosk.reader.jpki import JpkiKey, JpkiSession
from kiosk.store.models import ApplicationState, ProcedureKind
from kiosk.sync import queries
from kiosk.sync.central import CentralUnreachable
from lcmp import jpki_items

log = logging.getLogger(__name__)

_JPKI_KEY = {PinKind.SIGN: JpkiKey.SIGN, PinKind.AUTH: JpkiKey.AUTH}
MAX_CODE_B_ERRORS = 2  # 照合番号B keyed wrong this often in one attempt → the counter

# An offer's reason when nothing can be reset, as the referral records it.
_REFERRAL: dict[Unavailable, tuple[Reason, Refusal | None]] = {
    Unavailable.NOT_OFFERED_HERE: (Reason.CENTRAL_REFUSED, Refusal.PIN_NOT_OFFERED),
    Unavailable.NOT_GENUINE: (Reason.CARD_NOT_GENUINE, None),
    Unavailable.CENTRAL_UNREACHABLE: (Reason.CENTRAL_UNREACHABLE, None),
    Unavailable.CARD_NOT_OPERATING: (Reason.CENTRAL_REFUSED, Refusal.CARD_NOT_OPERATING),
    Unavailable.FACE_AUTH_CARD: (Reason.CENTRAL_REFUSED, Refusal.FACE_AUTH_CARD),
    Unavailable.NO_PROOF_CERTIFICATE: (Reason.CENTRAL_REFUSED, Refusal.NO_PROOF_CERTIFICATE),
    Unavailable.OTHER_PIN_BLOCKED: (Reason.OTHER_PIN_BLOCKED, None),
    Unavailable.OTHER_PIN_LAST_TRY: (Reason.OTHER_PIN_WRONG, None),
}
_ENDING_REASON = {
    Outcome.CANCELLED: Reason.CANCELLED,
    Outcome.TIMED_OUT: Reason.TIMED_OUT,
    Outcome.CARD_REMOVED: Reason.CARD_REMOVED,
    Outcome.FAILED: Reason.RESET_FAILED,
}


class ResetState(enum.Enum):
    CHOOSE = "choose"
    OTHER_PIN = "other_pin"
    CARD_CODE = "card_code"
    FACE = "face"
    NEW_PIN = "new_pin"
    RESETTING = "resetting"
    DONE = "done"


class Referred(FlowEnded):
    """The attempt ended with a referral to the municipal counter; `reason` says why (a fixed
    code the screen words), `refusal` is 機構's code when 機構 refused, `attempt` the attempt's
    reference for the referral slip (the raiser's flow may never reach the caller: `begin`)."""

    def __init__(
        self, ending: Ending, reason: Reason, refusal: Refusal | None = None, *, attempt: str
    ) -> None:
        super().__init__(ending)
        self.reason, self.refusal, self.attempt = reason, refusal, attempt


@dataclass(frozen=True)
class ResetReceipt:
    """What the receipt says: which PIN was reset, where and when (no personal data)."""

    target: PinKind
    terminal_id: str
    attempt: str  # the attempt's reference (also the audit subject)
    completed_at: datetime


def _refusal_code(code: str) -> Refusal | None:
    """機構's refusal code from an application answer ("ticket-expired (rule…)")."""
    head = code.split(" ", 1)[0].rsplit(":", maxsplit=1)[-1]
    try:
        return Refusal(head)
    except ValueError:
        return None


class UnattendedReset(Flow[ResetState]):
    NAME: ClassVar[str] = "unattended_reset"
    TRANSITIONS: ClassVar = {
        ResetState.CHOOSE: frozenset({ResetState.OTHER_PIN}),
        ResetState.OTHER_PIN: frozenset({ResetState.CARD_CODE}),
        ResetState.CARD_CODE: frozenset({ResetState.FACE}),
        ResetState.FACE: frozenset({ResetState.NEW_PIN}),
        ResetState.NEW_PIN: frozenset({ResetState.RESETTING}),
        ResetState.RESETTING: frozenset({ResetState.DONE}),
    }

    def __init__(
        self,
        terminal: CounterTerminal,
        card: CardAtCounter,
        reading: CardReading,
        declared: tuple[PinKind, ...],
    ) -> None:
        self.attempt = f"reset/{uuid.uuid4()}"
        super().__init__(ResetState.CHOOSE, record=terminal.record(UNATTENDED_ACTOR, self.attempt))
        self.terminal, self.card, self.reading = terminal, card, reading
        self.offer: Offer = offer(reading.snapshot, declared)
        self.target: PinKind | None = None
        self.ticket: TicketAnswer | None = None
        self.applicant: BasicInfo | None = None
        self._signature: bytes | None = None
        self._code_b_errors = 0
        self._new: Secret | None = None
        self._application: int | None = None
        self._local_application: uuid.UUID | None = None
        self._referral: tuple[Reason, Refusal | None] | None = None
        self._reported = False

    # -- begin -------------------------------------------------------------------------------

    @classmethod
    def begin(
        cls, terminal: CounterTerminal, card: CardAtCounter, declared: tuple[PinKind, ...]
    ) -> UnattendedReset:
        """Read the card (authenticity, 機構's status, PIN counters; no try spent) and offer what
        can be reset. Raises Referred when nothing can, FlowEnded when the card is pulled."""
        try:
            reading = card.read(terminal)
        except (CardRemoved, NoCard, ReaderUnavailable, TransportError) as exc:
            log.warning("unattended reset: card gone before the offer: %s", exc)
            raise FlowEnded(Ending(Outcome.CARD_REMOVED, "card-removed")) from exc
        flow = cls(terminal, card, reading, declared)
        flow._record(
            "unattended.offer",
            {
                "resettable": ",".join(k.value for k in flow.offer.resettable) or None,
                **{f"why_not_{k.value}": v.value for k, v in flow.offer.unavailable.items()},
            },
        )
        if not flow.offer.anything:
            raise flow.refer(*_REFERRAL[flow.offer.first_reason()])
        return flow

    # -- steps -------------------------------------------------------------------------------

    @property
    def other(self) -> PinKind:
        if self.target is None:
            raise RuntimeError("no PIN chosen yet")
        return OTHER[self.target]

    @property
    def other_tries_left(self) -> int | None:
        return self.reading.snapshot.pins[self.other].tries_left if self.target is not None else None

    def refer(self, reason: Reason, refusal: Refusal | None = None) -> Referred:
        """End the attempt as a referral to the counter; returns the exception to raise."""
        self._referral = (reason, refusal)
        code = reason.value if refusal is None else f"{reason.value}:{refusal.value}"
        self._record(
            "unattended.referred", {"reason": reason.value, "refusal": refusal.value if refusal else None}
        )
        return Referred(self.close(Outcome.REFUSED, code), reason, refusal, attempt=self.attempt)

    def refer_both_forgotten(self) -> Referred:
        self._expect(ResetState.CHOOSE)
        return self.refer(Reason.BOTH_FORGOTTEN)

    def choose(self, target: PinKind) -> None:
        """The PIN the person forgot; 機構 opens a ticket for it (or refuses: rate limits, status)."""
        self._expect(ResetState.CHOOSE)
        if target not in self.offer.resettable:
            raise ValueError(f"the {target.label} cannot be reset here")
        with self.step():
            try:
                answer = wire.request_ticket(self.terminal.link, self.reading.card_hex, target.value)
            except CentralUnreachable as exc:
                log.warning("ticket request: 機構 unreachable: %s", exc)
                raise self.refer(Reason.CENTRAL_UNREACHABLE) from None
            except queries.QueryRefused as exc:
                log.warning("ticket request refused: %s", exc)
                raise self.refer(Reason.CENTRAL_REFUSED) from None
        if not answer.granted:
            raise self.refer(Reason.CENTRAL_REFUSED, answer.refusal)
        with self._lock:  # against a close (card pulled, cancel) from the UI thread meanwhile
            self.target, self.ticket = target, answer
            ending = self.ending
        self._record("unattended.ticket", {"target": target.value, "ticket": answer.ticket_id})
        if ending is not None:
            # The attempt ended while 機構 answered: its ending is reported under the ticket now,
            # or 機構 would only see the ticket expire (and count it against the card).
            self._on_close(ending)
            raise FlowEnded(ending)
        self._go(ResetState.OTHER_PIN)

    def verify_other(self, pin: Secret) -> PinAttempt:
        """The other PIN, checked by the card; on success the card signs the proof with that
        PIN's key. A wrong PIN returns the attempt while another try may be spent here."""
        self._take(pin, ResetState.OTHER_PIN)
        ticket, target = self.ticket, self.target
        assert ticket is not None and ticket.ticket_id is not None and ticket.nonce is not None
        assert target is not None
        other = self.other
        with self.step():
            jpki = self.card.jpki()
            attempt = try_pin(jpki, JPKI_PIN[other], pin)
            pin.wipe()
            if attempt.verified:
                message = proof_message(
                    ticket.ticket_id,
                    ticket.nonce,
                    self.reading.card_hex,
                    target.value,
                    self.terminal.terminal_id,
                )
                self._signature = jpki.sign_sha256(_JPKI_KEY[other], message)
        self._record(
            "pin.verify",
            {"pin": other.value, "verified": attempt.verified, "tries_left": attempt.tries_left},
        )
        if attempt.verified:
            self._go(ResetState.CARD_CODE)
            return attempt
        if attempt.blocked:
            raise self.refer(Reason.OTHER_PIN_BLOCKED)
        if not may_spend_try(attempt.tries_left):
            raise self.refer(Reason.OTHER_PIN_WRONG)
        return attempt

    def read_photo(self, code_b: Secret) -> bytearray | None:
        """照合番号B opens the chip's card face (its photo, for the face check) and the 基本4情報
        the application carries, both checked against the APs' signatures. None: the card refused
        the code and it may be keyed again. The caller wipes the photo once the matcher has it."""
        self._take(code_b, ResetState.CARD_CODE)
        refused: InvalidPin | PinBlocked | None = None
        with self.step():
            try:
                self.applicant, face = self.card.read_with_code_b(self.terminal, code_b)
            except (InvalidPin, PinBlocked) as exc:  # an answer, not a failure: caught inside the step
                refused = exc
        if refused is not None:
            self._code_b_errors += 1
            tries = refused.tries_left if isinstance(refused, InvalidPin) else 0
            self._record("card_code.verify", {"verified": False, "tries_left": tries})
            if self._code_b_errors >= MAX_CODE_B_ERRORS or not may_spend_try(tries):
                raise self.refer(Reason.CARD_CODE_WRONG)
            return None
        photo = bytearray(face.photo_jp2)
        self._go(ResetState.FACE)
        return photo

    def face_decided(self, decision: FaceDecision) -> None:
        """The machine's decision (recorded: scores only); a live match goes to 機構 with the
        card's proof, and 機構 authorises this one reset — or the attempt is referred."""
        self._expect(ResetState.FACE)
        if not decision.liveness_required:
            raise ValueError("an unattended face check always runs the presentation-attack challenge")
        with self.terminal.sessions.begin() as session:
            record_face_check(
                session,
                subject=self.attempt,
                decision=decision,
                unattended=True,
                operator=None,
                now=self.terminal.clock(),
            )
        if decision.outcome is FaceOutcome.ATTACK_SUSPECTED:
            raise self.refer(Reason.PRESENTATION_ATTACK)
        if decision.outcome is FaceOutcome.UNABLE or decision.score is None:
            raise self.refer(Reason.FACE_NOT_CAPTURED)
        if decision.outcome is not FaceOutcome.MATCHED:
            raise self.refer(Reason.FACE_MISMATCH)
        self._authorise(decision)
        self._go(ResetState.NEW_PIN)

    def _authorise(self, decision: FaceDecision) -> None:
        ticket, target, applicant, signature = self.ticket, self.target, self.applicant, self._signature
        assert ticket is not None and ticket.ticket_id is not None
        assert (
            target is not None
            and applicant is not None
            and signature is not None
            and decision.score is not None
        )
        data = ApplicationData(
            application_id=jpki_items.application_id(
                self.terminal.terminal_id, applications.new_number(self.terminal.rng)
            ),
            procedure=Procedure.PIN_RESET,
            card_id=self.reading.card_hex,
            applicant=applicant,
            operator="",
            pin_targets=(target.value,),
            identity_check=IdentityCheck(IdentityMethod.OTHER_PIN_AND_FACE),
        )
        proof = ResetProof(
            ticket.ticket_id, signature, decision.score, decision.threshold, liveness_passed=True
        )
        with self.step():
            submitted = applications.submit(
                self.terminal, data, ProcedureKind.PIN_RESET, items=(wire.proof_item(proof.to_json()),)
            )
        self._application = submitted.number
        self._record(
            "application.filed",
            {
                "application": str(submitted.local_id),
                "answer": submitted.answer.value,
                "code": submitted.code or None,
            },
        )
        if submitted.answer is applications.Answer.QUEUED:
            # Worth nothing later: 機構 refuses it once the ticket has expired.
            applications.set_state(self.terminal, submitted.local_id, ApplicationState.CANCELLED)
            raise self.refer(Reason.CENTRAL_UNREACHABLE)
        if submitted.answer is applications.Answer.REJECTED:
            raise self.refer(Reason.CENTRAL_REFUSED, _refusal_code(submitted.code))
        self._local_application = submitted.local_id

    def set_new_pin(self, pin: Secret) -> None:
        """The new PIN as confirmed on the keypad, checked again before the card sees it."""
        self._take(pin, ResetState.NEW_PIN)
        assert self.target is not None and self.applicant is not None
        check_new_pin(self.target, pin, self.applicant.birth_date)
        if self._new is not None:
            self._new.wipe()
        self._new = pin

    def reset(self) -> ResetReceipt:
        """RESET RETRY COUNTER with the new PIN, authorised by 機構 for this card and application."""
        self._expect(ResetState.NEW_PIN)
        if self._new is None:
            raise ValueError("the new PIN first")
        assert (
            self.target is not None and self._application is not None and self._local_application is not None
        )
        self._go(ResetState.RESETTING)
        with self.step():
            issuer = ChallengeResponseIssuer(
                JpkiSession(self.card.transport), self.terminal.authorizer(self._application)
            )
            with self._card_write():
                issuer.reset_pin(JPKI_PIN[self.target], self._new)
        self._new.wipe()
        self._record("pin.reset", {"pin": self.target.value})
        applications.set_state(self.terminal, self._local_application, ApplicationState.COMPLETED)
        receipt = ResetReceipt(self.target, self.terminal.terminal_id, self.attempt, self.terminal.clock())
        self._go(ResetState.DONE)
        self.close(Outcome.COMPLETED)
        return receipt

    # -- ending ------------------------------------------------------------------------------

    def _on_close(self, ending: Ending) -> None:
        """Report how the attempt under the ticket ended (the record of why, at 機構); once, from
        the close or from a ticket that arrived after it (`choose`)."""
        with self._lock:
            if self.ticket is None or self.ticket.ticket_id is None or self._reported:
                return
            self._reported = True
        if ending.outcome is Outcome.COMPLETED:
            report = ResetOutcome(self.ticket.ticket_id, ResetEnd.COMPLETED)
        else:
            reason, refusal = self._referral or (
                _ENDING_REASON.get(ending.outcome, Reason.RESET_FAILED),
                None,
            )
            report = ResetOutcome(self.ticket.ticket_id, ResetEnd.REFERRED, reason, refusal)
        try:
            wire.queue_outcome(self.terminal, report)
        except Exception:  # the ending must stand; the log says what was not reported
            log.exception("reset outcome for ticket %s not queued", self.ticket.ticket_id)
            return
        # Delivered off the caller's thread: a cancel on the UI thread must not wait for the
        # network (the background relay would send it later anyway).
        threading.Thread(
            target=wire.deliver, args=(self.terminal,), name="reset-outcome", daemon=True
        ).start()
