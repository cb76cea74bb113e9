"""Scheduled work of `central serve`: CRLs renewed before they go stale, certificates that were
issued but never confirmed destroyed (破棄) after the confirmation wait, and notices the
terminals have applied pruned after their retention.

CRLs are also regenerated on every revocation (`central.revocation.refresh_crls`); the schedule
is what keeps a CRL fresh on a quiet day. A CRL is renewed once half its validity has passed, so
a relying party that caches it until nextUpdate always finds a newer one published.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from central import crl, issuance, notices
from central.enums import CaName
from central.models import CrlState
from central.service import Central

_log = logging.getLogger(__name__)

# 機構 waits this long for a certConf before treating the certificate as never installed. A kiosk
# may build its certConf up to its card wait (kiosk RecoveryPolicy.card_wait, 14 days) after the
# cp and then hold it in its outbox as long as the intake accepts old messages
# (cmp_intake.MAX_MESSAGE_AGE, 30 days): the wait covers both, so a certificate that did reach
# the card is never destroyed for a late confirmation.
DEFAULT_CONFIRM_WAIT = dt.timedelta(days=45)
DEFAULT_INTERVAL = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class MaintenanceReport:
    crls_renewed: tuple[CaName, ...]
    destroyed: tuple[str, ...]  # serials revoked as 破棄
    notices_pruned: int = 0


def run_maintenance(
    central: Central, now: dt.datetime, *, confirm_wait: dt.timedelta = DEFAULT_CONFIRM_WAIT
) -> MaintenanceReport:
    """One pass; idempotent (a second pass at the same time changes nothing)."""
    half = central.authority.settings.crl_validity / 2
    with central.transaction() as session:
        destroyed = issuance.sweep_unconfirmed(session, central.authority, now, confirm_wait=confirm_wait)
        renewed = []
        for ca in CaName:
            state = session.get(CrlState, ca)
            if state is None or not state.der or state.next_update - now <= half:
                crl.regenerate(session, central.authority, ca, now)
                renewed.append(ca)
        pruned = notices.prune(session, now)
    report = MaintenanceReport(tuple(renewed), tuple(destroyed), pruned)
    if renewed or destroyed or pruned:
        _log.info(
            "maintenance: CRLs renewed %s; %d unconfirmed certificate(s) destroyed; %d notice(s) pruned",
            [ca.value for ca in renewed],
            len(destroyed),
            pruned,
        )
    return report


class Periodic(threading.Thread):
    """Runs `work(now)` at start and then every `interval` until `stop()`. A failing pass
    (database briefly away) is logged and retried at the next tick; it never stops the server."""

    def __init__(
        self,
        name: str,
        work: Callable[[dt.datetime], object],
        *,
        interval: dt.timedelta,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        super().__init__(name=name, daemon=True)
        self.work = work
        self.interval = interval
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self._stopped = threading.Event()
        self.passes = 0

    def run(self) -> None:
        while not self._stopped.is_set():
            try:
                self.work(self._clock())
            except Exception:
                _log.exception("%s: pass failed; retrying in %s", self.name, self.interval)
            self.passes += 1
            self._stopped.wait(self.interval.total_seconds())

    def stop(self) -> None:
        self._stopped.set()


def maintenance_thread(
    central: Central,
    *,
    interval: dt.timedelta = DEFAULT_INTERVAL,
    confirm_wait: dt.timedelta = DEFAULT_CONFIRM_WAIT,
    clock: Callable[[], dt.datetime] | None = None,
) -> Periodic:
    return Periodic(
        "central-maintenance",
        lambda now: run_maintenance(central, now, confirm_wait=confirm_wait),
        interval=interval,
        clock=clock,
    )
