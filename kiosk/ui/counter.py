"""The counter window: the screens in order, a visit per card, card and network work off the UI
thread (one `TaskRunner` for the reader: a second tap cannot send a second command).

Session rules (ANCHORS.md §2 E): a new session starts in Japanese with default display settings;
removing the card ends the visit at once; the idle timeout (with its visible countdown) ends it
too, but never while a card write runs — the flow's `writing` flag holds the timer.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtWidgets import QApplication, QStackedLayout, QWidget

from kiosk.domain.pin_rules import PinKind, PinUse
from kiosk.domain.procedures import Decision, Item, Procedure
from kiosk.domain.secret import Secret
from kiosk.flows.counter.card import CardAtCounter
from kiosk.flows.counter.certificates import CertificateFlow
from kiosk.flows.counter.face_switch import FaceSwitchFlow
from kiosk.flows.counter.identity import PinAttempt
from kiosk.flows.counter.machine import FlowEnded, Outcome
from kiosk.flows.counter.pins import PinChangeFlow, PinResetFlow
from kiosk.flows.counter.revocation import RevocationFlow
from kiosk.flows.counter.terminal import CounterTerminal
from kiosk.flows.counter.visit import Visit
from kiosk.reader.connection import CardConnection
from kiosk.reader.session import PinStatus
from kiosk.ui.card_prompt import CardPrompt, ReaderState
from kiosk.ui.i18n import DEFAULT_LANGUAGE, Language, Translations
from kiosk.ui.idle import IdleController, IdleCountdown
from kiosk.ui.keypad import PinKeypad
from kiosk.ui.screens import (
    AttractScreen,
    InsertCardScreen,
    MenuScreen,
    PinScreen,
    ProgressScreen,
    ResultScreen,
    certificate_name,
)
from kiosk.ui.texts import arg, pin_kind_name
from kiosk.ui.theme import Metrics, State
from kiosk.ui.workers import TaskRunner

log = logging.getLogger(__name__)

CardOpener = Callable[[], CardConnection]
OperatorOf = Callable[[], str | None]  # the signed-in operator's id, None when nobody is


def reason_text(decision: Decision) -> str:
    """The first reason, in the domain's words (English with the Japanese term). Not yet a
    catalogue entry: the reason table still needs its literal source strings in kiosk.ui.texts."""
    return decision.reasons[0].text


class CounterWindow(QWidget):
    visit_ended = Signal(str)  # outcome value, for the staff console and tests

    def __init__(
        self,
        terminal: CounterTerminal,
        open_card: CardOpener,
        operator_of: OperatorOf,
        translations: Translations,
        metrics: Metrics,
        *,
        idle: IdleController | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.terminal, self._open_card, self._operator_of = terminal, open_card, operator_of
        self.translations, self.metrics = translations, metrics
        self.runner = TaskRunner(parent=self)
        self.runner.failed.connect(self._on_failure)
        self.visit: Visit | None = None
        self.card_present = False
        self._pending_item: Item | None = None

        self.attract = AttractScreen(metrics, self)
        self.prompt = CardPrompt(metrics, parent=self)
        self.insert = InsertCardScreen(self.prompt, metrics, self)
        self.menu = MenuScreen(metrics, reason_text, self)
        self.pin = PinScreen(metrics, self)
        self.progress = ProgressScreen(metrics, self)
        self.result = ResultScreen(metrics, self)
        self.stack = QStackedLayout(self)
        for screen in (self.attract, self.insert, self.menu, self.pin, self.progress, self.result):
            self.stack.addWidget(screen)

        app = QApplication.instance()
        assert app is not None
        self.idle = idle or IdleController(app, parent=self)
        self.countdown = IdleCountdown(self.idle, metrics, self)
        self.idle.expired.connect(self._on_idle)

        self.attract.language_chosen.connect(self._start_session)
        self.insert.cancelled.connect(lambda: self._end(Outcome.CANCELLED, "cancelled"))
        self.menu.chosen.connect(self._choose)
        self.menu.finished.connect(lambda: self._end(Outcome.COMPLETED, ""))
        self.pin.cancelled.connect(lambda: self._end(Outcome.CANCELLED, "cancelled"))
        self.result.finished.connect(self._finish_result)
        self._reset_session()

    # -- session ----------------------------------------------------------------------------

    def _reset_session(self) -> None:
        """Back to the attract screen with the defaults: language, nothing of the last person."""
        self.idle.stop()
        self.countdown.hide()
        self.translations.switch(DEFAULT_LANGUAGE)
        self.visit = None
        self._pending_item = None
        self.stack.setCurrentWidget(self.attract)

    def _start_session(self, language: Language) -> None:
        self.translations.switch(language)
        self.idle.start()
        self.stack.setCurrentWidget(self.insert)
        self.prompt.set_state(ReaderState.CARD_PRESENT if self.card_present else ReaderState.READY)
        if self.card_present:
            self._open_visit()

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
        self.menu.show_decisions(visit.preflight.decisions, online=visit.preflight.central_reachable)
        self.stack.setCurrentWidget(self.menu)

    # -- the procedure's steps ---------------------------------------------------------------

    def _choose(self, item: Item) -> None:
        assert self.visit is not None
        self.visit.choose(item)
        self._pending_item = item
        if item.procedure is Procedure.PIN_CHANGE:
            self._open_flow()
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
        self.visit.begin_identity()
        self._ask_pin(
            PinKind.JUKI,
            PinUse.CURRENT,
            self._identity_pin,
            QCoreApplication.translate(
                "Counter", "To confirm who you are, enter your resident registry PIN (4 digits)."
            ),
        )

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
        keypad = PinKeypad(kind, self.metrics, use=use, birth_date=birth, rng=self.terminal.rng)
        if counter is not None:
            keypad.set_counter(counter)
        keypad.submitted.connect(then)
        title = (
            arg(QCoreApplication.translate("Counter", "Enter your %1"), pin_kind_name(kind))
            if use is PinUse.CURRENT
            else arg(QCoreApplication.translate("Counter", "Choose a new %1"), pin_kind_name(kind))
        )
        self.pin.set_keypad(keypad, title, explain)
        self.stack.setCurrentWidget(self.pin)

    def _retry_pin(self, attempt: PinAttempt, retry: Callable[[], None]) -> None:
        """A wrong PIN: the tries left shown on a fresh keypad (a new shuffle), or the end."""
        if attempt.blocked:
            self._end_with(Outcome.REFUSED, "pin-blocked")
            return
        retry()
        keypad = self.pin.keypad
        if isinstance(keypad, PinKeypad):
            keypad.set_counter(PinStatus(attempt.tries_left))
        self.pin.status.set_message(
            State.WARNING, QCoreApplication.translate("Counter", "The PIN was not correct.")
        )

    def _identity_pin(self, pin: Secret) -> None:
        visit = self.visit
        assert visit is not None and visit.identity is not None
        self._run(functools.partial(visit.identity.verify_juki_pin, pin), self._identity_checked)

    def _identity_checked(self, attempt: object) -> None:
        assert isinstance(attempt, PinAttempt) and self.visit is not None
        if not attempt.verified:
            self._retry_pin(
                attempt,
                lambda: self._ask_pin(
                    PinKind.JUKI,
                    PinUse.CURRENT,
                    self._identity_pin,
                    QCoreApplication.translate(
                        "Counter", "To confirm who you are, enter your resident registry PIN (4 digits)."
                    ),
                ),
            )
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
        self._run(functools.partial(visit.read_applicant, pin), lambda _info: self._procedure_pins())

    def _open_flow(self) -> None:
        assert self.visit is not None
        self.visit.open_flow()

    def _procedure_pins(self) -> None:
        visit = self.visit
        assert visit is not None and self._pending_item is not None
        item = self._pending_item
        flow = visit.open_flow()
        if isinstance(flow, CertificateFlow):
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
        elif isinstance(flow, FaceSwitchFlow):
            self._work(
                QCoreApplication.translate("Counter", "Switching the card to face authentication…"), flow.run
            )

    def _renewal_pin(self, pin: Secret) -> None:
        flow = self._certificate_flow()
        kind = flow.pins_needed()[0]
        self._run(functools.partial(flow.verify_current_pin, kind, pin), self._renewal_checked)

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
            flow=flow,
        )

    def _reset_pin(self, pin: Secret) -> None:
        assert self.visit is not None and isinstance(self.visit.flow, PinResetFlow)
        flow = self.visit.flow
        assert self._pending_item is not None and isinstance(self._pending_item.target, PinKind)
        flow.set_new_pin(self._pending_item.target, pin)
        self._work(
            QCoreApplication.translate("Counter", "Setting your new PIN…"), flow.apply_and_reset, flow=flow
        )

    def _pin_change_current(self, pin: Secret) -> None:
        assert self.visit is not None and isinstance(self.visit.flow, PinChangeFlow)
        self._run(functools.partial(self.visit.flow.verify_current, pin), self._pin_change_checked)

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
            flow=self.visit.flow,
        )

    def _revocation_pin(self, pin: Secret) -> None:
        assert self.visit is not None and isinstance(self.visit.flow, RevocationFlow)
        self._run(functools.partial(self.visit.flow.identify, pin), self._revocation_identified)

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

    def _run(self, call: Callable[[], object], then: Callable[[object], None]) -> None:
        """One call off the UI thread; `then` on the UI thread with its result."""

        def deliver(result: object) -> None:
            self.runner.succeeded.disconnect(deliver)
            then(result)

        self.runner.succeeded.connect(deliver)
        if not self.runner.run(call):
            self.runner.succeeded.disconnect(deliver)
            log.warning("a card step is already running: this one is ignored")

    def _work(self, step_text: str, call: Callable[[], object], *, flow: object | None = None) -> None:
        """A long step: the progress screen, the idle timer held while the card is written."""
        self.progress.set_step(step_text)
        self.stack.setCurrentWidget(self.progress)
        self.idle.hold()

        def done(_result: object) -> None:
            self.idle.release()
            self._show_outcome()

        self._run(call, done)

    def _on_failure(self, error: object) -> None:
        if self.idle.held:
            self.idle.release()
        if isinstance(error, FlowEnded):
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
        self.result.show_receipt(receipt, *outcome_message(receipt.outcome))
        self.stack.setCurrentWidget(self.result)

    def _show_result(self, state: State, message: str) -> None:
        self.result.show_receipt(None, state, message)
        self.stack.setCurrentWidget(self.result)

    def _end_with(self, outcome: Outcome, code: str) -> None:
        visit = self.visit
        if visit is not None and visit.flow is not None:
            visit.flow.close(outcome, code)
            self._show_outcome()
            return
        self._show_result(*outcome_message(outcome))

    def _finish_result(self) -> None:
        self._end(Outcome.COMPLETED, "")

    def _on_idle(self) -> None:
        flow = self.visit.flow if self.visit is not None else None
        if flow is not None and flow.writing:
            self.idle.start()  # a card write runs: the visit goes on
            return
        self._end(Outcome.TIMED_OUT, "idle")

    def _end(self, outcome: Outcome, code: str) -> None:
        """The visit ends: flow closed (PINs wiped), card released, back to the attract screen."""
        if self.pin.keypad is not None:
            self.pin.keypad.hide()  # wipes a half-typed PIN
        visit = self.visit
        if visit is not None:
            ending = visit.flow.ending if visit.flow is not None and visit.flow.ending else None
            visit.end(ending.outcome if ending else outcome, ending.code if ending else code)
        self.visit_ended.emit(outcome.value)
        self._reset_session()


def outcome_message(outcome: Outcome) -> tuple[State, str]:
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
