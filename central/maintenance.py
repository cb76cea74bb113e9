"""Scheduled work of `central serve`: CRLs renewed before they go stale, certificates that were
issued but never confirmed destroyed (破棄) after the confirmation wait, notices the terminals
have applied pruned after their retention, and — once a day — the records past their retention
purged (central.retention).

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

from central import crl, issuance, notices, retention
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
# Retention periods are years, counted in whole days: once a day is plenty, and the first pass of
# a start-up does it, so a server restarted daily still purges.
DEFAULT_RETENTION_INTERVAL = dt.timedelta(days=1)


@dataclass(frozen=True)
class MaintenanceReport:
    crls_renewed: tuple[CaName, ...]
    destroyed: tuple[str, ...]  # serials revoked as 破棄
    notices_pruned: int = 0
    purged: retention.PurgeReport | None = None  # records past retention; None: not due this pass


def run_maintenance(
    central: Central,
    now: dt.datetime,
    *,
    confirm_wait: dt.timedelta = DEFAULT_CONFIRM_WAIT,
    purge: bool = False,
) -> MaintenanceReport:
    """One pass; idempotent (a second pass at the same time changes nothing). `purge`: also
    delete the records past their retention, after the pass's own transaction (in batches of
    their own: central.retention.purge)."""
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
    purged = retention.purge(central, now) if purge else None  # logs its own counts
    report = MaintenanceReport(tuple(renewed), tuple(destroyed), pruned, purged)
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


class _Schedule:
    """The maintenance pass, with the retention purge on the first pass and then whenever
    `retention_interval` has passed since the last purge that succeeded (a failed one is tried
    again at the next tick)."""

    def __init__(
        self, central: Central, *, confirm_wait: dt.timedelta, retention_interval: dt.timedelta
    ) -> None:
        self.central = central
        self.confirm_wait = confirm_wait
        self.retention_interval = retention_interval
        self.next_purge: dt.datetime | None = None  # None: at the first pass

    def __call__(self, now: dt.datetime) -> MaintenanceReport:
        due = self.next_purge is None or now >= self.next_purge
        report = run_maintenance(self.central, now, confirm_wait=self.confirm_wait, purge=due)
        if due:
            self.next_purge = now + self.retention_interval
        return report


def maintenance_thread(
    central: Central,
    *,
    interval: dt.timedelta = DEFAULT_INTERVAL,
    confirm_wait: dt.timedelta = DEFAULT_CONFIRM_WAIT,
    retention_interval: dt.timedelta = DEFAULT_RETENTION_INTERVAL,
    clock: Callable[[], dt.datetime] | None = None,
) -> Periodic:
    return Periodic(
        "central-maintenance",
        _Schedule(central, confirm_wait=confirm_wait, retention_interval=retention_interval),
        interval=interval,
        clock=clock,
    )
