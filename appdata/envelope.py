"""The application envelope: JWE (RSA-OAEP-256 + A256GCM) to the central's encryption key,
wrapping a JWS (RS256 or PS256) by the terminal's key over the JSON application payload.

Sign-then-encrypt: the signature proves which terminal sent the application (規則 73-3 records,
SYNC.md §4), the encryption keeps the content from every relay and queue in between (規則 7,
44). Nested-JWT shape (RFC 7519 §5.2): the JWE header says `cty: JWT`; the JWS payload is a JSON
object with the claims `application_id`, `terminal_id`, `iat`, `exp` and the `application`.

Imports nothing from `central` but the payload schema, so the kiosk side can share it verbatim.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc import jwe, jws
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

from appdata.model import ApplicationData

JWE_ALG, JWE_ENC = "RSA-OAEP-256", "A256GCM"
JWS_ALGORITHMS = ("RS256", "PS256")
TYP = "application+jwt"
DEFAULT_LIFETIME = dt.timedelta(days=14)  # 計画: applications dispatched within 14 days
CLOCK_SKEW = dt.timedelta(minutes=5)  # a terminal clock may run a little ahead


class EnvelopeInvalid(ValueError):
    """Decryption, signature, claims or payload failed. Never carries decrypted content."""


@dataclass(frozen=True, repr=False)
class OpenedApplication:
    data: ApplicationData
    terminal_id: str
    issued_at: dt.datetime
    expires_at: dt.datetime
    envelope_sha256: str

    @property
    def application_id(self) -> str:
        return self.data.application_id

    def __repr__(self) -> str:
        return f"OpenedApplication({self.application_id!r}, terminal={self.terminal_id!r})"


def envelope_digest(envelope: str) -> str:
    return hashlib.sha256(envelope.encode("ascii")).hexdigest()


def seal_application(
    data: ApplicationData,
    *,
    terminal_id: str,
    signing_key: rsa.RSAPrivateKey,
    recipient: rsa.RSAPublicKey,
    now: dt.datetime,
    lifetime: dt.timedelta = DEFAULT_LIFETIME,
    algorithm: str = "PS256",
) -> str:
    """Kiosk side: sign with the terminal key, then encrypt to the central. Returns compact JWE."""
    if algorithm not in JWS_ALGORITHMS:
        raise ValueError(f"signature algorithm must be one of {JWS_ALGORITHMS}")
    issued = int(now.timestamp())
    claims = {
        "application_id": data.application_id,
        "terminal_id": terminal_id,
        "iat": issued,
        "exp": issued + int(lifetime.total_seconds()),
        "application": data.to_json(),
    }
    payload = json.dumps(claims, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
    signed = jws.serialize_compact(
        {"alg": algorithm, "typ": TYP, "kid": terminal_id},
        payload,
        RSAKey.import_key(signing_key),
        algorithms=[algorithm],
    )
    return jwe.encrypt_compact(
        {"alg": JWE_ALG, "enc": JWE_ENC, "cty": "JWT", "kid": key_id(recipient)},
        signed,
        RSAKey.import_key(recipient),
        algorithms=[JWE_ALG, JWE_ENC],
    )


def open_application(
    envelope: str,
    *,
    decryption_key: rsa.RSAPrivateKey,
    terminal_key: Callable[[str], rsa.RSAPublicKey],
    now: dt.datetime,
    expected_terminal_id: str | None = None,
    check_expiry: bool = True,
) -> OpenedApplication:
    """Central side: decrypt, find the signer's key by the JWS `kid`, verify, check the claims.

    `terminal_key(terminal_id)` returns that terminal's verification key or raises LookupError.
    `expected_terminal_id` is the sender the transport authenticated; the signer must be it.
    `check_expiry=False` is for re-opening an envelope that was accepted earlier.
    """
    signed = _decrypt(envelope, decryption_key)
    unverified_kid = _signer_id(signed)
    if expected_terminal_id is not None and unverified_kid != expected_terminal_id:
        raise EnvelopeInvalid("signed by another terminal than the sender")
    try:
        verify_key = terminal_key(unverified_kid)
    except LookupError:
        raise EnvelopeInvalid("signer is not a known, active terminal") from None
    try:
        verified = jws.deserialize_compact(
            signed, RSAKey.import_key(verify_key), algorithms=list(JWS_ALGORITHMS)
        )
    except (JoseError, ValueError) as exc:
        raise EnvelopeInvalid(f"signature does not verify ({type(exc).__name__})") from None
    if verified.protected.get("typ") != TYP:
        raise EnvelopeInvalid("unexpected JWS type")
    claims = _claims(verified.payload)
    if claims["terminal_id"] != unverified_kid:
        raise EnvelopeInvalid("terminal_id claim differs from the signer")
    issued_at = dt.datetime.fromtimestamp(claims["iat"], dt.UTC)
    expires_at = dt.datetime.fromtimestamp(claims["exp"], dt.UTC)
    if expires_at <= issued_at:
        raise EnvelopeInvalid("exp not after iat")
    if check_expiry:
        _check_times(issued_at, expires_at, now)
    try:
        data = ApplicationData.from_json(claims["application"])
    except ValueError as exc:
        raise EnvelopeInvalid(str(exc)) from None
    if data.application_id != claims["application_id"]:
        raise EnvelopeInvalid("application_id claim differs from the payload")
    return OpenedApplication(data, unverified_kid, issued_at, expires_at, envelope_digest(envelope))


def _decrypt(envelope: str, decryption_key: rsa.RSAPrivateKey) -> bytes:
    try:
        decrypted = jwe.decrypt_compact(
            envelope, RSAKey.import_key(decryption_key), algorithms=[JWE_ALG, JWE_ENC]
        )
    except (JoseError, ValueError) as exc:
        raise EnvelopeInvalid(f"cannot decrypt envelope ({type(exc).__name__})") from None
    header = decrypted.protected
    if header.get("alg") != JWE_ALG or header.get("enc") != JWE_ENC or header.get("cty") != "JWT":
        raise EnvelopeInvalid("unexpected JWE header")
    if not decrypted.plaintext:
        raise EnvelopeInvalid("empty envelope")
    return decrypted.plaintext


def _signer_id(signed: bytes) -> str:
    """The JWS `kid`, read before verification only to pick the key; nothing else is trusted yet."""
    try:
        kid = jws.extract_compact(signed).protected.get("kid")
    except (JoseError, ValueError) as exc:
        raise EnvelopeInvalid(f"inner JWS malformed ({type(exc).__name__})") from None
    if not isinstance(kid, str):
        raise EnvelopeInvalid("inner JWS names no signer")
    return kid


def _check_times(issued_at: dt.datetime, expires_at: dt.datetime, now: dt.datetime) -> None:
    if issued_at > now + CLOCK_SKEW:
        raise EnvelopeInvalid("issued in the future")
    if now >= expires_at:
        raise EnvelopeInvalid("envelope expired")


def key_id(key: rsa.RSAPublicKey) -> str:
    """RFC 7638 thumbprint: lets the central rotate its encryption key and still find the old one."""
    return RSAKey.import_key(key).thumbprint()


def _claims(payload: bytes) -> dict[str, Any]:
    try:
        claims = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise EnvelopeInvalid("JWS payload is not JSON") from None
    if not isinstance(claims, dict) or set(claims) != {
        "application_id",
        "terminal_id",
        "iat",
        "exp",
        "application",
    }:
        raise EnvelopeInvalid("unexpected claims")
    for name in ("application_id", "terminal_id"):
        if not isinstance(claims[name], str):
            raise EnvelopeInvalid(f"claim {name} is not a string")
    for name in ("iat", "exp"):
        if not isinstance(claims[name], int) or isinstance(claims[name], bool):
            raise EnvelopeInvalid(f"claim {name} is not an integer")
    return claims
