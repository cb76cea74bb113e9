"""A development stand-in for the central CA's card-administration authority.

Holds the test master key and answers every request — exactly what the kiosk must never do in
production, where the central checks an approved application before answering (issue 3).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cardadmin import AdminOperation, compute_response, derive_card_key


@dataclass
class DevAuthority:
    master_key: bytes
    issued: list[tuple[bytes, AdminOperation]] = field(default_factory=list)  # what it authorised

    def authorize(self, card_id: bytes, challenge: bytes, operation: AdminOperation) -> bytes:
        self.issued.append((card_id, operation))
        return compute_response(derive_card_key(self.master_key, card_id), card_id, challenge, operation)
