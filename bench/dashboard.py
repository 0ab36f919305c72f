"""Dashboard speed on the bench city (run `python -m bench.city` first, same DATABASE_URL).

    python -m bench.dashboard [--clients 50] [--seconds 60] [--repeat 16] [--web "gunicorn ..."] [--live-only]

1. server-side time of the drill-down and trends callbacks (cold: cache emptied first; warm)
2. the wall tick: unchanged version (the usual case) and a changed one
3. first page load in headless Chromium against gunicorn (the Procfile's web line, or --web)
4. N simultaneous clients (80 % wall, 20 % drill-down) against the same gunicorn
Prints JSON lines and a summary; figures go to bench/RESULTS.md by hand.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shlex
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.city import OUT, city_config  # noqa: E402
from bench.wall_browser import BENCH_PASSWORD as PASSWORD, MONDAY_0720, _browser, _port  # noqa: E402


WALL_OUTPUTS = [("wall-tiles", "children"), ("wall-bars", "figure"), ("wall-map", "figure"),
                ("wall-ticker", "children"), ("wall-date", "children"), ("wall-version", "data"),
                ("wall-heartbeat", "data")]


def p(values: list[float], q: float) -> float:
    values = sorted(values)
    return round(values[min(len(values) - 1, int(q * len(values)))] * 1000, 1)


def _setup(rt, show_names: bool = False):
    """The bench's logins and a kiosk token (with names on the ticker or not)."""
    from dashboard.auth import hash_password, hash_token, new_kiosk_token
    from queries import users

    token = new_kiosk_token()
    with rt.transaction() as conn:
        if users.user_by_username(conn, "bench-sekda") is None:
            users.add_user(conn, "bench-sekda", hash_password(PASSWORD), "sekda", None)
            users.add_user(conn, "bench-kadinkes", hash_password(PASSWORD), "kepala_unit", "DINKES")
        users.add_kiosk_token(conn, "bench", hash_token(token), show_names, "bench")
    return token


def _cases(rt, day: dt.date) -> list[tuple[str, str, str]]:
    """(name, path, search) for the callbacks the issue's 300 ms target covers."""
    from queries import dashboard_seed

    with rt.connection() as conn:
        emps = dashboard_seed.employee_ids(conn)
    rnd = random.Random(5)
    month0 = day.replace(day=1)
    units = ["DINAS01", "DINAS07", "KEC3", "DINKES", "DISDIK", "PKM04", "SD12", "SETDA"]
    out = []
    for i in range(len(units)):
        d = day - dt.timedelta(days=rnd.randint(0, 200))
        out += [("overview region, 1 day", "/overview", f"?from={d}&to={d}"),
                ("overview unit, 1 day", "/overview", f"?unit={units[i]}&from={d}&to={d}"),
                ("overview unit, month", "/overview", f"?unit={units[i]}&from={month0}&to={day}"),
                ("employee month", "/overview", f"?employee={rnd.choice(emps)['id']}&month={d:%Y-%m}"),
                ("trends 30 days", "/trends", f"?to={d}&unit={units[i] if i % 2 else ''}"),
                ("trends 1 year, monthly", "/trends", f"?from={d - dt.timedelta(days=364)}&to={d}&grain=month"),
                ("map 1 day, one unit", "/map", f"?date={d}&unit={units[i]}")]
    return out


def signed_in(rt):
    """An in-process Dash app warmed as a gunicorn worker is, a client logged in as the
    sekda, the app's cache and a kiosk token."""
    from dashboard.app import create_app
    from tests.support.dash_client import DashClient

    from dashboard import warm

    token = _setup(rt)
    app = create_app(rt)
    warm.warm(app)  # as a gunicorn worker is before it serves (dashboard.app.create_server)
    warm.settle_garbage_collector()
    client = DashClient(app)
    assert client.login("bench-sekda", PASSWORD).status_code == 302
    return client, app.server.extensions["pantau_cache"], token


LAST_WEEKDAY = dt.date(2026, 11, 20)


def callback_times(rt, client, cache, repeat: int, keep=lambda name: True, until: float | None = None) -> dict:
    """name -> cold / warm -> seconds of each page call (cold: the cache emptied first), for
    the cases `keep` accepts; `until` (monotonic): stop there, and drop a call that ends later."""
    timings: dict[str, dict[str, list[float]]] = {}
    cases = [c for c in _cases(rt, LAST_WEEKDAY) if keep(c[0])]
    for _ in range(max(1, repeat // 8)):
        for name, path, search in cases:
            for kind in ("cold", "warm"):
                if kind == "cold":
                    cache.clear()
                t0 = time.perf_counter()
                status, text = client.page(path, search)
                if until is not None and time.monotonic() > until:
                    return timings
                timings.setdefault(name, {}).setdefault(kind, []).append(time.perf_counter() - t0)
                assert status == 200 and "Sesi berakhir" not in text and '"nothing"' not in text, (name, status)
    return timings


def percentiles(timings: dict) -> dict:
    return {name: {k: {"p50_ms": p(v, 0.5), "p95_ms": p(v, 0.95), "n": len(v)} for k, v in kinds.items()}
            for name, kinds in timings.items()}


def server_side(rt, repeat: int) -> dict:
    client, cache, token = signed_in(rt)
    summary = percentiles(callback_times(rt, client, cache, repeat))
    summary.update(downloads(client, LAST_WEEKDAY))
    summary.update(wall_ticks(rt, client, token))
    return summary


def check_in_arrives(rt, i: int) -> None:
    """A check-in reaches the live state as the ingest path puts it there (a new ticker line,
    one status moved), so the next tick has something to redraw."""
    from ingest import live
    from foundation import clock

    day = clock.today(rt.config.zone)
    latest = live.snapshot(rt, day)["latest"]
    item = dict(latest[i % len(latest)], at=clock.now().astimezone(dt.timezone.utc).isoformat(timespec="seconds"))
    live.apply(rt, day, 10**9, item["unit_code"], live.LATE if i % 2 else live.ON_TIME, item)


def wall_ticks(rt, client, token: str, n: int = 200) -> dict:
    """The wall tick through the same path a browser uses: unchanged (the usual case), a
    redraw after a check-in arrived (what a wall on screen asks for), and a first drawing
    (a browser that has nothing yet: version -1)."""
    from ingest import live
    from foundation import clock

    tick = lambda version: client.callback(WALL_OUTPUTS, [("wall-tick", "n_intervals", 1)],
                                           [("wall-version", "data", version), ("wall-token", "data", token),
                                            ("wall-scale", "data", 1)])
    status, out = tick(-1)
    version = out["wall-version"]["data"]
    same, changed, first = [], [], []
    for i in range(n):
        t0 = time.perf_counter()
        tick(version)
        same.append(time.perf_counter() - t0)
        if i % 4 == 0:
            check_in_arrives(rt, i)
            t0 = time.perf_counter()
            status, out = tick(version)
            changed.append(time.perf_counter() - t0)
            version = out["wall-version"]["data"]
            t0 = time.perf_counter()
            tick(-1)
            first.append(time.perf_counter() - t0)
    live.rebuild(rt, clock.today(rt.config.zone))  # the fake check-ins go
    return {"wall tick, no change": {"p50_ms": p(same, 0.5), "p95_ms": p(same, 0.95), "n": len(same)},
            "wall tick, redraw after a check-in": {"p50_ms": p(changed, 0.5), "p95_ms": p(changed, 0.95),
                                                   "n": len(changed)},
            "wall tick, first drawing": {"p50_ms": p(first, 0.5), "p95_ms": p(first, 0.95), "n": len(first)}}


def web_command(line: str | None = None, port: int | None = None) -> tuple[list[str], int]:
    """The Procfile's web line (or `line`) as argv, bound to `port` or a free local one."""
    if line is None:
        line = next(x for x in (ROOT / "Procfile").read_text().splitlines() if x.startswith("web:"))[4:]
    argv = shlex.split(line)
    assert argv[0] == "gunicorn", argv
    port = port or _port()
    bind = argv.index("--bind")
    argv[bind + 1] = f"127.0.0.1:{port}"
    return [sys.executable, "-m", *argv], port


def downloads(client, day: dt.date) -> dict:
    """The raw check-in CSV streamed for a day, a week and a month, region-wide: time to the
    first row and to the end (the file must start at once, whatever the table size)."""
    out = {}
    for name, days in (("download check-ins, 1 day", 0), ("download check-ins, 1 week", 6),
                       ("download check-ins, 1 month", 29)):
        t0 = time.perf_counter()
        res = client.http.get(f"/download/checkins.csv?from={day - dt.timedelta(days=days)}&to={day}", buffered=False)
        first = None
        size = lines = 0
        for n, chunk in enumerate(res.response):
            if n == 1:  # chunk 0 is the header, written before the query runs
                first = time.perf_counter() - t0
            size += len(chunk)
            lines += chunk.count(b"\n") if isinstance(chunk, bytes) else chunk.count("\n")
        res.close()
        out[name] = {"first_row_ms": round(first * 1000, 1), "total_ms": round((time.perf_counter() - t0) * 1000),
                     "rows": lines - 1, "mb": round(size / 1e6, 1)}
    return out


def _server(env: dict, web: str | None = None, port: int | None = None):
    argv, port = web_command(web, port)
    log = open(OUT / "dashboard_gunicorn.log", "w")
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(base + "/login", timeout=2)
            return proc, base
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not start")


def first_load(base: str, token: str) -> dict:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver = _browser()
    out = {}
    try:
        driver.get(base + "/login")
        driver.find_element(By.ID, "username").send_keys("bench-sekda")
        driver.find_element(By.ID, "password").send_keys(PASSWORD)
        driver.find_element(By.ID, "login-button").click()
        WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.ID, "breadcrumbs"))
        for name, url, css in (("overview (region, today)", "/overview?from=2026-11-20&to=2026-11-20", "#ov-bars .main-svg"),
                               ("trends (30 days)", "/trends?to=2026-11-20", "#tr-heatmap .main-svg"),
                               ("wall (kiosk)", f"/wall?kiosk={token}", "#wall-bars .main-svg .bars")):
            runs = []
            for _ in range(3):
                t0 = time.perf_counter()
                driver.get(base + url)
                WebDriverWait(driver, 60).until(lambda d: d.find_elements(By.CSS_SELECTOR, css))
                runs.append(time.perf_counter() - t0)
            out[name] = {"first_ms": round(runs[0] * 1000), "best_ms": round(min(runs) * 1000)}
    finally:
        driver.quit()
    return out


def load_test(base: str, token: str, clients: int, seconds: float, processes: int = 5) -> dict:
    """`clients` browsers: 80 % wall ticks every second, 20 % drill-down pages with 1 s think
    time. Spread over `processes` processes of threads: browsers share no GIL, and 50
    httpx threads in one process measured their own GIL queue as server latency."""
    import multiprocessing

    # contiguous slices: each process gets its share of wall and drill-down browsers (i % 5)
    groups = [list(range(clients * k // processes, clients * (k + 1) // processes)) for k in range(processes)]
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        parts = pool.starmap(_client_group, [(base, token, g, seconds) for g in groups if g])
    lat = {k: [x for part, _ in parts for x in part.get(k, [])]
           for k in ("wall tick", "wall tick, server", "drill-down page")}
    return {k: {"p50_ms": p(v, 0.5), "p95_ms": p(v, 0.95), "n": len(v)} for k, v in lat.items() if v} | {
        "errors": sum(e for _, e in parts), "clients": clients, "processes": processes, "seconds": seconds}


def _client_group(base: str, token: str, indices: list[int], seconds: float) -> tuple[dict, int]:
    """One process's browsers (threads); their latencies and error count."""
    stop = time.monotonic() + seconds
    lat: dict[str, list[float]] = {"wall tick": [], "wall tick, server": [], "drill-down page": []}
    errors = []
    lock = threading.Lock()
    units = ["DINAS01", "DINAS07", "KEC3", "DINKES", "DISDIK", "PKM04", "SD12", "SETDA", "KEL21"]

    class Failed:  # a connection the server closed or reset: counted as an error, the client goes on
        status_code = 599
        headers: dict = {}

    def post(http, body):
        csrf = http.cookies.get("_csrf_token")
        try:
            return http.post(base + "/_dash-update-component", json=body, headers={"X-CSRFToken": csrf or ""})
        except httpx.TransportError:
            return Failed()

    def wall_client(i):
        with httpx.Client(timeout=30) as http:
            http.get(f"{base}/wall?kiosk={token}")
            version = -1
            while time.monotonic() < stop:
                body = {"output": ".." + "...".join(f"{a}.{b}" for a, b in WALL_OUTPUTS) + "..",
                        "outputs": [{"id": a, "property": b} for a, b in WALL_OUTPUTS],
                        "inputs": [{"id": "wall-tick", "property": "n_intervals", "value": 1}],
                        "state": [{"id": "wall-version", "property": "data", "value": version},
                                  {"id": "wall-token", "property": "data", "value": token},
                                  {"id": "wall-scale", "property": "data", "value": 1}],
                        "changedPropIds": ["wall-tick.n_intervals"]}
                t0 = time.perf_counter()
                res = post(http, body)
                dt_ = time.perf_counter() - t0
                with lock:
                    lat["wall tick"].append(dt_)
                    if spent := res.headers.get("server-timing"):
                        lat["wall tick, server"].append(float(spent.rsplit("dur=", 1)[1]) / 1000)
                    if res.status_code not in (200, 204):
                        errors.append(res.status_code)
                if res.status_code == 200:
                    version = res.json()["response"].get("wall-version", {}).get("data", version)
                time.sleep(max(0.0, 1.0 - dt_))

    def drill_client(i):
        rnd = random.Random(i)
        with httpx.Client(timeout=30, follow_redirects=False) as http:
            page = http.get(base + "/login").text
            csrf = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
            http.post(base + "/login", data={"csrf_token": csrf, "username": "bench-sekda", "password": PASSWORD})
            while time.monotonic() < stop:
                d = dt.date(2026, 11, 20) - dt.timedelta(days=rnd.randint(0, 60))
                search = rnd.choice([f"?from={d}&to={d}", f"?unit={rnd.choice(units)}&from={d}&to={d}",
                                     f"?unit={rnd.choice(units)}&from={d.replace(day=1)}&to={d}"])
                body = {"output": "page.children", "outputs": {"id": "page", "property": "children"},
                        "inputs": [{"id": "url", "property": "pathname", "value": "/overview"},
                                   {"id": "url", "property": "search", "value": search}],
                        "changedPropIds": ["url.search"]}
                t0 = time.perf_counter()
                res = post(http, body)
                with lock:
                    lat["drill-down page"].append(time.perf_counter() - t0)
                    if res.status_code != 200:
                        errors.append(res.status_code)
                time.sleep(1.0)

    threads = [threading.Thread(target=wall_client if i % 5 else drill_client, args=(i,)) for i in indices]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return lat, len(errors)


def main() -> None:
    parser = argparse.ArgumentParser(description="dashboard speed on the bench city")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--processes", type=int, default=5, help="client processes for the N browsers")
    parser.add_argument("--repeat", type=int, default=16)
    parser.add_argument("--server-side-only", action="store_true")
    parser.add_argument("--web", help="a gunicorn command line instead of the Procfile's web line")
    parser.add_argument("--live-only", action="store_true", help="skip the server-side callback timings")
    args = parser.parse_args()
    from ingest import live
    from foundation import clock
    from foundation.runtime import boot
    from queries import db

    os.environ["PANTAU_CONFIG"] = str(city_config())
    os.environ[clock.ENV] = clock.demo_spec(MONDAY_0720, 1)
    os.environ.setdefault("PANTAU_REDIS_PREFIX", "pantau-bench")
    rt = boot()
    with rt.connection() as conn:
        sizes = {t: db.scalar(conn, f"SELECT count(*) FROM {t}") for t in ("employees", "work_days", "check_ins")}
    print(json.dumps({"data": sizes}), flush=True)
    live.rebuild(rt, clock.today(rt.config.zone))
    results = {"data": sizes}
    if not args.live_only:
        results["server_side"] = server_side(rt, args.repeat)
        print(json.dumps(results["server_side"]), flush=True)
    if args.server_side_only:
        return
    token = _setup(rt)
    proc, base = _server(dict(os.environ, **rt.database_env(), REDIS_URL=rt.urls.redis_url), args.web)
    results["web"] = " ".join(web_command(args.web)[0][2:])
    try:
        results["first_load"] = first_load(base, token)
        print(json.dumps(results["first_load"]), flush=True)
        results["load"] = load_test(base, token, args.clients, args.seconds, args.processes)
        print(json.dumps(results["load"]), flush=True)
    finally:
        proc.terminate()
        proc.wait(timeout=120)
    (OUT / "dashboard.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
