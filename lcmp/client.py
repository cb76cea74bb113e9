"""The requester's side of the exchanges (RFC 9483 §4.1.4 p10cr, §4.1.1 certConf, §4.2 rr,
§4.3 genm, §4.4 polling), over any transport.

Every message is built and protected once, as bytes: `prepare_*` returns them, `send_*` takes them.
A kiosk puts the bytes in its outbox and hands the same bytes to `send_*` on every retry
(store-and-forward); `p10cr()` / `rr()` do both at once for online use. Every answer is decoded
strictly, its protection checked by the `response_check` the client was given (see `lcmp.trust`),
and its transactionID and recipNonce matched to the request it answers.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cryptography import x509

from lcmp.codec import decode, encode
from lcmp.errors import CmpError, CmpRejected, FailureInfo
from lcmp.headers import follow_up_header, new_header
from lcmp.messages import (
    CertConf,
    Cp,
    ErrorMsg,
    Genm,
    Genp,
    Header,
    InfoTypeAndValue,
    Message,
    P10cr,
    PKIStatus,
    PollRep,
    PollReq,
    Rp,
    Rr,
    StatusInfo,
)
from lcmp.protection import Protector, SignatureProtection

Transport = Callable[[bytes], bytes]  # request DER → answer DER; raises CmpTransportError
ResponseCheck = Callable[[Message], object]  # raises CmpError unless the answer's protection is acceptable
Sleep = Callable[[float], None]

# p10cr has no certReqId of its own: answers carry -1 (OpenSSL 3.0 included); some older peers use 0.
_P10CR_CERT_REQ_IDS = (-1, 0)


@dataclass(frozen=True)
class Enrollment:
    """A certificate the CA issued for a p10cr, and what is needed to confirm it later."""

    certificate: x509.Certificate
    status: StatusInfo
    cert_req_id: int
    implicit_confirm: bool  # granted: the CA considers the certificate confirmed already
    confirmed: bool  # certConf sent and answered with pkiConf
    request_header: Header  # our last request in the transaction
    response_header: Header  # the cp's header: a later certConf answers it
    ca_pubs: tuple[x509.Certificate, ...] = ()
    extra_certs: tuple[x509.Certificate, ...] = ()

    @property
    def transaction_id(self) -> bytes:
        return self.response_header.transaction_id

    @property
    def needs_confirmation(self) -> bool:
        return not (self.implicit_confirm or self.confirmed)


@dataclass(frozen=True)
class PendingEnrollment:
    """A p10cr the CA has not decided yet: enough to resume polling later (`CmpClient.resume`)."""

    request_header: Header
    response_header: Header  # its senderNonce is the next pollReq's recipNonce
    cert_req_id: int
    csr: x509.CertificateSigningRequest
    implicit_confirm_requested: bool
    check_after: int  # seconds the CA asked us to wait before the next pollReq

    @property
    def transaction_id(self) -> bytes:
        return self.request_header.transaction_id


class PollTimeout(Exception):
    """The CA still says `waiting` after the client's polling budget; resume with `pending`."""

    def __init__(self, pending: PendingEnrollment) -> None:
        super().__init__(
            f"certificate still pending after the polling budget (transaction "
            f"{pending.transaction_id.hex()}, next check after {pending.check_after} s)"
        )
        self.pending = pending


class CmpClient:
    def __init__(
        self,
        transport: Transport,
        protector: Protector,
        response_check: ResponseCheck,
        *,
        recipient: x509.Name,
        sender: x509.Name | None = None,
        sleep: Sleep = time.sleep,
        max_poll_wait: float = 600.0,
        max_polls: int = 100,
        now: Callable[[], dt.datetime] | None = None,
    ) -> None:
        """`sender` defaults to the protection certificate's subject (NULL-DN for PBM);
        `max_poll_wait` bounds the sum of checkAfter waits, `max_polls` the number of pollReqs."""
        self._transport = transport
        self._protector = protector
        self._check = response_check
        self._recipient = recipient
        if sender is None:
            sender = (
                protector.certificate.subject if isinstance(protector, SignatureProtection) else x509.Name([])
            )
        self._sender = sender
        self._sleep = sleep
        self._max_poll_wait = max_poll_wait
        self._max_polls = max_polls
        self._now = now or (lambda: dt.datetime.now(dt.UTC))

    # --- enrollment ---------------------------------------------------------------------------------

    def prepare_p10cr(
        self,
        csr: x509.CertificateSigningRequest,
        *,
        implicit_confirm: bool = True,
        general_info: Sequence[InfoTypeAndValue] = (),
    ) -> bytes:
        """A protected p10cr, ready to store and send (as often as needed) with `send_p10cr`.

        `general_info` carries application items in the header (covered by the protection)."""
        return encode(Message(self._new_header(implicit_confirm, general_info), P10cr(csr)), self._protector)

    def send_p10cr(self, request: bytes, *, confirm: bool = True) -> Enrollment:
        """Send a prepared p10cr, poll while the CA says `waiting`, and (if `confirm` and implicit
        confirmation was not granted) confirm with certConf → pkiConf.

        With `confirm=False` the caller confirms later, e.g. after writing the certificate to the
        card: `prepare_cert_conf(enrollment)` / `send_cert_conf(...)` or `confirm(enrollment)`.
        Raises PollTimeout (resume with `resume`), CmpRejected, CmpError or CmpTransportError.
        """
        own = decode(request)
        if not isinstance(own.body, P10cr):
            raise ValueError(f"not a p10cr: {own.body.kind}")
        response = self._exchange(request, own.header, (Cp.kind,))
        return self._until_decided(
            own.header, response, own.body.csr, own.header.implicit_confirm, confirm=confirm
        )

    def p10cr(
        self, csr: x509.CertificateSigningRequest, *, implicit_confirm: bool = True, confirm: bool = True
    ) -> Enrollment:
        return self.send_p10cr(self.prepare_p10cr(csr, implicit_confirm=implicit_confirm), confirm=confirm)

    def resume(self, pending: PendingEnrollment, *, confirm: bool = True) -> Enrollment:
        """Continue polling a p10cr the CA had not decided (after PollTimeout, even much later)."""
        request_header, response = self._poll(pending)
        return self._until_decided(
            request_header, response, pending.csr, pending.implicit_confirm_requested, confirm=confirm
        )

    def prepare_cert_conf(
        self, enrollment: Enrollment, *, accept: bool = True, reason: str | None = None
    ) -> bytes:
        """A protected certConf accepting (or rejecting) the enrolled certificate."""
        status = None
        if not accept:
            status = StatusInfo(PKIStatus.rejection, (reason,) if reason else (), FailureInfo.incorrectData)
        header = follow_up_header(enrollment.request_header, enrollment.response_header, now=self._now())
        body = CertConf.for_certificate(enrollment.certificate, enrollment.cert_req_id, status)
        return encode(Message(header, body), self._protector)

    def send_cert_conf(self, request: bytes) -> None:
        """Send a prepared certConf; returns when the CA answered pkiConf."""
        own = decode(request)
        if not isinstance(own.body, CertConf):
            raise ValueError(f"not a certConf: {own.body.kind}")
        self._exchange(request, own.header, ("pkiconf",))

    def confirm(
        self, enrollment: Enrollment, *, accept: bool = True, reason: str | None = None
    ) -> Enrollment:
        if not enrollment.needs_confirmation:
            raise ValueError("this enrollment is confirmed already (explicitly or implicitly)")
        self.send_cert_conf(self.prepare_cert_conf(enrollment, accept=accept, reason=reason))
        return dataclasses.replace(enrollment, confirmed=True)

    # --- revocation ---------------------------------------------------------------------------------

    def prepare_rr(
        self,
        issuer: x509.Name,
        serial: int,
        reason: x509.ReasonFlags | None = None,
        *,
        general_info: Sequence[InfoTypeAndValue] = (),
    ) -> bytes:
        header = self._new_header(False, general_info)
        return encode(Message(header, Rr(issuer, serial, reason)), self._protector)

    def send_rr(self, request: bytes) -> StatusInfo:
        """Send a prepared rr; return the rp status (accepted), raise CmpRejected otherwise."""
        own = decode(request)
        if not isinstance(own.body, Rr):
            raise ValueError(f"not an rr: {own.body.kind}")
        response = self._exchange(request, own.header, (Rp.kind,))
        assert isinstance(response.body, Rp)
        if response.body.status.status != PKIStatus.accepted:
            raise CmpRejected(response.body.status, f"revocation refused: {response.body.status.describe()}")
        return response.body.status

    def rr(self, issuer: x509.Name, serial: int, reason: x509.ReasonFlags | None = None) -> StatusInfo:
        return self.send_rr(self.prepare_rr(issuer, serial, reason))

    # --- general messages ---------------------------------------------------------------------------

    def prepare_genm(
        self, items: Sequence[InfoTypeAndValue], *, general_info: Sequence[InfoTypeAndValue] = ()
    ) -> bytes:
        header = self._new_header(False, general_info)
        return encode(Message(header, Genm(tuple(items))), self._protector)

    def send_genm(self, request: bytes) -> tuple[InfoTypeAndValue, ...]:
        """Send a prepared genm; return the genp's items (CmpRejected for an error message)."""
        own = decode(request)
        if not isinstance(own.body, Genm):
            raise ValueError(f"not a genm: {own.body.kind}")
        response = self._exchange(request, own.header, (Genp.kind,))
        assert isinstance(response.body, Genp)
        return response.body.items

    def genm(self, items: Sequence[InfoTypeAndValue]) -> tuple[InfoTypeAndValue, ...]:
        return self.send_genm(self.prepare_genm(items))

    # --- internals ----------------------------------------------------------------------------------

    def _new_header(self, implicit_confirm: bool, general_info: Sequence[InfoTypeAndValue]) -> Header:
        header = new_header(self._sender, self._recipient, implicit_confirm=implicit_confirm, now=self._now())
        return dataclasses.replace(header, general_info=tuple(general_info)) if general_info else header

    def _exchange(self, request: bytes, request_header: Header, expected: tuple[str, ...]) -> Message:
        response = decode(self._transport(request))
        said = ""
        if isinstance(response.body, ErrorMsg):
            # kept for the exception text even if the error message fails the checks below
            said = f" (the answer is an error message: {response.body.status.describe()})"
        try:
            self._check(response)
        except CmpError as exc:
            raise CmpError(exc.failure_info, exc.text + said) from exc
        if response.header.transaction_id != request_header.transaction_id:
            raise CmpError(FailureInfo.badRequest, "answer has another transactionID" + said)
        if response.header.recip_nonce != request_header.sender_nonce:
            raise CmpError(FailureInfo.badRecipientNonce, "answer's recipNonce is not our senderNonce" + said)
        if isinstance(response.body, ErrorMsg):
            raise CmpRejected(response.body.status, f"CMP error message: {response.body.status.describe()}")
        if response.body.kind not in expected:
            raise CmpError(
                FailureInfo.badRequest, f"expected {' or '.join(expected)}, got {response.body.kind}"
            )
        return response

    def _poll(self, pending: PendingEnrollment) -> tuple[Header, Message]:
        header = follow_up_header(pending.request_header, pending.response_header, now=self._now())
        der = encode(Message(header, PollReq(pending.cert_req_id)), self._protector)
        return header, self._exchange(der, header, (PollRep.kind, Cp.kind))

    def _until_decided(
        self,
        request_header: Header,
        response: Message,
        csr: x509.CertificateSigningRequest,
        implicit_confirm_requested: bool,
        *,
        confirm: bool,
    ) -> Enrollment:
        waited = 0.0
        polls = 0
        while True:
            body = response.body
            if isinstance(body, Cp) and body.status.status != PKIStatus.waiting:
                break
            assert isinstance(body, Cp | PollRep)
            check_after = body.check_after if isinstance(body, PollRep) else 0
            self._check_cert_req_id(body.cert_req_id)
            pending = PendingEnrollment(
                request_header,
                response.header,
                body.cert_req_id,
                csr,
                implicit_confirm_requested,
                check_after,
            )
            if polls >= self._max_polls or waited + check_after > self._max_poll_wait:
                raise PollTimeout(pending)
            if check_after:
                self._sleep(check_after)
            waited += check_after
            polls += 1
            request_header, response = self._poll(pending)
        return self._decided(request_header, response, body, csr, implicit_confirm_requested, confirm=confirm)

    def _decided(
        self,
        request_header: Header,
        response: Message,
        cp: Cp,
        csr: x509.CertificateSigningRequest,
        implicit_confirm_requested: bool,
        *,
        confirm: bool,
    ) -> Enrollment:
        self._check_cert_req_id(cp.cert_req_id)
        if not cp.status.granted or cp.certificate is None:
            raise CmpRejected(cp.status, f"certificate request rejected: {cp.status.describe()}")
        enrollment = Enrollment(
            certificate=cp.certificate,
            status=cp.status,
            cert_req_id=cp.cert_req_id,
            # a grant the request did not ask for is not one (RFC 9810 §5.1.1.1)
            implicit_confirm=implicit_confirm_requested and response.header.implicit_confirm,
            confirmed=False,
            request_header=request_header,
            response_header=response.header,
            ca_pubs=cp.ca_pubs,
            extra_certs=response.extra_certs,
        )
        if cp.certificate.public_key() != csr.public_key():
            if enrollment.needs_confirmation:  # tell the CA, so it does not consider it accepted
                self.confirm(enrollment, accept=False, reason="public key is not the requested key")
            raise CmpError(
                FailureInfo.incorrectData, "issued certificate's public key is not the requested key"
            )
        if confirm and enrollment.needs_confirmation:
            enrollment = self.confirm(enrollment)
        return enrollment

    @staticmethod
    def _check_cert_req_id(cert_req_id: int) -> None:
        if cert_req_id not in _P10CR_CERT_REQ_IDS:
            raise CmpError(FailureInfo.badRequest, f"certReqId {cert_req_id} does not refer to our p10cr")
