"""Idempotent intake: (terminal, transactionID) answered once, duplicates get the stored answer,
a reused transactionID with other content is refused (SQLite and PostgreSQL)."""

from __future__ import annotations

import os

import pytest
from central_testkit import MUNICIPALITY, NOW, World
from sqlalchemy import func, select

from central import intake
from central.errors import NotFound, TransactionIdInUse, TransactionPending
from central.models import IntakeTransaction

REQUEST = b"\x30\x82\x07\x76" + os.urandom(64)  # stands in for a protected p10cr
RESPONSE = b"\x30\x82\x05\x1b" + os.urandom(64)


def test_new_then_exact_duplicate(world: World) -> None:
    tid = os.urandom(16)
    assert world.central.record_transaction(world.terminal_id, tid, REQUEST, now=NOW) is None
    world.central.store_response(world.terminal_id, tid, RESPONSE, now=NOW)
    assert world.central.record_transaction(world.terminal_id, tid, REQUEST, now=NOW) == RESPONSE
    assert world.central.record_transaction(world.terminal_id, tid, REQUEST, now=NOW) == RESPONSE


def test_same_tid_other_content(world: World) -> None:
    tid = os.urandom(16)
    world.central.record_transaction(world.terminal_id, tid, REQUEST, now=NOW)
    world.central.store_response(world.terminal_id, tid, RESPONSE, now=NOW)
    with pytest.raises(TransactionIdInUse):
        world.central.record_transaction(world.terminal_id, tid, REQUEST + b"\x00", now=NOW)


def test_duplicate_of_unanswered_request(world: World) -> None:
    tid = os.urandom(16)
    world.central.record_transaction(world.terminal_id, tid, REQUEST, now=NOW)
    with pytest.raises(TransactionPending):
        world.central.record_transaction(world.terminal_id, tid, REQUEST, now=NOW)


def test_transaction_ids_are_per_terminal(world: World) -> None:
    secret = world.central.register_terminal("kiosk-0002", MUNICIPALITY, now=NOW)
    assert secret
    tid = os.urandom(16)
    assert world.central.record_transaction(world.terminal_id, tid, REQUEST, now=NOW) is None
    assert world.central.record_transaction("kiosk-0002", tid, b"other", now=NOW) is None


def test_one_row_per_transaction_and_rollback(world: World) -> None:
    tid = os.urandom(16)
    # Processing fails inside the same transaction: nothing stays, the re-sent message is new again.
    with pytest.raises(RuntimeError), world.central.transaction() as s:
        assert intake.record_transaction(s, world.terminal_id, tid, REQUEST, NOW) is None
        raise RuntimeError("CA worker crashed")
    with world.central.transaction() as s:
        assert intake.record_transaction(s, world.terminal_id, tid, REQUEST, NOW) is None
        intake.store_response(s, world.terminal_id, tid, RESPONSE, NOW)
    with world.central.transaction() as s:
        assert s.scalar(select(func.count()).select_from(IntakeTransaction)) == 1
        row = intake.get_transaction(s, world.terminal_id, tid)
        assert (row.state.value, row.response_der) == ("answered", RESPONSE)
        with pytest.raises(NotFound):
            intake.get_transaction(s, world.terminal_id, os.urandom(16))


def test_transaction_id_length(world: World) -> None:
    with pytest.raises(ValueError, match="1–64"):
        world.central.record_transaction(world.terminal_id, b"", REQUEST, now=NOW)
