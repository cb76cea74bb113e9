"""The staff's visit panel beside the resident's counter window (pytest-qt, offscreen), both driven
through their widgets: the software card in an in-process reader, the real central served
in-process, the kiosk's store and its audit chain."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from counter_fixtures import insert, server, terminal  # noqa: F401 (fixtures)
from flowkit import MUNICIPALITY
from kiosk_store_fixtures import db_path, engine, sealer, sessions  # noqa: F401 (fixtures)
from PySide6.QtCore import QDate
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication
from sqlalchemy import select

from appdata.model import IdentityMethod
from cardemu.residents import ADULT, FACE_AUTH, resident_specs
from kiosk.domain.eligibility import Certificate, Presenter
from kiosk.domain.identity import PhotoIdKind, PinCheck, PinRequestForm
from kiosk.domain.overrides import OverrideReason
from kiosk.domain.pin_rules import PinKind
from kiosk.domain.procedures import Item, Procedure
from kiosk.domain.resident import parse_yyyymmdd
from kiosk.facecheck.check import FaceDecision
from kiosk.facecheck.fallback import next_steps
from kiosk.facecheck.policy import FacePolicy
from kiosk.flows.counter.visit import Presentation
from kiosk.store.audit import verify_chain
from kiosk.store.models import AuditRecord
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


def _desk(qtbot, terminal, insert, resident: str, *, server=None):  # noqa: F811
    face_auth = resident == FACE_AUTH
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
    return Desk(window, panel, access), translations


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

    # the declaration missing: refused in words (受付不可), and recorded
    panel.code_b.chip_matches.setChecked(True)
    panel.code_b.confirm.button.click()
    _wait_text(qtbot, panel.code_b.status, "correctly state details of their resident record")
    assert window.visit.identity.established is None
    assert window.stack.currentWidget() is window.staff_check  # the resident still waits

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
    assert [d["accepted"] for _a, d in surface] == [False, True]
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


def test_a_proxy_brings_the_sealed_pin_form(qtbot, desk, sessions) -> None:  # noqa: F811
    window, panel = desk.window, desk.panel
    _start(qtbot, window)
    box = panel.presentation
    box.presenters[Presenter.PROXY].setChecked(True)
    box.reason.choose(OverrideReason.RELATIONSHIP_PROVEN)
    box.apply.button.click()
    _wait_text(qtbot, box.status, "Recorded")
    _choose(qtbot, window)
    with qtbot.waitSignal(window.identity_needed, timeout=5000):
        window.pin.alternative.click()
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
    docs.confirm.button.click()
    _wait_text(qtbot, docs.status, "sealed in an envelope")  # 要綱 2-12(4)
    assert window.visit.identity.established is None

    docs.pin_form.setCurrentIndex(visit_panel.index_of(docs.pin_form, PinRequestForm.SEALED))
    docs.confirm.button.click()
    _next_pin(qtbot, window, PinKind.KENHOJO)
    assert window.visit.identity.established.documents == ("PASSPORT",)
    assert window.visit.staff_enters_pin  # the new PIN comes from the sealed form, keyed by staff
    proxy = _actions(sessions, "override.proxy_documents")
    assert [(a, d["accepted"]) for a, d in proxy] == [(OPERATOR, False), (OPERATOR, True)]
    assert _actions(sessions, "override.manual_documents") == []


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
