"""One ingest process for two regions (ingest/regions.py): region B's phones and terminals
read and write nothing of region A, whichever route they call.

A is the installation's own region (config.yaml, 3672, WIB), B is 8271 (WIT), on one
database. Every route of a region's app is called as B's phone (enumerated from the app,
so a new route is covered without touching this file), and afterwards every table of A's
schema and every key of A's Redis prefix is exactly as before, and no answer names A's
employees.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import time
import uuid

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import Mount, Route

from foundation import clock
from foundation.regions import region_secret, settings_for
from ingest import devices, events
from ingest.app import create_app, serve
from ingest.regions import Dispatcher
from ingest.terminals import registry
from queries import db
from tests.conftest import runtime_env
from tests.support import factories
from tests.support import terminals as tt
from tests.support.phones import JPEG, body, gunicorn
from tests.support.terminal_sim import Terminal

A, B = "3672", "8271"
B_HOST = f"http://{B}.testserver"
UNIT, OFFICE = "SETWAN", "SETWAN-1"   # in both regions' configs
A_NAME, B_NAME = "Rahasia Cilegon Wibowo", "Warga Ternate Jayapura"


def _moment(rt) -> dt.datetime:
    """Today 07:25 in the region's zone: a check-in every schedule accepts."""
    return dt.datetime.combine(clock.today(rt.config.zone), dt.time(7, 25), tzinfo=rt.config.zone)


def _body(rt, at: dt.datetime) -> dict:
    return body(rt, at, office=OFFICE)


def activate(rt, client, emp: dict, base: str = "") -> dict:
    code = devices.issue_code(rt, emp["nip"], "test").code
    r = client.post(f"{base}/api/v1/devices/activate", json={
        "nip": emp["nip"], "code": code, "device_id": f"android-{uuid.uuid4().hex[:12]}", "device_model": "Redmi 12"})
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


@pytest.fixture(scope="module")
def world(make_installation):
    regions = make_installation(B, label="inst_ingest")
    a, b = regions[A], regions[B]
    app = serve(regions)
    assert isinstance(app, Dispatcher) and list(app.apps) == [A, B]
    for code, sub in app.apps.items():
        sub.state.now = (lambda at: lambda: at)(_moment(regions[code]))
    with TestClient(app) as client:
        a_emp = factories.employee(a, UNIT, name=A_NAME, terminal_pin="5501")
        a_spare = factories.employee(a, UNIT, name=A_NAME + " Dua")      # a code, no phone yet
        b_emp = factories.employee(b, UNIT, name=B_NAME, terminal_pin="7701")
        a_headers = activate(a, client, a_emp)                    # no region host: the own region
        b_headers = activate(b, client, b_emp, base=B_HOST)       # B's host
        a_check_in = _body(a, _moment(a))
        assert client.post("/api/v1/check-ins", json=a_check_in, headers=a_headers).status_code == 201
        place = events.Place(office_code=OFFICE)
        start = _moment(a) - dt.timedelta(minutes=30)
        a_event = events.create_event(a, "test", name="Apel Cilegon", kind="apel", event_date=start.date(),
                                      opens_at=start, closes_at=start + dt.timedelta(hours=3), place=place)
        b_sn = f"B{uuid.uuid4().hex[:10].upper()}"
        registry.approve(b, b_sn, OFFICE, actor="test")
        yield {"app": app, "client": client, "a": a, "b": b, "a_emp": a_emp, "a_spare": a_spare,
               "a_spare_code": devices.issue_code(a, a_spare["nip"], "test").code, "b_emp": b_emp,
               "a_headers": a_headers, "b_headers": b_headers, "a_check_in": a_check_in["event_id"],
               "a_event": a_event, "b_sn": b_sn}


# --- what region A holds, to compare before and after -------------------------------------------

def database_state(rt) -> dict[str, str]:
    """Every table of the region's schema: its rows' digest (an insert, update or delete shows)."""
    with rt.connection() as conn:
        tables = db.rows(conn, """SELECT table_name FROM information_schema.tables
                                  WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'""")
        digest = "SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM \"{}\" t"
        return {t["table_name"]: db.scalar(conn, digest.format(t["table_name"])) for t in tables}


def redis_state(rt, others: list) -> dict[str, object]:
    """Every key under the region's prefix (not another region's, nested under it) and its value."""
    prefix = rt.settings.redis_prefix
    foreign = tuple(p for o in others for p in (f"{o.settings.redis_prefix}:", f"{{{o.settings.redis_prefix}:"))
    keys = [k for k in [*rt.redis.scan_iter(f"{prefix}:*"), *rt.redis.scan_iter(f"{{{prefix}:*")]
            if not k.startswith(foreign)]
    out = {}
    for key in keys:
        kind = rt.redis.type(key)
        out[key] = {"string": rt.redis.get, "hash": rt.redis.hgetall, "list": lambda k: rt.redis.lrange(k, 0, -1),
                    "zset": lambda k: rt.redis.zrange(k, 0, -1, withscores=True),
                    "set": rt.redis.smembers}.get(kind, lambda k: kind)(key)
    return out


def region_a(world) -> tuple:
    return database_state(world["a"]), redis_state(world["a"], [world["b"]]), _selfies(world["a"])


def _selfies(rt) -> set[str]:
    """The region's selfie files (another region's live in a sub-directory named by its code)."""
    root = rt.settings.selfie_dir
    return {str(p.relative_to(root)) for p in root.glob("??/*.jpg")} if root.exists() else set()


def secrets_of_a(world) -> list[str]:
    return [world["a_emp"]["nip"], world["a_spare"]["nip"], A_NAME, "Apel Cilegon"]


# --- every route, as B's phone --------------------------------------------------------------------

def _concrete(path: str, world) -> str:
    """A route's path with A's own identifiers where it takes one (the worst a B phone could ask)."""
    values = {"event_id": world["a_check_in"], "event": str(world["a_event"]), "other": "fdata", "path": "index.html"}
    for name in [p.split("}")[0].split(":")[0] for p in path.split("{")[1:]]:
        if name not in values:
            pytest.fail(f"route {path}: give this test a value for {{{name}}}")
        path = path.replace("{" + name + "}", values[name]).replace("{" + name + ":path}", values[name])
    return path


def _request(method: str, template: str, world) -> dict:
    """The request B's phone (or B's terminal, on /iclock) sends to this route."""
    b = world["b"]
    moment = _moment(b)
    if template.startswith("/iclock"):
        line = f"7701\t{dt.datetime.now(b.config.zone):%Y-%m-%d %H:%M:%S}\t0\t1\t0\t0\n"
        return {"params": {"SN": world["b_sn"], "table": "ATTLOG", "Stamp": "1"},
                **({"content": line.encode()} if method == "POST" else {})}
    headers = dict(world["b_headers"])
    bodies = {
        ("POST", "/api/v1/devices/activate"): {"json": {
            "nip": world["a_spare"]["nip"], "code": world["a_spare_code"], "device_id": "android-bphone01",
            "device_model": "Redmi 12"}},
        ("POST", "/api/v1/check-ins"): {"files": {"data": (None, json.dumps(_body(b, moment))),
                                                  "selfie": ("s.jpg", JPEG + uuid.uuid4().bytes, "image/jpeg")}},
        ("POST", "/api/v1/check-ins/{event_id}/reason"): {"json": {"reason": "macet di jalan raya"}},
        ("POST", "/api/v1/leaves"): {"data": {"type": "izin", "date_from": moment.date().isoformat(),
                                              "date_to": moment.date().isoformat(), "reason": "keperluan keluarga"}},
        ("POST", "/api/v1/events/{event}/attend"): {"json": {
            "event_id": str(uuid.uuid4()),
            "token": events.qr_token(region_secret(b.settings), world["a_event"], clock.now()),
            "location": _body(b, moment)["location"]}},
    }
    return {"headers": headers, **bodies.get((method, template), {"json": {}} if method != "GET" else {})}


def calls(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path template) for every route of a region's app."""
    out = []
    for route in iter_route_contexts(app.routes):   # included routers too, with their prefix
        if isinstance(route.original_route, Mount):
            out.append(("GET", route.path + "/"))
        elif isinstance(route.original_route, (APIRoute, Route)):
            out += [(m, route.path) for m in sorted(set(route.methods) - {"HEAD"})]
        else:
            pytest.fail(f"a route of a kind this test does not know: {route.original_route!r}")
    return out


@pytest.mark.parametrize("base", ["", B_HOST], ids=["routed-by-token-or-serial", "routed-by-host"])
def test_every_route_called_by_region_b_reads_and_writes_nothing_of_region_a(world, base):
    client, b = world["client"], world["b"]
    routes = calls(world["app"].apps[B])
    assert {("POST", "/api/v1/check-ins"), ("GET", "/iclock/getrequest"), ("GET", "/app/")} <= set(routes)
    before, b_check_ins = region_a(world), _count(b, "check_ins")
    assert {"check_ins", "devices", "activation_codes", "terminals", "leaves", "event_attendances"} <= set(before[0])
    prefix = world["a"].settings.redis_prefix      # A's live state and rate limits are in the comparison
    for group in (f"{{{prefix}:live:{A}:", f"{{{prefix}:rl:{A}}}"):
        assert any(key.startswith(group) for key in before[1]), group
    answers = {}
    for method, template in routes:
        r = client.request(method, base + _concrete(template, world), **_request(method, template, world))
        answers[(method, template)] = r
        assert r.status_code < 500, (method, template, r.status_code, r.text[:300])
        for secret in secrets_of_a(world):
            assert secret not in r.text, (method, template, secret)
    assert region_a(world) == before
    # and the calls did reach B: its check-in was stored there, its page names its employee
    assert answers[("POST", "/api/v1/check-ins")].status_code == 201
    assert _count(b, "check_ins") > b_check_ins
    assert answers[("GET", "/api/v1/me/today")].json()["employee"]["name"] == B_NAME
    assert answers[("POST", "/api/v1/devices/activate")].status_code in (401, 404)   # A's code is not B's
    assert answers[("POST", "/api/v1/check-ins/{event_id}/reason")].status_code == 404
    assert answers[("POST", "/api/v1/events/{event}/attend")].status_code == 404
    assert _selfies(b)   # B's selfie under B's directory, none in A's (region_a above)


def _count(rt, table: str) -> int:
    with rt.connection() as conn:
        return db.scalar(conn, f"SELECT count(*) FROM {table}")


# --- tokens -----------------------------------------------------------------------------------------

def test_region_a_token_at_region_b_host_is_refused(world):
    client = world["client"]
    assert client.get("/api/v1/me/today", headers=world["a_headers"]).status_code == 200   # valid at A
    before = region_a(world)
    r = client.get(f"{B_HOST}/api/v1/me/today", headers=world["a_headers"])
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_token"
    r = client.post(f"{B_HOST}/api/v1/check-ins", json=_body(world["b"], _moment(world["b"])),
                    headers=world["a_headers"])
    assert r.status_code == 401
    assert region_a(world) == before


def test_region_b_token_is_served_by_region_b_without_a_region_host(world):
    r = world["client"].get("/api/v1/me/today", headers=world["b_headers"])
    assert r.status_code == 200 and r.json()["employee"]["nip"] == world["b_emp"]["nip"]


@pytest.mark.parametrize("token", ["9999~abcdef", "7371~" + "x" * 43])
def test_a_token_naming_a_region_this_installation_lacks_is_refused_unforwarded(world, token):
    before = region_a(world), database_state(world["b"])
    r = world["client"].post("/api/v1/check-ins", json=_body(world["b"], _moment(world["b"])),
                             headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    error = r.json()["error"]
    assert error["code"] == "invalid_token" and error["message_id"] and error["message_en"]
    assert (region_a(world), database_state(world["b"])) == before


# --- terminals --------------------------------------------------------------------------------------

def test_region_b_terminal_lands_only_in_b_and_a_pin_is_unknown_there(world):
    a, b = world["a"], world["b"]
    before = region_a(world)
    terminal = Terminal(world["client"], world["b_sn"])
    assert terminal.handshake().text.startswith(f"GET OPTION FROM: {world['b_sn']}")
    now = dt.datetime.now(b.config.zone).replace(tzinfo=None, microsecond=0)
    for pin in ("7701", "5501"):   # B's employee, then A's employee's PIN
        r = terminal.punch(pin, now - dt.timedelta(minutes=1))
        assert r.status_code == 200 and r.text.startswith("OK"), r.text
    assert region_a(world) == before
    assert world["b_emp"]["id"] in {c["employee_id"] for c in tt.check_ins(b, world["b_sn"])}
    states = {r["pin"]: r["state"] for r in tt.q(b, "SELECT pin, state FROM terminal_log_states WHERE sn = :sn",
                                                 sn=world["b_sn"])}
    assert states["5501"] == "unmatched"
    assert tt.q(a, "SELECT sn FROM terminals WHERE sn = :sn", sn=world["b_sn"]) == []


def test_an_unknown_serial_waits_for_approval_in_the_own_region(world):
    sn = f"N{uuid.uuid4().hex[:10].upper()}"
    assert world["client"].get("/iclock/getrequest", params={"SN": sn}).text == "OK"
    assert [r["status"] for r in tt.q(world["a"], "SELECT status FROM terminals WHERE sn = :sn", sn=sn)] == ["pending"]
    assert tt.q(world["b"], "SELECT sn FROM terminals WHERE sn = :sn", sn=sn) == []


def test_a_serial_active_in_two_regions_is_refused_and_logged(world, caplog):
    a, b = world["a"], world["b"]
    sn = f"D{uuid.uuid4().hex[:10].upper()}"
    for rt in (a, b):
        registry.approve(rt, sn, OFFICE, actor="test")
    before = database_state(a), database_state(b)
    world["app"].serials.read_at = float("-inf")   # as after SERIALS_MAX_AGE_S
    with caplog.at_level(logging.ERROR, logger="pantau.regions"):
        r = world["client"].post("/iclock/cdata", params={"SN": sn, "table": "ATTLOG"},
                                 content=f"7701\t{dt.datetime.now(b.config.zone):%Y-%m-%d %H:%M:%S}\t0\t1\n".encode())
    assert r.status_code == 409 and r.text.startswith("ERROR:") and A in r.text and B in r.text
    assert any(sn in m and A in m and B in m for m in caplog.messages)
    assert (database_state(a), database_state(b)) == before
    registry.retire(a, sn, actor="test")       # BKPP keeps it in B only: B's from now on
    world["app"].serials.read_at = float("-inf")
    assert world["client"].get("/iclock/getrequest", params={"SN": sn}).status_code == 200


def test_a_region_host_wins_over_the_serial(world):
    r = world["client"].get(f"http://{A}.testserver/iclock/getrequest", params={"SN": world["b_sn"]})
    assert r.status_code == 200
    assert [t["status"] for t in tt.q(world["a"], "SELECT status FROM terminals WHERE sn = :sn",
                                      sn=world["b_sn"])] == ["pending"]
    world["app"].serials.read_at = float("-inf")
    assert world["app"].serials.fresh(world["b_sn"])[0] == {A: "pending", B: "active"}   # still B's


# --- one region: today's app; the Procfile line: every region ------------------------------------------------

def test_a_single_region_installation_gets_the_region_app_itself(runtime):
    assert type(serve({runtime.config.region.code: runtime})) is FastAPI
    assert type(create_app(runtime)) is FastAPI


def test_another_regions_settings_never_carry_the_own_regions_app_url(world):
    a = world["a"]
    base = dataclasses.replace(a.settings, app_database_url=a.database_url)
    derived = settings_for(base, B)
    assert derived.app_database_url is None and derived.db_schema.endswith(f"r_{B}")


def test_the_procfile_process_serves_both_regions(world):
    """gunicorn with ingest.serving.Worker and `ingest.app:create_app()`, from the own region's
    environment (both DATABASE_URL and PANTAU_APP_DATABASE_URL set, as runtime_env gives)."""
    a, b = world["a"], world["b"]
    assert runtime_env(a)["PANTAU_APP_DATABASE_URL"]
    b_before = _count(b, "check_ins")
    with gunicorn(a, workers=1) as server:
        with httpx.Client(base_url=server.url, timeout=10) as http:
            me = http.get("/api/v1/me/today", headers=world["b_headers"])
            assert me.status_code == 200 and me.json()["employee"]["name"] == B_NAME
            assert http.get("/api/v1/me/today", headers=world["a_headers"]).json()["employee"]["name"] == A_NAME
            r = http.post("/api/v1/check-ins", json=_body(b, dt.datetime.now(b.config.zone)),
                          headers=world["b_headers"])
            assert r.status_code == 201, r.text
            assert http.get("/healthz").status_code == 200
    assert _count(b, "check_ins") == b_before + 1
    log = (a.settings.var_dir / f"gunicorn-{server.url.rsplit(':', 1)[1]}.log").read_text()
    assert "Application startup complete" in log and "Application shutdown complete" in log   # every lifespan


# --- what a process keeps between requests is kept per region ---------------------------------------------

def test_dates_to_recount_and_terminal_recounts_are_kept_per_region(world, monkeypatch):
    from ingest import live
    from ingest.terminals import punches

    a, b = world["a"], world["b"]
    day = dt.date(2026, 11, 2)
    rebuilt = []
    monkeypatch.setattr(live, "_dirty", {})
    monkeypatch.setattr(live, "rebuild", lambda rt, d: rebuilt.append((rt.config.region.code, d)))
    live.recount_later(a, {day})
    live._catch_up(b)                 # B's watcher: A's date is not B's to recount (nor to drop)
    assert rebuilt == [] and live.dirty_days(a) == {day}
    live._catch_up(a)
    assert rebuilt == [(A, day)] and live.dirty_days(a) == set()

    recounted = []
    monkeypatch.setattr(punches, "_recount", lambda rt, d: recounted.append((rt.config.region.code, d)))
    recounts = punches._Recounts(interval_s=0.5)
    recounts.last = time.monotonic()  # one recount just ran: the next waits, gathering both requests
    recounts.request(a, day)
    recounts.request(b, day)          # the same date in another region: both are recounted
    recounts.timer.join(5)
    assert sorted(recounted) == [(A, day), (B, day)]



# --- a phone's first activation, no region host ----------------------------------------------------

def test_a_first_activation_without_a_region_host_finds_the_region_of_its_code(world):
    """A phone of B's employee, given B's code, activates at the installation's shared address
    (no region host, no token yet): the code's region binds it and its token names B."""
    from foundation.regions import token_region

    client, b = world["client"], world["b"]
    emp = factories.employee(b, UNIT, name=B_NAME + " Baru")
    code = devices.issue_code(b, emp["nip"], "test").code
    before, b_devices = region_a(world), _count(b, "devices")
    r = client.post("/api/v1/devices/activate", json={
        "nip": emp["nip"], "code": code.lower(), "device_id": "android-first-b", "device_model": "Redmi 12"})
    assert r.status_code == 201, r.text
    assert token_region(r.json()["token"]) == B and r.json()["employee"]["name"] == B_NAME + " Baru"
    assert _count(b, "devices") == b_devices + 1 and region_a(world) == before
    headers = {"Authorization": f"Bearer {r.json()['token']}"}
    assert client.get("/api/v1/me/today", headers=headers).json()["employee"]["nip"] == emp["nip"]


@pytest.mark.parametrize("case", ["wrong code", "used code", "not json", "too big"])
def test_an_activation_no_region_takes_is_answered_by_the_own_region(world, case):
    client, b = world["client"], world["b"]
    emp = factories.employee(b, UNIT, name=B_NAME + " Lain")
    code = devices.issue_code(b, emp["nip"], "test").code
    body = {"nip": emp["nip"], "code": code, "device_id": f"android-{case[:4]}", "device_model": "Redmi 12"}
    if case == "used code":
        assert client.post("/api/v1/devices/activate", json=body).status_code == 201
    request = {"json": {**body, "code": "ZZZZZ-ZZZZZ"} if case == "wrong code" else body}
    if case == "not json":
        request = {"content": b"nip=1&code=2", "headers": {"content-type": "application/json"}}
    if case == "too big":
        request = {"json": {**body, "device_model": "x" * 20_000}}
    before_b = database_state(b)
    r = client.post("/api/v1/devices/activate", **request)
    assert r.status_code in (400, 401, 422), (case, r.status_code, r.text[:200])
    assert r.json()["error"]["message_id"] and r.json()["error"]["message_en"]
    assert database_state(b) == before_b          # nothing bound in B, no attempt counted there
