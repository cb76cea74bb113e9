"""Operator authentication through the real stack: the staff card in the staff reader ("Virtual PCD
00 01", harness slot 1) while a resident's card sits in the resident's reader; `kiosk operator`
enrol / list / disable as the administrator runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cardemu.harness import READER, STAFF_READER, PcscHarness
from cardemu.staff import StaffCa, StaffCardSpec, write_staff_card
from cardemu.state import CardState
from kiosk.domain.secret import Secret
from kiosk.flows.operator import (
    NotAStaffCard,
    OperatorDisabled,
    StaffTrust,
    WrongOperatorPin,
    authenticate,
)
from kiosk.reader.jpki import CertSlot, JpkiSession
from kiosk.reader.pcsc import open_card
from kiosk.reader.transport import Transport
from kiosk.store.audit import verify_chain
from kiosk.store.db import make_engine, make_sessionmaker
from kiosk.store.models import AuditRecord

pytestmark = pytest.mark.pcsc
ROOT = Path(__file__).resolve().parents[2]


def kiosk(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "kiosk", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


@pytest.fixture
def counter(pcsc_harness: PcscHarness, card_file: Callable[[str], Path], tmp_path: Path) -> Iterator[Path]:
    """A staff card in the staff reader and the adult's card in the resident's reader; both pulled
    after the test, whatever happened (a card left in slot 1 would confuse later tests)."""
    ca = StaffCa.create(tmp_path / "staff-ca")
    staff_card = tmp_path / "op-001.json"
    write_staff_card(staff_card, StaffCardSpec("op-001", pin="4826"), ca)
    try:
        pcsc_harness.insert(card_file("adult"))
        pcsc_harness.insert(staff_card, slot=1)
        yield staff_card
    finally:
        for slot in (1, 0):
            pcsc_harness.remove(slot=slot)


def _sessions(db: Path) -> sessionmaker[Session]:
    return make_sessionmaker(make_engine(db))


def test_enrol_then_log_in_at_the_staff_reader(counter: Path, tmp_path: Path) -> None:
    db, ca_pem = tmp_path / "kiosk.db", tmp_path / "staff-ca" / "staff-ca.pem"
    enrolled = kiosk(
        "operator", "enroll", "--db", str(db), "--staff-ca", str(ca_pem), "--card-reader", STAFF_READER,
        "--name", "窓口1",
    )  # fmt: skip
    assert enrolled.returncode == 0, enrolled.stderr
    assert "operator op-001 enrolled" in enrolled.stdout and "SHA-256" in enrolled.stdout
    again = kiosk(
        "operator", "enroll", "--db", str(db), "--staff-ca", str(ca_pem), "--card-reader", STAFF_READER
    )
    assert again.returncode == 4 and "already enrolled" in again.stderr
    # The resident's card is no staff card: refused before anything of it is printed.
    resident = kiosk(
        "operator", "enroll", "--db", str(db), "--staff-ca", str(ca_pem), "--card-reader", READER
    )
    assert resident.returncode == 3 and "not a staff card" in resident.stderr
    assert "staff card:" not in resident.stdout

    listed = kiosk("operator", "list", "--db", str(db))
    assert listed.returncode == 0 and "op-001" in listed.stdout and "active" in listed.stdout

    trust = StaffTrust.from_pem_file(ca_pem)
    sessions = _sessions(db)
    now = datetime.now(UTC)
    with open_card(STAFF_READER) as connection:
        with pytest.raises(WrongOperatorPin) as wrong:
            authenticate(
                Transport(connection), Secret.from_ascii("1234"), trust=trust, sessions=sessions, now=now
            )
        assert wrong.value.tries_left == 2
        session = authenticate(
            Transport(connection), Secret.from_ascii("4826"), trust=trust, sessions=sessions, now=now
        )
    assert session.operator_id == "op-001"
    assert CardState.load(counter).jpki.auth_pin.tries_left == 3  # reset by the right PIN, on the card

    # The resident's card in its own reader was never touched: all its PIN tries are there.
    with open_card(READER) as connection:
        jpki = JpkiSession(Transport(connection))
        assert jpki.read_certificate(CertSlot.AUTH) is not None
    with open_card(READER) as connection, pytest.raises(NotAStaffCard):
        authenticate(
            Transport(connection), Secret.from_ascii("1234"), trust=trust, sessions=sessions, now=now
        )

    disabled = kiosk("operator", "disable", "op-001", "--db", str(db))
    assert disabled.returncode == 0 and "disabled" in disabled.stdout
    assert kiosk("operator", "disable", "op-404", "--db", str(db)).returncode == 4
    with open_card(STAFF_READER) as connection, pytest.raises(OperatorDisabled):
        authenticate(
            Transport(connection), Secret.from_ascii("4826"), trust=trust, sessions=sessions, now=now
        )
    assert "disabled" in kiosk("operator", "list", "--db", str(db)).stdout

    with sessions() as s:
        assert verify_chain(s).ok
        trail = [
            (r.actor.split(":")[0], r.action) for r in s.scalars(select(AuditRecord).order_by(AuditRecord.id))
        ]
        details = [json.loads(r.details) for r in s.scalars(select(AuditRecord).order_by(AuditRecord.id))]
    assert trail == [
        ("cli", "operator.enrolled"),
        ("unknown", "operator.login_failed"),
        ("op-001", "operator.login"),
        ("unknown", "operator.login_failed"),
        ("cli", "operator.disabled"),
        ("unknown", "operator.login_failed"),
    ]
    assert [d.get("reason") for d in details] == [
        None,
        "wrong_pin",
        None,
        "not_a_staff_card",
        None,
        "operator_disabled",
    ]
    assert "cert_sha256" not in details[3]  # nothing identifying the resident's card


def test_no_store_and_no_card(pcsc_harness: PcscHarness, tmp_path: Path) -> None:
    missing = kiosk("operator", "disable", "op-001", "--db", str(tmp_path / "none.db"))
    assert missing.returncode == 2 and "There is no kiosk store" in missing.stderr
    assert not (tmp_path / "none.db").exists()
    ca = StaffCa.create(tmp_path / "staff-ca")
    empty = kiosk(
        "operator", "enroll", "--db", str(tmp_path / "k.db"), "--staff-ca", str(ca.cert_path),
        "--card-reader", STAFF_READER,
    )  # fmt: skip
    assert empty.returncode == 2 and "No staff card found" in empty.stderr and "Traceback" not in empty.stderr
    listed = kiosk("operator", "list", "--db", str(tmp_path / "none.db"))
    assert listed.returncode == 2 and "There is no kiosk store" in listed.stderr
