"""File-based interop with `openssl cmp` (OpenSSL 3.0), both ways.

OpenSSL → us: requests saved with `-reqout` (its in-process mock answers them) are decoded and
verified by lcmp. Us → OpenSSL: lcmp answers those requests the way the central will, and
`openssl cmp -rspin` — a real CMP client — must accept the answers (with -rspin it adopts the
answer's transactionID and recipNonce, and checks everything else: protection, signer trust,
sender, body, certReqId, implicit confirmation, the certificate's key).
"""

from __future__ import annotations

import datetime as dt
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from lcmp_pki import CmpTestPki
from pyasn1.codec.der import decoder as der_decoder
from pyasn1.type import univ

from lcmp import (
    ACCEPTED,
    CMC_RA,
    CertConf,
    CmpError,
    Cp,
    ErrorMsg,
    FailureInfo,
    Genm,
    Genp,
    InfoTypeAndValue,
    Message,
    P10cr,
    PbmProtection,
    PkiConf,
    PKIStatus,
    PollRep,
    PollReq,
    Protector,
    Rp,
    Rr,
    SharedSecretTrust,
    SignatureProtection,
    SignerTrust,
    StatusInfo,
    cert_hash,
    check_pop,
    decode,
    encode,
    follow_up_header,
    reply_header,
    verify_pbm,
)

OpensslCmp = Callable[..., subprocess.CompletedProcess[str]]

MOCK = ["-use_mock_srv", "-srv_cert", "srv.crt", "-srv_key", "srv.key", "-srv_trusted", "root.crt"]
MOCK_CERT = [*MOCK, "-rsp_cert", "issued.crt"]
KIOSK = ["-cert", "kiosk.crt", "-key", "kiosk.key", "-trusted", "root.crt"]
SRV_DN = "/C=JP/O=JPKI-TEST/OU=central/CN=Central CMP Server"
SECRET = "one-time-7QX2"
SIGN_KEY_PAIR_TYPES = "1.3.6.1.5.5.7.4.2"
PBM_MOCK = [
    "-use_mock_srv",
    "-srv_ref",
    "central",
    "-srv_secret",
    f"pass:{SECRET}",
    "-rsp_cert",
    "issued.crt",
]
PBM_KIOSK = ["-ref", "kiosk-0002", "-secret", f"pass:{SECRET}", "-recipient", SRV_DN, "-csr", "card.csr"]


def _files(tmp_path: Path, *names: str) -> list[Path]:
    return [tmp_path / name for name in names]


def _csv(paths: list[Path]) -> str:
    return ",".join(str(p) for p in paths)


# --- OpenSSL → lcmp ----------------------------------------------------------------------------------


def test_openssl_p10cr_decodes_and_verifies(
    cmp_pki: CmpTestPki, openssl_cmp: OpensslCmp, tmp_path: Path
) -> None:
    req, rsp = _files(tmp_path, "req.der", "rsp.der")
    openssl_cmp(
        "-cmd", "p10cr", *MOCK_CERT, "-grant_implicitconf", "-implicit_confirm", "-csr", "card.csr", *KIOSK,
        "-reqout", str(req), "-rspout", str(rsp),
    )  # fmt: skip
    request = decode(req.read_bytes())
    assert isinstance(request.body, P10cr)
    assert request.body.csr == cmp_pki.csr
    check_pop(request.body)
    header = request.header
    assert header.pvno == 2
    assert header.sender == cmp_pki.kiosk.subject
    assert header.recipient == cmp_pki.root.subject  # OpenSSL: the issuer of -cert by default
    assert header.implicit_confirm
    assert len(header.transaction_id) == len(header.sender_nonce) == 16
    assert header.recip_nonce is None
    assert abs(header.message_time - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)
    assert SignerTrust((cmp_pki.root,))(request) == cmp_pki.kiosk
    assert request.extra_certs[0] == cmp_pki.kiosk

    response = decode(rsp.read_bytes())
    assert isinstance(response.body, Cp)
    assert response.body.status == ACCEPTED
    assert response.body.certificate == cmp_pki.issued
    assert response.body.cert_req_id == -1
    assert response.header.implicit_confirm
    assert response.header.transaction_id == header.transaction_id
    assert response.header.recip_nonce == header.sender_nonce
    assert SignerTrust((cmp_pki.root,), CMC_RA, cmp_pki.srv.subject)(response) == cmp_pki.srv


def test_openssl_polling_and_cert_conf(cmp_pki: CmpTestPki, openssl_cmp: OpensslCmp, tmp_path: Path) -> None:
    reqs = _files(tmp_path, "r1.der", "r2.der", "r3.der", "r4.der")
    rsps = _files(tmp_path, "s1.der", "s2.der", "s3.der", "s4.der")
    openssl_cmp(
        "-cmd", "p10cr", *MOCK_CERT, "-poll_count", "2", "-check_after", "0", "-csr", "card.csr", *KIOSK,
        "-reqout", _csv(reqs), "-rspout", _csv(rsps),
    )  # fmt: skip
    requests = [decode(p.read_bytes()) for p in reqs]
    responses = [decode(p.read_bytes()) for p in rsps]
    assert [m.body.kind for m in requests] == ["p10cr", "pollReq", "pollReq", "certConf"]
    assert [m.body.kind for m in responses] == ["cp", "pollRep", "cp", "pkiconf"]
    assert responses[0].body == Cp(StatusInfo(PKIStatus.waiting))
    assert responses[1].body == PollRep(-1, 0)
    assert requests[1].body == PollReq(-1)
    # OpenSSL spells out statusInfo "accepted"; lcmp omits it (RFC 9483 §4.1.1 allows both)
    assert requests[3].body == CertConf(cert_hash(cmp_pki.issued), -1, ACCEPTED)
    assert requests[3].body.accepted
    tid = requests[0].header.transaction_id
    for request, response in zip(requests, responses, strict=True):
        SignerTrust((cmp_pki.root,))(request)
        SignerTrust((cmp_pki.root,), CMC_RA, cmp_pki.srv.subject)(response)
        assert request.header.transaction_id == response.header.transaction_id == tid
        assert response.header.recip_nonce == request.header.sender_nonce
    for response, follow_up in zip(responses, requests[1:], strict=False):
        assert follow_up.header.recip_nonce == response.header.sender_nonce


def test_openssl_pbm(cmp_pki: CmpTestPki, openssl_cmp: OpensslCmp, tmp_path: Path) -> None:
    sha256, sha1 = _files(tmp_path, "pbm256.der", "pbm1.der")
    openssl_cmp("-cmd", "p10cr", *PBM_MOCK, *PBM_KIOSK, "-mac", "hmacWithSHA256", "-reqout", str(sha256))
    openssl_cmp("-cmd", "p10cr", *PBM_MOCK, *PBM_KIOSK, "-reqout", str(sha1))  # OpenSSL's default: HMAC-SHA1

    request = decode(sha256.read_bytes())
    assert request.header.sender_kid == b"kiosk-0002"
    assert request.header.sender == x509.Name([])  # NULL-DN: PBM names the sender by senderKID
    assert request.extra_certs == ()
    verify_pbm(request, SECRET.encode())
    with pytest.raises(CmpError) as info:
        verify_pbm(request, b"wrong secret")
    assert info.value.failure_info == FailureInfo.badMessageCheck

    legacy = decode(sha1.read_bytes())
    with pytest.raises(CmpError) as info:
        SharedSecretTrust(SECRET.encode())(legacy)
    assert info.value.failure_info == FailureInfo.badAlg
    SharedSecretTrust(SECRET.encode(), allow_hmac_sha1=True)(legacy)


def test_openssl_rr(cmp_pki: CmpTestPki, openssl_cmp: OpensslCmp, tmp_path: Path) -> None:
    (req,) = _files(tmp_path, "rr.der")
    openssl_cmp(
        "-cmd", "rr", *MOCK_CERT, "-oldcert", "issued.crt", "-revreason", "1", *KIOSK, "-reqout", str(req)
    )  # fmt: skip
    request = decode(req.read_bytes())
    assert request.body == Rr(
        cmp_pki.root.subject, cmp_pki.issued.serial_number, x509.ReasonFlags.key_compromise
    )
    SignerTrust((cmp_pki.root,))(request)


# --- lcmp → OpenSSL ---------------------------------------------------------------------------------


def _openssl_request(openssl_cmp: OpensslCmp, path: Path, *extra: str) -> Message:
    openssl_cmp("-cmd", "p10cr", *MOCK_CERT, "-csr", "card.csr", *KIOSK, *extra, "-reqout", str(path))
    return decode(path.read_bytes())


def _as_central(pki: CmpTestPki, request: Message) -> x509.Certificate:
    """What the central does with a p10cr before answering (trust and POP)."""
    SignerTrust((pki.root,))(request)
    assert isinstance(request.body, P10cr)
    check_pop(request.body)
    return pki.issue(request.body.csr)


def _signed(pki: CmpTestPki) -> SignatureProtection:
    return SignatureProtection(pki.srv_key, pki.srv)


def _write(path: Path, message: Message, protector: Protector) -> Path:
    path.write_bytes(encode(message, protector))
    return path


def _rspin(openssl_cmp: OpensslCmp, *files: Path, extra: tuple[str, ...] = (), check: bool = True,
           cmd: str = "p10cr") -> subprocess.CompletedProcess[str]:  # fmt: skip
    target = ["-csr", "card.csr"] if cmd == "p10cr" else ["-oldcert", "issued.crt", "-revreason", "1"]
    return openssl_cmp(
        "-cmd", cmd, *target, *KIOSK, "-expect_sender", SRV_DN, *extra, "-rspin", _csv(list(files)),
        check=check,
    )  # fmt: skip


def test_our_cp_accepted_by_openssl(cmp_pki: CmpTestPki, openssl_cmp: OpensslCmp, tmp_path: Path) -> None:
    request = _openssl_request(openssl_cmp, tmp_path / "req.der", "-implicit_confirm")
    issued = _as_central(cmp_pki, request)
    header = reply_header(request.header, cmp_pki.srv.subject, implicit_confirm=True)
    cp = _write(tmp_path / "cp.der", Message(header, Cp(ACCEPTED, issued)), _signed(cmp_pki))
    out = tmp_path / "out.crt"
    result = _rspin(openssl_cmp, cp, extra=("-implicit_confirm", "-certout", str(out)))
    assert "received CP" in result.stdout
    assert "CERTCONF" not in result.stdout
    assert x509.load_pem_x509_certificate(out.read_bytes()) == issued


def test_our_explicit_confirmation_accepted_by_openssl(
    cmp_pki: CmpTestPki, openssl_cmp: OpensslCmp, tmp_path: Path
) -> None:
    request = _openssl_request(openssl_cmp, tmp_path / "req.der")
    issued = _as_central(cmp_pki, request)
    wait_until = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
    cp_header = reply_header(request.header, cmp_pki.srv.subject, confirm_wait_time=wait_until)
    cp = _write(tmp_path / "cp.der", Message(cp_header, Cp(ACCEPTED, issued)), _signed(cmp_pki))
    conf_header = reply_header(follow_up_header(request.header, cp_header), cmp_pki.srv.subject)
    conf = _write(tmp_path / "pkiconf.der", Message(conf_header, PkiConf()), _signed(cmp_pki))
    out = tmp_path / "out.crt"
    result = _rspin(openssl_cmp, cp, conf, extra=("-certout", str(out)))
    assert "sending CERTCONF" in result.stdout and "received PKICONF" in result.stdout
    assert x509.load_pem_x509_certificate(out.read_bytes()) == issued


def test_our_polling_accepted_by_openssl(
    cmp_pki: CmpTestPki, openssl_cmp: OpensslCmp, tmp_path: Path
) -> None:
    request = _openssl_request(openssl_cmp, tmp_path / "req.der", "-implicit_confirm")
    issued = _as_central(cmp_pki, request)
    srv = cmp_pki.srv.subject
    h1 = reply_header(request.header, srv)
    waiting = _write(tmp_path / "1.der", Message(h1, Cp(StatusInfo(PKIStatus.waiting))), _signed(cmp_pki))
    h2 = reply_header(follow_up_header(request.header, h1), srv)
    poll = _write(tmp_path / "2.der", Message(h2, PollRep(-1, 1, ("issuing",))), _signed(cmp_pki))
    h3 = reply_header(follow_up_header(request.header, h2), srv, implicit_confirm=True)
    done = _write(tmp_path / "3.der", Message(h3, Cp(ACCEPTED, issued)), _signed(cmp_pki))
    out = tmp_path / "out.crt"
    result = _rspin(openssl_cmp, waiting, poll, done, extra=("-implicit_confirm", "-certout", str(out)))
    assert result.stdout.count("sending POLLREQ") == 2
    assert "CERTCONF" not in result.stdout
    assert x509.load_pem_x509_certificate(out.read_bytes()) == issued


def test_our_rp_accepted_by_openssl(cmp_pki: CmpTestPki, openssl_cmp: OpensslCmp, tmp_path: Path) -> None:
    (req,) = _files(tmp_path, "rr.der")
    openssl_cmp(
        "-cmd", "rr", *MOCK_CERT, "-oldcert", "issued.crt", "-revreason", "1", *KIOSK, "-reqout", str(req)
    )
    request = decode(req.read_bytes())
    SignerTrust((cmp_pki.root,))(request)
    header = reply_header(request.header, cmp_pki.srv.subject)
    rp = _write(tmp_path / "rp.der", Message(header, Rp(ACCEPTED)), _signed(cmp_pki))
    result = _rspin(openssl_cmp, rp, cmd="rr")
    assert "revocation accepted" in result.stdout


def test_our_error_message_reported_by_openssl(
    cmp_pki: CmpTestPki, openssl_cmp: OpensslCmp, tmp_path: Path
) -> None:
    request = _openssl_request(openssl_cmp, tmp_path / "req.der")
    status = StatusInfo(PKIStatus.rejection, ("card signature invalid",), FailureInfo.badPOP)
    header = reply_header(request.header, cmp_pki.srv.subject)
    error = _write(
        tmp_path / "error.der", Message(header, ErrorMsg(status, 9, ("see log",))), _signed(cmp_pki)
    )
    result = _rspin(openssl_cmp, error, check=False)
    assert result.returncode != 0
    assert "received ERROR" in result.stdout
    assert "card signature invalid" in result.stdout
    assert "badPOP" in result.stdout


def _impostor(pki: CmpTestPki) -> SignatureProtection:
    """A self-signed certificate with the CMP server's name (and EKU) but not from our root."""
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(pki.srv.subject)
        .issuer_name(pki.srv.subject)
        .public_key(pki.rogue_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.ExtendedKeyUsage([CMC_RA]), critical=False)
        .sign(pki.rogue_key, hashes.SHA256())
    )
    return SignatureProtection(pki.rogue_key, cert)


@pytest.mark.parametrize(
    ("defect", "complaint"),
    [
        ("impostor signer", "error validating protection"),
        ("wrong key", "public key in new certificate does not match our enrollment key"),
        ("wrong sender", "does not match expected sender"),
    ],
)
def test_openssl_refuses_bad_answers(
    cmp_pki: CmpTestPki, openssl_cmp: OpensslCmp, tmp_path: Path, defect: str, complaint: str
) -> None:
    """The -rspin checks are real: answers with a defect fail, for the reason planted."""
    request = _openssl_request(openssl_cmp, tmp_path / "req.der", "-implicit_confirm")
    issued = _as_central(cmp_pki, request)
    signer, sender = _signed(cmp_pki), cmp_pki.srv.subject
    if defect == "impostor signer":
        signer = _impostor(cmp_pki)
    elif defect == "wrong key":
        issued = cmp_pki.kiosk  # a certificate for another key
    else:
        sender = cmp_pki.kiosk.subject
    header = reply_header(request.header, sender, implicit_confirm=True)
    cp = _write(tmp_path / "cp.der", Message(header, Cp(ACCEPTED, issued)), signer)
    result = _rspin(openssl_cmp, cp, extra=("-implicit_confirm",), check=False)
    assert result.returncode != 0, result.stdout
    assert complaint in result.stdout


def test_our_pbm_cp_accepted_by_openssl(cmp_pki: CmpTestPki, openssl_cmp: OpensslCmp, tmp_path: Path) -> None:
    req = tmp_path / "req.der"
    openssl_cmp(
        "-cmd",
        "p10cr",
        *PBM_MOCK,
        *PBM_KIOSK,
        "-mac",
        "hmacWithSHA256",
        "-implicit_confirm",
        "-reqout",
        str(req),
    )
    request = decode(req.read_bytes())
    SharedSecretTrust(SECRET.encode())(request)
    assert isinstance(request.body, P10cr)
    issued = cmp_pki.issue(request.body.csr)
    protector = PbmProtection(SECRET.encode(), b"central")
    header = reply_header(request.header, cmp_pki.srv.subject, implicit_confirm=True)
    for secret, ok in ((SECRET, True), ("not-the-secret", False)):
        cp = _write(tmp_path / "cp.der", Message(header, Cp(ACCEPTED, issued)), protector)
        out = tmp_path / "out.crt"
        result = openssl_cmp(
            "-cmd", "p10cr", "-ref", "kiosk-0002", "-secret", f"pass:{secret}", "-recipient", SRV_DN,
            "-csr", "card.csr", "-implicit_confirm", "-rspin", str(cp), "-certout", str(out), check=False,
        )  # fmt: skip
        assert (result.returncode == 0) == ok, result.stdout
        if ok:
            assert x509.load_pem_x509_certificate(out.read_bytes()) == issued


def test_openssl_genm_and_geninfo(cmp_pki: CmpTestPki, openssl_cmp: OpensslCmp, tmp_path: Path) -> None:
    genm, genp = _files(tmp_path, "genm.der", "genp.der")
    openssl_cmp(
        "-cmd", "genm", *MOCK, *KIOSK, "-infotype", "signKeyPairTypes", "-geninfo", "1.2.3.4:int:56789",
        "-reqout", str(genm), "-rspout", str(genp),
    )  # fmt: skip
    request = decode(genm.read_bytes())
    assert request.body == Genm((InfoTypeAndValue(SIGN_KEY_PAIR_TYPES),))
    (item,) = request.header.general_info  # OpenSSL's -geninfo: an INTEGER under our OID
    assert item.info_type == "1.2.3.4"
    assert item.value is not None and int(der_decoder.decode(item.value, asn1Spec=univ.Integer())[0]) == 56789
    SignerTrust((cmp_pki.root,))(request)
    response = decode(genp.read_bytes())
    assert response.body == Genp((InfoTypeAndValue(SIGN_KEY_PAIR_TYPES),))


def test_our_genp_accepted_by_openssl(cmp_pki: CmpTestPki, openssl_cmp: OpensslCmp, tmp_path: Path) -> None:
    genm = tmp_path / "genm.der"
    openssl_cmp("-cmd", "genm", *MOCK, *KIOSK, "-infotype", "signKeyPairTypes", "-reqout", str(genm))
    request = decode(genm.read_bytes())
    SignerTrust((cmp_pki.root,))(request)
    header = reply_header(request.header, cmp_pki.srv.subject)
    items = (InfoTypeAndValue(SIGN_KEY_PAIR_TYPES), InfoTypeAndValue.utf8("2.25.1", "for the kiosk"))
    genp = _write(tmp_path / "genp.der", Message(header, Genp(items)), _signed(cmp_pki))
    result = openssl_cmp(
        "-cmd", "genm", *KIOSK, "-infotype", "signKeyPairTypes", "-expect_sender", SRV_DN, "-rspin", str(genp)
    )
    assert "received GENP" in result.stdout
    assert "genp contains ITAV of type: id-it-signKeyPairTypes" in result.stdout
