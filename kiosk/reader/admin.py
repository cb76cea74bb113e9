"""Issuance commands on the card, behind one interface (docs/card-admin.md).

`CardIssuer` is what flows use. `ChallengeResponseIssuer` implements it with our command set and
an `AdminAuthorizer` — in production the central CA, which alone can compute responses. A real
municipal security module and the real card's (non-public) commands would be another
`CardIssuer`; nothing above this module would change.
"""

from __future__ import annotations

from typing import Protocol

from cryptography.hazmat.primitives.asymmetric import rsa

from cardadmin import CARD_ID_LENGTH, CHALLENGE_LENGTH, RESPONSE_LENGTH, AdminOp, AdminOperation
from kiosk.domain.secret import Secret
from kiosk.reader import tlv
from kiosk.reader.apdu import CommandApdu
from kiosk.reader.cvc import rsa_key_from_tlv
from kiosk.reader.jpki import CertSlot, JpkiKey, JpkiPin, JpkiSession

TAG_PUBLIC_KEY = 0x7F49
_TAG_MODULUS, _TAG_EXPONENT = 0x81, 0x82


class AdminAuthorizer(Protocol):
    """Computes — or obtains from whoever holds the master key — the response for one operation."""

    def authorize(self, card_id: bytes, challenge: bytes, operation: AdminOperation) -> bytes: ...


class CardIssuer(Protocol):
    def generate_key_pair(self, key: JpkiKey) -> rsa.RSAPublicKey: ...

    def read_public_key(self, key: JpkiKey) -> rsa.RSAPublicKey: ...

    def write_certificate(self, slot: CertSlot, der: bytes) -> None: ...

    def reset_pin(self, pin: JpkiPin, new_pin: Secret) -> None: ...

    def lock_pin(self, pin: JpkiPin) -> None: ...

    def erase_key(self, key: JpkiKey) -> None: ...


def parse_public_key(data: bytes) -> rsa.RSAPublicKey:
    """`7F 49 { 81 modulus, 82 exponent }` (ISO 7816-8 / PIV shape)."""
    template = tlv.expect(data, TAG_PUBLIC_KEY).value
    key = rsa_key_from_tlv(template, exponent_tag=_TAG_EXPONENT, modulus_tag=_TAG_MODULUS)
    if key.key_size < 2048:  # 規則 2, 38
        raise ValueError(f"card produced an RSA-{key.key_size} key; at least 2048 bits required")
    return key


class ChallengeResponseIssuer:
    """docs/card-admin.md §6: BEGIN ADMIN → authorizer → ADMIN AUTHENTICATE → the one command."""

    def __init__(self, session: JpkiSession, authorizer: AdminAuthorizer) -> None:
        self.session = session
        self.authorizer = authorizer

    def _authorize(self, operation: AdminOperation) -> None:
        send = self.session.transport.send
        begin = CommandApdu(
            0x80,
            0xA8,
            0x00,
            0x00,
            operation.encode(),
            ne=CARD_ID_LENGTH + CHALLENGE_LENGTH,
            name=f"BEGIN ADMIN {operation.op.name}",
        )
        answer = send(begin).data
        if len(answer) != CARD_ID_LENGTH + CHALLENGE_LENGTH:
            raise ValueError(f"BEGIN ADMIN answered {len(answer)} bytes")
        card_id, challenge = answer[:CARD_ID_LENGTH], answer[CARD_ID_LENGTH:]
        response = self.authorizer.authorize(card_id, challenge, operation)
        if len(response) != RESPONSE_LENGTH:
            raise ValueError("authorizer returned a response of the wrong length")
        send(CommandApdu(0x80, 0xAA, 0x00, 0x00, response, name="ADMIN AUTHENTICATE"))

    def generate_key_pair(self, key: JpkiKey) -> rsa.RSAPublicKey:
        """New RSA-2048 pair on the card; the old key and its certificate are gone."""
        self._authorize(AdminOperation(AdminOp.GENERATE_KEY, key.value))
        cmd = CommandApdu(0x00, 0x47, 0x00, key.value & 0xFF, ne=65536, name=f"GENERATE KEY PAIR {key.name}")
        return parse_public_key(self.session.transport.send(cmd).data)

    def read_public_key(self, key: JpkiKey) -> rsa.RSAPublicKey:
        cmd = CommandApdu(0x00, 0x47, 0x81, key.value & 0xFF, ne=65536, name=f"READ PUBLIC KEY {key.name}")
        return parse_public_key(self.session.transport.send(cmd).data)

    def write_certificate(self, slot: CertSlot, der: bytes) -> None:
        """Replace the certificate file as a whole (UPDATE BINARY by SFI).

        By SFI, because the authorisation is spent by the very next command — a SELECT EF in
        between would consume it.
        """
        self._authorize(AdminOperation.write_certificate(slot.value, der))
        cmd = CommandApdu(0x00, 0xD6, 0x80 | slot.value, 0x00, der, name=f"WRITE CERTIFICATE {slot.name}")
        self.session.transport.send(cmd)

    def reset_pin(self, pin: JpkiPin, new_pin: Secret) -> None:
        """Set a new PIN and restore its retry counter (also the first PIN of a new card)."""
        if not len(new_pin):
            raise ValueError("empty new PIN")
        self._authorize(AdminOperation(AdminOp.RESET_PIN, pin.value))
        cmd = CommandApdu(
            0x00,
            0x2C,
            0x02,
            0x80 | pin.value,
            new_pin.reveal(),
            name=f"RESET RETRY COUNTER {pin.name}",
            secret=True,
        )
        self.session.transport.send(cmd)

    def lock_pin(self, pin: JpkiPin) -> None:
        """Block the PIN until a reset (face-auth card: 要綱 4条の3)."""
        self._authorize(AdminOperation(AdminOp.LOCK_PIN, pin.value))
        self.session.transport.send(
            CommandApdu(0x80, 0x5A, 0x00, 0x80 | pin.value, name=f"BLOCK PIN {pin.name}")
        )

    def erase_key(self, key: JpkiKey) -> None:
        self._authorize(AdminOperation(AdminOp.ERASE_KEY, key.value))
        self.session.transport.send(
            CommandApdu(0x80, 0xE4, 0x00, key.value & 0xFF, name=f"ERASE KEY {key.name}")
        )
