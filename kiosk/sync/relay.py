"""The relay: delivers the outbox to the central side, in order, at least once.

- Oldest pending message first, **one in flight**: a message that cannot be delivered blocks the
  ones after it (for one card, certConf must not overtake its p10cr), retried with exponential
  backoff, equal jitter and a cap.
- A message is `sent` only when `verify_receipt(message, receipt)` accepts the central side's
  signed answer as an answer to *this* message (a JWS receipt naming its msg_id; a CMP response
  whose transactionID and recipNonce match the stored request) and the msg_id it reports is this
  message's. Anything else (transport error, unverifiable receipt, receipt for another message)
  leaves it pending; the next attempt sends the identical bytes.
- A verified receipt that says "refused" marks the message `failed` (a dead letter with the
  central side's verdict) and the relay moves on: the central side has seen it, so order holds.
- Before each send the attempt is committed (attempts + 1, next_attempt_at = now + backoff). So a
  crash during the send still counts the attempt and backs off after restart; and a second relay
  on the same file (there should be one) finds the message "not due" instead of sending in parallel.

Delivery is at-least-once: a crash after the central side stored the message but before `sent` was
committed re-sends it. The central side deduplicates on `msg_id` (and the CMP transactionID), which
makes it effectively once. No network I/O happens while a database transaction is open.
"""

from __future__ import annotations

import enum
import logging
import random as _random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from kiosk.store.coltypes import utcnow
from kiosk.store.models import OutboxMessage, OutboxState

log = logging.getLogger(__name__)

MAX_ERROR_LENGTH = 500


@dataclass(frozen=True)
class Receipt:
    """What the central side answered, as received. Nothing in it is trusted before verification."""

    raw: bytes

    def __repr__(self) -> str:
        return f"Receipt(<{len(self.raw)} bytes>)"


@dataclass(frozen=True)
class VerifiedReceipt:
    """What `verify_receipt` established from a receipt whose protection it checked."""

    msg_id: UUID  # the message it answers
    server_seq: int | None = None  # the central side's sequence for it, when the receipt has one
    accepted: bool = True
    reason: str | None = None  # the central side's reason when not accepted


Sender = Callable[[OutboxMessage], Receipt]
# Checks the receipt's protection (signature, audience, freshness) and that it answers this
# message; returns what it established. Raises if it cannot.
ReceiptVerifier = Callable[[OutboxMessage, Receipt], VerifiedReceipt]
# Runs inside the transaction that settles the message (e.g. records the certificate a cp carried
# in the issuance journal); if it raises, the message stays pending and is retried.
SettledHook = Callable[[Session, OutboxMessage, Receipt, VerifiedReceipt], None]
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Backoff:
    """delay(n) = equal jitter over min(cap, base·factor^(n-1)): half fixed, half random.

    Never zero (a dead link is not hammered by unlucky draws) and never above the cap (an outage's
    end is noticed within `cap` seconds)."""

    base: float = 1.0
    factor: float = 2.0
    cap: float = 300.0

    def delay(self, attempts: int, rand: float) -> float:
        exponent = min(max(attempts, 1) - 1, 64)  # keeps factor**exponent finite
        ceiling = min(self.cap, self.base * self.factor**exponent)
        return ceiling / 2 + rand * ceiling / 2


class RelayOutcome(enum.Enum):
    IDLE = "idle"  # nothing pending
    WAITING = "waiting"  # the oldest pending message is not due yet
    SENT = "sent"
    REJECTED = "rejected"  # the central side refused it (verified); marked failed
    RETRY = "retry"  # this attempt failed; the message stays pending and blocks the queue


@dataclass(frozen=True)
class RelayStep:
    outcome: RelayOutcome
    msg_id: UUID | None = None
    retry_in: float | None = None  # seconds until the head message is due again
    error: str | None = None


class Relay:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        send: Sender,
        *,
        verify_receipt: ReceiptVerifier,
        on_settled: SettledHook | None = None,
        clock: Clock = utcnow,
        sleep: Callable[[float], None] | None = None,
        backoff: Backoff = Backoff(),  # frozen: safe to share
        random: Callable[[], float] = _random.random,
        idle_poll: float = 2.0,
        max_wait: float = 30.0,
    ) -> None:
        """`sleep` replaces the wait between steps in `run_forever` (tests); by default the wait is
        on the stop event, so stopping is immediate. Waits are capped at `max_wait` so an operator's
        "send now" (outbox.retry_now) takes effect soon."""
        self._sessions = sessions
        self._send = send
        self._verify = verify_receipt
        self._on_settled = on_settled
        self._clock = clock
        self._sleep = sleep
        self._backoff = backoff
        self._random = random
        self._idle_poll = idle_poll
        self._max_wait = max_wait
        self._in_flight = threading.Lock()  # one message in flight, even if two threads call run_once

    def run_once(self) -> RelayStep:
        """At most one delivery attempt of the oldest pending message."""
        with self._in_flight:
            claimed = self._claim()
            if isinstance(claimed, RelayStep):
                return claimed
            message = claimed
            try:
                receipt = self._send(message)
            except Exception as exc:
                return self._retry_later(message, f"send failed: {_describe(exc)}")
            try:
                verified = self._verify(message, receipt)
            except Exception as exc:
                return self._retry_later(message, f"receipt not verifiable: {_describe(exc)}")
            if verified.msg_id != message.msg_id:
                return self._retry_later(message, "receipt names another message")
            try:
                return self._settle(message, receipt, verified)
            except Exception as exc:  # the on_settled hook (or the commit) failed: nothing was kept
                return self._retry_later(message, f"settling failed: {_describe(exc)}")

    def drain(self, limit: int | None = None) -> list[RelayStep]:
        """Run steps until the queue is empty, blocked or not due (or `limit` steps); no waiting."""
        steps: list[RelayStep] = []
        while limit is None or len(steps) < limit:
            step = self.run_once()
            steps.append(step)
            if step.outcome not in (RelayOutcome.SENT, RelayOutcome.REJECTED):
                break
        return steps

    def run_forever(self, stop_event: threading.Event) -> None:
        """The worker thread's loop. Database errors are logged and retried, never end the loop."""
        while not stop_event.is_set():
            try:
                step = self.run_once()
            except Exception:
                log.exception("relay step failed; retrying in %.1f s", self._idle_poll)
                wait = self._idle_poll
            else:
                if step.outcome in (RelayOutcome.SENT, RelayOutcome.REJECTED):
                    continue
                wait = step.retry_in if step.retry_in is not None else self._idle_poll
            wait = min(max(wait, 0.0), self._max_wait)
            if self._sleep is not None:
                self._sleep(wait)
            else:
                stop_event.wait(wait)

    # --- steps, each its own short transaction ----------------------------------------------------

    def _claim(self) -> OutboxMessage | RelayStep:
        with self._sessions() as session, session.begin():
            now = self._clock()
            message = session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.state == OutboxState.PENDING)
                .order_by(OutboxMessage.seq)
                .limit(1)
            ).first()
            if message is None:
                return RelayStep(RelayOutcome.IDLE)
            if message.next_attempt_at > now:
                wait = (message.next_attempt_at - now).total_seconds()
                return RelayStep(RelayOutcome.WAITING, message.msg_id, retry_in=wait)
            message.attempts += 1
            delay = self._backoff.delay(message.attempts, self._random())
            message.next_attempt_at = now + timedelta(seconds=delay)
            session.flush()
            session.expunge(message)  # handed to `send` detached, fully loaded, after the commit
        return message

    def _retry_later(self, message: OutboxMessage, error: str) -> RelayStep:
        error = error[:MAX_ERROR_LENGTH]
        with self._sessions() as session, session.begin():
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.seq == message.seq, OutboxMessage.state == OutboxState.PENDING)
                .values(last_error=error)
            )
        retry_in = max(0.0, (message.next_attempt_at - self._clock()).total_seconds())
        log.warning(
            "outbox seq=%d %s (%s) attempt %d: %s; next try in %.1f s",
            message.seq,
            message.msg_id,
            message.kind,
            message.attempts,
            error,
            retry_in,
        )
        return RelayStep(RelayOutcome.RETRY, message.msg_id, retry_in=retry_in, error=error)

    def _settle(self, message: OutboxMessage, receipt: Receipt, verified: VerifiedReceipt) -> RelayStep:
        now = self._clock()
        if verified.accepted:
            state, outcome, error = OutboxState.SENT, RelayOutcome.SENT, None
        else:
            state, outcome = OutboxState.FAILED, RelayOutcome.REJECTED
            error = f"refused by the central side: {verified.reason or 'no reason given'}"[:MAX_ERROR_LENGTH]
        with self._sessions() as session, session.begin():
            settled = session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.seq == message.seq, OutboxMessage.state == OutboxState.PENDING)
                .values(
                    state=state,
                    delivered_at=now,
                    receipt=receipt.raw,
                    server_seq=verified.server_seq,
                    last_error=error,
                )
            )
            # rowcount 0: another relay settled it meanwhile; its hook ran then, not again now
            if self._on_settled is not None and settled.rowcount == 1:  # type: ignore[attr-defined]
                self._on_settled(session, message, receipt, verified)
        if verified.accepted:
            log.info("outbox seq=%d %s (%s) delivered", message.seq, message.msg_id, message.kind)
        else:
            log.error("outbox seq=%d %s (%s) %s", message.seq, message.msg_id, message.kind, error)
        return RelayStep(outcome, message.msg_id, error=error)


def _describe(exc: BaseException) -> str:
    """Exception class and message, one line; transports must not put payload bytes in messages."""
    text = str(exc).replace("\n", " ")
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
