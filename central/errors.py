"""What the central refuses, as exception types the CMP/HTTP front end can map to PKIFailureInfo.

Messages carry identifiers (serials, ids, rule citations), never personal data.
"""

from __future__ import annotations


class CentralError(Exception):
    """Base of every refusal the central reports to a caller."""


class NotFound(CentralError, LookupError):
    """A municipality, terminal, card, application or certificate the request names is unknown
    (or not usable, e.g. a terminal without a good certificate)."""


class Conflict(CentralError):
    """The request contradicts stored state (e.g. registering an id twice)."""


class InvalidTransition(CentralError):
    """A card or certificate status change the registry rules do not allow."""


class PolicyViolation(CentralError):
    """The issuance policy refuses the request; `rule` cites the provision (RULES.md digest keys)."""

    def __init__(self, code: str, rule: str, detail: str = "") -> None:
        self.code = code
        self.rule = rule
        self.detail = detail
        super().__init__(f"{code} ({rule}){': ' + detail if detail else ''}")


class EnvelopeError(CentralError):
    """An application envelope failed decryption, signature, claim or schema checks."""


class ApplicationRejected(CentralError):
    """An application was received but cannot be acted on (wrong state, other terminal, …)."""


class AuthorizationRefused(CentralError):
    """A card-administration authorisation was refused; the refusal is logged before this is raised."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class TransactionIdInUse(CentralError):
    """Same (terminal, transactionID) as a stored request with different content (RFC 9810 §5.1.1)."""


class TransactionPending(CentralError):
    """An exact duplicate of a request that has no stored response yet (answer `waiting`)."""


class BootstrapRefused(CentralError):
    """A terminal bootstrap secret is wrong, already used, or the terminal is not active."""


class TerminalNotPermitted(CentralError):
    """What this terminal may not do: an unattended terminal anything but its PIN resets, a counter
    terminal the unattended route, a terminal another's reset ticket (docs/unattended.md)."""
