"""The central's notices reaching the kiosk's inbox over the real HTTPS link: a deferred decision
applied without a pollReq, a 破棄 that stops a write, a bad notice recorded and skipped."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from flowkit import (
    NUMBER,
    TERMINAL,
    CentralServer,
    Kiosk,
    Reader,
    central_server,
    one_auth_certificate,
    reader_for,
)
from kiosk_store_fixtures import FakeClock
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

import lcmp
from appdata.notices import ISSUANCE_DECIDED, IssuanceDecided
from central import notices as central_notices
from central.enums import CertStatus
from central.maintenance import run_maintenance
from kiosk.flows import issuance
from kiosk.flows.background import SyncService
from kiosk.flows.notices import NoticeHandlers
from kiosk.flows.ports import PresentCard
from kiosk.flows.responses import CertificateResponses, enqueue_polls
from kiosk.store.models import AuditRecord, OutboxMessage, OutboxState
from kiosk.store.models import IssuanceStep as S
from kiosk.store.sealed import Sealer
from kiosk.sync import notices
from kiosk.sync.inbox import server_cursor
from kiosk.sync.notices import NoticesRefused

SENT = OutboxState.SENT


@pytest.fixture
def deferred_server(tmp_path: Path) -> Iterator[CentralServer]:
    with central_server(tmp_path / "central", deferred=True) as running:
        yield running


@pytest.fixture
def deferred_kiosk(
    db_path: Path,
    sessions: sessionmaker[Session],
    sealer: Sealer,
    clock: FakeClock,
    deferred_server: CentralServer,
) -> Kiosk:
    return Kiosk(db_path, sessions, sealer, clock, deferred_server)


@pytest.fixture
def deferred_reader(card_file: Callable[[str], Path], deferred_server: CentralServer) -> Reader:
    """The adult's card, with an approved application NUMBER at the deferring central."""
    reader = reader_for(card_file("adult"), deferred_server.central)
    deferred_server.approve(reader.card.state, NUMBER)
    return reader


def handlers(kiosk: Kiosk) -> dict[str, notices.InboxHandler]:
    responses = CertificateResponses(kiosk.sealer, kiosk.link, clock=kiosk.clock)
    return NoticeHandlers(kiosk.sealer, responses, kiosk.link.verify_receipt, clock=kiosk.clock).handlers()


def pull(kiosk: Kiosk) -> notices.PullReport:
    return notices.pull(kiosk.sessions, kiosk.link, handlers(kiosk), clock=kiosk.clock, terminal_id=TERMINAL)


def actions(kiosk: Kiosk, prefix: str) -> list[str]:
    with kiosk.sessions.begin() as s:
        rows = s.scalars(select(AuditRecord.action).where(AuditRecord.action.like(f"{prefix}%")))
        return list(rows)


def no_card() -> contextlib.AbstractContextManager[PresentCard]:
    raise AssertionError("the notice pull never needs the card")


def test_a_deferred_certificate_arrives_as_a_notice(
    deferred_kiosk: Kiosk, deferred_server: CentralServer, deferred_reader: Reader
) -> None:
    kiosk, server, reader = deferred_kiosk, deferred_server, deferred_reader
    entry_id = kiosk.request(reader, NUMBER)
    kiosk.relay.drain()  # answered `waiting`
    assert kiosk.step(entry_id) is S.REQUESTED
    service = SyncService(
        kiosk.sessions,
        kiosk.sealer,
        kiosk.link,
        send=kiosk.link.send,
        verify_receipt=kiosk.link.verify_receipt,
        open_card=no_card,
        clock=kiosk.clock,
    )
    report = service.pull_notices()
    assert report is not None and report.applied == 0  # nothing decided yet

    assert server.intake.issue_pending() == 1
    report = service.pull_notices()
    assert report is not None and (report.applied, report.cursor) == (1, 1)
    assert kiosk.step(entry_id) is S.CERTIFICATE_RECEIVED  # no pollReq was needed
    certificate = x509.load_der_x509_certificate(kiosk.certificate(entry_id))
    assert certificate.serial_number == int(one_auth_certificate(server, NUMBER).serial, 16)
    kiosk.clock.advance(3600)
    assert enqueue_polls(kiosk.sessions, kiosk.link, now=kiosk.clock()) == []  # nothing left to poll

    issuance.install(
        kiosk.sessions, kiosk.sealer, kiosk.link, entry_id, reader.present(kiosk.link), now=kiosk.clock()
    )
    kiosk.relay.drain()
    assert kiosk.outbox() == [("p10cr", SENT), ("certConf", SENT)]
    assert one_auth_certificate(server, NUMBER).installed_at is not None
    again = service.pull_notices()
    assert again is not None and (again.applied, again.duplicates, again.cursor) == (0, 0, 1)
    assert actions(kiosk, "notice.") == ["notice.issuance_decided"]


def test_a_deferred_refusal_arrives_as_a_notice(
    deferred_kiosk: Kiosk, deferred_server: CentralServer, deferred_reader: Reader
) -> None:
    kiosk, server, reader = deferred_kiosk, deferred_server, deferred_reader
    entry_id = kiosk.request(reader, NUMBER)
    kiosk.relay.drain()
    server.central.suspend_card(bytes.fromhex(reader.card_id))  # reported lost while queued
    assert server.intake.issue_pending() == 1
    assert pull(kiosk).applied == 1
    assert kiosk.step(entry_id) is S.ABANDONED


def test_a_destroyed_certificate_is_never_written(
    kiosk: Kiosk, reader: Reader, server: CentralServer
) -> None:
    entry_id = kiosk.request(reader, NUMBER)
    kiosk.relay.drain()
    assert kiosk.step(entry_id) is S.CERTIFICATE_RECEIVED
    before = reader.auth_certificate()
    # The kiosk stays away past the central's confirmation wait: the sweep destroys it.
    assert run_maintenance(server.central, dt.datetime.now(dt.UTC) + dt.timedelta(days=46)).destroyed
    assert pull(kiosk).applied == 1
    assert kiosk.step(entry_id) is S.REVOKED_AS_DESTROYED
    assert kiosk.outbox() == [("p10cr", SENT)]  # nothing to ask: the central did it
    report = kiosk.recover(reader.present(kiosk.link))
    assert report.failures == 0
    assert reader.auth_certificate() == before  # the revoked certificate never reached the card
    row = one_auth_certificate(server, NUMBER)
    assert row.status is CertStatus.REVOKED and row.installed_at is None
    assert actions(kiosk, "notice.") == ["notice.certificate_revoked"]
    assert "issuance.revoked_as_destroyed" in actions(kiosk, "issuance.")


def _forged_answer(request_der: bytes) -> bytes:
    """A cp answering the request, signed by a key the kiosk does not trust."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "not the central")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    request = lcmp.decode(request_der)
    body = lcmp.Cp(lcmp.ACCEPTED, cert, cert_req_id=lcmp.P10CR_CERT_REQ_ID)
    return lcmp.encode(
        lcmp.Message(lcmp.reply_header(request.header, name), body), lcmp.SignatureProtection(key, cert)
    )


def test_a_decision_that_does_not_verify_is_recorded_and_skipped(
    deferred_kiosk: Kiosk, deferred_server: CentralServer, deferred_reader: Reader
) -> None:
    kiosk, server, reader = deferred_kiosk, deferred_server, deferred_reader
    entry_id = kiosk.request(reader, NUMBER)
    kiosk.relay.drain()
    p10cr = kiosk.outbox_payload("p10cr")
    forged = IssuanceDecided(lcmp.decode(p10cr).header.transaction_id, _forged_answer(p10cr))
    with server.central.transaction() as s:
        central_notices.post(s, TERMINAL, ISSUANCE_DECIDED, forged.to_payload(), dt.datetime.now(dt.UTC))
        central_notices.post(s, TERMINAL, ISSUANCE_DECIDED, {"transaction_id": "zz"}, dt.datetime.now(dt.UTC))
    report = pull(kiosk)
    assert (report.applied, report.cursor) == (2, 2)  # recorded and passed, not retried for ever
    assert kiosk.step(entry_id) is S.REQUESTED  # the forged certificate was not taken
    assert actions(kiosk, "notice.") == ["notice.rejected", "notice.rejected"]


def test_a_failing_handler_keeps_the_cursor(kiosk: Kiosk, reader: Reader, server: CentralServer) -> None:
    with server.central.transaction() as s:
        central_notices.post(s, TERMINAL, ISSUANCE_DECIDED, {}, dt.datetime.now(dt.UTC))

    def broken(session: Session, message: object) -> None:
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        notices.pull(kiosk.sessions, kiosk.link, {ISSUANCE_DECIDED: broken}, clock=kiosk.clock)
    with kiosk.sessions.begin() as s:
        assert server_cursor(s) == 0
    assert pull(kiosk).applied == 1  # the same notice, applied by the working handler


def test_a_page_for_another_terminal_is_refused(kiosk: Kiosk) -> None:
    with pytest.raises(NoticesRefused, match="another terminal"):
        notices.pull(kiosk.sessions, kiosk.link, {}, clock=kiosk.clock, terminal_id="kiosk-other")
    with kiosk.sessions.begin() as s:
        assert s.scalars(select(OutboxMessage)).all() == []
