"""Terminal bootstrap over CMP with the one-time secret (PBM): the intake in-process, our kiosk's
`bootstrap` over real HTTPS (including an interrupted run), and `openssl cmp -ref/-secret`."""

from __future__ import annotations

import datetime as dt
import shutil
import ssl
import subprocess
from pathlib import Path

import pytest
from central_testkit import MUNICIPALITY, NOW, World, csr, key
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from sqlalchemy import select
from testkit import write_pem

import lcmp
import lcmp.http
from central import terminals
from central.cmp_intake import CmpIntake
from central.enums import TerminalStatus
from central.models import Terminal
from kiosk.cli import main as kiosk_main
from kiosk.sync.bootstrap import REQUEST_FILE, BootstrapFailed, bootstrap
from kiosk.sync.central import CentralLink, CentralUnreachable
from lcmp import jpki_items
from lcmp.jpki_items import normalise_bootstrap_secret

NEW = "kiosk-0042"


@pytest.fixture
def intake(world: World) -> CmpIntake:
    return CmpIntake(world.central, clock=lambda: NOW)


def pbm_client(intake: CmpIntake, secret: bytes, reference: str = NEW) -> lcmp.CmpClient:
    return lcmp.CmpClient(
        lambda der: intake.handle_cmp(der, None),  # no TLS client certificate: it has none yet
        lcmp.PbmProtection(secret, reference.encode()),
        lcmp.SharedSecretTrust(secret),
        recipient=x509.Name([]),
        now=lambda: NOW,
    )


def refusal(answer: bytes) -> lcmp.FailureInfo:
    message = lcmp.decode(answer)
    assert isinstance(message.body, lcmp.ErrorMsg), message.body
    return message.body.status.failure_info


def secret_left(world: World, terminal_id: str = NEW) -> bool:
    with world.central.transaction() as s:
        return terminals.bootstrap_secret(s, world.central.authority, terminal_id) is not None


def test_bootstrap_enrols_once_and_answers_with_the_same_mac(world: World, intake: CmpIntake) -> None:
    secret = normalise_bootstrap_secret(world.central.register_terminal(NEW, MUNICIPALITY, now=NOW))
    client = pbm_client(intake, secret)
    terminal_key = key("new-terminal")
    request = client.prepare_p10cr(csr(terminal_key), implicit_confirm=True)
    enrollment = client.send_p10cr(request)  # SharedSecretTrust: the answer is MAC'd with our secret
    cert = enrollment.certificate
    authority = world.central.authority
    assert enrollment.implicit_confirm
    assert cert.public_key() == terminal_key.public_key()
    assert cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value == NEW
    assert authority.terminal_ca.cert in enrollment.extra_certs  # the chain, RFC 9483 §4.1.1
    assert enrollment.ca_pubs == (authority.root.cert,)
    with world.central.transaction() as s:
        current = terminals.current_certificate(s, NEW)
        assert current.serial == format(cert.serial_number, "x")
    # The answer got lost: the same bytes again fetch the same certificate, not a second one.
    again = client.send_p10cr(request)
    assert again.certificate == cert
    # A new request with the spent secret is refused, MAC-protected so the terminal can trust it.
    with pytest.raises(lcmp.CmpRejected) as refused:
        client.p10cr(csr(key("new-terminal-2")))
    assert "spent" in str(refused.value)
    assert secret_left(world)  # kept until the terminal signs with its certificate


def test_secret_is_erased_when_the_terminal_first_signs(world: World, intake: CmpIntake) -> None:
    secret = normalise_bootstrap_secret(world.central.register_terminal(NEW, MUNICIPALITY, now=NOW))
    client = pbm_client(intake, secret)
    terminal_key = key("new-terminal")
    request = client.prepare_p10cr(csr(terminal_key), implicit_confirm=True)
    cert = client.send_p10cr(request).certificate
    authority = world.central.authority
    signed = lcmp.CmpClient(
        lambda der: intake.handle_cmp(der, cert),  # mTLS with the new certificate
        lcmp.SignatureProtection(terminal_key, cert, chain=(authority.terminal_ca.cert,)),
        lcmp.SignerTrust((authority.root.cert,)),
        recipient=authority.cmp_cert.subject,
        now=lambda: NOW,
    )
    with pytest.raises(lcmp.CmpRejected):  # refused (no application), but authenticated
        signed.genm((jpki_items.integer_item(jpki_items.APPLICATION_NUMBER, 1),))
    assert not secret_left(world)
    assert refusal(intake.handle_cmp(request, None)) & lcmp.FailureInfo.badMessageCheck


def test_bootstrap_refusals(world: World, intake: CmpIntake) -> None:
    secret = normalise_bootstrap_secret(world.central.register_terminal(NEW, MUNICIPALITY, now=NOW))
    good = pbm_client(intake, secret).prepare_p10cr(csr(key("new-terminal")))
    # wrong secret: not MAC-protected back (we cannot know who asks), signed by the central
    wrong = pbm_client(intake, b"A" * len(secret)).prepare_p10cr(csr(key("new-terminal")))
    answer = intake.handle_cmp(wrong, None)
    assert refusal(answer) & lcmp.FailureInfo.badMessageCheck
    assert lcmp.decode(answer).protection.algorithm.oid != lcmp.PASSWORD_BASED_MAC  # type: ignore[union-attr]
    # an unknown terminal
    unknown = pbm_client(intake, secret, "kiosk-nobody").prepare_p10cr(csr(key("x")))
    assert refusal(intake.handle_cmp(unknown, None)) & lcmp.FailureInfo.badMessageCheck
    # another body than p10cr: the secret buys one certificate, nothing else
    number = jpki_items.integer_item(jpki_items.APPLICATION_NUMBER, 1)
    genm = pbm_client(intake, secret).prepare_genm((number,))
    assert refusal(intake.handle_cmp(genm, None)) & lcmp.FailureInfo.notAuthorized
    # tampered after protection
    tampered = bytearray(good)
    tampered[-40] ^= 0x01
    assert refusal(intake.handle_cmp(bytes(tampered), None))
    # a revoked terminal cannot bootstrap
    world.central.revoke_terminal(NEW, now=NOW)
    assert refusal(intake.handle_cmp(good, None)) & lcmp.FailureInfo.badMessageCheck  # no secret any more
    with world.central.transaction() as s:
        row = s.scalars(select(Terminal).where(Terminal.id == NEW)).one()
        assert row.status is TerminalStatus.REVOKED and row.certificate_serial is None
        assert row.bootstrap_secret_sealed is None


def test_explicit_confirmation_is_mac_protected_too(world: World, intake: CmpIntake) -> None:
    secret = normalise_bootstrap_secret(world.central.register_terminal(NEW, MUNICIPALITY, now=NOW))
    client = pbm_client(intake, secret)
    enrollment = client.p10cr(csr(key("new-terminal")), implicit_confirm=False)
    assert enrollment.confirmed and not enrollment.implicit_confirm


def test_kiosk_bootstrap_over_https_survives_a_lost_answer(world: World, https, tmp_path: Path) -> None:
    server, files = https
    url = f"https://{server}/pkix/"
    secret = world.central.register_terminal(NEW, MUNICIPALITY, now=NOW)
    root = world.central.authority.root.cert
    directory = tmp_path / "identity"
    with pytest.raises(CentralUnreachable):  # the central is not there: key and request kept
        bootstrap("https://127.0.0.1:9/pkix/", NEW, secret, root, directory, timeout=5)
    stored = (directory / REQUEST_FILE).read_bytes()
    lcmp.http.post(url, stored, ssl_context=_tls(files))  # delivered, answer lost on the way back
    done = bootstrap(url, NEW, secret.lower(), root, directory)  # as typed by an installer
    assert done.resent
    assert not (directory / REQUEST_FILE).exists()
    assert oct(done.identity.key_file.stat().st_mode & 0o777) == "0o600"
    # The identity works: mTLS + signed CMP, and that first signed message erases the secret.
    link = CentralLink(url, done.identity)
    with pytest.raises(lcmp.CmpRejected):  # no such application; authenticated all the same
        link.client.genm((jpki_items.integer_item(jpki_items.APPLICATION_NUMBER, 99),))
    assert not secret_left(world)
    with pytest.raises(FileExistsError):
        bootstrap(url, NEW, secret, root, directory)


def test_kiosk_bootstrap_refuses_a_central_it_cannot_trust(world: World, https, tmp_path: Path) -> None:
    server, _files = https
    secret = world.central.register_terminal(NEW, MUNICIPALITY, now=NOW)
    with pytest.raises(BootstrapFailed, match="refused"):
        bootstrap(f"https://{server}/pkix/", NEW, "AAAA-" + secret[5:], world.central.authority.root.cert,
                  tmp_path / "wrong-secret")  # fmt: skip
    # a root that is not the central's: TLS itself fails, nothing is sent
    stranger = x509.load_pem_x509_certificate(write_pem(tmp_path / "s.pem", _self_signed()).read_bytes())
    with pytest.raises(CentralUnreachable):
        bootstrap(f"https://{server}/pkix/", NEW, secret, stranger, tmp_path / "stranger")
    assert secret_left(world)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl missing")
def test_openssl_cmp_bootstraps_with_the_secret(world: World, https, tmp_path: Path) -> None:
    server, files = https
    secret = world.central.register_terminal(NEW, MUNICIPALITY, now=NOW)
    terminal_key = key("openssl-terminal")
    write_pem(tmp_path / "t.key", terminal_key)
    (tmp_path / "t.csr").write_bytes(csr(terminal_key).public_bytes(serialization.Encoding.PEM))
    result = subprocess.run(
        ["openssl", "cmp", "-server", server, "-path", "pkix/",
         "-tls_used", "-tls_trusted", str(files["root"]), "-tls_host", "127.0.0.1",
         "-cmd", "p10cr", "-csr", str(tmp_path / "t.csr"),
         "-ref", NEW, "-secret", f"pass:{normalise_bootstrap_secret(secret).decode()}",
         "-mac", "hmacWithSHA256", "-recipient", "/CN=central",
         "-certout", str(tmp_path / "t.pem"), "-cacertsout", str(tmp_path / "ca.pem"),
         "-trusted", str(files["root"])],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    cert = x509.load_pem_x509_certificate((tmp_path / "t.pem").read_bytes())
    assert cert.public_key() == terminal_key.public_key()
    ca_pubs = x509.load_pem_x509_certificate((tmp_path / "ca.pem").read_bytes())
    assert ca_pubs == world.central.authority.root.cert
    with world.central.transaction() as s:
        assert terminals.current_certificate(s, NEW).serial == format(cert.serial_number, "x")


def _tls(files: dict[str, Path]) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(files["root"]))


def _self_signed() -> x509.Certificate:
    k = key("stranger-root")
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "stranger")])
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(k.public_key())
        .serial_number(1)
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(k, hashes.SHA256())
    )


def test_kiosk_cli_bootstrap(world: World, https, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    server, files = https
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text(world.central.register_terminal(NEW, MUNICIPALITY, now=NOW) + "\n")
    args = ["terminal", "bootstrap", NEW, "--central", f"https://{server}/pkix/",
            "--root", str(files["root"]), "--dir", str(tmp_path / "id"),
            "--secret-file", str(secret_file)]  # fmt: skip
    assert kiosk_main(args) == 0
    out = capsys.readouterr().out
    fingerprint = world.central.authority.root.cert.fingerprint(hashes.SHA256()).hex(":").upper()
    assert fingerprint in out and f"terminal {NEW} certified" in out
    assert secret_file.read_text().strip() not in out
    assert kiosk_main(args) == 2  # certified already: nothing overwritten
    assert "already has its certificate" in capsys.readouterr().err


def test_pbm_poll_and_confirmation_rules(world: World, intake: CmpIntake) -> None:
    secret = normalise_bootstrap_secret(world.central.register_terminal(NEW, MUNICIPALITY, now=NOW))
    client = pbm_client(intake, secret)
    request = client.prepare_p10cr(csr(key("new-terminal")), implicit_confirm=False)
    first = lcmp.decode(intake.handle_cmp(request, None))
    assert isinstance(first.body, lcmp.Cp) and not first.header.implicit_confirm
    own = lcmp.decode(request)
    # a pollReq is answered to *its* nonce, MAC-protected
    poll = lcmp.encode(
        lcmp.Message(lcmp.follow_up_header(own.header, first.header, now=NOW), lcmp.PollReq()),
        lcmp.PbmProtection(secret, NEW.encode()),
    )
    answer = lcmp.decode(intake.handle_cmp(poll, None))
    lcmp.verify_pbm(answer, secret)
    assert answer.header.recip_nonce == lcmp.decode(poll).header.sender_nonce
    assert isinstance(answer.body, lcmp.Cp) and answer.body.certificate == first.body.certificate
    # a rejecting certConf is heard but does not take the terminal out of service
    reject = lcmp.encode(
        lcmp.Message(
            lcmp.follow_up_header(own.header, first.header, now=NOW),
            lcmp.CertConf.for_certificate(
                first.body.certificate, status=lcmp.StatusInfo(lcmp.PKIStatus.rejection, ("no",))
            ),
        ),
        lcmp.PbmProtection(secret, NEW.encode()),
    )
    assert isinstance(lcmp.decode(intake.handle_cmp(reject, None)).body, lcmp.PkiConf)
    with world.central.transaction() as s:
        assert terminals.current_certificate(s, NEW).serial == format(
            first.body.certificate.serial_number, "x"
        )


def test_certconf_after_implicit_confirmation_is_refused(world: World, intake: CmpIntake) -> None:
    secret = normalise_bootstrap_secret(world.central.register_terminal(NEW, MUNICIPALITY, now=NOW))
    client = pbm_client(intake, secret)
    enrollment = client.send_p10cr(client.prepare_p10cr(csr(key("new-terminal")), implicit_confirm=True))
    assert enrollment.implicit_confirm
    with pytest.raises(lcmp.CmpRejected, match="implicitly"):
        client.send_cert_conf(client.prepare_cert_conf(enrollment, accept=False))


def test_kiosk_retries_with_the_right_secret_after_a_typo(world: World, https, tmp_path: Path) -> None:
    server, _files = https
    secret = world.central.register_terminal(NEW, MUNICIPALITY, now=NOW)
    root, directory = world.central.authority.root.cert, tmp_path / "identity"
    with pytest.raises(BootstrapFailed, match="refused"):
        bootstrap(f"https://{server}/pkix/", NEW, "AAAA-" + secret[5:], root, directory)
    assert not (directory / REQUEST_FILE).exists()  # the request MAC'd with the typo is gone
    done = bootstrap(f"https://{server}/pkix/", NEW, secret, root, directory)
    assert not done.resent and done.identity.cert_file.exists()
