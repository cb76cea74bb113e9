"""交付記録簿: numbers per municipality, day and kind, and the CSV export (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

from central_testkit import MUNICIPALITY, NOW, World, application, csr, key
from click.testing import CliRunner

from central.cli import main
from central.enums import CertKind, RevocationReason
from central.ledger import LedgerRow, to_csv

DAY1 = NOW  # 2026-04-01 JST
DAY2 = NOW + dt.timedelta(days=1)  # 2026-04-02 JST
LATE_EVENING = dt.datetime(2026, 4, 1, 14, 30, tzinfo=dt.UTC)  # 23:30 JST, still 1 April


def _issue(
    world: World, label: str, kinds: tuple[str, ...], when: dt.datetime, *, paid: bool
) -> dict[str, str]:
    card = world.card(label)
    fee = {"fee_paid": True, "fee_yen": 200} if paid else {}
    record = world.apply(application(card_id=card, certificates=kinds, **fee), now=when)
    return {
        k: world.central.issue_certificate(
            record.id, csr(key(f"led-{label}-{k}")), CertKind(k), now=when
        ).serial
        for k in kinds
    }


def scenario(world: World) -> None:
    c = world.central
    # Day 1: three requests for both kinds, one paid.
    a = _issue(world, "a", ("sign", "auth"), DAY1, paid=True)
    b = _issue(world, "b", ("sign", "auth"), DAY1, paid=False)
    d = _issue(world, "d", ("sign", "auth"), LATE_EVENING, paid=False)
    for serial in (*a.values(), b["auth"], d["auth"]):
        c.confirm_installed(serial, now=DAY1 + dt.timedelta(hours=1))
    # b's signing certificate: destroyed before it reached the card (破棄).
    c.revoke(b["sign"], RevocationReason.CESSATION_OF_OPERATION, ex_officio=True, now=DAY1)
    # d's signing certificate: installed the next day, then revoked ex officio (職権失効);
    # both events belong to the day it was issued.
    c.confirm_installed(d["sign"], now=DAY2)
    c.revoke(d["sign"], RevocationReason.CESSATION_OF_OPERATION, ex_officio=True, now=DAY2)
    # a's auth certificate revoked at the holder's request: not a ledger column.
    c.revoke(a["auth"], RevocationReason.UNSPECIFIED, now=DAY2)
    # Day 2: one auth request, paid, installed.
    e = _issue(world, "e", ("auth",), DAY2, paid=True)
    c.confirm_installed(e["auth"], now=DAY2)
    c.confirm_installed(e["auth"], now=DAY2)  # a repeated confirmation counts once


EXPECTED = [
    LedgerRow(dt.date(2026, 4, 1), MUNICIPALITY, CertKind.AUTH, 3, 3, 1, 2, 0),
    LedgerRow(dt.date(2026, 4, 1), MUNICIPALITY, CertKind.SIGN, 3, 1, 1, 0, 2),
    LedgerRow(dt.date(2026, 4, 2), MUNICIPALITY, CertKind.AUTH, 1, 1, 1, 0, 0),
]
EXPECTED_CSV = (
    "date,municipality,certificate_kind,requests_answered,installed,paid,free,destroyed_or_revoked_ex_officio\n"
    "2026-04-01,13101,auth,3,3,1,2,0\n"
    "2026-04-01,13101,sign,3,1,1,0,2\n"
    "2026-04-02,13101,auth,1,1,1,0,0\n"
)


def test_ledger_numbers(world: World) -> None:
    scenario(world)
    assert world.central.ledger() == EXPECTED
    assert world.central.ledger(municipality=MUNICIPALITY, since=dt.date(2026, 4, 2)) == EXPECTED[2:]
    assert world.central.ledger(until=dt.date(2026, 4, 1)) == EXPECTED[:2]
    assert world.central.ledger(municipality="27203") == []


def test_ledger_csv(world: World) -> None:
    scenario(world)
    assert to_csv(world.central.ledger()) == EXPECTED_CSV


def test_ledger_cli(world: World, db_url: str) -> None:
    scenario(world)
    runner = CliRunner()
    result = runner.invoke(main, ["ledger", "--url", db_url, "--csv"])
    assert result.exit_code == 0, result.output
    assert result.output == EXPECTED_CSV
    result = runner.invoke(main, ["ledger", "--url", db_url, "--since", "2026-04-02"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 2 and "2026-04-02" in lines[1] and "auth" in lines[1]
