"""The running kiosk's logs (kiosk/logs.py): the JSON line's shape, daily files kept N days, the
redaction filter, the APDU trace's PIN redaction, and — by design, not by filter — that no log
call of the kiosk hands personal data to the log."""

from __future__ import annotations

import ast
import base64
import io
import json
import logging
import os
import random
import re
import stat
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from kiosk.logs import (
    DailyJsonFileHandler,
    RedactionFilter,
    configure_logging,
    log_file_day,
    purge_old_logs,
    redact,
)
from kiosk.reader.apdu import CommandApdu, ResponseApdu
from kiosk.reader.trace import format_command, format_response

ROOT = Path(__file__).resolve().parents[2]
DAY = date(2026, 11, 22)
NOON = datetime(2026, 11, 22, 12, 0, 0, 250_000, tzinfo=UTC)
MY_NUMBER = "123456789018"
_BYTES = random.Random(20261122)  # the same "random" bytes every run
HEX_KEY = _BYTES.randbytes(256).hex() + "123456789012"  # a 2048-bit modulus' worth, digits at the end
PICTURE = base64.b64encode(_BYTES.randbytes(600)).decode()


def _day_file(directory: Path, day: date) -> Path:
    return directory / f"kiosk-{day.isoformat()}.jsonl"


@pytest.fixture
def logger() -> Iterator[logging.Logger]:
    """A logger of its own, off the root (pytest's handlers stay as they are)."""
    log = logging.getLogger(f"kiosk.test_logs.{os.getpid()}")
    log.propagate = False
    log.setLevel(logging.DEBUG)
    yield log
    for handler in list(log.handlers):
        log.removeHandler(handler)
        handler.close()


def _handler(directory: Path, logger: logging.Logger, *, retention_days: int = 14) -> DailyJsonFileHandler:
    handler = DailyJsonFileHandler(directory, retention_days=retention_days, clock=lambda: NOON)
    handler.addFilter(RedactionFilter())
    logger.addHandler(handler)
    return handler


def _emit(
    logger: logging.Logger, at: datetime, message: str, *args: object, error: bool = False, **extra: object
) -> None:
    """A record made at `at` (with the exception being handled, if `error`)."""
    level, exc_info = (logging.ERROR, sys.exc_info()) if error else (logging.INFO, None)
    record = logger.makeRecord(logger.name, level, __file__, 1, message, args, exc_info, extra=extra)
    record.created = at.timestamp()  # the record's own time picks its file
    logger.handle(record)


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# -- the JSON line ---------------------------------------------------------------------------------


def test_one_json_object_a_line_with_time_level_logger_message_and_extras(
    tmp_path: Path, logger: logging.Logger
) -> None:
    _handler(tmp_path / "logs", logger)
    _emit(logger, NOON, "message #%d sent after %s", 7, "3 attempts", terminal_id="kiosk-0001", attempts=3)
    try:
        raise ValueError("the central said no")
    except ValueError:
        _emit(logger, NOON, "relay failed", error=True)
    first, second = _lines(_day_file(tmp_path / "logs", DAY))
    assert first == {
        "time": "2026-11-22T12:00:00.250Z",
        "level": "INFO",
        "logger": logger.name,
        "message": "message #7 sent after 3 attempts",
        "terminal_id": "kiosk-0001",
        "attempts": 3,
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", str(second["time"]))
    assert second["level"] == "ERROR" and second["message"] == "relay failed"
    assert "ValueError: the central said no" in str(second["exception"])


def test_the_directory_is_0700_and_the_files_0600(tmp_path: Path, logger: logging.Logger) -> None:
    _handler(tmp_path / "logs", logger)
    _emit(logger, NOON, "started")
    assert stat.S_IMODE((tmp_path / "logs").stat().st_mode) == 0o700
    assert stat.S_IMODE(_day_file(tmp_path / "logs", DAY).stat().st_mode) == 0o600
    opened = tmp_path / "opened"
    opened.mkdir(mode=0o755)
    opened.chmod(0o755)
    DailyJsonFileHandler(opened, retention_days=14).close()
    assert stat.S_IMODE(opened.stat().st_mode) == 0o700  # ours, so closed to others


# -- daily files, kept N days ----------------------------------------------------------------------


def test_a_file_per_utc_day_and_days_out_of_retention_deleted(tmp_path: Path, logger: logging.Logger) -> None:
    logs = tmp_path / "logs"
    logs.mkdir(mode=0o700)
    for back in (30, 14, 13, 1):
        _day_file(logs, DAY - timedelta(days=back)).write_text("{}\n", encoding="utf-8")
    (logs / "notes.txt").write_text("not ours", encoding="utf-8")
    (logs / "kiosk-2026-13-45.jsonl").write_text("not a day", encoding="utf-8")
    _handler(logs, logger, retention_days=14)
    # At start: 14 days and more before today are gone, 13 days back is kept (14 days of files).
    assert sorted(p.name for p in logs.iterdir()) == [
        "kiosk-2026-11-09.jsonl", "kiosk-2026-11-21.jsonl", "kiosk-2026-13-45.jsonl", "notes.txt"
    ]  # fmt: skip
    _emit(logger, NOON, "today")
    _emit(logger, NOON + timedelta(hours=11, minutes=59), "just before midnight UTC")
    _emit(logger, NOON + timedelta(hours=12), "the next UTC day")
    assert [e["message"] for e in _lines(_day_file(logs, DAY))] == ["today", "just before midnight UTC"]
    assert [e["message"] for e in _lines(_day_file(logs, DAY + timedelta(days=1)))] == ["the next UTC day"]
    # The new day moved the window: 13 days before it is now the oldest kept.
    assert not _day_file(logs, DAY - timedelta(days=13)).exists()
    assert _day_file(logs, DAY - timedelta(days=1)).exists()
    assert (logs / "notes.txt").exists() and (logs / "kiosk-2026-13-45.jsonl").exists()


def test_retention_goes_by_date_not_by_count(tmp_path: Path) -> None:
    """A kiosk that was off for weeks has few files, all old: they go anyway (a count-based
    rotation would keep them)."""
    for back in (20, 40, 60):
        _day_file(tmp_path, DAY - timedelta(days=back)).write_text("", encoding="utf-8")
    deleted = purge_old_logs(tmp_path, DAY, retention_days=14)
    assert len(deleted) == 3 and list(tmp_path.iterdir()) == []
    assert log_file_day(Path("kiosk-2026-11-22.jsonl")) == DAY
    assert log_file_day(Path("kiosk-2026-11-22.jsonl.tmp")) is None


# -- redaction -------------------------------------------------------------------------------------

REDACTIONS = [
    ("pin=1234 refused", "1234", "pin=[redacted] refused"),
    ("new_pin: 'ABC123'", "ABC123", "new_pin: [redacted]"),
    ('{"password": "hunter2"}', "hunter2", '{"password": [redacted]}'),
    ("code_b=901231201512 entered", "901231201512", "code_b=[redacted] entered"),
    ("照合番号B=9012312015 のはず", "9012312015", "照合番号B=[redacted] のはず"),
    (f"card of {MY_NUMBER} read", MY_NUMBER, "card of [redacted: 12 digits] read"),
    ("number 1234-5678-9018 given", "5678", "number [redacted: 12 digits] given"),
    (f"key {HEX_KEY}", HEX_KEY[:40], "key [redacted: 524 hex digits]"),
    (f"data {bytes(range(60)).hex(' ').upper()}", "3A 3B", "data [redacted: 60 bytes]"),
    (f"photo {PICTURE}", PICTURE[:40], "photo [redacted:"),
]


@pytest.mark.parametrize(("text", "gone", "shown"), REDACTIONS, ids=[r[2] for r in REDACTIONS])
def test_redaction_masks_what_looks_like_a_secret_or_personal_data(text: str, gone: str, shown: str) -> None:
    masked = redact(text)
    assert gone not in masked
    assert shown in masked


KEPT = [
    "operator op-001 failed (wrong_pin): wrong PIN, 2 tries left",
    "audit chain head " + "ab" * 32,  # a SHA-256: readable
    "message #12 of 2026-11-22 queued 13 min ago, 3 attempt(s)",
    # the APDU trace's preview of a response
    "< [24] 30 82 04 A1 30 82 03 89 A0 03 02 01 02 02 10 5C 8B 3E 52 FA 81 34 1C… 9000",
    "/var/lib/jpki-kiosk/terminal/central-root.pem: no such file",
    "serial 5C8B3E52FA81341C9D2E0F11A2B3C4D5",
]


@pytest.mark.parametrize("text", KEPT)
def test_redaction_leaves_the_kiosks_own_words_alone(text: str) -> None:
    assert redact(text) == text


def test_extras_arguments_and_exceptions_are_redacted(tmp_path: Path, logger: logging.Logger) -> None:
    _handler(tmp_path, logger)
    _emit(
        logger,
        NOON,
        "code_b=%s for %s",
        "901231201512",
        MY_NUMBER,
        pin="1234",
        photo=b"\xff\xd8jpeg",
        frames=[b"a", b"b"],
        note=f"holder number {MY_NUMBER}",
        blob=b"\x00" * 10,
        attempts=2,
    )
    try:
        raise ValueError(f"unexpected {MY_NUMBER} in the reply")
    except ValueError:
        _emit(logger, NOON, "reply %s refused", MY_NUMBER, error=True)
    text = _day_file(tmp_path, DAY).read_text(encoding="utf-8")
    assert MY_NUMBER not in text and "901231201512" not in text and "1234" not in text and "jpeg" not in text
    first, second = _lines(_day_file(tmp_path, DAY))
    assert first["message"] == "code_b=[redacted] for [redacted: 12 digits]"
    assert (first["pin"], first["photo"], first["frames"]) == ("[redacted]", "[redacted]", "[redacted]")
    assert (first["blob"], first["attempts"]) == ("[10 bytes]", 2)
    assert first["note"] == "holder number [redacted: 12 digits]"
    assert "[redacted: 12 digits] in the reply" in str(second["exception"])


def test_configure_logging_puts_both_handlers_behind_the_filter(tmp_path: Path) -> None:
    root = logging.getLogger()
    saved, level = root.handlers[:], root.level
    root.handlers = []  # pytest's own handlers are put back below, never closed
    stderr = io.StringIO()
    try:
        setup = configure_logging(tmp_path / "logs", level=logging.INFO, stderr=stderr)
        logging.getLogger("kiosk.test").warning("card %s refused", MY_NUMBER)
        logging.getLogger("kiosk.test").debug("not at info level")
        setup.close()
        assert root.handlers == []
    finally:
        root.handlers, root.level = saved, level
    assert stderr.getvalue() == "WARNING kiosk.test: card [redacted: 12 digits] refused\n"
    (file,) = (tmp_path / "logs").iterdir()
    (entry,) = _lines(file)
    assert entry["message"] == "card [redacted: 12 digits] refused" and entry["logger"] == "kiosk.test"


# -- the APDU trace --------------------------------------------------------------------------------


def test_the_apdu_trace_never_shows_a_pin() -> None:
    verify = CommandApdu(0x00, 0x20, 0x00, 0x80, b"1234", name="VERIFY", secret=True)
    line = format_command(verify, extended=False)
    assert "31 32 33 34" not in line and "1234" not in line and "<4 bytes redacted>" in line
    read = CommandApdu(0x00, 0xB0, 0x00, 0x00, ne=256, name="READ BINARY", personal=True)
    back = format_response(ResponseApdu(MY_NUMBER.encode(), 0x9000), personal=read.personal)
    assert "[12 bytes of personal data redacted]" in back and MY_NUMBER.encode().hex(" ").upper() not in back


# -- by design: the kiosk's log calls carry no personal data ----------------------------------------

LOG_METHODS = frozenset({"debug", "info", "warning", "error", "exception", "critical", "log"})
LOGGERS = frozenset({"_log", "log", "logger", "_logger", "logging"})
# What holds personal data or secrets in the kiosk's code, by the names it uses for them. A log
# call handing one of these to the log is refused whatever the filter would do with it.
PERSONAL = frozenset(
    {"pin", "pins", "new_pin", "old_pin", "current_pin", "secret", "code_b", "photo", "image", "frame",
     "frames", "picture", "jpeg", "holder", "applicant", "basic4", "address", "birth_date", "kana",
     "full_name", "my_number", "mynumber", "card_face", "payload", "envelope", "plaintext", "subject",
     "data", "public_bytes", "der"}
)  # fmt: skip
PERSONAL_VARIABLES = frozenset({"name", "names"})  # `x.name` is an enum's or a thread's: allowed


def personal_in_log_calls(source: str) -> list[tuple[int, str]]:
    """(line, identifier) for each personal-data identifier in the arguments of a log call."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        base = node.func.value
        if node.func.attr not in LOG_METHODS or not isinstance(base, ast.Name) or base.id not in LOGGERS:
            continue
        for argument in [*node.args, *(k.value for k in node.keywords)]:
            for part in ast.walk(argument):
                if isinstance(part, ast.Name) and part.id in PERSONAL | PERSONAL_VARIABLES:
                    found.append((node.lineno, part.id))
                elif isinstance(part, ast.Attribute) and part.attr in PERSONAL:
                    found.append((node.lineno, part.attr))
    return found


def _kiosk_sources() -> list[Path]:
    return sorted((ROOT / "kiosk").rglob("*.py"))


def test_no_log_call_of_the_kiosk_hands_personal_data_to_the_log() -> None:
    calls = 0
    offending = []
    for path in _kiosk_sources():
        source = path.read_text(encoding="utf-8")
        calls += source.count("_log.") + source.count("log.")
        offending += [
            f"{path.relative_to(ROOT)}:{line}: {name}" for line, name in personal_in_log_calls(source)
        ]
    assert calls > 100  # the scan saw the kiosk's log calls at all
    assert offending == []


def test_the_scan_sees_personal_data_in_a_log_call() -> None:
    bad = (
        "_log.info('resident %s born %s', name, resident.birth_date)\n"
        "log.warning(f'pin {pin} refused')\n"
        "_log.error('payload', extra={'x': message.payload})\n"
        "_log.info('state %s', state.name)\n"  # an enum's name: fine
    )
    assert personal_in_log_calls(bad) == [(1, "name"), (1, "birth_date"), (2, "pin"), (3, "payload")]
