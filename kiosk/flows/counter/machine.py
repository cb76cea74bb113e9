"""What every counter flow shares: explicit states with a transition table, one ending, cleanup.

A flow is driven step by step by the UI (each step a blocking call made off the UI thread). Any
step may end it; whatever ends it — completion, cancel, idle timeout, a pulled card, an error —
goes through `close`, which wipes every PIN the flow still holds and records the ending in the
audit chain (the reader is the visit's: `visit.Visit.end` releases it). A closed flow refuses
further steps.
"""

from __future__ import annotations

import enum
import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import ClassVar, Generic, TypeVar

from kiosk.domain.secret import Secret
from kiosk.reader.errors import CardRemoved, NoCard, ReaderUnavailable, TransportError

log = logging.getLogger(__name__)

S = TypeVar("S", bound=enum.Enum)


class Outcome(enum.StrEnum):
    COMPLETED = "completed"
    QUEUED = "queued"  # taken; its message to 機構 waits in the outbox and takes effect on delivery
    OFFLINE = "offline"  # not done: it needs 機構 live (card writes are authorised online)
    REFUSED = "refused"  # 受付不可: by the rules here or by 機構
    CANCELLED = "cancelled"
    TIMED_OUT = "timed_out"
    CARD_REMOVED = "card_removed"
    FAILED = "failed"


@dataclass(frozen=True)
class Ending:
    outcome: Outcome
    code: str = ""  # precise, for staff and the log (never personal data)


class FlowClosed(RuntimeError):
    """A step was asked of a flow that has already ended."""

    def __init__(self, ending: Ending) -> None:
        super().__init__(f"flow already ended: {ending.outcome.value} {ending.code}".rstrip())
        self.ending = ending


class IllegalStep(RuntimeError):
    """A step out of order (a programming error in the caller, not the resident's)."""


class FlowEnded(Exception):
    """Raised by a step that ended the flow; `ending` says how (the UI shows it)."""

    def __init__(self, ending: Ending) -> None:
        super().__init__(f"{ending.outcome.value} {ending.code}".rstrip())
        self.ending = ending


Recorder = Callable[[str, Mapping[str, str | int | bool | None]], None]
_CARD_GONE = (CardRemoved, NoCard, ReaderUnavailable, TransportError)


class Flow(Generic[S]):
    """Base of the procedure flows. Subclasses declare `NAME`, `TRANSITIONS` and an initial state."""

    NAME: ClassVar[str]
    TRANSITIONS: ClassVar[Mapping[enum.Enum, frozenset[enum.Enum]]]

    def __init__(self, initial: S, *, record: Recorder) -> None:
        self._state = initial
        self._record = record
        self._secrets: list[Secret] = []
        self._ending: Ending | None = None
        self._lock = threading.RLock()  # cancel() may come from the UI while a step runs
        self.writing = False  # a card write is in progress: the idle timeout must wait

    @property
    def state(self) -> S:
        return self._state

    @property
    def ending(self) -> Ending | None:
        return self._ending

    @property
    def closed(self) -> bool:
        return self._ending is not None

    def hold(self, secret: Secret) -> Secret:
        """Take a PIN into the flow's keeping: it is wiped at the latest when the flow ends."""
        self._secrets.append(secret)
        return secret

    def _take(self, secret: Secret, *states: S) -> Secret:
        """A step that is handed a PIN: held (wiped at the latest by the ending), or wiped at once
        when the step is not allowed now (closed flow, wrong state)."""
        try:
            self._expect(*states)
        except (FlowClosed, IllegalStep):
            secret.wipe()
            raise
        return self.hold(secret)

    @contextmanager
    def _card_write(self) -> Iterator[None]:
        """Around a card write: the idle timeout waits until it is over."""
        self.writing = True
        try:
            yield
        finally:
            self.writing = False

    def _go(self, new: S) -> None:
        self._require_open()
        if new not in self.TRANSITIONS.get(self._state, frozenset()):
            raise IllegalStep(f"{self.NAME}: {self._state.name} → {new.name} is not a step of this flow")
        log.info("%s: %s → %s", self.NAME, self._state.name, new.name)
        self._state = new

    def _expect(self, *states: S) -> None:
        self._require_open()
        if self._state not in states:
            raise IllegalStep(f"{self.NAME}: step not allowed in {self._state.name}")

    def _require_open(self) -> None:
        if self._ending is not None:
            raise FlowClosed(self._ending)

    def close(self, outcome: Outcome, code: str = "") -> Ending:
        """End the flow (idempotent: the first ending stands). Never raises."""
        with self._lock:
            if self._ending is not None:
                return self._ending
            self._ending = Ending(outcome, code)
            self.writing = False
            for secret in self._secrets:
                secret.wipe()
            self._secrets.clear()
            try:
                self._on_close(self._ending)
            except Exception:
                log.exception("%s: cleanup failed", self.NAME)
            try:
                self._record(
                    f"flow.{self.NAME}",
                    {"outcome": outcome.value, "code": code or None, "state": self._state.name},
                )
            except Exception:
                log.exception("%s: recording the ending failed", self.NAME)
            log.info("%s ended: %s %s", self.NAME, outcome.value, code)
            return self._ending

    def _on_close(self, ending: Ending) -> None:
        """Subclasses mark their application cancelled etc. Must not raise for a normal ending."""

    def cancel(self) -> Ending:
        return self.close(Outcome.CANCELLED, "cancelled")

    def time_out(self) -> Ending:
        """The idle timeout. Refused during a card write: a pulled session mid-write is worse than waiting."""
        if self.writing:
            raise IllegalStep(f"{self.NAME}: no timeout during a card write")
        return self.close(Outcome.TIMED_OUT, "idle")

    def card_removed(self) -> Ending:
        return self.close(Outcome.CARD_REMOVED, "card-removed")

    @contextmanager
    def step(self) -> Iterator[None]:
        """Wrap a step's card and network work: a pulled card or an unexpected error ends the flow
        (cleanup included) and surfaces as FlowEnded; the flow's own FlowEnded passes through."""
        self._require_open()
        try:
            yield
        except FlowEnded:
            raise
        except _CARD_GONE as exc:
            log.warning("%s: card gone in %s: %s", self.NAME, self._state.name, exc)
            raise FlowEnded(self.card_removed()) from exc
        except Exception as exc:
            log.exception("%s: failed in %s", self.NAME, self._state.name)
            raise FlowEnded(self.close(Outcome.FAILED, type(exc).__name__)) from exc

    def end(self, outcome: Outcome, code: str = "") -> FlowEnded:
        """Close and return the exception a step raises to say so."""
        return FlowEnded(self.close(outcome, code))
