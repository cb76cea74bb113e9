"""The scheduled work of `central serve`: CRLs renewed at half-life, unconfirmed certificates swept."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from central_testkit import NOW, TERMINAL, World, application, csr, key
from cryptography import x509

from central.enums import CaName, CertKind, CertStatus
from central.maintenance import maintenance_thread, run_maintenance
from lcmp import jpki_items


def _crl_number(world: World, ca: CaName) -> int:
    der = world.central.current_crl(ca)
    assert der is not None
    return x509.load_der_x509_crl(der).extensions.get_extension_for_class(x509.CRLNumber).value.crl_number


def test_crls_are_renewed_at_half_their_validity(world: World) -> None:
    first = run_maintenance(world.central, NOW)
    assert set(first.crls_renewed) == set(CaName)  # none published yet (or stale): all of them
    numbers = {ca: _crl_number(world, ca) for ca in CaName}
    validity = world.central.authority.settings.crl_validity
    assert run_maintenance(world.central, NOW + validity / 4).crls_renewed == ()
    later = run_maintenance(world.central, NOW + validity / 2)
    assert set(later.crls_renewed) == set(CaName)
    assert all(_crl_number(world, ca) > numbers[ca] for ca in CaName)
    crl = x509.load_der_x509_crl(world.central.current_crl(CaName.AUTH) or b"")
    assert crl.next_update_utc == NOW + validity / 2 + validity


def test_unconfirmed_certificates_are_destroyed_after_the_wait(world: World) -> None:
    app_id = jpki_items.application_id(TERMINAL, 1)
    world.apply(application(card_id=world.card(), application_id=app_id, certificates=("auth",)))
    issued = world.central.issue_certificate(app_id, csr(key("maintenance-card")), CertKind.AUTH, now=NOW)
    wait = dt.timedelta(days=30)
    assert run_maintenance(world.central, NOW + wait / 2, confirm_wait=wait).destroyed == ()
    report = run_maintenance(world.central, NOW + wait * 2, confirm_wait=wait)
    assert report.destroyed == (issued.serial,)
    assert world.central.certificate_status(issued.serial, now=NOW).status is CertStatus.REVOKED
    assert sum(r.destroyed_or_revoked_ex_officio for r in world.central.ledger()) == 1


def test_the_thread_survives_a_failing_pass_and_stops(world: World, caplog: pytest.LogCaptureFixture) -> None:
    calls = 0
    second_pass = threading.Event()

    def clock() -> dt.datetime:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("database away")
        second_pass.set()
        return NOW

    thread = maintenance_thread(world.central, interval=dt.timedelta(milliseconds=10), clock=clock)
    thread.start()
    try:
        assert second_pass.wait(10)
    finally:
        thread.stop()
        thread.join(10)
    assert not thread.is_alive()
    assert "central-maintenance: pass failed" in caplog.text
    assert world.central.current_crl(CaName.SIGN) is not None
