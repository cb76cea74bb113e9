"""Card-administration authorisations: exactly this operation, on exactly this card, once, for an
accepted application that names it — and every request logged (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from central_testkit import NOW, World, application, csr, key
from cryptography.hazmat.primitives import serialization
from sqlalchemy import func, select

from appdata.model import IdentityMethod, Procedure
from cardadmin import AdminOp, AdminOperation, derive_card_key, verify_response
from cardadmin.operation import (
    AUTH_CA_CERT,
    AUTH_CERT,
    AUTH_KEY,
    AUTH_PIN,
    SIGN_CA_CERT,
    SIGN_CERT,
    SIGN_KEY,
    SIGN_PIN,
)
from central.enums import AuthorizationOutcome, CertKind, RevocationReason
from central.errors import AuthorizationRefused
from central.models import AdminAuthorization

GEN_SIGN = AdminOperation(AdminOp.GENERATE_KEY, SIGN_KEY)
GEN_AUTH = AdminOperation(AdminOp.GENERATE_KEY, AUTH_KEY)
RESET_SIGN_PIN = AdminOperation(AdminOp.RESET_PIN, SIGN_PIN)
RESET_AUTH_PIN = AdminOperation(AdminOp.RESET_PIN, AUTH_PIN)
LOCK_AUTH_PIN = AdminOperation(AdminOp.LOCK_PIN, AUTH_PIN)


def challenge() -> bytes:
    return os.urandom(16)


def granted(world: World, card: bytes, ch: bytes, op: AdminOperation, response: bytes) -> bool:
    card_key = derive_card_key(world.central.authority.admin_master_key, card)
    return verify_response(card_key, card, ch, op, response)


def log(world: World) -> list[tuple[str, str | None]]:
    with world.central.transaction() as s:
        rows = s.execute(
            select(AdminAuthorization.outcome, AdminAuthorization.reason).order_by(AdminAuthorization.id)
        ).all()
    return [(o.value, r) for o, r in rows]


def refused(
    world: World, card: bytes, op: AdminOperation, application_id: str, reason: str, **kw: object
) -> None:
    with pytest.raises(AuthorizationRefused) as exc:
        world.central.authorize(card, challenge(), op, application_id, now=NOW, **kw)  # type: ignore[arg-type]
    assert exc.value.reason == reason


def test_grant_is_the_cards_response(world: World) -> None:
    card = world.card()
    record = world.apply(application(card_id=card))
    ch = challenge()
    response = world.central.authorize(card, ch, GEN_SIGN, record.id, terminal_id=world.terminal_id, now=NOW)
    assert granted(world, card, ch, GEN_SIGN, response)
    assert log(world) == [("granted", None)]


def test_refusals(world: World) -> None:
    card, other_card = world.card("mine"), world.card("other")
    record = world.apply(application(card_id=card, certificates=("auth",)))
    refused(world, card, GEN_AUTH, "no-such-application", "no-application")
    refused(world, other_card, GEN_AUTH, record.id, "other-card")
    refused(world, card, GEN_SIGN, record.id, "operation-not-named")  # only auth was applied for
    refused(world, card, AdminOperation(AdminOp.ERASE_KEY, AUTH_KEY), record.id, "operation-not-named")
    refused(world, card, GEN_AUTH, record.id, "other-terminal", terminal_id="kiosk-0002")
    rejected = world.apply(application(card_id=card, face_card=True))  # face card + signing: refused
    refused(world, card, GEN_AUTH, rejected.id, "application-not-approved")
    assert [o for o, _ in log(world)] == ["refused"] * 6  # every refusal is logged


def test_single_use(world: World) -> None:
    card = world.card()
    record = world.apply(application(card_id=card))
    ch = challenge()
    first = world.central.authorize(card, ch, GEN_SIGN, record.id, now=NOW)
    # The same request again (a re-sent message): the same response, nothing new unlocked.
    assert world.central.authorize(card, ch, GEN_SIGN, record.id, now=NOW) == first
    # A new challenge for the same operation: refused.
    refused(world, card, GEN_SIGN, record.id, "already-used")
    # Other operations of the same application are unaffected.
    assert world.central.authorize(card, ch, GEN_AUTH, record.id, now=NOW)
    assert log(world) == [
        ("granted", None),
        ("repeated", None),
        ("refused", "already-used"),
        ("granted", None),
    ]


def test_certificate_write_bound_to_the_issued_certificate(world: World) -> None:
    card = world.card()
    record = world.apply(application(card_id=card))
    refused(
        world,
        card,
        AdminOperation.write_certificate(SIGN_CERT, b"not issued yet"),
        record.id,
        "no-such-certificate",
    )
    issued = world.central.issue_certificate(record.id, csr(key("aa-sign")), CertKind.SIGN, now=NOW)
    refused(
        world,
        card,
        AdminOperation.write_certificate(SIGN_CERT, issued.der + b"\x00"),
        record.id,
        "certificate-hash-mismatch",
    )
    refused(
        world, card, AdminOperation.write_certificate(AUTH_CERT, issued.der), record.id, "no-such-certificate"
    )
    write = AdminOperation.write_certificate(SIGN_CERT, issued.der)
    ch = challenge()
    assert granted(world, card, ch, write, world.central.authorize(card, ch, write, record.id, now=NOW))
    ca_der = world.central.authority.sign_ca.cert.public_bytes(serialization.Encoding.DER)
    write_ca = AdminOperation.write_certificate(SIGN_CA_CERT, ca_der)
    assert world.central.authorize(card, challenge(), write_ca, record.id, now=NOW)
    refused(
        world,
        card,
        AdminOperation.write_certificate(AUTH_CA_CERT, ca_der),
        record.id,
        "certificate-hash-mismatch",
    )


def test_revoked_certificate_cannot_be_written(world: World) -> None:
    card = world.card()
    record = world.apply(application(card_id=card))
    issued = world.central.issue_certificate(record.id, csr(key("aa-destroy")), CertKind.SIGN, now=NOW)
    world.central.revoke(
        issued.serial, RevocationReason.CESSATION_OF_OPERATION, ex_officio=True, now=NOW
    )  # 破棄
    refused(
        world, card, AdminOperation.write_certificate(SIGN_CERT, issued.der), record.id, "no-such-certificate"
    )


def test_pin_reset_needs_a_recorded_identity_check(world: World) -> None:
    card = world.card()
    record = world.apply(application(Procedure.PIN_RESET, card_id=card, pin_targets=("sign",), identity=None))
    assert record.approved and not record.identity_checked
    refused(world, card, RESET_SIGN_PIN, record.id, "identity-not-checked")
    world.central.record_identity_check(
        record.id, IdentityMethod.FACE_MACHINE, terminal_id=world.terminal_id, now=NOW
    )
    ch = challenge()
    assert granted(
        world, card, ch, RESET_SIGN_PIN, world.central.authorize(card, ch, RESET_SIGN_PIN, record.id, now=NOW)
    )
    refused(world, card, RESET_AUTH_PIN, record.id, "operation-not-named")  # only the signing PIN was named


def test_suspended_card_is_not_administered(world: World) -> None:
    card = world.card()
    record = world.apply(application(card_id=card))
    world.central.suspend_card(card, now=NOW)
    refused(world, card, GEN_SIGN, record.id, "card-suspended")


def test_face_auth_switch(world: World) -> None:
    """要綱 4条の3-7: random auth PIN, locked, signing certificate revoked."""
    card = world.card()
    issued_app = world.apply(application(card_id=card))
    sign = world.central.issue_certificate(issued_app.id, csr(key("aa-fa-sign")), CertKind.SIGN, now=NOW)
    switch = world.apply(application(Procedure.FACE_AUTH_SWITCH, card_id=card, identity=None))
    assert switch.approved
    refused(world, card, RESET_AUTH_PIN, switch.id, "identity-not-checked")
    world.central.record_identity_check(switch.id, IdentityMethod.PHOTO_ID, now=NOW)
    for op in (RESET_AUTH_PIN, LOCK_AUTH_PIN, AdminOperation(AdminOp.ERASE_KEY, SIGN_KEY)):
        ch = challenge()
        assert granted(world, card, ch, op, world.central.authorize(card, ch, op, switch.id, now=NOW))
    assert world.central.lookup_card(card, now=NOW).face_auth
    assert (
        world.central.certificate_status(sign.serial, now=NOW).reason
        is RevocationReason.CESSATION_OF_OPERATION
    )
    # A face-auth card is a normal card again after a PIN reset of the auth PIN (要綱 4-3, 4-11).
    reset = world.apply(application(Procedure.PIN_RESET, card_id=card, pin_targets=("auth",)))
    world.central.authorize(card, challenge(), RESET_AUTH_PIN, reset.id, now=NOW + dt.timedelta(days=1))
    assert not world.central.lookup_card(card, now=NOW).face_auth


def test_operations_named_by_procedure(world: World) -> None:
    card = world.card()
    new = world.apply(application(card_id=card))
    assert set(new.operations) == {
        "01:001A", "02:0001", "02:0002", "03:001B",
        "01:0017", "02:000A", "02:000B", "03:0018",
    }  # fmt: skip
    renewal = world.apply(application(Procedure.RENEWAL, card_id=card, certificates=("auth",)))
    assert set(renewal.operations) == {"01:0017", "02:000A", "02:000B"}  # PINs kept (要綱 2-16)
    face = world.apply(application(card_id=card, certificates=("auth",), face_card=True))
    assert set(face.operations) == {"01:0017", "02:000A", "02:000B", "03:0018", "04:0018", "05:001A"}
    disclosure = world.apply(application(Procedure.DISCLOSURE, card_id=card))
    assert disclosure.operations == ()


def test_every_request_logged(world: World) -> None:
    card = world.card()
    record = world.apply(application(card_id=card))
    world.central.authorize(card, challenge(), GEN_SIGN, record.id, now=NOW)
    for _ in range(3):
        with pytest.raises(AuthorizationRefused):
            world.central.authorize(card, challenge(), GEN_SIGN, record.id, now=NOW)
    with world.central.transaction() as s:
        counts = dict(
            s.execute(
                select(AdminAuthorization.outcome, func.count()).group_by(AdminAuthorization.outcome)
            ).all()
        )
    assert counts == {AuthorizationOutcome.GRANTED: 1, AuthorizationOutcome.REFUSED: 3}


def test_certificate_write_granted_again_until_installed(world: World) -> None:
    """A card pulled between the grant and the write: the same certificate may be written again
    (bounded), never once the central knows it is installed."""
    card = world.card()
    record = world.apply(application(card_id=card))
    issued = world.central.issue_certificate(record.id, csr(key("rewrite-sign")), CertKind.SIGN, now=NOW)
    write = AdminOperation.write_certificate(SIGN_CERT, issued.der)
    for _ in range(3):  # the first grant and two more
        ch = challenge()
        assert granted(world, card, ch, write, world.central.authorize(card, ch, write, record.id, now=NOW))
    refused(world, card, write, record.id, "already-used")
    assert log(world)[-4:] == [
        ("granted", None),
        ("repeated", "write-again"),
        ("repeated", "write-again"),
        ("refused", "already-used"),
    ]
    other = world.apply(application(card_id=card))
    other_issued = world.central.issue_certificate(other.id, csr(key("rewrite-2")), CertKind.SIGN, now=NOW)
    other_write = AdminOperation.write_certificate(SIGN_CERT, other_issued.der)
    assert world.central.authorize(card, challenge(), other_write, other.id, now=NOW)
    world.central.confirm_installed(other_issued.serial, now=NOW)
    refused(world, card, other_write, other.id, "already-used")  # installed: nothing to redo
    # Only certificate writes: a second key generation would replace the key the CA certified.
    assert world.central.authorize(card, challenge(), GEN_SIGN, other.id, now=NOW)
    refused(world, card, GEN_SIGN, other.id, "already-used")
