"""A PKCS#10 certification request signed on the card by the key it certifies (CARD.md §11).

The request is built with `cryptography` around a throwaway key, then the card's public key is
put in its place and the card signs the CertificationRequestInfo. asn1crypto does the re-encoding,
so no DER is spliced by hand. The result is checked before anyone sends it.
"""

from __future__ import annotations

from collections.abc import Callable

from asn1crypto import csr as asn1_csr
from asn1crypto import keys as asn1_keys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from kiosk.reader.digestinfo import sha256_digest_info

# Signs a DigestInfo with the card key, e.g. functools.partial(jpki.compute_signature, JpkiKey.SIGN)
DigestInfoSigner = Callable[[bytes], bytes]


class CsrMismatch(Exception):
    """The card's signature does not verify with the public key in the request."""


def p10_from_card(
    public_key: rsa.RSAPublicKey,
    sign: DigestInfoSigner,
    subject: x509.Name | None = None,
    extensions: list[x509.Extension[x509.ExtensionType]] | None = None,
) -> x509.CertificateSigningRequest:
    builder = x509.CertificateSigningRequestBuilder().subject_name(subject or x509.Name([]))
    for ext in extensions or []:
        builder = builder.add_extension(ext.value, critical=ext.critical)
    # Only the structure is used; the throwaway key's signature and public key are replaced.
    placeholder = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 (discarded)
    template = asn1_csr.CertificationRequest.load(
        builder.sign(placeholder, hashes.SHA256()).public_bytes(serialization.Encoding.DER)
    )
    info = template["certification_request_info"].copy()
    spki = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    info["subject_pk_info"] = asn1_keys.PublicKeyInfo.load(spki)
    tbs = info.dump(force=True)
    signature = sign(sha256_digest_info(tbs))
    request = asn1_csr.CertificationRequest(
        {
            "certification_request_info": info,
            # cryptography's encoding: sha256WithRSAEncryption with NULL parameters (RFC 4055)
            "signature_algorithm": template["signature_algorithm"].copy(),
            "signature": signature,
        }
    )
    result = x509.load_der_x509_csr(request.dump())
    if not result.is_signature_valid:
        raise CsrMismatch("card signature does not match the public key (wrong key or PIN state)")
    return result
