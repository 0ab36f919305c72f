"""Postgres stopped, restarted and frozen (SIGSTOP) in the middle of a morning burst.

The Procfile's ingest and web processes (gunicorn) run against a Postgres of this module's
own (tests/support/own_postgres.py), never the system one. Whatever Postgres does:
- a phone is answered within the budget (config: database.api_wait_s), and while Postgres
  cannot store its check-in that answer is 503 with Retry-After and the bilingual envelope;
- no acknowledged check-in is lost or stored twice, and a resend (same event_id) after
  recovery is stored once;
- a terminal's upload is not acknowledged (it sends again later) and is stored once after;
- no dashboard route or download answers 500: the page says, in Indonesian, that the
  database cannot be reached.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import json
import random
import re
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import httpx
import pytest

from dashboard.auth import hash_password
from foundation.runtime import boot
from foundation.settings import Settings
from ingest import devices, live
from ingest.simulate import phones as sim
from ingest.terminals import registry
from queries import db, users
from tests.conftest import ROOT, RUN_ID
from tests.support import factories
from tests.support.own_postgres import postgres_server, wait_until  # noqa: F401 (a fixture)
from tests.support.phones import gunicorn
from tests.support.servers import serving
from tests.support.terminal_sim import Record, Terminal
from tests.support.terminals import pin_of, sn

WIB = ZoneInfo("Asia/Jakarta")
CLOCK = dt.datetime(2026, 11, 24, 7, 20, tzinfo=WIB)     # a Tuesday morning, in the check-in window
BUDGET_S = 3                                           # database.api_wait_s / dashboard_wait_s here
FREEZE_S = BUDGET_S * 3 + 4                            # longer than any answer may take
PASSWORD = "rahasia-yang-panjang"
DB_DOWN = "Basis data tidak dapat dihubungi"
ROUTER_PATHS = ("/", "/overview", "/trends", "/map", "/downloads", "/wall", "/admin/leave", "/admin/devices",
                "/admin/events", "/admin/manual", "/admin/audit", "/admin/qr", "/admin/terminals", "/admin/users")
DOWNLOADS = ("/download/checkins.csv", "/download/units.csv", "/download/recap.csv",
             "/download/unit_recap.csv", "/download/map.html")
FIGURES: dict[str, dict] = {}


# --- the region, its servers ---------------------------------------------------------------

@pytest.fixture(scope="module")
def region(postgres_server, redis_url, tmp_path_factory):  # noqa: F811
    var = tmp_path_factory.mktemp("pg-faults")
    config = var / "config.yaml"
    text = (ROOT / "config.yaml").read_text(encoding="utf-8")
    text = re.sub(r"(?m)^(  (api|dashboard)_wait_s:) \d+", rf"\1 {BUDGET_S}", text)
    assert text.count(f"_wait_s: {BUDGET_S}") == 2
    config.write_text(text, encoding="utf-8")
    settings = Settings(database_url=postgres_server.create_database("pantau_faults"), redis_url=redis_url,
                        config_path=config, var_dir=var, redis_prefix=f"pantau-pgfault-{RUN_ID}",
                        selfie_dir=var / "selfies", secret_key="pgfault-" + RUN_ID)
    rt = boot(settings)
    with rt.transaction() as conn:
        users.add_user(conn, "bkpp", hash_password(PASSWORD), "bkpp", None, "Petugas BKPP")
    yield rt
    db.dispose_all()
    keys = list(rt.redis.scan_iter(f"{rt.settings.redis_prefix}:*"))
    if keys:
        rt.redis.delete(*keys)


@pytest.fixture(scope="module")
def ingest(region):
    with gunicorn(region, clock_at=CLOCK) as server:
        yield server


@pytest.fixture(scope="module")
def web(region):
    """The Procfile's web line (one worker here), logged in as BKPP before any fault."""
    from bench.dashboard import web_command
    from tests.conftest import runtime_env

    line = next(x for x in (ROOT / "Procfile").read_text().splitlines() if x.startswith("web:"))[4:]
    cmd, port = web_command(line.replace("--workers 3", "--workers 1"))
    base = f"http://127.0.0.1:{port}"
    with serving(cmd, ROOT, runtime_env(region), base + "/login", region.settings.var_dir / "web.log"):
        with httpx.Client(base_url=base, timeout=60) as client:
            page = client.get("/login").text
            token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
            r = client.post("/login", data={"csrf_token": token, "username": "bkpp", "password": PASSWORD})
            assert r.status_code == 302, r.text[:300]
            yield client


def _fleet(rt, n: int) -> list[sim.Phone]:
    people = [factories.employee(rt, "DINKES") for _ in range(n)]
    office = rt.config.office_by_code["DINKES-1"]
    codes = devices.issue_codes(rt, [p["nip"] for p in people], "test")
    return [sim.Phone(nip, code, office.lat, office.lon) for nip, code in codes.items()]


# --- phones that note every answer ---------------------------------------------------------

@dataclass
class Answer:
    event_id: str
    status: int            # 0: no HTTP answer at all
    waited_s: float
    retry_after: str | None
    error: dict | None


async def _post(http: httpx.AsyncClient, phone: sim.Phone, body: dict) -> Answer:
    started = time.monotonic()
    try:
        r = await http.post("/api/v1/check-ins", json=body, headers=phone.headers)
    except httpx.TransportError:
        return Answer(body["event_id"], 0, time.monotonic() - started, None, None)
    error = r.json().get("error") if r.headers.get("content-type", "").startswith("application/json") else None
    return Answer(body["event_id"], r.status_code, time.monotonic() - started, r.headers.get("retry-after"), error)


async def _until_acknowledged(http, phone, body, answers: list[Answer], give_up_s: float = 90) -> None:
    """As the app does: the same event_id until 200/201, waiting as Retry-After says."""
    deadline = time.monotonic() + give_up_s
    while time.monotonic() < deadline:
        answer = await _post(http, phone, body)
        answers.append(answer)
        if answer.status in (200, 201):
            return
        assert answer.status in (0, 503), answer      # never a 500 or another refusal
        await asyncio.sleep(float(answer.retry_after or 1))


def _stored(rt, phones: list[sim.Phone]) -> Counter:
    """event_id -> check-in rows stored for it (the event key ends with the phone's event_id)."""
    with rt.connection() as conn:
        rows = db.rows(conn, """
            SELECT c.event_key FROM check_ins c JOIN employees e ON e.id = c.employee_id
            WHERE e.nip = ANY(:nips)""", nips=[p.nip for p in phones])
    return Counter(r["event_key"].rsplit(":", 1)[1] for r in rows)


def _present_without_check_in(rt, phones: list[sim.Phone]) -> int:
    """Work days marked present that no stored check-in explains (a half-written check-in)."""
    with rt.connection() as conn:
        return db.scalar(conn, """
            SELECT count(*) FROM work_days w JOIN employees e ON e.id = w.employee_id
            WHERE e.nip = ANY(:nips) AND w.status = 'hadir'
              AND NOT EXISTS (SELECT 1 FROM check_ins c WHERE c.employee_id = w.employee_id
                              AND c.work_date = w.work_date)""", nips=[p.nip for p in phones])


def _assert_nothing_lost_or_doubled(rt, phones, bodies, answers: list[Answer]) -> dict:
    acknowledged = {a.event_id for a in answers if a.status in (200, 201)}
    stored = _stored(rt, phones)
    figures = {"requests": len(answers), "acknowledged": len(acknowledged),
               "lost": len(acknowledged - set(stored)), "doubled": sum(n > 1 for n in stored.values()),
               "codes": dict(sorted(Counter(a.status for a in answers).items()))}
    assert acknowledged == {b["event_id"] for b in bodies.values()}     # every phone got through
    assert figures["lost"] == 0 and figures["doubled"] == 0
    assert set(stored) == acknowledged
    assert _present_without_check_in(rt, phones) == 0
    return figures


def _live_equals_recount(rt) -> bool:
    """The wall's present counts (Redis) equal a recount of the work days in Postgres."""
    shown = live.snapshot(rt, CLOCK.date())["units"].get("DINKES", {})
    with rt.connection() as conn:
        counted = {r["state"]: r["n"] for r in db.rows(conn, """
            SELECT CASE WHEN late_band IS NULL THEN 'on_time' ELSE 'late' END AS state, count(*) AS n
            FROM work_days WHERE work_date = :d AND unit_code = 'DINKES' AND status = 'hadir' GROUP BY 1""",
            d=CLOCK.date())}
    return all(shown.get(state, 0) == counted.get(state, 0) for state in ("on_time", "late"))


def _assert_503(answer: Answer) -> None:
    assert answer.status == 503, answer
    assert int(answer.retry_after) > 0
    assert answer.error["code"] == "database_unavailable"
    assert answer.error["message_id"] and answer.error["message_en"]


# --- the dashboard during an outage --------------------------------------------------------

def _dash_route(client: httpx.Client, path: str) -> httpx.Response:
    body = {"output": "page.children", "outputs": {"id": "page", "property": "children"},
            "inputs": [{"id": "url", "property": "pathname", "value": path},
                       {"id": "url", "property": "search", "value": ""}],
            "changedPropIds": ["url.pathname"]}
    return client.post("/_dash-update-component", content=json.dumps(body),
                       headers={"Content-Type": "application/json",
                                "X-CSRFToken": client.cookies.get("_csrf_token") or ""})


def _wrong_login(client: httpx.Client) -> httpx.Response:
    with httpx.Client(base_url=str(client.base_url), timeout=60) as anonymous:
        page = anonymous.get("/login").text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        return anonymous.post("/login", data={"csrf_token": token, "username": "bkpp", "password": "salah"})


def _dashboard_answers(client: httpx.Client, paths=ROUTER_PATHS, downloads=DOWNLOADS) -> dict[str, httpx.Response]:
    """Each route at once, as several browsers would ask (the web line's 4 threads answer)."""
    asks = {f"page {p}": (_dash_route, client, p) for p in paths}
    asks.update({f"GET {p}": (client.get, p) for p in downloads})
    asks["GET /"] = (client.get, "/")
    asks["POST /login"] = (_wrong_login, client)
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = {name: pool.submit(*ask) for name, ask in asks.items()}
        return {name: f.result() for name, f in futures.items()}


def _assert_dashboard_says_so(answers: dict[str, httpx.Response], must_say: tuple[str, ...]) -> dict:
    codes = {name: r.status_code for name, r in answers.items()}
    assert 500 not in codes.values(), {n: r.text[:300] for n, r in answers.items() if r.status_code == 500}
    for name in must_say:
        r = answers[name]
        assert DB_DOWN in r.text, (name, r.status_code, r.text[:300])
        if r.status_code == 503:
            assert int(r.headers["retry-after"]) > 0
    return codes


# --- the faults ----------------------------------------------------------------------------

def test_postgres_stopped_and_restarted_mid_burst(region, postgres_server, ingest, web):  # noqa: F811
    fleet = _fleet(region, 40)
    assert len(asyncio.run(sim.activate_all(ingest.url, fleet))) == len(fleet)
    rng = random.Random(3)
    bodies = {p.device_id: sim.check_in_body(p, ingest.now(), rng) for p in fleet}
    answers: list[Answer] = []
    dashboard: dict[str, httpx.Response] = {}

    async def burst():
        async with sim.client(ingest.url, 64, timeout_s=60) as http:
            async def phone(i: int, p: sim.Phone):
                await asyncio.sleep(i * 0.1)           # four seconds of arrivals
                await _until_acknowledged(http, p, bodies[p.device_id], answers)

            async def outage():
                await asyncio.sleep(1.0)
                await asyncio.to_thread(postgres_server.stop)
                dashboard.update(await asyncio.to_thread(_dashboard_answers, web))
                await asyncio.sleep(2.0)
                await asyncio.to_thread(postgres_server.start)
            await asyncio.gather(outage(), *(phone(i, p) for i, p in enumerate(fleet)))
    asyncio.run(burst())
    db.dispose_all()    # this process's connections died with the server

    figures = _assert_nothing_lost_or_doubled(region, fleet, bodies, answers)
    assert figures["codes"].get(503, 0) > 0                  # the stop did meet check-ins
    resends = asyncio.run(_resend(ingest.url, fleet, bodies))
    assert {a.status for a in resends} <= {200, 503}         # each already stored: a retry, never a 201
    assert sum(_stored(region, fleet).values()) == len(fleet)
    assert wait_until(lambda: _live_equals_recount(region), 30)
    figures["resends"] = dict(Counter(a.status for a in resends))
    figures["dashboard"] = _assert_dashboard_says_so(dashboard, ("page /overview", "page /trends",
                                                                 "GET /download/checkins.csv", "POST /login"))
    FIGURES["stop and restart"] = figures
    print("\nPostgres stopped and restarted:", figures)


def test_frozen_postgres_answers_503_with_retry_after_within_the_budget(region, postgres_server, ingest,  # noqa: F811
                                                                        web):
    fleet = _fleet(region, 30)
    assert len(asyncio.run(sim.activate_all(ingest.url, fleet))) == len(fleet)
    before, during, after = fleet[:6], fleet[6:22], fleet[22:]
    rng = random.Random(5)
    bodies = {p.device_id: sim.check_in_body(p, ingest.now(), rng) for p in fleet}
    emp, = [factories.employee(region, "DINKES", terminal_pin="7301")]
    terminal = Terminal(httpx.Client(base_url=ingest.url, timeout=60), sn())
    terminal.handshake()
    registry.approve(region, terminal.sn, "DINKES-1", actor="test")
    terminal.log.append(Record(pin_of(region, emp), CLOCK.replace(tzinfo=None) - dt.timedelta(minutes=3)))
    answers: list[Answer] = []
    frozen: dict = {}

    async def scenario():
        async with sim.client(ingest.url, 64, timeout_s=60) as http:
            answers.extend(await asyncio.gather(*(_post(http, p, bodies[p.device_id]) for p in before)))
            postgres_server.freeze()
            # thawed by a timer, not by this code: a server that hangs must not hang the test
            threading.Timer(FREEZE_S, postgres_server.thaw).start()
            started = time.monotonic()
            phones = asyncio.gather(*(_post(http, p, bodies[p.device_id]) for p in during))
            upload = asyncio.to_thread(_timed, terminal.upload)
            pages = asyncio.to_thread(_timed, _dashboard_answers, web, ("/overview", "/trends"),
                                      ("/download/checkins.csv",))
            health = asyncio.to_thread(_timed, lambda: httpx.get(f"{ingest.url}/healthz", timeout=60))
            frozen["phones"], frozen["terminal"], frozen["dashboard"], frozen["health"] = await asyncio.gather(
                phones, upload, pages, health)
            frozen["all answered after_s"] = time.monotonic() - started
            await asyncio.to_thread(wait_until, lambda: not postgres_server.frozen, FREEZE_S + 5)
            answers.extend(frozen["phones"])
            # after recovery: the refused phones send again, the others for the first time
            for p in during + after:
                await _until_acknowledged(http, p, bodies[p.device_id], answers)
    asyncio.run(scenario())

    for answer in frozen["phones"]:                    # every phone was told to come back later
        _assert_503(answer)
        assert answer.waited_s < BUDGET_S * 3
    upload, upload_s = frozen["terminal"]
    assert upload.status_code == 503 and not upload.text.startswith("OK") and upload_s < BUDGET_S * 3
    health, health_s = frozen["health"]
    assert health.status_code == 503 and int(health.headers["retry-after"]) > 0 and health_s < BUDGET_S * 3
    pages, pages_s = frozen["dashboard"]
    assert frozen["all answered after_s"] < FREEZE_S        # all of it while Postgres was still frozen
    dashboard = _assert_dashboard_says_so(pages, ("page /overview", "page /trends", "GET /download/checkins.csv"))

    figures = _assert_nothing_lost_or_doubled(region, fleet, bodies, answers)
    resends = asyncio.run(_resend(ingest.url, during, bodies))
    assert {a.status for a in resends} <= {200, 503}
    assert wait_until(lambda: _live_equals_recount(region), 30)
    assert terminal.upload().text == "OK:1"               # the terminal's resend, stored once
    with region.connection() as conn:
        assert db.scalar(conn, "SELECT count(*) FROM check_ins WHERE terminal_sn = :sn", sn=terminal.sn) == 1
    figures.update(resends=dict(Counter(a.status for a in resends)), dashboard=dashboard,
                   waited_s_during_freeze=sorted(round(a.waited_s, 2) for a in frozen["phones"]),
                   terminal=f"{upload.status_code} {upload.text.strip()!r} after {upload_s:.2f} s",
                   dashboard_s=round(pages_s, 2), healthz=f"{health.status_code} after {health_s:.2f} s")
    FIGURES["freeze"] = figures
    print(f"\nPostgres frozen {FREEZE_S} s:", figures)


def _timed(fn, *args):
    started = time.monotonic()
    return fn(*args), time.monotonic() - started


async def _resend(url: str, phones: list[sim.Phone], bodies: dict) -> list[Answer]:
    """Every phone sends its check-in again (a lost reply), until answered 200 or 201.
    A process's first use of a pool that died with the server may still meet a 503."""
    answers: list[Answer] = []
    async with sim.client(url, 32, timeout_s=60) as http:
        await asyncio.gather(*(_until_acknowledged(http, p, bodies[p.device_id], answers) for p in phones))
    return answers
