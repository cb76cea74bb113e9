"""PIN change, PIN reset, revocation and the face-auth switch through their counter flows, with the
real central in-process and a software card; every ending wipes the PINs the flow held."""

from __future__ import annotations

import pytest
from counter_fixtures import OPERATOR, juki_identity, unreachable

from appdata.model import Procedure
from cardemu.residents import AUTH_PIN, KENHOJO_PIN, SIGN_PIN
from central.enums import CertStatus
from kiosk.domain.eligibility import Certificate
from kiosk.domain.pin_rules import PinKind
from kiosk.domain.secret import Secret
from kiosk.flows.counter import applications
from kiosk.flows.counter.applications import Answer
from kiosk.flows.counter.certificates import CertificateFlow, CertificateRequest
from kiosk.flows.counter.face_switch import FaceSwitchFlow
from kiosk.flows.counter.identity import IdentityRefused, IdentityStep
from kiosk.flows.counter.machine import FlowClosed, FlowEnded, IllegalStep, Outcome
from kiosk.flows.counter.pins import PinChangeFlow, PinResetFlow
from kiosk.flows.counter.revocation import RevocationFlow
from kiosk.reader.errors import InvalidPin, PinBlocked
from kiosk.reader.jpki import JpkiPin, JpkiSession
from kiosk.reader.session import PinStatus
from kiosk.reader.transport import Transport


def _visit(terminal, insert):
    reader, card = insert("adult")
    reading = card.read(terminal)
    identity = juki_identity(terminal, card, reading)
    applicant = card.read_holder(terminal, Secret.from_ascii(KENHOJO_PIN))
    return reader, card, reading, identity, applicant


def _status(reader, pin: JpkiPin) -> PinStatus:
    return JpkiSession(Transport(reader)).pin_status(pin)


def _reset_flow(terminal, card, reading, identity, applicant, target: PinKind) -> PinResetFlow:
    return PinResetFlow(
        terminal,
        card,
        reading,
        targets=(target,),
        applicant=applicant,
        identity=identity,
        operator=OPERATOR,
    )


def _issue_auth(terminal, card, reading, identity, applicant, new_pin: str = "8642") -> str:
    """A certificate 機構 knows, as the procedures below need."""
    request = CertificateRequest(Procedure.NEW_ISSUANCE, (Certificate.USER_AUTH,), applicant, identity)
    flow = CertificateFlow(terminal, card, reading, request, operator=OPERATOR)
    flow.set_new_pin(PinKind.AUTH, Secret.from_ascii(new_pin))
    flow.apply()
    return flow.install()[0].serial


def test_pin_change_on_the_card(terminal, insert) -> None:
    reader, card, *_ = _visit(terminal, insert)
    flow = PinChangeFlow(terminal, card, PinKind.AUTH, actor=OPERATOR)
    wrong = flow.verify_current(Secret.from_ascii("0000"))
    assert (wrong.verified, wrong.tries_left) == (False, 2)
    current = Secret.from_ascii(AUTH_PIN)
    assert flow.verify_current(current).verified
    new = Secret.from_ascii("5820")
    flow.change(new)
    assert flow.ending.outcome is Outcome.COMPLETED and current.wiped and new.wiped
    with Secret.from_ascii("5820") as pin:
        JpkiSession(Transport(reader)).verify(JpkiPin.AUTH, pin)


def test_pin_change_refuses_a_trivial_pin_before_the_card(terminal, insert) -> None:
    reader, card, *_ = _visit(terminal, insert)
    flow = PinChangeFlow(terminal, card, PinKind.AUTH, actor=OPERATOR)
    assert flow.verify_current(Secret.from_ascii(AUTH_PIN)).verified
    trivial = Secret.from_ascii("1111")
    with pytest.raises(ValueError, match="TRIVIAL_PATTERN"):
        flow.change(trivial)
    assert trivial.wiped
    flow.cancel()  # the current PIN it held is wiped with the ending
    with Secret.from_ascii(AUTH_PIN) as pin:
        JpkiSession(Transport(reader)).verify(JpkiPin.AUTH, pin)  # unchanged


def test_wrong_pin_until_lock_out_ends_the_change(terminal, insert) -> None:
    reader, card, *_ = _visit(terminal, insert)
    flow = PinChangeFlow(terminal, card, PinKind.AUTH, actor=OPERATOR)
    assert flow.verify_current(Secret.from_ascii("0000")).tries_left == 2
    assert flow.verify_current(Secret.from_ascii("0001")).tries_left == 1
    with pytest.raises(FlowEnded) as ended:
        flow.verify_current(Secret.from_ascii("0002"))
    assert ended.value.ending == flow.ending and flow.ending.code == "pin-blocked"
    assert _status(reader, JpkiPin.AUTH).blocked
    with pytest.raises(FlowClosed):  # a closed flow takes no more steps
        flow.change(Secret.from_ascii("5820"))


def test_pin_reset_after_lock_out(terminal, insert) -> None:
    reader, card, reading, identity, applicant = _visit(terminal, insert)
    jpki = JpkiSession(Transport(reader))
    for _ in range(3):
        with pytest.raises((InvalidPin, PinBlocked)), Secret.from_ascii("0000") as pin:
            jpki.verify(JpkiPin.AUTH, pin)
    assert _status(reader, JpkiPin.AUTH).blocked
    flow = _reset_flow(terminal, card, reading, identity, applicant, PinKind.AUTH)
    new = Secret.from_ascii("7395")
    flow.set_new_pin(PinKind.AUTH, new)
    flow.apply_and_reset()
    assert flow.ending.outcome is Outcome.COMPLETED and new.wiped
    status = _status(reader, JpkiPin.AUTH)
    assert not status.blocked and status.tries_left == 3
    with Secret.from_ascii("7395") as pin:
        JpkiSession(Transport(reader)).verify(JpkiPin.AUTH, pin)


def test_pin_reset_needs_the_central(terminal, insert) -> None:
    _reader, card, reading, identity, applicant = _visit(terminal, insert)
    flow = _reset_flow(terminal, card, reading, identity, applicant, PinKind.SIGN)
    new = Secret.from_ascii("KIOSK2026")
    flow.set_new_pin(PinKind.SIGN, new)
    terminal.link.transport = unreachable
    with pytest.raises(FlowEnded) as ended:
        flow.apply_and_reset()
    assert ended.value.ending.outcome is Outcome.OFFLINE and new.wiped


def test_revocation_queued_while_the_central_is_down_then_delivered(terminal, insert, server) -> None:
    _reader, card, reading, identity, applicant = _visit(terminal, insert)
    serial = _issue_auth(terminal, card, reading, identity, applicant)
    link_transport = terminal.link.transport
    terminal.link.transport = unreachable
    flow = RevocationFlow(
        terminal,
        card,
        reading,
        Certificate.USER_AUTH,
        applicant=applicant,
        identity=identity,
        key_compromise=True,
        operator=OPERATOR,
    )
    assert flow.identify().verified and flow.serial == serial
    assert flow.file() is Answer.QUEUED
    assert flow.ending.outcome is Outcome.QUEUED
    assert server.central.certificate_status(int(serial, 16)).status is CertStatus.GOOD
    terminal.link.transport = link_transport  # the link is back: the relay delivers both in order
    assert applications.push(terminal, flow.message_id)
    revoked = server.central.certificate_status(int(serial, 16))
    assert revoked.status is CertStatus.REVOKED and revoked.reason is not None
    assert revoked.reason.name == "KEY_COMPROMISE"


def test_revoking_the_signing_certificate_needs_its_pin(terminal, insert) -> None:
    _reader, card, reading, identity, applicant = _visit(terminal, insert)
    flow = RevocationFlow(
        terminal,
        card,
        reading,
        Certificate.SIGNING,
        applicant=applicant,
        identity=identity,
        key_compromise=False,
        operator=OPERATOR,
    )
    with pytest.raises(ValueError, match="only after its PIN"):
        flow.identify()
    wrong = Secret.from_ascii("WRONG1")
    attempt = flow.identify(wrong)
    assert not attempt.verified and attempt.tries_left == 4 and wrong.wiped
    assert flow.identify(Secret.from_ascii(SIGN_PIN)).verified and flow.serial
    # a certificate 機構 never issued (the personalisation PKI's): 機構 refuses the application
    assert flow.file() is Answer.REJECTED
    assert flow.ending.outcome is Outcome.REFUSED and "serial" in flow.ending.code


def test_face_auth_switch(terminal, insert, server) -> None:
    reader, card, reading, identity, applicant = _visit(terminal, insert)
    flow = FaceSwitchFlow(terminal, card, reading, applicant, identity, operator=OPERATOR)
    flow.run()
    assert flow.ending.outcome is Outcome.COMPLETED
    assert _status(reader, JpkiPin.AUTH).blocked  # random PIN, then locked (要綱 4条の3-7)
    assert server.central.lookup_card(reader.card.state.card_id).face_auth


def test_card_pulled_mid_write_ends_the_flow_and_wipes(terminal, insert) -> None:
    reader, card, reading, identity, applicant = _visit(terminal, insert)
    flow = _reset_flow(terminal, card, reading, identity, applicant, PinKind.AUTH)
    new = Secret.from_ascii("7395")
    flow.set_new_pin(PinKind.AUTH, new)
    reader.pull_at(0x2C)  # RESET RETRY COUNTER: the card goes just as the write would reach it
    with pytest.raises(FlowEnded) as ended:
        flow.apply_and_reset()
    assert ended.value.ending.outcome is Outcome.CARD_REMOVED and new.wiped and not flow.writing


def test_timeout_waits_for_a_card_write(terminal, insert) -> None:
    _reader, card, *_ = _visit(terminal, insert)
    flow = PinChangeFlow(terminal, card, PinKind.AUTH, actor=OPERATOR)
    flow.writing = True
    with pytest.raises(IllegalStep):
        flow.time_out()
    flow.writing = False
    assert flow.time_out().outcome is Outcome.TIMED_OUT


def test_identity_needs_an_operator(terminal, insert) -> None:
    _reader, card = insert("adult")
    reading = card.read(terminal)
    with pytest.raises(IdentityRefused, match="operator"):
        IdentityStep(
            card, reading, operator="", record=terminal.record("x", "visit"), today=reading.snapshot.today
        )
