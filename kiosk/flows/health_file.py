"""The terminal's health as a small JSON file the municipality's monitoring reads.

`HealthFileWriter` rewrites the file every `interval` seconds from a background thread started by
the application, and once more when it stops (`"status": "stopped"`). Each write is atomic
(a temporary file in the same directory, fsynced, then renamed over the old one, 0644): a reader
sees the old document or the new one, never half of one. Example:

    {"format": 1, "terminal_id": "kiosk-0001", "mode": "counter", "version": "0.1.0",
     "pid": 1234, "started_at": "…Z", "written_at": "2026-11-22T09:00:30Z",
     "status": "ok", "problems": [],
     "checked_at": "2026-11-22T08:58:02Z",
     "checks": [{"name": "reader", "status": "ok", "code": "reader.connected",
                 "message": "The card reader is connected."}, …],
     "outbox_backlog": 0,
     "service": {"state": "in_service", "reason": null, "since": null},
     "ui": {"status": "ok", "heartbeat_at": "2026-11-22T09:00:29Z"}}

`status` is the worst of: the checks (kiosk.flows.health, the console's five), the UI thread's
heartbeat (a UI that stopped painting while the process lives is the failure a process
supervisor cannot see, ANCHORS.md §2 E "Remote health" [KS-lumina10]) and the age of the last
check run; `problems` names the codes that made it so. "unknown" until the first checks have run,
"stopped" after an orderly exit. Being out of service is staff's decision, not a fault: it is
reported in `service`, not in `status`.

**No personal data.** Only fixed codes (`CHECK_CODES`, tested against every sentence
kiosk.flows.health can say), the English staff sentence of each check (counts and sizes only),
counts and times; never a check's `detail` (reader names, paths, error texts), never an operator
id. Monitoring that must watch a second thing gets a new fixed field, not free text.

Checks: the writer either takes the reports someone else runs (`offer(report)`: the counter's
HealthView runs them every 5 minutes and skips the camera while a face check holds it), or runs
`checks` itself every `checks_every` seconds with `skip()` naming what to leave out (`skip` is
called on the writer's thread: it must be thread-safe).

No Qt here: the application calls `beat()` from a UI-thread timer.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from kiosk.domain.service_mode import ServiceMode
from kiosk.flows.health import CheckName, CheckResult, HealthChecks, HealthReport, HealthStatus
from kiosk.flows.service_mode import current_mode
from kiosk.store.coltypes import utcnow
from kiosk.store.models import OutboxMessage, OutboxState

_log = logging.getLogger(__name__)

FORMAT: Final = 1
FILE_MODE: Final = 0o644  # monitoring reads it under another user; it holds nothing private

# One fixed code per sentence kiosk.flows.health says (tests/flows/test_health_file.py holds the
# two together): what monitoring matches on, in every language and after any rewording.
CHECK_CODES: Final[dict[str, str]] = {
    "The card reader service (pcscd) is not available.": "reader.pcscd_unavailable",
    "No card reader is connected.": "reader.none_connected",
    "The terminal's card reader is not connected.": "reader.configured_missing",
    "The card reader is connected.": "reader.connected",
    "The card reader could not be checked.": "reader.unchecked",
    "The camera cannot be opened.": "camera.cannot_open",
    "The camera gives no picture.": "camera.no_picture",
    "The camera works.": "camera.works",
    "The camera stopped working.": "camera.lost",
    "The camera could not be checked.": "camera.unchecked",
    "The central (機構) cannot be reached.": "central.unreachable",
    "The central (機構) refuses this terminal.": "central.refuses_terminal",
    "The central's (機構) answer could not be verified.": "central.answer_unverified",
    "The central (機構) answers slowly.": "central.slow",
    "The central (機構) answers.": "central.answers",
    "The central (機構) could not be checked.": "central.unchecked",
    "Nothing is waiting to be sent.": "outbox.empty",
    "%1 message(s) are on their way to the central.": "outbox.sending",
    "Messages to the central are delayed: %1 waiting, the oldest for %2 min.": "outbox.delayed",
    "Messages to the central have not gone out for %1 day(s) or more.": "outbox.stuck",
    "The messages waiting to be sent could not be counted.": "outbox.unchecked",
    "The data folder is missing.": "disk.no_data_dir",
    "%1 of disk space free.": "disk.space_ok",
    "Disk space is low: %1 left.": "disk.space_low",
    "The disk is full: %1 left.": "disk.full",
    "The disk space could not be checked.": "disk.unchecked",
}
UI_STALE: Final = "ui.not_responding"
CHECKS_STALE: Final = "checks.stale"
_SEVERITY: Final = {"ok": 0, "degraded": 1, "failed": 2}


def check_code(result: CheckResult) -> str:
    """The fixed code of a check's finding; `<check>.<status>` for a sentence not in the table
    (a new one in kiosk.flows.health before this table has it: the test says so)."""
    return CHECK_CODES.get(result.message.template, f"{result.name.value}.{result.status.value}")


@dataclass(frozen=True)
class HealthFileIdentity:
    terminal_id: str
    mode: str  # "counter" | "unattended"
    version: str


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.strftime("%Y-%m-%dT%H:%M:%SZ")


def health_document(
    identity: HealthFileIdentity,
    *,
    now: datetime,
    started_at: datetime,
    report: HealthReport | None,
    backlog: int | None,
    service: ServiceMode | None,
    heartbeat_at: datetime | None = None,
    heartbeat_stale_after: timedelta | None = None,
    checks_stale_after: timedelta | None = None,
    stopped: bool = False,
) -> dict[str, object]:
    """The file's content (pure: everything it says is passed in)."""
    problems: list[str] = []
    worst = "ok"

    def worse(status: str, code: str) -> None:
        nonlocal worst
        problems.append(code)
        if _SEVERITY[status] > _SEVERITY[worst]:
            worst = status

    checks = []
    for result in report.checks if report is not None else ():
        code = check_code(result)
        checks.append(
            {
                "name": result.name.value,
                "status": result.status.value,
                "code": code,
                "message": result.message.english,
            }
        )
        if result.status is not HealthStatus.OK:
            worse(result.status.value, code)
    ui: dict[str, object] | None = None
    if heartbeat_stale_after is not None:
        if heartbeat_at is None:  # none yet: the window is still being built
            ui = {"status": "unknown", "heartbeat_at": None}
        elif now - heartbeat_at <= heartbeat_stale_after:
            ui = {"status": "ok", "heartbeat_at": _iso(heartbeat_at)}
        else:
            ui = {"status": "failed", "heartbeat_at": _iso(heartbeat_at)}
            worse("failed", UI_STALE)
    if report is not None and checks_stale_after is not None and now - report.at > checks_stale_after:
        worse("degraded", CHECKS_STALE)
    if stopped:
        status = "stopped"
    elif report is None:
        status = "unknown" if worst == "ok" else worst
    else:
        status = worst
    return {
        "format": FORMAT,
        "terminal_id": identity.terminal_id,
        "mode": identity.mode,
        "version": identity.version,
        "pid": os.getpid(),
        "started_at": _iso(started_at),
        "written_at": _iso(now),
        "status": status,
        "problems": problems,
        "checked_at": _iso(report.at) if report is not None else None,
        "checks": checks,
        "outbox_backlog": backlog,
        "service": None
        if service is None
        else {
            "state": service.state.value,
            "reason": service.reason.value if service.reason is not None else None,
            "since": _iso(service.since),
        },  # who set it is left out: monitoring needs the state, the audit chain has the rest
        "ui": ui,
    }


def write_health_file(path: Path, document: dict[str, object]) -> None:
    """Atomically: a temporary file beside `path`, fsynced, renamed over it (0644)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fchmod(f.fileno(), FILE_MODE)  # mkstemp makes 0600
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def outbox_backlog(sessions: sessionmaker[Session]) -> int:
    """Messages not yet delivered to the central."""
    with sessions.begin() as session:
        pending = OutboxMessage.state == OutboxState.PENDING
        return session.scalar(select(func.count()).select_from(OutboxMessage).where(pending)) or 0


class HealthFileWriter:
    """Writes the health file every `interval` seconds on a daemon thread (`start`/`stop`).

    `sessions` may be read-only. Thread-safe: `offer` and `beat` may be called from any thread."""

    def __init__(
        self,
        path: Path,
        identity: HealthFileIdentity,
        *,
        sessions: sessionmaker[Session],
        interval: float = 30.0,
        checks: HealthChecks | None = None,
        checks_every: float = 300.0,
        skip: Callable[[], Collection[CheckName]] = tuple,
        heartbeat: bool = False,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        if interval <= 0 or checks_every <= 0:
            raise ValueError("interval and checks_every must be positive")
        self.path, self.identity = path, identity
        self._sessions = sessions
        self.interval = interval
        self._checks, self._checks_every, self._skip = checks, checks_every, skip
        self._clock = clock
        self._lock = threading.Lock()
        self._report: HealthReport | None = None
        self._beat: datetime | None = None
        # A UI that misses three beats is not responding (the app beats every `interval`).
        self._heartbeat_stale = timedelta(seconds=3 * interval) if heartbeat else None
        # Checks older than two of their periods: whoever runs them has stopped doing so.
        self._checks_stale = timedelta(seconds=2 * checks_every + interval)
        self._started_at = clock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def offer(self, report: HealthReport) -> None:
        """A report run elsewhere (the console's): the file shows it from the next write."""
        with self._lock:
            if self._report is None or report.at >= self._report.at:
                self._report = report

    def beat(self) -> None:
        """The UI thread is alive (called from its timer)."""
        with self._lock:
            self._beat = self._clock()

    def write_now(self, *, stopped: bool = False) -> dict[str, object]:
        """Gather and write one document (running the checks first when they are due and ours)."""
        now = self._clock()
        if self._checks is not None and not stopped:
            with self._lock:
                due = self._report is None or (now - self._report.at).total_seconds() >= self._checks_every
            if due:
                self.offer(self._checks.run(skip=self._skip()))
        backlog: int | None
        service: ServiceMode | None
        try:
            backlog = outbox_backlog(self._sessions)
            service = current_mode(self._sessions)
        except Exception as exc:  # the store failing is what the file must still say
            _log.warning("health file: the store could not be read: %s", type(exc).__name__)
            backlog, service = None, None
        with self._lock:
            report, beat = self._report, self._beat
        document = health_document(
            self.identity,
            now=self._clock(),
            started_at=self._started_at,
            report=report,
            backlog=backlog,
            service=service,
            heartbeat_at=beat,
            heartbeat_stale_after=self._heartbeat_stale,
            checks_stale_after=self._checks_stale,
            stopped=stopped,
        )
        write_health_file(self.path, document)
        return document

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="health-file", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the thread and write the last document ("stopped")."""
        thread, self._thread = self._thread, None
        self._stop.set()
        if thread is not None:
            thread.join(timeout)
        try:
            self.write_now(stopped=True)
        except OSError as exc:
            _log.warning("health file %s: last write failed: %s", self.path, exc.strerror)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.write_now()
            except Exception as exc:  # a full disk must not end the writer: try again next time
                _log.warning("health file %s: not written: %s: %s", self.path, type(exc).__name__, exc)
            self._stop.wait(self.interval)
