"""One phone, one account, both ways, over HTTP against the Procfile's ingest process: a
phone bound to one active account cannot be activated for another, and a phone that
already is (bound before the rule) gets the later account's check-ins refused."""
from __future__ import annotations

import datetime as dt
import subprocess
import sys
from zoneinfo import ZoneInfo

import httpx
import pytest

from ingest import devices
from queries import db
from tests.conftest import ROOT, runtime_env
from tests.support import factories
from tests.support.phones import body, gunicorn

WIB = ZoneInfo("Asia/Jakarta")
MONDAY_0720 = dt.datetime(2026, 11, 23, 7, 20, tzinfo=WIB)


@pytest.fixture(scope="module")
def server(runtime):
    with gunicorn(runtime, clock_at=MONDAY_0720) as srv:
        yield srv


def _activate(http, rt, employee, device_id):
    code = devices.issue_code(rt, employee["nip"], "test").code
    return http.post("/api/v1/devices/activate", json={
        "nip": employee["nip"], "code": code, "device_id": device_id, "device_model": "Redmi 12"})


def test_a_phone_bound_to_one_account_is_refused_for_another_until_bkpp_releases_it(runtime, server):
    a, b = factories.employee(runtime, "DINKES"), factories.employee(runtime, "DINKES")
    with httpx.Client(base_url=server.url, timeout=30) as http:
        assert _activate(http, runtime, a, "android-shared-1").status_code == 201
        refused = _activate(http, runtime, b, "android-shared-1")
        assert refused.status_code == 409, refused.text
        error = refused.json()["error"]
        assert error["code"] == "device_in_use"
        assert "akun pegawai lain" in error["message_id"] and "another employee" in error["message_en"]
        assert a["nip"] not in refused.text                      # never says whose phone it is
        devices.reset(runtime, a["nip"], by="bkpp", reason="ponsel diberikan ke pegawai lain")
        assert _activate(http, runtime, b, "android-shared-1").status_code == 201


def _bind_directly(rt, employee_id: int, device_id: str, token: str, bound_at: dt.datetime) -> None:
    """A binding as it was stored before the rule held (two accounts could share a phone)."""
    with rt.transaction() as conn:
        db.run(conn, "INSERT INTO devices (employee_id, device_id, model, token_hash, bound_at) "
                     "VALUES (:e, :d, 'Oppo A17', :t, :at)", e=employee_id, d=device_id,
               t=devices.token_hash(token), at=bound_at)


def test_a_phone_already_on_two_accounts_keeps_the_first_refuses_the_second_and_is_listed(runtime, server):
    first, second = factories.employee(runtime, "DINSOS"), factories.employee(runtime, "DINSOS")
    phone = "android-legacy-double"
    _bind_directly(runtime, first["id"], phone, "tok-first-" + first["nip"], MONDAY_0720 - dt.timedelta(days=30))
    _bind_directly(runtime, second["id"], phone, "tok-second-" + second["nip"], MONDAY_0720 - dt.timedelta(days=2))
    with httpx.Client(base_url=server.url, timeout=30) as http:
        now = server.now()
        ok = http.post("/api/v1/check-ins", json=body(runtime, now, office="DINSOS-1"),
                       headers={"Authorization": f"Bearer tok-first-{first['nip']}"})
        assert ok.status_code == 201 and ok.json()["verdict"] == "accepted", ok.text
        later = http.post("/api/v1/check-ins", json=body(runtime, now + dt.timedelta(seconds=20), office="DINSOS-1"),
                          headers={"Authorization": f"Bearer tok-second-{second['nip']}"})
        assert later.status_code == 201, later.text
        assert later.json()["verdict"] == "refused" and "device_shared" in later.json()["reasons"]
        assert "satu ponsel hanya untuk satu akun" in later.json()["message_id"]

    listed = [r for r in devices.shared_devices(runtime) if r["device_id"] == phone]
    assert [(r["nip"], r["nth"]) for r in listed] == [(first["nip"], 1), (second["nip"], 2)]
    cli = subprocess.run([sys.executable, "-m", "pantau", "devices", "shared"], cwd=ROOT, env=runtime_env(runtime),
                         capture_output=True, text=True, timeout=120)
    assert cli.returncode == 0, cli.stderr
    line = next(x for x in cli.stdout.splitlines() if second["nip"] in x)
    assert phone in line and "later: reset" in line
