"""PC/SC through pyscard — the only module that imports `smartcard`.

Uses pyscard's thin `smartcard.scard` layer rather than its object layer: every call returns
the PC/SC result code, which is what tells a pulled card (`SCARD_W_REMOVED_CARD`) from a broken
reader, and `SCardGetStatusChange`/`SCardCancel` give hot-plug without polling loops.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import Enum

from smartcard import scard

from kiosk.reader.errors import CardRemoved, NoCard, ReaderUnavailable, TransportError

_log = logging.getLogger(__name__)

PNP_NOTIFICATION = "\\\\?PnP?\\Notification"

_REMOVED = {
    scard.SCARD_W_REMOVED_CARD,
    scard.SCARD_E_NO_SMARTCARD,
    scard.SCARD_W_RESET_CARD,
    scard.SCARD_W_UNPOWERED_CARD,
    scard.SCARD_E_READER_UNAVAILABLE,
    scard.SCARD_E_UNKNOWN_READER,
}
_NO_SERVICE = {scard.SCARD_E_NO_SERVICE, scard.SCARD_E_SERVICE_STOPPED}


def _message(hresult: int) -> str:
    return f"{scard.SCardGetErrorMessage(hresult).strip()} (0x{hresult & 0xFFFFFFFF:08X})"


@dataclass(frozen=True)
class ReaderState:
    name: str
    present: bool
    atr: bytes = b""
    in_use: bool = False


def pick_reader(states: Sequence[ReaderState], preferred: str | None = None) -> ReaderState:
    """The reader to use: the preferred one if named, else the only one holding a card.

    vpcd always shows two readers, and a terminal may have a staff-card reader beside the
    resident's, so `readers()[0]` is never the answer (CARD.md §12.4 #3).
    """
    if preferred is not None:
        for state in states:
            if state.name == preferred or state.name.startswith(preferred):
                return state
        raise ReaderUnavailable(f"reader {preferred!r} not found among {[s.name for s in states]}")
    with_card = [s for s in states if s.present]
    if not with_card:
        raise NoCard("no card in any reader" if states else "no reader connected")
    if len(with_card) > 1:
        raise NoCard(f"cards in several readers, name one: {[s.name for s in with_card]}")
    return with_card[0]


class PcscContext:
    """One PC/SC context; use one per thread that blocks in `wait_for_change`."""

    def __init__(self) -> None:
        hresult, self._handle = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if hresult != scard.SCARD_S_SUCCESS:
            raise ReaderUnavailable(f"PC/SC service not available: {_message(hresult)}")

    def close(self) -> None:
        if self._handle is not None:
            scard.SCardReleaseContext(self._handle)
            self._handle = None

    def __enter__(self) -> PcscContext:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def readers(self) -> list[str]:
        hresult, names = scard.SCardListReaders(self._handle, [])
        if hresult == scard.SCARD_E_NO_READERS_AVAILABLE:
            return []
        if hresult != scard.SCARD_S_SUCCESS:
            raise ReaderUnavailable(f"cannot list readers: {_message(hresult)}")
        return list(names)

    def states(self, names: Iterable[str] | None = None) -> list[ReaderState]:
        names = self.readers() if names is None else list(names)
        if not names:
            return []
        hresult, states = scard.SCardGetStatusChange(
            self._handle, 0, [(name, scard.SCARD_STATE_UNAWARE) for name in names]
        )
        if hresult != scard.SCARD_S_SUCCESS:
            raise ReaderUnavailable(f"cannot read reader states: {_message(hresult)}")
        return [_state(name, event, atr) for name, event, atr in states]

    def wait_for_change(self, known: dict[str, int], timeout_ms: int) -> dict[str, tuple[int, bytes]] | None:
        """Block until a reader or card changes, the timeout passes (None), or `cancel()`.

        `known` maps reader name (and the PnP pseudo-reader) to the last event state seen; the
        answer maps each to its new event state (CHANGED bit cleared) and ATR. `{}`: a reader
        vanished meanwhile, re-list.
        """
        query = [(name, state) for name, state in known.items()]
        hresult, states = scard.SCardGetStatusChange(self._handle, timeout_ms, query)
        if hresult in (scard.SCARD_E_TIMEOUT, scard.SCARD_E_CANCELLED):
            return None
        if hresult in _NO_SERVICE:
            raise ReaderUnavailable(f"PC/SC service stopped: {_message(hresult)}")
        if hresult == scard.SCARD_E_UNKNOWN_READER:
            return {}  # a reader vanished between listing and waiting: caller re-lists
        if hresult != scard.SCARD_S_SUCCESS:
            raise ReaderUnavailable(f"waiting for reader events failed: {_message(hresult)}")
        return {name: (event & ~scard.SCARD_STATE_CHANGED, bytes(atr)) for name, event, atr in states}

    def cancel(self) -> None:
        """Wake a thread blocked in `wait_for_change` on this context (thread-safe per PC/SC)."""
        handle = self._handle  # one read: close() may run concurrently
        if handle is not None:
            scard.SCardCancel(handle)

    def connect(self, reader: str, *, exclusive: bool = True, extended_length: bool = True) -> PcscConnection:
        share = scard.SCARD_SHARE_EXCLUSIVE if exclusive else scard.SCARD_SHARE_SHARED
        protocols = scard.SCARD_PROTOCOL_T1 | scard.SCARD_PROTOCOL_T0
        hresult, card, protocol = scard.SCardConnect(self._handle, reader, share, protocols)
        if hresult in _REMOVED:
            raise NoCard(f"no card in {reader!r}: {_message(hresult)}")
        if hresult != scard.SCARD_S_SUCCESS:
            raise ReaderUnavailable(f"cannot connect to {reader!r}: {_message(hresult)}")
        return PcscConnection(reader, card, protocol, extended_length=extended_length)

    def detach(self) -> int | None:
        """Hand the raw context to a connection that now owns it (pcsc-lite releases a context's
        card handles together with the context)."""
        handle, self._handle = self._handle, None
        return handle


def _state(name: str, event: int, atr: Sequence[int]) -> ReaderState:
    present = bool(event & scard.SCARD_STATE_PRESENT) and not event & scard.SCARD_STATE_MUTE
    return ReaderState(name, present, bytes(atr) if present else b"", bool(event & scard.SCARD_STATE_INUSE))


class PcscConnection:
    """A `CardConnection` on a real reader."""

    def __init__(self, reader: str, card: int, protocol: int, *, extended_length: bool) -> None:
        self.reader = reader
        self._owned_context: int | None = None
        self._card: int | None = card
        self._protocol = protocol
        self._extended = extended_length
        hresult, _name, _state, _proto, atr = scard.SCardStatus(card)
        if hresult in _REMOVED:
            raise CardRemoved(f"card left {reader!r} while connecting")
        self._atr = bytes(atr) if hresult == scard.SCARD_S_SUCCESS else b""

    @property
    def atr(self) -> bytes:
        return self._atr

    @property
    def supports_extended_length(self) -> bool:
        return self._extended

    def transmit(self, apdu: bytes | bytearray) -> bytes:
        if self._card is None:
            raise CardRemoved("connection already closed")
        # pyscard wants a list of ints; small ints are shared objects, so this list is no new
        # copy of a PIN's bytes beyond its short life.
        hresult, response = scard.SCardTransmit(self._card, self._protocol, list(apdu))
        if hresult in _REMOVED:
            self._drop()
            raise CardRemoved(f"card removed from {self.reader!r}: {_message(hresult)}")
        if hresult != scard.SCARD_S_SUCCESS:
            if not self._card_still_there():
                self._drop()
                raise CardRemoved(f"card removed from {self.reader!r}: {_message(hresult)}")
            raise TransportError(f"transmit failed on {self.reader!r}: {_message(hresult)}")
        return bytes(response)

    def _card_still_there(self) -> bool:
        hresult, *_rest = scard.SCardStatus(self._card)
        return hresult == scard.SCARD_S_SUCCESS

    def _drop(self) -> None:
        card, self._card = self._card, None
        if card is not None:
            scard.SCardDisconnect(card, scard.SCARD_LEAVE_CARD)

    def own_context(self, handle: int | None) -> None:
        self._owned_context = handle

    def close(self) -> None:
        """Reset the card so no security status (verified PINs) outlives the session."""
        card, self._card = self._card, None
        if card is not None:
            scard.SCardDisconnect(card, scard.SCARD_RESET_CARD)
        context, self._owned_context = self._owned_context, None
        if context is not None:
            scard.SCardReleaseContext(context)

    def __enter__(self) -> PcscConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ReaderEventKind(Enum):
    READER_ADDED = "reader added"
    READER_REMOVED = "reader removed"
    CARD_INSERTED = "card inserted"
    CARD_REMOVED = "card removed"


@dataclass(frozen=True)
class ReaderEvent:
    kind: ReaderEventKind
    reader: str
    atr: bytes = b""


class ReaderMonitor:
    """Reports reader and card arrivals/departures from a background thread.

    `on_event` runs on the monitor's thread; a UI must marshal it to its own thread.
    """

    def __init__(self, on_event: Callable[[ReaderEvent], None], *, poll_ms: int = 1000) -> None:
        self._on_event = on_event
        self._poll_ms = poll_ms
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._lock = threading.Lock()  # guards _context between the monitor thread and stop()
        self._context: PcscContext | None = None
        self._thread = threading.Thread(target=self._run, name="reader-monitor", daemon=True)

    def start(self) -> None:
        """Start watching; returns once the readers present at start have been reported."""
        self._thread.start()
        self._ready.wait(5)

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            if self._context is not None:
                self._context.cancel()
        if threading.current_thread() is not self._thread:  # stop() may come from a listener
            self._thread.join(5)

    def _run(self) -> None:
        cards: dict[str, bytes | None] = {}  # reader → ATR of its card, None when empty
        problem: list[str] = []  # the failure last logged as a warning, while it lasts
        while not self._stop.is_set():
            try:
                context = PcscContext()
            except ReaderUnavailable as exc:
                _retrying(problem, exc)
                self._ready.set()
                self._stop.wait(self._poll_ms / 1000)
                continue
            if problem:
                _log.info("reader monitor: PC/SC is back")
                problem.clear()
            with self._lock:
                self._context = context
            try:
                self._watch(context, cards)
            except ReaderUnavailable as exc:
                _retrying(problem, exc)
                self._stop.wait(self._poll_ms / 1000)
            finally:
                with self._lock:
                    self._context = None
                context.close()
        self._ready.set()

    def _watch(self, context: PcscContext, cards: dict[str, bytes | None]) -> None:
        # Each state handed back is the one PC/SC returned, event counter included, so the wait
        # returns only on a real change (a mute card cannot make it spin) and a swap with the
        # same ATR still shows as a new counter.
        known: dict[str, int] = {PNP_NOTIFICATION: scard.SCARD_STATE_UNAWARE}
        self._sync_readers(context, known, cards)
        while not self._stop.is_set():
            changed = context.wait_for_change(known, self._poll_ms)
            if changed is None:  # timeout or stop: re-list, for stacks without PnP notification
                self._sync_readers(context, known, cards)
                self._ready.set()
                continue
            relist = not changed
            for name, (event, atr) in changed.items():
                before, known[name] = known.get(name, scard.SCARD_STATE_UNAWARE), event
                if name == PNP_NOTIFICATION or event & (
                    scard.SCARD_STATE_UNKNOWN | scard.SCARD_STATE_UNAVAILABLE
                ):
                    relist = True
                else:
                    present = bool(event & scard.SCARD_STATE_PRESENT) and not event & scard.SCARD_STATE_MUTE
                    swapped = before != scard.SCARD_STATE_UNAWARE and (before >> 16) != (event >> 16)
                    self._update(name, atr if present else None, cards, swapped=swapped)
            if relist:
                self._sync_readers(context, known, cards)
            self._ready.set()

    def _sync_readers(
        self, context: PcscContext, known: dict[str, int], cards: dict[str, bytes | None]
    ) -> None:
        names = context.readers()
        for gone in [name for name in cards if name not in names]:
            if cards.pop(gone) is not None:
                self._emit(ReaderEventKind.CARD_REMOVED, gone)
            known.pop(gone, None)
            self._emit(ReaderEventKind.READER_REMOVED, gone)
        for name in names:
            if name not in cards:
                cards[name] = None
                known[name] = scard.SCARD_STATE_UNAWARE  # the next wait answers at once with its state
                self._emit(ReaderEventKind.READER_ADDED, name)

    def _update(
        self, reader: str, atr: bytes | None, cards: dict[str, bytes | None], *, swapped: bool
    ) -> None:
        old = cards.get(reader)
        if old == atr and not (swapped and atr is not None):
            return
        if old is not None:
            self._emit(ReaderEventKind.CARD_REMOVED, reader)
        if atr is not None:
            self._emit(ReaderEventKind.CARD_INSERTED, reader, atr)
        cards[reader] = atr

    def _emit(self, kind: ReaderEventKind, reader: str, atr: bytes = b"") -> None:
        try:
            self._on_event(ReaderEvent(kind, reader, atr))
        except Exception:  # a faulty listener must not kill hot-plug detection
            _log.exception("reader event listener failed")


def _retrying(problem: list[str], exc: ReaderUnavailable) -> None:
    """A warning when PC/SC fails, or fails otherwise than before; while the same failure lasts
    (no pcscd: once a poll), the retries go to the debug log instead of filling the log."""
    text = str(exc)
    if problem == [text]:
        _log.debug("reader monitor: %s; retrying", text)
        return
    _log.warning("reader monitor: %s; retrying", text)
    problem[:] = [text]


def open_card(
    preferred: str | None = None, *, exclusive: bool = True, extended_length: bool = True
) -> PcscConnection:
    """Connect to the card in the chosen reader (see `pick_reader`)."""
    with PcscContext() as context:
        state = pick_reader(context.states(), preferred)
        if not state.present:
            raise NoCard(f"no card in {state.name!r}")
        connection = context.connect(state.name, exclusive=exclusive, extended_length=extended_length)
        connection.own_context(context.detach())
        return connection
