"""Online questions to the central (docs/sync-protocol.md): a card's registry status during the
identity check, and a certificate's status on the renewal and revocation screens.

They go out directly, not through the outbox: an answer a day late is no answer. When the
central cannot be reached the caller decides (staff may proceed on the card's own checks and
the application's later processing at the central will refuse a card that is not operating).
"""

from __future__ import annotations

from typing import Protocol

import lcmp
from appdata.status import CardStatusAnswer, CertificateStatusAnswer
from kiosk.sync.central import CentralUnreachable
from lcmp import jpki_items


class QueryRefused(Exception):
    """The central answered the query with a refusal (the text is for the log, not secret)."""


class _Genm(Protocol):
    def genm(self, items: tuple[lcmp.InfoTypeAndValue, ...]) -> tuple[lcmp.InfoTypeAndValue, ...]: ...


class Link(Protocol):
    @property
    def client(self) -> _Genm: ...


def ask(link: Link, item: lcmp.InfoTypeAndValue, answer_type: str) -> str:
    """One online genm; the UTF8String answer item of `answer_type`."""
    try:
        answer = link.client.genm((item,))
    except lcmp.CmpRejected as exc:
        raise QueryRefused(str(exc)) from exc
    except lcmp.CmpTransportError as exc:
        raise CentralUnreachable(str(exc)) from exc
    text = jpki_items.text_value(answer, answer_type)
    if text is None:
        raise QueryRefused("the central's answer lacks the status item")
    return text


def card_status(link: Link, card_id: bytes) -> CardStatusAnswer:
    text = ask(link, jpki_items.octets_item(jpki_items.CARD_QUERY, card_id), jpki_items.CARD_STATUS)
    try:
        answer = CardStatusAnswer.from_json(text)
    except (KeyError, TypeError, ValueError) as exc:  # JSONDecodeError is a ValueError
        raise QueryRefused(f"unreadable card status answer ({type(exc).__name__})") from exc
    if answer.card_id != card_id.hex():
        raise QueryRefused("the central answered about another card")
    return answer


def certificate_status(link: Link, serial: int) -> CertificateStatusAnswer:
    text = ask(
        link, jpki_items.integer_item(jpki_items.CERTIFICATE_QUERY, serial), jpki_items.CERTIFICATE_STATUS
    )
    try:
        answer = CertificateStatusAnswer.from_json(text)
        same = int(answer.serial, 16) == serial
    except (KeyError, TypeError, ValueError) as exc:
        raise QueryRefused(f"unreadable certificate status answer ({type(exc).__name__})") from exc
    if not same:
        raise QueryRefused("the central answered about another certificate")
    return answer
