"""新規発行 and 更新 through `CertificateFlow`: the real central (in-process, HTTPS), a software
card in an in-process reader, the kiosk's store, outbox and relay."""

from __future__ import annotations

import pytest
from counter_fixtures import OPERATOR, juki_identity, unreachable
from sqlalchemy import select

from appdata.model import IdentityMethod, Procedure
from cardemu.residents import AUTH_PIN, KENHOJO_PIN, SIGN_PIN
from kiosk.domain.eligibility import Certificate
from kiosk.domain.pin_rules import PinKind
from kiosk.domain.procedures import Availability
from kiosk.domain.procedures import Procedure as Proc
from kiosk.domain.secret import Secret
from kiosk.flows.counter.card import plan
from kiosk.flows.counter.certificates import CertificateFlow, CertificateRequest, CertState, Fee
from kiosk.flows.counter.machine import FlowEnded, Outcome
from kiosk.reader.jpki import JpkiPin, JpkiSession
from kiosk.reader.transport import Transport
from kiosk.store.models import Fee as StoreFee
from kiosk.store.models import IssuanceJournal


def _identity(terminal, card, reading):
    identity = juki_identity(terminal, card, reading)
    assert identity.method is IdentityMethod.CARD_AND_JUKI_PIN
    return identity


def test_preflight_reads_the_card_and_the_central(terminal, insert) -> None:
    _reader, card = insert("adult")
    reading = card.read(terminal)
    assert reading.central is not None and reading.central.status == "operating"
    assert reading.snapshot.pins[PinKind.AUTH].tries_left == 3
    decisions = plan(reading)
    assert decisions.central_reachable
    # The card's certificates came from the personalisation PKI: 機構 has no record of them.
    assert decisions.decision(Proc.NEW_ISSUANCE, Certificate.USER_AUTH).availability is Availability.OFFERED
    assert decisions.decision(Proc.PIN_CHANGE, PinKind.AUTH).availability is Availability.NOT_OFFERED


def test_new_auth_certificate_end_to_end(terminal, insert, server) -> None:
    reader, card = insert("adult")
    reading = card.read(terminal)
    identity = _identity(terminal, card, reading)
    applicant = card.read_holder(terminal, Secret.from_ascii(KENHOJO_PIN))
    request = CertificateRequest(
        Procedure.NEW_ISSUANCE, (Certificate.USER_AUTH,), applicant, identity, fee=Fee(paid=True, yen=200)
    )
    flow = CertificateFlow(terminal, card, reading, request, operator=OPERATOR)
    new_pin = Secret.from_ascii("8642")
    flow.set_new_pin(PinKind.AUTH, new_pin)
    submitted = flow.apply()
    assert server.central.application(
        f"{submitted.local_id}" and f"kiosk-flows-01/{submitted.number}"
    ).approved
    seen: list[CertState] = []
    installed = flow.install(progress=lambda _c, s: seen.append(s))
    assert flow.ending is not None and flow.ending.outcome is Outcome.COMPLETED
    assert new_pin.wiped  # the flow wiped the PIN it held
    assert [i.certificate for i in installed] == [Certificate.USER_AUTH]
    assert seen == [CertState.GENERATING, CertState.REQUESTING, CertState.WAITING, CertState.INSTALLING]
    with terminal.sessions() as session:  # the ledger's 有償 / 無償, per certificate
        entry = session.scalars(select(IssuanceJournal)).one()
        assert (entry.fee, entry.fee_yen) == (StoreFee.PAID, 200)
    rows = server.certificates(submitted.number)
    assert [format(int(r.serial, 16), "x") for r in rows] == [installed[0].serial]
    assert rows[0].installed_at is not None  # 機構 counts it installed (certConf delivered)
    # The next pre-flight sees it: the PIN change is offered, renewal not yet (window 3 months).
    again = plan(card.read(terminal))
    assert again.decision(Proc.PIN_CHANGE, PinKind.AUTH).availability is Availability.OFFERED
    assert again.decision(Proc.RENEWAL, Certificate.USER_AUTH).availability is Availability.NOT_OFFERED
    with Secret.from_ascii("8642") as pin:
        JpkiSession(Transport(reader)).verify(JpkiPin.AUTH, pin)  # the new PIN is the card's now


def test_renewal_keeps_the_pin_and_checks_it_first(terminal, insert) -> None:
    _reader, card = insert("adult")
    reading = card.read(terminal)
    identity = _identity(terminal, card, reading)
    applicant = card.read_holder(terminal, Secret.from_ascii(KENHOJO_PIN))
    request = CertificateRequest(Procedure.RENEWAL, (Certificate.USER_AUTH,), applicant, identity)
    flow = CertificateFlow(terminal, card, reading, request, operator=OPERATOR)
    wrong = flow.verify_current_pin(PinKind.AUTH, Secret.from_ascii("0000"))
    assert not wrong.verified and wrong.tries_left == 2
    assert not flow.ready
    assert flow.verify_current_pin(PinKind.AUTH, Secret.from_ascii(AUTH_PIN)).verified
    flow.apply()
    flow.install()
    assert flow.ending.outcome is Outcome.COMPLETED


def test_refused_by_the_central(terminal, insert, server) -> None:
    reader, card = insert("adult")
    reading = card.read(terminal)
    identity = _identity(terminal, card, reading)
    applicant = card.read_holder(terminal, Secret.from_ascii(KENHOJO_PIN))
    request = CertificateRequest(Procedure.NEW_ISSUANCE, (Certificate.SIGNING,), applicant, identity)
    flow = CertificateFlow(terminal, card, reading, request, operator=OPERATOR)
    new_pin = Secret.from_ascii("KIOSK2026")
    flow.set_new_pin(PinKind.SIGN, new_pin)
    server.central.suspend_card(reader.card.state.card_id)  # a loss report by phone meanwhile
    with pytest.raises(FlowEnded) as ended:
        flow.apply()
    assert ended.value.ending.outcome is Outcome.REFUSED
    assert "card-suspended" in ended.value.ending.code
    assert new_pin.wiped


def test_central_down_queues_the_application_and_ends(terminal, insert, server) -> None:
    _reader, card = insert("adult")
    reading = card.read(terminal)
    identity = _identity(terminal, card, reading)
    applicant = card.read_holder(terminal, Secret.from_ascii(KENHOJO_PIN))
    request = CertificateRequest(Procedure.RENEWAL, (Certificate.SIGNING,), applicant, identity)
    flow = CertificateFlow(terminal, card, reading, request, operator=OPERATOR)
    assert flow.verify_current_pin(PinKind.SIGN, Secret.from_ascii(SIGN_PIN)).verified
    terminal.link.transport = unreachable  # the line to 機構 goes down after the pre-flight
    with pytest.raises(FlowEnded) as ended:
        flow.apply()
    assert ended.value.ending.outcome is Outcome.OFFLINE  # card writes cannot wait for the queue
