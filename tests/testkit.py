"""Small helpers several test packages share (importable: tests/ is on the path via its conftest)."""

from __future__ import annotations

from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from appdata.model import ApplicationData, BasicInfo, IdentityCheck, IdentityMethod, Procedure
from cardemu.state import CardState
from kiosk.domain.resident import parse_yyyymmdd
from lcmp import jpki_items


def write_pem(path: Path, *objs: x509.Certificate | rsa.RSAPrivateKey) -> Path:
    """Certificates and (unencrypted PKCS#8) keys as one PEM file, 0600 from the start."""
    data = b""
    for obj in objs:
        if isinstance(obj, x509.Certificate):
            data += obj.public_bytes(serialization.Encoding.PEM)
        else:
            data += obj.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
    path.touch(mode=0o600)
    path.write_bytes(data)
    return path


def auth_issuance(
    card: CardState, terminal_id: str, number: int, certificates: tuple[str, ...] = ("auth",)
) -> ApplicationData:
    """新規発行 of the 利用者証明用 certificate (or `certificates`) for the software card's holder,
    as a counter sends it."""
    holder = card.holder
    return ApplicationData(
        application_id=jpki_items.application_id(terminal_id, number),
        procedure=Procedure.NEW_ISSUANCE,
        card_id=card.card_id.hex(),
        applicant=BasicInfo(holder.name, holder.address, parse_yyyymmdd(holder.birth_date), holder.sex),
        operator="staff-007",
        certificates=certificates,
        identity_check=IdentityCheck(IdentityMethod.CARD_AND_JUKI_PIN),
    )
