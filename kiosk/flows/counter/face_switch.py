"""顔認証カード切替 (要綱 4条の3-7): the user-auth PIN set to a random value nobody learns and
locked, the signing key erased; 機構 revokes the signing certificate when it authorises the lock
(`central.admin_auth`), and from then on the card serves by face only.

    APPLYING ─► SWITCHING ─► DONE

機構 must be reachable: each card command is authorised online against the accepted application.
The random PIN exists only in a wiped buffer for the one RESET command.
"""

from __future__ import annotations

import contextlib
import enum
import random
from typing import ClassVar

from appdata.model import BasicInfo, Procedure
from kiosk.domain.secret import Secret
from kiosk.flows.counter import applications
from kiosk.flows.counter.card import CardAtCounter, CardReading
from kiosk.flows.counter.identity import Established
from kiosk.flows.counter.machine import Recorder
from kiosk.flows.counter.terminal import CounterTerminal
from kiosk.reader.admin import ChallengeResponseIssuer
from kiosk.reader.errors import DataNotFound
from kiosk.reader.jpki import JpkiKey, JpkiPin, JpkiSession


class SwitchState(enum.Enum):
    APPLYING = "applying"
    SWITCHING = "switching"
    DONE = "done"


def random_auth_pin(rng: random.Random) -> Secret:
    """Four random digits (the auth PIN's format) from the terminal's CSPRNG."""
    return Secret(bytearray(0x30 + rng.randrange(10) for _ in range(4)))


class FaceSwitchFlow(applications.ApplicationFlow[SwitchState]):
    NAME: ClassVar[str] = "face_auth_switch"
    TRANSITIONS: ClassVar = {
        SwitchState.APPLYING: frozenset({SwitchState.SWITCHING}),
        SwitchState.SWITCHING: frozenset({SwitchState.DONE}),
    }

    def __init__(
        self,
        terminal: CounterTerminal,
        card: CardAtCounter,
        reading: CardReading,
        applicant: BasicInfo,
        identity: Established,
        *,
        operator: str,
        record: Recorder | None = None,
    ) -> None:
        super().__init__(
            SwitchState.APPLYING,
            terminal,
            reading,
            applicant=applicant,
            identity=identity,
            operator=operator,
            record=record,
        )
        self.card = card

    def run(self) -> None:
        self._expect(SwitchState.APPLYING)
        terminal = self.terminal
        number = self._submit_online(self._draft(Procedure.FACE_AUTH_SWITCH, face_card=True)).number
        self._go(SwitchState.SWITCHING)
        with self.step():
            issuer = ChallengeResponseIssuer(JpkiSession(self.card.transport), terminal.authorizer(number))
            with self._card_write():
                with random_auth_pin(terminal.rng) as pin:
                    issuer.reset_pin(JpkiPin.AUTH, pin)
                issuer.lock_pin(JpkiPin.AUTH)
                with contextlib.suppress(DataNotFound):  # no signing key (never issued, or erased)
                    issuer.erase_key(JpkiKey.SIGN)
        self._record("card.face_auth_switch", {"application": str(self.local_id)})
        self._complete(SwitchState.DONE)
