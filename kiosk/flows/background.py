"""The kiosk's background work, whether the counter UI runs or not (docs/store-and-sync.md):

- the outbox relay, on its own thread;
- every `poll_interval`: the central's notices pulled into the inbox and applied (a deferred
  decision arrives here first), then pollReqs for delayed issuances still waiting;
- the recovery worker once at start (entries that need no card: certConf, 破棄 after the card
  wait) and again whenever a card is inserted (entries for *that* card: write, read back),
  after asking the central for certificates of that card another terminal left unfinished
  (kiosk.flows.handover).
- the retention purge (kiosk.store.retention) on the poller's thread, when it starts and then
  every `RetentionPolicy.interval` (a day): delivered messages, applied notices, finished
  issuances and applications, audit records past ten years.

The card is opened only for the recovery pass and closed at once, so a counter flow that starts
afterwards gets the reader; a flow running when the card arrives is the caller's to coordinate
(the UI calls `card_inserted` only when no procedure is on screen).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from kiosk.flows.handover import HandoverUnavailable, take_over
from kiosk.flows.notices import NoticeHandlers
from kiosk.flows.ports import CentralPort, PresentCard
from kiosk.flows.recovery import RecoveryReport, recover
from kiosk.flows.responses import CertificateResponses, enqueue_polls
from kiosk.reader.errors import CardError
from kiosk.reader.jpki import JpkiSession
from kiosk.reader.pcsc import ReaderEvent, ReaderEventKind, open_card
from kiosk.reader.transport import Transport
from kiosk.store.coltypes import utcnow
from kiosk.store.retention import DEFAULT_RETENTION, RetentionPolicy, RetentionReport
from kiosk.store.retention import purge as purge_retention
from kiosk.store.sealed import Sealer
from kiosk.sync import notices
from kiosk.sync.central import CentralLink, CentralUnreachable, CmpAdminAuthorizer
from kiosk.sync.journal import DEFAULT_POLICY, RecoveryPolicy
from kiosk.sync.relay import ReceiptVerifier, Relay, Sender

log = logging.getLogger(__name__)

CardOpener = Callable[[], contextlib.AbstractContextManager[PresentCard]]
RETENTION_RETRY = timedelta(hours=1)


def reader_card(link: CentralLink, preferred_reader: str | None = None) -> CardOpener:
    """Opens the card in the reader as a `PresentCard` whose writes the central authorises."""

    @contextlib.contextmanager
    def opened() -> Iterator[PresentCard]:
        with open_card(preferred_reader) as connection:
            jpki = JpkiSession(Transport(connection))
            yield PresentCard(
                jpki.card_id().hex(), jpki, lambda application: CmpAdminAuthorizer(link, application)
            )

    return opened


class SyncService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        sealer: Sealer,
        link: CentralPort,
        *,
        send: Sender,
        verify_receipt: ReceiptVerifier,
        open_card: CardOpener,
        clock: Callable[[], datetime] = utcnow,
        policy: RecoveryPolicy = DEFAULT_POLICY,
        poll_interval: timedelta = timedelta(seconds=5),
        retention: RetentionPolicy = DEFAULT_RETENTION,
    ) -> None:
        self._sessions, self._sealer, self._link = sessions, sealer, link
        self._retention = retention
        self._next_purge: datetime | None = None  # None: at the poller's start
        self._open_card = open_card
        self._clock = clock
        self._policy = policy
        self._poll_interval = poll_interval
        responses = CertificateResponses(sealer, link, clock=clock)
        self.relay = Relay(sessions, send, verify_receipt=verify_receipt, on_settled=responses)
        self.notice_handlers = NoticeHandlers(sealer, responses, verify_receipt, clock=clock).handlers()
        self._stop = threading.Event()
        self._recovering = threading.Lock()  # one recovery pass at a time (start vs card)
        self._threads: list[threading.Thread] = []

    def start(self) -> RecoveryReport:
        """Recover what needs no card, then start the relay and the poller."""
        report = self._recover(None)
        self._threads = [
            threading.Thread(target=self.relay.run_forever, args=(self._stop,), name="relay", daemon=True),
            threading.Thread(target=self._poll_loop, name="poller", daemon=True),
        ]
        for thread in self._threads:
            thread.start()
        return report

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(10)

    def card_inserted(self) -> RecoveryReport | None:
        """Resume this card's unfinished issuances. None if the card could not be opened."""
        try:
            with self._open_card() as card:
                return self._recover(card)
        except CardError as exc:  # pulled again at once, mute card: it will be inserted again
            log.warning("recovery on card insertion skipped: %s", type(exc).__name__)
            return None

    def on_reader_event(self, event: ReaderEvent) -> None:
        """A `ReaderMonitor` listener (headless kiosks; the UI marshals events itself)."""
        if event.kind is ReaderEventKind.CARD_INSERTED:
            self.card_inserted()

    def _recover(self, card: PresentCard | None) -> RecoveryReport:
        with self._recovering:
            if card is not None:
                try:  # another terminal's certificate for this card first: then recovered as ours
                    take_over(self._sessions, self._sealer, self._link, card, clock=self._clock)
                except HandoverUnavailable as exc:
                    log.info("no handover asked for this card: %s", exc)
            return recover(
                self._sessions, self._sealer, self._link, now=self._clock(), card=card, policy=self._policy
            )

    def pull_notices(self) -> notices.PullReport | None:
        """One notice pull; None when the central cannot be reached (the next pass retries)."""
        try:
            return notices.pull(self._sessions, self._link, self.notice_handlers, clock=self._clock)
        except CentralUnreachable as exc:
            log.info("notices not pulled, central unreachable: %s", exc)
            return None

    def purge_records(self) -> RetentionReport | None:
        """One retention pass (it logs its counts); None if it failed: tried again in an hour,
        not at every poll (a store that fails once will likely fail again at once)."""
        try:
            report = purge_retention(self._sessions, now=self._clock(), policy=self._retention)
        except Exception:
            retry = min(self._retention.interval, RETENTION_RETRY)
            self._next_purge = self._clock() + retry
            log.exception("retention purge failed; tried again in %s", retry)
            return None
        self._next_purge = self._clock() + self._retention.interval
        return report

    def _purge_if_due(self) -> None:
        if self._next_purge is None or self._clock() >= self._next_purge:
            self.purge_records()

    def _poll_loop(self) -> None:
        self._purge_if_due()  # at start: a kiosk switched off every night still purges
        while not self._stop.wait(self._poll_interval.total_seconds()):
            self._purge_if_due()
            try:
                self.pull_notices()
            except Exception:
                log.exception("notice pull failed; next in %s", self._poll_interval)
            try:
                enqueue_polls(self._sessions, self._link, now=self._clock())
            except Exception:
                log.exception("pollReq pass failed; next in %s", self._poll_interval)
