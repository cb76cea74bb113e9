"""One resident's visit at the counter, from card insertion to removal: the order of the steps the
screens walk through, and the one place a visit ends.

    start (pre-flight read) ─► identity ─► applicant's 基本4情報 ─► one procedure flow ─► receipt
    then, for a follow-up (new certificates after a found-card release): start again ─► its flow
    ─► receipt, on the identity check and 基本4情報 already established in this visit

The visit owns the card: `end` closes the running flow (wiping its PINs) and releases the reader,
whatever ended it — done, cancel, idle timeout, card pulled, staff's 受付不可 (`refuse`).

Staff's actions on the visit (who is applying, each certificate's fee, 受付不可) are recorded with
the visit's operator as actor; the fee and 受付不可 are refused for anyone else.
"""

from __future__ import annotations

import enum
import logging
import threading
import uuid
from dataclasses import dataclass
from datetime import date

from appdata.model import BasicInfo, DisclosureKind, Representation, Representative
from appdata.model import Procedure as AppProcedure
from kiosk.domain.eligibility import Certificate, Eligibility, Intake, Presenter, assess
from kiosk.domain.eligibility import Reason as EligibilityReason
from kiosk.domain.overrides import Override, OverrideReason, valid_reason
from kiosk.domain.pin_rules import PinKind
from kiosk.domain.procedures import Item, Preflight, Procedure
from kiosk.domain.secret import Secret
from kiosk.facecheck.check import FaceDecision
from kiosk.flows.counter.card import CardAtCounter, CardReading, plan
from kiosk.flows.counter.certificates import FREE, CertificateFlow, CertificateRequest, Fee, Installed
from kiosk.flows.counter.disclosure import DisclosureFlow
from kiosk.flows.counter.face_switch import FaceSwitchFlow
from kiosk.flows.counter.found_card import FoundCardFlow, Revoked
from kiosk.flows.counter.identity import Established, IdentityStep
from kiosk.flows.counter.machine import Ending, Flow, Outcome
from kiosk.flows.counter.pins import PinChangeFlow, PinResetFlow
from kiosk.flows.counter.revocation import RevocationFlow
from kiosk.flows.counter.terminal import CounterTerminal
from kiosk.flows.face import FaceCheckRecord, record_face_check
from kiosk.reader.kenkaku import CardFace

log = logging.getLogger(__name__)


class VisitError(ValueError):
    """A step out of order or one the pre-flight did not offer (for staff and the log)."""


class NotAccepted(enum.StrEnum):
    """Why staff end a visit as 受付不可 (RULES.md "Identity check at the counter", "Who may apply"):
    a code from a fixed list, never free text — it goes to the audit chain, kept for years."""

    SURFACE_CHECK_FAILED = "surface_check_failed"  # chip vs printed card, or the declaration
    NO_ACCEPTABLE_DOCUMENTS = "no_acceptable_documents"  # none, expired, or not enough of them
    NOT_THE_SAME_PERSON = "not_the_same_person"  # the person is not the one on the card photo
    REPRESENTATION_NOT_PROVEN = "representation_not_proven"  # the papers of a representative / proxy
    OTHER = "other"  # staff say why in the office's own records, not here

    @property
    def rule(self) -> str | None:
        return _NOT_ACCEPTED_RULES.get(self)


_NOT_ACCEPTED_RULES = {
    NotAccepted.SURFACE_CHECK_FAILED: "要領 第2-1-(1)-ア-(イ)-B",
    NotAccepted.NO_ACCEPTABLE_DOCUMENTS: "要綱 2-4, 2-5, 2-6",
    NotAccepted.NOT_THE_SAME_PERSON: "規則 64条の5",
    NotAccepted.REPRESENTATION_NOT_PROVEN: "要綱 2-10, 2-12",
}


class NotEligible(VisitError):
    """Who is applying may not have this certificate (要綱 2-2, 2-3, 2-15): `reason` says why."""

    def __init__(self, reason: EligibilityReason) -> None:
        super().__init__(f"not eligible: {reason.name}")
        self.reason = reason


@dataclass(frozen=True)
class Presentation:
    """Who stands at the counter for the card holder, as staff established it (要綱 2-3, 2-10, 2-12).
    Anyone but the holder alone needs staff's look at the papers: the REPRESENTATIVE override."""

    presenter: Presenter = Presenter.APPLICANT
    adult_ward: bool = False  # 成年被後見人
    both_intentions_confirmed: bool = False  # 要綱 2-3 ただし書
    papers: OverrideReason | None = None  # why staff accept the representation (picklist)

    def __post_init__(self) -> None:
        if self.presenter is not Presenter.APPLICANT and (
            self.papers is None or not valid_reason(Override.REPRESENTATIVE, self.papers)
        ):
            raise ValueError("a representative or proxy is accepted by staff, with a reason")

    def representative(self) -> Representative:
        kind = {
            Presenter.APPLICANT: Representation.SELF,
            Presenter.PROXY: Representation.PROXY,
        }.get(self.presenter, Representation.LEGAL)
        return Representative(
            kind=kind,
            accompanied=self.presenter is Presenter.LEGAL_REPRESENTATIVE_WITH_APPLICANT,
            both_intentions_confirmed=self.both_intentions_confirmed,
        )


@dataclass(frozen=True)
class Receipt:
    """What the resident takes away: what changed on the card, and the reference staff can quote.
    No personal data (the receipt may be left on the counter)."""

    procedure: Procedure
    outcome: Outcome
    code: str
    reference: str  # the local application id's first 8 hex digits
    installed: tuple[Installed, ...] = ()
    serial: str | None = None  # revocation: the certificate named
    pin: PinKind | None = None
    revoked: tuple[Revoked, ...] = ()  # found-card release: the held certificates 機構 revoked


class Visit:
    def __init__(self, terminal: CounterTerminal, card: CardAtCounter, *, operator: str) -> None:
        self.terminal, self.card, self.operator = terminal, card, operator
        self.id = uuid.uuid4()
        self.subject = f"visit:{self.id}"
        self.record = terminal.record(operator or "terminal", self.subject)
        self.reading: CardReading | None = None
        self.preflight: Preflight | None = None
        self.identity: IdentityStep | None = None
        self.applicant: BasicInfo | None = None
        self.item: Item | None = None
        self.flow: Flow | None = None  # type: ignore[type-arg]
        self.ended = False
        self.ending: Ending | None = None  # how the visit ended (set once, by `end`)
        self.presentation = Presentation()
        # Per certificate, what the office collected (交付記録簿 有償 / 無償); free unless staff say.
        self.fees: dict[Certificate, Fee] = {}
        # Staff's panel sets a fee on its own thread while the resident's window may open the flow:
        # one at a time, so a fee is either in the request or refused, never recorded and lost.
        self._fees_lock = threading.Lock()
        self.card_face: CardFace | None = None  # the chip's card face, for staff's comparison
        self.face_record: FaceCheckRecord | None = None

    @property
    def today(self) -> date:
        assert self.reading is not None
        return self.reading.snapshot.today

    def start(self, *, declared_forgotten: frozenset[PinKind] = frozenset()) -> Preflight:
        """Read the card (no PIN try) and 機構's record: what can be done, and why not the rest.

        Called again after a procedure ended, it plans the follow-ups on the card as it is now
        (e.g. new certificates once a found card's suspension is lifted); the identity check and
        the applicant's 基本4情報 of this visit still stand."""
        if self.flow is not None and not self.flow.closed:
            raise VisitError("a procedure is running: it ends before the card is read again")
        self.reading = self.card.read(self.terminal, declared_forgotten=declared_forgotten)
        self.preflight = plan(self.reading)
        self.record(
            "visit.start",
            {
                "card": self.reading.card_hex[:8],
                "online": self.preflight.central_reachable,
                "offered": len(self.preflight.offered),
            },
        )
        return self.preflight

    def begin_identity(self) -> IdentityStep:
        if self.reading is None:
            raise VisitError("read the card first")
        previous = self.identity
        self.identity = IdentityStep(
            self.card, self.reading, operator=self.operator, record=self.record, today=self.today
        )
        if previous is not None and previous.surface_refused:
            self.identity.surface_refused = True  # refused once is refused for the whole visit
        return self.identity

    def read_applicant(self, pin: Secret) -> BasicInfo:
        """基本4情報 from the card (券面事項入力補助AP PIN, wiped)."""
        self.applicant = self.card.read_holder(self.terminal, pin)
        return self.applicant

    def present(self, presentation: Presentation) -> None:
        """Staff record who is applying; the override is attributed to the operator."""
        self.presentation = presentation
        if presentation.presenter is not Presenter.APPLICANT:
            assert presentation.papers is not None
            self.record(
                "override.representative",
                {
                    "presenter": presentation.presenter.value,
                    "reason": presentation.papers.value,
                    "rule": Override.REPRESENTATIVE.rule,
                    "adult_ward": presentation.adult_ward,
                    "both_intentions": presentation.both_intentions_confirmed,
                },
            )

    def eligibility(self, certificate: Certificate) -> Eligibility:
        """要綱 2-2/2-3/2-15 for this applicant, this card and who presents them."""
        if self.applicant is None or self.reading is None or self.item is None:
            raise VisitError("the applicant's 基本4情報 and the procedure come first")
        return assess(
            Intake(
                birth_date=self.applicant.birth_date,
                today=self.today,
                certificates=frozenset({certificate}),
                presenter=self.presentation.presenter,
                card=self.reading.snapshot.kind,
                adult_ward=self.presentation.adult_ward,
                both_intentions_confirmed=self.presentation.both_intentions_confirmed,
                renewal=self.item.procedure is Procedure.RENEWAL,
            )
        )

    @property
    def staff_enters_pin(self) -> bool:
        """要綱 2-14: a proxy brings the PIN in a sealed form and staff key it in."""
        return self.by_proxy

    @property
    def by_proxy(self) -> bool:
        """A proxy (任意代理人) stands at the counter: the holder's PINs are not theirs to enter."""
        return self.presentation.presenter is Presenter.PROXY

    def _attributed(self, operator: str) -> None:
        """A staff action is recorded under the visit's operator: only that operator may make it."""
        if not operator or operator != self.operator:
            raise VisitError("a staff action is made by the operator the visit began under")

    def fee_for(self, certificate: Certificate) -> Fee:
        return self.fees.get(certificate, FREE)

    def set_fee(self, certificate: Certificate, fee: Fee, *, operator: str) -> None:
        """Staff record what the office collected for `certificate` (the ledger's 有償 / 無償), until
        the procedure's flow opens (its request carries the fees from then on). Attributed to the
        operator, as every staff action of the visit."""
        if self.ended:
            raise VisitError("the visit has ended")
        self._attributed(operator)
        with self._fees_lock:
            if self.flow is not None:
                raise VisitError("the procedure has started: its fees are set")
            self.fees[certificate] = fee
        self.record("visit.fee", {"certificate": certificate.value, "paid": fee.paid, "yen": fee.yen})

    def refuse(self, reason: NotAccepted, *, operator: str) -> None:
        """Staff end the visit as 受付不可 with a reason code (e.g. the surface check and the
        declaration failed, 要領 B). A procedure that is open but has not ended is closed REFUSED
        with it; one that ended, or a card write running, cannot be refused any more."""
        if self.ended:
            raise VisitError("the visit has ended")
        self._attributed(operator)
        if self.flow is not None and (self.flow.closed or self.flow.writing):
            raise VisitError("the procedure has already ended or is writing the card")
        self.record("visit.refused", {"reason": reason.value, "rule": reason.rule})
        self.end(Outcome.REFUSED, reason.value)

    def read_with_code_b(self, code_b: Secret) -> CardFace:
        """Staff key in 照合番号B from the printed card: the 基本4情報 for the application and the
        chip's card face (with its photo) to compare with the printed one. Memory only; `end`
        drops it."""
        self.applicant, self.card_face = self.card.read_with_code_b(self.terminal, code_b)
        self.record("identity.code_b_read", {"verified_signatures": self.terminal.trust is not None})
        return self.card_face

    def record_face(self, decision: FaceDecision) -> FaceCheckRecord:
        """The machine's face decision (規則 64条の5 第2号) into the audit chain, and into the
        identity step; staff's visual comparison (第1号) follows where it is offered."""
        if self.identity is None:
            raise VisitError("the identity check comes first")
        with self.terminal.sessions.begin() as session:
            record = record_face_check(
                session,
                subject=self.subject,
                decision=decision,
                unattended=not self.operator,
                operator=self.operator or None,
                now=self.terminal.clock(),
            )
        self.face_record = record
        self.identity.face(record)
        return record

    def choose(self, item: Item) -> None:
        if self.preflight is None:
            raise VisitError("read the card first")
        if not self.preflight.decision(item.procedure, item.target).offered:
            raise VisitError(f"{item.label} was not offered on this card")
        self.item = item

    def _identified(self) -> tuple[BasicInfo, Established]:
        if self.identity is None or self.identity.established is None:
            raise VisitError("the identity check comes first")
        if self.applicant is None:
            raise VisitError("the applicant's 基本4情報 are read first")
        return self.applicant, self.identity.established

    def open_flow(self, *, disclosure_kind: DisclosureKind | None = None) -> Flow:  # type: ignore[type-arg]
        """The flow for the chosen item; a disclosure request names its kind (開示 or 訂正). A
        certificate's request carries the fee staff set for it (`set_fee`), free otherwise."""
        with self._fees_lock:
            return self._open_flow(disclosure_kind)

    def _open_flow(self, disclosure_kind: DisclosureKind | None) -> Flow:  # type: ignore[type-arg]
        if self.item is None or self.reading is None or self.preflight is None:
            raise VisitError("choose a procedure first")
        procedure, target = self.item.procedure, self.item.target
        if not self.preflight.decision(procedure, target).offered:
            # chosen before the card was read again, and no longer on offer
            raise VisitError(f"{self.item.label} is not offered on this card now")
        if procedure is Procedure.PIN_CHANGE:
            assert isinstance(target, PinKind)
            self.flow = PinChangeFlow(
                self.terminal, self.card, target, actor=self.operator, record=self.record
            )
            return self.flow
        applicant, identity = self._identified()
        if procedure in (Procedure.NEW_ISSUANCE, Procedure.RENEWAL):
            assert isinstance(target, Certificate)
            ruling = self.eligibility(target).ruling(target)
            if not ruling.allowed:
                self.record(
                    "eligibility.refused", {"certificate": target.value, "reason": ruling.reason.name}
                )
                raise NotEligible(ruling.reason)
            request = CertificateRequest(
                AppProcedure(procedure.value),
                (target,),
                applicant,
                identity,
                fees={target: self.fee_for(target)},
                representative=self.presentation.representative(),
                adult_ward=self.presentation.adult_ward,
            )
            self.flow = CertificateFlow(
                self.terminal, self.card, self.reading, request, operator=self.operator, record=self.record
            )
        elif procedure is Procedure.PIN_RESET:
            assert isinstance(target, PinKind)
            self.flow = PinResetFlow(
                self.terminal,
                self.card,
                self.reading,
                targets=(target,),
                applicant=applicant,
                identity=identity,
                operator=self.operator,
                record=self.record,
            )
        elif procedure in (Procedure.REVOCATION, Procedure.KEY_COMPROMISE):
            assert isinstance(target, Certificate)
            self.flow = RevocationFlow(
                self.terminal,
                self.card,
                self.reading,
                target,
                applicant=applicant,
                identity=identity,
                key_compromise=procedure is Procedure.KEY_COMPROMISE,
                operator=self.operator,
                record=self.record,
            )
        elif procedure is Procedure.FACE_AUTH_SWITCH:
            self.flow = FaceSwitchFlow(
                self.terminal,
                self.card,
                self.reading,
                applicant,
                identity,
                operator=self.operator,
                record=self.record,
            )
        elif procedure is Procedure.FOUND_CARD_RELEASE:
            self.flow = FoundCardFlow(
                self.terminal,
                self.reading,
                applicant,
                identity,
                operator=self.operator,
                record=self.record,
                representative=self.presentation.representative(),
                adult_ward=self.presentation.adult_ward,
            )
        elif procedure is Procedure.DISCLOSURE:
            if disclosure_kind is None:
                raise VisitError("a disclosure request is either 開示 or 訂正: say which")
            self.flow = DisclosureFlow(
                self.terminal,
                self.reading,
                disclosure_kind,
                applicant=applicant,
                identity=identity,
                operator=self.operator,
                record=self.record,
            )
        else:
            raise VisitError(f"{procedure.label} has no flow on this screen")
        return self.flow

    def receipt(self) -> Receipt:
        if self.flow is None or self.flow.ending is None or self.item is None:
            raise VisitError("no procedure has ended")
        ending: Ending = self.flow.ending
        local_id = getattr(self.flow, "local_id", None)
        return Receipt(
            procedure=self.item.procedure,
            outcome=ending.outcome,
            code=ending.code,
            reference=local_id.hex[:8] if local_id is not None else "",
            installed=tuple(getattr(self.flow, "installed", ())),
            serial=getattr(self.flow, "serial", None),
            pin=self.item.target if isinstance(self.item.target, PinKind) else None,
            revoked=tuple(getattr(self.flow, "revoked", ())),
        )

    def end(self, outcome: Outcome, code: str = "") -> None:
        """Ends the visit (idempotent): the running flow closes, the card is released."""
        if self.ended:
            return
        self.ended = True
        self.ending = Ending(outcome, code)
        self.card_face = None  # the photo and surface images go with the visit
        if self.flow is not None:
            self.flow.close(outcome, code)
        self.card.release()
        self.record("visit.end", {"outcome": outcome.value, "code": code or None})
        log.info("visit %s ended: %s %s", self.id, outcome.value, code)
