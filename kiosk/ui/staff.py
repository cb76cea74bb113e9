"""Staff sign-in at the counter terminal: the operator's staff card in the staff reader and its PIN
(docs/staff-console.md, "Operator authentication"), the signed-in session, re-authentication.

- `OperatorGate` holds the one `OperatorSession` of the terminal. `operator_of()` is what the
  resident's `CounterWindow` asks before an identity check; it counts as the operator's activity,
  so a counter in use keeps its operator while an unattended one signs them out. A timer ends the
  session at the idle or the overall limit (`SessionLimits`), recorded as `operator.logout`; an
  override asks `reauthenticate()` for a fresh staff card + PIN (no older than 5 minutes).
- `StaffSignIn` is the staff-facing panel: it reads the staff card off the UI thread (a reader
  of its own, a `TaskRunner` of its own), takes the PIN on a `PinKeypad` (the staff card's PIN is
  the JPKI auth PIN: 4 digits, 3 tries counted by the card) and says in plain words what went
  wrong: the tries left, a lock-out, "not a staff card".

Before the PIN is asked, the card is checked without a PIN try (certificate from the staff CA,
valid, enrolled, PIN not blocked), so a resident's card put in the staff reader by mistake is named
as such instead of prompting for a PIN. `kiosk.flows.operator.authenticate` checks all of it again
with the PIN and records the attempt; the early look records nothing (no attempt was made).

The card's PIN leaves the keypad as a `Secret` and is wiped by `authenticate`/`reauthenticate` on
every path (or here, when no check is started).
"""

from __future__ import annotations

import enum
import functools
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget
from sqlalchemy.orm import Session, sessionmaker

from kiosk.domain.pin_rules import PinKind, PinUse
from kiosk.domain.secret import Secret
from kiosk.flows.operator import (
    DifferentOperator,
    LoginFailure,
    OperatorAuthError,
    OperatorCardLocked,
    OperatorDisabled,
    OperatorNotEnrolled,
    OperatorSession,
    OperatorSessionExpired,
    SessionEnd,
    SessionLimits,
    StaffCardRemoved,
    StaffCardUnreadable,
    StaffTrust,
    WrongOperatorPin,
    authenticate,
    certificate_fingerprint,
    find_operator,
    logout,
    read_staff_certificate,
    reauthenticate,
)
from kiosk.reader.connection import CardConnection
from kiosk.reader.errors import CardError, CardRemoved
from kiosk.reader.jpki import JpkiPin, JpkiSession
from kiosk.reader.session import PinStatus
from kiosk.reader.transport import Transport
from kiosk.store.coltypes import utcnow
from kiosk.ui.keypad import PinKeypad
from kiosk.ui.status import StatusLine, Told
from kiosk.ui.texts import arg
from kiosk.ui.theme import Metrics, State
from kiosk.ui.widgets import touch_button
from kiosk.ui.workers import TaskRunner

_log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Message = tuple[State, Callable[[], str]]
StaffCardOpener = Callable[[], CardConnection]
MAX_CHECK_MS = 15_000  # the panel's "time left" is refreshed at least this often
AUTH_PIN_TRIES = 3  # the staff card's PIN counter when full (cardemu.personalise, the real card)

# The flows' English reasons, written out so lupdate extracts them (context "Staff");
# tests/ui/test_staff.py holds each to the flows' text, so a changed message there shows here.
LOGIN_FAILURE_SOURCE = {
    LoginFailure.PIN_FORMAT: QT_TRANSLATE_NOOP("Staff", "The staff PIN is 4 digits. Enter it again."),
    LoginFailure.WRONG_PIN: QT_TRANSLATE_NOOP("Staff", "The PIN is not right."),
    LoginFailure.CARD_LOCKED: QT_TRANSLATE_NOOP(
        "Staff",
        "This staff card is locked after too many wrong PINs. Ask the system administrator to "
        "unlock or replace it.",
    ),
    LoginFailure.NOT_A_STAFF_CARD: QT_TRANSLATE_NOOP(
        "Staff", "This is not a staff card of this office. Insert your staff card into the staff reader."
    ),
    LoginFailure.CERTIFICATE_EXPIRED: QT_TRANSLATE_NOOP(
        "Staff", "This staff card has expired. Ask the system administrator for a new one."
    ),
    LoginFailure.CERTIFICATE_NOT_YET_VALID: QT_TRANSLATE_NOOP(
        "Staff",
        "This staff card is not valid yet. Check the terminal's clock, or ask the system administrator.",
    ),
    LoginFailure.NOT_ENROLLED: QT_TRANSLATE_NOOP(
        "Staff",
        "This staff card is not registered at this terminal. Ask the system administrator to enroll it.",
    ),
    LoginFailure.OPERATOR_DISABLED: QT_TRANSLATE_NOOP(
        "Staff", "This staff card has been withdrawn at this terminal. Ask the system administrator."
    ),
    LoginFailure.KEY_MISMATCH: QT_TRANSLATE_NOOP(
        "Staff",
        "This staff card failed its check and cannot be used. Keep it aside and tell the system "
        "administrator.",
    ),
    LoginFailure.DIFFERENT_OPERATOR: QT_TRANSLATE_NOOP(
        "Staff",
        "This is another operator's staff card. The operator who is signed in must use their own card.",
    ),
    LoginFailure.CARD_REMOVED: QT_TRANSLATE_NOOP(
        "Staff", "The staff card was removed. Insert it again and leave it in until sign-in completes."
    ),
    LoginFailure.CARD_ERROR: QT_TRANSLATE_NOOP(
        "Staff",
        "The staff card could not be read. Insert it again; if it happens again, call the administrator.",
    ),
}
SESSION_END_SOURCE = {
    SessionEnd.LOGOUT: QT_TRANSLATE_NOOP("Staff", "Signed out."),
    SessionEnd.IDLE: QT_TRANSLATE_NOOP("Staff", "Signed out after the set time without activity."),
    SessionEnd.OVERALL_LIMIT: QT_TRANSLATE_NOOP(
        "Staff", "Signed out: the session reached its longest allowed time."
    ),
    SessionEnd.CLOCK: QT_TRANSLATE_NOOP("Staff", "Signed out: the terminal's clock went back."),
}
TRIES_LEFT_SOURCE = (  # %1: why the PIN was refused
    QT_TRANSLATE_NOOP("Staff", "%1 1 try left before the staff card locks."),
    QT_TRANSLATE_NOOP("Staff", "%1 %2 tries left before the staff card locks."),
)
# The two limits with this terminal's numbers (SessionLimits, from the configuration). Whole
# sentences per count, as for the tries (`_counted`).
IDLE_MINUTES_SOURCE = (
    QT_TRANSLATE_NOOP("Staff", "Signed out after 1 minute without activity."),
    QT_TRANSLATE_NOOP("Staff", "Signed out after %1 minutes without activity."),
)
OVERALL_HOURS_SOURCE = (
    QT_TRANSLATE_NOOP("Staff", "Signed out: a session lasts at most 1 hour."),
    QT_TRANSLATE_NOOP("Staff", "Signed out: a session lasts at most %1 hours."),
)


def failure_text(error: OperatorAuthError) -> str:
    """What the staff panel says about a refused staff card, in the current language."""
    text = QCoreApplication.translate("Staff", LOGIN_FAILURE_SOURCE[error.reason])
    if isinstance(error, WrongOperatorPin):
        return _counted(TRIES_LEFT_SOURCE, error.tries_left, text)
    return text


def _counted(sources: tuple[str, str], count: int, *before: str) -> str:
    """The sentence for 1 or for `count` (whole sentences per count, not a plural form: "1 try"
    and "2 tries" are different words), filled with `before` and then the count."""
    one, many = sources
    if count == 1:
        return arg(QCoreApplication.translate("Staff", one), *before)
    return arg(QCoreApplication.translate("Staff", many), *before, str(count))


def session_end_text(end: SessionEnd, limits: SessionLimits | None = None) -> str:
    """Why staff were signed out, in the current language; the idle and overall limits with the
    numbers of `limits` when they are whole minutes / hours (the configuration's always are)."""
    limits = limits or SessionLimits()
    if end is SessionEnd.IDLE:
        minutes, rest = divmod(int(limits.idle.total_seconds()), 60)
        if minutes and not rest:
            return _counted(IDLE_MINUTES_SOURCE, minutes)
    elif end is SessionEnd.OVERALL_LIMIT:
        hours, rest = divmod(int(limits.overall.total_seconds()), 3600)
        if hours and not rest:
            return _counted(OVERALL_HOURS_SOURCE, hours)
    return QCoreApplication.translate("Staff", SESSION_END_SOURCE[end])


@dataclass(frozen=True)
class StaffCardLook:
    """What the PIN-free look at the staff card found: whose card it is and its PIN counter."""

    operator_id: str
    tries: PinStatus


# -- the gate ------------------------------------------------------------------------------------


class OperatorGate(QObject):
    """The signed-in operator of this terminal (or nobody). Lives on the UI thread."""

    signed_in = Signal(str)  # operator id
    signed_out = Signal(str)  # SessionEnd code
    reauth_requested = Signal()  # an override needs a fresh staff card + PIN
    reauthenticated = Signal(str)  # operator id
    reauth_cancelled = Signal()
    time_left_changed = Signal(int)  # whole seconds to the nearer limit

    def __init__(
        self,
        sessions: sessionmaker[Session],
        trust: StaffTrust,
        *,
        limits: SessionLimits | None = None,
        clock: Clock = utcnow,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.sessions, self.trust = sessions, trust
        self.limits = limits or SessionLimits()
        self.clock = clock
        self._session: OperatorSession | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.check)

    @property
    def session(self) -> OperatorSession | None:
        return self._session

    @property
    def operator_id(self) -> str | None:
        return self._session.operator_id if self._session is not None else None

    def operator_of(self) -> str | None:
        """The operator's id for the counter window, None when nobody is signed in. A resident's
        step under the operator's authority is their activity: the idle limit starts again."""
        if self.check() is not None or self._session is None:
            return None
        self.touch()
        return self._session.operator_id

    def touch(self) -> None:
        """The operator did something at the terminal."""
        if self._session is None:
            return
        try:
            self._session = self._session.touch(self.clock())
        except OperatorSessionExpired as exc:
            self.end(exc.end)
            return
        self._schedule()

    def time_left(self) -> timedelta:
        return self._session.time_left(self.clock()) if self._session is not None else timedelta(0)

    @property
    def fresh_for_override(self) -> bool:
        """An override may rely on the latest staff card + PIN (no older than the limit)."""
        session = self._session
        return session is not None and not session.needs_reauth_for_override(self.clock())

    # -- sign-in and sign-out (UI thread) -----------------------------------------------------

    def begin(self, session: OperatorSession) -> None:
        """A sign-in succeeded (recorded by `authenticate`)."""
        if self._session is not None:  # cannot happen through the panel; never two at once
            self.end(SessionEnd.LOGOUT)
        self._session = session
        self.signed_in.emit(session.operator_id)
        self._schedule()

    def end(self, reason: SessionEnd = SessionEnd.LOGOUT) -> None:
        """End the session (sign-out button, idle, overall limit, clock, shutdown); recorded."""
        session, self._session = self._session, None
        self._timer.stop()
        if session is None:
            return
        try:
            logout(self.sessions, session, now=self.clock(), reason=reason)
        except Exception:  # the store failing must not keep the operator signed in
            _log.exception("recording the operator's sign-out failed")
        self.signed_out.emit(reason.code)

    def check(self) -> SessionEnd | None:
        """End the session if a limit is reached (the timer calls this; so does `operator_of`)."""
        session = self._session
        if session is None:
            return None
        end = session.end_reason(self.clock())
        if end is not None:
            self.end(end)
            return end
        self._schedule()
        return None

    def reauthenticate(self) -> bool:
        """An override is about to be made. True: the latest staff card + PIN is fresh enough, go
        ahead. False: the staff panel now asks for the card and PIN; `reauthenticated` (then go
        ahead) or `reauth_cancelled` follows. Refused (False, no prompt) when nobody is signed in."""
        if self.check() is not None or self._session is None:
            return False
        if self.fresh_for_override:
            return True
        self.reauth_requested.emit()
        return False

    def renewed(self, session: OperatorSession) -> None:
        """A re-authentication succeeded (recorded by `reauthenticate`)."""
        self._session = session
        self._schedule()
        self.reauthenticated.emit(session.operator_id)

    def cancel_reauth(self) -> None:
        self.reauth_cancelled.emit()

    # -- the card work (any thread: no Qt, no state of the gate is changed) -------------------

    def look(self, transport: Transport) -> StaffCardLook:
        """The card in the staff reader, without a PIN try: staff CA, validity, enrolment, PIN
        counter. Raises the `OperatorAuthError` a sign-in would end with; records nothing."""
        try:
            cert = read_staff_certificate(transport)
            self.trust.check(cert, self.clock())
            fingerprint = certificate_fingerprint(cert)
            with self.sessions() as session:
                operator = find_operator(session, fingerprint)
                if operator is None:
                    raise OperatorNotEnrolled(f"staff card {fingerprint.hex()[:16]}… is not enrolled")
                if operator.disabled:
                    raise OperatorDisabled(f"operator {operator.id} is disabled", operator_id=operator.id)
                operator_id = operator.id
            status = JpkiSession(transport).pin_status(JpkiPin.AUTH)  # empty VERIFY: no try spent
        except OperatorAuthError:
            raise
        except CardRemoved as exc:
            raise StaffCardRemoved(str(exc)) from exc
        except CardError as exc:
            raise StaffCardUnreadable(f"{type(exc).__name__}: {exc}") from exc
        if status.blocked:
            raise OperatorCardLocked("auth PIN blocked", just_now=False, operator_id=operator_id)
        return StaffCardLook(operator_id, status)

    def sign_in(self, transport: Transport, pin: Secret) -> OperatorSession:
        """`kiosk.flows.operator.authenticate` with this terminal's trust, store and limits."""
        return authenticate(
            transport, pin, trust=self.trust, sessions=self.sessions, now=self.clock(), limits=self.limits
        )

    def confirm(self, transport: Transport, pin: Secret, current: OperatorSession) -> OperatorSession:
        """`kiosk.flows.operator.reauthenticate` of `current` (taken on the UI thread)."""
        return reauthenticate(
            transport, pin, current, trust=self.trust, sessions=self.sessions, now=self.clock()
        )

    def _schedule(self) -> None:
        left = self.time_left()
        self.time_left_changed.emit(int(left.total_seconds()))
        # Wake at the limit itself, or sooner to refresh the panel's "time left".
        self._timer.start(max(50, min(MAX_CHECK_MS, int(left.total_seconds() * 1000) + 1)))


# -- the panel -----------------------------------------------------------------------------------


class Phase(enum.Enum):
    NO_CARD = "no_card"  # signed out, nothing in the staff reader
    READING = "reading"  # the PIN-free look at the card
    REFUSED = "refused"  # the card cannot sign in: says why until it is taken out
    PIN = "pin"  # the keypad for sign-in
    CHECKING = "checking"  # the PIN is with the card
    SIGNED_IN = "signed_in"
    REAUTH_PIN = "reauth_pin"  # the keypad for an override's re-authentication


class StaffSignIn(QWidget):
    """The staff-facing panel: sign in, who is signed in and for how long, sign out, confirm an
    override. `card_inserted`/`card_removed` are the staff reader's events."""

    def __init__(
        self,
        gate: OperatorGate,
        open_card: StaffCardOpener,
        metrics: Metrics,
        *,
        rng: random.Random | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.gate, self._open_card, self.metrics = gate, open_card, metrics
        self.rng = rng  # the keypad's shuffle (None: the system's); tests and screenshots seed it
        self.runner = TaskRunner(parent=self)  # the staff reader's own: a resident's visit runs beside
        self.runner.failed.connect(self._on_failure)
        self.runner.succeeded.connect(self._on_success)
        self.card_present = False
        self.phase = Phase.NO_CARD
        self._reauth = False  # an override waits for a fresh card + PIN
        # What to do with the running call's answer; None: its answer is dropped (the session
        # ended or the override was cancelled meanwhile).
        self._pending: Callable[[object], None] | None = None
        self._ended: SessionEnd | None = None  # the last sign-out, shown until the next sign-in
        self._seconds_left = 0

        self.title = QLabel(self)
        self.title.setProperty("role", "title")
        self.title.setWordWrap(True)
        self.who = QLabel(self)
        self.who.setWordWrap(True)
        self.time_left = QLabel(self)
        self.time_left.setWordWrap(True)
        self.notice = StatusLine(self)  # the last sign-out and why, until the next sign-in
        self.status = Told(self)  # what to do now, or what went wrong
        self.holder = QVBoxLayout()
        self.keypad: PinKeypad | None = None
        self.sign_out = touch_button(metrics, self, focus=False)
        self.cancel = touch_button(metrics, self, focus=False)
        self.sign_out.clicked.connect(lambda: self.gate.end(SessionEnd.LOGOUT))
        self.cancel.clicked.connect(self._cancel_reauth)
        buttons = QHBoxLayout()
        buttons.addWidget(self.cancel)
        buttons.addWidget(self.sign_out)
        layout = QVBoxLayout(self)
        for widget in (self.title, self.who, self.time_left, self.notice, self.status):
            layout.addWidget(widget)
        layout.addLayout(self.holder, 1)
        layout.addLayout(buttons)

        gate.signed_out.connect(self._on_signed_out)
        gate.reauth_requested.connect(self._on_reauth_requested)
        gate.time_left_changed.connect(self._show_time_left)
        self._enter(Phase.NO_CARD)

    # -- the staff reader (slots for the reader monitor, on the UI thread) ---------------------

    def card_inserted(self) -> None:
        self.card_present = True
        if self.phase in (Phase.NO_CARD, Phase.REFUSED) or (self.phase is Phase.SIGNED_IN and self._reauth):
            self._look()

    def card_removed(self) -> None:
        """Taking the staff card out does not sign the operator out (the session ends by sign-out
        or a limit, docs/staff-console.md); it drops a half-typed PIN."""
        self.card_present = False
        if self.phase in (Phase.PIN, Phase.REFUSED):
            self._enter(Phase.NO_CARD)
        elif self.phase is Phase.REAUTH_PIN:
            self._enter(Phase.SIGNED_IN, message=(State.INFO, _insert_to_confirm))

    # -- steps --------------------------------------------------------------------------------

    def _look(self) -> None:
        self._enter(Phase.READING)
        self._run(functools.partial(self._with_card, self.gate.look), self._looked)

    def _looked(self, result: object) -> None:
        assert isinstance(result, StaffCardLook)
        current = self.gate.session
        if not self.card_present:  # taken out while it was read
            self._enter(Phase.SIGNED_IN if current is not None else Phase.NO_CARD)
        elif not self._reauth or current is None:
            self._enter(Phase.PIN, tries=result.tries)
        elif result.operator_id != current.operator_id:  # no PIN asked of another operator's card
            refused = DifferentOperator(
                f"card of {result.operator_id} offered to confirm {current.operator_id}"
            )
            self._enter(Phase.SIGNED_IN, message=(State.ERROR, lambda: failure_text(refused)))
        else:
            self._enter(Phase.REAUTH_PIN, tries=result.tries)

    def _pin_entered(self, pin: Secret) -> None:
        current = self.gate.session if self.phase is Phase.REAUTH_PIN else None
        if self.phase is Phase.REAUTH_PIN and current is None:  # a limit ended the session meanwhile
            pin.wipe()
            return
        gate = self.gate
        if current is not None:
            work: Callable[[Transport], object] = lambda t: gate.confirm(t, pin, current)  # noqa: E731
            then = self._confirmed
        else:
            work, then = (lambda t: gate.sign_in(t, pin)), self._signed_in
        self._enter(Phase.CHECKING)
        if not self._run(functools.partial(self._with_card, work), then):
            pin.wipe()  # not started: nobody else will wipe it

    def _signed_in(self, result: object) -> None:
        assert isinstance(result, OperatorSession)
        self._ended = None
        self.gate.begin(result)
        who = result.operator_id
        signed = (State.SUCCESS, lambda: arg(QCoreApplication.translate("Staff", "Signed in as %1."), who))
        self._enter(Phase.SIGNED_IN, message=signed)

    def _confirmed(self, result: object) -> None:
        assert isinstance(result, OperatorSession)
        self._reauth = False
        confirmed = (
            State.SUCCESS,
            lambda: QCoreApplication.translate("Staff", "Confirmed. The override can go ahead."),
        )
        self._enter(Phase.SIGNED_IN, message=confirmed)
        self.gate.renewed(result)

    def _failed(self, error: object) -> None:
        if isinstance(error, OperatorSessionExpired):  # a limit was reached during the check
            self.gate.check()
            return
        if not isinstance(error, OperatorAuthError):
            _log.error("staff card step failed: %s", type(error).__name__)
            error = StaffCardUnreadable(type(error).__name__)
        reauth = self._reauth and self.gate.session is not None
        if isinstance(error, WrongOperatorPin) and self.card_present:
            phase = Phase.REAUTH_PIN if reauth else Phase.PIN
            wrong = error
            self._enter(
                phase, tries=PinStatus(wrong.tries_left), message=(State.WARNING, lambda: failure_text(wrong))
            )
            return
        refused = error
        message = (State.ERROR, lambda: failure_text(refused))
        if reauth:
            self._enter(Phase.SIGNED_IN, message=message)
        else:
            self._enter(Phase.REFUSED if self.card_present else Phase.NO_CARD, message=message)

    def _on_signed_out(self, code: str) -> None:
        self._reauth = False
        self._pending = None  # a re-authentication still with the card is answered into the void
        self._ended = SessionEnd[code.upper()]
        self._enter(Phase.NO_CARD)
        if self.card_present and not self.runner.busy:
            self._look()  # the card is still in: ready for the next sign-in

    def _on_reauth_requested(self) -> None:
        if self.phase is not Phase.SIGNED_IN or self.gate.session is None:
            return
        self._reauth = True
        if self.card_present:
            self._look()
        else:
            self._enter(Phase.SIGNED_IN, message=(State.INFO, _insert_to_confirm))

    def _cancel_reauth(self) -> None:
        if not self._reauth:
            return
        self._reauth = False
        self._pending = None
        self._enter(Phase.SIGNED_IN)
        self.gate.cancel_reauth()

    # -- running card work --------------------------------------------------------------------

    def _with_card(self, work: Callable[[Transport], object]) -> object:
        """Open the staff reader, do `work`, close (which resets the card: nothing stays verified).
        Runs on the pool thread: touches no widget."""
        try:
            connection = self._open_card()
        except CardError as exc:
            raise StaffCardUnreadable(f"{type(exc).__name__}: {exc}") from exc
        try:
            return work(Transport(connection))
        finally:
            connection.close()

    def _run(self, call: Callable[[], object], then: Callable[[object], None]) -> bool:
        if not self.runner.run(call):
            _log.warning("a staff card step is already running: this one is ignored")
            return False
        self._pending = then
        return True

    def _on_success(self, result: object) -> None:
        then, self._pending = self._pending, None
        if then is not None:
            then(result)
        else:
            self._after_dropped()

    def _on_failure(self, error: object) -> None:
        then, self._pending = self._pending, None
        if then is not None:
            self._failed(error)
        else:
            self._after_dropped()

    def _after_dropped(self) -> None:
        if self.gate.session is None and self.card_present and self.phase is Phase.NO_CARD:
            self._look()

    # -- what is shown ------------------------------------------------------------------------

    def _enter(self, phase: Phase, *, tries: PinStatus | None = None, message: Message | None = None) -> None:
        """Show `phase`: a fresh keypad (new shuffle) for a PIN phase, and `message` or the phase's
        prompt. Messages are kept as callables so a language change words them anew."""
        self.phase = phase
        if self.keypad is not None:
            self.keypad.discard()  # wipes what was typed
            self.keypad = None
        if phase in (Phase.PIN, Phase.REAUTH_PIN):
            keypad = PinKeypad(PinKind.AUTH, self.metrics, use=PinUse.CURRENT, rng=self.rng, parent=self)
            keypad.prompt.hide()  # it would name the resident's PIN; the status line says "staff card's PIN"
            if tries is not None and tries.tries_left is not None and tries.tries_left < AUTH_PIN_TRIES:
                keypad.set_counter(tries)  # a full counter says nothing; a spent try is shown
            keypad.submitted.connect(self._pin_entered)
            self.holder.addWidget(keypad)
            self.keypad = keypad
        # The phase's prompt reads the phase when it is worded (again on a language change).
        self.status.tell(*(message or (State.INFO, self._prompt)))
        self.retranslate()

    def _show_time_left(self, seconds: int) -> None:
        self._seconds_left = seconds
        self._refresh_time_left()

    def _refresh_time_left(self) -> None:
        if self.gate.session is None:
            self.time_left.setText("")
            return
        minutes = max(1, (self._seconds_left + 59) // 60)
        text = QCoreApplication.translate("Staff", "The session ends after %1 min without activity.")
        self.time_left.setText(arg(text, str(minutes)))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        session = self.gate.session
        if session is None:
            self.title.setText(QCoreApplication.translate("Staff", "Staff sign-in"))
            self.who.setText("")
        else:
            self.title.setText(QCoreApplication.translate("Staff", "Staff"))
            self.who.setText(arg(QCoreApplication.translate("Staff", "Signed in: %1"), session.operator_id))
        ended = self._ended
        self.notice.set_message(State.INFO, session_end_text(ended, self.gate.limits) if ended else "")
        self._refresh_time_left()
        self.sign_out.setText(QCoreApplication.translate("Staff", "Sign out"))
        self.sign_out.setVisible(session is not None and self.phase is Phase.SIGNED_IN)
        self.cancel.setText(QCoreApplication.translate("Staff", "Cancel"))
        self.cancel.setVisible(self._reauth)

    def _prompt(self) -> str:
        prompts = {
            Phase.NO_CARD: QT_TRANSLATE_NOOP("Staff", "Insert your staff card into the staff reader."),
            Phase.READING: QT_TRANSLATE_NOOP("Staff", "Reading the staff card…"),
            Phase.PIN: QT_TRANSLATE_NOOP("Staff", "Enter your staff card's PIN (4 digits)."),
            Phase.CHECKING: QT_TRANSLATE_NOOP("Staff", "Checking the staff card and PIN…"),
            Phase.REAUTH_PIN: QT_TRANSLATE_NOOP(
                "Staff", "An override needs your staff card and PIN again. Enter the PIN."
            ),
            Phase.SIGNED_IN: "",
            Phase.REFUSED: "",
        }
        text = prompts[self.phase]
        return QCoreApplication.translate("Staff", text) if text else ""


def _insert_to_confirm() -> str:
    return QCoreApplication.translate("Staff", "Insert your staff card to confirm the override.")
