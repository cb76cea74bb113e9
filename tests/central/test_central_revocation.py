"""Revocation, hold/release and CRLs (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from central_testkit import NOW, World, application, csr, key, lint_crl, problems
from click.testing import CliRunner
from cryptography import x509

from appdata.model import Procedure
from central.certstore import IssuedCertificate
from central.cli import main
from central.enums import CaName, CertKind, CertStatus, RevocationReason
from central.errors import ApplicationRejected, InvalidTransition, NotFound
from central.registry import switch_to_face_auth

LATER = NOW + dt.timedelta(hours=2)


def issue(world: World, card: bytes, label: str, kind: CertKind = CertKind.SIGN) -> IssuedCertificate:
    record = world.apply(application(card_id=card, certificates=(kind.value,)))
    return world.central.issue_certificate(record.id, csr(key(f"r-{label}")), kind, now=NOW)


def crl_of(world: World, ca: CaName) -> x509.CertificateRevocationList:
    data = world.central.current_crl(ca)
    assert data is not None
    crl = x509.load_der_x509_crl(data)
    assert crl.is_signature_valid(world.central.authority.issuer(ca).key.public_key())
    assert problems(lint_crl(data)) == []
    return crl


def number(crl: x509.CertificateRevocationList) -> int:
    return crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number


def entry(crl: x509.CertificateRevocationList, serial: str) -> x509.RevokedCertificate | None:
    return crl.get_revoked_certificate_by_serial_number(int(serial, 16))


def reason(revoked: x509.RevokedCertificate) -> x509.ReasonFlags | None:
    try:
        return revoked.extensions.get_extension_for_class(x509.CRLReason).value.reason
    except x509.ExtensionNotFound:
        return None


def test_revocation_lists_the_serial(world: World) -> None:
    cert = issue(world, world.card(), "listed")
    status = world.central.revoke(cert.serial, RevocationReason.KEY_COMPROMISE, now=LATER)
    assert (status.status, status.reason, status.revoked_at) == (
        CertStatus.REVOKED,
        RevocationReason.KEY_COMPROMISE,
        LATER,
    )
    crl = crl_of(world, CaName.SIGN)
    revoked = entry(crl, cert.serial)
    assert revoked is not None
    assert revoked.revocation_date_utc == LATER
    assert reason(revoked) is x509.ReasonFlags.key_compromise
    assert crl.last_update_utc == LATER
    assert crl.next_update_utc == LATER + world.central.authority.settings.crl_validity
    assert crl.issuer == world.central.authority.sign_ca.cert.subject
    assert world.central.current_crl(CaName.AUTH) is None  # only the issuing CA's CRL changed


def test_crl_number_increases_and_unspecified_has_no_reason(world: World) -> None:
    card = world.card()
    a, b = issue(world, card, "n1", CertKind.AUTH), issue(world, card, "n2", CertKind.AUTH)
    world.central.revoke(a.serial, RevocationReason.UNSPECIFIED, now=LATER)
    first = number(crl_of(world, CaName.AUTH))
    world.central.revoke(b.serial, RevocationReason.CESSATION_OF_OPERATION, now=LATER)
    crl = crl_of(world, CaName.AUTH)
    assert number(crl) == first + 1
    assert reason(entry(crl, a.serial)) is None  # type: ignore[arg-type]
    assert reason(entry(crl, b.serial)) is x509.ReasonFlags.cessation_of_operation  # type: ignore[arg-type]
    regenerated = world.central.regenerate_crls(now=LATER + dt.timedelta(hours=1))
    assert set(regenerated) == set(CaName)
    assert number(crl_of(world, CaName.AUTH)) == first + 2
    for ca, data in regenerated.items():
        assert problems(lint_crl(data)) == [], ca


def test_revocation_is_idempotent_and_final(world: World) -> None:
    cert = issue(world, world.card(), "final")
    world.central.revoke(cert.serial, RevocationReason.UNSPECIFIED, now=LATER)
    before = number(crl_of(world, CaName.SIGN))
    world.central.revoke(cert.serial, RevocationReason.UNSPECIFIED, now=LATER)  # repeated request
    assert number(crl_of(world, CaName.SIGN)) == before  # nothing changed, nothing reissued
    with pytest.raises(InvalidTransition):
        world.central.revoke(cert.serial, RevocationReason.SUPERSEDED, now=LATER)
    with pytest.raises(InvalidTransition):
        world.central.hold(cert.serial, now=LATER)
    # A compromise reported afterwards still reaches relying parties:
    world.central.revoke(cert.serial, RevocationReason.KEY_COMPROMISE, now=LATER)
    assert reason(entry(crl_of(world, CaName.SIGN), cert.serial)) is x509.ReasonFlags.key_compromise  # type: ignore[arg-type]


def test_hold_then_release(world: World) -> None:
    cert = issue(world, world.card(), "hold")
    held = world.central.hold(cert.serial, now=LATER)
    assert held.status is CertStatus.HOLD and not held.valid
    assert reason(entry(crl_of(world, CaName.SIGN), cert.serial)) is x509.ReasonFlags.certificate_hold  # type: ignore[arg-type]
    released = world.central.release_hold(cert.serial, now=LATER + dt.timedelta(hours=1))
    assert released.valid
    assert entry(crl_of(world, CaName.SIGN), cert.serial) is None  # removed from the next full CRL


def test_hold_then_final_revocation(world: World) -> None:
    cert = issue(world, world.card(), "hold-final")
    world.central.hold(cert.serial, now=LATER)
    world.central.revoke(cert.serial, RevocationReason.KEY_COMPROMISE, now=LATER + dt.timedelta(hours=1))
    revoked = entry(crl_of(world, CaName.SIGN), cert.serial)
    assert revoked is not None and reason(revoked) is x509.ReasonFlags.key_compromise
    with pytest.raises(InvalidTransition):
        world.central.release_hold(cert.serial, now=LATER)


def test_ex_officio_must_be_cessation(world: World) -> None:
    cert = issue(world, world.card(), "exo")
    with pytest.raises(ValueError, match="cessationOfOperation"):
        world.central.revoke(cert.serial, RevocationReason.UNSPECIFIED, ex_officio=True, now=LATER)


def test_expired_certificates_leave_the_crl(world: World) -> None:
    card = world.card("short", expiry=dt.date(2026, 6, 30))
    cert = issue(world, card, "expiring", CertKind.AUTH)
    world.central.revoke(cert.serial, RevocationReason.UNSPECIFIED, now=LATER)
    assert entry(crl_of(world, CaName.AUTH), cert.serial) is not None
    just_after = cert.not_after + dt.timedelta(hours=1)  # still on one CRL after expiry (RFC 5280 §3.3)
    world.central.regenerate_crls(now=just_after)
    assert entry(crl_of(world, CaName.AUTH), cert.serial) is not None
    world.central.regenerate_crls(now=cert.not_after + dt.timedelta(days=3))
    assert entry(crl_of(world, CaName.AUTH), cert.serial) is None


def test_certificate_status(world: World) -> None:
    cert = issue(world, world.card(), "status")
    status = world.central.certificate_status(cert.serial, now=NOW)
    assert status.valid and status.kind is CertKind.SIGN and status.issuer is CaName.SIGN
    assert world.central.certificate_status(int(cert.serial, 16), now=NOW) == status
    assert world.central.certificate_status(cert.serial, now=cert.not_after + dt.timedelta(seconds=1)).expired
    with pytest.raises(NotFound):
        world.central.certificate_status("abcdef", now=NOW)


def test_revocation_on_application(world: World) -> None:
    card = world.card()
    cert = issue(world, card, "app-revoke")
    other = issue(world, world.card("other"), "app-other")
    request = world.apply(application(Procedure.KEY_COMPROMISE, card_id=card, serials=(cert.serial,)))
    assert request.approved, request.rejection
    with pytest.raises(ApplicationRejected, match="does not name"):
        world.central.revoke_for_application(request.id, other.serial, now=LATER)
    status = world.central.revoke_for_application(request.id, cert.serial, now=LATER)
    assert status.reason is RevocationReason.KEY_COMPROMISE
    # An application naming a certificate of another card is refused at receipt.
    stray = world.apply(application(Procedure.REVOCATION, card_id=card, serials=(other.serial,)))
    assert stray.rejection is not None and stray.rejection.startswith("serial-not-on-card")


def test_face_auth_switch_revokes_the_signing_certificate(world: World) -> None:
    card = world.card()
    sign = issue(world, card, "fa-sign", CertKind.SIGN)
    auth = issue(world, card, "fa-auth", CertKind.AUTH)
    with world.central.transaction() as s:
        view = switch_to_face_auth(s, world.central.authority, card, LATER)
    assert view.face_auth
    assert (
        world.central.certificate_status(sign.serial, now=LATER).reason
        is RevocationReason.CESSATION_OF_OPERATION
    )
    assert world.central.certificate_status(auth.serial, now=LATER).valid
    assert entry(crl_of(world, CaName.SIGN), sign.serial) is not None


def test_cli_crl_regenerate(world: World, db_url: str, tmp_path: Path) -> None:
    cert = issue(world, world.card(), "cli-crl", CertKind.AUTH)
    world.central.revoke(cert.serial, RevocationReason.KEY_COMPROMISE, now=LATER)
    before = number(crl_of(world, CaName.AUTH))
    out = tmp_path / "crl"
    result = CliRunner().invoke(
        main,
        [
            "crl",
            "regenerate",
            "--url",
            db_url,
            "--ca-dir",
            str(world.central.authority.directory),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["auth.crl", "root.crl", "sign.crl", "terminal.crl"]
    published = x509.load_der_x509_crl((out / "auth.crl").read_bytes())
    assert number(published) == before + 1
    assert published.get_revoked_certificate_by_serial_number(int(cert.serial, 16)) is not None
    assert (out / "auth.crl").read_bytes() == world.central.current_crl(CaName.AUTH)
