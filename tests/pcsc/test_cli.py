"""`kiosk card info` as staff run it, through the real PC/SC stack."""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509

from cardemu.state import CardState
from cardemu.testpki import TestPki

pytestmark = pytest.mark.pcsc
ROOT = Path(__file__).resolve().parents[2]


def kiosk(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "kiosk", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_card_info_with_trace(inserted) -> None:
    state = CardState.load(inserted("adult"))
    result = kiosk("card", "info", "--trace")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "reader Virtual PCD 00 00: card 3B E0 00 FF 81 31 FE 45 14" in out
    assert "reader Virtual PCD 00 01: no card" in out
    assert "token:  JPKIAPICCTOKEN2" in out
    assert "PIN auth  3 tries left" in out and "PIN sign  5 tries left" in out
    assert "present, readable only after the signing PIN" in out
    serial = x509.load_der_x509_certificate(state.jpki.auth_cert).serial_number
    assert f"serial:   {serial:X}" in out
    assert "> VERIFY AUTH (status): 00 20 00 98" in out
    assert re.search(r"^APDUs:  8$", out, re.MULTILINE)


def test_card_info_short_apdus_counts_chunks(inserted) -> None:
    jpki = CardState.load(inserted("adult")).jpki
    result = kiosk("card", "info", "--short-apdus")
    assert result.returncode == 0, result.stderr
    count = int(re.search(r"^APDUs:  (\d+)$", result.stdout, re.MULTILINE).group(1))
    chunks = sum(math.ceil(len(der) / 256) for der in (jpki.auth_cert, jpki.auth_ca_cert, jpki.sign_ca_cert))
    # SELECT, token, availability, 256-byte chunks, 2 PIN states
    assert count == 3 + chunks + 2


def test_card_info_spends_no_pin_try(inserted) -> None:
    path = inserted("sign_blocked")
    for _ in range(3):
        assert kiosk("card", "info").returncode == 0
    state = CardState.load(path)
    assert (state.jpki.auth_pin.tries_left, state.jpki.sign_pin.tries_left) == (3, 0)
    assert "PIN sign  BLOCKED" in kiosk("card", "info").stdout


def test_no_card_gives_a_plain_message_and_exit_2(pcsc_harness) -> None:
    result = kiosk("card", "info")
    assert result.returncode == 2
    assert "No card found. Insert the My Number card" in result.stderr
    assert "Traceback" not in result.stderr


def test_readers(pcsc_harness) -> None:
    result = kiosk("card", "readers")
    assert result.returncode == 0
    assert result.stdout.count("no card") == 2


def test_card_info_checks_authenticity(inserted, test_pki, tmp_path: Path) -> None:
    inserted("adult")
    genuine = kiosk("card", "info", "--issuer-keys", str(test_pki.write_issuer_trust(tmp_path / "trust")))
    assert genuine.returncode == 0, genuine.stderr
    assert "authenticity: genuine (issuer keys 6000033 / 6000023)" in genuine.stdout
    other = TestPki.create(tmp_path / "other-pki").write_issuer_trust(tmp_path / "other-trust")
    forged = kiosk("card", "info", "--issuer-keys", str(other))
    assert forged.returncode == 3
    assert "authenticity: NOT GENUINE" in forged.stdout
    assert "CV certificate signature invalid" in forged.stdout


def test_very_verbose_logs_the_redacted_traffic(inserted) -> None:
    inserted("adult")
    result = kiosk("-vv", "card", "info")
    assert result.returncode == 0
    assert "TRAFFIC kiosk.reader.traffic: > VERIFY AUTH (status): 00 20 00 98" in result.stderr
    assert "TRAFFIC" not in kiosk("-v", "card", "info").stderr
