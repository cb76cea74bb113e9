"""The Alembic migration builds exactly the models' schema, on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy import TextClause, inspect, text
from sqlalchemy.exc import IntegrityError

from central import migrate
from central.cli import main
from central.db import Base, make_engine

BACKENDS = ["sqlite", "postgresql"]
TABLES = {
    "municipality",
    "terminal",
    "card",
    "certificate",
    "application",
    "intake_transaction",
    "admin_authorization",
    "ledger_event",
    "crl_state",
    "pending_issuance",
    "terminal_notice",
    "reset_ticket",
    "alembic_version",
}


@pytest.mark.parametrize("backend", BACKENDS)
def test_upgrade_matches_models(fresh_url: Callable[[str], str], backend: str) -> None:
    url = fresh_url(backend)
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        assert set(inspect(engine).get_table_names()) == TABLES
        with engine.connect() as conn:
            diff = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
            )
        assert diff == []
        assert migrate.current_revision(engine) == migrate.head_revision()
        assert migrate.is_current(url)
        uniques = {
            tuple(u["column_names"]) for u in inspect(engine).get_unique_constraints("intake_transaction")
        }
        assert ("terminal_id", "transaction_id") in uniques
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
def test_downgrade_and_upgrade_again(fresh_url: Callable[[str], str], backend: str) -> None:
    url = fresh_url(backend)
    migrate.upgrade(url)
    command.downgrade(migrate.alembic_config(url), "base")
    engine = make_engine(url)
    try:
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
    migrate.upgrade(url)
    assert migrate.is_current(url)


@pytest.mark.parametrize("backend", BACKENDS)
def test_cli_db_upgrade(fresh_url: Callable[[str], str], backend: str) -> None:
    url = fresh_url(backend)
    result = CliRunner().invoke(main, ["db", "upgrade", "--url", url])
    assert result.exit_code == 0, result.output
    assert f"revision {migrate.head_revision()}" in result.output
    assert migrate.is_current(url)


@pytest.mark.parametrize("backend", BACKENDS)
def test_0002_keeps_terminals_and_their_references(fresh_url: Callable[[str], str], backend: str) -> None:
    """0002 rebuilds `terminal` on SQLite (batch mode): rows and the rows pointing at them survive."""
    url = fresh_url(backend)
    config = migrate.alembic_config(url)
    command.upgrade(config, "0001")
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO municipality VALUES ('13101', '千代田区', CURRENT_TIMESTAMP)"))
            conn.execute(
                text(
                    "INSERT INTO terminal (id, municipality_code, status, certificate_serial,"
                    " bootstrap_secret_hash, bootstrap_used, created_at)"
                    " VALUES ('kiosk-1', '13101', 'active', NULL, :h, false, CURRENT_TIMESTAMP)"
                ),
                {"h": "ab" * 32},
            )
            conn.execute(
                text(
                    "INSERT INTO intake_transaction (terminal_id, transaction_id, request_sha256, state,"
                    " received_at) VALUES ('kiosk-1', :t, :h, 'received', CURRENT_TIMESTAMP)"
                ),
                {"t": b"tid", "h": b"h"},
            )
        command.upgrade(config, "head")
        columns = {c["name"] for c in inspect(engine).get_columns("terminal")}
        assert "bootstrap_secret_sealed" in columns and "bootstrap_secret_hash" not in columns
        with engine.connect() as conn:
            assert conn.execute(text("SELECT id, bootstrap_secret_sealed FROM terminal")).all() == [
                ("kiosk-1", None)  # the hash cannot become a secret: `central terminal new-secret`
            ]
            assert conn.execute(text("SELECT terminal_id FROM intake_transaction")).scalar_one() == "kiosk-1"
    finally:
        engine.dispose()


def test_sqlite_settings(fresh_url: Callable[[str], str]) -> None:
    """Embedded default: WAL, synchronous=FULL, foreign keys enforced, BEGIN IMMEDIATE writers."""
    url = fresh_url("sqlite")
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            # A plain read began with BEGIN IMMEDIATE: the write lock is already held, so another
            # writer cannot even start (no deadlock on a later lock upgrade).
            other = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=0.1, isolation_level=None)
            try:
                with pytest.raises(sqlite3.OperationalError, match="locked"):
                    other.execute("BEGIN IMMEDIATE")
            finally:
                other.close()
    finally:
        engine.dispose()


def test_naming_convention_names_constraints(fresh_url: Callable[[str], str]) -> None:
    url = fresh_url("sqlite")
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        fks = inspect(engine).get_foreign_keys("certificate")
        assert {fk["name"] for fk in fks} == {
            "fk_certificate_card_id_card",
            "fk_certificate_terminal_id_terminal",
            "fk_certificate_application_id_application",
        }
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
def test_0005_keeps_applications_and_widens_the_procedures(
    fresh_url: Callable[[str], str], backend: str
) -> None:
    """0005 rebuilds `application` on SQLite: its rows and the certificates pointing at them survive;
    afterwards the CHECKs take 一時停止解除 and the two disclosure kinds, and nothing else."""
    url = fresh_url(backend)
    config = migrate.alembic_config(url)
    command.upgrade(config, "0004")
    values = {"now": "2026-04-01 01:00:00", "card": "ab" * 16, "der": b"der", "sha": "cd" * 32}
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO municipality VALUES ('13101', '千代田区', :now)"), values)
            conn.execute(
                text(
                    "INSERT INTO terminal (id, municipality_code, status, bootstrap_used, created_at)"
                    " VALUES ('kiosk-1', '13101', 'active', false, :now)"
                ),
                values,
            )
            conn.execute(
                text(
                    "INSERT INTO card VALUES"
                    " (:card, '13101', 'h', 'operating', '2034-01-02', false, :now, :now)"
                ),
                values,
            )
            conn.execute(_application("app-1", "new_issuance"), values)
            conn.execute(
                text(
                    "INSERT INTO certificate (serial, kind, issuer, card_id, terminal_id, application_id,"
                    " der, spki_sha256, not_before, not_after, issued_at, status, ex_officio) VALUES ('1f',"
                    " 'auth', 'auth', :card, 'kiosk-1', 'app-1', :der, :sha, :now, :now, :now, 'good', false)"
                ),
                values,
            )
            with pytest.raises(IntegrityError), conn.begin_nested():  # not a procedure before 0005
                conn.execute(_application("app-2", "suspension_release"), values)
        command.upgrade(config, "head")
        with engine.begin() as conn:
            assert conn.execute(
                text("SELECT id, kind, disclosure_kind, revoked_certificates FROM application")
            ).all() == [("app-1", "new_issuance", None, "")]
            assert conn.execute(text("SELECT application_id FROM certificate")).scalar_one() == "app-1"
            conn.execute(_application("app-2", "suspension_release"), values)
            conn.execute(
                text(
                    "UPDATE application SET kind = 'disclosure', disclosure_kind = 'correction'"
                    " WHERE id = 'app-1'"
                )
            )
            for bad in ("SET disclosure_kind = 'erasure'", "SET kind = 'x'"):
                with pytest.raises(IntegrityError), conn.begin_nested():
                    conn.execute(text(f"UPDATE application {bad}"))
    finally:
        engine.dispose()


def _application(app_id: str, kind: str) -> TextClause:
    return text(
        "INSERT INTO application (id, terminal_id, municipality_code, card_id, kind, status, envelope,"
        " envelope_sha256, signer_serial, fee, fee_yen, operations, signed_at, expires_at, received_at)"
        f" VALUES ('{app_id}', 'kiosk-1', '13101', :card, '{kind}', 'approved', 'jwe', :sha, '1f', 'free', 0,"
        " '', :now, :now, :now)"
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_0007_makes_every_terminal_a_counter_terminal(fresh_url: Callable[[str], str], backend: str) -> None:
    """0007 rebuilds `terminal` on SQLite: its rows survive as counter terminals resetting nothing
    unattended; the CHECKs then keep mode and reset PINs consistent; a downgrade is refused while
    an active unattended terminal exists (0006 would let it do everything)."""
    url = fresh_url(backend)
    config = migrate.alembic_config(url)
    command.upgrade(config, "0006")
    values = {"now": "2026-04-01 01:00:00"}
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO municipality VALUES ('13101', '千代田区', :now)"), values)
            conn.execute(
                text(
                    "INSERT INTO terminal (id, municipality_code, status, bootstrap_used, created_at)"
                    " VALUES ('kiosk-1', '13101', 'active', false, :now)"
                ),
                values,
            )
        command.upgrade(config, "head")
        with engine.begin() as conn:
            assert conn.execute(text("SELECT id, mode, reset_pins FROM terminal")).all() == [
                ("kiosk-1", "counter", "")
            ]
            for bad in (
                "mode = 'robot'",
                "reset_pins = 'sign'",  # a counter terminal resets nothing unattended
                "mode = 'unattended'",  # … an unattended one at least one PIN
                "mode = 'unattended', reset_pins = 'auth sign'",  # canonical order only
            ):
                with pytest.raises(IntegrityError), conn.begin_nested():
                    conn.execute(text(f"UPDATE terminal SET {bad}"))
            conn.execute(text("UPDATE terminal SET mode = 'unattended', reset_pins = 'sign auth'"))
            assert conn.execute(text("SELECT count(*) FROM reset_ticket")).scalar_one() == 0
        with pytest.raises(RuntimeError, match="revoke them"):
            command.downgrade(config, "0006")
        with engine.begin() as conn:
            conn.execute(text("UPDATE terminal SET status = 'revoked'"))
        command.downgrade(config, "0006")
        assert "reset_ticket" not in inspect(engine).get_table_names()
        assert {c["name"] for c in inspect(engine).get_columns("terminal")} >= {"id", "notice_seq"}
        assert "mode" not in {c["name"] for c in inspect(engine).get_columns("terminal")}
    finally:
        engine.dispose()
