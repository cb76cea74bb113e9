"""Trust decisions about a verified protection: may this certificate (or secret) speak here?

`lcmp.protection` only proves that the first extraCert signed the message. Whether that
certificate chains to a CA we trust, is valid now, is meant for CMP (key usage, EKU), and is the
one named in the header's sender field is decided here, each check on its own so the central's
intake can also check other things between them (the terminal registry, revocation).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.x509.verification import ExtensionPolicy, PolicyBuilder, Store, VerificationError

from lcmp.errors import CmpError, FailureInfo
from lcmp.messages import Message, P10cr
from lcmp.protection import verify_pbm, verify_signature

# id-kp-cmcRA (RFC 6402): the EKU of a CMP server / RA signer (RFC 9483 §3.1)
CMC_RA = x509.ObjectIdentifier("1.3.6.1.5.5.7.3.28")


def verify_chain(
    cert: x509.Certificate,
    trusted: Sequence[x509.Certificate],
    untrusted: Sequence[x509.Certificate] = (),
    *,
    at: dt.datetime | None = None,
    required_eku: x509.ObjectIdentifier | None = None,
) -> list[x509.Certificate]:
    """Path-validate a CMP signer certificate to one of `trusted`; return the chain (leaf first).

    CA certificates are held to the Web PKI profile (basicConstraints, keyCertSign, ...) by
    `cryptography`'s verifier; the leaf's extensions are ours to judge: digitalSignature if it
    has a keyUsage, and `required_eku` if given. A failure is signerNotTrusted (notAuthorized
    for a certificate that chains but is not meant for this).
    """
    if not trusted:
        raise ValueError("no trust anchors given")
    builder = (
        PolicyBuilder()
        .store(Store(list(trusted)))
        .time(at or dt.datetime.now(dt.UTC))
        .extension_policies(
            ca_policy=ExtensionPolicy.webpki_defaults_ca(), ee_policy=ExtensionPolicy.permit_all()
        )
    )
    try:
        chain = builder.build_client_verifier().verify(cert, list(untrusted)).chain
    except VerificationError as exc:
        raise CmpError(
            FailureInfo.signerNotTrusted, f"CMP signer {cert.subject.rfc4514_string()} not trusted: {exc}"
        ) from exc
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
        if not usage.digital_signature:
            raise CmpError(
                FailureInfo.notAuthorized, "CMP signer certificate lacks digitalSignature key usage"
            )
    except x509.ExtensionNotFound:
        pass
    if required_eku is not None:
        try:
            ekus = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        except x509.ExtensionNotFound:
            ekus = x509.ExtendedKeyUsage([])
        if required_eku not in ekus:
            raise CmpError(
                FailureInfo.notAuthorized, f"CMP signer certificate lacks EKU {required_eku.dotted_string}"
            )
    return chain


def check_sender(message: Message, signer: x509.Certificate) -> None:
    """The header's sender must be the CMP protection certificate's subject (RFC 9483 §3.1)."""
    if message.header.sender != signer.subject:
        raise CmpError(
            FailureInfo.badMessageCheck,
            f"sender {message.header.sender.rfc4514_string()!r} is not the signer "
            f"{signer.subject.rfc4514_string()!r}",
        )


def check_pop(body: P10cr) -> None:
    """Proof of possession of a p10cr: the CSR is signed by the key it certifies."""
    if not body.csr.is_signature_valid:
        raise CmpError(FailureInfo.badPOP, "PKCS#10 signature does not verify with its own public key")


@dataclass(frozen=True)
class SignerTrust:
    """Accept messages signed by a certificate that chains to `trusted` and names itself as
    sender; optionally with `required_eku` (CMC_RA for a CMP server) and a fixed sender name.
    Returns the signer certificate."""

    trusted: tuple[x509.Certificate, ...]
    required_eku: x509.ObjectIdentifier | None = None
    expected_sender: x509.Name | None = None

    def __call__(self, message: Message) -> x509.Certificate:
        signer = verify_signature(message)
        verify_chain(signer, self.trusted, message.extra_certs[1:], required_eku=self.required_eku)
        check_sender(message, signer)
        if self.expected_sender is not None and message.header.sender != self.expected_sender:
            raise CmpError(
                FailureInfo.wrongAuthority,
                f"answer from {message.header.sender.rfc4514_string()!r}, "
                f"expected {self.expected_sender.rfc4514_string()!r}",
            )
        return signer


@dataclass(frozen=True)
class SharedSecretTrust:
    """Accept messages MAC-protected (PBM) with `secret`.

    `allow_hmac_sha1` only exists because OpenSSL's mock server MACs its answers with HMAC-SHA1
    whatever the client chose; our own peers use HMAC-SHA256.
    """

    secret: bytes
    allow_hmac_sha1: bool = False

    def __call__(self, message: Message) -> None:
        verify_pbm(message, self.secret, allow_hmac_sha1=self.allow_hmac_sha1)
