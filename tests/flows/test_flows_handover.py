"""Handover (docs/sync-protocol.md): the card pulled at terminal A after 機構 issued its certificate,
brought to terminal B of the same municipality, which writes, reads back and confirms it; A is told
and stops waiting for the card. Real central over HTTPS, software card, two kiosk stores."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from flowkit import MUNICIPALITY, NUMBER, CentralServer, Kiosk, Reader, enrol, one_auth_certificate
from kiosk_store_fixtures import FakeClock
from sqlalchemy import select

from appdata.handover import HandoverAnswer
from central import handover as central_handover
from central.models import Application as CentralApplication
from kiosk.flows.handover import HandoverUnavailable, take_over
from kiosk.flows.ledger import daily_ledger, jst_day
from kiosk.flows.notices import NoticeHandlers
from kiosk.flows.responses import CertificateResponses
from kiosk.reader.admin import ChallengeResponseIssuer
from kiosk.reader.jpki import JpkiKey
from kiosk.store.db import make_engine, make_sessionmaker
from kiosk.store.migrate import upgrade
from kiosk.store.models import AuditRecord, CertificateKind, OutboxState
from kiosk.store.models import IssuanceStep as S
from kiosk.store.sealed import Sealer, load_or_create_data_key
from kiosk.sync import notices
from kiosk.sync.central import AuthorizationRefused, CentralLink, CmpAdminAuthorizer
from kiosk.sync.journal import RecoveryAction as A
from lcmp import jpki_items

OTHER = "kiosk-flows-02"  # terminal B, same municipality


def _terminal(
    server: CentralServer, terminal_id: str, municipality: str, directory: Path, clock: FakeClock
) -> Kiosk:
    """Another terminal: registered, bootstrapped, its own store and data key."""
    identity, key = enrol(server.central, terminal_id, municipality, directory / "identity")
    engine = make_engine(directory / "kiosk.db")
    upgrade(engine)
    sealer = Sealer(load_or_create_data_key(directory / "data"))
    own = dataclasses.replace(server, identity=identity, terminal_key=key)
    return Kiosk(directory / "kiosk.db", make_sessionmaker(engine), sealer, clock, own)


@pytest.fixture
def other(server: CentralServer, tmp_path: Path, clock: FakeClock) -> Kiosk:
    return _terminal(server, OTHER, MUNICIPALITY, tmp_path / "b", clock)


def _pulled_at_a(kiosk: Kiosk, reader: Reader):
    """A requested the certificate and got it; the resident left with the card before the write."""
    entry_id = kiosk.request(reader, NUMBER)
    kiosk.relay.drain()
    assert kiosk.step(entry_id) is S.CERTIFICATE_RECEIVED
    return entry_id


def _pull_notices(kiosk: Kiosk) -> notices.PullReport:
    responses = CertificateResponses(kiosk.sealer, kiosk.link, clock=kiosk.clock)
    handlers = NoticeHandlers(
        kiosk.sealer, responses, kiosk.link.verify_receipt, clock=kiosk.clock
    ).handlers()
    return notices.pull(kiosk.sessions, kiosk.link, handlers, clock=kiosk.clock)


def test_the_card_comes_back_to_another_terminal_which_installs_it(
    kiosk: Kiosk, other: Kiosk, reader: Reader, server: CentralServer
) -> None:
    a_entry = _pulled_at_a(kiosk, reader)
    reader.insert()  # at terminal B
    made = take_over(other.sessions, other.sealer, other.link, reader.present(other.link), clock=other.clock)
    assert len(made) == 1
    b_entry = other.entry(made[0])
    assert (b_entry.step, b_entry.taken_over) == (S.CERTIFICATE_RECEIVED, f"kiosk-flows-01/{NUMBER}")
    assert other.certificate(made[0]) == kiosk.certificate(a_entry)  # the one 機構 issued for A

    report = other.recover(reader.present(other.link))
    assert [e.actions for e in report.entries] == [(A.WRITE_CERTIFICATE, A.READ_BACK_AND_CONFIRM)]
    other.relay.drain()
    assert other.step(made[0]) is S.CONFIRMED
    assert other.outbox() == [("genm-installed", OutboxState.SENT)]
    issued = one_auth_certificate(server, NUMBER)
    assert reader.auth_certificate() == issued.der and issued.installed_at is not None

    # A learns it from the notice and stops waiting: nothing to write, nothing to destroy.
    _pull_notices(kiosk)
    assert kiosk.step(a_entry) is S.HANDED_OVER
    assert kiosk.recover().entries == ()
    with kiosk.sessions.begin() as s:
        actions = set(s.scalars(select(AuditRecord.action)))
    assert {"notice.handed_over", "issuance.handed_over"} <= actions

    # The two ledgers: requested and answered at A, passed on; taken over and written at B.
    day = jst_day(kiosk.clock())
    with kiosk.sessions.begin() as s:
        row_a = daily_ledger(s, day).row(CertificateKind.AUTH)
    with other.sessions.begin() as s:
        row_b = daily_ledger(s, day).row(CertificateKind.AUTH)
    assert (row_a.requests, row_a.requests_answered, row_a.handed_over, row_a.installed) == (1, 1, 1, 0)
    assert (row_b.requests, row_b.taken_over, row_b.taken_over_installed, row_b.installed) == (0, 1, 1, 0)


def test_after_the_handover_the_requesting_terminal_is_not_authorised(
    kiosk: Kiosk, other: Kiosk, reader: Reader
) -> None:
    _pulled_at_a(kiosk, reader)
    take_over(other.sessions, other.sealer, other.link, reader.present(other.link), clock=other.clock)
    issuer = ChallengeResponseIssuer(reader.jpki, CmpAdminAuthorizer(kiosk.link, NUMBER))
    with pytest.raises(AuthorizationRefused, match="other-terminal"):
        issuer.write_certificate(JpkiKey.AUTH.certificate, b"\x30\x00")  # A can no longer write it
    # B names the application by the central's id: its card key can be read and the write granted.
    b_issuer = ChallengeResponseIssuer(
        reader.jpki, CmpAdminAuthorizer(other.link, f"kiosk-flows-01/{NUMBER}")
    )
    assert b_issuer.read_public_key(JpkiKey.AUTH) is not None


def test_asking_again_makes_no_second_entry(kiosk: Kiosk, other: Kiosk, reader: Reader) -> None:
    _pulled_at_a(kiosk, reader)
    card = reader.present(other.link)
    assert len(take_over(other.sessions, other.sealer, other.link, card, clock=other.clock)) == 1
    assert take_over(other.sessions, other.sealer, other.link, card, clock=other.clock) == []


def test_the_requesting_terminal_gets_nothing_of_its_own(kiosk: Kiosk, reader: Reader) -> None:
    _pulled_at_a(kiosk, reader)  # the card came back to A: its journal resumes it
    assert (
        take_over(kiosk.sessions, kiosk.sealer, kiosk.link, reader.present(kiosk.link), clock=kiosk.clock)
        == []
    )


def test_a_terminal_of_another_municipality_gets_nothing(
    kiosk: Kiosk, reader: Reader, server: CentralServer, tmp_path: Path, clock: FakeClock
) -> None:
    server.central.add_municipality("27100", "大阪市")
    far = _terminal(server, "kiosk-osaka-01", "27100", tmp_path / "far", clock)
    _pulled_at_a(kiosk, reader)
    assert take_over(far.sessions, far.sealer, far.link, reader.present(far.link), clock=far.clock) == []
    with server.central.transaction() as s:
        app = s.get(CentralApplication, f"kiosk-flows-01/{NUMBER}")
        assert app is not None and app.installer_terminal_id is None


def test_nothing_is_handed_over_before_the_certificate_is_issued(
    kiosk: Kiosk, other: Kiosk, reader: Reader
) -> None:
    kiosk.request(reader, NUMBER)  # the p10cr still in A's outbox
    assert (
        take_over(other.sessions, other.sealer, other.link, reader.present(other.link), clock=other.clock)
        == []
    )


def test_the_central_unreachable_is_said(other: Kiosk, reader: Reader, server: CentralServer) -> None:
    link = CentralLink("https://127.0.0.1:9/pkix/", other.server.identity, timeout=5)  # nothing listens
    with pytest.raises(HandoverUnavailable):
        take_over(other.sessions, other.sealer, link, reader.present(link), clock=other.clock)


def test_the_answer_round_trips() -> None:
    answer = HandoverAnswer("ab" * 16)
    assert HandoverAnswer.from_json(answer.to_json()) == answer
    assert central_handover.HandoverAnswer is HandoverAnswer
    assert jpki_items.application_item("T/1").info_type == jpki_items.APPLICATION_ID
    assert jpki_items.application_item(1).info_type == jpki_items.APPLICATION_NUMBER
