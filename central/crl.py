"""CRLs: one full CRL per CA, signed by that CA, CRL number strictly increasing (RFC 5280 §5.2.3).

Regenerated inside the transaction of every revocation (so a committed revocation is always on
the stored CRL), and on demand or by a scheduler well before `nextUpdate` (`regenerate_crls`).
Entries: every hold or revoked certificate of the CA until one CRL period after it expired — an
expired certificate needs no status, but must appear on one CRL issued after its expiry (RFC 5280
§3.3). A released hold simply disappears from the next full
CRL (removeFromCRL is only meaningful in delta CRLs, §5.3.1).

At national volume the lists get long; partitioning them (per municipality, with a critical
issuingDistributionPoint, as J-LIS does) is the next step and changes only this module and the
CRL DP in `profiles`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from central.authority import Authority
from central.enums import CaName, CertStatus, RevocationReason
from central.models import Certificate, CrlState
from central.profiles import Issuer
from central.timeutil import whole_seconds


@dataclass(frozen=True)
class CrlEntry:
    serial: int
    revoked_at: dt.datetime
    reason: RevocationReason


def build_crl(
    issuer: Issuer,
    entries: Iterable[CrlEntry],
    *,
    number: int,
    this_update: dt.datetime,
    next_update: dt.datetime,
) -> x509.CertificateRevocationList:
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.cert.subject)
        .last_update(this_update)
        .next_update(next_update)
        .add_extension(x509.CRLNumber(number), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(issuer.ski), critical=False
        )
    )
    for entry in entries:
        revoked = (
            x509.RevokedCertificateBuilder().serial_number(entry.serial).revocation_date(entry.revoked_at)
        )
        if entry.reason is not RevocationReason.UNSPECIFIED:
            # RFC 5280 §5.3.1: omit reasonCode rather than say "unspecified".
            revoked = revoked.add_extension(x509.CRLReason(entry.reason.x509_flag), critical=False)
        builder = builder.add_revoked_certificate(revoked.build())
    return builder.sign(issuer.key, hashes.SHA256())


def _insert_ignore(session: Session, row: dict[str, object]) -> None:
    """INSERT … ON CONFLICT DO NOTHING on either backend."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(postgresql.insert(CrlState).values(**row).on_conflict_do_nothing())
    else:
        session.execute(sqlite.insert(CrlState).values(**row).on_conflict_do_nothing())


def regenerate(session: Session, authority: Authority, ca: CaName, now: dt.datetime) -> bytes:
    """Sign and store a new CRL for `ca`; returns its DER."""
    this_update = whole_seconds(now)
    # Make sure the state row exists, then lock it: concurrent regenerations of the same CA
    # queue behind the lock, so CRL numbers are never reused (PostgreSQL; SQLite has one writer).
    _insert_ignore(
        session,
        {"ca": ca, "crl_number": 0, "this_update": this_update, "next_update": this_update, "der": b""},
    )
    state = session.scalars(select(CrlState).where(CrlState.ca == ca).with_for_update()).one()
    revoked = session.scalars(
        select(Certificate)
        .where(
            Certificate.issuer == ca,
            Certificate.status.in_((CertStatus.HOLD, CertStatus.REVOKED)),
            # RFC 5280 §3.3: keep an entry until one scheduled CRL past the certificate's expiry.
            Certificate.not_after >= this_update - authority.settings.crl_validity,
        )
        .order_by(Certificate.revoked_at, Certificate.serial)
    ).all()
    entries = [
        CrlEntry(
            int(row.serial, 16),
            whole_seconds(row.revoked_at or this_update),
            row.revocation_reason or RevocationReason.UNSPECIFIED,
        )
        for row in revoked
    ]
    number = state.crl_number + 1
    crl = build_crl(
        authority.issuer(ca),
        entries,
        number=number,
        this_update=this_update,
        next_update=this_update + authority.settings.crl_validity,
    )
    der = crl.public_bytes(serialization.Encoding.DER)
    state.crl_number = number
    state.this_update = this_update
    state.next_update = this_update + authority.settings.crl_validity
    state.der = der
    session.flush()
    return der


def regenerate_crls(session: Session, authority: Authority, now: dt.datetime) -> dict[CaName, bytes]:
    """Every CA's CRL (for the scheduler and `central crl regenerate`)."""
    return {ca: regenerate(session, authority, ca, now) for ca in CaName}


def current_crl(session: Session, ca: CaName) -> bytes | None:
    state = session.get(CrlState, ca)
    return state.der if state is not None and state.der else None
