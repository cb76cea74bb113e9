"""The terminal's wiring the counter flows run on: store, central link, relay, clocks, trust."""

from __future__ import annotations

import random
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy.orm import Session, sessionmaker

from kiosk.flows.counter.machine import Recorder
from kiosk.reader.authenticity import IssuerTrust
from kiosk.store.audit import append_audit
from kiosk.store.sealed import Sealer
from kiosk.sync.central import CentralLink, CmpAdminAuthorizer
from kiosk.sync.relay import Relay


class RecipientError(ValueError):
    """The central's encryption certificate is missing or not from the central's root."""


def load_recipient(path: Path, root: x509.Certificate) -> rsa.RSAPublicKey:
    """The key applications are encrypted to (規則 7, 44): the central's encryption certificate,
    accepted only if it chains to the central's root — a swapped file must not redirect applications.

    The file holds the encryption certificate first, then the CA certificates between it and the
    root, if any (the central's is issued by its terminal CA: `encryption.pem`, `terminal-ca.pem`)."""
    try:
        chain = x509.load_pem_x509_certificates(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise RecipientError(f"{path}: {exc}") from exc
    if not chain:
        raise RecipientError(f"{path}: no certificate")
    for cert, issuer in zip(chain, [*chain[1:], root], strict=True):
        if issuer is not root and not _is_ca(issuer):
            raise RecipientError(f"{path}: {issuer.subject.rfc4514_string()} is not a CA certificate")
        try:
            cert.verify_directly_issued_by(issuer)  # issuer name and signature
        except (ValueError, TypeError, InvalidSignature) as exc:
            raise RecipientError(f"{path}: does not chain to the central's root ({exc})") from exc
    key = chain[0].public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise RecipientError(f"{path}: not an RSA key")
    return key


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class CounterTerminal:
    """Everything a counter flow needs from the terminal. One per running kiosk."""

    sessions: sessionmaker[Session]
    sealer: Sealer
    link: CentralLink
    relay: Relay
    terminal_id: str
    signing_key: rsa.RSAPrivateKey  # the terminal key: signs application envelopes
    recipient: rsa.RSAPublicKey  # the central's encryption key
    trust: IssuerTrust | None  # card authenticity; None → "not checked" (nothing offered)
    clock: Callable[[], datetime] = utcnow
    rng: random.Random = field(default_factory=secrets.SystemRandom)
    sleep: Callable[[float], None] = time.sleep
    # How long a flow waits for 機構's certificate before telling the resident it will follow.
    certificate_wait_s: float = 60.0

    def authorizer(self, application_number: int) -> CmpAdminAuthorizer:
        return CmpAdminAuthorizer(self.link, application_number)

    def record(self, actor: str, subject: str) -> Recorder:
        """An audit recorder bound to an actor (the operator) and a subject (the application)."""

        def append(action: str, details: Mapping[str, str | int | bool | None]) -> None:
            with self.sessions.begin() as session:
                append_audit(
                    session, actor=actor, action=action, subject=subject, details=details, now=self.clock()
                )

        return append
