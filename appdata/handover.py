"""The handover answer (docs/sync-protocol.md, "Handover"): certificates the central issued for a
card at one terminal, never confirmed installed, which the terminal where the card is now may
finish — write, read back, confirm — because the resident came back somewhere else.

JSON in a genp UTF8String item, shared by the central (which builds it) and the kiosk (which
reads it), so neither imports the other. A signing certificate names its holder: the kiosk seals
it at once, as it seals any certificate it holds for writing.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Final

CERT_KINDS: Final = frozenset({"sign", "auth"})
PROCEDURES: Final = frozenset({"new_issuance", "renewal"})


class HandoverFormatError(ValueError):
    """An answer that does not follow this module's format."""


@dataclass(frozen=True)
class HandedOverCertificate:
    application_id: str  # the central's id: the requesting terminal's id / its number
    procedure: str  # one of PROCEDURES
    cert_kind: str  # one of CERT_KINDS
    certificate: bytes  # DER, as the central issued it
    fee_paid: bool  # booked at the requesting terminal; carried for the record only


@dataclass(frozen=True)
class HandoverAnswer:
    card_id: str  # 32 hex digits: the card the terminal asked about
    certificates: tuple[HandedOverCertificate, ...] = ()

    def to_json(self) -> str:
        return json.dumps(
            {
                "card_id": self.card_id,
                "certificates": [
                    {
                        "application_id": c.application_id,
                        "procedure": c.procedure,
                        "cert_kind": c.cert_kind,
                        "certificate": base64.b64encode(c.certificate).decode("ascii"),
                        "fee_paid": c.fee_paid,
                    }
                    for c in self.certificates
                ],
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> HandoverAnswer:
        try:
            obj = json.loads(text)
            certificates = tuple(
                HandedOverCertificate(
                    str(c["application_id"]),
                    str(c["procedure"]),
                    str(c["cert_kind"]),
                    base64.b64decode(str(c["certificate"]), validate=True),
                    bool(c["fee_paid"]),
                )
                for c in obj["certificates"]
            )
            answer = cls(str(obj["card_id"]), certificates)
        except (KeyError, TypeError, ValueError) as exc:  # JSONDecodeError, binascii.Error too
            raise HandoverFormatError(f"unreadable handover answer ({type(exc).__name__})") from exc
        for c in answer.certificates:
            if c.cert_kind not in CERT_KINDS or c.procedure not in PROCEDURES:
                raise HandoverFormatError(f"handover of {c.application_id}: unknown kind or procedure")
        return answer
