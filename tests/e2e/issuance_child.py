"""The kiosk's issuance as a separate process that can die at a chosen point (SIGKILL, no cleanup),
and its restart, which runs what a kiosk runs on start and on card insertion: the relay and the
recovery worker. Used by test_faults_kiosk.py; the card is in pcscd, the central its own process.

    python issuance_child.py run     STATE_JSON KILL_AT
    python issuance_child.py recover STATE_JSON
    python issuance_child.py orphan  STATE_JSON   (no card; its wait is over: 破棄)

STATE_JSON names the kiosk's files, the central URL, the application (local id, number).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import signal
import sys
import uuid
from pathlib import Path

from cardadmin import AdminOperation
from kiosk.domain.secret import Secret
from kiosk.flows import issuance
from kiosk.flows.ports import PresentCard
from kiosk.flows.recovery import recover
from kiosk.flows.responses import CertificateResponses
from kiosk.reader.admin import ChallengeResponseIssuer
from kiosk.reader.csr import p10_from_card
from kiosk.reader.jpki import JpkiKey, JpkiPin, JpkiSession
from kiosk.reader.pcsc import open_card
from kiosk.reader.transport import Transport
from kiosk.store.db import make_engine, make_sessionmaker
from kiosk.store.models import CertificateKind
from kiosk.store.sealed import Sealer, load_or_create_data_key
from kiosk.sync.central import CentralLink, CmpAdminAuthorizer, TerminalIdentity
from kiosk.sync.journal import RecoveryPolicy
from kiosk.sync.relay import Relay

POINTS = ("requested", "granted_not_written", "received", "written", "read_back", "confirmed")
NEW_PIN = "8642"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _die_if(point: str, kill_at: str) -> None:
    if point == kill_at:
        sys.stdout.flush()
        os.kill(os.getpid(), signal.SIGKILL)


class _DieAfterGrant:
    """The central granted the card write; the kiosk dies before the card sees the command."""

    def __init__(self, inner: CmpAdminAuthorizer, kill_at: str) -> None:
        self.inner, self.kill_at = inner, kill_at

    def authorize(self, card_id: bytes, challenge: bytes, operation: AdminOperation) -> bytes:
        response = self.inner.authorize(card_id, challenge, operation)
        _die_if("granted_not_written", self.kill_at)
        return response


def main(argv: list[str]) -> int:
    mode, state_file = argv[0], Path(argv[1])
    kill_at = argv[2] if len(argv) > 2 else ""
    state = json.loads(state_file.read_text())
    sessions = make_sessionmaker(make_engine(Path(state["kiosk_db"])))
    sealer = Sealer(load_or_create_data_key(Path(state["data_dir"])))
    identity = TerminalIdentity(*(Path(state[k]) for k in ("key_file", "cert_file", "root_file")))
    link = CentralLink(state["central_url"], identity, timeout=10)
    relay = Relay(sessions, link.send, verify_receipt=link.verify_receipt,
                  on_settled=CertificateResponses(sealer, link, clock=_now))  # fmt: skip
    number = int(state["application_number"])
    if mode == "orphan":  # the card never came back (card_wait set to zero instead of 14 days)
        relay.drain()
        report = recover(sessions, sealer, link, now=_now(), policy=RecoveryPolicy(card_wait=dt.timedelta(0)))
        relay.drain()
        print(json.dumps([[str(e.journal_id), e.step.value if e.step else None] for e in report.entries]))
        return 0 if report.failures == 0 else 1
    with open_card() as connection:
        jpki = JpkiSession(Transport(connection))
        card_id = jpki.card_id().hex()
        if mode == "recover":
            relay.drain()  # whatever the dead process left in the outbox
            card = PresentCard(card_id, jpki, functools.partial(CmpAdminAuthorizer, link))
            report = recover(sessions, sealer, link, now=_now(), card=card)
            relay.drain()
            print(json.dumps([[str(e.journal_id), e.step.value if e.step else None] for e in report.entries]))
            return 0 if report.failures == 0 else 1

        issuer = ChallengeResponseIssuer(jpki, CmpAdminAuthorizer(link, number))
        with Secret.from_ascii(NEW_PIN) as pin:
            issuer.reset_pin(JpkiPin.AUTH, pin)
        public_key = issuer.generate_key_pair(JpkiKey.AUTH)
        with Secret.from_ascii(NEW_PIN) as pin:
            jpki.verify(JpkiPin.AUTH, pin)
        csr = p10_from_card(public_key, functools.partial(jpki.compute_signature, JpkiKey.AUTH))
        entry = issuance.request_certificate(
            sessions, link, application_id=uuid.UUID(state["application_id"]), application_number=number,
            card_id=card_id, cert_kind=CertificateKind.AUTH, csr=csr, now=_now(),
        )  # fmt: skip
        _die_if("requested", kill_at)
        relay.drain()
        _die_if("received", kill_at)
        card = PresentCard(card_id, jpki, lambda n: _DieAfterGrant(CmpAdminAuthorizer(link, n), kill_at))
        issuance.write_certificate(sessions, sealer, entry, card, now=_now())
        _die_if("written", kill_at)
        assert issuance.read_back(sessions, sealer, entry, card, now=_now())
        _die_if("read_back", kill_at)
        issuance.send_confirmation(sessions, sealer, link, entry, now=_now())
        _die_if("confirmed", kill_at)
        relay.drain()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
