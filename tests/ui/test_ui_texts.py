"""The UI's word tables hold every code of the lower layers, in the lower layers' own English."""

from __future__ import annotations

import logging

import pytest

from kiosk.domain.pin_rules import PinIssue, PinKind, tries_notice
from kiosk.facecheck.camera import USER_MESSAGE
from kiosk.facecheck.check import TURN_INSTRUCTIONS
from kiosk.facecheck.quality import QualityIssue
from kiosk.reader.session import PinStatus
from kiosk.ui.i18n import Language
from kiosk.ui.texts import (
    CAMERA_UNAVAILABLE_SOURCE,
    GUIDANCE_SOURCE,
    PIN_ISSUE_SOURCE,
    PIN_KIND_SOURCE,
    STAFF_GUIDANCE,
    arg,
    guidance_text,
    pin_issue_text,
    pin_kind_name,
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
