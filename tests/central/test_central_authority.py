"""`central init`: the hierarchy on disk, its file modes, loading it back."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from central_testkit import der, lint_certificate, lint_chain, problems
from click.testing import CliRunner

from central.authority import Authority
from central.cli import main
from central.enums import CaName

PRIVATE = [
    "root.key",
    "sign-ca.key",
    "auth-ca.key",
    "terminal-ca.key",
    "cmp.key",
    "encryption.key",
    "admin-master.key",
]
PUBLIC = [
    "root.pem",
    "sign-ca.pem",
    "auth-ca.pem",
    "terminal-ca.pem",
    "cmp.pem",
    "encryption.pem",
    "authority.json",
]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_cli_init_with_production_key_sizes(tmp_path: Path) -> None:
    directory = tmp_path / "ca"
    result = CliRunner().invoke(
        main,
        [
            "init",
            str(directory),
            "--organization",
            "Example City",
            "--publication-url",
            "http://pki.example.test",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "HSM" in result.output
    assert mode(directory) == 0o700
    assert sorted(p.name for p in directory.iterdir()) == sorted(PRIVATE + PUBLIC)
    for name in PRIVATE:
        assert mode(directory / name) == 0o600, name
    for name in PUBLIC:
        assert mode(directory / name) == 0o644, name

    authority = Authority.load(directory)
    assert authority.root.key.key_size == 4096
    assert authority.sign_ca.key.key_size == 3072
    assert len(authority.admin_master_key) == 32
    assert authority.settings.organization == "Example City"
    assert authority.publication.crl_url(CaName.SIGN) == "http://pki.example.test/crl/sign.crl"
    for ca in (CaName.SIGN, CaName.AUTH, CaName.TERMINAL):
        cert = authority.issuer(ca).cert
        assert problems(lint_certificate(der(cert))) == []
        assert problems(lint_chain(der(authority.root.cert), der(cert))) == []
        assert authority.chain(ca) == [cert, authority.root.cert]
    assert "Authority(" in repr(authority) and "PRIVATE" not in repr(authority)

    again = CliRunner().invoke(main, ["init", str(directory)])
    assert again.exit_code != 0 and "never overwritten" in again.output


def test_load_detects_mismatched_keys(tmp_path: Path, authority: Authority) -> None:
    copy = tmp_path / "copy"
    copy.mkdir()
    for source in authority.directory.iterdir():
        (copy / source.name).write_bytes(source.read_bytes())
    (copy / "sign-ca.key").write_bytes((authority.directory / "auth-ca.key").read_bytes())
    with pytest.raises(ValueError, match="does not match"):
        Authority.load(copy)
