"""Building the PKIHeader of each message in a transaction (RFC 9810 §5.1.1, RFC 9483 §3.1).

A transaction keeps one transactionID. Every message carries a fresh senderNonce and, when it
answers or follows up on a message, that message's senderNonce as recipNonce: this is CMP's
replay protection within a transaction.
"""

from __future__ import annotations

import datetime as dt
import secrets

from cryptography import x509

from lcmp.messages import ID_LENGTH, Header


def new_transaction_id() -> bytes:
    """128 random bits (RFC 9483 §3.1)."""
    return secrets.token_bytes(ID_LENGTH)


def new_nonce() -> bytes:
    """A fresh 128-bit senderNonce."""
    return secrets.token_bytes(ID_LENGTH)


def _now(now: dt.datetime | None) -> dt.datetime:
    return now if now is not None else dt.datetime.now(dt.UTC)


def new_header(
    sender: x509.Name,
    recipient: x509.Name,
    *,
    implicit_confirm: bool = False,
    sender_kid: bytes | None = None,
    now: dt.datetime | None = None,
) -> Header:
    """Header of the first message of a new transaction."""
    return Header(
        sender=sender,
        recipient=recipient,
        transaction_id=new_transaction_id(),
        sender_nonce=new_nonce(),
        message_time=_now(now),
        sender_kid=sender_kid,
        implicit_confirm=implicit_confirm,
    )


def follow_up_header(request: Header, response: Header, *, now: dt.datetime | None = None) -> Header:
    """The requester's next message (pollReq, certConf) after `response` to `request`."""
    return Header(
        sender=request.sender,
        recipient=request.recipient,
        transaction_id=request.transaction_id,
        sender_nonce=new_nonce(),
        message_time=_now(now),
        recip_nonce=response.sender_nonce,
        sender_kid=request.sender_kid,
    )


def reply_header(
    request: Header,
    sender: x509.Name,
    *,
    sender_kid: bytes | None = None,
    implicit_confirm: bool = False,
    confirm_wait_time: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> Header:
    """Header of an answer to `request`: same transactionID, recipient = the requester,
    recipNonce = the request's senderNonce, a fresh senderNonce.

    `sender` is the answering entity's own name (the subject of its CMP signer certificate),
    not the request's recipient field, which may be the NULL-DN.
    `implicit_confirm` grants implicit confirmation in a cp. Grant it only if the transaction's
    certificate request asked for it — for a cp answering a pollReq that is the p10cr before it,
    whose header the responder has to remember (a pollReq does not repeat the ask).
    """
    return Header(
        sender=sender,
        recipient=request.sender,
        transaction_id=request.transaction_id,
        sender_nonce=new_nonce(),
        message_time=_now(now),
        recip_nonce=request.sender_nonce,
        sender_kid=sender_kid,
        implicit_confirm=implicit_confirm,
        confirm_wait_time=confirm_wait_time,
    )
