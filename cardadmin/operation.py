"""The one operation an administrative authentication unlocks, and its TLV encoding."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import IntEnum

from asn1crypto import parser

_CONTEXT = 2  # asn1crypto class number for context-specific tags
_OPERATION_TAG = 0  # A0
_OP_TAG, _TARGET_TAG, _HASH_TAG = 0, 1, 2  # 80, 81, 82


class AdminOp(IntEnum):
    GENERATE_KEY = 0x01
    WRITE_CERTIFICATE = 0x02
    RESET_PIN = 0x03
    LOCK_PIN = 0x04
    ERASE_KEY = 0x05


# Which EFs of the JPKI AP each operation may name (docs/card-admin.md §3).
AUTH_KEY, SIGN_KEY = 0x0017, 0x001A
AUTH_PIN, SIGN_PIN = 0x0018, 0x001B
AUTH_CERT, AUTH_CA_CERT, SIGN_CERT, SIGN_CA_CERT = 0x000A, 0x000B, 0x0001, 0x0002

ALLOWED_TARGETS: dict[AdminOp, frozenset[int]] = {
    AdminOp.GENERATE_KEY: frozenset({AUTH_KEY, SIGN_KEY}),
    AdminOp.ERASE_KEY: frozenset({AUTH_KEY, SIGN_KEY}),
    AdminOp.WRITE_CERTIFICATE: frozenset({AUTH_CERT, AUTH_CA_CERT, SIGN_CERT, SIGN_CA_CERT}),
    AdminOp.RESET_PIN: frozenset({AUTH_PIN, SIGN_PIN}),
    AdminOp.LOCK_PIN: frozenset({AUTH_PIN, SIGN_PIN}),
}


@dataclass(frozen=True)
class AdminOperation:
    """Exactly one operation on one EF; a certificate write is also bound to the certificate's hash."""

    op: AdminOp
    target: int
    data_hash: bytes | None = None

    def __post_init__(self) -> None:
        if self.target not in ALLOWED_TARGETS[self.op]:
            raise ValueError(f"{self.op.name} cannot target EF {self.target:04X}")
        needs_hash = self.op is AdminOp.WRITE_CERTIFICATE
        if needs_hash != (self.data_hash is not None):
            raise ValueError(f"{self.op.name} {'needs' if needs_hash else 'takes no'} data hash")
        if self.data_hash is not None and len(self.data_hash) != 32:
            raise ValueError("data hash must be a SHA-256 digest")

    @classmethod
    def write_certificate(cls, target: int, der: bytes) -> AdminOperation:
        return cls(AdminOp.WRITE_CERTIFICATE, target, hashlib.sha256(der).digest())

    def encode(self) -> bytes:
        inner = parser.emit(_CONTEXT, 0, _OP_TAG, bytes([self.op]))
        inner += parser.emit(_CONTEXT, 0, _TARGET_TAG, self.target.to_bytes(2, "big"))
        if self.data_hash is not None:
            inner += parser.emit(_CONTEXT, 0, _HASH_TAG, self.data_hash)
        return parser.emit(_CONTEXT, 1, _OPERATION_TAG, inner)

    @classmethod
    def decode(cls, data: bytes) -> AdminOperation:
        """Strict decode: anything but the canonical encoding is refused (ValueError)."""
        try:
            class_, method, tag, _h, contents, _trailer = parser.parse(data, strict=True)
            if (class_, method, tag) != (_CONTEXT, 1, _OPERATION_TAG):
                raise ValueError("not an operation template")
            fields: dict[int, bytes] = {}
            offset = 0
            while offset < len(contents):
                f_class, f_method, f_tag, _h, value, _t = parser.parse(contents[offset:])
                offset += len(_h) + len(value)
                if f_class != _CONTEXT or f_method != 0 or f_tag in fields:
                    raise ValueError("unexpected field in operation template")
                fields[f_tag] = value
            op_bytes, target = fields.get(_OP_TAG, b""), fields.get(_TARGET_TAG, b"")
            if len(op_bytes) != 1 or len(target) != 2 or set(fields) - {_OP_TAG, _TARGET_TAG, _HASH_TAG}:
                raise ValueError("malformed operation template")
            decoded = cls(AdminOp(op_bytes[0]), int.from_bytes(target, "big"), fields.get(_HASH_TAG))
        except (ValueError, TypeError) as exc:  # asn1crypto raises ValueError on bad BER
            raise ValueError(f"bad admin operation: {exc}") from None
        if decoded.encode() != data:
            raise ValueError("bad admin operation: not canonically encoded")
        return decoded
