"""The unattended PIN reset flow (kiosk/flows/unattended; docs/unattended.md) against the real
central over HTTPS, with a software card: the terminal is registered as unattended, the card's
user-authentication certificate was issued by the central at a counter, so its auth PIN proves the
person when the signing PIN is reset. The face decision is given as the face check returns it
(the camera path is the e2e tests'); everything else is real: card, central, outbox, audit."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from counter_fixtures import OPERATOR, juki_identity
from flowkit import MUNICIPALITY, CentralServer, Reader, enrol
from sqlalchemy import select

from appdata.model import Procedure
from appdata.unattended import Reason, Refusal
from cardemu.residents import KENHOJO_PIN, SIGN_PIN, resident_specs
from cardemu.testpki import TestPki
from central.enums import ResetOutcomeKind, TerminalMode, TicketState
from central.models import ResetTicket
from kiosk.domain.eligibility import Certificate
from kiosk.domain.pin_rules import PinKind
from kiosk.domain.secret import Secret
from kiosk.domain.unattended import Unavailable
from kiosk.facecheck.check import FaceDecision
from kiosk.facecheck.check import Outcome as FaceOutcome
from kiosk.flows.counter.card import CardAtCounter
from kiosk.flows.counter.certificates import CertificateFlow, CertificateRequest
from kiosk.flows.counter.machine import FlowEnded, Outcome
from kiosk.flows.counter.terminal import CounterTerminal, utcnow
from kiosk.flows.responses import CertificateResponses
from kiosk.flows.unattended import Capabilities, Referred, ResetState, UnattendedReset, wire
from kiosk.reader.authenticity import IssuerTrust
from kiosk.reader.jpki import JpkiPin, JpkiSession
from kiosk.reader.transport import Transport
from kiosk.store.audit import verify_chain
from kiosk.store.db import make_engine, make_sessionmaker
from kiosk.store.migrate import upgrade
from kiosk.store.models import AuditRecord
from kiosk.store.sealed import Sealer, load_or_create_data_key
from kiosk.sync.bootstrap import identity_in
from kiosk.sync.central import CentralLink
from kiosk.sync.relay import Relay

UNATTENDED = "kiosk-shop-01"
BOTH = Capabilities().pins
NEW_SIGN_PIN = "SHOP2026X"
AUTH_ISSUED_PIN = "8642"  # the auth PIN set when the counter issued the certificate


def _decision(outcome: FaceOutcome = FaceOutcome.MATCHED, score: float | None = 0.41) -> FaceDecision:
    """The face check's result as FaceCheckWorker hands it over (liveness always asked here)."""
    return FaceDecision(outcome, "test", score, 0.50, 5, True, (), (), 12.0)


@pytest.fixture
def unattended(server: CentralServer, test_pki: TestPki, tmp_path: Path) -> CounterTerminal:
    """The shop terminal: registered as unattended (both PINs), its own identity and store."""
    identity, key = enrol(
        server.central, UNATTENDED, MUNICIPALITY, tmp_path / "shop-identity",
        mode=TerminalMode.UNATTENDED, reset_pins="sign auth",
    )  # fmt: skip
    engine = make_engine(tmp_path / "shop.db")
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    sealer = Sealer(load_or_create_data_key(tmp_path / "shop-data"))
    link = CentralLink(server.url, identity, timeout=10)
    relay = Relay(sessions, link.send, verify_receipt=link.verify_receipt,
                  on_settled=CertificateResponses(sealer, link, clock=utcnow), clock=utcnow)  # fmt: skip
    return CounterTerminal(
        sessions=sessions, sealer=sealer, link=link, relay=relay, terminal_id=UNATTENDED,
        signing_key=key, recipient=server.central.authority.encryption_key.public_key(),
        trust=IssuerTrust.from_directory(test_pki.write_issuer_trust(tmp_path / "shop-trust")),
        clock=utcnow,
    )  # fmt: skip


@pytest.fixture
def card(terminal: CounterTerminal, insert: Callable[..., tuple[Reader, CardAtCounter]]) -> Reader:
    """The adult's card after a counter visit that issued its user-auth certificate (機構 knows
    it: the proof for a signing-PIN reset). The card is then taken to the shop."""
    reader, at_counter = insert("adult")
    reading = at_counter.read(terminal)
    identity = juki_identity(terminal, at_counter, reading)
    applicant = at_counter.read_holder(terminal, Secret.from_ascii(KENHOJO_PIN))
    request = CertificateRequest(Procedure.NEW_ISSUANCE, (Certificate.USER_AUTH,), applicant, identity)
    flow = CertificateFlow(terminal, at_counter, reading, request, operator=OPERATOR)
    flow.set_new_pin(PinKind.AUTH, Secret.from_ascii(AUTH_ISSUED_PIN))
    flow.apply()
    flow.install()
    at_counter.release()
    reader.insert()
    return reader


def _begin(unattended: CounterTerminal, reader: Reader, pins: tuple[PinKind, ...] = BOTH) -> UnattendedReset:
    return UnattendedReset.begin(unattended, CardAtCounter(reader), pins)


def _to_face(flow: UnattendedReset) -> None:
    flow.choose(PinKind.SIGN)
    assert flow.verify_other(Secret.from_ascii(AUTH_ISSUED_PIN)).verified
    photo = flow.read_photo(Secret.from_ascii(resident_specs()["adult"].pin_b))
    assert photo  # the chip's JP2 photo, for the face check
    photo[:] = bytes(len(photo))


def _status(reader: Reader, pin: JpkiPin):
    return JpkiSession(Transport(reader)).pin_status(pin)


def _tickets(server: CentralServer) -> list[ResetTicket]:
    with server.central.transaction() as s:
        rows = list(s.scalars(select(ResetTicket).order_by(ResetTicket.requested_at)))
        s.expunge_all()
        return rows


def _reported(server: CentralServer, unattended: CounterTerminal) -> ResetTicket:
    """The last ticket once the outcome report has reached 機構 (it is delivered off-thread)."""
    for _ in range(50):
        wire.deliver(unattended)
        ticket = _tickets(server)[-1]
        if ticket.outcome is not None:
            return ticket
        time.sleep(0.1)
    raise AssertionError("the outcome report never reached 機構")


def _actions(unattended: CounterTerminal) -> list[str]:
    with unattended.sessions() as s:
        return [r.action for r in s.scalars(select(AuditRecord).order_by(AuditRecord.id))]


def test_the_signing_pin_is_reset_after_the_auth_pin_and_the_face(
    unattended: CounterTerminal, card: Reader, server: CentralServer
) -> None:
    flow = _begin(unattended, card)
    assert flow.offer.resettable == (PinKind.SIGN,)
    # The card's signing certificate is the test PKI's, not 機構's: it cannot prove anything.
    assert flow.offer.unavailable == {PinKind.AUTH: Unavailable.NO_PROOF_CERTIFICATE}
    _to_face(flow)
    flow.face_decided(_decision())
    assert flow.state is ResetState.NEW_PIN
    new = Secret.from_ascii(NEW_SIGN_PIN)
    flow.set_new_pin(new)
    receipt = flow.reset()
    assert new.wiped and flow.ending.outcome is Outcome.COMPLETED
    assert (receipt.target, receipt.terminal_id) == (PinKind.SIGN, UNATTENDED)
    jpki = JpkiSession(Transport(card))
    with Secret.from_ascii(NEW_SIGN_PIN) as pin:
        jpki.verify(JpkiPin.SIGN, pin)  # the new PIN opens the signing key
    assert _status(card, JpkiPin.AUTH).tries_left == 3  # the proving PIN is untouched
    ticket = _reported(server, unattended)
    assert (ticket.state, ticket.outcome, ticket.target) == (
        TicketState.USED,
        ResetOutcomeKind.COMPLETED,
        "sign",
    )
    assert ticket.application_id is not None
    actions = _actions(unattended)
    for expected in (
        "unattended.offer",
        "unattended.ticket",
        "pin.verify",
        "identity.face_check",
        "pin.reset",
    ):
        assert expected in actions
    with unattended.sessions() as s:
        assert verify_chain(s).ok


def test_a_wrong_other_pin_is_tried_while_a_try_is_to_spare_then_referred(
    unattended: CounterTerminal, card: Reader, server: CentralServer
) -> None:
    flow = _begin(unattended, card)
    flow.choose(PinKind.SIGN)
    wrong = Secret.from_ascii("0000")
    attempt = flow.verify_other(wrong)
    assert not attempt.verified and attempt.tries_left == 2 and wrong.wiped
    with pytest.raises(Referred) as referred:
        flow.verify_other(Secret.from_ascii("1111"))
    assert referred.value.reason is Reason.OTHER_PIN_WRONG
    status = _status(card, JpkiPin.AUTH)
    assert status.tries_left == 1 and not status.blocked  # the last try is kept for the counter
    with Secret.from_ascii(SIGN_PIN) as pin:
        JpkiSession(Transport(card)).verify(JpkiPin.SIGN, pin)  # the signing PIN is unchanged
    ticket = _reported(server, unattended)
    assert (ticket.outcome, ticket.outcome_reason) == (ResetOutcomeKind.REFERRED, "other-pin-wrong")


@pytest.mark.parametrize(
    ("outcome", "score", "reason"),
    [
        (FaceOutcome.NOT_MATCHED, 0.72, Reason.FACE_MISMATCH),
        (FaceOutcome.ATTACK_SUSPECTED, 0.06, Reason.PRESENTATION_ATTACK),  # a held-up card photo
        (FaceOutcome.UNABLE, None, Reason.FACE_NOT_CAPTURED),
    ],
)
def test_no_live_match_no_reset(
    unattended: CounterTerminal,
    card: Reader,
    server: CentralServer,
    outcome: FaceOutcome,
    score: float | None,
    reason: Reason,
) -> None:
    flow = _begin(unattended, card)
    _to_face(flow)
    with pytest.raises(Referred) as referred:
        flow.face_decided(_decision(outcome, score))
    assert referred.value.reason is reason and flow.ending.outcome is Outcome.REFUSED
    ticket = _reported(server, unattended)
    assert ticket.application_id is None  # nothing was asked of 機構 beyond the ticket
    assert ticket.outcome_reason == reason.value


def test_the_face_check_must_have_run_its_challenge(unattended: CounterTerminal, card: Reader) -> None:
    flow = _begin(unattended, card)
    _to_face(flow)
    unchallenged = FaceDecision(FaceOutcome.MATCHED, "test", 0.4, 0.5, 5, False, (), (), 9.0)
    with pytest.raises(ValueError, match="presentation-attack"):
        flow.face_decided(unchallenged)


def test_the_card_limit_at_the_central_refers_the_fourth_attempt(
    unattended: CounterTerminal, card: Reader, server: CentralServer
) -> None:
    for _ in range(3):  # three attempts abandoned after the ticket
        flow = _begin(unattended, card)
        flow.choose(PinKind.SIGN)
        flow.cancel()
    flow = _begin(unattended, card)
    with pytest.raises(Referred) as referred:
        flow.choose(PinKind.SIGN)
    assert (referred.value.reason, referred.value.refusal) == (
        Reason.CENTRAL_REFUSED,
        Refusal.RATE_LIMITED_CARD,
    )
    states = [t.state for t in _tickets(server)]
    assert states == [TicketState.OPEN] * 3 + [TicketState.REFUSED]


def test_a_suspended_card_is_referred_before_any_ticket(
    unattended: CounterTerminal, card: Reader, server: CentralServer
) -> None:
    server.central.suspend_card(card.card_id)
    with pytest.raises(Referred) as referred:
        _begin(unattended, card)
    assert (referred.value.reason, referred.value.refusal) == (
        Reason.CENTRAL_REFUSED,
        Refusal.CARD_NOT_OPERATING,
    )
    assert _tickets(server) == []


def test_a_card_suspended_after_the_offer_is_refused_by_the_central(
    unattended: CounterTerminal, card: Reader, server: CentralServer
) -> None:
    flow = _begin(unattended, card)
    server.central.suspend_card(card.card_id)
    with pytest.raises(Referred) as referred:
        flow.choose(PinKind.SIGN)
    assert referred.value.refusal is Refusal.CARD_NOT_OPERATING
    assert [t.refusal for t in _tickets(server)] == ["card-not-operating"]


def test_a_counter_terminal_gets_no_ticket(terminal: CounterTerminal, card: Reader) -> None:
    flow = UnattendedReset.begin(terminal, CardAtCounter(card), BOTH)
    with pytest.raises(Referred) as referred:
        flow.choose(PinKind.SIGN)
    assert referred.value.refusal is Refusal.TERMINAL_NOT_UNATTENDED


def test_the_central_down_refers_at_once(unattended: CounterTerminal, card: Reader, tmp_path: Path) -> None:
    flow = _begin(unattended, card)
    # The line to 機構 goes down after the offer: nothing listens on port 9 of the loopback.
    flow.terminal = dataclasses.replace(
        unattended, link=CentralLink("https://127.0.0.1:9/pkix/", identity_in(tmp_path / "shop-identity"))
    )
    with pytest.raises(Referred) as referred:
        flow.choose(PinKind.SIGN)
    assert referred.value.reason is Reason.CENTRAL_UNREACHABLE


def test_the_card_pulled_during_the_reset_ends_it_and_changes_nothing(
    unattended: CounterTerminal, card: Reader, server: CentralServer
) -> None:
    flow = _begin(unattended, card)
    _to_face(flow)
    flow.face_decided(_decision())
    new = Secret.from_ascii(NEW_SIGN_PIN)
    flow.set_new_pin(new)
    card.pull_at(0x2C)  # RESET RETRY COUNTER
    with pytest.raises(FlowEnded) as ended:
        flow.reset()
    assert ended.value.ending.outcome is Outcome.CARD_REMOVED and new.wiped and not flow.writing
    card.insert()
    with Secret.from_ascii(SIGN_PIN) as pin:
        JpkiSession(Transport(card)).verify(JpkiPin.SIGN, pin)  # the old signing PIN still holds
    ticket = _reported(server, unattended)
    assert (ticket.outcome, ticket.outcome_reason) == (ResetOutcomeKind.REFERRED, "card-removed")


def test_a_ticket_granted_after_the_card_was_pulled_is_reported(
    unattended: CounterTerminal, card: Reader, server: CentralServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The card is taken out while 機構 opens the ticket (the UI ends the attempt on its thread):
    the ticket that comes afterwards is reported closed at once, not left to expire."""
    flow = _begin(unattended, card)
    asked = wire.request_ticket

    def pulled_meanwhile(*args: object) -> object:
        answer = asked(*args)  # type: ignore[arg-type]
        flow.card_removed()  # as CounterWindow.card_removed does while the worker waits
        return answer

    monkeypatch.setattr(wire, "request_ticket", pulled_meanwhile)
    with pytest.raises(FlowEnded) as ended:
        flow.choose(PinKind.SIGN)
    assert ended.value.ending.outcome is Outcome.CARD_REMOVED and flow.state is ResetState.CHOOSE
    ticket = _reported(server, unattended)
    assert (ticket.outcome, ticket.outcome_reason) == (ResetOutcomeKind.REFERRED, "card-removed")
    assert _actions(unattended).count("unattended.ticket") == 1  # the ticket is on record here too


def test_a_trivial_new_pin_is_refused_before_the_card(unattended: CounterTerminal, card: Reader) -> None:
    flow = _begin(unattended, card)
    _to_face(flow)
    flow.face_decided(_decision())
    trivial = Secret.from_ascii("AAAAAA")
    with pytest.raises(ValueError, match="refused"):
        flow.set_new_pin(trivial)
    assert trivial.wiped and flow.state is ResetState.NEW_PIN


def test_a_wrong_card_code_twice_is_referred(unattended: CounterTerminal, card: Reader) -> None:
    flow = _begin(unattended, card)
    flow.choose(PinKind.SIGN)
    flow.verify_other(Secret.from_ascii(AUTH_ISSUED_PIN))
    assert flow.read_photo(Secret.from_ascii("00000000000000")) is None
    with pytest.raises(Referred) as referred:
        flow.read_photo(Secret.from_ascii("00000000000000"))
    assert referred.value.reason is Reason.CARD_CODE_WRONG


def test_both_forgotten_is_referred_without_a_ticket(
    unattended: CounterTerminal, card: Reader, server: CentralServer
) -> None:
    flow = _begin(unattended, card)
    referred = flow.refer_both_forgotten()
    assert referred.reason is Reason.BOTH_FORGOTTEN and flow.closed
    assert _tickets(server) == []


def test_only_the_declared_pins_are_offered(unattended: CounterTerminal, card: Reader) -> None:
    with pytest.raises(Referred) as referred:
        _begin(unattended, card, (PinKind.AUTH,))
    # auth: no proof (the signing certificate is not 機構's); sign: not declared here.
    assert referred.value.refusal is Refusal.NO_PROOF_CERTIFICATE
    assert referred.value.attempt.startswith("reset/")  # for the slip: `begin` returns no flow
