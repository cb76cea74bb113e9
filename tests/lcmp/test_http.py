"""lcmp.http.post against a local stdlib HTTP(S) server on 127.0.0.1 (with and without mTLS)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from lcmp_mock import free_host_port
from lcmp_pki import CmpTestPki, name

from lcmp import CmpTransportError
from lcmp.http import CONTENT_TYPE, post, transport


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    status = 200
    content_type = CONTENT_TYPE
    answer = b"\x30\x00"
    seen: list[tuple[str, str | None, bytes, bytes | None]]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        peer = None
        if isinstance(self.connection, ssl.SSLSocket):
            peer = self.connection.getpeercert(binary_form=True)
        self.server.seen.append((self.path, self.headers.get("Content-Type"), body, peer))
        self.send_response(self.server.status)
        self.send_header("Content-Type", self.server.content_type)
        self.send_header("Content-Length", str(len(self.server.answer)))
        self.end_headers()
        self.wfile.write(self.server.answer)

    def log_message(self, format: str, *args: object) -> None:
        pass


def _serve(context: ssl.SSLContext | None = None) -> Iterator[_Server]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.seen = []
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def http_server() -> Iterator[_Server]:
    yield from _serve()


def _url(server: _Server, scheme: str = "http") -> str:
    return f"{scheme}://127.0.0.1:{server.server_address[1]}/pkix/"


def test_post_sends_pkixcmp(http_server: _Server) -> None:
    http_server.answer = b"\x30\x03\x02\x01\x05"
    assert post(_url(http_server), b"\x30\x00", timeout=5) == b"\x30\x03\x02\x01\x05"
    assert http_server.seen == [("/pkix/", CONTENT_TYPE, b"\x30\x00", None)]
    assert transport(_url(http_server), timeout=5)(b"\x30\x00") == b"\x30\x03\x02\x01\x05"


@pytest.mark.parametrize(
    ("status", "content_type", "answer", "match"),
    [
        (500, CONTENT_TYPE, b"\x30\x00", "HTTP 500"),
        (404, "text/plain", b"no", "HTTP 404"),
        (200, "text/html", b"<html>", "text/html"),
        (200, CONTENT_TYPE, b"", "empty"),
    ],
)
def test_http_failures_are_transport_errors(
    http_server: _Server, status: int, content_type: str, answer: bytes, match: str
) -> None:
    http_server.status, http_server.content_type, http_server.answer = status, content_type, answer
    with pytest.raises(CmpTransportError, match=match) as info:
        post(_url(http_server), b"\x30\x00", timeout=5)
    assert info.value.http_status == status


def test_oversized_answer(http_server: _Server) -> None:
    http_server.answer = b"\x00" * 2000
    with pytest.raises(CmpTransportError, match="larger"):
        post(_url(http_server), b"\x30\x00", timeout=5, max_response=1000)


def test_connection_refused() -> None:
    with pytest.raises(CmpTransportError, match="ConnectionRefused"):
        post(f"http://127.0.0.1:{free_host_port()}/pkix/", b"\x30\x00", timeout=5)


def test_timeout() -> None:
    with socket.socket() as silent:  # accepts (backlog) but never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        with pytest.raises(CmpTransportError, match="timed out"):
            post(f"http://127.0.0.1:{silent.getsockname()[1]}/pkix/", b"\x30\x00", timeout=0.5)


def test_bad_urls() -> None:
    with pytest.raises(ValueError, match="http"):
        post("ftp://example/pkix", b"")
    with pytest.raises(ValueError, match="plain http"):
        post("http://127.0.0.1/pkix", b"", ssl_context=ssl.create_default_context())


# --- mTLS -------------------------------------------------------------------------------------------


def _write(path: Path, *objects: object) -> str:
    pem = b""
    for obj in objects:
        if isinstance(obj, x509.Certificate):
            pem += obj.public_bytes(serialization.Encoding.PEM)
        else:
            pem += obj.private_bytes(  # type: ignore[attr-defined]
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
    path.write_bytes(pem)
    return str(path)


@pytest.fixture
def tls_server(cmp_pki: CmpTestPki, tmp_path: Path) -> Iterator[_Server]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name("central intake"))
        .issuer_name(cmp_pki.root.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .sign(cmp_pki.root_key, hashes.SHA256())
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(_write(tmp_path / "tls.pem", cert, key))
    context.load_verify_locations(cmp_pki.path("root.crt"))
    context.verify_mode = ssl.CERT_REQUIRED  # terminals must present their certificate
    yield from _serve(context)


def _client_context(cmp_pki: CmpTestPki, *, with_cert: bool) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=cmp_pki.path("root.crt"))
    if with_cert:
        context.load_cert_chain(cmp_pki.path("kiosk.crt"), cmp_pki.path("kiosk.key"))
    return context


def test_mtls(cmp_pki: CmpTestPki, tls_server: _Server) -> None:
    answer = post(
        _url(tls_server, "https"), b"\x30\x00", ssl_context=_client_context(cmp_pki, with_cert=True)
    )
    assert answer == b"\x30\x00"
    (_path, _type, _body, peer) = tls_server.seen[0]
    assert peer is not None and x509.load_der_x509_certificate(peer) == cmp_pki.kiosk


def test_mtls_without_client_certificate(cmp_pki: CmpTestPki, tls_server: _Server) -> None:
    with pytest.raises(CmpTransportError):
        post(_url(tls_server, "https"), b"\x30\x00", ssl_context=_client_context(cmp_pki, with_cert=False))
    assert tls_server.seen == []


def test_tls_server_not_trusted(tls_server: _Server) -> None:
    with pytest.raises(CmpTransportError, match="CERTIFICATE_VERIFY_FAILED"):
        post(_url(tls_server, "https"), b"\x30\x00", timeout=5)
