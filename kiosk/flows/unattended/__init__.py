"""The unattended terminal's procedures (no staff): the PIN reset by the other PIN and the face."""

from kiosk.domain.unattended import Offer, Unavailable
from kiosk.flows.unattended.capabilities import Capabilities
from kiosk.flows.unattended.reset import Referred, ResetReceipt, ResetState, UnattendedReset

__all__ = [
    "Capabilities",
    "Offer",
    "Referred",
    "ResetReceipt",
    "ResetState",
    "UnattendedReset",
    "Unavailable",
]
