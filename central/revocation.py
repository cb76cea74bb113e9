"""Revocation, hold and release; the certificate's status.

| Situation | Reason on the CRL | Rule |
|---|---|---|
| 失効申請 by the holder | none (unspecified; RFC 5280 §5.3.1 omits the code) | 要綱 3 |
| 秘密鍵漏えい等届出 | keyCompromise | 要綱 3, 規則 16条の2 |
| 破棄 / 職権失効 (procedure error) | cessationOfOperation | 要領 ケ(カ) |
| card abolished; face-auth switch (signing cert) | cessationOfOperation | 規則 17, 53; 要綱 4条の3-7 |
| 更新: the new certificate is installed | superseded | 要綱 2-16 |
| card lost (一時保留) | certificateHold, later released or revoked | 要領 第4-3, 要綱 5 |

Every change regenerates the issuing CA's CRL in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from appdata.notices import CERTIFICATE_REVOKED, CertificateRevoked
from central import certstore, crl, ledger, notices
from central.authority import Authority
from central.certstore import Serial
from central.enums import CaName, CertKind, CertStatus, LedgerEventKind, RevocationReason
from central.errors import InvalidTransition
from central.models import Application, Certificate

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CertificateStatus:
    serial: str
    kind: CertKind
    issuer: CaName
    status: CertStatus
    reason: RevocationReason | None
    revoked_at: dt.datetime | None
    not_after: dt.datetime
    expired: bool

    @property
    def valid(self) -> bool:
        """Usable now: good and within its validity."""
        return self.status is CertStatus.GOOD and not self.expired


def certificate_status(session: Session, serial: Serial, now: dt.datetime) -> CertificateStatus:
    row = certstore.get(session, serial)
    return CertificateStatus(
        row.serial,
        row.kind,
        row.issuer,
        row.status,
        row.revocation_reason,
        row.revoked_at,
        row.not_after,
        now > row.not_after,
    )


def _ledger_kind(row: Certificate, ex_officio: bool) -> LedgerEventKind:
    if not ex_officio:
        return LedgerEventKind.REVOKED
    return LedgerEventKind.REVOKED_EX_OFFICIO if row.installed_at is not None else LedgerEventKind.DESTROYED


def revoke_row(
    session: Session,
    row: Certificate,
    reason: RevocationReason,
    now: dt.datetime,
    *,
    ex_officio: bool = False,
) -> bool:
    """Mark `row` revoked (no CRL yet). Returns False when it already was, with this reason."""
    if reason is RevocationReason.CERTIFICATE_HOLD:
        raise ValueError("use hold() for certificateHold")
    if ex_officio and reason is not RevocationReason.CESSATION_OF_OPERATION:
        raise ValueError("破棄 / 職権失効 is recorded as cessationOfOperation")
    if row.status is CertStatus.REVOKED:
        if row.revocation_reason is reason:
            return False  # idempotent: a repeated request changes nothing
        if reason is RevocationReason.KEY_COMPROMISE:
            # A compromise reported after another revocation must still reach relying parties.
            row.revocation_reason = reason
            _notify(session, row, now)
            return True
        raise InvalidTransition(f"certificate {row.serial} is already revoked")
    row.status = CertStatus.REVOKED
    row.revocation_reason = reason
    row.revoked_at = now
    row.ex_officio = ex_officio
    if row.kind is not CertKind.TERMINAL and row.application_id is not None:
        app = session.get(Application, row.application_id)
        if app is not None:
            ledger.record(
                session,
                _ledger_kind(row, ex_officio),
                row,
                municipality_code=app.municipality_code,
                fee=app.fee,
                now=now,
            )
    _notify(session, row, now)
    log.info("revoked certificate serial=%s reason=%s ex_officio=%s", row.serial, reason.name, ex_officio)
    return True


def _notify(session: Session, row: Certificate, now: dt.datetime) -> None:
    """Tell the terminal that requested a card certificate: one still holding it must not write
    it to a card (破棄), and its records show every revocation of what it issued."""
    if row.kind is CertKind.TERMINAL or row.terminal_id is None or row.revocation_reason is None:
        return
    revoked = CertificateRevoked(
        serial=format(int(row.serial, 16), "x"),
        cert_kind=row.kind.value,
        reason=row.revocation_reason.name,
        ex_officio=row.ex_officio,
        destroyed=row.ex_officio and row.installed_at is None,
        revoked_at=row.revoked_at or now,
        application_id=row.application_id,
    )
    notices.post(session, row.terminal_id, CERTIFICATE_REVOKED, revoked.to_payload(), now)


def hold_row(row: Certificate, now: dt.datetime) -> bool:
    if row.status is CertStatus.HOLD:
        return False
    if row.status is not CertStatus.GOOD:
        raise InvalidTransition(f"certificate {row.serial} is {row.status.value}, cannot be held")
    row.status = CertStatus.HOLD
    row.revocation_reason = RevocationReason.CERTIFICATE_HOLD
    row.revoked_at = now
    log.info("certificate serial=%s on hold", row.serial)
    return True


def release_row(row: Certificate) -> bool:
    if row.status is CertStatus.GOOD:
        return False
    if row.status is not CertStatus.HOLD:
        raise InvalidTransition(f"certificate {row.serial} is revoked; only a hold can be released")
    row.status = CertStatus.GOOD
    row.revocation_reason = None
    row.revoked_at = None
    log.info("certificate serial=%s released from hold", row.serial)
    return True


def refresh_crls(session: Session, authority: Authority, cas: Iterable[CaName], now: dt.datetime) -> None:
    for ca in sorted(set(cas)):
        crl.regenerate(session, authority, ca, now)


def revoke(
    session: Session,
    authority: Authority,
    serial: Serial,
    reason: RevocationReason,
    now: dt.datetime,
    *,
    ex_officio: bool = False,
) -> CertificateStatus:
    """Revoke one certificate (a held one too: that makes the hold final) and reissue its CRL."""
    row = certstore.get(session, serial, for_update=True)
    if revoke_row(session, row, reason, now, ex_officio=ex_officio):
        refresh_crls(session, authority, [row.issuer], now)
    return certificate_status(session, row.serial, now)


def hold(session: Session, authority: Authority, serial: Serial, now: dt.datetime) -> CertificateStatus:
    row = certstore.get(session, serial, for_update=True)
    if hold_row(row, now):
        refresh_crls(session, authority, [row.issuer], now)
    return certificate_status(session, row.serial, now)


def release_hold(
    session: Session, authority: Authority, serial: Serial, now: dt.datetime
) -> CertificateStatus:
    """Undo a hold (e.g. one placed by mistake): the entry leaves the next CRL."""
    row = certstore.get(session, serial, for_update=True)
    if release_row(row):
        refresh_crls(session, authority, [row.issuer], now)
    return certificate_status(session, row.serial, now)
