"""The running kiosk's logs: JSON lines in daily files kept N days, and plain lines on stderr.

`configure_logging(directory, retention_days=…, level=…)` (what `kiosk run` calls) sends every
record to

- `<directory>/kiosk-YYYY-MM-DD.jsonl` (the UTC day of its records; directory 0700, files 0600):
  one JSON object a line — `time` (UTC, ISO 8601, milliseconds, `Z`), `level`, `logger`,
  `message`, then the record's structured extras (`_log.info("…", extra={"terminal_id": …})`)
  and `exception` when there is one. A new file starts at the first record of each UTC day;
  files whose day is `retention_days` or more days back are deleted then and at start, so no
  line is older than that (default 14 days: AusweisApp deletes its logs after 14 days,
  ANCHORS.md §2 D "Log privacy / retention" [AA13]). Retention goes by the date in the name,
  not by a file count, so a kiosk that was off for a week still forgets on time;
- stderr, one plain line a record, for systemd's journal (which stamps its own time).

**What the logs hold.** The kiosk's log calls carry codes, ids of its own records, counts and
exception texts that by design contain no personal data (tests/unit/test_logs.py holds every
log call of kiosk/ to that). `RedactionFilter` on both handlers is defence in depth for the
call that slips: it masks a value after a PIN-, password- or secret-named field, a 12-digit
number (a My Number), and hex or base64 runs long enough to be a picture, a key or an
envelope. The APDU trace (kiosk.reader.trace, level TRAFFIC) already writes no PIN and no
personal response data; it is a diagnostic of `kiosk card info -vv` and is not offered to a
running kiosk (the configuration's levels stop at debug).

No Qt here.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import IO, Final

FILE_PREFIX: Final = "kiosk-"
FILE_SUFFIX: Final = ".jsonl"
_FILE_NAME: Final = re.compile(r"kiosk-(\d{4}-\d{2}-\d{2})\.jsonl")
LEVELS: Final = {"warning": logging.WARNING, "info": logging.INFO, "debug": logging.DEBUG}
STDERR_FORMAT: Final = "%(levelname)s %(name)s: %(message)s"

Clock = Callable[[], datetime]

# What every LogRecord carries; anything else on a record is an `extra` and goes into the JSON.
_STANDARD: Final = frozenset(
    vars(logging.LogRecord("", logging.INFO, "", 0, "", None, None)).keys()
    | {"message", "asctime", "taskName"}
)


def _utcnow() -> datetime:
    return datetime.now(UTC)


# -- redaction -------------------------------------------------------------------------------------

REDACTED: Final = "[redacted]"
# A field whose name says it is a secret, then its value: "pin=1234", "code_b: 123456…",
# "'password': 'x'". The name and separator stay, so the line still says what was there.
_SECRET_FIELD: Final = re.compile(
    r"""(?P<name>\b(?:\w+_)?(?:pin|pins|pincode|passcode|password|passwd|secret|code_b)(?:_\w+)?\b
          |照合番号[AB]?|暗証番号|パスワード)
        (?P<sep>['"]?\s*[:=]\s*)
        (?P<value>"[^"]*"|'[^']*'|[^\s,;)}\]]+)""",
    re.IGNORECASE | re.VERBOSE,
)
# A My Number: 12 digits alone, or written 4-4-4.
_MY_NUMBER: Final = re.compile(r"(?<![\d.])(?:\d{12}|\d{4}[ -]\d{4}[ -]\d{4})(?![\d.])")
# Long enough for a key, a picture or an envelope; a SHA-256 (64 hex digits: the audit chain's
# head, a certificate's fingerprint) stays readable.
_HEX_RUN: Final = re.compile(r"(?<![0-9A-Fa-f])[0-9A-Fa-f]{96,}(?![0-9A-Fa-f])")
_SPACED_HEX_RUN: Final = re.compile(
    r"(?<![0-9A-Fa-f])(?:[0-9A-Fa-f]{2}[ :]){48,}[0-9A-Fa-f]{2}(?![0-9A-Fa-f])"
)
_BASE64_RUN: Final = re.compile(r"[A-Za-z0-9+/_-]{80,}={0,2}")
# Extras whose name says secret or personal: their value is dropped whatever it looks like.
_SECRET_EXTRA: Final = re.compile(
    r"(?:^|_)(?:pin|pins|pincode|passcode|password|passwd|secret|code_b|photo|image|frame|picture|"
    r"my_number|mynumber|name|address|birth|birth_date)s?(?:_|$)",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """`text` with anything shaped like a secret or personal data masked (see the module)."""
    text = _SECRET_FIELD.sub(lambda m: f"{m['name']}{m['sep']}{REDACTED}", text)
    # Blobs before numbers: twelve digits inside a key's hex would otherwise split it in two.
    text = _SPACED_HEX_RUN.sub(lambda m: f"[redacted: {len(m[0]) // 3 + 1} bytes]", text)
    text = _HEX_RUN.sub(lambda m: f"[redacted: {len(m[0])} hex digits]", text)
    text = _BASE64_RUN.sub(_base64_mask, text)
    return _MY_NUMBER.sub("[redacted: 12 digits]", text)


def _base64_mask(found: re.Match[str]) -> str:
    run = found[0]
    # Encoded bytes mix digits and both cases; a long path or identifier of the same alphabet
    # rarely does, and stays readable.
    if any(c.isdigit() for c in run) and any(c.isupper() for c in run) and any(c.islower() for c in run):
        return f"[redacted: {len(run)} characters]"
    return run


def _redact_value(name: str, value: object) -> object:
    if _SECRET_EXTRA.search(name):
        result: object = REDACTED
    elif isinstance(value, bytes | bytearray | memoryview):
        result = f"[{len(value)} bytes]"  # never the bytes themselves
    elif isinstance(value, list | tuple):
        result = [_redact_value(name, item) for item in value]
    elif isinstance(value, dict):
        result = {str(k): _redact_value(str(k), v) for k, v in value.items()}
    elif value is None or isinstance(value, bool | int | float):
        result = value
    else:  # text, and anything else as its text
        result = redact(value if isinstance(value, str) else str(value))
    return result


class RedactionFilter(logging.Filter):
    """Masks the record's message (formatted once here, arguments included), its extras and its
    exception text before any handler writes it. On a handler, so records from every logger
    pass through it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        for name in list(vars(record)):
            if name not in _STANDARD:
                setattr(record, name, _redact_value(name, getattr(record, name)))
        if record.exc_info and record.exc_info[0] is not None:
            # An exception's text may quote what it choked on: formatted and masked here, once.
            record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip())
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


# -- JSON lines ------------------------------------------------------------------------------------


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, the record's extras, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": _iso(datetime.fromtimestamp(record.created, UTC)),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, value in vars(record).items():
            if name not in _STANDARD and name not in entry:
                entry[name] = value
        if record.exc_info and record.exc_info[0] is not None:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        # default=str: an extra that is no JSON type is written as its text, never dropped silently.
        return json.dumps(entry, ensure_ascii=False, default=str, separators=(",", ":"))


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def log_file_day(path: Path) -> date | None:
    """The UTC day a log file of ours holds, from its name; None for any other file."""
    found = _FILE_NAME.fullmatch(path.name)
    if found is None:
        return None
    try:
        return date.fromisoformat(found[1])
    except ValueError:
        return None


def purge_old_logs(directory: Path, today: date, retention_days: int) -> list[Path]:
    """Delete our log files whose day is `retention_days` or more days before `today`; the
    deleted paths. Other files in the directory are left alone."""
    oldest_kept = today - timedelta(days=retention_days - 1)
    deleted = []
    for path in sorted(directory.iterdir()):
        day = log_file_day(path)
        if day is not None and day < oldest_kept and path.is_file():
            path.unlink(missing_ok=True)
            deleted.append(path)
    return deleted


class DailyJsonFileHandler(logging.Handler):
    """JSON lines into `kiosk-<UTC day>.jsonl`, a new file per day, old days deleted.

    Not `TimedRotatingFileHandler`: that one keeps the newest N files whatever their age and
    renames files under a reader's feet; here a file is named by its day from the start and
    retention is by date."""

    def __init__(self, directory: Path, *, retention_days: int, clock: Clock = _utcnow) -> None:
        super().__init__()
        if retention_days < 1:
            raise ValueError("retention_days must be 1 or more")
        self.directory = directory
        self.retention_days = retention_days
        self._clock = clock
        self._day: date | None = None
        self._stream: IO[str] | None = None
        self.setFormatter(JsonFormatter())
        prepare_log_directory(directory)
        purge_old_logs(directory, clock().astimezone(UTC).date(), retention_days)

    @property
    def current_file(self) -> Path | None:
        return self._path(self._day) if self._day is not None else None

    def _path(self, day: date) -> Path:
        return self.directory / f"{FILE_PREFIX}{day.isoformat()}{FILE_SUFFIX}"

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
            # The record's own time picks the file (a fake clock in tests moves both together).
            day = datetime.fromtimestamp(record.created, UTC).date()
            stream = self._open(max(day, self._day) if self._day is not None else day)
            stream.write(line + "\n")
            stream.flush()
        except Exception:  # logging must never take the kiosk down: report as logging does
            self.handleError(record)

    def _open(self, day: date) -> IO[str]:
        if self._stream is not None and day == self._day:
            return self._stream
        self._close_stream()
        path = self._path(day)
        # 0600 from the start: a log line is never readable by others, not even for an instant.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o600)
        self._stream = os.fdopen(fd, "a", encoding="utf-8")
        if self._day is not None:  # a new day while running: forget the days now out of retention
            purge_old_logs(self.directory, day, self.retention_days)
        self._day = day
        return self._stream

    def _close_stream(self) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None

    def close(self) -> None:
        self.acquire()
        try:
            self._close_stream()
        finally:
            self.release()
        super().close()


def prepare_log_directory(directory: Path) -> None:
    """Create the log directory 0700, or close an existing one of ours to group and others."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    found = directory.stat()
    if found.st_mode & 0o077:
        if found.st_uid != os.geteuid():
            raise PermissionError(
                f"{directory}: the log directory is open to others and not ours to close: "
                f"chmod 700 {directory}"
            )
        directory.chmod(0o700)


# -- setting it up ---------------------------------------------------------------------------------


@dataclass
class LoggingSetup:
    """The handlers `configure_logging` put on the root logger; `close()` takes them off again."""

    handlers: tuple[logging.Handler, ...]
    file_handler: DailyJsonFileHandler | None

    def close(self) -> None:
        root = logging.getLogger()
        for handler in self.handlers:
            root.removeHandler(handler)
            handler.close()


def configure_logging(
    directory: Path | None,
    *,
    level: int = logging.INFO,
    retention_days: int = 14,
    stderr: IO[str] | None = None,
    clock: Clock = _utcnow,
) -> LoggingSetup:
    """The root logger to `level`, its handlers replaced by the JSON file (when `directory` is
    given) and stderr, both behind the redaction filter. Records from every library go through."""
    redaction = RedactionFilter()
    handlers: list[logging.Handler] = []
    console = logging.StreamHandler(stderr if stderr is not None else sys.stderr)
    console.setFormatter(logging.Formatter(STDERR_FORMAT))
    handlers.append(console)
    file_handler = None
    if directory is not None:
        file_handler = DailyJsonFileHandler(directory, retention_days=retention_days, clock=clock)
        handlers.append(file_handler)
    root = logging.getLogger()
    for old in list(root.handlers):  # basicConfig's, or an earlier setup's: one set of handlers
        root.removeHandler(old)
        old.close()
    for handler in handlers:
        handler.addFilter(redaction)
        root.addHandler(handler)
    root.setLevel(level)
    return LoggingSetup(tuple(handlers), file_handler)
