"""The employee's own month (/me/month) and check-ins from the web page (provider "web")."""
from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from foundation.config_rules import WebRules
from ingest import recap
from ingest.app import create_app
from tests.support.phones import body, new_phone

WIB = ZoneInfo("Asia/Jakarta")
NOW = dt.datetime(2026, 12, 2, 7, 50, tzinfo=WIB)   # a Wednesday; 07:50 is TL1 under the 07:30 start


def _web(loc_provider: str = "web") -> dict:
    return {"location": {"provider": loc_provider}}


def test_my_month_shows_the_day_and_the_recap_row_bkpp_will_download(runtime, client):
    phone = new_phone(runtime, client)
    r = client.post("/api/v1/check-ins", json=body(runtime, NOW, **_web()), headers=phone["headers"])
    assert r.status_code == 201 and r.json()["verdict"] == "accepted", r.text
    month = client.get("/api/v1/me/month", params={"month": "2026-12"}, headers=phone["headers"])
    assert month.status_code == 200, month.text
    got = month.json()
    day = next(d for d in got["days"] if d["work_date"] == "2026-12-02")
    assert day["minutes_late"] == r.json()["minutes_late"]
    assert 1 <= day["minutes_late"] <= 30 and day["status"] == "hadir" and day["late_band"] == "TL1"
    # the same row the BKPP recap holds for this employee, deduction included
    with runtime.connection() as conn:
        _, rows = recap.employee_recap(conn, runtime.config, dt.date(2026, 12, 1), dt.date(2026, 12, 31))
        row = next(x for x in rows if x["nip"] == phone["employee"]["nip"])
    assert got["recap"]["potongan_persen"] == float(row["potongan_persen"]) > 0
    assert got["recap"]["hadir"] == row["hadir"] == 1
    # another employee's days never show
    other = new_phone(runtime, client)
    assert client.get("/api/v1/me/month", params={"month": "2026-12"}, headers=other["headers"]).json()["days"] == []


def test_a_bad_month_is_named(runtime, client):
    phone = new_phone(runtime, client)
    for bad in ("2026-13", "2026-1", "desember"):
        r = client.get("/api/v1/me/month", params={"month": bad}, headers=phone["headers"])
        assert r.status_code == 422, (bad, r.text)
        assert r.json()["error"]["fields"][0]["field"] == "month"


def test_a_unit_kept_off_the_web_page_is_refused_with_a_reason_in_both_languages(runtime):
    rules = runtime.config.rules.model_copy(update={"web": WebRules(refuse_units=["DINKES"])})
    rt = dataclasses.replace(runtime, config=runtime.config.model_copy(update={"rules": rules}))
    app = create_app(rt)
    app.state.now = lambda: NOW
    with TestClient(app) as client:
        phone = new_phone(rt, client)
        web = client.post("/api/v1/check-ins", json=body(rt, NOW, **_web()), headers=phone["headers"]).json()
        assert web["verdict"] == "refused" and "web_not_allowed" in web["reasons"]
        assert "browser" in web["message_id"] and "browser" in web["message_en"]
        app_phone = client.post("/api/v1/check-ins", json=body(rt, NOW + dt.timedelta(minutes=1)),
                                headers=phone["headers"]).json()
        assert app_phone["verdict"] == "accepted"   # the same person from the app is fine


def test_an_early_check_out_takes_a_reason_as_a_late_check_in_does(runtime, client, app):
    phone = new_phone(runtime, client)
    early = dt.datetime(2026, 12, 2, 15, 10, tzinfo=WIB)   # 50 minutes before the 16:00 end
    app.state.now = lambda: early
    try:
        b = body(runtime, early, session="out")
        verdict = client.post("/api/v1/check-ins", json=b, headers=phone["headers"]).json()
        assert verdict["minutes_early"] == 50, verdict
        r = client.post(f"/api/v1/check-ins/{b['event_id']}/reason", json={"reason": "Mengantar anak ke dokter"},
                        headers=phone["headers"])
        assert r.status_code == 201, r.text
    finally:
        app.state.now = lambda: NOW


def test_a_fix_may_carry_altitude_speed_bearing_satellites_and_its_time_bounded_and_kept(runtime, client):
    phone = new_phone(runtime, client)
    evidence = {"altitude_m": 31.5, "speed_mps": 0.4, "bearing_deg": 271.0, "satellites": 14,
                "fix_time": "2026-12-02T07:49:58+07:00"}
    b = body(runtime, NOW, location=evidence)
    r = client.post("/api/v1/check-ins", json=b, headers=phone["headers"])
    assert r.status_code == 201, r.text
    with runtime.connection() as conn:
        from queries import db
        kept = db.scalar(conn, "SELECT payload->'request'->'location' FROM check_ins WHERE event_key LIKE :k",
                         k=f"%{b['event_id']}")
    assert {k: kept[k] for k in evidence} == evidence
    for field, bad in (("altitude_m", 12_000), ("speed_mps", -1), ("bearing_deg", 360), ("satellites", 2.5),
                       ("satellites", "9"), ("fix_time", "1765245060")):
        wrong = client.post("/api/v1/check-ins", json=body(runtime, NOW, location={field: bad}), headers=phone["headers"])
        assert wrong.status_code == 422, (field, bad, wrong.text)
        assert wrong.json()["error"]["fields"][0]["field"] == f"location.{field}"
