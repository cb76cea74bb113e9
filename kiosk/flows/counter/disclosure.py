"""開示・訂正請求: the resident asks 機構 to disclose, or to correct, what it records about them as
an authentication service (要綱 6). The counter only takes the request: 機構 records it with its
kind for its staff to act on, and nothing changes on the card or at 機構 meanwhile.

    INTAKE ─► FILED ─► DONE (機構 answered) | queued (機構 unreachable: it waits in the outbox)

Because nothing waits on the answer, the request is taken with 機構 unreachable and goes out in
order when the link is back, like a revocation.
"""

from __future__ import annotations

import enum
from typing import ClassVar

from appdata.model import BasicInfo, DisclosureKind, Procedure
from kiosk.flows.counter import applications
from kiosk.flows.counter.applications import Answer
from kiosk.flows.counter.card import CardReading
from kiosk.flows.counter.identity import Established
from kiosk.flows.counter.machine import Recorder
from kiosk.flows.counter.terminal import CounterTerminal


class DisclosureState(enum.Enum):
    INTAKE = "intake"
    FILED = "filed"
    DONE = "done"


class DisclosureFlow(applications.ApplicationFlow[DisclosureState]):
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
            DisclosureState.INTAKE,
            terminal,
            reading,
            applicant=applicant,
            identity=identity,
            operator=operator,
            record=record,
        )
        self.kind = DisclosureKind(kind)

    def file(self) -> Answer:
        """The request into the outbox, then pushed. Ends the flow: completed (機構 recorded it),
        queued (unreachable) or refused."""
        self._expect(DisclosureState.INTAKE)
        return self._file_and_deliver(
            self._draft(Procedure.DISCLOSURE, disclosure_kind=self.kind),
            filed=DisclosureState.FILED,
            done=DisclosureState.DONE,
            details={"procedure": Procedure.DISCLOSURE.value, "kind": self.kind.value},
        )
