"""Applications as the counter files them: numbered, sealed to 機構, kept sealed in the store with
their genm in the outbox (one transaction), then pushed and, where the procedure needs it, waited for.

Application numbers are random 62-bit integers rather than a counter: a counter restored from a
backup would hand out numbers 機構 has already seen (a Conflict at the central), while random
numbers need no state and collide with negligible probability (2^-31 after 2^31 applications).
"""

from __future__ import annotations

import enum
import logging
import random
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

import lcmp
from appdata.envelope import seal_application
from appdata.model import ApplicationData, BasicInfo, Procedure
from appdata.status import SuspensionReleased
from kiosk.flows.counter.card import CardReading
from kiosk.flows.counter.identity import Established
from kiosk.flows.counter.machine import Flow, Outcome, Recorder, S
from kiosk.flows.counter.terminal import CounterTerminal
from kiosk.store.models import Application, ApplicationState, OutboxMessage, OutboxState, ProcedureKind
from kiosk.sync.outbox import Outgoing, enqueue_outgoing, retry_now
from kiosk.sync.relay import RelayOutcome
from lcmp import jpki_items

log = logging.getLogger(__name__)

GENM_APPLICATION = "genm-application"  # outbox kind
CENTRAL_UNREACHABLE = "central-unreachable"  # the ending code when 機構 could not be reached


def new_number(rng: random.Random) -> int:
    return rng.randrange(1, 2**62)


class Answer(enum.StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"
    QUEUED = "queued"  # not delivered yet: 機構 unreachable


@dataclass(frozen=True)
class Submitted:
    local_id: uuid.UUID
    number: int
    message_id: uuid.UUID
    answer: Answer
    code: str = ""  # 機構's refusal code and rule, e.g. "card-suspended (要領 第4-3, 要綱 5)"


def file(
    terminal: CounterTerminal,
    data: ApplicationData,
    kind: ProcedureKind,
    *,
    also: Sequence[Outgoing] = (),
    items: Sequence[lcmp.InfoTypeAndValue] = (),
) -> tuple[uuid.UUID, uuid.UUID]:
    """Seal and store the application with its genm in the outbox, and `also` after it (the
    revocation's rr), in one transaction: a crash never leaves one without the other. `items` go
    into the genm beside the envelope (the unattended reset's proof). Returns the local
    application id and the genm's outbox message id."""
    now = terminal.clock()
    sealed = seal_application(
        data,
        terminal_id=terminal.terminal_id,
        signing_key=terminal.signing_key,
        recipient=terminal.recipient,
        now=now,
    )
    genm = terminal.link.client.prepare_genm(
        (lcmp.InfoTypeAndValue.utf8(jpki_items.APPLICATION_ENVELOPE, sealed), *items)
    )
    local_id = uuid.uuid4()
    with terminal.sessions.begin() as session:
        application = Application(id=local_id, kind=kind, state=ApplicationState.SUBMITTED)
        application.seal_payload(terminal.sealer, sealed.encode())  # the envelope is already sealed to 機構
        session.add(application)
        message = enqueue_outgoing(session, Outgoing(GENM_APPLICATION, genm), now=now)
        message_id = message.msg_id
        for outgoing in also:
            enqueue_outgoing(session, outgoing, now=now)
    log.info("application %s (%s) filed, outbox %s", local_id, kind.value, message_id)
    return local_id, message_id


def push(terminal: CounterTerminal, message_id: uuid.UUID | None = None) -> bool:
    """Deliver what the outbox holds now (the resident is waiting: `message_id` is tried at once,
    whatever its back-off says). False if a delivery failed and the queue is held."""
    if message_id is not None:
        with terminal.sessions.begin() as session:
            retry_now(session, message_id, now=terminal.clock())
    return all(step.outcome is not RelayOutcome.RETRY for step in terminal.relay.drain())


def _delivery(
    terminal: CounterTerminal, message_id: uuid.UUID
) -> tuple[OutboxState, bytes | None, str | None]:
    """The genm's outbox state, the receipt the relay kept and the last delivery error."""
    with terminal.sessions() as session:
        row = session.scalars(select(OutboxMessage).where(OutboxMessage.msg_id == message_id)).one()
        return row.state, row.receipt, row.last_error


def answer(terminal: CounterTerminal, message_id: uuid.UUID) -> tuple[Answer, str]:
    """機構's answer to the application's genm, from the receipt the relay kept."""
    state, receipt, error = _delivery(terminal, message_id)
    if state is OutboxState.PENDING:
        return Answer.QUEUED, ""
    if state is OutboxState.FAILED or receipt is None:
        return Answer.REJECTED, (error or "refused")[:200]
    status = jpki_items.text_value(_genp_items(receipt), jpki_items.APPLICATION_STATUS) or ""
    verdict, _, code = status.partition(":")
    if verdict == "approved":
        return Answer.APPROVED, ""
    return Answer.REJECTED, code or verdict or "no-status"


def released(terminal: CounterTerminal, message_id: uuid.UUID) -> SuspensionReleased | None:
    """What an accepted 一時停止解除 revoked, from the `suspension-released` item 機構 answered
    with next to the application status; None when the receipt carries none (not delivered yet,
    refused, or another procedure). ValueError if the item is there but malformed."""
    state, receipt, _error = _delivery(terminal, message_id)
    if state is not OutboxState.SENT or receipt is None:
        return None
    text = jpki_items.text_value(_genp_items(receipt), jpki_items.SUSPENSION_RELEASED)
    if text is None:
        return None
    try:
        return SuspensionReleased.from_json(text)
    except (KeyError, TypeError) as exc:  # from_json reaches into the JSON object unchecked
        raise ValueError(f"malformed suspension-released answer ({type(exc).__name__})") from exc


def _genp_items(receipt: bytes) -> tuple[lcmp.InfoTypeAndValue, ...]:
    body = lcmp.decode(receipt).body
    return body.items if isinstance(body, lcmp.Genp) else ()


def submit(
    terminal: CounterTerminal,
    data: ApplicationData,
    kind: ProcedureKind,
    *,
    items: Sequence[lcmp.InfoTypeAndValue] = (),
) -> Submitted:
    """File the application and try to deliver it now; the answer says whether 機構 accepted it,
    refused it, or could not be reached (it stays queued and goes out when the link is back)."""
    local_id, message_id = file(terminal, data, kind, items=items)
    number = number_of(data)
    push(terminal, message_id)
    verdict, code = answer(terminal, message_id)
    if verdict is Answer.REJECTED:
        set_state(terminal, local_id, ApplicationState.REJECTED)
    return Submitted(local_id, number, message_id, verdict, code)


def set_state(terminal: CounterTerminal, local_id: uuid.UUID, state: ApplicationState) -> None:
    with terminal.sessions.begin() as session:
        row = session.get(Application, local_id)
        if row is not None and row.state not in (ApplicationState.COMPLETED, ApplicationState.REJECTED):
            row.state = state
            row.updated_at = terminal.clock()


def draft(
    terminal: CounterTerminal,
    reading: CardReading,
    procedure: Procedure,
    *,
    applicant: BasicInfo,
    identity: Established | None,
    operator: str,
    **fields: Any,
) -> ApplicationData:
    """A new application on this card, numbered, with what every procedure carries."""
    return ApplicationData(
        application_id=jpki_items.application_id(terminal.terminal_id, new_number(terminal.rng)),
        procedure=procedure,
        card_id=reading.card_hex,
        applicant=applicant,
        operator=operator,
        identity_check=identity.for_application() if identity is not None else None,
        **fields,
    )


def number_of(data: ApplicationData) -> int:
    return int(data.application_id.rsplit("/", 1)[1])


class ApplicationFlow(Flow[S]):
    """A procedure flow that files an application on this card for the identified applicant:
    what all of them hold, the application drafted from it, and its filing and completion."""

    def __init__(
        self,
        initial: S,
        terminal: CounterTerminal,
        reading: CardReading,
        *,
        applicant: BasicInfo,
        identity: Established,
        operator: str,
        record: Recorder | None,
    ) -> None:
        super().__init__(initial, record=record or terminal.record(operator or "terminal", "visit"))
        self.terminal, self.reading = terminal, reading
        self.applicant, self.identity, self.operator = applicant, identity, operator
        self.local_id: uuid.UUID | None = None
        self.message_id: uuid.UUID | None = None  # the application's genm in the outbox

    def _draft(self, procedure: Procedure, **fields: Any) -> ApplicationData:
        return draft(
            self.terminal,
            self.reading,
            procedure,
            applicant=self.applicant,
            identity=self.identity,
            operator=self.operator,
            **fields,
        )

    def _submit_online(self, data: ApplicationData, *, takes_effect_later: bool = False) -> Submitted:
        """For procedures that need 機構's acceptance now (their card commands are authorised
        against it): file the application, else end the flow — refused, or, when 機構 cannot be
        reached, OFFLINE: nothing was done, the application is marked cancelled here (its genm
        still goes out and 機構 lets an accepted application no card command follows lapse).
        `takes_effect_later`: the application does its work at 機構 when it arrives (the
        found-card release), so it ends QUEUED and stays submitted — the resident is told it will
        take effect."""
        with self.step():
            submitted = submit(self.terminal, data, ProcedureKind(data.procedure.value))
        self.local_id, self.message_id = submitted.local_id, submitted.message_id
        if submitted.answer is Answer.REJECTED:
            raise self.end(Outcome.REFUSED, submitted.code)
        if submitted.answer is Answer.QUEUED:
            if takes_effect_later:
                raise self.end(Outcome.QUEUED, CENTRAL_UNREACHABLE)
            set_state(self.terminal, submitted.local_id, ApplicationState.CANCELLED)
            raise self.end(Outcome.OFFLINE, CENTRAL_UNREACHABLE)
        return submitted

    def _file_and_deliver(
        self,
        data: ApplicationData,
        *,
        filed: S,
        done: S,
        details: Mapping[str, str | int | bool | None],
        also: Sequence[Outgoing] = (),
    ) -> Answer:
        """For procedures taken offline too (revocation, disclosure): the application (and `also`)
        into the outbox in one transaction, recorded with `details`, then pushed. Ends the flow:
        completed (機構 accepted), queued (unreachable) or refused."""
        terminal = self.terminal
        with self.step():
            self.local_id, self.message_id = file(
                terminal, data, ProcedureKind(data.procedure.value), also=also
            )
        self._go(filed)
        self._record("application.filed", {"application": str(self.local_id), **details})
        with self.step():
            push(terminal, self.message_id)
        verdict, code = answer(terminal, self.message_id)
        if verdict is Answer.QUEUED:
            self.close(Outcome.QUEUED, CENTRAL_UNREACHABLE)
        elif verdict is Answer.REJECTED:
            set_state(terminal, self.local_id, ApplicationState.REJECTED)
            self.close(Outcome.REFUSED, code)
        else:
            self._complete(done)
        return verdict

    def _complete(self, done: S, code: str = "") -> None:
        """The application is done: marked so in the store, and the flow ends completed."""
        assert self.local_id is not None
        set_state(self.terminal, self.local_id, ApplicationState.COMPLETED)
        self._go(done)
        self.close(Outcome.COMPLETED, code)
