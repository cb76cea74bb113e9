"""The counter application's main window (kiosk/ui/app.py) without pcscd: `open_terminal` on a data
directory laid out as the demo lays it out (demo/seed.py), the real central served in-process, the
software cards in in-process readers, reader events fed as the monitor would post them. The same
window over pcscd/vpcd with the central as its own process: tests/e2e/test_counter_e2e.py."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flowkit import TERMINAL, CentralServer, Slot, central_server
from PySide6.QtWidgets import QApplication

from cardemu.residents import AUTH_PIN, JUKI_PIN, KENHOJO_PIN
from cardemu.staff import StaffCa
from cardemu.testpki import TestPki
from central.enums import CertStatus
from demo import seed
from kiosk.domain.eligibility import Certificate
from kiosk.domain.procedures import Item, Procedure
from kiosk.flows.counter.assembly import TerminalConfig, open_terminal
from kiosk.flows.counter.machine import Outcome
from kiosk.flows.counter.terminal import RecipientError, load_recipient
from kiosk.reader.pcsc import ReaderEvent, ReaderEventKind
from kiosk.ui.app import CounterMain, StaffCaMissing
from kiosk.ui.i18n import Language, Translations
from kiosk.ui.keypad import PinKeypad
from kiosk.ui.staff import Phase
from kiosk.ui.theme import Metrics

RESIDENT, STAFF = "ACME Reader 00", "ACME Reader 01"
WAIT = 20_000
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class World:
    server: CentralServer
    data: Path
    resident: Path
    staff: Path
    seeded: seed.SeededCard


@pytest.fixture
def world(tmp_path: Path, test_pki: TestPki) -> Iterator[World]:
    with central_server(tmp_path / "central") as server:
        data = tmp_path / "data"
        shutil.copytree(tmp_path / "central" / "terminal", data / "terminal")  # the bootstrapped identity
        staff_ca = StaffCa.create(tmp_path / "staff-ca")
        seed.prepare_terminal(data, server.central.authority, test_pki, staff_ca, tmp_path / "staff.json")
        seeded = seed.seed_renewable_card(
            tmp_path / "resident.json", test_pki, server.central, terminal_id=TERMINAL,
            terminal_key=server.terminal_key,
        )  # fmt: skip
        yield World(server, data, seeded.path, tmp_path / "staff.json", seeded)


def build(
    qtbot,
    qapp: QApplication,
    metrics: Metrics,
    world: World,
    *,
    resident: str | None,
    staff: str | None,
    one_slot: Slot | None = None,
) -> CounterMain:
    running = open_terminal(TerminalConfig(world.data, TERMINAL, world.server.url, resident, staff))
    running.counter.certificate_wait_s = 10
    translations = Translations(qapp)
    main = CounterMain(
        running,
        translations,
        metrics,
        open_resident=(one_slot or Slot(world.resident)).open,
        open_staff=(one_slot or Slot(world.staff)).open,
    )
    qtbot.addWidget(main)
    main.show()
    main.destroyed.connect(translations.uninstall)
    return main


def event(kind: ReaderEventKind, reader: str) -> ReaderEvent:
    return ReaderEvent(kind, reader, b"\x3b" if kind is ReaderEventKind.CARD_INSERTED else b"")


def type_pin(keypad: object, pin: str) -> None:
    assert isinstance(keypad, PinKeypad)
    for ch in pin:
        keypad.press(ord(ch))
    keypad.confirm()


def enter(qtbot, main: CounterMain, kind: str, pin: str) -> None:
    window = main.counter
    qtbot.waitUntil(
        lambda: (
            isinstance(window.pin.keypad, PinKeypad)
            and window.stack.currentWidget() is window.pin
            and window.pin.keypad.kind.name == kind
        ),
        timeout=WAIT,
    )
    type_pin(window.pin.keypad, pin)


def sign_in(qtbot, main: CounterMain) -> None:
    qtbot.waitUntil(lambda: main.staff.phase is Phase.PIN, timeout=WAIT)
    with qtbot.waitSignal(main.gate.signed_in, timeout=WAIT):
        type_pin(main.staff.keypad, seed.STAFF_PIN)


# -- the files the terminal is installed with ------------------------------------------------------


def test_the_central_encryption_certificate_is_accepted_only_with_its_chain(
    world: World, tmp_path: Path
) -> None:
    authority = world.server.central.authority
    assert load_recipient(world.data / seed.RECIPIENT_FILE, authority.root.cert).public_numbers() == (
        authority.encryption_key.public_key().public_numbers()
    )
    alone = tmp_path / "alone.pem"
    alone.write_bytes((world.data / seed.RECIPIENT_FILE).read_bytes().split(b"-----END CERTIFICATE-----")[0]
                      + b"-----END CERTIFICATE-----\n")  # fmt: skip
    with pytest.raises(RecipientError, match="does not chain"):
        load_recipient(alone, authority.root.cert)  # the terminal CA is missing: no chain to the root
    with pytest.raises(RecipientError, match="does not chain"):
        load_recipient(world.data / seed.RECIPIENT_FILE, authority.terminal_ca.cert)  # another anchor


def test_no_staff_ca_no_counter(qapp, metrics: Metrics, world: World) -> None:
    (world.data / seed.STAFF_CA_FILE).unlink()
    running = open_terminal(TerminalConfig(world.data, TERMINAL, world.server.url, RESIDENT, STAFF))
    slot = Slot(world.resident)
    try:
        with pytest.raises(StaffCaMissing):
            CounterMain(running, Translations(qapp), metrics, open_resident=slot.open, open_staff=slot.open)
    finally:
        running.stop()


def test_the_cli_wants_the_residents_reader_named_beside_the_staff_reader(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "kiosk", "counter", "--data-dir", str(tmp_path), "--terminal-id", "t",
         "--central-url", "https://127.0.0.1:1/pkix/", "--staff-reader", STAFF],
        capture_output=True, text=True, timeout=60, check=False, cwd=ROOT,
    )  # fmt: skip
    assert result.returncode == 2 and "name the resident's reader with --reader" in result.stderr


# -- routing reader events -------------------------------------------------------------------------


def test_staff_and_resident_readers_renewal_through_the_main_window(
    qtbot, qapp, metrics: Metrics, world: World
) -> None:
    main = build(qtbot, qapp, metrics, world, resident=RESIDENT, staff=STAFF)
    try:
        # The monitor posts from its own thread; the window handles the event on the UI thread.
        poster = threading.Thread(target=main.post, args=(event(ReaderEventKind.CARD_INSERTED, STAFF),))
        poster.start()
        poster.join()
        sign_in(qtbot, main)
        assert main.gate.operator_of() == seed.OPERATOR_ID
        assert not main.counter.card_present  # the staff card is no resident's card
        main.on_reader_event(event(ReaderEventKind.CARD_INSERTED, RESIDENT))
        qtbot.waitUntil(lambda: main.counter.card_present, timeout=WAIT)  # after the recovery's turn
        window = main.counter
        window.attract.buttons[Language.EN].click()
        qtbot.waitUntil(lambda: window.stack.currentWidget() is window.menu, timeout=WAIT)
        window.menu.button_for(Item(Procedure.RENEWAL, Certificate.USER_AUTH)).click()
        enter(qtbot, main, "JUKI", JUKI_PIN)
        enter(qtbot, main, "KENHOJO", KENHOJO_PIN)
        enter(qtbot, main, "AUTH", AUTH_PIN)
        qtbot.waitUntil(lambda: window.stack.currentWidget() is window.result, timeout=60_000)
        assert window.visit is not None and window.visit.flow is not None
        assert window.visit.flow.ending is not None and window.visit.flow.ending.outcome is Outcome.COMPLETED
        assert world.server.central.certificate_status(world.seeded.serial).status is CertStatus.REVOKED
        # Taking the staff card out signs nobody out; taking the resident's card out ends the visit.
        main.on_reader_event(event(ReaderEventKind.CARD_REMOVED, STAFF))
        assert main.gate.operator_id == seed.OPERATOR_ID and not main.staff.card_present
        with qtbot.waitSignal(window.visit_ended, timeout=WAIT) as ended:
            main.on_reader_event(event(ReaderEventKind.CARD_REMOVED, RESIDENT))
        assert ended.args == [Outcome.CARD_REMOVED.value] and not window.card_present
        assert window.visit is None
    finally:
        main.shutdown()
    assert main.gate.session is None  # shutdown signed the operator out (recorded)


def test_one_reader_for_both_staff_card_first(qtbot, qapp, metrics: Metrics, world: World) -> None:
    reader = Slot(world.staff)
    main = build(qtbot, qapp, metrics, world, resident=None, staff=None, one_slot=reader)
    try:
        main.on_reader_event(event(ReaderEventKind.CARD_INSERTED, RESIDENT))  # nobody signed in: staff
        sign_in(qtbot, main)
        assert not main.counter.card_present
        main.on_reader_event(event(ReaderEventKind.CARD_REMOVED, RESIDENT))
        assert not main.staff.card_present and main.gate.operator_id == seed.OPERATOR_ID
        reader.put(world.resident)
        main.on_reader_event(event(ReaderEventKind.CARD_INSERTED, RESIDENT))  # signed in: a resident
        qtbot.waitUntil(lambda: main.counter.card_present, timeout=WAIT)
        assert not main.staff.card_present
        window = main.counter
        window.attract.buttons[Language.EN].click()
        qtbot.waitUntil(
            lambda: window.stack.currentWidget() is window.menu, timeout=WAIT
        )  # read as a resident's
    finally:
        main.shutdown()
