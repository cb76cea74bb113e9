"""Staff overrides of a counter step: what may be overridden, and the reasons staff pick from.

RULES.md "Identity check at the counter" leaves four steps to staff judgement; each override is
attributed to an authenticated operator (規則 73-3) who re-authenticated for it, and carries a
reason. Reasons are a fixed list, not free text: the audit chain is kept for years and must not
collect personal details typed in a hurry ("Mr X's daughter said …").
"""

from __future__ import annotations

import enum
from typing import Final


class Override(enum.StrEnum):
    VISUAL_FACE = "visual_face"  # 規則 64条の5 第1号: staff compare face and card photo
    MANUAL_DOCUMENTS = "manual_documents"  # 要綱 2-4: staff checked ID documents by hand
    REPRESENTATIVE = "representative"  # 要綱 2-10, 2-12: legal representative / proxy papers seen
    EXPIRED_CARD = "expired_card"  # 要領 第2-1-(1)-ア-(イ)-A-(A): card ≤ 6 months past expiry, photo matches

    @property
    def rule(self) -> str:
        return _RULES[self]


_RULES: Final = {
    Override.VISUAL_FACE: "規則 64条の5 第1号",
    Override.MANUAL_DOCUMENTS: "要綱 2-4, 2-5, 2-6",
    Override.REPRESENTATIVE: "要綱 2-10, 2-12",
    Override.EXPIRED_CARD: "要領 第2-1-(1)-ア-(イ)-A-(A)",
}


class OverrideReason(enum.StrEnum):
    # why the machine could not decide
    POOR_IMAGE = "poor_image"  # lighting, camera, glasses, mask
    APPEARANCE_CHANGED = "appearance_changed"  # age, hair, weight since the card photo
    CAMERA_UNAVAILABLE = "camera_unavailable"
    CANNOT_FOLLOW_CHALLENGE = "cannot_follow_challenge"  # disability, cannot turn the head
    # documents and representation
    DOCUMENTS_SEEN = "documents_seen"  # staff saw and checked the originals
    RELATIONSHIP_PROVEN = "relationship_proven"  # 戸籍 / 登記事項証明書 / 委任状 in order
    PHOTO_MATCHES = "photo_matches"  # staff compared the expired card's photo with the person


_ALLOWED: Final = {
    Override.VISUAL_FACE: (
        OverrideReason.POOR_IMAGE,
        OverrideReason.APPEARANCE_CHANGED,
        OverrideReason.CAMERA_UNAVAILABLE,
        OverrideReason.CANNOT_FOLLOW_CHALLENGE,
    ),
    Override.MANUAL_DOCUMENTS: (OverrideReason.DOCUMENTS_SEEN,),
    Override.REPRESENTATIVE: (OverrideReason.RELATIONSHIP_PROVEN,),
    Override.EXPIRED_CARD: (OverrideReason.PHOTO_MATCHES,),
}


def reasons_for(override: Override) -> tuple[OverrideReason, ...]:
    """The reasons a screen offers for this override, in display order."""
    return _ALLOWED[override]


def valid_reason(override: Override, reason: OverrideReason) -> bool:
    return reason in _ALLOWED[override]
