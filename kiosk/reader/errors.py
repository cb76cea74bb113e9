"""Typed card errors and the one status-word → error table (CARD.md §8).

Messages are for logs and staff: they name the status word and the command, never data sent.
"""

from __future__ import annotations


class CardError(Exception):
    """Anything that went wrong talking to a card."""


class CardRemoved(CardError):
    """The card left the reader (or the reader vanished) during or before the operation."""

    def __init__(self, detail: str = "card removed") -> None:
        super().__init__(detail)


class NoCard(CardError):
    """No card in any reader."""


class ReaderUnavailable(CardError):
    """PC/SC service or reader not available."""


class TransportError(CardError):
    """The reader answered with something that is not an R-APDU, or could not send the command."""


class CardDataError(CardError):
    """The card answered 9000 with data that does not parse (damaged, foreign or forged card)."""


class ApduError(CardError):
    """The card answered with a status word other than 9000."""

    sw: int = 0

    def __init__(self, sw: int, command: str = "") -> None:
        self.sw = sw
        self.command = command
        where = f" to {command}" if command else ""
        super().__init__(f"SW {sw:04X} ({describe(sw)}){where}")


class InvalidPin(ApduError):
    """Wrong PIN (63Cx): `tries_left` more attempts before the PIN blocks."""

    def __init__(self, sw: int, command: str = "") -> None:
        super().__init__(sw, command)
        self.tries_left = sw & 0x0F


class PinBlocked(ApduError):
    """63C0 (the attempt that blocked it) or 6984 (already blocked)."""

    tries_left = 0


class SecurityStatusNotSatisfied(ApduError):
    """6982: PIN not verified, or an administrative operation without a valid authorisation."""


class AuthenticationBlocked(ApduError):
    """6983: the authentication method (e.g. card administration) is blocked."""


class ConditionsNotSatisfied(ApduError):
    """6985."""


class FileNotFound(ApduError):
    """6A82: file or application not found."""


class DataNotFound(ApduError):
    """6A88: referenced data (e.g. a key) not found."""


class WrongData(ApduError):
    """6A80: incorrect data field (e.g. PIN format refused by the card)."""


class WrongLength(ApduError):
    """6700."""


class WrongParameters(ApduError):
    """6A86 / 6B00."""


class EndOfFile(ApduError):
    """6B00 / 6282 on READ BINARY past the end."""


class NotSupported(ApduError):
    """6D00 / 6E00 / 6881 / 6882."""


_DESCRIPTIONS: dict[int, str] = {
    0x9000: "OK",
    0x6282: "end of file reached before Le bytes",
    0x6300: "verification failed",
    0x6700: "wrong length",
    0x6881: "logical channel not supported",
    0x6882: "secure messaging not supported",
    0x6982: "security status not satisfied",
    0x6983: "authentication method blocked",
    0x6984: "reference data not usable (blocked)",
    0x6985: "conditions of use not satisfied",
    0x6986: "command not allowed (no current EF)",
    0x6A80: "incorrect data field",
    0x6A82: "file or application not found",
    0x6A86: "incorrect P1-P2",
    0x6A88: "referenced data not found",
    0x6B00: "wrong parameters (offset beyond EF)",
    0x6D00: "instruction not supported",
    0x6E00: "class not supported",
}


def describe(sw: int) -> str:
    if sw & 0xFFF0 == 0x63C0:
        return f"verification failed, {sw & 0xF} tries left"
    if sw >> 8 == 0x61:
        return f"{sw & 0xFF or 256} more bytes available"
    if sw >> 8 == 0x6C:
        return f"wrong Le, exact length {sw & 0xFF}"
    return _DESCRIPTIONS.get(sw, "unknown status")


_BY_SW: dict[int, type[ApduError]] = {
    0x63C0: PinBlocked,
    0x6984: PinBlocked,
    0x6982: SecurityStatusNotSatisfied,
    0x6983: AuthenticationBlocked,
    0x6985: ConditionsNotSatisfied,
    0x6A82: FileNotFound,
    0x6A88: DataNotFound,
    0x6A80: WrongData,
    0x6700: WrongLength,
    0x6A86: WrongParameters,
    0x6B00: WrongParameters,
    0x6D00: NotSupported,
    0x6E00: NotSupported,
    0x6881: NotSupported,
    0x6882: NotSupported,
}


def error_for(sw: int, command: str = "") -> ApduError:
    """The typed error for a non-9000 status word."""
    if sw & 0xFFF0 == 0x63C0 and sw != 0x63C0:
        return InvalidPin(sw, command)
    return _BY_SW.get(sw, ApduError)(sw, command)
