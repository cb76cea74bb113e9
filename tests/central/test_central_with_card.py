"""End to end on the software card: the kiosk's own issuance code, with the central as the
authorizer — key generated on the card, CSR signed on the card, certificate issued by the central
and written back under an authorisation bound to exactly that certificate."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Callable
from pathlib import Path

import pytest
from central_testkit import NOW, World, application, lint_certificate, problems

from cardemu.card import SoftCard
from cardemu.inprocess import SoftCardConnection
from cardemu.state import CardState
from cardemu.testpki import TestPki
from central.enums import CertKind
from central.errors import AuthorizationRefused
from central.service import ApplicationAuthorizer, Central
from kiosk.domain.secret import Secret
from kiosk.reader.admin import ChallengeResponseIssuer
from kiosk.reader.csr import p10_from_card
from kiosk.reader.errors import SecurityStatusNotSatisfied
from kiosk.reader.jpki import CertSlot, JpkiKey, JpkiPin, JpkiSession
from kiosk.reader.trace import ApduTrace
from kiosk.reader.transport import Transport


@pytest.fixture
def card_world(world: World, test_pki: TestPki) -> World:
    # The software cards are personalised from the test PKI's master key; the central holds it.
    world.central = Central(
        dataclasses.replace(world.central.authority, admin_master_key=test_pki.admin_master_key),
        world.central.engine,
    )
    return world


def open_card(path: Path) -> tuple[SoftCard, JpkiSession]:
    card = SoftCard(CardState.load(path), path)
    return card, JpkiSession(Transport(SoftCardConnection(card, extended_length=True), ApduTrace()))


def test_issue_onto_the_card(card_world: World, card_file: Callable[[str], Path]) -> None:
    central = card_world.central
    card, jpki = open_card(card_file("adult"))
    card_id = card.state.card_id
    expiry = dt.date.fromisoformat(
        f"{card.state.expiry[:4]}-{card.state.expiry[4:6]}-{card.state.expiry[6:]}"
    )
    central.register_card(card_id, "13101", "holder-adult", expiry, now=NOW)
    record = card_world.apply(application(card_id=card_id, certificates=("sign",)))
    assert record.approved, record.rejection

    issuer = ChallengeResponseIssuer(jpki, ApplicationAuthorizer(central, record.id, card_world.terminal_id))
    public_key = issuer.generate_key_pair(JpkiKey.SIGN)
    jpki.verify(JpkiPin.SIGN, Secret.from_ascii("ABC123"))
    request = p10_from_card(public_key, functools.partial(jpki.compute_signature, JpkiKey.SIGN))

    issued = central.issue_certificate(
        record.id, request, CertKind.SIGN, terminal_id=card_world.terminal_id, now=NOW
    )
    assert problems(lint_certificate(issued.der)) == []
    issuer.write_certificate(CertSlot.SIGN, issued.der)
    jpki.verify(JpkiPin.SIGN, Secret.from_ascii("ABC123"))
    assert jpki.read_certificate_der(CertSlot.SIGN) == issued.der
    assert central.confirm_installed(issued.serial, terminal_id=card_world.terminal_id, now=NOW).valid

    # Single use: the same operation cannot be unlocked twice for this application …
    with pytest.raises(AuthorizationRefused, match="already-used"):
        issuer.generate_key_pair(JpkiKey.SIGN)
    # … and an operation the application does not name is never unlocked.
    with pytest.raises(AuthorizationRefused, match="operation-not-named"):
        issuer.generate_key_pair(JpkiKey.AUTH)
    # A certificate other than the one issued cannot be written under this application.
    with pytest.raises(AuthorizationRefused, match="certificate-hash-mismatch"):
        issuer.write_certificate(CertSlot.SIGN, issued.der[:-1] + bytes([issued.der[-1] ^ 1]))


def test_response_for_another_card_does_not_open_this_one(
    card_world: World, card_file: Callable[[str], Path]
) -> None:
    central = card_world.central
    card, jpki = open_card(card_file("adult"))
    other = card_world.card("other")
    record = card_world.apply(application(card_id=other, certificates=("auth",)))

    class Misrouted:
        """Asks the central about the *other* card, as a confused or malicious kiosk might."""

        def authorize(self, card_id: bytes, challenge: bytes, operation: object) -> bytes:
            return central.authorize(other, challenge, operation, record.id, now=NOW)  # type: ignore[arg-type]

    issuer = ChallengeResponseIssuer(jpki, Misrouted())
    with pytest.raises(SecurityStatusNotSatisfied):  # the card checks the MAC over its own id
        issuer.generate_key_pair(JpkiKey.AUTH)
    assert card.state.admin_failures == 1
