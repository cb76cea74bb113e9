"""一時停止解除 (a lost card found) and 開示・訂正請求 through their counter flows and the visit, with
the real central in-process and a software card."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest
from counter_fixtures import OPERATOR, juki_identity, unreachable
from cryptography import x509
from flowkit import MUNICIPALITY, reader_for
from sqlalchemy import select

import lcmp
from appdata.model import DisclosureKind, IdentityMethod, Procedure
from cardemu.personalise import personalise
from cardemu.residents import ADULT, JUKI_PIN, KENHOJO_PIN, resident_specs
from central.enums import ApplicationStatus, CardStatus, CertStatus
from kiosk.domain.eligibility import Certificate
from kiosk.domain.identity import PhotoIdKind, PresentedDocument
from kiosk.domain.overrides import Override, OverrideReason
from kiosk.domain.pin_rules import PinKind
from kiosk.domain.procedures import Availability, Item
from kiosk.domain.procedures import CardStatus as CardAsRead
from kiosk.domain.procedures import Procedure as Proc
from kiosk.domain.procedures import Reason as PreflightReason
from kiosk.domain.secret import Secret
from kiosk.flows.counter import applications
from kiosk.flows.counter.applications import Answer
from kiosk.flows.counter.card import CardAtCounter
from kiosk.flows.counter.certificates import CertificateFlow, CertificateRequest
from kiosk.flows.counter.disclosure import DisclosureFlow
from kiosk.flows.counter.found_card import REVOKED_UNKNOWN, FoundCardFlow, Revoked
from kiosk.flows.counter.identity import IdentityRefused, IdentityStep
from kiosk.flows.counter.machine import Ending, FlowEnded, Outcome
from kiosk.flows.counter.visit import Visit, VisitError
from kiosk.flows.ledger import JST
from kiosk.store.models import Application, ApplicationState, AuditRecord


def _licence(step: IdentityStep, today: date) -> None:
    """A card not known to be 運用中 is no proof of identity: staff check a driver's licence."""
    licence = PresentedDocument(PhotoIdKind.DRIVERS_LICENCE, valid_until=today + timedelta(days=365))
    decision = step.documents([licence], inquiry_answer=False, reason=OverrideReason.DOCUMENTS_SEEN)
    assert decision.accepted and step.established is not None


def _suspended_with_auth(terminal, insert, server):
    """The adult's card with a user-auth certificate 機構 issued, then reported lost."""
    reader, card = insert("adult")
    reading = card.read(terminal)
    identity = juki_identity(terminal, card, reading)
    applicant = card.read_holder(terminal, Secret.from_ascii(KENHOJO_PIN))
    request = CertificateRequest(Procedure.NEW_ISSUANCE, (Certificate.USER_AUTH,), applicant, identity)
    flow = CertificateFlow(terminal, card, reading, request, operator=OPERATOR)
    flow.set_new_pin(PinKind.AUTH, Secret.from_ascii("8642"))
    flow.apply()
    serial = flow.install()[0].serial
    card_id = reader.card.state.card_id
    server.central.suspend_card(card_id)
    assert server.central.certificate_status(int(serial, 16)).status is CertStatus.HOLD
    return reader, card, card_id, serial


def _identified_visit(terminal, card) -> Visit:
    visit = Visit(terminal, card, operator=OPERATOR)
    visit.start()
    step = visit.begin_identity()
    if visit.reading.snapshot.card_status is CardAsRead.IN_OPERATION:
        assert step.verify_juki_pin(Secret.from_ascii(JUKI_PIN)).verified
    else:  # suspended, or 機構 unreachable
        _licence(step, visit.today)
    visit.read_applicant(Secret.from_ascii(KENHOJO_PIN))
    return visit


def _audit(terminal, action: str) -> list[dict]:
    with terminal.sessions() as session:
        rows = session.scalars(select(AuditRecord).where(AuditRecord.action == action)).all()
        return [json.loads(row.details) for row in rows]


def _local_state(terminal, flow) -> ApplicationState:
    with terminal.sessions() as session:
        return session.get(Application, flow.local_id).state


def test_release_revokes_the_held_certificate_then_new_ones_follow(terminal, insert, server) -> None:
    _reader, card, card_id, serial = _suspended_with_auth(terminal, insert, server)
    visit = _identified_visit(terminal, card)
    preflight = visit.preflight
    assert preflight.decision(Proc.FOUND_CARD_RELEASE).availability is Availability.OFFERED
    follow_up = preflight.decision(Proc.NEW_ISSUANCE, Certificate.USER_AUTH)
    assert follow_up.availability is Availability.FOLLOW_UP
    assert follow_up.after == Item(Proc.FOUND_CARD_RELEASE)
    with pytest.raises(VisitError, match="not offered"):  # only the release, first
        visit.choose(Item(Proc.NEW_ISSUANCE, Certificate.USER_AUTH))

    visit.choose(Item(Proc.FOUND_CARD_RELEASE))
    flow = visit.open_flow()
    assert isinstance(flow, FoundCardFlow)
    flow.run()
    assert flow.ending == Ending(Outcome.COMPLETED)
    assert _local_state(terminal, flow) is ApplicationState.COMPLETED
    # 機構 revoked the held certificate (not released it) and put the card back in operation
    assert server.central.certificate_status(int(serial, 16)).status is CertStatus.REVOKED
    assert server.central.lookup_card(card_id).status is CardStatus.OPERATING
    receipt = visit.receipt()
    assert receipt.outcome is Outcome.COMPLETED and receipt.reference == flow.local_id.hex[:8]
    assert receipt.revoked == (Revoked(Certificate.USER_AUTH, serial),)  # both: hex, no leading zeros
    (event,) = _audit(terminal, "card.suspension_released")
    assert event["application"] == str(flow.local_id) and event["revoked_known"] is True
    assert event["revoked"] == f"auth:{serial}"
    released = server.central.applications(kind=Procedure.SUSPENSION_RELEASE)
    assert [(r.status, r.identity_method) for r in released] == [
        (ApplicationStatus.APPROVED, IdentityMethod.PHOTO_ID.value)
    ]

    # The same visit: the card and 機構's record read again, new certificates on offer
    again = visit.start()
    assert again.decision(Proc.FOUND_CARD_RELEASE).availability is Availability.NOT_OFFERED
    assert again.decision(Proc.NEW_ISSUANCE, Certificate.USER_AUTH).availability is Availability.OFFERED
    visit.choose(Item(Proc.NEW_ISSUANCE, Certificate.USER_AUTH))
    issuance = visit.open_flow()
    assert isinstance(issuance, CertificateFlow)
    issuance.set_new_pin(PinKind.AUTH, Secret.from_ascii("5937"))
    issuance.apply()
    (installed,) = issuance.install()
    assert issuance.ending.outcome is Outcome.COMPLETED
    assert int(installed.serial, 16) != int(serial, 16)
    assert server.central.certificate_status(int(installed.serial, 16)).status is CertStatus.GOOD
    assert visit.receipt().installed == (installed,)
    visit.end(Outcome.COMPLETED)


def test_a_release_already_chosen_is_not_opened_after_the_card_is_read_again(
    terminal, insert, server
) -> None:
    _reader, card, _card_id, _serial = _suspended_with_auth(terminal, insert, server)
    visit = _identified_visit(terminal, card)
    visit.choose(Item(Proc.FOUND_CARD_RELEASE))
    visit.open_flow().run()
    visit.start()
    with pytest.raises(VisitError, match="not offered on this card now"):
        visit.open_flow()  # the stale choice: the card is in operation now


def test_the_card_is_not_read_again_while_a_procedure_runs(terminal, insert, server) -> None:
    _reader, card, _card_id, _serial = _suspended_with_auth(terminal, insert, server)
    visit = _identified_visit(terminal, card)
    visit.choose(Item(Proc.FOUND_CARD_RELEASE))
    flow = visit.open_flow()
    with pytest.raises(VisitError, match="procedure is running"):
        visit.start()
    flow.cancel()
    assert visit.start().decision(Proc.FOUND_CARD_RELEASE).availability is Availability.OFFERED


def test_release_of_a_card_in_operation_is_refused(terminal, insert, server) -> None:
    reader, card = insert("adult")
    visit = _identified_visit(terminal, card)
    with pytest.raises(VisitError, match="not offered"):  # the pre-flight does not offer it
        visit.choose(Item(Proc.FOUND_CARD_RELEASE))
    identity = visit.identity.established
    flow = FoundCardFlow(terminal, visit.reading, visit.applicant, identity, operator=OPERATOR)
    with pytest.raises(FlowEnded) as ended:  # and 機構 refuses it all the same
        flow.run()
    assert ended.value.ending.outcome is Outcome.REFUSED
    assert ended.value.ending.code.startswith("card-not-suspended (")
    assert flow.revoked == () and _local_state(terminal, flow) is ApplicationState.REJECTED
    assert server.central.lookup_card(reader.card.state.card_id).status is CardStatus.OPERATING
    assert _audit(terminal, "card.suspension_released") == []


def test_release_with_the_central_down_is_queued_and_takes_effect_on_delivery(
    terminal, insert, server
) -> None:
    _reader, card, card_id, serial = _suspended_with_auth(terminal, insert, server)
    visit = _identified_visit(terminal, card)
    visit.choose(Item(Proc.FOUND_CARD_RELEASE))
    flow = visit.open_flow()
    with _central_down(terminal), pytest.raises(FlowEnded) as ended:
        flow.run()
    # The resident is told it is taken: delivered later, the release still does its work at 機構.
    assert ended.value.ending == Ending(Outcome.QUEUED, "central-unreachable")
    assert _local_state(terminal, flow) is ApplicationState.SUBMITTED
    assert server.central.lookup_card(card_id).status is CardStatus.SUSPENDED
    assert applications.push(terminal, flow.message_id)  # the line is back
    assert server.central.lookup_card(card_id).status is CardStatus.OPERATING
    assert server.central.certificate_status(int(serial, 16)).status is CertStatus.REVOKED


def test_release_completes_even_if_the_answer_lists_nothing_readable(
    terminal, insert, server, monkeypatch
) -> None:
    _reader, card, card_id, serial = _suspended_with_auth(terminal, insert, server)
    visit = _identified_visit(terminal, card)
    visit.choose(Item(Proc.FOUND_CARD_RELEASE))
    flow = visit.open_flow()

    def garbled(_terminal, _message_id):
        raise ValueError("malformed suspension-released answer")

    monkeypatch.setattr(applications, "released", garbled)
    flow.run()
    # 機構 released the card: a failure here would invite a second release it refuses
    assert flow.ending == Ending(Outcome.COMPLETED, REVOKED_UNKNOWN) and flow.revoked == ()
    assert server.central.lookup_card(card_id).status is CardStatus.OPERATING
    assert server.central.certificate_status(int(serial, 16)).status is CertStatus.REVOKED
    (event,) = _audit(terminal, "card.suspension_released")
    assert event["revoked_known"] is False and event["revoked"] is None


def test_disclosure_online_is_recorded_at_the_central_with_its_kind(terminal, insert, server) -> None:
    reader, card = insert("adult")
    visit = _identified_visit(terminal, card)
    visit.choose(Item(Proc.DISCLOSURE))
    with pytest.raises(VisitError, match="say which"):
        visit.open_flow()
    flow = visit.open_flow(disclosure_kind=DisclosureKind.CORRECTION)
    assert isinstance(flow, DisclosureFlow)
    assert flow.file() is Answer.APPROVED
    assert flow.ending == Ending(Outcome.COMPLETED)
    assert _local_state(terminal, flow) is ApplicationState.COMPLETED
    assert applications.released(terminal, flow.message_id) is None  # not a release
    (record,) = server.central.applications(kind=Procedure.DISCLOSURE)
    assert record.status is ApplicationStatus.APPROVED
    assert record.disclosure_kind is DisclosureKind.CORRECTION
    assert record.card_id == reader.card.state.card_id.hex()
    assert record.identity_method == IdentityMethod.CARD_AND_JUKI_PIN.value
    assert server.central.lookup_card(reader.card.state.card_id).status is CardStatus.OPERATING
    receipt = visit.receipt()
    assert receipt.procedure is Proc.DISCLOSURE and receipt.reference == flow.local_id.hex[:8]
    (filed,) = _audit(terminal, "application.filed")
    assert filed == {"application": str(flow.local_id), "procedure": "disclosure", "kind": "correction"}


def test_disclosure_offline_is_queued_then_delivered(terminal, insert, server) -> None:
    _reader, card = insert("adult")
    with _central_down(terminal):
        visit = _identified_visit(terminal, card)  # the card's status unknown: a licence proves it
        assert not visit.preflight.central_reachable
        assert visit.preflight.decision(Proc.DISCLOSURE).availability is Availability.QUEUED
        visit.choose(Item(Proc.DISCLOSURE))
        flow = visit.open_flow(disclosure_kind=DisclosureKind.DISCLOSURE)
        assert flow.file() is Answer.QUEUED
    assert flow.ending == Ending(Outcome.QUEUED, "central-unreachable")
    assert _local_state(terminal, flow) is ApplicationState.SUBMITTED
    assert server.central.applications(kind=Procedure.DISCLOSURE) == []
    # the link is back: the relay delivers it
    assert applications.push(terminal, flow.message_id)
    assert applications.answer(terminal, flow.message_id) == (Answer.APPROVED, "")
    (record,) = server.central.applications(kind=Procedure.DISCLOSURE)
    assert record.disclosure_kind is DisclosureKind.DISCLOSURE
    assert record.identity_method == IdentityMethod.PHOTO_ID.value


@contextmanager
def _central_down(terminal) -> Iterator[None]:
    """The line to 機構 down, for the outbox relay and for the pre-flight's online questions."""
    link = terminal.link
    transport, client = link.transport, link.client
    link.transport = unreachable
    link.client = lcmp.CmpClient(unreachable, link.protector, link.trust, recipient=x509.Name([]))
    try:
        yield
    finally:
        link.transport, link.client = transport, client


def test_a_card_expired_two_months_ago_identifies_its_holder_only_with_staffs_photo_check(
    terminal, server, test_pki, tmp_path
) -> None:
    """要領 第2-1-(1)-ア-(イ)-A-(A): a card up to 6 months past its expiry is an identity document
    if staff confirm its photo shows the person (the EXPIRED_CARD override); a disclosure request
    is what it can still serve for."""
    today = datetime.now(JST).date()
    spec = replace(resident_specs()[ADULT], expiry=today - timedelta(days=60))
    path = tmp_path / "expired-recently.json"
    personalise(spec, test_pki).save(path)
    reader = reader_for(path, server.central)
    card_id = reader.card.state.card_id
    server.central.register_card(card_id, MUNICIPALITY, "holder-expired", spec.expiry)
    visit = Visit(terminal, CardAtCounter(reader), operator=OPERATOR)
    visit.start()
    offered = visit.preflight.decision(Proc.DISCLOSURE)
    assert offered.availability is Availability.OFFERED
    assert PreflightReason.EXPIRED_CARD_ID_WITH_PHOTO in offered.reasons
    step = visit.begin_identity()
    # 機構 no longer has the card in operation (it expired): the 住基 PIN cannot identify anyone
    # with it (要綱 2-8), so staff take the surface check (要領 B) without spending a try.
    assert visit.reading.snapshot.card_status is not CardAsRead.IN_OPERATION and not step.pin_path_open
    step.pin_path_closed()
    # The chip matches the surface and the resident declared, but nobody has looked at the photo.
    with pytest.raises(IdentityRefused, match="photo confirmation"):
        step.surface_and_declaration(
            chip_matches_surface=True, declared=True, expired_card_override=OverrideReason.POOR_IMAGE
        )  # a reason that is not about the photo
    decision = step.surface_and_declaration(
        chip_matches_surface=True, declared=True, expired_card_override=OverrideReason.PHOTO_MATCHES
    )
    assert decision.accepted and decision.documents[0].expiry_grace_used
    assert step.established is not None
    assert step.established.method is IdentityMethod.SURFACE_AND_DECLARATION
    assert step.established.overrides == (Override.EXPIRED_CARD,)
    (override,) = _audit(terminal, "override.expired_card")
    assert override == {"reason": "photo_matches", "rule": Override.EXPIRED_CARD.rule}
    visit.read_applicant(Secret.from_ascii(KENHOJO_PIN))
    visit.choose(Item(Proc.DISCLOSURE))
    flow = visit.open_flow(disclosure_kind=DisclosureKind.DISCLOSURE)
    assert flow.file() is Answer.APPROVED
    (record,) = server.central.applications(kind=Procedure.DISCLOSURE)
    assert record.card_id == card_id.hex()
    assert record.identity_method == IdentityMethod.SURFACE_AND_DECLARATION.value
    # Nothing else is on offer for an expired card: no certificate can outlive it.
    issuance = visit.preflight.decision(Proc.NEW_ISSUANCE, Certificate.USER_AUTH)
    assert issuance.availability is not Availability.OFFERED
