"""新規発行 and 更新 through `CertificateFlow`: the real central (in-process, HTTPS), a software
card in an in-process reader, the kiosk's store, outbox and relay."""

from __future__ import annotations

import json

import pytest
from counter_fixtures import OPERATOR, juki_identity, unreachable
from sqlalchemy import select

from appdata.model import IdentityMethod, Procedure
from cardemu.residents import AUTH_PIN, JUKI_PIN, KENHOJO_PIN, SIGN_PIN
from kiosk.domain.eligibility import Certificate
from kiosk.domain.pin_rules import PinKind
from kiosk.domain.procedures import Availability, Item
from kiosk.domain.procedures import Procedure as Proc
from kiosk.domain.secret import Secret
from kiosk.flows.counter.card import plan
from kiosk.flows.counter.certificates import (
    FREE,
    MAX_FEE_YEN,
    CertificateFlow,
    CertificateRequest,
    CertState,
    Fee,
)
from kiosk.flows.counter.machine import FlowEnded, Outcome
from kiosk.flows.counter.visit import Visit, VisitError
from kiosk.flows.ledger import daily_ledger, jst_day
from kiosk.reader.jpki import JpkiPin, JpkiSession
from kiosk.reader.transport import Transport
from kiosk.store.models import AuditRecord, CertificateKind, IssuanceJournal
from kiosk.store.models import Fee as StoreFee


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
        Procedure.NEW_ISSUANCE,
        (Certificate.USER_AUTH,),
        applicant,
        identity,
        fees={Certificate.USER_AUTH: Fee(paid=True, yen=200)},
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


def test_fees_per_certificate_reach_the_journal_and_the_ledger(terminal, insert) -> None:
    """The 交付記録簿 books paid / free per certificate: one application for both certificates, the
    signing certificate paid, the user-authentication one free."""
    _reader, card = insert("adult")
    reading = card.read(terminal)
    identity = _identity(terminal, card, reading)
    applicant = card.read_holder(terminal, Secret.from_ascii(KENHOJO_PIN))
    request = CertificateRequest(
        Procedure.NEW_ISSUANCE,
        (Certificate.USER_AUTH, Certificate.SIGNING),
        applicant,
        identity,
        fees={Certificate.SIGNING: Fee(paid=True, yen=300)},
    )
    assert request.fee_for(Certificate.USER_AUTH) == FREE  # not named: free
    assert request.application_fee() == (True, 300)  # the application's one fee item
    flow = CertificateFlow(terminal, card, reading, request, operator=OPERATOR)
    flow.set_new_pin(PinKind.AUTH, Secret.from_ascii("8642"))
    flow.set_new_pin(PinKind.SIGN, Secret.from_ascii("KIOSK2026"))
    flow.apply()
    flow.install()
    assert flow.ending.outcome is Outcome.COMPLETED
    with terminal.sessions() as session:
        entries = {e.cert_kind: (e.fee, e.fee_yen) for e in session.scalars(select(IssuanceJournal))}
        assert entries == {
            CertificateKind.AUTH: (StoreFee.FREE, 0),
            CertificateKind.SIGN: (StoreFee.PAID, 300),
        }
        requested = [
            json.loads(r.details)
            for r in session.scalars(select(AuditRecord).where(AuditRecord.action == "issuance.requested"))
        ]
        assert sorted((d["cert_kind"], d["fee"], d["fee_yen"]) for d in requested) == [
            ("auth", "free", 0),
            ("sign", "paid", 300),
        ]
        ledger = daily_ledger(session, jst_day(terminal.clock()))
    sign, auth = ledger.row(CertificateKind.SIGN), ledger.row(CertificateKind.AUTH)
    assert (sign.installed, sign.paid, sign.free, sign.fee_yen) == (1, 1, 0, 300)
    assert (auth.installed, auth.paid, auth.free, auth.fee_yen) == (1, 0, 1, 0)


@pytest.mark.parametrize(
    ("paid", "yen"),
    [(True, 0), (False, 200), (True, -1), (True, MAX_FEE_YEN + 1), (True, True), (True, 2.5)],
)
def test_a_fee_is_paid_exactly_with_a_sensible_amount(paid, yen) -> None:
    with pytest.raises(ValueError):
        Fee(paid=paid, yen=yen)


def test_fees_are_only_for_the_certificates_requested(terminal, insert) -> None:
    _reader, card = insert("adult")
    reading = card.read(terminal)
    identity = _identity(terminal, card, reading)
    applicant = card.read_holder(terminal, Secret.from_ascii(KENHOJO_PIN))
    with pytest.raises(ValueError, match="only for a certificate requested"):
        CertificateRequest(
            Procedure.NEW_ISSUANCE,
            (Certificate.USER_AUTH,),
            applicant,
            identity,
            fees={Certificate.SIGNING: Fee(paid=True, yen=200)},
        )
    fees = {Certificate.USER_AUTH: Fee(paid=True, yen=200)}
    request = CertificateRequest(
        Procedure.NEW_ISSUANCE, (Certificate.USER_AUTH,), applicant, identity, fees=fees
    )
    fees[Certificate.USER_AUTH] = FREE  # the caller's dict changes; the request does not
    assert request.fee_for(Certificate.USER_AUTH) == Fee(paid=True, yen=200)
    with pytest.raises(TypeError):
        request.fees[Certificate.USER_AUTH] = FREE  # type: ignore[index]


def test_the_visit_carries_the_fee_staff_set_into_the_request(terminal, insert) -> None:
    _reader, card = insert("adult")
    visit = Visit(terminal, card, operator=OPERATOR)
    visit.start()
    assert visit.begin_identity().verify_juki_pin(Secret.from_ascii(JUKI_PIN)).verified
    visit.read_applicant(Secret.from_ascii(KENHOJO_PIN))
    paid = Fee(paid=True, yen=200)
    with pytest.raises(VisitError, match="operator the visit began under"):
        visit.set_fee(Certificate.USER_AUTH, paid, operator="staff-999")
    visit.set_fee(Certificate.USER_AUTH, paid, operator=OPERATOR)
    visit.set_fee(Certificate.SIGNING, Fee(paid=True, yen=300), operator=OPERATOR)  # not chosen after all
    visit.choose(Item(Proc.NEW_ISSUANCE, Certificate.USER_AUTH))
    flow = visit.open_flow()
    assert isinstance(flow, CertificateFlow)
    assert dict(flow.request.fees) == {Certificate.USER_AUTH: paid}  # only the certificate requested
    with pytest.raises(VisitError, match="fees are set"):
        visit.set_fee(Certificate.USER_AUTH, FREE, operator=OPERATOR)
    with terminal.sessions() as session:
        rows = session.scalars(select(AuditRecord).where(AuditRecord.action == "visit.fee")).all()
        assert [(r.actor, json.loads(r.details)) for r in rows] == [
            (OPERATOR, {"certificate": Certificate.USER_AUTH.value, "paid": True, "yen": 200}),
            (OPERATOR, {"certificate": Certificate.SIGNING.value, "paid": True, "yen": 300}),
        ]
    visit.end(Outcome.CANCELLED)
