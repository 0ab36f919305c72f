"""The wall page's cost in the browser: CPU and JS heap over minutes of live ticks.

    DATABASE_URL=... REDIS_URL=... python bench/wall_browser.py --minutes 3 \\
        --python /tmp/venv/bin/python --python /tmp/venv-dash44/bin/python

For each server interpreter (one per Dash version) it starts gunicorn with the bench city
(bench/city.py: run it first on the same DATABASE_URL), opens /wall in headless Chromium
at 1920x1080, changes the live state every second (the busiest the wall can redraw) and
reads CDP Performance.getMetrics. Prints a markdown table for bench/RESULTS.md.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.city import OUT, city_config  # noqa: E402

MONDAY_0720 = dt.datetime(2026, 11, 23, 7, 20, tzinfo=ZoneInfo("Asia/Jakarta"))
BENCH_PASSWORD = "bench-password-123"
METRICS = ("TaskDuration", "ScriptDuration", "LayoutDuration", "RecalcStyleDuration", "JSHeapUsedSize",
           "Nodes", "JSEventListeners", "LayoutCount")


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _setup():
    """Runtime on the bench city, a kiosk token, a fresh live state for the demo Monday."""
    from dashboard.auth import hash_token, new_kiosk_token
    from ingest import live
    from foundation import clock
    from foundation.runtime import boot
    from queries import users

    rt = boot()
    token = new_kiosk_token()
    with rt.transaction() as conn:
        users.add_kiosk_token(conn, "bench", hash_token(token), True, "bench")
        if users.user_by_username(conn, "bench-sekda") is None:
            from dashboard.auth import hash_password

            users.add_user(conn, "bench-sekda", hash_password(BENCH_PASSWORD), "sekda", None)
        from queries import dashboard_seed

        people = dashboard_seed.employee_ids(conn)
    day = clock.today(rt.config.zone)
    live.rebuild(rt, day)
    return rt, token, day, people


def _feeder(rt, day, people, stop: threading.Event, every_s: float) -> None:
    """One live change per interval: a person arrives, on time or late."""
    from ingest import live
    from foundation import clock

    rnd = random.Random(3)
    office = {o.unit: o for o in rt.config.offices}
    while not stop.wait(every_s):
        p = rnd.choice(people)
        late = rnd.random() < 0.25
        o = office.get(p["unit_code"], rt.config.offices[0])
        now = clock.now()
        live.apply(rt, day, p["id"], p["unit_code"], live.LATE if late else live.ON_TIME,
                   latest={"at": now.isoformat(timespec="seconds"), "nip": "0" * 18, "name": f"Pegawai {p['id']}",
                           "unit_code": p["unit_code"], "office_code": o.code, "verdict": "accepted",
                           "session": "in", "minutes_late": rnd.randint(1, 40) if late else 0,
                           "lat": o.lat, "lon": o.lon, "source": "mobile"})


def _browser():
    from selenium import webdriver

    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--window-size=1920,1080", "--disable-dev-shm-usage"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=webdriver.ChromeService("/usr/bin/chromedriver"), options=opts)
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": 1920, "height": 1080, "deviceScaleFactor": 1, "mobile": False})
    return driver


def _cpu_seconds(root_pid: int) -> float:
    """user+system CPU of a process tree (chromedriver and every Chromium process under it):
    CPU actually spent, unlike CDP TaskDuration, which stretches when the machine is busy."""
    children: dict[int, list[int]] = {}
    stats: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
        stats[int(entry)] = (int(fields[11]) + int(fields[12])) / tick
    total, stack = 0.0, [root_pid]
    while stack:
        pid = stack.pop()
        total += stats.get(pid, 0.0)
        stack.extend(children.get(pid, []))
    return total


DRILL_JS = """
const [path, want, done] = arguments;
const t0 = performance.now();
window.history.pushState({}, '', path);
window.dispatchEvent(new PopStateEvent('popstate'));
(function poll() {
  const h = document.querySelector('#people-table');
  const title = document.querySelector('h2');
  if (h && title && title.textContent.startsWith(want)) { done(performance.now() - t0); }
  else { requestAnimationFrame(poll); }
})();
"""


def arrival_latency(driver, rt, day, people, probes: int = 20) -> dict:
    """From a live change (what the API does after storing a check-in) to its line on the TV."""
    from ingest import live
    from foundation import clock

    rnd = random.Random(11)
    times = []
    for n in range(probes):
        p = rnd.choice(people)
        name = f"Uji {n} {rnd.randint(1000, 9999)}"
        o = rt.config.offices[0]
        t0 = time.perf_counter()
        live.apply(rt, day, p["id"], p["unit_code"], live.ON_TIME,
                   latest={"at": clock.now().isoformat(timespec="seconds"), "nip": "0" * 18, "name": name,
                           "unit_code": p["unit_code"], "office_code": o.code, "verdict": "accepted",
                           "session": "in", "minutes_late": 0, "lat": o.lat, "lon": o.lon, "source": "mobile"})
        while name not in driver.execute_script("return document.getElementById('wall-ticker').innerText"):
            time.sleep(0.02)
        times.append(time.perf_counter() - t0)
        time.sleep(rnd.uniform(0.2, 1.5))  # arrivals at random phases of the 1 s tick
    times.sort()
    return {"arrival_p50_ms": round(times[len(times) // 2] * 1000),
            "arrival_p95_ms": round(times[int(0.95 * (len(times) - 1))] * 1000),
            "arrival_max_ms": round(times[-1] * 1000)}


def drill_times(driver, base: str, password: str, rounds: int = 12) -> dict:
    """Browser time for a drill-down step: the router returns a whole page (a unit with its
    people table), which is what Dash 4.2+ is reported to re-render slowly."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(base + "/login")
    driver.find_element(By.ID, "username").send_keys("bench-sekda")
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.ID, "login-button").click()
    WebDriverWait(driver, 60).until(lambda d: d.find_elements(By.ID, "breadcrumbs"))
    driver.set_script_timeout(60)
    times = []
    for i in range(rounds):
        unit, name = (("DINAS01", "Dinas 01"), ("DINAS02", "Dinas 02"))[i % 2]
        times.append(driver.execute_async_script(DRILL_JS, f"/overview?unit={unit}&from=2026-11-20&to=2026-11-20", name))
    times = sorted(times[2:])  # the first two warm the cache
    return {"drill_p50_ms": round(times[len(times) // 2]), "drill_max_ms": round(times[-1])}


def _metrics(driver, gc: bool = False) -> dict:
    if gc:
        driver.execute_cdp_cmd("HeapProfiler.collectGarbage", {})
    raw = driver.execute_cdp_cmd("Performance.getMetrics", {})["metrics"]
    values = {m["name"]: m["value"] for m in raw}
    return {k: values.get(k, 0.0) for k in (*METRICS, "Timestamp")}


def run_one(python: str, minutes: float, env: dict, token: str, rt, day, people) -> dict:
    version = subprocess.run([python, "-c", "import dash; print(dash.__version__)"], capture_output=True,
                             text=True, check=True).stdout.strip()
    port = _port()
    log = open(OUT / f"wall_gunicorn_{version}.log", "w")
    server = subprocess.Popen([python, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}",
                               "dashboard.app:create_server()"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(base + "/login", timeout=2)
            break
        except OSError:
            time.sleep(0.3)
    driver = _browser()
    stop = threading.Event()
    samples = []
    try:
        driver.execute_cdp_cmd("Performance.enable", {"timeDomain": "timeTicks"})
        driver.get(f"{base}/wall?kiosk={token}")
        time.sleep(15)  # first render and warm-up
        feeder = threading.Thread(target=_feeder, args=(rt, day, people, stop, 1.0), daemon=True)
        feeder.start()
        time.sleep(5)
        first = _metrics(driver, gc=True)
        cpu0 = _cpu_seconds(driver.service.process.pid)
        samples.append(first)
        end = time.monotonic() + minutes * 60
        while time.monotonic() < end:
            time.sleep(15)
            samples.append(_metrics(driver))
        stop.set()
        cpu1 = _cpu_seconds(driver.service.process.pid)
        last = _metrics(driver, gc=True)
        samples.append(last)
        ticker = driver.execute_script("return document.querySelectorAll('#wall-ticker li').length")
        arrival = arrival_latency(driver, rt, day, people)
        drill = drill_times(driver, base, BENCH_PASSWORD)
    finally:
        stop.set()
        driver.quit()
        server.terminate()
        server.wait(timeout=20)
        log.close()
    span = last["Timestamp"] - first["Timestamp"]
    cpu = lambda k: (last[k] - first[k]) / span * 100
    return {
        "dash": version, "seconds": round(span, 1), "ticker_items": ticker,
        "process_cpu_percent": round((cpu1 - cpu0) / span * 100, 2), **drill, **arrival,
        "cpu_percent": round(cpu("TaskDuration"), 2), "script_percent": round(cpu("ScriptDuration"), 2),
        "layout_percent": round(cpu("LayoutDuration") + cpu("RecalcStyleDuration"), 2),
        "heap_start_mb": round(first["JSHeapUsedSize"] / 2**20, 2), "heap_end_mb": round(last["JSHeapUsedSize"] / 2**20, 2),
        "heap_max_mb": round(max(s["JSHeapUsedSize"] for s in samples) / 2**20, 2),
        "nodes_start": int(first["Nodes"]), "nodes_end": int(last["Nodes"]),
        "listeners_end": int(last["JSEventListeners"]),
        "layouts_per_min": round((last["LayoutCount"] - first["LayoutCount"]) / span * 60, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="wall page browser CPU and memory per Dash version")
    parser.add_argument("--python", action="append", help="server interpreter (repeat to compare)")
    parser.add_argument("--minutes", type=float, default=3)
    parser.add_argument("--rounds", type=int, default=1, help="run the interpreters in turn this many times")
    args = parser.parse_args()
    from foundation import clock

    os.environ["PANTAU_CONFIG"] = str(city_config())
    os.environ[clock.ENV] = clock.demo_spec(MONDAY_0720, 1)  # a working Monday morning, whatever today is
    os.environ.setdefault("PANTAU_REDIS_PREFIX", "pantau-wallbench")
    rt, token, day, people = _setup()
    env = dict(os.environ, **rt.database_env(), REDIS_URL=rt.urls.redis_url)
    results = []
    for python in (args.python or [sys.executable]) * args.rounds:
        res = run_one(python, args.minutes, env, token, rt, day, people)
        print(json.dumps(res), flush=True)
        results.append(res)
    (OUT / "wall_browser.json").write_text(json.dumps(results, indent=2))
    print("\n| Dash | minutes | Chromium CPU % (process) | main-thread busy % (CDP) | script % | "
          "heap start→end MB (max) | DOM nodes start→end | drill-down render p50 / max ms | "
          "check-in on the wall p50 / p95 ms |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['dash']} | {r['seconds'] / 60:.1f} | {r['process_cpu_percent']} | {r['cpu_percent']} | "
              f"{r['script_percent']} | {r['heap_start_mb']}→{r['heap_end_mb']} ({r['heap_max_mb']}) | "
              f"{r['nodes_start']}→{r['nodes_end']} | {r['drill_p50_ms']} / {r['drill_max_ms']} | "
              f"{r['arrival_p50_ms']} / {r['arrival_p95_ms']} |")


if __name__ == "__main__":
    main()
