"""Staff sign-in (kiosk/ui/staff.py) through its widgets: the in-process staff card (the real card
engine, its PIN counter and its on-card signature; only pcscd is left out), the kiosk's store and
its audit chain. The same panel over pcscd/vpcd, beside a resident's visit, is in
tests/e2e/test_counter_e2e.py."""

from __future__ import annotations

import json
import random
import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from kiosk_store_fixtures import FakeClock, db_path, engine, sessions  # noqa: F401 (fixtures)
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cardemu.card import SoftCard
from cardemu.inprocess import SoftCardConnection
from cardemu.staff import StaffCa, StaffCardSpec, write_staff_card
from cardemu.state import CardState
from kiosk.flows.operator import (
    LoginFailure,
    SessionEnd,
    SessionLimits,
    StaffTrust,
    enroll_operator,
)
from kiosk.reader.errors import NoCard
from kiosk.store.audit import verify_chain
from kiosk.store.models import AuditRecord
from kiosk.ui.i18n import Language, Translations
from kiosk.ui.keypad import PinKeypad
from kiosk.ui.staff import (
    LOGIN_FAILURE_SOURCE,
    SESSION_END_SOURCE,
    OperatorGate,
    Phase,
    StaffSignIn,
    session_end_text,
)

PIN = "4826"
WAIT = 10_000


@pytest.fixture(scope="module")
def staff(tmp_path_factory: pytest.TempPathFactory) -> tuple[StaffCa, dict[str, Path]]:
    root = tmp_path_factory.mktemp("staff")
    ca = StaffCa.create(root / "ca")
    cards = {}
    for name, spec in {
        "op1": StaffCardSpec("op-001", pin=PIN),
        "op2": StaffCardSpec("op-002", pin=PIN),
        "stranger": StaffCardSpec("op-009", pin=PIN),  # a staff CA card nobody enrolled
    }.items():
        cards[name] = root / f"{name}.json"
        write_staff_card(cards[name], spec, ca)
    return ca, cards


class StaffReader:
    """The staff reader with an in-process card: each open powers the card up, as a reader does."""

    def __init__(self) -> None:
        self.card: SoftCard | None = None
        self.path: Path | None = None

    def put(self, path: Path) -> None:
        self.path = path
        self.card = SoftCard(CardState.load(path), path)

    def open(self) -> SoftCardConnection:
        if self.card is None:
            raise NoCard("no card in the staff reader")
        return SoftCardConnection(self.card)

    @property
    def tries(self) -> int:
        assert self.path is not None
        return CardState.load(self.path).jpki.auth_pin.tries_left


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime.now(UTC))


@pytest.fixture
def directory(staff, sessions: sessionmaker[Session], clock: FakeClock) -> sessionmaker[Session]:  # noqa: F811
    ca, cards = staff
    trust = StaffTrust.from_pem_file(ca.cert_path)
    with sessions.begin() as session:
        for name, operator in (("op1", "op-001"), ("op2", "op-002")):
            cert = x509.load_der_x509_certificate(CardState.load(cards[name]).jpki.auth_cert or b"")
            enroll_operator(
                session, operator_id=operator, display_name=operator, certificate=cert, trust=trust,
                now=clock(), actor="test-admin",
            )  # fmt: skip
    return sessions


@pytest.fixture
def panel(qtbot, theme, metrics, staff, directory, clock, tmp_path):
    """(panel, gate, reader, insert): `insert("op1")` puts a private copy of a card in the reader."""
    ca, cards = staff
    gate = OperatorGate(directory, StaffTrust.from_pem_file(ca.cert_path), clock=clock)
    reader = StaffReader()
    widget = StaffSignIn(gate, reader.open, metrics, rng=random.Random(3))
    qtbot.addWidget(widget)
    widget.show()

    def insert(name: str | Path) -> Path:
        source = cards[name] if isinstance(name, str) else name
        copy = tmp_path / f"in-reader-{len(list(tmp_path.glob('in-reader-*')))}.json"
        shutil.copy2(source, copy)
        reader.put(copy)
        widget.card_inserted()
        return copy

    yield widget, gate, reader, insert
    widget.runner.wait(5000)


def type_pin(widget: StaffSignIn, pin: str) -> None:
    keypad = widget.keypad
    assert isinstance(keypad, PinKeypad)
    for ch in pin:
        keypad.press(ord(ch))
    keypad.confirm()


def wait_phase(qtbot, widget: StaffSignIn, phase: Phase) -> None:
    qtbot.waitUntil(lambda: widget.phase is phase, timeout=WAIT)


def operator_records(store: sessionmaker[Session]) -> list[tuple[str, str, dict[str, object]]]:
    with store() as session:
        assert verify_chain(session).ok
        rows = session.scalars(select(AuditRecord).order_by(AuditRecord.id))
        return [
            (r.actor, r.action, json.loads(r.details))
            for r in rows
            if r.action.startswith("operator.") and r.action != "operator.enrolled"
        ]


def sign_in(qtbot, widget: StaffSignIn, insert: Callable[[str], Path], name: str = "op1") -> Path:
    path = insert(name)
    wait_phase(qtbot, widget, Phase.PIN)
    with qtbot.waitSignal(widget.gate.signed_in, timeout=WAIT):
        type_pin(widget, PIN)
    wait_phase(qtbot, widget, Phase.SIGNED_IN)
    return path


# -- the texts -------------------------------------------------------------------------------------


def test_every_reason_has_its_flows_text_as_the_source() -> None:
    """A changed sentence in kiosk.flows.operator must change here too, or it loses its translation."""
    assert {reason: reason.text for reason in LoginFailure} == LOGIN_FAILURE_SOURCE
    assert {end: end.text for end in SessionEnd} == SESSION_END_SOURCE


H, M = timedelta(hours=1), timedelta(minutes=1)


@pytest.mark.parametrize(
    ("end", "limits", "english", "japanese"),
    [
        (SessionEnd.IDLE, SessionLimits(), "Signed out after 30 minutes without activity.",
         "30分間操作がなかったため、ログアウトしました。"),
        (SessionEnd.IDLE, SessionLimits(idle=10 * M), "Signed out after 10 minutes without activity.",
         "10分間操作がなかったため、ログアウトしました。"),
        (SessionEnd.IDLE, SessionLimits(idle=M), "Signed out after 1 minute without activity.",
         "1分間操作がなかったため、ログアウトしました。"),
        # Not whole minutes (tests only; the configuration has whole minutes): no wrong number.
        (SessionEnd.IDLE, SessionLimits(idle=timedelta(seconds=90)),
         "Signed out after the set time without activity.",
         "設定された時間操作がなかったため、ログアウトしました。"),
        (SessionEnd.OVERALL_LIMIT, SessionLimits(), "Signed out: a session lasts at most 12 hours.",
         "ログアウトしました（ログインは最長12時間です）。"),
        (SessionEnd.OVERALL_LIMIT, SessionLimits(overall=8 * H),
         "Signed out: a session lasts at most 8 hours.",
         "ログアウトしました（ログインは最長8時間です）。"),
        (SessionEnd.OVERALL_LIMIT, SessionLimits(overall=H), "Signed out: a session lasts at most 1 hour.",
         "ログアウトしました（ログインは最長1時間です）。"),
        (SessionEnd.OVERALL_LIMIT, SessionLimits(overall=90 * M),
         "Signed out: the session reached its longest allowed time.",
         "ログアウトしました（ログインの最長時間に達しました）。"),
        (SessionEnd.LOGOUT, SessionLimits(idle=5 * M), "Signed out.", "ログアウトしました。"),
    ],
)  # fmt: skip
def test_sign_out_texts_say_the_configured_limits(
    qapp, translations: Translations, end: SessionEnd, limits: SessionLimits, english: str, japanese: str
) -> None:
    assert session_end_text(end, limits) == english
    translations.switch(Language.JA)
    assert session_end_text(end, limits) == japanese


# -- sign-in ---------------------------------------------------------------------------------------


def test_sign_in_with_the_staff_card_and_pin(qtbot, panel, directory) -> None:
    widget, gate, reader, insert = panel
    assert widget.phase is Phase.NO_CARD and gate.operator_of() is None
    assert "Insert your staff card" in widget.status.text()
    sign_in(qtbot, widget, insert)
    assert gate.operator_of() == "op-001"
    assert "Signed in as op-001" in widget.status.text() and "op-001" in widget.who.text()
    assert widget.sign_out.isVisible() and widget.keypad is None
    assert "min" in widget.time_left.text()
    assert reader.tries == 3
    assert [(a, act) for a, act, _ in operator_records(directory)] == [("op-001", "operator.login")]


def test_wrong_pins_say_the_tries_left_then_the_lock_out(qtbot, panel, directory) -> None:
    widget, gate, reader, insert = panel
    insert("op1")
    wait_phase(qtbot, widget, Phase.PIN)
    type_pin(widget, "1111")
    qtbot.waitUntil(lambda: "2 tries left before the staff card locks" in widget.status.text(), timeout=WAIT)
    assert widget.phase is Phase.PIN and reader.tries == 2
    assert "2" in widget.keypad.tries.text()  # the keypad shows the card's counter too
    type_pin(widget, "2222")
    qtbot.waitUntil(lambda: "1 try left before the staff card locks" in widget.status.text(), timeout=WAIT)
    type_pin(widget, "3333")
    qtbot.waitUntil(lambda: widget.phase is Phase.REFUSED, timeout=WAIT)
    assert "locked after too many wrong PINs" in widget.status.text()
    assert widget.keypad is None and reader.tries == 0 and gate.session is None
    actions = [act for _a, act, _d in operator_records(directory)]
    assert actions == ["operator.login_failed", "operator.login_failed", "operator.locked_out"]
    # Inserted again, the locked card is named as such before any PIN is asked.
    widget.card_removed()
    widget.card_inserted()
    qtbot.waitUntil(lambda: widget.phase is Phase.REFUSED, timeout=WAIT)
    assert "locked" in widget.status.text() and widget.keypad is None


def test_a_residents_card_is_not_a_staff_card_and_spends_no_try(qtbot, panel, card_file, directory) -> None:
    widget, _gate, reader, insert = panel
    insert(card_file("adult"))
    wait_phase(qtbot, widget, Phase.REFUSED)
    assert "not a staff card of this office" in widget.status.text()
    assert widget.keypad is None and reader.tries == 3  # the resident's auth PIN: untouched
    assert operator_records(directory) == []  # nothing of a resident's card in the record
    widget.card_removed()
    assert widget.phase is Phase.NO_CARD and "Insert your staff card" in widget.status.text()


def test_a_card_nobody_enrolled_is_refused_in_words(qtbot, panel) -> None:
    widget, _gate, _reader, insert = panel
    insert("stranger")
    wait_phase(qtbot, widget, Phase.REFUSED)
    assert "not registered at this terminal" in widget.status.text()


def test_pulling_the_card_drops_the_typed_pin(qtbot, panel) -> None:
    widget, _gate, _reader, insert = panel
    insert("op1")
    wait_phase(qtbot, widget, Phase.PIN)
    keypad = widget.keypad
    assert isinstance(keypad, PinKeypad)
    keypad.press(ord("4"))
    keypad.press(ord("8"))
    widget.card_removed()
    assert widget.phase is Phase.NO_CARD and widget.keypad is None and keypad.entry_length == 0


def test_a_card_taken_out_while_it_is_read_asks_for_no_pin(qtbot, panel) -> None:
    widget, _gate, _reader, insert = panel
    insert("op1")
    assert widget.runner.busy  # the look at the card is on its way
    widget.card_removed()
    qtbot.waitUntil(lambda: not widget.runner.busy, timeout=WAIT)
    assert widget.phase is Phase.NO_CARD and widget.keypad is None


# -- the session -----------------------------------------------------------------------------------


def test_sign_out_button_ends_and_records_the_session(qtbot, panel, directory, clock) -> None:
    widget, gate, _reader, insert = panel
    sign_in(qtbot, widget, insert)
    widget.card_removed()  # taking the card out does not sign out
    assert gate.operator_of() == "op-001"
    clock.advance(125)
    with qtbot.waitSignal(gate.signed_out, timeout=WAIT) as ended:
        widget.sign_out.click()
    assert ended.args == ["logout"]
    assert gate.operator_of() is None and widget.phase is Phase.NO_CARD
    assert "Signed out." in widget.notice.text()
    assert operator_records(directory)[-1] == (
        "op-001", "operator.logout", {"reason": "logout", "session_minutes": 2}
    )  # fmt: skip


def test_the_counter_keeps_the_operator_while_it_is_used(qtbot, panel, clock) -> None:
    widget, gate, _reader, insert = panel
    sign_in(qtbot, widget, insert)
    for _ in range(3):  # 60 minutes in all, never 30 without a resident's step
        clock.advance(20 * 60)
        assert gate.operator_of() == "op-001"
    clock.advance(30 * 60)  # then nobody comes for 30 minutes
    with qtbot.waitSignal(gate.signed_out, timeout=WAIT) as ended:
        assert gate.check() is SessionEnd.IDLE
    assert ended.args == ["idle"] and gate.operator_of() is None
    assert "30 minutes without activity" in widget.notice.text()


def test_the_overall_limit_ends_a_busy_session(qtbot, panel, clock, directory) -> None:
    widget, gate, _reader, insert = panel
    sign_in(qtbot, widget, insert)
    for _ in range(12 * 3):
        clock.advance(20 * 60)
        gate.touch()
    assert gate.session is None  # 12 hours: no activity extends it
    assert operator_records(directory)[-1][2]["reason"] == "overall_limit"
    assert "at most 12 hours" in widget.notice.text()


def _signed_in_with_limits(qtbot, gate: OperatorGate, staff, metrics, tmp_path: Path) -> StaffSignIn:
    """A panel on `gate` (its own limits and clock) with op1 signed in."""
    _ca, cards = staff
    reader = StaffReader()
    copy = tmp_path / "op1.json"
    shutil.copy2(cards["op1"], copy)
    reader.put(copy)
    widget = StaffSignIn(gate, reader.open, metrics)
    qtbot.addWidget(widget)
    widget.card_inserted()
    wait_phase(qtbot, widget, Phase.PIN)
    with qtbot.waitSignal(gate.signed_in, timeout=WAIT):
        type_pin(widget, PIN)
    return widget


def test_the_notice_names_this_terminals_idle_limit(
    qtbot, metrics, staff, directory, clock, tmp_path
) -> None:
    """`timeouts.operator_idle_minutes = 10` in the configuration: the sign-out says 10 minutes."""
    gate = OperatorGate(
        directory,
        StaffTrust.from_pem_file(staff[0].cert_path),
        limits=SessionLimits(idle=10 * M),
        clock=clock,
    )
    widget = _signed_in_with_limits(qtbot, gate, staff, metrics, tmp_path)
    clock.advance(10 * 60)
    with qtbot.waitSignal(gate.signed_out, timeout=WAIT):
        assert gate.check() is SessionEnd.IDLE
    assert widget.notice.text() == "Signed out after 10 minutes without activity."
    widget.runner.wait(5000)


def test_the_timer_signs_out_at_the_idle_limit(qtbot, metrics, staff, directory, tmp_path) -> None:
    """The real clock and a short idle limit: nothing but the gate's own timer ends the session."""
    limits = SessionLimits(idle=timedelta(seconds=1))
    gate = OperatorGate(directory, StaffTrust.from_pem_file(staff[0].cert_path), limits=limits)
    widget = _signed_in_with_limits(qtbot, gate, staff, metrics, tmp_path)
    with qtbot.waitSignal(gate.signed_out, timeout=5000) as ended:
        pass
    assert ended.args == ["idle"]
    # The card is still in: the panel is ready for the next sign-in at once.
    wait_phase(qtbot, widget, Phase.PIN)


# -- re-authentication for an override -------------------------------------------------------------


def test_an_override_asks_for_the_card_and_pin_again_after_five_minutes(
    qtbot, panel, clock, directory
) -> None:
    widget, gate, _reader, insert = panel
    sign_in(qtbot, widget, insert)
    assert gate.reauthenticate()  # just signed in: fresh enough
    clock.advance(5 * 60 + 1)
    assert gate.operator_of() == "op-001"  # activity is not a proof
    with qtbot.waitSignal(gate.reauth_requested, timeout=WAIT):
        assert not gate.reauthenticate()
    wait_phase(qtbot, widget, Phase.REAUTH_PIN)  # the card is still in the reader
    assert widget.cancel.isVisible() and not widget.sign_out.isVisible()
    type_pin(widget, "0000")
    qtbot.waitUntil(lambda: "2 tries left" in widget.status.text(), timeout=WAIT)
    assert widget.phase is Phase.REAUTH_PIN
    with qtbot.waitSignal(gate.reauthenticated, timeout=WAIT) as confirmed:
        type_pin(widget, PIN)
    assert confirmed.args == ["op-001"]
    assert widget.phase is Phase.SIGNED_IN and "override can go ahead" in widget.status.text()
    assert gate.fresh_for_override and gate.reauthenticate()
    actions = [(act, d.get("purpose")) for _a, act, d in operator_records(directory)]
    assert actions == [
        ("operator.login", None),
        ("operator.login_failed", "reauth"),
        ("operator.reauthenticated", None),
    ]


def test_another_operators_card_cannot_confirm_and_the_override_can_be_cancelled(qtbot, panel, clock) -> None:
    widget, gate, _reader, insert = panel
    sign_in(qtbot, widget, insert)
    widget.card_removed()
    clock.advance(6 * 60)
    assert not gate.reauthenticate()
    assert widget.phase is Phase.SIGNED_IN and "Insert your staff card to confirm" in widget.status.text()
    insert("op2")
    qtbot.waitUntil(lambda: "another operator's staff card" in widget.status.text(), timeout=WAIT)
    assert widget.keypad is None  # no PIN asked of op-002's card
    with qtbot.waitSignal(gate.reauth_cancelled, timeout=WAIT):
        widget.cancel.click()
    assert not widget.cancel.isVisible() and gate.operator_of() == "op-001"
    assert not gate.fresh_for_override
