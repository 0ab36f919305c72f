"""The API means what its schema says: values of the wrong JSON type and dates outside a
sane window are refused (422 naming the field, in Indonesian and English), never read as
something else (`true` as 1.0, "1765245060" as a time, `date=0` as 1970-01-01)."""
from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi.testclient import TestClient

from ingest.app import create_app

from queries import db
from tests.support.admin import leave_form
from tests.support.phones import body, new_phone

WIB = ZoneInfo("Asia/Jakarta")
NOW = dt.datetime(2026, 12, 9, 7, 25, tzinfo=WIB)   # a Wednesday, on time (dates apart from other tests)


def _stored(rt, employee_id: int) -> int:
    with rt.connection() as conn:
        return db.scalar(conn, "SELECT count(*) FROM check_ins WHERE employee_id = :e", e=employee_id)


def _refused_naming(r: httpx.Response, field: str) -> dict:
    assert r.status_code in (400, 422), r.text
    err = r.json()["error"]
    named = {f["field"]: f for f in err.get("fields") or []}
    assert field in named, err
    assert field in err["message_id"] and field in err["message_en"]
    assert named[field]["message_id"] and named[field]["message_en"] != named[field]["message_id"]
    return named[field]


@pytest.mark.parametrize("path, value, field", [
    (("location", "lat"), True, "location.lat"),                  # was read as 1.0
    (("location", "lat"), "-6.0", "location.lat"),                # was read as -6.0
    (("location", "accuracy_m"), "8", "location.accuracy_m"),
    (("location", "mock"), 0, "location.mock"),
    (("captured_at",), "1765245060", "captured_at"),              # was read as seconds since 1970
    (("face", "liveness"), 0, "face.liveness"),                   # was read as false
    (("face", "score"), "0.9", "face.score"),
    (("offline",), "true", "offline"),
])
def test_a_value_of_the_wrong_type_is_refused_naming_the_field(runtime, client, path, value, field):
    phone = new_phone(runtime, client)
    b = body(runtime, NOW, face={"score": 0.95, "liveness": True})
    parent = b
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    r = client.post("/api/v1/check-ins", json=b, headers=phone["headers"])
    _refused_naming(r, field)
    assert _stored(runtime, phone["employee"]["id"]) == 0


@pytest.mark.parametrize("outside, inside, words, reason", [
    # rules.clock.max_age_days (30): older is refused at the door; an offline upload past
    # offline_max_hours but inside it is still stored, as refused with its reason
    (NOW - dt.timedelta(days=31), NOW - dt.timedelta(days=5), ("30 hari", "30 days"), "offline_too_old"),
    # rules.clock.max_future_minutes (10): further ahead is refused; a phone a few minutes
    # fast is stored, flagged for its clock
    (NOW + dt.timedelta(minutes=11), NOW + dt.timedelta(minutes=8), ("10 menit", "10 minutes"), "clock_skew"),
])
def test_a_check_in_outside_the_clock_window_is_refused_inside_it_judged(runtime, client, outside, inside, words,
                                                                        reason):
    phone = new_phone(runtime, client)
    r = client.post("/api/v1/check-ins", json=body(runtime, outside, offline=True), headers=phone["headers"])
    named = _refused_naming(r, "captured_at")
    assert words[0] in named["message_id"] and words[1] in named["message_en"]
    assert _stored(runtime, phone["employee"]["id"]) == 0
    r = client.post("/api/v1/check-ins", json=body(runtime, inside, offline=reason == "offline_too_old"),
                    headers=phone["headers"])
    assert r.status_code == 201 and reason in r.json()["reasons"]
    assert _stored(runtime, phone["employee"]["id"]) == 1


@pytest.mark.parametrize("query", ["date=0", "date=1970-01-01", "date=2030-01-01", "date=9999-12-31",
                                   "date=2026-12-09T00:00:00"])
def test_me_today_refuses_a_date_that_is_no_sane_work_date(runtime, client, query):
    phone = new_phone(runtime, client)
    r = client.get(f"/api/v1/me/today?{query}", headers=phone["headers"])
    assert r.status_code == 422, r.text
    _refused_naming(r, "date")
    r = client.get("/api/v1/me/today?date=2026-11-30", headers=phone["headers"])   # a recent day still answers
    assert r.status_code == 200 and r.json()["work_date"] == "2026-11-30"


@pytest.mark.parametrize("month", ["1970-01", "2031-01", "9999-12"])
def test_me_month_refuses_a_month_far_from_today(runtime, client, month):
    phone = new_phone(runtime, client)
    _refused_naming(client.get(f"/api/v1/me/month?month={month}", headers=phone["headers"]), "month")
    assert client.get("/api/v1/me/month?month=2026-11", headers=phone["headers"]).status_code == 200


@pytest.mark.parametrize("first, last, field", [
    (dt.date(9999, 12, 1), dt.date(9999, 12, 31), "date_from"),
    (dt.date(2026, 12, 10), dt.date(2030, 1, 2), "date_to"),
    (dt.date(2020, 1, 6), dt.date(2020, 1, 7), "date_from"),
])
def test_a_leave_far_from_today_is_refused_naming_the_date(runtime, client, first, last, field):
    phone = new_phone(runtime, client)
    r = client.post("/api/v1/leaves", data=leave_form("izin", first, last), headers=phone["headers"])
    _refused_naming(r, field)
    assert client.get("/api/v1/leaves", headers=phone["headers"]).json()["leaves"] == []


def test_leave_dates_must_be_written_as_dates(runtime, client):
    phone = new_phone(runtime, client)
    form = {"type": "izin", "date_from": "0", "date_to": "1765245060", "reason": "keperluan keluarga"}
    r = client.post("/api/v1/leaves", data=form, headers=phone["headers"])
    _refused_naming(r, "date_from")
    _refused_naming(r, "date_to")


def test_activation_takes_the_nip_as_its_pattern_says(client):
    # the schema's pattern is ^[0-9]{18}$: a space around it is not quietly stripped
    payload = {"nip": " 198504122010011001", "code": "K7QMP-2XPAD", "device_id": "a"}
    _refused_naming(client.post("/api/v1/devices/activate", json=payload), "nip")


def test_a_json_operation_refuses_another_media_type_with_415(runtime, client):
    phone = new_phone(runtime, client)
    r = client.post("/api/v1/devices/activate", content=b'{"nip": "1"}', headers={"content-type": "text/plain"})
    assert r.status_code == 415 and r.json()["error"]["code"] == "unsupported_media_type"
    r = client.post("/api/v1/events/1/attend", content=b"{}", headers={**phone["headers"], "content-type": "text/plain"})
    assert r.status_code == 415


def test_the_openapi_document_states_the_ranges_and_the_refusals(client):
    doc = client.get("/api/v1/openapi.json").json()
    location = doc["components"]["schemas"]["Location"]["properties"]
    assert (location["lat"]["minimum"], location["lat"]["maximum"]) == (-90, 90)
    captured = doc["components"]["schemas"]["CheckInBody"]["properties"]["captured_at"]
    assert "max_age_days" in captured["description"] and "max_future_minutes" in captured["description"]
    for path, method in [("/api/v1/check-ins", "post"), ("/api/v1/devices/activate", "post"),
                         ("/api/v1/leaves", "post"), ("/api/v1/events/{event}/attend", "post"),
                         ("/api/v1/check-ins/{event_id}/reason", "post")]:
        assert {"400", "415", "422"} <= set(doc["paths"][path][method]["responses"]), path
    leave = doc["paths"]["/api/v1/leaves"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert "izin" in leave["properties"]["type"]["enum"] and "sakit" not in leave["anyOf"][0]["properties"]["type"]["enum"]


def test_healthz_tells_no_host_or_port(runtime, client):
    r = client.get("/healthz")
    assert r.status_code == 200
    report = r.json()
    assert report["status"] == "ok" and set(report["postgres"]) == {"ok", "latency_ms"} == set(report["redis"])
    # with Redis unreachable the report used to quote the connection error: host and port
    broken = dataclasses.replace(runtime, urls=dataclasses.replace(runtime.urls, redis_url="redis://127.0.0.1:1/0"))
    app = create_app(broken)
    with TestClient(app) as c:
        r = c.get("/healthz")
    assert r.status_code == 200 and r.json()["status"] == "degraded" and r.json()["redis"]["ok"] is False
    assert set(r.json()["redis"]) == {"ok", "latency_ms"} and "127.0.0.1" not in r.text and "onnect" not in r.text


def test_every_429_and_503_declares_its_retry_after(client):
    """The header the phone waits by is in the contract wherever those statuses are."""
    doc = client.get("/api/v1/openapi.json").json()
    waits = {(path, method, status): answer for path, ops in doc["paths"].items() for method, op in ops.items()
             for status, answer in op["responses"].items() if status in ("429", "503")}
    assert ("/api/v1/check-ins", "post", "429") in waits and ("/healthz", "get", "503") in waits
    undeclared = [where for where, answer in waits.items()
                  if answer.get("headers", {}).get("Retry-After", {}).get("schema", {}).get("type") != "integer"]
    assert undeclared == [], undeclared
