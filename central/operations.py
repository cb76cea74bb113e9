"""Which card-administration operations an application names (docs/card-admin.md §3).

Fixed when the application is accepted, from the procedure and what the policy allows: an
authorisation is only ever computed for an operation on this list (`central.admin_auth`).

| Procedure | Operations |
|---|---|
| 新規発行 | per certificate kind: GENERATE KEY, WRITE CERTIFICATE (own + CA EF), RESET PIN (initial PIN) |
| 更新 | per kind: GENERATE KEY, WRITE CERTIFICATE (own + CA EF); PINs kept (要綱 2-16) |
| either, 顔認証カード希望 | + RESET PIN 0018 (random) and LOCK PIN 0018, ERASE KEY 001A (要綱 2-15) |
| 暗証番号初期化・再設定 | RESET PIN for each PIN named |
| 顔認証カード切替 | RESET PIN 0018, LOCK PIN 0018, ERASE KEY 001A (要綱 4条の3-7) |
| 失効, 漏えい届出, 一時停止解除, 開示・訂正請求 | none |
"""

from __future__ import annotations

from appdata.model import ApplicationData, Procedure
from cardadmin import AdminOp
from cardadmin.operation import (
    AUTH_CA_CERT,
    AUTH_CERT,
    AUTH_KEY,
    AUTH_PIN,
    SIGN_CA_CERT,
    SIGN_CERT,
    SIGN_KEY,
    SIGN_PIN,
)
from central.enums import CaName, CertKind

# EF → what a WRITE CERTIFICATE to it must carry: the card's own certificate of a kind, or a CA's.
OWN_CERT_SLOTS = {SIGN_CERT: CertKind.SIGN, AUTH_CERT: CertKind.AUTH}
CA_CERT_SLOTS = {SIGN_CA_CERT: CaName.SIGN, AUTH_CA_CERT: CaName.AUTH}
_KIND_EFS = {
    CertKind.SIGN: (SIGN_KEY, SIGN_CERT, SIGN_CA_CERT, SIGN_PIN),
    CertKind.AUTH: (AUTH_KEY, AUTH_CERT, AUTH_CA_CERT, AUTH_PIN),
}
_PIN_EF = {"sign": SIGN_PIN, "auth": AUTH_PIN}

# 暗証番号の初期化・再設定 and the 顔認証カード operations (lock the auth PIN, erase the signing
# key) need a recorded identity check first.
IDENTITY_GATED = frozenset({AdminOp.RESET_PIN, AdminOp.LOCK_PIN, AdminOp.ERASE_KEY})


def token(op: AdminOp, target: int) -> str:
    return f"{int(op):02X}:{target:04X}"


def named_operations(procedure: Procedure, data: ApplicationData) -> tuple[str, ...]:
    ops: list[str] = []
    if procedure.issues_certificates:
        for name in data.certificates:
            key, cert, ca_cert, pin = _KIND_EFS[CertKind(name)]
            ops += [token(AdminOp.GENERATE_KEY, key), token(AdminOp.WRITE_CERTIFICATE, cert)]
            ops.append(token(AdminOp.WRITE_CERTIFICATE, ca_cert))
            if procedure is Procedure.NEW_ISSUANCE and not (data.face_card and pin == AUTH_PIN):
                ops.append(token(AdminOp.RESET_PIN, pin))
        if data.face_card:
            ops += _face_card_ops()
    elif procedure is Procedure.PIN_RESET:
        ops += [token(AdminOp.RESET_PIN, _PIN_EF[t]) for t in data.pin_targets]
    elif procedure is Procedure.FACE_AUTH_SWITCH:
        ops += _face_card_ops()
    return tuple(dict.fromkeys(ops))  # de-duplicated, order kept


def _face_card_ops() -> list[str]:
    return [
        token(AdminOp.RESET_PIN, AUTH_PIN),  # random PIN, set by staff (要綱 4条の3-7)
        token(AdminOp.LOCK_PIN, AUTH_PIN),
        token(AdminOp.ERASE_KEY, SIGN_KEY),  # a face-auth card carries no signing key/certificate
    ]


def needs_identity_check(procedure: Procedure, op: AdminOp) -> bool:
    return op in IDENTITY_GATED or procedure is Procedure.FACE_AUTH_SWITCH
