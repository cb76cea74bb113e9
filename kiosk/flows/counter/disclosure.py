"""開示・訂正請求: the resident asks 機構 to disclose, or to correct, what it records about them as
an authentication service (要綱 6). The counter only takes the request: 機構 records it with its
kind for its staff to act on, and nothing changes on the card or at 機構 meanwhile.

    INTAKE ─► FILED ─► DONE (機構 answered) | queued (機構 unreachable: it waits in the outbox)

Because nothing waits on the answer, the request is taken with 機構 unreachable and goes out in
order when the link is back, like a revocation.
"""

from __future__ import annotations

import enum
import uuid
from typing import ClassVar

from appdata.model import BasicInfo, DisclosureKind, Procedure
from kiosk.flows.counter import applications
from kiosk.flows.counter.applications import Answer
from kiosk.flows.counter.card import CardReading
from kiosk.flows.counter.identity import Established
from kiosk.flows.counter.machine import Flow, Outcome, Recorder
from kiosk.flows.counter.terminal import CounterTerminal
from kiosk.store.models import ProcedureKind


class DisclosureState(enum.Enum):
    INTAKE = "intake"
    FILED = "filed"
    DONE = "done"


class DisclosureFlow(Flow[DisclosureState]):
    NAME: ClassVar[str] = "disclosure"
    TRANSITIONS: ClassVar = {
        DisclosureState.INTAKE: frozenset({DisclosureState.FILED}),
        DisclosureState.FILED: frozenset({DisclosureState.DONE}),
    }

    def __init__(
        self,
        terminal: CounterTerminal,
        reading: CardReading,
        kind: DisclosureKind,
        *,
        applicant: BasicInfo,
        identity: Established,
        operator: str,
        record: Recorder | None = None,
    ) -> None:
        super().__init__(
            DisclosureState.INTAKE, release=None, record=record or terminal.record(operator, "visit")
        )
        self.terminal, self.reading, self.kind = terminal, reading, DisclosureKind(kind)
        self.applicant, self.identity, self.operator = applicant, identity, operator
        self.local_id: uuid.UUID | None = None
        self.message_id: uuid.UUID | None = None  # the application's genm in the outbox

    def file(self) -> Answer:
        """The request into the outbox, then pushed. Ends the flow: completed (機構 recorded it),
        queued (unreachable) or refused."""
        self._expect(DisclosureState.INTAKE)
        terminal = self.terminal
        data = applications.draft(
            terminal,
            self.reading,
            Procedure.DISCLOSURE,
            applicant=self.applicant,
            identity=self.identity,
            operator=self.operator,
            disclosure_kind=self.kind,
        )
        with self.step():
            self.local_id, self.message_id = applications.file(terminal, data, ProcedureKind.DISCLOSURE)
        self._go(DisclosureState.FILED)
        if self._record is not None:
            self._record(
                "application.filed",
                {
                    "application": str(self.local_id),
                    "procedure": Procedure.DISCLOSURE.value,
                    "kind": self.kind.value,
                },
            )
        verdict = applications.deliver_or_queue(self, terminal)
        if verdict is not Answer.APPROVED:
            return verdict
        self._go(DisclosureState.DONE)
        self.close(Outcome.COMPLETED)
        return verdict
