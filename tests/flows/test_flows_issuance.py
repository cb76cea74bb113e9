"""The issuance steps against the real central (in-process HTTPS) and a software card."""

from __future__ import annotations

import uuid

import pytest
from cryptography import x509
from flowkit import NUMBER, CentralServer, Kiosk, Reader, one_auth_certificate
from sqlalchemy import select

import lcmp
from central.enums import CaName, CertStatus, RevocationReason
from kiosk.flows import issuance, responses
from kiosk.flows.responses import enqueue_polls
from kiosk.reader.admin import ChallengeResponseIssuer
from kiosk.reader.jpki import JpkiKey
from kiosk.store.audit import verify_chain
from kiosk.store.models import AuditRecord, CertificateKind, OutboxMessage, OutboxState
from kiosk.store.models import IssuanceStep as S
from kiosk.sync import journal
from kiosk.sync.central import CmpAdminAuthorizer
from kiosk.sync.relay import Receipt, Relay
from lcmp import jpki_items

SENT, PENDING, FAILED = OutboxState.SENT, OutboxState.PENDING, OutboxState.FAILED


def _audit_actions(kiosk: Kiosk, entry_id: uuid.UUID) -> list[str]:
    with kiosk.sessions.begin() as s:
        assert verify_chain(s).ok
        rows = s.scalars(
            select(AuditRecord.action)
            .where(AuditRecord.subject == f"issuance:{entry_id}")
            .order_by(AuditRecord.id)
        )
        return list(rows)


def test_request_write_read_back_confirm(kiosk: Kiosk, reader: Reader, server: CentralServer) -> None:
    entry_id = kiosk.request(reader, NUMBER)
    assert kiosk.step(entry_id) is S.REQUESTED
    assert kiosk.outbox() == [("p10cr", PENDING)]
    p10cr = lcmp.decode(kiosk.outbox_payload("p10cr"))
    items = p10cr.header.general_info
    assert jpki_items.integer_value(items, jpki_items.APPLICATION_NUMBER) == NUMBER
    assert jpki_items.integer_value(items, jpki_items.CERTIFICATE_KIND) == jpki_items.CertificateKind.AUTH
    assert not p10cr.header.implicit_confirm  # confirmed only after the read-back
    assert kiosk.entry(entry_id).transaction_id == p10cr.header.transaction_id

    kiosk.relay.drain()  # the cp settles the p10cr and records the certificate, together
    assert kiosk.step(entry_id) is S.CERTIFICATE_RECEIVED
    der = kiosk.certificate(entry_id)
    card_key = ChallengeResponseIssuer(reader.jpki, CmpAdminAuthorizer(kiosk.link, NUMBER)).read_public_key(
        JpkiKey.AUTH
    )
    assert x509.load_der_x509_certificate(der).public_key() == card_key

    card = reader.present(kiosk.link)
    assert issuance.install(kiosk.sessions, kiosk.sealer, kiosk.link, entry_id, card, now=kiosk.clock()) is (
        S.CONFIRMED
    )
    assert reader.auth_certificate() == der
    assert one_auth_certificate(server, NUMBER).installed_at is None  # certConf still in the outbox
    kiosk.relay.drain()

    assert kiosk.outbox() == [("p10cr", SENT), ("certConf", SENT)]
    row = one_auth_certificate(server, NUMBER)
    assert row.der == der and row.installed_at is not None
    conf = lcmp.decode(kiosk.outbox_payload("certConf"))
    assert conf.header.transaction_id == p10cr.header.transaction_id
    assert isinstance(conf.body, lcmp.CertConf)
    assert conf.body.cert_hash == lcmp.cert_hash(x509.load_der_x509_certificate(der))
    assert kiosk.entry(entry_id).attempts == 1
    assert _audit_actions(kiosk, entry_id) == [
        "issuance.requested",
        "issuance.certificate_received",
        "issuance.written_to_card",
        "issuance.read_back",
        "issuance.confirmed",
    ]


def test_a_refused_request_is_abandoned_with_a_fixed_reason(kiosk: Kiosk, reader: Reader) -> None:
    csr = reader.request_csr(kiosk.link, NUMBER)
    entry_id = issuance.request_certificate(
        kiosk.sessions, kiosk.link, application_id=kiosk.application(), application_number=NUMBER + 41,
        card_id=reader.card_id, cert_kind=CertificateKind.AUTH, csr=csr, now=kiosk.clock(),
    )  # fmt: skip
    kiosk.relay.drain()  # the central has no application 42 and answers with a signed error
    assert kiosk.outbox() == [("p10cr", FAILED)]
    entry = kiosk.entry(entry_id)
    assert entry.step is S.ABANDONED
    assert entry.last_error == responses.REFUSED_REASON


def test_a_certificate_for_an_abandoned_request_is_revoked_as_destroyed(
    kiosk: Kiosk, reader: Reader, server: CentralServer
) -> None:
    entry_id = kiosk.request(reader, NUMBER)
    with kiosk.sessions.begin() as s:  # cancelled at the counter while the p10cr waited in the outbox
        journal.abandon(s, entry_id, reason="cancelled at the counter", now=kiosk.clock())
    kiosk.relay.drain(limit=1)  # the p10cr only
    assert kiosk.step(entry_id) is S.REVOKED_AS_DESTROYED
    assert kiosk.outbox() == [("p10cr", SENT), ("rr", PENDING)]
    issued = x509.load_der_x509_certificate(one_auth_certificate(server, NUMBER).der)
    rr = lcmp.decode(kiosk.outbox_payload("rr"))
    assert isinstance(rr.body, lcmp.Rr)
    assert (rr.body.issuer, rr.body.serial) == (issued.issuer, issued.serial_number)
    assert rr.body.reason is x509.ReasonFlags.cessation_of_operation
    assert jpki_items.integer_value(rr.header.general_info, jpki_items.APPLICATION_NUMBER) == NUMBER
    assert kiosk.entry(entry_id).last_error == responses.LATE_REASON
    kiosk.relay.drain()  # 機構 revokes it ex officio: 破棄
    assert kiosk.outbox() == [("p10cr", SENT), ("rr", SENT)]
    status = server.central.certificate_status(issued.serial_number)
    assert (status.status, status.reason) == (CertStatus.REVOKED, RevocationReason.CESSATION_OF_OPERATION)


class DeferringFront:
    """A CA front that defers: it passes the p10cr on to the real central but answers `waiting`,
    then a pollRep, then the central's certificate — each signed as the central's CMP responder
    and answering the very request sent (so the kiosk's receipt checks apply in full)."""

    def __init__(self, kiosk: Kiosk, server: CentralServer) -> None:
        authority = server.central.authority
        self._protector = lcmp.SignatureProtection(
            authority.cmp_key, authority.cmp_cert, chain=tuple(authority.chain(CaName.TERMINAL))
        )
        self._sender = authority.cmp_cert.subject
        self._link = kiosk.link
        self._answers: list[lcmp.Body] = []

    def send(self, message: OutboxMessage) -> Receipt:
        if message.kind == "p10cr":
            cp = lcmp.decode(self._link.send(message).raw).body
            assert isinstance(cp, lcmp.Cp)
            self._answers = [lcmp.Cp(lcmp.StatusInfo(lcmp.PKIStatus.waiting)), lcmp.PollRep(-1, 60), cp]
        elif message.kind != "pollReq":
            return self._link.send(message)
        request = lcmp.decode(message.payload)
        header = lcmp.reply_header(request.header, self._sender)
        return Receipt(lcmp.encode(lcmp.Message(header, self._answers.pop(0)), self._protector))


def test_delayed_issuance_is_polled_then_installed(
    kiosk: Kiosk, reader: Reader, server: CentralServer
) -> None:
    front = DeferringFront(kiosk, server)
    on_settled = responses.CertificateResponses(kiosk.sealer, kiosk.link, clock=kiosk.clock)
    relay = Relay(
        kiosk.sessions,
        front.send,
        verify_receipt=kiosk.link.verify_receipt,
        on_settled=on_settled,
        clock=kiosk.clock,
    )
    entry_id = kiosk.request(reader, NUMBER)
    relay.drain()  # answered `waiting`: the entry stays where it is
    assert kiosk.step(entry_id) is S.REQUESTED
    assert kiosk.outbox() == [("p10cr", SENT)]

    assert enqueue_polls(kiosk.sessions, kiosk.link, now=kiosk.clock()) == [entry_id]
    assert enqueue_polls(kiosk.sessions, kiosk.link, now=kiosk.clock()) == []  # one is in the outbox
    with kiosk.sessions.begin() as s:
        sent = s.scalars(select(OutboxMessage).order_by(OutboxMessage.seq)).all()
        waiting_answer = lcmp.decode(sent[0].receipt)
    poll = lcmp.decode(sent[1].payload)
    assert isinstance(poll.body, lcmp.PollReq) and poll.body.cert_req_id == -1
    assert poll.header.transaction_id == kiosk.entry(entry_id).transaction_id
    assert poll.header.recip_nonce == waiting_answer.header.sender_nonce

    relay.drain()  # pollRep: ask again in 60 s
    assert kiosk.step(entry_id) is S.REQUESTED
    kiosk.clock.advance(59)
    assert enqueue_polls(kiosk.sessions, kiosk.link, now=kiosk.clock()) == []
    kiosk.clock.advance(1)
    assert enqueue_polls(kiosk.sessions, kiosk.link, now=kiosk.clock()) == [entry_id]
    relay.drain()  # the certificate, in the answer to the second pollReq
    assert kiosk.step(entry_id) is S.CERTIFICATE_RECEIVED

    card = reader.present(kiosk.link)
    issuance.install(kiosk.sessions, kiosk.sealer, kiosk.link, entry_id, card, now=kiosk.clock())
    relay.drain()
    assert [kind for kind, _ in kiosk.outbox()] == ["p10cr", "pollReq", "pollReq", "certConf"]
    assert {state for _, state in kiosk.outbox()} == {SENT}
    with kiosk.sessions.begin() as s:
        last_poll = s.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "pollReq").order_by(OutboxMessage.seq.desc())
        ).first()
        assert last_poll is not None and last_poll.receipt is not None
        cp_header = lcmp.decode(last_poll.receipt).header
    conf = lcmp.decode(kiosk.outbox_payload("certConf"))
    assert conf.header.recip_nonce == cp_header.sender_nonce  # follows up on the cp that carried it
    assert one_auth_certificate(server, NUMBER).installed_at is not None
    assert _audit_actions(kiosk, entry_id).count("issuance.poll") == 2


def test_install_refuses_a_certificate_that_does_not_fit_the_card(kiosk: Kiosk, reader: Reader) -> None:
    entry_id = kiosk.request(reader, NUMBER)
    kiosk.relay.drain()
    # the card gets another key before the write (the old certificate is gone with it)
    reader.replace_auth_key(kiosk.server.central.authority.admin_master_key)
    with pytest.raises(issuance.CertificateNotWritable):
        issuance.install(
            kiosk.sessions, kiosk.sealer, kiosk.link, entry_id, reader.present(kiosk.link), now=kiosk.clock()
        )
    assert reader.auth_certificate() == b""
    entry = kiosk.entry(entry_id)
    assert (entry.step, entry.attempts) == (S.CERTIFICATE_RECEIVED, 0)
