"""The unattended PIN reset over CMP (what an unattended terminal may send, the genp shapes it
gets), and end to end on the software card: the card's own signature proves the other PIN, and
the central's authorisation resets the blocked PIN on it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from central_testkit import MUNICIPALITY, NOW, World, application, csr, key
from cmp_testkit import client_for, items
from cryptography import x509
from unattended_testkit import STORE, Scene, add_unattended, reset_data, scene, sign

import lcmp
from appdata.model import ApplicationData
from appdata.status import CardStatusAnswer
from appdata.unattended import (
    Outcome,
    Reason,
    Refusal,
    ResetOutcome,
    ResetProof,
    TicketAnswer,
    TicketRequest,
    proof_message,
)
from cardadmin import AdminOp, AdminOperation, derive_card_key, verify_response
from cardadmin.operation import SIGN_PIN
from cardemu.card import SoftCard
from cardemu.inprocess import SoftCardConnection
from cardemu.residents import AUTH_PIN, SIGN_BLOCKED
from cardemu.state import CardState
from cardemu.testpki import TestPki
from central import policy, terminals
from central.cmp_intake import CmpIntake
from central.enums import CertKind, TicketState
from central.errors import AuthorizationRefused
from central.models import Application, ResetTicket
from central.service import Central
from kiosk.domain.secret import Secret
from kiosk.reader.admin import ChallengeResponseIssuer
from kiosk.reader.csr import p10_from_card
from kiosk.reader.jpki import CertSlot, JpkiKey, JpkiPin, JpkiSession
from kiosk.reader.trace import ApduTrace
from kiosk.reader.transport import Transport
from lcmp import jpki_items

RESET_SIGN_PIN = AdminOperation(AdminOp.RESET_PIN, SIGN_PIN)


@pytest.fixture
def intake(world: World) -> CmpIntake:
    return CmpIntake(world.central, clock=lambda: NOW)


def client(world: World, intake: CmpIntake) -> lcmp.CmpClient:
    with world.central.transaction() as s:
        cert = x509.load_der_x509_certificate(terminals.current_certificate(s, world.terminal_id).der)
    return client_for(world, intake, signer_cert=cert)


def utf8(info_type: str, text: str) -> lcmp.InfoTypeAndValue:
    return lcmp.InfoTypeAndValue.utf8(info_type, text)


def answers(client: lcmp.CmpClient, *items: lcmp.InfoTypeAndValue) -> dict[str, str]:
    return {item.info_type: item.utf8_value() for item in client.genm(items)}


def ask_ticket(client: lcmp.CmpClient, card: bytes, target: str = "sign") -> TicketAnswer:
    answer = answers(
        client, utf8(jpki_items.RESET_TICKET_REQUEST, TicketRequest(card.hex(), target).to_json())
    )
    assert list(answer) == [jpki_items.RESET_TICKET]
    return TicketAnswer.from_json(answer[jpki_items.RESET_TICKET])


def file(client: lcmp.CmpClient, terminal: World, data: ApplicationData, proof: ResetProof) -> dict[str, str]:
    envelope = terminal.seal(data, now=NOW)
    return answers(
        client, utf8(jpki_items.APPLICATION_ENVELOPE, envelope), utf8(jpki_items.RESET_PROOF, proof.to_json())
    )


def report(client: lcmp.CmpClient, outcome: ResetOutcome) -> dict[str, str]:
    return answers(client, utf8(jpki_items.RESET_OUTCOME, outcome.to_json()))


def refused(send: Callable[[], object]) -> lcmp.CmpRejected:
    with pytest.raises(lcmp.CmpRejected) as exc:
        send()
    return exc.value


def tickets(sc: Scene) -> int:
    with sc.central.transaction() as s:
        return len(s.query(ResetTicket).all())


def test_reset_over_cmp(world: World, intake: CmpIntake) -> None:
    sc = scene(world)
    store = client(sc.store, intake)
    # The ticket request: a stored answer, so a re-sent request is the same ticket.
    request = store.prepare_genm(
        (utf8(jpki_items.RESET_TICKET_REQUEST, TicketRequest(sc.card.hex(), "sign").to_json()),)
    )
    before = tickets(sc)
    first = store.send_genm(request)
    again = lcmp.decode(intake.handle_cmp(request, store_cert(sc)))
    assert isinstance(again.body, lcmp.Genp) and again.body.items == first
    assert tickets(sc) == before + 1
    answer = TicketAnswer.from_json(first[0].utf8_value())
    assert answer.granted and answer.expires_at == NOW + dt.timedelta(minutes=10)

    # The application with its proof: approved, under the terminal's application number.
    app_id = jpki_items.application_id(STORE, 7)
    filed = file(
        store, sc.store, reset_data(sc.card, application_id=app_id), sign(sc.keys["auth"], answer, sc.card)
    )
    assert filed == {jpki_items.APPLICATION_ID: app_id, jpki_items.APPLICATION_STATUS: "approved"}

    # The admin challenge for it: the card's response.
    ch = os.urandom(16)
    asked = (
        jpki_items.octets_item(jpki_items.ADMIN_CHALLENGE, sc.card + ch + RESET_SIGN_PIN.encode()),
        *items(7),
    )
    [response] = store.genm(asked)
    assert response.info_type == jpki_items.ADMIN_RESPONSE
    card_key = derive_card_key(sc.central.authority.admin_master_key, sc.card)
    value = jpki_items.octets_value((response,), jpki_items.ADMIN_RESPONSE)
    assert value is not None and verify_response(card_key, sc.card, ch, RESET_SIGN_PIN, value)

    # The outcome: recorded, once; the same report again (a new message) is recorded too.
    done = ResetOutcome(answer.ticket_id or "", Outcome.COMPLETED)
    assert report(store, done) == {jpki_items.APPLICATION_STATUS: "recorded"}
    assert report(store, done) == {jpki_items.APPLICATION_STATUS: "recorded"}
    other = refused(lambda: report(store, ResetOutcome(done.ticket_id, Outcome.REFERRED, Reason.CANCELLED)))
    assert other.failure_info & lcmp.FailureInfo.badRequest and "another outcome" in str(other)
    second = client(add_unattended(sc.central, "store-0002"), intake)
    foreign = refused(lambda: report(second, done))
    assert foreign.failure_info & lcmp.FailureInfo.notAuthorized and "another terminal's" in str(foreign)


def store_cert(sc: Scene) -> x509.Certificate:
    with sc.central.transaction() as s:
        return x509.load_der_x509_certificate(terminals.current_certificate(s, STORE).der)


def test_refusals_over_cmp_are_answers(world: World, intake: CmpIntake) -> None:
    sc = scene(world)
    store, counter = client(sc.store, intake), client(sc.counter, intake)
    # A refused ticket request is a genp with the refusal, not a CMP error.
    assert ask_ticket(counter, sc.card) == TicketAnswer(refusal=Refusal.TERMINAL_NOT_UNATTENDED)
    assert ask_ticket(store, bytes(16)) == TicketAnswer(refusal=Refusal.CARD_UNREGISTERED)
    # A refused application is "rejected:<refusal code> (<rule>)", as the kiosk parses it.
    filed = file(store, sc.store, reset_data(sc.card), sc.proof(live=False))
    assert (
        filed[jpki_items.APPLICATION_STATUS] == f"rejected:face-not-matched ({policy.RULE_UNATTENDED_FACE})"
    )


def _p10cr(c: lcmp.CmpClient, _sc: Scene) -> object:
    return c.send_p10cr(
        c.prepare_p10cr(csr(key("u-p10")), general_info=items(1, jpki_items.CertificateKind.SIGN))
    )


def _rr(c: lcmp.CmpClient, sc: Scene) -> object:
    return c.send_rr(c.prepare_rr(sc.central.authority.auth_ca.cert.subject, 5, general_info=items(1)))


def _certificate_query(c: lcmp.CmpClient, _sc: Scene) -> object:
    return c.genm((jpki_items.integer_item(jpki_items.CERTIFICATE_QUERY, 5),))


def _handover_query(c: lcmp.CmpClient, _sc: Scene) -> object:
    return c.genm((jpki_items.octets_item(jpki_items.HANDOVER_QUERY, bytes(16)),))


def _installed(c: lcmp.CmpClient, _sc: Scene) -> object:
    return c.genm((jpki_items.integer_item(jpki_items.INSTALLED_SERIAL, 5), *items(1)))


def _handed_over_challenge(c: lcmp.CmpClient, _sc: Scene) -> object:
    asked = jpki_items.octets_item(jpki_items.ADMIN_CHALLENGE, bytes(32) + RESET_SIGN_PIN.encode())
    return c.genm((asked, utf8(jpki_items.APPLICATION_ID, "kiosk-0001/1")))


def _envelope_without_proof(c: lcmp.CmpClient, sc: Scene) -> object:
    return c.genm((utf8(jpki_items.APPLICATION_ENVELOPE, sc.store.seal(reset_data(sc.card), now=NOW)),))


def _proof_without_envelope(c: lcmp.CmpClient, sc: Scene) -> object:
    return c.genm((utf8(jpki_items.RESET_PROOF, sc.proof().to_json()),))


def _issuance(c: lcmp.CmpClient, sc: Scene) -> object:
    return file(c, sc.store, application(card_id=sc.card, operator=""), sc.proof())


def _photo_id(c: lcmp.CmpClient, sc: Scene) -> object:
    data = reset_data(sc.card, identity_check=application(card_id=sc.card).identity_check)
    return file(c, sc.store, data, sc.proof())


NOT_FOR_UNATTENDED: dict[str, tuple[Callable[[lcmp.CmpClient, Scene], object], str]] = {
    "p10cr": (_p10cr, "p10cr is not for an unattended terminal"),
    "rr": (_rr, "rr is not for an unattended terminal"),
    "certificate query": (_certificate_query, "certificate-query is not for an unattended terminal"),
    "handover query": (_handover_query, "handover-query is not for an unattended terminal"),
    "installed serial": (_installed, "installed-serial is not for an unattended terminal"),
    "handed-over application": (_handed_over_challenge, "application-id is not for an unattended terminal"),
    "application without proof": (_envelope_without_proof, "travel together"),
    "proof without application": (_proof_without_envelope, "travel together"),
    "another procedure": (_issuance, "may not apply for new_issuance"),
    "another identity method": (_photo_id, "identity method photo_id is not its"),
}


@pytest.mark.parametrize("case", NOT_FOR_UNATTENDED, ids=list(NOT_FOR_UNATTENDED))
def test_what_an_unattended_terminal_may_not_send(
    world: World, intake: CmpIntake, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    sc = scene(world)
    store = client(sc.store, intake)
    send, message = NOT_FOR_UNATTENDED[case]
    caplog.set_level(logging.INFO)
    exc = refused(lambda: send(store, sc))
    assert exc.failure_info & lcmp.FailureInfo.notAuthorized and message in str(exc), str(exc)
    assert any(r.levelno == logging.WARNING and STORE in r.getMessage() for r in caplog.records)  # logged
    with sc.central.transaction() as s:
        assert s.query(Application).filter(Application.terminal_id == STORE).count() == 0
    assert sc.row().state is TicketState.OPEN


def test_what_an_unattended_terminal_may_send(world: World, intake: CmpIntake) -> None:
    """Besides tickets, applications, challenges and reports (test_reset_over_cmp): the card
    query of its identity check and its notice pull."""
    sc = scene(world)
    store = client(sc.store, intake)
    status = answers(store, jpki_items.octets_item(jpki_items.CARD_QUERY, sc.card))
    assert CardStatusAnswer.from_json(status[jpki_items.CARD_STATUS]).status == "operating"
    assert jpki_items.NOTICE_PAGE in answers(store, jpki_items.integer_item(jpki_items.NOTICES_AFTER, 0))


def test_what_a_counter_terminal_may_not_send(world: World, intake: CmpIntake) -> None:
    sc = scene(world)
    counter = client(sc.counter, intake)
    proof = refused(lambda: file(counter, sc.counter, reset_data(sc.card), sc.proof()))
    assert proof.failure_info & lcmp.FailureInfo.notAuthorized and "reset proof is for unattended" in str(
        proof
    )
    envelope = sc.counter.seal(reset_data(sc.card), now=NOW)  # other_pin_and_face, no proof
    method = refused(lambda: counter.genm((utf8(jpki_items.APPLICATION_ENVELOPE, envelope),)))
    assert method.failure_info & lcmp.FailureInfo.notAuthorized and "counter terminal" in str(method)


@pytest.mark.parametrize(
    ("item", "text", "message"),
    [
        (jpki_items.RESET_TICKET_REQUEST, '{"card_id": "ab", "target": "sign"}', "card_id must be"),
        (
            jpki_items.RESET_TICKET_REQUEST,
            '{"card_id": "' + "ab" * 16 + '", "target": "juki"}',
            "target must be",
        ),
        (
            jpki_items.RESET_OUTCOME,
            '{"ticket_id": "t", "outcome": "completed", "reason": "cancelled"}',
            "only a ref",
        ),
        (jpki_items.RESET_OUTCOME, "not json", "not JSON"),
    ],
)
def test_malformed_messages(world: World, intake: CmpIntake, item: str, text: str, message: str) -> None:
    sc = scene(world)
    exc = refused(lambda: client(sc.store, intake).genm((utf8(item, text),)))
    assert exc.failure_info & lcmp.FailureInfo.badDataFormat and message in str(exc), str(exc)


def test_malformed_proof(world: World, intake: CmpIntake) -> None:
    sc = scene(world)
    envelope = sc.store.seal(reset_data(sc.card), now=NOW)
    bad = sc.proof().to_json().replace('"liveness_passed": true', '"liveness_passed": 1')
    exc = refused(
        lambda: client(sc.store, intake).genm(
            (utf8(jpki_items.APPLICATION_ENVELOPE, envelope), utf8(jpki_items.RESET_PROOF, bad))
        )
    )
    assert exc.failure_info & lcmp.FailureInfo.badDataFormat and "liveness_passed" in str(exc)


# -- on the software card --------------------------------------------------------------------


class _At:
    """`kiosk.reader.admin.AdminAuthorizer` at a fixed time (the tests' clock, not the wall's)."""

    def __init__(self, central: Central, application_id: str, terminal_id: str, now: dt.datetime) -> None:
        self.central, self.application_id, self.terminal_id, self.now = (
            central,
            application_id,
            terminal_id,
            now,
        )

    def authorize(self, card_id: bytes, challenge: bytes, operation: AdminOperation) -> bytes:
        return self.central.authorize(
            card_id, challenge, operation, self.application_id, terminal_id=self.terminal_id, now=self.now
        )


@pytest.fixture
def card_world(world: World, test_pki: TestPki) -> World:
    # The software cards are personalised from the test PKI's master key; the central holds it.
    world.central = Central(
        dataclasses.replace(world.central.authority, admin_master_key=test_pki.admin_master_key),
        world.central.engine,
    )
    return world


def test_reset_a_blocked_signing_pin_on_the_software_card(
    card_world: World, card_file: Callable[[str], Path]
) -> None:
    counter, central = card_world, card_world.central
    card = SoftCard(CardState.load(path := card_file(SIGN_BLOCKED)), path)
    jpki = JpkiSession(Transport(SoftCardConnection(card, extended_length=True), ApduTrace()))
    card_id = card.state.card_id
    expiry = dt.datetime.strptime(card.state.expiry, "%Y%m%d").date()
    central.register_card(card_id, MUNICIPALITY, "holder-blocked", expiry, now=NOW)
    assert jpki.pin_status(JpkiPin.SIGN).blocked

    # The card's auth key, certified by this central when the card was issued.
    issuance = counter.apply(application(card_id=card_id, certificates=("auth",)))
    issuer = ChallengeResponseIssuer(jpki, _At(central, issuance.id, counter.terminal_id, NOW))
    public_key = issuer.generate_key_pair(JpkiKey.AUTH)
    jpki.verify(JpkiPin.AUTH, Secret.from_ascii(AUTH_PIN))
    request = p10_from_card(public_key, lambda digest_info: jpki.compute_signature(JpkiKey.AUTH, digest_info))
    issued = central.issue_certificate(
        issuance.id, request, CertKind.AUTH, terminal_id=counter.terminal_id, now=NOW
    )
    issuer.write_certificate(CertSlot.AUTH, issued.der)
    central.confirm_installed(issued.serial, terminal_id=counter.terminal_id, now=NOW)

    # At the unattended terminal: the ticket, the card's signature with the auth key (auth PIN
    # verified), the face decision, the application.
    store = add_unattended(central, reset_pins="sign")
    ticket = central.request_reset_ticket(TicketRequest(card_id.hex(), "sign"), terminal_id=STORE, now=NOW)
    assert ticket.ticket_id is not None and ticket.nonce is not None
    jpki.verify(JpkiPin.AUTH, Secret.from_ascii(AUTH_PIN))
    message = proof_message(ticket.ticket_id, ticket.nonce, card_id.hex(), "sign", STORE)
    proof = ResetProof(ticket.ticket_id, jpki.sign_sha256(JpkiKey.AUTH, message), 0.41, 0.50, True)
    record = central.receive_application(
        store.seal(reset_data(card_id), now=NOW), terminal_id=STORE, proof=proof, now=NOW
    )
    assert record.approved, record.rejection

    # The central's single-use authorisation resets the blocked PIN on the card.
    reset = ChallengeResponseIssuer(jpki, _At(central, record.id, STORE, NOW + dt.timedelta(minutes=1)))
    reset.reset_pin(JpkiPin.SIGN, Secret.from_ascii("NEWPASS1"))
    jpki.verify(JpkiPin.SIGN, Secret.from_ascii("NEWPASS1"))
    with pytest.raises(AuthorizationRefused, match="already-used"):
        reset.reset_pin(JpkiPin.SIGN, Secret.from_ascii("OTHER22"))
    central.record_reset_outcome(
        ResetOutcome(ticket.ticket_id, Outcome.COMPLETED), terminal_id=STORE, now=NOW
    )

    # A card signature over another attempt's message proves nothing for this one.
    second = central.request_reset_ticket(TicketRequest(card_id.hex(), "sign"), terminal_id=STORE, now=NOW)
    assert second.ticket_id is not None and second.nonce is not None
    jpki.verify(JpkiPin.AUTH, Secret.from_ascii(AUTH_PIN))
    stale = ResetProof(second.ticket_id, proof.signature, 0.41, 0.50, True)
    again = central.receive_application(
        store.seal(reset_data(card_id), now=NOW), terminal_id=STORE, proof=stale, now=NOW
    )
    assert again.rejection is not None and again.rejection.startswith("proof-invalid")
