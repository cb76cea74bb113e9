"""The kiosk's configuration: one TOML file, read once at start, validated whole.

`load_config(path)` gives a frozen `KioskConfig` or raises `ConfigError` listing **every**
problem at once, each naming its key and what is expected, so an installer fixes the file in one
pass instead of one restart per typo:

    timeouts.idle_seconds: expected a whole number of seconds between 30 and 600, got 'abc'

Unknown sections and keys are errors (a misspelt key would otherwise be ignored and its default
used silently), with the nearest known key suggested. `check_files(config)` then checks the data
directory's secret files: the terminal key and the data key must belong to the user the kiosk
runs as and be closed to group and others; a problem names the `chmod`/`chown` to run.

**No secrets in the configuration.** The terminal's key and certificate live in
`<data_dir>/terminal/` (written 0600 by `kiosk terminal bootstrap`), the data key in
`<data_dir>/data-key.bin` (0600, made on first start), PINs nowhere. The file is read by
installers, copied into tickets and backed up with the system configuration, so anything that
looks like a secret is refused outright: an unknown key named like one (pin, password, secret,
private key, token), a PEM block in any value, a one-time bootstrap secret. Problem texts never
repeat such a value.

The schema (docs/deploy.md, resources/config/kiosk.example.toml):

    [terminal]   id, mode ("counter" | "unattended"), central_url (https), data_dir (absolute)
    [devices]    resident_reader, staff_reader, camera                     (all optional)
    [ui]         language ("ja" | "en")
    [timeouts]   idle_seconds, countdown_seconds, operator_idle_minutes,
                 operator_session_hours, override_auth_minutes
    [unattended] procedures (["pin_reset"]), pins (["sign", "auth"])       (unattended only)
    [logging]    directory, retention_days, level
    [health]     file, interval_seconds

No Qt here: `kiosk config check` and the tests load it headless.
"""

from __future__ import annotations

import difflib
import enum
import os
import pwd
import re
import stat
import tomllib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Final, TypeVar
from urllib.parse import urlsplit

from kiosk.domain.pin_rules import PinKind
from kiosk.domain.procedures import Procedure

if TYPE_CHECKING:
    from kiosk.flows.counter.assembly import TerminalConfig
    from kiosk.flows.operator import SessionLimits

# The data directory's fixed names (kiosk.flows.counter.assembly, kiosk.sync.bootstrap,
# kiosk.store.sealed): repeated here so that checking a configuration loads none of them.
TERMINAL_DIR: Final = "terminal"
TERMINAL_KEY: Final = "terminal.key"
DATA_KEY: Final = "data-key.bin"

# The same rule as the central's terminal registration (central/terminals.py).
TERMINAL_ID: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
# A one-time bootstrap secret as `central terminal register` prints it: 160 bits in base32, XXXX-….
BOOTSTRAP_SECRET: Final = re.compile(r"[A-Z2-7]{4}(?:[-\s]?[A-Z2-7]{4}){7}", re.IGNORECASE)
PEM_BLOCK: Final = "-----BEGIN"
_URL_USERINFO: Final = re.compile(r"//[^/@\s]*@")
_BOOTSTRAP_GROUPS: Final = re.compile(r"[A-Za-z2-7]{4}(?:[-\s][A-Za-z2-7]{4}){7}")  # one, inside a list
# Word parts of a key name that say "this is a secret" (pin_code, terminal-key, api_token, …).
SECRET_WORDS: Final = frozenset(
    {"pin", "pins", "pincode", "password", "passwd", "passphrase", "passcode", "secret", "secrets",
     "private", "privkey", "key", "keys", "token", "credential", "credentials"}
)  # fmt: skip
UNATTENDED_PROCEDURES: Final = (Procedure.PIN_RESET,)  # the only procedure done without staff
RESETTABLE_PINS: Final = (PinKind.SIGN, PinKind.AUTH)  # what an unattended terminal may reset
LANGUAGES: Final = ("ja", "en")
LOG_LEVELS: Final = ("warning", "info", "debug")
# AusweisApp deletes its logs after 14 days (ANCHORS.md §2 D, "Log privacy / retention" [AA13]).
DEFAULT_RETENTION_DAYS: Final = 14
_SHOWN_MAX = 40  # characters of a wrong value repeated in a problem
_T = TypeVar("_T")


class Mode(enum.StrEnum):
    COUNTER = "counter"  # staffed: the resident's screens beside the staff panel
    UNATTENDED = "unattended"  # self-service PIN reset (issue 6), no staff at the terminal


class ConfigError(Exception):
    """The configuration cannot be used; `problems` lists every reason, one line each."""

    def __init__(self, source: Path, problems: list[str]) -> None:
        super().__init__(f"{source}: " + "; ".join(problems))
        self.source = source
        self.problems = tuple(problems)


@dataclass(frozen=True)
class Timeouts:
    """The kiosk's time limits. Defaults: the resident's idle countdown of kiosk.ui.idle (60 s
    quiet, then 30 s visible), the operator session of kiosk.flows.operator (30 min idle, 12 h
    overall, an override trusts a staff card + PIN for 5 min)."""

    idle_seconds: int = 60
    countdown_seconds: int = 30
    operator_idle_minutes: int = 30
    operator_session_hours: int = 12
    override_auth_minutes: int = 5


@dataclass(frozen=True)
class UnattendedOffer:
    """What an unattended terminal declares it does; the central enforces its own registration of
    the terminal, so declaring more here gains nothing (docs/deploy.md, security model)."""

    procedures: tuple[Procedure, ...] = UNATTENDED_PROCEDURES
    pins: tuple[PinKind, ...] = RESETTABLE_PINS


@dataclass(frozen=True)
class KioskConfig:
    source: Path
    terminal_id: str
    mode: Mode
    central_url: str
    data_dir: Path
    resident_reader: str | None = None  # None: the reader holding a card
    staff_reader: str | None = None  # None: staff sign in at the resident's reader
    camera: str | None = None  # device index, file or URL; None: no face check (counter only)
    language: str = "ja"  # the default language every session returns to
    timeouts: Timeouts = field(default_factory=Timeouts)
    unattended: UnattendedOffer | None = None  # set exactly when mode is unattended
    log_directory: Path | None = None  # None: stderr (journald) only
    log_retention_days: int = DEFAULT_RETENTION_DAYS
    log_level: str = "info"
    health_file: Path | None = None  # None: no health file
    health_interval_seconds: int = 30

    @property
    def terminal(self) -> TerminalConfig:
        """The counter's wiring's view of it (kiosk.flows.counter.assembly), unchanged."""
        # Imported here: the assembly loads the store, sync and card layers, which checking a
        # configuration does not need.
        from kiosk.flows.counter.assembly import TerminalConfig  # noqa: PLC0415

        return TerminalConfig(
            self.data_dir,
            self.terminal_id,
            self.central_url,
            self.resident_reader,
            self.staff_reader,
            self.camera,
        )

    def session_limits(self) -> SessionLimits:
        from kiosk.flows.operator import SessionLimits  # noqa: PLC0415 (as above)

        t = self.timeouts
        return SessionLimits(
            idle=timedelta(minutes=t.operator_idle_minutes),
            overall=timedelta(hours=t.operator_session_hours),
            override_max_age=timedelta(minutes=t.override_auth_minutes),
        )

    def effective(self) -> dict[str, dict[str, object]]:
        """Every setting with its effective value (defaults filled in), by section, as the file
        would spell it; None for what is not set."""
        t = self.timeouts
        sections: dict[str, dict[str, object]] = {
            "terminal": {
                "id": self.terminal_id,
                "mode": self.mode.value,
                "central_url": self.central_url,
                "data_dir": str(self.data_dir),
            },
            "devices": {
                "resident_reader": self.resident_reader,
                "staff_reader": self.staff_reader,
                "camera": self.camera,
            },
            "ui": {"language": self.language},
            "timeouts": {
                "idle_seconds": t.idle_seconds,
                "countdown_seconds": t.countdown_seconds,
                "operator_idle_minutes": t.operator_idle_minutes,
                "operator_session_hours": t.operator_session_hours,
                "override_auth_minutes": t.override_auth_minutes,
            },
        }
        if self.unattended is not None:
            sections["unattended"] = {
                "procedures": [p.value for p in self.unattended.procedures],
                "pins": [p.value for p in self.unattended.pins],
            }
        sections["logging"] = {
            "directory": str(self.log_directory) if self.log_directory is not None else None,
            "retention_days": self.log_retention_days,
            "level": self.log_level,
        }
        sections["health"] = {
            "file": str(self.health_file) if self.health_file is not None else None,
            "interval_seconds": self.health_interval_seconds,
        }
        return sections


# -- the schema ------------------------------------------------------------------------------------


class _Invalid(Exception):
    """A value does not parse; the key's `expected` text says why."""


_REQUIRED: Final = object()


@dataclass(frozen=True)
class _Key:
    parse: Callable[[object], object]
    expected: str  # "expected …": completes "<section>.<key>: "
    default: object = _REQUIRED


def _whole(low: int, high: int) -> Callable[[object], object]:
    def parse(value: object) -> object:
        # TOML's true is a Python int too: refuse it, "idle_seconds = true" is a slip, not 1.
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise _Invalid
        return value

    return parse


def _text(value: object) -> object:
    if not isinstance(value, str) or not value.strip() or any(ord(c) < 0x20 for c in value):
        raise _Invalid
    return value


def _choice(*allowed: str) -> Callable[[object], object]:
    def parse(value: object) -> object:
        if value not in allowed:
            raise _Invalid
        return value

    return parse


def _terminal_id(value: object) -> object:
    if not isinstance(value, str) or not TERMINAL_ID.fullmatch(value):
        raise _Invalid
    return value


def _https_url(value: object) -> object:
    # https only, loopback included: the central link is mutual TLS with the terminal's
    # certificate (kiosk.sync.central), which a plain-http URL could never carry. The demo and
    # the tests serve the central over https on 127.0.0.1 as well.
    if not isinstance(value, str):
        raise _Invalid
    try:
        parts = urlsplit(value)
        port = parts.port  # raises on a port that is not a number
    except ValueError:
        raise _Invalid from None
    if parts.scheme != "https" or not parts.hostname or parts.username or parts.password or port == 0:
        raise _Invalid
    return value


def _absolute_path(value: object) -> object:
    # Absolute only: a relative path would depend on the directory systemd starts us in.
    if not isinstance(value, str) or not value or "\x00" in value or not Path(value).is_absolute():
        raise _Invalid
    return Path(value)


def _camera(value: object) -> object:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value)  # `camera = 0`: the first V4L2 device, as Capture takes it
    return _text(value)


def _list_of(allowed: Mapping[str, object]) -> Callable[[object], object]:
    def parse(value: object) -> object:
        if not isinstance(value, list) or not value or len(set(map(str, value))) != len(value):
            raise _Invalid
        if not all(isinstance(item, str) and item in allowed for item in value):
            raise _Invalid
        return tuple(allowed[item] for item in value)

    return parse


SCHEMA: Final[dict[str, dict[str, _Key]]] = {
    "terminal": {
        "id": _Key(
            _terminal_id,
            "expected the id the central registered this terminal under (1–64 of A–Z a–z 0–9 . _ -, "
            "starting with a letter or digit)",
        ),
        "mode": _Key(_choice(*Mode), 'expected "counter" or "unattended"'),
        "central_url": _Key(
            _https_url, "expected the central's CMP URL, https://host[:port]/pkix/ (https only: mutual TLS)"
        ),
        "data_dir": _Key(_absolute_path, "expected an absolute path to the kiosk's data directory"),
    },
    "devices": {
        "resident_reader": _Key(_text, "expected a reader name (or its prefix)", None),
        "staff_reader": _Key(_text, "expected a reader name (or its prefix)", None),
        "camera": _Key(_camera, "expected a camera: a device index (0), a video file or a URL", None),
    },
    "ui": {"language": _Key(_choice(*LANGUAGES), 'expected "ja" or "en"', "ja")},
    "timeouts": {
        "idle_seconds": _Key(
            _whole(30, 600), "expected a whole number of seconds between 30 and 600", Timeouts.idle_seconds
        ),
        "countdown_seconds": _Key(
            _whole(10, 120),
            "expected a whole number of seconds between 10 and 120",
            Timeouts.countdown_seconds,
        ),
        # Longer than the defaults is not offered: they are the vxsuite limits (ANCHORS.md §2 D).
        "operator_idle_minutes": _Key(
            _whole(1, 30),
            "expected a whole number of minutes between 1 and 30",
            Timeouts.operator_idle_minutes,
        ),
        "operator_session_hours": _Key(
            _whole(1, 12),
            "expected a whole number of hours between 1 and 12",
            Timeouts.operator_session_hours,
        ),
        "override_auth_minutes": _Key(
            _whole(1, 15),
            "expected a whole number of minutes between 1 and 15",
            Timeouts.override_auth_minutes,
        ),
    },
    "unattended": {
        "procedures": _Key(
            _list_of({p.value: p for p in UNATTENDED_PROCEDURES}),
            'expected a list of procedures an unattended terminal offers: only ["pin_reset"]',
            UNATTENDED_PROCEDURES,
        ),
        "pins": _Key(
            _list_of({p.value: p for p in RESETTABLE_PINS}),
            'expected a list of the PINs it resets, each once: "sign", "auth" or both',
            RESETTABLE_PINS,
        ),
    },
    "logging": {
        "directory": _Key(_absolute_path, "expected an absolute path to the log directory", None),
        "retention_days": _Key(
            _whole(1, 90), "expected a whole number of days between 1 and 90", DEFAULT_RETENTION_DAYS
        ),
        "level": _Key(_choice(*LOG_LEVELS), 'expected "warning", "info" or "debug"', "info"),
    },
    "health": {
        "file": _Key(_absolute_path, "expected an absolute path for the health file", None),
        "interval_seconds": _Key(_whole(5, 300), "expected a whole number of seconds between 5 and 300", 30),
    },
}


# -- loading ---------------------------------------------------------------------------------------


def load_config(path: Path) -> KioskConfig:
    """Read and validate `path`; raises ConfigError with every problem found."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(path, [f"cannot read {path}: {exc.strerror}"]) from None
    try:
        document = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(path, [f"{path} is not UTF-8 text"]) from None
    except tomllib.TOMLDecodeError as exc:  # its text names the line and column, not the content
        raise ConfigError(path, [f"{path} is not valid TOML: {exc}"]) from None
    return parse_config(document, source=path)


def parse_config(document: Mapping[str, object], *, source: Path) -> KioskConfig:
    """Validate an already parsed TOML document (the tests' tables); raises ConfigError."""
    problems = list(_secret_problems(document))
    values: dict[str, dict[str, object]] = {}
    for section, keys in SCHEMA.items():
        table = document.get(section, {})
        if not isinstance(table, dict):
            problems.append(f"{section}: expected a table ([{section}]), got {_shown(table)}")
            table = {}
        values[section] = {}
        for name, key in keys.items():
            where = f"{section}.{name}"
            if name not in table:
                if key.default is _REQUIRED:
                    problems.append(f"{where}: missing; {key.expected}")
                values[section][name] = None if key.default is _REQUIRED else key.default
                continue
            try:
                values[section][name] = key.parse(table[name])
            except _Invalid:
                problems.append(f"{where}: {key.expected}, got {_shown(table[name])}")
                values[section][name] = None
    problems += _unknown_keys(document)
    problems += _cross_checks(document, values)
    if problems:
        raise ConfigError(source, problems)
    return _build(source, values)


def _build(source: Path, v: dict[str, dict[str, object]]) -> KioskConfig:
    terminal, devices, timeouts, logging_, health = (
        v["terminal"], v["devices"], v["timeouts"], v["logging"], v["health"]
    )  # fmt: skip
    mode = Mode(str(terminal["mode"]))
    offer = None
    if mode is Mode.UNATTENDED:
        u = v["unattended"]
        offer = UnattendedOffer(_of(Procedure, u["procedures"]), _of(PinKind, u["pins"]))
    return KioskConfig(
        source=source,
        terminal_id=str(terminal["id"]),
        mode=mode,
        central_url=str(terminal["central_url"]),
        data_dir=_path(terminal["data_dir"]),
        resident_reader=_optional_str(devices["resident_reader"]),
        staff_reader=_optional_str(devices["staff_reader"]),
        camera=_optional_str(devices["camera"]),
        language=str(v["ui"]["language"]),
        timeouts=Timeouts(**{name: _int(value) for name, value in timeouts.items()}),
        unattended=offer,
        log_directory=_optional_path(logging_["directory"]),
        log_retention_days=_int(logging_["retention_days"]),
        log_level=str(logging_["level"]),
        health_file=_optional_path(health["file"]),
        health_interval_seconds=_int(health["interval_seconds"]),
    )


def _of(kind: type[_T], value: object) -> tuple[_T, ...]:
    """The schema's parser made a tuple of `kind`; said so to the type checker."""
    assert isinstance(value, tuple) and all(isinstance(item, kind) for item in value)
    return value


def _int(value: object) -> int:
    assert isinstance(value, int)
    return value


def _path(value: object) -> Path:
    assert isinstance(value, Path)
    return value


def _optional_path(value: object) -> Path | None:
    return None if value is None else _path(value)


def _optional_str(value: object) -> str | None:
    return None if value is None else str(value)


def _cross_checks(document: Mapping[str, object], v: dict[str, dict[str, object]]) -> list[str]:
    """Rules between keys; each only when the keys it reads parsed (their own problem is listed)."""
    problems: list[str] = []
    mode = v["terminal"]["mode"]
    devices = v["devices"]
    if mode == Mode.UNATTENDED:
        if "unattended" not in document:
            problems.append(
                "unattended: missing; an unattended terminal declares what it offers: "
                '[unattended] procedures = ["pin_reset"], pins = ["sign", "auth"]'
            )
        if devices["camera"] is None and "camera" not in _table(document, "devices"):
            # The unattended reset never runs without a live face check (docs/deploy.md).
            problems.append(
                "devices.camera: missing; an unattended terminal needs its camera for the face check"
            )
    elif mode == Mode.COUNTER and "unattended" in document:
        problems.append(
            'unattended: only for mode = "unattended"; a counter terminal offers what staff choose'
        )
    if (
        devices["staff_reader"] is not None
        and devices["resident_reader"] is None
        and "resident_reader" not in _table(document, "devices")
    ):
        # Two cards in two readers: "the reader holding a card" would be ambiguous (as `kiosk counter`).
        problems.append(
            "devices.resident_reader: missing; with a staff_reader, name the resident's reader too"
        )
    data_dir, health_file, log_dir = v["terminal"]["data_dir"], v["health"]["file"], v["logging"]["directory"]
    if isinstance(data_dir, Path) and isinstance(health_file, Path) and health_file.is_relative_to(data_dir):
        problems.append(
            "health.file: expected a path outside the data directory, which is closed to everyone but "
            "the kiosk (0700): monitoring could not read it there"
        )
    if isinstance(log_dir, Path) and isinstance(health_file, Path) and health_file.is_relative_to(log_dir):
        problems.append(
            "health.file: expected a path outside the log directory (0700): monitoring could not read it"
        )
    return problems


def _table(document: Mapping[str, object], section: str) -> Mapping[str, object]:
    table = document.get(section, {})
    return table if isinstance(table, dict) else {}


def _unknown_keys(document: Mapping[str, object]) -> list[str]:
    problems: list[str] = []
    for section, table in document.items():
        if section not in SCHEMA:
            if not _looks_secret(section):  # a secret-looking name has its own problem already
                problems.append(f"{section}: unknown section{_did_you_mean(section, SCHEMA)}")
            continue
        if not isinstance(table, dict):
            continue
        for name in table:
            if name not in SCHEMA[section] and not _looks_secret(name):
                problems.append(f"{section}.{name}: unknown key{_did_you_mean(name, SCHEMA[section])}")
    return problems


def _did_you_mean(name: str, known: Mapping[str, object]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    if close:
        return f" (did you mean {close[0]!r}?)"
    return f"; expected one of: {', '.join(known)}"


def _walk(document: Mapping[str, object], prefix: str = "") -> Iterator[tuple[str, str | None, object]]:
    """(dotted key, its name, value) of every key at any depth; a list's items come with no name
    of their own (their list's name is checked once, with the list)."""
    for name, value in document.items():
        where = f"{prefix}{name}"
        yield where, name, value
        if isinstance(value, dict):
            yield from _walk(value, f"{where}.")
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, dict):
                    yield from _walk(item, f"{where}[{index}].")
                else:
                    yield f"{where}[{index}]", None, item


def _looks_secret(name: str) -> bool:
    words = re.split(r"[_\-.\s]+", name.lower())
    return any(word in SECRET_WORDS or word.startswith(("pin", "passw", "secret")) for word in words)


def _secret_problems(document: Mapping[str, object]) -> Iterator[str]:
    keep = (
        "keep the terminal key in <data_dir>/terminal/ (kiosk terminal bootstrap writes it), "
        "not in the config"
    )
    for where, name, value in _walk(document):
        if name is not None and not _known(where) and _looks_secret(name):
            yield (
                f"{where}: looks like a secret, and secrets never go in the configuration: {keep}; "
                "PINs are never stored"
            )
        elif isinstance(value, str) and PEM_BLOCK in value:
            yield f"{where}: holds a PEM block (a key or certificate): {keep}"
        elif isinstance(value, str) and BOOTSTRAP_SECRET.fullmatch(value.strip()):
            yield (
                f"{where}: looks like a one-time bootstrap secret: it is typed once into "
                "'kiosk terminal bootstrap' and never stored"
            )


def _known(where: str) -> bool:
    section, _, name = where.partition(".")
    return section in SCHEMA and (not name or name.split("[")[0] in SCHEMA[section])


def _shown(value: object) -> str:
    """A wrong value as a problem repeats it: short, one line, quoted — unless it holds a secret
    (a PEM block, a bootstrap secret: their own problem says so) or a URL's password."""
    text = repr(value)  # a list's items too
    secret = isinstance(value, str) and BOOTSTRAP_SECRET.fullmatch(value.strip())
    if secret or PEM_BLOCK in text or _BOOTSTRAP_GROUPS.search(text):
        return "(a value not repeated here)"
    text = _URL_USERINFO.sub("//…@", text)
    return text if len(text) <= _SHOWN_MAX else text[: _SHOWN_MAX - 1] + "…"


# -- the secret files ------------------------------------------------------------------------------


def check_files(config: KioskConfig, *, uid: int | None = None) -> list[str]:
    """Problems with the files the kiosk trusts, for the user `uid` (default: this process's).

    The data directory and terminal/ must be the kiosk user's and 0700; the terminal key and the
    data key (when it exists: it is made on first start) the kiosk user's and closed to group
    and others (0600 or 0400); the configuration file not writable by group or others (whoever
    could edit it could point the kiosk at another log directory or camera). Every problem
    names the command that fixes it."""
    owner = os.geteuid() if uid is None else uid
    problems: list[str] = []
    data_dir = config.data_dir
    terminal_dir = data_dir / TERMINAL_DIR
    bootstrap = (
        f"kiosk terminal bootstrap --central {config.central_url} --root ROOT.pem --dir {terminal_dir} "
        f"{config.terminal_id}"
    )
    for directory in (data_dir, terminal_dir):
        found = _lstat(directory)
        if found is None:
            make = (
                f"install -d -m 700 -o {_user(owner, numeric=True)} {data_dir}, then run {bootstrap}"
                if directory == data_dir
                else f"run {bootstrap}"
            )
            problems.append(f"{directory}: missing; this terminal is not set up: {make}")
            return problems + _config_file_problems(config.source)
        if not stat.S_ISDIR(found.st_mode):
            problems.append(f"{directory}: expected a directory (not a link or a file)")
            return problems + _config_file_problems(config.source)
        problems += _owned_and_closed(directory, found, owner, mode="700")
    key = terminal_dir / TERMINAL_KEY
    found = _lstat(key)
    if found is None:
        problems.append(f"{key}: missing; this terminal is not bootstrapped: run {bootstrap}")
    else:
        problems += _secret_file(key, found, owner)
    data_key = data_dir / DATA_KEY
    found = _lstat(data_key)
    if found is not None:
        problems += _secret_file(data_key, found, owner)
    return problems + _config_file_problems(config.source)


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return path.lstat()  # a link is not followed: it is refused below
    except FileNotFoundError:
        return None


def _secret_file(path: Path, found: os.stat_result, owner: int) -> list[str]:
    if not stat.S_ISREG(found.st_mode):
        return [f"{path}: expected a regular file (not a link): the kiosk opens it without following links"]
    return _owned_and_closed(path, found, owner, mode="600")


def _owned_and_closed(path: Path, found: os.stat_result, owner: int, *, mode: str) -> list[str]:
    problems = []
    if found.st_uid != owner:
        problems.append(
            f"{path}: belongs to {_user(found.st_uid)}, not to {_user(owner)} the kiosk runs as: "
            f"chown {_user(owner, numeric=True)} {path}"
        )
    if found.st_mode & 0o077:
        problems.append(
            f"{path}: open to group or others (mode {stat.S_IMODE(found.st_mode):o}): chmod {mode} {path}"
        )
    return problems


def _config_file_problems(path: Path) -> list[str]:
    try:
        found = path.stat()
    except OSError:
        return []  # a configuration loaded from elsewhere (the tests' tables)
    if found.st_mode & 0o022:
        return [
            f"{path}: writable by group or others (mode {stat.S_IMODE(found.st_mode):o}): chmod go-w {path}"
        ]
    return []


def _user(uid: int, *, numeric: bool = False) -> str:
    """The user's name; for one without a name "uid N" in a sentence, "N" in a command."""
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid) if numeric else f"uid {uid}"


# -- printing --------------------------------------------------------------------------------------


def format_effective(config: KioskConfig) -> str:
    """The effective configuration as TOML (what `kiosk config check` prints); what is not set is
    a comment, so the output is itself a valid configuration."""
    lines = [
        f"# {config.source}: valid ({config.mode.value} terminal); every setting with its effective value"
    ]
    for section, values in config.effective().items():
        lines.append(f"\n[{section}]")
        for name, value in values.items():
            lines.append(f"# {name} = (not set)" if value is None else f"{name} = {_toml(value)}")
    return "\n".join(lines)


def _toml(value: object) -> str:
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{escaped}"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    return str(value)
