"""Unattended PIN reset at the central (docs/unattended.md): tickets and their limits, the card's
proof and the face decision under the reset application, the short-lived authorisation, outcome
reports, the attempts listing — on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import datetime as dt
import logging
import math
import os
from collections.abc import Callable

import pytest
from central_testkit import MUNICIPALITY, NOW, World, application, csr, key
from click.testing import CliRunner
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from sqlalchemy import func, select, update
from unattended_testkit import (
    STORE,
    Scene,
    add_unattended,
    certify,
    reset_data,
    scene,
    sign,
    with_limits,
)

from appdata.model import IdentityCheck, IdentityMethod, Procedure
from appdata.unattended import (
    NONCE_BYTES,
    Outcome,
    Reason,
    Refusal,
    ResetOutcome,
    ResetProof,
    TicketAnswer,
    TicketRequest,
    UnattendedFormatError,
    proof_message,
)
from cardadmin import AdminOp, AdminOperation
from cardadmin.operation import AUTH_PIN, SIGN_PIN
from central import policy, registry
from central.applications import ApplicationRecord
from central.cli import main
from central.enums import ApplicationStatus, CertKind, RevocationReason, TerminalMode, TicketState
from central.errors import AuthorizationRefused, Conflict, NotFound, TerminalNotPermitted
from central.models import AdminAuthorization, Application, Certificate, ResetTicket, Terminal
from central.service import Central
from central.unattended import DEFAULT_SETTINGS, UnattendedSettings

RESET_SIGN_PIN = AdminOperation(AdminOp.RESET_PIN, SIGN_PIN)
RESET_AUTH_PIN = AdminOperation(AdminOp.RESET_PIN, AUTH_PIN)
LATER = dt.timedelta(seconds=1)


def challenge() -> bytes:
    return os.urandom(16)


def rows(central: Central) -> list[tuple[TicketState, str | None]]:
    with central.transaction() as s:
        found = s.execute(select(ResetTicket.state, ResetTicket.refusal).order_by(ResetTicket.requested_at))
        return [(state, refusal) for state, refusal in found]


# -- defaults and settings --------------------------------------------------------------------


def test_defaults_in_one_place() -> None:
    expected = UnattendedSettings(
        tickets_per_card=3,
        card_window=dt.timedelta(hours=24),
        tickets_per_terminal=20,
        terminal_window=dt.timedelta(hours=1),
        ticket_lifetime=dt.timedelta(minutes=10),
        max_face_threshold=0.50,
    )
    assert expected == DEFAULT_SETTINGS


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        ({"tickets_per_card": 0}, "at least 1"),
        ({"tickets_per_terminal": -1}, "at least 1"),
        ({"card_window": dt.timedelta(0)}, "card window must be positive"),
        ({"ticket_lifetime": dt.timedelta(seconds=-1)}, "ticket lifetime must be positive"),
        ({"max_face_threshold": 0.61}, "maximum face threshold"),
        ({"max_face_threshold": math.nan}, "maximum face threshold"),
    ],
)
def test_settings_refuse_nonsense(limits: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        UnattendedSettings(**limits)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["NaN", "-Infinity", "Infinity", "true", '"0.4"'])
def test_proof_face_figures_are_finite_numbers(text: str) -> None:
    """json.loads reads NaN and ±Infinity: an -Infinity distance would pass any threshold."""
    good = ResetProof("t", b"sig", 0.4, 0.5, True).to_json()
    assert ResetProof.from_json(good).face_matched
    with pytest.raises(UnattendedFormatError, match="finite numbers"):
        ResetProof.from_json(good.replace('"face_score": 0.4', f'"face_score": {text}'))


# -- terminal registration --------------------------------------------------------------------


def test_register_unattended_terminal(world: World) -> None:
    central = world.central
    central.register_terminal(
        "store-a", MUNICIPALITY, now=NOW, mode=TerminalMode.UNATTENDED, reset_pins="auth,sign"
    )
    central.register_terminal(
        "store-b", MUNICIPALITY, now=NOW, mode=TerminalMode.UNATTENDED, reset_pins=["sign"]
    )
    with central.transaction() as s:
        found = s.execute(select(Terminal.id, Terminal.mode, Terminal.reset_pins).order_by(Terminal.id)).all()
    assert [tuple(r) for r in found] == [
        (world.terminal_id, TerminalMode.COUNTER, ""),  # existing callers: a counter terminal
        ("store-a", TerminalMode.UNATTENDED, "sign auth"),  # canonical order
        ("store-b", TerminalMode.UNATTENDED, "sign"),
    ]


@pytest.mark.parametrize(
    ("mode", "pins", "message"),
    [
        (TerminalMode.UNATTENDED, "", "at least one PIN"),
        (TerminalMode.UNATTENDED, "sign,juki", "not juki"),
        (TerminalMode.UNATTENDED, "sign sign", "named twice"),
        (TerminalMode.COUNTER, "sign", "counter terminal resets PINs under staff"),
    ],
)
def test_register_refuses_bad_reset_pins(world: World, mode: TerminalMode, pins: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        world.central.register_terminal("store-x", MUNICIPALITY, now=NOW, mode=mode, reset_pins=pins)


# -- tickets ----------------------------------------------------------------------------------


def test_ticket_granted(world: World) -> None:
    sc = scene(world)
    answer = sc.answer
    assert answer.granted and answer.ticket_id is not None and len(answer.ticket_id) == 32
    assert answer.nonce is not None and len(answer.nonce) == NONCE_BYTES
    assert answer.expires_at == NOW + dt.timedelta(minutes=10)
    row = sc.row()
    assert (row.state, row.terminal_id, row.card_id, row.target) == (
        TicketState.OPEN,
        STORE,
        sc.card.hex(),
        "sign",
    )
    assert row.nonce == answer.nonce and row.municipality_code == MUNICIPALITY
    with sc.central.transaction() as s:  # the proof certificate: the card's auth certificate
        cert = s.get(Certificate, row.proof_serial)
        assert cert is not None and cert.kind.value == "auth" and cert.card_id == sc.card.hex()
    assert TicketAnswer.from_json(answer.to_json()) == answer  # as it travels
    # A second ticket is another nonce: nothing is reused across attempts.
    other = sc.ticket()
    assert other.ticket_id != answer.ticket_id and other.nonce != answer.nonce


def _counter_asks(sc: Scene) -> TicketAnswer:
    return sc.ticket(at=sc.counter)


def _pin_not_offered(sc: Scene) -> TicketAnswer:
    add_unattended(sc.central, "store-sign", "sign")
    return sc.ticket("auth", at=World(sc.central, terminal_id="store-sign"))


def _unregistered(sc: Scene) -> TicketAnswer:
    return sc.ticket(card=bytes(16))


def _suspended(sc: Scene) -> TicketAnswer:
    sc.central.suspend_card(sc.card, now=NOW)
    return sc.ticket()


def _abolished(sc: Scene) -> TicketAnswer:
    sc.central.abolish_card(sc.card, now=NOW)
    return sc.ticket()


def _expired_card(sc: Scene) -> TicketAnswer:
    card = sc.counter.card("expired", expiry=dt.date(2026, 3, 31))
    return sc.ticket(card=card)


def _face_auth_card(sc: Scene) -> TicketAnswer:
    card = sc.counter.card("face", face_auth=True)
    certify(sc.counter, card, "u-face")
    return sc.ticket(card=card)


def _no_certificate(sc: Scene) -> TicketAnswer:
    return sc.ticket(card=sc.counter.card("bare"))


def _no_sign_certificate(sc: Scene) -> TicketAnswer:
    return sc.ticket("auth")  # the auth PIN is proven by the signing key, which has no certificate


def _proof_certificate_revoked(sc: Scene) -> TicketAnswer:
    sc.central.revoke(sc.row().proof_serial or "", RevocationReason.UNSPECIFIED, now=NOW)
    return sc.ticket()


def _proof_certificate_not_installed(sc: Scene) -> TicketAnswer:
    card = sc.counter.card("uninstalled")
    record = sc.counter.apply(application(card_id=card, certificates=("auth",)))
    sc.central.issue_certificate(record.id, csr(key("u-uninstalled")), CertKind.AUTH, now=NOW)
    return sc.ticket(card=card)


def _card_limit(sc: Scene) -> TicketAnswer:
    sc.ticket()
    sc.ticket()  # with the scene's own: three in 24 h
    return sc.ticket()


def _terminal_limit(sc: Scene) -> TicketAnswer:
    limited = with_limits(sc.central, tickets_per_terminal=1)  # the scene's ticket is the one
    other = sc.counter.card("second")
    certify(sc.counter, other, "u-second")
    return limited.request_reset_ticket(TicketRequest(other.hex(), "sign"), terminal_id=STORE, now=NOW)


TICKET_REFUSALS: dict[str, tuple[Callable[[Scene], TicketAnswer], Refusal]] = {
    "counter terminal": (_counter_asks, Refusal.TERMINAL_NOT_UNATTENDED),
    "pin not offered": (_pin_not_offered, Refusal.PIN_NOT_OFFERED),
    "unregistered card": (_unregistered, Refusal.CARD_UNREGISTERED),
    "suspended card": (_suspended, Refusal.CARD_NOT_OPERATING),
    "abolished card": (_abolished, Refusal.CARD_NOT_OPERATING),
    "expired card": (_expired_card, Refusal.CARD_NOT_OPERATING),
    "face-auth card": (_face_auth_card, Refusal.FACE_AUTH_CARD),
    "no certificate": (_no_certificate, Refusal.NO_PROOF_CERTIFICATE),
    "no signing certificate": (_no_sign_certificate, Refusal.NO_PROOF_CERTIFICATE),
    "proof certificate revoked": (_proof_certificate_revoked, Refusal.NO_PROOF_CERTIFICATE),
    "proof certificate not installed": (_proof_certificate_not_installed, Refusal.NO_PROOF_CERTIFICATE),
    "card limit": (_card_limit, Refusal.RATE_LIMITED_CARD),
    "terminal limit": (_terminal_limit, Refusal.RATE_LIMITED_TERMINAL),
}


@pytest.mark.parametrize("case", TICKET_REFUSALS, ids=list(TICKET_REFUSALS))
def test_ticket_refusals(world: World, case: str) -> None:
    act, refusal = TICKET_REFUSALS[case]
    sc = scene(world)
    answer = act(sc)
    assert answer == TicketAnswer(refusal=refusal)
    refused = [r for r in rows(sc.central) if r[0] is TicketState.REFUSED]
    assert refused == [(TicketState.REFUSED, refusal.value)]  # the record of why


def test_every_ticket_refusal_is_reachable() -> None:
    at_request = {r for _, r in TICKET_REFUSALS.values()}
    at_application = {r for _, r, _ in APPLICATION_REFUSALS.values() if isinstance(r, Refusal)}
    # CARD_UNREGISTERED cannot arise at the application: the ticket was for a registered card,
    # and the registry deletes none.
    assert at_request | at_application == set(Refusal)


# -- rate limits ------------------------------------------------------------------------------


def test_card_limit_is_rolling_and_counts_only_opened_tickets(world: World) -> None:
    sc = scene(world)  # ticket 1 at NOW
    second = add_unattended(sc.central, "store-0002")
    for _ in range(5):  # refusals (a counter terminal asking) never count
        assert sc.ticket(at=sc.counter).refusal is Refusal.TERMINAL_NOT_UNATTENDED
    assert sc.ticket(at=second, now=NOW + dt.timedelta(hours=1)).granted  # 2, another terminal
    assert sc.ticket(now=NOW + dt.timedelta(hours=2)).granted  # 3
    for hours in (3, 23):  # and a refused one does not prolong the lock-out
        assert sc.ticket(now=NOW + dt.timedelta(hours=hours)).refusal is Refusal.RATE_LIMITED_CARD
    assert sc.ticket(now=NOW + dt.timedelta(hours=24)).granted  # ticket 1 left the window
    assert sc.ticket(now=NOW + dt.timedelta(hours=24) + LATER).refusal is Refusal.RATE_LIMITED_CARD
    # Another card is not affected.
    other = sc.counter.card("other")
    certify(sc.counter, other, "u-other")
    assert sc.ticket(card=other, now=NOW + dt.timedelta(hours=3)).granted


def test_terminal_limit_is_rolling_and_per_terminal(world: World) -> None:
    sc = scene(world)
    central = with_limits(sc.central, tickets_per_terminal=2, tickets_per_card=10)
    cards = [sc.card]
    for n in range(2):
        cards.append(sc.counter.card(f"c{n}"))
        certify(sc.counter, cards[-1], f"u-c{n}")

    def ask(card: bytes, at: str, minutes: float) -> TicketAnswer:
        when = NOW + dt.timedelta(minutes=minutes)
        return central.request_reset_ticket(TicketRequest(card.hex(), "sign"), terminal_id=at, now=when)

    assert ask(cards[1], STORE, 10).granted  # the scene's ticket at NOW is the first
    assert ask(cards[2], STORE, 20).refusal is Refusal.RATE_LIMITED_TERMINAL
    add_unattended(sc.central, "store-0002")
    assert ask(cards[2], "store-0002", 20).granted  # another terminal has its own count
    assert ask(cards[2], STORE, 60).granted  # the NOW ticket left the hour
    assert ask(cards[0], STORE, 65).refusal is Refusal.RATE_LIMITED_TERMINAL


# -- the reset application --------------------------------------------------------------------


def test_reset_approved_authorised_once_and_reported(world: World) -> None:
    sc = scene(world)
    record = sc.apply()
    assert record.approved and record.identity_method == "other_pin_and_face"
    assert record.operations == ("03:001B",)  # RESET PIN of the signing PIN, nothing else
    row = sc.row()
    assert (row.state, row.application_id, row.refusal, row.used_at) == (
        TicketState.USED,
        record.id,
        None,
        NOW,
    )

    card, ch = sc.card, challenge()
    auth = sc.central.authorize
    response = auth(card, ch, RESET_SIGN_PIN, record.id, terminal_id=STORE, now=NOW + LATER)
    assert (
        auth(card, ch, RESET_SIGN_PIN, record.id, terminal_id=STORE, now=NOW + LATER) == response
    )  # re-sent
    with pytest.raises(AuthorizationRefused, match="already-used"):  # single use
        auth(card, challenge(), RESET_SIGN_PIN, record.id, terminal_id=STORE, now=NOW + LATER)
    with pytest.raises(AuthorizationRefused, match="operation-not-named"):  # only the ticket's PIN
        auth(card, challenge(), RESET_AUTH_PIN, record.id, terminal_id=STORE, now=NOW + LATER)

    report = ResetOutcome(row.id, Outcome.COMPLETED)
    sc.central.record_reset_outcome(report, terminal_id=STORE, now=NOW + 2 * LATER)
    sc.central.record_reset_outcome(report, terminal_id=STORE, now=NOW + 3 * LATER)  # resent: accepted
    row = sc.row()
    assert (row.outcome, row.outcome_reason, row.reported_at) == (Outcome.COMPLETED, None, NOW + 2 * LATER)
    [attempt] = sc.central.reset_attempts()
    assert attempt.status(NOW + dt.timedelta(days=1)) == "completed"
    assert attempt.application_status is ApplicationStatus.APPROVED


def test_auth_pin_reset_is_proven_by_the_signing_key(world: World) -> None:
    sc = scene(world, kinds=("auth", "sign"))
    answer = sc.ticket("auth")
    proof = sign(sc.keys["sign"], answer, sc.card, target="auth")
    assert sc.apply(proof, reset_data(sc.card, "auth")).approved
    # … and the auth key does not prove the auth PIN.
    answer = sc.ticket("auth")
    proof = sign(sc.keys["auth"], answer, sc.card, target="auth")
    rejected = sc.apply(proof, reset_data(sc.card, "auth"))
    assert rejected.rejection == f"proof-invalid ({policy.RULE_UNATTENDED_PROOF})"


# Each case sends one application and says what the central answers and what becomes of the
# scene's ticket: "used" (this attempt spent it, refusal recorded), "open" (untouched), or
# "first" (spent already by an earlier application, which stays bound).
Case = Callable[[Scene], ApplicationRecord]
MATCH_LIVE = (0.40, 0.50, True)


def _unknown_ticket(sc: Scene) -> ApplicationRecord:
    proof = sc.proof()
    return sc.apply(ResetProof("00" * 16, proof.signature, *MATCH_LIVE))


def _refused_rows_id(sc: Scene) -> ApplicationRecord:
    sc.ticket(at=sc.counter)
    with sc.central.transaction() as s:
        refused = s.scalars(select(ResetTicket.id).where(ResetTicket.state == TicketState.REFUSED)).one()
    return sc.apply(ResetProof(refused, sc.proof().signature, *MATCH_LIVE))


def _other_terminal(sc: Scene) -> ApplicationRecord:
    other = add_unattended(sc.central, "store-0002")
    return sc.apply(sc.proof(terminal_id="store-0002"), at=other)


def _other_card(sc: Scene) -> ApplicationRecord:
    other = sc.counter.card("other")
    return sc.apply(data=reset_data(other))


def _other_pin(sc: Scene) -> ApplicationRecord:
    return sc.apply(sc.proof(target="auth"), reset_data(sc.card, "auth"))


def _two_pins(sc: Scene) -> ApplicationRecord:
    return sc.apply(data=reset_data(sc.card, pin_targets=("sign", "auth")))


def _expired_ticket(sc: Scene) -> ApplicationRecord:
    return sc.apply(now=NOW + dt.timedelta(minutes=10))


def _used_ticket(sc: Scene) -> ApplicationRecord:
    assert sc.apply().approved
    return sc.apply()


def _reported_ticket(sc: Scene) -> ApplicationRecord:
    report = ResetOutcome(sc.answer.ticket_id or "", Outcome.REFERRED, Reason.FACE_MISMATCH)
    sc.central.record_reset_outcome(report, terminal_id=STORE, now=NOW)
    return sc.apply()


def _foreign_key(sc: Scene) -> ApplicationRecord:
    return sc.apply(sign(key("u-stranger"), sc.answer, sc.card))


def _wrong_nonce(sc: Scene) -> ApplicationRecord:
    forged = TicketAnswer(sc.answer.ticket_id, os.urandom(NONCE_BYTES), sc.answer.expires_at)
    return sc.apply(sign(sc.keys["auth"], forged, sc.card))


def _signed_for_another_terminal(sc: Scene) -> ApplicationRecord:
    return sc.apply(sc.proof(terminal_id="store-0002"))


def _tampered_signature(sc: Scene) -> ApplicationRecord:
    proof = sc.proof()
    flipped = proof.signature[:-1] + bytes([proof.signature[-1] ^ 1])
    return sc.apply(ResetProof(proof.ticket_id, flipped, *MATCH_LIVE))


def _not_pkcs1v15(sc: Scene) -> ApplicationRecord:
    assert sc.answer.ticket_id is not None and sc.answer.nonce is not None
    message = proof_message(sc.answer.ticket_id, sc.answer.nonce, sc.card.hex(), "sign", STORE)
    pss = padding.PSS(padding.MGF1(hashes.SHA256()), padding.PSS.MAX_LENGTH)
    return sc.apply(
        ResetProof(sc.answer.ticket_id, sc.keys["auth"].sign(message, pss, hashes.SHA256()), *MATCH_LIVE)
    )


def _face_above_threshold(sc: Scene) -> ApplicationRecord:
    return sc.apply(sc.proof(face=(0.51, 0.50)))


def _liveness_failed(sc: Scene) -> ApplicationRecord:
    return sc.apply(sc.proof(live=False))


def _threshold_too_lax(sc: Scene) -> ApplicationRecord:
    return sc.apply(sc.proof(face=(0.55, 0.60)))  # a "match" by a laxer kiosk


def _score_not_finite(sc: Scene) -> ApplicationRecord:
    return sc.apply(sc.proof(face=(-math.inf, 0.50)))


def _suspended_since(sc: Scene) -> ApplicationRecord:
    sc.central.suspend_card(sc.card, now=NOW)
    return sc.apply()


def _face_auth_since(sc: Scene) -> ApplicationRecord:
    with sc.central.transaction() as s:
        registry.switch_to_face_auth(s, sc.central.authority, sc.card, NOW)
    return sc.apply()


def _proof_certificate_revoked_since(sc: Scene) -> ApplicationRecord:
    sc.central.revoke(sc.row().proof_serial or "", RevocationReason.KEY_COMPROMISE, now=NOW)
    return sc.apply()


def _operator_present(sc: Scene) -> ApplicationRecord:
    return sc.apply(data=reset_data(sc.card, operator="staff-042"))


APPLICATION_REFUSALS: dict[str, tuple[Case, Refusal | str, str]] = {
    "unknown ticket": (_unknown_ticket, Refusal.TICKET_UNKNOWN, "open"),
    "a refused request's id": (_refused_rows_id, Refusal.TICKET_UNKNOWN, "open"),
    "another terminal's ticket": (_other_terminal, Refusal.TICKET_MISMATCH, "open"),
    "another card's ticket": (_other_card, Refusal.TICKET_MISMATCH, "open"),
    "another PIN than the ticket's": (_other_pin, Refusal.TICKET_MISMATCH, "used"),
    "two PINs": (_two_pins, Refusal.TICKET_MISMATCH, "used"),
    "expired ticket": (_expired_ticket, Refusal.TICKET_EXPIRED, "used"),
    "used ticket": (_used_ticket, Refusal.TICKET_USED, "first"),
    "reported ticket": (_reported_ticket, Refusal.TICKET_USED, "open"),
    "a key not the card's": (_foreign_key, Refusal.PROOF_INVALID, "used"),
    "wrong nonce": (_wrong_nonce, Refusal.PROOF_INVALID, "used"),
    "signed for another terminal": (_signed_for_another_terminal, Refusal.PROOF_INVALID, "used"),
    "tampered signature": (_tampered_signature, Refusal.PROOF_INVALID, "used"),
    "PSS, not PKCS#1 v1.5": (_not_pkcs1v15, Refusal.PROOF_INVALID, "used"),
    "face above threshold": (_face_above_threshold, Refusal.FACE_NOT_MATCHED, "used"),
    "liveness failed": (_liveness_failed, Refusal.FACE_NOT_MATCHED, "used"),
    "threshold laxer than 0.50": (_threshold_too_lax, Refusal.FACE_NOT_MATCHED, "used"),
    "score not finite": (_score_not_finite, Refusal.FACE_NOT_MATCHED, "used"),
    "card suspended since": (_suspended_since, Refusal.CARD_NOT_OPERATING, "used"),
    "face-auth card since": (_face_auth_since, Refusal.FACE_AUTH_CARD, "used"),
    "proof certificate revoked since": (
        _proof_certificate_revoked_since,
        Refusal.NO_PROOF_CERTIFICATE,
        "used",
    ),
    "operator present": (_operator_present, "unattended-operator", "used"),
}


@pytest.mark.parametrize("case", APPLICATION_REFUSALS, ids=list(APPLICATION_REFUSALS))
def test_application_refusals(world: World, case: str) -> None:
    act, refusal, ticket = APPLICATION_REFUSALS[case]
    code = refusal.value if isinstance(refusal, Refusal) else refusal
    sc = scene(world)
    record = act(sc)
    assert record.status is ApplicationStatus.REJECTED
    assert record.rejection is not None and record.rejection.startswith(f"{code} (")
    row = sc.row()
    if ticket == "used":
        assert (row.state, row.application_id, row.refusal) == (TicketState.USED, record.id, code)
    elif ticket == "open":
        assert (row.state, row.application_id, row.refusal) == (TicketState.OPEN, None, None)
    else:
        assert row.state is TicketState.USED and row.application_id != record.id and row.refusal is None
    # A rejected application unlocks nothing.
    with pytest.raises(AuthorizationRefused, match="application-not-approved"):
        sc.central.authorize(sc.card, challenge(), RESET_SIGN_PIN, record.id, terminal_id=STORE, now=NOW)


def test_applications_the_terminal_mode_does_not_allow(world: World) -> None:
    """Refused before anything is stored: what an unattended terminal may not file at all, and the
    unattended route from a counter terminal."""
    sc = scene(world)
    not_allowed = [
        (sc.store, application(Procedure.NEW_ISSUANCE, card_id=sc.card, operator=""), sc.proof()),
        (sc.store, reset_data(sc.card, identity_check=IdentityCheck(IdentityMethod.PHOTO_ID)), sc.proof()),
        (sc.store, reset_data(sc.card, identity_check=None), sc.proof()),
        (sc.store, reset_data(sc.card), None),  # without its proof
        (sc.counter, reset_data(sc.card), None),  # other_pin_and_face at a counter terminal
        (sc.counter, application(Procedure.PIN_RESET, card_id=sc.card, pin_targets=("sign",)), sc.proof()),
    ]
    for terminal, data, proof in not_allowed:
        with pytest.raises(TerminalNotPermitted):
            sc.central.receive_application(
                terminal.seal(data, now=NOW), terminal_id=terminal.terminal_id, proof=proof, now=NOW
            )
    with sc.central.transaction() as s:
        assert (
            s.scalar(select(func.count()).select_from(Application).where(Application.kind == "pin_reset"))
            == 0
        )
    assert sc.row().state is TicketState.OPEN  # untouched
    # The counter's own PIN reset is unchanged.
    counter = application(Procedure.PIN_RESET, card_id=sc.card, pin_targets=("sign",))
    assert sc.counter.apply(counter).approved


# -- the authorisation lasts as long as the ticket ---------------------------------------------


def test_authorisation_ends_with_the_ticket(world: World) -> None:
    sc = scene(world)
    record = sc.apply()
    expires = sc.answer.expires_at
    assert expires is not None
    with pytest.raises(AuthorizationRefused, match="ticket-expired"):
        sc.central.authorize(sc.card, challenge(), RESET_SIGN_PIN, record.id, terminal_id=STORE, now=expires)
    assert sc.central.authorize(
        sc.card, challenge(), RESET_SIGN_PIN, record.id, terminal_id=STORE, now=expires - LATER
    )
    # Granted once; the same challenge after expiry is refused too (the grant is not repeated).
    with sc.central.transaction() as s:
        logged = s.execute(
            select(AdminAuthorization.outcome, AdminAuthorization.reason).order_by(AdminAuthorization.id)
        ).all()
    assert [(o.value, r) for o, r in logged][-2:] == [("refused", "ticket-expired"), ("granted", None)]


def test_authorisation_ends_with_the_report(world: World) -> None:
    sc = scene(world)
    record = sc.apply()
    report = ResetOutcome(sc.answer.ticket_id or "", Outcome.REFERRED, Reason.CARD_REMOVED)
    sc.central.record_reset_outcome(report, terminal_id=STORE, now=NOW)
    with pytest.raises(AuthorizationRefused, match="attempt-ended"):
        sc.central.authorize(sc.card, challenge(), RESET_SIGN_PIN, record.id, terminal_id=STORE, now=NOW)


def test_unattended_terminal_only_resets_under_a_ticket(world: World) -> None:
    """Defence in depth: an approved PIN reset without a ticket (here: a counter terminal turned
    unattended behind the central's back) unlocks nothing at an unattended terminal."""
    card = world.card()
    record = world.apply(application(Procedure.PIN_RESET, card_id=card, pin_targets=("sign",)))
    with world.central.transaction() as s:
        s.execute(
            update(Terminal)
            .where(Terminal.id == world.terminal_id)
            .values(mode="unattended", reset_pins="sign")
        )
    with pytest.raises(AuthorizationRefused, match="not-an-unattended-reset"):
        world.central.authorize(
            card, challenge(), RESET_SIGN_PIN, record.id, terminal_id=world.terminal_id, now=NOW
        )


# -- outcome reports and the listing -----------------------------------------------------------


def test_outcome_reports(world: World) -> None:
    sc = scene(world)
    ticket_id = sc.answer.ticket_id or ""
    record = sc.central.record_reset_outcome
    with pytest.raises(NotFound):
        record(ResetOutcome("00" * 16, Outcome.REFERRED, Reason.CANCELLED), terminal_id=STORE, now=NOW)
    other = add_unattended(sc.central, "store-0002")
    with pytest.raises(TerminalNotPermitted):
        record(
            ResetOutcome(ticket_id, Outcome.REFERRED, Reason.CANCELLED),
            terminal_id=other.terminal_id,
            now=NOW,
        )
    with pytest.raises(Conflict, match="no approved and authorised reset"):  # nothing was reset
        record(ResetOutcome(ticket_id, Outcome.COMPLETED), terminal_id=STORE, now=NOW)
    refused = ResetOutcome(ticket_id, Outcome.REFERRED, Reason.CENTRAL_REFUSED, Refusal.FACE_NOT_MATCHED)
    record(refused, terminal_id=STORE, now=NOW + LATER)
    record(refused, terminal_id=STORE, now=NOW + 2 * LATER)  # the outbox resent it
    with pytest.raises(Conflict, match="another outcome"):
        record(ResetOutcome(ticket_id, Outcome.REFERRED, Reason.CANCELLED), terminal_id=STORE, now=NOW)
    row = sc.row()
    assert (row.outcome, row.outcome_reason, row.outcome_refusal, row.reported_at) == (
        Outcome.REFERRED,
        "central-refused",
        "face-not-matched",
        NOW + LATER,
    )


def test_listing_shows_unreported_tickets_expired(world: World) -> None:
    sc = scene(world)
    sc.ticket(at=sc.counter)  # refused
    used = sc.ticket()
    sc.apply(sign(sc.keys["auth"], used, sc.card))
    attempts = {a.ticket_id: a for a in sc.central.reset_attempts()}
    assert len(attempts) == 3
    first, second = attempts[sc.answer.ticket_id or ""], attempts[used.ticket_id or ""]
    assert [first.status(NOW), second.status(NOW)] == ["open", "used"]
    expired = NOW + dt.timedelta(minutes=10)
    assert [first.status(expired), second.status(expired)] == ["expired", "expired"]
    [refused] = [a for a in attempts.values() if a.state is TicketState.REFUSED]
    assert (refused.status(NOW), refused.refusal, refused.terminal_id) == (
        "refused",
        "terminal-not-unattended",
        world.terminal_id,
    )
    assert second.application_status is ApplicationStatus.APPROVED
    # Filters: the terminal's municipality, the terminal, the card, JST days.
    central = sc.central
    assert len(central.reset_attempts(terminal_id=STORE)) == 2
    assert len(central.reset_attempts(card_id=sc.card.hex())) == 3
    assert central.reset_attempts(municipality="27203") == []
    assert len(central.reset_attempts(since=dt.date(2026, 4, 1), until=dt.date(2026, 4, 1))) == 3
    assert central.reset_attempts(since=dt.date(2026, 4, 2)) == []


def test_logs_carry_no_nonce_signature_or_face_figures(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sc = scene(world)
    proof = sc.proof(face=(0.4321, 0.50))
    record = sc.apply(proof)
    sc.central.authorize(sc.card, challenge(), RESET_SIGN_PIN, record.id, terminal_id=STORE, now=NOW)
    sc.central.record_reset_outcome(
        ResetOutcome(proof.ticket_id, Outcome.COMPLETED), terminal_id=STORE, now=NOW
    )
    sc.apply(sc.proof(live=False), now=NOW)  # a refusal's log lines too
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert proof.ticket_id in text  # the identifiers are there …
    nonce = sc.answer.nonce or b""
    for secret in (nonce, proof.signature):  # … the secrets are not, in any spelling
        assert secret.hex() not in text and base64.b64encode(secret).decode() not in text
    assert "0.4321" not in text


# -- CLI ----------------------------------------------------------------------------------------


def test_cli_registers_unattended_terminals(world: World, db_url: str) -> None:
    runner = CliRunner()
    ca_dir = str(world.central.authority.directory)

    def register(*args: str) -> tuple[int, str]:
        base = ["terminal", "register", "--url", db_url, "--ca-dir", ca_dir, "--municipality", MUNICIPALITY]
        result = runner.invoke(main, [*base, *args])
        return result.exit_code, result.output

    code, output = register("--mode", "unattended", "--reset-pins", "auth,sign", STORE)
    assert code == 0, output
    registered, secret = output.splitlines()
    assert registered == f"terminal {STORE} registered (unattended: resets sign auth)"
    assert secret.startswith("bootstrap secret (shown once; give it to the installer): ")
    for args, message in [
        (("--mode", "unattended", "store-x"), "at least one PIN"),
        (("--reset-pins", "sign", "store-x"), "counter terminal resets PINs under staff"),
        (("--mode", "unattended", "--reset-pins", "sign,puk", "store-x"), "not puk"),
        (("--mode", "robot", "store-x"), "Invalid value for '--mode'"),
    ]:
        code, output = register(*args)
        assert code != 0 and message in output, output
    with world.central.transaction() as s:
        assert s.get(Terminal, "store-x") is None


def test_cli_serve_refuses_bad_limits(world: World, db_url: str) -> None:
    ca_dir = str(world.central.authority.directory)
    for option, value, message in [
        ("--reset-tickets-per-card", "0", "ticket limits are at least 1"),
        ("--reset-ticket-minutes", "0", "ticket lifetime must be positive"),
        ("--reset-card-window-hours", "-1", "card window must be positive"),
    ]:
        result = CliRunner().invoke(main, ["serve", "--url", db_url, "--ca-dir", ca_dir, option, value])
        assert result.exit_code == 2 and f"unattended reset limits: {message}" in result.output, result.output


def test_cli_lists_attempts(world: World, db_url: str) -> None:
    sc = scene(world)
    sc.apply(sc.proof(live=False))
    sc.ticket(at=sc.counter, now=NOW + LATER)  # listed after the scene's ticket
    runner = CliRunner()
    result = runner.invoke(main, ["reset-attempts", "--url", db_url, "--card", sc.card.hex()])
    assert result.exit_code == 0, result.output
    header, used, refused = result.output.splitlines()
    assert header.split()[:3] == ["requested", "(JST)", "ticket"]
    assert sc.answer.ticket_id in used and "2026-04-01 10:00:00" in used and STORE in used
    assert "face-not-matched" in used and "(rejected)" in used and "expired" in used
    assert "terminal-not-unattended" in refused and " refused " in refused
    nonce = sc.answer.nonce or b""
    assert nonce.hex() not in result.output and base64.b64encode(nonce).decode() not in result.output
    result = runner.invoke(main, ["reset-attempts", "--url", db_url, "--terminal", "nobody"])
    assert result.output.splitlines()[1:] == []
    result = runner.invoke(main, ["reset-attempts", "--url", db_url, "--card", "xyz"])
    assert result.exit_code != 0 and "--card" in result.output
