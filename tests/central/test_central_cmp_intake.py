"""The CMP intake end to end: our CMP client in-process, refusals, and openssl cmp over mTLS."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
import ssl
import subprocess
import urllib.request
from pathlib import Path

import pytest
from central_https import openssl_cmp, terminal_cert
from central_testkit import NOW, TERMINAL, World, application, csr, key
from cmp_testkit import apply, client_for, installed, items
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID
from joserfc import jwe
from joserfc.jwk import RSAKey
from sqlalchemy import select

import lcmp
from appdata.model import DisclosureKind, Procedure
from appdata.status import SuspensionReleased
from central import intake as intake_module
from central import issuance
from central.cmp_intake import CmpIntake
from central.enums import CertKind, CertStatus, RevocationReason
from central.errors import NotFound
from central.models import Certificate
from lcmp import jpki_items


@pytest.fixture
def intake(world: World) -> CmpIntake:
    return CmpIntake(world.central, clock=lambda: NOW)


def test_enrol_confirm_and_dedup(world: World, intake: CmpIntake) -> None:
    apply(world, 1)
    client = client_for(world, intake)
    request = client.prepare_p10cr(
        csr(key("card-sign")), implicit_confirm=False, general_info=items(1, jpki_items.CertificateKind.SIGN)
    )
    enrollment = client.send_p10cr(request, confirm=False)
    cert = enrollment.certificate
    assert cert.issuer == world.central.authority.sign_ca.cert.subject
    # store-and-forward: the identical bytes again get the identical answer, not a second certificate
    assert intake.handle_cmp(request, terminal_cert(world)) == intake.handle_cmp(
        request, terminal_cert(world)
    )
    client.confirm(enrollment)
    assert world.central.certificate_status(cert.serial_number).status is CertStatus.GOOD
    assert installed(world, cert.serial_number)


def test_revocation_request_then_crl(world: World, intake: CmpIntake) -> None:
    apply(world, 2)
    client = client_for(world, intake)
    request = client.prepare_p10cr(
        csr(key("card-auth")), general_info=items(2, jpki_items.CertificateKind.AUTH)
    )
    cert = client.send_p10cr(request).certificate
    card = world.cards["adult"]
    revoke_id = jpki_items.application_id(TERMINAL, 3)
    world.apply(
        application(
            Procedure.REVOCATION,
            card_id=card,
            application_id=revoke_id,
            serials=(format(cert.serial_number, "x"),),
        )
    )
    rr = client.prepare_rr(cert.issuer, cert.serial_number, general_info=items(3))
    assert client.send_rr(rr).granted
    crl = x509.load_der_x509_crl(intake.crl("auth"))
    assert crl.get_revoked_certificate_by_serial_number(cert.serial_number) is not None


def _issued_unconfirmed(
    world: World, intake: CmpIntake, number: int
) -> tuple[lcmp.CmpClient, lcmp.Enrollment]:
    apply(world, number)
    client = client_for(world, intake)
    request = client.prepare_p10cr(
        csr(key(f"card-auth-{number}")),
        implicit_confirm=False,
        general_info=items(number, jpki_items.CertificateKind.AUTH),
    )
    return client, client.send_p10cr(request, confirm=False)


def _destroyed(world: World) -> int:
    return sum(row.destroyed_or_revoked_ex_officio for row in world.central.ledger())


def test_rr_under_the_issuance_application_destroys_an_uninstalled_certificate(
    world: World, intake: CmpIntake
) -> None:
    client, enrollment = _issued_unconfirmed(world, intake, 21)
    cert = enrollment.certificate
    rr = client.prepare_rr(
        cert.issuer, cert.serial_number, x509.ReasonFlags.cessation_of_operation, general_info=items(21)
    )
    assert client.send_rr(rr).granted
    status = world.central.certificate_status(cert.serial_number, now=NOW)
    assert status.status is CertStatus.REVOKED and status.reason is RevocationReason.CESSATION_OF_OPERATION
    assert _destroyed(world) == 1  # 破棄 in the 交付記録簿
    entry = x509.load_der_x509_crl(intake.crl("auth")).get_revoked_certificate_by_serial_number(
        cert.serial_number
    )
    assert entry is not None
    reason = entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
    assert reason is x509.ReasonFlags.cessation_of_operation
    # An installed certificate cannot be "destroyed": that takes a revocation application.
    client2, installed_one = _issued_unconfirmed(world, intake, 22)
    client2.confirm(installed_one)
    second = installed_one.certificate
    rr2 = client2.prepare_rr(second.issuer, second.serial_number, general_info=items(22))
    with pytest.raises(lcmp.CmpRejected, match="revocation application"):
        client2.send_rr(rr2)
    # Nor can another issuance application's certificate be named.
    rr3 = client2.prepare_rr(second.issuer, second.serial_number, general_info=items(21))
    with pytest.raises(lcmp.CmpRejected, match="not issued for application"):
        client2.send_rr(rr3)


def test_cert_conf_rejection_destroys_the_certificate(world: World, intake: CmpIntake) -> None:
    client, enrollment = _issued_unconfirmed(world, intake, 23)
    client.confirm(enrollment, accept=False, reason="card write failed")
    serial = enrollment.certificate.serial_number
    assert world.central.certificate_status(serial, now=NOW).status is CertStatus.REVOKED
    assert not installed(world, serial)
    assert _destroyed(world) == 1


def test_unconfirmed_certificates_are_swept_after_the_confirm_wait(world: World, intake: CmpIntake) -> None:
    _client, waiting = _issued_unconfirmed(world, intake, 24)
    client, done = _issued_unconfirmed(world, intake, 25)
    client.confirm(done)
    wait = dt.timedelta(days=30)
    with world.central.transaction() as s:
        assert issuance.sweep_unconfirmed(s, world.central.authority, NOW + wait / 2, confirm_wait=wait) == []
        swept = issuance.sweep_unconfirmed(
            s, world.central.authority, NOW + wait + dt.timedelta(seconds=1), confirm_wait=wait
        )
    assert swept == [format(waiting.certificate.serial_number, "x")]
    assert world.central.certificate_status(done.certificate.serial_number, now=NOW).status is CertStatus.GOOD
    assert _destroyed(world) == 1


def test_same_transaction_id_other_content_is_refused(world: World, intake: CmpIntake) -> None:
    apply(world, 4)
    client = client_for(world, intake)
    first = client.prepare_p10cr(
        csr(key("card-sign")), general_info=items(4, jpki_items.CertificateKind.SIGN)
    )
    client.send_p10cr(first)
    message = lcmp.decode(first)
    other = dataclasses.replace(message, body=lcmp.P10cr(csr(key("card-auth"))))
    protector = lcmp.SignatureProtection(world.terminal_key, terminal_cert(world))
    answer = lcmp.decode(intake.handle_cmp(lcmp.encode(other, protector), terminal_cert(world)))
    assert isinstance(answer.body, lcmp.ErrorMsg)
    assert answer.body.status.failure_info & lcmp.FailureInfo.transactionIdInUse


def _refusal(intake: CmpIntake, der: bytes, tls: x509.Certificate | None) -> lcmp.FailureInfo:
    answer = lcmp.decode(intake.handle_cmp(der, tls))
    assert isinstance(answer.body, lcmp.ErrorMsg), answer.body
    return answer.body.status.failure_info


def _rogue_cert(subject_cn: str) -> tuple[x509.Certificate, object]:
    rogue_key = key("rogue")
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject_cn)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(rogue_key.public_key())
        .serial_number(1)
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=1))
        .sign(rogue_key, hashes.SHA256())
    )
    return cert, rogue_key


def test_refusals(world: World, intake: CmpIntake) -> None:
    apply(world, 5)
    good = client_for(world, intake)
    request = good.prepare_p10cr(
        csr(key("card-sign")), general_info=items(5, jpki_items.CertificateKind.SIGN)
    )
    cert = terminal_cert(world)
    # tampered payload
    tampered = bytearray(request)
    tampered[len(tampered) // 2] ^= 0x01
    assert _refusal(intake, bytes(tampered), cert) & (
        lcmp.FailureInfo.badMessageCheck | lcmp.FailureInfo.badDataFormat
    )
    # unauthenticated TLS, and TLS as another party
    assert _refusal(intake, request, None) & lcmp.FailureInfo.notAuthorized
    rogue, rogue_key = _rogue_cert(TERMINAL)
    assert _refusal(intake, request, rogue) & lcmp.FailureInfo.notAuthorized
    # a rogue terminal certificate (not from the terminal CA) signing as the terminal
    rogue_client = client_for(world, intake, signer_cert=rogue, signer_key=rogue_key)
    forged = rogue_client.prepare_p10cr(
        csr(key("card-sign")), general_info=items(5, jpki_items.CertificateKind.SIGN)
    )
    assert _refusal(intake, forged, rogue) & lcmp.FailureInfo.signerNotTrusted
    # a message from beyond the store-and-forward window
    stale = CmpIntake(world.central, clock=lambda: NOW + dt.timedelta(days=31))
    assert _refusal(stale, request, cert) & lcmp.FailureInfo.badTime
    # a revoked terminal
    world.central.revoke_terminal(TERMINAL, now=NOW)
    assert _refusal(intake, request, cert) & lcmp.FailureInfo.notAuthorized
    # and garbage is answered, not crashed on
    assert _refusal(intake, b"\x30\x03\x02\x01\x00", cert) & lcmp.FailureInfo.badDataFormat


# -- openssl cmp, a real CMP client, over HTTPS with mutual TLS --------------------------------


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl missing")
def test_openssl_cmp_enrols_and_revokes(world: World, https, tmp_path: Path) -> None:
    server, files = https
    now = dt.datetime.now(dt.UTC)
    app = jpki_items.application_id(TERMINAL, 11)
    card = world.card()
    world.apply(application(card_id=card, application_id=app, certificates=("auth",)), now=now)
    card_key = key("openssl-card")
    csr_path = tmp_path / "card.csr"
    csr_path.write_bytes(csr(card_key).public_bytes(serialization.Encoding.PEM))
    out = tmp_path / "issued.pem"
    enrolled = openssl_cmp(
        server,
        files,
        "-cmd",
        "p10cr",
        "-csr",
        str(csr_path),
        "-certout",
        str(out),
        # OpenSSL 3.0 carries a single -geninfo item: the kind follows from the application
        "-geninfo",
        f"{jpki_items.APPLICATION_NUMBER}:int:11",
    )
    assert enrolled.returncode == 0, enrolled.stdout + enrolled.stderr
    issued = x509.load_pem_x509_certificate(out.read_bytes())
    assert issued.public_key().public_numbers() == card_key.public_key().public_numbers()
    assert issued.issuer == world.central.authority.auth_ca.cert.subject
    assert installed(world, issued.serial_number)  # openssl sent certConf, we answered pkiConf

    revoke = jpki_items.application_id(TERMINAL, 12)
    world.apply(
        application(
            Procedure.REVOCATION,
            card_id=card,
            application_id=revoke,
            serials=(format(issued.serial_number, "x"),),
        ),
        now=now,
    )
    revoked = openssl_cmp(
        server,
        files,
        "-cmd",
        "rr",
        "-oldcert",
        str(out),
        "-revreason",
        "0",
        "-geninfo",
        f"{jpki_items.APPLICATION_NUMBER}:int:12",
    )
    assert revoked.returncode == 0, revoked.stdout + revoked.stderr

    context = ssl.create_default_context(cafile=str(files["root"]))
    with urllib.request.urlopen(f"https://{server}/crl/auth.crl", context=context) as response:
        crl = x509.load_der_x509_crl(response.read())
    assert crl.get_revoked_certificate_by_serial_number(issued.serial_number) is not None
    crl_path = tmp_path / "auth.crl"
    crl_path.write_bytes(crl.public_bytes(serialization.Encoding.PEM))
    text = subprocess.run(
        ["openssl", "crl", "-in", str(crl_path), "-noout", "-text"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert f"{issued.serial_number:X}" in text.upper()  # OpenSSL itself reads the serial off the CRL


def _polling_client(world: World, intake: CmpIntake, worker_after: int | None) -> lcmp.CmpClient:
    """A client whose waits between pollReqs run the issuing worker after `worker_after` polls."""
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        if worker_after is not None and len(waits) == worker_after:
            assert intake.issue_pending(NOW) == 1

    return client_for(world, intake, sleep=sleep)


def test_deferred_issuance_waits_then_answers_the_poll(world: World) -> None:
    intake = CmpIntake(world.central, clock=lambda: NOW, deferred_issuance=True, check_after=1)
    apply(world, 31)
    client = _polling_client(world, intake, worker_after=2)
    request = client.prepare_p10cr(
        csr(key("card-deferred")),
        implicit_confirm=False,
        general_info=items(31, jpki_items.CertificateKind.AUTH),
    )
    first = lcmp.decode(intake.handle_cmp(request, terminal_cert(world)))
    assert isinstance(first.body, lcmp.Cp) and first.body.status.status is lcmp.PKIStatus.waiting
    again = lcmp.decode(intake.handle_cmp(request, terminal_cert(world)))  # resent while queued
    assert isinstance(again.body, lcmp.Cp) and again.body.status.status is lcmp.PKIStatus.waiting
    enrollment = client.send_p10cr(request)  # waiting → pollReq ×2 → worker issues → cp → certConf
    assert enrollment.confirmed
    assert installed(world, enrollment.certificate.serial_number)
    assert intake.issue_pending(NOW) == 0  # nothing left
    # The p10cr resent after the decision gets the decision (the cp to that very request).
    late = lcmp.decode(intake.handle_cmp(request, terminal_cert(world)))
    assert isinstance(late.body, lcmp.Cp) and late.body.certificate == enrollment.certificate


def test_deferred_refusal_reaches_the_polling_terminal(world: World) -> None:
    intake = CmpIntake(world.central, clock=lambda: NOW, deferred_issuance=True, check_after=1)
    client = _polling_client(world, intake, worker_after=1)
    # No application 32 was ever sent: accepted for the queue, refused by the worker.
    request = client.prepare_p10cr(csr(key("card-deferred-2")), general_info=items(32))
    with pytest.raises(lcmp.CmpRejected, match="application"):
        client.send_p10cr(request)


def test_deferred_garbage_is_refused_at_once(world: World) -> None:
    intake = CmpIntake(world.central, clock=lambda: NOW, deferred_issuance=True, check_after=1)
    client = client_for(world, intake)
    with pytest.raises(lcmp.CmpRejected, match="application number"):
        client.send_p10cr(client.prepare_p10cr(csr(key("card-deferred-3"))))  # no items
    assert intake.issue_pending(NOW) == 0


def test_unencrypted_application_data_is_refused(world: World, intake: CmpIntake) -> None:
    """規則 7, 44: the application travels encrypted to the central. The very JWS the terminal
    signed, sent without the JWE around it, is refused — and so is bare JSON."""
    app_id = jpki_items.application_id(TERMINAL, 41)
    sealed = world.seal(application(card_id=world.card(), application_id=app_id))
    key = RSAKey.import_key(world.central.authority.encryption_key)
    signed_only = jwe.decrypt_compact(sealed, key, algorithms=["RSA-OAEP-256", "A256GCM"]).plaintext.decode()
    client = client_for(world, intake)
    for plain in (signed_only, '{"application_id": "' + app_id + '"}'):
        with pytest.raises(lcmp.CmpRejected):
            client.genm((lcmp.InfoTypeAndValue.utf8(jpki_items.APPLICATION_ENVELOPE, plain),))
    with pytest.raises(NotFound):  # nothing was stored
        world.central.application(app_id)
    client.genm((lcmp.InfoTypeAndValue.utf8(jpki_items.APPLICATION_ENVELOPE, sealed),))  # control
    assert world.central.application(app_id).approved


def test_card_certificates_are_never_implicitly_confirmed(world: World, intake: CmpIntake) -> None:
    apply(world, 51)
    client = client_for(world, intake)
    request = client.prepare_p10cr(
        csr(key("card-implicit")),
        implicit_confirm=True,
        general_info=items(51, jpki_items.CertificateKind.AUTH),
    )
    enrollment = client.send_p10cr(request, confirm=False)
    assert not enrollment.implicit_confirm  # installed only once the terminal says so
    assert not installed(world, enrollment.certificate.serial_number)


def test_deferred_request_of_a_terminal_revoked_meanwhile_is_refused(world: World) -> None:
    intake = CmpIntake(world.central, clock=lambda: NOW, deferred_issuance=True, check_after=1)
    apply(world, 52)
    client = client_for(world, intake)
    request = client.prepare_p10cr(
        csr(key("card-stolen")), general_info=items(52, jpki_items.CertificateKind.AUTH)
    )
    queued = lcmp.decode(intake.handle_cmp(request, terminal_cert(world)))
    assert isinstance(queued.body, lcmp.Cp) and queued.body.status.status is lcmp.PKIStatus.waiting
    world.central.revoke_terminal(TERMINAL, now=NOW)  # the kiosk was stolen
    assert intake.issue_pending(NOW) == 1
    with world.central.transaction() as s:
        answer = lcmp.decode(
            intake_module.get_transaction(s, TERMINAL, queued.header.transaction_id).response_der
        )
    assert isinstance(answer.body, lcmp.ErrorMsg)
    assert answer.body.status.failure_info & lcmp.FailureInfo.notAuthorized


def test_a_failing_deferred_request_does_not_stall_the_queue(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    intake = CmpIntake(world.central, clock=lambda: NOW, deferred_issuance=True, check_after=1)
    client = client_for(world, intake)
    for number in (53, 54):
        apply(world, number)
        request = client.prepare_p10cr(
            csr(key(f"card-q-{number}")), general_info=items(number, jpki_items.CertificateKind.AUTH)
        )
        intake.handle_cmp(request, terminal_cert(world))
    real = issuance.issue_certificate
    calls = 0

    def flaky(*args, **kwargs):
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("a bug")
        return real(*args, **kwargs)

    monkeypatch.setattr(issuance, "issue_certificate", flaky)
    assert intake.issue_pending(NOW) == 2  # the first answered systemFailure, the second issued
    with world.central.transaction() as s:
        issued = s.scalars(select(Certificate.application_id)).all()
    assert jpki_items.application_id(TERMINAL, 54) in issued
    assert jpki_items.application_id(TERMINAL, 53) not in issued


def _submit(client: lcmp.CmpClient, sealed: str) -> dict[str, str]:
    answer = client.genm((lcmp.InfoTypeAndValue.utf8(jpki_items.APPLICATION_ENVELOPE, sealed),))
    return {item.info_type: item.utf8_value() for item in answer}


def test_found_card_release_answer_names_the_revoked_certificates(world: World, intake: CmpIntake) -> None:
    """要領 第4-3: the genp tells the kiosk which held certificates the release revoked, so it can
    say so and offer new ones in the same visit."""
    app_id = apply(world, 61)
    card = world.cards["adult"]
    issued = {
        kind: world.central.issue_certificate(app_id, csr(key(f"release-{kind}")), kind, now=NOW)
        for kind in (CertKind.SIGN, CertKind.AUTH)
    }
    world.central.suspend_card(card, now=NOW)  # reported lost
    client = client_for(world, intake)
    release = application(
        Procedure.SUSPENSION_RELEASE, card_id=card, application_id=jpki_items.application_id(TERMINAL, 62)
    )
    answer = _submit(client, world.seal(release))
    assert answer[jpki_items.APPLICATION_STATUS] == "approved"
    released = SuspensionReleased.from_json(answer[jpki_items.SUSPENSION_RELEASED])
    assert (released.card_id, released.revoked_at) == (card.hex(), NOW)
    assert sorted((c.kind, c.serial) for c in released.revoked) == sorted(
        (kind.value, cert.serial) for kind, cert in issued.items()
    )
    for kind, cert in issued.items():
        crl = x509.load_der_x509_crl(intake.crl(kind.issuer.value) or b"")
        assert crl.get_revoked_certificate_by_serial_number(int(cert.serial, 16)) is not None
    # A second release finds nothing held: refused with its rule, and no list.
    again = application(
        Procedure.SUSPENSION_RELEASE, card_id=card, application_id=jpki_items.application_id(TERMINAL, 63)
    )
    refused = _submit(client, world.seal(again))
    assert refused[jpki_items.APPLICATION_STATUS].startswith("rejected:card-not-suspended (要領 第4-3")
    assert jpki_items.SUSPENSION_RELEASED not in refused
    # A disclosure request is recorded and answered like any application: nothing else to read.
    disclosure = application(
        Procedure.DISCLOSURE,
        card_id=card,
        application_id=jpki_items.application_id(TERMINAL, 64),
        disclosure_kind=DisclosureKind.CORRECTION,
    )
    assert _submit(client, world.seal(disclosure)) == {
        jpki_items.APPLICATION_ID: jpki_items.application_id(TERMINAL, 64),
        jpki_items.APPLICATION_STATUS: "approved",
    }
