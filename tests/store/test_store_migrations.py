"""Start-up migrations: the schema they build is the models' schema, plus the protective triggers."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from kiosk.store.audit import append_audit, verify_chain
from kiosk.store.db import make_engine
from kiosk.store.migrate import alembic_config, current_revision, head_revision, upgrade
from kiosk.store.models import Base, Fee, IssuanceJournal, Operator, OutboxMessage, SyncState, TerminalMode
from kiosk.sync.outbox import enqueue

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def test_fresh_database_is_at_head(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()
    names = set(inspect(engine).get_table_names())
    assert names >= {"application", "issuance_journal", "audit_record", "outbox", "inbox", "sync_state"}


def test_upgrade_is_idempotent(engine: Engine) -> None:
    upgrade(engine)
    upgrade(engine)
    assert current_revision(engine) == head_revision()


def test_migrations_match_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(ctx, Base.metadata) == []


def test_sync_state_row_exists(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        state = session.get(SyncState, 1)
        assert state is not None
        assert state.server_cursor == 0


def test_enum_check_constraints(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(IntegrityError), sessions() as session, session.begin():
        session.execute(
            text(
                "INSERT INTO application (id, kind, state, created_at, updated_at, sealed_payload) "
                "VALUES ('00', 'bogus', 'open', '2026-01-01', '2026-01-01', x'00')"
            )
        )


def test_outbox_content_is_immutable_and_pending_rows_stay(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, session.begin():
        message = enqueue(session, "k", b"payload", now=NOW)
        seq = message.seq
    with pytest.raises(IntegrityError, match="immutable"), sessions() as session, session.begin():
        session.execute(text("UPDATE outbox SET payload = x'00' WHERE seq = :s"), {"s": seq})
    with pytest.raises(IntegrityError, match="pending"), sessions() as session, session.begin():
        session.execute(text("DELETE FROM outbox WHERE seq = :s"), {"s": seq})
    with sessions() as session, session.begin():  # delivery bookkeeping is allowed
        row = session.get(OutboxMessage, seq)
        assert row is not None
        row.attempts = 3


def test_failed_upgrade_leaves_the_database_untouched(tmp_path: Path) -> None:
    # A database already at an unknown revision (e.g. written by a newer kiosk) is refused, unchanged.
    engine = make_engine(tmp_path / "k.db")
    try:
        upgrade(engine)
        with engine.begin() as conn:
            conn.exec_driver_sql("UPDATE alembic_version SET version_num = 'from-the-future'")
        before = set(inspect(engine).get_table_names())
        with pytest.raises(Exception, match="from-the-future"):
            upgrade(engine)
        assert set(inspect(engine).get_table_names()) == before
        with engine.connect() as conn:  # FK enforcement is back on for pooled connections
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()


# -- 0002: operators -----------------------------------------------------------------------------


def test_operators_revision_follows_the_initial_schema() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    revision = script.get_revision("0002")
    assert revision is not None and revision.down_revision == "0001"


def test_upgrade_from_0001_adds_operators_and_keeps_the_record(tmp_path: Path) -> None:
    engine = make_engine(tmp_path / "old.db")
    try:
        upgrade(engine, "0001")
        assert "operator" not in inspect(engine).get_table_names()
        sessions = sessionmaker(engine)
        with sessions() as session, session.begin():
            head = append_audit(session, actor="terminal", action="boot", subject="terminal", now=NOW).hash
        upgrade(engine)
        assert "operator" in inspect(engine).get_table_names()
        with sessions() as session:
            report = verify_chain(session, anchor=head)
            assert report.ok and report.records == 1
            assert session.scalars(select(Operator)).all() == []
    finally:
        engine.dispose()


def test_operator_constraints(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, session.begin():
        session.add(Operator(id="op-1", display_name="窓口1", cert_sha256=bytes(32), enrolled_at=NOW))
    row = "INSERT INTO operator (id, display_name, cert_sha256, enrolled_at, disabled) VALUES "
    with pytest.raises(IntegrityError, match="cert_sha256_length"), sessions() as session, session.begin():
        session.execute(text(row + "('op-2', 'x', x'00', '2026-01-01', 0)"))
    with pytest.raises(IntegrityError, match="UNIQUE"), sessions() as session, session.begin():
        session.add(Operator(id="op-2", display_name="窓口2", cert_sha256=bytes(32), enrolled_at=NOW))
    with pytest.raises(IntegrityError, match="NOT NULL"), sessions() as session, session.begin():
        session.execute(text(row + "('op-3', NULL, zeroblob(32), '2026-01-01', 0)"))
    with sessions() as session:
        operator = session.get(Operator, "op-1")
        assert operator is not None and operator.disabled is False and operator.disabled_at is None


# -- 0003: fees on the issuance journal, the service mode -------------------------------------------

APP_ID = "a0" * 16
ENTRY_ID = "e0" * 16
APPLICATION_ROW = (
    "INSERT INTO application (id, kind, state, created_at, updated_at, sealed_payload) "
    f"VALUES ('{APP_ID}', 'new_issuance', 'submitted', '2026-11-22 00:00:00', '2026-11-22 00:00:00', x'00')"
)


def _journal_row(entry_id: str = ENTRY_ID, fee: tuple[str, int] | None = None) -> str:
    """A journal row as SQL, without the fee columns (as before 0003) or with them."""
    columns = "id, application_id, card_id, cert_kind, step, attempts, created_at, updated_at"
    at = "'2026-11-22 00:00:00'"
    values = f"'{entry_id}', '{APP_ID}', '0a1b', 'auth', 'confirmed', 1, {at}, {at}"
    if fee is not None:
        columns, values = f"{columns}, fee, fee_yen", f"{values}, '{fee[0]}', {fee[1]}"
    return f"INSERT INTO issuance_journal ({columns}) VALUES ({values})"


def test_ledger_revision_follows_the_operators() -> None:
    revision = ScriptDirectory.from_config(alembic_config()).get_revision("0003")
    assert revision is not None and revision.down_revision == "0002"


def test_upgrade_from_0002_books_earlier_certificates_as_free(tmp_path: Path) -> None:
    engine = make_engine(tmp_path / "old.db")
    try:
        upgrade(engine, "0002")
        assert "terminal_mode" not in inspect(engine).get_table_names()
        with engine.begin() as conn:
            conn.exec_driver_sql(APPLICATION_ROW)
            conn.exec_driver_sql(_journal_row())
        upgrade(engine)
        with Session(engine) as session:
            entry = session.scalars(select(IssuanceJournal)).one()
            assert (entry.fee, entry.fee_yen, entry.step.value) == (Fee.FREE, 0, "confirmed")
            mode = session.get(TerminalMode, 1)
            assert mode is not None
            assert mode.state.value == "in_service"
            assert (mode.reason, mode.operator_id, mode.since) == (None, None, None)
        # The columns were added in place: 0001's constraints on the table still hold.
        with pytest.raises(IntegrityError, match="issuance_step"), engine.begin() as conn:
            conn.exec_driver_sql("UPDATE issuance_journal SET step = 'bogus'")
    finally:
        engine.dispose()


FEES = [
    (("paid", 300), True),
    (("free", 0), True),
    (("paid", 0), False),  # paid, but no amount
    (("free", 300), False),  # an amount for a free certificate
    (("paid", -300), False),
    (("waived", 0), False),  # not a fee kind
]


@pytest.mark.parametrize(("fee", "accepted"), FEES)
def test_fee_constraints(engine: Engine, fee: tuple[str, int], accepted: bool) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql(APPLICATION_ROW)
    if accepted:
        with engine.begin() as conn:
            conn.exec_driver_sql(_journal_row(fee=fee))
        return
    with pytest.raises(IntegrityError, match="ck_issuance_journal_fee"), engine.begin() as conn:
        conn.exec_driver_sql(_journal_row(fee=fee))


SET = "UPDATE terminal_mode SET "
OUT = "state = 'out_of_service'"
MODE_CHANGES = [
    (f"{SET}{OUT}, reason = 'maintenance', operator_id = 'op-1'", None),
    (f"{SET}{OUT}", "reason_when_out_of_service"),  # no reason
    (f"{SET}{OUT}, reason = 'maintenance'", "reason_when_out_of_service"),  # no operator
    (f"{SET}reason = 'maintenance', operator_id = 'op-1'", "reason_when_out_of_service"),  # in service
    (f"{SET}{OUT}, reason = 'coffee', operator_id = 'op-1'", "out_of_service_reason"),
    (f"{SET}state = 'closed'", "service_state"),
    ("INSERT INTO terminal_mode (id, state) VALUES (2, 'in_service')", "single_row"),
]


@pytest.mark.parametrize(("statement", "violated"), MODE_CHANGES)
def test_terminal_mode_constraints(engine: Engine, statement: str, violated: str | None) -> None:
    if violated is None:
        with engine.begin() as conn:
            conn.exec_driver_sql(statement)
        return
    with pytest.raises(IntegrityError, match=violated), engine.begin() as conn:
        conn.exec_driver_sql(statement)


def test_downgrade_to_0002_keeps_the_journal(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql(APPLICATION_ROW)
        conn.exec_driver_sql(_journal_row(fee=("paid", 300)))
    with engine.connect() as conn, conn.begin():
        command.downgrade(alembic_config(conn), "0002")
    columns = {c["name"] for c in inspect(engine).get_columns("issuance_journal")}
    assert not columns & {"fee", "fee_yen"}
    assert "terminal_mode" not in inspect(engine).get_table_names()
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM issuance_journal").scalar() == 1
    upgrade(engine)  # and up again: the fee was not kept by the older schema, so it is free now
    with Session(engine) as session:
        assert session.scalars(select(IssuanceJournal.fee)).one() is Fee.FREE


# -- 0004: handover --------------------------------------------------------------------------------


def test_upgrade_from_0003_keeps_the_journal_and_allows_the_handover(tmp_path: Path) -> None:
    engine = make_engine(tmp_path / "old.db")
    try:
        upgrade(engine, "0003")
        with engine.begin() as conn:
            conn.exec_driver_sql(APPLICATION_ROW)
            conn.exec_driver_sql(_journal_row(fee=("paid", 300)))
        upgrade(engine)
        with Session(engine) as session:
            entry = session.scalars(select(IssuanceJournal)).one()
            assert (entry.fee, entry.fee_yen, entry.step.value, entry.taken_over) == (
                Fee.PAID,
                300,
                "confirmed",
                None,
            )
        with engine.begin() as conn:
            conn.exec_driver_sql("UPDATE issuance_journal SET step = 'handed_over'")
        # The rebuilt table keeps every constraint of 0001 and 0003.
        with pytest.raises(IntegrityError, match="issuance_step"), engine.begin() as conn:
            conn.exec_driver_sql("UPDATE issuance_journal SET step = 'bogus'")
        with pytest.raises(IntegrityError, match="fee"), engine.begin() as conn:
            conn.exec_driver_sql("UPDATE issuance_journal SET fee_yen = 0")
    finally:
        engine.dispose()
