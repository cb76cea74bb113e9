"""The `central` command (`python -m central` until registered as a console script).

    central init DIR [--organization NAME] [--publication-url URL]
    central db upgrade --url URL
    central municipality add --url URL CODE NAME
    central terminal register --url URL --municipality CODE TERMINAL_ID
    central ledger --url URL [--municipality CODE] [--since DAY] [--until DAY] [--csv]
    central applications --url URL [--kind K] [--status S] [--municipality CODE] [--since DAY] [--until DAY]
    central crl regenerate --url URL --ca-dir DIR [--out DIR]
    central terminal bootstrap --url URL --ca-dir DIR --secret S --csr FILE --out FILE TERMINAL_ID
    central serve --url URL --ca-dir DIR [--host 127.0.0.1] [--port 8443]

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
from central import migrate, terminals
from central.applications import ApplicationRecord, list_applications, revoked_text
from central.authority import DEFAULT_ORGANIZATION, DEFAULT_PUBLICATION_URL, Authority, Settings
from central.cmp_intake import CmpIntake
from central.crl import regenerate_crls
from central.db import make_engine, make_session_factory, transaction
from central.enums import ApplicationStatus, ProcedureKind
from central.errors import CentralError
from central.httpd import CentralHttpServer, server_ssl_context
from central.maintenance import Periodic, maintenance_thread
from central.service import Central
from central.timeutil import JST
from central.tls import ensure_server_tls

_URL = click.option("--url", envvar="CENTRAL_DB_URL", required=True, help="SQLAlchemy database URL")
_CA_DIR = click.option(
    "--ca-dir", envvar="CENTRAL_CA_DIR", required=True, type=click.Path(exists=True, path_type=Path)
)


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
@click.argument("terminal_id")
def terminal_register(url: str, ca_dir: Path, municipality_code: str, terminal_id: str) -> None:
    """Register a terminal and print its one-time bootstrap secret (shown only now)."""
    authority = Authority.load(ca_dir)
    try:
        with _session(url) as s:
            secret = terminals.register_terminal(
                s, authority, terminal_id, municipality_code, dt.datetime.now(dt.UTC)
            )
    except (CentralError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"terminal {terminal_id} registered")
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
def serve(  # click passes options by name
    *,
    url: str,
    ca_dir: Path,
    host: str,
    port: int,
    maintenance_minutes: float,
    confirm_wait_days: float,
    deferred_issuance: bool,
) -> None:
    """Run the CMP intake over HTTPS with mutual TLS, and the CRLs, until SIGTERM or Ctrl-C."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    central = Central.open(ca_dir, url)
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
