"""The terminal's 交付記録簿 (kiosk.flows.ledger, `kiosk ledger`): the column table, the JST day,
real journal entries driven through the journal's own steps, the CSV for Excel, the command."""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import uuid
from dataclasses import astuple, dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from flowkit import NUMBER, Kiosk
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from kiosk.cli import main
from kiosk.domain.service_mode import OutOfServiceReason, ServiceState
from kiosk.flows import issuance
from kiosk.flows.ledger import (
    BOM,
    CSV_HEADER,
    FIELDS,
    KINDS,
    AuditAnchor,
    Ledger,
    LedgerRow,
    StepCount,
    audit_anchor,
    columns,
    daily_ledger,
    day_bounds,
    jst_day,
    tally,
    to_csv,
)
from kiosk.flows.service_mode import set_mode
from kiosk.store.audit import audit_head, verify_chain
from kiosk.store.db import make_engine, open_evidence
from kiosk.store.migrate import upgrade
from kiosk.store.models import Application, CertificateKind, Fee, OutboxState, ProcedureKind
from kiosk.store.models import IssuanceStep as S
from kiosk.store.sealed import Sealer
from kiosk.sync import journal
from kiosk.sync.outbox import Outgoing

SIGN, AUTH = CertificateKind.SIGN, CertificateKind.AUTH
PAID, FREE = Fee.PAID, Fee.FREE
DAY = date(2026, 11, 22)
START = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)  # 2026-11-22 00:00 JST
DER = b"0\x82 a certificate naming its holder"

# step, fee → the fields an entry counts in
COLUMNS = [
    (S.REQUESTED, FREE, ("requests", "awaiting_answer")),
    (S.REQUESTED, PAID, ("requests", "awaiting_answer")),  # the fee shows only once handed over
    (S.ABANDONED, PAID, ("requests", "not_issued")),
    (S.CERTIFICATE_RECEIVED, FREE, ("requests", "requests_answered", "awaiting_card")),
    (S.WRITTEN_TO_CARD, PAID, ("requests", "requests_answered", "awaiting_card")),
    (S.READ_BACK, FREE, ("requests", "requests_answered", "awaiting_card")),
    (S.CONFIRMED, PAID, ("requests", "requests_answered", "installed", "paid")),
    (S.CONFIRMED, FREE, ("requests", "requests_answered", "installed", "free")),
    (S.REVOKED_AS_DESTROYED, PAID, ("requests", "requests_answered", "destroyed")),
    (S.REVOKED_AS_DESTROYED, FREE, ("requests", "requests_answered", "destroyed")),
    (S.HANDED_OVER, PAID, ("requests", "requests_answered", "handed_over")),  # fee booked here
]

# another terminal's certificate taken over here: step → fields (never a request of this terminal's)
TAKEN_OVER = [
    (S.CERTIFICATE_RECEIVED, ("taken_over",)),
    (S.WRITTEN_TO_CARD, ("taken_over",)),
    (S.CONFIRMED, ("taken_over", "taken_over_installed")),
    (S.REVOKED_AS_DESTROYED, ("taken_over",)),
]


@pytest.mark.parametrize(("step", "fee", "fields"), COLUMNS)
def test_columns(step: S, fee: Fee, fields: tuple[str, ...]) -> None:
    assert columns(step, fee) == fields


@pytest.mark.parametrize(("step", "fields"), TAKEN_OVER)
def test_columns_of_a_certificate_taken_over(step: S, fields: tuple[str, ...]) -> None:
    assert columns(step, FREE, taken_over=True) == fields


def test_every_step_has_columns() -> None:
    assert {step for step, _fee, _fields in COLUMNS} == set(S)
    counted = {f for f in LedgerRow.__dataclass_fields__ if f != "cert_kind"}
    assert {name for name, _label in FIELDS} == counted


@pytest.mark.parametrize(
    ("at", "day"),
    [
        (START, DAY),
        (START - timedelta(microseconds=1), date(2026, 11, 21)),
        (START + timedelta(days=1) - timedelta(microseconds=1), DAY),
        (START + timedelta(days=1), date(2026, 11, 23)),
    ],
)
def test_jst_day(at: datetime, day: date) -> None:
    assert jst_day(at) == day
    start, end = day_bounds(day)
    assert start <= at < end


def test_jst_day_refuses_a_naive_time() -> None:
    with pytest.raises(ValueError, match="naive"):
        jst_day(datetime(2026, 11, 22, 9, 0))  # naive


def test_tally_identities_over_every_step_and_fee() -> None:
    counts = [
        StepCount(kind, step, fee, n, 300 * n if fee is PAID else 0, taken)
        for n, (kind, step, fee, taken) in enumerate(itertools.product(KINDS, S, Fee, (False, True)), start=1)
        if not (taken and step in (S.REQUESTED, S.ABANDONED, S.HANDED_OVER))  # never taken over so
    ]
    ledger = tally(DAY, counts)
    assert [r.cert_kind for r in ledger.rows] == list(KINDS)
    for row in ledger.rows:
        own = [c for c in counts if c.cert_kind is row.cert_kind and not c.taken_over]
        assert row.requests == sum(c.count for c in own)
        assert row.requests == row.requests_answered + row.awaiting_answer + row.not_issued
        assert row.requests_answered == row.installed + row.destroyed + row.awaiting_card + row.handed_over
        assert row.installed == row.paid + row.free
        assert row.taken_over == sum(c.count for c in counts if c.cert_kind is row.cert_kind and c.taken_over)
        assert row.taken_over_installed <= row.taken_over
        paid_confirmed = next(
            c for c in own if (c.cert_kind, c.step, c.fee) == (row.cert_kind, S.CONFIRMED, PAID)
        )
        assert row.fee_yen == paid_confirmed.yen  # only certificates handed over owe a fee


def test_an_empty_day_lists_both_kinds_with_zeros() -> None:
    ledger = tally(DAY, [])
    assert ledger.rows == (LedgerRow(SIGN), LedgerRow(AUTH))
    assert all(n == 0 for row in ledger.rows for n in astuple(row)[1:])


def test_tally_refuses_negative_counts() -> None:
    with pytest.raises(ValueError, match="negative"):
        tally(DAY, [StepCount(SIGN, S.CONFIRMED, PAID, -1, 0)])


# --- on the store ----------------------------------------------------------------------------------


@dataclass
class Desk:
    """Issuances at the counter, driven through the journal's real steps."""

    sessions: sessionmaker[Session]
    sealer: Sealer

    def issue(
        self, kind: CertificateKind, to: S, at: datetime, *, fee: Fee = FREE, yen: int = 0, late: bool = False
    ) -> uuid.UUID:
        """A request made at `at`, then taken to step `to`, each later step a day later (the
        booking day must stay the request's). `late`: 破棄 of a certificate that came after the
        request was abandoned."""
        with self.sessions.begin() as s:
            app = Application(kind=ProcedureKind.NEW_ISSUANCE)
            app.seal_payload(self.sealer, b"the resident's application")
            s.add(app)
            s.flush()
            entry_id = journal.start_issuance(
                s, application_id=app.id, card_id="0a1b2c", cert_kind=kind,
                request=Outgoing("p10cr", b"request"), transaction_id=uuid.uuid4().bytes,
                now=at, fee=fee, fee_yen=yen,
            ).id  # fmt: skip
        later = at + timedelta(days=1)
        path = {
            S.REQUESTED: [],
            S.ABANDONED: ["abandon"],
            S.CERTIFICATE_RECEIVED: ["certificate"],
            S.WRITTEN_TO_CARD: ["certificate", "write"],
            S.READ_BACK: ["certificate", "write", "read"],
            S.CONFIRMED: ["certificate", "write", "read", "confirm"],
            S.REVOKED_AS_DESTROYED: ["abandon", "destroy"] if late else ["certificate", "destroy"],
        }[to]
        for step in path:
            with self.sessions.begin() as s:
                if step == "abandon":
                    journal.abandon(s, entry_id, reason="cancelled", now=later)
                elif step == "certificate":
                    journal.record_certificate(s, entry_id, DER, self.sealer, now=later)
                elif step == "write":
                    journal.note_write_attempt(s, entry_id, now=later)
                    journal.record_written(s, entry_id, now=later)
                elif step == "read":
                    assert journal.record_read_back(s, entry_id, DER, self.sealer, now=later)
                elif step == "confirm":
                    journal.confirm(s, entry_id, Outgoing("certConf", b"conf"), now=later)
                else:
                    journal.revoke_as_destroyed(s, entry_id, Outgoing("rr", b"rr"), reason="gone", now=later)
        with self.sessions.begin() as s:
            assert journal.get(s, entry_id).step is to
        return entry_id


@pytest.fixture
def desk(sessions: sessionmaker[Session], sealer: Sealer) -> Desk:
    return Desk(sessions, sealer)


def _day_at(sessions: sessionmaker[Session], day: date = DAY) -> Ledger:
    with sessions() as session:
        return daily_ledger(session, day)


def test_a_day_on_the_store(desk: Desk, sessions: sessionmaker[Session]) -> None:
    noon = START + timedelta(hours=3)
    desk.issue(AUTH, S.CONFIRMED, START, fee=PAID, yen=200)  # first microsecond of the JST day
    desk.issue(AUTH, S.CONFIRMED, noon, fee=PAID, yen=200)
    desk.issue(AUTH, S.CONFIRMED, noon)  # free
    desk.issue(AUTH, S.WRITTEN_TO_CARD, noon, fee=PAID, yen=200)  # the resident comes back later
    desk.issue(AUTH, S.REVOKED_AS_DESTROYED, noon, fee=PAID, yen=200)
    desk.issue(AUTH, S.REVOKED_AS_DESTROYED, noon, late=True)  # issued after it was given up
    desk.issue(AUTH, S.ABANDONED, noon)
    desk.issue(SIGN, S.REQUESTED, START + timedelta(days=1) - timedelta(microseconds=1))  # 23:59:59.999999
    desk.issue(SIGN, S.CERTIFICATE_RECEIVED, noon, fee=PAID, yen=300)
    desk.issue(SIGN, S.READ_BACK, noon)
    desk.issue(SIGN, S.CONFIRMED, START - timedelta(microseconds=1), fee=PAID, yen=300)  # the day before
    desk.issue(AUTH, S.CONFIRMED, START + timedelta(days=1), fee=PAID, yen=200)  # the day after

    ledger = _day_at(sessions)
    assert ledger.day == DAY
    assert ledger.row(AUTH) == LedgerRow(
        AUTH, requests=7, requests_answered=6, installed=3, paid=2, free=1, fee_yen=400, destroyed=2,
        awaiting_answer=0, awaiting_card=1, not_issued=1,
    )  # fmt: skip
    assert ledger.row(SIGN) == LedgerRow(
        SIGN, requests=3, requests_answered=2, installed=0, paid=0, free=0, fee_yen=0, destroyed=0,
        awaiting_answer=1, awaiting_card=2, not_issued=0,
    )  # fmt: skip
    assert _day_at(sessions, date(2026, 11, 21)).row(SIGN).installed == 1
    assert _day_at(sessions, date(2026, 11, 23)).row(AUTH).fee_yen == 200
    assert _day_at(sessions, date(2026, 11, 24)) == tally(date(2026, 11, 24), [])


def test_a_certificate_stays_on_the_day_it_was_requested(desk: Desk, sessions: sessionmaker[Session]) -> None:
    entry_id = desk.issue(AUTH, S.WRITTEN_TO_CARD, START + timedelta(hours=1), fee=PAID, yen=200)
    before = _day_at(sessions).row(AUTH)
    with sessions.begin() as s:  # read back and confirmed two weeks later
        assert journal.record_read_back(s, entry_id, DER, desk.sealer, now=START + timedelta(days=14))
        journal.confirm(s, entry_id, Outgoing("certConf", b"conf"), now=START + timedelta(days=14))
    after = _day_at(sessions).row(AUTH)
    assert (before.awaiting_card, before.installed, before.fee_yen) == (1, 0, 0)
    assert (after.awaiting_card, after.installed, after.paid, after.fee_yen) == (0, 1, 1, 200)
    assert _day_at(sessions, DAY + timedelta(days=14)).row(AUTH) == LedgerRow(AUTH)


def test_the_audit_anchor_is_the_chains_head(desk: Desk, sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        assert audit_anchor(session) == AuditAnchor(0, bytes(32))  # the empty chain: GENESIS
    desk.issue(AUTH, S.CONFIRMED, START)
    set_mode(sessions, state=ServiceState.OUT_OF_SERVICE, reason=OutOfServiceReason.CLOSED,
             operator_id="op-1", now=START)  # fmt: skip
    with sessions() as session:
        chain, anchor, head = verify_chain(session), audit_anchor(session), audit_head(session)
    assert chain.ok and head is not None
    assert anchor == AuditAnchor(chain.records, chain.head) and anchor.head == head.hash
    assert anchor.records >= 1


# --- the fee, from the issuance step ----------------------------------------------------------------


def _csr() -> x509.CertificateSigningRequest:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "card key")])
    return x509.CertificateSigningRequestBuilder().subject_name(name).sign(key, hashes.SHA256())


def test_request_certificate_books_its_fee(kiosk: Kiosk) -> None:
    def request(**fee: Fee | int) -> uuid.UUID:
        return issuance.request_certificate(
            kiosk.sessions, kiosk.link, application_id=kiosk.application(), application_number=NUMBER,
            card_id="0a1b2c", cert_kind=AUTH, csr=csr, now=kiosk.clock(), **fee,
        )  # fmt: skip

    csr = _csr()
    paid, free = request(fee=PAID, fee_yen=200), request()  # the existing callers' arguments: free
    assert (kiosk.entry(paid).fee, kiosk.entry(paid).fee_yen) == (PAID, 200)
    assert (kiosk.entry(free).fee, kiosk.entry(free).fee_yen) == (FREE, 0)
    with pytest.raises(ValueError, match="paid fee"):
        request(fee=PAID, fee_yen=0)
    assert kiosk.outbox() == [("p10cr", OutboxState.PENDING)] * 2  # nothing of the refused one
    row = _day_at(kiosk.sessions, jst_day(kiosk.clock())).row(AUTH)
    assert (row.requests, row.awaiting_answer) == (2, 2)


# --- CSV -------------------------------------------------------------------------------------------


def test_csv_for_excel() -> None:
    ledger = tally(
        DAY,
        [StepCount(AUTH, S.CONFIRMED, PAID, 2, 400), StepCount(SIGN, S.REVOKED_AS_DESTROYED, FREE, 1, 0)],
    )
    text = to_csv(ledger)
    assert text.startswith(BOM) and text.count(BOM) == 1
    assert text.encode("utf-8").startswith(b"\xef\xbb\xbf")
    assert text.endswith("\r\n") and text.count("\r\n") == 3 and "\n" not in text.replace("\r\n", "")
    rows = list(csv.reader(io.StringIO(text.removeprefix(BOM), newline="")))
    assert rows == [
        list(CSV_HEADER),
        ["2026-11-22", "署名用電子証明書", "1", "1", "0", "0", "0", "0", "1", "0", "0", "0", "0", "0", "0"],
        [
            "2026-11-22",
            "利用者証明用電子証明書",
            "2",
            "2",
            "2",
            "2",
            "0",
            "400",
            "0",
            "0",
            "0",
            "0",
            "0",
            "0",
            "0",
        ],
    ]
    assert CSV_HEADER[:2] == ("日付", "証明書の種類")
    assert CSV_HEADER[2:] == tuple(label for _name, label in FIELDS)


# --- `kiosk ledger` ----------------------------------------------------------------------------------


def _ledger_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["ledger", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_command_prints_the_day_writes_the_csv_and_changes_nothing(
    desk: Desk, db_path: Path, engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    desk.issue(AUTH, S.CONFIRMED, START + timedelta(hours=2), fee=PAID, yen=200)
    desk.issue(SIGN, S.REVOKED_AS_DESTROYED, START + timedelta(hours=2))
    with desk.sessions() as session:
        head = audit_head(session)
        assert head is not None
    engine.dispose()  # the kiosk stopped: the store file holds everything
    before = hashlib.sha256(db_path.read_bytes()).hexdigest()
    out_csv = tmp_path / "交付記録簿.csv"
    code, out, err = _ledger_cli(capsys, "--db", str(db_path), "--day", "2026-11-22", "--csv", str(out_csv))
    assert (code, err) == (0, "")
    assert "交付記録簿 2026-11-22 (JST)" in out
    assert "  交付件数 (installed): 1" in out and "  破棄件数 (destroyed): 1" in out
    assert "  手数料（円） (fee_yen): 200" in out
    assert f"audit records: {head.id}, head: {head.hash.hex()}" in out  # the anchor to keep
    assert out_csv.read_bytes().startswith(b"\xef\xbb\xbf\xe6\x97\xa5\xe4\xbb\x98")  # BOM, then 日付
    assert out_csv.read_bytes().decode("utf-8") == to_csv(_day_at_file(db_path))  # CRLF kept as is
    assert hashlib.sha256(db_path.read_bytes()).hexdigest() == before


def _day_at_file(path: Path) -> Ledger:
    engine = open_evidence(path)
    try:
        with Session(engine) as session:
            return daily_ledger(session, DAY)
    finally:
        engine.dispose()


def test_command_defaults_to_today_in_jst(
    desk: Desk, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    desk.issue(AUTH, S.CONFIRMED, datetime.now(UTC), fee=PAID, yen=200)
    code, out, _ = _ledger_cli(capsys, "--db", str(db_path))
    assert code == 0
    today = jst_day(datetime.now(UTC))
    assert f"交付記録簿 {today.isoformat()} (JST)" in out
    assert "  交付件数 (installed): 1" in out  # a run just across midnight JST would see 0: rare


def test_command_refuses_a_store_of_another_schema(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    old = tmp_path / "old.db"
    engine = make_engine(old)
    try:
        upgrade(engine, "0002")  # a store the kiosk has not yet upgraded (read-only: no migration)
    finally:
        engine.dispose()
    code, out, err = _ledger_cli(capsys, "--db", str(old))
    assert (code, out) == (2, "")
    assert "does not match this version of the kiosk" in err
    assert "schema revision 0002" in caplog.text


def test_command_on_a_missing_store_or_a_bad_day(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "none.db"
    code, _, err = _ledger_cli(capsys, "--db", str(missing))
    assert code == 2 and f"There is no kiosk store at {missing}." in err
    assert not missing.exists()
    with pytest.raises(SystemExit) as exit_info:
        main(["ledger", "--db", str(missing), "--day", "2026-13-01"])
    assert exit_info.value.code == 2


def test_command_says_when_the_csv_cannot_be_written(
    db_path: Path, engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _ledger_cli(capsys, "--db", str(db_path), "--csv", str(tmp_path / "no" / "dir" / "x.csv"))
    assert code == 2 and "could not be written" in err
