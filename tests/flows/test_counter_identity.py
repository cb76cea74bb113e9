"""The identity step and who-may-apply at the counter (RULES.md "Identity check at the counter",
"Who may apply"): each path with the real card; staff overrides recorded with reason codes."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from appdata.model import IdentityMethod
from appdata.model import Procedure as AppProcedure
from cardemu.residents import JUKI_PIN, KENHOJO_PIN, resident_specs
from kiosk.domain.eligibility import Certificate, Presenter
from kiosk.domain.eligibility import Reason as EligibilityReason
from kiosk.domain.identity import (
    MovingNotice,
    OtherIdKind,
    PhotoIdKind,
    PinCheck,
    PinRequestForm,
    PresentedDocument,
    Purpose,
    Refusal,
    SmartphoneDisplay,
)
from kiosk.domain.overrides import OverrideReason
from kiosk.domain.pin_rules import PinKind
from kiosk.domain.procedures import Item, Procedure
from kiosk.domain.secret import Secret
from kiosk.facecheck.check import FaceDecision
from kiosk.facecheck.check import Outcome as FaceOutcome
from kiosk.facecheck.fallback import next_steps
from kiosk.facecheck.policy import FacePolicy
from kiosk.flows.counter.identity import IdentityRefused
from kiosk.flows.counter.machine import Ending, Outcome
from kiosk.flows.counter.visit import NotAccepted, NotEligible, Presentation, Visit, VisitError
from kiosk.flows.face import FaceCheckRecord
from kiosk.store.models import AuditRecord

OPERATOR = "staff-007"


def _visit(terminal, insert, name: str = "adult") -> Visit:
    _reader, card = insert(name)
    visit = Visit(terminal, card, operator=OPERATOR)
    visit.start()
    return visit


def _audit(terminal) -> list[tuple[str, str]]:
    with terminal.sessions() as s:
        return [(r.actor, r.action) for r in s.scalars(select(AuditRecord).order_by(AuditRecord.id))]


def _details(terminal, action: str) -> list[tuple[str, dict]]:
    with terminal.sessions() as s:
        rows = s.scalars(select(AuditRecord).where(AuditRecord.action == action).order_by(AuditRecord.id))
        return [(r.actor, json.loads(r.details)) for r in rows]


def test_juki_pin_path(terminal, insert) -> None:
    visit = _visit(terminal, insert)
    step = visit.begin_identity()
    attempt = step.verify_juki_pin(Secret.from_ascii("9999"))
    assert not attempt.verified and attempt.tries_left == 2 and step.established is None
    assert step.verify_juki_pin(Secret.from_ascii(JUKI_PIN)).verified
    assert step.established.method is IdentityMethod.CARD_AND_JUKI_PIN
    assert (OPERATOR, "identity.juki_pin") in _audit(terminal)


def test_failed_pin_then_surface_and_declaration(terminal, insert) -> None:
    visit = _visit(terminal, insert)
    step = visit.begin_identity()
    with pytest.raises(IdentityRefused, match="follows a failed PIN"):
        step.surface_and_declaration(chip_matches_surface=True, declared=True)
    step.verify_juki_pin(Secret.from_ascii("9999"))
    assert step.surface_and_declaration(chip_matches_surface=True, declared=True).accepted
    assert step.established.method is IdentityMethod.SURFACE_AND_DECLARATION


def test_a_refused_surface_check_is_not_made_again_and_staff_end_the_visit(terminal, insert) -> None:
    """要領 B: a refused surface check is 受付不可, not a first try; staff end the visit REFUSED."""
    visit = _visit(terminal, insert)
    step = visit.begin_identity()
    step.pin_unknown()
    refused = step.surface_and_declaration(chip_matches_surface=True, declared=False)
    assert Refusal.RESIDENT_RECORD_NOT_DECLARED in refused.reasons and step.established is None
    assert step.surface_refused
    with pytest.raises(IdentityRefused, match="not made again"):
        step.surface_and_declaration(chip_matches_surface=True, declared=True)
    again = visit.begin_identity()  # nor through a new identity step of the same visit
    again.pin_unknown()
    with pytest.raises(IdentityRefused, match="not made again"):
        again.surface_and_declaration(chip_matches_surface=True, declared=True)
    assert again.established is None
    assert [d["accepted"] for _a, d in _details(terminal, "identity.surface")] == [False]

    with pytest.raises(VisitError, match="operator the visit began under"):
        visit.refuse(NotAccepted.SURFACE_CHECK_FAILED, operator="staff-999")
    assert not visit.ended
    visit.refuse(NotAccepted.SURFACE_CHECK_FAILED, operator=OPERATOR)
    assert visit.ended and visit.ending == Ending(Outcome.REFUSED, "surface_check_failed")
    assert _details(terminal, "visit.refused") == [
        (OPERATOR, {"reason": "surface_check_failed", "rule": "要領 第2-1-(1)-ア-(イ)-B"})
    ]
    assert _details(terminal, "visit.end")[-1] == (
        OPERATOR,
        {"outcome": "refused", "code": "surface_check_failed"},
    )
    with pytest.raises(VisitError, match="has ended"):
        visit.refuse(NotAccepted.OTHER, operator=OPERATOR)


def test_refusing_closes_an_open_procedure_but_not_one_that_ended(terminal, insert) -> None:
    visit = _visit(terminal, insert)
    visit.choose(Item(Procedure.PIN_CHANGE, PinKind.JUKI))
    flow = visit.open_flow()
    visit.refuse(NotAccepted.NOT_THE_SAME_PERSON, operator=OPERATOR)
    assert flow.ending == Ending(Outcome.REFUSED, "not_the_same_person")
    assert [d["rule"] for _a, d in _details(terminal, "visit.refused")] == ["規則 64条の5"]

    _reader, card = insert("adult", register=False)  # the same card, in again
    ended = Visit(terminal, card, operator=OPERATOR)
    ended.start()
    ended.choose(Item(Procedure.PIN_CHANGE, PinKind.JUKI))
    ended.open_flow().close(Outcome.COMPLETED)
    with pytest.raises(VisitError, match="already ended"):
        ended.refuse(NotAccepted.OTHER, operator=OPERATOR)
    assert not ended.ended
    assert NotAccepted.OTHER.rule is None and all(r.rule for r in NotAccepted if r is not NotAccepted.OTHER)


def test_a_proxy_is_not_asked_the_holders_pin(terminal, insert) -> None:
    """要綱 2-12: the path is the proxy's own documents; no PIN try of the holder is spent."""
    visit = _visit(terminal, insert)
    visit.present(Presentation(Presenter.PROXY, papers=OverrideReason.RELATIONSHIP_PROVEN))
    assert visit.by_proxy and visit.staff_enters_pin
    step = visit.begin_identity()
    step.by_proxy()
    assert step.pin is PinCheck.NOT_DONE  # not a failed PIN: the card-face path stays closed
    with pytest.raises(IdentityRefused, match="follows a failed PIN"):
        step.surface_and_declaration(chip_matches_surface=True, declared=True)
    assert _details(terminal, "identity.path") == [
        (OPERATOR, {"path": "proxy_documents", "rule": "要綱 2-12"})
    ]
    assert not _details(terminal, "identity.juki_pin")
    assert visit.reading.snapshot.pins[PinKind.JUKI].tries_left == 3


def test_documents_by_hand_kinds_only(terminal, insert) -> None:
    visit = _visit(terminal, insert)
    step = visit.begin_identity()
    today = visit.today
    two = [
        PresentedDocument(OtherIdKind.HEALTH_INSURANCE_CARD, valid_until=date(today.year + 1, 1, 1)),
        PresentedDocument(OtherIdKind.PENSION_BOOK, valid_until=None),
    ]
    no_answer = step.documents(two, inquiry_answer=False, reason=OverrideReason.DOCUMENTS_SEEN)
    assert not no_answer.accepted and Refusal.INQUIRY_ANSWER_MISSING in no_answer.reasons
    decision = step.documents(two, inquiry_answer=True, reason=OverrideReason.DOCUMENTS_SEEN)
    assert decision.accepted and step.established.method is IdentityMethod.TWO_DOCUMENTS_AND_INQUIRY
    assert set(step.established.documents) == {"HEALTH_INSURANCE_CARD", "PENSION_BOOK"}
    with pytest.raises(IdentityRefused):
        step.documents(two, inquiry_answer=True, reason=OverrideReason.POOR_IMAGE)  # not a reason for this


def test_expired_document_refused(terminal, insert) -> None:
    visit = _visit(terminal, insert)
    step = visit.begin_identity()
    expired = PresentedDocument(PhotoIdKind.DRIVERS_LICENCE, valid_until=date(2020, 1, 1))
    decision = step.documents([expired], inquiry_answer=False, reason=OverrideReason.DOCUMENTS_SEEN)
    assert Refusal.EXPIRED in decision.reasons and step.established is None


def test_face_mismatch_then_staff_visual_override(terminal, insert) -> None:
    visit = _visit(terminal, insert)
    step = visit.begin_identity()
    decision = FaceDecision(
        FaceOutcome.NOT_MATCHED, "distance above threshold", 0.61, 0.5, 9, False, (), (), 4.2
    )
    record = FaceCheckRecord(decision, next_steps(decision, unattended=False))
    assert not step.face(record)
    with pytest.raises(IdentityRefused):
        step.visual(record, same_person=True, reason=OverrideReason.DOCUMENTS_SEEN)
    assert step.visual(record, same_person=True, reason=OverrideReason.APPEARANCE_CHANGED)
    assert step.established.method is IdentityMethod.FACE_VISUAL
    assert (OPERATOR, "override.visual_face") in _audit(terminal)
    matched = FaceDecision.unable("no camera", FacePolicy(), 0.1, liveness_required=False)
    assert next_steps(matched, unattended=True)  # unattended: never a visual check


def test_proxy_documents(terminal, insert) -> None:
    visit = _visit(terminal, insert)
    step = visit.begin_identity()
    photo = PresentedDocument(PhotoIdKind.PASSPORT, valid_until=date(visit.today.year + 2, 1, 1))
    unsealed = step.proxy(
        [photo],
        letter_of_attorney=True,
        inquiry_answer=True,
        pin_request_form=PinRequestForm.UNSEALED,
        purpose=Purpose.ISSUE,
        reason=OverrideReason.DOCUMENTS_SEEN,
    )
    assert Refusal.PIN_REQUEST_FORM_NOT_SEALED in unsealed.reasons
    sealed = step.proxy(
        [photo],
        letter_of_attorney=True,
        inquiry_answer=True,
        pin_request_form=PinRequestForm.SEALED,
        purpose=Purpose.ISSUE,
        reason=OverrideReason.DOCUMENTS_SEEN,
    )
    assert sealed.accepted and step.established.method is IdentityMethod.PHOTO_ID


def test_documents_shown_on_a_smartphone(terminal, insert) -> None:
    """要綱 2-6 なお書, 要領 (E) なお書: a student ID shown as an app's screen counts only after staff
    had the person operate the app; the record says which document was shown that way."""
    visit = _visit(terminal, insert)
    step = visit.begin_identity()
    until = date(visit.today.year + 1, 3, 31)
    health = PresentedDocument(OtherIdKind.HEALTH_INSURANCE_CARD, valid_until=until)

    def student_id(*, operated: bool) -> PresentedDocument:
        return PresentedDocument(
            OtherIdKind.STUDENT_ID, valid_until=until, smartphone=SmartphoneDisplay(operated, True)
        )

    unchecked = step.documents(
        [student_id(operated=False), health], inquiry_answer=True, reason=OverrideReason.DOCUMENTS_SEEN
    )
    assert unchecked.reasons == (Refusal.TOO_FEW_DOCUMENTS, Refusal.SMARTPHONE_OPERATION_NOT_CHECKED)
    assert step.established is None
    decision = step.documents(
        [student_id(operated=True), health], inquiry_answer=True, reason=OverrideReason.DOCUMENTS_SEEN
    )
    assert decision.accepted and step.established.method is IdentityMethod.TWO_DOCUMENTS_AND_INQUIRY
    assert set(step.established.documents) == {"STUDENT_ID", "HEALTH_INSURANCE_CARD"}
    recorded = [(d["accepted"], d["smartphone"]) for _a, d in _details(terminal, "override.manual_documents")]
    assert recorded == [(False, None), (True, "STUDENT_ID")]
    passport_on_phone = PresentedDocument(
        PhotoIdKind.PASSPORT, valid_until=until, smartphone=SmartphoneDisplay(True, True)
    )
    refused = step.documents([passport_on_phone], inquiry_answer=False, reason=OverrideReason.DOCUMENTS_SEEN)
    assert Refusal.SMARTPHONE_NOT_ACCEPTED_FOR_KIND in refused.reasons


@pytest.mark.parametrize(
    ("days_ago", "same_household", "purpose", "waived"),
    [
        (0, True, Purpose.ISSUE, True),  # filed today
        (20, True, Purpose.ISSUE, True),  # within the month of 要綱 2-13
        (40, True, Purpose.ISSUE, False),  # the month is over
        (20, False, Purpose.ISSUE, False),  # not of the applicant's household
        (20, True, Purpose.REVOKE, False),  # 要綱 3-6 applies 2-12, not 2-13
    ],
)
def test_a_household_proxy_after_a_moving_notice_needs_no_inquiry_answer(
    terminal, insert, days_ago: int, same_household: bool, purpose: Purpose, waived: bool
) -> None:
    """要綱 2-13: the inquiry answer is waived for a proxy of the applicant's household applying within
    a month of the moving notification; the record says it was waived, not when the person moved."""
    visit = _visit(terminal, insert)
    visit.present(Presentation(Presenter.PROXY, papers=OverrideReason.RELATIONSHIP_PROVEN))
    step = visit.begin_identity()
    step.by_proxy()
    notice = MovingNotice(notified_on=visit.today - timedelta(days=days_ago), same_household=same_household)
    decision = step.proxy(
        [PresentedDocument(PhotoIdKind.PASSPORT, valid_until=date(visit.today.year + 2, 1, 1))],
        letter_of_attorney=True,
        inquiry_answer=False,
        pin_request_form=PinRequestForm.SEALED,
        purpose=purpose,
        reason=OverrideReason.DOCUMENTS_SEEN,
        moving_notice=notice,
    )
    assert decision.accepted is waived
    assert (Refusal.INQUIRY_ANSWER_MISSING in decision.reasons) is not waived
    [(actor, details)] = _details(terminal, "override.proxy_documents")
    assert actor == OPERATOR and details["accepted"] is waived
    assert details["inquiry_answer_waived"] is waived
    assert details["rule"] == ("要綱 2-12, 2-13" if waived else "要綱 2-12")
    assert notice.notified_on.isoformat() not in json.dumps(details)


def _identified(visit: Visit) -> None:
    step = visit.begin_identity()
    assert step.verify_juki_pin(Secret.from_ascii(JUKI_PIN)).verified
    visit.read_applicant(Secret.from_ascii(KENHOJO_PIN))


def test_under_15_needs_the_legal_representative(terminal, insert) -> None:
    visit = _visit(terminal, insert, "minor")
    _identified(visit)
    visit.choose(Item(Procedure.NEW_ISSUANCE, Certificate.USER_AUTH))
    with pytest.raises(NotEligible) as refused:
        visit.open_flow()
    assert refused.value.reason is EligibilityReason.LEGAL_REPRESENTATIVE_MUST_APPLY
    with pytest.raises(ValueError, match="with a reason"):
        Presentation(Presenter.LEGAL_REPRESENTATIVE_WITH_APPLICANT)
    visit.present(
        Presentation(Presenter.LEGAL_REPRESENTATIVE_WITH_APPLICANT, papers=OverrideReason.RELATIONSHIP_PROVEN)
    )
    flow = visit.open_flow()
    assert flow.request.representative.kind.value == "legal"
    assert (OPERATOR, "override.representative") in _audit(terminal)


def test_minor_gets_no_signing_certificate_without_both_intentions(terminal, insert) -> None:
    visit = _visit(terminal, insert, "minor")
    _identified(visit)
    visit.present(
        Presentation(Presenter.LEGAL_REPRESENTATIVE_WITH_APPLICANT, papers=OverrideReason.RELATIONSHIP_PROVEN)
    )
    visit.item = Item(Procedure.NEW_ISSUANCE, Certificate.SIGNING)  # offered or not, the rule decides
    ruling = visit.eligibility(Certificate.SIGNING).ruling(Certificate.SIGNING)
    assert not ruling.allowed
    assert AppProcedure.NEW_ISSUANCE


def test_proxy_pin_is_keyed_by_staff(terminal, insert) -> None:
    visit = _visit(terminal, insert)
    visit.present(Presentation(Presenter.PROXY, papers=OverrideReason.RELATIONSHIP_PROVEN))
    assert visit.staff_enters_pin


def test_failed_pin_then_staff_read_with_code_b_and_surface_check(terminal, insert) -> None:
    visit = _visit(terminal, insert)
    step = visit.begin_identity()
    step.verify_juki_pin(Secret.from_ascii("9999"))
    code_b = Secret.from_ascii(resident_specs()["adult"].pin_b)
    face = visit.read_with_code_b(code_b)
    assert code_b.wiped and face.photo_jp2 and face.name_image  # staff compare it with the printed card
    assert visit.applicant is not None and visit.applicant.birth_date == face.birth_date
    step.surface_and_declaration(chip_matches_surface=True, declared=True)
    assert step.established.method is IdentityMethod.SURFACE_AND_DECLARATION
    visit.end(Outcome.COMPLETED)
    assert visit.card_face is None
