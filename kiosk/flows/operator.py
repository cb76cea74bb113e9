"""Operator (staff) authentication at the counter terminal, and the operator's session.

規則 73-3 (and 70-6/70-7) require the terminal to be protected from operation by unauthorised
persons and every operation recorded; 要領 第2-1-(1)-ア-(イ)-B has the operator authenticate at the
terminal before a resident's PIN is checked on it. The operator proves something they have and
something they know: their staff card (a JPKI-shaped card whose 利用者証明用 key and certificate were
issued by the municipality's staff CA) in the staff reader, and its 4-digit PIN.

`authenticate` in order, spending no PIN try on a card that could never log in:
1. SELECT the JPKI AP and read the authentication certificate (EF 000A, free to read);
2. it must be issued by the configured staff CA (`StaffTrust`), be valid now, and be enrolled in
   the operator directory (the `operator` table, by SHA-256 of the certificate) and not disabled.
   A resident's My Number card put in the staff reader fails here: none of its PIN tries is spent
   and nothing identifying it is recorded;
3. an empty VERIFY reads the PIN counter; a blocked card is refused without a VERIFY. The card
   keeps the counter (like vxsuite's staff cards), so a lock-out follows the card to every terminal;
4. VERIFY the PIN: a wrong PIN reports the tries left, the attempt that exhausts it is a lock-out;
5. the card signs a fresh random challenge with its authentication key, verified with the
   certificate's public key: a card carrying a copy of an enrolled certificate without its key fails.

Every success, failure and lock-out, every re-authentication and logout goes to the audit chain
(`kiosk.store.audit`). The actor is the operator id once the card and PIN have proven it, "unknown"
before; failure reasons are codes (`LoginFailure`); no PIN, and for a card that is not a staff
card not even its certificate's fingerprint (it could be a resident's).

Session rules (`OperatorSession`, pure, after vxsuite's staff sessions, ANCHORS.md §D): ends after
30 minutes without activity or 12 hours after login whatever the activity, with no extension; an
override needs an authentication (staff card + PIN) no older than 5 minutes.
"""

from __future__ import annotations

import logging
import re
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Final, TypeVar

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from kiosk.domain.coded import CodedText
from kiosk.domain.pin_rules import PinKind, check_entry
from kiosk.domain.secret import Secret
from kiosk.reader.cvc import verify_pkcs1_sha256
from kiosk.reader.errors import CardError, CardRemoved, FileNotFound, InvalidPin, PinBlocked
from kiosk.reader.jpki import CertSlot, JpkiKey, JpkiPin, JpkiSession
from kiosk.reader.transport import Transport
from kiosk.store.audit import DetailValue, append_audit
from kiosk.store.models import Operator

_log = logging.getLogger(__name__)

DEFAULT_IDLE_LIMIT: Final = timedelta(minutes=30)
DEFAULT_OVERALL_LIMIT: Final = timedelta(hours=12)
DEFAULT_OVERRIDE_MAX_AGE: Final = timedelta(minutes=5)
CHALLENGE_BYTES: Final = 32
# Prefixed to the challenge before the card signs it, so a signature made here means nothing to
# any other protocol that might ask the same card to sign 32 random-looking bytes.
CHALLENGE_CONTEXT: Final = b"jpki-kiosk operator authentication v1\x00"
UNKNOWN_ACTOR: Final = "unknown"
# An operator id is an actor in the audit chain: a staff number, never a name.
OPERATOR_ID: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_DISPLAY_NAME_MAX = 100

Rng = Callable[[int], bytes]
_Ext = TypeVar("_Ext", bound=x509.ExtensionType)


# -- reasons and errors ----------------------------------------------------------------------------


class LoginFailure(CodedText):
    """Why a staff card did not log in: the code goes to the audit chain, the text to staff."""

    PIN_FORMAT = "The staff PIN is 4 digits. Enter it again."
    WRONG_PIN = "The PIN is not right."
    CARD_LOCKED = (
        "This staff card is locked after too many wrong PINs. Ask the system administrator to "
        "unlock or replace it."
    )
    NOT_A_STAFF_CARD = (
        "This is not a staff card of this office. Insert your staff card into the staff reader."
    )
    CERTIFICATE_EXPIRED = "This staff card has expired. Ask the system administrator for a new one."
    CERTIFICATE_NOT_YET_VALID = (
        "This staff card is not valid yet. Check the terminal's clock, or ask the system administrator."
    )
    NOT_ENROLLED = (
        "This staff card is not registered at this terminal. Ask the system administrator to enroll it."
    )
    OPERATOR_DISABLED = "This staff card has been withdrawn at this terminal. Ask the system administrator."
    KEY_MISMATCH = (
        "This staff card failed its check and cannot be used. Keep it aside and tell the system "
        "administrator."
    )
    DIFFERENT_OPERATOR = (
        "This is another operator's staff card. The operator who is signed in must use their own card."
    )
    CARD_REMOVED = "The staff card was removed. Insert it again and leave it in until sign-in completes."
    CARD_ERROR = (
        "The staff card could not be read. Insert it again; if it happens again, call the administrator."
    )


class OperatorAuthError(Exception):
    """A staff card did not authenticate. `str()` is the precise cause for the log; `staff_message`
    is what the screen says; `reason.code` is what the audit chain records."""

    reason: LoginFailure = LoginFailure.CARD_ERROR

    def __init__(self, detail: str, *, operator_id: str | None = None) -> None:
        super().__init__(detail)
        self.operator_id = operator_id  # whose enrolled card it was, when known (not proven)

    @property
    def staff_message(self) -> str:
        return self.reason.text


class WrongPinFormat(OperatorAuthError):
    reason = LoginFailure.PIN_FORMAT


class WrongOperatorPin(OperatorAuthError):
    reason = LoginFailure.WRONG_PIN

    def __init__(self, detail: str, *, tries_left: int, operator_id: str | None = None) -> None:
        super().__init__(detail, operator_id=operator_id)
        self.tries_left = tries_left

    @property
    def staff_message(self) -> str:
        tries = "1 try" if self.tries_left == 1 else f"{self.tries_left} tries"
        return f"{self.reason.text} {tries} left before the staff card locks."


class OperatorCardLocked(OperatorAuthError):
    reason = LoginFailure.CARD_LOCKED

    def __init__(self, detail: str, *, just_now: bool, operator_id: str | None = None) -> None:
        super().__init__(detail, operator_id=operator_id)
        self.just_now = just_now  # this attempt locked it (a lock-out), or it was locked already


class NotAStaffCard(OperatorAuthError):
    reason = LoginFailure.NOT_A_STAFF_CARD


class StaffCertificateExpired(OperatorAuthError):
    reason = LoginFailure.CERTIFICATE_EXPIRED


class StaffCertificateNotYetValid(OperatorAuthError):
    reason = LoginFailure.CERTIFICATE_NOT_YET_VALID


class OperatorNotEnrolled(OperatorAuthError):
    reason = LoginFailure.NOT_ENROLLED


class OperatorDisabled(OperatorAuthError):
    reason = LoginFailure.OPERATOR_DISABLED


class StaffCardKeyMismatch(OperatorAuthError):
    reason = LoginFailure.KEY_MISMATCH


class DifferentOperator(OperatorAuthError):
    reason = LoginFailure.DIFFERENT_OPERATOR


class StaffCardRemoved(OperatorAuthError):
    reason = LoginFailure.CARD_REMOVED


class StaffCardUnreadable(OperatorAuthError):
    reason = LoginFailure.CARD_ERROR


class OperatorSessionExpired(Exception):
    """The operator's session has ended; a new login (staff card + PIN) is needed."""

    staff_message = "Your session has ended. Insert your staff card and enter your PIN to sign in again."

    def __init__(self, end: SessionEnd) -> None:
        super().__init__(f"operator session ended: {end.code}")
        self.end = end


class OperatorDirectoryError(ValueError):
    """An enrolment or directory change that cannot be made; the message is for the administrator."""


class OperatorAlreadyEnrolled(OperatorDirectoryError):
    """The operator has a card already: enrolling another one must be asked for as a replacement."""


# -- the staff CA ----------------------------------------------------------------------------------


def certificate_fingerprint(cert: x509.Certificate) -> bytes:
    """SHA-256 of the certificate's DER: what binds a staff card to an operator."""
    return cert.fingerprint(hashes.SHA256())


@dataclass(frozen=True)
class StaffTrust:
    """The municipality's staff CA certificate(s) the terminal accepts staff cards from."""

    cas: tuple[x509.Certificate, ...]

    def __post_init__(self) -> None:
        if not self.cas:
            raise ValueError("StaffTrust needs at least one staff CA certificate")

    @classmethod
    def from_pem_file(cls, path: Path) -> StaffTrust:
        """Every certificate in a PEM file (a CA roll-over keeps old and new side by side)."""
        return cls(tuple(x509.load_pem_x509_certificates(Path(path).read_bytes())))

    def check(self, cert: x509.Certificate, now: datetime) -> None:
        """Raises NotAStaffCard / StaffCertificateExpired / StaffCertificateNotYetValid."""
        issuer = self._issuer_of(cert)
        if issuer is None:
            # The issuer's name is a CA's name, not a person's: safe for the log.
            raise NotAStaffCard(
                f"authentication certificate not issued by a configured staff CA "
                f"(issuer {cert.issuer.rfc4514_string()!r})"
            )
        _check_profile(cert)
        for what, c in (("staff CA certificate", issuer), ("staff card certificate", cert)):
            if now < c.not_valid_before_utc:
                raise StaffCertificateNotYetValid(
                    f"{what} valid from {c.not_valid_before_utc:%Y-%m-%d %H:%M}Z"
                )
            if now > c.not_valid_after_utc:
                raise StaffCertificateExpired(f"{what} expired {c.not_valid_after_utc:%Y-%m-%d %H:%M}Z")

    def _issuer_of(self, cert: x509.Certificate) -> x509.Certificate | None:
        for ca in self.cas:
            try:
                cert.verify_directly_issued_by(ca)  # issuer name and signature
            except (ValueError, TypeError, InvalidSignature):
                continue
            return ca
        return None


def _check_profile(cert: x509.Certificate) -> None:
    """An end-entity RSA certificate usable for signing a challenge (client authentication); an
    extension the certificate leaves out restricts nothing."""
    if not isinstance(cert.public_key(), rsa.RSAPublicKey):
        raise NotAStaffCard("staff card certificate does not hold an RSA key")
    constraints = _extension(cert, x509.BasicConstraints)
    if constraints is not None and constraints.ca:
        raise NotAStaffCard("staff card certificate is a CA certificate")
    usage = _extension(cert, x509.KeyUsage)
    if usage is not None and not usage.digital_signature:
        raise NotAStaffCard("staff card certificate's key usage excludes digitalSignature")
    extended = _extension(cert, x509.ExtendedKeyUsage)
    if extended is not None and ExtendedKeyUsageOID.CLIENT_AUTH not in extended:
        raise NotAStaffCard("staff card certificate's extended key usage excludes clientAuth")


def _extension(cert: x509.Certificate, kind: type[_Ext]) -> _Ext | None:
    try:
        return cert.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None


# -- the operator's session (pure rules) -----------------------------------------------------------


class SessionEnd(CodedText):
    """Why a session ended (or must end): recorded as the logout's reason code."""

    LOGOUT = "Signed out."
    # The limits are configurable (SessionLimits): the console says them with their numbers.
    IDLE = "Signed out after the set time without activity."
    OVERALL_LIMIT = "Signed out: the session reached its longest allowed time."
    CLOCK = "Signed out: the terminal's clock went back."


@dataclass(frozen=True)
class SessionLimits:
    idle: timedelta = DEFAULT_IDLE_LIMIT  # from the last activity
    overall: timedelta = DEFAULT_OVERALL_LIMIT  # from login, whatever the activity; no extension
    override_max_age: timedelta = DEFAULT_OVERRIDE_MAX_AGE  # authentication an override may rely on

    def __post_init__(self) -> None:
        if min(self.idle, self.overall, self.override_max_age) <= timedelta(0):
            raise ValueError("session limits must be positive")


@dataclass(frozen=True)
class OperatorSession:
    """An authenticated operator at this terminal. Immutable: `touch` and a re-authentication
    return a new session. Times are aware UTC from the caller's clock."""

    operator_id: str
    cert_sha256: bytes = field(repr=False)  # the staff card it was proven with
    started_at: datetime  # login: the overall limit runs from here
    authenticated_at: datetime  # the latest staff card + PIN (login or re-authentication)
    last_activity: datetime
    limits: SessionLimits = field(default_factory=SessionLimits)

    def __post_init__(self) -> None:
        stamps = (self.started_at, self.authenticated_at, self.last_activity)
        if any(t.tzinfo is None or t.utcoffset() is None for t in stamps):
            raise ValueError("naive datetime: session times are aware UTC")
        if not self.started_at <= self.authenticated_at <= self.last_activity:
            raise ValueError("session times must run login ≤ authentication ≤ last activity")

    @property
    def idle_limit(self) -> timedelta:
        return self.limits.idle

    @property
    def overall_limit(self) -> timedelta:
        return self.limits.overall

    def end_reason(self, now: datetime) -> SessionEnd | None:
        """None while the session may go on. The overall limit wins when both are reached."""
        if now < self.last_activity:
            # A clock set back would otherwise stretch the session by the jump.
            return SessionEnd.CLOCK
        if now - self.started_at >= self.limits.overall:
            return SessionEnd.OVERALL_LIMIT
        if now - self.last_activity >= self.limits.idle:
            return SessionEnd.IDLE
        return None

    def expired(self, now: datetime) -> bool:
        return self.end_reason(now) is not None

    def time_left(self, now: datetime) -> timedelta:
        """Until the nearer of the idle and overall limits (zero once expired): for the warning."""
        if self.expired(now):
            return timedelta(0)
        return min(self.started_at + self.limits.overall - now, self.last_activity + self.limits.idle - now)

    def touch(self, now: datetime) -> OperatorSession:
        """The operator did something: the idle limit starts again. An ended session stays ended."""
        end = self.end_reason(now)
        if end is not None:
            raise OperatorSessionExpired(end)
        return replace(self, last_activity=now)

    def needs_reauth_for_override(self, now: datetime) -> bool:
        """An override needs a staff card + PIN no older than `limits.override_max_age`; activity
        does not count, only a proof."""
        if self.expired(now) or now < self.authenticated_at:
            return True
        return now - self.authenticated_at > self.limits.override_max_age


# -- the operator directory ------------------------------------------------------------------------


def valid_operator_id(operator_id: str) -> bool:
    return OPERATOR_ID.fullmatch(operator_id) is not None


def find_operator(session: Session, cert_sha256: bytes) -> Operator | None:
    return session.scalars(select(Operator).where(Operator.cert_sha256 == cert_sha256)).first()


def list_operators(session: Session) -> list[Operator]:
    return list(session.scalars(select(Operator).order_by(Operator.id)))


def enroll_operator(
    session: Session,
    *,
    operator_id: str,
    display_name: str,
    certificate: x509.Certificate,
    trust: StaffTrust,
    now: datetime,
    actor: str,
    replace_card: bool = False,
) -> Operator:
    """Bind a staff card (its certificate) to an operator, inside the caller's write transaction.

    The certificate must pass the same staff-CA and validity check as a login. `replace_card`
    puts a new card in place of the operator's old one (lost, broken, re-issued) and enables the
    operator again: the administrator has the new card in hand. Audited either way.
    """
    if not valid_operator_id(operator_id):
        raise OperatorDirectoryError(
            f"operator id {operator_id!r}: 1–64 of A–Z a–z 0–9 . _ -, starting with a letter or digit"
        )
    name = display_name.strip()
    # Control and format characters only: an ideographic space (U+3000) belongs in a Japanese name.
    if not name or len(name) > _DISPLAY_NAME_MAX or any(unicodedata.category(c)[0] == "C" for c in name):
        raise OperatorDirectoryError(f"display name: 1–{_DISPLAY_NAME_MAX} characters, no control characters")
    trust.check(certificate, now)
    fingerprint = certificate_fingerprint(certificate)
    holder = find_operator(session, fingerprint)
    if holder is not None:  # for someone else, or for this operator already: nothing to do either way
        raise OperatorDirectoryError(f"this staff card is already enrolled for operator {holder.id!r}")
    existing = session.get(Operator, operator_id)
    if existing is not None and not replace_card:
        raise OperatorAlreadyEnrolled(
            f"operator {operator_id!r} is already enrolled with another card; a new card for them "
            "is a replacement"
        )
    details: dict[str, DetailValue] = {"cert_sha256": fingerprint.hex()}
    if existing is None:
        operator = Operator(id=operator_id, display_name=name, cert_sha256=fingerprint, enrolled_at=now)
        session.add(operator)
        action = "operator.enrolled"
    else:
        details["old_cert_sha256"] = existing.cert_sha256.hex()
        details["was_disabled"] = existing.disabled
        existing.display_name, existing.cert_sha256, existing.enrolled_at = name, fingerprint, now
        existing.disabled, existing.disabled_at = False, None
        operator = existing
        action = "operator.card_replaced"
    session.flush()
    append_audit(session, actor=actor, action=action, subject=_subject(operator_id), details=details, now=now)
    return operator


def disable_operator(session: Session, operator_id: str, *, now: datetime, actor: str) -> bool:
    """Withdraw an operator (lost card, left the office); False if already disabled. Audited."""
    operator = session.get(Operator, operator_id)
    if operator is None:
        raise OperatorDirectoryError(f"no operator {operator_id!r} is enrolled")
    if operator.disabled:
        return False
    operator.disabled, operator.disabled_at = True, now
    session.flush()
    append_audit(
        session,
        actor=actor,
        action="operator.disabled",
        subject=_subject(operator_id),
        details={"cert_sha256": operator.cert_sha256.hex()},
        now=now,
    )
    return True


# -- authentication --------------------------------------------------------------------------------


def read_staff_certificate(transport: Transport) -> x509.Certificate:
    """The authentication certificate of the card in the staff reader (no PIN needed)."""
    return _auth_certificate(_select_jpki(transport))


def _select_jpki(transport: Transport) -> JpkiSession:
    try:
        return JpkiSession(transport)
    except FileNotFound:
        raise NotAStaffCard("no JPKI application on the card") from None


def _auth_certificate(jpki: JpkiSession) -> x509.Certificate:
    cert = jpki.read_certificate(CertSlot.AUTH)
    if cert is None:
        raise NotAStaffCard("the card holds no authentication certificate")
    return cert


@dataclass
class _Attempt:
    """What is known so far about the card being tried, for the failure's audit record."""

    purpose: str
    cert_sha256: bytes | None = None  # set only once the certificate is a staff CA's
    operator_id: str | None = None  # the enrolled operator the card belongs to (not yet proven)


def authenticate(
    transport: Transport,
    pin: Secret,
    *,
    trust: StaffTrust,
    sessions: sessionmaker[Session],
    now: datetime,
    rng: Rng = secrets.token_bytes,
    limits: SessionLimits | None = None,
) -> OperatorSession:
    """Log an operator in with the staff card on `transport` and its PIN (wiped here, always).

    Raises an `OperatorAuthError` (recorded) when the card does not authenticate; card I/O
    happens outside any database transaction.
    """
    attempt = _Attempt("login")
    try:
        operator_id, fingerprint = _prove(
            transport, pin, trust=trust, sessions=sessions, now=now, rng=rng, attempt=attempt
        )
        _record_success(sessions, "operator.login", operator_id, fingerprint, now)
    except OperatorAuthError as exc:
        _record_failure(sessions, exc, attempt, now)
        raise
    finally:
        pin.wipe()
    _log.info("operator %s logged in", operator_id)
    return OperatorSession(operator_id, fingerprint, now, now, now, limits or SessionLimits())


def reauthenticate(
    transport: Transport,
    pin: Secret,
    current: OperatorSession,
    *,
    trust: StaffTrust,
    sessions: sessionmaker[Session],
    now: datetime,
    rng: Rng = secrets.token_bytes,
) -> OperatorSession:
    """The signed-in operator proves themselves again (staff card in the staff reader + PIN), as an
    override requires; returns the session with a fresh `authenticated_at`. The PIN is wiped."""
    try:
        end = current.end_reason(now)
        if end is not None:
            raise OperatorSessionExpired(end)
        attempt = _Attempt("reauth")
        try:
            operator_id, fingerprint = _prove(
                transport, pin, trust=trust, sessions=sessions, now=now, rng=rng, attempt=attempt
            )
            if operator_id != current.operator_id:
                raise DifferentOperator(
                    f"card of operator {operator_id} presented to re-authenticate {current.operator_id}",
                    operator_id=operator_id,
                )
            _record_success(sessions, "operator.reauthenticated", operator_id, fingerprint, now)
        except OperatorAuthError as exc:
            _record_failure(sessions, exc, attempt, now, session_operator=current.operator_id)
            raise
    finally:
        pin.wipe()
    _log.info("operator %s re-authenticated", operator_id)
    return replace(current, cert_sha256=fingerprint, authenticated_at=now, last_activity=now)


def logout(
    sessions: sessionmaker[Session], current: OperatorSession, *, now: datetime, reason: SessionEnd
) -> None:
    """Record the end of the session (explicit, idle, overall limit, clock)."""
    minutes = max(0, int((now - current.started_at).total_seconds() // 60))
    with sessions() as session, session.begin():
        append_audit(
            session,
            actor=current.operator_id,
            action="operator.logout",
            subject=_subject(current.operator_id),
            details={"reason": reason.code, "session_minutes": minutes},
            now=now,
        )
    _log.info("operator %s logged out (%s)", current.operator_id, reason.code)


def _prove(
    transport: Transport,
    pin: Secret,
    *,
    trust: StaffTrust,
    sessions: sessionmaker[Session],
    now: datetime,
    rng: Rng,
    attempt: _Attempt,
) -> tuple[str, bytes]:
    """Steps 1–5 of the module docstring; returns (operator id, certificate fingerprint)."""
    if not check_entry(PinKind.AUTH, pin).valid:
        # Before the card: a malformed entry would cost a try on the card for nothing.
        raise WrongPinFormat("PIN entry is not 4 digits; nothing sent to the card")
    try:
        jpki = _select_jpki(transport)
        cert = _auth_certificate(jpki)
        trust.check(cert, now)
        fingerprint = certificate_fingerprint(cert)
        attempt.cert_sha256 = fingerprint
        operator_id = _enrolled(sessions, fingerprint, attempt)
        _verify_pin(jpki, pin, operator_id)
        _check_possession(jpki, cert, rng, operator_id)
    except CardRemoved as exc:
        raise StaffCardRemoved(str(exc), operator_id=attempt.operator_id) from exc
    except CardError as exc:
        raise StaffCardUnreadable(f"{type(exc).__name__}: {exc}", operator_id=attempt.operator_id) from exc
    return operator_id, fingerprint


def _enrolled(sessions: sessionmaker[Session], fingerprint: bytes, attempt: _Attempt) -> str:
    with sessions() as session, session.begin():
        operator = find_operator(session, fingerprint)
        if operator is None:
            raise OperatorNotEnrolled(f"staff card {fingerprint.hex()[:16]}… is not enrolled")
        attempt.operator_id = operator.id
        if operator.disabled:
            raise OperatorDisabled(f"operator {operator.id} is disabled", operator_id=operator.id)
        return operator.id


def _record_success(
    sessions: sessionmaker[Session], action: str, operator_id: str, fingerprint: bytes, now: datetime
) -> None:
    with sessions() as session, session.begin():
        # The directory may have changed while the card was busy (an administrator disabled the
        # operator): checked again in the transaction that records the success.
        operator = session.get(Operator, operator_id)
        if operator is None or operator.cert_sha256 != fingerprint or operator.disabled:
            raise OperatorDisabled(
                f"operator {operator_id} disabled or re-enrolled during sign-in", operator_id=operator_id
            )
        append_audit(
            session,
            actor=operator_id,
            action=action,
            subject=_subject(operator_id),
            details={"cert_sha256": fingerprint.hex()},
            now=now,
        )


def _verify_pin(jpki: JpkiSession, pin: Secret, operator_id: str) -> None:
    status = jpki.pin_status(JpkiPin.AUTH)  # empty VERIFY: spends no try
    if status.blocked:
        raise OperatorCardLocked("auth PIN blocked; no VERIFY sent", just_now=False, operator_id=operator_id)
    try:
        jpki.verify(JpkiPin.AUTH, pin)
    except InvalidPin as exc:
        raise WrongOperatorPin(
            f"wrong PIN, {exc.tries_left} tries left", tries_left=exc.tries_left, operator_id=operator_id
        ) from None
    except PinBlocked:
        raise OperatorCardLocked(
            "wrong PIN; the card's auth PIN is now blocked", just_now=True, operator_id=operator_id
        ) from None


def _check_possession(jpki: JpkiSession, cert: x509.Certificate, rng: Rng, operator_id: str) -> None:
    challenge = rng(CHALLENGE_BYTES)
    if len(challenge) != CHALLENGE_BYTES:
        raise ValueError(f"the challenge source gave {len(challenge)} bytes, not {CHALLENGE_BYTES}")
    message = CHALLENGE_CONTEXT + challenge
    signature = jpki.sign_sha256(JpkiKey.AUTH, message)
    public_key = cert.public_key()
    assert isinstance(public_key, rsa.RSAPublicKey)  # _check_profile refused anything else
    if not verify_pkcs1_sha256(public_key, signature, message):
        raise StaffCardKeyMismatch(
            "the card's signature over the challenge does not verify with its certificate's key "
            "(a copied certificate on another card?)",
            operator_id=operator_id,
        )


def _record_failure(
    sessions: sessionmaker[Session],
    exc: OperatorAuthError,
    attempt: _Attempt,
    now: datetime,
    *,
    session_operator: str | None = None,
) -> None:
    lockout = isinstance(exc, OperatorCardLocked) and exc.just_now
    details: dict[str, DetailValue] = {"reason": exc.reason.code, "purpose": attempt.purpose}
    if isinstance(exc, WrongOperatorPin):
        details["tries_left"] = exc.tries_left
    if attempt.cert_sha256 is not None:  # only a staff CA's certificate: never a resident's
        details["cert_sha256"] = attempt.cert_sha256.hex()
    if session_operator is not None:
        details["session_operator"] = session_operator
    # Unproven until card and PIN both passed: the actor is "unknown", the card's operator the subject.
    subject = _subject(attempt.operator_id) if attempt.operator_id else "staff_card"
    with sessions() as session, session.begin():
        append_audit(
            session,
            actor=UNKNOWN_ACTOR,
            action="operator.locked_out" if lockout else "operator.login_failed",
            subject=subject,
            details=details,
            now=now,
        )
    _log.warning("operator %s failed (%s): %s", attempt.purpose, exc.reason.code, exc)


def _subject(operator_id: str) -> str:
    return f"operator:{operator_id}"
