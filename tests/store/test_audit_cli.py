"""`kiosk audit verify` / `kiosk audit head`: exit 0 intact, 1 broken (naming the first broken record
by id, never its content), 2 when the file is missing or no kiosk store; the store is only read."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from storekit import FakeClock

from kiosk.cli import main
from kiosk.store.audit import append_audit

# In every record's details and subject; the command must never print them.
_SECRET_DETAIL = "窓口メモ-do-not-print"


def _append(sessions: sessionmaker[Session], clock: FakeClock, n: int) -> list[bytes]:
    hashes = []
    for i in range(n):
        clock.advance(2)
        with sessions() as session, session.begin():
            record = append_audit(
                session,
                actor="operator:0042",
                action="application.received",
                subject=f"application:{_SECRET_DETAIL}-{i}",
                details={"index": i, "note": _SECRET_DETAIL},
                now=clock(),
            )
            hashes.append(record.hash)
    return hashes


def _tamper(db_path: Path, statement: str) -> None:
    """What someone with the file can do: drop the append-only triggers, then edit."""
    raw = sqlite3.connect(db_path, isolation_level=None)
    try:
        raw.execute("DROP TRIGGER trg_audit_record_no_update")
        raw.execute("DROP TRIGGER trg_audit_record_no_delete")
        raw.execute(statement)
    finally:
        raw.close()


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["audit", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def chain(sessions: sessionmaker[Session], clock: FakeClock) -> list[bytes]:
    return _append(sessions, clock, 5)


def test_intact_chain_verifies(db_path: Path, chain: list[bytes], capsys: pytest.CaptureFixture[str]) -> None:
    # The fixture's engine is still open, so the records sit in the WAL, as with a running kiosk.
    code, out, _ = _run(capsys, "verify", "--db", str(db_path))
    assert code == 0
    assert "records checked: 5" in out
    assert f"head: {chain[-1].hex()}" in out
    assert out.rstrip().endswith("OK")


def test_head_prints_count_and_hash_that_verify_accepts_as_anchor(
    db_path: Path, chain: list[bytes], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(capsys, "head", "--db", str(db_path))
    assert code == 0
    assert out.splitlines() == ["records: 5", f"head: {chain[-1].hex()}"]
    code, out, _ = _run(capsys, "verify", "--db", str(db_path), "--anchor", chain[-1].hex())
    assert code == 0
    assert f"anchor {chain[-1].hex()}: found" in out


def test_empty_store_head_is_genesis(
    db_path: Path, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(capsys, "head", "--db", str(db_path))
    assert code == 0
    assert out.splitlines() == ["records: 0", f"head: {'00' * 32}"]


def test_edited_details_name_the_record_but_not_its_content(
    db_path: Path, chain: list[bytes], capsys: pytest.CaptureFixture[str]
) -> None:
    _tamper(db_path, """UPDATE audit_record SET details = '{"index":2,"note":"edited"}' WHERE id = 3""")
    code, out, err = _run(capsys, "verify", "--db", str(db_path))
    assert code == 1
    assert "BROKEN at record 3: content does not match its hash" in out
    assert f"last good hash: {chain[1].hex()}" in out  # the chain is good up to record 2
    assert "records checked: 3" in out
    assert "altered" in err
    for text in (out, err):
        assert _SECRET_DETAIL not in text
        assert "edited" not in text
        assert "operator:0042" not in text


def test_deleted_middle_record_breaks_the_next_link(
    db_path: Path, chain: list[bytes], capsys: pytest.CaptureFixture[str]
) -> None:
    _tamper(db_path, "DELETE FROM audit_record WHERE id = 3")
    code, out, _ = _run(capsys, "verify", "--db", str(db_path))
    assert code == 1
    assert "BROKEN at record 4: does not link to the record before it" in out


def test_deleted_last_record_is_caught_only_with_an_anchor(
    db_path: Path, chain: list[bytes], capsys: pytest.CaptureFixture[str]
) -> None:
    _tamper(db_path, "DELETE FROM audit_record WHERE id = 5")
    # Without an anchor the shorter chain is still a valid chain: every remaining link and hash
    # checks out, and nothing inside the store says there was a record 5. That is why the head
    # must be anchored outside the kiosk.
    code, out, _ = _run(capsys, "verify", "--db", str(db_path))
    assert code == 0
    assert "records checked: 4" in out
    assert f"head: {chain[3].hex()}" in out

    code, out, _ = _run(capsys, "verify", "--db", str(db_path), "--anchor", chain[-1].hex())
    assert code == 1
    assert f"BROKEN: anchor {chain[-1].hex()} not found" in out
    assert f"head: {chain[3].hex()}" in out


def test_anchor_from_before_a_later_append_still_verifies(
    db_path: Path,
    chain: list[bytes],
    sessions: sessionmaker[Session],
    clock: FakeClock,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _append(sessions, clock, 2)  # the kiosk went on recording after the anchor was taken
    code, _, _ = _run(capsys, "verify", "--db", str(db_path), "--anchor", chain[2].hex())
    assert code == 0


def test_missing_store_is_a_usage_error_and_is_not_created(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    missing = tmp_path / "nowhere" / "kiosk.db"
    for command in ("verify", "head"):
        code, out, err = _run(capsys, command, "--db", str(missing))
        assert code == 2
        assert f"There is no kiosk store at {missing}." in err
        assert out == ""
    assert not missing.parent.exists()
    assert f"{missing}: no such file" in caplog.text


@pytest.mark.parametrize("kind", ["text file", "empty sqlite", "other sqlite"])
def test_not_a_kiosk_store_is_a_usage_error(
    tmp_path: Path, kind: str, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "other.db"
    if kind == "text file":
        path.write_text("not a database\n" * 100)
    else:
        raw = sqlite3.connect(path)
        if kind == "other sqlite":
            raw.execute("CREATE TABLE audit_record (id INTEGER PRIMARY KEY)")  # a look-alike
        raw.commit()
        raw.close()
    before = path.read_bytes()
    code, _, err = _run(capsys, "verify", "--db", str(path))
    assert code == 2
    # SQLite refuses a text file outright; an SQLite file without our tables is told apart.
    expected = "could not be read" if kind == "text file" else "is not a kiosk store"
    assert f"{path} {expected}" in err
    assert str(path) in caplog.text  # the log names the file and the precise cause
    assert path.read_bytes() == before


def test_malformed_anchor_is_refused_by_the_parser(db_path: Path, chain: list[bytes]) -> None:
    for bad in ("zz", chain[-1].hex()[:-2]):
        with pytest.raises(SystemExit) as exit_info:
            main(["audit", "verify", "--db", str(db_path), "--anchor", bad])
        assert exit_info.value.code == 2


def _snapshot(path: Path) -> tuple[str, int, int]:
    st = path.stat()
    return hashlib.sha256(path.read_bytes()).hexdigest(), st.st_mtime_ns, st.st_size


def test_commands_do_not_modify_the_store(
    db_path: Path, engine: Engine, chain: list[bytes], capsys: pytest.CaptureFixture[str]
) -> None:
    engine.dispose()  # the kiosk is stopped: everything is checkpointed into the store file
    _tamper(db_path, "DELETE FROM audit_record WHERE id = 2")  # a broken chain too is only read
    before = _snapshot(db_path)
    time.sleep(0.05)  # so that a write would show in the mtime, not only in the bytes
    assert _run(capsys, "verify", "--db", str(db_path), "--anchor", chain[-1].hex())[0] == 1
    assert _run(capsys, "verify", "--db", str(db_path))[0] == 1
    assert _run(capsys, "head", "--db", str(db_path))[0] == 0
    assert _snapshot(db_path) == before
    wal = db_path.with_name(db_path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0  # nothing written through the WAL either
    assert oct(os.stat(db_path).st_mode & 0o777) == oct(0o600)
