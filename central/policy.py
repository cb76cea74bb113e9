"""The issuance policy as pure functions: who gets which certificate, with which key, until when.

Every refusal is a `PolicyViolation` whose `rule` cites the provision (keys as in RULES.md:
規則 = the ordinance, 要綱 = the city intake rules, 要領 = the procedure manual). The table in
docs/central.md §3 lists them; tests/central/test_central_policy.py checks each row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from central.enums import CardStatus, CertKind
from central.errors import PolicyViolation

MIN_RSA_BITS = 2048  # 規則 2, 38
SPECIFIC_AGE = 1  # 特定年齢: under it, user-authentication certificate only (要綱 2-2-(3))
SIGN_AGE = 15  # 要綱 2-3: under it the signing certificate is not issued in principle
VALIDITY_BIRTHDAYS = 5  # 規則 (署名用 / 利用者証明用 validity): the 5th birthday after issuance
_ACCEPTED_CSR_HASHES = (hashes.SHA256, hashes.SHA384, hashes.SHA512)

# Rule citations, one place (docs/central.md §3 repeats them).
RULE_KEY = "規則 2, 38"
RULE_POP = "規則 3, 39 (key pair made for the card; its signature proves possession)"
RULE_CARD_SUSPENDED = "要領 第4-3, 要綱 5"
RULE_CARD_ABOLISHED = "規則 17, 53"
RULE_VALIDITY = "規則 (有効期間: 5th birthday after issuance or card expiry, whichever first)"
RULE_FACE_AUTH = "規則 42-3, 64条の5; 要綱 4条の3-7"
RULE_FACE_WISH = "要綱 2-15, 4条の3-8"
RULE_FACE_INFANT = "要綱 4条の3-1 (特定年齢未満申請者を除く)"
RULE_MINOR = "要綱 2-3"
RULE_INFANT = "要綱 2-2-(3)"
RULE_RELEASE = "要領 第4-3, 要綱 5-2 (一時停止解除)"
RULE_RELEASE_REPRESENTATIVE = "要綱 3-3 (5-2: revoked as by 第3条)"
RULE_RELEASE_IDENTITY = "要綱 3-4, 5-2 (本人確認: 第2条第4項-第8項)"
RULE_RELEASE_NEW = "要綱 5-2 (new certificates: a new application, 第2条)"
RULE_DISCLOSURE_IDENTITY = "要綱 6-2 (本人確認: 第2条第4項-第8項)"
RULE_CARD_REGISTERED = "要領 第2-1 (運用状況の確認)"
# Unattended PIN reset (central/unattended.py, docs/unattended.md). FIPS 201-3 §2.9.3: an
# unattended reset needs the card authenticated and a positive 1:1 biometric match, else none.
RULE_UNATTENDED = "通知 (1), 計画 2-① (暗証番号の初期化・再設定: 顔認証による無人端末)"
RULE_UNATTENDED_FACE_CARD = "要綱 4-3, 4-11 (顔認証カードの暗証番号: 窓口で)"
RULE_UNATTENDED_LIMIT = "規則 70-6, 70-7 (不正な操作の防止: attempts per card and per terminal limited)"
RULE_UNATTENDED_TICKET = "FIPS 201-3 §2.9.3 (one ticket, one attempt, this card at this terminal, in time)"
RULE_UNATTENDED_PROOF = "規則 36, 64条の4 (the other PIN, proven by the card's signature with its key)"
RULE_UNATTENDED_FACE = "規則 64条の5 第2号, 64条の7 (machine face check, liveness; docs/face-check.md)"


@dataclass(frozen=True)
class Holder:
    """What the policy needs to know about the holder, from the (decrypted) application."""

    birth_date: dt.date
    adult_ward: bool = False  # 成年被後見人
    legal_representative: bool = False  # the application was made by the 法定代理人
    legal_exception: bool = False  # 要綱 2-3: representative accompanied, both intentions confirmed
    face_card: bool = False  # 顔認証カード希望

    def __repr__(self) -> str:  # the birth date is personal data
        return "Holder(<personal data>)"


@dataclass(frozen=True)
class CardFacts:
    status: CardStatus
    expiry: dt.date
    face_auth: bool = False


# -- dates ------------------------------------------------------------------------------------


def age_on(birth: dt.date, day: dt.date) -> int:
    """Age in completed years on `day` (one is n years old from the n-th birthday on)."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def nth_birthday_after(birth: dt.date, after: dt.date, n: int) -> dt.date:
    """The n-th birthday strictly after `after`; 29 Feb falls on 28 Feb in common years.

    Same convention as the software card (cardemu.jpki_certs), so its certificates and ours agree.
    """
    found = 0
    year = after.year
    while True:
        try:
            birthday = birth.replace(year=year)
        except ValueError:
            birthday = dt.date(year, 2, 28)
        if birthday > after:
            found += 1
            if found == n:
                return birthday
        year += 1


def validity_last_day(birth: dt.date, issued: dt.date, card_expiry: dt.date) -> dt.date:
    """Last day of validity: the earlier of the 5th birthday after issuance and the card's expiry."""
    return min(nth_birthday_after(birth, issued, VALIDITY_BIRTHDAYS), card_expiry)


# -- keys -------------------------------------------------------------------------------------


def check_public_key(csr: x509.CertificateSigningRequest) -> rsa.RSAPublicKey:
    """RSA of at least 2048 bits: security from factoring a product of two primes (規則 2, 38)."""
    key = csr.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise PolicyViolation("key-not-rsa", RULE_KEY, type(key).__name__)
    if key.key_size < MIN_RSA_BITS:
        raise PolicyViolation("key-too-small", RULE_KEY, f"RSA-{key.key_size}")
    return key


def check_proof_of_possession(csr: x509.CertificateSigningRequest) -> None:
    """The CSR must be signed by the key it certifies (the card signed it: CARD.md §10–11)."""
    algorithm = csr.signature_hash_algorithm
    if not isinstance(algorithm, _ACCEPTED_CSR_HASHES):
        raise PolicyViolation("csr-weak-hash", RULE_KEY, getattr(algorithm, "name", "none"))
    key = csr.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise PolicyViolation("key-not-rsa", RULE_KEY)
    try:
        # Explicit PKCS#1 v1.5 check (the card's padding, CARD.md §3.5) rather than is_signature_valid,
        # so a PSS- or otherwise-signed request cannot slip through as "valid".
        key.verify(csr.signature, csr.tbs_certrequest_bytes, padding.PKCS1v15(), algorithm)
    except InvalidSignature:
        raise PolicyViolation("csr-signature-invalid", RULE_POP) from None


# -- who gets what ----------------------------------------------------------------------------


def check_card(card: CardFacts, today: dt.date) -> None:
    """Certificates only go onto a card in operation (運用中) and within its validity."""
    if card.status is CardStatus.SUSPENDED:
        raise PolicyViolation("card-suspended", RULE_CARD_SUSPENDED)
    if card.status is CardStatus.ABOLISHED:
        raise PolicyViolation("card-abolished", RULE_CARD_ABOLISHED)
    if card.status is CardStatus.EXPIRED or card.expiry < today:
        raise PolicyViolation("card-expired", RULE_VALIDITY)


def _representative_missing(holder: Holder, applied: dt.date) -> bool:
    """For a minor under 15 or an adult ward the legal representative applies (要綱 2-3, 3-3)."""
    minor_or_ward = age_on(holder.birth_date, applied) < SIGN_AGE or holder.adult_ward
    return minor_or_ward and not holder.legal_representative


def check_applicant(holder: Holder, applied: dt.date) -> None:
    """Who may apply at all, independent of the certificate kind."""
    if _representative_missing(holder, applied):
        raise PolicyViolation("legal-representative-required", RULE_MINOR)
    if holder.face_card and age_on(holder.birth_date, applied) < SPECIFIC_AGE:
        raise PolicyViolation("face-card-infant", RULE_FACE_INFANT)


def check_kind(kind: CertKind, holder: Holder, card: CardFacts, applied: dt.date) -> None:
    """May a certificate of `kind` be issued to this holder on this card?"""
    if kind not in (CertKind.SIGN, CertKind.AUTH):
        raise PolicyViolation("not-a-card-certificate", RULE_KEY, kind.value)
    if kind is CertKind.AUTH:
        return
    age = age_on(holder.birth_date, applied)
    if age < SPECIFIC_AGE:
        raise PolicyViolation("infant-auth-only", RULE_INFANT)  # no exception exists
    if card.face_auth:
        raise PolicyViolation("face-auth-card-no-sign", RULE_FACE_AUTH)
    if holder.face_card:
        raise PolicyViolation("face-card-wish-no-sign", RULE_FACE_WISH)
    if age < SIGN_AGE and not holder.legal_exception:
        raise PolicyViolation("minor-no-sign", RULE_MINOR)
    if holder.adult_ward and not holder.legal_exception:
        raise PolicyViolation("adult-ward-no-sign", RULE_MINOR)


def check_release(card: CardFacts, holder: Holder, applied: dt.date) -> None:
    """一時停止解除 of a lost card that was found: only a suspended card in its validity. Its held
    certificates are then revoked as on a revocation application (要綱 5-2 → 第3条), which for a
    minor under 15 or an adult ward the legal representative files (要綱 3-3)."""
    if card.status is CardStatus.ABOLISHED:
        raise PolicyViolation("card-abolished", RULE_CARD_ABOLISHED)
    if card.status is CardStatus.EXPIRED:  # releasing it would restore nothing
        raise PolicyViolation("card-expired", RULE_VALIDITY)
    if card.status is not CardStatus.SUSPENDED:
        raise PolicyViolation("card-not-suspended", RULE_RELEASE)
    if _representative_missing(holder, applied):
        raise PolicyViolation("legal-representative-required", RULE_RELEASE_REPRESENTATIVE)


def allowed_kinds(holder: Holder, card: CardFacts, applied: dt.date) -> frozenset[CertKind]:
    allowed: set[CertKind] = set()
    for kind in (CertKind.SIGN, CertKind.AUTH):
        try:
            check_kind(kind, holder, card, applied)
        except PolicyViolation:
            continue
        allowed.add(kind)
    return frozenset(allowed)


@dataclass(frozen=True)
class IssuanceDecision:
    public_key: rsa.RSAPublicKey
    last_day: dt.date  # validity ends at 23:59:59 JST on this day


def decide_issuance(
    kind: CertKind,
    csr: x509.CertificateSigningRequest,
    holder: Holder,
    card: CardFacts,
    *,
    applied: dt.date,
    issued: dt.date,
) -> IssuanceDecision:
    """All checks for one card certificate, in the order a clerk would give the reasons."""
    public_key = check_public_key(csr)
    check_proof_of_possession(csr)
    check_card(card, issued)
    check_applicant(holder, applied)
    check_kind(kind, holder, card, applied)
    last_day = validity_last_day(holder.birth_date, issued, card.expiry)
    if last_day < issued:
        raise PolicyViolation("validity-empty", RULE_VALIDITY)
    return IssuanceDecision(public_key, last_day)
