"""Operator authentication (kiosk.flows.operator) with staff cards on the in-process software card:
the card engine, its PIN counter and its on-card signature are the real ones, only pcscd is left out
(tests/pcsc/test_operator_over_pcsc.py goes through the staff reader)."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from kiosk_store_fixtures import FakeClock
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cardemu.card import SoftCard
from cardemu.inprocess import SoftCardConnection
from cardemu.staff import StaffCa, StaffCardSpec, write_staff_card
from cardemu.state import CardState, EmptyVerifyQuirk
from kiosk.domain.secret import Secret
from kiosk.flows.operator import (
    CHALLENGE_CONTEXT,
    DifferentOperator,
    NotAStaffCard,
    OperatorAlreadyEnrolled,
    OperatorAuthError,
    OperatorCardLocked,
    OperatorDirectoryError,
    OperatorDisabled,
    OperatorNotEnrolled,
    OperatorSession,
    OperatorSessionExpired,
    SessionEnd,
    StaffCardKeyMismatch,
    StaffCardRemoved,
    StaffCertificateExpired,
    StaffCertificateNotYetValid,
    StaffTrust,
    WrongOperatorPin,
    WrongPinFormat,
    authenticate,
    certificate_fingerprint,
    disable_operator,
    enroll_operator,
    list_operators,
    logout,
    read_staff_certificate,
    reauthenticate,
)
from kiosk.reader.errors import CardRemoved
from kiosk.reader.trace import ApduTrace
from kiosk.reader.transport import Transport
from kiosk.store.audit import verify_chain
from kiosk.store.models import AuditRecord, Operator

PIN = "1234"
TODAY = date.today()


@dataclass(frozen=True)
class StaffWorld:
    ca: StaffCa
    other_ca: StaffCa  # another municipality's staff CA: its cards are not ours
    cards: dict[str, Path]  # templates: copy before use


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> StaffWorld:
    root = tmp_path_factory.mktemp("staff")
    ca = StaffCa.create(root / "ca", "13112")
    other = StaffCa.create(root / "other-ca", "14104")
    specs = {
        "op1": (StaffCardSpec("op-001"), ca),
        "op2": (StaffCardSpec("op-002"), ca),
        "locked": (StaffCardSpec("op-003", pin_tries_left=0), ca),
        "expired": (
            StaffCardSpec(
                "op-004", issue_date=TODAY - timedelta(days=1200), expiry=TODAY - timedelta(days=30)
            ),
            ca,
        ),
        "foreign": (StaffCardSpec("op-001", municipality="14104"), other),
    }
    cards = {}
    for key, (spec, issuer) in specs.items():
        cards[key] = root / f"{key}.json"
        write_staff_card(cards[key], spec, issuer)
    return StaffWorld(ca, other, cards)


@pytest.fixture
def trust(world: StaffWorld) -> StaffTrust:
    return StaffTrust.from_pem_file(world.ca.cert_path)


@dataclass
class InsertedCard:
    transport: Transport
    trace: ApduTrace
    card: SoftCard
    path: Path

    @property
    def auth_tries(self) -> int:
        return CardState.load(self.path).jpki.auth_pin.tries_left

    def lines(self, name: str) -> list[str]:
        return [line for line in self.trace.lines if line.startswith(f"> {name}:")]


class PullAfter(SoftCardConnection):
    """A staff card that leaves the reader after `n` APDUs, as a hand pulling it would."""

    def __init__(self, card: SoftCard, n: int) -> None:
        super().__init__(card)
        self.left = n

    def transmit(self, apdu: bytes) -> bytes:
        if self.left == 0:
            self.pull()
        self.left -= 1
        return super().transmit(apdu)


@pytest.fixture
def insert(world: StaffWorld, tmp_path: Path) -> Callable[..., InsertedCard]:
    """`insert("op1")`: a private copy of a staff card (or of a path) in an in-process reader."""
    copies = 0

    def make(name: str | Path, *, pull_after: int | None = None) -> InsertedCard:
        nonlocal copies
        copies += 1
        source = world.cards[name] if isinstance(name, str) else name
        path = tmp_path / f"inserted-{copies}.json"
        shutil.copy2(source, path)
        card = SoftCard(CardState.load(path), path)
        connection = SoftCardConnection(card) if pull_after is None else PullAfter(card, pull_after)
        trace = ApduTrace(keep=True)
        return InsertedCard(Transport(connection, trace), trace, card, path)

    return make


def _certificate(path: Path) -> x509.Certificate:
    return x509.load_der_x509_certificate(CardState.load(path).jpki.auth_cert or b"")


def _fingerprint(path: Path) -> str:
    return certificate_fingerprint(_certificate(path)).hex()


@pytest.fixture
def directory(
    world: StaffWorld, trust: StaffTrust, sessions: sessionmaker[Session], clock: FakeClock
) -> sessionmaker[Session]:
    """op-001, op-002, op-003 (locked card) enrolled today; op-004 enrolled while its card was valid."""
    with sessions() as session, session.begin():
        for key, op in (("op1", "op-001"), ("op2", "op-002"), ("locked", "op-003")):
            enroll_operator(
                session,
                operator_id=op,
                display_name=f"窓口{op[-1]}",
                certificate=_certificate(world.cards[key]),
                trust=trust,
                now=clock.now,
                actor="test-admin",
            )
        enroll_operator(
            session,
            operator_id="op-004",
            display_name="窓口4",
            certificate=_certificate(world.cards["expired"]),
            trust=trust,
            now=clock.now - timedelta(days=60),
            actor="test-admin",
        )
    return sessions


def login(
    card: InsertedCard,
    directory: sessionmaker[Session],
    trust: StaffTrust,
    now: datetime,
    pin: str = PIN,
    rng: Callable[[int], bytes] | None = None,
) -> OperatorSession:
    extra = {} if rng is None else {"rng": rng}
    return authenticate(
        card.transport, Secret.from_ascii(pin), trust=trust, sessions=directory, now=now, **extra
    )


Record = tuple[str, str, str, dict[str, object]]


def records(sessions: sessionmaker[Session]) -> list[Record]:
    """(actor, action, subject, details) of every operator record; the chain must verify."""
    with sessions() as session:
        assert verify_chain(session).ok
        rows = session.scalars(select(AuditRecord).order_by(AuditRecord.id))
        return [
            (r.actor, r.action, r.subject, json.loads(r.details))
            for r in rows
            if r.action.startswith("operator.")
        ]


def login_records(sessions: sessionmaker[Session]) -> list[Record]:
    """The records after the directory fixture's enrolments."""
    return [r for r in records(sessions) if r[1] != "operator.enrolled"]


# -- good login ------------------------------------------------------------------------------------


def test_good_login(
    insert: Callable[..., InsertedCard], directory: sessionmaker[Session], trust: StaffTrust, clock: FakeClock
) -> None:
    card = insert("op1")
    pin = Secret.from_ascii(PIN)
    challenges: list[bytes] = []

    def rng(n: int) -> bytes:
        challenges.append(bytes(range(n)) if not challenges else bytes(reversed(range(n))))
        return challenges[-1]

    session = authenticate(card.transport, pin, trust=trust, sessions=directory, now=clock.now, rng=rng)
    assert pin.wiped
    assert session.operator_id == "op-001"
    assert session.started_at == session.authenticated_at == session.last_activity == clock.now
    assert session.cert_sha256.hex() == _fingerprint(card.path)
    assert not session.expired(clock.now) and not session.needs_reauth_for_override(clock.now)
    # The card signed exactly the fresh challenge given (in a DigestInfo), after one real VERIFY.
    digest = hashlib.sha256(CHALLENGE_CONTEXT + challenges[0]).hexdigest().upper()
    (signed,) = card.lines("COMPUTE SIGNATURE AUTH")
    assert signed.replace(" ", "").find(digest) > 0
    assert len(card.lines("VERIFY AUTH")) == 1 and "redacted" in card.lines("VERIFY AUTH")[0]
    assert card.auth_tries == 3
    assert login_records(directory) == [
        ("op-001", "operator.login", "operator:op-001", {"cert_sha256": session.cert_sha256.hex()})
    ]

    # A second login signs a different challenge: nothing from the first can be replayed.
    again = insert("op1")
    login(again, directory, trust, clock.now, rng=rng)
    (signed_again,) = again.lines("COMPUTE SIGNATURE AUTH")
    assert hashlib.sha256(CHALLENGE_CONTEXT + challenges[1]).hexdigest().upper() in signed_again.replace(
        " ", ""
    )
    assert challenges[0] != challenges[1]


def test_no_pin_in_the_record_or_the_trace(
    insert: Callable[..., InsertedCard], directory: sessionmaker[Session], trust: StaffTrust, clock: FakeClock
) -> None:
    card = insert("op1")
    with pytest.raises(WrongOperatorPin):
        login(card, directory, trust, clock.now, pin="9870")
    login(card, directory, trust, clock.now)
    text = json.dumps(records(directory)) + "\n".join(card.trace.lines)
    assert "9870" not in text and "1234" not in text
    assert "39 38 37 30" not in text and "31 32 33 34" not in text  # nor as APDU hex


# -- PIN: tries, lock-out ----------------------------------------------------------------------------


def test_wrong_pin_reports_tries_left_then_the_right_pin_resets_them(
    insert: Callable[..., InsertedCard], directory: sessionmaker[Session], trust: StaffTrust, clock: FakeClock
) -> None:
    card = insert("op2")
    pin = Secret.from_ascii("0000")
    with pytest.raises(WrongOperatorPin) as info:
        authenticate(card.transport, pin, trust=trust, sessions=directory, now=clock.now)
    assert pin.wiped
    assert info.value.tries_left == 2 and card.auth_tries == 2
    assert "2 tries left" in info.value.staff_message and info.value.reason.code == "wrong_pin"
    assert not card.lines("COMPUTE SIGNATURE AUTH")  # no signature without the PIN
    login(card, directory, trust, clock.now)
    assert card.auth_tries == 3
    fingerprint = _fingerprint(card.path)
    failed = {"reason": "wrong_pin", "purpose": "login", "tries_left": 2, "cert_sha256": fingerprint}
    assert login_records(directory) == [
        ("unknown", "operator.login_failed", "operator:op-002", failed),
        ("op-002", "operator.login", "operator:op-002", {"cert_sha256": fingerprint}),
    ]


@pytest.mark.parametrize("quirk", list(EmptyVerifyQuirk))
def test_third_wrong_pin_locks_the_card_and_then_no_try_is_spent(
    insert: Callable[..., InsertedCard],
    directory: sessionmaker[Session],
    trust: StaffTrust,
    clock: FakeClock,
    quirk: EmptyVerifyQuirk,
) -> None:
    card = insert("op1")
    card.card.state.empty_verify = quirk  # 63C0 (OpenSC) or 6984 (some cards) for a blocked PIN
    for left in (2, 1):
        with pytest.raises(WrongOperatorPin) as wrong:
            login(card, directory, trust, clock.now, pin="4321")
        assert wrong.value.tries_left == left
    with pytest.raises(OperatorCardLocked) as locked:
        login(card, directory, trust, clock.now, pin="4321")
    assert locked.value.just_now and card.card.state.jpki.auth_pin.tries_left == 0
    verifies = len(card.lines("VERIFY AUTH"))

    with pytest.raises(OperatorCardLocked) as again:  # the right PIN, too late
        login(card, directory, trust, clock.now)
    assert not again.value.just_now
    assert len(card.lines("VERIFY AUTH")) == verifies  # only the empty VERIFY went to the card
    actions = [(actor, action, details["reason"]) for actor, action, _s, details in login_records(directory)]
    assert actions == [
        ("unknown", "operator.login_failed", "wrong_pin"),
        ("unknown", "operator.login_failed", "wrong_pin"),
        ("unknown", "operator.locked_out", "card_locked"),
        ("unknown", "operator.login_failed", "card_locked"),
    ]


def test_a_card_locked_elsewhere_is_refused_without_a_verify(
    insert: Callable[..., InsertedCard], directory: sessionmaker[Session], trust: StaffTrust, clock: FakeClock
) -> None:
    card = insert("locked")  # the card keeps the counter: locked at another terminal
    with pytest.raises(OperatorCardLocked) as info:
        login(card, directory, trust, clock.now)
    assert not info.value.just_now and "locked" in info.value.staff_message
    assert not card.lines("VERIFY AUTH") and len(card.lines("VERIFY AUTH (status)")) == 1


@pytest.mark.parametrize("entry", ["123", "12345", "12a4", ""])
def test_malformed_pin_never_reaches_the_card(
    insert: Callable[..., InsertedCard],
    directory: sessionmaker[Session],
    trust: StaffTrust,
    clock: FakeClock,
    entry: str,
) -> None:
    card = insert("op1")
    pin = Secret.from_ascii(entry)
    with pytest.raises(WrongPinFormat):
        authenticate(card.transport, pin, trust=trust, sessions=directory, now=clock.now)
    assert pin.wiped and card.trace.count == 0 and card.auth_tries == 3
    assert [r[3]["reason"] for r in login_records(directory)] == ["pin_format"]


# -- which cards may log in ----------------------------------------------------------------------------


def test_unenrolled_staff_card(
    insert: Callable[..., InsertedCard],
    world: StaffWorld,
    trust: StaffTrust,
    sessions: sessionmaker[Session],
    clock: FakeClock,
    tmp_path: Path,
) -> None:
    path = tmp_path / "new.json"
    write_staff_card(path, StaffCardSpec("op-099"), world.ca)  # issued, never enrolled here
    card = insert(path)
    with pytest.raises(OperatorNotEnrolled) as info:
        login(card, sessions, trust, clock.now)
    assert info.value.reason.code == "not_enrolled"
    assert not card.lines("VERIFY AUTH") and not card.lines("VERIFY AUTH (status)")  # no PIN asked of it
    fingerprint = _fingerprint(path)
    assert login_records(sessions) == [
        (
            "unknown",
            "operator.login_failed",
            "staff_card",
            {"reason": "not_enrolled", "purpose": "login", "cert_sha256": fingerprint},
        )
    ]


def test_disabled_operator(
    insert: Callable[..., InsertedCard], directory: sessionmaker[Session], trust: StaffTrust, clock: FakeClock
) -> None:
    with directory() as session, session.begin():
        assert disable_operator(session, "op-002", now=clock.now, actor="test-admin")
    card = insert("op2")
    with pytest.raises(OperatorDisabled):
        login(card, directory, trust, clock.now)
    assert not card.lines("VERIFY AUTH (status)") and card.auth_tries == 3
    assert login_records(directory)[-1][:3] == ("unknown", "operator.login_failed", "operator:op-002")
    assert login_records(directory)[-1][3]["reason"] == "operator_disabled"


def test_disabled_while_the_card_was_busy(
    insert: Callable[..., InsertedCard], directory: sessionmaker[Session], trust: StaffTrust, clock: FakeClock
) -> None:
    def administrator_acts_meanwhile(n: int) -> bytes:  # runs after the PIN, before the signature
        with directory() as session, session.begin():
            disable_operator(session, "op-001", now=clock.now, actor="test-admin")
        return bytes(n)

    with pytest.raises(OperatorDisabled):
        login(insert("op1"), directory, trust, clock.now, rng=administrator_acts_meanwhile)
    assert [r[1] for r in login_records(directory)] == ["operator.disabled", "operator.login_failed"]


def test_a_residents_my_number_card_in_the_staff_reader(
    insert: Callable[..., InsertedCard],
    card_file: Callable[[str], Path],
    directory: sessionmaker[Session],
    trust: StaffTrust,
    clock: FakeClock,
) -> None:
    card = insert(card_file("adult"))
    with pytest.raises(NotAStaffCard) as info:
        login(card, directory, trust, clock.now)
    assert "JPKI-TEST" in str(info.value)  # the log names the foreign issuer
    assert card.auth_tries == 3 and not card.lines("VERIFY AUTH (status)")  # none of her tries spent
    # Nothing that could identify her card is recorded: no fingerprint, no operator.
    assert login_records(directory) == [
        ("unknown", "operator.login_failed", "staff_card", {"reason": "not_a_staff_card", "purpose": "login"})
    ]


def test_a_staff_card_of_another_municipality(
    insert: Callable[..., InsertedCard], directory: sessionmaker[Session], trust: StaffTrust, clock: FakeClock
) -> None:
    # Same operator id (CN) as an enrolled operator, but issued by another staff CA.
    with pytest.raises(NotAStaffCard):
        login(insert("foreign"), directory, trust, clock.now)


def test_expired_and_not_yet_valid_staff_cards(
    insert: Callable[..., InsertedCard], directory: sessionmaker[Session], trust: StaffTrust, clock: FakeClock
) -> None:
    card = insert("expired")
    with pytest.raises(StaffCertificateExpired) as info:
        login(card, directory, trust, clock.now)
    assert "expired" in info.value.staff_message and card.auth_tries == 3
    with pytest.raises(StaffCertificateNotYetValid):
        login(insert("op1"), directory, trust, clock.now - timedelta(days=2))  # a clock set far back
    assert [r[3]["reason"] for r in login_records(directory)] == [
        "certificate_expired",
        "certificate_not_yet_valid",
    ]


def test_a_card_with_a_copied_certificate_but_not_its_key(
    insert: Callable[..., InsertedCard],
    world: StaffWorld,
    directory: sessionmaker[Session],
    trust: StaffTrust,
    clock: FakeClock,
    tmp_path: Path,
) -> None:
    # A forger copies op-001's certificate (free to read) onto a card of their own with a PIN of
    # their choosing: everything up to the PIN passes, the challenge signature cannot.
    genuine = CardState.load(world.cards["op1"])
    forged = CardState.load(world.cards["op2"])
    forged.jpki.auth_cert = genuine.jpki.auth_cert
    path = tmp_path / "forged.json"
    forged.save(path)
    card = insert(path)
    with pytest.raises(StaffCardKeyMismatch) as info:
        login(card, directory, trust, clock.now)
    assert len(card.lines("COMPUTE SIGNATURE AUTH")) == 1
    assert "Keep it aside" in info.value.staff_message
    assert login_records(directory)[-1][1:3] == ("operator.login_failed", "operator:op-001")
    assert login_records(directory)[-1][3]["reason"] == "key_mismatch"


@pytest.mark.parametrize("after", [0, 1, 3, 4])
def test_staff_card_pulled_during_sign_in(
    insert: Callable[..., InsertedCard],
    directory: sessionmaker[Session],
    trust: StaffTrust,
    clock: FakeClock,
    after: int,
) -> None:
    card = insert("op1", pull_after=after)  # SELECT, READ, empty VERIFY, VERIFY, SIGN
    pin = Secret.from_ascii(PIN)
    with pytest.raises(StaffCardRemoved) as info:
        authenticate(card.transport, pin, trust=trust, sessions=directory, now=clock.now)
    assert pin.wiped and isinstance(info.value.__cause__, CardRemoved)
    (failure,) = login_records(directory)
    assert failure[1] == "operator.login_failed" and failure[3]["reason"] == "card_removed"


# -- re-authentication for an override, and logout -----------------------------------------------------


def test_reauthentication_refreshes_the_proof_not_the_overall_limit(
    insert: Callable[..., InsertedCard], directory: sessionmaker[Session], trust: StaffTrust, clock: FakeClock
) -> None:
    session = login(insert("op1"), directory, trust, clock.now)
    later = clock.now + timedelta(minutes=20)
    session = session.touch(later)
    assert session.needs_reauth_for_override(later)

    pin = Secret.from_ascii(PIN)
    fresh = reauthenticate(insert("op1").transport, pin, session, trust=trust, sessions=directory, now=later)
    assert pin.wiped
    assert fresh.authenticated_at == later and fresh.started_at == session.started_at
    assert not fresh.needs_reauth_for_override(later + timedelta(minutes=5))
    assert fresh.needs_reauth_for_override(later + timedelta(minutes=6))
    assert login_records(directory)[-1][:2] == ("op-001", "operator.reauthenticated")


def test_reauthentication_needs_the_signed_in_operators_own_card(
    insert: Callable[..., InsertedCard], directory: sessionmaker[Session], trust: StaffTrust, clock: FakeClock
) -> None:
    session = login(insert("op1"), directory, trust, clock.now)
    with pytest.raises(DifferentOperator):
        reauthenticate(
            insert("op2").transport,
            Secret.from_ascii(PIN),
            session,
            trust=trust,
            sessions=directory,
            now=clock.now,
        )
    actor, action, subject, details = login_records(directory)[-1]
    assert (actor, action, subject) == ("unknown", "operator.login_failed", "operator:op-002")
    assert details["reason"] == "different_operator" and details["session_operator"] == "op-001"
    assert details["purpose"] == "reauth"


def test_an_ended_session_cannot_be_reauthenticated(
    insert: Callable[..., InsertedCard], directory: sessionmaker[Session], trust: StaffTrust, clock: FakeClock
) -> None:
    session = login(insert("op1"), directory, trust, clock.now)
    card = insert("op1")
    pin = Secret.from_ascii(PIN)
    with pytest.raises(OperatorSessionExpired) as info:
        reauthenticate(
            card.transport, pin, session, trust=trust, sessions=directory, now=clock.now + timedelta(hours=1)
        )
    assert info.value.end is SessionEnd.IDLE and pin.wiped and card.trace.count == 0


def test_logout_is_recorded_with_its_reason(
    insert: Callable[..., InsertedCard], directory: sessionmaker[Session], trust: StaffTrust, clock: FakeClock
) -> None:
    session = login(insert("op1"), directory, trust, clock.now)
    end_at = clock.now + timedelta(minutes=30)
    reason = session.end_reason(end_at)
    assert reason is SessionEnd.IDLE
    logout(directory, session, now=end_at, reason=reason)
    assert login_records(directory)[-1] == (
        "op-001",
        "operator.logout",
        "operator:op-001",
        {"reason": "idle", "session_minutes": 30},
    )


# -- the directory -------------------------------------------------------------------------------------


def test_enrolment_rules(
    world: StaffWorld,
    trust: StaffTrust,
    directory: sessionmaker[Session],
    clock: FakeClock,
    card_file: Callable[[str], Path],
    tmp_path: Path,
) -> None:
    new_card = tmp_path / "new.json"
    write_staff_card(new_card, StaffCardSpec("op-010"), world.ca)

    def enroll(operator_id: str, card: Path, *, replace_card: bool = False, name: str = "窓口") -> Operator:
        with directory() as session, session.begin():
            return enroll_operator(
                session,
                operator_id=operator_id,
                display_name=name,
                certificate=_certificate(card),
                trust=trust,
                now=clock.now,
                actor="test-admin",
                replace_card=replace_card,
            )

    with pytest.raises(OperatorDirectoryError, match="already enrolled for operator 'op-001'"):
        enroll("op-010", world.cards["op1"])  # one card, one operator
    with pytest.raises(OperatorDirectoryError, match="already enrolled for operator 'op-001'"):
        enroll("op-001", world.cards["op1"], replace_card=True)  # the same card again
    with pytest.raises(OperatorAlreadyEnrolled, match="a replacement"):
        enroll("op-002", new_card)  # an enrolled operator gets a new card only on purpose
    with pytest.raises(OperatorDirectoryError, match="operator id"):
        enroll("山田", new_card)  # a staff number, never a name
    with pytest.raises(OperatorDirectoryError, match="display name"):
        enroll("op-010", new_card, name="窓口\n1")
    with pytest.raises(NotAStaffCard):
        enroll("op-011", card_file("adult"))
    with pytest.raises(NotAStaffCard):
        enroll("op-011", world.cards["foreign"])
    with pytest.raises(StaffCertificateExpired):
        enroll("op-011", world.cards["expired"])
    enrolled = enroll("op-010", new_card, name=" 窓口\u3000十 ")
    assert enrolled.enrolled_at == clock.now and enrolled.display_name == "窓口\u3000十"

    with directory() as session, session.begin():
        assert disable_operator(session, "op-010", now=clock.now, actor="test-admin")
        assert not disable_operator(session, "op-010", now=clock.now, actor="test-admin")  # once only
        with pytest.raises(OperatorDirectoryError, match="no operator"):
            disable_operator(session, "op-404", now=clock.now, actor="test-admin")
    trail = [r for r in records(directory) if r[2] == "operator:op-010"]
    assert [(r[0], r[1]) for r in trail] == [
        ("test-admin", "operator.enrolled"),
        ("test-admin", "operator.disabled"),
    ]


def test_a_replacement_card_takes_over_and_the_old_one_stops_working(
    insert: Callable[..., InsertedCard],
    world: StaffWorld,
    trust: StaffTrust,
    directory: sessionmaker[Session],
    clock: FakeClock,
    tmp_path: Path,
) -> None:
    with directory() as session, session.begin():
        disable_operator(session, "op-002", now=clock.now, actor="test-admin")  # card lost
    path = tmp_path / "op2-new.json"
    write_staff_card(path, StaffCardSpec("op-002"), world.ca)
    with directory() as session, session.begin():
        enroll_operator(
            session,
            operator_id="op-002",
            display_name="窓口2",
            certificate=_certificate(path),
            trust=trust,
            now=clock.now,
            actor="test-admin",
            replace_card=True,
        )
    assert login(insert(path), directory, trust, clock.now).operator_id == "op-002"
    with pytest.raises(OperatorNotEnrolled):
        login(insert("op2"), directory, trust, clock.now)  # the lost card, found by someone
    replaced = [r for r in records(directory) if r[1] == "operator.card_replaced"]
    assert replaced[0][3]["was_disabled"] is True and replaced[0][0] == "test-admin"
    with directory() as session:
        assert [(op.id, op.disabled) for op in list_operators(session)] == [
            ("op-001", False),
            ("op-002", False),
            ("op-003", False),
            ("op-004", False),
        ]


def test_read_staff_certificate_needs_no_pin(insert: Callable[..., InsertedCard]) -> None:
    card = insert("op1")
    cert = read_staff_certificate(card.transport)
    assert cert.subject.rfc4514_string().startswith("CN=op-001")
    assert card.trace.count == 2 and card.auth_tries == 3


def test_errors_are_one_family_with_codes() -> None:
    for kind in (WrongOperatorPin, OperatorCardLocked, NotAStaffCard, StaffCardKeyMismatch):
        assert issubclass(kind, OperatorAuthError)
    codes = {kind.reason.code for kind in OperatorAuthError.__subclasses__()}
    assert len(codes) == len(OperatorAuthError.__subclasses__())  # one code per error type
