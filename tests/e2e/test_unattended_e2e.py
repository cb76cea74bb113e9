"""The unattended PIN-reset terminal end to end, every real part in place: the application's main
window (`UnattendedMain`: the resident's screens, offscreen Qt) fed by the reader monitor; the
resident's software card in the PC/SC harness (pcscd + vpcd); the central as its own process
(HTTPS, mutual TLS) with this kiosk registered there as an *unattended* terminal; the face check
on a video file as the camera, with the head-turn challenge, and the matcher in its own process.

The card is the demo's (demo/seed.py): its user-authentication certificate was issued by the
central at a counter, so its user-authentication PIN proves the holder when the *signing* PIN is
reset. Its chip photo is the face set's "obama"; the clips are that person turning right, left,
right (the challenge's random order is seeded to ask exactly that: a file cannot follow a random
challenge), someone else ("biden") doing the same, and the holder's card held up to the camera.

- success: the signing PIN is reset — the new PIN verifies on the card over PC/SC, the auth PIN
  is untouched, and the central lists the attempt completed with its application completed;
- a wrong user-authentication PIN twice: the terminal stops with one try left (referral, the
  card's counter at 1, the signing PIN unchanged);
- a stranger's face: referral "did not match", nothing reset, the decision recorded;
- the holder's card photo held up to the camera: referral for a presentation attack;
- the central refusing: the per-card rate limit (the allowed tickets opened first) and a card
  suspended at the central between the card check and the choice — each referral names why;
- the card pulled during the reset's card write: the attempt ends at once; the card keeps its old
  signing PIN, the central's application is approved but the attempt is reported referred
  (card removed) — the state docs/unattended.md describes.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from e2e_support import (
    TERMINAL,
    CentralProcess,
    PullingReader,
    enrol_terminal,
    touch_keys,
)
from sqlalchemy import select

import facekit
from appdata.unattended import Reason, Refusal, TicketRequest
from cardemu.harness import READER, PcscHarness
from cardemu.residents import AUTH_PIN, SIGN_PIN
from cardemu.staff import StaffCa
from cardemu.state import CardState
from cardemu.testpki import TestPki
from central.enums import ApplicationStatus, AuthorizationOutcome, TerminalMode
from central.models import AdminAuthorization
from central.service import Central
from central.unattended import ResetAttempt
from demo import seed
from kiosk.domain.pin_rules import PinKind, PinUse
from kiosk.domain.secret import Secret
from kiosk.facecheck.camera import Capture
from kiosk.facecheck.liveness import Turn, new_challenge
from kiosk.facecheck.matcher import Matcher, ProcessMatcher
from kiosk.facecheck.policy import DEFAULT_POLICY
from kiosk.flows.counter.assembly import TerminalConfig, open_terminal
from kiosk.flows.counter.machine import Outcome
from kiosk.flows.unattended import Capabilities
from kiosk.reader.errors import InvalidPin
from kiosk.reader.jpki import JpkiPin, JpkiSession
from kiosk.reader.pcsc import ReaderMonitor, open_card
from kiosk.reader.transport import Transport
from kiosk.store.models import AuditRecord
from kiosk.ui.i18n import Language, Translations
from kiosk.ui.keypad import PinKeypad
from kiosk.ui.theme import Metrics
from kiosk.ui.unattended import UnattendedWindow
from kiosk.ui.unattended_app import UnattendedMain

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # read when pytest-qt makes the QApplication
pytestmark = pytest.mark.pcsc
WAIT = 30_000  # ms: a step through pcscd, the central and the card
FACE = 90_000  # ms: the clip read until the matcher decides
NEW_SIGN_PIN = "SHOP2026X"
RESET_RETRY_COUNTER = 0x2C  # INS of the reset's card write (kiosk/reader/admin.py)
# Head turns at 15 fps: frontal for the fused frames, then right, back, left, back, right, back.
RIGHT_LEFT_RIGHT = (
    *((12, 20, 1.0), (26, 34, 0.0)),
    *((40, 48, -1.0), (54, 62, 0.0)),
    *((68, 76, 1.0), (82, 90, 0.0)),
)


def seed_asking(turns: tuple[Turn, ...]) -> int:
    """The challenge's seed that asks `turns`: the clips were recorded in that order."""
    return next(s for s in range(1000) if new_challenge(random.Random(s), DEFAULT_POLICY) == turns)


ASKS_RIGHT_LEFT_RIGHT = seed_asking((Turn.RIGHT, Turn.LEFT, Turn.RIGHT))


# -- what the module shares ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def central(central_service: CentralProcess) -> Iterator[Central]:
    """The test's own handle on the central's database: set-up and checks."""
    handle = central_service.central()
    try:
        yield handle
    finally:
        handle.close()


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("camera")
    return {
        "holder": facekit.live_clip(directory / "holder.avi", "obama", RIGHT_LEFT_RIGHT),
        "stranger": facekit.live_clip(directory / "stranger.avi", "biden", RIGHT_LEFT_RIGHT),
        "card_photo": facekit.card_photo_attack_clip(directory / "card.avi", "obama", frames=40),
    }


@pytest.fixture(scope="module")
def matcher() -> Iterator[Matcher]:
    """The face matcher in its own process, as the terminal runs it: started once, reused."""
    with ProcessMatcher(DEFAULT_POLICY) as running:
        yield running.start()


# -- one test's terminal ---------------------------------------------------------------------------


@dataclass
class Shop:
    """One test's unattended terminal and what the test checks it against."""

    main: UnattendedMain
    central: Central
    harness: PcscHarness
    reader: PullingReader
    seeded: seed.SeededCard
    terminal_id: str

    @property
    def window(self) -> UnattendedWindow:
        return self.main.window

    @property
    def card_hex(self) -> str:
        return self.seeded.card_id.hex()

    def card(self) -> CardState:
        return CardState.load(self.seeded.path)

    def attempts(self) -> list[ResetAttempt]:
        return self.central.reset_attempts(card_id=self.card_hex)

    def audit(self) -> list[tuple[str, dict[str, object]]]:
        with self.main.running.counter.sessions() as session:
            return [
                (r.action, json.loads(r.details))
                for r in session.scalars(select(AuditRecord).order_by(AuditRecord.id))
            ]


OpenShop = Callable[..., Shop]


@pytest.fixture
def open_shop(
    qtbot,
    qapp,
    central_service: CentralProcess,
    central: Central,
    staff_ca: StaffCa,
    pcsc_harness: PcscHarness,
    matcher: Matcher,
    test_pki: TestPki,
    tmp_path: Path,
) -> Iterator[OpenShop]:
    """`open_shop(clip)`: a new unattended terminal at the central (both PINs), its data directory
    as the installer leaves it, the demo's card seeded through the counter terminal, the main
    window fed by the reader monitor, and the card in the reader."""
    opened: list[tuple[ReaderMonitor, UnattendedMain, Translations]] = []

    def open_(clip: Path) -> Shop:
        terminal_id = f"kiosk-shop-{uuid.uuid4().hex[:8]}"
        data = tmp_path / "data"
        enrol_terminal(
            central, terminal_id, data / "terminal", mode=TerminalMode.UNATTENDED, reset_pins=("sign", "auth")
        )
        seed.prepare_terminal(data, central.authority, test_pki, staff_ca, tmp_path / "staff.json")
        counter_key, _chain, _root = central_service.identity.load()
        seeded = seed.seed_renewable_card(
            tmp_path / "resident.json", test_pki, central, terminal_id=TERMINAL, terminal_key=counter_key
        )
        running = open_terminal(TerminalConfig(data, terminal_id, central_service.url, READER))
        translations = Translations(qapp)
        reader = PullingReader(pcsc_harness)
        try:
            main = UnattendedMain(
                running,
                Capabilities(),
                translations,
                Metrics(96.0),
                open_resident=reader.open,
                open_staff=lambda: open_card(READER),
                matcher=matcher,
                # Read as fast as the check takes it: the check runs on the clip's own time.
                camera=lambda: Capture(str(clip), realtime=False),
                challenge_rng=lambda: random.Random(ASKS_RIGHT_LEFT_RIGHT),
            )
        except BaseException:
            running.stop()
            translations.uninstall()
            raise
        qtbot.addWidget(main)
        main.resize(1280, 800)
        main.show()
        monitor = ReaderMonitor(main.post)
        opened.append((monitor, main, translations))
        monitor.start()
        pcsc_harness.insert(seeded.path)
        return Shop(main, central, pcsc_harness, reader, seeded, terminal_id)

    try:
        yield open_
    finally:
        for monitor, main, translations in opened:
            monitor.stop()
            main.shutdown()
            translations.uninstall()
        if pcsc_harness.status(0).get("card"):
            pcsc_harness.remove(slot=0)


# -- driving the widgets ---------------------------------------------------------------------------


def wait_keypad(
    qtbot,
    shop: Shop,
    kind: PinKind,
    use: PinUse = PinUse.CURRENT,
    *,
    after: PinKeypad | None = None,
    timeout: int = WAIT,
) -> PinKeypad:
    window = shop.window

    def asking() -> bool:
        screen = window.code_b if kind is PinKind.CODE_B else window.pin
        keypad = screen.keypad
        return (
            window.stack.currentWidget() is screen
            and isinstance(keypad, PinKeypad)
            and keypad is not after
            and keypad.kind is kind
            and keypad.use is use
            and not window.runner.busy
        )

    qtbot.waitUntil(asking, timeout=timeout)
    keypad = window.code_b.keypad if kind is PinKind.CODE_B else window.pin.keypad
    assert isinstance(keypad, PinKeypad)
    return keypad


def start(qtbot, shop: Shop) -> None:
    """English on the attract screen; the card (in the reader) is checked: the choice."""
    window = shop.window
    qtbot.waitUntil(
        lambda: window.card_present, timeout=WAIT
    )  # the monitor saw it, the probe said "resident"
    window.attract.buttons[Language.EN].click()
    qtbot.waitUntil(lambda: window.stack.currentWidget() in (window.choose, window.outcome), timeout=WAIT)


def to_face(qtbot, shop: Shop) -> None:
    """Choose the signing PIN, prove the auth PIN, key in 照合番号B: the face check starts."""
    start(qtbot, shop)
    window = shop.window
    assert list(window.choose.pin_buttons) == [PinKind.SIGN], window.choose.reason_lines
    window.choose.pin_buttons[PinKind.SIGN].click()
    touch_keys(wait_keypad(qtbot, shop, PinKind.AUTH), AUTH_PIN)
    touch_keys(wait_keypad(qtbot, shop, PinKind.CODE_B), shop.seeded.spec.pin_b)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.face, timeout=WAIT)


def referral(qtbot, shop: Shop, timeout: int = WAIT) -> str:
    window = shop.window
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.outcome, timeout=timeout)
    assert window.outcome.referred, window.outcome.lines.text()
    assert window.outcome.title.text() == "Please go to the municipal counter"
    return window.outcome.lines.text()


def reported(qtbot, shop: Shop) -> ResetAttempt:
    """The attempt once the terminal's outcome report has reached the central (it is sent off the
    UI thread, store-and-forward)."""
    qtbot.waitUntil(lambda: bool(shop.attempts()) and shop.attempts()[-1].outcome is not None, timeout=WAIT)
    return shop.attempts()[-1]


def verify_on_card(pin: JpkiPin, value: str) -> None:
    """VERIFY over PC/SC, as any JPKI client would (raises InvalidPin when it is not the PIN)."""
    connection = open_card(READER)
    try:
        with Secret.from_ascii(value) as secret:
            JpkiSession(Transport(connection)).verify(pin, secret)
    finally:
        connection.close()


def signing_pin_untouched(shop: Shop) -> None:
    state = shop.card().jpki.sign_pin
    assert state.value == SIGN_PIN and state.tries_left == state.max_tries


# -- the tests -------------------------------------------------------------------------------------


def test_the_signing_pin_is_reset_with_the_auth_pin_and_the_face(
    qtbot, open_shop: OpenShop, clips: dict[str, Path]
) -> None:
    shop = open_shop(clips["holder"])
    to_face(qtbot, shop)
    window = shop.window
    # The challenge is passed and 機構 authorises: the new PIN, twice.
    keypad = wait_keypad(qtbot, shop, PinKind.SIGN, PinUse.NEW, timeout=FACE)
    touch_keys(keypad, NEW_SIGN_PIN)
    touch_keys(keypad, NEW_SIGN_PIN)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.outcome, timeout=WAIT)
    assert window.outcome.receipt is not None, window.outcome.lines.text()
    text = window.outcome.lines.text()
    assert "Your signing PIN has been reset" in text and window.outcome.receipt.attempt in text
    assert window.last_ending is not None and window.last_ending.outcome is Outcome.COMPLETED
    # The card: the new signing PIN verifies; the auth PIN is the same, its counter full again.
    verify_on_card(JpkiPin.SIGN, NEW_SIGN_PIN)
    with pytest.raises(InvalidPin):
        verify_on_card(JpkiPin.SIGN, SIGN_PIN)
    card = shop.card().jpki
    assert card.auth_pin.value == AUTH_PIN and card.auth_pin.tries_left == card.auth_pin.max_tries
    # The central: the ticket's attempt completed, its PIN_RESET application done.
    attempt = reported(qtbot, shop)
    assert attempt.status(dt.datetime.now(dt.UTC)) == "completed" and attempt.target == "sign"
    assert attempt.terminal_id == shop.terminal_id
    assert attempt.application_status is ApplicationStatus.APPROVED  # and the card write done under it
    actions = [action for action, _d in shop.audit()]
    assert "identity.face_check" in actions and "pin.reset" in actions
    # The record is the decision (numbers and fixed phrases), never a picture.
    face = next(d for action, d in shop.audit() if action == "identity.face_check")
    assert face["outcome"] == "matched" and face["liveness"] is True


def test_a_wrong_auth_pin_stops_before_the_last_try(
    qtbot, open_shop: OpenShop, clips: dict[str, Path]
) -> None:
    shop = open_shop(clips["holder"])
    start(qtbot, shop)
    window = shop.window
    window.choose.pin_buttons[PinKind.SIGN].click()
    first = wait_keypad(qtbot, shop, PinKind.AUTH)
    touch_keys(first, "0000")
    second = wait_keypad(qtbot, shop, PinKind.AUTH, after=first)
    assert "2" in second.tries.text()  # the card's counter after the wrong entry
    assert "last try at this terminal" in window.pin.status.text()
    touch_keys(second, "0001")
    text = referral(qtbot, shop)
    assert "stops before the last try" in text and "Nothing was changed on your card." in text
    card = shop.card().jpki
    assert card.auth_pin.tries_left == 1  # not locked: the last try is the counter's
    signing_pin_untouched(shop)
    attempt = reported(qtbot, shop)
    assert attempt.outcome_reason == Reason.OTHER_PIN_WRONG.value


def test_a_stranger_is_referred_and_nothing_is_reset(
    qtbot, open_shop: OpenShop, clips: dict[str, Path]
) -> None:
    shop = open_shop(clips["stranger"])
    to_face(qtbot, shop)
    text = referral(qtbot, shop, FACE)
    assert shop.window.outcome.reason is Reason.FACE_MISMATCH
    assert "did not match the photo" in text
    signing_pin_untouched(shop)
    face = [d for action, d in shop.audit() if action == "identity.face_check"]
    assert len(face) == 1 and face[0]["outcome"] == "not_matched"
    attempt = reported(qtbot, shop)
    assert attempt.outcome_reason == Reason.FACE_MISMATCH.value
    assert attempt.application_id is None  # nothing was filed: 機構 authorised nothing


def test_the_card_photo_held_up_is_a_presentation_attack(
    qtbot, open_shop: OpenShop, clips: dict[str, Path]
) -> None:
    shop = open_shop(clips["card_photo"])
    to_face(qtbot, shop)
    text = referral(qtbot, shop, FACE)
    assert shop.window.outcome.reason is Reason.PRESENTATION_ATTACK
    assert "a photo or a screen was shown" in text
    signing_pin_untouched(shop)
    face = [d for action, d in shop.audit() if action == "identity.face_check"]
    assert len(face) == 1 and face[0]["outcome"] == "attack_suspected"
    assert reported(qtbot, shop).outcome_reason == Reason.PRESENTATION_ATTACK.value


def test_the_central_refuses_a_card_over_its_ticket_limit(
    qtbot, open_shop: OpenShop, clips: dict[str, Path]
) -> None:
    shop = open_shop(clips["holder"])
    limit = shop.central.unattended.tickets_per_card
    for _ in range(limit):  # attempts elsewhere today: each opened a ticket
        answer = shop.central.request_reset_ticket(
            TicketRequest(shop.card_hex, "sign"), terminal_id=shop.terminal_id
        )
        assert answer.granted
    start(qtbot, shop)
    shop.window.choose.pin_buttons[PinKind.SIGN].click()
    text = referral(qtbot, shop)
    outcome = shop.window.outcome
    assert outcome.reason is Reason.CENTRAL_REFUSED and outcome.refusal is Refusal.RATE_LIMITED_CARD
    assert "did not allow this reset" in text and "too many reset attempts" in text
    assert shop.card().jpki.auth_pin.tries_left == 3  # refused before any PIN was asked
    refused = shop.attempts()[-1]
    assert refused.refusal == Refusal.RATE_LIMITED_CARD.value and len(shop.attempts()) == limit + 1


def test_the_central_refuses_a_card_suspended_meanwhile(
    qtbot, open_shop: OpenShop, clips: dict[str, Path]
) -> None:
    """The card was in operation when it was checked; reported lost (一時停止) before the choice:
    the central refuses the ticket, and the referral says the card is not in operation."""
    shop = open_shop(clips["holder"])
    start(qtbot, shop)
    shop.central.suspend_card(shop.seeded.card_id)
    shop.window.choose.pin_buttons[PinKind.SIGN].click()
    text = referral(qtbot, shop)
    assert shop.window.outcome.refusal is Refusal.CARD_NOT_OPERATING
    assert "not in operation" in text
    assert shop.attempts()[-1].refusal == Refusal.CARD_NOT_OPERATING.value
    signing_pin_untouched(shop)


def test_the_card_pulled_during_the_reset(qtbot, open_shop: OpenShop, clips: dict[str, Path]) -> None:
    shop = open_shop(clips["holder"])
    to_face(qtbot, shop)
    window = shop.window
    keypad = wait_keypad(qtbot, shop, PinKind.SIGN, PinUse.NEW, timeout=FACE)
    shop.reader.pull_at(RESET_RETRY_COUNTER)  # the hand comes as the new PIN is written
    touch_keys(keypad, NEW_SIGN_PIN)
    with qtbot.waitSignal(window.session_ended, timeout=WAIT) as ended:
        touch_keys(keypad, NEW_SIGN_PIN)
    assert shop.reader.pulled.is_set()
    assert ended.args[0] is not None and ended.args[0].outcome is Outcome.CARD_REMOVED
    text = referral(qtbot, shop)
    assert window.outcome.reason is Reason.CARD_REMOVED and window.outcome.card_maybe_changed
    assert "may or may not have been reset" in text
    # The write never reached the card: it keeps its signing PIN.
    signing_pin_untouched(shop)
    # The central authorised this one reset (the application approved under the ticket) and was
    # told it did not happen: the attempt is referred, card removed. A later attempt needs a new
    # ticket; staff at the counter see both in the attempts listing.
    attempt = reported(qtbot, shop)
    assert attempt.outcome_reason == Reason.CARD_REMOVED.value
    assert attempt.application_status is ApplicationStatus.APPROVED
    with shop.central.transaction() as session:  # its single-use authorisation was granted, once
        grants = session.scalars(
            select(AdminAuthorization.outcome).where(
                AdminAuthorization.application_id == attempt.application_id
            )
        ).all()
    assert grants == [AuthorizationOutcome.GRANTED]
    # The card back in: the screen starts again, the old signing PIN still verifies.
    shop.harness.insert(shop.seeded.path)
    qtbot.waitUntil(lambda: window.card_present, timeout=WAIT)
    window.outcome.finish.click()
    assert window.stack.currentWidget() is window.take_card
    verify_on_card(JpkiPin.SIGN, SIGN_PIN)
