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
from datetime import date
from typing import Any, ClassVar, Final

from appdata.model import BasicInfo, Procedure
from kiosk.domain.pin_rules import PinKind, PinUse, check_entry
from kiosk.domain.secret import Secret
from kiosk.flows.counter import applications
from kiosk.flows.counter.card import CardAtCounter, CardReading
from kiosk.flows.counter.identity import Established, PinAttempt, try_pin
from kiosk.flows.counter.machine import Flow, Outcome, Recorder
from kiosk.flows.counter.terminal import CounterTerminal
from kiosk.reader.admin import ChallengeResponseIssuer
from kiosk.reader.jpki import JpkiPin, JpkiSession
from kiosk.reader.juki import JukiPin, JukiSession
from kiosk.reader.session import ApplicationSession

RESETTABLE: Final = (PinKind.SIGN, PinKind.AUTH)  # JPKI PINs; 機構 authorises their reset
_APP_TARGET: Final = {PinKind.SIGN: "sign", PinKind.AUTH: "auth"}
JPKI_PIN: Final = {PinKind.SIGN: JpkiPin.SIGN, PinKind.AUTH: JpkiPin.AUTH}
_CHANGEABLE: Final = (PinKind.JUKI, *JPKI_PIN)


def check_new_pin(kind: PinKind, pin: Secret, birth_date: date | None) -> None:
    """A new PIN as the keypad took it, checked again before the card sees it: ValueError (the
    PIN wiped) naming the issues when the rules refuse it."""
    state = check_entry(kind, pin, PinUse.NEW, birth_date=birth_date)
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
        super().__init__(ChangeState.CURRENT, record=record or terminal.record(actor, "visit"))
        if kind not in _CHANGEABLE:
            raise ValueError(f"the {kind.label} is not changed at this terminal")
        self.terminal, self.card, self.kind = terminal, card, kind
        self._current: Secret | None = None

    def _session(self) -> tuple[ApplicationSession[Any], JukiPin | JpkiPin]:
        """The PIN's application, selected (which clears what was verified before), and its PIN."""
        if self.kind is PinKind.JUKI:
            return JukiSession(self.card.transport), JukiPin.PIN
        return JpkiSession(self.card.transport), JPKI_PIN[self.kind]

    def verify_current(self, pin: Secret) -> PinAttempt:
        """The card checks the current PIN now; a wrong one costs a try (shown before entry)."""
        self._take(pin, ChangeState.CURRENT)
        with self.step():
            attempt = try_pin(*self._session(), pin)
        self._record(
            "pin.verify",
            {"pin": self.kind.value, "verified": attempt.verified, "tries_left": attempt.tries_left},
        )
        if not attempt.verified:
            pin.wipe()
            if attempt.blocked:
                raise self.end(Outcome.REFUSED, "pin-blocked")
            return attempt
        self._current = pin
        self._go(ChangeState.NEW)
        return attempt

    def change(self, new: Secret, *, birth_date: date | None = None) -> None:
        """The new PIN, confirmed on the keypad; checked again here before the card sees it."""
        self._take(new, ChangeState.NEW)
        check_new_pin(self.kind, new, birth_date)
        assert self._current is not None
        with self.step():
            session, ref = self._session()
            with self._card_write():
                session.change_pin(ref, self._current, new)
        self._record("pin.changed", {"pin": self.kind.value})
        self._go(ChangeState.DONE)
        self.close(Outcome.COMPLETED)


class ResetState(enum.Enum):
    NEW = "new"
    APPLYING = "applying"
    RESETTING = "resetting"
    DONE = "done"


class PinResetFlow(applications.ApplicationFlow[ResetState]):
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
            ResetState.NEW,
            terminal,
            reading,
            applicant=applicant,
            identity=identity,
            operator=operator,
            record=record,
        )
        if not targets or set(targets) - set(RESETTABLE) or len(set(targets)) != len(targets):
            raise ValueError("a reset names the signing and/or user-auth PIN, each once")
        self.card, self.targets = card, targets
        self._new: dict[PinKind, Secret] = {}
        self.number: int | None = None

    def set_new_pin(self, kind: PinKind, pin: Secret) -> None:
        self._take(pin, ResetState.NEW)
        if kind not in self.targets:
            pin.wipe()
            raise ValueError(f"the {kind.label} is not reset in this application")
        check_new_pin(kind, pin, self.applicant.birth_date)
        old = self._new.pop(kind, None)
        if old is not None:
            old.wipe()
        self._new[kind] = pin

    def apply_and_reset(self) -> None:
        self._expect(ResetState.NEW)
        if set(self._new) != set(self.targets):
            raise ValueError("every PIN being reset needs its new value first")
        self._go(ResetState.APPLYING)
        data = self._draft(Procedure.PIN_RESET, pin_targets=tuple(_APP_TARGET[k] for k in self.targets))
        submitted = self._submit_online(data)
        self.number = submitted.number
        self._go(ResetState.RESETTING)
        with self.step():
            issuer = ChallengeResponseIssuer(
                JpkiSession(self.card.transport), self.terminal.authorizer(self.number)
            )
            with self._card_write():
                for kind in self.targets:
                    issuer.reset_pin(JPKI_PIN[kind], self._new[kind])
                    self._record("pin.reset", {"pin": kind.value, "application": str(submitted.local_id)})
        self._complete(ResetState.DONE)
