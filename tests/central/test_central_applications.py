"""Application intake: stored only as received (encrypted), idempotent, never logged in clear."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from central_testkit import ADULT, NOW, World, application, csr, key
from sqlalchemy import inspect, select, text

from appdata.model import IdentityMethod, Procedure
from central.enums import CertKind
from central.errors import ApplicationRejected, Conflict, EnvelopeError
from central.models import Application


def test_stored_as_received(world: World) -> None:
    sealed = world.seal(application(card_id=world.card()))
    record = world.central.receive_application(sealed, terminal_id=world.terminal_id, now=NOW)
    with world.central.transaction() as s:
        row = s.get(Application, record.id)
        assert row is not None
        assert row.envelope == sealed
        assert (row.kind, row.fee.value, row.fee_yen, row.signed_at, row.received_at) == (
            Procedure.NEW_ISSUANCE,
            "free",
            0,
            NOW,
            NOW,
        )
        assert row.identity_method == IdentityMethod.PHOTO_ID.value


def test_personal_data_nowhere_in_clear(world: World, caplog: pytest.LogCaptureFixture) -> None:
    """Decrypted data never reaches the logs or any database column."""
    caplog.set_level(logging.DEBUG)
    card = world.card()
    record = world.apply(application(card_id=card))
    world.central.issue_certificate(record.id, csr(key("ap-auth")), CertKind.AUTH, now=NOW)
    world.apply(application(card_id=card, face_card=True))  # a refusal is logged too
    secrets = (ADULT.name, ADULT.address, ADULT.name.split("　")[0], "1990-01-02", "19900102")
    for message in caplog.messages:
        for secret in secrets:
            assert secret not in message
    engine = world.central.engine
    with engine.connect() as conn:
        for table in inspect(engine).get_table_names():
            for row in conn.execute(text(f"SELECT * FROM {table}")):
                for value in row:
                    blob = value if isinstance(value, bytes) else str(value).encode()
                    for secret in secrets:
                        assert secret.encode() not in blob, table


def test_resubmission_is_idempotent(world: World) -> None:
    sealed = world.seal(application(card_id=world.card()))
    first = world.central.receive_application(sealed, terminal_id=world.terminal_id, now=NOW)
    again = world.central.receive_application(
        sealed, terminal_id=world.terminal_id, now=NOW + dt.timedelta(minutes=5)
    )
    assert again == first
    data = application(card_id=world.card("other"), application_id=first.id)
    with pytest.raises(Conflict, match="in use"):
        world.apply(data)


def test_untrusted_envelope_stores_nothing(world: World) -> None:
    sealed = world.seal(application(card_id=world.card()))
    with pytest.raises(EnvelopeError):
        world.central.receive_application(sealed[:-4] + "AAAA", terminal_id=world.terminal_id, now=NOW)
    with pytest.raises(EnvelopeError, match="expired"):
        world.central.receive_application(
            sealed, terminal_id=world.terminal_id, now=NOW + dt.timedelta(days=15)
        )
    with world.central.transaction() as s:
        assert s.scalars(select(Application)).all() == []


def test_identity_check_recorded_later(world: World) -> None:
    record = world.apply(
        application(Procedure.PIN_RESET, card_id=world.card(), pin_targets=("auth",), identity=None)
    )
    assert not record.identity_checked
    with pytest.raises(ApplicationRejected, match="another terminal"):
        world.central.record_identity_check(
            record.id, IdentityMethod.FACE_MACHINE, terminal_id="kiosk-0002", now=NOW
        )
    checked = world.central.record_identity_check(record.id, IdentityMethod.FACE_MACHINE, now=NOW)
    assert checked.identity_checked
    with world.central.transaction() as s:
        row = s.get(Application, record.id)
        assert row is not None and row.identity_method == "face_machine"


def test_pin_reset_and_face_switch_need_an_operating_card(world: World) -> None:
    card = world.card()
    world.central.suspend_card(card, now=NOW)
    for data in (
        application(Procedure.PIN_RESET, card_id=card, pin_targets=("auth",)),
        application(Procedure.FACE_AUTH_SWITCH, card_id=card),
    ):
        record = world.apply(data)
        assert record.rejection is not None and record.rejection.startswith("card-suspended")
    assert world.apply(application(Procedure.PIN_RESET, card_id=card)).rejection.startswith("no-pin-named")  # type: ignore[union-attr]
