"""The check-in API in process (FastAPI TestClient): validation, limits, auth, outages."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from ingest import devices, selfies
from ingest.app import create_app
from foundation.services import ServiceUrls
from queries import db
from tests.support import factories
from tests.support.phones import JPEG, body, new_phone
from tests.conftest import with_rate_limits

WIB = ZoneInfo("Asia/Jakarta")
MORNING = dt.datetime(2026, 12, 1, 7, 25, tzinfo=WIB)   # a Tuesday, on time (dates apart from other tests)
NOW = MORNING                                            # the API judges at this moment (the `app` fixture)


def _count(rt, sql: str, **kw) -> int:
    with rt.connection() as conn:
        return db.scalar(conn, sql, **kw)


def test_on_time_check_in_then_status_then_no_reason_needed(runtime, client):
    phone = new_phone(runtime, client)
    b = body(runtime, MORNING)
    r = client.post("/api/v1/check-ins", json=b, headers=phone["headers"])
    assert r.status_code == 201
    assert r.json()["verdict"] == "accepted" and r.json()["minutes_late"] == 0
    assert r.json()["message_id"] == "Presensi masuk diterima (07:25 WIB)"
    today = client.get("/api/v1/me/today", headers=phone["headers"]).json()
    assert today["work_date"] == "2026-12-01" and today["check_ins"][0]["event_id"] == b["event_id"]
    r = client.post(f"/api/v1/check-ins/{b['event_id']}/reason", json={"reason": "macet"}, headers=phone["headers"])
    assert r.status_code == 409 and r.json()["error"]["code"] == "not_late"


def test_a_second_in_is_recorded_but_never_moves_the_first(runtime, client, app):
    phone = new_phone(runtime, client)
    first = body(runtime, MORNING)
    assert client.post("/api/v1/check-ins", json=first, headers=phone["headers"]).status_code == 201
    later = MORNING + dt.timedelta(minutes=40)
    app.state.now = lambda: later
    try:
        again = client.post("/api/v1/check-ins", json=body(runtime, later), headers=phone["headers"]).json()
    finally:
        app.state.now = lambda: MORNING
    assert again["session"] == "in" and again["minutes_late"] == 35
    today = client.get("/api/v1/me/today", headers=phone["headers"]).json()
    assert len(today["check_ins"]) == 2
    assert today["work_day"]["first_in"].startswith("2026-12-01T00:25")   # 07:25 WIB stands
    assert today["work_day"]["minutes_late"] == 0 and today["work_day"]["late_band"] is None


def test_lateness_reason_first_one_stands(runtime, client, app):
    phone = new_phone(runtime, client)
    late = MORNING + dt.timedelta(minutes=50)
    app.state.now = lambda: late
    try:
        b = body(runtime, late)
        assert client.post("/api/v1/check-ins", json=b, headers=phone["headers"]).json()["minutes_late"] == 45
        url = f"/api/v1/check-ins/{b['event_id']}/reason"
        assert client.post(url, json={"reason": "Ban motor bocor"}, headers=phone["headers"]).status_code == 201
        assert client.post(url, json={"reason": "Ban motor bocor"}, headers=phone["headers"]).status_code == 200
        other = client.post(url, json={"reason": "Hujan"}, headers=phone["headers"])
        assert other.status_code == 409 and other.json()["error"]["code"] == "reason_already_given"
        missing = client.post(f"/api/v1/check-ins/{uuid.uuid4()}/reason", json={"reason": "x y z"},
                              headers=phone["headers"])
        assert missing.status_code == 404
        today = client.get("/api/v1/me/today", headers=phone["headers"]).json()
        assert today["check_ins"][0]["late_reason"] == "Ban motor bocor"
    finally:
        app.state.now = lambda: MORNING


def test_another_employees_event_id_is_not_theirs(runtime, client):
    a, b = new_phone(runtime, client), new_phone(runtime, client)
    shared = body(runtime, MORNING)
    ra = client.post("/api/v1/check-ins", json=shared, headers=a["headers"])
    rb = client.post("/api/v1/check-ins", json=shared, headers=b["headers"])
    assert ra.status_code == rb.status_code == 201           # namespaced per employee: no collision
    r = client.post(f"/api/v1/check-ins/{shared['event_id']}/reason", json={"reason": "abc"}, headers=b["headers"])
    assert r.status_code == 409                                # b's own check-in, not a's


def test_malformed_body_names_every_bad_field_and_writes_nothing(runtime, client):
    phone = new_phone(runtime, client)
    bad = {"event_id": "not-a-uuid", "captured_at": "2026-11-24T07:25:00", "offline": "maybe",
           "location": {"lat": 91, "lon": float("nan"), "accuracy_m": -1, "mock": False, "provider": "gps\x00"},
           "face": {"score": 2}, "session": "lunch", "ofline": True}
    r = client.post("/api/v1/check-ins", content=json.dumps(bad), headers={**phone["headers"],
                                                                          "content-type": "application/json"})
    assert r.status_code == 422
    err = r.json()["error"]
    fields = {f["field"] for f in err["fields"]}
    assert fields == {"event_id", "captured_at", "offline", "location.lat", "location.lon", "location.accuracy_m",
                      "location.provider", "face.score", "session", "ofline"}
    assert all(f["message_id"] and f["message_en"] for f in err["fields"])
    assert "location.lat" in err["message_id"] and "location.lat" in err["message_en"]
    assert _count(runtime, "SELECT count(*) FROM check_ins WHERE employee_id = :e", e=phone["employee"]["id"]) == 0


@pytest.mark.parametrize("content, ctype, status, code", [
    (b"{nope", "application/json", 400, "malformed_json"),
    (b"", "application/json", 400, "malformed_json"),
    (b"[1, 2]", "application/json", 422, "invalid_fields"),
    (b"\xff\xfe\x00", "application/json", 400, "malformed_json"),
    (b"hello", "text/plain", 415, "unsupported_media_type"),
])
def test_unreadable_bodies_are_refused_cleanly(runtime, client, content, ctype, status, code):
    phone = new_phone(runtime, client)
    r = client.post("/api/v1/check-ins", content=content, headers={**phone["headers"], "content-type": ctype})
    assert (r.status_code, r.json()["error"]["code"]) == (status, code)


def test_captured_at_far_outside_the_era_is_a_field_error(runtime, client):
    phone = new_phone(runtime, client)
    for value in ("9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:00", 1732410000):
        r = client.post("/api/v1/check-ins", json=body(runtime, MORNING, captured_at=value), headers=phone["headers"])
        assert r.status_code == 422 and r.json()["error"]["fields"][0]["field"] == "captured_at"


def test_selfie_must_be_a_jpeg_of_at_most_500_kb(runtime, client):
    phone = new_phone(runtime, client)

    def send(selfie: bytes, **extra):
        files = {"data": (None, json.dumps(body(runtime, MORNING))), "selfie": ("s.jpg", selfie, "image/jpeg"), **extra}
        return client.post("/api/v1/check-ins", files=files, headers=phone["headers"])
    png = send(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    assert png.status_code == 422 and png.json()["error"]["fields"][0]["code"] == "selfie_not_jpeg"
    big = send(JPEG[:3] + b"\x00" * (selfies.MAX_BYTES + 10))
    assert big.status_code == 422 and big.json()["error"]["fields"][0]["code"] == "selfie_too_large"
    r = client.post("/api/v1/check-ins", files={"selfie": ("s.jpg", JPEG, "image/jpeg")}, headers=phone["headers"])
    assert r.status_code == 422 and {f["field"] for f in r.json()["error"]["fields"]} == {"data"}
    assert _count(runtime, "SELECT count(*) FROM check_ins WHERE employee_id = :e", e=phone["employee"]["id"]) == 0
    assert send(JPEG).status_code == 201


def test_oversized_bodies_are_refused_before_being_read(runtime, client):
    phone = new_phone(runtime, client)
    huge = b"x" * (2 * 1024 * 1024)
    r = client.post("/api/v1/check-ins", content=huge, headers={**phone["headers"], "content-type": "application/json"})
    assert r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large"

    sent = []

    def chunks():  # no Content-Length: counted as it streams, refused once over the limit
        for _ in range(200):
            sent.append(1)
            yield b"y" * 16384
    r = client.post("/api/v1/check-ins", content=chunks(), headers={**phone["headers"], "content-type": "application/json"})
    assert r.status_code == 413


def test_tokens_missing_unknown_and_revoked(runtime, client):
    assert client.get("/api/v1/me/today").json()["error"]["code"] == "missing_token"
    r = client.get("/api/v1/me/today", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_token"
    assert r.headers["WWW-Authenticate"] == "Bearer"
    phone = new_phone(runtime, client)
    devices.reset(runtime, phone["employee"]["nip"], "bkpp:test", "hilang")
    r = client.get("/api/v1/me/today", headers=phone["headers"])
    assert r.status_code == 401 and "BKPP" in r.json()["error"]["message_en"]


def test_activation_codes_expire_and_a_new_one_replaces_the_old(runtime, client):
    emp = factories.employee(runtime, "DINKES")
    old = devices.issue_code(runtime, emp["nip"], "t").code
    new = devices.issue_code(runtime, emp["nip"], "t").code
    payload = {"nip": emp["nip"], "device_id": "dev-1", "device_model": "x"}
    assert client.post("/api/v1/devices/activate", json={**payload, "code": old}).status_code == 401
    with runtime.transaction() as conn:
        db.run(conn, "UPDATE activation_codes SET expires_at = now() - interval '1 minute' WHERE employee_id = :e",
               e=emp["id"])
    r = client.post("/api/v1/devices/activate", json={**payload, "code": new.lower().replace("-", " ")})
    assert r.status_code == 401 and r.json()["error"]["code"] == "activation_failed"
    bad = client.post("/api/v1/devices/activate", json={"nip": "12345", "code": "", "device_id": ""})
    assert bad.status_code == 422
    assert {f["field"] for f in bad.json()["error"]["fields"]} == {"nip", "code", "device_id"}
    assert _count(runtime, "SELECT count(*) FROM devices WHERE employee_id = :e", e=emp["id"]) == 0


def test_same_phone_reactivating_gets_a_new_token_and_the_old_one_stops(runtime, client):
    phone = new_phone(runtime, client)
    nip = phone["employee"]["nip"]
    code = devices.issue_code(runtime, nip, "t").code
    r = client.post("/api/v1/devices/activate", json={"nip": nip, "code": code, "device_id": phone["device_id"]})
    assert r.status_code == 201
    assert client.get("/api/v1/me/today", headers=phone["headers"]).status_code == 401
    fresh = {"Authorization": f"Bearer {r.json()['token']}"}
    assert client.get("/api/v1/me/today", headers=fresh).status_code == 200
    with runtime.connection() as conn:
        hashes = db.rows(conn, "SELECT token_hash FROM devices WHERE employee_id = :e", e=phone["employee"]["id"])
    assert devices.token_hash(r.json()["token"]) in {h["token_hash"] for h in hashes}
    assert r.json()["token"] not in json.dumps(hashes)       # stored only as a hash


def test_rate_limits_say_when_to_retry(runtime):
    limited = create_app(with_rate_limits(runtime, device="3/minute"))
    limited.state.now = lambda: MORNING
    with TestClient(limited) as c:
        phone = new_phone(runtime, c)
        replies = [c.get("/api/v1/me/today", headers=phone["headers"]) for _ in range(4)]
    assert [r.status_code for r in replies] == [200, 200, 200, 429]
    assert 1 <= int(replies[-1].headers["Retry-After"]) <= 60
    assert replies[-1].json()["error"]["code"] == "rate_limited"


def test_rate_limits_fail_open_when_redis_is_down(runtime, client):
    phone = new_phone(runtime, client)
    broken = dataclasses.replace(runtime, urls=dataclasses.replace(runtime.urls, redis_url="redis://127.0.0.1:1/0"))
    app = create_app(broken)
    app.state.now = lambda: MORNING
    with TestClient(app) as c:
        r = c.post("/api/v1/check-ins", json=body(runtime, MORNING), headers=phone["headers"])
        health = c.get("/healthz")
    assert r.status_code == 201 and r.json()["verdict"] == "accepted"
    assert health.status_code == 200 and health.json()["status"] == "degraded"
    assert health.json()["redis"]["ok"] is False and health.json()["postgres"]["ok"] is True


def test_postgres_down_is_503_with_retry_after(runtime, client):
    phone = new_phone(runtime, client)
    dead = "postgresql+psycopg2://postgres@127.0.0.1:1/nowhere"
    app = create_app(runtime)
    app.state.rt = dataclasses.replace(runtime, urls=ServiceUrls(dead, runtime.urls.redis_url, False, False))
    with TestClient(app) as c:
        r = c.post("/api/v1/check-ins", json=body(runtime, MORNING), headers=phone["headers"])
        health = c.get("/healthz")
    assert r.status_code == 503 and r.headers["Retry-After"] == "5"
    assert r.json()["error"]["code"] == "database_unavailable"
    assert health.status_code == 503 and health.json()["postgres"]["ok"] is False


def test_unknown_paths_and_methods_use_the_envelope(client):
    assert client.get("/api/v1/nothing").json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/check-ins").json()["error"]["code"] == "method_not_allowed"
