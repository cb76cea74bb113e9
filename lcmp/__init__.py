"""Lightweight CMP (RFC 9483) messages for the kiosk (requester) and the central CA (responder).

- `lcmp.messages` typed message values; `lcmp.codec` DER encode / strict decode
- `lcmp.protection` signature and PasswordBasedMac protection and their verification
- `lcmp.trust` whether a verified signer may speak (chain, EKU, sender name)
- `lcmp.headers` transaction IDs, nonces, reply and follow-up headers
- `lcmp.client` the requester's exchanges (p10cr with polling, certConf, rr, genm)
- `lcmp.http` CMP over HTTP(S) with the standard library
"""

from lcmp.client import CmpClient, Enrollment, PendingEnrollment, PollTimeout
from lcmp.codec import decode, encode
from lcmp.errors import CmpError, CmpRejected, CmpTransportError, FailureInfo
from lcmp.headers import follow_up_header, new_header, new_nonce, new_transaction_id, reply_header
from lcmp.messages import (
    ACCEPTED,
    P10CR_CERT_REQ_ID,
    PVNO,
    AlgorithmId,
    Body,
    CertConf,
    Cp,
    ErrorMsg,
    Genm,
    Genp,
    Header,
    InfoTypeAndValue,
    Message,
    P10cr,
    PkiConf,
    PKIStatus,
    PollRep,
    PollReq,
    ReceivedProtection,
    Rp,
    Rr,
    StatusInfo,
    cert_hash,
)
from lcmp.protection import (
    PASSWORD_BASED_MAC,
    PbmProtection,
    Protector,
    SignatureProtection,
    verify_pbm,
    verify_signature,
)
from lcmp.trust import CMC_RA, SharedSecretTrust, SignerTrust, check_pop, check_sender, verify_chain

__all__ = [
    "ACCEPTED",
    "CMC_RA",
    "P10CR_CERT_REQ_ID",
    "PASSWORD_BASED_MAC",
    "PVNO",
    "AlgorithmId",
    "Body",
    "CertConf",
    "CmpClient",
    "CmpError",
    "CmpRejected",
    "CmpTransportError",
    "Cp",
    "Enrollment",
    "ErrorMsg",
    "FailureInfo",
    "Genm",
    "Genp",
    "Header",
    "InfoTypeAndValue",
    "Message",
    "P10cr",
    "PKIStatus",
    "PbmProtection",
    "PendingEnrollment",
    "PkiConf",
    "PollRep",
    "PollReq",
    "PollTimeout",
    "Protector",
    "ReceivedProtection",
    "Rp",
    "Rr",
    "SharedSecretTrust",
    "SignatureProtection",
    "SignerTrust",
    "StatusInfo",
    "cert_hash",
    "check_pop",
    "check_sender",
    "decode",
    "encode",
    "follow_up_header",
    "new_header",
    "new_nonce",
    "new_transaction_id",
    "reply_header",
    "verify_chain",
    "verify_pbm",
    "verify_signature",
]
