"""The resident's window of the unattended PIN-reset terminal: one reset attempt per card, no staff.

    attract (what this terminal resets; language) → insert card → checking (authenticity, 機構's
    status, PIN counters) → which PIN was forgotten → the other PIN → 照合番号B → face check with
    the head-turn challenge → 機構 authorises → new PIN twice → reset on the card → receipt
                                      every failure → referral to the municipal counter (why)

The steps are `kiosk.flows.unattended.UnattendedReset`'s; this window only asks and shows, the way
`kiosk.ui.counter.CounterWindow` does for a visit: card and network work on a `TaskRunner` (one
call at a time: no double trigger), the idle timer held while the card is written or 機構 is
awaited, the face check on `FaceCheckWorker`'s thread with the preview polling the camera.

Session rules (ANCHORS.md §2 E, §4):
- each session starts in Japanese with the default display settings, whatever the last person chose;
- taking the card out ends the attempt at once (recorded by the flow, reported to 機構 when a
  ticket exists) and says so on the referral screen — a pull during the card write says that the
  PIN may or may not have changed, which is the truth the screen can know;
- the idle timeout shows its countdown first and never fires during a card write;
- there is no staff fallback: the face check's 64条の5 fallbacks are not offered, and every
  failure ends on the referral screen with a fixed reason, printable;
- a session that ended with the card still in the reader asks for the card before the next
  person can begin: nothing starts on a card left behind.

Privacy: PINs and 照合番号B only in the keypads' `Secret`s, handed to the flow (which wipes them)
or wiped here; the card photo is handed to the face check worker, which copies it, and wiped here
at once; no frame or photo is written anywhere. The receipt says which PIN, when, and a reference.
"""

from __future__ import annotations

import functools
import logging
import random
from collections.abc import Callable
from datetime import date

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtWidgets import QApplication, QStackedLayout, QVBoxLayout, QWidget

from appdata.unattended import Reason, Refusal
from kiosk.domain.pin_rules import PinKind, PinUse
from kiosk.domain.secret import Secret
from kiosk.domain.unattended import MIN_TRIES_TO_SPEND
from kiosk.facecheck.camera import CameraUnavailable, Capture
from kiosk.facecheck.check import FaceDecision
from kiosk.facecheck.matcher import Matcher
from kiosk.facecheck.policy import DEFAULT_POLICY
from kiosk.facecheck.worker import FaceCheckWorker
from kiosk.flows.counter.card import CardAtCounter
from kiosk.flows.counter.identity import PinAttempt
from kiosk.flows.counter.machine import Ending, FlowEnded, Outcome
from kiosk.flows.counter.terminal import CounterTerminal
from kiosk.flows.face import UNATTENDED_ACTOR
from kiosk.flows.unattended import Capabilities, Referred, ResetReceipt, ResetState, UnattendedReset
from kiosk.reader.connection import CardConnection
from kiosk.reader.errors import CardError
from kiosk.reader.session import PinStatus
from kiosk.ui.card_prompt import CardPrompt, ReaderState
from kiosk.ui.i18n import DEFAULT_LANGUAGE, Language, Translations
from kiosk.ui.idle import IdleController, IdleCountdown
from kiosk.ui.keypad import PinKeypad
from kiosk.ui.preview import CameraPreview, GuidanceRelay
from kiosk.ui.receipt import PrinterFactory, print_receipt
from kiosk.ui.screens import DisplayBar, PinScreen, ProgressScreen
from kiosk.ui.texts import arg, pin_kind_name
from kiosk.ui.theme import Metrics, State, ThemeSettings, apply_theme
from kiosk.ui.unattended_screens import (
    ChooseScreen,
    CodeBScreen,
    OutcomeScreen,
    ResetAttractScreen,
    ResetFaceScreen,
    ResetInsertCardScreen,
    TakeCardScreen,
)
from kiosk.ui.workers import TaskRunner

log = logging.getLogger(__name__)

CardOpener = Callable[[], CardConnection]
ChallengeRng = Callable[[], random.Random | None]  # None: the matcher draws from the system's entropy


def _no_rng() -> random.Random | None:
    return None


def tries_here(tries_left: int | None) -> int:
    """How many entries of the other PIN this terminal still allows: every try but the last one,
    which is kept for the counter (kiosk.domain.unattended.MIN_TRIES_TO_SPEND)."""
    if tries_left is None:
        return 0
    return max(0, tries_left - (MIN_TRIES_TO_SPEND - 1))


class UnattendedWindow(QWidget):
    session_started = Signal()  # the card was read: an attempt is open (or was referred at once)
    session_ended = Signal(object)  # the attempt's Ending (outcome and code), when it has one

    def __init__(
        self,
        terminal: CounterTerminal,
        open_card: CardOpener,
        capabilities: Capabilities,
        translations: Translations,
        metrics: Metrics,
        *,
        idle: IdleController | None = None,
        camera: Callable[[], Capture] | None = None,
        matcher: Matcher | None = None,
        printer: PrinterFactory | None = None,
        challenge_rng: ChallengeRng = _no_rng,
        default_language: Language = DEFAULT_LANGUAGE,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.default_language = default_language  # every session starts in it (the configuration's)
        self.terminal, self._open_card, self.capabilities = terminal, open_card, capabilities
        self.translations, self.metrics = translations, metrics
        self._camera, self._matcher, self._printer = camera, matcher, printer
        self._challenge_rng = challenge_rng
        self.runner = TaskRunner(parent=self)
        self.flow: UnattendedReset | None = None
        self.card_present = False
        self.last_ending: Ending | None = None
        self._cancel_waiting = False  # Cancel tapped while a card step ran: carried out after it
        self._work_held = False  # a long step holds the idle timer
        self._shown_end: UnattendedReset | None = None  # the attempt whose ending is on screen
        self._face_worker: FaceCheckWorker | None = None
        self._capture: Capture | None = None
        self._build(metrics)
        app = QApplication.instance()
        assert app is not None
        self.idle = idle or IdleController(app, parent=self)
        self.countdown = IdleCountdown(self.idle, metrics, self)
        self.idle.expired.connect(self._on_idle)
        self._connect()
        self._reset_session()

    def _build(self, metrics: Metrics) -> None:
        self.attract = ResetAttractScreen(self.capabilities.pins, metrics, self)
        self.prompt = CardPrompt(metrics, parent=self)
        self.insert = ResetInsertCardScreen(self.prompt, metrics, self)
        self.progress = ProgressScreen(metrics, self)
        self.choose = ChooseScreen(metrics, self)
        self.pin = PinScreen(metrics, self)
        self.code_b = CodeBScreen(metrics, self)
        self.face = ResetFaceScreen(CameraPreview(), metrics, self)
        self.outcome = OutcomeScreen(metrics, self)
        self.outcome.can_print = self._printer is not None
        self.take_card = TakeCardScreen(metrics, self)
        self._face_relay = GuidanceRelay(self)
        self.display = DisplayBar(metrics, self)
        self.pages = QWidget(self)
        outer = QVBoxLayout(self)
        outer.addWidget(self.display)
        outer.addWidget(self.pages, 1)
        self.stack = QStackedLayout(self.pages)
        for screen in (
            self.attract, self.insert, self.progress, self.choose, self.pin, self.code_b, self.face,
            self.outcome, self.take_card,
        ):  # fmt: skip
            self.stack.addWidget(screen)

    def _connect(self) -> None:
        self.attract.language_chosen.connect(self._start_session)
        self.insert.cancelled.connect(self._end_session)  # "Back": no attempt yet
        for screen in (self.choose, self.pin, self.code_b, self.face):
            screen.cancelled.connect(self._cancel)
        self.choose.chosen.connect(self._choose)
        self.choose.both_forgotten.connect(self._both_forgotten)
        self.pin.alternative_chosen.connect(self._both_forgotten)  # "I do not know this PIN" either
        self.outcome.finished.connect(self._end_session)
        self.outcome.print_requested.connect(self._print)
        self._face_relay.guidance.connect(self.face.preview.set_guidance)
        self._face_relay.decided.connect(self._face_decided)
        self.display.changed.connect(self._apply_display)

    # -- session ----------------------------------------------------------------------------------

    @property
    def camera_in_use(self) -> bool:
        """A face check has the camera (the health checks leave it alone meanwhile). Read from any
        thread: one attribute, no Qt."""
        return self._capture is not None

    @property
    def at_rest(self) -> bool:
        """Between residents: the attract screen, no attempt, no card work."""
        return self.stack.currentWidget() is self.attract and self.flow is None and not self.runner.busy

    def _show(self, screen: QWidget) -> None:
        if screen is not self.pin:
            self.pin.clear_keypad()  # wipes a half-typed PIN
        if screen is not self.code_b:
            self.code_b.clear_keypad()
        self.stack.setCurrentWidget(screen)

    def _reset_session(self) -> None:
        """Back to the attract screen (or "take your card") with the defaults: nothing of the last
        person's language, display settings or entries carries over."""
        self.idle.stop()
        self.countdown.hide()
        self.translations.switch(self.default_language)
        self.display.reset()
        self.flow = None
        self._cancel_waiting = False
        self._show(self.take_card if self.card_present else self.attract)

    def _start_session(self, language: Language) -> None:
        self.translations.switch(language)
        self.idle.start()
        self._show(self.insert)
        self.prompt.set_state(ReaderState.CARD_PRESENT if self.card_present else ReaderState.READY)
        if self.card_present:
            self._begin()

    def _apply_display(self, settings: ThemeSettings) -> None:
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, settings, self.metrics)

    def set_out_of_service(self, out: bool) -> None:
        """The service mode (kiosk.flows.service_mode), from the maintenance menu or at start."""
        self.attract.set_out_of_service("out" if out else None)

    def closeEvent(self, event: object) -> None:
        self.idle.stop()  # a closed window keeps no timer that would reset the language later
        super().closeEvent(event)  # type: ignore[arg-type]

    def resizeEvent(self, event: object) -> None:
        self.countdown.setGeometry(self.rect())
        super().resizeEvent(event)  # type: ignore[arg-type]

    # -- card events (from the reader monitor, on the UI thread) ------------------------------

    def card_inserted(self) -> None:
        self.card_present = True
        if self.stack.currentWidget() is self.insert and not self.runner.busy:
            self.prompt.set_state(ReaderState.CARD_PRESENT)
            self._begin()

    def card_removed(self) -> None:
        self.card_present = False
        self.prompt.set_state(ReaderState.READY)
        flow = self.flow
        if flow is not None and not flow.closed:
            # The attempt ends now, whatever runs: a step still on the card fails by itself and
            # its result is dropped (the flow is closed; the first ending stands).
            changing = flow.writing or flow.state is ResetState.RESETTING
            self._stop_face_check(cancel="card removed")
            flow.card_removed()
            flow.card.release()
            self._show_referral(Reason.CARD_REMOVED, None, card_maybe_changed=changing)
            return
        if self.stack.currentWidget() in (self.outcome, self.take_card):
            self._end_session()  # the person took the card: the next one may start

    # -- the steps -------------------------------------------------------------------------------

    def _begin(self) -> None:
        terminal, pins, opener = self.terminal, self.capabilities.pins, self._open_card

        def begin() -> UnattendedReset:
            card = CardAtCounter(opener())
            try:
                return UnattendedReset.begin(terminal, card, pins)
            except BaseException:  # a referral too: the flow is closed, the exception says why
                card.release()
                raise

        self._work(QCoreApplication.translate("Unattended", "Checking your card…"), begin, self._offered)

    def _offered(self, result: object) -> None:
        assert isinstance(result, UnattendedReset)
        self.flow = result
        self.session_started.emit()
        if not self.card_present:  # pulled while it was read
            self.card_removed()
            return
        self.choose.show_offer(result.offer)
        self._show(self.choose)

    def _choose(self, target: object) -> None:
        flow = self.flow
        assert flow is not None and isinstance(target, PinKind)
        self._work(
            QCoreApplication.translate("Unattended", "Asking the certification centre (機構)…"),
            functools.partial(flow.choose, target),
            lambda _r: self._ask_other_pin(flow.other_tries_left),
        )

    def _both_forgotten(self) -> None:
        """Nothing more can be done here: the referral is recorded (off the UI thread) and shown."""
        flow = self.flow
        if flow is None or flow.closed:
            return
        refer = flow.refer_both_forgotten if flow.state is ResetState.CHOOSE else None
        call = refer or functools.partial(flow.refer, Reason.BOTH_FORGOTTEN)
        self._run(call, self._referred_result)

    def _referred_result(self, result: object) -> None:
        assert isinstance(result, Referred)
        self._on_failure(result)

    def _ask_other_pin(self, tries_left: int | None, *, wrong: bool = False) -> None:
        flow = self.flow
        assert flow is not None
        other = flow.other
        allowed = tries_here(tries_left)
        explain = arg(
            QCoreApplication.translate(
                "Unattended",
                "To confirm who you are, enter your %1, the PIN you still know. Tries you may use at this "
                "terminal: %2. It stops before the PIN would lock.",
            ),
            pin_kind_name(other),
            str(allowed),
        )
        self._ask_pin(other, PinUse.CURRENT, self._other_pin, explain, alternative=True)
        if not wrong:
            return
        keypad = self.pin.keypad
        if keypad is not None:
            keypad.set_counter(PinStatus(tries_left))
        if allowed == 1:
            warning = QCoreApplication.translate(
                "Unattended",
                "The PIN was not correct. This is your last try at this terminal: if it is wrong again, "
                "you will be asked to go to the municipal counter. The PIN will not lock.",
            )
        else:
            warning = QCoreApplication.translate("Unattended", "The PIN was not correct.")
        self.pin.status.set_message(State.WARNING, warning)

    def _other_pin(self, pin: Secret) -> None:
        flow = self.flow
        assert flow is not None
        self._run(functools.partial(flow.verify_other, pin), self._other_checked, pin=pin)

    def _other_checked(self, attempt: object) -> None:
        assert isinstance(attempt, PinAttempt)
        if attempt.verified:
            self._ask_code_b()
        else:
            self._ask_other_pin(attempt.tries_left, wrong=True)

    def _ask_code_b(self, *, wrong: bool = False) -> None:
        keypad = PinKeypad(PinKind.CODE_B, self.metrics, use=PinUse.CURRENT, rng=self.terminal.rng)
        keypad.submitted.connect(self._code_b)
        self.code_b.set_keypad(keypad)
        self._show(self.code_b)
        if wrong:
            self.code_b.status.set_message(
                State.WARNING,
                QCoreApplication.translate(
                    "Unattended",
                    "The card did not accept this number. Check the three parts on the card and enter it "
                    "again. If it is not accepted again, you will be asked to go to the municipal counter.",
                ),
            )

    def _code_b(self, code: Secret) -> None:
        flow = self.flow
        assert flow is not None
        self._work(
            QCoreApplication.translate("Unattended", "Reading the photo in your card's chip…"),
            functools.partial(flow.read_photo, code),
            self._photo_read,
            pin=code,
        )

    def _photo_read(self, photo: object) -> None:
        if photo is None:
            self._ask_code_b(wrong=True)
            return
        assert isinstance(photo, bytearray)
        self._start_face_check(photo)

    # -- face check (規則 64条の5 第2号; the challenge is mandatory here) ------------------------

    def _start_face_check(self, photo: bytearray) -> None:
        """The worker copies the photo; ours is wiped before this returns, on every path."""
        try:
            if self._camera is None or self._matcher is None:
                raise CameraUnavailable("no camera configured at this terminal")
            capture = self._camera()
            capture.start()
            self._capture = capture
            self._face_worker = FaceCheckWorker(
                capture,
                self._matcher,
                photo,
                liveness_required=True,
                listener=self._face_relay,
                rng=self._challenge_rng(),
            ).start()
        except CameraUnavailable as exc:
            log.warning("face check: camera unavailable: %s", exc)
            if self._capture is not None:
                self._capture.stop()
                self._capture = None
            # The flow records it and refers (FACE_NOT_CAPTURED): no staff to compare by sight.
            self._face_decided(
                FaceDecision.unable("camera unavailable", DEFAULT_POLICY, 0.0, liveness_required=True)
            )
            return
        finally:
            photo[:] = bytes(len(photo))
        self.face.preview.set_source(self._capture)
        self._show(self.face)
        self.idle.hold()  # the person is busy in front of the camera

    def _stop_face_check(self, *, cancel: str | None = None) -> None:
        if self._face_worker is not None and cancel is not None:
            self._face_worker.cancel(cancel)  # its decision (UNABLE) still comes, and is dropped
        self.face.preview.set_source(None)
        if self._capture is not None:
            self._capture.stop()
            self._capture = None
        if self._face_worker is not None:
            self._face_worker = None
            self.idle.release()

    def _face_decided(self, decision: object) -> None:
        self._stop_face_check()
        flow = self.flow
        if flow is None or flow.closed or not isinstance(decision, FaceDecision):
            return  # the attempt ended meanwhile (cancel, card pulled): nothing to record here
        self._work(
            QCoreApplication.translate(
                "Unattended", "Asking the certification centre (機構) to authorise the reset…"
            ),
            functools.partial(flow.face_decided, decision),
            lambda _r: self._ask_new_pin(),
        )

    # -- new PIN and the reset ------------------------------------------------------------------

    def _ask_new_pin(self, *, refused: bool = False) -> None:
        flow = self.flow
        assert flow is not None and flow.target is not None
        birth = flow.applicant.birth_date if flow.applicant is not None else None
        self._ask_pin(
            flow.target,
            PinUse.NEW,
            self._new_pin,
            QCoreApplication.translate(
                "Unattended", "Your identity is confirmed. Choose the new PIN and enter it twice."
            ),
            birth_date=birth,
        )
        if refused:
            self.pin.status.set_message(
                State.WARNING,
                QCoreApplication.translate(
                    "Unattended", "This PIN cannot be used. Please choose another one."
                ),
            )

    def _new_pin(self, pin: Secret) -> None:
        flow = self.flow
        assert flow is not None
        try:
            flow.set_new_pin(pin)  # the rules once more (no card, no network): ValueError wipes it
        except ValueError:
            self._ask_new_pin(refused=True)
            return
        except FlowEnded as ended:
            self._on_failure(ended)
            return
        self._work(QCoreApplication.translate("Unattended", "Setting your new PIN…"), flow.reset, self._done)

    def _done(self, receipt: object) -> None:
        assert isinstance(receipt, ResetReceipt)
        flow = self.flow
        if flow is not None:
            flow.card.release()  # the card stays in the reader until the person takes it
        self.outcome.show_done(receipt)
        self._show(self.outcome)
        self._ended(flow)

    # -- PIN entry --------------------------------------------------------------------------------

    def _ask_pin(
        self,
        kind: PinKind,
        use: PinUse,
        then: Callable[[Secret], None],
        explain: str,
        *,
        alternative: bool = False,
        birth_date: date | None = None,
    ) -> None:
        keypad = PinKeypad(kind, self.metrics, use=use, birth_date=birth_date, rng=self.terminal.rng)
        keypad.submitted.connect(then)
        title = (
            arg(QCoreApplication.translate("Unattended", "Enter your %1"), pin_kind_name(kind))
            if use is PinUse.CURRENT
            else arg(QCoreApplication.translate("Unattended", "Choose a new %1"), pin_kind_name(kind))
        )
        self.pin.set_keypad(keypad, title, explain, alternative=alternative)
        self._show(self.pin)

    # -- running work -------------------------------------------------------------------------

    def _run(
        self, call: Callable[[], object], then: Callable[[object], None], *, pin: Secret | None = None
    ) -> bool:
        """One call off the UI thread; `then` with its result on the UI thread, a failure to
        `_on_failure`. Refused while a call runs (a second OK meanwhile): its `pin` is wiped. A
        result that comes after its attempt ended on screen (the card pulled meanwhile) is dropped,
        a photo in it wiped."""
        flow = self.flow

        def done() -> None:
            self.runner.succeeded.disconnect(deliver)
            self.runner.failed.disconnect(failed)

        def deliver(result: object) -> None:
            done()
            if flow is not None and (self._shown_end is flow or self.flow is not flow):
                if isinstance(result, bytearray):
                    result[:] = bytes(len(result))
                return
            if self._cancel_waiting:
                self._cancel_waiting = False
                self._cancel()
                return
            then(result)

        def failed(error: object) -> None:
            done()
            self._cancel_waiting = False
            self._on_failure(error)

        self.runner.succeeded.connect(deliver)
        self.runner.failed.connect(failed)
        if self.runner.run(call):
            return True
        done()
        if pin is not None:
            pin.wipe()
        log.warning("a card step is already running: this one is ignored")
        return False

    def _work(
        self,
        step_text: str,
        call: Callable[[], object],
        then: Callable[[object], None],
        *,
        pin: Secret | None = None,
    ) -> None:
        """A long step: the progress screen, the idle timer held (a card write, 機構 awaited)."""
        self.progress.set_step(step_text)
        self._show(self.progress)
        self._hold_for_work()

        def release_then(result: object) -> None:
            self._release_work()
            then(result)

        if not self._run(call, release_then, pin=pin):
            self._release_work()

    def _hold_for_work(self) -> None:
        if not self._work_held:
            self._work_held = True
            self.idle.hold()

    def _release_work(self) -> None:
        if self._work_held:
            self._work_held = False
            self.idle.release()

    def _on_failure(self, error: object) -> None:
        """Every way a step can fail ends on a screen: a referral with its fixed reason, or — before
        an attempt exists — back to the card prompt."""
        self._release_work()
        flow = self.flow
        if flow is not None and self._shown_end is flow:
            return  # the attempt already ended on screen (the card was pulled): this is its echo
        if isinstance(error, Referred):
            if flow is not None:
                flow.card.release()
            # From `begin` there is no flow here (the card was released there): the slip names
            # the attempt the exception carries.
            self._show_referral(error.reason, error.refusal, ending=error.ending, reference=error.attempt)
            return
        if flow is None:
            self._begin_failed(error)
            return
        if isinstance(error, FlowEnded):
            ending = error.ending
            flow.card.release()
            if ending.outcome is Outcome.CARD_REMOVED:
                self._show_referral(
                    Reason.CARD_REMOVED, None, card_maybe_changed=flow.state is ResetState.RESETTING
                )
            else:
                self._show_referral(None, None)
            return
        log.error("unattended step failed: %s", type(error).__name__)
        flow.close(Outcome.FAILED, type(error).__name__)
        flow.card.release()
        self._show_referral(None, None)

    def _begin_failed(self, error: object) -> None:
        """The card could not be read into an attempt (nothing recorded by a flow: none exists)."""
        if isinstance(error, CardError):
            log.warning("card not read: %s", type(error).__name__)
            self._show(self.insert)
            self.prompt.set_state(ReaderState.CARD_UNREADABLE if self.card_present else ReaderState.READY)
            return
        log.error("reading the card for a reset failed: %s", type(error).__name__)
        try:  # the record of a failure no flow could record
            self.terminal.record(UNATTENDED_ACTOR, "reset/none")(
                "unattended.failed", {"error": type(error).__name__}
            )
        except Exception:
            log.exception("recording the failure failed")
        self._show_referral(None, None)

    # -- endings ------------------------------------------------------------------------------

    def _show_referral(
        self,
        reason: Reason | None,
        refusal: Refusal | None,
        *,
        card_maybe_changed: bool = False,
        ending: Ending | None = None,
        reference: str | None = None,
    ) -> None:
        flow = self.flow
        self._stop_face_check(cancel="referred")
        if reference is None:
            reference = flow.attempt if flow is not None else ""
        self.outcome.show_referral(
            reason, refusal, reference=reference, card_maybe_changed=card_maybe_changed
        )
        self._show(self.outcome)
        self._ended(flow, ending)

    def _ended(self, flow: UnattendedReset | None, ending: Ending | None = None) -> None:
        """The attempt's end is on screen (or the session was left): said once, to whoever listens."""
        self._shown_end = flow
        self.last_ending = flow.ending if flow is not None else ending
        self.session_ended.emit(self.last_ending)

    def _cancel(self) -> None:
        """The resident's Cancel: the attempt ends (recorded), unless a card step runs — then as
        soon as it is over (ending it under a command in flight would release the card under it)."""
        if self.runner.busy:
            self._cancel_waiting = True
            self.progress.set_step(QCoreApplication.translate("Unattended", "Cancelling…"))
            self._show(self.progress)
            return
        self._stop_face_check(cancel="cancelled by the resident")
        flow = self.flow
        if flow is not None and not flow.closed:
            flow.cancel()
        if flow is not None:
            flow.card.release()
        self.outcome.show_cancelled()
        self._show(self.outcome)
        self._ended(flow)

    def _end_session(self) -> None:
        """Finish, Back, the card taken out after the end, or the idle timeout: the attempt (if
        one is still open) is cancelled and recorded, the card released, the defaults restored."""
        self._stop_face_check(cancel="session ended")
        self._release_work()
        flow = self.flow
        if flow is not None:
            if not flow.closed:
                flow.cancel()
            if self._shown_end is not flow:
                self._ended(flow)
            flow.card.release()
        self._shown_end = None
        self._reset_session()

    def _on_idle(self) -> None:
        flow = self.flow
        if (flow is not None and flow.writing) or self.runner.busy:
            self.idle.start()  # a card write (or 機構) is still answering: never cut it off
            return
        if flow is not None and not flow.closed:
            flow.time_out()
        self._end_session()

    def _print(self) -> None:
        if self._printer is None:
            return
        self.outcome.print_button.setEnabled(False)  # one copy per press
        try:
            print_receipt(
                self._printer(),
                self.outcome.heading(),
                self.outcome.receipt_text(),
                self.terminal.terminal_id,
            )
        except Exception:
            log.exception("receipt printing failed")
            self.outcome.advice.set_message(
                State.WARNING,
                QCoreApplication.translate(
                    "Unattended", "The receipt could not be printed. Please note the reference number."
                ),
            )
            self.outcome.print_button.setEnabled(True)
            return
        self.outcome.printed()

    def shutdown(self) -> None:
        """The application is closing: card work finishes (a write is never cut off), an open
        attempt is cancelled and recorded, the card released."""
        self.idle.stop()
        self.runner.wait(30_000)
        self._stop_face_check(cancel="shutdown")
        flow = self.flow
        if flow is not None:
            if not flow.closed:
                flow.cancel()
            flow.card.release()
