"""The card-administration contract shared by the card, the kiosk and the central CA.

Issuance commands on the card (key generation, certificate write, PIN set/reset, PIN lock, key
erase) run only after the card has checked a single-use response to its own challenge, computed
from the card's management key for exactly one named operation. The card holds its own
(diversified) key; only the central CA holds the master key it is diversified from. The kiosk
merely carries challenge and response. `docs/card-admin.md` is the normative description.
"""

from cardadmin.diversify import CARD_ID_LENGTH, MASTER_KEY_LENGTH, derive_card_key
from cardadmin.operation import AdminOp, AdminOperation
from cardadmin.response import CHALLENGE_LENGTH, RESPONSE_LENGTH, compute_response, verify_response

__all__ = [
    "CARD_ID_LENGTH",
    "CHALLENGE_LENGTH",
    "MASTER_KEY_LENGTH",
    "RESPONSE_LENGTH",
    "AdminOp",
    "AdminOperation",
    "compute_response",
    "derive_card_key",
    "verify_response",
]
