"""`Central`: the central CA core behind one object, for the CMP/HTTP front end and the CLI.

Each method is one database transaction. The module functions it delegates to take a
`Session` and never commit, so the front end can also compose several steps in one
transaction (`with central.transaction() as s: intake.record_transaction(s, …);
issuance.issue_certificate(s, …); intake.store_response(s, …)`).

`now` defaults to the current time; tests and replays pass it explicitly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from cryptography import x509
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from appdata.model import IdentityMethod
from appdata.unattended import ResetOutcome, ResetProof, TicketAnswer, TicketRequest
from cardadmin import AdminOperation
from central import (
    admin_auth,
    applications,
    crl,
    intake,
    issuance,
    ledger,
    registry,
    revocation,
    terminals,
    unattended,
)
from central.applications import ApplicationRecord
from central.authority import Authority
from central.certstore import IssuedCertificate, Serial
from central.db import make_engine, make_session_factory
from central.enums import ApplicationStatus, CaName, CertKind, ProcedureKind, RevocationReason, TerminalMode
from central.errors import AuthorizationRefused
from central.ledger import LedgerRow
from central.registry import CardId, CardView
from central.revocation import CertificateStatus
from central.timeutil import require_aware
from central.unattended import DEFAULT_SETTINGS, ResetAttempt, UnattendedSettings


def _now(now: dt.datetime | None) -> dt.datetime:
    return require_aware(now) if now is not None else dt.datetime.now(dt.UTC)


class Central:
    def __init__(
        self, authority: Authority, engine: Engine, *, unattended: UnattendedSettings = DEFAULT_SETTINGS
    ) -> None:
        """`unattended`: the limits of the unattended PIN reset (docs/unattended.md)."""
        self.authority = authority
        self.engine = engine
        self.unattended = unattended
        self._sessions = make_session_factory(engine)

    @classmethod
    def open(
        cls, ca_directory: Path, url: str, *, unattended: UnattendedSettings = DEFAULT_SETTINGS
    ) -> Central:
        """The hierarchy from `central init` and a database migrated by `central db upgrade`."""
        return cls(Authority.load(ca_directory), make_engine(url), unattended=unattended)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Central:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    # -- municipalities and terminals --------------------------------------------------------

    def add_municipality(self, code: str, name: str, now: dt.datetime | None = None) -> None:
        with self.transaction() as s:
            terminals.add_municipality(s, code, name, _now(now))

    def register_terminal(
        self,
        terminal_id: str,
        municipality: str,
        now: dt.datetime | None = None,
        *,
        mode: TerminalMode = TerminalMode.COUNTER,
        reset_pins: Iterable[str] | str = (),
    ) -> str:
        """Returns the one-time bootstrap secret (stored only sealed to the central's key). An
        unattended terminal names the PINs it may reset (`reset_pins`: "sign", "auth")."""
        with self.transaction() as s:
            return terminals.register_terminal(
                s, self.authority, terminal_id, municipality, _now(now), mode=mode, reset_pins=reset_pins
            )

    def new_bootstrap_secret(self, terminal_id: str, now: dt.datetime | None = None) -> str:
        with self.transaction() as s:
            return terminals.new_bootstrap_secret(s, self.authority, terminal_id, _now(now))

    def bootstrap_terminal(
        self,
        terminal_id: str,
        secret: str,
        csr: x509.CertificateSigningRequest,
        now: dt.datetime | None = None,
    ) -> IssuedCertificate:
        with self.transaction() as s:
            return terminals.issue_terminal_certificate(
                s, self.authority, terminal_id, csr, _now(now), bootstrap_secret=secret
            )

    def renew_terminal_certificate(
        self, terminal_id: str, csr: x509.CertificateSigningRequest, now: dt.datetime | None = None
    ) -> IssuedCertificate:
        with self.transaction() as s:
            return terminals.issue_terminal_certificate(s, self.authority, terminal_id, csr, _now(now))

    def revoke_terminal(
        self,
        terminal_id: str,
        reason: RevocationReason = RevocationReason.CESSATION_OF_OPERATION,
        now: dt.datetime | None = None,
    ) -> None:
        with self.transaction() as s:
            terminals.revoke_terminal(s, self.authority, terminal_id, _now(now), reason)

    # -- card registry -----------------------------------------------------------------------

    def register_card(
        self,
        card_id: CardId,
        municipality: str,
        holder_ref: str,
        expiry: dt.date,
        *,
        face_auth: bool = False,
        now: dt.datetime | None = None,
    ) -> CardView:
        when = _now(now)
        with self.transaction() as s:
            registry.register_card(
                s, card_id, municipality, holder_ref, expiry, now=when, face_auth=face_auth
            )
            return registry.lookup_card(s, card_id, when)

    def lookup_card(self, card_id: CardId, now: dt.datetime | None = None) -> CardView:
        with self.transaction() as s:
            return registry.lookup_card(s, card_id, _now(now))

    def suspend_card(self, card_id: CardId, now: dt.datetime | None = None) -> CardView:
        with self.transaction() as s:
            return registry.suspend_card(s, self.authority, card_id, _now(now))

    def release_suspension(self, card_id: CardId, now: dt.datetime | None = None) -> CardView:
        with self.transaction() as s:
            return registry.release_suspension(s, self.authority, card_id, _now(now))

    def abolish_card(self, card_id: CardId, now: dt.datetime | None = None) -> CardView:
        with self.transaction() as s:
            return registry.abolish_card(s, self.authority, card_id, _now(now))

    def expire_cards(self, now: dt.datetime | None = None) -> int:
        with self.transaction() as s:
            return registry.expire_cards(s, _now(now))

    # -- applications and certificates -------------------------------------------------------

    def receive_application(
        self,
        sealed: str,
        *,
        terminal_id: str,
        proof: ResetProof | None = None,
        now: dt.datetime | None = None,
    ) -> ApplicationRecord:
        """`proof`: an unattended terminal's PIN reset comes with it (docs/unattended.md)."""
        when = _now(now)

        def attempt() -> ApplicationRecord:
            with self.transaction() as s:
                return applications.receive_application(
                    s, self.authority, sealed, terminal_id=terminal_id, now=when, proof=proof,
                    settings=self.unattended,
                )  # fmt: skip

        try:
            return attempt()
        except IntegrityError:
            # The same application arrived through two gateways at once: the second sees the first.
            return attempt()

    def record_identity_check(
        self,
        application_id: str,
        method: IdentityMethod,
        *,
        terminal_id: str | None = None,
        now: dt.datetime | None = None,
    ) -> ApplicationRecord:
        with self.transaction() as s:
            return applications.record_identity_check(
                s, application_id, method, _now(now), terminal_id=terminal_id
            )

    def application(self, application_id: str) -> ApplicationRecord:
        with self.transaction() as s:
            return ApplicationRecord.of(applications.get_application(s, application_id))

    def applications(
        self,
        *,
        kind: ProcedureKind | None = None,
        status: ApplicationStatus | None = None,
        municipality: str | None = None,
        since: dt.date | None = None,
        until: dt.date | None = None,
    ) -> list[ApplicationRecord]:
        with self.transaction() as s:
            return applications.list_applications(
                s, kind=kind, status=status, municipality=municipality, since=since, until=until
            )

    def issue_certificate(
        self,
        application_id: str,
        csr: x509.CertificateSigningRequest | bytes,
        kind: CertKind,
        *,
        terminal_id: str | None = None,
        now: dt.datetime | None = None,
    ) -> IssuedCertificate:
        with self.transaction() as s:
            return issuance.issue_certificate(
                s, self.authority, application_id, csr, kind, now=_now(now), terminal_id=terminal_id
            )

    def confirm_installed(
        self, serial: Serial, *, terminal_id: str | None = None, now: dt.datetime | None = None
    ) -> CertificateStatus:
        with self.transaction() as s:
            return issuance.confirm_installed(s, self.authority, serial, _now(now), terminal_id=terminal_id)

    # -- revocation and CRLs -----------------------------------------------------------------

    def revoke(
        self,
        serial: Serial,
        reason: RevocationReason,
        *,
        ex_officio: bool = False,
        now: dt.datetime | None = None,
    ) -> CertificateStatus:
        with self.transaction() as s:
            return revocation.revoke(s, self.authority, serial, reason, _now(now), ex_officio=ex_officio)

    def revoke_for_application(
        self,
        application_id: str,
        serial: Serial,
        *,
        terminal_id: str | None = None,
        now: dt.datetime | None = None,
    ) -> CertificateStatus:
        with self.transaction() as s:
            return issuance.revoke_for_application(
                s, self.authority, application_id, serial, _now(now), terminal_id=terminal_id
            )

    def hold(self, serial: Serial, now: dt.datetime | None = None) -> CertificateStatus:
        with self.transaction() as s:
            return revocation.hold(s, self.authority, serial, _now(now))

    def release_hold(self, serial: Serial, now: dt.datetime | None = None) -> CertificateStatus:
        with self.transaction() as s:
            return revocation.release_hold(s, self.authority, serial, _now(now))

    def certificate_status(self, serial: Serial, now: dt.datetime | None = None) -> CertificateStatus:
        with self.transaction() as s:
            return revocation.certificate_status(s, serial, _now(now))

    def regenerate_crls(self, now: dt.datetime | None = None) -> dict[CaName, bytes]:
        with self.transaction() as s:
            return crl.regenerate_crls(s, self.authority, _now(now))

    def current_crl(self, ca: CaName) -> bytes | None:
        with self.transaction() as s:
            return crl.current_crl(s, ca)

    # -- card administration -----------------------------------------------------------------

    def authorize(
        self,
        card_id: bytes,
        challenge: bytes,
        operation: AdminOperation,
        application_id: str,
        *,
        terminal_id: str | None = None,
        now: dt.datetime | None = None,
    ) -> bytes:
        """The card's response, or AuthorizationRefused (logged first, in its own commit)."""
        when = _now(now)

        def attempt() -> admin_auth.AuthorizationDecision:
            with self.transaction() as s:
                return admin_auth.authorize(
                    s,
                    self.authority,
                    card_id,
                    challenge,
                    operation,
                    application_id=application_id,
                    now=when,
                    terminal_id=terminal_id,
                )

        try:
            decision = attempt()
        except IntegrityError:
            # Another gateway granted the same (application, operation) a moment ago: decide again.
            decision = attempt()
        if not decision.granted or decision.response is None:
            raise AuthorizationRefused(decision.reason or "refused")
        return decision.response

    # -- unattended PIN reset ----------------------------------------------------------------

    def request_reset_ticket(
        self, request: TicketRequest, *, terminal_id: str, now: dt.datetime | None = None
    ) -> TicketAnswer:
        """A ticket or the refusal; recorded either way."""
        with self.transaction() as s:
            return unattended.request_ticket(s, terminal_id, request, _now(now), self.unattended)

    def record_reset_outcome(
        self, report: ResetOutcome, *, terminal_id: str, now: dt.datetime | None = None
    ) -> None:
        with self.transaction() as s:
            unattended.record_outcome(s, terminal_id, report, _now(now))

    def reset_attempts(
        self,
        *,
        municipality: str | None = None,
        terminal_id: str | None = None,
        card_id: str | None = None,
        since: dt.date | None = None,
        until: dt.date | None = None,
    ) -> list[ResetAttempt]:
        with self.transaction() as s:
            return unattended.list_attempts(
                s,
                municipality=municipality,
                terminal_id=terminal_id,
                card_id=card_id,
                since=since,
                until=until,
            )

    # -- intake ------------------------------------------------------------------------------

    def record_transaction(
        self, terminal_id: str, transaction_id: bytes, request_der: bytes, now: dt.datetime | None = None
    ) -> bytes | None:
        with self.transaction() as s:
            return intake.record_transaction(s, terminal_id, transaction_id, request_der, _now(now))

    def store_response(
        self, terminal_id: str, transaction_id: bytes, response_der: bytes, now: dt.datetime | None = None
    ) -> None:
        with self.transaction() as s:
            intake.store_response(s, terminal_id, transaction_id, response_der, _now(now))

    # -- ledger ------------------------------------------------------------------------------

    def ledger(
        self, *, municipality: str | None = None, since: dt.date | None = None, until: dt.date | None = None
    ) -> list[LedgerRow]:
        with self.transaction() as s:
            return ledger.rows(s, municipality=municipality, since=since, until=until)


class ApplicationAuthorizer:
    """`kiosk.reader.admin.AdminAuthorizer` for one application, in process (demo, tests).

    In production the kiosk's authorizer carries the challenge over the queue and the front end
    calls `Central.authorize` with the application id the message names.
    """

    def __init__(self, central: Central, application_id: str, terminal_id: str | None = None) -> None:
        self.central = central
        self.application_id = application_id
        self.terminal_id = terminal_id

    def authorize(self, card_id: bytes, challenge: bytes, operation: AdminOperation) -> bytes:
        return self.central.authorize(
            card_id, challenge, operation, self.application_id, terminal_id=self.terminal_id
        )
