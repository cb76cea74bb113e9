"""The face check's reference comes from the card: the 券面事項確認AP photo read through
pyscard → pcscd → vpcd → the software card, then matched against a camera clip in the matcher
process (規則 64条の5 第2号)."""

from __future__ import annotations

import io
import random
from collections.abc import Callable
from pathlib import Path

import pytest

import facekit
from cardemu.residents import ADULT, resident_specs
from kiosk import cli
from kiosk.domain.secret import Secret
from kiosk.facecheck.camera import Capture
from kiosk.facecheck.check import Outcome
from kiosk.facecheck.matcher import ProcessMatcher
from kiosk.facecheck.worker import FaceCheckWorker
from kiosk.flows.face import read_card_photo
from kiosk.reader.errors import InvalidPin
from kiosk.reader.pcsc import open_card
from kiosk.reader.trace import ApduTrace
from kiosk.reader.transport import Transport

pytestmark = pytest.mark.pcsc  # the marker in tests/pcsc/conftest.py does not reach test modules


def test_the_card_photo_read_over_pcsc_matches_its_holder_on_camera(
    inserted: Callable[[str], Path], tmp_path: Path
) -> None:
    inserted(ADULT)
    trace = ApduTrace(keep=True)
    code_b = Secret.from_ascii(resident_specs()[ADULT].pin_b)
    with open_card() as connection:
        photo = read_card_photo(Transport(connection, trace), code_b)
    assert bytes(photo) == (facekit.FACESET / "obama-card.jp2").read_bytes()
    assert not any(photo[:64].hex(" ").upper() in line for line in trace.lines)  # the trace redacts it
    assert any("VERIFY CODE_B" in line for line in trace.lines)

    clip = facekit.live_clip(tmp_path / "holder.avi", "obama", (), frames=10)
    with ProcessMatcher() as matcher, Capture(str(clip), realtime=False) as capture:
        worker = FaceCheckWorker(capture, matcher, photo, liveness_required=False, rng=random.Random(1))
        photo[:] = bytes(len(photo))  # the worker holds its own copy until the matcher has it
        decision = worker.start().wait(timeout=60)
    assert decision.outcome is Outcome.MATCHED, decision


def test_a_wrong_code_b_reads_no_photo(inserted: Callable[[str], Path]) -> None:
    inserted(ADULT)
    with open_card() as connection, pytest.raises(InvalidPin) as caught:
        read_card_photo(Transport(connection), Secret.from_ascii("0" * 14))
    assert caught.value.tries_left >= 1


def test_kiosk_face_check_command_reads_the_card_and_decides(
    inserted: Callable[[str], Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    inserted(ADULT)
    clip = facekit.live_clip(tmp_path / "holder.avi", "obama", (), frames=10)
    command = ["face", "check", "--camera", str(clip), "--code-b-stdin", "--no-realtime", "--no-liveness"]
    monkeypatch.setattr("sys.stdin", io.StringIO(resident_specs()[ADULT].pin_b + "\n"))
    assert cli.main(command) == 0
    out = capsys.readouterr().out
    assert "card photo read" in out and "decision: matched" in out and "next: accept" in out

    monkeypatch.setattr("sys.stdin", io.StringIO("0" * 14 + "\n"))
    assert cli.main(command) == 3
    assert "照合番号B is not right" in capsys.readouterr().err
