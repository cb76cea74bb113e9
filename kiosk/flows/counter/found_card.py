"""一時停止解除: a card reported lost has been found (要領 第4-3, 要綱 5).

    APPLYING ─► DONE

Accepting the application is the whole procedure, done by 機構 in one transaction: the
certificates held since the loss report are revoked — not released — and the card is 運用中 again.
Nothing is written to the card. 機構's answer lists the revoked certificates, which the receipt
names; new certificates are then a new issuance in the same visit, on their own application
(`Visit.start` reads the card and 機構's record again, and the pre-flight offers them).

機構 must be reachable: only it knows whether the card is suspended, and the resident waits for the
answer to know whether new certificates can follow.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from typing import ClassVar, Final

from appdata.model import BasicInfo, Procedure, Representative
from kiosk.domain.eligibility import Certificate
from kiosk.flows.counter import applications
from kiosk.flows.counter.card import CardReading
from kiosk.flows.counter.identity import Established
from kiosk.flows.counter.machine import Recorder
from kiosk.flows.counter.terminal import CounterTerminal

log = logging.getLogger(__name__)

_KIND: Final = {"auth": Certificate.USER_AUTH, "sign": Certificate.SIGNING}
_NAME: Final = {cert: name for name, cert in _KIND.items()}
# 機構 released the card but its answer did not say what it revoked: staff look it up centrally.
REVOKED_UNKNOWN: Final = "revoked-list-unreadable"


class ReleaseState(enum.Enum):
    APPLYING = "applying"
    DONE = "done"


@dataclass(frozen=True)
class Revoked:
    """A certificate the release revoked, for the receipt (no personal data)."""

    kind: Certificate
    serial: str  # lower-case hex, as 機構 lists it


class FoundCardFlow(applications.ApplicationFlow[ReleaseState]):
    NAME: ClassVar[str] = "suspension_release"
    TRANSITIONS: ClassVar = {ReleaseState.APPLYING: frozenset({ReleaseState.DONE})}

    def __init__(
        self,
        terminal: CounterTerminal,
        reading: CardReading,
        applicant: BasicInfo,
        identity: Established,
        *,
        operator: str,
        representative: Representative | None = None,
        adult_ward: bool = False,
        record: Recorder | None = None,
    ) -> None:
        super().__init__(
            ReleaseState.APPLYING,
            terminal,
            reading,
            applicant=applicant,
            identity=identity,
            operator=operator,
            record=record,
        )
        # Under 15 or an adult ward, the legal representative files the release (要綱 3-3).
        self.representative = representative or Representative()
        self.adult_ward = adult_ward
        self.revoked: tuple[Revoked, ...] = ()

    def run(self) -> None:
        """File the release and wait for 機構's answer. Ends the flow: completed (the card is in
        operation again, `revoked` says what went); refused or queued (機構 unreachable) raise
        FlowEnded."""
        self._expect(ReleaseState.APPLYING)
        data = self._draft(
            Procedure.SUSPENSION_RELEASE, representative=self.representative, adult_ward=self.adult_ward
        )
        # Delivered later, the release still takes effect at 機構: the resident is told so.
        submitted = self._submit_online(data, takes_effect_later=True)
        # From here the card is released at 機構, whatever follows: never end as failed, which
        # would invite a second application that 機構 refuses (the card is no longer suspended).
        code = ""
        try:
            released = applications.released(self.terminal, submitted.message_id)
        except ValueError as exc:
            log.warning("suspension release %s: %s", submitted.local_id, exc)
            released = None
        if released is None or released.card_id != self.reading.card_hex:
            code = REVOKED_UNKNOWN
        else:
            self.revoked = tuple(Revoked(_KIND[c.kind], c.serial) for c in released.revoked)
        self._record(
            "card.suspension_released",
            {
                "application": str(submitted.local_id),
                "revoked": " ".join(f"{_NAME[r.kind]}:{r.serial}" for r in self.revoked) or None,
                "revoked_known": not code,
            },
        )
        self._complete(ReleaseState.DONE, code)
