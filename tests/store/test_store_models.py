"""Model conventions: aware UTC times, time-ordered ids, loud lazy loads, reprs without data."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.exc import InvalidRequestError, StatementError
from sqlalchemy.orm import Session, sessionmaker

from kiosk.store.db import make_sessionmaker
from kiosk.store.ids import uuid7
from kiosk.store.models import (
    Application,
    ApplicationState,
    CertificateKind,
    InboxMessage,
    IssuanceJournal,
    IssuanceStep,
    OutboxMessage,
    ProcedureKind,
)

JST = timezone(timedelta(hours=9))


def test_times_are_stored_as_utc_and_come_back_aware(sessions: sessionmaker[Session]) -> None:
    jst = datetime(2026, 11, 22, 18, 30, 15, 123456, tzinfo=JST)
    with sessions() as session, session.begin():
        app = Application(kind=ProcedureKind.PIN_RESET, sealed_payload=b"x", created_at=jst, updated_at=jst)
        session.add(app)
    with sessions() as session:
        loaded = session.get(Application, app.id)
        assert loaded is not None
        assert loaded.created_at == jst
        assert loaded.created_at.tzinfo is UTC
        assert loaded.state is ApplicationState.OPEN


def test_naive_times_are_refused(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(StatementError, match="naive"), sessions() as session, session.begin():
        session.add(
            Application(kind=ProcedureKind.PIN_RESET, sealed_payload=b"x", created_at=datetime(2026, 1, 1))
        )


def test_enums_are_stored_as_their_values(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, session.begin():
        session.add(Application(kind=ProcedureKind.FACE_AUTH_SWITCH, sealed_payload=b"x"))
    with sessions() as session:
        assert session.execute(select(Application.kind)).scalar_one() is ProcedureKind.FACE_AUTH_SWITCH
        raw = session.connection().exec_driver_sql("SELECT kind, state FROM application").one()
        assert tuple(raw) == ("face_auth_switch", "open")


def test_uuid7_is_version_7_and_time_ordered() -> None:
    t0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
    ids = [uuid7(t0 + timedelta(milliseconds=i)) for i in range(50)]
    assert all(u.version == 7 and u.variant == uuid.RFC_4122 for u in ids)
    assert ids == sorted(ids)
    assert int.from_bytes(ids[0].bytes[:6], "big") == int(t0.timestamp() * 1000)
    fixed = uuid7(t0, randbytes=lambda n: b"\xff" * n)
    assert str(fixed).startswith(f"{int(t0.timestamp() * 1000):012x}"[:8])
    assert len({uuid7(t0) for _ in range(1000)}) == 1000  # 74 random bits within one millisecond


def test_relationships_never_lazy_load(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, session.begin():
        app = Application(kind=ProcedureKind.NEW_ISSUANCE, sealed_payload=b"x")
        session.add(app)
        session.flush()
        session.add(
            IssuanceJournal(
                application_id=app.id,
                card_id="0a",
                cert_kind=CertificateKind.AUTH,
                step=IssuanceStep.REQUESTED,
            )
        )
    with sessions() as session:
        entry = session.scalars(select(IssuanceJournal)).one()
        with pytest.raises(InvalidRequestError, match="lazy"):
            _ = entry.application


def test_reprs_show_no_payload() -> None:
    out = OutboxMessage(seq=1, msg_id=uuid.uuid4(), kind="cmp.p10cr", payload=b"SECRET-BYTES", attempts=0)
    inbox = InboxMessage(msg_id=uuid.uuid4(), server_seq=1, kind="cmp.cp", payload=b"SECRET-BYTES")
    for shown in (repr(out), repr(inbox)):
        assert "SECRET" not in shown
    assert "12 bytes" in repr(out)


def test_a_second_writer_waits_for_the_first(engine: Engine) -> None:
    # BEGIN IMMEDIATE queues writers on the busy timeout instead of failing mid-transaction.
    sessions = make_sessionmaker(engine)
    holding = threading.Event()
    order: list[str] = []

    def first() -> None:
        with sessions() as session, session.begin():
            session.add(Application(kind=ProcedureKind.RENEWAL, sealed_payload=b"1"))
            session.flush()
            holding.set()
            time.sleep(0.3)
            order.append("first commits")

    worker = threading.Thread(target=first)
    worker.start()
    assert holding.wait(5)
    with sessions() as session, session.begin():
        session.connection()  # the session's BEGIN IMMEDIATE: blocks until the first commits
        order.append("second begins")
        session.add(Application(kind=ProcedureKind.RENEWAL, sealed_payload=b"2"))
    worker.join()
    assert order == ["first commits", "second begins"]
