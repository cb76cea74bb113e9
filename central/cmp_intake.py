"""The CMP intake: one protected request in, one protected answer out (docs/sync-protocol.md).

Order of checks: decode → protection verifies → the signer chains to the terminal CA and is the
*current* certificate of an active terminal → the TLS client certificate, when there is one, is
that same terminal (and is required unless the intake is configured for plain HTTP) → dedup on
(terminal, transactionID) → the body. Every failure becomes a signed CMP answer with a
PKIFailureInfo; nothing here raises to the HTTP layer for bad input.

Opening requests (p10cr, rr, genm) are recorded, processed and answered in **one** database
transaction, so a crash leaves either nothing (the resend is processed afresh) or the stored
answer (the resend gets it again).

An unattended terminal (docs/unattended.md) may send only genm: card-status queries, its notice
pull, reset-ticket requests, its PIN-reset application with the reset proof, the admin challenge
for that reset, and outcome reports. Anything else is refused (notAuthorized) and logged before
it is processed; a counter terminal may not send a reset proof.

The one exception to signature protection is a terminal's bootstrap (RFC 9483 §4.1.5): a p10cr
MAC-protected (PBM) with the terminal's one-time secret, the terminal named by senderKID, over
TLS without a client certificate. Its answers are MAC-protected with the same secret and carry
the new certificate's chain in extraCerts and the root in caPubs. The secret then serves only to
fetch that answer again (or confirm it) until the terminal signs its first message.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import TypeVar

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID
from sqlalchemy import select
from sqlalchemy.orm import Session

import lcmp
from appdata.model import Procedure
from appdata.notices import ISSUANCE_DECIDED, IssuanceDecided
from appdata.status import (
    CardCertificateView,
    CardStatusAnswer,
    CertificateStatusAnswer,
    RevokedCertificate,
    SuspensionReleased,
)
from appdata.unattended import ResetOutcome, ResetProof, TicketRequest, UnattendedFormatError
from cardadmin import CARD_ID_LENGTH, AdminOperation
from central import (
    admin_auth,
    applications,
    certstore,
    handover,
    intake,
    issuance,
    notices,
    registry,
    terminals,
    unattended,
)
from central.enums import CaName, CertKind, TerminalMode
from central.errors import (
    CentralError,
    Conflict,
    NotFound,
    PolicyViolation,
    TransactionIdInUse,
    TransactionPending,
)
from central.models import Certificate, IntakeTransaction, PendingIssuance, Terminal
from central.revocation import certificate_status
from central.service import Central
from lcmp import jpki_items
from lcmp.messages import PKIStatus

_log = logging.getLogger(__name__)
_T = TypeVar("_T")

_KINDS = {jpki_items.CertificateKind.SIGN: CertKind.SIGN, jpki_items.CertificateKind.AUTH: CertKind.AUTH}
MAX_MESSAGE_AGE = dt.timedelta(days=30)  # store-and-forward: a kiosk may be offline this long
MAX_CLOCK_SKEW = dt.timedelta(minutes=10)
DEFAULT_CHECK_AFTER = 5  # seconds a terminal waits between pollReqs for a deferred request
RECORDED = "recorded"  # the application-status answer to an outcome report

# What an unattended terminal's genm may carry (docs/unattended.md): everything else is refused.
_UNATTENDED_ITEMS = frozenset(
    {
        jpki_items.CARD_QUERY,
        jpki_items.NOTICES_AFTER,
        jpki_items.RESET_TICKET_REQUEST,
        jpki_items.APPLICATION_ENVELOPE,
        jpki_items.RESET_PROOF,
        jpki_items.ADMIN_CHALLENGE,
        jpki_items.APPLICATION_NUMBER,
        jpki_items.RESET_OUTCOME,
    }
)
# The items' names for refusal texts ("card-query"), from lcmp.jpki_items.
_ITEM_NAMES = {
    value: name.lower().replace("_", "-")
    for name, value in vars(jpki_items).items()
    if isinstance(value, str) and value.startswith("2.25.")
}


def _released_item(record: applications.ApplicationRecord) -> lcmp.InfoTypeAndValue:
    """What an accepted 一時停止解除 revoked, so the kiosk can say so and offer new certificates."""
    assert record.card_id is not None
    released = SuspensionReleased(
        record.card_id,
        record.received_at,  # the release, and its revocations, took effect on receipt
        tuple(RevokedCertificate(kind.value, serial) for kind, serial in record.revoked),
    )
    return lcmp.InfoTypeAndValue.utf8(jpki_items.SUSPENSION_RELEASED, released.to_json())


class _Refusal(Exception):
    def __init__(self, failure: lcmp.FailureInfo, text: str) -> None:
        super().__init__(text)
        self.failure, self.text = failure, text


def _mode_refusal(mode: TerminalMode, body: lcmp.Body) -> str | None:
    """Why a terminal of this mode may not send this body, if it may not."""
    types = [item.info_type for item in body.items] if isinstance(body, lcmp.Genm) else []
    if mode is TerminalMode.COUNTER:
        return "a reset proof is for unattended terminals" if jpki_items.RESET_PROOF in types else None
    if not isinstance(body, lcmp.Genm):
        return f"{body.kind} is not for an unattended terminal"
    other = [_ITEM_NAMES.get(t, t) for t in types if t not in _UNATTENDED_ITEMS]
    if other:
        return f"{', '.join(other)} is not for an unattended terminal"
    if (jpki_items.APPLICATION_ENVELOPE in types) != (jpki_items.RESET_PROOF in types):
        return "an unattended terminal's application and its reset proof travel together"
    return None


def _parsed(parse: Callable[[str], _T], text: str) -> _T:
    """An appdata.unattended message, or badDataFormat naming the field (never its value)."""
    try:
        return parse(text)
    except UnattendedFormatError as exc:
        raise _Refusal(lcmp.FailureInfo.badDataFormat, str(exc)) from exc


def _check_time(header: lcmp.Header, now: dt.datetime) -> None:
    if header.message_time > now + MAX_CLOCK_SKEW or header.message_time < now - MAX_MESSAGE_AGE:
        raise _Refusal(lcmp.FailureInfo.badTime, "messageTime outside the accepted window")


def _opened(session: Session, terminal_id: str, transaction_id: bytes) -> IntakeTransaction:
    """The transaction a follow-up (certConf, pollReq) continues."""
    try:
        return intake.get_transaction(session, terminal_id, transaction_id)
    except NotFound as exc:
        raise _Refusal(lcmp.FailureInfo.badRequest, "no such transaction") from exc


class CmpIntake:
    """Implements `central.httpd.Intake`."""

    def __init__(
        self,
        central: Central,
        *,
        require_tls_client: bool = True,
        deferred_issuance: bool = False,
        check_after: int = DEFAULT_CHECK_AFTER,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        """`deferred_issuance`: answer p10cr `waiting` and let `issue_pending` (the issuing worker
        of `central serve --deferred-issuance`) decide; terminals poll every `check_after` s."""
        self.central = central
        self.deferred_issuance = deferred_issuance
        self.check_after = check_after
        self.authority = central.authority
        self.require_tls_client = require_tls_client
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self._protector = lcmp.SignatureProtection(
            self.authority.cmp_key,
            self.authority.cmp_cert,
            chain=tuple(self.authority.chain(CaName.TERMINAL)),
        )
        self._trusted = [self.authority.root.cert]
        self._untrusted = [self.authority.terminal_ca.cert]

    # -- httpd.Intake -------------------------------------------------------------------------

    def handle_cmp(self, der: bytes, client_certificate: x509.Certificate | None) -> bytes:
        now = self._clock()
        try:
            request = lcmp.decode(der)
        except lcmp.CmpError as exc:
            _log.info("undecodable CMP request: %s", exc)
            return self._answer_undecodable(exc, now)
        if request.protection is not None and request.protection.algorithm.oid == lcmp.PASSWORD_BASED_MAC:
            return self._bootstrap(request, der, now)
        try:
            terminal_id, mode = self._authenticate(request, client_certificate, now)
            refusal = _mode_refusal(mode, request.body)
            if refusal is not None:
                # Misconfigured, or not ours: worth an investigation (規則 70-7), so a warning.
                _log.warning("terminal %s (%s) refused: %s", terminal_id, mode.value, refusal)
                raise _Refusal(lcmp.FailureInfo.notAuthorized, f"terminal {terminal_id}: {refusal}")
            return self._dispatch(request, der, terminal_id, now)
        except _Refusal as refusal:
            _log.info("CMP request refused (%s): %s", "|".join(refusal.failure.names()), refusal.text)
            return self._error(request, refusal.failure, refusal.text, now)
        except lcmp.CmpError as exc:
            _log.info("CMP request refused: %s", exc)
            return self._error(request, exc.failure_info, str(exc), now)

    def crl(self, name: str) -> bytes | None:
        try:
            ca = CaName(name)
        except ValueError:
            return None
        return self.central.current_crl(ca)

    def health(self) -> dict[str, object]:
        return {"status": "ok", "time": self._clock().isoformat()}

    # -- authentication -----------------------------------------------------------------------

    def _authenticate(
        self, request: lcmp.Message, client: x509.Certificate | None, now: dt.datetime
    ) -> tuple[str, TerminalMode]:
        header = request.header
        _check_time(header, now)
        signer = lcmp.verify_signature(request)
        lcmp.verify_chain(signer, self._trusted, self._untrusted, at=now, required_eku=lcmp.CMC_RA)
        lcmp.check_sender(request, signer)
        names = signer.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        if len(names) != 1:
            raise _Refusal(lcmp.FailureInfo.notAuthorized, "signer is not a terminal certificate")
        terminal_id = str(names[0].value)
        with self.central.transaction() as session:
            try:
                current = terminals.current_certificate(session, terminal_id)
            except NotFound as exc:
                raise _Refusal(lcmp.FailureInfo.notAuthorized, f"terminal {terminal_id} not active") from exc
            if current.der != signer.public_bytes(serialization.Encoding.DER):
                raise _Refusal(
                    lcmp.FailureInfo.notAuthorized, f"not terminal {terminal_id}'s current certificate"
                )
            row = session.get(Terminal, terminal_id)  # loaded just above: no second query
            assert row is not None
            bootstrap_pending, mode = row.bootstrap_secret_sealed is not None, row.mode
        if client is None:
            if self.require_tls_client:
                raise _Refusal(
                    lcmp.FailureInfo.notAuthorized, "mutual TLS with the terminal certificate required"
                )
        elif client != signer:
            raise _Refusal(
                lcmp.FailureInfo.notAuthorized, "TLS client and CMP signer are different terminals"
            )
        if bootstrap_pending:
            # It signs with the certificate it bootstrapped: the secret has done its job.
            with self.central.transaction() as session:
                terminals.forget_bootstrap_secret(session, terminal_id)
        return terminal_id, mode

    # -- bodies ---------------------------------------------------------------------------------

    def _dispatch(self, request: lcmp.Message, der: bytes, terminal_id: str, now: dt.datetime) -> bytes:
        body = request.body
        if isinstance(body, lcmp.P10cr | lcmp.Rr | lcmp.Genm):
            return self._opening(request, der, terminal_id, now)
        if isinstance(body, lcmp.CertConf | lcmp.PollReq):
            return self._follow_up(request, terminal_id, now)
        raise _Refusal(lcmp.FailureInfo.badRequest, f"{type(body).__name__} is not accepted by this CA")

    def _opening(self, request: lcmp.Message, der: bytes, terminal_id: str, now: dt.datetime) -> bytes:
        tid = request.header.transaction_id
        deferred = self.deferred_issuance and isinstance(request.body, lcmp.P10cr)
        try:
            with self.central.transaction() as session:
                stored = intake.record_transaction(session, terminal_id, tid, der, now)
                if stored is not None:
                    return stored  # an exact duplicate: the same answer again
                if deferred:
                    return self._defer(session, request, der, terminal_id, now)
                answer = self._process(session, request, terminal_id, now)
                intake.store_response(session, terminal_id, tid, answer, now)
                return answer
        except TransactionIdInUse as exc:
            raise _Refusal(lcmp.FailureInfo.transactionIdInUse, str(exc)) from exc
        except TransactionPending as exc:
            if self._pending(terminal_id, tid) is not None:
                return self._waiting(request, now)  # the p10cr again while it waits: still waiting
            if deferred:  # decided between the two reads: its answer
                try:
                    with self.central.transaction() as session:
                        stored = intake.record_transaction(session, terminal_id, tid, der, now)
                except TransactionPending:
                    stored = None
                if stored is not None:
                    return stored
            raise _Refusal(lcmp.FailureInfo.systemUnavail, str(exc)) from exc

    # -- delayed issuance (RFC 9483 §4.4) -------------------------------------------------------

    def _defer(
        self, session: Session, request: lcmp.Message, der: bytes, terminal_id: str, now: dt.datetime
    ) -> bytes:
        """Checks that need no CA decision are made now (a bad request should not wait); the rest
        is for `issue_pending`. The intake row stays without a response until then."""
        assert isinstance(request.body, lcmp.P10cr)
        lcmp.check_pop(request.body)
        self._application_id(request.header.general_info, terminal_id)
        opened = intake.get_transaction(session, terminal_id, request.header.transaction_id)
        session.add(PendingIssuance(intake_id=opened.id, request_der=der, received_at=now))
        _log.info("terminal %s: p10cr %s queued for issuance", terminal_id, opened.transaction_id.hex())
        return self._waiting(request, now)

    @staticmethod
    def _still_active(session: Session, terminal_id: str) -> None:
        """A terminal revoked while its request waited (stolen kiosk) gets nothing."""
        try:
            terminals.current_certificate(session, terminal_id)
        except NotFound as exc:
            raise _Refusal(lcmp.FailureInfo.notAuthorized, f"terminal {terminal_id} not active") from exc

    def _waiting(self, request: lcmp.Message, now: dt.datetime) -> bytes:
        status = lcmp.StatusInfo(PKIStatus.waiting, ("queued for issuance",))
        return self._reply(request, lcmp.Cp(status, cert_req_id=lcmp.P10CR_CERT_REQ_ID), now)

    def _pending(self, terminal_id: str, tid: bytes) -> PendingIssuance | None:
        with self.central.transaction() as session:
            try:
                opened = intake.get_transaction(session, terminal_id, tid)
            except NotFound:
                return None
            pending = session.get(PendingIssuance, opened.id)
            return pending if pending is not None and pending.decided_at is None else None

    def issue_pending(self, now: dt.datetime | None = None, *, limit: int = 100) -> int:
        """Decide queued p10crs, oldest first, each in its own transaction: issue (the cp is stored
        as the transaction's answer) or refuse (the error is). Returns how many were decided."""
        decided = 0
        for _ in range(limit):
            when = now or self._clock()
            with self.central.transaction() as session:
                pending = session.scalars(
                    select(PendingIssuance)
                    .where(PendingIssuance.decided_at.is_(None))
                    .order_by(PendingIssuance.received_at, PendingIssuance.intake_id)
                    .limit(1)
                    .with_for_update(skip_locked=True)
                ).one_or_none()
                if pending is None:
                    break
                opened = session.get(IntakeTransaction, pending.intake_id)
                assert opened is not None
                request = lcmp.decode(pending.request_der)  # it decoded when it was queued
                try:
                    with session.begin_nested():  # a refusal keeps nothing of the attempt
                        self._still_active(session, opened.terminal_id)
                        answer = self._process(session, request, opened.terminal_id, when)
                except (_Refusal, lcmp.CmpError) as exc:
                    failure = exc.failure if isinstance(exc, _Refusal) else exc.failure_info
                    text = exc.text if isinstance(exc, _Refusal) else str(exc)
                    _log.info("deferred p10cr refused for %s: %s", opened.terminal_id, text)
                    answer = self._error(request, failure, text, when)
                except Exception:  # a bug or a race must not stall the queue behind this request
                    _log.exception("deferred p10cr of %s failed; answered systemFailure", opened.terminal_id)
                    answer = self._error(request, lcmp.FailureInfo.systemFailure, "issuance failed", when)
                intake.store_response(session, opened.terminal_id, opened.transaction_id, answer, when)
                pending.decided_at = when
                # Pushed as well as polled: the terminal applies it at its next notice pull.
                decided_notice = IssuanceDecided(opened.transaction_id, answer)
                notices.post(session, opened.terminal_id, ISSUANCE_DECIDED, decided_notice.to_payload(), when)
                decided += 1
        return decided

    def _process(self, session: Session, request: lcmp.Message, terminal_id: str, now: dt.datetime) -> bytes:
        body, items = request.body, request.header.general_info
        try:
            if isinstance(body, lcmp.P10cr):
                lcmp.check_pop(body)
                app_id = self._application_id(items, terminal_id)
                kind = self._certificate_kind(session, items, app_id)
                issued = issuance.issue_certificate(
                    session, self.authority, app_id, body.csr, kind, now=now, terminal_id=terminal_id
                )
                return self._reply(
                    request,
                    lcmp.Cp(
                        lcmp.ACCEPTED,
                        issued.certificate,
                        cert_req_id=lcmp.P10CR_CERT_REQ_ID,
                        ca_pubs=tuple(self.authority.chain(kind.issuer)),
                    ),
                    now,
                    # Never for a card certificate: it counts as installed (交付) only after the
                    # terminal has written and read it back, which its certConf says.
                    implicit_confirm=False,
                )
            if isinstance(body, lcmp.Rr):
                app_id = self._application_id(items, terminal_id)
                issuance.revoke_for_application(
                    session, self.authority, app_id, body.serial, now, terminal_id=terminal_id
                )
                return self._reply(request, lcmp.Rp(lcmp.ACCEPTED), now)
            asked = jpki_items.octets_value(body.items, jpki_items.ADMIN_CHALLENGE)
            if asked is not None:
                return self._authorize(session, request, asked, terminal_id, now)
            installed = jpki_items.integer_value(body.items, jpki_items.INSTALLED_SERIAL)
            if installed is not None:
                return self._installed(session, request, installed, terminal_id, now)
            answer_item = self._query(session, body.items, terminal_id, now)
            if answer_item is None:
                answer_item = self._unattended(session, body.items, terminal_id, now)
            if answer_item is not None:
                return self._reply(request, lcmp.Genp((answer_item,)), now)
            envelope = jpki_items.text_value(body.items, jpki_items.APPLICATION_ENVELOPE)
            if envelope is None:
                raise _Refusal(lcmp.FailureInfo.badRequest, "genm carries no application, challenge or query")
            proof_text = jpki_items.text_value(body.items, jpki_items.RESET_PROOF)
            record = applications.receive_application(
                session, self.authority, envelope, terminal_id=terminal_id, now=now,
                proof=_parsed(ResetProof.from_json, proof_text) if proof_text is not None else None,
                settings=self.central.unattended,
            )  # fmt: skip
            status = (
                record.status.value
                if record.rejection is None
                else f"{record.status.value}:{record.rejection}"
            )
            answer = [
                lcmp.InfoTypeAndValue.utf8(jpki_items.APPLICATION_ID, record.id),
                lcmp.InfoTypeAndValue.utf8(jpki_items.APPLICATION_STATUS, status),
            ]
            if record.kind is Procedure.SUSPENSION_RELEASE and record.approved and record.card_id:
                answer.append(_released_item(record))
            return self._reply(request, lcmp.Genp(tuple(answer)), now)
        except PolicyViolation as exc:
            raise _Refusal(lcmp.FailureInfo.badCertTemplate, f"{exc} ({exc.rule})") from exc
        except (NotFound, Conflict) as exc:
            raise _Refusal(lcmp.FailureInfo.badRequest, str(exc)) from exc
        except CentralError as exc:
            raise _Refusal(lcmp.FailureInfo.notAuthorized, str(exc)) from exc

    @staticmethod
    def _query(
        session: Session, items: tuple[lcmp.InfoTypeAndValue, ...], terminal_id: str, now: dt.datetime
    ) -> lcmp.InfoTypeAndValue | None:
        """Card-registry and certificate-status queries (the kiosk's identity check, renewal and
        revocation screens), and the terminal's notice pull (whose cursor acknowledges what it
        applied: the only write). Each registry question is logged with who asked."""
        card_id = jpki_items.octets_value(items, jpki_items.CARD_QUERY)
        if card_id is not None:
            if len(card_id) != CARD_ID_LENGTH:
                raise _Refusal(lcmp.FailureInfo.badDataFormat, "card query: a card id is 16 bytes")
            _log.info("terminal %s asked the registry for card %s", terminal_id, card_id.hex())
            try:
                view = registry.lookup_card(session, card_id, now)
            except NotFound:
                card = CardStatusAnswer(card_id.hex(), "unregistered")
            else:
                card = CardStatusAnswer(
                    view.card_id, view.status.value, view.expiry, view.face_auth,
                    tuple(CardCertificateView(c.kind.value, c.serial, c.status.value, c.not_after)
                          for c in view.certificates),
                )  # fmt: skip
            return lcmp.InfoTypeAndValue.utf8(jpki_items.CARD_STATUS, card.to_json())
        handover_card = jpki_items.octets_value(items, jpki_items.HANDOVER_QUERY)
        if handover_card is not None:
            if len(handover_card) != CARD_ID_LENGTH:
                raise _Refusal(lcmp.FailureInfo.badDataFormat, "handover query: a card id is 16 bytes")
            answer = handover.hand_over(session, handover_card, terminal_id, now)
            return lcmp.InfoTypeAndValue.utf8(jpki_items.HANDOVER, answer.to_json())
        after = jpki_items.integer_value(items, jpki_items.NOTICES_AFTER)
        if after is not None:
            if after < 0:
                raise _Refusal(lcmp.FailureInfo.badDataFormat, "notice cursor below zero")
            found = notices.page(session, terminal_id, after)
            return lcmp.InfoTypeAndValue.utf8(jpki_items.NOTICE_PAGE, found.to_json())
        serial = jpki_items.integer_value(items, jpki_items.CERTIFICATE_QUERY)
        if serial is not None:
            _log.info("terminal %s asked for the status of certificate %X", terminal_id, serial)
            try:
                found = certificate_status(session, serial, now)
            except (NotFound, ValueError):
                answer = CertificateStatusAnswer(format(serial, "x"), "unknown")
            else:
                answer = CertificateStatusAnswer(
                    found.serial, found.status.value, found.kind.value,
                    found.reason.name if found.reason is not None else None,
                    found.revoked_at, found.not_after, found.expired,
                )  # fmt: skip
            return lcmp.InfoTypeAndValue.utf8(jpki_items.CERTIFICATE_STATUS, answer.to_json())
        return None

    def _unattended(
        self, session: Session, items: tuple[lcmp.InfoTypeAndValue, ...], terminal_id: str, now: dt.datetime
    ) -> lcmp.InfoTypeAndValue | None:
        """A reset-ticket request (answered with the ticket or the refusal: both are answers, not
        CMP errors) or an outcome report (answered "recorded")."""
        asked = jpki_items.text_value(items, jpki_items.RESET_TICKET_REQUEST)
        if asked is not None:
            request = _parsed(TicketRequest.from_json, asked)
            answer = unattended.request_ticket(session, terminal_id, request, now, self.central.unattended)
            return lcmp.InfoTypeAndValue.utf8(jpki_items.RESET_TICKET, answer.to_json())
        reported = jpki_items.text_value(items, jpki_items.RESET_OUTCOME)
        if reported is not None:
            unattended.record_outcome(session, terminal_id, _parsed(ResetOutcome.from_json, reported), now)
            return lcmp.InfoTypeAndValue.utf8(jpki_items.APPLICATION_STATUS, RECORDED)
        return None

    def _authorize(
        self, session: Session, request: lcmp.Message, asked: bytes, terminal_id: str, now: dt.datetime
    ) -> bytes:
        """One card-admin response for one operation on one card, if the application allows it.

        A refusal is answered (and stored with the transaction) rather than raised, so the
        refusal's log entry commits with it.
        """
        assert isinstance(request.body, lcmp.Genm)
        app_id = self._application_id(request.body.items, terminal_id)
        if len(asked) <= 2 * CARD_ID_LENGTH:
            raise _Refusal(lcmp.FailureInfo.badDataFormat, "admin challenge item too short")
        card_id, challenge = asked[:CARD_ID_LENGTH], asked[CARD_ID_LENGTH : 2 * CARD_ID_LENGTH]
        try:
            operation = AdminOperation.decode(asked[2 * CARD_ID_LENGTH :])
        except ValueError as exc:
            raise _Refusal(lcmp.FailureInfo.badDataFormat, str(exc)) from exc
        decision = admin_auth.authorize(
            session, self.authority, card_id, challenge, operation,
            application_id=app_id, now=now, terminal_id=terminal_id,
        )  # fmt: skip
        if not decision.granted or decision.response is None:
            _log.info("card administration refused for %s: %s", app_id, decision.reason)
            return self._error(request, lcmp.FailureInfo.notAuthorized, decision.reason or "refused", now)
        return self._reply(
            request, lcmp.Genp((jpki_items.octets_item(jpki_items.ADMIN_RESPONSE, decision.response),)), now
        )

    def _installed(
        self, session: Session, request: lcmp.Message, serial: int, terminal_id: str, now: dt.datetime
    ) -> bytes:
        """A handed-over certificate is on the card (written and read back): what a certConf says
        for the terminal's own requests, whose transaction this terminal never had."""
        assert isinstance(request.body, lcmp.Genm)
        app_id = self._application_id(request.body.items, terminal_id)
        row = certstore.get(session, serial)
        if row.application_id != app_id:
            raise _Refusal(lcmp.FailureInfo.badCertId, f"certificate {row.serial} is not of {app_id}")
        app = applications.get_application(session, app_id)
        if applications.installer(app) != terminal_id:
            raise _Refusal(lcmp.FailureInfo.notAuthorized, f"{app_id} was not handed over to this terminal")
        status = issuance.confirm_installed(session, self.authority, serial, now, terminal_id=terminal_id)
        return self._reply(
            request,
            lcmp.Genp((lcmp.InfoTypeAndValue.utf8(jpki_items.APPLICATION_STATUS, status.status.value),)),
            now,
        )

    def _follow_up(self, request: lcmp.Message, terminal_id: str, now: dt.datetime) -> bytes:
        with self.central.transaction() as session:
            opened = _opened(session, terminal_id, request.header.transaction_id)
            if opened.response_der is None:
                if isinstance(request.body, lcmp.PollReq) and session.get(PendingIssuance, opened.id):
                    poll = lcmp.PollRep(request.body.cert_req_id, self.check_after, ("queued for issuance",))
                    return self._reply(request, poll, now)
                raise _Refusal(lcmp.FailureInfo.systemUnavail, "transaction still open")
            first = lcmp.decode(opened.response_der)
            if isinstance(request.body, lcmp.PollReq):
                return self._decided(request, first, now)
            if not isinstance(first.body, lcmp.Cp) or first.body.certificate is None:
                raise _Refusal(lcmp.FailureInfo.badRequest, "transaction issued no certificate")
            cert = first.body.certificate
            conf = request.body
            assert isinstance(conf, lcmp.CertConf)
            if conf.cert_hash != lcmp.cert_hash(cert):
                raise _Refusal(lcmp.FailureInfo.badCertId, "certConf names another certificate")
            try:
                if conf.status is None or conf.status.granted:
                    issuance.confirm_installed(
                        session, self.authority, cert.serial_number, now, terminal_id=terminal_id
                    )
                else:
                    # The terminal could not install it (RFC 9483 §4.1.1): revoked as 破棄 at once.
                    _log.info("terminal %s rejected certificate %X", terminal_id, cert.serial_number)
                    issuance.destroy_unconfirmed(
                        session, self.authority, cert.serial_number, now, terminal_id=terminal_id
                    )
            except CentralError as exc:
                raise _Refusal(lcmp.FailureInfo.badRequest, str(exc)) from exc
            return self._reply(request, lcmp.PkiConf(), now)

    def _decided(
        self,
        poll: lcmp.Message,
        first: lcmp.Message,
        now: dt.datetime,
        *,
        protector: lcmp.Protector | None = None,
    ) -> bytes:
        """The decision, as an answer to *this* pollReq (its nonce echoed): the stored cp or error
        answered the p10cr, whose nonce the terminal no longer expects."""
        if isinstance(first.body, lcmp.ErrorMsg):
            return self._reply(poll, first.body, now, protector=protector)
        if isinstance(first.body, lcmp.Cp):
            return self._reply(
                poll, first.body, now, implicit_confirm=first.header.implicit_confirm, protector=protector
            )
        raise _Refusal(lcmp.FailureInfo.badRequest, f"pollReq in a {first.body.kind} transaction")

    # -- terminal bootstrap (PBM) ---------------------------------------------------------------

    def _bootstrap(self, request: lcmp.Message, der: bytes, now: dt.datetime) -> bytes:
        """A MAC-protected request: only a terminal's first p10cr, its certConf or pollReq."""
        header = request.header
        terminal_id = (header.sender_kid or b"").decode("utf-8", "replace")
        # One answer for unknown terminal, spent secret and wrong MAC: which ids have a live
        # secret is nobody's business.
        refused = "bootstrap refused: unknown terminal, spent or wrong secret"
        try:
            with self.central.transaction() as session:
                secret = (
                    terminals.bootstrap_secret(session, self.authority, terminal_id) if terminal_id else None
                )
        except ValueError:  # a sealed blob that no longer opens (key rotated, row tampered)
            _log.error("terminal %r: stored bootstrap secret does not open", terminal_id)
            secret = None
        if secret is None:
            _log.info("PBM request refused: no bootstrap secret in use for terminal %r", terminal_id)
            return self._error(request, lcmp.FailureInfo.badMessageCheck, refused, now)
        try:
            lcmp.verify_pbm(request, secret)
        except lcmp.CmpError as exc:
            _log.warning("terminal %s: bootstrap MAC refused: %s", terminal_id, exc)
            return self._error(request, lcmp.FailureInfo.badMessageCheck, refused, now)
        # From here the requester knows the secret: every answer is MAC-protected with it.
        # The answer's senderKID names the same shared secret: the terminal's reference.
        protector = lcmp.PbmProtection(secret, terminal_id.encode())
        try:
            _check_time(header, now)
            if isinstance(request.body, lcmp.P10cr):
                return self._bootstrap_p10cr(request, der, terminal_id, (secret, protector), now)
            if isinstance(request.body, lcmp.CertConf | lcmp.PollReq):
                return self._bootstrap_follow_up(request, terminal_id, protector, now)
            raise _Refusal(lcmp.FailureInfo.notAuthorized, f"{request.body.kind} needs signature protection")
        except _Refusal as refusal:
            _log.info("terminal %s: bootstrap refused: %s", terminal_id, refusal.text)
            return self._error(request, refusal.failure, refusal.text, now, protector=protector)
        except lcmp.CmpError as exc:
            _log.info("terminal %s: bootstrap refused: %s", terminal_id, exc)
            return self._error(request, exc.failure_info, str(exc), now, protector=protector)

    def _bootstrap_p10cr(
        self,
        request: lcmp.Message,
        der: bytes,
        terminal_id: str,
        key: tuple[bytes, lcmp.Protector],
        now: dt.datetime,
    ) -> bytes:
        assert isinstance(request.body, lcmp.P10cr)
        secret, protector = key
        tid = request.header.transaction_id
        lcmp.check_pop(request.body)
        try:
            with self.central.transaction() as session:
                stored = intake.record_transaction(session, terminal_id, tid, der, now)
                if stored is not None:
                    return stored  # the same request again: its answer again
                issued = terminals.issue_terminal_certificate(
                    session, self.authority, terminal_id, request.body.csr, now,
                    bootstrap_secret=secret.decode("ascii"),
                )  # fmt: skip
                answer = lcmp.Message(
                    self._reply_header(request, now, implicit_confirm=request.header.implicit_confirm),
                    lcmp.Cp(
                        lcmp.ACCEPTED,
                        issued.certificate,
                        cert_req_id=lcmp.P10CR_CERT_REQ_ID,
                        ca_pubs=(self.authority.root.cert,),
                    ),
                    extra_certs=tuple(self.authority.chain(CaName.TERMINAL)),
                )
                encoded = lcmp.encode(answer, protector)
                intake.store_response(session, terminal_id, tid, encoded, now)
                _log.info("terminal %s bootstrapped over CMP, certificate %s", terminal_id, issued.serial)
                return encoded
        except TransactionIdInUse as exc:
            raise _Refusal(lcmp.FailureInfo.transactionIdInUse, str(exc)) from exc
        except TransactionPending as exc:
            raise _Refusal(lcmp.FailureInfo.systemUnavail, str(exc)) from exc
        except PolicyViolation as exc:
            raise _Refusal(lcmp.FailureInfo.badCertTemplate, f"{exc} ({exc.rule})") from exc
        except CentralError as exc:
            raise _Refusal(lcmp.FailureInfo.notAuthorized, str(exc)) from exc

    def _bootstrap_follow_up(
        self, request: lcmp.Message, terminal_id: str, protector: lcmp.Protector, now: dt.datetime
    ) -> bytes:
        with self.central.transaction() as session:
            opened = _opened(session, terminal_id, request.header.transaction_id)
        if opened.response_der is None:
            raise _Refusal(lcmp.FailureInfo.systemUnavail, "transaction still open")
        first = lcmp.decode(opened.response_der)
        cert = first.body.certificate if isinstance(first.body, lcmp.Cp) else None
        if cert is None or cert.issuer != self.authority.terminal_ca.cert.subject:
            raise _Refusal(lcmp.FailureInfo.badRequest, "not this terminal's bootstrap transaction")
        if isinstance(request.body, lcmp.PollReq):
            return self._decided(request, first, now, protector=protector)
        assert isinstance(request.body, lcmp.CertConf)
        if first.header.implicit_confirm:
            raise _Refusal(lcmp.FailureInfo.badRequest, "the certificate was confirmed implicitly")
        if request.body.cert_hash != lcmp.cert_hash(cert):
            raise _Refusal(lcmp.FailureInfo.badCertId, "certConf names another certificate")
        if request.body.status is not None and not request.body.status.granted:
            # Not acted on: the paper secret alone must not be able to take a terminal out of
            # service. Staff revoke the terminal if it really cannot use its certificate.
            _log.warning("terminal %s says it cannot use its bootstrap certificate", terminal_id)
        return lcmp.encode(lcmp.Message(self._reply_header(request, now), lcmp.PkiConf()), protector)

    # -- helpers --------------------------------------------------------------------------------

    @staticmethod
    def _application_id(items: tuple[lcmp.InfoTypeAndValue, ...], terminal_id: str) -> str:
        """The terminal's own application by its number; an application handed over to it by
        the central's id (whose installer is checked where the application is used)."""
        handed_over = jpki_items.text_value(items, jpki_items.APPLICATION_ID)
        if handed_over is not None:
            return handed_over
        number = jpki_items.integer_value(items, jpki_items.APPLICATION_NUMBER)
        if number is None:
            raise _Refusal(lcmp.FailureInfo.badRequest, "application number item missing")
        try:
            return jpki_items.application_id(terminal_id, number)
        except ValueError as exc:
            raise _Refusal(lcmp.FailureInfo.badRequest, str(exc)) from exc

    def _certificate_kind(
        self, session: Session, items: tuple[lcmp.InfoTypeAndValue, ...], app_id: str
    ) -> CertKind:
        """The kind item, or — when absent, as from `openssl cmp`, which carries one -geninfo — the
        one kind the application requested and has not been issued yet."""
        code = jpki_items.integer_value(items, jpki_items.CERTIFICATE_KIND)
        if code is not None:
            if code not in set(jpki_items.CertificateKind):
                raise _Refusal(lcmp.FailureInfo.badRequest, f"unknown certificate kind {code}")
            return _KINDS[jpki_items.CertificateKind(code)]
        row = applications.get_application(session, app_id)
        requested = [CertKind(k) for k in applications.open_stored(session, self.authority, row).certificates]
        issued = set(session.scalars(select(Certificate.kind).where(Certificate.application_id == app_id)))
        remaining = [k for k in requested if k not in issued]
        if len(remaining) != 1:
            raise _Refusal(lcmp.FailureInfo.badRequest, "certificate kind item required for this application")
        return remaining[0]

    def _reply_header(
        self, request: lcmp.Message, now: dt.datetime, *, implicit_confirm: bool = False
    ) -> lcmp.Header:
        return lcmp.reply_header(
            request.header, self.authority.cmp_cert.subject, implicit_confirm=implicit_confirm, now=now
        )

    def _reply(
        self,
        request: lcmp.Message,
        body: lcmp.Body,
        now: dt.datetime,
        *,
        implicit_confirm: bool = False,
        protector: lcmp.Protector | None = None,
    ) -> bytes:
        header = self._reply_header(request, now, implicit_confirm=implicit_confirm)
        return lcmp.encode(lcmp.Message(header, body), protector or self._protector)

    def _error(
        self,
        request: lcmp.Message,
        failure: lcmp.FailureInfo,
        text: str,
        now: dt.datetime,
        *,
        protector: lcmp.Protector | None = None,
    ) -> bytes:
        status = lcmp.StatusInfo(PKIStatus.rejection, (text,), failure)
        return self._reply(request, lcmp.ErrorMsg(status), now, protector=protector)

    def _answer_undecodable(self, exc: lcmp.CmpError, now: dt.datetime) -> bytes:
        header = lcmp.Header(
            sender=self.authority.cmp_cert.subject,
            recipient=x509.Name([]),
            transaction_id=lcmp.new_transaction_id(),
            sender_nonce=lcmp.new_nonce(),
            message_time=now,
        )
        status = lcmp.StatusInfo(PKIStatus.rejection, (str(exc),), exc.failure_info)
        return lcmp.encode(lcmp.Message(header, lcmp.ErrorMsg(status)), self._protector)
