"""Fuzz: thousands of malformed requests (hypothesis), in process. Never a 500, and
nothing half-written: rows appear only for requests the API acknowledged."""
from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from collections import Counter
from zoneinfo import ZoneInfo

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest import devices
from ingest.app import create_app
from queries import db
from tests.support import factories
from tests.conftest import with_rate_limits
from tests.support.phones import JPEG, body, new_phone

WIB = ZoneInfo("Asia/Jakarta")
MORNING = dt.datetime(2026, 12, 2, 7, 25, tzinfo=WIB)
EXAMPLES, PER_EXAMPLE = 540, 4     # 2,160 requests; batches keep hypothesis' own overhead small

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-2**70, max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=40),
    st.sampled_from(["", "\x00", "\ud800", "9999-12-31T23:59:59-23:59", "2026-11-25T07:25:00", "NaN",
                     "2026-02-30T07:00:00+07:00", str(uuid.uuid4()), "in", "midday", "🙂" * 5]))
json_values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                           st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                           max_leaves=6)
PATHS = [("event_id",), ("captured_at",), ("location",), ("location", "lat"), ("location", "lon"),
         ("location", "accuracy_m"), ("location", "mock"), ("location", "provider"), ("offline",), ("face",),
         ("face", "score"), ("face", "liveness"), ("session",)]


@st.composite
def mutated_body(draw, base: dict) -> dict:
    out = json.loads(json.dumps(base))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(PATHS))
        parent = out
        for key in path[:-1]:
            parent = parent.setdefault(key, {}) if isinstance(parent.get(key, {}), dict) else {}
        action = draw(st.sampled_from(["replace", "replace", "delete", "extra"]))
        if action == "replace":
            parent[path[-1]] = draw(json_values)
        elif action == "delete":
            parent.pop(path[-1], None)
        else:
            out[draw(st.text(min_size=1, max_size=10))] = draw(json_values)
    return out


def _dumps(value) -> bytes:
    return json.dumps(value, allow_nan=True, ensure_ascii=True).encode()


def requests(base: dict, headers: dict, event_id: str):
    """(method, path, kwargs) for one malformed-looking request."""
    auth = st.one_of(st.just(headers), st.just(headers), st.just({}),
                     st.text(max_size=30).map(lambda t: {"Authorization": "Bearer " + t.encode("ascii", "ignore").decode()}))
    check_in_json = st.builds(lambda b, h: ("POST", "/api/v1/check-ins",
                                            {"content": _dumps(b), "headers": {**h, "content-type": "application/json"}}),
                              mutated_body(base), auth)
    check_in_raw = st.builds(lambda raw, ctype, h: ("POST", "/api/v1/check-ins",
                                                    {"content": raw, "headers": {**h, "content-type": ctype}}),
                             st.one_of(st.binary(max_size=200), json_values.map(_dumps)),
                             st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded",
                                              "multipart/form-data", "multipart/form-data; boundary=xyz", ""]), auth)
    multipart = st.builds(lambda b, selfie, extra, h: ("POST", "/api/v1/check-ins", {
        "files": {"data": (None, _dumps(b)), "selfie": ("s.jpg", selfie, "image/jpeg"), **extra}, "headers": h}),
        mutated_body(base), st.one_of(st.binary(max_size=64), st.just(JPEG), st.just(b"")),
        st.dictionaries(st.sampled_from(["x", "data2", "selfie2"]), st.just((None, "junk")), max_size=1),
        st.just(headers))
    activation = st.builds(lambda b: ("POST", "/api/v1/devices/activate", {
        "content": _dumps(b), "headers": {"content-type": "application/json"}}),
        st.one_of(json_values, st.fixed_dictionaries({"nip": json_values, "code": json_values,
                                                      "device_id": json_values, "device_model": json_values})))
    reason = st.builds(lambda path_id, b, h: ("POST", f"/api/v1/check-ins/{path_id}/reason", {
        "content": _dumps(b), "headers": {**h, "content-type": "application/json"}}),
        st.one_of(st.just(event_id), st.text(alphabet="abcdef0123456789-%", max_size=40)),
        st.one_of(json_values, st.fixed_dictionaries({"reason": json_values})), auth)
    today = st.builds(lambda q, h: ("GET", "/api/v1/me/today", {"params": {"date": q}, "headers": h}),
                      st.text(max_size=20), auth)
    return st.one_of(check_in_json, check_in_json, check_in_json, check_in_raw, multipart, activation, reason, today)


class AsgiClient:
    """A plain in-process ASGI client on one event loop (cheaper per request than TestClient)."""

    def __init__(self, app):
        self.loop = asyncio.new_event_loop()
        self.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api.test")

    def request(self, method: str, path: str, **kwargs) -> httpx.Response:
        return self.loop.run_until_complete(self.http.request(method, path, **kwargs))

    def post(self, path: str, **kwargs) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def close(self) -> None:
        self.loop.run_until_complete(self.http.aclose())
        self.loop.close()


def _count(rt, sql: str, **kw) -> int:
    with rt.connection() as conn:
        return db.scalar(conn, sql, **kw)


def test_malformed_requests_never_500_and_never_half_write(runtime):
    unlimited = "1000000/minute"
    app = create_app(with_rate_limits(runtime, device=unlimited, ip=unlimited, activate_ip=unlimited,
                                      activate_nip=unlimited))
    app.state.now = lambda: MORNING
    statuses: Counter = Counter()
    client = AsgiClient(app)   # app exceptions propagate: a 500 would fail the test
    try:
        phone = new_phone(runtime, client)
        late = body(runtime, MORNING + dt.timedelta(minutes=10))
        assert client.post("/api/v1/check-ins", json=late, headers=phone["headers"]).status_code == 201
        other = factories.employee(runtime, "DINKES")
        devices.issue_code(runtime, other["nip"], "fuzz")
        base = body(runtime, MORNING)

        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(st.lists(requests(base, phone["headers"], late["event_id"]), min_size=PER_EXAMPLE,
                        max_size=PER_EXAMPLE))
        def batch(reqs):
            for method, path, kwargs in reqs:
                r = client.request(method, path, **kwargs)
                statuses[r.status_code] += 1
                assert r.status_code < 500, ((method, path, kwargs), r.text)
                if r.status_code >= 400:
                    assert set(r.json()["error"]) >= {"code", "message_id", "message_en"}
        batch()
    finally:
        client.close()

    malformed = sum(n for s, n in statuses.items() if s >= 400)
    assert malformed >= 2000, statuses
    emp = phone["employee"]["id"]
    stored = _count(runtime, "SELECT count(*) FROM check_ins WHERE employee_id = :e", e=emp)
    assert stored == 1 + statuses[201] - _count(runtime, "SELECT count(*) FROM check_in_notes n JOIN check_ins c "
                                                         "ON c.id = n.check_in_id WHERE c.employee_id = :e", e=emp)
    assert _count(runtime, "SELECT count(*) FROM devices WHERE employee_id = :e", e=other["id"]) == 0
