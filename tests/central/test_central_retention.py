"""Retention of the central's records (central.retention; docs/central.md §13): the periods and
the days they end on, then the purge on both backends — what it keeps, what it deletes, in which
order, in batches, dry run, the schedule and the CLI."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from central_testkit import MUNICIPALITY, NOW, TERMINAL, World, application, csr, key
from click.testing import CliRunner
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from central import retention
from central.cli import main
from central.cmp_intake import MAX_CLOCK_SKEW, MAX_MESSAGE_AGE
from central.db import Base
from central.enums import (
    ApplicationStatus,
    AuthorizationOutcome,
    CaName,
    CertKind,
    CertStatus,
    Fee,
    IntakeState,
    LedgerEventKind,
    ProcedureKind,
    RevocationReason,
)
from central.maintenance import DEFAULT_CONFIRM_WAIT, _Schedule, run_maintenance
from central.models import (
    AdminAuthorization,
    Application,
    Certificate,
    IntakeTransaction,
    LedgerEvent,
    PendingIssuance,
    Terminal,
)
from central.retention import APPLICATION_RETENTION, KINDS, RETENTION, Period, Retention
from central.service import Central
from central.timeutil import JST

D = dt.date


def jst(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=JST).astimezone(dt.UTC)  # type: ignore[misc]


# -- the table ------------------------------------------------------------------------------------

ISSUANCE = (ProcedureKind.NEW_ISSUANCE, ProcedureKind.RENEWAL)


@pytest.mark.parametrize("procedure", list(ProcedureKind))
def test_every_procedure_has_its_period_and_rule(procedure: ProcedureKind) -> None:
    kept = APPLICATION_RETENTION[procedure]  # a new procedure fails here until it is classified
    if procedure in ISSUANCE:
        assert (kept.period, kept.rule[:6]) == (Period(years=15), "要綱 7-1")
    else:
        assert kept.period == Period(years=10)
        assert "要綱 7-2" in kept.rule or "規則 82" in kept.rule
    assert kept.counted_from.startswith("application.received_at")


def test_every_kind_has_a_retention_and_every_retention_a_kind() -> None:
    names = [k.name for k in KINDS]
    assert len(names) == len(set(names))
    assert set(names) == set(RETENTION)
    assert all(r.rule and r.counted_from for r in RETENTION.values())


def test_intake_rows_outlive_every_message_that_can_still_use_them() -> None:
    # A duplicate of the opening request until badTime refuses it; a certConf until the sweep.
    kept = RETENTION["intake_transaction"].period
    assert dt.timedelta(days=kept.days) >= MAX_MESSAGE_AGE + MAX_CLOCK_SKEW
    assert dt.timedelta(days=kept.days) >= DEFAULT_CONFIRM_WAIT


def test_kinds_are_purged_before_the_kinds_their_foreign_keys_point_to() -> None:
    order = {k.table.name: i for i, k in enumerate(KINDS)}
    for kind in KINDS:
        for fk in kind.table.foreign_keys:
            target = fk.column.table.name
            if target in order and target != kind.table.name:
                assert order[kind.table.name] < order[target], (kind.name, target)


def test_every_foreign_key_into_a_kind_keeps_its_rows() -> None:
    """Found in the metadata: a table added later that points at applications (say) keeps them."""
    application_kind = next(k for k in KINDS if k.name == "application.new_issuance")
    referencing = {theirs.table.name for theirs, _ours in application_kind.foreign_references()}
    expected = {
        t.name
        for t in Base.metadata.tables.values()
        if any(fk.column.table.name == "application" for fk in t.foreign_keys) and t.name != "application"
    }
    assert referencing == expected and {"certificate", "ledger_event"} <= referencing
    intake = next(k for k in KINDS if k.name == "intake_transaction")
    assert intake.foreign_references() == []  # pending_issuance is its child, deleted with it


@pytest.mark.parametrize(
    ("event_day", "period", "last_day"),
    [
        (D(2026, 4, 1), Period(years=15), D(2041, 4, 1)),  # through the anniversary (民法 140)
        (D(2026, 4, 1), Period(years=10), D(2036, 4, 1)),
        (D(2026, 12, 31), Period(years=10), D(2036, 12, 31)),
        (D(2028, 2, 29), Period(years=10), D(2038, 2, 28)),  # counted from 1 March
        (D(2028, 2, 28), Period(years=10), D(2038, 2, 28)),  # from 29 Feb: February's end (民法 143)
        (D(2030, 2, 28), Period(years=10), D(2040, 2, 29)),  # from 1 March, ends on a leap day
        (D(2026, 4, 1), Period(days=90), D(2026, 6, 30)),
        (D(2026, 12, 31), Period(days=1), D(2027, 1, 1)),
    ],
)
def test_last_day_kept(event_day: dt.date, period: Period, last_day: dt.date) -> None:
    assert period.last_day(event_day) == last_day


@pytest.mark.parametrize("period", [Period(years=15), Period(years=10), Period(years=1), Period(days=90)])
def test_through_is_the_last_event_day_past_retention(period: Period) -> None:
    # Every day of four years, two leap days among them: the inverse of last_day, exactly.
    today = D(2039, 1, 1)
    while today < D(2043, 1, 1):
        through = period.through(today)
        assert period.last_day(through) < today <= period.last_day(through + dt.timedelta(days=1))
        today += dt.timedelta(days=1)


@pytest.mark.parametrize(
    ("event", "period", "kept_at", "purged_at"),
    [
        # received 10:00 JST 1 April 2026: kept through 1 April 2041 (JST), gone from 2 April
        (jst(2026, 4, 1, 10), Period(years=15), jst(2041, 4, 1, 23, 59, 59), jst(2041, 4, 2)),
        (jst(2026, 4, 1, 10), Period(years=10), jst(2036, 4, 1, 23, 59, 59), jst(2036, 4, 2)),
        # 00:30 JST is still 31 March in UTC: the JST day counts
        (jst(2026, 4, 1, 0, 30), Period(years=10), jst(2036, 4, 1, 23, 59, 59), jst(2036, 4, 2)),
        (jst(2026, 3, 31, 23, 59), Period(years=10), jst(2036, 3, 31, 23, 59, 59), jst(2036, 4, 1)),
        (jst(2028, 2, 29, 12), Period(years=10), jst(2038, 2, 28, 23, 59, 59), jst(2038, 3, 1)),
        (jst(2028, 2, 29, 12), Period(years=15), jst(2043, 2, 28, 23, 59, 59), jst(2043, 3, 1)),
        (jst(2030, 2, 28, 12), Period(years=10), jst(2040, 2, 29, 23, 59, 59), jst(2040, 3, 1)),
        (jst(2026, 4, 1, 10), Period(days=90), jst(2026, 6, 30, 23, 59, 59), jst(2026, 7, 1)),
    ],
)
def test_kept_through_the_last_day_and_not_a_day_longer(
    event: dt.datetime, period: Period, kept_at: dt.datetime, purged_at: dt.datetime
) -> None:
    kept = Retention(period, "test", "test")
    assert not kept.expired(event, kept_at)
    assert not kept.expired(event, kept_at - dt.timedelta(days=1))
    assert kept.expired(event, purged_at)
    assert kept.expired(event, purged_at + dt.timedelta(days=1))


@pytest.mark.parametrize("years, days", [(0, 0), (1, 1), (-1, 0), (0, -5)])
def test_a_period_is_years_or_days(years: int, days: int) -> None:
    with pytest.raises(ValueError):
        Period(years=years, days=days)


# -- the purge ------------------------------------------------------------------------------------


def _terminal_serial(central: Central) -> str:
    with central.transaction() as s:
        terminal = s.get(Terminal, TERMINAL)
        assert terminal is not None and terminal.certificate_serial is not None
        return terminal.certificate_serial


def _add_application(
    central: Central, kind: ProcedureKind, received_at: dt.datetime, *, app_id: str | None = None
) -> str:
    """A stored application as applications.receive_application leaves it (the envelope is not
    opened by the purge, so any text does)."""
    app_id = app_id or str(uuid.uuid4())
    with central.transaction() as s:
        s.add(
            Application(
                id=app_id,
                terminal_id=TERMINAL,
                municipality_code=MUNICIPALITY,
                kind=kind,
                status=ApplicationStatus.APPROVED,
                envelope="sealed",
                envelope_sha256="0" * 64,
                signer_serial=_terminal_serial_of(s),
                fee=Fee.FREE,
                signed_at=received_at,
                expires_at=received_at + dt.timedelta(days=1),
                received_at=received_at,
            )
        )
    return app_id


def _terminal_serial_of(s: Session) -> str:
    serial = s.scalar(select(Terminal.certificate_serial).where(Terminal.id == TERMINAL))
    assert serial is not None
    return serial


def _count(central: Central, model: type[Base]) -> int:
    with central.transaction() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def _ids(central: Central) -> set[str]:
    with central.transaction() as s:
        return set(s.scalars(select(Application.id)))


def test_applications_are_kept_through_their_last_day_by_procedure(world: World) -> None:
    received = jst(2026, 4, 1, 10)
    apps = {p: _add_application(world.central, p, received) for p in ProcedureKind}
    ten, fifteen = jst(2036, 4, 2), jst(2041, 4, 2)
    steps = [
        (ten - dt.timedelta(seconds=1), set(ProcedureKind)),  # 23:59:59 JST on the last day
        (ten, set(ISSUANCE)),
        (fifteen - dt.timedelta(seconds=1), set(ISSUANCE)),
        (fifteen, set()),
    ]
    for now, remaining in steps:
        report = retention.purge(world.central, now)
        assert _ids(world.central) == {apps[p] for p in remaining}, now
        gone = {p for p in ProcedureKind if p not in remaining}
        assert all(report.counts[retention.application_kind(p)] <= 1 for p in gone)


def test_a_dry_run_counts_exactly_and_deletes_nothing(world: World) -> None:
    # An issuance with its certificate and ledger events: the application becomes deletable only
    # once its certificate is gone in the same pass — the dry run must count it all the same.
    card = world.card()
    app_id = world.apply(application(card_id=card, certificates=("auth",))).id
    world.central.issue_certificate(app_id, csr(key("retention-dry")), CertKind.AUTH, now=NOW)
    for _ in range(3):
        _add_application(world.central, ProcedureKind.REVOCATION, NOW)
    later = NOW + dt.timedelta(days=365 * 30)
    before = {m: _count(world.central, m) for m in (Application, Certificate, LedgerEvent)}
    dry = retention.purge(world.central, later, dry_run=True)
    assert dry.dry_run and dry.counts["application.new_issuance"] == 1
    assert dry.counts["application.revocation"] == 3
    assert dry.counts["certificate"] == 1 and dry.counts["ledger_event"] == 1
    assert {m: _count(world.central, m) for m in before} == before
    real = retention.purge(world.central, later)
    assert real.counts == dry.counts and not real.dry_run


def test_batches_take_every_row(world: World) -> None:
    for _ in range(7):
        _add_application(world.central, ProcedureKind.DISCLOSURE, NOW)
    report = retention.purge(world.central, jst(2040, 1, 1), batch_size=3)
    assert report.counts["application.disclosure"] == 7
    assert report.batches == 3  # 3 + 3 + 1; kinds with nothing to delete take no batch
    assert _ids(world.central) == set()
    with pytest.raises(ValueError):
        retention.purge(world.central, NOW, batch_size=0)


def _issued(world: World, label: str) -> tuple[str, str]:
    """An approved issuance application and its certificate, issued, installed, ledger-booked."""
    app_id = world.apply(application(card_id=world.card(label), certificates=("auth",))).id
    serial = world.central.issue_certificate(app_id, csr(key(label)), CertKind.AUTH, now=NOW).serial
    world.central.confirm_installed(serial, now=NOW + dt.timedelta(minutes=5))
    return app_id, serial


def _cert(central: Central, serial: str) -> Certificate | None:
    with central.transaction() as s:
        return s.get(Certificate, serial)


def test_a_certificate_still_needed_keeps_its_application(world: World) -> None:
    """The issuance day's ledger gets a late event; the day's ledger, the certificate and the
    application then stay until ten years after that event, past the application's 15 years."""
    app_id, serial = _issued(world, "retention-late")
    cert = _cert(world.central, serial)
    assert cert is not None
    validity_end = cert.not_after
    late = jst(2036, 6, 1, 9)  # e.g. a 職権失効 booked on the issuance day's row
    with world.central.transaction() as s:
        s.add(
            LedgerEvent(
                kind=LedgerEventKind.REVOKED_EX_OFFICIO,
                municipality_code=MUNICIPALITY,
                ledger_day=D(2026, 4, 1),
                cert_kind=CertKind.AUTH,
                serial=cert.serial,
                application_id=app_id,
                fee=None,
                occurred_at=late,
            )
        )
    past_fifteen = jst(2041, 4, 3)
    assert past_fifteen > validity_end + dt.timedelta(days=365 * 10)  # the certificate's own is over
    report = retention.purge(world.central, past_fifteen)
    assert report.counts["ledger_event"] == 0 and report.counts["certificate"] == 0
    assert app_id in _ids(world.central) and _cert(world.central, serial) is not None
    report = retention.purge(world.central, jst(2046, 6, 2))  # ten years after the late event
    assert report.counts["ledger_event"] == 3  # answered, installed, the late one
    assert report.counts["certificate"] == 1 and report.counts["application.new_issuance"] == 1
    assert _cert(world.central, serial) is None and app_id not in _ids(world.central)


def test_certificates_stay_while_on_a_crl_or_before_their_ten_years(world: World) -> None:
    app_id, serial = _issued(world, "retention-crl")
    world.central.revoke(serial, RevocationReason.UNSPECIFIED, now=NOW + dt.timedelta(days=1))
    cert = _cert(world.central, serial)
    assert cert is not None and cert.status is CertStatus.REVOKED
    # Revoked before it expired: its period counts from the end of its validity (JST day).
    last_day = Period(years=10).last_day(cert.not_after.astimezone(JST).date())
    first_day_gone = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(0), JST)
    # Its ledger day (10 years after its last event, in 2026) is gone by then: only the
    # certificate's own period decides. (Its application stays for the certificate, not the
    # other way round.)
    kept = retention.purge(world.central, first_day_gone - dt.timedelta(seconds=1))
    assert kept.counts["ledger_event"] == 3 and kept.counts["certificate"] == 0
    assert _cert(world.central, serial) is not None and app_id in _ids(world.central)
    gone = retention.purge(world.central, first_day_gone)
    assert gone.counts["certificate"] == 1 and _cert(world.central, serial) is None


def test_a_certificate_is_never_purged_while_a_crl_lists_it(world: World) -> None:
    """A CRL period after expiry is far inside ten years; shrink the period to see the CRL rule."""
    _app_id, serial = _issued(world, "retention-on-crl")
    world.central.revoke(serial, RevocationReason.KEY_COMPROMISE, now=NOW + dt.timedelta(days=1))
    cert = _cert(world.central, serial)
    assert cert is not None
    crl_validity = world.central.authority.settings.crl_validity
    certificate = next(k for k in KINDS if k.name == "certificate")
    still_listed = cert.not_after + crl_validity / 2
    ctx = retention.PurgeContext(still_listed, still_listed, crl_validity)  # any cutoff: period over
    with world.central.transaction() as s:
        s.execute(delete(LedgerEvent))  # nothing else keeps it
        listed = s.scalars(select(Certificate.serial).where(*certificate.predicates(ctx))).all()
        assert serial not in listed
        after = cert.not_after + crl_validity + dt.timedelta(seconds=1)
        ctx = retention.PurgeContext(after, after, crl_validity)
        assert serial in s.scalars(select(Certificate.serial).where(*certificate.predicates(ctx))).all()


def test_terminal_certificates_stay_while_current_or_signing_a_kept_application(world: World) -> None:
    serial = _terminal_serial(world.central)
    app_id = _add_application(world.central, ProcedureKind.DISCLOSURE, NOW)
    far = jst(2100, 1, 1)
    with world.central.transaction() as s:  # not the terminal's current one any more
        terminal = s.get(Terminal, TERMINAL)
        assert terminal is not None
        terminal.certificate_serial = None
        s.add(
            AdminAuthorization(
                application_id=app_id,
                card_id="00" * 16,
                terminal_id=TERMINAL,
                operation="00",
                challenge="00" * 16,
                outcome=AuthorizationOutcome.REFUSED,
                reason="test",
                requested_at=NOW,
            )
        )
    first = retention.purge(world.central, far)  # the application goes; the signer waits a pass
    assert first.counts["application.disclosure"] == 1 and first.counts["certificate"] == 0
    assert first.counts["admin_authorization"] == 1  # after its application, in the same pass
    assert _cert(world.central, serial) is not None
    second = retention.purge(world.central, far)
    assert second.counts["certificate"] == 1 and _cert(world.central, serial) is None


def test_authorisations_are_kept_ten_years_and_while_their_application_is(world: World) -> None:
    app_id = _add_application(world.central, ProcedureKind.NEW_ISSUANCE, NOW)
    with world.central.transaction() as s:
        for application_id in (app_id, "unknown-application"):
            s.add(
                AdminAuthorization(
                    application_id=application_id,
                    card_id="00" * 16,
                    terminal_id=TERMINAL,
                    operation="00",
                    challenge="11" * 16,
                    outcome=AuthorizationOutcome.REFUSED,
                    reason="no-application",
                    requested_at=NOW,
                )
            )
    assert retention.purge(world.central, jst(2036, 4, 1, 23, 59)).counts["admin_authorization"] == 0
    assert retention.purge(world.central, jst(2036, 4, 2)).counts["admin_authorization"] == 1  # unknown app
    assert _count(world.central, AdminAuthorization) == 1
    report = retention.purge(world.central, jst(2041, 4, 2))  # its application's 15 years
    assert report.counts["application.new_issuance"] == 1 and report.counts["admin_authorization"] == 1


def _intake(central: Central, *, answered: dt.datetime | None, pending: str | None = None) -> int:
    """`pending`: None (no deferred issuance), "undecided" or "decided"."""
    with central.transaction() as s:
        row = IntakeTransaction(
            terminal_id=TERMINAL,
            transaction_id=uuid.uuid4().bytes,
            request_sha256=b"\0" * 32,
            state=IntakeState.ANSWERED if answered else IntakeState.RECEIVED,
            response_der=b"answer" if answered else None,
            received_at=NOW,
            answered_at=answered,
        )
        s.add(row)
        s.flush()
        if pending is not None:
            s.add(
                PendingIssuance(
                    intake_id=row.id,
                    request_der=b"p10cr",
                    received_at=NOW,
                    decided_at=answered if pending == "decided" else None,
                )
            )
        return row.id


def test_intake_transactions_go_ninety_days_after_their_answer_never_unanswered(world: World) -> None:
    answered = _intake(world.central, answered=NOW)
    deferred = _intake(world.central, answered=NOW, pending="decided")
    waiting = _intake(world.central, answered=None, pending="undecided")
    last_day = jst(2026, 6, 30, 23, 59, 59)  # NOW is 1 April (JST)
    assert retention.purge(world.central, last_day).counts["intake_transaction"] == 0
    report = retention.purge(world.central, jst(2026, 7, 1))
    assert report.counts["intake_transaction"] == 2 and report.counts["pending_issuance"] == 1
    with world.central.transaction() as s:
        assert set(s.scalars(select(IntakeTransaction.id))) == {waiting}
        assert s.get(PendingIssuance, waiting) is not None
    retention.purge(world.central, jst(2100, 1, 1))
    with world.central.transaction() as s:
        assert s.get(IntakeTransaction, waiting) is not None  # still waiting for its decision
        assert s.get(IntakeTransaction, answered) is None and s.get(IntakeTransaction, deferred) is None


def test_the_schedule_purges_at_the_first_pass_and_then_daily(world: World) -> None:
    _add_application(world.central, ProcedureKind.REVOCATION, NOW)
    schedule = _Schedule(
        world.central, confirm_wait=DEFAULT_CONFIRM_WAIT, retention_interval=dt.timedelta(days=1)
    )
    start = jst(2040, 1, 1)
    first = schedule(start)
    assert first.purged is not None and first.purged.counts["application.revocation"] == 1
    assert schedule(start + dt.timedelta(minutes=10)).purged is None
    assert schedule(start + dt.timedelta(days=1)).purged is not None
    assert run_maintenance(world.central, start).purged is None  # only when asked
    assert world.central.current_crl(CaName.AUTH) is not None


@pytest.fixture
def sqlite_world(world: World, db_url: str) -> tuple[World, str]:
    if not db_url.startswith("sqlite"):
        pytest.skip("the CLI is exercised once; the purge itself on both backends above")
    return world, db_url


def test_cli_dry_run_as_of_a_day_and_the_purge(sqlite_world: tuple[World, str]) -> None:
    world, url = sqlite_world
    for _ in range(2):
        _add_application(world.central, ProcedureKind.PIN_RESET, NOW)
    ca_dir = str(world.central.authority.directory)
    runner = CliRunner()
    args = ["retention", "--url", url, "--ca-dir", ca_dir]
    dry = runner.invoke(main, [*args, "--dry-run", "--as-of", "2036-04-02"])
    assert dry.exit_code == 0, dry.output
    assert "past retention at 2036-04-02 00:00 JST (dry run: nothing deleted)" in dry.output
    line = next(x for x in dry.output.splitlines() if x.startswith("application.pin_reset "))
    assert line.split()[1:4] == ["2", "10", "years"]
    assert "total: 2" in dry.output
    assert len(_ids(world.central)) == 2
    early = runner.invoke(main, [*args, "--dry-run", "--as-of", "2036-04-01"])
    assert "total: 0" in early.output
    refused = runner.invoke(main, [*args, "--as-of", "2036-04-02"])
    assert refused.exit_code == 2 and "--as-of is only for --dry-run" in refused.output
    purged = runner.invoke(main, args)  # today: nothing of 2026 is past retention yet
    assert purged.exit_code == 0 and "purged at" in purged.output and "total: 0" in purged.output
    assert len(_ids(world.central)) == 2
