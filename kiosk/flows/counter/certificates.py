"""新規発行 / 更新 of the signing and user-authentication certificates, keys made on the card.

    PINS ─► APPLYING ─► (per certificate) GENERATING ─► REQUESTING ─► WAITING ─► INSTALLING ─┐
                                 ▲                                                       │
                                 └───────────────────────── next certificate ◄─────────────┘
    ends: completed · queued (機構 unreachable, or the certificate is still pending) · refused ·
          cancelled · timed out · card removed · failed

- New issuance sets a new PIN per certificate (entered and confirmed by the resident, or by staff
  from the sealed PIN form of a proxy): the central's grant names RESET PIN for it.
- Renewal keeps the current PINs (要綱 2-16): the resident enters the current PIN, the card checks
  it before anything is filed, and the same PIN then signs the request.
- The application goes to 機構 first: card administration is authorised online against it.
- Each certificate's steps are journalled (`kiosk.flows.issuance`): a pull or crash after the
  request is resumed by the recovery worker when the card comes back, here or at another terminal
  of the municipality (kiosk.flows.handover).
"""

from __future__ import annotations

import enum
import functools
import logging
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from types import MappingProxyType
from typing import ClassVar, Final

from cryptography import x509

from appdata.model import BasicInfo, Procedure, Representative
from kiosk.domain.eligibility import Certificate
from kiosk.domain.pin_rules import PinKind
from kiosk.domain.secret import Secret
from kiosk.flows import issuance
from kiosk.flows.counter import applications
from kiosk.flows.counter.card import CardAtCounter, CardReading
from kiosk.flows.counter.identity import Established, PinAttempt, try_pin
from kiosk.flows.counter.machine import Ending, Outcome, Recorder
from kiosk.flows.counter.pins import check_new_pin
from kiosk.flows.counter.terminal import CounterTerminal
from kiosk.flows.ledger import jst_day
from kiosk.flows.ports import PresentCard
from kiosk.flows.responses import enqueue_polls
from kiosk.reader.admin import ChallengeResponseIssuer
from kiosk.reader.csr import p10_from_card
from kiosk.reader.jpki import JpkiKey, JpkiPin
from kiosk.store.models import ApplicationState, CertificateKind, IssuanceStep
from kiosk.store.models import Fee as StoreFee
from kiosk.sync import journal

log = logging.getLogger(__name__)

CARD_KEY: Final = {Certificate.USER_AUTH: JpkiKey.AUTH, Certificate.SIGNING: JpkiKey.SIGN}
PIN_OF: Final = {Certificate.USER_AUTH: PinKind.AUTH, Certificate.SIGNING: PinKind.SIGN}
STORE_KIND: Final = {Certificate.USER_AUTH: CertificateKind.AUTH, Certificate.SIGNING: CertificateKind.SIGN}
APP_KIND: Final = {Certificate.USER_AUTH: "auth", Certificate.SIGNING: "sign"}
# The ending when 機構 has the request but no certificate yet: the journal finishes it on a later visit.
CERTIFICATE_PENDING: Final = "certificate-pending"
# User-auth first: it is the one most residents came for, and it needs no 基本4情報.
ORDER: Final = (Certificate.USER_AUTH, Certificate.SIGNING)


class CertState(enum.Enum):
    PINS = "pins"
    APPLYING = "applying"
    GENERATING = "generating"
    REQUESTING = "requesting"
    WAITING = "waiting"
    INSTALLING = "installing"
    DONE = "done"


# The most one certificate's fee may be: while issuance was not free the office charged a few hundred
# yen, so an amount of five digits or more is a slip of the keyboard, not a fee.
MAX_FEE_YEN: Final = 9_999


@dataclass(frozen=True)
class Fee:
    """What the office collected for one certificate (交付記録簿 (エ) 有償 / (オ) 無償): free, or paid
    with an amount in whole yen. The same rule as the journal's `check_fee` and the application's fee
    item (an amount exactly when paid), plus the upper bound, said here so a typo is refused before
    anything is filed."""

    paid: bool = False
    yen: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.yen, int) or isinstance(self.yen, bool):
            raise ValueError("a fee is a whole number of yen")
        if self.yen < 0 or (self.yen > 0) != self.paid:
            raise ValueError("a fee is paid exactly when it has an amount")
        if self.yen > MAX_FEE_YEN:
            raise ValueError(f"a fee is at most {MAX_FEE_YEN} yen")

    @property
    def store_fee(self) -> StoreFee:
        return StoreFee.PAID if self.paid else StoreFee.FREE


FREE: Final = Fee()


@dataclass(frozen=True)
class Installed:
    """What changed on the card, for the receipt (no personal data: the serial and dates)."""

    certificate: Certificate
    serial: str
    not_after: date


@dataclass(frozen=True)
class CertificateRequest:
    """What the counter established before the flow starts.

    `fees`: per certificate, as the 交付記録簿 books it (a paid/free column per certificate); a
    certificate not named is free. Read-only once made."""

    procedure: Procedure  # NEW_ISSUANCE or RENEWAL
    certificates: tuple[Certificate, ...]
    applicant: BasicInfo
    identity: Established
    fees: Mapping[Certificate, Fee] = field(default_factory=dict)
    representative: Representative = field(default_factory=Representative)
    adult_ward: bool = False

    def __post_init__(self) -> None:
        if self.procedure not in (Procedure.NEW_ISSUANCE, Procedure.RENEWAL):
            raise ValueError("a certificate flow issues or renews")
        if not self.certificates or len(set(self.certificates)) != len(self.certificates):
            raise ValueError("name each certificate once")
        if not set(self.fees) <= set(self.certificates):
            raise ValueError("a fee is given only for a certificate requested")
        if not all(isinstance(fee, Fee) for fee in self.fees.values()):
            raise TypeError("fees are Fee values")
        # A copy the caller cannot change under the flow (the dataclass is frozen, its dict would not be).
        object.__setattr__(self, "fees", MappingProxyType(dict(self.fees)))

    def fee_for(self, certificate: Certificate) -> Fee:
        return self.fees.get(certificate, FREE)

    def application_fee(self) -> tuple[bool, int]:
        """The application's one fee item (appdata's paid, yen; 機構 books its ledger by it): paid
        when any certificate is, the sum of their yen. At the counter an application names one
        certificate, so it is that certificate's fee."""
        yen = sum(self.fee_for(c).yen for c in self.certificates)
        return yen > 0, yen


class CertificateFlow(applications.ApplicationFlow[CertState]):
    NAME: ClassVar[str] = "certificates"
    TRANSITIONS: ClassVar = {
        CertState.PINS: frozenset({CertState.APPLYING}),
        CertState.APPLYING: frozenset({CertState.GENERATING}),
        CertState.GENERATING: frozenset({CertState.REQUESTING}),
        CertState.REQUESTING: frozenset({CertState.WAITING}),
        CertState.WAITING: frozenset({CertState.INSTALLING}),
        CertState.INSTALLING: frozenset({CertState.GENERATING, CertState.DONE}),
    }

    def __init__(
        self,
        terminal: CounterTerminal,
        card: CardAtCounter,
        reading: CardReading,
        request: CertificateRequest,
        *,
        operator: str,
        record: Recorder | None = None,
    ) -> None:
        super().__init__(
            CertState.PINS,
            terminal,
            reading,
            applicant=request.applicant,
            identity=request.identity,
            operator=operator,
            record=record,
        )
        self.card, self.request = card, request
        self.renewal = request.procedure is Procedure.RENEWAL
        self._pins: dict[PinKind, Secret] = {}
        self.number: int | None = None
        self.installed: list[Installed] = []
        self.pending: list[Certificate] = []  # requested, certificate not here yet (queued ending)

    # -- PINs ---------------------------------------------------------------------------------

    def pins_needed(self) -> tuple[PinKind, ...]:
        return tuple(PIN_OF[c] for c in ORDER if c in self.request.certificates)

    def set_new_pin(self, kind: PinKind, pin: Secret) -> None:
        """New issuance: the new PIN, confirmed on the keypad. Checked again here, before the card."""
        self._take(pin, CertState.PINS)
        if self.renewal or kind not in self.pins_needed():
            pin.wipe()
            raise ValueError(f"no new {kind.label} is set in this procedure")
        check_new_pin(kind, pin, self.request.applicant.birth_date)
        self._keep(kind, pin)

    def verify_current_pin(self, kind: PinKind, pin: Secret) -> PinAttempt:
        """Renewal: the current PIN, checked by the card now (a wrong one costs a try, as on any
        terminal; the keypad showed the tries left first)."""
        self._take(pin, CertState.PINS)
        if not self.renewal or kind not in self.pins_needed():
            pin.wipe()
            raise ValueError(f"the current {kind.label} is not asked in this procedure")
        with self.step():
            attempt = try_pin(self.card.jpki(), JpkiPin.AUTH if kind is PinKind.AUTH else JpkiPin.SIGN, pin)
        if not attempt.verified:
            pin.wipe()
            self._record(
                "pin.verify", {"pin": kind.value, "verified": False, "tries_left": attempt.tries_left}
            )
            return attempt
        self._record("pin.verify", {"pin": kind.value, "verified": True})
        self._keep(kind, pin)
        return attempt

    def _keep(self, kind: PinKind, pin: Secret) -> None:
        """`pin` (held) replaces any PIN of that kind entered before, which is wiped."""
        old = self._pins.pop(kind, None)
        if old is not None:
            old.wipe()
        self._pins[kind] = pin

    @property
    def ready(self) -> bool:
        return all(k in self._pins for k in self.pins_needed())

    # -- application --------------------------------------------------------------------------

    def apply(self) -> applications.Submitted:
        """File the application with 機構 and wait for its decision (online: the card writes
        that follow are authorised against it)."""
        self._expect(CertState.PINS)
        if not self.ready:
            raise ValueError("every PIN of the procedure is needed first")
        self._go(CertState.APPLYING)
        request = self.request
        fee_paid, fee_yen = request.application_fee()
        data = self._draft(
            request.procedure,
            certificates=tuple(APP_KIND[c] for c in ORDER if c in request.certificates),
            fee_paid=fee_paid,
            fee_yen=fee_yen,
            representative=request.representative,
            adult_ward=request.adult_ward,
        )
        try:
            submitted = self._submit_online(data)
        finally:
            if self.local_id is not None:
                self._record("application.filed", {"application": str(self.local_id)})
        self.number = submitted.number
        self._go(CertState.GENERATING)
        return submitted

    # -- the card work ------------------------------------------------------------------------

    def install(
        self,
        progress: Callable[[Certificate, CertState], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> list[Installed]:
        """Every certificate of the application, one after the other. Returns what was installed;
        the flow then has ended (completed, or queued when a certificate is still pending)."""
        self._expect(CertState.GENERATING)
        assert self.number is not None and self.local_id is not None
        cancel = cancel or threading.Event()
        todo = [c for c in ORDER if c in self.request.certificates]
        for index, certificate in enumerate(todo):
            if index:
                self._go(CertState.GENERATING)
            entry_id = self._request(certificate, progress)
            self._go(CertState.WAITING)
            if progress:
                progress(certificate, CertState.WAITING)
            if not self._wait_for_certificate(entry_id, cancel):
                self.pending.append(certificate)
                self.pending.extend(todo[index + 1 :])
                raise self.end(Outcome.QUEUED, CERTIFICATE_PENDING)
            self._go(CertState.INSTALLING)
            if progress:
                progress(certificate, CertState.INSTALLING)
            self._install(certificate, entry_id)
        with self.step():
            applications.push(self.terminal)  # the certConfs
        self._complete(CertState.DONE)
        return self.installed

    def _request(
        self, certificate: Certificate, progress: Callable[[Certificate, CertState], None] | None
    ) -> uuid.UUID:
        assert self.number is not None and self.local_id is not None
        if progress:
            progress(certificate, CertState.GENERATING)
        key = CARD_KEY[certificate]
        pin = self._pins[PIN_OF[certificate]]
        fee = self.request.fee_for(certificate)
        with self.step():
            jpki = self.card.jpki()
            issuer = ChallengeResponseIssuer(jpki, self.terminal.authorizer(self.number))
            with self._card_write():
                if not self.renewal:
                    issuer.reset_pin(key.pin, pin)  # the new PIN (要綱 2-11)
                public_key = issuer.generate_key_pair(key)
            jpki.verify(key.pin, pin)  # the held PIN: VERIFY does not keep it, the ending wipes it
            csr = p10_from_card(public_key, functools.partial(jpki.compute_signature, key))
        self._go(CertState.REQUESTING)
        if progress:
            progress(certificate, CertState.REQUESTING)
        with self.step():
            entry_id = issuance.request_certificate(
                self.terminal.sessions,
                self.terminal.link,
                application_id=self.local_id,
                application_number=self.number,
                card_id=self.reading.card_hex,
                cert_kind=STORE_KIND[certificate],
                csr=csr,
                now=self.terminal.clock(),
                # The ledger books paid / free per certificate: this certificate's own fee.
                fee=fee.store_fee,
                fee_yen=fee.yen,
            )
        return entry_id

    def _step_of(self, entry_id: uuid.UUID) -> IssuanceStep:
        with self.terminal.sessions.begin() as session:
            return journal.get(session, entry_id).step

    def _wait_for_certificate(self, entry_id: uuid.UUID, cancel: threading.Event) -> bool:
        """Deliver the request and poll until 機構's certificate is in the journal, for at most
        `certificate_wait_s`. False: not yet — the recovery worker installs it on a later visit."""
        terminal = self.terminal
        deadline = terminal.clock() + timedelta(seconds=terminal.certificate_wait_s)
        while True:
            with self.step():
                applications.push(terminal)
                step = self._step_of(entry_id)
            if step is not IssuanceStep.REQUESTED:
                return step is IssuanceStep.CERTIFICATE_RECEIVED
            if cancel.is_set() or terminal.clock() >= deadline:
                return False
            with self.step():
                enqueue_polls(terminal.sessions, terminal.link, now=terminal.clock())
            terminal.sleep(1.0)

    def _install(self, certificate: Certificate, entry_id: uuid.UUID) -> None:
        terminal = self.terminal
        present = PresentCard(self.reading.card_hex, self.card.jpki(), terminal.authorizer)
        with self.step():
            with self._card_write():
                step = issuance.install(
                    terminal.sessions, terminal.sealer, terminal.link, entry_id, present, now=terminal.clock()
                )
            if step is not IssuanceStep.CONFIRMED:
                raise self.end(Outcome.FAILED, "read-back-mismatch")
            with terminal.sessions.begin() as session:
                der = journal.get(session, entry_id).open_certificate(terminal.sealer)
        cert = x509.load_der_x509_certificate(der)
        self.installed.append(
            Installed(certificate, format(cert.serial_number, "x"), jst_day(cert.not_valid_after_utc))
        )
        self._record(
            "certificate.installed",
            {"kind": APP_KIND[certificate], "serial": format(cert.serial_number, "x")},
        )

    # -- ending -------------------------------------------------------------------------------

    def _on_close(self, ending: Ending) -> None:
        self._pins.clear()  # wiped by the base class (held)
        if (
            self.local_id is not None
            and ending.outcome in (Outcome.CANCELLED, Outcome.TIMED_OUT, Outcome.FAILED)
            and not self.installed
            and self.state in (CertState.APPLYING, CertState.GENERATING)
        ):
            applications.set_state(self.terminal, self.local_id, ApplicationState.CANCELLED)
