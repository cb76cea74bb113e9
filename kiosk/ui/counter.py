"""The counter window: the screens in order, a visit per card, card and network work off the UI
thread (one `TaskRunner` for the reader: a second tap cannot send a second command).

Session rules (ANCHORS.md §2 E): a new session starts in Japanese with default display settings;
removing the card ends the visit at once; the idle timeout (with its visible countdown) ends it
too, but never while a card write runs — the flow's `writing` flag holds the timer.

Staff's panel (kiosk.ui.visit_panel) acts on the same visit: its 照合番号B read runs on the
resident's card on the panel's own thread, bracketed by `begin_staff_read` / `end_staff_read`.
Meanwhile the resident's Cancel is deferred, not refused: it is taken at once (the screen says the
visit ends in a moment) and carried out when the read finishes. Ending the visit releases the
card, which must not happen under a command in flight; refusing the tap instead would leave a dead
button on the resident's screen for the second or two the read takes, and the resident would have
to tap again. The idle timeout waits for the read as it waits for a card write. Taking the card out
still ends the visit at once: the read then fails on its own and its result is dropped.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QLocale, Signal
from PySide6.QtWidgets import QApplication, QStackedLayout, QVBoxLayout, QWidget

from appdata.model import DisclosureKind
from kiosk.domain.identity import PinCheck
from kiosk.domain.pin_rules import PinKind, PinUse
from kiosk.domain.procedures import Decision, Item, Procedure
from kiosk.domain.secret import Secret
from kiosk.facecheck.camera import Capture
from kiosk.facecheck.check import FaceDecision
from kiosk.facecheck.matcher import Matcher
from kiosk.facecheck.worker import FaceCheckWorker
from kiosk.flows.counter.card import CardAtCounter
from kiosk.flows.counter.certificates import CERTIFICATE_PENDING, CertificateFlow
from kiosk.flows.counter.disclosure import DisclosureFlow
from kiosk.flows.counter.face_switch import FaceSwitchFlow
from kiosk.flows.counter.found_card import FoundCardFlow
from kiosk.flows.counter.identity import IdentityStep, PinAttempt
from kiosk.flows.counter.machine import FlowEnded, Outcome
from kiosk.flows.counter.pins import PinChangeFlow, PinResetFlow
from kiosk.flows.counter.revocation import RevocationFlow
from kiosk.flows.counter.terminal import CounterTerminal
from kiosk.flows.counter.visit import NotAccepted, NotEligible, Visit
from kiosk.flows.face import FaceCheckRecord
from kiosk.reader.connection import CardConnection
from kiosk.reader.session import PinStatus
from kiosk.ui.card_prompt import CardPrompt, ReaderState
from kiosk.ui.i18n import DEFAULT_LANGUAGE, Language, Translations
from kiosk.ui.idle import IdleController, IdleCountdown
from kiosk.ui.keypad import PinKeypad
from kiosk.ui.preview import CameraPreview, GuidanceRelay
from kiosk.ui.receipt import PrinterFactory, print_receipt
from kiosk.ui.screens import (
    AttractScreen,
    ChoiceScreen,
    DisplayBar,
    FaceScreen,
    InsertCardScreen,
    MenuScreen,
    PinScreen,
    ProgressScreen,
    ResultScreen,
    StaffCheckScreen,
    certificate_name,
)
from kiosk.ui.texts import arg, eligibility_reason_text, pin_kind_name, preflight_reason_text
from kiosk.ui.theme import Metrics, State, ThemeSettings, apply_theme
from kiosk.ui.workers import TaskRunner

log = logging.getLogger(__name__)

CardOpener = Callable[[], CardConnection]
OperatorOf = Callable[[], str | None]  # the signed-in operator's id, None when nobody is


def reason_text(decision: Decision) -> str:
    """The first reason, translated (the domain's English with the Japanese term is the source)."""
    text = preflight_reason_text(decision.reasons[0])
    if decision.opens_on is not None:  # renewal not yet: say from when
        opens = QLocale().toString(decision.opens_on, QLocale.FormatType.LongFormat)
        text = arg(QCoreApplication.translate("Counter", "%1 (from %2)"), text, opens)
    return text


class CounterWindow(QWidget):
    visit_ended = Signal(str)  # outcome value, for the staff console and tests
    visit_started = Signal()  # the card was read: the staff console shows this visit
    # Staff must check the resident's identity at the console: "pin-failed", "pin-blocked",
    # "face-auth-card", "asked" (the resident does not know the PIN), "card-not-in-operation" or
    # "proxy" (a proxy stands at the counter: the holder's PIN is not asked, staff check the proxy).
    identity_needed = Signal(str)
    face_checked = Signal(object)  # FaceCheckRecord: the staff panel offers what follows

    def __init__(
        self,
        terminal: CounterTerminal,
        open_card: CardOpener,
        operator_of: OperatorOf,
        translations: Translations,
        metrics: Metrics,
        *,
        idle: IdleController | None = None,
        camera: Callable[[], Capture] | None = None,
        matcher: Matcher | None = None,
        printer: PrinterFactory | None = None,
        default_language: Language = DEFAULT_LANGUAGE,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.terminal, self._open_card, self._operator_of = terminal, open_card, operator_of
        self.default_language = default_language  # every session starts in it (the configuration's)
        self.translations, self.metrics = translations, metrics
        self.runner = TaskRunner(parent=self)
        self.runner.failed.connect(self._on_failure)
        self.visit: Visit | None = None
        self.card_present = False
        self._staff_reading = False  # staff's panel has a card command running (照合番号B)
        self._cancel_waiting = False  # the resident cancelled during it: ended when it finishes
        self._staff_why: str | None = None  # why the identity check was handed to staff, if it was

        self._camera, self._matcher, self._printer = camera, matcher, printer
        self._face_worker: FaceCheckWorker | None = None
        self._capture: Capture | None = None
        self._on_choice: Callable[[object], None] | None = None
        self._build(metrics)
        app = QApplication.instance()
        assert app is not None
        self.idle = idle or IdleController(app, parent=self)
        self.countdown = IdleCountdown(self.idle, metrics, self)
        self.idle.expired.connect(self._on_idle)
        self._connect()
        self._reset_session()

    def _build(self, metrics: Metrics) -> None:
        self.attract = AttractScreen(metrics, self)
        self.prompt = CardPrompt(metrics, parent=self)
        self.insert = InsertCardScreen(self.prompt, metrics, self)
        self.menu = MenuScreen(metrics, reason_text, self)
        self.pin = PinScreen(metrics, self)
        self.progress = ProgressScreen(metrics, self)
        self.choice = ChoiceScreen(metrics, self)
        self.staff_check = StaffCheckScreen(metrics, self)
        self.face = FaceScreen(CameraPreview(), metrics, self)
        self.result = ResultScreen(metrics, self)
        self.result.print_button.setVisible(self._printer is not None)
        self._face_relay = GuidanceRelay(self)
        self.display = DisplayBar(metrics, self)
        self.pages = QWidget(self)
        outer = QVBoxLayout(self)
        outer.addWidget(self.display)
        outer.addWidget(self.pages, 1)
        self.stack = QStackedLayout(self.pages)
        for screen in (
            self.attract, self.insert, self.menu, self.pin, self.choice, self.staff_check, self.face,
            self.progress, self.result,
        ):  # fmt: skip
            self.stack.addWidget(screen)

    def _connect(self) -> None:
        self.attract.language_chosen.connect(self._start_session)
        self.menu.chosen.connect(self._choose)
        self.menu.finished.connect(self._finish)
        for screen in (self.insert, self.pin, self.choice, self.staff_check):
            screen.cancelled.connect(self._cancel)
        self.pin.alternative_chosen.connect(lambda: self._need_staff("asked"))
        self.choice.chosen.connect(lambda value: self._on_choice(value) if self._on_choice else None)
        self.result.finished.connect(self._finish)
        self.result.more_requested.connect(self._follow_up)
        self.result.print_requested.connect(self._print_receipt)
        self.face.cancelled.connect(self._cancel_face_check)
        self._face_relay.guidance.connect(self._face_guidance)
        self._face_relay.decided.connect(self._face_decided)
        self.display.changed.connect(self._apply_display)

    # -- session ----------------------------------------------------------------------------

    def _show(self, screen: QWidget) -> None:
        if screen is not self.pin:
            self.pin.clear_keypad()
        self.stack.setCurrentWidget(screen)

    def _reset_session(self) -> None:
        """Back to the attract screen with the defaults: language, nothing of the last person."""
        self.idle.stop()
        self.countdown.hide()
        self.translations.switch(self.default_language)
        self.display.reset()  # large text and high contrast do not carry over to the next person
        self.visit = None
        self._cancel_waiting = False
        self._staff_why = None
        self._show(self.attract)

    def _start_session(self, language: Language) -> None:
        self.translations.switch(language)
        self.idle.start()
        self._show(self.insert)
        self.prompt.set_state(ReaderState.CARD_PRESENT if self.card_present else ReaderState.READY)
        if self.card_present:
            self._open_visit()

    def _apply_display(self, settings: ThemeSettings) -> None:
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, settings, self.metrics)

    def _print_receipt(self) -> None:
        if self._printer is None:
            return
        self.result.print_button.setEnabled(False)  # one copy per press, never a duplicate
        try:
            print_receipt(
                self._printer(),
                self.result.title.text(),
                self.result.receipt_text(),
                self.terminal.terminal_id,
            )
        except Exception:
            log.exception("receipt printing failed")
            self.result.status.set_message(
                State.WARNING,
                QCoreApplication.translate("Counter", "The receipt could not be printed. Please ask staff."),
            )
            self.result.print_button.setEnabled(True)
            return
        self.result.printed()

    def closeEvent(self, event: object) -> None:
        """A closed window keeps no timer: its idle expiry would otherwise reset the language of
        whatever runs next in this application."""
        self.idle.stop()
        super().closeEvent(event)  # type: ignore[arg-type]

    def resizeEvent(self, event: object) -> None:
        self.countdown.setGeometry(self.rect())
        super().resizeEvent(event)  # type: ignore[arg-type]

    # -- card events (from the reader monitor, on the UI thread) ------------------------------

    def card_inserted(self) -> None:
        self.card_present = True
        if self.stack.currentWidget() is self.insert:
            self.prompt.set_state(ReaderState.CARD_PRESENT)
            self._open_visit()

    def card_removed(self) -> None:
        self.card_present = False
        self.prompt.set_state(ReaderState.READY)
        if self.visit is not None:
            self._end(Outcome.CARD_REMOVED, "card-removed")

    def _open_visit(self) -> None:
        operator = self._operator_of() or ""
        terminal = self.terminal

        def start() -> Visit:
            card = CardAtCounter(self._open_card())
            visit = Visit(terminal, card, operator=operator)
            try:
                visit.start()
            except Exception:
                visit.end(Outcome.FAILED, "card-unreadable")
                raise
            return visit

        self._run(start, self._show_menu)

    def _show_menu(self, visit: object) -> None:
        assert isinstance(visit, Visit) and visit.preflight is not None
        self.visit = visit
        self.visit_started.emit()
        self.menu.show_decisions(visit.preflight.decisions, online=visit.preflight.central_reachable)
        self._show(self.menu)

    # -- staff's panel on the same visit ---------------------------------------------------------

    def begin_staff_read(self) -> bool:
        """Staff's panel is about to run a card command (照合番号B) on its own thread. False, and
        nothing may be sent, while the resident's step has the card or there is no visit. Until
        `end_staff_read`, the resident's Cancel and the idle timeout wait (module docstring)."""
        visit = self.visit
        if visit is None or visit.ended or self.runner.busy or self._staff_reading:
            return False
        self._staff_reading = True
        return True

    def end_staff_read(self) -> None:
        """The panel's card command is over (answered, failed or dropped): a cancel that waited
        for it is carried out now."""
        self._staff_reading = False
        if self._cancel_waiting:
            self._cancel_waiting = False
            self._end(Outcome.CANCELLED, "cancelled")

    @property
    def staff_reading(self) -> bool:
        return self._staff_reading

    def refuse(self, reason: NotAccepted, operator: str) -> bool:
        """Staff's 受付不可 from the panel: the visit ends REFUSED with `reason` recorded (card
        released, an open flow closed with it), and the resident's screen says it cannot be done,
        as other refusals do; their Finish, the idle timeout or taking the card out returns to the
        attract screen. False while a card command runs (the resident's or staff's): nothing is
        ended under it. VisitError when the visit may not be refused (`Visit.refuse`)."""
        visit = self.visit
        if visit is None or visit.ended or self.runner.busy or self._staff_reading:
            return False
        visit.refuse(reason, operator=operator)  # first: a refusal not allowed changes nothing here
        if self._face_worker is not None:
            self._face_worker.cancel("visit refused")
            self._stop_face_check()
        self.pin.clear_keypad()  # wipes a half-typed PIN
        self.visit_ended.emit(Outcome.REFUSED.value)  # the staff side resets; `_end` does not repeat it
        if visit.flow is not None:
            self._show_outcome()  # the procedure's receipt, closed REFUSED with the reason code
        else:
            self._show_result(*outcome_message(Outcome.REFUSED))
        return True

    def presentation_changed(self) -> None:
        """Staff recorded who is applying (the panel). A proxy is not asked the holder's 住基 PIN
        (要綱 2-12: the proxy's own documents are checked): a PIN screen asking it hands the check
        to staff now. Set back to the holder before anything was checked, the usual path resumes."""
        visit = self.visit
        if visit is None or visit.ended or visit.identity is None or self.runner.busy:
            return  # a PIN being checked now: `_identity_checked` looks at the presentation
        identity = visit.identity
        if identity.established is not None:
            return
        if visit.by_proxy and self._asking_identity_pin():
            self._identity_by_proxy(identity)
        elif not visit.by_proxy and self._staff_why == "proxy" and identity.pin is PinCheck.NOT_DONE:
            self._route_identity(identity)

    def _asking_identity_pin(self) -> bool:
        keypad = self.pin.keypad
        return self.stack.currentWidget() is self.pin and keypad is not None and keypad.kind is PinKind.JUKI

    def _cancel(self) -> None:
        """The resident's Cancel: the visit ends, unless staff's card command is running — then
        it ends as soon as that command is over (module docstring)."""
        if not self._staff_reading:
            self._end(Outcome.CANCELLED, "cancelled")
            return
        self._cancel_waiting = True
        self.progress.set_step(
            QCoreApplication.translate(
                "Counter", "Cancelling. Staff are finishing a step on your card; this takes a moment."
            )
        )
        self._show(self.progress)

    # -- the procedure's steps ---------------------------------------------------------------

    def _choose(self, item: Item) -> None:
        assert self.visit is not None
        self.visit.choose(item)
        if item.procedure is Procedure.PIN_CHANGE:
            self.visit.open_flow()
            assert isinstance(item.target, PinKind)
            self._ask_pin(
                item.target,
                PinUse.CURRENT,
                self._pin_change_current,
                QCoreApplication.translate("Counter", "Enter your current PIN"),
            )
            return
        if not self._operator_of():
            self._show_result(
                State.ERROR,
                QCoreApplication.translate(
                    "Counter", "Staff must sign in at the staff console first. Please ask staff."
                ),
            )
            return
        if self.visit.identity is not None and self.visit.identity.established is not None:
            # A follow-up in this visit (new certificates after a found-card release): the identity
            # check and the 基本4情報 already made stand (Visit).
            self.identity_established()
            return
        self._route_identity(self.visit.begin_identity())

    def _route_identity(self, identity: IdentityStep) -> None:
        """The first step of the identity check: the 住基 PIN, or staff at once where it cannot serve."""
        visit = self.visit
        assert visit is not None and visit.reading is not None
        if visit.by_proxy:
            # The PIN is the holder's: a proxy is never asked it (not even to say "I do not know").
            self._identity_by_proxy(identity)
            return
        if identity.face_auth_card:
            self._need_staff("face-auth-card")
            return
        if visit.reading.snapshot.pin_blocked(PinKind.JUKI):
            self._need_staff("pin-blocked")
            return
        if not identity.pin_path_open:
            # A suspended card (or one whose status 機構 cannot give now): the right PIN would
            # still be refused, and the screen would wait for nothing. Staff check, no try spent.
            identity.pin_path_closed()
            self._need_staff("card-not-in-operation")
            return
        self._staff_why = None
        self._ask_identity_pin()

    def _identity_by_proxy(self, identity: IdentityStep) -> None:
        identity.by_proxy()
        self._need_staff("proxy")

    def _ask_pin(
        self,
        kind: PinKind,
        use: PinUse,
        then: Callable[[Secret], None],
        explain: str,
        *,
        counter: PinStatus | None = None,
    ) -> None:
        birth = self.visit.applicant.birth_date if self.visit and self.visit.applicant else None
        if use is PinUse.NEW and self.visit is not None and self.visit.staff_enters_pin:
            explain = QCoreApplication.translate(
                "Counter",
                "Staff: key in the PIN from the sealed PIN request form; the proxy must not see it.",
            )
        keypad = PinKeypad(kind, self.metrics, use=use, birth_date=birth, rng=self.terminal.rng)
        if counter is not None:
            keypad.set_counter(counter)
        keypad.submitted.connect(then)
        title = (
            arg(QCoreApplication.translate("Counter", "Enter your %1"), pin_kind_name(kind))
            if use is PinUse.CURRENT
            else arg(QCoreApplication.translate("Counter", "Choose a new %1"), pin_kind_name(kind))
        )
        self.pin.set_keypad(keypad, title, explain, alternative=kind is PinKind.JUKI)
        self._show(self.pin)

    def _retry_pin(self, attempt: PinAttempt, retry: Callable[[], None]) -> None:
        """A wrong PIN: the tries left shown on a fresh keypad (a new shuffle), or the end."""
        if attempt.blocked:
            self._end_with(Outcome.REFUSED, "pin-blocked")
            return
        retry()
        if self.pin.keypad is not None:
            self.pin.keypad.set_counter(PinStatus(attempt.tries_left))
        self.pin.status.set_message(
            State.WARNING, QCoreApplication.translate("Counter", "The PIN was not correct.")
        )

    def _ask_identity_pin(self) -> None:
        self._ask_pin(
            PinKind.JUKI,
            PinUse.CURRENT,
            self._identity_pin,
            QCoreApplication.translate(
                "Counter", "To confirm who you are, enter your resident registry PIN (4 digits)."
            ),
        )

    def _identity_pin(self, pin: Secret) -> None:
        visit = self.visit
        assert visit is not None and visit.identity is not None
        self._run(functools.partial(visit.identity.verify_juki_pin, pin), self._identity_checked, pin=pin)

    def _identity_checked(self, attempt: object) -> None:
        assert isinstance(attempt, PinAttempt) and self.visit is not None
        if not attempt.verified and self.visit.by_proxy and self.visit.identity is not None:
            # staff recorded a proxy while the PIN was being checked: no second try is asked
            self._identity_by_proxy(self.visit.identity)
            return
        if not attempt.verified and attempt.blocked:
            self._need_staff("pin-blocked")
            return
        if not attempt.verified:
            self._retry_pin(attempt, self._ask_identity_pin)
            return
        self.identity_established()

    def _need_staff(self, why: str) -> None:
        """The resident waits; staff check identity at the console (要領 B, 要綱 2-4)."""
        if why == "asked" and self.visit is not None and self.visit.identity is not None:
            self.visit.identity.pin_unknown()
        self._staff_why = why
        self._show(self.staff_check)  # drops the keypad, wiping a half-typed PIN
        self.identity_needed.emit(why)

    # -- face check (規則 64条の5) -------------------------------------------------------------

    @property
    def face_check_possible(self) -> bool:
        """A camera and a matcher are configured, and staff read the chip's photo (照合番号B)."""
        visit = self.visit
        return (
            self._camera is not None
            and self._matcher is not None
            and visit is not None
            and visit.card_face is not None
            and visit.identity is not None
            and self._face_worker is None
        )

    def start_face_check(self) -> bool:
        """Staff start it from the console; False when it cannot run now."""
        if not self.face_check_possible:
            return False
        visit = self.visit
        assert visit is not None and visit.card_face is not None and self._camera and self._matcher
        capture = self._camera()
        capture.start()
        self._capture = capture
        self.face.preview.set_source(capture)
        # Staff are present at the counter: the head-turn challenge is not required (docs/face-check.md).
        self._face_worker = FaceCheckWorker(
            capture,
            self._matcher,
            visit.card_face.photo_jp2,
            liveness_required=False,
            listener=self._face_relay,
        ).start()
        self._show(self.face)
        self.idle.hold()  # the person is busy in front of the camera
        return True

    def _face_guidance(self, guidance: object) -> None:
        self.face.preview.set_guidance(guidance)  # type: ignore[arg-type]

    def _cancel_face_check(self) -> None:
        if self._face_worker is not None:
            self._face_worker.cancel("cancelled by the resident")  # the decision (UNABLE) still comes

    def _stop_face_check(self) -> None:
        self.face.preview.set_source(None)
        if self._capture is not None:
            self._capture.stop()
            self._capture = None
        if self._face_worker is not None:
            self._face_worker = None
            self.idle.release()

    def _face_decided(self, decision: object) -> None:
        self._stop_face_check()
        visit = self.visit
        if visit is None or visit.ended or not isinstance(decision, FaceDecision):
            return
        # Into the audit chain (a store write): off the UI thread like every other step.
        self._run(
            functools.partial(visit.record_face, decision), functools.partial(self._face_recorded, visit)
        )

    def _face_recorded(self, visit: Visit, record: object) -> None:
        if visit is not self.visit or visit.ended:  # the visit ended while it was recorded
            return
        assert isinstance(record, FaceCheckRecord)
        self.face_checked.emit(record)
        if record.accepted:
            self.identity_established()
        else:
            self._show(self.staff_check)  # staff compare, or another way

    def identity_established(self) -> None:
        """Called when the identity step has a result (the PIN here, or staff at the console):
        the applicant's 基本4情報 next — already read if staff used 照合番号B."""
        visit = self.visit
        if visit is None or visit.identity is None or visit.identity.established is None:
            return
        if visit.applicant is not None:
            self._procedure_pins()
            return
        self._ask_pin(
            PinKind.KENHOJO,
            PinUse.CURRENT,
            self._applicant_pin,
            QCoreApplication.translate(
                "Counter",
                "To read your name, address and date of birth from the card, enter its card information PIN.",
            ),
        )

    def _applicant_pin(self, pin: Secret) -> None:
        visit = self.visit
        assert visit is not None
        self._run(functools.partial(visit.read_applicant, pin), lambda _info: self._procedure_pins(), pin=pin)

    def _procedure_pins(self) -> None:
        visit = self.visit
        assert visit is not None and visit.item is not None
        item = visit.item
        if item.procedure is Procedure.DISCLOSURE:
            self._ask(self._disclosure_texts, self._disclosure_chosen)
            return
        try:
            flow = visit.open_flow()
        except NotEligible as refused:
            self._show_result(State.ERROR, eligibility_reason_text(refused.reason))
            return
        if isinstance(flow, FoundCardFlow):
            self._work(
                QCoreApplication.translate("Counter", "Lifting the suspension of your card…"), flow.run
            )
        elif isinstance(flow, FaceSwitchFlow):
            self._ask(
                self._face_switch_texts,
                lambda _v: self._work(
                    QCoreApplication.translate("Counter", "Switching the card to face authentication…"),
                    flow.run,
                ),
            )
        elif isinstance(flow, CertificateFlow):
            kind = flow.pins_needed()[0]
            if flow.renewal:
                self._ask_pin(
                    kind,
                    PinUse.CURRENT,
                    self._renewal_pin,
                    QCoreApplication.translate(
                        "Counter", "Renewal keeps your PIN. Enter the current one; the card checks it."
                    ),
                )
            else:
                self._ask_pin(
                    kind,
                    PinUse.NEW,
                    self._new_certificate_pin,
                    QCoreApplication.translate(
                        "Counter", "Choose the PIN for the new certificate and enter it twice."
                    ),
                )
        elif isinstance(flow, PinResetFlow):
            assert isinstance(item.target, PinKind)
            self._ask_pin(
                item.target,
                PinUse.NEW,
                self._reset_pin,
                QCoreApplication.translate("Counter", "Choose the new PIN and enter it twice."),
            )
        elif isinstance(flow, RevocationFlow):
            if flow.needs_pin:
                self._ask_pin(
                    PinKind.SIGN,
                    PinUse.CURRENT,
                    self._revocation_pin,
                    QCoreApplication.translate(
                        "Counter", "The card shows the signing certificate only after its PIN."
                    ),
                )
            else:
                self._run(flow.identify, lambda _a: self._file_revocation())

    def _ask(
        self, texts: Callable[[], tuple[str, str, list[tuple[object, str]]]], then: Callable[[object], None]
    ) -> None:
        self._on_choice = then
        self.choice.ask(texts)
        self._show(self.choice)

    @staticmethod
    def _disclosure_texts() -> tuple[str, str, list[tuple[object, str]]]:
        return (
            QCoreApplication.translate("Counter", "Disclosure or correction"),
            QCoreApplication.translate(
                "Counter",
                "Ask to see what the certification centre records about your certificates, or ask it to "
                "correct what it disclosed to you. Staff give you the form's copy.",
            ),
            [
                (DisclosureKind.DISCLOSURE, QCoreApplication.translate("Counter", "Disclosure (開示請求)")),
                (DisclosureKind.CORRECTION, QCoreApplication.translate("Counter", "Correction (訂正請求)")),
            ],
        )

    def _disclosure_chosen(self, kind: object) -> None:
        assert self.visit is not None and isinstance(kind, DisclosureKind)
        flow = self.visit.open_flow(disclosure_kind=kind)
        assert isinstance(flow, DisclosureFlow)
        self._work(QCoreApplication.translate("Counter", "Sending your request…"), flow.file)

    @staticmethod
    def _face_switch_texts() -> tuple[str, str, list[tuple[object, str]]]:
        return (
            QCoreApplication.translate("Counter", "Switch to a face-auth card?"),
            QCoreApplication.translate(
                "Counter",
                "Your signing certificate will be revoked and your user authentication PIN set to a random "
                "value and locked. From then on, the card is used with your face instead of a PIN.",
            ),
            [(True, QCoreApplication.translate("Counter", "Switch"))],
        )

    def _follow_up(self) -> None:
        """After a found-card release: read the card again and offer what follows (new certificates)."""
        visit = self.visit
        assert visit is not None
        self._run(visit.start, lambda _p: self._show_menu(visit))

    def _renewal_pin(self, pin: Secret) -> None:
        flow = self._certificate_flow()
        kind = flow.pins_needed()[0]
        self._run(functools.partial(flow.verify_current_pin, kind, pin), self._renewal_checked, pin=pin)

    def _renewal_checked(self, attempt: object) -> None:
        assert isinstance(attempt, PinAttempt)
        flow = self._certificate_flow()
        if not attempt.verified:
            kind = flow.pins_needed()[0]
            self._retry_pin(attempt, lambda: self._ask_pin(kind, PinUse.CURRENT, self._renewal_pin, ""))
            return
        self._install()

    def _new_certificate_pin(self, pin: Secret) -> None:
        flow = self._certificate_flow()
        flow.set_new_pin(flow.pins_needed()[0], pin)
        self._install()

    def _certificate_flow(self) -> CertificateFlow:
        assert self.visit is not None and isinstance(self.visit.flow, CertificateFlow)
        return self.visit.flow

    def _install(self) -> None:
        flow = self._certificate_flow()
        certificate = flow.request.certificates[0]

        def run() -> None:
            flow.apply()
            flow.install()

        self._work(
            arg(
                QCoreApplication.translate("Counter", "Making the new %1 on your card…"),
                certificate_name(certificate),
            ),
            run,
        )

    def _reset_pin(self, pin: Secret) -> None:
        visit = self.visit
        assert visit is not None and isinstance(visit.flow, PinResetFlow)
        assert visit.item is not None and isinstance(visit.item.target, PinKind)
        visit.flow.set_new_pin(visit.item.target, pin)
        self._work(QCoreApplication.translate("Counter", "Setting your new PIN…"), visit.flow.apply_and_reset)

    def _pin_change_current(self, pin: Secret) -> None:
        assert self.visit is not None and isinstance(self.visit.flow, PinChangeFlow)
        self._run(functools.partial(self.visit.flow.verify_current, pin), self._pin_change_checked, pin=pin)

    def _pin_change_checked(self, attempt: object) -> None:
        assert isinstance(attempt, PinAttempt) and self.visit is not None
        flow = self.visit.flow
        assert isinstance(flow, PinChangeFlow)
        if not attempt.verified:
            self._retry_pin(
                attempt, lambda: self._ask_pin(flow.kind, PinUse.CURRENT, self._pin_change_current, "")
            )
            return
        self._ask_pin(
            flow.kind,
            PinUse.NEW,
            self._pin_change_new,
            QCoreApplication.translate("Counter", "Choose the new PIN and enter it twice."),
        )

    def _pin_change_new(self, pin: Secret) -> None:
        assert self.visit is not None and isinstance(self.visit.flow, PinChangeFlow)
        self._work(
            QCoreApplication.translate("Counter", "Changing your PIN…"),
            functools.partial(self.visit.flow.change, pin),
            pin=pin,
        )

    def _revocation_pin(self, pin: Secret) -> None:
        assert self.visit is not None and isinstance(self.visit.flow, RevocationFlow)
        self._run(functools.partial(self.visit.flow.identify, pin), self._revocation_identified, pin=pin)

    def _revocation_identified(self, attempt: object) -> None:
        assert isinstance(attempt, PinAttempt)
        if not attempt.verified:
            self._retry_pin(
                attempt, lambda: self._ask_pin(PinKind.SIGN, PinUse.CURRENT, self._revocation_pin, "")
            )
            return
        self._file_revocation()

    def _file_revocation(self) -> None:
        assert self.visit is not None and isinstance(self.visit.flow, RevocationFlow)
        self._work(
            QCoreApplication.translate("Counter", "Sending your revocation request…"), self.visit.flow.file
        )

    # -- running work -------------------------------------------------------------------------

    def _run(
        self, call: Callable[[], object], then: Callable[[object], None], *, pin: Secret | None = None
    ) -> bool:
        """One call off the UI thread; `then` on the UI thread with its result. A failure goes to
        `_on_failure` and drops `then`: left connected, it would be handed the next call's result.
        Refused while a call runs (a second OK on the keypad meanwhile): the `pin` the call was
        given is wiped then, as the call would have."""

        def done() -> None:
            self.runner.succeeded.disconnect(deliver)
            self.runner.failed.disconnect(dropped)

        def deliver(result: object) -> None:
            done()
            then(result)

        def dropped(_error: object) -> None:
            done()

        self.runner.succeeded.connect(deliver)
        self.runner.failed.connect(dropped)
        if self.runner.run(call):
            return True
        done()
        if pin is not None:
            pin.wipe()
        log.warning("a card step is already running: this one is ignored")
        return False

    def _work(self, step_text: str, call: Callable[[], object], *, pin: Secret | None = None) -> None:
        """A long step: the progress screen, the idle timer held while the card is written."""
        self.progress.set_step(step_text)
        self._show(self.progress)
        self.idle.hold()

        def done(_result: object) -> None:
            self.idle.release()
            if self.visit is not None:  # the card may have been pulled meanwhile: the visit ended
                self._show_outcome()

        if not self._run(call, done, pin=pin):
            self.idle.release()

    def _on_failure(self, error: object) -> None:
        if self.idle.held:
            self.idle.release()
        if isinstance(error, FlowEnded):
            # A pulled card ends the visit from the reader's event too, which may come first.
            if self.visit is not None:
                self._show_outcome()
            return
        log.error("counter step failed: %s", type(error).__name__)
        self._end_with(Outcome.FAILED, type(error).__name__)

    # -- endings ------------------------------------------------------------------------------

    def _show_outcome(self) -> None:
        visit = self.visit
        assert visit is not None
        if visit.flow is None or visit.flow.ending is None:
            self._end_with(Outcome.FAILED, "no-ending")
            return
        receipt = visit.receipt()
        follow_up = isinstance(visit.flow, FoundCardFlow) and receipt.outcome is Outcome.COMPLETED
        self.result.show_receipt(receipt, *outcome_message(receipt.outcome, receipt.code), more=follow_up)
        self._show(self.result)

    def _show_result(self, state: State, message: str) -> None:
        self.result.show_receipt(None, state, message)
        self._show(self.result)

    def _end_with(self, outcome: Outcome, code: str) -> None:
        visit = self.visit
        if visit is not None and visit.flow is not None:
            visit.flow.close(outcome, code)
            self._show_outcome()
            return
        self._show_result(*outcome_message(outcome))

    def _finish(self) -> None:
        self._end(Outcome.COMPLETED, "")

    def _on_idle(self) -> None:
        flow = self.visit.flow if self.visit is not None else None
        if (flow is not None and flow.writing) or self._staff_reading:
            self.idle.start()  # a card write, or staff's read of the card, runs: the visit goes on
            return
        self._end(Outcome.TIMED_OUT, "idle")

    def _end(self, outcome: Outcome, code: str) -> None:
        """The visit ends: flow closed (PINs wiped), card released, back to the attract screen."""
        if self._face_worker is not None:
            self._face_worker.cancel("visit ended")
            self._stop_face_check()
        self.pin.clear_keypad()  # wipes a half-typed PIN
        visit = self.visit
        reported = visit is not None and visit.ended  # staff's 受付不可 ended and reported it already
        if visit is not None:
            end_visit(visit, outcome, code)
        if not reported:
            self.visit_ended.emit(outcome.value)
        self._reset_session()


def end_visit(visit: Visit, outcome: Outcome, code: str) -> None:
    """End `visit` (PINs wiped, card released, recorded) with its procedure's own ending when it has
    one — a procedure that ended stays ended so, whatever closes the visit — else with `outcome`."""
    ending = visit.flow.ending if visit.flow is not None else None
    visit.end(ending.outcome if ending else outcome, ending.code if ending else code)


def outcome_message(outcome: Outcome, code: str = "") -> tuple[State, str]:
    if outcome is Outcome.QUEUED and code == CERTIFICATE_PENDING:
        return State.WARNING, QCoreApplication.translate(
            "Counter",
            "The certification centre has your request but has not issued the certificate yet. Insert "
            "your card again later to have it written; staff can tell you when it is ready.",
        )
    messages = {
        Outcome.COMPLETED: (
            State.SUCCESS,
            QCoreApplication.translate("Counter", "Done. You can take out your card."),
        ),
        Outcome.QUEUED: (
            State.WARNING,
            QCoreApplication.translate(
                "Counter",
                "Your request has been taken. The certification centre cannot be reached right now; "
                "it will be sent automatically. Staff can tell you when it has gone through.",
            ),
        ),
        Outcome.OFFLINE: (
            State.WARNING,
            QCoreApplication.translate(
                "Counter",
                "The certification centre cannot be reached right now, so this could not be done. Nothing "
                "was changed on your card. Please try again later, or ask staff.",
            ),
        ),
        Outcome.REFUSED: (
            State.ERROR,
            QCoreApplication.translate("Counter", "This cannot be done. Please ask staff at the counter."),
        ),
        Outcome.CANCELLED: (
            State.INFO,
            QCoreApplication.translate("Counter", "Cancelled. Nothing was changed on your card."),
        ),
        Outcome.TIMED_OUT: (
            State.INFO,
            QCoreApplication.translate("Counter", "The session ended because there was no input."),
        ),
        Outcome.CARD_REMOVED: (
            State.WARNING,
            QCoreApplication.translate(
                "Counter",
                "The card was taken out. If a step was not finished, it continues when you insert it again.",
            ),
        ),
        Outcome.FAILED: (
            State.ERROR,
            QCoreApplication.translate(
                "Counter", "Something went wrong. Please ask staff; they can see the code below."
            ),
        ),
    }
    return messages[outcome]
