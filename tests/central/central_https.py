"""The central's intake over real HTTPS on loopback, and an `openssl cmp` runner against it."""

from __future__ import annotations

import datetime as dt
import ipaddress
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from central_testkit import TERMINAL, World, key
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID
from testkit import write_pem

from central import terminals
from central.cmp_intake import CmpIntake
from central.httpd import CentralHttpServer, serve_in_thread, server_ssl_context


def terminal_cert(world: World) -> x509.Certificate:
    with world.central.transaction() as s:
        return x509.load_der_x509_certificate(terminals.current_certificate(s, TERMINAL).der)


@contextmanager
def serve_https(world: World, tmp_path: Path) -> Iterator[tuple[str, dict[str, Path]]]:
    """The intake over real HTTPS on loopback; yields host:port and the PEM files a client needs."""
    authority = world.central.authority
    tls_key = key("tls-server")
    now = dt.datetime.now(dt.UTC)
    tls_cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "central")]))
        .issuer_name(authority.root.cert.subject)
        .public_key(tls_key.public_key())
        .serial_number(7)
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .sign(authority.root.key, hashes.SHA256())
    )
    files = {
        "tls_cert": write_pem(tmp_path / "tls.pem", tls_cert, authority.root.cert),
        "tls_key": write_pem(tmp_path / "tls.key", tls_key),
        "root": write_pem(tmp_path / "root.pem", authority.root.cert),
        "terminal_chain": write_pem(
            tmp_path / "terminal-ca.pem", authority.terminal_ca.cert, authority.root.cert
        ),
        "kiosk_cert": write_pem(tmp_path / "kiosk.pem", terminal_cert(world)),
        "kiosk_key": write_pem(tmp_path / "kiosk.key", world.terminal_key),
        "untrusted": write_pem(tmp_path / "untrusted.pem", authority.terminal_ca.cert),
    }
    context = server_ssl_context(str(files["tls_cert"]), str(files["tls_key"]), str(files["terminal_chain"]))
    # openssl checks the CMP message time against its own clock: answer with real time here
    server = CentralHttpServer(("127.0.0.1", 0), CmpIntake(world.central), context)
    thread = serve_in_thread(server)
    try:
        yield f"127.0.0.1:{server.server_address[1]}", files
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def openssl_cmp(server: str, files: dict[str, Path], *args: str) -> subprocess.CompletedProcess[str]:
    common = [
        "openssl",
        "cmp",
        "-server",
        server,
        "-path",
        "pkix/",
        "-tls_used",
        "-tls_cert",
        str(files["kiosk_cert"]),
        "-tls_key",
        str(files["kiosk_key"]),
        "-tls_trusted",
        str(files["root"]),
        "-tls_host",
        "127.0.0.1",
        "-cert",
        str(files["kiosk_cert"]),
        "-key",
        str(files["kiosk_key"]),
        "-extracerts",
        str(files["untrusted"]),
        "-untrusted",
        str(files["untrusted"]),
        "-trusted",
        str(files["root"]),
    ]
    return subprocess.run([*common, *args], capture_output=True, text=True, timeout=60, check=False)
