"""The central's HTTP(S) front end: CMP over HTTP (RFC 6712 / RFC 9811), CRLs, health.

Transport only. What a request means is the `Intake`'s business; this module reads bodies within
limits, hands over the TLS client certificate, and writes answers. Every CMP request gets a CMP
answer (errors included) from the intake, so a malformed message is never an HTTP 500.

mTLS: terminals present their terminal certificate; the intake checks that the CMP signer is the
same terminal. A terminal's very first request (bootstrap with its one-time secret, PBM) comes
without a client certificate, so the TLS layer asks for one but does not insist.
"""

from __future__ import annotations

import json
import logging
import socket
import ssl
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Protocol

from cryptography import x509

_log = logging.getLogger(__name__)

CMP_CONTENT_TYPE = "application/pkixcmp"
CRL_CONTENT_TYPE = "application/pkix-crl"
MAX_BODY = 64 * 1024  # a protected p10cr is ~2 KB; anything near this is not a CMP message
_CMP_PATHS = ("/pkix", "/pkix/", "/.well-known/cmp", "/.well-known/cmp/")


class Intake(Protocol):
    def handle_cmp(self, der: bytes, client_certificate: x509.Certificate | None) -> bytes:
        """Answer one CMP request (the answer may be a CMP error message). Never raises for bad input."""
        ...

    def crl(self, name: str) -> bytes | None:
        """DER of the named CA's current CRL, or None if there is no such CA."""
        ...

    def health(self) -> dict[str, object]: ...


class _Handler(BaseHTTPRequestHandler):
    server: CentralHttpServer
    protocol_version = "HTTP/1.1"
    server_version = "jpki-central"
    sys_version = ""

    def do_POST(self) -> None:
        if self.path not in _CMP_PATHS:
            self._plain(HTTPStatus.NOT_FOUND, "no such endpoint")
            return
        if self.headers.get_content_type() != CMP_CONTENT_TYPE:
            self._plain(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, f"expected {CMP_CONTENT_TYPE}")
            return
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            self._plain(HTTPStatus.LENGTH_REQUIRED, "Content-Length required")
            return
        if not 0 < length <= MAX_BODY:
            self._plain(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"body must be 1..{MAX_BODY} bytes")
            return
        body = self.rfile.read(length)
        answer = self.server.intake.handle_cmp(body, self._client_certificate())
        self._send(HTTPStatus.OK, CMP_CONTENT_TYPE, answer)

    def do_GET(self) -> None:
        if self.path.startswith("/crl/") and self.path.endswith(".crl"):
            crl = self.server.intake.crl(self.path[len("/crl/") : -len(".crl")])
            if crl is None:
                self._plain(HTTPStatus.NOT_FOUND, "no such CRL")
            else:
                self._send(HTTPStatus.OK, CRL_CONTENT_TYPE, crl)
        elif self.path == "/health":
            self._send(HTTPStatus.OK, "application/json", json.dumps(self.server.intake.health()).encode())
        else:
            self._plain(HTTPStatus.NOT_FOUND, "no such endpoint")

    def _client_certificate(self) -> x509.Certificate | None:
        if not isinstance(self.connection, ssl.SSLSocket):
            return None
        der = self.connection.getpeercert(binary_form=True)
        return x509.load_der_x509_certificate(der) if der else None

    def _plain(self, status: HTTPStatus, text: str) -> None:
        self._send(status, "text/plain; charset=utf-8", text.encode())

    def _send(self, status: HTTPStatus, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        _log.info("%s %s", self.address_string(), format % args)


class CentralHttpServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], intake: Intake, ssl_context: ssl.SSLContext | None) -> None:
        self.intake = intake
        self._ssl_context = ssl_context
        super().__init__(address, _Handler)

    def finish_request(self, request: socket.socket, client_address: object) -> None:  # type: ignore[override]
        # The TLS handshake runs here, on the request's own thread: a client that stalls it holds
        # that thread for at most the timeout, never the accept loop.
        request.settimeout(30)
        if self._ssl_context is None:
            super().finish_request(request, client_address)
            return
        try:
            tls = self._ssl_context.wrap_socket(request, server_side=True)  # takes over the socket
        except (ssl.SSLError, OSError) as exc:
            _log.info("TLS handshake with %s failed: %s", client_address, exc)
            return
        try:
            super().finish_request(tls, client_address)
        finally:
            tls.close()

    def handle_error(self, request: object, client_address: object) -> None:
        _log.warning("connection from %s failed", client_address, exc_info=True)


def server_ssl_context(cert_pem: str, key_pem: str, client_ca_pem: str) -> ssl.SSLContext:
    """TLS 1.2+ server context asking for (not requiring) a terminal certificate from `client_ca_pem`."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert_pem, key_pem)
    context.load_verify_locations(client_ca_pem)
    context.verify_mode = ssl.CERT_OPTIONAL
    return context


def serve_in_thread(server: CentralHttpServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, name="central-httpd", daemon=True)
    thread.start()
    return thread
