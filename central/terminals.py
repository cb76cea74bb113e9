"""Municipalities and their terminals (counter terminals and kiosks, the RAs of SYNC.md).

A terminal is registered centrally with a one-time bootstrap secret, printed once for the
installer. The terminal proves the secret once to get its first certificate (SYNC.md §2
"Terminal bootstrap"), offline or over CMP with PasswordBasedMac; after that its certificate
authenticates it, and renewals are requested with the current certificate.

The secret is stored *sealed* — RSA-OAEP to the central's own encryption key, labelled with the
terminal id — not hashed: a PBM MAC is keyed by OWF(secret ‖ the sender's salt), so verifying
one needs the secret itself. It is erased once the terminal has signed a message with the
certificate it obtained (`forget_bootstrap_secret`); until then a lost answer can be fetched
again with the same PBM-protected request.
"""

from __future__ import annotations

import base64
import datetime as dt
import hmac
import logging
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from sqlalchemy import select
from sqlalchemy.orm import Session

from appdata.unattended import RESET_TARGETS
from central import certstore, policy, profiles
from central.authority import Authority
from central.certstore import IssuedCertificate
from central.enums import CertKind, CertStatus, RevocationReason, TerminalMode, TerminalStatus
from central.errors import BootstrapRefused, Conflict, NotFound
from central.models import Certificate, Municipality, Terminal
from central.revocation import refresh_crls, revoke_row
from central.timeutil import whole_seconds
from lcmp.jpki_items import normalise_bootstrap_secret

log = logging.getLogger(__name__)

_MUNICIPALITY_CODE = re.compile(r"[0-9]{5,6}")  # 全国地方公共団体コード, with or without check digit
_TERMINAL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_SEAL_LABEL = b"JPKI-TERMINAL-BOOTSTRAP/1\x00"
BOOTSTRAP_SECRET_BYTES = 20  # 160 bits: hopeless to guess, even offline against a captured PBM


def add_municipality(session: Session, code: str, name: str, now: dt.datetime) -> Municipality:
    if not _MUNICIPALITY_CODE.fullmatch(code):
        raise ValueError("municipality code must be 5 or 6 digits")
    if session.get(Municipality, code) is not None:
        raise Conflict(f"municipality {code} exists")
    row = Municipality(code=code, name=name, created_at=now)
    session.add(row)
    session.flush()
    return row


def _oaep(terminal_id: str) -> padding.OAEP:
    # The label binds the sealed secret to its terminal: a row's blob copied to another terminal
    # does not open.
    return padding.OAEP(
        mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=_SEAL_LABEL + terminal_id.encode()
    )


def seal_bootstrap_secret(authority: Authority, terminal_id: str, secret: str) -> bytes:
    plain = normalise_bootstrap_secret(secret)
    return authority.encryption_key.public_key().encrypt(plain, _oaep(terminal_id))


def _new_secret() -> str:
    raw = base64.b32encode(secrets.token_bytes(BOOTSTRAP_SECRET_BYTES)).decode("ascii")
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))  # XXXX-XXXX-… for typing


def reset_pins_text(mode: TerminalMode, reset_pins: Iterable[str] | str) -> str:
    """The PINs a terminal of `mode` may reset, as `terminal.reset_pins` keeps them ("sign auth"):
    none for a counter terminal, at least one of RESET_TARGETS for an unattended one. Given as
    names or as one text ("sign,auth", "sign auth"). ValueError (naming the rule) otherwise."""
    pins = (
        [p for p in re.split(r"[\s,]+", reset_pins) if p] if isinstance(reset_pins, str) else list(reset_pins)
    )
    unknown = sorted(set(pins) - set(RESET_TARGETS))
    if unknown:
        raise ValueError(f"reset PINs are {' and '.join(RESET_TARGETS)}, not {', '.join(unknown)}")
    if len(set(pins)) != len(pins):
        raise ValueError("a reset PIN is named twice")
    if mode is TerminalMode.COUNTER and pins:
        raise ValueError(
            "a counter terminal resets PINs under staff: reset PINs are for unattended terminals"
        )
    if mode is TerminalMode.UNATTENDED and not pins:
        raise ValueError("an unattended terminal needs at least one PIN it may reset (sign, auth)")
    return " ".join(t for t in RESET_TARGETS if t in pins)


def register_terminal(
    session: Session,
    authority: Authority,
    terminal_id: str,
    municipality_code: str,
    now: dt.datetime,
    *,
    mode: TerminalMode = TerminalMode.COUNTER,
    reset_pins: Iterable[str] | str = (),
) -> str:
    """Create the terminal record; returns the bootstrap secret (show it once; stored only sealed).
    An unattended terminal names the PINs it may reset (`reset_pins`, out of sign / auth)."""
    if not _TERMINAL_ID.fullmatch(terminal_id):
        raise ValueError("terminal id: 1–64 of A–Z a–z 0–9 . _ -, starting with a letter or digit")
    pins = reset_pins_text(mode, reset_pins)
    if session.get(Municipality, municipality_code) is None:
        raise NotFound(f"municipality {municipality_code}")
    if session.get(Terminal, terminal_id) is not None:
        raise Conflict(f"terminal {terminal_id} exists")
    secret = _new_secret()
    session.add(
        Terminal(
            id=terminal_id,
            municipality_code=municipality_code,
            status=TerminalStatus.ACTIVE,
            bootstrap_secret_sealed=seal_bootstrap_secret(authority, terminal_id, secret),
            bootstrap_used=False,
            created_at=now,
            mode=mode,
            reset_pins=pins,
        )
    )
    session.flush()
    log.info(
        "terminal %s registered for municipality %s (%s%s)",
        terminal_id, municipality_code, mode.value, f": resets {pins}" if pins else "",
    )  # fmt: skip
    return secret


def may_reset(terminal: Terminal, target: str) -> bool:
    """Whether an unattended terminal is registered to reset this PIN (sign / auth)."""
    return terminal.mode is TerminalMode.UNATTENDED and target in terminal.reset_pins.split()


def get_terminal(session: Session, terminal_id: str, *, for_update: bool = False) -> Terminal:
    query = select(Terminal).where(Terminal.id == terminal_id)
    if for_update:
        query = query.with_for_update()
    row = session.scalars(query).one_or_none()
    if row is None:
        raise NotFound(f"terminal {terminal_id}")
    return row


def new_bootstrap_secret(session: Session, authority: Authority, terminal_id: str, now: dt.datetime) -> str:
    """A fresh secret for a terminal that has none in use (the installer lost the paper, or the
    kiosk's disk was replaced): the old secret stops working. Refused once the terminal holds a
    certificate — then it renews with that certificate, or is revoked and registered anew."""
    row = get_terminal(session, terminal_id, for_update=True)
    if row.status is not TerminalStatus.ACTIVE:
        raise BootstrapRefused(f"terminal {terminal_id} is revoked")
    if row.certificate_serial is not None:
        raise Conflict(f"terminal {terminal_id} is certified already; it renews with its certificate")
    secret = _new_secret()
    row.bootstrap_secret_sealed = seal_bootstrap_secret(authority, terminal_id, secret)
    row.bootstrap_used = False
    log.info("terminal %s: new bootstrap secret issued at %s", terminal_id, now.isoformat())
    return secret


def bootstrap_secret(session: Session, authority: Authority, terminal_id: str) -> bytes | None:
    """The terminal's (normalised) bootstrap secret while it may still be used for PBM — before
    the first certificate, or to fetch that certificate's answer again — else None."""
    row = session.get(Terminal, terminal_id)
    if row is None or row.status is not TerminalStatus.ACTIVE or row.bootstrap_secret_sealed is None:
        return None
    return authority.encryption_key.decrypt(row.bootstrap_secret_sealed, _oaep(terminal_id))


def check_bootstrap_secret(session: Session, authority: Authority, terminal_id: str, secret: str) -> bool:
    """True if `secret` is this terminal's unused bootstrap secret (constant-time compare)."""
    row = get_terminal(session, terminal_id)
    stored = bootstrap_secret(session, authority, terminal_id)
    if row.bootstrap_used or stored is None:
        return False
    return hmac.compare_digest(stored, normalise_bootstrap_secret(secret))


def forget_bootstrap_secret(session: Session, terminal_id: str) -> bool:
    """Erase the sealed secret once the terminal has proved it holds its certificate; True if erased."""
    row = get_terminal(session, terminal_id, for_update=True)
    if row.bootstrap_secret_sealed is None or row.certificate_serial is None:
        return False
    row.bootstrap_secret_sealed = None
    log.info("terminal %s: bootstrap secret erased (certificate in use)", terminal_id)
    return True


def current_certificate(session: Session, terminal_id: str) -> Certificate:
    """The terminal's certificate, if the terminal is active and the certificate good."""
    row = get_terminal(session, terminal_id)
    if row.status is not TerminalStatus.ACTIVE or row.certificate_serial is None:
        raise NotFound(f"terminal {terminal_id} has no usable certificate")
    cert = certstore.get(session, row.certificate_serial)
    if cert.status is not CertStatus.GOOD:
        raise NotFound(f"terminal {terminal_id}'s certificate is {cert.status.value}")
    return cert


def verification_key(session: Session, terminal_id: str, now: dt.datetime) -> rsa.RSAPublicKey:
    """The key a terminal's JWS and CMP protection verify with (LookupError subclasses if none)."""
    cert = current_certificate(session, terminal_id)
    if now > cert.not_after:
        raise NotFound(f"terminal {terminal_id}'s certificate expired")
    key = x509.load_der_x509_certificate(cert.der).public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise NotFound(f"terminal {terminal_id} has no RSA key")
    return key


def issue_terminal_certificate(
    session: Session,
    authority: Authority,
    terminal_id: str,
    csr: x509.CertificateSigningRequest,
    now: dt.datetime,
    *,
    bootstrap_secret: str | None = None,
) -> IssuedCertificate:
    """First certificate (with the bootstrap secret, which is then spent) or a renewal (the
    caller has authenticated the request with the current certificate). A renewal supersedes
    the previous certificate at once: the terminal holds the new one as soon as it gets it."""
    row = get_terminal(session, terminal_id, for_update=True)
    if row.status is not TerminalStatus.ACTIVE:
        raise BootstrapRefused(f"terminal {terminal_id} is revoked")
    if bootstrap_secret is not None:
        if not check_bootstrap_secret(session, authority, terminal_id, bootstrap_secret):
            log.warning("terminal %s: bootstrap refused", terminal_id)
            raise BootstrapRefused(f"terminal {terminal_id}: wrong or spent bootstrap secret")
        row.bootstrap_used = True
    elif row.certificate_serial is None:
        raise BootstrapRefused(f"terminal {terminal_id} has no certificate yet: bootstrap secret needed")
    public_key = policy.check_public_key(csr)
    policy.check_proof_of_possession(csr)
    start = whole_seconds(now)
    end = min(start + authority.settings.terminal_validity, authority.terminal_ca.cert.not_valid_after_utc)
    serial = profiles.new_serial()
    while certstore.serial_in_use(session, serial):
        serial = profiles.new_serial()
    cert = profiles.terminal_certificate(
        authority.terminal_ca,
        authority.publication,
        public_key,
        organization=authority.settings.organization,
        municipality_code=row.municipality_code,
        terminal_id=terminal_id,
        not_before=start,
        not_after=end,
        serial=serial,
    )
    stored = certstore.store(session, cert, kind=CertKind.TERMINAL, now=now, terminal_id=terminal_id)
    previous = row.certificate_serial
    row.certificate_serial = stored.serial
    if previous is not None:
        old = certstore.get(session, previous, for_update=True)
        if old.status is not CertStatus.REVOKED and revoke_row(
            session, old, RevocationReason.SUPERSEDED, now
        ):
            refresh_crls(session, authority, [old.issuer], now)
    log.info("terminal %s certified, serial=%s", terminal_id, stored.serial)
    return IssuedCertificate.of(stored)


def revoke_terminal(
    session: Session,
    authority: Authority,
    terminal_id: str,
    now: dt.datetime,
    reason: RevocationReason = RevocationReason.CESSATION_OF_OPERATION,
) -> None:
    """Take a terminal out of service (stolen kiosk: keyCompromise): it can neither send nor
    bootstrap. Refused (Conflict) for a terminal revoked already: its revocation time and its
    certificates' reasons stay what they were."""
    row = get_terminal(session, terminal_id, for_update=True)
    if row.status is TerminalStatus.REVOKED:
        raise Conflict(f"terminal {terminal_id} is revoked already")
    row.status = TerminalStatus.REVOKED
    row.revoked_at = now
    row.bootstrap_secret_sealed = None
    certs = session.scalars(
        select(Certificate)
        .where(Certificate.terminal_id == terminal_id, Certificate.kind == CertKind.TERMINAL)
        .where(Certificate.status != CertStatus.REVOKED)
        .with_for_update()
    ).all()
    changed = [c.issuer for c in certs if revoke_row(session, c, reason, now)]
    refresh_crls(session, authority, changed, now)
    log.info("terminal %s revoked (%s)", terminal_id, reason.name)


@dataclass(frozen=True)
class TerminalRecord:
    """One registered terminal as the central's operator sees it: no secret, no key."""

    id: str
    municipality: str
    mode: TerminalMode
    reset_pins: str
    status: TerminalStatus
    certificate_serial: str | None  # None: not bootstrapped yet
    certificate_not_after: dt.datetime | None
    created_at: dt.datetime
    revoked_at: dt.datetime | None


def list_terminals(session: Session, *, municipality: str | None = None) -> list[TerminalRecord]:
    """The registered terminals (of one municipality), by id, with their current certificate's
    end of validity: the date to renew before."""
    query = (
        select(Terminal, Certificate.not_after)
        .outerjoin(Certificate, Certificate.serial == Terminal.certificate_serial)
        .order_by(Terminal.id)
    )
    if municipality is not None:
        query = query.where(Terminal.municipality_code == municipality)
    return [_record(row, not_after) for row, not_after in session.execute(query).all()]


def _record(row: Terminal, not_after: dt.datetime | None) -> TerminalRecord:
    return TerminalRecord(
        row.id, row.municipality_code, row.mode, row.reset_pins, row.status, row.certificate_serial,
        not_after, row.created_at, row.revoked_at,
    )  # fmt: skip
