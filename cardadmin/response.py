"""The single-use response that authorises one operation on one card.

response = AES-CMAC(card_key, DOMAIN ‖ card_id ‖ challenge ‖ operation TLV)

The challenge is fresh per BEGIN ADMIN on the card, so a response cannot be replayed; the card
key is diversified per card and the card id is inside the MAC, so it cannot be moved to another
card; the operation TLV is inside the MAC, so it cannot be used for anything else.
"""

import hmac

from cryptography.hazmat.primitives import cmac
from cryptography.hazmat.primitives.ciphers import algorithms

from cardadmin.diversify import CARD_ID_LENGTH
from cardadmin.operation import AdminOperation

CHALLENGE_LENGTH = 16
RESPONSE_LENGTH = 16
_DOMAIN = b"JPKI-CARD-ADMIN/1"


def compute_response(card_key: bytes, card_id: bytes, challenge: bytes, operation: AdminOperation) -> bytes:
    if len(card_id) != CARD_ID_LENGTH:
        raise ValueError(f"card id must be {CARD_ID_LENGTH} bytes")
    if len(challenge) != CHALLENGE_LENGTH:
        raise ValueError(f"challenge must be {CHALLENGE_LENGTH} bytes")
    mac = cmac.CMAC(algorithms.AES(card_key))
    mac.update(_DOMAIN + card_id + challenge + operation.encode())
    return mac.finalize()


def verify_response(
    card_key: bytes, card_id: bytes, challenge: bytes, operation: AdminOperation, response: bytes
) -> bool:
    expected = compute_response(card_key, card_id, challenge, operation)
    return hmac.compare_digest(expected, response)
