"""The `central` command (`python -m central` until registered as a console script).

    central init DIR [--organization NAME] [--publication-url URL]
    central db upgrade --url URL
    central municipality add --url URL CODE NAME
    central terminal register --url URL --municipality CODE [--mode M] [--reset-pins sign,auth] TERMINAL_ID
    central ledger --url URL [--municipality CODE] [--since DAY] [--until DAY] [--csv]
    central applications --url URL [--kind K] [--status S] [--municipality CODE] [--since DAY] [--until DAY]
    central reset-attempts --url URL [--municipality C] [--terminal ID] [--card HEX] [--since D] [--until D]
    central crl regenerate --url URL --ca-dir DIR [--out DIR]
    central retention --url URL --ca-dir DIR [--dry-run [--as-of DAY]] [--batch-size N]
    central terminal bootstrap --url URL --ca-dir DIR --secret S --csr FILE --out FILE TERMINAL_ID
    central serve --url URL --ca-dir DIR [--host 127.0.0.1] [--port 8443] [--reset-… limits]

The database URL may also come from CENTRAL_DB_URL, the CA directory from CENTRAL_CA_DIR.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from sqlalchemy.orm import Session

from central import ledger as ledger_module
from central import migrate, terminals, unattended
from central import retention as retention_module
from central.applications import ApplicationRecord, list_applications, revoked_text
from central.authority import DEFAULT_ORGANIZATION, DEFAULT_PUBLICATION_URL, Authority, Settings
from central.cmp_intake import CmpIntake
from central.crl import regenerate_crls
from central.db import make_engine, make_session_factory, transaction
from central.enums import ApplicationStatus, ProcedureKind, RevocationReason, TerminalMode
from central.errors import CentralError, NotFound
from central.httpd import CentralHttpServer, server_ssl_context
from central.maintenance import Periodic, maintenance_thread
from central.registry import card_key
from central.service import Central
from central.timeutil import JST
from central.tls import ensure_server_tls

_URL = click.option("--url", envvar="CENTRAL_DB_URL", required=True, help="SQLAlchemy database URL")
_CA_DIR = click.option(
    "--ca-dir", envvar="CENTRAL_CA_DIR", required=True, type=click.Path(exists=True, path_type=Path)
)
_LIMITS = unattended.DEFAULT_SETTINGS  # `serve` shows these as its defaults


@contextmanager
def _session(url: str) -> Iterator[Session]:
    """One transaction; the engine is disposed afterwards (a CLI run holds no pooled connections)."""
    engine = make_engine(url)
    try:
        with transaction(make_session_factory(engine)) as session:
            yield session
    finally:
        engine.dispose()


@click.group()
def main() -> None:
    """Central CA core: hierarchy, database, municipalities, terminals, ledger."""


@main.command()
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--organization", default=DEFAULT_ORGANIZATION, show_default=True)
@click.option("--publication-url", default=DEFAULT_PUBLICATION_URL, show_default=True)
def init(directory: Path, organization: str, publication_url: str) -> None:
    """Create the CA hierarchy and the central's keys in DIRECTORY (0700, keys 0600)."""
    try:
        Authority.create(directory, settings=Settings(organization, publication_url))
    except FileExistsError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"CA hierarchy created in {directory} (production: keep these keys in an HSM)")


@main.group()
def db() -> None:
    """Database schema (Alembic migrations)."""


@db.command()
@_URL
def upgrade(url: str) -> None:
    """Create or upgrade the schema to the newest revision."""
    migrate.upgrade(url)
    click.echo(f"database at revision {migrate.head_revision()}")


@main.group()
def municipality() -> None:
    """Municipalities (全国地方公共団体コード)."""


@municipality.command("add")
@_URL
@click.argument("code")
@click.argument("name")
def municipality_add(url: str, code: str, name: str) -> None:
    try:
        with _session(url) as s:
            terminals.add_municipality(s, code, name, dt.datetime.now(dt.UTC))
    except (CentralError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"municipality {code} added")


@main.group()
def terminal() -> None:
    """Counter terminals and kiosks."""


@terminal.command("register")
@_URL
@_CA_DIR
@click.option("--municipality", "municipality_code", required=True)
@click.option(
    "--mode",
    type=click.Choice([m.value for m in TerminalMode]),
    default=TerminalMode.COUNTER.value,
    show_default=True,
    help="counter: staff at it; unattended: PIN resets only (docs/unattended.md)",
)
@click.option(
    "--reset-pins",
    default="",
    help="unattended: the PINs it may reset, comma-separated (sign, auth); required with --mode unattended",
)
@click.argument("terminal_id")
def terminal_register(  # click passes options by name
    *, url: str, ca_dir: Path, municipality_code: str, mode: str, reset_pins: str, terminal_id: str
) -> None:
    """Register a terminal and print its one-time bootstrap secret (shown only now)."""
    authority = Authority.load(ca_dir)
    try:
        with _session(url) as s:
            secret = terminals.register_terminal(
                s, authority, terminal_id, municipality_code, dt.datetime.now(dt.UTC),
                mode=TerminalMode(mode), reset_pins=reset_pins,
            )  # fmt: skip
    except (CentralError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    pins = terminals.reset_pins_text(TerminalMode(mode), reset_pins)
    click.echo(f"terminal {terminal_id} registered ({mode}{': resets ' + pins if pins else ''})")
    click.echo(f"bootstrap secret (shown once; give it to the installer): {secret}")


@terminal.command("new-secret")
@_URL
@_CA_DIR
@click.argument("terminal_id")
def terminal_new_secret(url: str, ca_dir: Path, terminal_id: str) -> None:
    """Replace a not-yet-certified terminal's bootstrap secret (the old one stops working)."""
    authority = Authority.load(ca_dir)
    try:
        with _session(url) as s:
            secret = terminals.new_bootstrap_secret(s, authority, terminal_id, dt.datetime.now(dt.UTC))
    except (CentralError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"bootstrap secret for {terminal_id} (shown once): {secret}")


_REVOKE_REASONS = {
    "key-compromise": RevocationReason.KEY_COMPROMISE,  # stolen or lost: its key may be in other hands
    "cessation": RevocationReason.CESSATION_OF_OPERATION,  # decommissioned, replaced
}


@terminal.command("revoke")
@_URL
@_CA_DIR
@click.option(
    "--reason",
    type=click.Choice(list(_REVOKE_REASONS)),
    required=True,
    help="key-compromise: stolen or lost (docs/deploy.md, After a theft); cessation: taken out of use",
)
@click.option("--yes", is_flag=True, help="do not ask for confirmation")
@click.argument("terminal_id")
def terminal_revoke(*, url: str, ca_dir: Path, reason: str, yes: bool, terminal_id: str) -> None:
    """Revoke a terminal for good: the central refuses its messages at once, its certificates are
    revoked and the CRLs renewed, its bootstrap secret erased. Its id stays taken."""
    if not yes:
        click.confirm(f"Revoke terminal {terminal_id} ({reason})? This cannot be undone", abort=True)
    central = Central.open(ca_dir, url)
    try:
        central.revoke_terminal(terminal_id, _REVOKE_REASONS[reason])
    except NotFound:
        raise click.ClickException(f"no terminal {terminal_id} is registered") from None
    except (CentralError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        central.close()
    click.echo(f"terminal {terminal_id} revoked ({reason})")


_TERMINALS_HEADER = (
    "terminal", "municipality", "mode", "resets", "status", "certificate", "valid until (JST)",
    "registered (JST)", "revoked (JST)",
)  # fmt: skip


@terminal.command("list")
@_URL
@click.option("--municipality", "municipality_code")
def terminal_list(*, url: str, municipality_code: str | None) -> None:
    """The registered terminals with their status and when their certificate must be renewed by."""
    with _session(url) as s:
        records = terminals.list_terminals(s, municipality=municipality_code)
    _table([_TERMINALS_HEADER, *(_terminal_row(r) for r in records)])


def _terminal_row(r: terminals.TerminalRecord) -> tuple[str, ...]:
    pins = terminals.reset_pins_text(r.mode, r.reset_pins) or "-"
    serial = r.certificate_serial or "(not bootstrapped)"
    return (
        r.id, r.municipality, r.mode.value, pins, r.status.value, serial, _jst(r.certificate_not_after),
        _jst(r.created_at), _jst(r.revoked_at),
    )  # fmt: skip


@terminal.command("bootstrap")
@_URL
@_CA_DIR
@click.option("--secret", required=True, help="the one-time bootstrap secret printed at registration")
@click.option("--csr", "csr_path", type=click.Path(exists=True, path_type=Path), required=True)
@click.option("--out", type=click.Path(path_type=Path), required=True, help="where to write the certificate")
@click.argument("terminal_id")
def terminal_bootstrap(  # click passes options by name
    *, url: str, ca_dir: Path, secret: str, csr_path: Path, out: Path, terminal_id: str
) -> None:
    """Issue a terminal's first certificate against its one-time secret (offline installation)."""
    central = Central.open(ca_dir, url)
    try:
        issued = central.bootstrap_terminal(
            terminal_id, secret, x509.load_pem_x509_csr(csr_path.read_bytes())
        )
    except (CentralError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        central.close()
    out.write_bytes(issued.certificate.public_bytes(serialization.Encoding.PEM))
    click.echo(f"terminal {terminal_id}: certificate {issued.serial} written to {out}")


@main.command()
@_URL
@_CA_DIR
@click.option("--host", default="127.0.0.1", show_default=True, help="address to listen on")
@click.option("--port", default=8443, show_default=True, type=int)
@click.option(
    "--maintenance-minutes",
    default=10.0,
    show_default=True,
    type=float,
    help="how often CRLs are renewed (at half their validity) and unconfirmed certificates swept",
)
@click.option(
    "--confirm-wait-days",
    default=45.0,
    show_default=True,
    type=float,
    help="an issued certificate not confirmed within this is destroyed (破棄)",
)
@click.option(
    "--deferred-issuance",
    is_flag=True,
    help="answer p10cr `waiting` and issue from a worker; terminals poll (RFC 9483 §4.4)",
)
@click.option(
    "--reset-tickets-per-card",
    type=int,
    default=_LIMITS.tickets_per_card,
    show_default=True,
    help="unattended PIN reset: tickets opened for one card in the card window, at any terminal",
)
@click.option(
    "--reset-card-window-hours",
    type=float,
    default=_LIMITS.card_window / dt.timedelta(hours=1),
    show_default=True,
)
@click.option(
    "--reset-tickets-per-terminal",
    type=int,
    default=_LIMITS.tickets_per_terminal,
    show_default=True,
    help="unattended PIN reset: tickets opened at one terminal in the terminal window",
)
@click.option(
    "--reset-terminal-window-minutes",
    type=float,
    default=_LIMITS.terminal_window / dt.timedelta(minutes=1),
    show_default=True,
)
@click.option(
    "--reset-ticket-minutes",
    type=float,
    default=_LIMITS.ticket_lifetime / dt.timedelta(minutes=1),
    show_default=True,
    help="how long a reset ticket, and the approval under it, is good for",
)
def serve(  # click passes options by name
    *,
    url: str,
    ca_dir: Path,
    host: str,
    port: int,
    maintenance_minutes: float,
    confirm_wait_days: float,
    deferred_issuance: bool,
    reset_tickets_per_card: int,
    reset_card_window_hours: float,
    reset_tickets_per_terminal: int,
    reset_terminal_window_minutes: float,
    reset_ticket_minutes: float,
) -> None:
    """Run the CMP intake over HTTPS with mutual TLS, and the CRLs, until SIGTERM or Ctrl-C."""
    try:
        limits = unattended.UnattendedSettings(
            tickets_per_card=reset_tickets_per_card,
            card_window=dt.timedelta(hours=reset_card_window_hours),
            tickets_per_terminal=reset_tickets_per_terminal,
            terminal_window=dt.timedelta(minutes=reset_terminal_window_minutes),
            ticket_lifetime=dt.timedelta(minutes=reset_ticket_minutes),
        )
    except ValueError as exc:
        raise click.UsageError(f"unattended reset limits: {exc}") from None
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    central = Central.open(ca_dir, url, unattended=limits)
    tls = ensure_server_tls(central.authority, [host])
    context = server_ssl_context(str(tls.cert_chain), str(tls.key), str(tls.client_ca))
    intake = CmpIntake(central, deferred_issuance=deferred_issuance)
    server = CentralHttpServer((host, port), intake, context)
    workers = [
        maintenance_thread(
            central,
            interval=dt.timedelta(minutes=maintenance_minutes),
            confirm_wait=dt.timedelta(days=confirm_wait_days),
        )
    ]
    if deferred_issuance:
        workers.append(Periodic("central-issuer", intake.issue_pending, interval=dt.timedelta(seconds=1)))
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    for worker in workers:
        worker.start()
    click.echo(f"central listening on https://{host}:{server.server_address[1]}/pkix/", err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        for worker in workers:
            worker.stop()
            worker.join(10)
        server.server_close()
        central.close()


@main.command()
@_URL
@click.option("--municipality", "municipality_code")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="first day (JST), inclusive")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="last day (JST), inclusive")
@click.option("--csv", "as_csv", is_flag=True, help="CSV for export instead of a table")
def ledger(
    url: str,
    municipality_code: str | None,
    since: dt.datetime | None,
    until: dt.datetime | None,
    as_csv: bool,
) -> None:
    """交付記録簿: per municipality, day and certificate kind."""
    with _session(url) as s:
        rows = ledger_module.rows(
            s,
            municipality=municipality_code,
            since=since.date() if since else None,
            until=until.date() if until else None,
        )
    if as_csv:
        sys.stdout.write(ledger_module.to_csv(rows))
        return
    header = ("date", "municipality", "kind", "answered", "installed", "paid", "free", "struck off")
    click.echo("  ".join(f"{h:>12}" for h in header))
    for r in rows:
        values = (
            r.day.isoformat(),
            r.municipality,
            r.kind.value,
            r.requests_answered,
            r.installed,
            r.paid,
            r.free,
            r.destroyed_or_revoked_ex_officio,
        )
        click.echo("  ".join(f"{v!s:>12}" for v in values))


_APPLICATIONS_HEADER = (
    "received (JST)", "application", "municipality", "terminal", "kind", "status", "card", "identity",
    "detail",
)  # fmt: skip


@main.command("applications")
@_URL
@click.option("--kind", type=click.Choice([k.value for k in ProcedureKind]), help="e.g. disclosure")
@click.option("--status", type=click.Choice([s.value for s in ApplicationStatus]))
@click.option("--municipality", "municipality_code")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="first day of receipt (JST), inclusive")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="last day of receipt (JST), inclusive")
def applications_list(  # click passes options by name
    *,
    url: str,
    kind: str | None,
    status: str | None,
    municipality_code: str | None,
    since: dt.datetime | None,
    until: dt.datetime | None,
) -> None:
    """Received applications, oldest first: ids and codes, never their (encrypted) content.

    `--kind disclosure` lists the 開示・訂正請求 for staff to act on (要綱 6)."""
    with _session(url) as s:
        records = list_applications(
            s,
            kind=ProcedureKind(kind) if kind else None,
            status=ApplicationStatus(status) if status else None,
            municipality=municipality_code,
            since=since.date() if since else None,
            until=until.date() if until else None,
        )
    table = [_APPLICATIONS_HEADER, *(_application_row(r) for r in records)]
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]) - 1)]
    for *cells, detail in table:  # the free-text detail is not padded
        padded = [cell.ljust(width) for cell, width in zip(cells, widths, strict=True)]
        click.echo("  ".join([*padded, detail]).rstrip())


def _application_row(r: ApplicationRecord) -> tuple[str, ...]:
    received = r.received_at.astimezone(JST).strftime("%Y-%m-%d %H:%M")
    card, method, status = r.card_id or "-", r.identity_method or "-", r.status.value
    return (received, r.id, r.municipality, r.terminal_id, r.kind.value, status, card, method, _detail(r))


def _detail(record: ApplicationRecord) -> str:
    """The one thing staff need per kind: the refusal, the disclosure request's kind, what a
    suspension release revoked."""
    if record.rejection is not None:
        return record.rejection
    if record.disclosure_kind is not None:
        return record.disclosure_kind.value
    if record.kind is ProcedureKind.SUSPENSION_RELEASE:
        return f"revoked {revoked_text(record.revoked) or '(none held)'}"
    return ""


_ATTEMPTS_HEADER = (
    "requested (JST)", "ticket", "municipality", "terminal", "card", "pin", "status", "refusal",
    "application", "reason", "reported (JST)",
)  # fmt: skip


@main.command("reset-attempts")
@_URL
@click.option("--municipality", "municipality_code", help="the terminal's municipality")
@click.option("--terminal", "terminal_id")
@click.option("--card", "card_id", help="32 hex digits")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="first day of the request (JST), inclusive")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="last day of the request (JST), inclusive")
def reset_attempts(  # click passes options by name
    *,
    url: str,
    municipality_code: str | None,
    terminal_id: str | None,
    card_id: str | None,
    since: dt.datetime | None,
    until: dt.datetime | None,
) -> None:
    """Unattended PIN-reset attempts, oldest first: ids, codes and times (docs/unattended.md).

    status: refused (no ticket), open, used, expired (no outcome reported in time), or the
    reported completed / referred; refusal: the central's code; reason: the terminal's."""
    try:
        card = card_key(card_id) if card_id is not None else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--card") from None
    now = dt.datetime.now(dt.UTC)
    with _session(url) as s:
        attempts = unattended.list_attempts(
            s,
            municipality=municipality_code,
            terminal_id=terminal_id,
            card_id=card,
            since=since.date() if since else None,
            until=until.date() if until else None,
        )
    _table([_ATTEMPTS_HEADER, *(_attempt_row(a, now) for a in attempts)])


def _jst(when: dt.datetime | None) -> str:
    return when.astimezone(JST).strftime("%Y-%m-%d %H:%M:%S") if when is not None else "-"


def _attempt_row(a: unattended.ResetAttempt, now: dt.datetime) -> tuple[str, ...]:
    application = "-"
    if a.application_id is not None:
        application = f"{a.application_id} ({a.application_status.value if a.application_status else '?'})"
    reason = " ".join(code for code in (a.outcome_reason, a.outcome_refusal) if code) or "-"
    return (
        _jst(a.requested_at), a.ticket_id, a.municipality, a.terminal_id, a.card_id, a.target, a.status(now),
        a.refusal or "-", application, reason, _jst(a.reported_at),
    )  # fmt: skip


def _table(rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


@main.group()
def crl() -> None:
    """Certificate revocation lists."""


@crl.command("regenerate")
@_URL
@click.option("--ca-dir", envvar="CENTRAL_CA_DIR", required=True, type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), help="also write <ca>.crl files here")
def crl_regenerate(url: str, ca_dir: Path, out: Path | None) -> None:
    """Sign fresh CRLs for every CA (run from a scheduler well before nextUpdate)."""
    authority = Authority.load(ca_dir)
    with _session(url) as s:
        crls = regenerate_crls(s, authority, dt.datetime.now(dt.UTC))
    for ca, der in crls.items():
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            (out / f"{ca.value}.crl").write_bytes(der)
        click.echo(f"{ca.value}: {len(der)} bytes")


# -- retention (central.retention; docs/central.md §13) ------------------------------------------


@main.command("retention")
@_URL
@_CA_DIR
@click.option("--dry-run", is_flag=True, help="count what is past retention; delete nothing")
@click.option(
    "--as-of",
    type=click.DateTime(["%Y-%m-%d"]),
    help="with --dry-run: count as at 00:00 JST of this day (what a purge then will take)",
)
@click.option(
    "--batch-size",
    default=retention_module.DEFAULT_BATCH,
    show_default=True,
    type=click.IntRange(1, 100_000),
    help="rows per delete (each batch is its own transaction)",
)
def retention_purge(  # click passes options by name
    *, url: str, ca_dir: Path, dry_run: bool, as_of: dt.datetime | None, batch_size: int
) -> None:
    """Delete the records past their retention; prints the count per kind.

    `central serve` purges once a day by itself; this is for a first run, a rehearsal
    (--dry-run) or a central that does not run the schedule."""
    if as_of is not None and not dry_run:
        # A purge "as of" a later day would delete what must still be kept today.
        raise click.UsageError("--as-of is only for --dry-run")
    now = dt.datetime.combine(as_of.date(), dt.time(0), JST) if as_of else dt.datetime.now(dt.UTC)
    central = Central.open(ca_dir, url)
    try:
        report = retention_module.purge(central, now, batch_size=batch_size, dry_run=dry_run)
    finally:
        central.close()
    when = now.astimezone(JST).strftime("%Y-%m-%d %H:%M JST")
    click.echo(f"past retention at {when} (dry run: nothing deleted)" if dry_run else f"purged at {when}")
    rows = [("kind", "rows", "kept", "counted from")]
    for name, count in report.counts.items():
        kept = retention_module.RETENTION.get(name)
        period, since = (str(kept.period), kept.counted_from) if kept else ("-", "with its parent record")
        rows.append((name, str(count), period, since))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for *cells, since in rows:
        click.echo("  ".join([*(c.ljust(w) for c, w in zip(cells, widths, strict=True)), since]))
    click.echo(f"total: {report.total}")
