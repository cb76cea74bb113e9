"""The closed vocabularies the central stores: values are short ASCII codes (stable in the database
and in CSV exports); Japanese labels are for people."""

from __future__ import annotations

from enum import IntEnum, StrEnum

from cryptography import x509

# The procedure vocabulary belongs to the shared application payload (kiosk and central).
from appdata.model import DisclosureKind  # noqa: F401  (re-exported)
from appdata.model import Procedure as ProcedureKind  # noqa: F401  (re-exported)
from appdata.unattended import Outcome as ResetOutcomeKind  # noqa: F401  (re-exported)


class CaName(StrEnum):
    """The four CAs of the hierarchy (docs/central.md §1); also the CRL file name."""

    ROOT = "root"
    SIGN = "sign"  # 署名用電子証明書を発行するCA
    AUTH = "auth"  # 利用者証明用電子証明書を発行するCA
    TERMINAL = "terminal"  # 統合端末・キオスク (RA) の証明書を発行するCA


class CertKind(StrEnum):
    SIGN = "sign"  # 署名用電子証明書
    AUTH = "auth"  # 利用者証明用電子証明書
    TERMINAL = "terminal"  # a kiosk's / counter terminal's own (RA) certificate

    @property
    def issuer(self) -> CaName:
        return {CertKind.SIGN: CaName.SIGN, CertKind.AUTH: CaName.AUTH, CertKind.TERMINAL: CaName.TERMINAL}[
            self
        ]


CARD_CERT_KINDS = (CertKind.SIGN, CertKind.AUTH)


class CardStatus(StrEnum):
    """個人番号カードの運用状況 as the registry keeps it."""

    OPERATING = "operating"  # 運用中
    SUSPENDED = "suspended"  # 一時停止 (lost; its certificates are on hold)
    ABOLISHED = "abolished"  # 廃止
    EXPIRED = "expired"  # 有効期間満了

    @property
    def label(self) -> str:
        return {"operating": "運用中", "suspended": "一時停止", "abolished": "廃止", "expired": "期限切れ"}[
            self.value
        ]


class CertStatus(StrEnum):
    GOOD = "good"
    HOLD = "hold"  # 一時保留: listed on the CRL with certificateHold, may still be released or revoked
    REVOKED = "revoked"  # final


class RevocationReason(IntEnum):
    """RFC 5280 §5.3.1 CRLReason codes the central uses (values are the ASN.1 enumeration)."""

    UNSPECIFIED = 0  # 失効申請 by the holder; the CRL entry then carries no reasonCode (RFC 5280 SHOULD)
    KEY_COMPROMISE = 1  # 秘密鍵漏えい等届出
    SUPERSEDED = 4  # 更新: the renewed certificate replaces this one
    CESSATION_OF_OPERATION = 5  # 破棄 / 職権失効, card abolished, face-auth switch (signing cert)
    CERTIFICATE_HOLD = 6  # 一時保留 on card loss

    @property
    def x509_flag(self) -> x509.ReasonFlags:
        return {
            RevocationReason.UNSPECIFIED: x509.ReasonFlags.unspecified,
            RevocationReason.KEY_COMPROMISE: x509.ReasonFlags.key_compromise,
            RevocationReason.SUPERSEDED: x509.ReasonFlags.superseded,
            RevocationReason.CESSATION_OF_OPERATION: x509.ReasonFlags.cessation_of_operation,
            RevocationReason.CERTIFICATE_HOLD: x509.ReasonFlags.certificate_hold,
        }[self]


class ApplicationStatus(StrEnum):
    APPROVED = "approved"  # accepted by the central: certificates and authorisations may follow
    REJECTED = "rejected"  # kept (retention, 要綱 7) with its refusal code, never acted on


class LedgerEventKind(StrEnum):
    """交付記録簿 inputs (要領 第2-1-(1)-ケ); REVOKED is kept for the certificate's history only."""

    REQUEST_ANSWERED = "request_answered"  # (イ) 発行要求を送信し受信に成功した
    INSTALLED = "installed"  # (ウ) 交付: the card write was confirmed
    DESTROYED = "destroyed"  # (カ) 破棄: revoked ex officio before it reached the card
    REVOKED_EX_OFFICIO = "revoked_ex_officio"  # (カ) 職権失効 after it reached the card
    REVOKED = "revoked"  # any other revocation (not a ledger column)


class Fee(StrEnum):
    PAID = "paid"  # 有償 (所定の手数料を徴収)
    FREE = "free"  # 無償


class TerminalStatus(StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"


class TerminalMode(StrEnum):
    """What a terminal may do (docs/unattended.md). A counter terminal works under staff; an
    unattended one (a kiosk in a shop or a town hall lobby) may only reset the PINs it is
    registered for, with the card's proof and the face match, and query what that needs."""

    COUNTER = "counter"
    UNATTENDED = "unattended"


class TicketState(StrEnum):
    """An unattended PIN-reset attempt as the central records it (central/unattended.py).
    "Expired" is not stored: an open ticket past its `expires_at` is reported as such."""

    REFUSED = "refused"  # the ticket request was refused: no ticket, the row is the record of why
    OPEN = "open"  # granted; the reset application under it has not arrived
    USED = "used"  # an application named it (approved or rejected): never again


class IntakeState(StrEnum):
    RECEIVED = "received"  # recorded, no response stored yet (e.g. answered `waiting`)
    ANSWERED = "answered"  # the stored response is what every exact duplicate gets


class AuthorizationOutcome(StrEnum):
    GRANTED = "granted"
    REPEATED = "repeated"  # the granted request again (same challenge): same response, nothing new
    REFUSED = "refused"
