"""失効申請 and 秘密鍵漏えい等届出: the certificate identified by the serial read from the card
(要綱 3-8), the application and its revocation request (rr) filed together.

    IDENTIFY ─► FILED ─► DONE (機構 answered) | queued (機構 unreachable: both wait in the outbox)

Neither touches the card beyond reading the certificate, and revoking only removes trust: both are
taken with 機構 unreachable and go out in order (the application first) when the link is back.
The signing certificate names the holder, so the card shows it only after its PIN.
"""

from __future__ import annotations

import enum
import uuid
from typing import ClassVar, Final

from cryptography import x509

from appdata.model import BasicInfo, Procedure
from kiosk.domain.eligibility import Certificate
from kiosk.domain.secret import Secret
from kiosk.flows.counter import applications
from kiosk.flows.counter.applications import Answer
from kiosk.flows.counter.card import CardAtCounter, CardReading
from kiosk.flows.counter.identity import Established, PinAttempt
from kiosk.flows.counter.machine import Flow, Outcome, Recorder
from kiosk.flows.counter.terminal import CounterTerminal
from kiosk.reader.errors import InvalidPin, PinBlocked
from kiosk.reader.jpki import CertSlot, JpkiPin
from kiosk.store.models import ProcedureKind
from kiosk.sync.outbox import Outgoing
from lcmp import jpki_items

RR = "rr"  # outbox kind (as kiosk.flows.exchanges names it)
_SLOT: Final = {Certificate.USER_AUTH: CertSlot.AUTH, Certificate.SIGNING: CertSlot.SIGN}


class RevokeState(enum.Enum):
    IDENTIFY = "identify"
    FILED = "filed"
    DONE = "done"


class RevocationFlow(Flow[RevokeState]):
    NAME: ClassVar[str] = "revocation"
    TRANSITIONS: ClassVar = {
        RevokeState.IDENTIFY: frozenset({RevokeState.FILED}),
        RevokeState.FILED: frozenset({RevokeState.DONE}),
    }

    def __init__(
        self,
        terminal: CounterTerminal,
        card: CardAtCounter,
        reading: CardReading,
        certificate: Certificate,
        *,
        applicant: BasicInfo,
        identity: Established,
        key_compromise: bool,
        operator: str,
        record: Recorder | None = None,
    ) -> None:
        super().__init__(
            RevokeState.IDENTIFY, release=None, record=record or terminal.record(operator, "visit")
        )
        self.terminal, self.card, self.reading = terminal, card, reading
        self.certificate, self.applicant, self.identity = certificate, applicant, identity
        self.procedure = Procedure.KEY_COMPROMISE if key_compromise else Procedure.REVOCATION
        self.operator = operator
        self.target: x509.Certificate | None = None
        self.local_id: uuid.UUID | None = None
        self.message_id: uuid.UUID | None = None  # the application's genm in the outbox

    @property
    def needs_pin(self) -> bool:
        return self.certificate is Certificate.SIGNING

    def identify(self, sign_pin: Secret | None = None) -> PinAttempt:
        """Read the certificate to revoke from the card (the signing one after its PIN)."""
        self._expect(RevokeState.IDENTIFY)
        if self.needs_pin and sign_pin is None:
            raise ValueError("the signing certificate is shown only after its PIN")
        with self.step():
            jpki = self.card.jpki()
            if sign_pin is not None and self.needs_pin:
                try:
                    jpki.verify(JpkiPin.SIGN, sign_pin)
                except InvalidPin as exc:
                    return PinAttempt(False, exc.tries_left, blocked=exc.tries_left == 0)
                except PinBlocked:
                    return PinAttempt(False, 0, blocked=True)
                finally:
                    sign_pin.wipe()
            self.target = jpki.read_certificate(_SLOT[self.certificate])
        if self.target is None:
            raise self.end(Outcome.REFUSED, "no-certificate-on-card")
        return PinAttempt(True, None)

    @property
    def serial(self) -> str | None:
        return format(self.target.serial_number, "x") if self.target is not None else None

    def file(self) -> Answer:
        """The application and its rr into the outbox in one transaction, then pushed. Ends the
        flow: completed (機構 accepted), queued (unreachable) or refused."""
        self._expect(RevokeState.IDENTIFY)
        if self.target is None:
            raise ValueError("identify the certificate first")
        terminal = self.terminal
        data = applications.draft(
            terminal,
            self.reading,
            self.procedure,
            applicant=self.applicant,
            identity=self.identity,
            operator=self.operator,
            serials=(format(self.target.serial_number, "x"),),
        )
        reason = (
            x509.ReasonFlags.key_compromise
            if self.procedure is Procedure.KEY_COMPROMISE
            else x509.ReasonFlags.unspecified
        )
        number = applications.number_of(data)
        rr = terminal.link.client.prepare_rr(
            self.target.issuer,
            self.target.serial_number,
            reason,
            general_info=(jpki_items.integer_item(jpki_items.APPLICATION_NUMBER, number),),
        )
        with self.step():
            self.local_id, self.message_id = applications.file(
                terminal, data, ProcedureKind(self.procedure.value), also=(Outgoing(RR, rr),)
            )
        self._go(RevokeState.FILED)
        if self._record is not None:
            self._record(
                "application.filed",
                {"application": str(self.local_id), "procedure": self.procedure.value, "serial": self.serial},
            )
        verdict = applications.deliver_or_queue(self, terminal)
        if verdict is not Answer.APPROVED:
            return verdict
        self._go(RevokeState.DONE)
        self.close(Outcome.COMPLETED)
        return verdict
