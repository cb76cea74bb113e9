"""DigestInfo (RFC 8017 §9.2) — what the card signs with COMPUTE DIGITAL SIGNATURE P1 00."""

from __future__ import annotations

import hashlib

from asn1crypto import algos, core

_NAMES = {"sha256": 32, "sha384": 48, "sha512": 64}


def digest_info(digest: bytes, algorithm: str = "sha256") -> bytes:
    if _NAMES.get(algorithm) != len(digest):
        raise ValueError(f"not a {algorithm} digest")
    # Parameters NULL, as RFC 8017 and every PKCS#1 v1.5 verifier expect.
    return algos.DigestInfo(
        {"digest_algorithm": {"algorithm": algorithm, "parameters": core.Null()}, "digest": digest}
    ).dump()


def sha256_digest_info(message: bytes) -> bytes:
    return digest_info(hashlib.sha256(message).digest())
