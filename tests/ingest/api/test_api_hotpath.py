"""The check-in hot path's shortcuts keep their promises: one lock-and-read round trip
still serialises an employee, a token is refused on the request right after a reset,
both rate limits hold in one Redis call, and a dead pooled connection is a 503 the app
retries."""
from __future__ import annotations

import datetime as dt
import threading
import uuid
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from ingest import attendance, devices
from ingest.app import create_app
from ingest.rules.judge import Attempt
from queries import db
from tests.support import factories
from tests.conftest import with_rate_limits
from tests.support.phones import body, new_phone

WIB = ZoneInfo("Asia/Jakarta")
MORNING = dt.datetime(2026, 12, 2, 7, 25, tzinfo=WIB)   # a Wednesday (dates apart from other tests)


def _app(runtime):
    app = create_app(runtime)
    app.state.now = lambda: MORNING
    return app


def _count(rt, sql: str, **kw) -> int:
    with rt.connection() as conn:
        return db.scalar(conn, sql, **kw)


def test_concurrent_check_ins_of_one_employee_all_reach_the_work_day(runtime):
    """Each writer reads after taking the lock, so none misses an earlier one's check-in:
    the first in is the earliest and the last out the latest, whatever the interleaving."""
    emp = factories.employee(runtime, "DINKES")
    o = runtime.config.office_by_code["DINKES-1"]
    ins = [dt.datetime(2026, 12, 3, 7, 0, tzinfo=WIB) + dt.timedelta(minutes=3 * i) for i in range(6)]
    outs = [dt.datetime(2026, 12, 3, 16, 0, tzinfo=WIB) + dt.timedelta(minutes=4 * i) for i in range(6)]
    start = threading.Barrier(len(ins) + len(outs))
    errors = []

    def send(moment):
        try:
            start.wait()
            attendance.record(runtime, emp["id"], Attempt(
                source="mobile", captured_at=moment, received_at=moment, lat=o.lat, lon=o.lon, accuracy_m=8),
                f"mobile:{uuid.uuid4()}", payload={})
        except Exception as exc:   # surfaced below: a thread's failure must fail the test
            errors.append(exc)
    threads = [threading.Thread(target=send, args=(m,)) for m in [*reversed(ins), *outs]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with runtime.connection() as conn:
        day = db.one(conn, "SELECT first_in, last_out FROM work_days WHERE employee_id = :e AND work_date = :d",
                     e=emp["id"], d=dt.date(2026, 12, 3))
    assert day == {"first_in": ins[0], "last_out": outs[-1]}


def test_a_token_is_refused_on_the_request_after_a_reset(runtime):
    with TestClient(_app(runtime)) as c:
        phone = new_phone(runtime, c)
        for _ in range(2):
            assert c.post("/api/v1/check-ins", json=body(runtime, MORNING), headers=phone["headers"]).status_code == 201
        devices.reset(runtime, phone["employee"]["nip"], "bkpp:test", "hilang")
        r = c.post("/api/v1/check-ins", json=body(runtime, MORNING), headers=phone["headers"])
    assert r.status_code == 401 and r.json()["error"]["code"] == "device_revoked"
    assert _count(runtime, "SELECT count(*) FROM check_ins WHERE employee_id = :e", e=phone["employee"]["id"]) == 2


def test_ip_and_device_limits_both_hold(runtime):
    with TestClient(_app(with_rate_limits(runtime, ip="5/minute", device="2/minute"))) as c:
        a, b = new_phone(runtime, c), new_phone(runtime, c)
        by_device = [c.get("/api/v1/me/today", headers=a["headers"]).status_code for _ in range(3)]
        by_ip = [c.get("/api/v1/me/today", headers=b["headers"]).status_code for _ in range(2)]
        refused = c.get("/api/v1/me/today", headers=b["headers"])
    assert by_device == [200, 200, 429] and by_ip == [200, 200]   # 5 from this IP so far
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 60


def test_a_dead_pooled_connection_is_503_then_the_retry_lands_once(runtime):
    with TestClient(_app(runtime)) as c:
        phone = new_phone(runtime, c)
        assert c.post("/api/v1/check-ins", json=body(runtime, MORNING), headers=phone["headers"]).status_code == 201
        url = runtime.urls.owner_url   # the app's role may not end other roles' backends
        killer = f"{url}{'&' if '?' in url else '?'}application_name=killer"   # a pool of its own
        with db.connection(killer) as conn:   # what a Postgres restart does to the API's pool
            # the API's backends (its role's): on Citus other regions share the database
            db.run(conn, """SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                            WHERE datname = current_database() AND usename = :role AND pid <> pg_backend_pid()""",
                   role=runtime.urls.app_role.name)
        again = body(runtime, MORNING)
        replies = [c.post("/api/v1/check-ins", json=again, headers=phone["headers"]) for _ in range(20)]
        landed = next(i for i, r in enumerate(replies) if r.status_code != 503)
    assert landed >= 1 and all(r.headers["Retry-After"] == "5" for r in replies[:landed])
    assert replies[landed].status_code == 201 and {r.status_code for r in replies[landed + 1:]} == {200}
    assert _count(runtime, "SELECT count(*) FROM check_ins WHERE event_key LIKE :k",
                  k=f"%{again['event_id']}") == 1


def test_the_check_in_shortcut_answers_as_the_router_did(runtime):
    """POST /check-ins skips FastAPI's router (check_ins.Shortcut): its refusals still come
    from the app's handlers, in the one envelope, and other methods still reach the router."""
    with TestClient(_app(runtime)) as c:
        phone = new_phone(runtime, c)
        broken = c.post("/api/v1/check-ins", content=b"--x\r\nContent-Disposition: form-data; name=\"data\"\r\n",
                        headers={**phone["headers"], "Content-Type": "multipart/form-data; boundary=x"})
        no_token = c.post("/api/v1/check-ins", json=body(runtime, MORNING))
        late = c.post("/api/v1/check-ins", json={**body(runtime, MORNING), "captured_at": "2020-01-01T07:00:00+07:00"},
                      headers=phone["headers"])
        listed = c.get("/api/v1/check-ins", headers=phone["headers"])
    assert (broken.status_code, broken.json()["error"]["code"]) in {(400, "bad_request"), (422, "invalid_fields")}
    assert no_token.status_code == 401 and no_token.json()["error"]["code"] == "missing_token"
    assert no_token.headers["WWW-Authenticate"] == "Bearer"
    assert late.status_code == 422 and [f["field"] for f in late.json()["error"]["fields"]] == ["captured_at"]
    assert listed.status_code == 405 and listed.json()["error"]["code"] == "method_not_allowed"
    assert listed.headers["Allow"] == "POST"   # the methods the path has
