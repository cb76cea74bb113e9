"""The staff's visit panel beside the resident's counter window (pytest-qt, offscreen), both driven
through their widgets: the software card in an in-process reader, the real central served
in-process, the kiosk's store and its audit chain."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

import pytest
from counter_fixtures import insert, server, terminal  # noqa: F401 (fixtures)
from flowkit import MUNICIPALITY, reader_for
from kiosk_store_fixtures import db_path, engine, sealer, sessions  # noqa: F401 (fixtures)
from PySide6.QtCore import QDate
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication
from sqlalchemy import select

from appdata.model import IdentityMethod
from cardemu.personalise import personalise
from cardemu.residents import ADULT, FACE_AUTH, JUKI_PIN, KENHOJO_PIN, resident_specs
from kiosk.domain.eligibility import Certificate, Presenter
from kiosk.domain.identity import OtherIdKind, PhotoIdKind, PinCheck, PinRequestForm
from kiosk.domain.overrides import Override, OverrideReason
from kiosk.domain.pin_rules import PinKind
from kiosk.domain.procedures import Item, Procedure
from kiosk.domain.resident import parse_yyyymmdd
from kiosk.facecheck.check import FaceDecision
from kiosk.facecheck.fallback import next_steps
from kiosk.facecheck.policy import FacePolicy
from kiosk.flows.counter.certificates import Fee
from kiosk.flows.counter.machine import Outcome
from kiosk.flows.counter.visit import NotAccepted, Presentation
from kiosk.flows.ledger import JST
from kiosk.store.audit import verify_chain
from kiosk.store.models import AuditRecord, CertificateKind, IssuanceJournal
from kiosk.store.models import Fee as StoreFee
from kiosk.ui import visit_panel
from kiosk.ui.counter import CounterWindow
from kiosk.ui.i18n import Language, Translations
from kiosk.ui.keypad import PinKeypad
from kiosk.ui.theme import Metrics
from kiosk.ui.visit_panel import VisitPanel

OPERATOR = "staff-007"
WAIT_MS = 30_000
NEW_AUTH = Item(Procedure.NEW_ISSUANCE, Certificate.USER_AUTH)


@dataclass
class Desk:
    window: CounterWindow
    panel: VisitPanel
    access: dict[str, object]  # "operator": the signed-in id or None; "fresh": override allowed
    reader: object  # the in-process reader with the resident's software card


def _desk(qtbot, terminal, insert, resident: str, *, server=None, reader=None):  # noqa: F811
    """The counter window and the staff's visit panel with `resident`'s card (or `reader`'s)."""
    face_auth = resident == FACE_AUTH
    if reader is None:
        reader, _card = insert(resident, register=not face_auth)
    if face_auth:  # 機構's record makes it a face-auth card (the card's PIN is locked by design)
        state = reader.card.state
        server.central.register_card(
            state.card_id, MUNICIPALITY, "holder-face", parse_yyyymmdd(state.expiry), face_auth=True
        )
    translations = Translations(QApplication.instance())
    access: dict[str, object] = {"operator": OPERATOR, "fresh": True}

    def operator_of() -> str | None:
        value = access["operator"]
        return value if isinstance(value, str) else None

    metrics = Metrics(96.0)
    window = CounterWindow(terminal, lambda: reader, operator_of, translations, metrics)
    panel = VisitPanel(window, operator_of, lambda: bool(access["fresh"]), metrics)
    for widget, size in ((window, (1024, 768)), (panel, (900, 1600))):
        qtbot.addWidget(widget)
        widget.resize(*size)
        widget.show()
    return Desk(window, panel, access, reader), translations


@pytest.fixture
def desk(qtbot, terminal, insert):  # noqa: F811
    made, translations = _desk(qtbot, terminal, insert, ADULT)
    yield made
    translations.uninstall()


def _type(keypad: object, text: str) -> None:
    assert isinstance(keypad, PinKeypad)
    for ch in text:
        keypad.press(ord(ch))
    keypad.confirm()


def _start(qtbot, window: CounterWindow) -> None:
    window.attract.buttons[Language.EN].click()
    window.card_inserted()
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.menu, timeout=WAIT_MS)


def _choose(qtbot, window: CounterWindow, item: Item = NEW_AUTH) -> None:
    window.menu.button_for(item).click()
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.pin, timeout=WAIT_MS)


def _next_pin(qtbot, window: CounterWindow, kind: PinKind) -> None:
    """The resident's window went on to ask for this PIN."""
    qtbot.waitUntil(
        lambda: (
            isinstance(window.pin.keypad, PinKeypad)
            and window.pin.keypad.kind is kind
            and window.stack.currentWidget() is window.pin
        ),
        timeout=WAIT_MS,
    )


def _audit(sessions) -> list[tuple[str, str, dict]]:  # noqa: F811
    with sessions() as session:
        rows = session.scalars(select(AuditRecord).order_by(AuditRecord.id)).all()
        assert verify_chain(session).ok
        return [(r.actor, r.action, json.loads(r.details)) for r in rows]


def _actions(sessions, action: str) -> list[tuple[str, dict]]:  # noqa: F811
    return [(actor, details) for actor, name, details in _audit(sessions) if name == action]


def _wait_text(qtbot, line, text: str) -> None:
    qtbot.waitUntil(lambda: text in line.text(), timeout=WAIT_MS)


def _all_zero(image: QImage) -> bool:
    """Every pixel 0 (compared pixel by pixel: a line's padding bytes are not the picture's)."""
    blank = QImage(image.size(), image.format())
    blank.fill(0)
    return not image.isNull() and image == blank


def test_code_b_card_face_after_the_pin_locks(qtbot, desk, sessions) -> None:  # noqa: F811
    window, panel = desk.window, desk.panel
    _start(qtbot, window)
    card_hex = window.visit.reading.card_hex
    assert panel.summary.card.text() == f"{card_hex[:8]}…"
    _choose(qtbot, window)
    assert not panel.code_b.isVisibleTo(panel)  # nobody asked for staff yet
    with qtbot.waitSignal(window.identity_needed, timeout=WAIT_MS) as needed:
        for _ in range(3):
            shown = window.pin.keypad
            _type(shown, "0000")
            if _ < 2:
                qtbot.waitUntil(lambda shown=shown: window.pin.keypad is not shown, timeout=WAIT_MS)
    assert needed.args == ["pin-blocked"]
    assert "locked" in panel.summary.staff.text()
    assert panel.code_b.isVisibleTo(panel) and panel.documents.isVisibleTo(panel)
    assert not panel.visual.isVisibleTo(panel)  # no face check in this visit

    # 照合番号B keyed by staff: a wrong one first, counted by the card
    panel.code_b.read.button.click()
    keypad = panel.code_b.keypad
    assert isinstance(keypad, PinKeypad) and keypad.kind is PinKind.CODE_B
    _type(keypad, "00000000000000")
    _wait_text(qtbot, panel.code_b.status, "not correct")
    assert "9" in keypad.tries.text()
    assert not panel.code_b.name_image.has_image
    _type(keypad, resident_specs()[ADULT].pin_b)
    qtbot.waitUntil(lambda: panel.code_b.name_image.has_image, timeout=WAIT_MS)
    assert panel.code_b.keypad is None  # the keypad went (wiped) once the card answered
    for view in (panel.code_b.name_image, panel.code_b.address_image, panel.code_b.photo):
        image = view.image
        assert image is not None and image.width() > 0 and not _all_zero(image)
    assert "1985-04-12" in panel.code_b.dates.text()
    assert panel.code_b.chip_matches.isVisibleTo(panel) and panel.code_b.declared.isVisibleTo(panel)
    assert not panel.code_b.expired_override.isVisibleTo(panel)  # the card is valid

    panel.code_b.chip_matches.setChecked(True)
    panel.code_b.declared.setChecked(True)
    panel.code_b.confirm.button.click()
    # 基本4情報 came with 照合番号B: the resident goes straight on to the new certificate's PIN
    _next_pin(qtbot, window, PinKind.AUTH)
    established = window.visit.identity.established
    assert established is not None and established.method is IdentityMethod.SURFACE_AND_DECLARATION
    assert "Confirmed" in panel.summary.identity.text()
    assert "Identity confirmed" in panel.status.text()
    assert not panel.code_b.isVisibleTo(panel)

    surface = _actions(sessions, "identity.surface")
    assert [d["accepted"] for _a, d in surface] == [True]
    assert {a for a, _d in surface} == {OPERATOR}
    assert len(_actions(sessions, "identity.code_b_read")) == 1
    assert not any(resident_specs()[ADULT].pin_b in json.dumps(d) for _a, _n, d in _audit(sessions))

    # the visit ends: the images are zero-filled and dropped
    photo = panel.code_b.photo.image
    with qtbot.waitSignal(window.visit_ended, timeout=5000):
        window.card_removed()
    assert _all_zero(photo)
    for view in (panel.code_b.name_image, panel.code_b.address_image, panel.code_b.photo):
        assert not view.has_image
    assert panel.code_b.dates.text() == ""
    assert panel.summary.card.text() == "No card"


def test_documents_by_hand_when_the_resident_does_not_know_the_pin(qtbot, desk, sessions) -> None:  # noqa: F811
    window, panel = desk.window, desk.panel
    _start(qtbot, window)
    _choose(qtbot, window)
    with qtbot.waitSignal(window.identity_needed, timeout=5000) as needed:
        window.pin.alternative.click()
    assert needed.args == ["asked"]
    assert "does not know" in panel.summary.staff.text()
    # not knowing the PIN is a failed PIN check (要領 B), no try spent: the card-face path is open too
    assert panel.code_b.read.button.isEnabled()

    docs = panel.documents
    assert not docs.confirm.button.isEnabled()
    today = window.visit.today
    docs.choose_kind(PhotoIdKind.DRIVERS_LICENCE)
    assert not docs.issued_on.isEnabled()  # a licence's rules do not look at its issue date
    docs.valid_until.setDate(QDate(*(today - timedelta(days=1)).timetuple()[:3]))
    docs.add.click()
    assert docs.list.count() == 1
    assert "Choose the reason" in docs.confirm.why.text()
    docs.reason.choose(OverrideReason.DOCUMENTS_SEEN)
    assert docs.confirm.button.isEnabled()
    docs.confirm.button.click()
    _wait_text(qtbot, docs.status, "past its validity period")
    assert window.visit.identity.established is None

    docs.list.setCurrentRow(0)
    docs.remove.click()
    assert docs.list.count() == 0
    docs.choose_kind(PhotoIdKind.DRIVING_HISTORY_CERTIFICATE)
    assert docs.issued_on.isEnabled()  # a photo ID only when issued from 2012-04-01
    docs.choose_kind(PhotoIdKind.DRIVERS_LICENCE)
    docs.valid_until.setDate(QDate(today.year + 2, today.month, 1))
    docs.add.click()
    docs.confirm.button.click()
    # the 基本4情報 are still to be read: the resident's window asks for that PIN next
    _next_pin(qtbot, window, PinKind.KENHOJO)
    established = window.visit.identity.established
    assert established is not None and established.method is IdentityMethod.PHOTO_ID
    assert established.documents == ("DRIVERS_LICENCE",)

    manual = _actions(sessions, "override.manual_documents")
    assert [(a, d["accepted"], d["kinds"]) for a, d in manual] == [
        (OPERATOR, False, None),
        (OPERATOR, True, "DRIVERS_LICENCE"),
    ]
    assert all(d["reason"] == "documents_seen" for _a, d in manual)

    with qtbot.waitSignal(window.visit_ended, timeout=5000):
        window.card_removed()
    assert docs.list.count() == 0  # the documents and their dates go with the visit


def test_a_student_id_shown_on_a_smartphone(qtbot, desk, sessions) -> None:  # noqa: F811
    """要綱 2-6 なお書 / 要領 (E): the smartphone choice is offered for a student ID, a company ID or a
    bankbook only, and the screen counts once staff had the person operate the app."""
    window, panel = desk.window, desk.panel
    _start(qtbot, window)
    _choose(qtbot, window)
    with qtbot.waitSignal(window.identity_needed, timeout=5000):
        window.pin.alternative.click()
    docs = panel.documents
    today = window.visit.today
    docs.choose_kind(PhotoIdKind.PASSPORT)
    assert not docs.smartphone.isVisibleTo(panel)  # a passport is never shown on a phone
    docs.choose_kind(OtherIdKind.STUDENT_ID)
    assert docs.smartphone.isVisibleTo(panel) and not docs.operated.isVisibleTo(panel)
    docs.smartphone.setChecked(True)
    assert docs.operated.isVisibleTo(panel) and docs.impractical.isVisibleTo(panel)
    docs.impractical.setChecked(True)  # but the app was not operated in front of staff
    docs.valid_until.setDate(QDate(today.year + 1, 3, 31))
    docs.add.click()
    assert "on a smartphone screen" in docs.list.item(0).text()
    assert not docs.smartphone.isChecked()  # the next document is on paper unless said otherwise
    docs.choose_kind(OtherIdKind.HEALTH_INSURANCE_CARD)
    assert not docs.smartphone.isVisibleTo(panel)
    docs.add.click()
    assert "smartphone" not in docs.list.item(1).text()
    docs.inquiry_answer.setChecked(True)
    docs.reason.choose(OverrideReason.DOCUMENTS_SEEN)
    docs.confirm.button.click()
    _wait_text(qtbot, docs.status, "operate the app")
    assert window.visit.identity.established is None

    docs.list.setCurrentRow(0)
    docs.remove.click()
    docs.choose_kind(OtherIdKind.STUDENT_ID)
    docs.smartphone.setChecked(True)
    docs.operated.setChecked(True)
    docs.impractical.setChecked(True)
    docs.valid_until.setDate(QDate(today.year + 1, 3, 31))
    docs.add.click()
    docs.confirm.button.click()
    _next_pin(qtbot, window, PinKind.KENHOJO)
    established = window.visit.identity.established
    assert established is not None and established.method is IdentityMethod.TWO_DOCUMENTS_AND_INQUIRY
    manual = _actions(sessions, "override.manual_documents")
    assert [(d["accepted"], d["smartphone"]) for _a, d in manual] == [(False, None), (True, "STUDENT_ID")]


def test_who_is_applying_is_applied_and_recorded(qtbot, desk, sessions) -> None:  # noqa: F811
    window, panel = desk.window, desk.panel
    box = panel.presentation
    assert not box.isEnabled()  # no visit
    _start(qtbot, window)
    assert box.isEnabled() and box.presenters[Presenter.APPLICANT].isChecked()

    box.presenters[Presenter.LEGAL_REPRESENTATIVE_WITH_APPLICANT].setChecked(True)
    assert not box.apply.button.isEnabled()
    assert "Choose why" in box.apply.why.text()
    box.both_intentions.setChecked(True)
    box.reason.choose(OverrideReason.RELATIONSHIP_PROVEN)
    assert box.apply.button.isEnabled()
    box.apply.button.click()
    _wait_text(qtbot, box.status, "Recorded")

    assert window.visit.presentation == Presentation(
        Presenter.LEGAL_REPRESENTATIVE_WITH_APPLICANT,
        adult_ward=False,
        both_intentions_confirmed=True,
        papers=OverrideReason.RELATIONSHIP_PROVEN,
    )
    [(actor, details)] = _actions(sessions, "override.representative")
    assert actor == OPERATOR
    assert details["presenter"] == Presenter.LEGAL_REPRESENTATIVE_WITH_APPLICANT.value
    assert details["reason"] == "relationship_proven" and details["both_intentions"] is True
    assert "legal representative with the applicant" in panel.summary.presenter.text()
    # the resident's language switch reaches the panel: its messages are worded again
    window.translations.switch(Language.JA)
    qtbot.waitUntil(lambda: box.status.text() == "記録しました：法定代理人（本人同行）。", timeout=5000)
    assert panel.summary.presenter.text() == "法定代理人（本人同行）"
    window.translations.switch(Language.EN)

    # once the procedure's flow is open, who is applying no longer changes
    _choose(qtbot, window, Item(Procedure.PIN_CHANGE, PinKind.JUKI))
    panel.refresh()
    assert not box.isEnabled()
    assert "can no longer change" in box.apply.why.text()


def _apply_presenter(qtbot, panel: VisitPanel, presenter: Presenter) -> None:
    box = panel.presentation
    box.presenters[presenter].setChecked(True)
    if presenter is not Presenter.APPLICANT:
        box.reason.choose(OverrideReason.RELATIONSHIP_PROVEN)
    box.status.clear()
    box.apply.button.click()
    _wait_text(qtbot, box.status, "Recorded")


def test_a_proxy_brings_the_sealed_pin_form(qtbot, desk, sessions) -> None:  # noqa: F811
    window, panel = desk.window, desk.panel
    _start(qtbot, window)
    _apply_presenter(qtbot, panel, Presenter.PROXY)
    # the holder's 住基 PIN is not asked of a proxy: the check goes straight to staff
    with qtbot.waitSignal(window.identity_needed, timeout=WAIT_MS) as needed:
        window.menu.button_for(NEW_AUTH).click()
    assert needed.args == ["proxy"]
    assert window.stack.currentWidget() is window.staff_check and window.pin.keypad is None
    assert "proxy" in panel.summary.staff.text()
    assert window.visit.identity.pin is PinCheck.NOT_DONE
    assert all(pin.tries_left == pin.max_tries for pin in desk.reader.card.state.juki.pins.values())
    assert _actions(sessions, "identity.path") == [
        (OPERATOR, {"path": "proxy_documents", "rule": "要綱 2-12"})
    ]
    assert _actions(sessions, "identity.juki_pin") == []  # no PIN try, not even "I do not know"
    docs = panel.documents
    assert docs.proxy.isVisibleTo(panel)  # the letter of attorney and the PIN form are asked
    today = window.visit.today
    docs.choose_kind(PhotoIdKind.PASSPORT)
    docs.valid_until.setDate(QDate(today.year + 3, 1, 31))
    docs.add.click()
    docs.letter_of_attorney.setChecked(True)
    docs.inquiry_answer.setChecked(True)
    docs.pin_form.setCurrentIndex(visit_panel.index_of(docs.pin_form, PinRequestForm.UNSEALED))
    docs.reason.choose(OverrideReason.DOCUMENTS_SEEN)
    # the application's 基本4情報 come from 照合番号B first: the proxy knows none of the holder's PINs
    assert not docs.confirm.button.isEnabled() and "照合番号B first" in docs.confirm.why.text()
    code_b = panel.code_b
    assert code_b.isVisibleTo(panel) and code_b.proxy_note.isVisibleTo(panel)
    assert code_b.read.button.isEnabled()  # no failed PIN needed: the read is not a surface check
    code_b.read.button.click()
    _type(code_b.keypad, resident_specs()[ADULT].pin_b)
    qtbot.waitUntil(lambda: code_b.name_image.has_image, timeout=WAIT_MS)
    assert "proxy's documents" in code_b.status.text()
    for widget in (code_b.chip_matches, code_b.declared, code_b.confirm, code_b.face_check):
        assert not widget.isVisibleTo(panel)  # the surface check and the face are the holder's
    assert docs.confirm.button.isEnabled()
    docs.confirm.button.click()
    _wait_text(qtbot, docs.status, "sealed in an envelope")  # 要綱 2-12(4)
    assert window.visit.identity.established is None

    docs.pin_form.setCurrentIndex(visit_panel.index_of(docs.pin_form, PinRequestForm.SEALED))
    docs.confirm.button.click()
    # straight to the new certificate's PIN, keyed by staff from the sealed form: no holder's PIN asked
    _next_pin(qtbot, window, PinKind.AUTH)
    assert "sealed PIN request form" in window.pin.explain.text()
    assert window.visit.identity.established.documents == ("PASSPORT",)
    assert window.visit.staff_enters_pin
    proxy = _actions(sessions, "override.proxy_documents")
    assert [(a, d["accepted"]) for a, d in proxy] == [(OPERATOR, False), (OPERATOR, True)]
    assert _actions(sessions, "override.manual_documents") == []


def test_a_household_proxy_after_a_moving_notice_brings_no_inquiry_answer(qtbot, desk, sessions) -> None:  # noqa: F811
    """要綱 2-13: the panel says, as staff enter the notification, whether it waives the inquiry
    answer; the identity step applies the same rule and records that it was waived."""
    window, panel = desk.window, desk.panel
    _start(qtbot, window)
    _apply_presenter(qtbot, panel, Presenter.PROXY)
    with qtbot.waitSignal(window.identity_needed, timeout=WAIT_MS):
        window.menu.button_for(NEW_AUTH).click()
    docs = panel.documents
    today = window.visit.today
    assert not docs.waiver.isVisibleTo(panel) and not docs.notified_on.isEnabled()
    docs.choose_kind(PhotoIdKind.PASSPORT)
    docs.valid_until.setDate(QDate(today.year + 3, 1, 31))
    docs.add.click()
    docs.letter_of_attorney.setChecked(True)
    docs.pin_form.setCurrentIndex(visit_panel.index_of(docs.pin_form, PinRequestForm.SEALED))
    docs.reason.choose(OverrideReason.DOCUMENTS_SEEN)
    docs.moving_notice.setChecked(True)
    assert docs.notified_on.isEnabled()
    _wait_text(qtbot, docs.waiver, "only for a proxy of the applicant's household")
    docs.same_household.setChecked(True)
    _wait_text(qtbot, docs.waiver, "not needed")
    long_ago = today - timedelta(days=45)
    docs.notified_on.setDate(QDate(long_ago.year, long_ago.month, long_ago.day))
    _wait_text(qtbot, docs.waiver, "more than a month ago")

    code_b = panel.code_b  # the application's 基本4情報 come from 照合番号B (a proxy knows no PIN)
    code_b.read.button.click()
    _type(code_b.keypad, resident_specs()[ADULT].pin_b)
    qtbot.waitUntil(lambda: code_b.name_image.has_image, timeout=WAIT_MS)
    docs.confirm.button.click()
    _wait_text(qtbot, docs.status, "inquiry answer")
    assert window.visit.identity.established is None

    recent = today - timedelta(days=10)
    docs.notified_on.setDate(QDate(recent.year, recent.month, recent.day))
    _wait_text(qtbot, docs.waiver, "not needed")
    docs.confirm.button.click()
    _next_pin(qtbot, window, PinKind.AUTH)  # staff key the PIN from the sealed form
    assert window.visit.identity.established.documents == ("PASSPORT",)
    proxy = _actions(sessions, "override.proxy_documents")
    assert [(d["accepted"], d["inquiry_answer_waived"], d["rule"]) for _a, d in proxy] == [
        (False, False, "要綱 2-12"),
        (True, True, "要綱 2-12, 2-13"),
    ]

    with qtbot.waitSignal(window.visit_ended, timeout=5000):
        window.card_removed()
    assert not docs.moving_notice.isChecked() and not docs.same_household.isChecked()


def test_overrides_are_closed_without_a_fresh_staff_card_check(qtbot, desk, sessions) -> None:  # noqa: F811
    window, panel, access = desk.window, desk.panel, desk.access
    access["fresh"] = False
    _start(qtbot, window)
    box = panel.presentation
    box.presenters[Presenter.PROXY].setChecked(True)
    box.reason.choose(OverrideReason.RELATIONSHIP_PROVEN)
    assert not box.apply.button.isEnabled()
    assert "staff card and PIN again" in box.apply.why.text()
    assert panel.reauth.isVisibleTo(panel)
    with qtbot.waitSignal(panel.reauthentication_wanted, timeout=1000):
        panel.reauth.click()
    # the applicant alone is not an override: still possible
    box.presenters[Presenter.APPLICANT].setChecked(True)
    assert box.apply.button.isEnabled()

    _choose(qtbot, window)
    with qtbot.waitSignal(window.identity_needed, timeout=5000):
        window.pin.alternative.click()
    docs = panel.documents
    docs.choose_kind(PhotoIdKind.PASSPORT)
    docs.no_validity.setChecked(True)  # not true of a passport: the rules do not ask here
    docs.add.click()
    docs.reason.choose(OverrideReason.DOCUMENTS_SEEN)
    assert not docs.confirm.button.isEnabled()
    assert "staff card and PIN again" in docs.confirm.why.text()

    access["fresh"] = True  # the operator re-authenticated
    panel.refresh()
    assert docs.confirm.button.isEnabled() and docs.confirm.why.text() == ""
    assert not panel.reauth.isVisibleTo(panel)

    # the 5 minutes run out between the screen's last update and the click: checked at the click
    access["fresh"] = False
    docs.confirm.button.click()
    assert "staff card and PIN again" in panel.status.text()
    assert _actions(sessions, "override.manual_documents") == []
    assert window.visit.identity.established is None

    # nobody signed in: said so, not "re-authenticate"
    access["operator"] = None
    panel.refresh()
    assert not docs.confirm.button.isEnabled()
    assert "Sign in at the staff console" in docs.confirm.why.text()


def test_visual_face_comparison_after_an_undecided_face_check(qtbot, desk, sessions) -> None:  # noqa: F811
    window, panel = desk.window, desk.panel
    _start(qtbot, window)
    _choose(qtbot, window)  # the identity step has begun: the face check is one of its paths
    decision = FaceDecision.unable("camera unavailable", FacePolicy(), 0.0, liveness_required=False)
    record = window.visit.record_face(decision)  # as the window does when the matcher decides
    assert record.options == next_steps(decision, unattended=False)
    window.face_checked.emit(record)
    box = panel.visual
    assert box.isVisibleTo(panel)
    assert not box.photo.has_image  # the chip's photo was not read in this visit
    assert not box.confirm.button.isEnabled()
    box.same.setChecked(True)
    assert not box.confirm.button.isEnabled()  # a reason is still missing
    box.reason.choose(OverrideReason.CAMERA_UNAVAILABLE)
    box.confirm.button.click()
    _next_pin(qtbot, window, PinKind.KENHOJO)
    assert window.visit.identity.established.method is IdentityMethod.FACE_VISUAL
    [(actor, details)] = _actions(sessions, "override.visual_face")
    assert actor == OPERATOR
    assert details["same_person"] is True and details["reason"] == "camera_unavailable"


def test_a_face_auth_card_and_the_reset_wipes_the_keypad(qtbot, terminal, insert, server) -> None:  # noqa: F811
    made, translations = _desk(qtbot, terminal, insert, FACE_AUTH, server=server)
    window, panel = made.window, made.panel
    try:
        _start(qtbot, window)
        offered = [
            d.item
            for d in window.visit.preflight.decisions
            if d.offered and d.item.procedure is not Procedure.PIN_CHANGE
        ]
        with qtbot.waitSignal(window.identity_needed, timeout=5000) as needed:
            window.menu.button_for(offered[0]).click()
        assert needed.args == ["face-auth-card"]
        assert "face-auth card" in panel.summary.staff.text()
        assert panel.code_b.read.button.isEnabled()  # a face-auth card: the card-face path is open
        panel.code_b.read.button.click()
        keypad = panel.code_b.keypad
        for ch in "12345":
            keypad.press(ord(ch))
        assert keypad.entry_length == 5
        with qtbot.waitSignal(window.visit_ended, timeout=5000):
            window.card_removed()
        assert keypad.entry_length == 0  # wiped when the visit ended
        assert panel.code_b.keypad is None
        assert panel.visit is None and not panel.code_b.isVisibleTo(panel)
    finally:
        translations.uninstall()


def test_a_card_face_read_for_a_visit_already_ended_is_zero_filled(qapp) -> None:
    """What `_run` hands a late card-face read to: its images are never shown, and wiped."""
    images = [QImage(16, 8, QImage.Format.Format_Grayscale8) for _ in range(3)]
    for image in images:
        image.fill(200)
    shown = visit_panel._Shown(*images, birth_date=date(1990, 1, 1), expiry=date(2030, 1, 1))
    shown.wipe()
    assert all(_all_zero(image) for image in images)


def test_words_for_every_code() -> None:
    """Every presenter, reason, method and PIN-form state has words (a new enum member without
    them would raise a KeyError on the staff's screen)."""
    assert all(visit_panel.presenter_text(p) for p in Presenter)
    assert all(visit_panel.override_reason_text(r) for r in OverrideReason)
    assert all(visit_panel.method_text(m) for m in IdentityMethod)
    assert all(visit_panel.pin_form_text(f) for f in PinRequestForm)
    assert visit_panel.why_text("unheard-of") == "Staff are needed (unheard-of)."


def test_a_resident_who_does_not_know_the_pin_gets_the_card_face_check(qtbot, terminal, insert) -> None:  # noqa: F811
    """'I do not know this PIN' counts as a failed PIN check (要領 B) without spending a try."""
    reader, _card = insert("adult")
    translations = Translations(QApplication.instance())
    win = CounterWindow(terminal, lambda: reader, lambda: OPERATOR, translations, Metrics(96.0))
    qtbot.addWidget(win)
    try:
        win.attract.buttons[Language.EN].click()
        win.card_inserted()
        qtbot.waitUntil(lambda: win.stack.currentWidget() is win.menu, timeout=30_000)
        win.menu.button_for(Item(Procedure.NEW_ISSUANCE, Certificate.USER_AUTH)).click()
        qtbot.waitUntil(lambda: win.stack.currentWidget() is win.pin, timeout=10_000)
        win.pin.alternative.click()
        assert win.visit.identity.pin is PinCheck.FAILED
        assert win.visit.reading.snapshot.pins[PinKind.JUKI].tries_left == 3  # nothing spent
    finally:
        translations.uninstall()


def test_a_proxy_recorded_while_the_pin_is_asked(qtbot, desk, sessions) -> None:  # noqa: F811
    """Staff record the proxy after the resident's window asked the 住基 PIN: the keypad goes and
    staff check the proxy; set back to the holder, the PIN is asked again. No try is spent."""
    window, panel = desk.window, desk.panel
    _start(qtbot, window)
    _choose(qtbot, window)
    assert window.pin.keypad.kind is PinKind.JUKI
    with qtbot.waitSignal(window.identity_needed, timeout=WAIT_MS) as needed:
        _apply_presenter(qtbot, panel, Presenter.PROXY)
    assert needed.args == ["proxy"]
    assert window.stack.currentWidget() is window.staff_check and window.pin.keypad is None
    assert panel.documents.proxy.isVisibleTo(panel) and panel.code_b.proxy_note.isVisibleTo(panel)

    _apply_presenter(qtbot, panel, Presenter.APPLICANT)  # a slip: the holder is here after all
    _next_pin(qtbot, window, PinKind.JUKI)
    assert "Staff needed" not in panel.summary.staff.text()
    assert not panel.documents.isVisibleTo(panel)
    assert all(pin.tries_left == pin.max_tries for pin in desk.reader.card.state.juki.pins.values())
    assert len(_actions(sessions, "identity.path")) == 1


def test_a_refused_card_face_check_closes_and_staff_end_the_visit(qtbot, desk, sessions) -> None:  # noqa: F811
    """要領 B: a refused check is 受付不可 — not recorded again — and staff end the visit REFUSED."""
    window, panel = desk.window, desk.panel
    ended: list[str] = []
    window.visit_ended.connect(ended.append)
    _start(qtbot, window)
    refusal = panel.refusal
    assert refusal.isVisibleTo(panel) and not refusal.end.button.isEnabled()
    assert "Choose why" in refusal.end.why.text()
    _choose(qtbot, window)
    with qtbot.waitSignal(window.identity_needed, timeout=WAIT_MS):
        window.pin.alternative.click()
    panel.code_b.read.button.click()
    _type(panel.code_b.keypad, resident_specs()[ADULT].pin_b)
    qtbot.waitUntil(lambda: panel.code_b.name_image.has_image, timeout=WAIT_MS)
    panel.code_b.chip_matches.setChecked(True)  # the declaration was not right
    panel.code_b.confirm.button.click()
    _wait_text(qtbot, panel.code_b.status, "correctly state details of their resident record")
    assert window.visit.identity.established is None and window.visit.identity.surface_refused
    # closed for this visit, with the sentence saying why; the ticks cannot be changed either
    assert not panel.code_b.confirm.button.isEnabled()
    assert "not made again" in panel.code_b.confirm.why.text()
    assert not panel.code_b.declared.isEnabled()
    panel.code_b.confirm.button.click()  # a disabled button: nothing recorded
    assert [d["accepted"] for _a, d in _actions(sessions, "identity.surface")] == [False]

    # 受付不可: the likely reason is chosen for staff; only the visit's operator may end it
    assert refusal.reason.reason() is NotAccepted.SURFACE_CHECK_FAILED
    desk.access["operator"] = "staff-999"
    panel.refresh()
    assert not refusal.end.button.isEnabled() and "did not begin under your sign-in" in refusal.end.why.text()
    desk.access["operator"] = OPERATOR
    panel.refresh()
    assert refusal.end.button.isEnabled()
    photo = panel.code_b.photo.image
    refusal.end.button.click()
    assert ended == [Outcome.REFUSED.value]
    assert window.stack.currentWidget() is window.result  # the resident is told, as other refusals
    assert "cannot be done" in window.result.status.text()
    assert window.visit.ended and window.visit.ending.code == "surface_check_failed"
    assert panel.visit is None and _all_zero(photo)  # the panel was reset with the visit
    assert "Not accepted" in refusal.status.text()
    assert _actions(sessions, "visit.refused") == [
        (OPERATOR, {"reason": "surface_check_failed", "rule": "要領 第2-1-(1)-ア-(イ)-B"})
    ]
    assert [d for _a, d in _actions(sessions, "visit.end")] == [
        {"outcome": "refused", "code": "surface_check_failed"}
    ]
    window.result.finish.click()  # back to the attract screen; the visit is not ended twice
    assert window.stack.currentWidget() is window.attract
    assert ended == [Outcome.REFUSED.value] and len(_actions(sessions, "visit.end")) == 1


def test_the_residents_cancel_waits_for_the_code_b_read(qtbot, desk, sessions, monkeypatch) -> None:  # noqa: F811
    """The read runs on the resident's card: Cancel (and the idle timeout) does not end the visit
    under it; the cancel is carried out when the read is over."""
    window, panel = desk.window, desk.panel
    go = threading.Event()
    reading = threading.Event()
    real = visit_panel._read_card_face

    def slow_read(visit, code_b):
        reading.set()
        assert go.wait(WAIT_MS / 1000)
        return real(visit, code_b)

    monkeypatch.setattr(visit_panel, "_read_card_face", slow_read)
    ended: list[str] = []
    window.visit_ended.connect(ended.append)
    _start(qtbot, window)
    _choose(qtbot, window)
    with qtbot.waitSignal(window.identity_needed, timeout=WAIT_MS):
        window.pin.alternative.click()
    visit = window.visit
    panel.code_b.read.button.click()
    _type(panel.code_b.keypad, resident_specs()[ADULT].pin_b)
    assert reading.wait(10) and window.staff_reading
    assert not panel.refusal.end.button.isEnabled()  # nor does staff's 受付不可 end it meanwhile

    window.staff_check.cancel.click()
    assert ended == [] and not visit.ended  # deferred: the card is not released under the read
    assert window.stack.currentWidget() is window.progress
    assert "Cancelling" in window.progress.step.text()
    window._on_idle()  # the idle timeout waits for the read too
    assert ended == [] and not visit.ended

    go.set()
    qtbot.waitUntil(lambda: ended == [Outcome.CANCELLED.value], timeout=WAIT_MS)
    assert not window.staff_reading and window.stack.currentWidget() is window.attract
    assert visit.ended and visit.ending.outcome is Outcome.CANCELLED
    assert panel.visit is None and not panel.code_b.name_image.has_image  # the late read was dropped
    actions = [name for _a, name, _d in _audit(sessions)]
    assert actions.index("identity.code_b_read") < actions.index("visit.end")  # the read finished first


def test_a_cancel_without_a_staff_read_ends_the_visit_at_once(qtbot, desk) -> None:
    window = desk.window
    _start(qtbot, window)
    _choose(qtbot, window)
    with qtbot.waitSignal(window.identity_needed, timeout=WAIT_MS):
        window.pin.alternative.click()
    with qtbot.waitSignal(window.visit_ended, timeout=5000) as ended:
        window.staff_check.cancel.click()
    assert ended.args == [Outcome.CANCELLED.value]


def test_fees_per_certificate_on_the_panel(qtbot, desk, sessions) -> None:  # noqa: F811
    window, panel = desk.window, desk.panel
    fees = panel.fees
    _start(qtbot, window)
    # before the resident chose: a row per kind, free by default, nothing to record
    assert fees.isVisibleTo(panel)
    assert all(row.isVisibleTo(panel) and row.free.isChecked() for row in fees.rows.values())
    assert not fees.record.button.isEnabled() and "ones recorded" in fees.record.why.text()

    sign = fees.rows[Certificate.SIGNING]
    sign.paid.setChecked(True)
    assert sign.amount.isEnabled()
    for typed in ("", "abc", "0", "-200", "2.5", "200円", "10000"):
        sign.amount.setText(typed)
        assert not fees.record.button.isEnabled(), typed
        assert "whole number from 1 to 9999" in fees.record.why.text()
    sign.amount.setText("２００")  # full-width, as a Japanese input method types it
    assert fees.record.button.isEnabled()

    desk.access["operator"] = "staff-999"  # the fee is recorded in the visit's operator's name
    panel.refresh()
    assert not fees.record.button.isEnabled() and "did not begin under your sign-in" in fees.record.why.text()
    desk.access["operator"] = OPERATOR
    panel.refresh()
    fees.record.button.click()
    _wait_text(qtbot, fees.status, "Recorded")
    assert "paid (有償), 200 yen" in fees.status.text()
    assert window.visit.fee_for(Certificate.SIGNING) == Fee(paid=True, yen=200)
    assert window.visit.fee_for(Certificate.USER_AUTH) == Fee()
    assert not fees.record.button.isEnabled()  # what is shown is what is recorded

    # the resident chooses the user-authentication certificate: its row alone; staff take 300 yen
    _choose(qtbot, window)
    panel.refresh()
    assert fees.rows[Certificate.USER_AUTH].isVisibleTo(panel)
    assert not fees.rows[Certificate.SIGNING].isVisibleTo(panel)
    auth = fees.rows[Certificate.USER_AUTH]
    auth.paid.setChecked(True)
    auth.amount.setText("300")
    fees.record.button.click()
    _wait_text(qtbot, fees.status, "300 yen")
    assert [(a, d) for a, d in _actions(sessions, "visit.fee")] == [
        (OPERATOR, {"certificate": "signing", "paid": True, "yen": 200}),
        (OPERATOR, {"certificate": "user_auth", "paid": True, "yen": 300}),
    ]

    _type(window.pin.keypad, JUKI_PIN)
    _next_pin(qtbot, window, PinKind.KENHOJO)
    _type(window.pin.keypad, KENHOJO_PIN)
    _next_pin(qtbot, window, PinKind.AUTH)
    panel.refresh()
    assert not auth.isEnabled() and "can no longer change" in fees.record.why.text()
    keypad = window.pin.keypad
    for _ in range(2):
        _type(keypad, "8642")
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.result, timeout=WAIT_MS)
    assert window.visit.flow.ending.outcome is Outcome.COMPLETED
    with sessions() as session:
        entry = session.scalars(select(IssuanceJournal)).one()
        assert (entry.cert_kind, entry.fee, entry.fee_yen) == (CertificateKind.AUTH, StoreFee.PAID, 300)


def test_a_card_expired_two_months_ago_serves_with_staffs_photo_check(
    qtbot,
    terminal,  # noqa: F811
    insert,  # noqa: F811
    server,  # noqa: F811
    sessions,  # noqa: F811
    test_pki,
    tmp_path,
) -> None:
    """要領 第2-1-(1)-ア-(イ)-A-(A) through the widgets: 機構 no longer has the card in operation, so
    no PIN is asked; staff read 照合番号B, and the surface check stays closed until they choose the
    reason that lets the expired card serve (the photo shows the person), recorded as an override."""
    spec = replace(resident_specs()[ADULT], expiry=datetime.now(JST).date() - timedelta(days=60))
    path = tmp_path / "expired-recently.json"
    personalise(spec, test_pki).save(path)
    reader = reader_for(path, server.central)
    server.central.register_card(reader.card.state.card_id, MUNICIPALITY, "holder-expired", spec.expiry)
    desk, translations = _desk(qtbot, terminal, insert, ADULT, reader=reader)
    try:
        window, panel = desk.window, desk.panel
        _start(qtbot, window)
        with qtbot.waitSignal(window.identity_needed, timeout=WAIT_MS):
            window.menu.button_for(Item(Procedure.DISCLOSURE)).click()
        assert window.stack.currentWidget() is not window.pin  # no try spent on a PIN that cannot serve
        assert panel.code_b.isVisibleTo(panel)
        panel.code_b.read.button.click()
        _type(panel.code_b.keypad, spec.pin_b)
        qtbot.waitUntil(lambda: panel.code_b.name_image.has_image, timeout=WAIT_MS)
        assert panel.code_b.expired_override.isVisibleTo(panel)
        panel.code_b.chip_matches.setChecked(True)
        panel.code_b.declared.setChecked(True)
        assert not panel.code_b.confirm.button.isEnabled()
        _wait_text(qtbot, panel.code_b.confirm.why, "expired card")
        panel.code_b.expired_override.choose(OverrideReason.PHOTO_MATCHES)
        qtbot.waitUntil(panel.code_b.confirm.button.isEnabled, timeout=WAIT_MS)
        panel.code_b.confirm.button.click()
        qtbot.waitUntil(lambda: window.visit.identity.established is not None, timeout=WAIT_MS)
        established = window.visit.identity.established
        assert established.method is IdentityMethod.SURFACE_AND_DECLARATION
        assert established.overrides == (Override.EXPIRED_CARD,)
        assert _actions(sessions, "override.expired_card") == [
            (OPERATOR, {"reason": "photo_matches", "rule": Override.EXPIRED_CARD.rule})
        ]
    finally:
        translations.uninstall()


def test_parse_yen() -> None:
    typed = ("1", " 200 ", "２００", "9999", "0200", "\u3000３００\u3000")
    assert [visit_panel.parse_yen(t) for t in typed] == [1, 200, 200, 9999, 200, 300]
    assert all(
        visit_panel.parse_yen(t) is None
        for t in ("", "0", "10000", "-1", "+5", "1,000", "1_000", "2.5", "200円", "١٢", "²")
    )
