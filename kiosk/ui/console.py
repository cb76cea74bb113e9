"""The staff console's views of the terminal itself (docs/staff-console.md, "The console screens"):
the day's 交付記録簿 with its CSV export, the work still owed (outbox, unfinished issuances) with
"send now", the health checks, the out-of-service switch, and the staff exit of a locked-down
kiosk (docs/deploy.md).

Each view is a plain widget that takes its store, clock and callables in the constructor; the
main window places them next to the staff sign-in. Every store query, file write and health check
runs off the UI thread through a `TaskRunner` (STYLE.md §3): a write transaction may wait on the
store's busy timeout, a health check for up to its probes' limits. Texts are in context "Console";
the lower layers' codes and English sentences become words here, as `kiosk.ui.texts` does for the
resident screens.

Sessions: `reads` is meant to be a read-only sessionmaker (`make_sessionmaker(engine,
readonly=True)`: deferred BEGIN, so a refresh neither waits for nor holds up the writer, and a
ledger and its audit head come from one snapshot); `sessions` is the kiosk's writing one.
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QEvent, Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kiosk.domain.service_mode import (
    ModeChangeRefused,
    OutOfServiceReason,
    ServiceMode,
    ServiceState,
    accepts_residents,
)
from kiosk.flows.health import (
    CheckName,
    CheckResult,
    HealthChecks,
    HealthMessage,
    HealthReport,
    HealthStatus,
)
from kiosk.flows.ledger import (
    FIELDS,
    JST,
    KINDS,
    AuditAnchor,
    Ledger,
    audit_anchor,
    daily_ledger,
    jst_day,
)
from kiosk.flows.ledger_export import export_ledger
from kiosk.flows.pending import (
    PendingMessage,
    PendingWork,
    SendNow,
    UnfinishedIssuance,
    pending_work,
    send_message_now,
)
from kiosk.flows.service_mode import ModeChange, current_mode, set_mode
from kiosk.store.audit import append_audit
from kiosk.store.coltypes import utcnow
from kiosk.store.models import CertificateKind, IssuanceStep
from kiosk.sync.journal import RecoveryAction
from kiosk.ui.status import StatusLine, Told
from kiosk.ui.texts import arg
from kiosk.ui.theme import Metrics, State
from kiosk.ui.widgets import date_edit, narrow, touch_button
from kiosk.ui.workers import TaskRunner

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

_log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
NO_VALUE = "–"  # an empty cell, in every language


# -- words for the lower layers' codes ------------------------------------------------------------

# The 交付記録簿's columns. The Japanese translations are the office's own labels (ledger.FIELDS),
# which the CSV carries; tests hold the two together.
FIELD_SOURCE = {
    "requests": QT_TRANSLATE_NOOP("Console", "Requests made"),
    "requests_answered": QT_TRANSLATE_NOOP("Console", "Requests answered by 機構 (イ)"),
    "installed": QT_TRANSLATE_NOOP("Console", "Handed over (ウ)"),
    "paid": QT_TRANSLATE_NOOP("Console", "Paid (エ)"),
    "free": QT_TRANSLATE_NOOP("Console", "Free of charge (オ)"),
    "fee_yen": QT_TRANSLATE_NOOP("Console", "Fees (yen)"),
    "destroyed": QT_TRANSLATE_NOOP("Console", "Destroyed (カ)"),
    "awaiting_answer": QT_TRANSLATE_NOOP("Console", "Awaiting 機構's answer"),
    "awaiting_card": QT_TRANSLATE_NOOP("Console", "Awaiting the card write"),
    "not_issued": QT_TRANSLATE_NOOP("Console", "Not issued"),
    "handed_over": QT_TRANSLATE_NOOP("Console", "Passed to another terminal"),
    "taken_over": QT_TRANSLATE_NOOP("Console", "Taken over from another terminal"),
    "taken_over_installed": QT_TRANSLATE_NOOP("Console", "of which written here"),
}

KIND_SOURCE = {
    CertificateKind.SIGN: QT_TRANSLATE_NOOP("Console", "Signing certificate"),
    CertificateKind.AUTH: QT_TRANSLATE_NOOP("Console", "User authentication certificate"),
}
# The ledger's column heads: the staff side is narrow, and with the full names only one column and
# no figure fitted beside the row labels. The full names stay in the CSV (kiosk.flows.ledger).
KIND_SHORT_SOURCE = {
    CertificateKind.SIGN: QT_TRANSLATE_NOOP("Console", "Signing"),
    CertificateKind.AUTH: QT_TRANSLATE_NOOP("Console", "User auth."),
}

STEP_SOURCE = {
    IssuanceStep.REQUESTED: QT_TRANSLATE_NOOP("Console", "Requested"),
    IssuanceStep.CERTIFICATE_RECEIVED: QT_TRANSLATE_NOOP("Console", "Certificate received"),
    IssuanceStep.WRITTEN_TO_CARD: QT_TRANSLATE_NOOP("Console", "Written to the card"),
    IssuanceStep.READ_BACK: QT_TRANSLATE_NOOP("Console", "Read back from the card"),
    IssuanceStep.CONFIRMED: QT_TRANSLATE_NOOP("Console", "Confirmed"),
    IssuanceStep.ABANDONED: QT_TRANSLATE_NOOP("Console", "Given up"),
    IssuanceStep.REVOKED_AS_DESTROYED: QT_TRANSLATE_NOOP("Console", "Revoked as destroyed (破棄)"),
    IssuanceStep.HANDED_OVER: QT_TRANSLATE_NOOP("Console", "Passed to another terminal"),
}

ACTION_SOURCE = {
    RecoveryAction.WAIT_FOR_CERTIFICATE: QT_TRANSLATE_NOOP("Console", "Wait for 機構's answer"),
    RecoveryAction.WAIT_FOR_CARD: QT_TRANSLATE_NOOP("Console", "Wait for the card to come back"),
    RecoveryAction.WRITE_CERTIFICATE: QT_TRANSLATE_NOOP("Console", "Write the certificate to the card"),
    RecoveryAction.READ_BACK_AND_CONFIRM: QT_TRANSLATE_NOOP("Console", "Read the card back and confirm"),
    RecoveryAction.SEND_CONFIRMATION: QT_TRANSLATE_NOOP("Console", "Send the confirmation to 機構"),
    RecoveryAction.REVOKE_AS_DESTROYED: QT_TRANSLATE_NOOP("Console", "Revoke and record as destroyed (破棄)"),
    RecoveryAction.NOTHING: QT_TRANSLATE_NOOP("Console", "Nothing"),
}

# The same English as OutOfServiceReason.text (tests hold them together).
REASON_SOURCE = {
    OutOfServiceReason.MAINTENANCE: QT_TRANSLATE_NOOP("Console", "Maintenance (点検・保守)"),
    OutOfServiceReason.READER_FAULT: QT_TRANSLATE_NOOP("Console", "The card reader is not working"),
    OutOfServiceReason.CAMERA_FAULT: QT_TRANSLATE_NOOP("Console", "The camera is not working"),
    OutOfServiceReason.CENTRAL_UNREACHABLE: QT_TRANSLATE_NOOP(
        "Console", "The central (機構) cannot be reached"
    ),
    OutOfServiceReason.SUSPECTED_MISUSE: QT_TRANSLATE_NOOP(
        "Console", "Suspected misuse under investigation (規則 70-7)"
    ),
    OutOfServiceReason.CLOSED: QT_TRANSLATE_NOOP("Console", "The office is closed"),
    OutOfServiceReason.OTHER: QT_TRANSLATE_NOOP("Console", "Other (see the staff log)"),
}

CHECK_SOURCE = {
    CheckName.READER: QT_TRANSLATE_NOOP("Console", "Card reader"),
    CheckName.CAMERA: QT_TRANSLATE_NOOP("Console", "Camera"),
    CheckName.CENTRAL: QT_TRANSLATE_NOOP("Console", "Central (機構)"),
    CheckName.OUTBOX: QT_TRANSLATE_NOOP("Console", "Messages to the central"),
    CheckName.DISK: QT_TRANSLATE_NOOP("Console", "Disk space"),
}

HEALTH_STATUS_SOURCE = {
    HealthStatus.OK: QT_TRANSLATE_NOOP("Console", "works"),
    HealthStatus.DEGRADED: QT_TRANSLATE_NOOP("Console", "needs attention"),
    HealthStatus.FAILED: QT_TRANSLATE_NOOP("Console", "not working"),
}

# kiosk.flows.health's sentences: the templates of its HealthMessages, with `%1`-style markers
# for the numbers it fills in (tests check each is one of its literals, and that no literal is
# missing). Marked here so that lupdate extracts them.
HEALTH_MESSAGE_SOURCE = frozenset(
    {
        QT_TRANSLATE_NOOP("Console", "The card reader service (pcscd) is not available."),
        QT_TRANSLATE_NOOP("Console", "No card reader is connected."),
        QT_TRANSLATE_NOOP("Console", "The terminal's card reader is not connected."),
        QT_TRANSLATE_NOOP("Console", "The card reader is connected."),
        QT_TRANSLATE_NOOP("Console", "The card reader could not be checked."),
        QT_TRANSLATE_NOOP("Console", "The camera cannot be opened."),
        QT_TRANSLATE_NOOP("Console", "The camera gives no picture."),
        QT_TRANSLATE_NOOP("Console", "The camera works."),
        QT_TRANSLATE_NOOP("Console", "The camera stopped working."),
        QT_TRANSLATE_NOOP("Console", "The camera could not be checked."),
        QT_TRANSLATE_NOOP("Console", "The central (機構) cannot be reached."),
        QT_TRANSLATE_NOOP("Console", "The central (機構) refuses this terminal."),
        QT_TRANSLATE_NOOP("Console", "The central's (機構) answer could not be verified."),
        QT_TRANSLATE_NOOP("Console", "The central (機構) answers slowly."),
        QT_TRANSLATE_NOOP("Console", "The central (機構) answers."),
        QT_TRANSLATE_NOOP("Console", "The central (機構) could not be checked."),
        QT_TRANSLATE_NOOP("Console", "Nothing is waiting to be sent."),
        QT_TRANSLATE_NOOP("Console", "%1 message(s) are on their way to the central."),
        QT_TRANSLATE_NOOP(
            "Console", "Messages to the central are delayed: %1 waiting, the oldest for %2 min."
        ),
        QT_TRANSLATE_NOOP("Console", "Messages to the central have not gone out for %1 day(s) or more."),
        QT_TRANSLATE_NOOP("Console", "The messages waiting to be sent could not be counted."),
        QT_TRANSLATE_NOOP("Console", "The data folder is missing."),
        QT_TRANSLATE_NOOP("Console", "%1 of disk space free."),
        QT_TRANSLATE_NOOP("Console", "Disk space is low: %1 left."),
        QT_TRANSLATE_NOOP("Console", "The disk is full: %1 left."),
        QT_TRANSLATE_NOOP("Console", "The disk space could not be checked."),
    }
)

_HEALTH_STATE = {
    HealthStatus.OK: State.SUCCESS,
    HealthStatus.DEGRADED: State.WARNING,
    HealthStatus.FAILED: State.ERROR,
}


def field_name(field: str) -> str:
    return QCoreApplication.translate("Console", FIELD_SOURCE[field])


def kind_name(kind: CertificateKind) -> str:
    return QCoreApplication.translate("Console", KIND_SOURCE[kind])


def step_name(step: IssuanceStep) -> str:
    return QCoreApplication.translate("Console", STEP_SOURCE[step])


def action_name(action: RecoveryAction) -> str:
    return QCoreApplication.translate("Console", ACTION_SOURCE[action])


def reason_name(reason: OutOfServiceReason) -> str:
    return QCoreApplication.translate("Console", REASON_SOURCE[reason])


def check_name(name: CheckName) -> str:
    return QCoreApplication.translate("Console", CHECK_SOURCE[name])


def health_status_name(status: HealthStatus) -> str:
    return QCoreApplication.translate("Console", HEALTH_STATUS_SOURCE[status])


def health_message(message: HealthMessage) -> str:
    """A health check's plain sentence in the UI language: its template translated whole, then
    filled with its values (a template without a translation stays English, as any source does)."""
    return arg(QCoreApplication.translate("Console", message.template), *message.args)


def grouped_hex(value: bytes) -> str:
    """A hash in groups of eight hex digits: it wraps on a narrow panel and reads aloud in pieces."""
    return value.hex(" ", -4)  # 4 bytes a group, counted from the first


def jst_text(at: datetime | None) -> str:
    """A stored (UTC) time as the office reads it: JST, to the minute."""
    return NO_VALUE if at is None else at.astimezone(JST).strftime("%Y-%m-%d %H:%M")


def duration_text(span: timedelta) -> str:
    """How long something has waited, to the minute (the two largest units)."""
    minutes = max(0, int(span.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return arg(QCoreApplication.translate("Console", "%1 d %2 h"), str(days), str(hours))
    if hours:
        return arg(QCoreApplication.translate("Console", "%1 h %2 min"), str(hours), str(mins))
    if mins:
        return arg(QCoreApplication.translate("Console", "%1 min"), str(mins))
    return QCoreApplication.translate("Console", "under a minute")


# -- shared pieces ---------------------------------------------------------------------------------


def _signed_in_id(operator_id: str | None) -> str | None:
    """The operator's id from `operator_of()`, None when nobody (or a blank id) is signed in."""
    return operator_id if operator_id is not None and operator_id.strip() else None


def _table(rows: int, columns: int, metrics: Metrics, parent: QWidget) -> QTableWidget:
    table = QTableWidget(rows, columns, parent)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
    table.setWordWrap(True)
    # Rows as tall as a touch target, so a button in a row is one too.
    table.verticalHeader().setDefaultSectionSize(metrics.touch_target)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    return table


def _cell(text: str, *, number: bool = False) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    if number:
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


class ConsoleView(QWidget):
    """Base: a title, a body and a status line whose words follow the language (`Told`)."""

    def __init__(self, metrics: Metrics, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.metrics = metrics
        self.title = QLabel(self)
        self.title.setProperty("role", "title")
        self.title.setWordWrap(True)
        self.status = Told(self)
        self.body = QVBoxLayout(self)
        self.body.addWidget(self.title)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        """Subclasses set their texts here."""


# -- the 交付記録簿 --------------------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerPrintout:
    """A day's ledger with the operation record's head at the moment it was read."""

    ledger: Ledger
    anchor: AuditAnchor
    path: Path | None = None  # where it was exported, if it was


def read_printout(reads: sessionmaker[Session], day: date) -> LedgerPrintout:
    with reads.begin() as session:  # one transaction: the head belongs to exactly these counts
        return LedgerPrintout(daily_ledger(session, day), audit_anchor(session))


def export_printout(
    sessions: sessionmaker[Session], day: date, path: Path, operator_id: str, clock: Clock
) -> LedgerPrintout:
    """The recorded export (kiosk.flows.ledger_export), timed when it runs."""
    done = export_ledger(sessions, day, path, operator_id=operator_id, now=clock())
    return LedgerPrintout(done.ledger, done.anchor, done.path)


ChoosePath = Callable[[QWidget, str], Path | None]


def ask_csv_path(parent: QWidget, suggested: str) -> Path | None:
    """The save dialog; None when staff cancel."""
    chosen, _filter = QFileDialog.getSaveFileName(
        parent,
        QCoreApplication.translate("Console", "Export the ledger as CSV"),
        suggested,
        QCoreApplication.translate("Console", "CSV files (*.csv)"),
    )
    return Path(chosen) if chosen else None


class LedgerView(ConsoleView):
    """The 交付記録簿 of one JST day (today unless staff pick another), one column per certificate
    kind, the operation record's head read with it, and "Export CSV…".

    Anyone at the console may read the counts (they name nobody); taking a copy off the terminal
    is an operation by staff: "Export CSV…" asks `operator_of()` at the tap, refuses with nobody
    signed in before any file dialog opens, and the export is recorded in the audit chain
    (kiosk.flows.ledger_export)."""

    def __init__(
        self,
        reads: sessionmaker[Session],
        metrics: Metrics,
        *,
        sessions: sessionmaker[Session],
        operator_of: Callable[[], str | None],
        clock: Clock = utcnow,
        choose_path: ChoosePath = ask_csv_path,
        export_dir: Path | None = None,
        pool: QThreadPool | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(metrics, parent)
        self._reads, self._sessions, self._operator_of = reads, sessions, operator_of
        self._clock = clock
        self._choose_path = choose_path
        self._export_dir = export_dir or Path.home()
        self.printout: LedgerPrintout | None = None
        self._wanted = jst_day(clock())
        self._task: tuple[str, Path | None] = ("load", None)
        self.runner = TaskRunner(pool, self)
        self.runner.succeeded.connect(self._done)
        self.runner.failed.connect(self._failed)

        self.day_label = QLabel(self)
        self.day = date_edit(self, self._wanted)
        self.day.setMinimumHeight(metrics.touch_target)
        self.day.dateChanged.connect(lambda d: self.load(d.toPython()))
        self.today = touch_button(metrics, self)
        self.today.clicked.connect(self.show_today)
        row = QHBoxLayout()  # the label on its own line: the staff side is narrow (and scrolls)
        row.addWidget(self.day)
        row.addWidget(self.today)
        row.addStretch(1)
        self.table = _table(len(FIELDS), len(KINDS), metrics, self)
        # Every row at once: the page scrolls (a QScrollArea on the staff side), not the table, so
        # the day's figures are never hidden behind a second, inner scroll bar.
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # Both kinds share the width beside the row labels: a figure is never off to the right.
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setMinimumHeight(metrics.touch_target * (len(FIELDS) + 1) + 2 * self.table.frameWidth())
        self.anchor = QLabel(self)
        self.anchor.setWordWrap(True)
        self.anchor.setTextFormat(Qt.TextFormat.PlainText)
        self.anchor.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.export = touch_button(metrics, self, primary=True)
        self.export.clicked.connect(self.export_csv)
        self.runner.bind(self.export)
        self.body.addWidget(self.day_label)
        self.body.addLayout(row)
        self.body.addWidget(self.table, 1)
        self.body.addWidget(self.anchor)
        self.body.addWidget(self.export)
        self.body.addWidget(self.status)
        self.retranslate()

    @property
    def selected_day(self) -> date:
        return self.day.date().toPython()

    def show_today(self) -> None:
        today = jst_day(self._clock())
        if today == self.selected_day:
            self.load(today)  # the date does not change: reload it anyway
        else:
            self.day.setDate(today)  # loads through dateChanged

    def load(self, day: date | None = None) -> bool:
        """Read the ledger of `day` (default: the day shown) off the UI thread. While a read or an
        export runs, the latest wish is remembered and read afterwards."""
        self._wanted = day or self.selected_day
        if not self.runner.run(functools.partial(read_printout, self._reads, self._wanted)):
            return False
        self._task = ("load", None)
        return True

    def export_csv(self) -> bool:
        """For a signed-in operator: ask where, then write the shown day's ledger there as CSV off
        the UI thread, recorded under their name."""
        operator = _signed_in_id(self._operator_of())  # at the tap: the session may have ended
        if operator is None:
            self.status.tell(
                State.WARNING,
                lambda: QCoreApplication.translate("Console", "Staff must sign in to export the ledger."),
            )
            return False
        day = self.selected_day
        suggested = str(self._export_dir / f"交付記録簿-{day.isoformat()}.csv")
        path = self._choose_path(self, suggested)
        if path is None:
            return False
        work = functools.partial(export_printout, self._sessions, day, path, operator, self._clock)
        if not self.runner.run(work):
            return False
        self._task = ("export", path)
        self.status.tell(State.INFO, lambda: QCoreApplication.translate("Console", "Writing the CSV file…"))
        return True

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.load()  # what is on screen is never older than the last time it was opened

    def _done(self, result: object) -> None:
        assert isinstance(result, LedgerPrintout)
        self.printout = result
        self._render()
        if result.path is not None:
            path = str(result.path)
            self.status.tell(
                State.SUCCESS,
                lambda: arg(QCoreApplication.translate("Console", "The ledger was saved to %1."), path),
            )
        if result.ledger.day != self._wanted:  # staff picked another day meanwhile
            self.load(self._wanted)

    def _failed(self, error: object) -> None:
        task, path = self._task
        if task == "export" and isinstance(error, OSError):
            _log.error("ledger: cannot write %s: %s", path, error)
            where = str(path)
            self.status.tell(
                State.ERROR,
                lambda: arg(
                    QCoreApplication.translate(
                        "Console", "The CSV file %1 could not be written. Choose another place."
                    ),
                    where,
                ),
            )
            return
        _log.error("ledger: %s failed: %s: %s", task, type(error).__name__, error)
        self.status.tell(
            State.ERROR,
            lambda: QCoreApplication.translate("Console", "The ledger could not be read from the store."),
        )

    def _render(self) -> None:
        self.table.setHorizontalHeaderLabels(
            [QCoreApplication.translate("Console", KIND_SHORT_SOURCE[kind]) for kind in KINDS]
        )
        for column, kind in enumerate(KINDS):  # the full name on a long press / hover
            head = self.table.horizontalHeaderItem(column)
            if head is not None:
                head.setToolTip(kind_name(kind))
        self.table.setVerticalHeaderLabels([field_name(field) for field, _label in FIELDS])
        printout = self.printout
        if printout is None:
            self.anchor.setText("")
            return
        for column, row in enumerate(printout.ledger.rows):
            for line, (field, _label) in enumerate(FIELDS):
                value = int(getattr(row, field))
                self.table.setItem(line, column, _cell(f"{value:,}", number=True))
        self.anchor.setText(
            arg(
                QCoreApplication.translate(
                    "Console", "Ledger of %1 (JST). Operation record when it was read: %2 records, head %3"
                ),
                printout.ledger.day.isoformat(),
                str(printout.anchor.records),
                grouped_hex(printout.anchor.head),
            )
        )

    def retranslate(self) -> None:
        self.title.setText(QCoreApplication.translate("Console", "Issuance ledger (交付記録簿)"))
        self.day_label.setText(QCoreApplication.translate("Console", "Day (JST)"))
        self.today.setText(QCoreApplication.translate("Console", "Today"))
        self.export.setText(QCoreApplication.translate("Console", "Export CSV…"))
        self._render()


# -- pending work ------------------------------------------------------------------------------------


def read_pending(reads: sessionmaker[Session], clock: Clock) -> PendingWork:
    with reads.begin() as session:  # both lists from one snapshot
        return pending_work(session, now=clock())


def send_as(sessions: sessionmaker[Session], clock: Clock, msg_id: uuid.UUID, operator_id: str) -> SendNow:
    """The audited "send now" (kiosk.flows.pending.send_now), timed when it runs."""
    return send_message_now(sessions, msg_id, operator_id=operator_id, now=clock())


@dataclass(frozen=True)
class _Sent:
    seq: int  # as listed on the screen
    pending: bool  # False: it had gone out meanwhile


class PendingView(ConsoleView):
    """Messages waiting in the outbox (each with "Send now") and certificates whose issuance is
    not finished; refreshed every `refresh_every_s` seconds while shown, and on demand.

    "Send now" is an operation by staff and is recorded with the signed-in operator
    (`operator_of()`, as ServiceModeSwitch asks it); with nobody signed in it is refused and
    nothing is written. The operator is asked at the tap only: `operator_of()` counts as their
    activity (`OperatorGate.operator_of`), so a view left open must not keep asking."""

    MESSAGE_COLUMNS = 8
    ISSUANCE_COLUMNS = 8

    def __init__(
        self,
        sessions: sessionmaker[Session],
        operator_of: Callable[[], str | None],
        metrics: Metrics,
        *,
        reads: sessionmaker[Session] | None = None,
        clock: Clock = utcnow,
        refresh_every_s: float = 30.0,
        pool: QThreadPool | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(metrics, parent)
        self._sessions = sessions
        self._operator_of = operator_of
        self._reads = reads or sessions
        self._clock = clock
        self.work: PendingWork | None = None
        self._again = False  # a refresh was asked for while one ran
        self.reader = TaskRunner(pool, self)
        self.reader.succeeded.connect(self._loaded)
        self.reader.failed.connect(self._load_failed)
        # Its own runner: a "send now" is not refused because a timed refresh happens to run.
        self.actions = TaskRunner(pool, self)
        self.actions.succeeded.connect(self._sent)
        self.actions.failed.connect(self._send_failed)
        self._sending: int | None = None  # seq of the message being sent now
        self.send_buttons: dict[uuid.UUID, QPushButton] = {}

        self.timer = QTimer(self)
        self.timer.setInterval(max(1, round(refresh_every_s * 1000)))
        self.timer.timeout.connect(self.refresh)
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.refresh_button = touch_button(metrics, self)
        self.refresh_button.clicked.connect(self.refresh)
        self.reader.bind(self.refresh_button)
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.refresh_button)
        self.messages_title = QLabel(self)
        self.messages = _table(0, self.MESSAGE_COLUMNS, metrics, self)
        self.issuances_title = QLabel(self)
        self.issuances = _table(0, self.ISSUANCE_COLUMNS, metrics, self)
        self.body.addLayout(top)
        self.body.addWidget(self.status)
        self.body.addWidget(self.messages_title)
        self.body.addWidget(self.messages, 1)
        self.body.addWidget(self.issuances_title)
        self.body.addWidget(self.issuances, 1)
        self.retranslate()

    def refresh(self) -> bool:
        if self.reader.busy:
            self._again = True
            return False
        return self.reader.run(functools.partial(read_pending, self._reads, self._clock))

    def send_now(self, msg_id: uuid.UUID) -> bool:
        """The "Send now" of one message for the signed-in operator: due at once, with its audit
        record, in a write transaction off the UI thread. Refused while nobody is signed in."""
        message = self._message(msg_id)
        if message is None:
            return False
        operator = _signed_in_id(self._operator_of())  # at the tap: the session may have ended
        if operator is None:
            self.status.tell(
                State.WARNING,
                lambda: QCoreApplication.translate(
                    "Console", "Nobody is signed in: sign in with your staff card first."
                ),
            )
            return False
        seq = message.seq
        send = functools.partial(send_as, self._sessions, self._clock, msg_id, operator)
        if not self.actions.run(lambda: _Sent(seq, send().pending)):
            return False
        self._sending = seq
        return True

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.timer.start()
        self.refresh()

    def hideEvent(self, event: QHideEvent) -> None:
        self.timer.stop()  # nobody looks: no queries
        super().hideEvent(event)

    def _message(self, msg_id: uuid.UUID) -> PendingMessage | None:
        messages = self.work.messages if self.work is not None else ()
        return next((m for m in messages if m.msg_id == msg_id), None)

    def _loaded(self, result: object) -> None:
        assert isinstance(result, PendingWork)
        self.work = result
        self._render()
        if self._again:
            self._again = False
            self.refresh()

    def _load_failed(self, error: object) -> None:
        _log.error("pending work: %s: %s", type(error).__name__, error)
        self.status.tell(
            State.ERROR,
            lambda: QCoreApplication.translate(
                "Console", "The pending work could not be read from the store."
            ),
        )
        if self._again:
            self._again = False
            self.refresh()

    def _sent(self, result: object) -> None:
        assert isinstance(result, _Sent)
        seq = str(result.seq)
        self._sending = None
        if result.pending:
            self.status.tell(
                State.SUCCESS,
                lambda: arg(
                    QCoreApplication.translate("Console", "Message #%1 goes out with the next sending."), seq
                ),
            )
        else:
            self.status.tell(
                State.INFO,
                lambda: arg(QCoreApplication.translate("Console", "Message #%1 has already been sent."), seq),
            )
        self.refresh()

    def _send_failed(self, error: object) -> None:
        _log.error("send now: %s: %s", type(error).__name__, error)
        seq = str(self._sending)
        self._sending = None
        self.status.tell(
            State.ERROR,
            lambda: arg(
                QCoreApplication.translate("Console", "Message #%1 could not be made due now. Try again."),
                seq,
            ),
        )

    def _render(self) -> None:
        self._render_headers()
        work = self.work
        if work is None:
            self.summary.setText("")
            return
        if work.empty:
            self.summary.setText(
                arg(
                    QCoreApplication.translate(
                        "Console",
                        "Nothing is waiting: every message has gone out and every certificate is "
                        "finished. (%1)",
                    ),
                    jst_text(work.at),
                )
            )
        else:
            self.summary.setText(
                arg(
                    QCoreApplication.translate(
                        "Console", "Messages waiting: %1. Certificates not finished: %2. (%3)"
                    ),
                    str(len(work.messages)),
                    str(len(work.issuances)),
                    jst_text(work.at),
                )
            )
        self._render_messages(work.messages)
        self._render_issuances(work.issuances)

    def _render_messages(self, messages: tuple[PendingMessage, ...]) -> None:
        self.messages.setRowCount(len(messages))
        self.send_buttons = {}
        for row, m in enumerate(messages):
            cells = (
                _cell(str(m.seq), number=True),
                _cell(m.kind),
                _cell(jst_text(m.created_at)),
                _cell(duration_text(m.age)),
                _cell(str(m.attempts), number=True),
                _cell(jst_text(m.next_attempt_at)),
                _cell(m.last_error or NO_VALUE),
            )
            for column, cell in enumerate(cells):
                self.messages.setItem(row, column, cell)
            button = touch_button(self.metrics, self.messages)
            button.setText(QCoreApplication.translate("Console", "Send now"))
            button.clicked.connect(lambda _checked=False, msg_id=m.msg_id: self.send_now(msg_id))
            self.actions.bind(button)
            self.messages.setCellWidget(row, self.MESSAGE_COLUMNS - 1, button)
            self.send_buttons[m.msg_id] = button

    def _render_issuances(self, issuances: tuple[UnfinishedIssuance, ...]) -> None:
        self.issuances.setRowCount(len(issuances))
        for row, i in enumerate(issuances):
            cells = (
                _cell(kind_name(i.cert_kind)),
                _cell(step_name(i.step)),
                _cell(jst_text(i.created_at)),
                _cell(duration_text(i.age)),
                _cell(str(i.attempts), number=True),
                _cell(i.last_error or NO_VALUE),
                _cell(action_name(i.next_action)),
                _cell(jst_text(i.card_wait_ends)),
            )
            for column, cell in enumerate(cells):
                self.issuances.setItem(row, column, cell)

    def _render_headers(self) -> None:
        self.messages.setHorizontalHeaderLabels(
            [
                QCoreApplication.translate("Console", "No."),
                QCoreApplication.translate("Console", "Kind"),
                QCoreApplication.translate("Console", "Queued"),
                QCoreApplication.translate("Console", "Waiting for"),
                QCoreApplication.translate("Console", "Attempts"),
                QCoreApplication.translate("Console", "Next attempt"),
                QCoreApplication.translate("Console", "Last error"),
                "",
            ]
        )
        self.issuances.setHorizontalHeaderLabels(
            [
                QCoreApplication.translate("Console", "Certificate"),
                QCoreApplication.translate("Console", "Step"),
                QCoreApplication.translate("Console", "Requested"),
                QCoreApplication.translate("Console", "Unchanged for"),
                QCoreApplication.translate("Console", "Card writes"),
                QCoreApplication.translate("Console", "Last error"),
                QCoreApplication.translate("Console", "Next"),
                QCoreApplication.translate("Console", "Card wait ends"),
            ]
        )

    def retranslate(self) -> None:
        self.title.setText(QCoreApplication.translate("Console", "Pending work"))
        self.refresh_button.setText(QCoreApplication.translate("Console", "Refresh"))
        self.messages_title.setText(
            QCoreApplication.translate("Console", "Messages not yet sent to the central")
        )
        self.issuances_title.setText(QCoreApplication.translate("Console", "Certificates not finished"))
        self._render()


# -- health ----------------------------------------------------------------------------------------


class CheckRow(QWidget):
    """One check: its name and state (StatusLine: icon, words, colour), the plain sentence, and
    the precise detail for support."""

    def __init__(self, name: CheckName, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.result: CheckResult | None = None
        self.skipped = False
        self.state = StatusLine(self)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.detail = QLabel(self)
        self.detail.setWordWrap(True)
        self.detail.setTextFormat(Qt.TextFormat.PlainText)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.state)
        layout.addWidget(self.message)
        layout.addWidget(self.detail)

    def show_result(self, result: CheckResult | None, *, skipped: bool = False) -> None:
        self.result, self.skipped = result, skipped
        self.render()

    def render(self) -> None:
        name = check_name(self.name)
        result = self.result
        if result is None:
            words = QCoreApplication.translate("Console", "not checked")
            self.state.set_message(
                State.INFO, arg(QCoreApplication.translate("Console", "%1: %2"), name, words)
            )
            self.message.setText(
                QCoreApplication.translate("Console", "Not checked: a face check is using the camera.")
                if self.skipped
                else QCoreApplication.translate("Console", "Not checked yet.")
            )
            self.detail.setText("")
            return
        words = health_status_name(result.status)
        self.state.set_message(
            _HEALTH_STATE[result.status], arg(QCoreApplication.translate("Console", "%1: %2"), name, words)
        )
        self.message.setText(health_message(result.message))
        self.detail.setText(result.detail)


class HealthView(ConsoleView):
    """Runs the terminal's health checks on demand and every `every_minutes`, off the UI thread;
    the camera check is left out while `camera_busy()` says a face check has the camera.

    `report_ready(HealthReport)` after each run. While `checking_camera` is True the camera probe
    may have the camera open: do not start a face check then. The checks run on a pool of their
    own (one thread) unless `pool` is given, so a check waiting on a wedged pcscd never holds a
    thread the counter's card calls need."""

    report_ready = Signal(object)  # HealthReport

    def __init__(
        self,
        checks: HealthChecks,
        metrics: Metrics,
        *,
        camera_busy: Callable[[], bool],
        every_minutes: float | None = 5.0,
        pool: QThreadPool | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(metrics, parent)
        self._checks = checks
        self._camera_busy = camera_busy
        if pool is None:  # made before the runner: as children are deleted in order, the pool
            pool = QThreadPool(self)  # waits for a running check while the runner still exists
            pool.setMaxThreadCount(1)
        self.runner = TaskRunner(pool, self)
        self.runner.succeeded.connect(self._done)
        self.runner.failed.connect(self._failed)
        self.report: HealthReport | None = None
        self._skip: frozenset[CheckName] = frozenset()
        self.rows = {probe.name: CheckRow(probe.name, self) for probe in checks.probes}
        self.run_button = touch_button(metrics, self, primary=True)
        self.run_button.clicked.connect(self.run_checks)
        self.runner.bind(self.run_button)
        self.checked_at = QLabel(self)
        self.checked_at.setWordWrap(True)  # beside the button on the narrow staff side
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.run_checks)
        if every_minutes is not None:
            self.timer.start(max(1, round(every_minutes * 60_000)))
        top = QHBoxLayout()
        top.addWidget(self.checked_at, 1)
        top.addWidget(self.run_button)
        self.body.addLayout(top)
        self.body.addWidget(self.status)
        for row in self.rows.values():
            self.body.addWidget(row)
        self.body.addStretch(1)
        self.retranslate()

    @property
    def checking_camera(self) -> bool:
        return self.runner.busy and CheckName.CAMERA in self.rows and CheckName.CAMERA not in self._skip

    def run_checks(self) -> bool:
        """Start a run (False while one runs). The camera is asked about now, on the UI thread."""
        if self.runner.busy:
            return False
        skip: Collection[CheckName] = (CheckName.CAMERA,) if self._camera_busy() else ()
        if not self.runner.run(functools.partial(self._checks.run, skip=skip)):
            return False
        self._skip = frozenset(skip)
        self.status.tell(State.INFO, lambda: QCoreApplication.translate("Console", "Checking…"))
        return True

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.report is None:
            self.run_checks()

    def _done(self, result: object) -> None:
        assert isinstance(result, HealthReport)
        self.report = result
        found = {check.name: check for check in result.checks}
        for name, row in self.rows.items():
            row.show_result(found.get(name), skipped=name in self._skip)
        self._summarise()
        self.report_ready.emit(result)

    def _failed(self, error: object) -> None:  # HealthChecks.run does not raise; this is a bug
        _log.error("health checks: %s: %s", type(error).__name__, error)
        self.status.tell(
            State.ERROR, lambda: QCoreApplication.translate("Console", "The checks could not be run.")
        )

    def _summarise(self) -> None:
        report = self.report
        if report is None:
            self.checked_at.setText(QCoreApplication.translate("Console", "Not checked yet."))
            return
        self.checked_at.setText(
            arg(QCoreApplication.translate("Console", "Last checked: %1"), jst_text(report.at))
        )
        overall = report.overall
        if overall is HealthStatus.OK:
            self.status.tell(
                State.SUCCESS, lambda: QCoreApplication.translate("Console", "Everything checked works.")
            )
        elif overall is HealthStatus.DEGRADED:
            self.status.tell(
                State.WARNING,
                lambda: QCoreApplication.translate("Console", "Something needs attention: see below."),
            )
        else:
            self.status.tell(
                State.ERROR,
                lambda: QCoreApplication.translate("Console", "Something is not working: see below."),
            )

    def retranslate(self) -> None:
        self.title.setText(QCoreApplication.translate("Console", "Terminal health"))
        self.run_button.setText(QCoreApplication.translate("Console", "Check now"))
        for row in self.rows.values():
            row.render()
        self._summarise()


# -- in service / out of service -------------------------------------------------------------------


def change_service_mode(
    sessions: sessionmaker[Session],
    clock: Clock,
    state: ServiceState,
    reason: OutOfServiceReason | None,
    operator_id: str,
) -> ModeChange:
    return set_mode(sessions, state=state, reason=reason, operator_id=operator_id, now=clock())


class ServiceModeSwitch(ConsoleView):
    """In service or out of service (since when, by whom, why), and the switch. Only a signed-in
    operator (`operator_of()`) may change it; the change names them in the audit chain.

    Reads the stored mode when made and on `refresh()`, and emits `mode_changed(accepts_residents)`
    whenever the value the resident window should show differs from the last one emitted (so also
    once for the first read): connect it to the resident window's out-of-service banner. Call
    `update_operator()` when staff sign in or out. `operator_of()` counts as the operator's activity
    (`OperatorGate.operator_of`), so it is asked on events (shown, a reason picked, a tap), and the
    one-second timer asks only while nobody is known to be signed in: a switch left open on the
    screen must not keep an operator's session from ending."""

    mode_changed = Signal(bool)

    def __init__(
        self,
        sessions: sessionmaker[Session],
        operator_of: Callable[[], str | None],
        metrics: Metrics,
        *,
        clock: Clock = utcnow,
        pool: QThreadPool | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(metrics, parent)
        self._sessions = sessions
        self._operator_of = operator_of
        self._clock = clock
        self.mode: ServiceMode | None = None
        self._emitted: bool | None = None
        self._signed_in: str | None = None  # the operator as last asked
        self.runner = TaskRunner(pool, self)
        self.runner.succeeded.connect(self._done)
        self.runner.failed.connect(self._failed)
        self.runner.busy_changed.connect(lambda _busy: self._enable())

        self.state = StatusLine(self)
        self.details = QLabel(self)
        self.details.setWordWrap(True)
        self.reason_label = QLabel(self)
        self.reasons = narrow(QComboBox(self))  # as wide as the staff side allows
        self.reasons.setMinimumHeight(metrics.touch_target)
        for reason in OutOfServiceReason:
            self.reasons.addItem("", reason.value)
        self.reasons.currentIndexChanged.connect(lambda _i: self.update_operator())
        self.take_out = touch_button(metrics, self, primary=True)
        self.take_out.clicked.connect(self._take_out)
        self.put_back = touch_button(metrics, self, primary=True)
        self.put_back.clicked.connect(self._put_back)
        self.explanation = QLabel(self)
        self.explanation.setWordWrap(True)
        self.operator_timer = QTimer(self)
        self.operator_timer.setInterval(1000)
        self.operator_timer.timeout.connect(self._notice_sign_in)
        reason_row = QHBoxLayout()
        reason_row.addWidget(self.reason_label)
        reason_row.addWidget(self.reasons, 1)
        buttons = QVBoxLayout()  # one above the other: side by side they are wider than the staff side
        buttons.addWidget(self.take_out)
        buttons.addWidget(self.put_back)
        self.body.addWidget(self.state)
        self.body.addWidget(self.details)
        self.body.addLayout(reason_row)
        self.body.addLayout(buttons)
        self.body.addWidget(self.explanation)
        self.body.addWidget(self.status)
        self.body.addStretch(1)
        self.retranslate()
        self.update_operator()
        self.refresh()

    @property
    def chosen_reason(self) -> OutOfServiceReason:
        return OutOfServiceReason(self.reasons.currentData())

    def choose_reason(self, reason: OutOfServiceReason) -> None:
        self.reasons.setCurrentIndex(self.reasons.findData(reason.value))

    def refresh(self) -> bool:
        """Read the stored mode (off the UI thread)."""
        return self.runner.run(functools.partial(current_mode, self._sessions))

    def update_operator(self) -> None:
        """Ask who is signed in, then enable what they may do now; explain when nobody is."""
        self._signed_in = _signed_in_id(self._operator_of())
        self._enable()

    def _notice_sign_in(self) -> None:
        if self._signed_in is None:  # asking touches no session then (or one just begun)
            self.update_operator()

    def _enable(self) -> None:
        operator = self._signed_in
        mode = self.mode
        ready = mode is not None and operator is not None and not self.runner.busy
        out = mode is not None and mode.state is ServiceState.OUT_OF_SERVICE
        other_reason = mode is not None and mode.reason is not self.chosen_reason
        self.reasons.setEnabled(operator is not None)
        self.take_out.setEnabled(ready and (not out or other_reason))
        self.put_back.setEnabled(ready and out)
        self.explanation.setVisible(operator is None)
        self._retranslate_buttons()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.operator_timer.start()
        self.update_operator()

    def hideEvent(self, event: QHideEvent) -> None:
        self.operator_timer.stop()
        super().hideEvent(event)

    def _take_out(self) -> None:
        self._change(ServiceState.OUT_OF_SERVICE, self.chosen_reason)

    def _put_back(self) -> None:
        self._change(ServiceState.IN_SERVICE, None)

    def _change(self, state: ServiceState, reason: OutOfServiceReason | None) -> bool:
        # Asked at the tap, not when the button was enabled: the session may have ended since.
        self._signed_in = operator = _signed_in_id(self._operator_of())
        if operator is None:
            self._enable()
            self.status.tell(
                State.WARNING,
                lambda: QCoreApplication.translate(
                    "Console", "Nobody is signed in: sign in with your staff card first."
                ),
            )
            return False
        task = functools.partial(change_service_mode, self._sessions, self._clock, state, reason, operator)
        return self.runner.run(task)

    def _done(self, result: object) -> None:
        if isinstance(result, ModeChange):
            if not result.changed:
                self.status.tell(
                    State.INFO,
                    lambda: QCoreApplication.translate("Console", "Nothing changed: it was already so."),
                )
            else:
                self.status.clear()
            result = result.after
        assert isinstance(result, ServiceMode)
        self.mode = result
        self._render_mode()
        self._enable()
        accepts = accepts_residents(result)
        if accepts != self._emitted:
            self._emitted = accepts
            self.mode_changed.emit(accepts)

    def _failed(self, error: object) -> None:
        _log.error("service mode: %s: %s", type(error).__name__, error)
        if isinstance(error, ModeChangeRefused):
            self.status.tell(
                State.ERROR,
                lambda: QCoreApplication.translate("Console", "The change was refused; nothing was changed."),
            )
        else:
            self.status.tell(
                State.ERROR,
                lambda: QCoreApplication.translate(
                    "Console", "The terminal's mode could not be read or saved. Try again."
                ),
            )

    def _render_mode(self) -> None:
        mode = self.mode
        if mode is None:
            self.state.set_message(State.INFO, QCoreApplication.translate("Console", "Reading the mode…"))
            self.details.setText("")
            return
        if mode.state is ServiceState.IN_SERVICE:
            self.state.set_message(
                State.SUCCESS,
                QCoreApplication.translate("Console", "In service: residents can use this terminal."),
            )
        else:
            self.state.set_message(
                State.ERROR,
                QCoreApplication.translate("Console", "Out of service: residents cannot use this terminal."),
            )
        if mode.since is None or mode.operator_id is None:
            self.details.setText(QCoreApplication.translate("Console", "In service since installation."))
        elif mode.reason is None:
            self.details.setText(
                arg(
                    QCoreApplication.translate("Console", "Since %1, set by %2."),
                    jst_text(mode.since),
                    mode.operator_id,
                )
            )
        else:
            self.details.setText(
                arg(
                    QCoreApplication.translate("Console", "Since %1, set by %2. Reason: %3."),
                    jst_text(mode.since),
                    mode.operator_id,
                    reason_name(mode.reason),
                )
            )

    def _retranslate_buttons(self) -> None:
        out = self.mode is not None and self.mode.state is ServiceState.OUT_OF_SERVICE
        self.take_out.setText(
            QCoreApplication.translate("Console", "Change the reason")
            if out
            else QCoreApplication.translate("Console", "Take out of service")
        )
        self.put_back.setText(QCoreApplication.translate("Console", "Put back in service"))

    def retranslate(self) -> None:
        self.title.setText(QCoreApplication.translate("Console", "In service / out of service"))
        self.reason_label.setText(QCoreApplication.translate("Console", "Reason"))
        for index, reason in enumerate(OutOfServiceReason):
            self.reasons.setItemText(index, reason_name(reason))
        self.explanation.setText(
            QCoreApplication.translate(
                "Console", "Only a signed-in operator can change this: sign in with your staff card."
            )
        )
        self._retranslate_buttons()
        self._render_mode()


# -- exiting the kiosk (staff) ---------------------------------------------------------------------

EXIT_ACTION = "terminal.exit"  # the audit chain's action for a staff exit
EXIT_SUBJECT = "terminal:application"


def record_exit(sessions: sessionmaker[Session], clock: Clock, operator_id: str) -> str:
    """The staff exit in the audit chain under the operator, committed before the kiosk ends;
    returns the operator id."""
    with sessions.begin() as session:
        append_audit(
            session,
            actor=operator_id,
            action=EXIT_ACTION,
            subject=EXIT_SUBJECT,
            details={"exit_code": 0},
            now=clock(),
        )
    return operator_id


class KioskExit(ConsoleView):
    """ "Exit the kiosk", for maintenance (docs/deploy.md): a locked-down kiosk has no other way out.

    Only a signed-in operator (`operator_of()`) whose staff card + PIN is fresh (`fresh()`: the
    override rule, OperatorGate.fresh_for_override, 5 minutes) can exit, with a second tap to
    confirm. Without a fresh confirmation the "Confirm with my staff card" button emits
    `reauthentication_wanted` (connect it to OperatorGate.reauthenticate; call `refresh()` when
    the gate says `reauthenticated`). The exit is written to the audit chain under the operator,
    off the UI thread, and only once it is committed does `exit_confirmed(operator_id)` fire: the
    application then ends with exit code 0, which systemd's Restart=on-failure leaves stopped.

    As with ServiceModeSwitch, `operator_of()` counts as the operator's activity, so it is asked
    on events only (shown, a tap, `update_operator()`); the one-second timer reads `fresh()`,
    which touches no session, and asks `operator_of()` only while nobody is known to be signed in.
    """

    exit_confirmed = Signal(str)  # operator id; recorded already
    reauthentication_wanted = Signal()

    def __init__(
        self,
        sessions: sessionmaker[Session],
        operator_of: Callable[[], str | None],
        fresh: Callable[[], bool],
        metrics: Metrics,
        *,
        clock: Clock = utcnow,
        pool: QThreadPool | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(metrics, parent)
        self._sessions, self._operator_of, self._fresh, self._clock = sessions, operator_of, fresh, clock
        self._signed_in: str | None = None
        self.armed = False  # the first tap was made: "Exit now" or "Cancel"
        self.runner = TaskRunner(pool, self)
        self.runner.succeeded.connect(self._recorded)
        self.runner.failed.connect(self._failed)
        self.runner.busy_changed.connect(lambda _busy: self._enable())
        self.explanation = QLabel(self)
        self.explanation.setWordWrap(True)
        self.reauth_button = touch_button(metrics, self)
        self.reauth_button.clicked.connect(self._ask_reauthentication)
        self.exit_button = touch_button(metrics, self)
        self.exit_button.clicked.connect(self._arm)
        self.confirm_button = touch_button(metrics, self, primary=True)
        self.confirm_button.clicked.connect(self._confirm)
        self.cancel_button = touch_button(metrics, self)
        self.cancel_button.clicked.connect(self._disarm)
        self.timer = QTimer(self)
        self.timer.setInterval(1000)  # the confirmation's 5 minutes run out without any event
        self.timer.timeout.connect(self._tick)
        buttons = QVBoxLayout()  # one above the other: the staff side is narrow
        for button in (self.reauth_button, self.exit_button, self.confirm_button, self.cancel_button):
            buttons.addWidget(button)
        self.body.addWidget(self.explanation)
        self.body.addLayout(buttons)
        self.body.addWidget(self.status)
        self.body.addStretch(1)
        self.retranslate()
        self.update_operator()

    def update_operator(self) -> None:
        """Ask who is signed in (the console calls this when staff sign in or out)."""
        self._signed_in = _signed_in_id(self._operator_of())
        if self._signed_in is None:
            self.armed = False
        self._enable()

    def refresh(self) -> None:
        """The freshness may have changed (a re-authentication): enable what it allows now."""
        self._enable()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.timer.start()
        self.update_operator()

    def hideEvent(self, event: QHideEvent) -> None:
        self.timer.stop()
        self.armed = False  # a confirmation left behind on another tab does not wait
        super().hideEvent(event)

    def _tick(self) -> None:
        if self._signed_in is None:
            self.update_operator()
        else:
            self._enable()

    def _ask_reauthentication(self) -> None:
        self.status.tell(
            State.INFO,
            lambda: QCoreApplication.translate(
                "Console", "Confirm with your staff card and PIN on the Sign-in tab."
            ),
        )
        self.reauthentication_wanted.emit()

    def _may_exit(self) -> str | None:
        """The operator who may exit now, asked at the tap (the session may have ended since the
        button was enabled); None, with the reason on the status line, when nobody may."""
        self._signed_in = operator = _signed_in_id(self._operator_of())
        if operator is None:
            self.status.tell(
                State.WARNING,
                lambda: QCoreApplication.translate(
                    "Console", "Nobody is signed in: sign in with your staff card first."
                ),
            )
            return None
        if not self._fresh():
            self.status.tell(
                State.WARNING,
                lambda: QCoreApplication.translate(
                    "Console",
                    "Confirm with your staff card and PIN first: exiting needs a fresh confirmation.",
                ),
            )
            return None
        return operator

    def _arm(self) -> None:
        if self._may_exit() is None:
            self.armed = False
        else:
            self.armed = True
            self.status.tell(
                State.WARNING,
                lambda: QCoreApplication.translate(
                    "Console",
                    "Exit the kiosk now? Residents cannot use this terminal until it is started again.",
                ),
            )
        self._enable()

    def _disarm(self) -> None:
        self.armed = False
        self.status.clear()
        self._enable()

    def _confirm(self) -> bool:
        operator = self._may_exit() if self.armed else None
        if operator is None:
            self.armed = False
            self._enable()
            return False
        task = functools.partial(record_exit, self._sessions, self._clock, operator)
        if not self.runner.run(task):
            return False
        self.status.tell(State.INFO, lambda: QCoreApplication.translate("Console", "Recording the exit…"))
        return True

    def _recorded(self, result: object) -> None:
        assert isinstance(result, str)
        _log.info("operator %s exits the kiosk (recorded)", result)
        self.exit_confirmed.emit(result)

    def _failed(self, error: object) -> None:
        _log.error("recording the staff exit failed: %s: %s", type(error).__name__, error)
        self.armed = False
        self.status.tell(
            State.ERROR,
            lambda: QCoreApplication.translate(
                "Console", "The exit could not be recorded, so the kiosk keeps running. Try again."
            ),
        )
        self._enable()

    def _enable(self) -> None:
        signed_in = self._signed_in is not None
        fresh = signed_in and self._fresh()
        busy = self.runner.busy
        if self.armed and not fresh and not busy:  # the confirmation ran out while it waited
            self.armed = False
            self.status.clear()
        self.reauth_button.setVisible(signed_in and not fresh and not self.armed)
        self.exit_button.setVisible(not self.armed)
        self.exit_button.setEnabled(fresh and not busy)
        self.confirm_button.setVisible(self.armed)
        self.confirm_button.setEnabled(self.armed and not busy)
        self.cancel_button.setVisible(self.armed)
        self.cancel_button.setEnabled(not busy)

    def retranslate(self) -> None:
        self.title.setText(QCoreApplication.translate("Console", "Exit the kiosk"))
        self.explanation.setText(
            QCoreApplication.translate(
                "Console",
                "For maintenance: ends the kiosk program, and residents cannot use this terminal until "
                "it is started again. Only a signed-in operator who has just confirmed with their staff "
                "card and PIN can exit; the exit is recorded.",
            )
        )
        #: Button: re-authenticate with the staff card before exiting the kiosk.
        self.reauth_button.setText(QCoreApplication.translate("Console", "Confirm with my staff card"))
        self.exit_button.setText(QCoreApplication.translate("Console", "Exit the kiosk…"))
        self.confirm_button.setText(QCoreApplication.translate("Console", "Exit now"))
        self.cancel_button.setText(QCoreApplication.translate("Console", "Cancel"))
