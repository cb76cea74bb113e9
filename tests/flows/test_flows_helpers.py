"""The flows' pure helpers, table by table."""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

import lcmp
from kiosk.flows import exchanges
from kiosk.flows.issuance import CLOCK_SKEW, can_write
from kiosk.flows.ports import CARD_KEYS, ITEM_KINDS, PresentCard
from kiosk.flows.recovery import ATTEMPTS_USED_UP, CARD_DID_NOT_RETURN, NOT_WRITABLE, destroy_reason
from kiosk.flows.responses import Verdict, poll_due, verdict
from kiosk.reader.jpki import CertSlot, JpkiKey
from kiosk.store.models import CertificateKind, OutboxMessage, OutboxState
from kiosk.store.models import IssuanceStep as S
from kiosk.sync.journal import RecoveryAction, RecoveryInput, RecoveryPolicy, next_action
from lcmp import jpki_items

T0 = dt.datetime(2026, 11, 22, 9, 0, tzinfo=dt.UTC)
T1 = T0 + timedelta(days=365 * 5)


@functools.cache
def _key(label: str) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@functools.cache
def _certificate() -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test")])
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(_key("card").public_key())
        .serial_number(1)
        .not_valid_before(T0)
        .not_valid_after(T1)
        .sign(_key("ca"), hashes.SHA256())
    )


# now, the card's key ("card", "other", None: no key), card here → may write
CAN_WRITE = [
    (T0 + timedelta(days=1), "card", True, True),
    (T0 + timedelta(days=1), "other", True, False),  # the card has a new key
    (T0 + timedelta(days=1), None, True, False),  # the card has no key at all
    (T0 + timedelta(days=1), None, False, True),  # card away: only the validity can be judged
    (T0 - CLOCK_SKEW, "card", True, True),  # the kiosk's clock a little behind the CA's
    (T0 - CLOCK_SKEW - timedelta(seconds=1), "card", True, False),
    (T1, "card", True, True),  # last second of validity
    (T1 + timedelta(seconds=1), "card", True, False),  # expired while waiting
    (T1 + timedelta(seconds=1), None, False, False),
]


@pytest.mark.parametrize(("now", "card_key", "here", "expected"), CAN_WRITE)
def test_can_write(now: dt.datetime, card_key: str | None, here: bool, expected: bool) -> None:
    key = _key(card_key).public_key() if card_key else None
    assert can_write(_certificate(), now, key, card_here=here) is expected


POLICY = RecoveryPolicy(card_wait=timedelta(days=14), max_write_attempts=3)
FRESH, OLD = timedelta(hours=1), timedelta(days=15)

# every input for which the journal's table says REVOKE_AS_DESTROYED → the reason recorded
DESTROY = [
    (RecoveryInput(S.CERTIFICATE_RECEIVED, FRESH, True, False, 0), NOT_WRITABLE),
    (RecoveryInput(S.CERTIFICATE_RECEIVED, FRESH, False, False, 0), NOT_WRITABLE),
    (RecoveryInput(S.CERTIFICATE_RECEIVED, OLD, False, False, 0), NOT_WRITABLE),
    (RecoveryInput(S.CERTIFICATE_RECEIVED, FRESH, True, True, 3), ATTEMPTS_USED_UP),
    (RecoveryInput(S.CERTIFICATE_RECEIVED, OLD, False, True, 3), ATTEMPTS_USED_UP),
    (RecoveryInput(S.CERTIFICATE_RECEIVED, OLD, False, True, 0), CARD_DID_NOT_RETURN),
    (RecoveryInput(S.WRITTEN_TO_CARD, OLD, False, True, 1), CARD_DID_NOT_RETURN),
    (RecoveryInput(S.WRITTEN_TO_CARD, OLD, False, False, 1), CARD_DID_NOT_RETURN),  # key not asked
]


@pytest.mark.parametrize(("state", "reason"), DESTROY)
def test_destroy_reason(state: RecoveryInput, reason: str) -> None:
    assert next_action(state, POLICY) is RecoveryAction.REVOKE_AS_DESTROYED
    assert destroy_reason(state, POLICY) == reason


def _message(body: lcmp.Body) -> lcmp.Message:
    return lcmp.Message(lcmp.new_header(x509.Name([]), x509.Name([]), now=T0), body)


GRANTED = lcmp.Cp(lcmp.ACCEPTED, _certificate())
WAITING = lcmp.Cp(lcmp.StatusInfo(lcmp.PKIStatus.waiting))
REJECTED = lcmp.Cp(lcmp.StatusInfo(lcmp.PKIStatus.rejection, ("no",), lcmp.FailureInfo.badCertTemplate))
ERROR = lcmp.ErrorMsg(lcmp.StatusInfo(lcmp.PKIStatus.rejection, (), lcmp.FailureInfo.notAuthorized))

VERDICTS = [
    (GRANTED, True, Verdict.ISSUED),
    (GRANTED, False, Verdict.REFUSED),  # the relay did not accept it: no certificate is taken
    (WAITING, True, Verdict.WAITING),
    (lcmp.PollRep(-1, 30), True, Verdict.WAITING),
    (REJECTED, False, Verdict.REFUSED),
    (REJECTED, True, Verdict.REFUSED),
    (ERROR, False, Verdict.REFUSED),
    (lcmp.PkiConf(), True, Verdict.REFUSED),  # signed and ours, but no answer to a request
]


@pytest.mark.parametrize(("body", "accepted", "expected"), VERDICTS, ids=lambda v: type(v).__name__)
def test_verdict(body: lcmp.Body, accepted: bool, expected: Verdict) -> None:
    assert verdict(_message(body), accepted) is expected


WAITS = [
    (WAITING, exchanges.Waiting(-1, timedelta(0))),
    (lcmp.PollRep(-1, 30), exchanges.Waiting(-1, timedelta(seconds=30))),
    (lcmp.PollRep(0, 0), exchanges.Waiting(0, timedelta(0))),
    (GRANTED, None),
    (REJECTED, None),
    (ERROR, None),
]


@pytest.mark.parametrize(("body", "expected"), WAITS, ids=lambda v: type(v).__name__)
def test_waiting(body: lcmp.Body, expected: exchanges.Waiting | None) -> None:
    assert exchanges.waiting(body) == expected


def _exchange(
    body: lcmp.Body | None, state: OutboxState, delivered: dt.datetime | None
) -> exchanges.Exchange:
    row = OutboxMessage(
        seq=1, msg_id=uuid.uuid4(), kind="pollReq", payload=b"x", created_at=T0, state=state,
        attempts=1, next_attempt_at=T0, delivered_at=delivered,
    )  # fmt: skip
    request = _message(lcmp.PollReq())
    return exchanges.Exchange(row, request, _message(body) if body is not None else None)


SENT, PENDING, FAILED = OutboxState.SENT, OutboxState.PENDING, OutboxState.FAILED
POLLREP = lcmp.PollRep(-1, 60)
# answer, row state, delivered at, now → due wait (None: not now)
POLL_DUE = [
    (WAITING, SENT, T0, T0, exchanges.Waiting(-1, timedelta(0))),
    (POLLREP, SENT, T0, T0 + timedelta(seconds=59), None),
    (POLLREP, SENT, T0, T0 + timedelta(seconds=60), exchanges.Waiting(-1, timedelta(seconds=60))),
    (None, PENDING, None, T0 + timedelta(days=1), None),  # still in the outbox
    (ERROR, FAILED, T0, T0 + timedelta(days=1), None),  # refused: abandoned, not polled
    (GRANTED, SENT, T0, T0 + timedelta(days=1), None),  # decided
]


@pytest.mark.parametrize(("body", "state", "delivered", "now", "expected"), POLL_DUE)
def test_poll_due(
    body: lcmp.Body | None,
    state: OutboxState,
    delivered: dt.datetime | None,
    now: dt.datetime,
    expected: exchanges.Waiting | None,
) -> None:
    assert poll_due(_exchange(body, state, delivered), now) == expected


def test_every_certificate_kind_maps_to_its_key_slot_and_item() -> None:
    assert set(CARD_KEYS) == set(ITEM_KINDS) == set(CertificateKind)
    assert CARD_KEYS[CertificateKind.AUTH].certificate is CertSlot.AUTH
    assert CARD_KEYS[CertificateKind.SIGN] is JpkiKey.SIGN
    assert CARD_KEYS[CertificateKind.SIGN].certificate is CertSlot.SIGN
    assert ITEM_KINDS[CertificateKind.AUTH] is jpki_items.CertificateKind.AUTH
    assert ITEM_KINDS[CertificateKind.SIGN] is jpki_items.CertificateKind.SIGN


def test_a_present_card_is_named_as_the_journal_names_it() -> None:
    card = PresentCard("0A1B2C", jpki=None, authorizer_for=lambda n: None)  # type: ignore[arg-type]
    assert card.card_id == "0a1b2c"
