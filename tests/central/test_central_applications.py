"""Application intake: stored only as received (encrypted), idempotent, never logged in clear."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

import pytest
from central_testkit import ADULT, NOW, World, application, csr, key
from click.testing import CliRunner
from cryptography import x509
from sqlalchemy import inspect, select, text

from appdata.model import BasicInfo, DisclosureKind, IdentityMethod, Procedure
from central.cli import main
from central.enums import (
    ApplicationStatus,
    CaName,
    CardStatus,
    CertKind,
    CertStatus,
    LedgerEventKind,
    RevocationReason,
)
from central.errors import ApplicationRejected, Conflict, EnvelopeError
from central.models import Application, LedgerEvent

CHILD = BasicInfo("佐藤　一郎", ADULT.address, dt.date(2016, 5, 5), "1")  # 9 years old


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


# -- 一時停止解除 (a lost card found) and 開示・訂正請求 ------------------------------------------

LOST, FOUND = NOW + dt.timedelta(days=10), NOW + dt.timedelta(days=20)


def _lost_card(world: World, label: str = "lost") -> tuple[bytes, dict[CertKind, str]]:
    """A card with both certificates written to it, then reported lost (its certificates held)."""
    card = world.card(label)
    record = world.apply(application(card_id=card))
    serials: dict[CertKind, str] = {}
    for kind in (CertKind.SIGN, CertKind.AUTH):
        issued = world.central.issue_certificate(record.id, csr(key(f"{label}-{kind}")), kind, now=NOW)
        world.central.confirm_installed(issued.serial, now=NOW)
        serials[kind] = issued.serial
    world.central.suspend_card(card, now=LOST)
    return card, serials


def _crl_entry(world: World, ca: CaName, serial: str) -> x509.RevokedCertificate | None:
    data = world.central.current_crl(ca)
    assert data is not None
    return x509.load_der_x509_crl(data).get_revoked_certificate_by_serial_number(int(serial, 16))


def test_found_card_release_revokes_the_held_certificates(world: World) -> None:
    """要領 第4-3, 要綱 5-2: the held certificates are revoked, not released; the card is 運用中 again."""
    card, serials = _lost_card(world)
    record = world.apply(application(Procedure.SUSPENSION_RELEASE, card_id=card), now=FOUND)
    assert record.approved and record.operations == ()  # nothing to do on the card itself
    assert sorted(record.revoked) == sorted(serials.items())
    view = world.central.lookup_card(card, now=FOUND)
    assert view.status is CardStatus.OPERATING and view.certificates == ()
    for kind, serial in serials.items():
        status = world.central.certificate_status(serial, now=FOUND)
        assert (status.status, status.reason, status.revoked_at) == (
            CertStatus.REVOKED,
            RevocationReason.UNSPECIFIED,
            FOUND,
        )
        entry = _crl_entry(world, kind.issuer, serial)
        assert entry is not None and entry.revocation_date_utc == FOUND
        with pytest.raises(x509.ExtensionNotFound):  # the holder's revocation: no reasonCode
            entry.extensions.get_extension_for_class(x509.CRLReason)  # (no longer certificateHold)
    # The 交付記録簿 books it as the holder's revocation, not 破棄／職権失効 (要領 ケ(カ)).
    assert [(r.kind, r.installed, r.destroyed_or_revoked_ex_officio) for r in world.central.ledger()] == [
        (CertKind.AUTH, 1, 0),
        (CertKind.SIGN, 1, 0),
    ]
    with world.central.transaction() as s:
        booked = s.execute(
            select(LedgerEvent.cert_kind, LedgerEvent.serial).where(
                LedgerEvent.kind == LedgerEventKind.REVOKED
            )
        ).all()
    assert sorted(booked) == sorted(serials.items())
    assert world.apply(application(card_id=card), now=FOUND).approved  # new certificates, same visit


def test_found_card_release_resent_gets_the_same_answer(world: World) -> None:
    card, serials = _lost_card(world)
    sealed = world.seal(application(Procedure.SUSPENSION_RELEASE, card_id=card), now=FOUND)
    first = world.central.receive_application(sealed, terminal_id=world.terminal_id, now=FOUND)
    again = world.central.receive_application(
        sealed, terminal_id=world.terminal_id, now=FOUND + dt.timedelta(minutes=5)
    )
    assert again == first and len(first.revoked) == len(serials)


def test_release_of_a_card_without_certificates(world: World) -> None:
    card = world.card("bare")
    world.central.suspend_card(card, now=LOST)
    record = world.apply(application(Procedure.SUSPENSION_RELEASE, card_id=card), now=FOUND)
    assert record.approved and record.revoked == ()
    assert world.central.lookup_card(card, now=FOUND).operating


def _operating(world: World) -> bytes:
    return world.card("operating")


def _abolished(world: World) -> bytes:
    card, _ = _lost_card(world, "abolished")
    world.central.abolish_card(card, now=LOST)
    return card


def _expired_while_lost(world: World) -> bytes:
    card = world.card("expiring", expiry=(FOUND - dt.timedelta(days=2)).date())
    world.central.suspend_card(card, now=LOST)
    return card


@pytest.mark.parametrize(
    ("make_card", "changes", "code", "rule"),
    [
        (_operating, {}, "card-not-suspended", "要領 第4-3"),
        (_abolished, {}, "card-abolished", "規則 17, 53"),
        (_expired_while_lost, {}, "card-expired", "有効期間"),
        (lambda w: bytes(range(16)), {}, "unknown-card", "要領 第2-1"),
        (None, {"identity": None}, "identity-not-checked", "要綱 3-4, 5-2"),
        (None, {"applicant": CHILD}, "legal-representative-required", "要綱 3-3"),
        (None, {"certificates": ("auth",)}, "issuance-needs-own-application", "要綱 5-2"),
    ],
    ids=["operating", "abolished", "expired", "unknown", "no-identity-check", "minor-alone", "with-issuance"],
)
def test_found_card_release_refusals(
    world: World, make_card: Callable[[World], bytes] | None, changes: dict[str, object], code: str, rule: str
) -> None:
    card, serials = _lost_card(world, "refused")
    if make_card is not None:
        card = make_card(world)
    record = world.apply(application(Procedure.SUSPENSION_RELEASE, card_id=card, **changes), now=FOUND)
    assert not record.approved and record.revoked == ()
    assert record.rejection is not None and record.rejection.startswith(code) and rule in record.rejection
    # Nothing changed: the lost card stays suspended, its certificates held.
    held = world.central.lookup_card(world.cards["refused"], now=FOUND)
    assert held.status is CardStatus.SUSPENDED
    assert {(c.serial, c.status) for c in held.certificates} == {
        (s, CertStatus.HOLD) for s in serials.values()
    }


def test_disclosure_and_correction_requests_are_recorded(world: World) -> None:
    """要綱 6: recorded for staff, whatever the card's status; no card operation, no certificate change."""
    card, serials = _lost_card(world)
    dead = world.card("abolished")
    world.central.abolish_card(dead, now=LOST)
    crls = {ca: world.central.current_crl(ca) for ca in (CaName.SIGN, CaName.AUTH)}
    disclosure = world.apply(application(Procedure.DISCLOSURE, card_id=card), now=FOUND)
    correction = world.apply(
        application(Procedure.DISCLOSURE, card_id=dead, disclosure_kind=DisclosureKind.CORRECTION), now=FOUND
    )
    for record, kind in ((disclosure, DisclosureKind.DISCLOSURE), (correction, DisclosureKind.CORRECTION)):
        assert record.approved and record.disclosure_kind is kind
        assert record.operations == () and record.revoked == ()
    view = world.central.lookup_card(card, now=FOUND)
    assert view.status is CardStatus.SUSPENDED
    assert {(c.serial, c.status) for c in view.certificates} == {
        (s, CertStatus.HOLD) for s in serials.values()
    }
    assert {ca: world.central.current_crl(ca) for ca in crls} == crls  # no CRL was reissued
    with pytest.raises(ApplicationRejected, match="issues no certificate"):
        world.central.issue_certificate(disclosure.id, csr(key("disclosure")), CertKind.AUTH, now=FOUND)
    with pytest.raises(ApplicationRejected, match="not a revocation"):
        world.central.revoke_for_application(disclosure.id, serials[CertKind.AUTH], now=FOUND)
    refused = world.apply(application(Procedure.DISCLOSURE, card_id=card, identity=None), now=FOUND)
    assert refused.rejection is not None and refused.rejection.startswith("identity-not-checked (要綱 6-2")
    listed = world.central.applications(kind=Procedure.DISCLOSURE, status=ApplicationStatus.APPROVED)
    assert sorted(listed, key=lambda r: r.id) == sorted([disclosure, correction], key=lambda r: r.id)


def test_staff_listing(world: World, db_url: str) -> None:
    card, serials = _lost_card(world)
    release = world.apply(application(Procedure.SUSPENSION_RELEASE, card_id=card), now=FOUND)
    correction = world.apply(
        application(Procedure.DISCLOSURE, card_id=card, disclosure_kind=DisclosureKind.CORRECTION),
        now=FOUND + dt.timedelta(days=1),
    )
    assert [r.id for r in world.central.applications(since=FOUND.date())] == [release.id, correction.id]
    assert [r.id for r in world.central.applications(until=FOUND.date())][-1] == release.id
    assert world.central.applications(municipality="27203") == []
    runner = CliRunner()
    result = runner.invoke(main, ["applications", "--url", db_url, "--kind", "disclosure"])
    assert result.exit_code == 0, result.output
    header, *lines = result.output.splitlines()
    assert header.split()[:3] == ["received", "(JST)", "application"]
    assert len(lines) == 1 and correction.id in lines[0] and lines[0].endswith("correction")
    assert "2026-04-22 10:00" in lines[0]  # JST
    result = runner.invoke(main, ["applications", "--url", db_url, "--kind", "suspension_release"])
    assert result.exit_code == 0, result.output
    (line,) = result.output.splitlines()[1:]
    assert line.endswith("revoked " + " ".join(f"{k.value}:{s}" for k, s in release.revoked))
    assert set(release.revoked) == set(serials.items())
