"""新規発行 of the 利用者証明用 certificate, every real part in place:

software card in pcscd/vpcd → central (its own process, HTTPS + mutual TLS) authorises on-card key
generation → on-card CSR → the p10cr goes through the kiosk's outbox and relay → certificate issued
→ written to the card → read back → certConf through the outbox → the central counts it installed.
"""

from __future__ import annotations

import functools
import logging
import uuid

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from e2e_support import MUNICIPALITY, TERMINAL, CentralProcess, find_at_rest, now, personal_needles
from sqlalchemy import select
from sqlalchemy.orm import Session
from testkit import auth_issuance

import lcmp
from appdata.envelope import seal_application
from cardadmin import derive_card_key
from cardemu.state import CardState
from central import certstore
from central.enums import CaName
from kiosk.domain.resident import parse_yyyymmdd
from kiosk.domain.secret import Secret
from kiosk.reader.admin import ChallengeResponseIssuer
from kiosk.reader.csr import p10_from_card
from kiosk.reader.jpki import CertSlot, JpkiKey, JpkiPin, JpkiSession
from kiosk.reader.pcsc import open_card
from kiosk.reader.transport import Transport
from kiosk.store.db import make_engine, make_sessionmaker
from kiosk.store.migrate import upgrade
from kiosk.store.models import (
    Application,
    ApplicationState,
    CertificateKind,
    IssuanceJournal,
    IssuanceStep,
    OutboxMessage,
    OutboxState,
    ProcedureKind,
)
from kiosk.store.sealed import Sealer, load_or_create_data_key
from kiosk.sync import journal
from kiosk.sync.central import CentralLink, CmpAdminAuthorizer
from kiosk.sync.outbox import Outgoing, enqueue_outgoing
from kiosk.sync.relay import Receipt, Relay, VerifiedReceipt
from lcmp import jpki_items

pytestmark = pytest.mark.pcsc
NUMBER = 1  # this terminal's application number


def test_new_auth_certificate_end_to_end(
    central_process: CentralProcess, card_file, pcsc_harness, tmp_path, caplog
) -> None:
    caplog.set_level(1)  # everything the kiosk logs, APDU traffic included
    central = central_process.central()
    # The card was personalised under this central's card-admin master key (J-LIS issues both).
    card_path = card_file("adult")
    card = CardState.load(card_path)
    card.admin_key = derive_card_key(central.authority.admin_master_key, card.card_id)
    card.save(card_path)
    pcsc_harness.insert(card_path)
    holder = card.holder
    central.register_card(card.card_id, MUNICIPALITY, "holder-e2e", parse_yyyymmdd(card.expiry))

    # -- the kiosk's own store, and its link to the central ----------------------------------------
    engine = make_engine(tmp_path / "kiosk.db")
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    sealer = Sealer(load_or_create_data_key(tmp_path / "kiosk-data"))
    link = CentralLink(central_process.url, central_process.identity)

    # -- the application, sealed to the central, through the outbox -----------------------------
    data = auth_issuance(card, TERMINAL, NUMBER)
    key, _chain, _root = central_process.identity.load()
    sealed = seal_application(
        data,
        terminal_id=TERMINAL,
        signing_key=key,
        recipient=central.authority.encryption_key.public_key(),
        now=now(),
    )
    genm = link.client.prepare_genm((lcmp.InfoTypeAndValue.utf8(jpki_items.APPLICATION_ENVELOPE, sealed),))
    local_id = uuid.uuid4()
    with sessions.begin() as s:  # the business row and its message commit together
        application = Application(
            id=local_id, kind=ProcedureKind.NEW_ISSUANCE, state=ApplicationState.SUBMITTED
        )
        application.seal_payload(sealer, sealed.encode())  # personal data only ever stored sealed
        s.add(application)
        enqueue_outgoing(s, Outgoing("genm", genm), now=now())

    settled: list[tuple[str, VerifiedReceipt]] = []

    def on_settled(
        session: Session, message: OutboxMessage, receipt: Receipt, verified: VerifiedReceipt
    ) -> None:
        settled.append((message.kind, verified))
        if message.kind != "p10cr" or not verified.accepted:
            return
        answer = lcmp.decode(receipt.raw)
        assert isinstance(answer.body, lcmp.Cp) and answer.body.certificate is not None
        entry = journal.find_by_transaction_id(session, answer.header.transaction_id)
        der = answer.body.certificate.public_bytes(serialization.Encoding.DER)
        journal.record_certificate(session, entry.id, der, sealer, now=now())

    relay = Relay(sessions, link.send, verify_receipt=link.verify_receipt, on_settled=on_settled)
    relay.drain()
    assert settled == [("genm", settled[0][1])] and settled[0][1].accepted
    assert central.application(data.application_id).approved

    # -- keys generated on the card, authorised by the central; the CSR signed on the card -------
    with open_card() as connection:
        jpki = JpkiSession(Transport(connection))
        issuer = ChallengeResponseIssuer(jpki, CmpAdminAuthorizer(link, NUMBER))
        with Secret.from_ascii("8642") as new_pin:
            issuer.reset_pin(JpkiPin.AUTH, new_pin)
        public_key = issuer.generate_key_pair(JpkiKey.AUTH)
        with Secret.from_ascii("8642") as pin:
            jpki.verify(JpkiPin.AUTH, pin)
        csr = p10_from_card(public_key, functools.partial(jpki.compute_signature, JpkiKey.AUTH))

        p10cr = link.client.prepare_p10cr(
            csr,
            implicit_confirm=False,
            general_info=(
                jpki_items.integer_item(jpki_items.APPLICATION_NUMBER, NUMBER),
                jpki_items.integer_item(jpki_items.CERTIFICATE_KIND, jpki_items.CertificateKind.AUTH),
            ),
        )
        request = lcmp.decode(p10cr)
        with sessions.begin() as s:
            entry = journal.start_issuance(
                s, application_id=local_id, card_id=card.card_id.hex(), cert_kind=CertificateKind.AUTH,
                request=Outgoing("p10cr", p10cr), transaction_id=request.header.transaction_id, now=now(),
            )  # fmt: skip
            entry_id = entry.id
        relay.drain()

        # -- written to the card, read back, then confirmed through the outbox ------------------
        with sessions.begin() as s:
            entry = journal.note_write_attempt(s, entry_id, now=now())
            der = entry.open_certificate(sealer)
        issuer.write_certificate(CertSlot.AUTH, der)
        with sessions.begin() as s:
            journal.record_written(s, entry_id, now=now())
        on_card = jpki.read_certificate_der(CertSlot.AUTH)
        with sessions.begin() as s:
            assert journal.record_read_back(s, entry_id, on_card, sealer, now=now())
            sent = s.scalars(select(OutboxMessage).where(OutboxMessage.msg_id == entry.request_msg_id)).one()
            cp = lcmp.decode(sent.receipt)
            conf = lcmp.Message(
                lcmp.follow_up_header(request.header, cp.header),
                lcmp.CertConf.for_certificate(x509.load_der_x509_certificate(der)),
            )
            journal.confirm(s, entry_id, Outgoing("certConf", lcmp.encode(conf, link.protector)), now=now())
        relay.drain()

    # -- what the central and the card now say ------------------------------------------------
    cert = x509.load_der_x509_certificate(der)
    assert cert.public_key().public_numbers() == public_key.public_numbers()
    assert CardState.load(card_path).jpki.auth_cert == der
    with central.transaction() as s:
        row = certstore.get(s, cert.serial_number)
        assert row.installed_at is not None
    auth_ca = central.authority.auth_ca.cert
    cert.verify_directly_issued_by(auth_ca)
    auth_ca.verify_directly_issued_by(central.authority.root.cert)
    crl = x509.load_der_x509_crl(central.regenerate_crls()[CaName.AUTH])
    assert crl.is_signature_valid(auth_ca.public_key())
    assert crl.get_revoked_certificate_by_serial_number(cert.serial_number) is None
    with sessions() as s:
        states = [m.state for m in s.query(OutboxMessage).order_by(OutboxMessage.seq)]
        step = s.get(IssuanceJournal, entry_id).step
    assert states == [OutboxState.SENT] * 3
    assert step is IssuanceStep.CONFIRMED
    # Nothing personal and no PIN at rest on the kiosk or in its log (the card's own state file and
    # the central are not the kiosk). The needles are real: the holder's data went through this
    # process (sealed application) and the PINs through the card session.
    assert any(r.levelno < logging.DEBUG for r in caplog.records)  # APDU traffic was logged too
    needles = personal_needles(holder, ["8642", "1234"])
    assert find_at_rest(tmp_path / "kiosk.db", caplog.text, needles) == []
    assert find_at_rest(tmp_path / "kiosk.db", caplog.text + holder.address, needles) != []  # can fail
    central.close()
    pcsc_harness.remove()
