"""Issuing card certificates against an accepted application, confirming their installation, and
revocations a terminal asks for on a holder's behalf.

`issue_certificate` re-opens the stored envelope (the 基本4情報 and birth date exist only in
memory here), runs the full policy again at issuance time — the card may have been suspended
since the application arrived — and signs. One certificate per (application, kind): a repeated
request with the same key returns the first certificate, a different key is refused.
"""

from __future__ import annotations

import datetime as dt
import logging

from cryptography import x509
from sqlalchemy import select
from sqlalchemy.orm import Session

from appdata.model import Procedure
from central import applications, certstore, ledger, policy, profiles, registry
from central.authority import Authority
from central.certstore import IssuedCertificate, Serial
from central.enums import ApplicationStatus, CertKind, CertStatus, LedgerEventKind, RevocationReason
from central.errors import ApplicationRejected, Conflict, PolicyViolation
from central.models import Application, Certificate
from central.revocation import CertificateStatus, certificate_status, refresh_crls, revoke_row
from central.timeutil import end_of_jst_day, jst_day, whole_seconds

log = logging.getLogger(__name__)

RULE_TWO_KEYS = "規則 3, 39 (a key pair per certificate, made for this card)"


def _load_csr(csr: x509.CertificateSigningRequest | bytes) -> x509.CertificateSigningRequest:
    if isinstance(csr, x509.CertificateSigningRequest):
        return csr
    try:
        return x509.load_der_x509_csr(csr)
    except ValueError:
        raise PolicyViolation("csr-malformed", policy.RULE_POP) from None


def _approved(session: Session, application_id: str, terminal_id: str | None) -> Application:
    app = applications.get_application(session, application_id, for_update=True)
    if terminal_id is not None and applications.installer(app) != terminal_id:
        raise ApplicationRejected(f"application {application_id} belongs to another terminal")
    if app.status is not ApplicationStatus.APPROVED:
        raise ApplicationRejected(f"application {application_id} is {app.status.value}")
    return app


def issue_certificate(
    session: Session,
    authority: Authority,
    application_id: str,
    csr: x509.CertificateSigningRequest | bytes,
    kind: CertKind,
    *,
    now: dt.datetime,
    terminal_id: str | None = None,
) -> IssuedCertificate:
    request = _load_csr(csr)
    app = _approved(session, application_id, terminal_id)
    if not app.kind.issues_certificates:
        raise ApplicationRejected(f"application {application_id} ({app.kind.value}) issues no certificate")
    existing = session.scalars(
        select(Certificate).where(Certificate.application_id == app.id, Certificate.kind == kind)
    ).one_or_none()
    if existing is not None:
        if existing.spki_sha256 == certstore.spki_digest(request):
            return IssuedCertificate.of(existing)  # a retried request: same answer
        raise Conflict(f"application {app.id} already has a {kind.value} certificate for another key")
    data = applications.open_stored(session, authority, app)
    if kind.value not in data.certificates:
        raise ApplicationRejected(f"application {app.id} does not request a {kind.value} certificate")
    if app.card_id is None:  # cannot happen for an approved issuance application; never issue blind
        raise ApplicationRejected(f"application {app.id} names no known card")
    card = registry.get_card(session, app.card_id, for_update=True)
    decision = policy.decide_issuance(
        kind,
        request,
        applications.holder_facts(data),
        applications.card_facts(card, now),
        applied=jst_day(app.signed_at),
        issued=jst_day(now),
    )
    spki = certstore.spki_digest(request)
    if session.scalars(select(Certificate.serial).where(Certificate.spki_sha256 == spki)).first():
        raise PolicyViolation("key-reused", RULE_TWO_KEYS)
    serial = profiles.new_serial()
    while certstore.serial_in_use(session, serial):
        serial = profiles.new_serial()
    start, end = whole_seconds(now), end_of_jst_day(decision.last_day)
    issuer = authority.issuer(kind.issuer)
    if kind is CertKind.SIGN:
        cert = profiles.sign_certificate(
            issuer,
            authority.publication,
            decision.public_key,
            data.applicant,
            not_before=start,
            not_after=end,
            serial=serial,
        )
    else:
        cert = profiles.auth_certificate(
            issuer, authority.publication, decision.public_key, not_before=start, not_after=end, serial=serial
        )
    row = certstore.store(
        session,
        cert,
        kind=kind,
        now=now,
        card_id=card.card_id,
        terminal_id=app.terminal_id,
        application_id=app.id,
    )
    ledger.record(
        session,
        LedgerEventKind.REQUEST_ANSWERED,
        row,
        municipality_code=app.municipality_code,
        fee=app.fee,
        now=now,
    )
    log.info("issued %s certificate serial=%s application=%s", kind.value, row.serial, app.id)
    return IssuedCertificate.of(row)


def confirm_installed(
    session: Session,
    authority: Authority,
    serial: Serial,
    now: dt.datetime,
    *,
    terminal_id: str | None = None,
) -> CertificateStatus:
    """The terminal wrote the certificate to the card and read it back (CMP certConf, SYNC.md §2).

    Counts as 交付 in the ledger. A renewal's new certificate supersedes the card's earlier
    certificates of the same kind from this moment (not at issuance: if the card write fails the
    holder keeps the old one).
    """
    row = certstore.get(session, serial, for_update=True)
    if row.kind is CertKind.TERMINAL or row.application_id is None:
        raise ApplicationRejected(f"certificate {row.serial} is not a card certificate")
    app = applications.get_application(session, row.application_id)
    # Either terminal may say it is on the card: the one that asked for it wrote it before the
    # handover's notice reached it, or the one it was handed over to.
    if terminal_id is not None and terminal_id not in (app.terminal_id, applications.installer(app)):
        raise ApplicationRejected(f"certificate {row.serial} was requested by another terminal")
    if row.installed_at is not None:
        return certificate_status(session, row.serial, now)
    if row.status is not CertStatus.GOOD:
        raise ApplicationRejected(f"certificate {row.serial} is {row.status.value}")
    row.installed_at = now
    ledger.record(
        session, LedgerEventKind.INSTALLED, row, municipality_code=app.municipality_code, fee=app.fee, now=now
    )
    older = session.scalars(
        select(Certificate)
        .where(
            Certificate.card_id == row.card_id,
            Certificate.kind == row.kind,
            Certificate.serial != row.serial,
            Certificate.status.in_((CertStatus.GOOD, CertStatus.HOLD)),
            Certificate.issued_at <= row.issued_at,
        )
        .with_for_update()
    ).all()
    changed = [c.issuer for c in older if revoke_row(session, c, RevocationReason.SUPERSEDED, now)]
    refresh_crls(session, authority, changed, now)
    log.info("certificate serial=%s installed", row.serial)
    return certificate_status(session, row.serial, now)


def revoke_for_application(
    session: Session,
    authority: Authority,
    application_id: str,
    serial: Serial,
    now: dt.datetime,
    *,
    terminal_id: str | None = None,
) -> CertificateStatus:
    """An `rr` under an application:

    - 失効申請 / 秘密鍵漏えい等届出: the serial must be one the application names, on its card.
    - 破棄: under the *issuance* application that produced it, a certificate never confirmed as
      installed (the terminal gave up writing it: card gone, write failed) is revoked ex officio
      and counted as destroyed in the ledger. Once installed it needs a revocation application.
    """
    app = _approved(session, application_id, terminal_id)
    row = certstore.get(session, serial, for_update=True)
    if app.kind in (Procedure.NEW_ISSUANCE, Procedure.RENEWAL):
        if row.application_id != app.id:
            raise ApplicationRejected(f"certificate {row.serial} was not issued for application {app.id}")
        if row.installed_at is not None:
            raise ApplicationRejected(
                f"certificate {row.serial} is on the card: revoking it needs a revocation application"
            )
        if _destroy(session, row, now):
            refresh_crls(session, authority, [row.issuer], now)
        return certificate_status(session, row.serial, now)
    if app.kind not in (Procedure.REVOCATION, Procedure.KEY_COMPROMISE):
        raise ApplicationRejected(f"application {app.id} ({app.kind.value}) is not a revocation")
    data = applications.open_stored(session, authority, app)
    if row.serial not in {certstore.serial_key(s) for s in data.serials} or row.card_id != app.card_id:
        raise ApplicationRejected(f"application {app.id} does not name certificate {row.serial}")
    reason = (
        RevocationReason.KEY_COMPROMISE
        if app.kind is Procedure.KEY_COMPROMISE
        else RevocationReason.UNSPECIFIED
    )
    if revoke_row(session, row, reason, now):
        refresh_crls(session, authority, [row.issuer], now)
    return certificate_status(session, row.serial, now)


def destroy_unconfirmed(
    session: Session,
    authority: Authority,
    serial: Serial,
    now: dt.datetime,
    *,
    terminal_id: str | None = None,
) -> CertificateStatus:
    """破棄 of an issued card certificate that never reached the card: the terminal rejected it in
    certConf, or it waited past the confirmation time. Installed certificates are left alone."""
    row = certstore.get(session, serial, for_update=True)
    if row.kind is CertKind.TERMINAL or row.application_id is None:
        raise ApplicationRejected(f"certificate {row.serial} is not a card certificate")
    # Only the terminal that installs it now may give it up: not the requester after a handover.
    installing = applications.installer(applications.get_application(session, row.application_id))
    if terminal_id is not None and installing != terminal_id:
        raise ApplicationRejected(f"certificate {row.serial} is installed by another terminal")
    if row.installed_at is None and _destroy(session, row, now):
        refresh_crls(session, authority, [row.issuer], now)
    return certificate_status(session, row.serial, now)


def sweep_unconfirmed(
    session: Session, authority: Authority, now: dt.datetime, *, confirm_wait: dt.timedelta
) -> list[str]:
    """破棄 every card certificate issued more than `confirm_wait` ago and still not confirmed:
    the terminal's own recovery gives up earlier (kiosk `RecoveryPolicy.card_wait`), this catches
    terminals that never came back. Returns the serials destroyed."""
    rows = session.scalars(
        select(Certificate)
        .where(Certificate.kind != CertKind.TERMINAL, Certificate.application_id.is_not(None))
        .where(Certificate.installed_at.is_(None), Certificate.status == CertStatus.GOOD)
        .where(Certificate.issued_at < now - confirm_wait)
        .with_for_update()
    ).all()
    destroyed = [row for row in rows if _destroy(session, row, now)]
    refresh_crls(session, authority, sorted({row.issuer for row in destroyed}), now)
    return [row.serial for row in destroyed]


def _destroy(session: Session, row: Certificate, now: dt.datetime) -> bool:
    """破棄: revoked ex officio before it reached the card (the ledger books it as destroyed).
    The caller refreshes the CRL. False if it was revoked already."""
    if not revoke_row(session, row, RevocationReason.CESSATION_OF_OPERATION, now, ex_officio=True):
        return False
    log.info("certificate %s destroyed (破棄), application %s", row.serial, row.application_id)
    return True
