"""失効申請 and 秘密鍵漏えい等届出: the certificate identified by the serial read from the card
(要綱 3-8), the application and its revocation request (rr) filed together.

    IDENTIFY ─► FILED ─► DONE (機構 answered) | queued (機構 unreachable: both wait in the outbox)

Neither touches the card beyond reading the certificate, and revoking only removes trust: both are
taken with 機構 unreachable and go out in order (the application first) when the link is back.
The signing certificate names the holder, so the card shows it only after its PIN.
"""

from __future__ import annotations

import enum
from typing import ClassVar, Final

from cryptography import x509

from appdata.model import BasicInfo, Procedure
from kiosk.domain.eligibility import Certificate
from kiosk.domain.secret import Secret
from kiosk.flows import exchanges
from kiosk.flows.counter import applications
from kiosk.flows.counter.applications import Answer
from kiosk.flows.counter.card import CardAtCounter, CardReading
from kiosk.flows.counter.identity import VERIFIED, Established, PinAttempt, try_pin
from kiosk.flows.counter.machine import Outcome, Recorder
from kiosk.flows.counter.terminal import CounterTerminal
from kiosk.reader.jpki import CertSlot, JpkiPin
from kiosk.sync.outbox import Outgoing
from lcmp import jpki_items

_SLOT: Final = {Certificate.USER_AUTH: CertSlot.AUTH, Certificate.SIGNING: CertSlot.SIGN}


class RevokeState(enum.Enum):
    IDENTIFY = "identify"
    FILED = "filed"
    DONE = "done"


class RevocationFlow(applications.ApplicationFlow[RevokeState]):
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
            RevokeState.IDENTIFY,
            terminal,
            reading,
            applicant=applicant,
            identity=identity,
            operator=operator,
            record=record,
        )
        self.card, self.certificate = card, certificate
        self.procedure = Procedure.KEY_COMPROMISE if key_compromise else Procedure.REVOCATION
        self.target: x509.Certificate | None = None

    @property
    def needs_pin(self) -> bool:
        return self.certificate is Certificate.SIGNING

    def identify(self, sign_pin: Secret | None = None) -> PinAttempt:
        """Read the certificate to revoke from the card (the signing one after its PIN, wiped here)."""
        try:
            self._expect(RevokeState.IDENTIFY)
            if self.needs_pin and sign_pin is None:
                raise ValueError("the signing certificate is shown only after its PIN")
            with self.step():
                jpki = self.card.jpki()
                if sign_pin is not None and self.needs_pin:
                    attempt = try_pin(jpki, JpkiPin.SIGN, sign_pin)
                    if not attempt.verified:
                        return attempt
                self.target = jpki.read_certificate(_SLOT[self.certificate])
        finally:
            if sign_pin is not None:
                sign_pin.wipe()
        if self.target is None:
            raise self.end(Outcome.REFUSED, "no-certificate-on-card")
        return VERIFIED

    @property
    def serial(self) -> str | None:
        return format(self.target.serial_number, "x") if self.target is not None else None

    def file(self) -> Answer:
        """The application and its rr into the outbox in one transaction, then pushed. Ends the
        flow: completed (機構 accepted), queued (unreachable) or refused."""
        self._expect(RevokeState.IDENTIFY)
        if self.target is None:
            raise ValueError("identify the certificate first")
        data = self._draft(self.procedure, serials=(self.serial,))
        reason = (
            x509.ReasonFlags.key_compromise
            if self.procedure is Procedure.KEY_COMPROMISE
            else x509.ReasonFlags.unspecified
        )
        rr = self.terminal.link.client.prepare_rr(
            self.target.issuer,
            self.target.serial_number,
            reason,
            general_info=(
                jpki_items.integer_item(jpki_items.APPLICATION_NUMBER, applications.number_of(data)),
            ),
        )
        return self._file_and_deliver(
            data,
            filed=RevokeState.FILED,
            done=RevokeState.DONE,
            details={"procedure": self.procedure.value, "serial": self.serial},
            also=(Outgoing(exchanges.RR, rr),),
        )
