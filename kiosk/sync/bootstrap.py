"""A terminal's first certificate, over CMP, with its one-time bootstrap secret (RFC 9483 §4.1.5).

The installer has the secret (printed at `central terminal register`) and the central's root
certificate, whose fingerprint they check out of band. The terminal generates its key, sends a
p10cr MAC-protected (PBM) with the secret over server-authenticated TLS, and keeps the answer
only if it is MAC-protected with the same secret, certifies *this* key, and chains to that root.

Crash-safe: the key and the protected request are stored before anything is sent, and a rerun
resends the very same bytes, which the central answers again from its intake record. The
secret is spent at the first issuance, so a fresh request after a lost answer would be refused.
"""

from __future__ import annotations

import logging
import os
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

import lcmp
import lcmp.client
import lcmp.http
from kiosk.sync.central import CentralUnreachable, TerminalIdentity
from lcmp.jpki_items import normalise_bootstrap_secret

_log = logging.getLogger(__name__)

TERMINAL_KEY_BITS = 2048  # 規則 2, 38: RSA ≥ 2048
KEY_FILE, CERT_FILE, ROOT_FILE = "terminal.key", "terminal.pem", "central-root.pem"
REQUEST_FILE = "bootstrap-request.der"  # the protected p10cr, until its answer is kept


class BootstrapFailed(Exception):
    """The central refused, or answered with something this terminal must not trust."""


@dataclass(frozen=True)
class Bootstrapped:
    identity: TerminalIdentity
    certificate: x509.Certificate
    resent: bool  # the stored request of an interrupted earlier run was sent again


def identity_in(directory: Path) -> TerminalIdentity:
    return TerminalIdentity(directory / KEY_FILE, directory / CERT_FILE, directory / ROOT_FILE)


def _write_private(path: Path, data: bytes) -> None:
    """Atomically, 0600 from the start (never world-readable, even for an instant)."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    tmp.replace(path)


def _pem(*certs: x509.Certificate) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


def bootstrap(
    url: str,
    terminal_id: str,
    secret: str,
    central_root: x509.Certificate,
    directory: Path,
    *,
    timeout: float = 30.0,
) -> Bootstrapped:
    """Enrol this terminal; its credentials end up in `directory` (created 0700)."""
    identity = identity_in(directory)
    if identity.cert_file.exists():
        raise FileExistsError(f"{identity.cert_file} exists: this terminal is bootstrapped already")
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    key_bytes = normalise_bootstrap_secret(secret)
    protection = lcmp.PbmProtection(key_bytes, terminal_id.encode())
    root_pem = central_root.public_bytes(serialization.Encoding.PEM).decode()
    context = ssl.create_default_context(cadata=root_pem)  # server-authenticated TLS only
    client = lcmp.CmpClient(
        lcmp.http.transport(url, ssl_context=context, timeout=timeout),
        protection,
        _answer_check(key_bytes, central_root),
        recipient=x509.Name([]),
    )
    request_file = directory / REQUEST_FILE
    resent = request_file.exists() and identity.key_file.exists()
    if resent:
        key = serialization.load_pem_private_key(identity.key_file.read_bytes(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError(f"{identity.key_file}: not an RSA key")
        request = request_file.read_bytes()
        _log.info("terminal %s: resending the stored bootstrap request", terminal_id)
    else:
        key = rsa.generate_private_key(public_exponent=65537, key_size=TERMINAL_KEY_BITS)
        csr = (
            x509.CertificateSigningRequestBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, terminal_id)]))
            .sign(key, hashes.SHA256())
        )
        _write_private(
            identity.key_file,
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ),
        )
        request = client.prepare_p10cr(csr, implicit_confirm=True)
        _write_private(request_file, request)
    try:
        enrollment = client.send_p10cr(request)
    except lcmp.CmpRejected as exc:
        # A definite no (wrong or spent secret): start afresh next time, with whatever secret the
        # installer types then — the stored request is MAC'd with this one.
        request_file.unlink()
        identity.key_file.unlink()
        raise BootstrapFailed(f"the central refused the bootstrap: {exc}") from exc
    except lcmp.CmpTransportError as exc:
        raise CentralUnreachable(str(exc)) from exc
    except lcmp.CmpError as exc:  # answer not MAC-protected with our secret, wrong transaction, …
        raise BootstrapFailed(f"the central's answer is not acceptable: {exc}") from exc
    certificate = enrollment.certificate
    chain = _check(enrollment, key, terminal_id, central_root)
    # The certificate last: its presence means "bootstrapped", so everything else is there first.
    _write_private(identity.central_root_file, _pem(central_root))
    _write_private(identity.cert_file, _pem(certificate, *chain))
    request_file.unlink()
    _log.info("terminal %s bootstrapped: certificate %X", terminal_id, certificate.serial_number)
    return Bootstrapped(identity, certificate, resent)


def _answer_check(secret: bytes, root: x509.Certificate) -> lcmp.client.ResponseCheck:
    """MAC'd with our secret — or, for a refusal of a MAC the central could not verify (it cannot
    know who asks), signed by the central's CMP key under the root we were given."""
    by_secret = lcmp.SharedSecretTrust(secret)
    by_central = lcmp.SignerTrust((root,))

    def check(message: lcmp.Message) -> object:
        protection = message.protection
        if protection is not None and protection.algorithm.oid == lcmp.PASSWORD_BASED_MAC:
            return by_secret(message)
        return by_central(message)

    return check


def _check(
    enrollment: lcmp.Enrollment, key: rsa.RSAPrivateKey, terminal_id: str, root: x509.Certificate
) -> list[x509.Certificate]:
    """The certificate is for our key and name and chains to the root we were given; returns the
    intermediates (what the terminal presents in TLS after its own certificate)."""
    certificate = enrollment.certificate
    if certificate.public_key() != key.public_key():
        raise BootstrapFailed("the certificate is not for this terminal's key")
    names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if [n.value for n in names] != [terminal_id]:
        raise BootstrapFailed("the certificate names another terminal")
    intermediates = [c for c in enrollment.extra_certs if c not in {root, certificate}]
    try:
        lcmp.verify_chain(certificate, [root], intermediates, required_eku=lcmp.CMC_RA)
    except lcmp.CmpError as exc:
        raise BootstrapFailed(f"the certificate does not chain to the central's root: {exc}") from exc
    issuer = next((c for c in intermediates if c.subject == certificate.issuer), None)
    if issuer is None:
        raise BootstrapFailed("the answer lacks the terminal CA certificate")
    return [issuer]
