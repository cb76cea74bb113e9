"""Terminal health (kiosk.flows.health) with real local things: the runner's time limits on real
threads, camera clips and an MJPEG stream on 127.0.0.1, the real central over mutual TLS (and a
closed port, and a port that never answers), the store's outbox driven by the real relay, the file
system's free space. The card reader is the one exception: PC/SC answers come from a stand-in
context, because the one pcscd of the host belongs to the pcsc-marked tests."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType

import cv2
import numpy as np
import pytest
from flowkit import TERMINAL, CentralServer
from kiosk_store_fixtures import FakeClock
from mjpegkit import MjpegServer
from sqlalchemy.orm import Session, sessionmaker

from kiosk.flows.health import (
    CheckName,
    DiskUsage,
    Finding,
    HealthChecks,
    HealthMessage,
    HealthPolicy,
    HealthStatus,
    Probe,
    ReaderContext,
    camera_probe,
    central_probe,
    disk_probe,
    outbox_probe,
    reader_probe,
    say,
    stored_cursor,
    terminal_checks,
)
from kiosk.reader.errors import ReaderUnavailable
from kiosk.reader.pcsc import ReaderState
from kiosk.store.models import OutboxMessage
from kiosk.sync.central import CentralLink, CentralUnreachable
from kiosk.sync.outbox import enqueue
from kiosk.sync.relay import Receipt, Relay, VerifiedReceipt

OK, DEGRADED, FAILED = HealthStatus.OK, HealthStatus.DEGRADED, HealthStatus.FAILED
T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def _probe(name: CheckName, run: Callable[[], Finding], timeout: float = 2.0) -> Probe:
    return Probe(name, run, timeout, say(f"The {name.value} could not be checked."))


def _fine() -> Finding:
    return Finding(OK, say("fine"), "all good")


# --- the sentences ---------------------------------------------------------------------------------


def test_a_message_is_a_template_and_its_values() -> None:
    message = say("Messages to the central are delayed: %1 waiting, the oldest for %2 min.", "2", "15")
    assert message == HealthMessage(
        "Messages to the central are delayed: %1 waiting, the oldest for %2 min.", ("2", "15")
    )
    assert message.english == "Messages to the central are delayed: 2 waiting, the oldest for 15 min."
    assert str(message) == message.english  # what a log line shows
    assert say("The camera works.").english == "The camera works."


def test_values_are_filled_in_one_pass() -> None:
    # A value that happens to contain a marker is shown as it is, never substituted again.
    assert say("%1 and %2", "%2", "x").english == "%2 and x"
    assert say("%2 before %1", "a", "b").english == "b before a"  # markers in any order


@pytest.mark.parametrize(
    ("template", "args"),
    [
        ("Disk space is low: %1 left.", ()),  # a marker without its value
        ("The camera works.", ("1",)),  # a value without its marker
        ("%1 and %3", ("a", "b", "c")),  # a value left out
    ],
)
def test_markers_and_values_must_match(template: str, args: tuple[str, ...]) -> None:
    with pytest.raises(ValueError, match="marker"):
        HealthMessage(template, args)


# --- the runner -----------------------------------------------------------------------------------


def test_a_probe_that_raises_is_a_failed_check() -> None:
    def broken() -> Finding:
        raise RuntimeError("the driver said no")

    report = HealthChecks([_probe(CheckName.DISK, broken), _probe(CheckName.OUTBOX, _fine)]).run()
    disk = report.check(CheckName.DISK)
    assert (disk.status, disk.message.english, disk.detail) == (
        FAILED, "The disk could not be checked.", "RuntimeError: the driver said no"
    )  # fmt: skip
    assert report.check(CheckName.OUTBOX).status is OK
    assert report.overall is FAILED


def test_probes_run_at_once_each_within_its_limit() -> None:
    def slow() -> Finding:
        time.sleep(0.4)
        return Finding(DEGRADED, say("slow"), "0.4 s")

    names = (CheckName.READER, CheckName.CAMERA, CheckName.CENTRAL)
    started = time.monotonic()
    report = HealthChecks([_probe(name, slow) for name in names]).run()
    elapsed = time.monotonic() - started
    assert [c.name for c in report.checks] == list(names)
    assert all(c.status is DEGRADED and c.seconds >= 0.4 for c in report.checks)
    assert elapsed < 1.0  # three 0.4 s probes side by side, not one after the other
    assert report.overall is DEGRADED


def test_a_hanging_probe_times_out_and_is_not_started_twice() -> None:
    release, calls = threading.Event(), []

    def wedged() -> Finding:  # a PC/SC call that does not come back
        calls.append(1)
        release.wait(10)
        return _fine()

    checks = HealthChecks([_probe(CheckName.READER, wedged, timeout=0.2), _probe(CheckName.DISK, _fine)])
    first = checks.run()
    assert first.check(CheckName.READER).status is FAILED
    assert first.check(CheckName.READER).detail == "no answer within 0.2 s"
    assert first.check(CheckName.DISK).status is OK
    second = checks.run()
    assert "has not returned" in second.check(CheckName.READER).detail
    assert len(calls) == 1  # no second thread piled up behind the first
    release.set()
    for thread in threading.enumerate():  # the wedged call returns; its thread ends
        if thread.name == "health-reader":
            thread.join(5)
    third = checks.run()
    assert third.check(CheckName.READER).status is OK
    assert len(calls) == 2


def test_skipped_probes_are_neither_started_nor_reported() -> None:
    calls: list[CheckName] = []

    def noting(name: CheckName) -> Probe:
        def run() -> Finding:
            calls.append(name)
            return _fine()

        return _probe(name, run)

    checks = HealthChecks([noting(CheckName.READER), noting(CheckName.CAMERA), noting(CheckName.DISK)])
    report = checks.run(skip={CheckName.CAMERA})
    assert [c.name for c in report.checks] == [CheckName.READER, CheckName.DISK]
    assert sorted(calls) == [CheckName.DISK, CheckName.READER]
    assert not any(t.name == "health-camera" for t in threading.enumerate())
    assert [c.name for c in checks.run().checks] == [CheckName.READER, CheckName.CAMERA, CheckName.DISK]
    assert calls.count(CheckName.CAMERA) == 1


def test_a_skipped_probe_still_hanging_is_not_forgotten() -> None:
    release, calls = threading.Event(), []

    def wedged() -> Finding:  # a camera that does not come back
        calls.append(1)
        release.wait(10)
        return _fine()

    checks = HealthChecks([_probe(CheckName.CAMERA, wedged, timeout=0.2), _probe(CheckName.DISK, _fine)])
    assert checks.run().check(CheckName.CAMERA).status is FAILED
    assert [c.name for c in checks.run(skip={CheckName.CAMERA}).checks] == [CheckName.DISK]
    assert "has not returned" in checks.run().check(CheckName.CAMERA).detail
    assert len(calls) == 1
    release.set()


def test_one_probe_per_name_and_an_empty_report_is_ok() -> None:
    with pytest.raises(ValueError, match="one probe"):
        HealthChecks([_probe(CheckName.DISK, _fine), _probe(CheckName.DISK, _fine)])
    assert HealthChecks([]).run().overall is OK


# --- card reader ----------------------------------------------------------------------------------


class Readers:
    """A PC/SC context as `PcscContext` answers: these readers, or this error."""

    def __init__(self, states: list[ReaderState] | Exception) -> None:
        self.answer = states

    def __call__(self) -> ReaderContext:
        return self

    def __enter__(self) -> ReaderContext:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None

    def states(self) -> list[ReaderState]:
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


VPCD = [ReaderState("Virtual PCD 00 00", True, b"\x3b\x8a"), ReaderState("Virtual PCD 00 01", False)]


@pytest.mark.parametrize(
    ("answer", "preferred", "status", "message", "detail"),
    [
        (
            VPCD,
            None,
            OK,
            "The card reader is connected.",
            "Virtual PCD 00 00: card; Virtual PCD 00 01: empty",
        ),
        (VPCD, "Virtual PCD 00 01", OK, "The card reader is connected.", "Virtual PCD 00 01: empty"),
        (VPCD, "Virtual PCD", OK, "The card reader is connected.", "Virtual PCD 00 00: card"),  # a prefix
        (
            VPCD,
            "ACS ACR39U",
            FAILED,
            "The terminal's card reader is not connected.",
            "no reader 'ACS ACR39U'",
        ),
        ([], None, FAILED, "No card reader is connected.", "PC/SC lists no reader"),
        (
            ReaderUnavailable("PC/SC service stopped: Service was stopped. (0x8010001E)"),
            None,
            FAILED,
            "The card reader service (pcscd) is not available.",
            "0x8010001E",
        ),
    ],
)
def test_reader_probe(
    answer: list[ReaderState] | Exception,
    preferred: str | None,
    status: HealthStatus,
    message: str,
    detail: str,
) -> None:
    result = HealthChecks([reader_probe(preferred=preferred, context=Readers(answer))]).run().checks[0]
    assert (result.status, result.message.english) == (status, message)
    assert detail in result.detail


# --- camera ---------------------------------------------------------------------------------------


def _clip(path: Path, frames: int = 12) -> Path:
    rng = np.random.default_rng(3)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 15, (160, 120))
    assert writer.isOpened()
    for _ in range(frames):
        writer.write(rng.integers(0, 255, (120, 160, 3), dtype=np.uint8))
    writer.release()
    return path


def test_camera_probe_on_a_clip(tmp_path: Path) -> None:
    result = HealthChecks([camera_probe(str(_clip(tmp_path / "camera.avi")))]).run().checks[0]
    assert (result.status, result.message.english) == (OK, "The camera works.")
    assert "a 160×120 picture" in result.detail


def test_camera_probe_on_a_missing_or_damaged_source(tmp_path: Path) -> None:
    missing = HealthChecks([camera_probe(str(tmp_path / "none.avi"))]).run().checks[0]
    assert (missing.status, missing.message.english) == (FAILED, "The camera cannot be opened.")
    assert "no such file" in missing.detail
    damaged = tmp_path / "damaged.avi"
    damaged.write_bytes(os.urandom(4096))
    result = HealthChecks([camera_probe(str(damaged))]).run().checks[0]
    assert result.status is FAILED
    assert result.message.english in ("The camera cannot be opened.", "The camera gives no picture.")


@pytest.fixture
def stream() -> Iterator[MjpegServer]:
    rng = np.random.default_rng(5)
    server = MjpegServer(lambda _i: rng.integers(0, 255, (120, 160, 3), dtype=np.uint8))
    yield server
    server.unplug()


def test_camera_probe_on_a_network_camera(stream: MjpegServer) -> None:
    result = HealthChecks([camera_probe(stream.url)]).run().checks[0]
    assert result.status is OK, result.detail


def test_camera_probe_on_a_camera_that_sends_no_picture(stream: MjpegServer) -> None:
    stream.stalled.set()  # connected, but no frame ever comes
    started = time.monotonic()
    result = HealthChecks([camera_probe(stream.url, frame_timeout=1.0)]).run().checks[0]
    assert result.status is FAILED
    assert result.message.english in ("The camera cannot be opened.", "The camera gives no picture.")
    assert time.monotonic() - started < 3 * 1.0 + 2.0 + 1.0  # within the probe's own limit


# --- central --------------------------------------------------------------------------------------


def test_central_probe_against_the_real_central(
    server: CentralServer, sessions: sessionmaker[Session]
) -> None:
    result = HealthChecks([central_probe(server.link(), stored_cursor(sessions))]).run().checks[0]
    assert (result.status, result.message.english) == (OK, "The central (機構) answers.")
    assert "0 notice(s) waiting after 0" in result.detail


def test_central_probe_says_when_it_answers_slowly(
    server: CentralServer, sessions: sessionmaker[Session]
) -> None:
    policy = HealthPolicy(central_slow_after=0.0)  # any real exchange takes longer than nothing
    probe = central_probe(server.link(), stored_cursor(sessions), policy=policy)
    result = HealthChecks([probe]).run().checks[0]
    assert (result.status, result.message.english) == (DEGRADED, "The central (機構) answers slowly.")


def test_central_probe_for_a_terminal_the_central_revoked(
    server: CentralServer, sessions: sessionmaker[Session]
) -> None:
    link = server.link()
    server.central.revoke_terminal(TERMINAL)
    result = HealthChecks([central_probe(link, stored_cursor(sessions))]).run().checks[0]
    assert (result.status, result.message.english) == (FAILED, "The central (機構) refuses this terminal.")
    assert f"terminal {TERMINAL} not active" in result.detail  # the central's signed refusal


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_central_probe_on_a_closed_port(server: CentralServer) -> None:
    link = CentralLink(f"https://127.0.0.1:{_free_port()}/pkix/", server.identity, timeout=5)
    result = HealthChecks([central_probe(link, lambda: 0)]).run().checks[0]
    assert (result.status, result.message.english) == (FAILED, "The central (機構) cannot be reached.")
    assert "refused" in result.detail.lower()


def test_central_probe_on_a_central_that_never_answers(server: CentralServer) -> None:
    with socket.socket() as silent:  # accepts connections (the kernel's backlog) but says nothing
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"https://127.0.0.1:{silent.getsockname()[1]}/pkix/"
        link = CentralLink(url, server.identity, timeout=30)
        result = HealthChecks([central_probe(link, lambda: 0, timeout=0.5)]).run().checks[0]
    assert (result.status, result.detail) == (FAILED, "no answer within 0.5 s")
    assert result.message.english == "The central (機構) could not be checked."


# --- outbox ---------------------------------------------------------------------------------------


def _unreachable(message: OutboxMessage) -> Receipt:
    raise CentralUnreachable("connection refused")


def _never(message: OutboxMessage, receipt: Receipt) -> VerifiedReceipt:
    raise AssertionError("nothing is delivered")


@pytest.mark.parametrize(
    ("age", "status", "message"),
    [
        (timedelta(minutes=5), OK, "2 message(s) are on their way to the central."),
        (
            timedelta(minutes=15),
            DEGRADED,
            "Messages to the central are delayed: 2 waiting, the oldest for 15 min.",
        ),
        (
            timedelta(hours=23),
            DEGRADED,
            "Messages to the central are delayed: 2 waiting, the oldest for 1380 min.",
        ),
        (timedelta(days=2), FAILED, "Messages to the central have not gone out for 2 day(s) or more."),
    ],
)
def test_outbox_probe(
    sessions: sessionmaker[Session], age: timedelta, status: HealthStatus, message: str
) -> None:
    with sessions.begin() as s:
        enqueue(s, "p10cr", b"a request", now=T0)
        enqueue(s, "certConf", b"a confirmation", now=T0 + timedelta(minutes=1))
    clock = FakeClock(T0)
    Relay(sessions, _unreachable, verify_receipt=_never, clock=clock).run_once()
    clock.now = T0 + age
    result = HealthChecks([outbox_probe(sessions, clock=clock)]).run().checks[0]
    assert (result.status, result.message.english) == (status, message)
    assert "%1" in result.message.template and result.message.args  # the numbers are values
    assert "outbox: 2 pending; oldest #1 p10cr queued 2026-11-22 09:00:00Z" in result.detail
    assert "1 attempt(s), last error: send failed: CentralUnreachable: connection refused" in result.detail


def test_outbox_probe_on_an_empty_outbox(sessions: sessionmaker[Session]) -> None:
    result = HealthChecks([outbox_probe(sessions, clock=FakeClock(T0))]).run().checks[0]
    assert (result.status, result.message.english) == (OK, "Nothing is waiting to be sent.")


# --- disk -----------------------------------------------------------------------------------------

GB = 1024**3


@pytest.mark.parametrize(
    ("free", "status", "message", "template"),
    [
        (2 * GB, OK, "2.0 GB of disk space free.", "%1 of disk space free."),
        (2 * GB - 1, DEGRADED, "Disk space is low: 2.0 GB left.", "Disk space is low: %1 left."),
        (256 * 1024**2, DEGRADED, "Disk space is low: 256.0 MB left.", "Disk space is low: %1 left."),
        (256 * 1024**2 - 1, FAILED, "The disk is full: 256.0 MB left.", "The disk is full: %1 left."),
        (1536, FAILED, "The disk is full: 1.5 KB left.", "The disk is full: %1 left."),
        (500, FAILED, "The disk is full: 500 B left.", "The disk is full: %1 left."),  # no English word
    ],
)
def test_disk_thresholds(
    tmp_path: Path, free: int, status: HealthStatus, message: str, template: str
) -> None:
    probe = disk_probe(tmp_path, usage=lambda _path: DiskUsage(100 * GB, 100 * GB - free, free))
    result = HealthChecks([probe]).run().checks[0]
    assert (result.status, result.message.english) == (status, message)
    assert result.message.template == template  # the size is a value, filled in after translation


def test_disk_probe_on_the_real_file_system(tmp_path: Path) -> None:
    free = shutil.disk_usage(tmp_path).free
    plenty = HealthPolicy(disk_degraded_below=1, disk_failed_below=0)
    short = HealthPolicy(disk_degraded_below=free + 100 * GB, disk_failed_below=1)
    full = HealthPolicy(disk_degraded_below=free + 200 * GB, disk_failed_below=free + 100 * GB)
    for policy, status in ((plenty, OK), (short, DEGRADED), (full, FAILED)):
        result = HealthChecks([disk_probe(tmp_path, policy=policy)]).run().checks[0]
        assert result.status is status
        assert str(tmp_path) in result.detail
    missing = HealthChecks([disk_probe(tmp_path / "gone")]).run().checks[0]
    assert (missing.status, missing.message.english) == (FAILED, "The data folder is missing.")


# --- all five ---------------------------------------------------------------------------------------


def test_the_terminals_checks_together(
    server: CentralServer, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    link = CentralLink(f"https://127.0.0.1:{_free_port()}/pkix/", server.identity, timeout=5)
    checks = terminal_checks(
        sessions=sessions,
        link=link,
        camera=str(_clip(tmp_path / "camera.avi")),
        data_dir=tmp_path,
        reader_context=Readers(VPCD),
        clock=FakeClock(datetime.now(UTC)),
        policy=HealthPolicy(disk_degraded_below=1, disk_failed_below=0),
    )
    report = checks.run()
    assert [(c.name, c.status) for c in report.checks] == [
        (CheckName.READER, OK),
        (CheckName.CAMERA, OK),
        (CheckName.CENTRAL, FAILED),
        (CheckName.OUTBOX, OK),
        (CheckName.DISK, OK),
    ]
    assert report.overall is FAILED
