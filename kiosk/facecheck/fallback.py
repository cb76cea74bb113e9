"""What follows a face check (規則 64条の5): the machine's match is accepted; when the machine
cannot match properly the counter falls back to staff comparing the person with the card photo
(第1号, recorded with the operator and reason) or to the PIN (64条の4). An unattended terminal has
no staff: it refuses and tells the person where to go (FIPS 201-3 §2.9.3: no reset without the
biometric match)."""

from __future__ import annotations

import enum

from kiosk.facecheck.check import FaceDecision, Outcome


class NextStep(enum.StrEnum):
    ACCEPT = "accept"  # identity confirmed by the machine
    STAFF_VISUAL_CHECK = "staff_visual_check"  # 第1号: staff compare, with operator and reason
    PIN = "pin"  # 64条の4: the person proves it with the PIN instead
    REFER_TO_COUNTER = "refer_to_counter"  # unattended: go to the municipal counter


def next_steps(decision: FaceDecision, *, unattended: bool) -> tuple[NextStep, ...]:
    """The options offered, in the order the screen offers them."""
    if decision.outcome is Outcome.MATCHED:
        return (NextStep.ACCEPT,)
    if unattended:
        return (NextStep.REFER_TO_COUNTER,)
    if decision.outcome is Outcome.ATTACK_SUSPECTED:
        # A presented picture: only a person looking at the person settles it.
        return (NextStep.STAFF_VISUAL_CHECK,)
    return (NextStep.STAFF_VISUAL_CHECK, NextStep.PIN)
