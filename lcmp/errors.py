"""What can go wrong, split by who has to act on it.

`CmpError` is a protocol failure: the bytes arrived but are not an acceptable CMP message (or the
peer said no). It carries PKIFailureInfo bits so a server can answer with an `error` message that
names the same bits, and a client can log what the CA objected to. `CmpTransportError` means the
message never made it there and back (network, TLS, HTTP status): the same protected bytes may be
sent again later.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lcmp.messages import StatusInfo


class FailureInfo(enum.IntFlag):
    """PKIFailureInfo (RFC 9810 §5.2.3): bit n of the BIT STRING is `1 << n` here.

    Member names are the RFC's, so log lines and the ASN.1 read the same.
    """

    NONE = 0
    badAlg = 1 << 0
    badMessageCheck = 1 << 1
    badRequest = 1 << 2
    badTime = 1 << 3
    badCertId = 1 << 4
    badDataFormat = 1 << 5
    wrongAuthority = 1 << 6
    incorrectData = 1 << 7
    missingTimeStamp = 1 << 8
    badPOP = 1 << 9
    certRevoked = 1 << 10
    certConfirmed = 1 << 11
    wrongIntegrity = 1 << 12
    badRecipientNonce = 1 << 13
    timeNotAvailable = 1 << 14
    unacceptedPolicy = 1 << 15
    unacceptedExtension = 1 << 16
    addInfoNotAvailable = 1 << 17
    badSenderNonce = 1 << 18
    badCertTemplate = 1 << 19
    signerNotTrusted = 1 << 20
    transactionIdInUse = 1 << 21
    unsupportedVersion = 1 << 22
    notAuthorized = 1 << 23
    systemUnavail = 1 << 24
    systemFailure = 1 << 25
    duplicateCertReq = 1 << 26

    def names(self) -> list[str]:
        return [m.name for m in FailureInfo if m.value and m.value & self.value and m.name]


class CmpError(Exception):
    """A CMP protocol failure, with the PKIFailureInfo bits that describe it."""

    def __init__(self, failure_info: FailureInfo, text: str) -> None:
        super().__init__(f"{'|'.join(failure_info.names()) or 'failure'}: {text}")
        self.failure_info = failure_info
        self.text = text


class CmpRejected(CmpError):
    """The peer answered, correctly protected, with an error message or a rejection status."""

    def __init__(self, status: StatusInfo, text: str) -> None:
        super().__init__(status.failure_info, text)
        self.status = status


class CmpTransportError(Exception):
    """The request or its answer was lost in transport (connection, TLS, timeout, HTTP status).

    Nothing is known about whether the server processed the request: resend the same bytes.
    """

    def __init__(self, text: str, *, http_status: int | None = None) -> None:
        super().__init__(text)
        self.http_status = http_status
