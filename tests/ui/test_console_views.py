"""The staff console's views (kiosk.ui.console) driven through their widgets (pytest-qt, offscreen)
on a real migrated kiosk store filled through the real journal, outbox, relay and mode functions,
with health checks on real local probes (a camera clip, the store's outbox, the file system; the
card reader answers from a stand-in PC/SC context, as in tests/flows/test_flows_health.py, because
the host's one pcscd belongs to the pcsc-marked tests)."""

# The store fixtures are imported by name, and pytest passes them as same-named arguments.
# ruff: noqa: F811

from __future__ import annotations

import ast
import hashlib
import json
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import TracebackType

import cv2
import numpy as np
import pytest
from kiosk_store_fixtures import FakeClock, db_path, engine, sealer, sessions  # noqa: F401 (fixtures)
from PySide6.QtCore import QCoreApplication, QDate, QTranslator
from PySide6.QtWidgets import QWidget
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session, sessionmaker

from kiosk.domain.service_mode import REASON_TEXT, OutOfServiceReason, ServiceMode, ServiceState
from kiosk.flows import health
from kiosk.flows.health import (
    CheckName,
    DiskUsage,
    Finding,
    HealthChecks,
    HealthPolicy,
    HealthStatus,
    Probe,
    ReaderContext,
    camera_probe,
    disk_probe,
    outbox_probe,
    reader_probe,
    say,
)
from kiosk.flows.ledger import BOM, FIELDS, KIND_NAMES, KINDS, audit_anchor, daily_ledger, to_csv
from kiosk.flows.ledger_export import EXPORT_ACTION
from kiosk.flows.pending import SEND_NOW_ACTION
from kiosk.flows.service_mode import AUDIT_ACTION, current_mode, set_mode
from kiosk.reader.pcsc import ReaderState
from kiosk.store.audit import GENESIS, verify_chain
from kiosk.store.db import make_sessionmaker
from kiosk.store.models import (
    Application,
    AuditRecord,
    CertificateKind,
    Fee,
    IssuanceStep,
    OutboxMessage,
    OutboxState,
    ProcedureKind,
)
from kiosk.store.sealed import Sealer
from kiosk.sync import journal
from kiosk.sync.central import CentralUnreachable
from kiosk.sync.journal import RecoveryAction
from kiosk.sync.outbox import Outgoing, enqueue
from kiosk.sync.relay import Receipt, Relay, VerifiedReceipt
from kiosk.ui.console import (
    ACTION_SOURCE,
    CHECK_SOURCE,
    HEALTH_MESSAGE_SOURCE,
    HEALTH_STATUS_SOURCE,
    KIND_SOURCE,
    REASON_SOURCE,
    STEP_SOURCE,
    HealthView,
    LedgerView,
    PendingView,
    ServiceModeSwitch,
    duration_text,
    grouped_hex,
    health_message,
    jst_text,
)
from kiosk.ui.i18n import Language, Translations
from kiosk.ui.screens import AttractScreen
from kiosk.ui.texts import arg
from kiosk.ui.theme import Metrics, State

SIGN, AUTH = CertificateKind.SIGN, CertificateKind.AUTH
DAY = date(2026, 11, 22)
START = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)  # 2026-11-22 00:00 JST
DER = b"0\x82 a certificate naming its holder"
WAIT = 30_000  # ms: a signal from a pool thread; the camera check alone may take seconds


@pytest.fixture
def reads(engine: Engine) -> sessionmaker[Session]:
    return make_sessionmaker(engine, readonly=True)


# --- filling the store through the real functions -------------------------------------------------


def _issue(
    sessions: sessionmaker[Session],
    sealer: Sealer,
    kind: CertificateKind,
    to: IssuanceStep,
    at: datetime,
    *,
    fee: Fee = Fee.FREE,
    yen: int = 0,
) -> uuid.UUID:
    """A certificate requested at `at` and taken to step `to` an hour later, through the journal."""
    with sessions.begin() as s:
        app = Application(kind=ProcedureKind.NEW_ISSUANCE)
        app.seal_payload(sealer, b"the resident's application")
        s.add(app)
        s.flush()
        entry_id = journal.start_issuance(
            s, application_id=app.id, card_id="0a1b2c", cert_kind=kind,
            request=Outgoing("p10cr", b"request"), transaction_id=uuid.uuid4().bytes,
            now=at, fee=fee, fee_yen=yen,
        ).id  # fmt: skip
    later = at + timedelta(hours=1)
    steps = {
        IssuanceStep.REQUESTED: [],
        IssuanceStep.CERTIFICATE_RECEIVED: ["certificate"],
        IssuanceStep.WRITTEN_TO_CARD: ["certificate", "write"],
        IssuanceStep.CONFIRMED: ["certificate", "write", "read", "confirm"],
    }[to]
    for step in steps:
        with sessions.begin() as s:
            if step == "certificate":
                journal.record_certificate(s, entry_id, DER, sealer, now=later)
            elif step == "write":
                journal.note_write_attempt(s, entry_id, now=later)
                journal.record_written(s, entry_id, now=later)
            elif step == "read":
                assert journal.record_read_back(s, entry_id, DER, sealer, now=later)
            else:
                journal.confirm(s, entry_id, Outgoing("certConf", b"conf"), now=later)
    return entry_id


def _unreachable(message: OutboxMessage) -> Receipt:
    raise CentralUnreachable("connection refused")


def _accepted(message: OutboxMessage) -> Receipt:
    return Receipt(b"signed by the central")


def _verified(message: OutboxMessage, receipt: Receipt) -> VerifiedReceipt:
    return VerifiedReceipt(message.msg_id)


def _audit(sessions: sessionmaker[Session]) -> list[AuditRecord]:
    with sessions() as session:
        return list(session.scalars(select(AuditRecord).order_by(AuditRecord.id)))


def _records(sessions: sessionmaker[Session], action: str) -> list[tuple[str, str, dict[str, object]]]:
    """The operation record's entries of one action: who, about what, the details."""
    return [(r.actor, r.subject, json.loads(r.details)) for r in _audit(sessions) if r.action == action]


def _cells(view: QWidget, table_name: str) -> list[list[str]]:
    table = getattr(view, table_name)
    return [
        [table.item(r, c).text() if table.item(r, c) is not None else "" for c in range(table.columnCount())]
        for r in range(table.rowCount())
    ]


def _headers(table: object, orientation: str) -> list[str]:
    count = table.rowCount() if orientation == "v" else table.columnCount()
    item = table.verticalHeaderItem if orientation == "v" else table.horizontalHeaderItem
    return [item(i).text() for i in range(count)]


# --- words ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("span", "text"),
    [
        (timedelta(seconds=59), "under a minute"),
        (timedelta(seconds=-5), "under a minute"),  # a clock a little behind the store
        (timedelta(minutes=1), "1 min"),
        (timedelta(minutes=59, seconds=59), "59 min"),
        (timedelta(hours=1), "1 h 0 min"),
        (timedelta(hours=23, minutes=59), "23 h 59 min"),
        (timedelta(days=1), "1 d 0 h"),
        (timedelta(days=14, hours=3, minutes=30), "14 d 3 h"),
    ],
)
def test_duration_text(qapp, span: timedelta, text: str) -> None:
    assert duration_text(span) == text


def test_times_are_shown_in_jst() -> None:
    assert jst_text(START) == "2026-11-22 00:00"
    assert jst_text(START - timedelta(minutes=1)) == "2026-11-21 23:59"
    assert jst_text(None) == "–"


def test_every_code_has_words() -> None:
    assert set(KIND_SOURCE) == set(CertificateKind)
    assert set(STEP_SOURCE) == set(IssuanceStep)
    assert set(ACTION_SOURCE) == set(RecoveryAction)
    assert set(CHECK_SOURCE) == set(CheckName)
    assert set(HEALTH_STATUS_SOURCE) == set(HealthStatus)
    # The out-of-service reasons in the domain's very English, so a changed text there shows here.
    assert REASON_SOURCE == REASON_TEXT


def _health_templates() -> set[str]:
    """The templates kiosk.flows.health gives staff: the first argument of every say() (its
    Findings' messages and its Probes' "could not be checked" sentences). Each must be a literal,
    or no table could mark it for translation."""
    tree = ast.parse(Path(health.__file__).read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "say":
            template = node.args[0]
            assert isinstance(template, ast.Constant) and isinstance(template.value, str), ast.dump(node)
            found.add(template.value)
    return found


def test_the_health_sentences_are_the_flows_own() -> None:
    templates = _health_templates()
    assert len(templates) > 20  # the scan sees them at all
    assert templates == set(HEALTH_MESSAGE_SOURCE)
    assert {t for t in templates if "%1" in t}  # the sentences with numbers are templates too


class Catalogue(QTranslator):
    """A stand-in catalogue for context Console: what a translation could be, whatever the real one
    says. Anything else is left to the source, as a catalogue without the entry does."""

    def __init__(self, entries: dict[str, str]) -> None:
        super().__init__()
        self.entries = entries
        self.asked: list[str] = []

    def isEmpty(self) -> bool:
        return False  # Qt sends no LanguageChange for an empty translator

    def translate(
        self, context: str, source: str, disambiguation: str | None = None, n: int = -1
    ) -> str | None:
        # None is Qt's null string, "not in this catalogue"; an empty string would be a translation.
        if context != "Console":
            return None
        self.asked.append(source)
        return self.entries.get(source)


@pytest.fixture
def catalogue(qapp) -> Iterator[Catalogue]:
    installed = Catalogue(
        {
            # Values in another order than the English: they go where the translation puts them.
            "Messages to the central are delayed: %1 waiting, the oldest for %2 min.": "遅延 %2 分（%1 件）",
            "Disk space is low: %1 left.": "残り %1",
        }
    )
    qapp.installTranslator(installed)
    yield installed
    qapp.removeTranslator(installed)


def test_a_health_template_is_translated_whole_then_filled(catalogue: Catalogue) -> None:
    delayed = say("Messages to the central are delayed: %1 waiting, the oldest for %2 min.", "3", "20")
    # Installing the catalogue makes widgets left by earlier tests re-translate themselves: only
    # the lookups of this call count (no event is delivered during it).
    catalogue.asked.clear()
    assert health_message(delayed) == "遅延 20 分（3 件）"
    assert catalogue.asked == [delayed.template]  # looked up by its template, never the filled text
    assert health_message(say("Disk space is low: %1 left.", "1.2 GB")) == "残り 1.2 GB"
    # No entry (yet): the English source, filled all the same.
    assert health_message(say("The disk is full: %1 left.", "80.0 MB")) == "The disk is full: 80.0 MB left."
    assert health_message(say("The camera works.")) == "The camera works."


def test_health_messages_in_japanese(qapp, translations: Translations) -> None:
    translations.switch(Language.JA)
    assert health_message(say("No card reader is connected.")) == "カードリーダーが接続されていません。"
    # A sentence with a number: its template as the catalogue has it, with the number filled in.
    low = health_message(say("Disk space is low: %1 left.", "1.2 GB"))
    assert low == arg(QCoreApplication.translate("Console", "Disk space is low: %1 left."), "1.2 GB")
    assert "1.2 GB" in low and "%1" not in low


# --- the 交付記録簿 --------------------------------------------------------------------------------


def _fill_ledger(sessions: sessionmaker[Session], sealer: Sealer) -> None:
    noon = START + timedelta(hours=3)
    _issue(sessions, sealer, AUTH, IssuanceStep.CONFIRMED, noon, fee=Fee.PAID, yen=200)
    _issue(sessions, sealer, AUTH, IssuanceStep.CONFIRMED, noon)
    _issue(sessions, sealer, AUTH, IssuanceStep.REQUESTED, noon)
    _issue(sessions, sealer, SIGN, IssuanceStep.WRITTEN_TO_CARD, noon, fee=Fee.PAID, yen=300)
    _issue(
        sessions, sealer, SIGN, IssuanceStep.REQUESTED, START - timedelta(microseconds=1)
    )  # the day before
    # An operation on record, so the head is not the empty chain's.
    set_mode(sessions, state=ServiceState.IN_SERVICE, reason=None, operator_id="op-1", now=START)
    set_mode(sessions, state=ServiceState.OUT_OF_SERVICE, reason=OutOfServiceReason.CLOSED,
             operator_id="op-1", now=START + timedelta(hours=20))  # fmt: skip


def _expected_cells(sessions: sessionmaker[Session], day: date) -> list[list[str]]:
    with sessions() as session:
        ledger = daily_ledger(session, day)
    return [[f"{getattr(ledger.row(kind), field):,}" for kind in KINDS] for field, _label in FIELDS]


EXPORTED_AT = START + timedelta(hours=10)


@pytest.fixture
def ledger_view(
    qtbot,
    reads: sessionmaker[Session],
    sessions: sessionmaker[Session],
    operator: dict[str, str | None],
    metrics: Metrics,
    tmp_path: Path,
) -> LedgerView:
    chosen: list[str] = []
    target = {"path": tmp_path / "ledger.csv"}
    operator["id"] = "op-0042"  # signed in unless a test signs them out

    def choose(parent: QWidget, suggested: str) -> Path | None:
        assert isinstance(parent, LedgerView)
        chosen.append(suggested)
        return target["path"]

    view = LedgerView(
        reads,
        metrics,
        sessions=sessions,
        operator_of=lambda: operator["id"],
        clock=FakeClock(EXPORTED_AT),
        choose_path=choose,
        export_dir=tmp_path,
    )
    qtbot.addWidget(view)
    view.chosen = chosen  # type: ignore[attr-defined]
    view.target = target  # type: ignore[attr-defined]
    return view


def _exports(sessions: sessionmaker[Session]) -> list[tuple[str, str, dict[str, object]]]:
    return _records(sessions, EXPORT_ACTION)


def test_the_ledger_of_the_jst_day_per_kind_with_its_audit_head(
    qtbot,
    ledger_view: LedgerView,
    sessions: sessionmaker[Session],
    sealer: Sealer,
) -> None:
    _fill_ledger(sessions, sealer)
    with qtbot.waitSignal(ledger_view.runner.succeeded, timeout=WAIT):
        ledger_view.show()  # opening the view reads the day shown: today in JST
    assert ledger_view.selected_day == DAY
    assert _headers(ledger_view.table, "h") == ["Signing", "User auth."]
    tips = [ledger_view.table.horizontalHeaderItem(c).toolTip() for c in range(2)]
    assert tips == ["Signing certificate", "User authentication certificate"]
    assert _headers(ledger_view.table, "v")[:3] == [
        "Requests made",
        "Requests answered by 機構 (イ)",
        "Handed over (ウ)",
    ]
    cells = _cells(ledger_view, "table")
    assert cells == _expected_cells(sessions, DAY)
    by_field = dict(zip((f for f, _label in FIELDS), cells, strict=True))
    assert by_field["requests"] == ["1", "3"]
    assert by_field["installed"] == ["0", "2"]
    assert (by_field["paid"], by_field["free"], by_field["fee_yen"]) == (["0", "1"], ["0", "1"], ["0", "200"])
    assert by_field["awaiting_card"] == ["1", "0"]
    with sessions() as session:
        chain = verify_chain(session)
    assert chain.ok and chain.head != GENESIS
    assert f"{chain.records} records, head {grouped_hex(chain.head)}" in ledger_view.anchor.text()
    assert "Ledger of 2026-11-22 (JST)" in ledger_view.anchor.text()

    # Another day from the picker: the request made a microsecond before midnight JST.
    with qtbot.waitSignal(ledger_view.runner.succeeded, timeout=WAIT):
        ledger_view.day.setDate(QDate(2026, 11, 21))
    assert _cells(ledger_view, "table") == _expected_cells(sessions, date(2026, 11, 21))
    assert dict(zip((f for f, _label in FIELDS), _cells(ledger_view, "table"), strict=True))[
        "awaiting_answer"
    ] == ["1", "0"]
    with qtbot.waitSignal(ledger_view.runner.succeeded, timeout=WAIT):
        ledger_view.today.click()
    assert ledger_view.selected_day == DAY
    assert _cells(ledger_view, "table") == _expected_cells(sessions, DAY)


def test_export_writes_the_ledgers_csv_off_the_ui_thread(
    qtbot,
    ledger_view: LedgerView,
    sessions: sessionmaker[Session],
    sealer: Sealer,
    tmp_path: Path,
) -> None:
    _fill_ledger(sessions, sealer)
    with qtbot.waitSignal(ledger_view.runner.succeeded, timeout=WAIT):
        ledger_view.show()
    shown_head = ledger_view.printout.anchor.head  # type: ignore[union-attr]
    # Recorded after the screen was read: the export reads afresh and shows the head it wrote with.
    set_mode(sessions, state=ServiceState.IN_SERVICE, reason=None, operator_id="op-2",
             now=START + timedelta(hours=21))  # fmt: skip
    with qtbot.waitSignal(ledger_view.runner.succeeded, timeout=WAIT):
        ledger_view.export.click()
        # Still running when the click returns: the work is on a pool thread, the button is off.
        assert ledger_view.runner.busy and not ledger_view.export.isEnabled()
    assert ledger_view.chosen == [str(tmp_path / "交付記録簿-2026-11-22.csv")]  # type: ignore[attr-defined]
    written = (tmp_path / "ledger.csv").read_bytes()
    with sessions() as session:
        expected = to_csv(daily_ledger(session, DAY))
        anchor = audit_anchor(session)
    assert written == expected.encode("utf-8")
    assert written.startswith(BOM.encode("utf-8")) and b"\r\n" in written
    assert anchor.head != shown_head
    assert ledger_view.printout.anchor == anchor  # type: ignore[union-attr]
    assert f"{anchor.records} records, head {grouped_hex(anchor.head)}" in ledger_view.anchor.text()
    assert ledger_view.status.state is State.SUCCESS
    assert ledger_view.status.text() == f"The ledger was saved to {tmp_path / 'ledger.csv'}."
    assert ledger_view.export.isEnabled()
    # The copy is in the operation record (規則 73-3): who, which day, the digest of the very bytes.
    digest = hashlib.sha256(written).hexdigest()
    assert _exports(sessions) == [("op-0042", "ledger:2026-11-22", {"sha256": digest, "bytes": len(written)})]
    (record,) = [r for r in _audit(sessions) if r.action == EXPORT_ACTION]
    assert record.at == EXPORTED_AT and anchor.head == record.hash  # the anchor shown includes it
    with sessions() as session:
        assert verify_chain(session).ok


def test_export_with_nobody_signed_in_opens_no_dialog(
    qtbot,
    ledger_view: LedgerView,
    sessions: sessionmaker[Session],
    operator: dict[str, str | None],
    tmp_path: Path,
) -> None:
    with qtbot.waitSignal(ledger_view.runner.succeeded, timeout=WAIT):
        ledger_view.show()  # the counts stay readable: they name nobody
    operator["id"] = None
    assert not ledger_view.export_csv()
    assert ledger_view.chosen == []  # type: ignore[attr-defined]  # no file dialog for a resident
    assert ledger_view.status.state is State.WARNING
    assert ledger_view.status.text() == "Staff must sign in to export the ledger."
    assert list(tmp_path.glob("*.csv")) == [] and _exports(sessions) == []
    operator["id"] = "   "  # a blank id is nobody too
    assert not ledger_view.export_csv() and ledger_view.chosen == []  # type: ignore[attr-defined]


def test_export_cancelled_or_unwritable(
    qtbot,
    ledger_view: LedgerView,
    sessions: sessionmaker[Session],
    tmp_path: Path,
) -> None:
    with qtbot.waitSignal(ledger_view.runner.succeeded, timeout=WAIT):
        ledger_view.show()
    ledger_view.target["path"] = None  # type: ignore[attr-defined]
    assert not ledger_view.export_csv()
    assert not ledger_view.runner.busy and not ledger_view.status.isVisibleTo(ledger_view)
    assert list(tmp_path.glob("*.csv")) == []

    nowhere = tmp_path / "no such folder" / "ledger.csv"
    ledger_view.target["path"] = nowhere  # type: ignore[attr-defined]
    with qtbot.waitSignal(ledger_view.runner.failed, timeout=WAIT):
        ledger_view.export.click()
    assert not nowhere.exists()
    assert ledger_view.status.state is State.ERROR
    assert ledger_view.status.text() == f"The CSV file {nowhere} could not be written. Choose another place."
    assert _exports(sessions) == []  # no file, no record of one


def test_the_ledger_in_japanese_uses_the_offices_labels(
    qtbot, ledger_view: LedgerView, translations: Translations
) -> None:
    with qtbot.waitSignal(ledger_view.runner.succeeded, timeout=WAIT):
        ledger_view.show()
    translations.switch(Language.JA)  # widgets get the LanguageChange event from the event loop
    qtbot.waitUntil(lambda: _headers(ledger_view.table, "v")[0] == FIELDS[0][1])
    assert _headers(ledger_view.table, "v") == [label for _field, label in FIELDS]
    assert _headers(ledger_view.table, "h") == ["署名用", "利用者証明"]
    tips = [ledger_view.table.horizontalHeaderItem(c).toolTip() for c in range(2)]
    assert tips == [KIND_NAMES[kind] for kind in KINDS]  # the office's names in full
    assert ledger_view.export.text() != "Export CSV…"
    translations.switch(Language.EN)
    qtbot.waitUntil(lambda: _headers(ledger_view.table, "v")[0] == "Requests made")


# --- pending work ---------------------------------------------------------------------------------

T0 = datetime(2026, 11, 22, 0, 30, tzinfo=UTC)


@pytest.fixture
def pending_view(
    qtbot,
    sessions: sessionmaker[Session],
    reads: sessionmaker[Session],
    operator: dict[str, str | None],
    metrics: Metrics,
) -> PendingView:
    operator["id"] = "op-0042"  # signed in unless a test signs them out
    view = PendingView(
        sessions,
        lambda: operator["id"],
        metrics,
        reads=reads,
        clock=FakeClock(T0 + timedelta(days=1, hours=2)),
        refresh_every_s=3600,
    )
    qtbot.addWidget(view)
    return view


def _send_now_records(sessions: sessionmaker[Session]) -> list[tuple[str, str, dict[str, object]]]:
    return _records(sessions, SEND_NOW_ACTION)


def _msg_id(sessions: sessionmaker[Session], seq: int) -> uuid.UUID:
    with sessions() as session:
        return session.scalars(select(OutboxMessage.msg_id).where(OutboxMessage.seq == seq)).one()


def test_pending_work_with_send_now(
    qtbot,
    pending_view: PendingView,
    sessions: sessionmaker[Session],
    sealer: Sealer,
) -> None:
    _issue(sessions, sealer, AUTH, IssuanceStep.REQUESTED, T0)  # its request is outbox message #1
    relay_clock = FakeClock(T0 + timedelta(minutes=10))
    assert Relay(sessions, _unreachable, verify_receipt=_verified, clock=relay_clock).run_once().error
    written = _issue(sessions, sealer, SIGN, IssuanceStep.WRITTEN_TO_CARD, T0 + timedelta(hours=1))
    with sessions.begin() as s:
        enqueue(s, "notice.ack", b"an unrelated message", now=T0 + timedelta(hours=3))

    with qtbot.waitSignal(pending_view.reader.succeeded, timeout=WAIT):
        pending_view.show()
    now = T0 + timedelta(days=1, hours=2)
    assert (
        pending_view.summary.text() == f"Messages waiting: 3. Certificates not finished: 2. ({jst_text(now)})"
    )
    messages = _cells(pending_view, "messages")
    assert [row[:2] for row in messages] == [["1", "p10cr"], ["2", "p10cr"], ["3", "notice.ack"]]
    first = messages[0]
    assert first[2:5] == [jst_text(T0), "1 d 2 h", "1"]
    assert first[6] == "send failed: CentralUnreachable: connection refused"
    assert messages[2][2:7] == [
        jst_text(T0 + timedelta(hours=3)),
        "23 h 0 min",
        "0",
        jst_text(T0 + timedelta(hours=3)),
        "–",
    ]
    assert [row[:4] for row in _cells(pending_view, "issuances")] == [
        ["User authentication certificate", "Requested", jst_text(T0), "1 d 2 h"],
        ["Signing certificate", "Written to the card", jst_text(T0 + timedelta(hours=1)), "1 d 0 h"],
    ]
    issuances = _cells(pending_view, "issuances")
    assert issuances[0][6:] == ["Wait for 機構's answer", "–"]
    with sessions.begin() as session:
        entry = journal.get(session, written)
        wait_ends = entry.updated_at + journal.DEFAULT_POLICY.card_wait
    assert issuances[1][4] == "1" and issuances[1][6:] == [
        "Wait for the card to come back",
        jst_text(wait_ends),
    ]

    # "Send now" on the failed request: due at the view's now, in the store, and shown so.
    first_id = _msg_id(sessions, 1)
    with sessions() as session:
        before = session.get(OutboxMessage, 1)
        assert before is not None and before.next_attempt_at > relay_clock.now
    button = pending_view.send_buttons[first_id]
    assert button.text() == "Send now" and button.minimumHeight() >= pending_view.metrics.touch_target
    with qtbot.waitSignal(pending_view.reader.succeeded, timeout=WAIT):  # the refresh after it
        button.click()
        assert pending_view.actions.busy
    with sessions() as session:
        message = session.get(OutboxMessage, 1)
        assert message is not None
        assert (message.state, message.next_attempt_at, message.attempts) == (OutboxState.PENDING, now, 1)
    assert _cells(pending_view, "messages")[0][5] == jst_text(now)
    assert pending_view.status.state is State.SUCCESS
    assert pending_view.status.text() == "Message #1 goes out with the next sending."
    # The tap is in the operation record (規則 73-3), under the signed-in operator, chain intact.
    assert _send_now_records(sessions) == [
        ("op-0042", f"outbox:{first_id}", {"seq": 1, "pending": True}),
    ]
    (record,) = [r for r in _audit(sessions) if r.action == SEND_NOW_ACTION]
    assert record.at == now
    with sessions() as session:
        assert verify_chain(session).ok


def test_send_now_with_nobody_signed_in_is_refused(
    qtbot,
    pending_view: PendingView,
    sessions: sessionmaker[Session],
    operator: dict[str, str | None],
) -> None:
    with sessions.begin() as s:
        enqueue(s, "notice.ack", b"an acknowledgement", now=T0 + timedelta(days=2))  # due later
    with qtbot.waitSignal(pending_view.reader.succeeded, timeout=WAIT):
        pending_view.show()
    msg_id = _msg_id(sessions, 1)
    operator["id"] = None  # the session ended while the list was on screen
    pending_view.send_buttons[msg_id].click()
    assert not pending_view.actions.busy  # nothing was started
    assert pending_view.status.state is State.WARNING
    assert pending_view.status.text() == "Nobody is signed in: sign in with your staff card first."
    with sessions() as session:
        message = session.get(OutboxMessage, 1)
        assert message is not None and message.next_attempt_at == T0 + timedelta(days=2)
    assert _audit(sessions) == []
    operator["id"] = "  "  # a blank id is nobody either
    assert not pending_view.send_now(msg_id)
    assert _audit(sessions) == []


def test_send_now_on_a_message_delivered_meanwhile(
    qtbot,
    pending_view: PendingView,
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as s:
        enqueue(s, "notice.ack", b"an acknowledgement", now=T0)
    with qtbot.waitSignal(pending_view.reader.succeeded, timeout=WAIT):
        pending_view.show()
    msg_id = _msg_id(sessions, 1)
    relay = Relay(sessions, _accepted, verify_receipt=_verified, clock=FakeClock(T0 + timedelta(minutes=1)))
    assert relay.run_once().error is None  # the relay delivers it while the screen still lists it
    with qtbot.waitSignal(pending_view.reader.succeeded, timeout=WAIT):
        pending_view.send_buttons[msg_id].click()
    assert pending_view.status.state is State.INFO
    assert pending_view.status.text() == "Message #1 has already been sent."
    assert _send_now_records(sessions) == [("op-0042", f"outbox:{msg_id}", {"seq": 1, "pending": False})]
    assert pending_view.work is not None and pending_view.work.empty
    assert pending_view.messages.rowCount() == 0
    assert pending_view.summary.text().startswith("Nothing is waiting")


def test_pending_work_refreshes_on_its_timer_while_shown(
    qtbot,
    sessions: sessionmaker[Session],
    reads: sessionmaker[Session],
    metrics: Metrics,
) -> None:
    view = PendingView(
        sessions,
        lambda: None,
        metrics,
        reads=reads,
        clock=FakeClock(T0 + timedelta(hours=1)),
        refresh_every_s=0.05,
    )
    qtbot.addWidget(view)
    assert not view.timer.isActive()  # hidden: no queries
    with qtbot.waitSignal(view.reader.succeeded, timeout=WAIT):
        view.show()
    assert view.work is not None and view.work.empty
    with sessions.begin() as s:
        enqueue(s, "notice.ack", b"arrives later", now=T0)
    qtbot.waitUntil(lambda: view.messages.rowCount() == 1, timeout=WAIT)  # nobody pressed Refresh
    view.hide()
    assert not view.timer.isActive()
    view.reader.wait(5000)


# --- health -----------------------------------------------------------------------------------------


class Readers:
    """A PC/SC context answering with these readers (PcscContext's interface)."""

    def __init__(self, states: list[ReaderState]) -> None:
        self.answer = states

    def __call__(self) -> ReaderContext:
        return self

    def __enter__(self) -> ReaderContext:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None

    def states(self) -> list[ReaderState]:
        return self.answer


def _clip(path: Path, frames: int = 12) -> Path:
    rng = np.random.default_rng(3)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 15, (160, 120))
    assert writer.isOpened()
    for _ in range(frames):
        writer.write(rng.integers(0, 255, (120, 160, 3), dtype=np.uint8))
    writer.release()
    return path


def _counted(probe: Probe, calls: list[str]) -> Probe:
    """The real probe, noting each time it is started."""

    def run() -> Finding:
        calls.append(probe.name.value)
        return probe.run()

    return Probe(probe.name, run, probe.timeout, probe.unavailable)


PLENTY = HealthPolicy(disk_degraded_below=1, disk_failed_below=0)


def test_health_view_shows_each_check(
    qtbot,
    sessions: sessionmaker[Session],
    metrics: Metrics,
    tmp_path: Path,
) -> None:
    with sessions.begin() as s:
        enqueue(s, "p10cr", b"a request", now=T0)
    checks = HealthChecks(
        [
            reader_probe(context=Readers([])),
            camera_probe(str(_clip(tmp_path / "camera.avi"))),
            outbox_probe(sessions, clock=FakeClock(T0 + timedelta(minutes=20))),
            disk_probe(tmp_path, policy=PLENTY),
        ]
    )
    view = HealthView(checks, metrics, camera_busy=lambda: False, every_minutes=None)
    qtbot.addWidget(view)
    assert [row.state.text() for row in view.rows.values()] == [
        "Card reader: not checked", "Camera: not checked", "Messages to the central: not checked",
        "Disk space: not checked",
    ]  # fmt: skip
    with qtbot.waitSignal(view.report_ready, timeout=WAIT):
        view.run_button.click()
        assert view.runner.busy and not view.run_button.isEnabled()  # off the UI thread
        assert view.checking_camera
    reader, camera, outbox, disk = view.rows.values()
    assert (reader.state.state, reader.state.text()) == (State.ERROR, "Card reader: not working")
    assert reader.state.icon.accessibleName() == "Error"
    assert (reader.message.text(), reader.detail.text()) == (
        "No card reader is connected.",
        "PC/SC lists no reader",
    )
    assert (camera.state.state, camera.state.text()) == (State.SUCCESS, "Camera: works")
    assert camera.message.text() == "The camera works." and "a 160×120 picture" in camera.detail.text()
    assert (outbox.state.state, outbox.state.text()) == (
        State.WARNING,
        "Messages to the central: needs attention",
    )
    assert outbox.message.text() == "Messages to the central are delayed: 1 waiting, the oldest for 20 min."
    assert "outbox: 1 pending; oldest #1 p10cr" in outbox.detail.text()
    assert (disk.state.state, disk.state.text()) == (State.SUCCESS, "Disk space: works")
    assert str(tmp_path) in disk.detail.text()
    assert (view.status.state, view.status.text()) == (State.ERROR, "Something is not working: see below.")
    assert view.checked_at.text().startswith("Last checked: ")
    assert not view.checking_camera and view.run_button.isEnabled()


def test_the_camera_is_left_alone_while_a_face_check_has_it(qtbot, metrics: Metrics, tmp_path: Path) -> None:
    calls: list[str] = []
    checks = HealthChecks(
        [
            _counted(camera_probe(str(_clip(tmp_path / "camera.avi"))), calls),
            _counted(disk_probe(tmp_path, policy=PLENTY), calls),
        ]
    )
    face_check = {"on screen": True}
    view = HealthView(checks, metrics, camera_busy=lambda: face_check["on screen"], every_minutes=None)
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.report_ready, timeout=WAIT) as ran:
        assert view.run_checks()
        assert not view.checking_camera
    assert calls == ["disk"]  # the camera was not opened
    assert [c.name for c in ran.args[0].checks] == [CheckName.DISK]
    camera = view.rows[CheckName.CAMERA]
    assert (camera.state.state, camera.state.text()) == (State.INFO, "Camera: not checked")
    assert camera.message.text() == "Not checked: a face check is using the camera."
    assert (view.status.state, view.status.text()) == (State.SUCCESS, "Everything checked works.")

    face_check["on screen"] = False
    with qtbot.waitSignal(view.report_ready, timeout=WAIT):
        assert view.run_checks()
        assert view.checking_camera
        assert not view.run_checks()  # one run at a time
    assert sorted(calls) == ["camera", "disk", "disk"]
    assert view.rows[CheckName.CAMERA].state.text() == "Camera: works"


def test_health_checks_run_every_n_minutes(qtbot, metrics: Metrics, tmp_path: Path) -> None:
    calls: list[str] = []
    checks = HealthChecks([_counted(disk_probe(tmp_path, policy=PLENTY), calls)])
    view = HealthView(checks, metrics, camera_busy=lambda: False, every_minutes=0.1 / 60)  # 0.1 s
    qtbot.addWidget(view)
    reports: list[object] = []
    view.report_ready.connect(reports.append)
    qtbot.waitUntil(lambda: len(reports) >= 2, timeout=WAIT)  # nobody pressed "Check now"
    assert view.timer.interval() == 100
    view.timer.stop()
    view.runner.wait(5000)
    assert len(calls) >= 2


def test_a_degraded_check_and_the_japanese_words(
    qtbot, metrics: Metrics, tmp_path: Path, translations: Translations
) -> None:
    low = disk_probe(tmp_path, usage=lambda _path: DiskUsage(100 * 1024**3, 0, 1024**3))
    view = HealthView(HealthChecks([low]), metrics, camera_busy=lambda: False, every_minutes=None)
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.report_ready, timeout=WAIT):
        view.run_checks()
    row = view.rows[CheckName.DISK]
    assert (row.state.state, row.state.text()) == (State.WARNING, "Disk space: needs attention")
    assert row.message.text() == "Disk space is low: 1.0 GB left."
    assert view.status.text() == "Something needs attention: see below."
    translations.switch(Language.JA)
    qtbot.waitUntil(lambda: row.state.text() == "ディスク容量：要確認")
    assert view.status.text() == "要確認の項目があります。下をご覧ください。"
    # A number in it: the template in the catalogue's words, the size filled in.
    template = QCoreApplication.translate("Console", "Disk space is low: %1 left.")
    assert row.message.text() == arg(template, "1.0 GB")


def test_a_health_sentence_follows_the_language_with_its_numbers(
    qtbot, metrics: Metrics, tmp_path: Path, catalogue: Catalogue
) -> None:
    """A row already on screen is translated again, values and all, when the language changes."""
    qapp = QCoreApplication.instance()
    qapp.removeTranslator(catalogue)  # shown in English first
    low = disk_probe(tmp_path, usage=lambda _path: DiskUsage(100 * 1024**3, 0, 1024**3))
    view = HealthView(HealthChecks([low]), metrics, camera_busy=lambda: False, every_minutes=None)
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.report_ready, timeout=WAIT):
        view.run_checks()
    row = view.rows[CheckName.DISK]
    assert row.message.text() == "Disk space is low: 1.0 GB left."
    qapp.installTranslator(catalogue)  # widgets get LanguageChange from the event loop
    qtbot.waitUntil(lambda: row.message.text() == "残り 1.0 GB")


# --- in service / out of service ------------------------------------------------------------------


@pytest.fixture
def operator() -> dict[str, str | None]:
    return {"id": None}


@pytest.fixture
def mode_clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 22, 9, 0, tzinfo=UTC))  # 18:00 JST


def _switch(
    qtbot,
    sessions: sessionmaker[Session],
    operator: dict[str, str | None],
    clock: FakeClock,
    metrics: Metrics,
) -> tuple[ServiceModeSwitch, list[bool]]:
    switch = ServiceModeSwitch(sessions, lambda: operator["id"], metrics, clock=clock)
    qtbot.addWidget(switch)
    emitted: list[bool] = []
    switch.mode_changed.connect(emitted.append)
    with qtbot.waitSignal(switch.mode_changed, timeout=WAIT):
        pass  # made: it reads the stored mode and says it once
    return switch, emitted


def test_nobody_signed_in_nothing_to_switch(
    qtbot,
    sessions: sessionmaker[Session],
    operator: dict[str, str | None],
    mode_clock: FakeClock,
    metrics: Metrics,
) -> None:
    switch, emitted = _switch(qtbot, sessions, operator, mode_clock, metrics)
    switch.show()
    assert emitted == [True]
    assert (switch.state.state, switch.state.text()) == (
        State.SUCCESS,
        "In service: residents can use this terminal.",
    )
    assert switch.details.text() == "In service since installation."
    assert not switch.take_out.isEnabled() and not switch.put_back.isEnabled()
    assert not switch.reasons.isEnabled()
    assert switch.explanation.isVisible()
    assert (
        switch.explanation.text()
        == "Only a signed-in operator can change this: sign in with your staff card."
    )

    # Signed in: the switch opens; the session ends before the tap: the tap is refused.
    operator["id"] = "op-0042"
    switch.update_operator()
    assert switch.take_out.isEnabled() and not switch.explanation.isVisible()
    operator["id"] = None
    switch.take_out.click()
    assert not switch.runner.busy
    assert switch.status.state is State.WARNING
    assert switch.status.text() == "Nobody is signed in: sign in with your staff card first."
    assert not switch.take_out.isEnabled()
    assert current_mode(sessions).state is ServiceState.IN_SERVICE and _audit(sessions) == []

    # The one-second timer notices a sign-in without being told.
    operator["id"] = "op-0042"
    qtbot.waitUntil(switch.take_out.isEnabled, timeout=5000)


def test_an_open_switch_does_not_keep_the_operator_active(
    qtbot,
    sessions: sessionmaker[Session],
    operator: dict[str, str | None],
    mode_clock: FakeClock,
    metrics: Metrics,
) -> None:
    """`operator_of()` counts as the operator's activity (OperatorGate.operator_of): the timer asks
    only while nobody is known to be signed in, or a switch left on screen would never let the
    session reach its idle limit."""
    asked: list[str | None] = []

    def operator_of() -> str | None:
        asked.append(operator["id"])
        return operator["id"]

    switch = ServiceModeSwitch(sessions, operator_of, metrics, clock=mode_clock)
    qtbot.addWidget(switch)
    with qtbot.waitSignal(switch.mode_changed, timeout=WAIT):
        pass
    switch.operator_timer.setInterval(10)
    switch.show()
    operator["id"] = "op-0042"
    qtbot.waitUntil(switch.take_out.isEnabled, timeout=5000)  # the timer noticed the sign-in
    before = len(asked)
    qtbot.wait(200)  # twenty ticks
    assert len(asked) == before
    switch.update_operator()  # what the console calls when the sign-in changes
    assert asked[before:] == ["op-0042"]


def test_take_out_of_service_and_put_back(
    qtbot,
    sessions: sessionmaker[Session],
    operator: dict[str, str | None],
    mode_clock: FakeClock,
    metrics: Metrics,
) -> None:
    operator["id"] = "op-0042"
    switch, emitted = _switch(qtbot, sessions, operator, mode_clock, metrics)
    attract = AttractScreen(metrics)  # the resident window's banner, as the main window wires it
    qtbot.addWidget(attract)
    switch.mode_changed.connect(lambda accepts: attract.set_out_of_service(None if accepts else "out"))
    assert switch.take_out.text() == "Take out of service"
    assert switch.take_out.isEnabled() and not switch.put_back.isEnabled()

    switch.choose_reason(OutOfServiceReason.CAMERA_FAULT)
    with qtbot.waitSignal(switch.mode_changed, timeout=WAIT) as out:
        switch.take_out.click()
        assert switch.runner.busy and not switch.take_out.isEnabled()
    assert out.args == [False]
    assert current_mode(sessions) == ServiceMode(
        ServiceState.OUT_OF_SERVICE, OutOfServiceReason.CAMERA_FAULT, "op-0042", mode_clock.now
    )
    (record,) = _audit(sessions)
    assert (record.actor, record.action) == ("op-0042", AUDIT_ACTION)
    assert (switch.state.state, switch.state.text()) == (
        State.ERROR, "Out of service: residents cannot use this terminal."
    )  # fmt: skip
    assert (
        switch.details.text() == "Since 2026-11-22 18:00, set by op-0042. Reason: The camera is not working."
    )
    assert not any(button.isEnabled() for button in attract.buttons.values())
    assert attract.status.text() == "This terminal is out of service. Please ask staff at the counter."

    # Out of service: the same reason again is no change; another reason is.
    assert switch.take_out.text() == "Change the reason" and not switch.take_out.isEnabled()
    assert switch.put_back.isEnabled()
    switch.choose_reason(OutOfServiceReason.MAINTENANCE)
    assert switch.take_out.isEnabled()

    operator["id"] = "op-0077"  # another operator puts it back
    mode_clock.advance(3600)
    with qtbot.waitSignal(switch.mode_changed, timeout=WAIT) as back:
        switch.put_back.click()
    assert back.args == [True]
    assert emitted == [True, False, True]
    assert current_mode(sessions) == ServiceMode(ServiceState.IN_SERVICE, None, "op-0077", mode_clock.now)
    assert switch.details.text() == "Since 2026-11-22 19:00, set by op-0077."
    assert [r.actor for r in _audit(sessions)] == ["op-0042", "op-0077"]
    with sessions() as session:
        assert verify_chain(session).ok
    assert all(button.isEnabled() for button in attract.buttons.values())


def test_a_stored_out_of_service_mode_is_shown_at_start(
    qtbot,
    sessions: sessionmaker[Session],
    operator: dict[str, str | None],
    mode_clock: FakeClock,
    metrics: Metrics,
    translations: Translations,
) -> None:
    set_mode(sessions, state=ServiceState.OUT_OF_SERVICE, reason=OutOfServiceReason.CLOSED,
             operator_id="op-7", now=mode_clock.now - timedelta(hours=9))  # fmt: skip
    switch, _emitted = _switch(qtbot, sessions, operator, mode_clock, metrics)
    assert switch.mode is not None and switch.mode.reason is OutOfServiceReason.CLOSED
    assert switch.details.text() == "Since 2026-11-22 09:00, set by op-7. Reason: The office is closed."
    translations.switch(Language.JA)
    qtbot.waitUntil(lambda: switch.put_back.text() != "Put back in service")
    assert switch.details.text() == "2026-11-22 09:00 から（op-7 が設定）。理由：閉庁中。"
    assert switch.put_back.text() == "運用を再開する"
    assert switch.reasons.itemText(switch.reasons.findData("closed")) == "閉庁中"


# --- what the views rely on below them ---------------------------------------------------------------


def test_views_never_run_store_work_on_the_ui_thread(
    qtbot,
    sessions: sessionmaker[Session],
    reads: sessionmaker[Session],
    metrics: Metrics,
    engine: Engine,
) -> None:
    """Every statement the views send reaches SQLite from a pool thread."""
    ui_thread = threading.get_ident()
    threads: list[int] = []

    def note(*_args: object) -> None:
        threads.append(threading.get_ident())

    event.listen(engine, "before_cursor_execute", note)
    try:
        pending = PendingView(
            sessions, lambda: "op-1", metrics, reads=reads, clock=FakeClock(T0), refresh_every_s=3600
        )
        ledger = LedgerView(
            reads, metrics, sessions=sessions, operator_of=lambda: "op-1", clock=FakeClock(T0)
        )
        qtbot.addWidget(pending)
        qtbot.addWidget(ledger)
        with qtbot.waitSignal(pending.reader.succeeded, timeout=WAIT):
            pending.show()
        with qtbot.waitSignal(ledger.runner.succeeded, timeout=WAIT):
            ledger.show()
        switch = ServiceModeSwitch(sessions, lambda: "op-1", metrics, clock=FakeClock(T0))
        qtbot.addWidget(switch)
        with qtbot.waitSignal(switch.mode_changed, timeout=WAIT):
            pass
        with qtbot.waitSignal(switch.mode_changed, timeout=WAIT):
            switch.take_out.click()
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert threads and ui_thread not in threads


def test_the_audit_head_is_grouped_to_wrap() -> None:
    assert grouped_hex(bytes(range(32))) == (
        "00010203 04050607 08090a0b 0c0d0e0f 10111213 14151617 18191a1b 1c1d1e1f"
    )
