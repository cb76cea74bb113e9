"""The monitoring health file (kiosk.flows.health_file): its content, fixed codes for every health
sentence, the status rules, atomic writes (a reader never sees half a file), the writer thread on
a real migrated store, and that nothing personal or free-text reaches the file."""

# The store fixtures are imported by name, and pytest passes them as same-named arguments.
# ruff: noqa: F811

from __future__ import annotations

import ast
import json
import stat
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from kiosk_store_fixtures import FakeClock, db_path, engine, sessions  # noqa: F401 (fixtures)
from sqlalchemy.orm import Session, sessionmaker

from kiosk.domain.service_mode import OutOfServiceReason, ServiceMode, ServiceState
from kiosk.flows import health, health_file
from kiosk.flows.health import (
    CheckName,
    CheckResult,
    Finding,
    HealthChecks,
    HealthReport,
    HealthStatus,
    Probe,
    say,
)
from kiosk.flows.health_file import (
    CHECK_CODES,
    HealthFileIdentity,
    HealthFileWriter,
    check_code,
    health_document,
    write_health_file,
)
from kiosk.flows.service_mode import set_mode
from kiosk.store.db import make_engine, make_sessionmaker
from kiosk.store.models import Application, ProcedureKind
from kiosk.store.sealed import Sealer, load_or_create_data_key
from kiosk.sync.outbox import enqueue

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
IDENTITY = HealthFileIdentity("kiosk-0001", "counter", "0.1.0")
OK, DEGRADED, FAILED = HealthStatus.OK, HealthStatus.DEGRADED, HealthStatus.FAILED
# What must never reach the file: a resident's name and My Number, a reader's name, a path.
PRIVATE = ("佐藤　健太", "123456789018", "ACME Reader 00", "/var/lib/jpki-kiosk")


def _result(name: CheckName, status: HealthStatus, template: str, *args: str) -> CheckResult:
    # The detail carries what a probe really puts there (names, paths): the file must drop it.
    return CheckResult(
        name, status, say(template, *args), f"ACME Reader 00; /var/lib/jpki-kiosk; {PRIVATE[0]}", 0.1
    )


REPORT = HealthReport(
    T0,
    (
        _result(CheckName.READER, OK, "The card reader is connected."),
        _result(CheckName.CAMERA, OK, "The camera works."),
        _result(CheckName.CENTRAL, OK, "The central (機構) answers."),
        _result(
            CheckName.OUTBOX, DEGRADED,
            "Messages to the central are delayed: %1 waiting, the oldest for %2 min.", "3", "20",
        ),
        _result(CheckName.DISK, OK, "%1 of disk space free.", "41.2 GB"),
    ),
)  # fmt: skip


def test_the_document() -> None:
    out = ServiceMode(
        ServiceState.OUT_OF_SERVICE, OutOfServiceReason.MAINTENANCE, "op-7", T0 - timedelta(hours=1)
    )
    document = health_document(
        IDENTITY,
        now=T0 + timedelta(minutes=2),
        started_at=T0 - timedelta(hours=3),
        report=REPORT,
        backlog=3,
        service=out,
        heartbeat_at=T0 + timedelta(minutes=2) - timedelta(seconds=20),
        heartbeat_stale_after=timedelta(seconds=90),
        checks_stale_after=timedelta(minutes=10),
    )
    assert isinstance(document.pop("pid"), int)
    assert document == {
        "format": 1,
        "terminal_id": "kiosk-0001",
        "mode": "counter",
        "version": "0.1.0",
        "started_at": "2026-11-22T06:00:00Z",
        "written_at": "2026-11-22T09:02:00Z",
        "status": "degraded",
        "problems": ["outbox.delayed"],
        "checked_at": "2026-11-22T09:00:00Z",
        "checks": [
            {"name": "reader", "status": "ok", "code": "reader.connected",
             "message": "The card reader is connected."},
            {"name": "camera", "status": "ok", "code": "camera.works", "message": "The camera works."},
            {"name": "central", "status": "ok", "code": "central.answers",
             "message": "The central (機構) answers."},
            {"name": "outbox", "status": "degraded", "code": "outbox.delayed",
             "message": "Messages to the central are delayed: 3 waiting, the oldest for 20 min."},
            {"name": "disk", "status": "ok", "code": "disk.space_ok",
             "message": "41.2 GB of disk space free."},
        ],
        "outbox_backlog": 3,
        # Out of service is staff's decision, not a fault: said here, not in the status.
        "service": {"state": "out_of_service", "reason": "maintenance", "since": "2026-11-22T08:00:00Z"},
        "ui": {"status": "ok", "heartbeat_at": "2026-11-22T09:01:40Z"},
    }  # fmt: skip
    text = json.dumps(document, ensure_ascii=False)
    assert "op-7" not in text  # who set the mode is the audit chain's, not monitoring's
    assert not [p for p in PRIVATE if p in text]


def _health_templates() -> set[str]:
    """Every sentence kiosk.flows.health can say: the first argument of each say()."""
    tree = ast.parse(Path(health.__file__).read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "say":
            assert isinstance(node.args[0], ast.Constant), ast.dump(node)
            found.add(node.args[0].value)
    return found


def test_every_health_sentence_has_its_fixed_code() -> None:
    templates = _health_templates()
    assert len(templates) > 20  # the scan sees them at all
    assert set(CHECK_CODES) == templates
    assert len(set(CHECK_CODES.values())) == len(CHECK_CODES)  # one sentence, one code
    assert {code.split(".")[0] for code in CHECK_CODES.values()} == {name.value for name in CheckName}
    # A sentence the table does not know yet still gets a code monitoring can match.
    unknown = CheckResult(CheckName.DISK, FAILED, say("A new sentence."), "", 0.0)
    assert check_code(unknown) == "disk.failed"


STATUS_RULES = [
    # (report, heartbeat seconds ago (None: none yet), report age, stopped) → status, problems
    ("no checks yet", None, 10, None, False, "unknown", []),
    ("all ok", REPORT.checks[:3], 10, 0, False, "ok", []),
    ("one failed",
     (*REPORT.checks[:2], _result(CheckName.CENTRAL, FAILED, "The central (機構) cannot be reached.")),
     10, 0, False, "failed", ["central.unreachable"]),
    ("the UI stopped beating", REPORT.checks[:3], 200, 0, False, "failed", ["ui.not_responding"]),
    ("the UI has not beaten yet", REPORT.checks[:3], None, 0, False, "ok", []),
    ("no checks yet, UI stuck", None, 200, None, False, "failed", ["ui.not_responding"]),
    ("checks not run for long", REPORT.checks[:3], 10, 3600, False, "degraded", ["checks.stale"]),
    ("stopped", REPORT.checks[:3], 10, 0, True, "stopped", []),
]  # fmt: skip


@pytest.mark.parametrize(
    ("checks", "beat_ago", "report_age", "stopped", "status", "problems"),
    [r[1:] for r in STATUS_RULES],
    ids=[r[0] for r in STATUS_RULES],
)
def test_status_rules(
    checks: tuple[CheckResult, ...] | None,
    beat_ago: float | None,
    report_age: float | None,
    stopped: bool,
    status: str,
    problems: list[str],
) -> None:
    report = None if checks is None else HealthReport(T0 - timedelta(seconds=report_age or 0), checks)
    document = health_document(
        IDENTITY,
        now=T0,
        started_at=T0 - timedelta(hours=1),
        report=report,
        backlog=0,
        service=None,
        heartbeat_at=None if beat_ago is None else T0 - timedelta(seconds=beat_ago),
        heartbeat_stale_after=timedelta(seconds=90),
        checks_stale_after=timedelta(minutes=11),
        stopped=stopped,
    )
    assert (document["status"], document["problems"]) == (status, problems)


# -- writing ---------------------------------------------------------------------------------------


def test_written_atomically_0644_nothing_left_behind(tmp_path: Path) -> None:
    path = tmp_path / "run" / "health.json"  # the directory is made if missing
    write_health_file(path, {"status": "ok", "n": 1})
    assert json.loads(path.read_text(encoding="utf-8")) == {"status": "ok", "n": 1}
    assert stat.S_IMODE(path.stat().st_mode) == 0o644  # monitoring reads it as another user
    assert [p.name for p in path.parent.iterdir()] == ["health.json"]


def test_a_failed_write_leaves_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "health.json"
    write_health_file(path, {"status": "ok"})

    def no_rename(_src: object, _dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(health_file.os, "replace", no_rename)
    with pytest.raises(OSError, match="No space"):
        write_health_file(path, {"status": "failed"})
    assert json.loads(path.read_text(encoding="utf-8")) == {"status": "ok"}
    assert [p.name for p in tmp_path.iterdir()] == ["health.json"]  # the temporary file is gone


def test_a_reader_never_sees_half_a_file(tmp_path: Path) -> None:
    path = tmp_path / "health.json"
    write_health_file(path, {"n": 0, "pad": "x" * 20_000})
    stop = threading.Event()
    seen: list[int] = []
    broken: list[str] = []

    def read() -> None:
        while not stop.is_set():
            text = path.read_text(encoding="utf-8")
            try:
                seen.append(json.loads(text)["n"])
            except ValueError:
                broken.append(text[:40])

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for n in range(1, 300):
            write_health_file(path, {"n": n, "pad": "x" * 20_000})
    finally:
        stop.set()
        reader.join()
    assert broken == [] and len(seen) > 10


# -- the writer on a real store --------------------------------------------------------------------


def _probe(name: CheckName, status: HealthStatus, template: str) -> Probe:
    # Details as real probes write them: a reader's name, a path, here even personal data.
    return Probe(name, lambda: Finding(status, say(template), " ".join(PRIVATE)), 2.0, say(template))


def _fill(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    """An application with personal data sealed in it, two messages waiting, out of service."""
    sealer = Sealer(load_or_create_data_key(tmp_path / "data"))
    with sessions.begin() as s:
        app = Application(kind=ProcedureKind.NEW_ISSUANCE)
        app.seal_payload(sealer, f"{PRIVATE[0]} {PRIVATE[1]}".encode())
        s.add(app)
        enqueue(s, "p10cr", b"request naming nobody", now=T0)
        enqueue(s, "notice.ack", b"ack", now=T0)
    set_mode(sessions, state=ServiceState.OUT_OF_SERVICE, reason=OutOfServiceReason.READER_FAULT,
             operator_id="op-0042", now=T0)  # fmt: skip


def test_the_writer_runs_its_checks_reads_the_store_and_says_nothing_private(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    _fill(sessions, tmp_path)
    clock = FakeClock(T0 + timedelta(minutes=1))
    checks = HealthChecks(
        (
            _probe(CheckName.READER, OK, "The card reader is connected."),
            _probe(CheckName.CAMERA, OK, "The camera works."),
            _probe(CheckName.CENTRAL, FAILED, "The central (機構) cannot be reached."),
        ),
        clock=clock,
    )
    path = tmp_path / "health.json"
    writer = HealthFileWriter(
        path, IDENTITY, sessions=sessions, checks=checks, checks_every=300, skip=lambda: (CheckName.CAMERA,),
        clock=clock,
    )  # fmt: skip
    document = writer.write_now()
    assert json.loads(path.read_text(encoding="utf-8")) == document
    assert [c["name"] for c in document["checks"]] == ["reader", "central"]  # the camera was skipped
    assert (document["status"], document["problems"]) == ("failed", ["central.unreachable"])
    assert document["outbox_backlog"] == 2
    assert document["service"] == {
        "state": "out_of_service",
        "reason": "reader_fault",
        "since": "2026-11-22T09:00:00Z",
    }
    assert document["ui"] is None  # no heartbeat asked for
    text = path.read_text(encoding="utf-8")
    assert not [p for p in PRIVATE if p in text] and "op-0042" not in text


def test_offered_reports_are_used_and_an_older_one_never_replaces_a_newer(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    clock = FakeClock(T0)
    writer = HealthFileWriter(tmp_path / "h.json", IDENTITY, sessions=sessions, clock=clock, heartbeat=True)
    assert writer.write_now()["status"] == "unknown"
    newer = HealthReport(T0, REPORT.checks[:3])
    writer.offer(newer)
    writer.offer(HealthReport(T0 - timedelta(minutes=5), (REPORT.checks[3],)))  # late, from an old run
    writer.beat()
    document = writer.write_now()
    assert (document["status"], document["checked_at"], len(document["checks"])) == (
        "ok",
        "2026-11-22T09:00:00Z",
        3,
    )
    clock.advance(31 * 3)  # three missed beats of a 30 s interval
    assert writer.write_now()["problems"] == ["ui.not_responding"]


def test_the_thread_rewrites_the_file_and_says_stopped_at_the_end(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    path = tmp_path / "health.json"
    writer = HealthFileWriter(path, IDENTITY, sessions=sessions, interval=0.05)
    writer.start()
    try:
        deadline = time.monotonic() + 10
        while not path.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        first = path.stat().st_mtime_ns
        while path.stat().st_mtime_ns == first and time.monotonic() < deadline:
            time.sleep(0.01)
        assert path.stat().st_mtime_ns != first  # written again, by itself
    finally:
        writer.stop()
    assert json.loads(path.read_text(encoding="utf-8"))["status"] == "stopped"
    assert not [t for t in threading.enumerate() if t.name == "health-file"]


def test_a_store_that_cannot_be_read_is_said_not_fatal(tmp_path: Path) -> None:
    unmigrated = make_engine(tmp_path / "empty.db")  # no tables: every query fails
    try:
        writer = HealthFileWriter(tmp_path / "h.json", IDENTITY, sessions=make_sessionmaker(unmigrated))
        document = writer.write_now()
    finally:
        unmigrated.dispose()
    assert (document["outbox_backlog"], document["service"]) == (None, None)
