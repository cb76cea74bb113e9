"""A terminal's CMP client against an in-process intake, and the application steps the intake
tests share."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from central_https import terminal_cert
from central_testkit import NOW, TERMINAL, World, application
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

import lcmp
from central import certstore
from central.cmp_intake import CmpIntake
from lcmp import jpki_items


def installed(world: World, serial: int) -> bool:
    with world.central.transaction() as s:
        return certstore.get(s, serial).installed_at is not None


def client_for(
    world: World,
    intake: CmpIntake,
    *,
    signer_cert: x509.Certificate | None = None,
    signer_key: rsa.RSAPrivateKey | None = None,
    tls_cert: x509.Certificate | str | None = "same",
    sleep: Callable[[float], None] | None = None,
) -> lcmp.CmpClient:
    cert = signer_cert or terminal_cert(world)
    tls = cert if tls_cert == "same" else tls_cert
    authority = world.central.authority
    return lcmp.CmpClient(
        lambda der: intake.handle_cmp(der, tls),
        lcmp.SignatureProtection(signer_key or world.terminal_key, cert, chain=(authority.terminal_ca.cert,)),
        lcmp.SignerTrust((authority.root.cert,), expected_sender=authority.cmp_cert.subject),
        recipient=authority.cmp_cert.subject,
        now=lambda: NOW,
        **({"sleep": sleep} if sleep else {}),
    )


def items(number: int, kind: jpki_items.CertificateKind | None = None) -> tuple[lcmp.InfoTypeAndValue, ...]:
    out = [jpki_items.integer_item(jpki_items.APPLICATION_NUMBER, number)]
    if kind is not None:
        out.append(jpki_items.integer_item(jpki_items.CERTIFICATE_KIND, kind))
    return tuple(out)


def apply(world: World, number: int, **kwargs: Any) -> str:
    app_id = jpki_items.application_id(TERMINAL, number)
    record = world.apply(application(card_id=world.card(), application_id=app_id, **kwargs))
    assert record.approved, record.rejection
    return app_id
