"""The central's HTTP(S) front end over real TLS on loopback."""

from __future__ import annotations

import datetime as dt
import http.client
import ipaddress
import socket
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from testkit import write_pem

from central.httpd import CentralHttpServer, serve_in_thread, server_ssl_context


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(subject: str, key, issuer: str, issuer_key, *, ca: bool, san: x509.GeneralName | None = None):
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if san is not None:
        builder = builder.add_extension(x509.SubjectAlternativeName([san]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


class RecordingIntake:
    """The front end's only contract is to pass the body and the TLS identity through."""

    def __init__(self) -> None:
        self.seen: list[tuple[bytes, x509.Certificate | None]] = []

    def handle_cmp(self, der: bytes, client_certificate: x509.Certificate | None) -> bytes:
        self.seen.append((der, client_certificate))
        return b"answer:" + der

    def crl(self, name: str) -> bytes | None:
        return b"crl-der" if name == "sign-ca" else None

    def health(self) -> dict[str, object]:
        return {"status": "ok"}


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("tls")
    ca_key, terminal_ca_key, rogue_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    ca = _cert("test root", ca_key, "test root", ca_key, ca=True)
    terminal_ca = _cert("terminal CA", terminal_ca_key, "terminal CA", terminal_ca_key, ca=True)
    server_key, client_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    server = _cert(
        "central",
        server_key,
        "test root",
        ca_key,
        ca=False,
        san=x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
    )
    client = _cert("terminal 0001", client_key, "terminal CA", terminal_ca_key, ca=False)
    rogue = _cert("terminal 0001", client_key, "rogue CA", rogue_key, ca=False)
    return {
        "ca": write_pem(d / "ca.pem", ca),
        "terminal_ca": write_pem(d / "terminal-ca.pem", terminal_ca),
        "server": write_pem(d / "server.pem", server),
        "server_key": write_pem(d / "server.key", server_key),
        "client": write_pem(d / "client.pem", client, client_key),
        "rogue": write_pem(d / "rogue.pem", rogue, client_key),
    }


@pytest.fixture
def running(tls) -> Iterator[tuple[CentralHttpServer, RecordingIntake]]:
    intake = RecordingIntake()
    context = server_ssl_context(str(tls["server"]), str(tls["server_key"]), str(tls["terminal_ca"]))
    server = CentralHttpServer(("127.0.0.1", 0), intake, context)
    thread = serve_in_thread(server)
    try:
        yield server, intake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _client(server: CentralHttpServer, tls, cert: str | None) -> http.client.HTTPSConnection:
    context = ssl.create_default_context(cafile=str(tls["ca"]))
    if cert:
        context.load_cert_chain(str(tls[cert]))
    return http.client.HTTPSConnection("127.0.0.1", server.server_address[1], context=context, timeout=10)


def _post(conn, body: bytes, content_type: str = "application/pkixcmp", path: str = "/pkix/"):
    conn.request("POST", path, body=body, headers={"Content-Type": content_type})
    response = conn.getresponse()
    return response.status, response.getheader("Content-Type"), response.read()


def test_cmp_body_and_terminal_identity_reach_the_intake(running, tls) -> None:
    server, intake = running
    status, content_type, body = _post(_client(server, tls, "client"), b"\x30\x03\x02\x01\x02")
    assert (status, content_type, body) == (200, "application/pkixcmp", b"answer:\x30\x03\x02\x01\x02")
    _der, cert = intake.seen[0]
    assert cert is not None and cert.subject == _name("terminal 0001")


def test_bootstrap_without_client_certificate_is_passed_as_anonymous(running, tls) -> None:
    server, intake = running
    assert _post(_client(server, tls, None), b"\x30\x00")[0] == 200
    assert intake.seen[0][1] is None


def test_certificate_from_an_unknown_ca_is_refused_at_the_handshake(running, tls) -> None:
    server, intake = running
    with pytest.raises((ssl.SSLError, ConnectionError, http.client.RemoteDisconnected)):
        _post(_client(server, tls, "rogue"), b"\x30\x00")
    assert intake.seen == []


@pytest.mark.parametrize(
    ("content_type", "body", "path", "status"),
    [
        ("application/json", b"{}", "/pkix/", 415),
        ("application/pkixcmp", b"\x30" * (64 * 1024 + 1), "/pkix/", 413),
        ("application/pkixcmp", b"\x30\x00", "/other", 404),
    ],
)
def test_bad_requests_are_refused_before_the_intake(running, tls, content_type, body, path, status) -> None:
    server, intake = running
    assert _post(_client(server, tls, "client"), body, content_type, path)[0] == status
    assert intake.seen == []


def test_crl_and_health(running, tls) -> None:
    server, _intake = running
    conn = _client(server, tls, None)
    conn.request("GET", "/crl/sign-ca.crl")
    response = conn.getresponse()
    assert (response.status, response.getheader("Content-Type"), response.read()) == (
        200,
        "application/pkix-crl",
        b"crl-der",
    )
    conn.request("GET", "/crl/nobody.crl")
    missing = conn.getresponse()
    missing.read()
    assert missing.status == 404
    conn.request("GET", "/health")
    assert conn.getresponse().read() == b'{"status": "ok"}'


def test_a_stalled_handshake_does_not_block_others(running, tls) -> None:
    server, _intake = running
    stalled = socket.create_connection(server.server_address)  # connects, never speaks TLS
    try:
        assert _post(_client(server, tls, "client"), b"\x30\x00")[0] == 200
    finally:
        stalled.close()
