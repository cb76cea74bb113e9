"""Downstream notices: written with the decision they announce, handed out in order to the
terminal that asked (and no other), acknowledged by its cursor, pruned after the retention."""

from __future__ import annotations

import datetime as dt

import pytest
from central_https import terminal_cert
from central_testkit import MUNICIPALITY, NOW, TERMINAL, World, csr, key
from cmp_testkit import apply, client_for, items
from sqlalchemy import func, select

import lcmp
from appdata.notices import (
    CERTIFICATE_REVOKED,
    ISSUANCE_DECIDED,
    CertificateRevoked,
    IssuanceDecided,
    NoticePage,
)
from central import notices
from central.cmp_intake import CmpIntake
from central.enums import CertKind, RevocationReason
from central.errors import NotFound
from central.maintenance import run_maintenance
from central.models import TerminalNotice
from lcmp import jpki_items


def pull(client: lcmp.CmpClient, after: int) -> NoticePage:
    answer = client.genm((jpki_items.integer_item(jpki_items.NOTICES_AFTER, after),))
    text = jpki_items.text_value(answer, jpki_items.NOTICE_PAGE)
    assert text is not None
    return NoticePage.from_json(text)


@pytest.fixture
def intake(world: World) -> CmpIntake:
    return CmpIntake(world.central, clock=lambda: NOW)


def issue(world: World, number: int, label: str) -> int:
    app_id = apply(world, number, certificates=("auth",))
    issued = world.central.issue_certificate(app_id, csr(key(label)), CertKind.AUTH, now=NOW)
    return issued.certificate.serial_number


def test_revocations_of_what_the_terminal_requested_are_noticed(world: World, intake: CmpIntake) -> None:
    client = client_for(world, intake)
    assert pull(client, 0).notices == ()
    destroyed = issue(world, 1, "notice-a")
    compromised = issue(world, 2, "notice-b")
    later = NOW + dt.timedelta(days=46)
    assert run_maintenance(world.central, later).destroyed  # both never confirmed: 破棄
    world.central.revoke(compromised, RevocationReason.KEY_COMPROMISE, now=later)  # reported after
    page = pull(client, 0)
    assert [(n.seq, n.kind) for n in page.notices] == [(s, CERTIFICATE_REVOKED) for s in (1, 2, 3)]
    first, second, third = (CertificateRevoked.from_payload(n.payload) for n in page.notices)
    assert {first.serial, second.serial} == {format(destroyed, "x"), format(compromised, "x")}
    assert first.destroyed and first.ex_officio and first.reason == "CESSATION_OF_OPERATION"
    assert first.application_id is not None and first.application_id.startswith(f"{TERMINAL}/")
    assert third.serial == format(compromised, "x") and third.reason == "KEY_COMPROMISE"
    assert not page.more and page.terminal_id == TERMINAL
    # The cursor pages: after 2 only the third remains, and the msg_ids never change.
    again = pull(client, 2)
    assert [n.msg_id for n in again.notices] == [page.notices[2].msg_id]


def test_one_notice_per_revocation(world: World) -> None:
    serial = issue(world, 3, "notice-c")
    world.central.revoke(serial, RevocationReason.UNSPECIFIED, now=NOW)
    world.central.revoke(serial, RevocationReason.UNSPECIFIED, now=NOW)  # idempotent: no second notice
    with world.central.transaction() as session:
        assert session.scalars(select(TerminalNotice.kind)).all() == [CERTIFICATE_REVOKED]


def test_deferred_decision_is_noticed_with_the_signed_answer(world: World) -> None:
    intake = CmpIntake(world.central, clock=lambda: NOW, deferred_issuance=True, check_after=1)
    apply(world, 4)
    client = client_for(world, intake)
    request = client.prepare_p10cr(
        csr(key("notice-deferred")),
        implicit_confirm=False,
        general_info=items(4, jpki_items.CertificateKind.AUTH),
    )
    waiting = lcmp.decode(intake.handle_cmp(request, terminal_cert(world)))
    assert isinstance(waiting.body, lcmp.Cp) and waiting.body.status.status is lcmp.PKIStatus.waiting
    assert pull(client, 0).notices == ()
    assert intake.issue_pending(NOW) == 1
    (notice,) = pull(client, 0).notices
    assert notice.kind == ISSUANCE_DECIDED
    decided = IssuanceDecided.from_payload(notice.payload)
    answer = lcmp.decode(decided.answer)
    assert decided.transaction_id == lcmp.decode(request).header.transaction_id
    assert answer.header.recip_nonce == lcmp.decode(request).header.sender_nonce  # answers the p10cr
    lcmp.SignerTrust((world.central.authority.root.cert,))(answer)  # the central's own signature
    assert isinstance(answer.body, lcmp.Cp) and answer.body.certificate is not None


def test_another_terminal_sees_none_of_them(world: World) -> None:
    issue(world, 5, "notice-d")
    world.central.register_terminal("kiosk-0002", MUNICIPALITY, now=NOW)
    run_maintenance(world.central, NOW + dt.timedelta(days=46))  # 破棄 of kiosk-0001's certificate
    with world.central.transaction() as session:
        assert [n.kind for n in notices.page(session, TERMINAL, 0).notices] == [CERTIFICATE_REVOKED]
        assert notices.page(session, "kiosk-0002", 0).notices == ()
        with pytest.raises(NotFound, match="no terminal"):
            notices.page(session, "kiosk-9999", 0)


def test_gap_free_sequence_and_pruning_after_acknowledgement(world: World, intake: CmpIntake) -> None:
    with world.central.transaction() as session:
        for _ in range(5):
            notices.post(session, TERMINAL, ISSUANCE_DECIDED, {"n": 1}, NOW)
    client = client_for(world, intake)
    page = pull(client, 0)
    assert [n.seq for n in page.notices] == [1, 2, 3, 4, 5]
    months = NOW + dt.timedelta(days=200)
    assert run_maintenance(world.central, months).notices_pruned == 0  # nothing acknowledged yet
    pull(client, 3)  # the terminal applied 1..3
    assert run_maintenance(world.central, months).notices_pruned == 3
    assert [n.seq for n in pull(client, 3).notices] == [4, 5]
    with world.central.transaction() as session:
        assert session.scalar(select(func.count()).select_from(TerminalNotice)) == 2
        notices.post(session, TERMINAL, ISSUANCE_DECIDED, {"n": 2}, NOW)
    assert [n.seq for n in pull(client, 5).notices] == [6]  # numbering continues after pruning
    assert page.notices[0].msg_id != pull(client, 3).notices[0].msg_id


def test_a_page_holds_at_most_page_size(world: World, intake: CmpIntake) -> None:
    with world.central.transaction() as session:
        for _ in range(3):
            notices.post(session, TERMINAL, ISSUANCE_DECIDED, {}, NOW)
        first = notices.page(session, TERMINAL, 0, limit=2)
        rest = notices.page(session, TERMINAL, 2, limit=2)
    assert [n.seq for n in first.notices] == [1, 2] and first.more
    assert [n.seq for n in rest.notices] == [3] and not rest.more


def test_a_cursor_beyond_what_was_sent_restarts(world: World, intake: CmpIntake) -> None:
    with world.central.transaction() as session:
        notices.post(session, TERMINAL, ISSUANCE_DECIDED, {}, NOW)
    client = client_for(world, intake)
    page = pull(client, 40)  # a kiosk database restored from another machine
    assert page.after == 0 and [n.seq for n in page.notices] == [1]


def test_bad_cursor_and_unknown_kind_are_refused(world: World, intake: CmpIntake) -> None:
    client = client_for(world, intake)
    with pytest.raises(lcmp.CmpRejected, match="below zero"):
        pull(client, -1)
    with world.central.transaction() as session, pytest.raises(ValueError, match="unknown notice kind"):
        notices.post(session, TERMINAL, "card.exploded", {}, NOW)
