"""The recovery worker against the real central (in-process HTTPS) and software cards."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509
from flowkit import NUMBER, SIGN_PIN, CentralServer, Kiosk, Reader, one_auth_certificate, reader_for
from sqlalchemy import func, select

import lcmp
from central.enums import CertStatus, RevocationReason
from kiosk.domain.secret import Secret
from kiosk.flows import issuance, recovery
from kiosk.flows.ports import PresentCard
from kiosk.reader.admin import ChallengeResponseIssuer
from kiosk.reader.errors import SecurityStatusNotSatisfied
from kiosk.reader.jpki import CertSlot, JpkiPin
from kiosk.store.models import AuditRecord, CertificateKind, OutboxMessage, OutboxState
from kiosk.store.models import IssuanceStep as S
from kiosk.sync import journal
from kiosk.sync.central import CentralLink, CmpAdminAuthorizer
from kiosk.sync.journal import RecoveryAction as A
from kiosk.sync.journal import RecoveryPolicy
from lcmp import jpki_items

WRITE_INS = 0xD6  # UPDATE BINARY: the certificate write itself
PAST_CARD_WAIT = journal.DEFAULT_POLICY.card_wait + timedelta(days=1)


def _stop_after_request(kiosk: Kiosk, entry_id: uuid.UUID, reader: Reader) -> None:
    pass  # the p10cr is still in the outbox


def _stop_after_certificate(kiosk: Kiosk, entry_id: uuid.UUID, reader: Reader) -> None:
    kiosk.relay.drain()


def _stop_after_card_write_before_its_record(kiosk: Kiosk, entry_id: uuid.UUID, reader: Reader) -> None:
    """The card took the certificate, then the kiosk died before committing WRITTEN_TO_CARD."""
    kiosk.relay.drain()
    with kiosk.sessions.begin() as s:
        journal.note_write_attempt(s, entry_id, now=kiosk.clock())
    issuer = ChallengeResponseIssuer(reader.jpki, CmpAdminAuthorizer(kiosk.link, NUMBER))
    issuer.write_certificate(CertSlot.AUTH, kiosk.certificate(entry_id))


def _stop_after_written(kiosk: Kiosk, entry_id: uuid.UUID, reader: Reader) -> None:
    kiosk.relay.drain()
    card = reader.present(kiosk.link)
    issuance.write_certificate(kiosk.sessions, kiosk.sealer, entry_id, card, now=kiosk.clock())


def _stop_after_read_back(kiosk: Kiosk, entry_id: uuid.UUID, reader: Reader) -> None:
    _stop_after_written(kiosk, entry_id, reader)
    card = reader.present(kiosk.link)
    assert issuance.read_back(kiosk.sessions, kiosk.sealer, entry_id, card, now=kiosk.clock())


def _stop_after_confirm(kiosk: Kiosk, entry_id: uuid.UUID, reader: Reader) -> None:
    _stop_after_read_back(kiosk, entry_id, reader)
    issuance.send_confirmation(kiosk.sessions, kiosk.sealer, kiosk.link, entry_id, now=kiosk.clock())


Stop = Callable[[Kiosk, uuid.UUID, Reader], None]
RB, WRITE = A.READ_BACK_AND_CONFIRM, A.WRITE_CERTIFICATE
# where the kiosk stopped → actions at start-up (no card), then when the card is inserted
INTERRUPTIONS: list[tuple[Stop, S, tuple[A, ...] | None, tuple[A, ...] | None]] = [
    (_stop_after_request, S.REQUESTED, (A.WAIT_FOR_CERTIFICATE,), (WRITE, RB)),
    (_stop_after_certificate, S.CERTIFICATE_RECEIVED, (A.WAIT_FOR_CARD,), (WRITE, RB)),
    (_stop_after_card_write_before_its_record, S.CERTIFICATE_RECEIVED, (A.WAIT_FOR_CARD,), (WRITE, RB)),
    (_stop_after_written, S.WRITTEN_TO_CARD, (A.WAIT_FOR_CARD,), (RB,)),
    (_stop_after_read_back, S.READ_BACK, (A.SEND_CONFIRMATION,), None),
    (_stop_after_confirm, S.CONFIRMED, None, None),  # None: nothing unfinished
]


@pytest.mark.parametrize(
    ("stop", "stopped_at", "at_start", "at_insertion"),
    INTERRUPTIONS,
    ids=[row[0].__name__.removeprefix("_stop_") for row in INTERRUPTIONS],
)
def test_interrupted_issuance_recovers_to_confirmed(
    kiosk: Kiosk,
    reader: Reader,
    server: CentralServer,
    stop: Stop,
    stopped_at: S,
    at_start: tuple[A, ...] | None,
    at_insertion: tuple[A, ...] | None,
) -> None:
    entry_id = kiosk.request(reader, NUMBER)
    stop(kiosk, entry_id, reader)
    assert kiosk.step(entry_id) is stopped_at

    restarted = kiosk.restarted()  # a new process: start-up recovery first, then the relay
    started = restarted.recover()
    assert started.failures == 0
    assert [e.actions for e in started.entries] == ([at_start] if at_start else [])
    restarted.relay.drain()
    reader.insert()  # the holder presents the card again
    inserted = restarted.recover(reader.present(restarted.link))
    assert inserted.failures == 0
    assert [e.actions for e in inserted.entries] == ([at_insertion] if at_insertion else [])
    restarted.relay.drain()

    entry = restarted.entry(entry_id)
    assert entry.step is S.CONFIRMED
    assert entry.attempts == 1  # one write, never a second
    der = restarted.certificate(entry_id)
    assert reader.auth_certificate() == der
    issued = one_auth_certificate(server, NUMBER)  # exactly one for this application and kind
    assert issued.der == der and issued.installed_at is not None
    assert {state for _, state in restarted.outbox()} == {OutboxState.SENT}
    assert [kind for kind, _ in restarted.outbox()] == ["p10cr", "certConf"]


def _sign_stop_after_card_write_before_its_record(kiosk: Kiosk, entry_id: uuid.UUID, reader: Reader) -> None:
    kiosk.relay.drain()
    with kiosk.sessions.begin() as s:
        journal.note_write_attempt(s, entry_id, now=kiosk.clock())
    issuer = ChallengeResponseIssuer(reader.jpki, CmpAdminAuthorizer(kiosk.link, NUMBER))
    issuer.write_certificate(CertSlot.SIGN, kiosk.certificate(entry_id))


# The signing slot cannot be read on a recovery insertion (no sign PIN then): the write is
# checked by the card itself against the authorised hash, and a slot that cannot be read is
# written again (one more authorisation, which the central grants while it is not installed).
SIGN_INTERRUPTIONS: list[tuple[Stop, S, int]] = [
    (_stop_after_certificate, S.CERTIFICATE_RECEIVED, 1),
    (_sign_stop_after_card_write_before_its_record, S.CERTIFICATE_RECEIVED, 2),
    (_stop_after_written, S.WRITTEN_TO_CARD, 1),
]


@pytest.mark.parametrize(
    ("stop", "stopped_at", "attempts"),
    SIGN_INTERRUPTIONS,
    ids=[row[0].__name__.removeprefix("_sign").removeprefix("_stop_") for row in SIGN_INTERRUPTIONS],
)
def test_interrupted_signing_certificate_recovers_without_the_pin(
    kiosk: Kiosk,
    card_file: Callable[[str], Path],
    server: CentralServer,
    stop: Stop,
    stopped_at: S,
    attempts: int,
) -> None:
    reader = reader_for(card_file("adult"), server.central)
    server.approve(reader.card.state, NUMBER, ("sign",))
    entry_id = kiosk.request(reader, NUMBER, CertificateKind.SIGN)
    stop(kiosk, entry_id, reader)
    assert kiosk.step(entry_id) is stopped_at

    reader.insert()  # a fresh power-up: the sign PIN is not verified, the slot is not readable
    with pytest.raises(SecurityStatusNotSatisfied):
        reader.jpki.read_certificate_der(CertSlot.SIGN)
    report = kiosk.recover(reader.present(kiosk.link))
    assert report.failures == 0
    kiosk.relay.drain()
    entry = kiosk.entry(entry_id)
    assert (entry.step, entry.attempts) == (S.CONFIRMED, attempts)
    (issued,) = server.certificates(NUMBER)
    assert issued.installed_at is not None and issued.der == kiosk.certificate(entry_id)
    with Secret.from_ascii(SIGN_PIN) as pin:
        reader.jpki.verify(JpkiPin.SIGN, pin)
    assert reader.jpki.read_certificate_der(CertSlot.SIGN) == issued.der  # it is on the card


# --- the card does not come back, or comes back changed ---------------------------------------


def _received(kiosk: Kiosk, reader: Reader) -> uuid.UUID:
    entry_id = kiosk.request(reader, NUMBER)
    kiosk.relay.drain()
    assert kiosk.step(entry_id) is S.CERTIFICATE_RECEIVED
    return entry_id


def _check_rr(kiosk: Kiosk, issued_der: bytes) -> None:
    rr = lcmp.decode(kiosk.outbox_payload("rr"))
    certificate = x509.load_der_x509_certificate(issued_der)
    assert isinstance(rr.body, lcmp.Rr)
    assert (rr.body.issuer, rr.body.serial) == (certificate.issuer, certificate.serial_number)
    assert rr.body.reason is x509.ReasonFlags.cessation_of_operation
    assert jpki_items.integer_value(rr.header.general_info, jpki_items.APPLICATION_NUMBER) == NUMBER


def test_card_away_within_the_card_wait_is_waited_for(kiosk: Kiosk, reader: Reader) -> None:
    entry_id = _received(kiosk, reader)
    kiosk.clock.advance((journal.DEFAULT_POLICY.card_wait - timedelta(minutes=1)).total_seconds())
    report = kiosk.recover()
    assert report.entry(entry_id).actions == (A.WAIT_FOR_CARD,)
    assert kiosk.step(entry_id) is S.CERTIFICATE_RECEIVED
    assert kiosk.outbox() == [("p10cr", OutboxState.SENT)]


@pytest.mark.parametrize("written", [False, True], ids=["received", "written"])
def test_card_away_past_the_card_wait_is_revoked_as_destroyed(
    kiosk: Kiosk, reader: Reader, written: bool
) -> None:
    entry_id = _received(kiosk, reader)
    if written:  # written but never read back: nobody knows it is on a card
        card = reader.present(kiosk.link)
        issuance.write_certificate(kiosk.sessions, kiosk.sealer, entry_id, card, now=kiosk.clock())
    kiosk.clock.advance(PAST_CARD_WAIT.total_seconds())
    report = kiosk.recover()
    outcome = report.entry(entry_id)
    assert (outcome.actions, outcome.step, outcome.error) == (
        (A.REVOKE_AS_DESTROYED,),
        S.REVOKED_AS_DESTROYED,
        None,
    )
    entry = kiosk.entry(entry_id)
    assert entry.last_error == recovery.CARD_DID_NOT_RETURN
    assert kiosk.outbox() == [("p10cr", OutboxState.SENT), ("rr", OutboxState.PENDING)]
    _check_rr(kiosk, kiosk.certificate(entry_id))
    assert kiosk.recover().entries == ()  # final


def test_the_central_revokes_the_destroyed_certificate(
    kiosk: Kiosk, reader: Reader, server: CentralServer
) -> None:
    entry_id = _received(kiosk, reader)
    kiosk.clock.advance(PAST_CARD_WAIT.total_seconds())
    kiosk.recover()
    kiosk.relay.drain()
    assert kiosk.outbox() == [("p10cr", OutboxState.SENT), ("rr", OutboxState.SENT)]
    issued = one_auth_certificate(server, NUMBER)
    assert issued.der == kiosk.certificate(entry_id)
    status = server.central.certificate_status(issued.serial)
    assert (status.status, status.reason) == (CertStatus.REVOKED, RevocationReason.CESSATION_OF_OPERATION)
    assert issued.installed_at is None
    (row,) = server.central.ledger()
    assert (row.requests_answered, row.installed, row.destroyed_or_revoked_ex_officio) == (1, 0, 1)


def test_another_card_is_not_written(
    kiosk: Kiosk, reader: Reader, card_file: Callable[[str], Path], server: CentralServer
) -> None:
    entry_id = _received(kiosk, reader)
    other = reader_for(card_file("sign_blocked"), server.central)
    before = other.auth_certificate()
    report = kiosk.recover(other.present(kiosk.link))
    assert report.entry(entry_id).actions == (A.WAIT_FOR_CARD,)
    assert other.auth_certificate() == before
    entry = kiosk.entry(entry_id)
    assert (entry.step, entry.attempts) == (S.CERTIFICATE_RECEIVED, 0)
    assert kiosk.outbox() == [("p10cr", OutboxState.SENT)]


def test_a_card_with_another_key_gets_its_certificate_revoked_as_destroyed(
    kiosk: Kiosk, reader: Reader
) -> None:
    entry_id = _received(kiosk, reader)
    reader.replace_auth_key(kiosk.server.central.authority.admin_master_key)
    report = kiosk.recover(reader.present(kiosk.link))
    assert report.entry(entry_id).actions == (A.REVOKE_AS_DESTROYED,)
    entry = kiosk.entry(entry_id)
    assert (entry.step, entry.attempts) == (S.REVOKED_AS_DESTROYED, 0)
    assert entry.last_error == recovery.NOT_WRITABLE
    assert reader.auth_certificate() == b""  # nothing written
    _check_rr(kiosk, kiosk.certificate(entry_id))


def test_a_read_back_mismatch_goes_back_to_writing_within_the_attempts(kiosk: Kiosk, reader: Reader) -> None:
    entry_id = _received(kiosk, reader)
    card = reader.present(kiosk.link)
    issuance.write_certificate(kiosk.sessions, kiosk.sealer, entry_id, card, now=kiosk.clock())
    reader.card.state.jpki.auth_cert = b"\x30\x03\x02\x01\x00"  # the card holds something else
    report = kiosk.recover(card, policy=RecoveryPolicy(max_write_attempts=1))
    assert report.entry(entry_id).actions == (A.READ_BACK_AND_CONFIRM, A.REVOKE_AS_DESTROYED)
    entry = kiosk.entry(entry_id)
    assert (entry.step, entry.attempts, entry.last_error) == (
        S.REVOKED_AS_DESTROYED, 1, recovery.ATTEMPTS_USED_UP,
    )  # fmt: skip
    with kiosk.sessions.begin() as s:
        notes = s.scalars(
            select(AuditRecord.details).where(AuditRecord.action == "issuance.certificate_received")
        )
        assert sum("read-back mismatch" in d for d in notes) == 1


# --- failures during recovery -------------------------------------------------------------------


def _second_card_at_read_back(
    kiosk: Kiosk, card_file: Callable[[str], Path], server: CentralServer
) -> uuid.UUID:
    """Another resident's issuance, stopped after its read-back (application 2)."""
    other = reader_for(card_file("sign_blocked"), server.central)
    server.approve(other.card.state, 2)
    entry_id = kiosk.request(other, 2)
    _stop_after_read_back(kiosk, entry_id, other)
    return entry_id


def test_a_pull_during_the_write_counts_the_attempt_and_stays_resumable(
    kiosk: Kiosk, reader: Reader, card_file: Callable[[str], Path], server: CentralServer
) -> None:
    entry_id = _received(kiosk, reader)
    other_id = _second_card_at_read_back(kiosk, card_file, server)
    reader.pull_at(WRITE_INS)
    report = kiosk.recover(reader.present(kiosk.link))

    pulled = report.entry(entry_id)
    assert (pulled.actions, pulled.step, pulled.error) == (
        (A.WRITE_CERTIFICATE,),
        S.CERTIFICATE_RECEIVED,
        "CardRemoved",
    )
    assert report.failures == 1
    assert report.entry(other_id).actions == (A.SEND_CONFIRMATION,)  # the others still run
    assert kiosk.step(other_id) is S.CONFIRMED
    entry = kiosk.entry(entry_id)
    assert entry.attempts == 1  # the write was authorised and sent: it counts
    reader.insert()
    assert reader.auth_certificate() == b""
    state = journal.recovery_input(entry, now=kiosk.clock(), present_card_id=reader.card_id, can_write=True)
    assert journal.next_action(state) is A.WRITE_CERTIFICATE


def test_after_a_pull_during_the_write_the_next_insertion_completes(
    kiosk: Kiosk, reader: Reader, server: CentralServer
) -> None:
    entry_id = _received(kiosk, reader)
    reader.pull_at(WRITE_INS)
    kiosk.recover(reader.present(kiosk.link))
    reader.insert()
    report = kiosk.recover(reader.present(kiosk.link))
    assert report.failures == 0
    kiosk.relay.drain()
    entry = kiosk.entry(entry_id)
    assert (entry.step, entry.attempts) == (S.CONFIRMED, 2)
    assert reader.auth_certificate() == kiosk.certificate(entry_id)
    assert one_auth_certificate(server, NUMBER).installed_at is not None


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_central_during_the_write_authorisation_leaves_the_entry_untouched(
    kiosk: Kiosk, reader: Reader, server: CentralServer
) -> None:
    entry_id = _received(kiosk, reader)
    before = kiosk.entry(entry_id)
    with kiosk.sessions.begin() as s:
        audit_count = s.scalar(select(func.count()).select_from(AuditRecord))
    dead = CentralLink(f"https://127.0.0.1:{_closed_port()}/pkix/", server.identity, timeout=5)
    card = PresentCard(reader.card_id, reader.jpki, lambda number: CmpAdminAuthorizer(dead, number))

    report = kiosk.recover(card)

    outcome = report.entry(entry_id)
    assert (outcome.actions, outcome.step, outcome.error) == (
        (A.WRITE_CERTIFICATE,), S.CERTIFICATE_RECEIVED, "CentralUnreachable",
    )  # fmt: skip
    after = kiosk.entry(entry_id)
    assert (after.step, after.attempts, after.updated_at, after.last_error) == (
        before.step, before.attempts, before.updated_at, before.last_error,
    )  # fmt: skip
    with kiosk.sessions.begin() as s:
        assert s.scalar(select(func.count()).select_from(AuditRecord)) == audit_count
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 1
    assert reader.auth_certificate() == b""
    # the central back: the same insertion completes
    assert kiosk.recover(reader.present(kiosk.link)).failures == 0
    assert kiosk.step(entry_id) is S.CONFIRMED
