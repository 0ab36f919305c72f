"""Redis killed (kill -9) in the middle of a morning burst and restarted from a snapshot
taken before it, against the Procfile's ingest process (gunicorn) and the dashboard.

Nothing acknowledged may be lost or stored twice; while Redis is away every dashboard page,
login and download answers (from Postgres) and the wall says its live feed is cut; once
Redis is back, however old its data, the live counts equal a recount from Postgres without
anyone rebuilding them by hand. Each test prints its figures (run with -s to see them).
"""
from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from dashboard import formats
from dashboard.app import create_app
from foundation import clock
from ingest import devices, live
from ingest.simulate import phones as sim
from queries import db
from tests.support import factories
from tests.support.browser import MONDAY_0720
from tests.support.city import OFFICE, seed_city
from tests.support.dash_client import logged_in
from tests.support.dashboard_walk import WALL_TICK, walk
from tests.support.phones import gunicorn

DAY = MONDAY_0720.date()
PHONES = 60
LIVE_STATES = ("on_time", "late", "leave", "absent")
SETTLE_S = 60   # how long the live state may take to come right (the watcher looks every 5 s)
SHARES = sim.Shares(offline=0.05, retry=0.1, mock=0.0, outside=0.0, poor_fix=0.0, selfie=0.1)


@pytest.fixture(scope="module")
def stack(fault_runtime, own_redis):
    """The seeded city at Monday 07:20 (in this process and in the ingest process), the
    dashboard app in process, and the ingest API under gunicorn, all on `own_redis`."""
    old = os.environ.get(clock.ENV)
    os.environ[clock.ENV] = clock.demo_spec(MONDAY_0720, 1)
    rt = fault_runtime
    seed_city(rt)
    app = create_app(rt)
    with gunicorn(rt, clock_at=MONDAY_0720) as server:
        yield rt, own_redis, app, server
    if old is None:
        os.environ.pop(clock.ENV, None)
    else:
        os.environ[clock.ENV] = old


def _fleet(rt, server, unit: str, n: int) -> list[sim.Phone]:
    people = [factories.employee(rt, unit) for _ in range(n)]
    office = rt.config.office_by_code[OFFICE[unit]]
    codes = devices.issue_codes(rt, [p["nip"] for p in people], "test")
    fleet = [sim.Phone(nip, code, office.lat, office.lon) for nip, code in codes.items()]
    assert len(asyncio.run(sim.activate_all(server.url, fleet))) == n
    return fleet


def _rows(rt, sql: str, **kw) -> list[dict]:
    with rt.connection() as conn:
        return db.rows(conn, sql, **kw)


def _recount(rt) -> dict:
    """Per unit and live state, counted from Postgres's work days (the wall's mapping)."""
    found = _rows(rt, """
        SELECT unit_code, CASE WHEN status = 'hadir' AND late_band IS NULL THEN 'on_time'
                               WHEN status = 'hadir' THEN 'late' WHEN status = 'tk' THEN 'absent'
                               ELSE 'leave' END AS state, count(*) AS n
        FROM work_days WHERE work_date = :d AND status NOT IN ('belum', 'libur') GROUP BY 1, 2""", d=DAY)
    return {(r["unit_code"], r["state"]): r["n"] for r in found}


def _live(rt) -> dict:
    units = live.snapshot(rt, DAY)["units"]
    return {(u, s): c[s] for u, c in units.items() for s in LIVE_STATES if c.get(s)}


def _settled(rt) -> bool:
    deadline = time.monotonic() + SETTLE_S
    while time.monotonic() < deadline:
        try:
            if _live(rt) == _recount(rt):
                return True
        except Exception:   # Redis still starting
            pass
        time.sleep(0.5)
    return False


def _figures(name: str, report: sim.Report, stored: list[str]) -> dict:
    counts = Counter(stored)
    acknowledged = set(report.acknowledged)
    keys = {k.rsplit(":", 1)[1] for k in counts}
    figures = {"fault": name, "sent": len(report.acknowledged) + report.gave_up, "requests": report.requests,
               "acknowledged": len(acknowledged), "lost": len(acknowledged - keys),
               "doubled": sum(1 for n in counts.values() if n > 1), "retries": report.retries,
               "final_codes": dict(report.statuses)}
    print("FAULT FIGURES", json.dumps(figures))
    return figures


def _stored(rt, fleet) -> list[str]:
    nips = [p.nip for p in fleet]
    return [r["event_key"] for r in _rows(rt, """
        SELECT c.event_key FROM check_ins c JOIN employees e ON e.id = c.employee_id
        WHERE e.nip = ANY(:nips)""", nips=nips)]


def test_redis_killed_mid_burst_the_dashboard_answers_from_postgres_and_live_comes_back(stack):
    rt, redis_server, app, server = stack
    fleet = _fleet(rt, server, "DINKES", PHONES)
    old = redis_server.snapshot("before-burst")
    during: dict = {}

    async def burst_with_outage():
        morning = asyncio.create_task(sim.morning(server.url, fleet, now=server.now, duration_s=6,
                                                  shares=SHARES, concurrency=16, seed=21))
        await asyncio.sleep(1.5)
        redis_server.kill()                                   # mid-burst
        during["healthz"] = (await asyncio.to_thread(httpx.get, f"{server.url}/healthz")).json()
        done = await morning                                  # the rest of the burst lands with Redis away
        during["postgres_present"] = sum(n for (u, s), n in _recount(rt).items() if s in ("on_time", "late"))
        during["walks"] = [await asyncio.to_thread(walk, app, user) for user in ("sekda", "bkpp")]
        redis_server.restart_from(old)                        # back, with the data of before the burst
        return done

    report = asyncio.run(burst_with_outage())
    settled = _settled(rt)
    figures = _figures("redis kill -9 mid-burst, restart from pre-burst snapshot", report, _stored(rt, fleet))
    log = (Path(rt.settings.var_dir) / f"gunicorn-{server.url.rsplit(':', 1)[1]}.log").read_text()
    print("BATCHES STORED WHILE REDIS WAS AWAY", log.count("live state not updated"))
    codes = sum((w.codes for w in during["walks"]), Counter())
    print("DASHBOARD DURING OUTAGE", json.dumps({"requests": sum(codes.values()), "codes": dict(codes)}))

    for w in during["walks"]:
        assert w.answers and not w.failures, w.failures                 # no 500 anywhere
        assert all(s in (200, 204, 302) for what, s in w.answers.items() if "map.html" not in what), w.answers
        assert "Data langsung terputus" in json.dumps(w.wall)           # the wall says so ...
        assert w.wall_tile("present") == formats.number(during["postgres_present"])  # ... counting Postgres
    assert during["healthz"]["status"] == "degraded" and during["healthz"]["postgres"]["ok"]
    assert "live state not updated" in log                        # check-ins did land with Redis away
    assert report.gave_up == 0 and figures["acknowledged"] == PHONES
    assert figures["lost"] == 0 and figures["doubled"] == 0
    assert settled, (_live(rt), _recount(rt))                        # nobody called rebuild


def test_a_redis_restored_from_an_old_snapshot_is_recounted_at_once(stack):
    rt, redis_server, app, server = stack
    fleet, late_comers = _fleet(rt, server, "PKM-CLG", PHONES), _fleet(rt, server, "DAMKAR", 10)
    assert _settled(rt)
    old = redis_server.snapshot("before-second-burst")
    report = asyncio.run(sim.morning(server.url, fleet, now=server.now, duration_s=3, shares=SHARES,
                                     concurrency=16, seed=22))
    assert _settled(rt)                                  # the burst is on the wall
    redis_server.kill()
    redis_server.restart_from(old)                       # at once: no check-in saw Redis away
    after = asyncio.run(sim.morning(server.url, late_comers, now=server.now, duration_s=1, shares=SHARES,
                                    concurrency=4, seed=23))
    settled = _settled(rt)
    figures = _figures("redis kill -9 after a burst, restart from pre-burst snapshot", report, _stored(rt, fleet))
    _figures("check-ins after the restore", after, _stored(rt, late_comers))
    assert figures["lost"] == figures["doubled"] == 0 and figures["acknowledged"] == PHONES
    assert settled, (_live(rt), _recount(rt))            # the burst is back on the wall by itself
    snap = live.snapshot(rt, DAY)
    assert snap["units"]["PKM-CLG"]["present"] >= PHONES


def test_a_frozen_redis_slows_nothing_into_a_500(stack):
    """Redis stopped by SIGSTOP (it accepts connections and never answers) during a burst."""
    rt, redis_server, app, server = stack
    fleet = _fleet(rt, server, "SETDA", 20)
    os.kill(redis_server.proc.pid, signal.SIGSTOP)
    try:
        async def burst_while_frozen():
            morning = asyncio.create_task(sim.morning(server.url, fleet, now=server.now, duration_s=2,
                                                      shares=SHARES, concurrency=8, seed=24))
            walks = [await asyncio.to_thread(walk, app, user) for user in ("sekda", "bkpp")]
            return walks, await morning
        walks, report = asyncio.run(burst_while_frozen())
    finally:
        os.kill(redis_server.proc.pid, signal.SIGCONT)
    settled = _settled(rt)
    figures = _figures("redis frozen (SIGSTOP) during a burst", report, _stored(rt, fleet))
    codes = sum((w.codes for w in walks), Counter())
    print("DASHBOARD WHILE FROZEN", json.dumps({"requests": sum(codes.values()), "codes": dict(codes)}))
    for w in walks:
        assert w.answers and not w.failures, w.failures
    assert report.gave_up == 0 and figures["acknowledged"] == 20
    assert figures["lost"] == figures["doubled"] == 0
    assert settled, (_live(rt), _recount(rt))


def test_a_frozen_redis_costs_the_wall_one_tick_not_every_tick(stack, monkeypatch):
    """The wall's 1 s tick reads Redis behind the dashboard's circuit breaker (shared_cache):
    with Redis frozen, at most one tick waits out the socket timeout; the others count from
    Postgres without asking Redis. The breaker is held open for the test, so no clock decides."""
    rt, redis_server, app, server = stack
    breaker = app.server.extensions["pantau_cache_breaker"]
    breaker.close()
    monkeypatch.setattr(breaker, "reset_timeout", 3600)
    asked = Counter()
    read = live.wall_state

    def counted(*args):
        asked["wall_state"] += 1
        return read(*args)

    monkeypatch.setattr(live, "wall_state", counted)
    viewer = logged_in(app, "sekda")
    os.kill(redis_server.proc.pid, signal.SIGSTOP)
    try:
        ticks = [viewer.callback(*WALL_TICK) for _ in range(5)]
    finally:
        os.kill(redis_server.proc.pid, signal.SIGCONT)
    assert [status for status, _ in ticks] == [200] * 5
    assert all("Data langsung terputus" in json.dumps(out) for _, out in ticks)
    assert asked["wall_state"] <= 1, asked                  # one tick asked Redis at most
    assert breaker.current_state == "open"
