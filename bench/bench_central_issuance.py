"""Central issuance throughput (certificates/s) on SQLite and PostgreSQL vs the machine's RSA-2048 limit.

The real central code end to end: `Authority.create` (RSA-2048 root and CAs), an Alembic-migrated
database, `Central` with one municipality, one bootstrapped terminal, N registered cards and N
approved new-issuance applications (sealed JWS-in-JWE envelopes, as a kiosk sends them). Set-up is
not timed; what is timed is `Central.issue_certificate(app_id, csr, CertKind.AUTH)` for all N, each
its own transaction: re-open the stored envelope, run the policy, check proof of possession, sign
the certificate, store it and its ledger row.

The central refuses a key it has certified before (規則 3, 39: "key-reused"), so N distinct RSA-2048
CSR keys are generated once (not timed) and used on both backends, each in its own database.

Ceiling: `openssl speed -seconds 3 rsa2048` sign/s, measured in the same run on the same machine
(one core, like the issuance loop). Each issuance also decrypts its envelope with the central's
encryption key, which `Authority.create` makes RSA-3072 even with ca_bits=2048, so a ratio well
below 1 is expected. PostgreSQL is the private test server from tests/central/pg_server.py, which
runs with fsync=off and synchronous_commit=off; SQLite runs with the central's WAL + synchronous=FULL.

    .venv/bin/python bench/bench_central_issuance.py [--n N] [--skip-postgres]
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "central"))  # pg_server (not a package)

from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402
from pg_server import PostgresServer, unavailable_reason  # noqa: E402

from appdata.envelope import seal_application  # noqa: E402
from appdata.model import (  # noqa: E402
    ApplicationData,
    BasicInfo,
    IdentityCheck,
    IdentityMethod,
    Procedure,
)
from central import migrate  # noqa: E402
from central.authority import Authority  # noqa: E402
from central.db import make_engine  # noqa: E402
from central.enums import CertKind  # noqa: E402
from central.service import Central  # noqa: E402

CA_EPOCH = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
NOW = dt.datetime(2026, 4, 1, 1, 0, tzinfo=dt.UTC)  # 10:00 JST; same fixed clock as the tests
MUNICIPALITY = "13101"
TERMINAL = "kiosk-bench"
APPLICANT = BasicInfo("佐藤　花子", "東京都千代田区霞が関二丁目１番２号", dt.date(1990, 1, 2), "2")
CARD_EXPIRY = dt.date(2034, 1, 2)


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def csr(key: rsa.RSAPrivateKey) -> x509.CertificateSigningRequest:
    # Like the kiosk's on-card CSR: empty subject, signed by the key it certifies (PKCS#1 v1.5).
    return x509.CertificateSigningRequestBuilder().subject_name(x509.Name([])).sign(key, hashes.SHA256())


def openssl_rsa2048_signs_per_second() -> float:
    result = subprocess.run(
        ["openssl", "speed", "-seconds", "3", "rsa2048"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    # "rsa 2048 bits 0.000816s 0.000021s   1225.3  47974.0" under "sign verify sign/s verify/s"
    match = re.search(r"^rsa\s+2048 bits\s+\S+\s+\S+\s+([\d.]+)\s+[\d.]+\s*$", result.stdout, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"no rsa2048 sign/s figure in openssl speed output:\n{result.stdout}")
    return float(match.group(1))


def prepare(central: Central, terminal_key: rsa.RSAPrivateKey, n: int) -> list[str]:
    """Municipality, terminal, n cards and n approved applications; returns the application ids."""
    central.add_municipality(MUNICIPALITY, "千代田区", now=NOW)
    secret = central.register_terminal(TERMINAL, MUNICIPALITY, now=NOW)
    central.bootstrap_terminal(TERMINAL, secret, csr(terminal_key), now=NOW)
    recipient = central.authority.encryption_key.public_key()
    app_ids = []
    for i in range(n):
        card_id = uuid.uuid4().bytes
        central.register_card(card_id, MUNICIPALITY, f"holder-{i}", CARD_EXPIRY, now=NOW)
        data = ApplicationData(
            application_id=str(uuid.uuid4()),
            procedure=Procedure.NEW_ISSUANCE,
            card_id=card_id.hex(),
            applicant=APPLICANT,
            operator="staff-042",
            certificates=("sign", "auth"),
            identity_check=IdentityCheck(IdentityMethod.PHOTO_ID, ("drivers_licence",)),
        )
        sealed = seal_application(
            data, terminal_id=TERMINAL, signing_key=terminal_key, recipient=recipient, now=NOW
        )
        record = central.receive_application(sealed, terminal_id=TERMINAL, now=NOW)
        if not record.approved:
            raise RuntimeError(f"application not approved: {record.rejection}")
        app_ids.append(record.id)
    return app_ids


def run_backend(
    authority: Authority,
    url: str,
    terminal_key: rsa.RSAPrivateKey,
    csrs: list[x509.CertificateSigningRequest],
) -> float:
    """Migrate `url`, set up, then time issuance of one AUTH certificate per application."""
    migrate.upgrade(url)
    central = Central(authority, make_engine(url))
    try:
        app_ids = prepare(central, terminal_key, len(csrs))
        start = time.perf_counter()
        issued = [
            central.issue_certificate(app_id, request, CertKind.AUTH, now=NOW)
            for app_id, request in zip(app_ids, csrs, strict=True)
        ]
        seconds = time.perf_counter() - start
    finally:
        central.close()
    if len({cert.serial for cert in issued}) != len(csrs):
        raise RuntimeError("issued serials are not all distinct")
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=200, help="certificates per backend (default 200)")
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()

    print("openssl speed -seconds 3 rsa2048 …", flush=True)
    openssl_sign = openssl_rsa2048_signs_per_second()

    print(f"generating {args.n} RSA-2048 CSR keys and the CA hierarchy (not timed) …", flush=True)
    csrs = [csr(new_key()) for _ in range(args.n)]
    terminal_key = new_key()

    results: list[tuple[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="bench-central-") as tmp:
        work = Path(tmp)
        authority = Authority.create(work / "ca", now=CA_EPOCH, root_bits=2048, ca_bits=2048)

        print("SQLite …", flush=True)
        results.append(
            (
                "SQLite (WAL, synchronous=FULL)",
                run_backend(authority, f"sqlite:///{work / 'central.db'}", terminal_key, csrs),
            )
        )

        reason = unavailable_reason()
        if args.skip_postgres:
            print("PostgreSQL skipped (--skip-postgres)")
        elif reason:
            print(f"PostgreSQL skipped: {reason}")
        else:
            print("PostgreSQL …", flush=True)
            server = PostgresServer()
            try:
                server.start()
                results.append(
                    ("PostgreSQL 15 (fsync=off)", run_backend(authority, server.url(), terminal_key, csrs))
                )
            finally:
                server.stop()

    print(f"\nCentral issuance, {args.n} AUTH certificates per backend, one transaction each")
    print(f"openssl speed rsa2048 (same machine, same run): {openssl_sign:.1f} sign/s")
    print(f"{'backend':32} {'N':>5} {'seconds':>8} {'certs/s':>8} {'× openssl sign/s':>17}")
    for name, seconds in results:
        rate = args.n / seconds
        print(f"{name:32} {args.n:5d} {seconds:8.2f} {rate:8.1f} {rate / openssl_sign:17.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
