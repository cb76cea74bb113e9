"""lcmp's client against `openssl cmp -port` (OpenSSL 3.0's HTTP mock CMP server) over HTTP.

The server runs in a loopback-only network namespace; the client runs on a thread that joined it
(see lcmp_mock.py). Sleeping is injected, so checkAfter is honoured without waiting for it.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest
from cryptography import x509
from lcmp_mock import MockCmpServer, in_host_namespace_refused
from lcmp_pki import CmpTestPki

from lcmp import (
    CMC_RA,
    CmpClient,
    CmpError,
    CmpRejected,
    CmpTransportError,
    FailureInfo,
    InfoTypeAndValue,
    PbmProtection,
    PKIStatus,
    PollTimeout,
    Protector,
    SharedSecretTrust,
    SignatureProtection,
    SignerTrust,
    decode,
)
from lcmp.client import ResponseCheck
from lcmp.http import transport

MockServer = Callable[..., AbstractContextManager[MockCmpServer]]
SRV = ["-srv_cert", "srv.crt", "-srv_key", "srv.key", "-srv_trusted", "root.crt", "-rsp_cert", "issued.crt"]
SECRET = b"one-time-7QX2"
APP_OID = "2.25.329800735698586629295641978511506172918"


class Recorder:
    def __init__(self, url: str) -> None:
        self.inner = transport(url, timeout=10)
        self.sent: list[bytes] = []

    def __call__(self, der: bytes) -> bytes:
        self.sent.append(der)
        return self.inner(der)

    def kinds(self) -> list[str]:
        return [decode(der).body.kind for der in self.sent]


def _client(
    pki: CmpTestPki,
    server: MockCmpServer,
    protector: Protector | None = None,
    check: ResponseCheck | None = None,
    **kwargs: object,
) -> tuple[CmpClient, Recorder, list[float]]:
    recorder = Recorder(server.url)
    sleeps: list[float] = []
    client = CmpClient(
        recorder,
        protector or SignatureProtection(pki.kiosk_key, pki.kiosk),
        check or SignerTrust((pki.root,), CMC_RA, pki.srv.subject),
        recipient=pki.srv.subject,
        sleep=sleeps.append,
        **kwargs,  # type: ignore[arg-type]
    )
    return client, recorder, sleeps


def test_p10cr_with_polling_and_explicit_confirm(cmp_pki: CmpTestPki, mock_server: MockServer) -> None:
    with mock_server(*SRV, "-poll_count", "2", "-check_after", "1") as server:
        client, recorder, sleeps = _client(cmp_pki, server)
        enrollment = server.run(client.p10cr, cmp_pki.csr)
        assert recorder.kinds() == ["p10cr", "pollReq", "pollReq", "certConf"]
        assert sleeps == [1]  # the pollRep's checkAfter, honoured (by the injected sleep)
        assert enrollment.certificate == cmp_pki.issued
        assert enrollment.confirmed and not enrollment.implicit_confirm
        assert in_host_namespace_refused(server.port)


def test_p10cr_implicit_confirm(cmp_pki: CmpTestPki, mock_server: MockServer) -> None:
    with mock_server(*SRV, "-grant_implicitconf") as server:
        client, recorder, _ = _client(cmp_pki, server)
        enrollment = server.run(client.p10cr, cmp_pki.csr)
        assert recorder.kinds() == ["p10cr"]
        assert enrollment.implicit_confirm and not enrollment.needs_confirmation
        assert enrollment.certificate == cmp_pki.issued
        assert in_host_namespace_refused(server.port)


def test_p10cr_explicit_cert_conf(cmp_pki: CmpTestPki, mock_server: MockServer) -> None:
    with mock_server(*SRV, "-grant_implicitconf") as server:
        client, recorder, _ = _client(cmp_pki, server)
        enrollment = server.run(client.p10cr, cmp_pki.csr, implicit_confirm=False)
        assert recorder.kinds() == ["p10cr", "certConf"]
        assert enrollment.confirmed


def test_poll_timeout_then_resume(cmp_pki: CmpTestPki, mock_server: MockServer) -> None:
    with mock_server(*SRV, "-poll_count", "3", "-check_after", "1", "-grant_implicitconf") as server:
        client, recorder, _ = _client(cmp_pki, server, max_poll_wait=0)
        with pytest.raises(PollTimeout) as info:
            server.run(client.p10cr, cmp_pki.csr)
        assert recorder.kinds() == ["p10cr", "pollReq"]
        later, later_recorder, later_sleeps = _client(cmp_pki, server)
        enrollment = server.run(later.resume, info.value.pending)
        assert later_recorder.kinds() == ["pollReq", "pollReq"]
        assert later_sleeps == [1]
        assert enrollment.certificate == cmp_pki.issued and enrollment.implicit_confirm


def test_rr(cmp_pki: CmpTestPki, mock_server: MockServer) -> None:
    with mock_server(*SRV) as server:
        client, recorder, _ = _client(cmp_pki, server)
        status = server.run(
            client.rr, cmp_pki.issued.issuer, cmp_pki.issued.serial_number, x509.ReasonFlags.key_compromise
        )
        assert status.status == PKIStatus.accepted
        assert recorder.kinds() == ["rr"]
        # the mock only knows its -rsp_cert: anything else is refused
        with pytest.raises(CmpRejected):
            server.run(client.rr, cmp_pki.issued.issuer, cmp_pki.issued.serial_number + 1)
        assert in_host_namespace_refused(server.port)


def test_rogue_terminal_is_refused(cmp_pki: CmpTestPki, mock_server: MockServer) -> None:
    with mock_server(*SRV) as server:
        client, _, _ = _client(cmp_pki, server, SignatureProtection(cmp_pki.rogue_key, cmp_pki.rogue))
        with pytest.raises(CmpRejected) as info:
            server.run(client.p10cr, cmp_pki.csr)
        assert info.value.status.status == PKIStatus.rejection
        assert info.value.failure_info  # OpenSSL names a reason bit


def test_pbm_bootstrap(cmp_pki: CmpTestPki, mock_server: MockServer) -> None:
    pbm_server = ["-srv_ref", "central", "-srv_secret", f"pass:{SECRET.decode()}", "-rsp_cert", "issued.crt"]
    with mock_server(*pbm_server, "-grant_implicitconf") as server:
        # OpenSSL's mock MACs its answers with HMAC-SHA1 whatever the request used
        check = SharedSecretTrust(SECRET, allow_hmac_sha1=True)
        client, recorder, _ = _client(cmp_pki, server, PbmProtection(SECRET, b"kiosk-0002"), check)
        enrollment = server.run(client.p10cr, cmp_pki.csr)
        assert enrollment.certificate == cmp_pki.issued
        assert decode(recorder.sent[0]).header.sender_kid == b"kiosk-0002"

        strict, _, _ = _client(
            cmp_pki, server, PbmProtection(SECRET, b"kiosk-0002"), SharedSecretTrust(SECRET)
        )
        with pytest.raises(CmpError) as info:
            server.run(strict.p10cr, cmp_pki.csr)
        assert info.value.failure_info == FailureInfo.badAlg

        guessed = PbmProtection(b"guessed", b"kiosk-0002")
        wrong, _, _ = _client(cmp_pki, server, guessed, SharedSecretTrust(b"guessed", allow_hmac_sha1=True))
        with pytest.raises(CmpError, match="wrong pbm value") as info:
            server.run(wrong.p10cr, cmp_pki.csr)  # the mock refuses; we cannot verify its answer either
        assert info.value.failure_info == FailureInfo.badMessageCheck
        assert not isinstance(info.value, CmpRejected)
        # checked with the right secret, the same refusal is an authentic CMP error message
        knows, _, _ = _client(cmp_pki, server, guessed, check)
        with pytest.raises(CmpRejected, match="wrong pbm value") as info:
            server.run(knows.p10cr, cmp_pki.csr)
        assert info.value.failure_info == FailureInfo.badRequest
        assert in_host_namespace_refused(server.port)


def test_store_and_forward_same_bytes(cmp_pki: CmpTestPki, mock_server: MockServer) -> None:
    with mock_server(*SRV, "-grant_implicitconf") as server:
        client, recorder, _ = _client(cmp_pki, server)
        request = client.prepare_p10cr(cmp_pki.csr)  # protected once, kept in the outbox

        dead_port = server.port + 1 if server.port < 65535 else server.port - 1
        offline = CmpClient(
            transport(f"http://127.0.0.1:{dead_port}/pkix/", timeout=5),
            SignatureProtection(cmp_pki.kiosk_key, cmp_pki.kiosk),
            SignerTrust((cmp_pki.root,), CMC_RA),
            recipient=cmp_pki.srv.subject,
        )
        with pytest.raises(CmpTransportError):
            server.run(offline.send_p10cr, request)
        enrollment = server.run(client.send_p10cr, request)
        assert recorder.sent == [request]
        assert enrollment.certificate == cmp_pki.issued


def test_genm_and_application_data(cmp_pki: CmpTestPki, mock_server: MockServer) -> None:
    """Application items travel in generalInfo (docs/sync-protocol.md); the mock echoes genm items."""
    envelope = InfoTypeAndValue.utf8(APP_OID, "eyJhbGciOiJSU0EtT0FFUC0yNTYi.compact.jwe")
    with mock_server(*SRV, "-grant_implicitconf") as server:
        client, recorder, _ = _client(cmp_pki, server)
        assert server.run(client.genm, [envelope]) == (envelope,)
        request = client.prepare_p10cr(cmp_pki.csr, general_info=[envelope])
        assert server.run(client.send_p10cr, request).certificate == cmp_pki.issued
        assert decode(recorder.sent[-1]).header.general_info == (envelope,)
        assert in_host_namespace_refused(server.port)
