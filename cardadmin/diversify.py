"""Per-card management keys diversified from the central's master key (NIST SP 800-108).

A stolen card yields only its own key; the master key never leaves the central CA.
"""

from cryptography.hazmat.primitives.ciphers import algorithms
from cryptography.hazmat.primitives.kdf.kbkdf import KBKDFCMAC, CounterLocation, Mode

MASTER_KEY_LENGTH = 32
CARD_ID_LENGTH = 16
CARD_KEY_LENGTH = 32
_LABEL = b"JPKI card administration key"


def derive_card_key(master_key: bytes, card_id: bytes) -> bytes:
    """KBKDF in counter mode with AES-CMAC as PRF; the card id is the context."""
    if len(master_key) != MASTER_KEY_LENGTH:
        raise ValueError(f"master key must be {MASTER_KEY_LENGTH} bytes, got {len(master_key)}")
    if len(card_id) != CARD_ID_LENGTH:
        raise ValueError(f"card id must be {CARD_ID_LENGTH} bytes, got {len(card_id)}")
    kdf = KBKDFCMAC(
        algorithm=algorithms.AES,
        mode=Mode.CounterMode,
        length=CARD_KEY_LENGTH,
        rlen=4,
        llen=4,
        location=CounterLocation.BeforeFixed,
        label=_LABEL,
        context=card_id,
        fixed=None,
    )
    return kdf.derive(master_key)
