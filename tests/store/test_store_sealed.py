"""At-rest sealing: round trip; tampered, swapped, re-kinded rows and a wrong key all fail to open."""

from __future__ import annotations

import os
import pickle
import stat
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from kiosk.store.models import Application, IssuanceJournal, ProcedureKind
from kiosk.store.sealed import (
    KEY_FILE_NAME,
    DataKey,
    KeyFileError,
    SealedDataError,
    Sealer,
    load_or_create_data_key,
)

PERSONAL = "佐藤　花子|東京都千代田区1-1|19800101".encode()


def _store(sessions: sessionmaker[Session], sealer: Sealer, plaintext: bytes = PERSONAL) -> uuid.UUID:
    with sessions() as session, session.begin():
        app = Application(kind=ProcedureKind.NEW_ISSUANCE)
        app.seal_payload(sealer, plaintext)
        session.add(app)
    return app.id


def _load(sessions: sessionmaker[Session], app_id: uuid.UUID) -> Application:
    with sessions() as session:
        app = session.get(Application, app_id)
        assert app is not None
        return app


def test_key_file_created_private_and_reused(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    first = load_or_create_data_key(data_dir)
    path = data_dir / KEY_FILE_NAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    assert load_or_create_data_key(data_dir).key_id == first.key_id
    assert [p.name for p in data_dir.iterdir()] == [KEY_FILE_NAME]  # no temporary files left


def test_second_creator_uses_the_first_key(tmp_path: Path) -> None:
    # Both processes saw "no key file"; the one that links second must end up with the winner's key.
    from kiosk.store import sealed

    data_dir = tmp_path / "data"
    data_dir.mkdir()
    sealed._create_key_file(data_dir / KEY_FILE_NAME, b"\x01" * 32)
    sealed._create_key_file(data_dir / KEY_FILE_NAME, b"\x02" * 32)
    assert load_or_create_data_key(data_dir).key_id == DataKey(b"\x01" * 32).key_id


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660])
def test_key_file_readable_by_others_is_refused(tmp_path: Path, mode: int) -> None:
    load_or_create_data_key(tmp_path)
    os.chmod(tmp_path / KEY_FILE_NAME, mode)
    with pytest.raises(KeyFileError, match="group or others"):
        load_or_create_data_key(tmp_path)


def test_short_key_file_and_symlink_are_refused(tmp_path: Path) -> None:
    key = tmp_path / KEY_FILE_NAME
    key.write_bytes(b"short")
    key.chmod(0o600)
    with pytest.raises(KeyFileError, match="32-byte"):
        load_or_create_data_key(tmp_path)
    key.unlink()
    target = tmp_path / "elsewhere"
    target.write_bytes(b"k" * 32)
    target.chmod(0o600)
    key.symlink_to(target)
    with pytest.raises(KeyFileError):
        load_or_create_data_key(tmp_path)


def test_round_trip_and_plaintext_never_in_the_file(
    sessions: sessionmaker[Session], sealer: Sealer, db_path: Path
) -> None:
    app_id = _store(sessions, sealer)
    assert _load(sessions, app_id).open_payload(sealer) == PERSONAL
    sessions.kw["bind"].dispose()  # checkpoint-free: look at the main file and the WAL alike
    raw = db_path.read_bytes() + (
        db_path.with_name(db_path.name + "-wal").read_bytes()
        if db_path.with_name(db_path.name + "-wal").exists()
        else b""
    )
    assert "佐藤".encode() not in raw
    assert b"19800101" not in raw


def test_each_seal_uses_a_fresh_nonce(sealer: Sealer) -> None:
    row = uuid.uuid4()
    a = sealer.seal(PERSONAL, table="application", row_id=row, kind="renewal")
    b = sealer.seal(PERSONAL, table="application", row_id=row, kind="renewal")
    assert a != b


@pytest.mark.parametrize("offset", [0, 1, 12, 25, -1])
def test_tampered_value_does_not_open(sessions: sessionmaker[Session], sealer: Sealer, offset: int) -> None:
    app_id = _store(sessions, sealer)
    with sessions() as session, session.begin():
        app = session.get(Application, app_id)
        assert app is not None
        blob = bytearray(app.sealed_payload)
        blob[offset] ^= 0x01
        app.sealed_payload = bytes(blob)
    with pytest.raises(SealedDataError):
        _load(sessions, app_id).open_payload(sealer)


def test_truncated_value_does_not_open(sessions: sessionmaker[Session], sealer: Sealer) -> None:
    app_id = _store(sessions, sealer)
    app = _load(sessions, app_id)
    for cut in (0, 10, len(app.sealed_payload) - 1):
        app.sealed_payload = app.sealed_payload[:cut]
        with pytest.raises(SealedDataError):
            app.open_payload(sealer)


def test_wrong_key_does_not_open(sessions: sessionmaker[Session], sealer: Sealer, tmp_path: Path) -> None:
    app_id = _store(sessions, sealer)
    other = Sealer(load_or_create_data_key(tmp_path / "other-kiosk"))
    with pytest.raises(SealedDataError, match="another data key"):
        _load(sessions, app_id).open_payload(other)
    # Even with the key id forged to match, the value does not open under the other key.
    app = _load(sessions, app_id)
    forged = bytearray(app.sealed_payload)
    forged[1:9] = other._key_id
    app.sealed_payload = bytes(forged)
    with pytest.raises(SealedDataError):
        app.open_payload(other)


def test_swapped_rows_do_not_open(sessions: sessionmaker[Session], sealer: Sealer) -> None:
    a = _store(sessions, sealer, b"resident A")
    b = _store(sessions, sealer, b"resident B")
    with sessions() as session, session.begin():  # someone with the file swaps the two payloads
        rows = {i: p for i, p in session.execute(text("SELECT id, sealed_payload FROM application"))}
        for mine, theirs in ((a, b), (b, a)):
            session.execute(
                text("UPDATE application SET sealed_payload = :p WHERE id = :i"),
                {"p": rows[theirs.hex], "i": mine.hex},
            )
    for app_id in (a, b):
        with pytest.raises(SealedDataError, match="not for this row"):
            _load(sessions, app_id).open_payload(sealer)


def test_changed_kind_does_not_open(sessions: sessionmaker[Session], sealer: Sealer) -> None:
    app_id = _store(sessions, sealer)
    with sessions() as session, session.begin():
        session.execute(text("UPDATE application SET kind = 'pin_reset' WHERE id = :a"), {"a": app_id.hex})
    with pytest.raises(SealedDataError):
        _load(sessions, app_id).open_payload(sealer)


def test_value_moved_to_another_table_does_not_open(sealer: Sealer) -> None:
    row = uuid.uuid4()
    blob = sealer.seal(b"x", table="application", row_id=row, kind="sign")
    with pytest.raises(SealedDataError):
        sealer.open(blob, table="issuance_journal", row_id=row, kind="sign")


def test_journal_certificate_is_sealed(sealer: Sealer) -> None:
    entry = IssuanceJournal(cert_kind="sign")
    entry.seal_certificate(sealer, b"0\x82certificate-der")
    assert b"certificate-der" not in (entry.sealed_certificate or b"")
    assert entry.open_certificate(sealer) == b"0\x82certificate-der"


def test_nothing_shows_secrets(sessions: sessionmaker[Session], sealer: Sealer, tmp_path: Path) -> None:
    app_id = _store(sessions, sealer)
    app = _load(sessions, app_id)
    key = load_or_create_data_key(tmp_path / "data")
    raw_key = (tmp_path / "data" / KEY_FILE_NAME).read_bytes()
    for shown in (repr(app), str(app), repr(sealer), repr(key), f"{key}"):
        assert "佐藤" not in shown
        assert raw_key.hex() not in shown
    assert "sealed_payload" not in repr(app)
    with pytest.raises(TypeError):
        pickle.dumps(key)
    with pytest.raises(TypeError):
        pickle.dumps(sealer)
