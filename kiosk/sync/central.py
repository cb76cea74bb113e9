"""The kiosk's link to the central CA over CMP (docs/sync-protocol.md).

- `CentralLink`: the terminal's identity (key, certificate) and the trusted central root, as an
  mTLS HTTPS transport and a CMP client.
- `CmpAdminAuthorizer`: the card-administration authorizer the card layer asks (online: a card's
  challenge cannot wait in a queue).
- `send` / `verify_receipt` for the outbox relay: the stored, already-protected request goes out
  as is; an answer counts as a receipt only if the central signed it for *that* request.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

import lcmp
import lcmp.http
from cardadmin import AdminOperation
from kiosk.store.models import OutboxMessage
from kiosk.sync.relay import Receipt, VerifiedReceipt
from lcmp import jpki_items


class AuthorizationRefused(Exception):
    """The central declined to authorise the card operation (the reason is for staff, not secret)."""


class CentralUnreachable(Exception):
    """The central could not be reached or did not answer properly; try again later."""


@dataclass(frozen=True)
class TerminalIdentity:
    """Where the terminal's credentials live: key 0600, outside the configuration (issue 6)."""

    key_file: Path
    cert_file: Path  # the terminal certificate, then the terminal CA
    central_root_file: Path

    def load(self) -> tuple[rsa.RSAPrivateKey, list[x509.Certificate], x509.Certificate]:
        key = serialization.load_pem_private_key(self.key_file.read_bytes(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError(f"{self.key_file}: not an RSA key")
        chain = x509.load_pem_x509_certificates(self.cert_file.read_bytes())
        root = x509.load_pem_x509_certificate(self.central_root_file.read_bytes())
        return key, chain, root


class CentralLink:
    def __init__(self, url: str, identity: TerminalIdentity, *, timeout: float = 30.0) -> None:
        key, chain, root = identity.load()
        context = ssl.create_default_context(cafile=str(identity.central_root_file))
        context.load_cert_chain(str(identity.cert_file), str(identity.key_file))
        self.url = url
        self.transport = lcmp.http.transport(url, ssl_context=context, timeout=timeout)
        self.trust = lcmp.SignerTrust((root,))
        self.protector = lcmp.SignatureProtection(key, chain[0], chain=tuple(chain[1:]))
        self.client = lcmp.CmpClient(self.transport, self.protector, self.trust, recipient=x509.Name([]))

    # -- outbox relay ---------------------------------------------------------------------------

    def send(self, message: OutboxMessage) -> Receipt:
        try:
            return Receipt(self.transport(message.payload))
        except lcmp.CmpTransportError as exc:
            raise CentralUnreachable(str(exc)) from exc

    def verify_receipt(self, message: OutboxMessage, receipt: Receipt) -> VerifiedReceipt:
        """A receipt is the central's signed answer to this very request (same transactionID, our
        senderNonce echoed). A signed refusal is a receipt too: delivered, not accepted."""
        request = lcmp.decode(message.payload)
        answer = lcmp.decode(receipt.raw)
        self.trust(answer)
        if answer.header.transaction_id != request.header.transaction_id:
            raise lcmp.CmpError(lcmp.FailureInfo.badRequest, "answer to another transaction")
        if answer.header.recip_nonce != request.header.sender_nonce:
            raise lcmp.CmpError(lcmp.FailureInfo.badRecipientNonce, "answer does not echo our nonce")
        body = answer.body
        if isinstance(body, lcmp.ErrorMsg):
            return VerifiedReceipt(message.msg_id, accepted=False, reason=body.status.describe())
        status = getattr(body, "status", None)
        if (
            isinstance(status, lcmp.StatusInfo)
            and not status.granted
            and status.status != lcmp.PKIStatus.waiting
        ):
            return VerifiedReceipt(message.msg_id, accepted=False, reason=status.describe())
        return VerifiedReceipt(message.msg_id)


class CmpAdminAuthorizer:
    """`kiosk.reader.admin.AdminAuthorizer` backed by the central, for one application: this
    terminal's by its number, or one handed over to it by the central's id."""

    def __init__(self, link: CentralLink, application: int | str) -> None:
        self.link = link
        self.application = application

    def authorize(self, card_id: bytes, challenge: bytes, operation: AdminOperation) -> bytes:
        items = (
            jpki_items.application_item(self.application),
            jpki_items.octets_item(jpki_items.ADMIN_CHALLENGE, card_id + challenge + operation.encode()),
        )
        try:
            answer = self.link.client.genm(items)
        except lcmp.CmpRejected as exc:
            raise AuthorizationRefused(str(exc)) from exc
        except lcmp.CmpTransportError as exc:
            raise CentralUnreachable(str(exc)) from exc
        response = jpki_items.octets_value(answer, jpki_items.ADMIN_RESPONSE)
        if response is None:
            raise CentralUnreachable("central answered without an admin response")
        return response
