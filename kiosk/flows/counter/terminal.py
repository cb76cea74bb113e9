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
from cryptography.hazmat.primitives.asymmetric import padding, rsa
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
    accepted only if the central's root signed it — a swapped file must not redirect applications."""
    try:
        cert = x509.load_pem_x509_certificate(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise RecipientError(f"{path}: {exc}") from exc
    root_key = root.public_key()
    if cert.issuer != root.subject or not isinstance(root_key, rsa.RSAPublicKey):
        raise RecipientError(f"{path}: not issued by the central's root")
    hash_algorithm = cert.signature_hash_algorithm
    if hash_algorithm is None:
        raise RecipientError(f"{path}: unsupported signature")
    try:
        root_key.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), hash_algorithm)
    except Exception as exc:
        raise RecipientError(f"{path}: signature does not verify with the central's root") from exc
    key = cert.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise RecipientError(f"{path}: not an RSA key")
    return key


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
