"""The central's TLS server certificate and the client-CA bundle for mutual TLS.

Issued by the central's own root for the names the server listens on, kept beside the CA keys.
A production deployment would use its operator's TLS PKI instead; terminals trust the root.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from central.authority import Authority

_VALIDITY = dt.timedelta(days=397)
_RENEW_BEFORE = dt.timedelta(days=30)


@dataclass(frozen=True)
class ServerTls:
    cert_chain: Path  # server certificate + root
    key: Path
    client_ca: Path  # terminal CA + root: who may present a client certificate


def _san(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def ensure_server_tls(authority: Authority, hosts: list[str], now: dt.datetime | None = None) -> ServerTls:
    """Load the TLS files, (re)issuing the certificate when missing, near expiry or for other names."""
    now = now or dt.datetime.now(dt.UTC)
    directory = authority.directory / "tls"
    directory.mkdir(mode=0o700, exist_ok=True)
    files = ServerTls(directory / "server-chain.pem", directory / "server.key", directory / "client-ca.pem")
    wanted = sorted(set(hosts))
    if files.cert_chain.exists() and files.key.exists():
        current = x509.load_pem_x509_certificates(files.cert_chain.read_bytes())[0]
        names = sorted(
            str(n.value)
            for n in current.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        )
        if names == wanted and current.not_valid_after_utc - _RENEW_BEFORE > now:
            return files
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, wanted[0])]))
        .issuer_name(authority.root.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + _VALIDITY)
        .add_extension(x509.SubjectAlternativeName([_san(h) for h in wanted]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(authority.root.key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    files.key.touch(mode=0o600)
    files.key.write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    files.cert_chain.write_bytes(cert.public_bytes(pem) + authority.root.cert.public_bytes(pem))
    files.client_ca.write_bytes(
        authority.terminal_ca.cert.public_bytes(pem) + authority.root.cert.public_bytes(pem)
    )
    return files
