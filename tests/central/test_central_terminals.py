"""Municipalities and terminals: registration, one-time bootstrap, renewal, revocation."""

from __future__ import annotations

import pytest
from central_testkit import (
    MUNICIPALITY,
    NOW,
    TERMINAL,
    World,
    application,
    csr,
    der,
    key,
    lint_certificate,
    problems,
)
from click.testing import CliRunner
from cryptography import x509
from sqlalchemy import select

from central.cli import main
from central.enums import CertKind, CertStatus, RevocationReason
from central.errors import BootstrapRefused, Conflict, EnvelopeError, NotFound
from central.models import Terminal
from central.service import Central
from central.terminals import bootstrap_secret, forget_bootstrap_secret
from central.timeutil import JST
from lcmp.jpki_items import normalise_bootstrap_secret


def test_bootstrap_secret_stored_only_sealed_to_its_terminal(world: World) -> None:
    secret = world.central.register_terminal("kiosk-0002", MUNICIPALITY, now=NOW)
    world.central.register_terminal("kiosk-0003", MUNICIPALITY, now=NOW)
    plain = normalise_bootstrap_secret(secret)
    with world.central.transaction() as s:
        row = s.scalars(select(Terminal).where(Terminal.id == "kiosk-0002")).one()
        other = s.scalars(select(Terminal).where(Terminal.id == "kiosk-0003")).one()
        sealed = row.bootstrap_secret_sealed
        assert sealed is not None and plain not in sealed and secret.encode() not in sealed
        assert not row.bootstrap_used and row.certificate_serial is None
        assert bootstrap_secret(s, world.central.authority, "kiosk-0002") == plain
        other.bootstrap_secret_sealed = sealed  # the OAEP label binds it to kiosk-0002
        s.flush()
        with pytest.raises(ValueError):
            bootstrap_secret(s, world.central.authority, "kiosk-0003")


def test_bootstrap_secret_erased_only_once_certified(world: World) -> None:
    secret = world.central.register_terminal("kiosk-0002", MUNICIPALITY, now=NOW)
    with world.central.transaction() as s:
        assert not forget_bootstrap_secret(s, "kiosk-0002")  # no certificate yet: keep it
    world.central.bootstrap_terminal("kiosk-0002", secret, csr(key("t2")), now=NOW)
    with world.central.transaction() as s:
        assert bootstrap_secret(s, world.central.authority, "kiosk-0002") is not None  # answer re-fetch
        assert forget_bootstrap_secret(s, "kiosk-0002")
        assert bootstrap_secret(s, world.central.authority, "kiosk-0002") is None


def test_new_bootstrap_secret_replaces_the_old_until_certified(world: World) -> None:
    old = world.central.register_terminal("kiosk-0002", MUNICIPALITY, now=NOW)
    new = world.central.new_bootstrap_secret("kiosk-0002", now=NOW)
    assert new != old
    with pytest.raises(BootstrapRefused):
        world.central.bootstrap_terminal("kiosk-0002", old, csr(key("t2")), now=NOW)
    world.central.bootstrap_terminal("kiosk-0002", new, csr(key("t2")), now=NOW)
    with pytest.raises(Conflict):  # certified: it renews with its certificate instead
        world.central.new_bootstrap_secret("kiosk-0002", now=NOW)


def test_bootstrap_once(world: World) -> None:
    secret = world.central.register_terminal("kiosk-0002", MUNICIPALITY, now=NOW)
    with pytest.raises(BootstrapRefused):
        world.central.bootstrap_terminal(
            "kiosk-0002", secret.replace(secret[0], "Z" if secret[0] != "Z" else "Y"), csr(key("t2")), now=NOW
        )
    with pytest.raises(BootstrapRefused):  # another terminal's secret is worthless here
        world.central.bootstrap_terminal(
            "kiosk-0002",
            world.central.register_terminal("kiosk-0003", MUNICIPALITY, now=NOW),
            csr(key("t2")),
            now=NOW,
        )
    issued = world.central.bootstrap_terminal(
        "kiosk-0002", secret.lower(), csr(key("t2")), now=NOW
    )  # case-insensitive
    cert = issued.certificate
    assert issued.kind is CertKind.TERMINAL
    assert cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value == "kiosk-0002"
    assert cert.subject.get_attributes_for_oid(x509.NameOID.ORGANIZATIONAL_UNIT_NAME)[0].value == MUNICIPALITY
    assert problems(lint_certificate(issued.der)) == []
    assert cert.issuer == world.central.authority.terminal_ca.cert.subject
    with pytest.raises(BootstrapRefused, match="spent"):
        world.central.bootstrap_terminal("kiosk-0002", secret, csr(key("t2-again")), now=NOW)


def test_first_certificate_needs_the_secret(world: World) -> None:
    world.central.register_terminal("kiosk-0002", MUNICIPALITY, now=NOW)
    with pytest.raises(BootstrapRefused, match="bootstrap secret needed"):
        world.central.renew_terminal_certificate("kiosk-0002", csr(key("t2")), now=NOW)


def test_renewal_supersedes(world: World) -> None:
    with world.central.transaction() as s:
        old_serial = s.scalars(select(Terminal.certificate_serial).where(Terminal.id == TERMINAL)).one()
    new = world.central.renew_terminal_certificate(TERMINAL, csr(key("terminal-renewed")), now=NOW)
    old = world.central.certificate_status(old_serial, now=NOW)  # type: ignore[arg-type]
    assert (old.status, old.reason) == (CertStatus.REVOKED, RevocationReason.SUPERSEDED)
    assert world.central.certificate_status(new.serial, now=NOW).valid


def test_renewed_terminal_keeps_its_earlier_applications(world: World) -> None:
    """An application signed with the old terminal key still opens (issuance re-reads it)."""
    card = world.card()
    record = world.apply(application(card_id=card))
    world.central.renew_terminal_certificate(TERMINAL, csr(key("terminal-renewed-2")), now=NOW)
    issued = world.central.issue_certificate(record.id, csr(key("tr-sign")), CertKind.SIGN, now=NOW)
    assert issued.kind is CertKind.SIGN


def test_revoked_terminal_is_refused(world: World) -> None:
    card = world.card()
    sealed = world.seal(application(card_id=card))
    world.central.revoke_terminal(TERMINAL, RevocationReason.KEY_COMPROMISE, now=NOW)
    with pytest.raises(EnvelopeError, match="known, active terminal"):
        world.central.receive_application(sealed, terminal_id=TERMINAL, now=NOW)
    with pytest.raises(BootstrapRefused):
        world.central.renew_terminal_certificate(TERMINAL, csr(key("t-after-revoke")), now=NOW)


def test_registration_errors(central: Central) -> None:
    central.add_municipality(MUNICIPALITY, "千代田区", now=NOW)
    with pytest.raises(Conflict):
        central.add_municipality(MUNICIPALITY, "千代田区", now=NOW)
    with pytest.raises(ValueError, match="5 or 6 digits"):
        central.add_municipality("Tokyo", "x", now=NOW)
    with pytest.raises(NotFound):
        central.register_terminal("kiosk-9", "99999", now=NOW)
    central.register_terminal("kiosk-9", MUNICIPALITY, now=NOW)
    with pytest.raises(Conflict):
        central.register_terminal("kiosk-9", MUNICIPALITY, now=NOW)
    with pytest.raises(ValueError, match="terminal id"):
        central.register_terminal("bad id!", MUNICIPALITY, now=NOW)


def test_cli_municipality_and_terminal(db_url: str, central: Central) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["municipality", "add", "--url", db_url, "27203", "豊中市"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["municipality", "add", "--url", db_url, "27203", "豊中市"])
    assert result.exit_code != 0 and "exists" in result.output
    result = runner.invoke(
        main,
        ["terminal", "register", "--url", db_url, "--ca-dir", str(central.authority.directory),
         "--municipality", "27203", "toyonaka-01"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1].split(": ")[-1]
    issued = central.bootstrap_terminal("toyonaka-01", secret, csr(key("cli-terminal")), now=NOW)
    assert x509.load_der_x509_certificate(issued.der).subject.rfc4514_string().startswith("CN=toyonaka-01")
    assert der(issued.certificate) == issued.der


def test_cli_new_secret(db_url: str, central: Central) -> None:
    central.add_municipality("27203", "豊中市", now=NOW)
    old = central.register_terminal("toyonaka-02", "27203", now=NOW)
    ca_dir = str(central.authority.directory)
    result = CliRunner().invoke(
        main, ["terminal", "new-secret", "--url", db_url, "--ca-dir", ca_dir, "toyonaka-02"]
    )
    assert result.exit_code == 0, result.output
    new = result.output.strip().split(": ")[-1]
    assert new != old
    central.bootstrap_terminal("toyonaka-02", new, csr(key("cli-terminal")), now=NOW)
    result = CliRunner().invoke(
        main, ["terminal", "new-secret", "--url", db_url, "--ca-dir", ca_dir, "toyonaka-02"]
    )
    assert result.exit_code != 0 and "certified already" in result.output


def _terminals(db_url: str, *args: str) -> list[list[str]]:
    result = CliRunner().invoke(main, ["terminal", "list", "--url", db_url, *args])
    assert result.exit_code == 0, result.output
    header, *rows = result.output.splitlines()
    assert header.startswith("terminal  ")
    return [row.split() for row in rows]


def test_cli_terminal_list_and_revoke(world: World, db_url: str) -> None:
    """After a theft (docs/deploy.md): see the terminal, revoke it for key compromise, once."""
    central = world.central
    central.register_terminal("kiosk-0009", MUNICIPALITY, now=NOW)  # registered, never bootstrapped
    with central.transaction() as s:
        serial = s.scalars(select(Terminal.certificate_serial).where(Terminal.id == TERMINAL)).one()
    assert serial is not None
    not_after = central.certificate_status(serial, now=NOW).not_after
    rows = {row[0]: row for row in _terminals(db_url)}
    assert set(rows) == {TERMINAL, "kiosk-0009"}
    assert rows[TERMINAL][1:6] == [MUNICIPALITY, "counter", "-", "active", serial]
    assert rows[TERMINAL][6] == not_after.astimezone(JST).strftime("%Y-%m-%d")  # renew before this
    assert rows["kiosk-0009"][5] == "(not" and rows["kiosk-0009"][4] == "active"
    assert _terminals(db_url, "--municipality", "99999") == []

    ca_dir = str(central.authority.directory)
    revoke = ["terminal", "revoke", "--url", db_url, "--ca-dir", ca_dir, "--reason", "key-compromise"]
    declined = CliRunner().invoke(main, [*revoke, TERMINAL], input="n\n")
    assert declined.exit_code == 1 and "Aborted" in declined.output
    assert {row[0]: row for row in _terminals(db_url)}[TERMINAL][4] == "active"

    done = CliRunner().invoke(main, [*revoke, TERMINAL], input="y\n")
    assert done.exit_code == 0, done.output
    assert done.output.splitlines()[-1] == f"terminal {TERMINAL} revoked (key-compromise)"
    status = central.certificate_status(serial, now=NOW)
    assert (status.status, status.reason) == (CertStatus.REVOKED, RevocationReason.KEY_COMPROMISE)
    row = {row[0]: row for row in _terminals(db_url)}[TERMINAL]
    assert row[4] == "revoked" and row[-2] != "-"  # the revocation time (date, then time)
    with pytest.raises(EnvelopeError, match="known, active terminal"):
        central.receive_application(
            world.seal(application(card_id=world.card())), terminal_id=TERMINAL, now=NOW
        )

    again = CliRunner().invoke(main, [*revoke, "--yes", TERMINAL])
    assert again.exit_code == 1 and "revoked already" in again.output
    assert central.certificate_status(serial, now=NOW).reason is RevocationReason.KEY_COMPROMISE  # unchanged
    unknown = CliRunner().invoke(main, [*revoke, "--yes", "kiosk-nope"])
    assert unknown.exit_code == 1 and "no terminal kiosk-nope is registered" in unknown.output
    no_reason = CliRunner().invoke(
        main, ["terminal", "revoke", "--url", db_url, "--ca-dir", ca_dir, "--yes", "kiosk-0009"]
    )
    assert no_reason.exit_code == 2 and "--reason" in no_reason.output
