"""Card-registry and certificate-status queries over CMP, asked the way the kiosk asks them."""

from __future__ import annotations

import datetime as dt

import pytest
from central_https import terminal_cert
from central_testkit import NOW, TERMINAL, World, application, csr, key

import lcmp
from central.cmp_intake import CmpIntake
from central.enums import CertKind, RevocationReason
from kiosk.sync.queries import card_status, certificate_status
from lcmp import jpki_items


class _Link:
    """What the kiosk's query functions need of a `CentralLink`: a CMP client."""

    def __init__(self, world: World, intake: CmpIntake) -> None:
        authority = world.central.authority
        cert = terminal_cert(world)
        self.client = lcmp.CmpClient(
            lambda der: intake.handle_cmp(der, cert),
            lcmp.SignatureProtection(world.terminal_key, cert, chain=(authority.terminal_ca.cert,)),
            lcmp.SignerTrust((authority.root.cert,)),
            recipient=authority.cmp_cert.subject,
            now=lambda: NOW,
        )


@pytest.fixture
def link(world: World) -> _Link:
    return _Link(world, CmpIntake(world.central, clock=lambda: NOW))


def test_card_status_follows_the_registry(world: World, link: _Link) -> None:
    card = world.card()
    app_id = jpki_items.application_id(TERMINAL, 1)
    world.apply(application(card_id=card, application_id=app_id, certificates=("auth",)))
    issued = world.central.issue_certificate(app_id, csr(key("query-card")), CertKind.AUTH, now=NOW)
    answer = card_status(link, card)
    assert answer.operating and answer.card_id == card.hex() and not answer.face_auth
    assert [(c.kind, c.serial, c.status) for c in answer.certificates] == [("auth", issued.serial, "good")]
    world.central.suspend_card(card, now=NOW)  # reported lost
    suspended = card_status(link, card)
    assert suspended.status == "suspended" and not suspended.operating
    assert [c.status for c in suspended.certificates] == ["hold"]
    assert card_status(link, bytes(16)).status == "unregistered"


def test_certificate_status(world: World, link: _Link) -> None:
    card = world.card()
    app_id = jpki_items.application_id(TERMINAL, 2)
    world.apply(application(card_id=card, application_id=app_id, certificates=("auth",)))
    issued = world.central.issue_certificate(app_id, csr(key("query-cert")), CertKind.AUTH, now=NOW)
    serial = issued.certificate.serial_number
    good = certificate_status(link, serial)
    assert good.valid and good.kind == "auth" and good.not_after == issued.certificate.not_valid_after_utc
    world.central.revoke(serial, RevocationReason.KEY_COMPROMISE, now=NOW + dt.timedelta(hours=1))
    revoked = certificate_status(link, serial)
    assert revoked.status == "revoked" and revoked.reason == "KEY_COMPROMISE" and not revoked.valid
    assert certificate_status(link, 0x1234).status == "unknown"


def test_malformed_card_query_is_refused(world: World, link: _Link) -> None:
    with pytest.raises(lcmp.CmpRejected, match="16 bytes"):
        link.client.genm((jpki_items.octets_item(jpki_items.CARD_QUERY, b"short"),))
