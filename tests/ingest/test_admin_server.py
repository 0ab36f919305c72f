"""Leave requests and QR attendance through the Procfile's gunicorn, real HTTP and multipart."""
from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

import httpx
import pytest

from ingest import events
from tests.support.admin import PDF, leave_form
from tests.support.phones import body, gunicorn, new_phone

WIB = ZoneInfo("Asia/Jakarta")
START = dt.datetime(2027, 3, 15, 7, 35, tzinfo=WIB)   # a Monday morning apel


@pytest.fixture(scope="module")
def server(runtime):
    with gunicorn(runtime, clock_at=START, workers=1) as srv:
        yield srv


@pytest.fixture
def http(server):
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


def test_leave_request_with_a_document_over_http(runtime, http):
    phone = new_phone(runtime, http)
    form = leave_form("dinas_luar", dt.date(2027, 3, 22), dt.date(2027, 3, 23), "rapat koordinasi di provinsi")
    r = http.post("/api/v1/leaves", data=form, files=[("attachments", ("spt.pdf", PDF, "application/pdf"))],
                  headers=phone["headers"])
    assert r.status_code == 201, r.text
    assert r.json()["state"] == "pending" and r.json()["attachments"][0]["mime"] == "application/pdf"
    big = b"%PDF-" + b"0" * (7 * 1024 * 1024)   # beyond the route's body limit: refused before it is read
    r = http.post("/api/v1/leaves", data=form, files=[("attachments", ("besar.pdf", big, "application/pdf"))],
                  headers=phone["headers"])
    assert r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large"
    listed = http.get("/api/v1/leaves", headers=phone["headers"]).json()["leaves"]
    assert [(x["type"], x["state"]) for x in listed] == [("dinas_luar", "pending")]


def test_qr_attendance_over_http(runtime, server, http):
    now = server.now()
    event_id = events.create_event(
        runtime, "bkpp:test", name="Upacara", kind="upacara", event_date=now.astimezone(WIB).date(),
        opens_at=now - dt.timedelta(minutes=10), closes_at=now + dt.timedelta(minutes=30),
        place=events.Place(office_code="DINKES-1"), invited_units=["DINKES"])
    phone = new_phone(runtime, http)
    location = body(runtime, now)["location"]
    token = events.qr_token(runtime.settings.secret_key, event_id, server.now())
    r = http.post(f"/api/v1/events/{event_id}/attend", headers=phone["headers"],
                  json={"event_id": str(uuid.uuid4()), "token": token, "location": location})
    assert r.status_code == 201 and r.json()["verdict"] == "accepted", r.text
    stale = events.qr_token(runtime.settings.secret_key, event_id, server.now() - dt.timedelta(minutes=2))
    other = new_phone(runtime, http)
    r = http.post(f"/api/v1/events/{event_id}/attend", headers=other["headers"],
                  json={"event_id": str(uuid.uuid4()), "token": stale, "location": location})
    assert r.json()["verdict"] == "refused" and r.json()["reasons"] == ["qr_expired"]
    r = http.post(f"/api/v1/events/{event_id}/attend", json={"event_id": str(uuid.uuid4()), "token": token,
                                                             "location": location})
    assert r.status_code == 401 and r.json()["error"]["code"] == "missing_token"
