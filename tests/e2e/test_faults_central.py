"""Faults between the kiosk and the central, with the central as its own process:

- the answer lost after the central committed (the kiosk never learns it was issued),
- the central frozen and then SIGKILLed with the kiosk's request in flight, restarted on the same
  database,
- the network down for the whole queue of an application and its certificate request.

Each time: the identical bytes are resent, the central answers from its intake record, and the
end state has every application once and exactly one certificate per request.
"""

from __future__ import annotations

import datetime as dt
import signal
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from e2e_support import MUNICIPALITY, TERMINAL, CentralProcess, now
from sqlalchemy import func, select

import lcmp
from appdata.envelope import seal_application
from appdata.model import ApplicationData, BasicInfo, IdentityCheck, IdentityMethod, Procedure
from central import certstore
from central.models import Application as CentralApplication
from central.models import Certificate
from kiosk.store.db import make_engine, make_sessionmaker
from kiosk.store.migrate import upgrade
from kiosk.store.models import OutboxMessage, OutboxState
from kiosk.sync.central import CentralLink, CentralUnreachable
from kiosk.sync.outbox import Outgoing, enqueue_outgoing
from kiosk.sync.relay import Receipt, Relay, RelayOutcome, RelayStep, VerifiedReceipt
from lcmp import jpki_items

CARD_ID = bytes.fromhex("00112233445566778899aabbccddeeff")


class Kiosk:
    """The kiosk's store and relay, with a clock the test moves (backoff passes in an instant)."""

    def __init__(self, tmp_path: Path, central: CentralProcess) -> None:
        engine = make_engine(tmp_path / "kiosk.db")
        upgrade(engine)
        self.sessions = make_sessionmaker(engine)
        self.central = central
        self.time = now()
        self.link = CentralLink(central.url, central.identity, timeout=3)
        self.fault: Callable[[OutboxMessage], None] | None = None
        self.lose_next_answer = False

    def clock(self) -> dt.datetime:
        return self.time

    def later(self) -> None:
        self.time += dt.timedelta(hours=1)

    def reconnect(self) -> None:
        """After the central restarted elsewhere: what the kiosk's configuration would say."""
        self.link = CentralLink(self.central.url, self.central.identity, timeout=3)

    def send(self, message: OutboxMessage) -> Receipt:
        if self.fault is not None:
            self.fault(message)
        receipt = self.link.send(message)
        if self.lose_next_answer:  # the central has committed; the kiosk never hears of it
            self.lose_next_answer = False
            raise CentralUnreachable("connection reset while reading the answer")
        return receipt

    def verify(self, message: OutboxMessage, receipt: Receipt) -> VerifiedReceipt:
        return self.link.verify_receipt(message, receipt)  # the link of the moment (reconnect)

    def relay(self) -> Relay:
        return Relay(
            self.sessions,
            self.send,
            verify_receipt=self.verify,
            clock=self.clock,
        )

    def enqueue(self, kind: str, der: bytes) -> uuid.UUID:
        with self.sessions.begin() as s:
            return enqueue_outgoing(s, Outgoing(kind, der), now=self.time).msg_id

    def states(self) -> list[OutboxState]:
        with self.sessions() as s:
            return list(s.scalars(select(OutboxMessage.state).order_by(OutboxMessage.seq)))


@pytest.fixture
def kiosk(tmp_path: Path, central_process: CentralProcess) -> Kiosk:
    with central_process.central() as central:
        central.register_card(CARD_ID, MUNICIPALITY, "holder-faults", dt.date(2034, 1, 1))
    return Kiosk(tmp_path, central_process)


def _application(kiosk: Kiosk, number: int) -> bytes:
    data = ApplicationData(
        application_id=jpki_items.application_id(TERMINAL, number),
        procedure=Procedure.NEW_ISSUANCE,
        card_id=CARD_ID.hex(),
        applicant=BasicInfo("試験　太郎", "東京都世田谷区太子堂一丁目１番１号", dt.date(1980, 1, 1), "1"),
        operator="staff-001",
        certificates=("auth",),
        identity_check=IdentityCheck(IdentityMethod.CARD_AND_JUKI_PIN),
    )
    key, _chain, _root = kiosk.central.identity.load()
    with kiosk.central.central() as central:
        recipient = central.authority.encryption_key.public_key()
    sealed = seal_application(
        data, terminal_id=TERMINAL, signing_key=key, recipient=recipient, now=kiosk.time
    )
    return kiosk.link.client.prepare_genm(
        (lcmp.InfoTypeAndValue.utf8(jpki_items.APPLICATION_ENVELOPE, sealed),)
    )


def _p10cr(kiosk: Kiosk, number: int) -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    csr = x509.CertificateSigningRequestBuilder().subject_name(x509.Name([])).sign(key, hashes.SHA256())
    return kiosk.link.client.prepare_p10cr(
        csr,
        implicit_confirm=False,
        general_info=(
            jpki_items.integer_item(jpki_items.APPLICATION_NUMBER, number),
            jpki_items.integer_item(jpki_items.CERTIFICATE_KIND, jpki_items.CertificateKind.AUTH),
        ),
    )


def _central_counts(kiosk: Kiosk, number: int) -> tuple[int, int]:
    """(applications, certificates) the central holds for this application number."""
    app_id = jpki_items.application_id(TERMINAL, number)
    with kiosk.central.central() as central, central.transaction() as s:
        apps = s.scalar(
            select(func.count()).select_from(CentralApplication).where(CentralApplication.id == app_id)
        )
        certs = s.scalar(
            select(func.count()).select_from(Certificate).where(Certificate.application_id == app_id)
        )
    return int(apps or 0), int(certs or 0)


def _received_certificate(kiosk: Kiosk, msg_id: uuid.UUID) -> x509.Certificate:
    with kiosk.sessions() as s:
        receipt = s.scalars(select(OutboxMessage.receipt).where(OutboxMessage.msg_id == msg_id)).one()
    answer = lcmp.decode(receipt)
    assert isinstance(answer.body, lcmp.Cp) and answer.body.certificate is not None
    return answer.body.certificate


def outcomes(steps: list[RelayStep]) -> list[RelayOutcome]:
    return [s.outcome for s in steps if s.outcome is not RelayOutcome.IDLE]


def test_answer_lost_after_the_central_committed(kiosk: Kiosk) -> None:
    kiosk.enqueue("genm", _application(kiosk, 1))
    p10cr = kiosk.enqueue("p10cr", _p10cr(kiosk, 1))
    relay = kiosk.relay()
    assert outcomes(relay.drain()) == [RelayOutcome.SENT, RelayOutcome.SENT]
    assert _central_counts(kiosk, 1) == (1, 1)
    cert = _received_certificate(kiosk, p10cr)

    # The same again, but the p10cr's answer is lost on the way back: the kiosk must resend.
    kiosk.enqueue("genm", _application(kiosk, 2))
    p10cr = kiosk.enqueue("p10cr", _p10cr(kiosk, 2))
    assert outcomes(relay.drain(limit=1))[0] is RelayOutcome.SENT
    kiosk.lose_next_answer = True
    assert outcomes(relay.drain(limit=1))[0] is RelayOutcome.RETRY  # the central has issued; we don't know
    assert _central_counts(kiosk, 2) == (1, 1)
    kiosk.later()
    assert outcomes(relay.drain(limit=1))[0] is RelayOutcome.SENT  # identical bytes: the stored answer
    assert _central_counts(kiosk, 2) == (1, 1)  # not a second certificate
    second = _received_certificate(kiosk, p10cr)
    with kiosk.central.central() as central, central.transaction() as s:
        assert certstore.get(s, second.serial_number).application_id == jpki_items.application_id(TERMINAL, 2)
    assert second.serial_number != cert.serial_number
    assert kiosk.states() == [OutboxState.SENT] * 4


def test_central_killed_with_the_request_in_flight(kiosk: Kiosk) -> None:
    kiosk.enqueue("genm", _application(kiosk, 3))
    kiosk.enqueue("p10cr", _p10cr(kiosk, 3))
    relay = kiosk.relay()
    assert outcomes(relay.drain(limit=1))[0] is RelayOutcome.SENT
    kiosk.central.process.send_signal(signal.SIGSTOP)  # hung: the request waits in its socket
    assert outcomes(relay.drain(limit=1))[0] is RelayOutcome.RETRY  # timed out
    kiosk.central.kill()  # and then the power goes
    kiosk.central.restart()
    kiosk.reconnect()
    kiosk.later()
    assert outcomes(relay.drain(limit=1))[0] is RelayOutcome.SENT
    assert _central_counts(kiosk, 3) == (1, 1)
    assert kiosk.states() == [OutboxState.SENT] * 2


def test_network_down_for_the_whole_queue(kiosk: Kiosk) -> None:
    def unplugged(_message: OutboxMessage) -> None:
        raise CentralUnreachable("network unreachable")

    kiosk.fault = unplugged
    kiosk.enqueue("genm", _application(kiosk, 4))
    kiosk.enqueue("p10cr", _p10cr(kiosk, 4))
    kiosk.enqueue("genm", _application(kiosk, 5))
    relay = kiosk.relay()
    for _ in range(5):  # hours of retries, in order: the first message blocks the rest
        assert outcomes(relay.drain()) == [RelayOutcome.RETRY]
        kiosk.later()
    assert kiosk.states() == [OutboxState.PENDING] * 3
    assert _central_counts(kiosk, 4) == (0, 0)
    kiosk.fault = None  # back on line
    assert outcomes(relay.drain()) == [RelayOutcome.SENT] * 3
    assert _central_counts(kiosk, 4) == (1, 1)
    assert _central_counts(kiosk, 5) == (1, 0)
    assert kiosk.states() == [OutboxState.SENT] * 3
