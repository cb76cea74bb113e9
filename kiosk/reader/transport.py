"""Everything between a session's commands and the connection's raw `transmit`.

- Encoding short or extended, and ISO command chaining when data is too long for a reader
  without extended length; a reader that refuses an extended APDU is switched to short ones.
- `61xx`: GET RESPONSE until the whole answer is in.  `6Cxx`: resend with the exact Le.
- Tracing (redacted) and APDU counting.
- Status word → typed error (`errors.error_for`).
"""

from __future__ import annotations

import logging
from dataclasses import replace

from kiosk.reader.apdu import SHORT_MAX_LC, SHORT_MAX_NE, CommandApdu, ResponseApdu
from kiosk.reader.connection import CardConnection
from kiosk.reader.errors import TransportError, error_for
from kiosk.reader.trace import ApduTrace

_log = logging.getLogger(__name__)

SW_OK = 0x9000
_CHAINING = 0x10
_MAX_GET_RESPONSE = 256  # a bound: a card that keeps saying 61xx forever must not hang the kiosk


class Transport:
    def __init__(self, connection: CardConnection, trace: ApduTrace | None = None) -> None:
        self.connection = connection
        self.trace = trace if trace is not None else ApduTrace()
        self._extended = connection.supports_extended_length

    @property
    def extended(self) -> bool:
        """Extended-length APDUs in use: as the connection claims, until a reader proves otherwise."""
        return self._extended

    def send(self, cmd: CommandApdu, *, ok: frozenset[int] = frozenset({SW_OK})) -> ResponseApdu:
        """Send `cmd`; raise the typed error unless the final status word is in `ok`."""
        resp = self.exchange(cmd)
        if resp.sw not in ok:
            raise error_for(resp.sw, cmd.label)
        return resp

    def exchange(self, cmd: CommandApdu) -> ResponseApdu:
        """Send `cmd` and return the complete response whatever its status word."""
        if self._extended and cmd.needs_extended():
            try:
                resp = self._transmit(cmd)
            except TransportError as exc:
                # The reader, not the card, refused: the card never saw the command, so sending it
                # again in short form spends nothing (no PIN try, no admin grant).
                _log.warning("extended APDU refused by the reader (%s); using short APDUs from now on", exc)
                self._extended = False
            else:
                return self._collect(resp)
        if len(cmd.data) > SHORT_MAX_LC:
            return self._collect(self._send_chained(cmd))
        if cmd.ne > SHORT_MAX_NE:
            cmd = cmd.with_ne(SHORT_MAX_NE)  # the card answers 61xx for the rest
        resp = self._transmit(cmd)
        if resp.sw >> 8 == 0x6C:
            resp = self._transmit(cmd.with_ne(resp.sw & 0xFF or SHORT_MAX_NE))
        return self._collect(resp)

    def _send_chained(self, cmd: CommandApdu) -> ResponseApdu:
        """ISO 7816-4 command chaining (CLA bit 5) for data longer than a short APDU carries."""
        data = cmd.data
        offsets = range(0, len(data), SHORT_MAX_LC)
        for i, offset in enumerate(offsets):
            block = bytearray(data[offset : offset + SHORT_MAX_LC])
            last = i == len(offsets) - 1
            part = replace(
                cmd,
                cla=cmd.cla if last else cmd.cla | _CHAINING,
                data=block,
                ne=min(cmd.ne, SHORT_MAX_NE) if last else 0,
            )
            try:
                resp = self._transmit(part)
            finally:
                if cmd.secret:
                    block[:] = bytes(len(block))
            if not last and resp.sw != SW_OK:
                return resp
        return resp

    def _collect(self, resp: ResponseApdu) -> ResponseApdu:
        data = bytearray(resp.data)
        for _ in range(_MAX_GET_RESPONSE):
            if resp.sw >> 8 != 0x61:
                return ResponseApdu(bytes(data), resp.sw)
            get_response = CommandApdu(
                0x00, 0xC0, 0x00, 0x00, ne=resp.sw & 0xFF or SHORT_MAX_NE, name="GET RESPONSE"
            )
            resp = self._transmit(get_response)
            data += resp.data
        raise TransportError("card kept answering 61xx")

    def _transmit(self, cmd: CommandApdu) -> ResponseApdu:
        extended = cmd.needs_extended()
        raw = cmd.encode(extended=extended)
        try:
            answer = self.connection.transmit(raw)
        finally:
            if cmd.secret:  # the encoded copy holds the PIN too
                raw[:] = bytes(len(raw))
        try:
            resp = ResponseApdu.parse(answer)
        except ValueError as exc:
            raise TransportError(f"{cmd.label}: {exc}") from None
        self.trace.record(cmd, resp, extended=extended)
        return resp
