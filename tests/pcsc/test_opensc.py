"""Real OpenSC against the software card (CARD.md §12.3): it must take it for a My Number card."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from cardemu.residents import AUTH_PIN, SIGN_PIN
from cardemu.state import CardState

pytestmark = pytest.mark.pcsc

PKCS11 = next(
    (
        p
        for p in (
            Path("/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so"),
            Path("/usr/lib/aarch64-linux-gnu/opensc-pkcs11.so"),
        )
        if p.exists()
    ),
    None,
)


def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )
    return result


@pytest.fixture(autouse=True)
def _opensc_installed() -> None:
    if shutil.which("pkcs15-tool") is None or PKCS11 is None:
        pytest.fail("OpenSC is not installed (./run test installs it)")


def test_opensc_picks_the_jpki_driver(inserted) -> None:
    inserted("adult")
    assert run("opensc-tool", "-r", "0", "-n").stdout.strip() == "jpki"
    atr = run("opensc-tool", "-r", "0", "-a").stdout.strip()
    assert atr == "3b:e0:00:ff:81:31:fe:45:14"


def test_pkcs15_lists_four_certificates_and_two_pins(inserted) -> None:
    inserted("adult")
    certs = run("pkcs15-tool", "--reader", "0", "--list-certificates").stdout
    assert len(re.findall(r"X\.509 Certificate", certs)) == 4
    pins = run("pkcs15-tool", "--reader", "0", "--list-pins").stdout
    assert re.findall(r"Tries left\s*:\s*(\d+)", pins) == ["3", "5"]


def test_auth_certificate_read_byte_for_byte(inserted, tmp_path: Path) -> None:
    card = CardState.load(inserted("adult"))
    pem = tmp_path / "auth.pem"
    run("pkcs15-tool", "--reader", "0", "--read-certificate", "01", "-o", str(pem))
    der_path = tmp_path / "auth.der"
    run("openssl", "x509", "-in", str(pem), "-outform", "DER", "-out", str(der_path))
    assert der_path.read_bytes() == card.jpki.auth_cert


def test_sign_certificate_needs_the_pin(inserted, tmp_path: Path) -> None:
    card = CardState.load(inserted("adult"))
    refused = run("pkcs15-tool", "--reader", "0", "--read-certificate", "02", check=False)
    assert refused.returncode != 0
    pem = tmp_path / "sign.pem"
    run(
        "pkcs15-tool",
        "--reader",
        "0",
        "--read-certificate",
        "02",
        "--verify-pin",
        "--pin",
        SIGN_PIN,
        "--auth-id",
        "02",
        "-o",
        str(pem),
    )
    der_path = tmp_path / "sign.der"
    run("openssl", "x509", "-in", str(pem), "-outform", "DER", "-out", str(der_path))
    assert der_path.read_bytes() == card.jpki.sign_cert


@pytest.mark.parametrize(
    ("slot", "pin", "key_id", "cert_id"),
    [("0", AUTH_PIN, "01", "01"), ("1", SIGN_PIN, "02", "02")],
    ids=["auth", "sign"],
)
def test_pkcs11_signature_verifies_with_openssl(inserted, tmp_path: Path, slot, pin, key_id, cert_id) -> None:
    inserted("adult")
    message, signature = tmp_path / "msg.txt", tmp_path / "sig.bin"
    message.write_text("公的個人認証サービス OpenSC interop\n", encoding="utf-8")
    run(
        "pkcs11-tool",
        "--module",
        str(PKCS11),
        "--slot-index",
        slot,
        "--login",
        "--pin",
        pin,
        "--sign",
        "--id",
        key_id,
        "-m",
        "SHA256-RSA-PKCS",
        "--input-file",
        str(message),
        "--output-file",
        str(signature),
    )
    cert_pem, pub_pem = tmp_path / "cert.pem", tmp_path / "pub.pem"
    extra = ["--verify-pin", "--pin", pin, "--auth-id", "02"] if cert_id == "02" else []
    run("pkcs15-tool", "--reader", "0", "--read-certificate", cert_id, *extra, "-o", str(cert_pem))
    pub = run("openssl", "x509", "-in", str(cert_pem), "-pubkey", "-noout").stdout
    pub_pem.write_text(pub)
    verified = run(
        "openssl", "dgst", "-sha256", "-verify", str(pub_pem), "-signature", str(signature), str(message)
    )
    assert verified.stdout.strip() == "Verified OK"


def test_wrong_pin_counts_down_and_right_pin_restores(inserted) -> None:
    inserted("adult")
    wrong = run(
        "pkcs11-tool",
        "--module",
        str(PKCS11),
        "--slot-index",
        "0",
        "--login",
        "--pin",
        "9999",
        "--list-objects",
        check=False,
    )
    assert "CKR_PIN_INCORRECT" in wrong.stdout + wrong.stderr
    pins = run("pkcs15-tool", "--reader", "0", "--list-pins").stdout
    assert re.findall(r"Tries left\s*:\s*(\d+)", pins)[0] == "2"
    run(
        "pkcs11-tool",
        "--module",
        str(PKCS11),
        "--slot-index",
        "0",
        "--login",
        "--pin",
        AUTH_PIN,
        "--list-objects",
    )
    pins = run("pkcs15-tool", "--reader", "0", "--list-pins").stdout
    assert re.findall(r"Tries left\s*:\s*(\d+)", pins)[0] == "3"
