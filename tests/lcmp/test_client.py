"""The client's exchanges against an in-process responder built from lcmp itself.

OpenSSL is the real peer in test_openssl_mock.py; here the responder is scripted so every
failure path (bad nonces, wrong signer, polling budget, retries) can be produced on purpose.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest
from cryptography import x509
from lcmp_pki import CmpTestPki

from lcmp import (
    ACCEPTED,
    CMC_RA,
    CertConf,
    CmpClient,
    CmpError,
    CmpRejected,
    CmpTransportError,
    Cp,
    ErrorMsg,
    FailureInfo,
    Genm,
    Genp,
    InfoTypeAndValue,
    Message,
    P10cr,
    PkiConf,
    PKIStatus,
    PollRep,
    PollReq,
    PollTimeout,
    Rp,
    Rr,
    SignatureProtection,
    SignerTrust,
    StatusInfo,
    cert_hash,
    decode,
    encode,
    new_nonce,
    new_transaction_id,
    reply_header,
)
from lcmp.messages import Body

Tamper = Callable[[Message], Message]


class FakeCa:
    """Answers like OpenSSL's mock: `polls` pollReqs before the certificate (the last gets the cp)."""

    def __init__(
        self,
        pki: CmpTestPki,
        *,
        polls: int = 0,
        check_after: int = 5,
        grant_implicit: bool = True,
        status: StatusInfo = ACCEPTED,
        certificate: x509.Certificate | None = None,
        answer: Body | None = None,
        tamper: Tamper | None = None,
        signer: SignatureProtection | None = None,
        protect: bool = True,
    ) -> None:
        self.pki = pki
        self.polls_left = polls
        self.check_after = check_after
        self.grant_implicit = grant_implicit
        self.status = status
        self.certificate = certificate or pki.issued
        self.answer = answer
        self.tamper = tamper
        self.signer = signer or SignatureProtection(pki.srv_key, pki.srv)
        self.protect = protect
        self.requests: list[bytes] = []
        self.implicit_asked = False

    def kinds(self) -> list[str]:
        return [decode(der).body.kind for der in self.requests]

    def __call__(self, der: bytes) -> bytes:
        self.requests.append(der)
        request = decode(der)
        SignerTrust((self.pki.root,))(request)
        if isinstance(request.body, P10cr):  # a grant in a later cp answers the p10cr's request
            self.implicit_asked = request.header.implicit_confirm
        answer = self.answer or self._answer(request.body)
        grant = (
            self.grant_implicit and self.implicit_asked and isinstance(answer, Cp) and answer.status.granted
        )
        header = reply_header(request.header, self.signer.certificate.subject, implicit_confirm=grant)
        response = Message(header, answer)
        if self.tamper:
            response = self.tamper(response)
        return encode(response, self.signer if self.protect else None)

    def _answer(self, body: Body) -> Body:
        if isinstance(body, P10cr):
            return Cp(StatusInfo(PKIStatus.waiting)) if self.polls_left else self._cp()
        if isinstance(body, PollReq):
            self.polls_left -= 1
            return PollRep(body.cert_req_id, self.check_after) if self.polls_left else self._cp()
        if isinstance(body, CertConf):
            assert body.cert_hash == cert_hash(self.certificate)
            return PkiConf()
        if isinstance(body, Rr):
            return Rp(self.status)
        if isinstance(body, Genm):
            return Genp(body.items)
        raise AssertionError(f"unexpected {body.kind}")

    def _cp(self) -> Cp:
        return Cp(self.status, self.certificate if self.status.granted else None)


class Flaky:
    """A transport that fails `failures` times before passing through; records what it was given."""

    def __init__(self, inner: Callable[[bytes], bytes], failures: int = 1) -> None:
        self.inner = inner
        self.failures = failures
        self.sent: list[bytes] = []

    def __call__(self, der: bytes) -> bytes:
        self.sent.append(der)
        if self.failures:
            self.failures -= 1
            raise CmpTransportError("connection reset (simulated)")
        return self.inner(der)


def _client(
    pki: CmpTestPki, transport: Callable[[bytes], bytes], **kwargs: object
) -> tuple[CmpClient, list[float]]:
    sleeps: list[float] = []
    client = CmpClient(
        transport,
        SignatureProtection(pki.kiosk_key, pki.kiosk),
        SignerTrust((pki.root,), CMC_RA, pki.srv.subject),
        recipient=pki.srv.subject,
        sleep=sleeps.append,
        **kwargs,  # type: ignore[arg-type]
    )
    return client, sleeps


def test_implicit_confirm_is_one_round_trip(cmp_pki: CmpTestPki) -> None:
    ca = FakeCa(cmp_pki)
    client, sleeps = _client(cmp_pki, ca)
    enrollment = client.p10cr(cmp_pki.csr)
    assert ca.kinds() == ["p10cr"]
    assert enrollment.certificate == cmp_pki.issued
    assert enrollment.implicit_confirm and not enrollment.needs_confirmation
    assert enrollment.cert_req_id == -1
    assert sleeps == []
    request = decode(ca.requests[0])
    assert request.header.sender == cmp_pki.kiosk.subject
    assert request.header.recipient == cmp_pki.srv.subject
    assert request.header.implicit_confirm


@pytest.mark.parametrize("ask_implicit", [False, True])
def test_explicit_confirmation(cmp_pki: CmpTestPki, ask_implicit: bool) -> None:
    ca = FakeCa(cmp_pki, grant_implicit=False)
    client, _ = _client(cmp_pki, ca)
    enrollment = client.p10cr(cmp_pki.csr, implicit_confirm=ask_implicit)
    assert ca.kinds() == ["p10cr", "certConf"]
    assert enrollment.confirmed and not enrollment.implicit_confirm
    first, conf = (decode(der) for der in ca.requests)
    assert conf.header.transaction_id == first.header.transaction_id
    assert conf.header.sender_nonce != first.header.sender_nonce
    assert conf.body == CertConf(cert_hash(cmp_pki.issued), -1)


def test_polling_honours_check_after(cmp_pki: CmpTestPki) -> None:
    ca = FakeCa(cmp_pki, polls=3, check_after=5, grant_implicit=False)
    client, sleeps = _client(cmp_pki, ca)
    enrollment = client.p10cr(cmp_pki.csr)
    assert ca.kinds() == ["p10cr", "pollReq", "pollReq", "pollReq", "certConf"]
    assert sleeps == [5, 5]
    assert enrollment.confirmed
    # every follow-up answers the previous answer's nonce
    requests = [decode(der) for der in ca.requests]
    assert len({r.header.sender_nonce for r in requests}) == len(requests)
    assert len({r.header.transaction_id for r in requests}) == 1


def test_poll_budget_then_resume(cmp_pki: CmpTestPki) -> None:
    ca = FakeCa(cmp_pki, polls=3, check_after=5)
    client, sleeps = _client(cmp_pki, ca, max_poll_wait=7)
    with pytest.raises(PollTimeout) as info:
        client.p10cr(cmp_pki.csr)
    assert sleeps == [5]  # the second 5 s would exceed 7 s: not slept, handed back
    pending = info.value.pending
    assert pending.check_after == 5
    assert pending.transaction_id == decode(ca.requests[0]).header.transaction_id
    # much later, maybe another process: a fresh client picks up the transaction
    later, later_sleeps = _client(cmp_pki, ca)
    enrollment = later.resume(pending)
    assert enrollment.certificate == cmp_pki.issued and enrollment.implicit_confirm
    assert ca.kinds() == ["p10cr", "pollReq", "pollReq", "pollReq"]
    assert later_sleeps == []


def test_max_polls(cmp_pki: CmpTestPki) -> None:
    ca = FakeCa(cmp_pki, polls=50, check_after=0)
    client, _ = _client(cmp_pki, ca, max_polls=3)
    with pytest.raises(PollTimeout):
        client.p10cr(cmp_pki.csr)
    assert ca.kinds().count("pollReq") == 3


def _tamper_header(**changes: object) -> Tamper:
    return lambda m: dataclasses.replace(m, header=dataclasses.replace(m.header, **changes))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("tamper", "failure"),
    [
        (_tamper_header(recip_nonce=new_nonce()), FailureInfo.badRecipientNonce),
        (_tamper_header(recip_nonce=None), FailureInfo.badRecipientNonce),
        (_tamper_header(transaction_id=new_transaction_id()), FailureInfo.badRequest),
    ],
    ids=["other recipNonce", "no recipNonce", "other transactionID"],
)
def test_answers_must_belong_to_the_request(
    cmp_pki: CmpTestPki, tamper: Tamper, failure: FailureInfo
) -> None:
    client, _ = _client(cmp_pki, FakeCa(cmp_pki, tamper=tamper))
    with pytest.raises(CmpError) as info:
        client.p10cr(cmp_pki.csr)
    assert info.value.failure_info == failure


def test_wrong_nonce_in_poll_answer(cmp_pki: CmpTestPki) -> None:
    ca = FakeCa(cmp_pki, polls=2)
    client, _ = _client(cmp_pki, ca)
    ca.tamper = lambda m: _tamper_header(recip_nonce=new_nonce())(m) if isinstance(m.body, PollRep) else m
    with pytest.raises(CmpError) as info:
        client.p10cr(cmp_pki.csr)
    assert info.value.failure_info == FailureInfo.badRecipientNonce


def test_answer_from_a_non_ra_signer(cmp_pki: CmpTestPki) -> None:
    ca = FakeCa(cmp_pki, signer=SignatureProtection(cmp_pki.kiosk_key, cmp_pki.kiosk))
    client, _ = _client(cmp_pki, ca)
    with pytest.raises(CmpError) as info:
        client.p10cr(cmp_pki.csr)
    assert info.value.failure_info == FailureInfo.notAuthorized


def test_unprotected_answer(cmp_pki: CmpTestPki) -> None:
    client, _ = _client(cmp_pki, FakeCa(cmp_pki, protect=False))
    with pytest.raises(CmpError) as info:
        client.p10cr(cmp_pki.csr)
    assert info.value.failure_info == FailureInfo.badMessageCheck


def test_error_message(cmp_pki: CmpTestPki) -> None:
    status = StatusInfo(PKIStatus.rejection, ("terminal suspended",), FailureInfo.notAuthorized)
    client, _ = _client(cmp_pki, FakeCa(cmp_pki, answer=ErrorMsg(status, 7, ("ask the operator",))))
    with pytest.raises(CmpRejected, match="terminal suspended") as info:
        client.p10cr(cmp_pki.csr)
    assert info.value.status == status
    assert info.value.failure_info == FailureInfo.notAuthorized


def test_unprotected_error_message_is_not_believed_but_shown(cmp_pki: CmpTestPki) -> None:
    status = StatusInfo(PKIStatus.rejection, ("bad things",), FailureInfo.systemFailure)
    client, _ = _client(cmp_pki, FakeCa(cmp_pki, answer=ErrorMsg(status), protect=False))
    with pytest.raises(CmpError, match="bad things") as info:
        client.p10cr(cmp_pki.csr)
    assert not isinstance(info.value, CmpRejected)
    assert info.value.failure_info == FailureInfo.badMessageCheck


def test_rejected_request(cmp_pki: CmpTestPki) -> None:
    status = StatusInfo(PKIStatus.rejection, ("duplicate",), FailureInfo.duplicateCertReq)
    client, _ = _client(cmp_pki, FakeCa(cmp_pki, status=status))
    with pytest.raises(CmpRejected) as info:
        client.p10cr(cmp_pki.csr)
    assert info.value.failure_info == FailureInfo.duplicateCertReq


def test_unexpected_body(cmp_pki: CmpTestPki) -> None:
    client, _ = _client(cmp_pki, FakeCa(cmp_pki, answer=PkiConf()))
    with pytest.raises(CmpError, match="expected cp, got pkiconf"):
        client.p10cr(cmp_pki.csr)


def test_foreign_cert_req_id(cmp_pki: CmpTestPki) -> None:
    client, _ = _client(cmp_pki, FakeCa(cmp_pki, answer=Cp(ACCEPTED, cmp_pki.issued, cert_req_id=5)))
    with pytest.raises(CmpError, match="certReqId 5"):
        client.p10cr(cmp_pki.csr)


def test_certificate_for_another_key_is_rejected_with_cert_conf(cmp_pki: CmpTestPki) -> None:
    ca = FakeCa(cmp_pki, certificate=cmp_pki.kiosk, grant_implicit=False)
    client, _ = _client(cmp_pki, ca)
    with pytest.raises(CmpError, match="not the requested key") as info:
        client.p10cr(cmp_pki.csr)
    assert info.value.failure_info == FailureInfo.incorrectData
    assert ca.kinds() == ["p10cr", "certConf"]
    conf = decode(ca.requests[1]).body
    assert isinstance(conf, CertConf) and not conf.accepted


def test_store_and_forward_resends_identical_bytes(cmp_pki: CmpTestPki) -> None:
    ca = FakeCa(cmp_pki)
    flaky = Flaky(ca, failures=2)
    client, _ = _client(cmp_pki, flaky)
    request = client.prepare_p10cr(cmp_pki.csr)  # protected once, e.g. stored in the outbox
    for _ in range(2):
        with pytest.raises(CmpTransportError):
            client.send_p10cr(request)
    enrollment = client.send_p10cr(request)
    assert flaky.sent == [request, request, request]
    assert ca.requests == [request]
    assert enrollment.certificate == cmp_pki.issued


def test_confirm_later_through_the_outbox(cmp_pki: CmpTestPki) -> None:
    ca = FakeCa(cmp_pki, grant_implicit=False)
    flaky = Flaky(ca, failures=0)
    client, _ = _client(cmp_pki, flaky)
    enrollment = client.send_p10cr(client.prepare_p10cr(cmp_pki.csr), confirm=False)
    assert enrollment.needs_confirmation
    # ... the certificate is written to the card, then:
    cert_conf = client.prepare_cert_conf(enrollment)
    flaky.failures = 1
    with pytest.raises(CmpTransportError):
        client.send_cert_conf(cert_conf)
    client.send_cert_conf(cert_conf)
    assert flaky.sent[-2:] == [cert_conf, cert_conf]
    assert ca.kinds() == ["p10cr", "certConf"]
    with pytest.raises(ValueError, match="confirmed already"):
        client.confirm(dataclasses.replace(enrollment, confirmed=True))


def test_revocation(cmp_pki: CmpTestPki) -> None:
    ca = FakeCa(cmp_pki)
    client, _ = _client(cmp_pki, ca)
    status = client.rr(cmp_pki.issued.issuer, cmp_pki.issued.serial_number, x509.ReasonFlags.key_compromise)
    assert status.status == PKIStatus.accepted
    rr = decode(ca.requests[0]).body
    assert rr == Rr(cmp_pki.root.subject, cmp_pki.issued.serial_number, x509.ReasonFlags.key_compromise)


def test_revocation_refused(cmp_pki: CmpTestPki) -> None:
    refused = StatusInfo(PKIStatus.rejection, ("unknown certificate",), FailureInfo.badCertId)
    client, _ = _client(cmp_pki, FakeCa(cmp_pki, status=refused))
    with pytest.raises(CmpRejected) as info:
        client.rr(cmp_pki.issued.issuer, 999)
    assert info.value.failure_info == FailureInfo.badCertId


def test_send_checks_what_it_is_given(cmp_pki: CmpTestPki) -> None:
    client, _ = _client(cmp_pki, FakeCa(cmp_pki))
    rr = client.prepare_rr(cmp_pki.issued.issuer, 1)
    with pytest.raises(ValueError, match="not a p10cr"):
        client.send_p10cr(rr)
    with pytest.raises(ValueError, match="not a certConf"):
        client.send_cert_conf(rr)
    with pytest.raises(ValueError, match="not an rr"):
        client.send_rr(client.prepare_p10cr(cmp_pki.csr))


def test_genm(cmp_pki: CmpTestPki) -> None:
    ca = FakeCa(cmp_pki)
    client, _ = _client(cmp_pki, ca)
    item = InfoTypeAndValue.utf8("2.25.7", "pin reset for card 0x1234")
    assert client.genm([item]) == (item,)
    assert decode(ca.requests[0]).body == Genm((item,))
    refusal = StatusInfo(PKIStatus.rejection, ("not now",), FailureInfo.notAuthorized)
    client, _ = _client(cmp_pki, FakeCa(cmp_pki, answer=ErrorMsg(refusal)))
    with pytest.raises(CmpRejected):
        client.genm([item])
