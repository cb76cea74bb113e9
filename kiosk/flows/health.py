"""The terminal's health for the staff console: card reader, camera, the central, the outbox
backlog, disk space (ANCHORS.md E: peripheral diagnostics, readiness report).

Each check is a `Probe`: a function returning a `Finding` — a status (ok / degraded / failed), a
plain sentence for staff (a `HealthMessage`: an English template with `%1`-style markers and
their values, which the console translates whole and then fills; `english` renders it for the
log), and a precise detail for the log and for support. `HealthChecks.run` runs them all at once,
each on its own thread with its own time limit, and never raises: a probe that raises, or does
not answer in time, is a failed check with that as its detail.

A probe that overruns keeps its thread (a blocked PC/SC call or socket read cannot be interrupted
from Python); the thread is a daemon, and until it ends the next run reports the check as still
hanging instead of starting a second copy, so a wedged pcscd cannot pile up threads. Give the
central link a transport timeout no longer than the check's, so that thread ends on its own.

Status meanings: ok — works; degraded — works, but staff should look (slow central, messages
delayed, disk getting full); failed — does not work now.

The camera check opens the camera: run it while no face check is on screen (a V4L2 camera
streams to one reader at a time). Nothing here changes the store; the central check's notice
pull sends the cursor the terminal has already applied, which acknowledges nothing new.
"""

from __future__ import annotations

import enum
import logging
import re
import shutil
import threading
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Final, NamedTuple, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

import lcmp
from kiosk.facecheck.camera import CameraLost, CameraSource, CameraUnavailable, Capture
from kiosk.reader.errors import ReaderUnavailable
from kiosk.reader.pcsc import PcscContext, ReaderState
from kiosk.store.coltypes import utcnow
from kiosk.store.models import OutboxMessage, OutboxState
from kiosk.sync import notices
from kiosk.sync.central import CentralUnreachable
from kiosk.sync.inbox import server_cursor
from kiosk.sync.queries import Link, QueryRefused

log = logging.getLogger(__name__)


class HealthStatus(enum.StrEnum):
    OK = "ok"
    DEGRADED = "degraded"
    FAILED = "failed"

    @property
    def severity(self) -> int:
        return _SEVERITY[self]


_SEVERITY: Final = {HealthStatus.OK: 0, HealthStatus.DEGRADED: 1, HealthStatus.FAILED: 2}


class CheckName(enum.StrEnum):
    READER = "reader"
    CAMERA = "camera"
    CENTRAL = "central"
    OUTBOX = "outbox"
    DISK = "disk"


_MARKER: Final = re.compile(r"%([1-9])")


@dataclass(frozen=True)
class HealthMessage:
    """One plain sentence for staff: an English template whose varying parts are `%1`…`%9`
    markers, and the values for them. The template is what gets translated (whole, because word
    order differs between languages) and the values are filled in afterwards, so a sentence with a
    number in it is translated too. Every template is a literal in this module, which the console
    marks for translation (tests hold the two together)."""

    template: str
    args: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Each value fills a marker and each marker has its value: a slip here would show staff a
        # bare "%2" or lose a number, in every language.
        used = {int(n) for n in _MARKER.findall(self.template)}
        if used != set(range(1, len(self.args) + 1)):
            raise ValueError(f"{self.template!r} has markers {sorted(used)} for {len(self.args)} value(s)")

    @property
    def english(self) -> str:
        """The sentence in English (the log, the CLI), filled in one pass as the console fills it,
        so a value containing "%2" is never substituted again."""
        return _MARKER.sub(lambda m: self.args[int(m.group(1)) - 1], self.template)

    def __str__(self) -> str:
        return self.english


def say(template: str, *args: str) -> HealthMessage:
    """A staff sentence: `template` must be a literal, so the console's table can mark it."""
    return HealthMessage(template, args)


@dataclass(frozen=True)
class Finding:
    status: HealthStatus
    message: HealthMessage  # one plain sentence for staff
    detail: str  # what exactly was seen, for the log and support


@dataclass(frozen=True)
class Probe:
    name: CheckName
    run: Callable[[], Finding]
    timeout: float  # seconds
    # The plain sentence when the probe raises or overruns (its detail says which).
    unavailable: HealthMessage


@dataclass(frozen=True)
class CheckResult:
    name: CheckName
    status: HealthStatus
    message: HealthMessage
    detail: str
    seconds: float


@dataclass(frozen=True)
class HealthReport:
    at: datetime
    checks: tuple[CheckResult, ...]  # in the order the probes were given, skipped ones left out

    @property
    def overall(self) -> HealthStatus:
        return max((c.status for c in self.checks), key=lambda s: s.severity, default=HealthStatus.OK)

    def check(self, name: CheckName) -> CheckResult:
        return next(c for c in self.checks if c.name is name)


@dataclass(frozen=True)
class HealthPolicy:
    # The outbox: a message older than this is a delay staff should see; past the second, the
    # link is as good as down (the central accepts messages up to 30 days old, certificates wait
    # 14 days for their card: both far beyond this, so staff learn of it in time).
    outbox_degraded_after: timedelta = timedelta(minutes=15)
    outbox_failed_after: timedelta = timedelta(hours=24)
    # The central: a signed answer slower than this still works, but a counter would feel it.
    central_slow_after: float = 3.0
    # Disk space of the data directory: SQLite needs room for the WAL and its checkpoint.
    disk_degraded_below: int = 2 * 1024**3
    disk_failed_below: int = 256 * 1024**2


DEFAULT_HEALTH_POLICY: Final = HealthPolicy()


# --- running ----------------------------------------------------------------------------------------


@dataclass
class _Run:
    probe: Probe
    started: float  # time.monotonic()
    done: threading.Event = field(default_factory=threading.Event)
    finding: Finding | None = None
    error: BaseException | None = None

    def __call__(self) -> None:
        try:
            self.finding = self.probe.run()
        except Exception as exc:  # a probe must not take the console down: it is a failed check
            self.error = exc
        finally:
            self.done.set()


class HealthChecks:
    """Runs probes concurrently, each within its time limit; `run()` never raises."""

    def __init__(self, probes: Iterable[Probe], *, clock: Callable[[], datetime] = utcnow) -> None:
        self.probes = tuple(probes)
        if len({p.name for p in self.probes}) != len(self.probes):
            raise ValueError("one probe per check name")
        self._clock = clock
        self._lock = threading.Lock()
        self._hanging: dict[CheckName, _Run] = {}

    def run(self, *, skip: Collection[CheckName] = ()) -> HealthReport:
        """Run every probe but those named in `skip`, which are neither started nor reported (the
        console skips the camera while a face check holds it). A skipped probe still hanging from
        an earlier run stays tracked."""
        at = self._clock()
        with self._lock:  # two console refreshes at once must not start two copies of a probe
            runs: list[tuple[Probe, _Run, bool]] = []  # True: still running from an earlier run
            for probe in self.probes:
                if probe.name in skip:
                    continue
                previous = self._hanging.get(probe.name)
                if previous is not None and not previous.done.is_set():
                    runs.append((probe, previous, True))
                    continue
                run = _Run(probe, time.monotonic())
                threading.Thread(target=run, name=f"health-{probe.name.value}", daemon=True).start()
                runs.append((probe, run, False))
            results = [self._result(probe, run, hanging) for probe, run, hanging in runs]
            for probe, run, _hanging in runs:
                if run.done.is_set():
                    self._hanging.pop(probe.name, None)
                else:
                    self._hanging[probe.name] = run
        report = HealthReport(at, tuple(results))
        for result in report.checks:
            if result.status is not HealthStatus.OK:
                log.warning("health %s %s: %s", result.name.value, result.status.value, result.detail)
        return report

    @staticmethod
    def _result(probe: Probe, run: _Run, hanging: bool) -> CheckResult:
        if hanging:
            since = time.monotonic() - run.started
            return CheckResult(
                probe.name,
                HealthStatus.FAILED,
                probe.unavailable,
                f"the previous check has not returned after {since:.1f} s; not started again",
                0.0,
            )
        # Probes run in parallel: each waits only for what is left of its own limit.
        remaining = run.started + probe.timeout - time.monotonic()
        finished = run.done.wait(max(0.0, remaining))
        seconds = time.monotonic() - run.started
        if not finished:
            detail = f"no answer within {probe.timeout:g} s"
            return CheckResult(probe.name, HealthStatus.FAILED, probe.unavailable, detail, seconds)
        if run.finding is None:
            error = run.error
            detail = f"{type(error).__name__}: {error}" if error is not None else "the probe returned nothing"
            return CheckResult(probe.name, HealthStatus.FAILED, probe.unavailable, detail, seconds)
        finding = run.finding
        return CheckResult(probe.name, finding.status, finding.message, finding.detail, seconds)


# --- card reader ------------------------------------------------------------------------------------


class ReaderContext(Protocol):
    """What the reader probe needs of `kiosk.reader.pcsc.PcscContext`."""

    def __enter__(self) -> ReaderContext: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    def states(self) -> list[ReaderState]: ...


def _pcsc_context() -> ReaderContext:
    return PcscContext()


def reader_probe(
    *,
    preferred: str | None = None,
    context: Callable[[], ReaderContext] = _pcsc_context,
    timeout: float = 5.0,
) -> Probe:
    """PC/SC reachable and a reader connected (`preferred`: the configured reader, by name or
    prefix as `pick_reader` matches it, must be among them). A card in it is not needed."""

    def run() -> Finding:
        try:
            with context() as pcsc:
                states = pcsc.states()
        except ReaderUnavailable as exc:
            return Finding(
                HealthStatus.FAILED, say("The card reader service (pcscd) is not available."), str(exc)
            )
        listed = "; ".join(f"{s.name}: {'card' if s.present else 'empty'}" for s in states)
        if not states:
            return Finding(HealthStatus.FAILED, say("No card reader is connected."), "PC/SC lists no reader")
        if preferred is not None and not any(
            s.name == preferred or s.name.startswith(preferred) for s in states
        ):
            return Finding(
                HealthStatus.FAILED,
                say("The terminal's card reader is not connected."),
                f"no reader {preferred!r} among: {listed}",
            )
        return Finding(HealthStatus.OK, say("The card reader is connected."), listed)

    return Probe(CheckName.READER, run, timeout, say("The card reader could not be checked."))


# --- camera -------------------------------------------------------------------------------------------


def camera_probe(source: CameraSource | str, *, frame_timeout: float = 5.0) -> Probe:
    """The camera opens and delivers a picture within `frame_timeout` seconds. The picture is not
    kept: its pixels are wiped when the probe returns (kiosk.facecheck.camera.Frame)."""

    def run() -> Finding:
        capture = Capture(source, open_timeout=frame_timeout, read_timeout=frame_timeout)
        started = time.monotonic()
        try:
            capture.start()
        except CameraUnavailable as exc:
            return Finding(HealthStatus.FAILED, say("The camera cannot be opened."), str(exc))
        try:
            frame = next(capture.frames(timeout=frame_timeout), None)
            took = time.monotonic() - started
            if frame is None:
                detail = f"{capture.source}: ended before a picture"
                return Finding(HealthStatus.FAILED, say("The camera gives no picture."), detail)
            height, width = frame.image.shape[:2]
            del frame  # not kept: wiped once the capture drops it too (stop, below)
            detail = f"{capture.source}: a {width}×{height} picture after {took:.2f} s"
            return Finding(HealthStatus.OK, say("The camera works."), detail)
        except TimeoutError:
            return Finding(
                HealthStatus.FAILED,
                say("The camera gives no picture."),
                f"{capture.source}: opened, no picture within {frame_timeout:g} s",
            )
        except CameraLost as exc:
            return Finding(HealthStatus.FAILED, say("The camera stopped working."), str(exc))
        finally:
            capture.stop()

    # Opening, the first picture and stopping (which waits for a read in progress) each take up to
    # frame_timeout.
    return Probe(CheckName.CAMERA, run, 3 * frame_timeout + 2.0, say("The camera could not be checked."))


# --- central ------------------------------------------------------------------------------------------


def stored_cursor(sessions: sessionmaker[Session]) -> Callable[[], int]:
    """The notice cursor the terminal has applied, read when the probe runs."""

    def read() -> int:
        with sessions.begin() as session:
            return server_cursor(session)

    return read


def central_probe(
    link: Link,
    cursor: Callable[[], int],
    *,
    timeout: float = 10.0,
    policy: HealthPolicy = DEFAULT_HEALTH_POLICY,
) -> Probe:
    """One authenticated exchange: the notice pull at the applied cursor, over mutual TLS, its
    answer signed by the central and checked against the pinned root (as every CMP answer is).
    It reads and changes nothing at the central, and says how many notices are waiting."""

    def run() -> Finding:
        after = cursor()
        started = time.monotonic()
        try:
            page = notices.fetch(link, after)
        except CentralUnreachable as exc:
            return Finding(HealthStatus.FAILED, say("The central (機構) cannot be reached."), str(exc))
        except QueryRefused as exc:
            return Finding(HealthStatus.FAILED, say("The central (機構) refuses this terminal."), str(exc))
        except lcmp.CmpError as exc:  # e.g. an answer not signed by our central
            return Finding(
                HealthStatus.FAILED,
                say("The central's (機構) answer could not be verified."),
                f"{type(exc).__name__}: {exc}",
            )
        took = time.monotonic() - started
        waiting = f"{len(page.notices)}{'+' if page.more else ''} notice(s) waiting after {after}"
        detail = f"signed answer in {took:.2f} s; {waiting}"
        if took > policy.central_slow_after:
            return Finding(HealthStatus.DEGRADED, say("The central (機構) answers slowly."), detail)
        return Finding(HealthStatus.OK, say("The central (機構) answers."), detail)

    return Probe(CheckName.CENTRAL, run, timeout, say("The central (機構) could not be checked."))


# --- outbox ---------------------------------------------------------------------------------------------


def outbox_probe(
    sessions: sessionmaker[Session],
    *,
    clock: Callable[[], datetime] = utcnow,
    policy: HealthPolicy = DEFAULT_HEALTH_POLICY,
    timeout: float = 5.0,
) -> Probe:
    """How long the oldest undelivered message has waited (message kinds and times only)."""

    def run() -> Finding:
        pending = OutboxMessage.state == OutboxState.PENDING
        with sessions.begin() as session:
            count = session.scalar(select(func.count()).select_from(OutboxMessage).where(pending)) or 0
            oldest = session.execute(
                select(
                    OutboxMessage.seq,
                    OutboxMessage.kind,
                    OutboxMessage.created_at,
                    OutboxMessage.attempts,
                    OutboxMessage.last_error,
                )
                .where(pending)
                .order_by(OutboxMessage.seq)
                .limit(1)
            ).first()
        if oldest is None:
            return Finding(HealthStatus.OK, say("Nothing is waiting to be sent."), "outbox: 0 pending")
        age = clock() - oldest.created_at
        minutes = max(0, int(age.total_seconds() // 60))
        detail = (
            f"outbox: {count} pending; oldest #{oldest.seq} {oldest.kind} queued "
            f"{oldest.created_at:%Y-%m-%d %H:%M:%S}Z ({minutes} min), {oldest.attempts} attempt(s)"
            + (f", last error: {oldest.last_error}" if oldest.last_error else "")
        )
        if age >= policy.outbox_failed_after:
            message = say("Messages to the central have not gone out for %1 day(s) or more.", str(age.days))
            return Finding(HealthStatus.FAILED, message, detail)
        if age >= policy.outbox_degraded_after:
            message = say(
                "Messages to the central are delayed: %1 waiting, the oldest for %2 min.",
                str(count),
                str(minutes),
            )
            return Finding(HealthStatus.DEGRADED, message, detail)
        return Finding(
            HealthStatus.OK, say("%1 message(s) are on their way to the central.", str(count)), detail
        )

    return Probe(CheckName.OUTBOX, run, timeout, say("The messages waiting to be sent could not be counted."))


# --- disk -------------------------------------------------------------------------------------------------


class DiskUsage(NamedTuple):
    total: int
    used: int
    free: int


def _disk_usage(path: Path) -> DiskUsage:
    return DiskUsage(*shutil.disk_usage(path))


def _size(n: int) -> str:
    # Unit symbols only: the size fills a translated sentence, and "B" reads the same in Japanese.
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} B"


def disk_probe(
    data_dir: Path,
    *,
    policy: HealthPolicy = DEFAULT_HEALTH_POLICY,
    usage: Callable[[Path], DiskUsage] = _disk_usage,
    timeout: float = 5.0,
) -> Probe:
    """Free space on the file system holding the kiosk's data directory (the store, its WAL)."""

    def run() -> Finding:
        if not data_dir.is_dir():
            return Finding(
                HealthStatus.FAILED, say("The data folder is missing."), f"{data_dir}: not a directory"
            )
        total, _used, free = usage(data_dir)
        detail = f"{data_dir}: {_size(free)} free of {_size(total)}"
        if free < policy.disk_failed_below:
            return Finding(HealthStatus.FAILED, say("The disk is full: %1 left.", _size(free)), detail)
        if free < policy.disk_degraded_below:
            return Finding(HealthStatus.DEGRADED, say("Disk space is low: %1 left.", _size(free)), detail)
        return Finding(HealthStatus.OK, say("%1 of disk space free.", _size(free)), detail)

    return Probe(CheckName.DISK, run, timeout, say("The disk space could not be checked."))


# --- the terminal's set ----------------------------------------------------------------------------------


def terminal_checks(
    *,
    sessions: sessionmaker[Session],
    link: Link,
    camera: CameraSource | str,
    data_dir: Path,
    preferred_reader: str | None = None,
    reader_context: Callable[[], ReaderContext] = _pcsc_context,
    clock: Callable[[], datetime] = utcnow,
    policy: HealthPolicy = DEFAULT_HEALTH_POLICY,
) -> HealthChecks:
    """The five checks as the console runs them (sessions: a read-only sessionmaker will do)."""
    return HealthChecks(
        (
            reader_probe(preferred=preferred_reader, context=reader_context),
            camera_probe(camera),
            central_probe(link, stored_cursor(sessions), policy=policy),
            outbox_probe(sessions, clock=clock, policy=policy),
            disk_probe(data_dir, policy=policy),
        ),
        clock=clock,
    )
