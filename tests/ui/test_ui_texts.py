"""The UI's word tables hold every code of the lower layers, in the lower layers' own English."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from enum import Enum

import pytest

from kiosk.domain import eligibility, identity, procedures
from kiosk.domain.pin_rules import PinIssue, PinKind, tries_notice
from kiosk.domain.procedures import Availability, Decision, Item, Procedure
from kiosk.facecheck.camera import USER_MESSAGE
from kiosk.facecheck.check import TURN_INSTRUCTIONS
from kiosk.facecheck.quality import QualityIssue
from kiosk.reader.session import PinStatus
from kiosk.ui.counter import reason_text
from kiosk.ui.i18n import Language
from kiosk.ui.texts import (
    CAMERA_UNAVAILABLE_SOURCE,
    CHECK_SOURCE,
    ELIGIBILITY_REASON_SOURCE,
    GUIDANCE_SOURCE,
    IDENTITY_REFUSAL_SOURCE,
    PIN_ISSUE_SOURCE,
    PIN_KIND_SOURCE,
    PREFLIGHT_REASON_SOURCE,
    STAFF_GUIDANCE,
    arg,
    check_text,
    eligibility_reason_text,
    guidance_text,
    identity_refusal_text,
    pin_issue_text,
    pin_kind_name,
    preflight_reason_text,
    tries_text,
)


def test_every_pin_issue_and_kind_keeps_the_domain_english(qapp) -> None:
    assert set(PIN_ISSUE_SOURCE) == set(PinIssue)
    for issue in PinIssue:
        assert PIN_ISSUE_SOURCE[issue] == issue.message
        assert pin_issue_text(issue) == issue.message  # no translator: the source
    assert set(PIN_KIND_SOURCE) == set(PinKind)
    for kind in PinKind:
        assert pin_kind_name(kind) == kind.label


def test_every_guidance_code_of_the_face_check_has_its_words(qapp) -> None:
    for issue in QualityIssue:
        assert GUIDANCE_SOURCE[issue.code] == issue.instruction
    for code, english in TURN_INSTRUCTIONS.values():
        assert GUIDANCE_SOURCE[code] == english
    # Written in check.py as literals (not importable): held here by their codes.
    assert GUIDANCE_SOURCE["hold_still"] == "Please hold still."
    assert GUIDANCE_SOURCE["face_camera"] == "Please face the camera again."
    assert {issue.code for issue in QualityIssue if issue.needs_staff} == STAFF_GUIDANCE
    assert CAMERA_UNAVAILABLE_SOURCE == USER_MESSAGE


def test_an_unknown_guidance_code_shows_the_checks_english(qapp, caplog) -> None:
    with caplog.at_level(logging.WARNING):
        assert guidance_text("new_code", "Please smile.") == "Please smile."
    assert "new_code" in caplog.text


def _statuses(kind: PinKind) -> list[PinStatus]:
    top = kind.format.max_tries
    return [PinStatus(n) for n in range(top + 1)] + [PinStatus(None), PinStatus(0, blocked=True)]


@pytest.mark.parametrize("kind", list(PinKind))
@pytest.mark.parametrize("other_blocked", [False, True])
def test_tries_text_in_english_is_the_domain_message(qapp, kind: PinKind, other_blocked: bool) -> None:
    """Whole sentences rebuilt from the notice's fields say exactly what the domain says."""
    for status in _statuses(kind):
        notice = tries_notice(kind, status, other_pin_blocked=other_blocked)
        assert tries_text(kind, notice) == notice.message, status


def test_tries_text_in_japanese_names_the_pins(qapp, translations) -> None:
    translations.switch(Language.JA)
    warning = tries_text(PinKind.SIGN, tries_notice(PinKind.SIGN, PinStatus(1)))
    assert warning is not None
    assert "署名用電子証明書のパスワード" in warning and "利用者証明用電子証明書の暗証番号" in warning
    assert "%" not in warning
    normal = tries_text(PinKind.AUTH, tries_notice(PinKind.AUTH, PinStatus(2)))
    assert normal == "利用者証明用電子証明書の暗証番号の残りの入力回数は2回です。"
    counter_only = tries_text(PinKind.JUKI, tries_notice(PinKind.JUKI, PinStatus(0, blocked=True)))
    assert counter_only is not None and "リセット端末" not in counter_only


def test_arg_fills_markers_in_one_pass() -> None:
    assert arg("%1 then %2", "a%2", "b") == "a%2 then b"
    assert arg("%2, %1", "x", "y") == "y, x"


# -- reasons: the pre-flight, who may apply, the identity check -----------------------------------

# A bracketed Japanese term in the domain's English: the official term the translation keeps.
_TERM = re.compile(r"\(([^()]*[\u3040-\u30ff\u4e00-\u9fff][^()]*)\)")
# The 要綱's short name of the card, and its public name that residents know.
_RENDERINGS = {"顔認証カード": ("顔認証カード", "顔認証マイナンバーカード")}


def _bracketed_terms(english: str) -> list[str]:
    return _TERM.findall(english)


def _identity_term(refusal: identity.Refusal) -> list[str]:
    # The legal term, less its "cannot accept" tag, which the sentence says in words.
    return [refusal.japanese.removesuffix("（受付不可）")]


_REASONS = [
    pytest.param(
        PREFLIGHT_REASON_SOURCE,
        procedures.Reason,
        lambda r: r.text,
        preflight_reason_text,
        lambda r: _bracketed_terms(r.text),
        id="preflight",
    ),
    pytest.param(
        ELIGIBILITY_REASON_SOURCE,
        eligibility.Reason,
        lambda r: r.text,
        eligibility_reason_text,
        lambda r: _bracketed_terms(r.text),
        id="eligibility",
    ),
    pytest.param(
        CHECK_SOURCE,
        eligibility.Check,
        lambda c: c.text,
        check_text,
        lambda c: _bracketed_terms(c.text),
        id="check",
    ),
    pytest.param(
        IDENTITY_REFUSAL_SOURCE,
        identity.Refusal,
        lambda r: r.english,
        identity_refusal_text,
        _identity_term,
        id="identity",
    ),
]
_REASON_ARGS = ("table", "codes", "english", "text", "terms")

Text = Callable[[Enum], str]


@pytest.mark.parametrize(_REASON_ARGS, _REASONS)
def test_every_reason_keeps_the_domain_english(
    qapp, table: Mapping[Enum, str], codes: type[Enum], english: Text, text: Text, terms: object
) -> None:
    assert set(table) == set(codes)
    for code in codes:
        assert table[code] == english(code), code
        assert text(code) == english(code), code  # no translator: the source


@pytest.mark.parametrize(_REASON_ARGS, _REASONS)
def test_every_reason_in_japanese_keeps_the_official_terms(
    qapp,
    translations,
    table: object,
    codes: type[Enum],
    english: Text,
    text: Text,
    terms: Callable[[Enum], list[str]],
) -> None:
    translations.switch(Language.JA)
    for code in codes:
        japanese = text(code)
        assert japanese != english(code), f"{code} has no Japanese"
        for term in terms(code):
            assert any(t in japanese for t in _RENDERINGS.get(term, (term,))), (code, term, japanese)


def test_the_official_terms_are_found_in_the_english() -> None:
    """The term check above has terms to check: a bracket lost from the domain's English (or a
    pattern that matches nothing) would make it pass on anything."""
    reason = procedures.Reason.SWITCH_REVOKES_SIGNING
    assert _bracketed_terms(reason.text) == ["署名用電子証明書の失効"]
    assert _bracketed_terms(eligibility.Check.PARENTAL_AUTHORITY.text) == ["親権者", "戸籍謄本", "市の公簿"]
    assert _bracketed_terms("(1111, 1212) and (ABC123)") == []
    assert _identity_term(identity.Refusal.CHIP_SURFACE_MISMATCH) == [
        "券面事項確認情報と券面記載事項の不一致"
    ]


def test_the_menu_shows_the_first_reason_translated(qapp, translations) -> None:
    first, second = procedures.Reason.FACE_AUTH_PIN_LOCKED, procedures.Reason.LAST_TRY
    decision = Decision(Item(Procedure.PIN_CHANGE, PinKind.AUTH), Availability.NOT_OFFERED, (first, second))
    assert reason_text(decision) == first.text
    translations.switch(Language.JA)
    assert reason_text(decision) == preflight_reason_text(first)
    assert "顔認証マイナンバーカード" in reason_text(decision)
