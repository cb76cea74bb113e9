"""Signature and PBM protection, verification, and the trust checks around them."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from lcmp_pki import CMC_RA as TEST_CMC_RA
from lcmp_pki import CmpTestPki, name
from pyasn1.type import univ
from pyasn1_alt_modules import rfc9810

from lcmp import (
    CMC_RA,
    AlgorithmId,
    CmpError,
    FailureInfo,
    Message,
    P10cr,
    PbmProtection,
    PkiConf,
    SharedSecretTrust,
    SignatureProtection,
    SignerTrust,
    check_pop,
    check_sender,
    decode,
    encode,
    new_header,
    verify_chain,
    verify_pbm,
    verify_signature,
)
from lcmp.asn1 import encode as asn1_encode
from lcmp.protection import PASSWORD_BASED_MAC

SECRET = b"one-time bootstrap secret 7QX2"


def _p10cr(pki: CmpTestPki, sender: x509.Name | None = None) -> Message:
    return Message(new_header(sender or pki.kiosk.subject, pki.root.subject), P10cr(pki.csr))


def _failure(fn: object, *args: object) -> FailureInfo:
    with pytest.raises(CmpError) as info:
        fn(*args)  # type: ignore[operator]
    return info.value.failure_info


def test_cmc_ra_constant() -> None:
    assert CMC_RA == TEST_CMC_RA


def test_signature_round_trip(cmp_pki: CmpTestPki) -> None:
    der = encode(_p10cr(cmp_pki), SignatureProtection(cmp_pki.kiosk_key, cmp_pki.kiosk))
    message = decode(der)
    assert verify_signature(message) == cmp_pki.kiosk
    ski = cmp_pki.kiosk.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    assert message.header.sender_kid == ski
    assert message.extra_certs[0] == cmp_pki.kiosk
    assert SignerTrust((cmp_pki.root,))(message) == cmp_pki.kiosk


def test_ecdsa_signer(cmp_pki: CmpTestPki) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name("kiosk-ec"))
        .issuer_name(cmp_pki.root.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(cmp_pki.root_key, hashes.SHA256())
    )
    message = decode(encode(_p10cr(cmp_pki, cert.subject), SignatureProtection(key, cert)))
    assert message.protection is not None and message.protection.algorithm == AlgorithmId(
        "1.2.840.10045.4.3.2"
    )
    assert SignerTrust((cmp_pki.root,))(message) == cert


def test_key_must_match_certificate(cmp_pki: CmpTestPki) -> None:
    with pytest.raises(ValueError, match="does not belong"):
        SignatureProtection(cmp_pki.srv_key, cmp_pki.kiosk)


def test_tampered_body_fails(cmp_pki: CmpTestPki) -> None:
    der = encode(_p10cr(cmp_pki), SignatureProtection(cmp_pki.kiosk_key, cmp_pki.kiosk))
    assert der.count(b"JPKI card key") == 1
    tampered = decode(der.replace(b"JPKI card key", b"JPKI card kex"))  # still well-formed
    assert tampered.body.csr.subject != cmp_pki.csr.subject  # type: ignore[union-attr]
    assert _failure(verify_signature, tampered) == FailureInfo.badMessageCheck


def test_tampered_header_fails(cmp_pki: CmpTestPki) -> None:
    message = _p10cr(cmp_pki)
    der = encode(message, SignatureProtection(cmp_pki.kiosk_key, cmp_pki.kiosk))
    stamp = message.header.message_time.strftime("%Y%m%d%H%M%SZ").encode()
    later = (message.header.message_time + dt.timedelta(days=1)).strftime("%Y%m%d%H%M%SZ").encode()
    tampered = decode(der.replace(stamp, later))
    assert _failure(verify_signature, tampered) == FailureInfo.badMessageCheck


def test_swapped_signer_certificate_fails(cmp_pki: CmpTestPki) -> None:
    message = decode(encode(_p10cr(cmp_pki), SignatureProtection(cmp_pki.kiosk_key, cmp_pki.kiosk)))
    assert _failure(verify_signature, dataclasses.replace(message, extra_certs=(cmp_pki.srv,))) == (
        FailureInfo.badMessageCheck
    )
    # same certificate without senderKID to catch it: the signature itself does not verify
    no_kid = dataclasses.replace(message, header=dataclasses.replace(message.header, sender_kid=None))
    assert _failure(verify_signature, dataclasses.replace(no_kid, extra_certs=(cmp_pki.srv,))) == (
        FailureInfo.badMessageCheck
    )
    assert (
        _failure(verify_signature, dataclasses.replace(message, extra_certs=()))
        == FailureInfo.badMessageCheck
    )


def test_unprotected_fails(cmp_pki: CmpTestPki) -> None:
    message = decode(encode(_p10cr(cmp_pki)))
    assert _failure(verify_signature, message) == FailureInfo.badMessageCheck
    assert _failure(verify_pbm, message, SECRET) == FailureInfo.badMessageCheck


def test_pbm_right_and_wrong_secret(cmp_pki: CmpTestPki) -> None:
    der = encode(_p10cr(cmp_pki, x509.Name([])), PbmProtection(SECRET, b"kiosk-0002"))
    message = decode(der)
    assert message.header.sender_kid == b"kiosk-0002"
    assert message.extra_certs == ()
    verify_pbm(message, SECRET)
    SharedSecretTrust(SECRET)(message)
    assert _failure(verify_pbm, message, SECRET + b"x") == FailureInfo.badMessageCheck
    tampered = decode(der.replace(b"JPKI card key", b"JPKI card kex"))
    assert _failure(verify_pbm, tampered, SECRET) == FailureInfo.badMessageCheck


def test_pbm_salt_is_fresh(cmp_pki: CmpTestPki) -> None:
    protector = PbmProtection(SECRET, b"kiosk-0002")
    assert protector.algorithm() != protector.algorithm()


def test_protection_kinds_are_not_interchangeable(cmp_pki: CmpTestPki) -> None:
    signed = decode(encode(_p10cr(cmp_pki), SignatureProtection(cmp_pki.kiosk_key, cmp_pki.kiosk)))
    maced = decode(encode(_p10cr(cmp_pki), PbmProtection(SECRET, b"kiosk-0002")))
    both = FailureInfo.badMessageCheck | FailureInfo.wrongIntegrity
    assert _failure(verify_pbm, signed, SECRET) == both
    assert _failure(verify_signature, maced) == both


class _CustomPbm(PbmProtection):
    """PBM with parameters our own protector refuses to make."""

    def __init__(self, iterations: int, mac_oid: str) -> None:
        object.__setattr__(self, "secret", SECRET)
        object.__setattr__(self, "reference", b"kiosk-0002")
        object.__setattr__(self, "iterations", iterations)
        object.__setattr__(self, "mac_oid", mac_oid)

    def algorithm(self) -> AlgorithmId:
        params = rfc9810.PBMParameter()
        params["salt"] = b"s" * 16
        params["owf"]["algorithm"] = univ.ObjectIdentifier("2.16.840.1.101.3.4.2.1")
        params["iterationCount"] = self.iterations
        params["mac"]["algorithm"] = univ.ObjectIdentifier(self.mac_oid)  # type: ignore[attr-defined]
        return AlgorithmId(PASSWORD_BASED_MAC, asn1_encode(params))

    def compute(self, algorithm: AlgorithmId, protected_part: bytes) -> bytes:
        return b"\x00" * 32


@pytest.mark.parametrize(
    ("iterations", "mac"),
    [(10**7, "1.2.840.113549.2.9"), (1, "1.2.840.113549.2.9"), (500, "1.3.6.1.5.5.8.1.2"), (500, "1.2.3.4")],
)
def test_pbm_parameters_out_of_policy_are_bad_alg(cmp_pki: CmpTestPki, iterations: int, mac: str) -> None:
    message = decode(encode(_p10cr(cmp_pki), _CustomPbm(iterations, mac)))
    assert _failure(verify_pbm, message, SECRET) == FailureInfo.badAlg


def test_pbm_iterations_bounded_when_building() -> None:
    with pytest.raises(ValueError, match="iteration"):
        PbmProtection(SECRET, b"ref", iterations=10)


# --- trust ------------------------------------------------------------------------------------------


def test_rogue_self_signed_terminal_not_trusted(cmp_pki: CmpTestPki) -> None:
    message = decode(encode(_p10cr(cmp_pki), SignatureProtection(cmp_pki.rogue_key, cmp_pki.rogue)))
    assert verify_signature(message) == cmp_pki.rogue  # the signature itself is fine
    assert _failure(SignerTrust((cmp_pki.root,)), message) == FailureInfo.signerNotTrusted


def test_chain_checks(cmp_pki: CmpTestPki) -> None:
    assert verify_chain(cmp_pki.srv, [cmp_pki.root], required_eku=CMC_RA) == [cmp_pki.srv, cmp_pki.root]
    with pytest.raises(CmpError) as info:
        verify_chain(cmp_pki.kiosk, [cmp_pki.root], required_eku=CMC_RA)
    assert info.value.failure_info == FailureInfo.notAuthorized
    future = dt.datetime.now(dt.UTC) + dt.timedelta(days=800)
    with pytest.raises(CmpError) as info:
        verify_chain(cmp_pki.kiosk, [cmp_pki.root], at=future)
    assert info.value.failure_info == FailureInfo.signerNotTrusted
    with pytest.raises(CmpError) as info:
        verify_chain(cmp_pki.kiosk, [cmp_pki.srv])  # not a CA
    assert info.value.failure_info == FailureInfo.signerNotTrusted


def test_sender_must_be_the_signer(cmp_pki: CmpTestPki) -> None:
    message = decode(
        encode(_p10cr(cmp_pki, name("kiosk-0099")), SignatureProtection(cmp_pki.kiosk_key, cmp_pki.kiosk))
    )
    verify_signature(message)
    assert _failure(check_sender, message, cmp_pki.kiosk) == FailureInfo.badMessageCheck
    assert _failure(SignerTrust((cmp_pki.root,)), message) == FailureInfo.badMessageCheck


def test_expected_sender(cmp_pki: CmpTestPki) -> None:
    message = decode(
        encode(
            Message(new_header(cmp_pki.srv.subject, cmp_pki.kiosk.subject), PkiConf()),
            SignatureProtection(cmp_pki.srv_key, cmp_pki.srv),
        )
    )
    assert SignerTrust((cmp_pki.root,), CMC_RA, cmp_pki.srv.subject)(message) == cmp_pki.srv
    assert (
        _failure(SignerTrust((cmp_pki.root,), CMC_RA, name("other CA")), message)
        == FailureInfo.wrongAuthority
    )


def test_pop(cmp_pki: CmpTestPki) -> None:
    check_pop(P10cr(cmp_pki.csr))
    der = bytearray(cmp_pki.csr.public_bytes(Encoding.DER))
    der[-1] ^= 1  # last byte of the card's signature
    broken = x509.load_der_x509_csr(bytes(der))
    assert _failure(check_pop, P10cr(broken)) == FailureInfo.badPOP
