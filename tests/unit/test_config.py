"""The configuration file (kiosk/config.py): every validation problem, unknown keys, secrets
refused, the data directory's secret files, and the `kiosk run` / `kiosk config check` commands
on bad input (no Qt: a good configuration would open the window, tests/ui covers that)."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
import tomllib
import types
from datetime import timedelta
from pathlib import Path

import pytest

from kiosk import cli
from kiosk.config import (
    ConfigError,
    KioskConfig,
    Mode,
    Timeouts,
    UnattendedOffer,
    check_files,
    format_effective,
    load_config,
    parse_config,
)
from kiosk.domain.pin_rules import PinKind
from kiosk.domain.procedures import Procedure
from kiosk.flows.counter.assembly import TerminalConfig
from kiosk.flows.operator import SessionLimits

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "resources" / "config"
SOURCE = Path("/etc/jpki-kiosk/kiosk.toml")
PEM = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n"
BOOTSTRAP = "ABCD-EFGH-IJKL-MNOP-QRST-UVWX-YZ23-4567"  # as `central terminal register` prints one

COUNTER: dict[str, object] = {
    "terminal": {
        "id": "kiosk-0001",
        "mode": "counter",
        "central_url": "https://central.example.lg.jp:8443/pkix/",
        "data_dir": "/var/lib/jpki-kiosk",
    },
    "devices": {"resident_reader": "ACME 00", "staff_reader": "ACME 01", "camera": 0},
}
UNATTENDED: dict[str, object] = {
    "terminal": {**COUNTER["terminal"], "mode": "unattended"},  # type: ignore[dict-item]
    "devices": {"camera": "/dev/video2"},
    "unattended": {"procedures": ["pin_reset"], "pins": ["sign"]},
}


def with_(base: dict[str, object], **changes: object) -> dict[str, object]:
    """`base` with "section.key" set (or removed, for a value of `...`)."""
    document = copy.deepcopy(base)
    for dotted, value in changes.items():
        section, _, key = dotted.replace("__", ".").partition(".")
        if not key:
            if value is ...:
                document.pop(section, None)
            else:
                document[section] = value
            continue
        table = document.setdefault(section, {})
        assert isinstance(table, dict)
        if value is ...:
            table.pop(key, None)
        else:
            table[key] = value
    return document


def problems(document: dict[str, object]) -> tuple[str, ...]:
    with pytest.raises(ConfigError) as refused:
        parse_config(document, source=SOURCE)
    return refused.value.problems


# -- a good configuration --------------------------------------------------------------------------


def test_a_counter_configuration_with_its_defaults() -> None:
    config = parse_config(COUNTER, source=SOURCE)
    assert config == KioskConfig(
        source=SOURCE,
        terminal_id="kiosk-0001",
        mode=Mode.COUNTER,
        central_url="https://central.example.lg.jp:8443/pkix/",
        data_dir=Path("/var/lib/jpki-kiosk"),
        resident_reader="ACME 00",
        staff_reader="ACME 01",
        camera="0",  # `camera = 0`: the device index as Capture takes it
        language="ja",
        timeouts=Timeouts(60, 30, 30, 12, 5),
        unattended=None,
        log_directory=None,
        log_retention_days=14,
        log_level="info",
        health_file=None,
        health_interval_seconds=30,
    )
    # The counter's wiring gets the TerminalConfig it always had.
    assert config.terminal == TerminalConfig(
        Path("/var/lib/jpki-kiosk"), "kiosk-0001", "https://central.example.lg.jp:8443/pkix/",
        "ACME 00", "ACME 01", "0",
    )  # fmt: skip
    assert config.session_limits() == SessionLimits()  # the defaults are kiosk.flows.operator's


def test_timeouts_reach_the_operator_session() -> None:
    config = parse_config(
        with_(COUNTER, timeouts={"operator_idle_minutes": 10, "operator_session_hours": 8,
                                 "override_auth_minutes": 2, "idle_seconds": 120}),
        source=SOURCE,
    )  # fmt: skip
    assert config.session_limits() == SessionLimits(
        idle=timedelta(minutes=10), overall=timedelta(hours=8), override_max_age=timedelta(minutes=2)
    )
    assert (config.timeouts.idle_seconds, config.timeouts.countdown_seconds) == (120, 30)


def test_an_unattended_configuration() -> None:
    config = parse_config(UNATTENDED, source=SOURCE)
    assert config.mode is Mode.UNATTENDED
    assert config.unattended == UnattendedOffer((Procedure.PIN_RESET,), (PinKind.SIGN,))
    assert config.camera == "/dev/video2"


@pytest.mark.parametrize("name", ["counter", "unattended"])
def test_the_shipped_examples_are_valid_and_print_back_to_themselves(name: str) -> None:
    config = load_config(EXAMPLES / f"kiosk.{name}.example.toml")
    assert config.mode is Mode(name)
    assert config.log_directory == Path("/var/log/jpki-kiosk") and config.health_file is not None
    # `kiosk config check` prints TOML that is itself the same configuration.
    again = parse_config(tomllib.loads(format_effective(config)), source=config.source)
    assert again == config


# -- every problem, named ------------------------------------------------------------------------

SECONDS = "expected a whole number of seconds between"
MINUTES = "expected a whole number of minutes between"
BAD_VALUES = [
    ("timeouts.idle_seconds", "abc", f"timeouts.idle_seconds: {SECONDS} 30 and 600, got 'abc'"),
    ("timeouts.idle_seconds", 29, f"timeouts.idle_seconds: {SECONDS} 30 and 600, got 29"),
    ("timeouts.idle_seconds", 60.0, "got 60.0"),
    ("timeouts.idle_seconds", True, "got True"),  # TOML's true is no number of seconds
    ("timeouts.countdown_seconds", 121, f"timeouts.countdown_seconds: {SECONDS} 10 and 120, got 121"),
    ("timeouts.operator_idle_minutes", 31, f"timeouts.operator_idle_minutes: {MINUTES} 1 and 30, got 31"),
    ("timeouts.operator_session_hours", 0,
     "timeouts.operator_session_hours: expected a whole number of hours between 1 and 12, got 0"),
    ("timeouts.override_auth_minutes", 16, f"timeouts.override_auth_minutes: {MINUTES} 1 and 15, got 16"),
    ("terminal.id", "kiosk 1", "terminal.id: expected the id the central registered this terminal under"),
    ("terminal.id", "-kiosk", "got '-kiosk'"),
    ("terminal.mode", "kiosk", "terminal.mode: expected \"counter\" or \"unattended\", got 'kiosk'"),
    ("terminal.central_url", "http://central/pkix/", "terminal.central_url: expected the central's CMP URL"),
    ("terminal.central_url", "https:///pkix/", "terminal.central_url: expected"),
    ("terminal.central_url", "https://central:port/pkix/", "terminal.central_url: expected"),
    ("terminal.data_dir", "var/kiosk",
     "terminal.data_dir: expected an absolute path to the kiosk's data directory, got 'var/kiosk'"),
    ("devices.camera", -1,
     "devices.camera: expected a camera: a device index (0), a video file or a URL, got -1"),
    ("devices.camera", "", "devices.camera: expected a camera"),
    ("devices.resident_reader", 5, "devices.resident_reader: expected a reader name (or its prefix), got 5"),
    ("devices.staff_reader", "ACME\n01", "devices.staff_reader: expected a reader name"),
    ("ui.language", "fr", "ui.language: expected \"ja\" or \"en\", got 'fr'"),
    ("logging.retention_days", 0,
     "logging.retention_days: expected a whole number of days between 1 and 90, got 0"),
    ("logging.retention_days", 91, "got 91"),
    ("logging.level", "traffic", "logging.level: expected \"warning\", \"info\" or \"debug\", got 'traffic'"),
    ("logging.directory", "logs", "logging.directory: expected an absolute path to the log directory"),
    ("health.interval_seconds", 4, f"health.interval_seconds: {SECONDS} 5 and 300, got 4"),
    ("health.file", "health.json", "health.file: expected an absolute path for the health file"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("key", "value", "expected"), BAD_VALUES, ids=[f"{k}={v!r}" for k, v, _ in BAD_VALUES]
)
def test_each_bad_value_is_named_with_what_is_expected(key: str, value: object, expected: str) -> None:
    found = problems(with_(COUNTER, **{key.replace(".", "__"): value}))
    assert len(found) == 1, found
    assert found[0].startswith(expected) if ": " in expected else expected in found[0], found


RULES = [
    ("missing id", with_(COUNTER, terminal__id=...),
     "terminal.id: missing; expected the id the central registered this terminal under"),
    ("missing url", with_(COUNTER, terminal__central_url=...), "terminal.central_url: missing;"),
    ("a section that is no table", with_(COUNTER, timeouts=5),
     "timeouts: expected a table ([timeouts]), got 5"),
    ("a staff reader alone", with_(COUNTER, devices__resident_reader=...),
     "devices.resident_reader: missing; with a staff_reader, name the resident's reader too"),
    ("unattended without its offer", with_(UNATTENDED, unattended=...),
     "unattended: missing; an unattended terminal declares what it offers"),
    ("unattended without a camera", with_(UNATTENDED, devices__camera=...),
     "devices.camera: missing; an unattended terminal needs its camera for the face check"),
    ("a counter with an unattended offer", with_(COUNTER, unattended={"pins": ["sign"]}),
     'unattended: only for mode = "unattended"'),
    ("a counter procedure unattended", with_(UNATTENDED, unattended__procedures=["renewal"]),
     "unattended.procedures: expected a list of procedures an unattended terminal offers: "
     "only [\"pin_reset\"], got ['renewal']"),
    ("a PIN twice", with_(UNATTENDED, unattended__pins=["sign", "sign"]),
     'unattended.pins: expected a list of the PINs it resets, each once: "sign", "auth" or both'),
    ("a PIN not reset there", with_(UNATTENDED, unattended__pins=["juki"]), "unattended.pins: expected"),
    ("no PIN", with_(UNATTENDED, unattended__pins=[]), "unattended.pins: expected"),
    ("the health file in the data directory", with_(COUNTER, health__file="/var/lib/jpki-kiosk/health.json"),
     "health.file: expected a path outside the data directory"),
    ("the health file in the log directory",
     with_(COUNTER, logging__directory="/var/log/k", health__file="/var/log/k/health.json"),
     "health.file: expected a path outside the log directory"),
    ("a misspelt key", with_(COUNTER, timeouts__idle_second=60),
     "timeouts.idle_second: unknown key (did you mean 'idle_seconds'?)"),
    ("an unknown key", with_(COUNTER, ui__theme="dark"), "ui.theme: unknown key; expected one of: language"),
    ("a misspelt section", with_(COUNTER, timeout={"idle_seconds": 60}),
     "timeout: unknown section (did you mean 'timeouts'?)"),
    ("a nested table", with_(COUNTER, terminal__extra={"x": 1}), "terminal.extra: unknown key"),
]  # fmt: skip


@pytest.mark.parametrize(("document", "expected"), [r[1:] for r in RULES], ids=[r[0] for r in RULES])
def test_each_rule_between_keys_and_each_unknown_key(document: dict[str, object], expected: str) -> None:
    found = problems(document)
    assert [p for p in found if p.startswith(expected)], found


def test_every_problem_is_given_at_once() -> None:
    document = with_(
        COUNTER,
        terminal__central_url="http://central/",
        timeouts__idle_seconds="abc",
        ui__languag="ja",
        devices__resident_reader=...,
    )
    found = problems(document)
    assert [p.split(":")[0] for p in found] == [
        "terminal.central_url", "timeouts.idle_seconds", "ui.languag", "devices.resident_reader"
    ]  # fmt: skip


def test_a_long_wrong_value_is_cut_short_and_a_urls_password_not_repeated() -> None:
    (found,) = problems(with_(COUNTER, terminal__data_dir="x" * 500))
    assert len(found) < 150 and found.endswith("…")
    (url,) = problems(with_(COUNTER, terminal__central_url="https://admin:hunter2@central/pkix/"))
    assert "hunter2" not in url and "//…@" in url


# -- secrets are refused ---------------------------------------------------------------------------

SECRETS = [
    ("a private key", with_(COUNTER, terminal__private_key="x"), "terminal.private_key: looks like a secret"),
    ("a PIN", with_(COUNTER, devices__staff_pin="4826"), "devices.staff_pin: looks like a secret"),
    ("a password at the top", {**COUNTER, "password": "hunter2"}, "password: looks like a secret"),
    ("a secrets section", with_(COUNTER, secrets={"terminal": "x"}), "secrets: looks like a secret"),
    ("a token", with_(COUNTER, health__api_token="x"), "health.api_token: looks like a secret"),
    ("a PEM block in a known key", with_(COUNTER, devices__camera=PEM),
     "devices.camera: holds a PEM block (a key or certificate): keep the terminal key in "
     "<data_dir>/terminal/"),
    ("a PEM block in a list", with_(UNATTENDED, unattended__pins=[PEM]),
     "unattended.pins[0]: holds a PEM block"),
    ("a bootstrap secret", with_(COUNTER, logging__level=BOOTSTRAP),
     "logging.level: looks like a one-time bootstrap secret"),
    ("a bootstrap secret, unformatted", with_(COUNTER, ui__language=BOOTSTRAP.replace("-", "").lower()),
     "ui.language: looks like a one-time bootstrap secret"),
]  # fmt: skip


@pytest.mark.parametrize(("document", "expected"), [s[1:] for s in SECRETS], ids=[s[0] for s in SECRETS])
def test_secrets_are_refused_and_never_repeated(document: dict[str, object], expected: str) -> None:
    found = problems(document)
    assert [p for p in found if p.startswith(expected)], found
    text = "\n".join(found)
    for secret in (
        "4826",
        "hunter2",
        "MIIEvQ",
        "BEGIN PRIVATE",
        BOOTSTRAP[:9],
        BOOTSTRAP.replace("-", "")[:9].lower(),
    ):
        assert secret not in text
    # A secret-looking key is one problem, not also an "unknown key".
    assert not [p for p in found if "unknown" in p]


def test_the_unattended_pins_key_is_no_secret() -> None:
    """`pins` is a schema key (which PINs to reset), named like a secret but holding none."""
    parse_config(UNATTENDED, source=SOURCE)


# -- reading the file ------------------------------------------------------------------------------


def test_file_problems(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[terminal]\nid = \n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"is not valid TOML: .*line 2"):
        load_config(broken)
    latin = tmp_path / "latin.toml"
    latin.write_bytes('[ui]\nlanguage = "日本"\n'.encode("shift_jis"))
    with pytest.raises(ConfigError, match="is not UTF-8 text"):
        load_config(latin)


# -- the data directory's secret files -------------------------------------------------------------


@pytest.fixture
def installed(tmp_path: Path) -> KioskConfig:
    """A data directory laid out as `kiosk terminal bootstrap` and the first start leave it."""
    data = tmp_path / "data"
    (data / "terminal").mkdir(parents=True, mode=0o700)
    data.chmod(0o700)
    for path in (data / "terminal" / "terminal.key", data / "data-key.bin"):
        path.write_bytes(b"k")
        path.chmod(0o600)
    source = tmp_path / "kiosk.toml"
    source.write_text("", encoding="utf-8")
    source.chmod(0o644)
    return parse_config(with_(COUNTER, terminal__data_dir=str(data)), source=source)


def test_a_good_installation_has_no_problem(installed: KioskConfig) -> None:
    assert check_files(installed) == []
    (installed.data_dir / "data-key.bin").unlink()  # made on the first start: not there yet is fine
    (installed.data_dir / "terminal" / "terminal.key").chmod(0o400)  # read-only is closed too
    assert check_files(installed) == []


def test_open_modes_are_refused_with_the_chmod_to_run(installed: KioskConfig) -> None:
    data = installed.data_dir
    key, data_key = data / "terminal" / "terminal.key", data / "data-key.bin"
    key.chmod(0o640)
    data_key.chmod(0o604)
    data.chmod(0o755)
    (data / "terminal").chmod(0o710)
    installed.source.chmod(0o664)
    assert check_files(installed) == [
        f"{data}: open to group or others (mode 755): chmod 700 {data}",
        f"{data / 'terminal'}: open to group or others (mode 710): chmod 700 {data / 'terminal'}",
        f"{key}: open to group or others (mode 640): chmod 600 {key}",
        f"{data_key}: open to group or others (mode 604): chmod 600 {data_key}",
        f"{installed.source}: writable by group or others (mode 664): chmod go-w {installed.source}",
    ]


def test_files_of_another_user_are_refused_with_the_chown_to_run(installed: KioskConfig) -> None:
    other = os.geteuid() + 4242  # as if the kiosk ran as another user than the files' owner
    found = check_files(installed, uid=other)
    assert len(found) == 4
    assert all(
        f"belongs to root, not to uid {other} the kiosk runs as: chown {other} " in p for p in found
    ), found


def test_a_link_instead_of_a_key_is_refused(installed: KioskConfig, tmp_path: Path) -> None:
    data_key = installed.data_dir / "data-key.bin"
    data_key.unlink()
    (tmp_path / "elsewhere").write_bytes(b"k")
    data_key.symlink_to(tmp_path / "elsewhere")
    assert check_files(installed) == [f"{data_key}: expected a regular file (not a link): the kiosk opens it "
                                      "without following links"]  # fmt: skip


def test_a_terminal_not_bootstrapped_is_told_how(installed: KioskConfig) -> None:
    (installed.data_dir / "terminal" / "terminal.key").unlink()
    (found,) = check_files(installed)
    key = installed.data_dir / "terminal" / "terminal.key"
    assert found.startswith(
        f"{key}: missing; this terminal is not bootstrapped: run kiosk terminal bootstrap "
        "--central https://central.example.lg.jp"
    )
    assert found.endswith(f"--dir {installed.data_dir / 'terminal'} kiosk-0001")
    missing = parse_config(
        with_(COUNTER, terminal__data_dir=str(installed.data_dir / "nowhere")), source=SOURCE
    )
    (found,) = check_files(missing)
    assert "missing; this terminal is not set up: install -d -m 700" in found


# -- the commands --------------------------------------------------------------------------------


def _kiosk(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kiosk", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
    )


def test_kiosk_run_lists_every_problem_and_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "kiosk.toml"
    bad.write_text(
        '[terminal]\nid = "kiosk-0001"\nmode = "counter"\ncentral_url = "http://c/"\ndata_dir = "/d"\n'
        '[timeouts]\nidle_seconds = "abc"\nprivate_key = "x"\n',
        encoding="utf-8",
    )
    result = _kiosk("run", "--config", str(bad))
    assert result.returncode == 2
    assert f"The configuration {bad} cannot be used:" in result.stderr
    for expected in (
        "  - timeouts.idle_seconds: expected a whole number of seconds between 30 and 600, got 'abc'",
        "  - terminal.central_url: expected the central's CMP URL",
        "  - timeouts.private_key: looks like a secret",
    ):
        assert expected in result.stderr
    assert f"ERROR kiosk.cli: configuration {bad}: 3 problem(s)" in result.stderr  # the journal's line


def test_kiosk_run_refuses_open_key_files(installed: KioskConfig) -> None:
    source = installed.source
    source.write_text(
        "[terminal]\n" + "".join(f'{k} = "{v}"\n' for k, v in installed.effective()["terminal"].items()),
        encoding="utf-8",
    )
    key = installed.data_dir / "terminal" / "terminal.key"
    key.chmod(0o644)
    result = _kiosk("run", "--config", str(source))
    assert result.returncode == 2
    assert f"  - {key}: open to group or others (mode 644): chmod 600 {key}" in result.stderr


def test_config_check_prints_the_effective_configuration(
    installed: KioskConfig, capsys: pytest.CaptureFixture[str]
) -> None:
    source = installed.source
    source.write_text(format_effective(installed), encoding="utf-8")
    assert cli.main(["config", "check", str(source)]) == 0
    out = capsys.readouterr()
    assert tomllib.loads(out.out)["timeouts"]["idle_seconds"] == 60  # the defaults, filled in
    assert "# resident_reader" not in out.out and 'resident_reader = "ACME 00"' in out.out
    assert "# file = (not set)" in out.out  # no health file: said, as a comment
    assert "checked as user" in out.err
    (installed.data_dir / "data-key.bin").chmod(0o644)
    assert cli.main(["config", "check", str(source)]) == 2
    assert "chmod 600" in capsys.readouterr().err


def test_unattended_mode_runs_the_unattended_app(monkeypatch: pytest.MonkeyPatch) -> None:
    """`kiosk run` hands an unattended configuration to kiosk.ui.unattended_app.run_unattended."""
    config = parse_config(UNATTENDED, source=SOURCE)
    calls: list[tuple[KioskConfig, bool]] = []
    fake = types.ModuleType("kiosk.ui.unattended_app")
    fake.run_unattended = lambda c, *, fullscreen: calls.append((c, fullscreen)) or 0  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "kiosk.ui.unattended_app", fake)
    assert cli._run_unattended(config, fullscreen=True) == 0
    assert calls == [(config, True)]


def test_without_the_unattended_app_the_installation_says_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "kiosk.ui.unattended_app", None)  # as if the module were absent
    assert cli._run_unattended(parse_config(UNATTENDED, source=SOURCE), fullscreen=True) == 2
    assert "cannot run an unattended terminal" in capsys.readouterr().err
