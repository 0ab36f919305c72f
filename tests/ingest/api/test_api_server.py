"""The check-in API end to end: the Procfile's gunicorn + uvicorn workers, real HTTP.

The server's clock is set to Monday 2026-11-23 07:40 WIB (PANTAU_DEMO_CLOCK), so the rules
judge as they would on a weekday morning whatever the hour the tests run.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import re
import subprocess
import sys
import uuid
from zoneinfo import ZoneInfo

import httpx
import pytest
from openapi_spec_validator import validate

from ingest import devices, live, review, selfies
from ingest.simulate import phones as sim
from queries import db
from tests.support import factories
from tests.support.phones import JPEG, body, gunicorn, new_phone
from tests.conftest import REGIONS, ROOT, runtime_env

WIB = ZoneInfo("Asia/Jakarta")
WIT = ZoneInfo("Asia/Jayapura")
MONDAY = dt.date(2026, 11, 23)


@pytest.fixture(scope="module")
def server(runtime):
    with gunicorn(runtime, clock_at=dt.datetime(2026, 11, 23, 7, 40, tzinfo=WIB)) as srv:
        yield srv


@pytest.fixture
def http(server):
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


def _rows(rt, sql: str, **kw):
    with rt.connection() as conn:
        return db.rows(conn, sql, **kw)


def _recount_matches_live(rt, day: dt.date) -> None:
    """Present / late / leave / absent per unit in Redis equal a recount from Postgres.
    ('expected' is left out: it is counted at rebuild, and these tests add employees.)"""
    def counts(snap):
        return {unit: {k: c[k] for k in live.STATES} for unit, c in snap["units"].items()}
    before = counts(live.snapshot(rt, day))
    live.rebuild(rt, day)
    assert counts(live.snapshot(rt, day)) == before


def test_every_reason_code_over_http(runtime, server, http):
    phone = new_phone(runtime, http)
    six_day = new_phone(runtime, http, schedule_code="enam_hari")
    now = server.now().astimezone(WIB)
    cases = [  # (phone, body overrides, reason code, verdict)
        (phone, {}, "late", "accepted"),
        (phone, {"location": {"mock": True}}, "mock_location", "refused"),
        (phone, {"location": {"accuracy_m": 120.0}}, "poor_accuracy", "refused"),
        (phone, {"north_m": 230}, "outside_geofence", "refused"),
        (phone, {"face": {"score": 0.3, "liveness": True}}, "face_mismatch", "refused"),
        (phone, {"face": {"score": 0.95, "liveness": False}}, "liveness_failed", "refused"),
        (phone, {"session": "out"}, "outside_window", "refused"),
        (six_day, {"session": "midday"}, "unknown_session", "refused"),
        (phone, {"moment": dt.datetime(2026, 11, 22, 9, 0, tzinfo=WIB), "offline": True}, "not_work_day", "refused"),
        (phone, {"moment": now - dt.timedelta(hours=80), "offline": True}, "offline_too_old", "refused"),
        (phone, {"moment": now - dt.timedelta(minutes=20)}, "clock_skew", "flagged"),
        (phone, {"moment": now - dt.timedelta(minutes=30), "offline": True}, "offline_upload", "accepted"),
        (phone, {"moment": now - dt.timedelta(hours=1, minutes=30), "offline": True}, "late_upload", "flagged"),
        (phone, {"moment": dt.datetime(2026, 11, 20, 14, 30, tzinfo=WIB), "offline": True}, "early_leave", "flagged"),
    ]
    seen = {}
    for who, overrides, code, verdict in cases:
        overrides = dict(overrides)
        moment = overrides.pop("moment", server.now())
        r = http.post("/api/v1/check-ins", json=body(runtime, moment, **overrides), headers=who["headers"])
        assert r.status_code == 201, r.text
        reply = r.json()
        assert code in reply["reasons"] and reply["verdict"] == verdict, (code, reply)
        assert reply["message_id"] and reply["message_en"]
        seen[code] = reply
    assert "230 m dari Kantor Dinas Kesehatan (maks. 150 m)" in seen["outside_geofence"]["message_id"]
    assert seen["outside_geofence"]["office_code"] == "DINKES-1" and seen["outside_geofence"]["distance_m"] > 150
    assert "(in 05:30-11:00, midday 11:00-13:30, out 13:30-21:00)" in seen["outside_window"]["message_en"]
    assert "'midday' tidak ada pada jadwal" in seen["unknown_session"]["message_id"]
    assert seen["early_leave"]["work_date"] == "2026-11-20" and seen["early_leave"]["minutes_early"] == 120
    assert seen["late"]["session"] == "in" and seen["late"]["minutes_late"] >= 10
    stored = _rows(runtime, "SELECT verdict, reasons FROM check_ins WHERE employee_id IN (:a, :b)",
                   a=phone["employee"]["id"], b=six_day["employee"]["id"])
    assert len(stored) == len(cases)            # refused attempts are stored too
    assert sum(r["verdict"] == "refused" for r in stored) == sum(v == "refused" for *_, v in cases)


def test_offline_evidence_tells_an_honest_late_upload_from_a_held_back_one(runtime, server, http):
    """The phone's offline_since makes hours late honest; the server having heard from the
    phone after the capture (its last contact) makes even minutes late suspect."""
    honest, held = new_phone(runtime, http), new_phone(runtime, http)
    now = server.now().astimezone(WIB)
    r = http.post("/api/v1/check-ins", headers=honest["headers"], json=body(
        runtime, now - dt.timedelta(minutes=100), offline=True, offline_since=(now - dt.timedelta(hours=3)).isoformat()))
    assert r.status_code == 201 and r.json()["verdict"] == "accepted" and "offline_upload" in r.json()["reasons"]
    with runtime.transaction() as conn:   # the server heard from this phone 12 minutes ago
        db.run(conn, "UPDATE devices SET last_seen_at = :t WHERE device_id = :d",
               t=now - dt.timedelta(minutes=12), d=held["device_id"])
    r = http.post("/api/v1/check-ins", headers=held["headers"], json=body(
        runtime, now - dt.timedelta(minutes=20), offline=True, offline_since=(now - dt.timedelta(hours=1)).isoformat()))
    assert r.status_code == 201 and r.json()["verdict"] == "flagged" and "late_upload" in r.json()["reasons"], r.text
    assert "Ponsel terhubung ke server" in r.json()["message_id"]
    bad = http.post("/api/v1/check-ins", headers=honest["headers"],
                    json=body(runtime, now, offline=True, offline_since="kemarin"))
    assert bad.status_code == 422 and "offline_since" in bad.text


def test_retries_with_the_same_event_id_count_once(runtime, server):
    async def go():
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
            phone = await asyncio.to_thread(new_phone, runtime, httpx.Client(base_url=server.url))
            b = body(runtime, server.now())
            replies = await asyncio.gather(*(client.post("/api/v1/check-ins", json=b, headers=phone["headers"])
                                             for _ in range(6)))
            again = await client.post("/api/v1/check-ins", json=b, headers=phone["headers"])
            return phone, b, [*replies, again]
    phone, b, replies = asyncio.run(go())
    codes = sorted(r.status_code for r in replies)
    assert codes == [200] * 6 + [201]
    verdicts = {(r.json()["verdict"], r.json()["minutes_late"], r.json()["session"]) for r in replies}
    assert len(verdicts) == 1
    assert sum(r.json()["duplicate"] for r in replies) == 6
    emp = phone["employee"]["id"]
    assert len(_rows(runtime, "SELECT id FROM check_ins WHERE employee_id = :e", e=emp)) == 1
    assert _rows(runtime, "SELECT status FROM work_days WHERE employee_id = :e", e=emp) == [{"status": "hadir"}]
    _recount_matches_live(runtime, MONDAY)


def test_offline_burst_is_judged_at_capture_time(runtime, server, http):
    phone = new_phone(runtime, http)
    friday = [dt.datetime(2026, 11, 20, h, m, tzinfo=WIB) for h, m in ((7, 50), (12, 5), (16, 45))]
    bodies = [body(runtime, t, offline=True) for t in friday]   # 07:50 is 71 h 50 min before the server's now

    async def burst():
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
            return await asyncio.gather(*(client.post("/api/v1/check-ins", json=b, headers=phone["headers"])
                                          for b in reversed(bodies)))
    replies = asyncio.run(burst())
    assert [r.status_code for r in replies] == [201] * 3
    by_session = {r.json()["session"]: r.json() for r in replies}
    assert set(by_session) == {"in", "midday", "out"}
    assert all(r["verdict"] == "flagged" and "late_upload" in r["reasons"] for r in by_session.values()), by_session
    assert by_session["in"]["minutes_late"] == 20 and by_session["out"]["minutes_early"] == 0
    # flagged: they wait for review and make no day yet (rules.review.pending_counts: false)
    today = http.get("/api/v1/me/today", params={"date": "2026-11-20"}, headers=phone["headers"]).json()
    assert today["work_day"] is None
    assert [(c["review"], c["review_label"]) for c in today["check_ins"]] == [("pending", "Menunggu tinjauan")] * 3
    ids = [r["id"] for r in _rows(runtime, "SELECT id FROM check_ins WHERE employee_id = :e ORDER BY captured_at",
                                  e=phone["employee"]["id"])]
    for check_in_id in ids[:2]:
        review.decide(runtime, check_in_id, "sah", "Unggahan tertunda, sinyal hilang", "bkpp", role="bkpp")
    review.decide(runtime, ids[2], "tolak", "Tidak di kantor sore itu", "bkpp", role="bkpp")
    today = http.get("/api/v1/me/today", params={"date": "2026-11-20"}, headers=phone["headers"]).json()
    assert today["work_day"]["status"] == "hadir" and today["work_day"]["late_band"] == "TL1"
    assert today["work_day"]["first_in"].startswith("2026-11-20T00:50")   # 07:50 WIB
    assert today["work_day"]["last_out"] is None                           # the 16:45 was rejected
    assert [c["event_id"] for c in today["check_ins"]] == [b["event_id"] for b in bodies]
    assert [c["review_label"] for c in today["check_ins"]] == \
        ["Dinyatakan sah", "Dinyatakan sah", "Ditolak: Tidak di kantor sore itu"]
    month = http.get("/api/v1/me/month", params={"month": "2026-11"}, headers=phone["headers"])
    assert month.status_code == 200, month.text
    friday = next(d for d in month.json()["days"] if d["work_date"] == "2026-11-20")
    assert friday["review"] == "tolak" and friday["status"] == "hadir"
    assert [(r["review"], r["label"]) for r in friday["reviews"]] == \
        [("sah", "Dinyatakan sah"), ("sah", "Dinyatakan sah"), ("tolak", "Ditolak: Tidak di kantor sore itu")]
    assert month.json()["recap"]["menunggu_tinjauan"] == 0


def _cli(rt, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pantau", *args], cwd=ROOT, env=runtime_env(rt),
                          capture_output=True, text=True, timeout=120)


def test_one_account_one_phone_until_bkpp_resets(runtime, http, server):
    employee = factories.employee(runtime, "DINKES")
    nip = employee["nip"]
    issued = _cli(runtime, "devices", "issue-code", nip, "--by", "bkpp:rina")
    assert issued.returncode == 0, issued.stderr
    code = re.search(r": ([A-Z0-9]{5}-[A-Z0-9]{5})$", issued.stdout.splitlines()[0])[1]

    def activate(code: str, device_id: str):
        return http.post("/api/v1/devices/activate", json={"nip": nip, "code": code, "device_id": device_id,
                                                            "device_model": "OPPO A17"})
    first = activate(code, "phone-A")
    assert first.status_code == 201
    token_a = {"Authorization": f"Bearer {first.json()['token']}"}
    assert activate(code, "phone-A").json()["error"]["code"] == "activation_failed"   # one-time

    second_code = devices.issue_code(runtime, nip, "bkpp:rina").code
    second = activate(second_code, "phone-B")
    assert second.status_code == 409
    err = second.json()["error"]
    assert err["code"] == "device_already_bound"
    assert "BKPP" in err["message_id"] and "ponsel lain" in err["message_id"]
    assert "BKPP" in err["message_en"] and "another phone" in err["message_en"]

    reset = _cli(runtime, "devices", "reset", nip, "--reason", "ganti ponsel", "--by", "bkpp:rina")
    assert reset.returncode == 0, reset.stderr
    refused = http.post("/api/v1/check-ins", json=body(runtime, server.now()), headers=token_a)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "device_revoked" and "BKPP" in refused.json()["error"]["message_id"]

    third_code = devices.issue_code(runtime, nip, "bkpp:rina").code
    bound = activate(third_code, "phone-B")
    assert bound.status_code == 201
    ok = http.post("/api/v1/check-ins", json=body(runtime, server.now()),
                   headers={"Authorization": f"Bearer {bound.json()['token']}"})
    assert ok.status_code == 201 and ok.json()["verdict"] == "accepted"
    audit = _rows(runtime, "SELECT action FROM audit_log WHERE target = :n ORDER BY id", n=nip)
    assert [a["action"] for a in audit].count("device.reset") == 1
    shown = _cli(runtime, "devices", "show", nip).stdout
    assert "ACTIVE" in shown and "revoked" in shown and "ganti ponsel" in shown


def test_selfie_upload_is_stored_under_its_hash(runtime, server, http):
    phone = new_phone(runtime, http)
    b = body(runtime, server.now())
    r = http.post("/api/v1/check-ins", headers=phone["headers"],
                  files={"data": (None, __import__("json").dumps(b)), "selfie": ("me.jpg", JPEG, "image/jpeg")})
    assert r.status_code == 201, r.text
    sha = _rows(runtime, "SELECT selfie_sha256 FROM check_ins WHERE event_key = :k",
                k=f"mobile:{phone['employee']['id']}:{b['event_id']}")[0]["selfie_sha256"]
    assert selfies.path_for(runtime.settings.selfie_dir, sha).read_bytes() == JPEG


def test_openapi_document_validates_and_docs_are_served(http):
    doc = http.get("/api/v1/openapi.json").json()
    validate(doc)
    assert {"/api/v1/devices/activate", "/api/v1/check-ins", "/api/v1/me/today",
            "/api/v1/check-ins/{event_id}/reason", "/healthz"} <= set(doc["paths"])
    content = doc["paths"]["/api/v1/check-ins"]["post"]["requestBody"]["content"]
    assert set(content) == {"application/json", "multipart/form-data"}
    assert "swagger" in http.get("/api/v1/docs").text.lower()
    health = http.get("/healthz").json()
    assert health["status"] == "ok" and health["postgres"]["ok"] is True and health["redis"]["ok"] is True


def test_a_fleet_morning_through_the_api(runtime, server):
    people = [factories.employee(runtime, "DINKES") for _ in range(40)]
    office = runtime.config.office_by_code["DINKES-1"]
    codes = devices.issue_codes(runtime, [p["nip"] for p in people], "demo")
    fleet = [sim.Phone(nip, code, office.lat, office.lon) for nip, code in codes.items()]
    active = asyncio.run(sim.activate_all(server.url, fleet))
    assert len(active) == 40
    shares = sim.Shares(offline=0.1, retry=0.1, mock=0.1, outside=0.1, poor_fix=0.05, selfie=0.2)
    report = asyncio.run(sim.morning(server.url, active, now=server.now, duration_s=2, shares=shares, seed=3))
    assert report.gave_up == 0 and len(report.acknowledged) == 40
    assert report.duplicates_answered >= 1
    assert {"mock_location", "outside_geofence"} <= set(report.reasons)
    stored = _rows(runtime, "SELECT verdict FROM check_ins WHERE employee_id = ANY(:ids)",
                   ids=[p["id"] for p in people])
    assert len(stored) == 40
    assert sum(r["verdict"] == "refused" for r in stored) == report.verdicts["refused"]
    _recount_matches_live(runtime, MONDAY)


def test_wit_lateness_is_counted_in_the_office_zone(make_runtime):
    rt = make_runtime(REGIONS / "sofifi.yaml", "wit")
    with gunicorn(rt, clock_at=dt.datetime(2026, 11, 23, 7, 46, tzinfo=WIT), workers=1) as srv, \
            httpx.Client(base_url=srv.url, timeout=30) as http:
        a, b = new_phone(rt, http, "SETDA"), new_phone(rt, http, "SETDA")
        at_wit = dt.datetime(2026, 11, 23, 7, 45, tzinfo=WIT)
        as_wib = at_wit.astimezone(WIB)                      # the same instant written as 05:45+07:00
        r1 = http.post("/api/v1/check-ins", json=body(rt, at_wit, office="KANTOR-GUBERNUR"), headers=a["headers"])
        r2 = http.post("/api/v1/check-ins", json=body(rt, as_wib, office="KANTOR-GUBERNUR"), headers=b["headers"])
        for r in (r1, r2):
            reply = r.json()
            assert r.status_code == 201 and reply["verdict"] == "accepted", reply
            assert reply["minutes_late"] == 15 and reply["work_date"] == "2026-11-23"
            assert "07:45 WIT" in reply["message_id"]
        today = http.get("/api/v1/me/today", headers=a["headers"]).json()
        assert today["zone"] == "WIT" and today["work_day"]["late_band"] == "TL1"
