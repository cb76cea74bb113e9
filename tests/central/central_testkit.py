"""Helpers for the central tests: fixed clock, cached keys, CSRs, applications, pkilint wrappers."""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pkilint import loader, pkix
from pkilint.bin import lint_pkix_signer_signee_cert_chain as chain_linter
from pkilint.pkix import certificate, crl, extension, name
from pkilint.validation import ValidationFindingSeverity

from appdata.envelope import seal_application
from appdata.model import (
    ApplicationData,
    BasicInfo,
    DisclosureKind,
    IdentityCheck,
    IdentityMethod,
    Procedure,
    Representation,
    Representative,
)
from central.service import Central

CA_EPOCH = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
NOW = dt.datetime(2026, 4, 1, 1, 0, tzinfo=dt.UTC)  # 10:00 JST, 1 April 2026
MUNICIPALITY = "13101"  # 千代田区
TERMINAL = "kiosk-0001"

ADULT = BasicInfo("佐藤　花子", "東京都千代田区霞が関二丁目１番２号", dt.date(1990, 1, 2), "2")
ADULT_CARD_EXPIRY = dt.date(2034, 1, 2)


@functools.cache
def key(label: str) -> rsa.RSAPrivateKey:
    """One RSA-2048 key per label for the whole session (generation is the slow part)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def csr(
    private_key: rsa.RSAPrivateKey, algorithm: hashes.HashAlgorithm | None = None
) -> x509.CertificateSigningRequest:
    # Like the kiosk's on-card CSR: empty subject, the key signs it (PKCS#1 v1.5).
    return (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([]))
        .sign(private_key, algorithm or hashes.SHA256())
    )


def der(obj: x509.Certificate | x509.CertificateRevocationList) -> bytes:
    return obj.public_bytes(serialization.Encoding.DER)


def new_card_id() -> bytes:
    return uuid.uuid4().bytes


def application(
    procedure: Procedure = Procedure.NEW_ISSUANCE,
    *,
    card_id: bytes,
    applicant: BasicInfo = ADULT,
    certificates: tuple[str, ...] | None = None,  # default: both for an issuance, else none
    identity: IdentityMethod | None = IdentityMethod.PHOTO_ID,
    **overrides: object,
) -> ApplicationData:
    fields: dict[str, object] = {
        "application_id": str(uuid.uuid4()),
        "procedure": procedure,
        "card_id": card_id.hex(),
        "applicant": applicant,
        "operator": "staff-042",
        "certificates": certificates
        if certificates is not None
        else (("sign", "auth") if procedure.issues_certificates else ()),
        "identity_check": IdentityCheck(identity, ("drivers_licence",)) if identity is not None else None,
        # A disclosure request names its kind (the payload refuses one without).
        "disclosure_kind": DisclosureKind.DISCLOSURE if procedure is Procedure.DISCLOSURE else None,
    }
    return ApplicationData(**{**fields, **overrides})  # type: ignore[arg-type]


def legal_rep(*, exception: bool = False) -> Representative:
    return Representative(Representation.LEGAL, accompanied=exception, both_intentions_confirmed=exception)


@dataclass
class World:
    """A municipality, one bootstrapped terminal and helpers to send applications from it."""

    central: Central
    terminal_id: str = TERMINAL
    terminal_key: rsa.RSAPrivateKey = field(default_factory=lambda: key("terminal"))
    cards: dict[str, bytes] = field(default_factory=dict)

    def seal(self, data: ApplicationData, *, now: dt.datetime = NOW, **kwargs: object) -> str:
        return seal_application(
            data,
            terminal_id=self.terminal_id,
            signing_key=self.terminal_key,
            recipient=self.central.authority.encryption_key.public_key(),
            now=now,
            **kwargs,  # type: ignore[arg-type]
        )

    def card(
        self,
        label: str = "adult",
        *,
        expiry: dt.date = ADULT_CARD_EXPIRY,
        face_auth: bool = False,
    ) -> bytes:
        card_id = new_card_id()
        self.central.register_card(
            card_id, MUNICIPALITY, f"holder-{label}", expiry, face_auth=face_auth, now=NOW
        )
        self.cards[label] = card_id
        return card_id

    def apply(self, data: ApplicationData, *, now: dt.datetime = NOW):
        return self.central.receive_application(
            self.seal(data, now=now), terminal_id=self.terminal_id, now=now
        )


def build_world(central: Central) -> World:
    central.add_municipality(MUNICIPALITY, "千代田区", now=NOW)
    secret = central.register_terminal(TERMINAL, MUNICIPALITY, now=NOW)
    world = World(central)
    central.bootstrap_terminal(TERMINAL, secret, csr(world.terminal_key), now=NOW)
    return world


# -- pkilint ------------------------------------------------------------------------------------

Finding = tuple[str, str, str]  # severity, code, node path


def _findings(results: object) -> list[Finding]:
    return [
        (fd.finding.severity.name, fd.finding.code, r.node.path)
        for r in results  # type: ignore[attr-defined]
        for fd in r.finding_descriptions
    ]


def lint_certificate(cert_der: bytes) -> list[Finding]:
    """pkilint's RFC 5280 certificate validator (what `lint_pkix_cert lint` runs)."""
    validator = certificate.create_pkix_certificate_validator_container(
        certificate.create_decoding_validators(name.ATTRIBUTE_TYPE_MAPPINGS, extension.EXTENSION_MAPPINGS),
        [
            certificate.create_issuer_validator_container([]),
            certificate.create_validity_validator_container(),
            certificate.create_subject_validator_container([]),
            certificate.create_extensions_validator_container([]),
            certificate.create_spki_validator_container([]),
        ],
    )
    doc = loader.RFC5280CertificateDocumentLoader().load_der_document(cert_der, "certificate")
    return _findings(validator.validate(doc.root))


def lint_crl(crl_der: bytes) -> list[Finding]:
    """pkilint's RFC 5280 CRL validator, PKIX profile (what `lint_crl -t CRL -p PKIX lint` runs)."""
    validator = crl.create_pkix_crl_validator_container(
        [
            pkix.create_attribute_decoder(name.ATTRIBUTE_TYPE_MAPPINGS),
            pkix.create_extension_decoder(extension.EXTENSION_MAPPINGS),
        ],
        [
            crl.create_issuer_validator_container([]),
            crl.create_validity_validator_container([]),
            crl.create_extensions_validator_container([]),
        ],
    )
    doc = loader.RFC5280CertificateListDocumentLoader().load_der_document(crl_der, "crl")
    return _findings(validator.validate(doc.root))


def lint_chain(issuer_der: bytes, subject_der: bytes) -> list[Finding]:
    """pkilint's issuer/subject chain validators (`lint_pkix_signer_signee_cert_chain lint`):
    subject's issuer DN = issuer's subject DN, AKI = issuer SKI, policy chaining, signature."""
    collection: dict[str, object] = {}
    load = loader.RFC5280CertificateDocumentLoader().load_der_document
    issuer = load(issuer_der, "issuer", "issuer", collection)
    collection["issuer"] = issuer
    subject = load(subject_der, "subject", "subject", collection)
    collection["subject"] = subject
    decoders = chain_linter.create_decoder_validation_container()
    results = decoders.validate(issuer.root) + decoders.validate(subject.root)
    results += chain_linter.create_issuer_validation_container().validate(issuer.root)
    results += chain_linter.create_subject_validation_container().validate(subject.root)
    return _findings(results)


# NOTICE findings we accept on purpose (docs/central.md §3): the J-LIS profile carries a CPS
# pointer qualifier in certificatePolicies, which RFC 5280 §4.2.1.4 merely "RECOMMENDS" against.
ACCEPTED = {"pkix.certificate_policies_policy_has_qualifier"}


def problems(findings: list[Finding]) -> list[Finding]:
    """Everything of NOTICE severity or worse that is not deliberately accepted."""
    worst = ValidationFindingSeverity.NOTICE
    return [f for f in findings if ValidationFindingSeverity[f[0]] <= worst and f[1] not in ACCEPTED]
