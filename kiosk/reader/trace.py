"""APDU traffic logging below DEBUG, with secrets redacted, and an APDU counter.

Staff diagnostics (`kiosk card info --trace`) and benchmarks read the recorded lines and the count.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from kiosk.reader.apdu import CommandApdu, ResponseApdu

TRAFFIC = 5  # below DEBUG: APDU dumps are off unless asked for
logging.addLevelName(TRAFFIC, "TRAFFIC")
_log = logging.getLogger("kiosk.reader.traffic")

_PREVIEW = 24  # bytes of response data shown; certificates are long


def format_command(cmd: CommandApdu, *, extended: bool) -> str:
    head = f"{cmd.cla:02X} {cmd.ins:02X} {cmd.p1:02X} {cmd.p2:02X}"
    parts = [head]
    if cmd.data:
        shown = f"<{len(cmd.data)} bytes redacted>" if cmd.secret else _hex(cmd.data)
        parts.append(f"Lc={len(cmd.data)} {shown}")
    if cmd.ne:
        parts.append(f"Le={cmd.ne}")
    if extended:
        parts.append("(ext)")
    name = f"{cmd.name}: " if cmd.name else ""
    return f"> {name}{' '.join(parts)}"


def format_response(resp: ResponseApdu, *, personal: bool = False) -> str:
    data = ""
    if resp.data and personal:
        data = f"[{len(resp.data)} bytes of personal data redacted] "
    elif resp.data:
        more = "…" if len(resp.data) > _PREVIEW else ""
        data = f"[{len(resp.data)}] {_hex(resp.data[:_PREVIEW])}{more} "
    return f"< {data}{resp.sw:04X}"


def _hex(data: bytes | bytearray) -> str:
    return data.hex(" ").upper()


@dataclass
class ApduTrace:
    """Counts every APDU exchanged and, when `keep` is set, keeps the redacted lines."""

    keep: bool = False
    count: int = 0
    lines: list[str] = field(default_factory=list)

    def record(self, cmd: CommandApdu, resp: ResponseApdu, *, extended: bool) -> None:
        self.count += 1
        if self.keep or _log.isEnabledFor(TRAFFIC):
            out, back = format_command(cmd, extended=extended), format_response(resp, personal=cmd.personal)
            _log.log(TRAFFIC, "%s", out)
            _log.log(TRAFFIC, "%s", back)
            if self.keep:
                self.lines += (out, back)
