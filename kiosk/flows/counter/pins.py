"""暗証番号変更 and 暗証番号初期化・再設定 at the counter.

    change:  CURRENT ─► NEW ─► DONE          (the card checks the current PIN; nothing goes to 機構)
    reset:   NEW ─► APPLYING ─► RESETTING ─► DONE   (after the identity check; 機構 authorises it)

A PIN change needs the current PIN (要綱 4-9) and changes nothing 機構 holds, so it works with
機構 unreachable. A reset is authorised online against an accepted PIN-reset application that
records the identity check (規則 65-4, 65-5; docs/card-admin.md): 機構 must be reachable.
The 住基 PIN is changed here too (its AP is on the card); its reset is the 住基 system's, not 機構's.
"""

from __future__ import annotations

import enum
import uuid
from typing import ClassVar, Final

from appdata.model import BasicInfo, Procedure
from kiosk.domain.pin_rules import PinKind, PinUse, check_entry
from kiosk.domain.secret import Secret
from kiosk.flows.counter import applications
from kiosk.flows.counter.card import CardAtCounter, CardReading
from kiosk.flows.counter.identity import Established, PinAttempt
from kiosk.flows.counter.machine import Flow, Outcome, Recorder
from kiosk.flows.counter.terminal import CounterTerminal
from kiosk.reader.admin import ChallengeResponseIssuer
from kiosk.reader.errors import InvalidPin, PinBlocked
from kiosk.reader.jpki import JpkiPin, JpkiSession
from kiosk.reader.juki import JukiPin, JukiSession
from kiosk.reader.session import ApplicationSession
from kiosk.store.models import ApplicationState

RESETTABLE: Final = (PinKind.SIGN, PinKind.AUTH)  # JPKI PINs; 機構 authorises their reset
_APP_TARGET: Final = {PinKind.SIGN: "sign", PinKind.AUTH: "auth"}
_JPKI_PIN: Final = {PinKind.SIGN: JpkiPin.SIGN, PinKind.AUTH: JpkiPin.AUTH}


def _session_and_pin(card: CardAtCounter, kind: PinKind) -> tuple[ApplicationSession, enum.Enum]:  # type: ignore[type-arg]
    if kind is PinKind.JUKI:
        return JukiSession(card.transport), JukiPin.PIN
    if kind in _JPKI_PIN:
        return JpkiSession(card.transport), _JPKI_PIN[kind]
    raise ValueError(f"the {kind.label} is not changed at this terminal")


def _check_new(kind: PinKind, pin: Secret, applicant_birth: object | None) -> None:
    state = check_entry(kind, pin, PinUse.NEW, birth_date=applicant_birth)  # type: ignore[arg-type]
    if not state.valid:
        pin.wipe()
        raise ValueError(f"new {kind.label} refused: {', '.join(i.name for i in state.issues)}")


class ChangeState(enum.Enum):
    CURRENT = "current"
    NEW = "new"
    DONE = "done"


class PinChangeFlow(Flow[ChangeState]):
    NAME: ClassVar[str] = "pin_change"
    TRANSITIONS: ClassVar = {
        ChangeState.CURRENT: frozenset({ChangeState.NEW}),
        ChangeState.NEW: frozenset({ChangeState.DONE}),
    }

    def __init__(
        self,
        terminal: CounterTerminal,
        card: CardAtCounter,
        kind: PinKind,
        *,
        actor: str,
        record: Recorder | None = None,
    ) -> None:
        super().__init__(ChangeState.CURRENT, release=None, record=record or terminal.record(actor, "visit"))
        _session_and_pin(card, kind)  # refuses a PIN this terminal does not change
        self.terminal, self.card, self.kind = terminal, card, kind
        self._current: Secret | None = None

    def verify_current(self, pin: Secret) -> PinAttempt:
        """The card checks the current PIN now; a wrong one costs a try (shown before entry)."""
        self._expect(ChangeState.CURRENT)
        session, ref = _session_and_pin(self.card, self.kind)
        with self.step():
            try:
                session.verify(ref, pin)
            except InvalidPin as exc:
                pin.wipe()
                self._note(False, exc.tries_left)
                if exc.tries_left == 0:
                    raise self.end(Outcome.REFUSED, "pin-blocked") from exc
                return PinAttempt(False, exc.tries_left)
            except PinBlocked as exc:
                pin.wipe()
                raise self.end(Outcome.REFUSED, "pin-blocked") from exc
        self._note(True, None)
        self._current = self.hold(pin)
        self._go(ChangeState.NEW)
        return PinAttempt(True, None)

    def _note(self, verified: bool, tries_left: int | None) -> None:
        if self._record is not None:
            self._record(
                "pin.verify", {"pin": self.kind.value, "verified": verified, "tries_left": tries_left}
            )

    def change(self, new: Secret, *, birth_date: object | None = None) -> None:
        """The new PIN, confirmed on the keypad; checked again here before the card sees it."""
        self._expect(ChangeState.NEW)
        _check_new(self.kind, new, birth_date)
        self.hold(new)
        assert self._current is not None
        session, ref = _session_and_pin(self.card, self.kind)
        with self.step():
            self.writing = True
            try:
                session.change_pin(ref, self._current, new)
            finally:
                self.writing = False
        if self._record is not None:
            self._record("pin.changed", {"pin": self.kind.value})
        self._go(ChangeState.DONE)
        self.close(Outcome.COMPLETED)


class ResetState(enum.Enum):
    NEW = "new"
    APPLYING = "applying"
    RESETTING = "resetting"
    DONE = "done"


class PinResetFlow(Flow[ResetState]):
    """Reset of one or both JPKI PINs, after the identity check."""

    NAME: ClassVar[str] = "pin_reset"
    TRANSITIONS: ClassVar = {
        ResetState.NEW: frozenset({ResetState.APPLYING}),
        ResetState.APPLYING: frozenset({ResetState.RESETTING}),
        ResetState.RESETTING: frozenset({ResetState.DONE}),
    }

    def __init__(
        self,
        terminal: CounterTerminal,
        card: CardAtCounter,
        reading: CardReading,
        *,
        targets: tuple[PinKind, ...],
        applicant: BasicInfo,
        identity: Established,
        operator: str,
        record: Recorder | None = None,
    ) -> None:
        super().__init__(
            ResetState.NEW, release=None, record=record or terminal.record(operator or "terminal", "visit")
        )
        if not targets or set(targets) - set(RESETTABLE) or len(set(targets)) != len(targets):
            raise ValueError("a reset names the signing and/or user-auth PIN, each once")
        self.terminal, self.card, self.reading = terminal, card, reading
        self.targets, self.applicant, self.identity, self.operator = targets, applicant, identity, operator
        self._new: dict[PinKind, Secret] = {}
        self.local_id: uuid.UUID | None = None
        self.message_id: uuid.UUID | None = None
        self.number: int | None = None

    def set_new_pin(self, kind: PinKind, pin: Secret) -> None:
        self._expect(ResetState.NEW)
        if kind not in self.targets:
            pin.wipe()
            raise ValueError(f"the {kind.label} is not reset in this application")
        _check_new(kind, pin, self.applicant.birth_date)
        old = self._new.pop(kind, None)
        if old is not None:
            old.wipe()
        self._new[kind] = self.hold(pin)

    def apply_and_reset(self) -> None:
        self._expect(ResetState.NEW)
        if set(self._new) != set(self.targets):
            raise ValueError("every PIN being reset needs its new value first")
        self._go(ResetState.APPLYING)
        data = applications.draft(
            self.terminal,
            self.reading,
            Procedure.PIN_RESET,
            applicant=self.applicant,
            identity=self.identity,
            operator=self.operator,
            pin_targets=tuple(_APP_TARGET[k] for k in self.targets),
        )
        submitted = applications.submit_online(self, self.terminal, data)
        self.number = number = submitted.number
        self._go(ResetState.RESETTING)
        with self.step():
            issuer = ChallengeResponseIssuer(
                JpkiSession(self.card.transport), self.terminal.authorizer(number)
            )
            self.writing = True
            try:
                for kind in self.targets:
                    issuer.reset_pin(_JPKI_PIN[kind], self._new[kind])
                    if self._record is not None:
                        self._record("pin.reset", {"pin": kind.value, "application": str(submitted.local_id)})
            finally:
                self.writing = False
        applications.set_state(self.terminal, submitted.local_id, ApplicationState.COMPLETED)
        self._go(ResetState.DONE)
        self.close(Outcome.COMPLETED)
