"""Card registry transitions and lookups (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from central_testkit import MUNICIPALITY, NOW, World, application, csr, key
from cryptography import x509

from central.enums import CaName, CardStatus, CertKind, CertStatus, RevocationReason
from central.errors import Conflict, InvalidTransition, NotFound

LOST, FOUND = NOW + dt.timedelta(days=10), NOW + dt.timedelta(days=20)


def with_certificates(world: World, label: str = "adult") -> tuple[bytes, str, str]:
    card = world.card(label)
    record = world.apply(application(card_id=card))
    sign = world.central.issue_certificate(record.id, csr(key(f"reg-{label}-s")), CertKind.SIGN, now=NOW)
    auth = world.central.issue_certificate(record.id, csr(key(f"reg-{label}-a")), CertKind.AUTH, now=NOW)
    return card, sign.serial, auth.serial


def on_crl(world: World, ca: CaName, serial: str) -> x509.ReasonFlags | None:
    data = world.central.current_crl(ca)
    if data is None:
        return None
    revoked = x509.load_der_x509_crl(data).get_revoked_certificate_by_serial_number(int(serial, 16))
    if revoked is None:
        return None
    try:
        return revoked.extensions.get_extension_for_class(x509.CRLReason).value.reason
    except x509.ExtensionNotFound:
        return x509.ReasonFlags.unspecified


def test_register_and_lookup(world: World) -> None:
    card, sign, auth = with_certificates(world)
    view = world.central.lookup_card(card, now=NOW)
    assert view.operating and view.status.label == "運用中"
    assert view.municipality == MUNICIPALITY
    assert view.card_id == card.hex()
    assert world.central.lookup_card(card.hex().upper(), now=NOW) == view
    assert {c.serial for c in view.certificates} == {sign, auth}
    with pytest.raises(Conflict):
        world.central.register_card(card, MUNICIPALITY, "x", dt.date(2030, 1, 1), now=NOW)
    with pytest.raises(NotFound):
        world.central.lookup_card(bytes(16), now=NOW)
    with pytest.raises(NotFound):
        world.central.register_card(bytes(16), "99999", "x", dt.date(2030, 1, 1), now=NOW)


def test_lost_then_found(world: World) -> None:
    """要領 第4-3, 要綱 5: lost → hold; found → the held certificates are revoked, card back in use."""
    card, sign, auth = with_certificates(world)
    view = world.central.suspend_card(card, now=LOST)
    assert view.status is CardStatus.SUSPENDED
    assert {c.status for c in view.certificates} == {CertStatus.HOLD}
    assert on_crl(world, CaName.SIGN, sign) is x509.ReasonFlags.certificate_hold
    assert on_crl(world, CaName.AUTH, auth) is x509.ReasonFlags.certificate_hold

    view = world.central.release_suspension(card, now=FOUND)
    assert view.status is CardStatus.OPERATING
    assert view.certificates == ()  # nothing live: new certificates need a new application
    for serial, ca in ((sign, CaName.SIGN), (auth, CaName.AUTH)):
        status = world.central.certificate_status(serial, now=FOUND)
        assert (status.status, status.reason) == (CertStatus.REVOKED, RevocationReason.UNSPECIFIED)
        assert on_crl(world, ca, serial) is x509.ReasonFlags.unspecified  # listed, without reasonCode

    record = world.apply(application(card_id=card), now=FOUND)
    assert record.approved


def test_abolish_revokes_everything(world: World) -> None:
    card, sign, auth = with_certificates(world)
    view = world.central.abolish_card(card, now=LOST)
    assert view.status is CardStatus.ABOLISHED and view.certificates == ()
    for serial in (sign, auth):
        assert (
            world.central.certificate_status(serial, now=LOST).reason
            is RevocationReason.CESSATION_OF_OPERATION
        )
    assert world.apply(application(card_id=card), now=LOST).rejection.startswith("card-abolished")  # type: ignore[union-attr]


def test_abolish_a_suspended_card(world: World) -> None:
    card, sign, _ = with_certificates(world)
    world.central.suspend_card(card, now=LOST)
    world.central.abolish_card(card, now=FOUND)
    assert world.central.certificate_status(sign, now=FOUND).reason is RevocationReason.CESSATION_OF_OPERATION


@pytest.mark.parametrize(
    ("steps", "bad"),
    [
        ([], "release_suspension"),  # not suspended
        (["suspend_card"], "suspend_card"),  # already suspended
        (["abolish_card"], "suspend_card"),
        (["abolish_card"], "release_suspension"),
        (["abolish_card"], "abolish_card"),
    ],
)
def test_invalid_transitions(world: World, steps: list[str], bad: str) -> None:
    card = world.card()
    for step in steps:
        getattr(world.central, step)(card, now=LOST)
    with pytest.raises(InvalidTransition):
        getattr(world.central, bad)(card, now=FOUND)


def test_expiry(world: World) -> None:
    card = world.card("expiring", expiry=dt.date(2026, 5, 31))
    assert world.central.lookup_card(card, now=NOW).status is CardStatus.OPERATING
    after = dt.datetime(2026, 5, 31, 15, 0, tzinfo=dt.UTC)  # 1 June 00:00 JST
    assert world.central.lookup_card(card, now=after).status is CardStatus.EXPIRED
    with pytest.raises(InvalidTransition):
        world.central.suspend_card(card, now=after)
    assert world.central.expire_cards(now=after) == 1
    assert world.central.expire_cards(now=after) == 0
    assert world.central.lookup_card(card, now=NOW).status is CardStatus.EXPIRED  # persisted
    world.central.abolish_card(card, now=after)  # an expired card can still be abolished


def test_unknown_card_application_kept_as_rejected(world: World) -> None:
    record = world.apply(application(card_id=bytes(range(16))))
    assert record.rejection is not None and record.rejection.startswith("unknown-card")
    assert record.card_id is None
