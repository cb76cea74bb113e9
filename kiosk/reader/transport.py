"""Everything between a session's commands and the connection's raw `transmit`.

- Encoding short or extended, and ISO command chaining when data is too long for a reader
  without extended length.
- `61xx`: GET RESPONSE until the whole answer is in.  `6Cxx`: resend with the exact Le.
- Tracing (redacted) and APDU counting.
- Status word → typed error (`errors.error_for`).
"""

from __future__ import annotations

from kiosk.reader.apdu import SHORT_MAX_LC, SHORT_MAX_NE, CommandApdu, ResponseApdu
from kiosk.reader.connection import CardConnection
from kiosk.reader.errors import TransportError, error_for
from kiosk.reader.trace import ApduTrace

SW_OK = 0x9000
_CHAINING = 0x10
_MAX_GET_RESPONSE = 256  # a bound: a card that keeps saying 61xx forever must not hang the kiosk


class Transport:
    def __init__(self, connection: CardConnection, trace: ApduTrace | None = None) -> None:
        self.connection = connection
        self.trace = trace if trace is not None else ApduTrace()

    @property
    def extended(self) -> bool:
        return self.connection.supports_extended_length

    def send(self, cmd: CommandApdu, *, ok: frozenset[int] = frozenset({SW_OK})) -> ResponseApdu:
        """Send `cmd`; raise the typed error unless the final status word is in `ok`."""
        resp = self.exchange(cmd)
        if resp.sw not in ok:
            raise error_for(resp.sw, cmd.label)
        return resp

    def exchange(self, cmd: CommandApdu) -> ResponseApdu:
        """Send `cmd` and return the complete response whatever its status word."""
        if len(cmd.data) > SHORT_MAX_LC and not self.extended:
            resp = self._send_chained(cmd)
        else:
            if cmd.ne > SHORT_MAX_NE and not self.extended:
                cmd = cmd.with_ne(SHORT_MAX_NE)  # the card then answers 61xx for the rest
            resp = self._transmit(cmd)
        if resp.sw >> 8 == 0x6C:
            resp = self._transmit(cmd.with_ne(resp.sw & 0xFF or SHORT_MAX_NE))
        return self._collect(resp)

    def _send_chained(self, cmd: CommandApdu) -> ResponseApdu:
        data = bytes(cmd.data)
        blocks = [data[i : i + SHORT_MAX_LC] for i in range(0, len(data), SHORT_MAX_LC)]
        for block in blocks[:-1]:
            part = CommandApdu(cmd.cla | _CHAINING, cmd.ins, cmd.p1, cmd.p2, block, 0, cmd.name, cmd.secret)
            resp = self._transmit(part)
            if resp.sw != SW_OK:
                return resp
        last = CommandApdu(
            cmd.cla, cmd.ins, cmd.p1, cmd.p2, blocks[-1], min(cmd.ne, SHORT_MAX_NE), cmd.name, cmd.secret
        )
        return self._transmit(last)

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
