"""Message protection (RFC 9810 §5.1.3): signatures with a certificate, and PasswordBasedMac.

Protection is computed over the DER of ProtectedPart{header, body}. Building a protected message
is `lcmp.codec.encode(message, protector)`; checking one is `verify_signature` (returns the CMP
protection certificate, trust is decided in `lcmp.trust`) or `verify_pbm`. Any failure here is a
`CmpError` with badMessageCheck (bad or missing protection) or badAlg (algorithm we do not take).
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass
from typing import Protocol

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from pyasn1.type import univ
from pyasn1_alt_modules import rfc9810

from lcmp import asn1
from lcmp.errors import CmpError, FailureInfo
from lcmp.messages import AlgorithmId, Message, ReceivedProtection

NULL_PARAMETERS = asn1.encode(univ.Null(""))

SHA256_WITH_RSA = "1.2.840.113549.1.1.11"
ECDSA_WITH_SHA256 = "1.2.840.10045.4.3.2"
PASSWORD_BASED_MAC = str(rfc9810.id_PasswordBasedMac)  # 1.2.840.113533.7.66.13

# Signature algorithms accepted on received messages (RFC 9481 §3): OID → (key type, hash).
_RSA, _EC, _ED25519 = "RSA", "EC", "Ed25519"
_SIGNATURE_ALGORITHMS: dict[str, tuple[str, hashes.HashAlgorithm | None]] = {
    SHA256_WITH_RSA: (_RSA, hashes.SHA256()),
    "1.2.840.113549.1.1.12": (_RSA, hashes.SHA384()),
    "1.2.840.113549.1.1.13": (_RSA, hashes.SHA512()),
    ECDSA_WITH_SHA256: (_EC, hashes.SHA256()),
    "1.2.840.10045.4.3.3": (_EC, hashes.SHA384()),
    "1.2.840.10045.4.3.4": (_EC, hashes.SHA512()),
    "1.3.101.112": (_ED25519, None),
}

# PBM one-way functions and MACs (RFC 9481 §6.1.1, §2 and §6.2.1). HMAC-SHA1 (OpenSSL's default
# `-mac`) is deliberately absent: peers must say `-mac hmacWithSHA256`.
_OWFS = {
    "2.16.840.1.101.3.4.2.1": "sha256",
    "2.16.840.1.101.3.4.2.2": "sha384",
    "2.16.840.1.101.3.4.2.3": "sha512",
}
HMAC_SHA1 = "1.3.6.1.5.5.8.1.2"
_HMACS = {
    "1.2.840.113549.2.9": "sha256",
    "1.2.840.113549.2.10": "sha384",
    "1.2.840.113549.2.11": "sha512",
}
SHA256 = "2.16.840.1.101.3.4.2.1"
HMAC_WITH_SHA256 = "1.2.840.113549.2.9"
# OpenSSL uses 500 iterations; below 100 the secret is too cheap to guess offline, and above the
# cap one message could keep a server busy (RFC 9810 §5.1.3.1 asks receivers to bound it).
MIN_PBM_ITERATIONS = 100
MAX_PBM_ITERATIONS = 20_000
DEFAULT_PBM_ITERATIONS = 10_000

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


class Protector(Protocol):
    """How `encode` protects: the senderKID and extraCerts to send, a fresh algorithm, the bits."""

    @property
    def sender_kid(self) -> bytes | None: ...

    @property
    def extra_certs(self) -> tuple[x509.Certificate, ...]: ...

    def algorithm(self) -> AlgorithmId: ...

    def compute(self, algorithm: AlgorithmId, protected_part: bytes) -> bytes: ...


@dataclass(frozen=True)
class SignatureProtection:
    """Sign with `key`; `certificate` (then `chain`) goes first in extraCerts (RFC 9483 §3.3)."""

    key: PrivateKey
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...] = ()

    def __post_init__(self) -> None:
        if self.key.public_key() != self.certificate.public_key():
            raise ValueError("the protection key does not belong to the protection certificate")

    @property
    def sender_kid(self) -> bytes | None:
        # RFC 9483 §3.1: senderKID MUST be the subjectKeyIdentifier when the certificate has one.
        return _subject_key_id(self.certificate)

    @property
    def extra_certs(self) -> tuple[x509.Certificate, ...]:
        return (self.certificate, *self.chain)

    def algorithm(self) -> AlgorithmId:
        if isinstance(self.key, rsa.RSAPrivateKey):
            return AlgorithmId(SHA256_WITH_RSA, NULL_PARAMETERS)  # RFC 4055: NULL parameters
        return AlgorithmId(ECDSA_WITH_SHA256)  # RFC 5758: parameters absent

    def compute(self, algorithm: AlgorithmId, protected_part: bytes) -> bytes:
        if isinstance(self.key, rsa.RSAPrivateKey):
            return self.key.sign(protected_part, padding.PKCS1v15(), hashes.SHA256())
        return self.key.sign(protected_part, ec.ECDSA(hashes.SHA256()))


@dataclass(frozen=True)
class PbmProtection:
    """PasswordBasedMac with a shared secret; `reference` (senderKID) tells the peer which one.

    Used once per terminal, with its one-time bootstrap secret (`openssl cmp -ref/-secret`).
    """

    secret: bytes
    reference: bytes
    iterations: int = DEFAULT_PBM_ITERATIONS

    def __post_init__(self) -> None:
        if not self.secret or not self.reference:
            raise ValueError("PBM needs a secret and a reference")
        if not MIN_PBM_ITERATIONS <= self.iterations <= MAX_PBM_ITERATIONS:
            raise ValueError(f"PBM iteration count must be {MIN_PBM_ITERATIONS}..{MAX_PBM_ITERATIONS}")

    @property
    def sender_kid(self) -> bytes | None:
        return self.reference

    @property
    def extra_certs(self) -> tuple[x509.Certificate, ...]:
        return ()

    def algorithm(self) -> AlgorithmId:
        params = rfc9810.PBMParameter()
        params["salt"] = os.urandom(16)  # fresh per message
        params["owf"]["algorithm"] = univ.ObjectIdentifier(SHA256)
        params["iterationCount"] = self.iterations
        params["mac"]["algorithm"] = univ.ObjectIdentifier(HMAC_WITH_SHA256)
        return AlgorithmId(PASSWORD_BASED_MAC, asn1.encode(params))

    def compute(self, algorithm: AlgorithmId, protected_part: bytes) -> bytes:
        return _pbm_mac(algorithm, self.secret, protected_part)


def _subject_key_id(cert: x509.Certificate) -> bytes | None:
    try:
        return cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    except x509.ExtensionNotFound:
        return None


def _received(message: Message) -> ReceivedProtection:
    if message.protection is None:
        raise CmpError(FailureInfo.badMessageCheck, f"{message.body.kind} message is not protected")
    return message.protection


def verify_signature(message: Message) -> x509.Certificate:
    """Check a signature-protected message; return its CMP protection certificate (untrusted yet).

    The signer is the first certificate in extraCerts (RFC 9483 §3.3). Whether that certificate
    may sign is for `lcmp.trust` to say.
    """
    protection = _received(message)
    oid = protection.algorithm.oid
    if oid == PASSWORD_BASED_MAC:
        raise CmpError(
            FailureInfo.badMessageCheck | FailureInfo.wrongIntegrity, "MAC-protected; a signature is required"
        )
    if oid not in _SIGNATURE_ALGORITHMS:
        raise CmpError(FailureInfo.badAlg, f"unsupported protection algorithm {oid}")
    key_type, hash_algorithm = _SIGNATURE_ALGORITHMS[oid]
    params = protection.algorithm.parameters
    if params is not None and not (key_type == _RSA and params == NULL_PARAMETERS):
        raise CmpError(FailureInfo.badAlg, f"unexpected parameters for {oid}")
    if not message.extra_certs:
        raise CmpError(FailureInfo.badMessageCheck, "no CMP protection certificate in extraCerts")
    signer = message.extra_certs[0]
    kid = _subject_key_id(signer)
    if message.header.sender_kid is not None and kid is not None and kid != message.header.sender_kid:
        raise CmpError(FailureInfo.badMessageCheck, "senderKID is not the protection certificate's key id")
    public_key = signer.public_key()
    try:
        if key_type == _RSA and isinstance(public_key, rsa.RSAPublicKey) and hash_algorithm:
            public_key.verify(protection.value, protection.protected_part, padding.PKCS1v15(), hash_algorithm)
        elif key_type == _EC and isinstance(public_key, ec.EllipticCurvePublicKey) and hash_algorithm:
            public_key.verify(protection.value, protection.protected_part, ec.ECDSA(hash_algorithm))
        elif key_type == _ED25519 and isinstance(public_key, ed25519.Ed25519PublicKey):
            public_key.verify(protection.value, protection.protected_part)
        else:
            raise CmpError(FailureInfo.badAlg, f"{oid} does not fit the protection certificate's key")
    except InvalidSignature as exc:
        raise CmpError(FailureInfo.badMessageCheck, "protection signature does not verify") from exc
    return signer


def verify_pbm(message: Message, secret: bytes, *, allow_hmac_sha1: bool = False) -> None:
    """Check a PasswordBasedMac-protected message against `secret` (looked up by senderKID).

    `allow_hmac_sha1` accepts OpenSSL's default MAC; only for talking to `openssl cmp` peers.
    """
    protection = _received(message)
    if protection.algorithm.oid != PASSWORD_BASED_MAC:
        raise CmpError(
            FailureInfo.badMessageCheck | FailureInfo.wrongIntegrity, "signature-protected; a MAC is required"
        )
    expected = _pbm_mac(protection.algorithm, secret, protection.protected_part, allow_hmac_sha1)
    if not hmac.compare_digest(expected, protection.value):
        raise CmpError(FailureInfo.badMessageCheck, "PBM value does not verify (wrong secret or altered)")


def _pbm_mac(algorithm: AlgorithmId, secret: bytes, data: bytes, allow_hmac_sha1: bool = False) -> bytes:
    if algorithm.parameters is None:
        raise CmpError(FailureInfo.badAlg, "PasswordBasedMac without PBMParameter")
    params = asn1.decode(algorithm.parameters, rfc9810.PBMParameter(), "PBMParameter")
    owf = _OWFS.get(str(params["owf"]["algorithm"]))
    mac_oid = str(params["mac"]["algorithm"])
    mac = "sha1" if allow_hmac_sha1 and mac_oid == HMAC_SHA1 else _HMACS.get(mac_oid)
    if owf is None or mac is None:
        raise CmpError(
            FailureInfo.badAlg,
            f"unsupported PBM owf {params['owf']['algorithm']} / mac {params['mac']['algorithm']}",
        )
    for part in ("owf", "mac"):
        raw = params[part]["parameters"]
        if raw.isValue and bytes(raw) != NULL_PARAMETERS:
            raise CmpError(FailureInfo.badAlg, f"unexpected PBM {part} parameters")
    iterations = int(params["iterationCount"])
    if not MIN_PBM_ITERATIONS <= iterations <= MAX_PBM_ITERATIONS:
        raise CmpError(FailureInfo.badAlg, f"PBM iteration count {iterations} out of bounds")
    # RFC 9810 §5.1.3.1: BASEKEY = OWF applied iterationCount times to secret || salt; for HMAC
    # with a key no longer than the hash, the key is BASEKEY itself.
    key = hashlib.new(owf, secret + bytes(params["salt"])).digest()
    for _ in range(iterations - 1):
        key = hashlib.new(owf, key).digest()
    return hmac.new(key, data, mac).digest()
