"""A day on the wall: bench/wall_day.

The wall (the Procfile's web line) in headless Chromium while phones post a working day of
check-ins to the ingest process (gunicorn, real Postgres + Redis): the morning rush
07:00-08:00, stragglers, the midday check-in, early leavers. The servers run on the demo
clock (foundation/clock.py), so `--speed 120` replays 8 hours in 4 minutes. What that
compresses is the traffic, not the page: the browser still ticks in real time, so a
compressed run makes ~speed times fewer redraws than a real day; the table gives the heap
per 1,000 redraws and what that makes over a real day's ticks. `--speed 1` runs the real
8 hours. `--tick-matched` compresses the page too: the wall's tick (dashboard.wall_tick_ms)
is divided by the speed in the browser (dash_clientside.set_props on the Interval; the
config's floor of 200 ms guards real walls, not this bench), so `--speed 12 --tick-matched`
asks in 40 real minutes for the 57,600 ticks of a real 8-hour day at 500 ms. The ticks the
page actually sent (a busy server answers fewer) are counted and reported.

Every minute of demo time (at least every 0.5 s real) it samples the tab: CDP
Performance.getMetrics (JSHeapUsedSize, Nodes, JSEventListeners) and the document's
element count; garbage is collected before the first and the last sample. At the end the
page must still tick (its clock moves and its heartbeat is fresh). Writes
bench/wall_day.png (plotly, drawn by the same Chromium) and bench/out/wall_day.json.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import ingest as bench_ingest  # noqa: E402
from bench import ingest_load as load  # noqa: E402
from bench.city import OUT  # noqa: E402
from bench.dashboard import _server, _setup  # noqa: E402
from bench.wall_browser import _browser, _cpu_seconds, _metrics  # noqa: E402

START = dt.datetime(2026, 11, 23, 7, 0, tzinfo=ZoneInfo("Asia/Jakarta"))   # a Monday
# check-ins in each hour from 07:00, as a share of the employees: the rush, stragglers,
# the midday session (11:00-13:30), the first to leave (out opens 13:30)
HOURLY_SHARE = [0.80, 0.12, 0.03, 0.03, 0.35, 0.35, 0.10, 0.30]
REDRAWS_JS = """
window.pantauRedraws = 0;   // one callback per redraw, whether the tiles, the ticker or both changed
const counter = new MutationObserver(() => { window.pantauRedraws += 1; });
for (const id of ['wall-tiles', 'wall-ticker']) {
  counter.observe(document.getElementById(id), {childList: true, subtree: true, characterData: true});
}
"""
# the wall's tick requests sent and answered, and their round trips (its main callback). A tick
# far under the round trip starves the page (seen at 10 ms: answers came back, nothing was
# drawn); the mean round trip beside the tick tells.
TICKS_JS = """
window.pantauTicks = 0; window.pantauTicksAnswered = 0; window.pantauTickMs = 0;
const sendFetch = window.fetch;
window.fetch = function (url, opts) {
  const tick = String(url).includes('_dash-update-component') && opts && String(opts.body).includes('wall-tiles.children');
  if (!tick) return sendFetch.apply(this, arguments);
  window.pantauTicks += 1;
  const t0 = Date.now();
  return sendFetch.apply(this, arguments).then((r) => {
    window.pantauTicksAnswered += 1; window.pantauTickMs += Date.now() - t0; return r; });
};
"""
SET_TICK_JS = "window.dash_clientside.set_props('wall-tick', {interval: arguments[0]});"
PAGE_JS = """return {elements: document.getElementsByTagName('*').length, redraws: window.pantauRedraws,
                     ticks: window.pantauTicks, answered: window.pantauTicksAnswered, tick_ms: window.pantauTickMs,
                     clock: (document.getElementById('wall-clock') || {}).textContent,
                     fresh: (document.getElementById('wall-fresh') || {}).className}"""


def sampler(driver, every_s: float, stop: threading.Event, pause: threading.Event, began: float, speed: float,
            out: list) -> None:
    """A sample of the tab every `every_s` real seconds until `stop`, none while `pause`."""
    while not stop.wait(every_s):
        if not pause.is_set():
            out.append(sample(driver, began, speed))


def sample(driver, began: float, speed: float, gc: bool = False) -> dict:
    m, page = _metrics(driver, gc=gc), driver.execute_script(PAGE_JS)
    real = time.monotonic() - began
    return {"real_s": round(real, 1), "demo_min": round(real * speed / 60, 1), "gc": gc,
            "heap_mb": round(m["JSHeapUsedSize"] / 2**20, 2), "nodes": int(m["Nodes"]),
            "listeners": int(m["JSEventListeners"]), "elements": page["elements"], "redraws": page["redraws"],
            "ticks": page["ticks"], "answered": page["answered"], "round_trip_ms": page["tick_ms"]}


def still_ticks(driver, tick_s: float, speed: float) -> bool:
    """The wall's clock changes over a few ticks and its freshness mark says fresh. The clock
    shows the (demo) minute: the wait covers one and a half of those too."""
    first = driver.execute_script(PAGE_JS)
    time.sleep(max(3 * tick_s + 0.5, 90 / speed + 1))
    last = driver.execute_script(PAGE_JS)
    return last["clock"] != first["clock"] and "fresh ok" in (last["fresh"] or "")


def plot(samples: list[dict], title: str, path: Path, driver) -> None:
    """Heap and DOM nodes against demo time, as a PNG: plotly's figure drawn by the same
    Chromium (no static-image engine is installed; kaleido would fetch a browser)."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    x = [s["demo_min"] / 60 for s in samples]
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Scatter(x=x, y=[s["heap_mb"] for s in samples], name="JS heap used (MB)"))
    collected = [s for s in samples if s["gc"]]
    fig.add_trace(go.Scatter(x=[s["demo_min"] / 60 for s in collected], y=[s["heap_mb"] for s in collected],
                             mode="markers+lines", marker={"size": 10}, name="JS heap after a forced GC (MB)"))
    fig.add_trace(go.Scatter(x=x, y=[s["nodes"] for s in samples], name="DOM nodes (CDP)"), secondary_y=True)
    fig.add_trace(go.Scatter(x=x, y=[s["elements"] for s in samples], name="elements in the document"),
                  secondary_y=True)
    fig.update_layout(title=title, width=1200, height=600, template="plotly_white",
                      legend={"orientation": "h", "y": 1.02, "yanchor": "bottom"}, margin={"t": 110})
    fig.update_xaxes(title="hours of replayed traffic (demo clock, from 07:00)")
    fig.update_yaxes(title="MB", rangemode="tozero", secondary_y=False)
    fig.update_yaxes(title="nodes", rangemode="tozero", secondary_y=True)
    html = path.with_suffix(".html")
    page = fig.to_html(include_plotlyjs=True, full_html=True, config={"staticPlot": True})
    html.write_text(page.replace("<head>", "<head><style>body{margin:0;overflow:hidden}</style>", 1))
    driver.set_window_size(1240, 720)
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": 1200, "height": 600, "deviceScaleFactor": 1, "mobile": False})
    driver.get(html.as_uri())
    time.sleep(1)
    driver.save_screenshot(str(path))
    html.unlink()


def activated(rt, port: int, phones: list, var_dir: Path) -> list:
    """The phones activated on an ingest server of their own (activation takes a while on
    a busy machine; the day's servers start on the demo clock after it)."""
    import asyncio

    from foundation import clock
    from ingest.simulate import phones as sim

    server = bench_ingest.start_server(bench_ingest.procfile()["ingest"],
                                       bench_ingest.server_env(rt, clock.demo_spec(START, 1), port), var_dir)
    try:
        bench_ingest.wait_ready(f"http://127.0.0.1:{port}", server)
        return asyncio.run(sim.activate_all(f"http://127.0.0.1:{port}", phones, concurrency=32))
    finally:
        bench_ingest.stop_server(server, var_dir, "ingest (activation)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hours", type=float, default=8, help="hours of traffic from 07:00 (default 8)")
    ap.add_argument("--speed", type=float, default=120, help="demo clock speed (default 120: 8 h in 4 min; 1: real time)")
    ap.add_argument("--employees", type=int, default=2000)
    ap.add_argument("--selfie-share", type=float, default=0.10)
    ap.add_argument("--database", default="pantau_bench_wallday", help="on the system server (dropped first)")
    ap.add_argument("--png", type=Path, default=ROOT / "bench" / "wall_day.png")
    ap.add_argument("--json", type=Path, default=OUT / "wall_day.json")
    ap.add_argument("--tick-matched", action="store_true",
                    help="divide the wall's tick by --speed too, so the page ticks as often as in a real day")
    ap.add_argument("--port", type=int, default=0, help="ingest on PORT, the wall on PORT+1 (default: free ports)")
    args = ap.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))   # stopped: the servers and the browser go too
    from foundation import clock
    from ingest import live

    started_at, load_before = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), os.getloadavg()
    hour_s = 3600 / args.speed
    with tempfile.TemporaryDirectory(prefix="bench-wallday-") as tmp:
        var_dir = Path(tmp)
        rt, phones = bench_ingest.prepare("system", args.employees, var_dir, args.database)
        token = _setup(rt, show_names=True)
        port = args.port or bench_ingest.free_port()
        tick_ms = rt.config.dashboard.wall_tick_ms   # the config's, as a real wall ticks
        page_tick_ms = max(10, round(tick_ms / args.speed)) if args.tick_matched else tick_ms
        active = activated(rt, port, phones, var_dir)
        # the demo clock reaches 07:00 once the servers and the browser are up
        lead_s = 60.0   # and the page has ticked a while (its first drawings are not growth)
        real0 = time.time() + lead_s
        spec = os.environ[clock.ENV] = clock.demo_spec(START, args.speed, real0)
        live.rebuild(rt, START.date())
        ingest = bench_ingest.start_server(bench_ingest.procfile()["ingest"], bench_ingest.server_env(rt, spec, port),
                                           var_dir)
        web = driver = None
        samples: list[dict] = []
        try:   # whatever fails from here, the servers and the browser go
            web, base = _server(bench_ingest.server_env(rt, spec, port), port=args.port + 1 if args.port else None)
            driver = _browser()
            bench_ingest.wait_ready(f"http://127.0.0.1:{port}", ingest)
            from selenium.webdriver.support.ui import WebDriverWait

            driver.execute_cdp_cmd("Performance.enable", {"timeDomain": "timeTicks"})
            driver.get(f"{base}/wall?kiosk={token}")
            WebDriverWait(driver, 60).until(lambda d: d.execute_script(
                "return document.querySelector('#tile-present .tile-value') !== null"))
            driver.execute_script(REDRAWS_JS)
            driver.execute_script(TICKS_JS)
            if page_tick_ms != tick_ms:
                driver.execute_script(SET_TICK_JS, page_tick_ms)
            warmup_s = max(0.0, real0 - time.time())
            time.sleep(warmup_s)          # 07:00 on the demo clock
            began, cpu0 = time.monotonic(), _cpu_seconds(driver.service.process.pid)
            samples.append(sample(driver, began, args.speed, gc=True))
            stop, watcher_pause = threading.Event(), threading.Event()
            every = max(0.5, 60 / args.speed)
            watcher = threading.Thread(target=sampler, args=(driver, every, stop, watcher_pause, began, args.speed, samples),
                                       daemon=True)
            watcher.start()
            sent, turn = 0, 0
            for hour in range(int(args.hours + 0.999)):
                share = HOURLY_SHARE[hour % len(HOURLY_SHARE)]
                length = hour_s * min(1.0, args.hours - hour)
                if hour:   # the heap after a forced collection, once an hour of demo time
                    watcher_pause.set()
                    samples.append(sample(driver, began, args.speed, gc=True))
                    watcher_pause.clear()
                rotated = active[turn:] + active[:turn]     # the next people in line check in
                report = load.run("127.0.0.1", port, rotated, clock.now, seconds=length, concurrency=16,
                                  selfie_share=args.selfie_share, retry_share=0.02, seed=hour,
                                  rate=share * len(active) / hour_s)
                sent += len(report.acknowledged)
                turn = (turn + len(report.acknowledged)) % len(active)
                print(f"{(START + dt.timedelta(hours=hour)):%H:%M} +{length:.0f} s real: "
                      f"{len(report.acknowledged)} check-ins acknowledged; last sample {samples[-1]}", flush=True)
            stop.set()
            watcher.join()
            ticking = still_ticks(driver, page_tick_ms / 1000, args.speed)
            cpu = _cpu_seconds(driver.service.process.pid) - cpu0
            samples.append(sample(driver, began, args.speed, gc=True))
            real_s = time.monotonic() - began
            collected = [s for s in samples if s["gc"]]
            first, last = collected[0], collected[-1]
            redraws = max(1, last["redraws"] - first["redraws"])
            ticks, answered = last["ticks"] - first["ticks"], last["answered"] - first["answered"]
            round_trip = (last["round_trip_ms"] - first["round_trip_ms"]) / max(1, answered)
            real_day_ticks = args.hours * 3600 * 1000 / tick_ms
            growth = last["heap_mb"] - first["heap_mb"]
            # the trend after the first hour (the first drawings fill caches once), per redraw
            after = collected[1] if len(collected) > 2 else first
            trend = (last["heap_mb"] - after["heap_mb"]) / max(1, last["redraws"] - after["redraws"])
            result = {
                "started": started_at, "cpus": os.cpu_count(), "load_average_before": [round(x, 1) for x in load_before],
                "load_average_after": [round(x, 1) for x in os.getloadavg()], "hours": args.hours, "speed": args.speed,
                "real_seconds": round(real_s), "employees": len(active), "check_ins_acknowledged": sent,
                "tick_ms_config": tick_ms, "tick_ms_page": page_tick_ms, "tick_matched": args.tick_matched,
                "ticks_sent": ticks, "ticks_answered": answered, "tick_round_trip_mean_ms": round(round_trip, 1), "ticks_of_a_real_day": round(real_day_ticks),
                "samples": len(samples), "redraws": redraws, "heap_start_mb": first["heap_mb"],
                "heap_end_mb": last["heap_mb"], "heap_max_mb": max(s["heap_mb"] for s in samples),
                "heap_growth_mb": round(growth, 2), "nodes_start": first["nodes"], "nodes_end": last["nodes"],
                "nodes_max": max(s["nodes"] for s in samples), "elements_start": first["elements"],
                "elements_end": last["elements"], "listeners_start": first["listeners"], "listeners_end": last["listeners"],
                "listeners_max": max(s["listeners"] for s in samples),
                "warmup_s": round(warmup_s), "forced_gc_samples": [s["heap_mb"] for s in collected],
                "heap_mb_per_1000_redraws_after_hour_1": round(trend * 1000, 3),
                # a real day redraws at most once a tick of the config's
                "heap_growth_over_a_real_day_mb": round(max(0.0, trend) * real_day_ticks, 1),
                "browser_cpu_pct": round(cpu / real_s * 100, 1), "still_ticks": ticking,
            }
            paced = f"tick {page_tick_ms} ms (= {tick_ms} ms / {args.speed:g})" if args.tick_matched else f"tick {tick_ms} ms"
            title = (f"The wall, {args.hours:g} h of traffic replayed at {args.speed:g}x, {paced} ({real_s / 60:.1f} real min, "
                     f"{answered} ticks answered, {redraws} redraws), {started_at}")
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps({**result, "series": samples}, indent=2))
            plot(samples, title, args.png, driver)
        finally:
            if driver is not None:
                driver.quit()
            if web is not None:
                web.terminate()
                web.wait(timeout=60)
            bench_ingest.stop_server(ingest, var_dir, "ingest")
    print_table(result, args.png)
    return 0 if ticking and result["heap_growth_mb"] < 20 else 1


def print_table(r: dict, png: Path) -> None:
    print(f"\nA day on the wall, {r['started']}, {r['cpus']} CPUs, load average before {r['load_average_before']} "
          f"after {r['load_average_after']}: {r['hours']:g} h of traffic at {r['speed']:g}x = {r['real_seconds']} s real, "
          f"{r['employees']} phones, {r['check_ins_acknowledged']} check-ins, {r['samples']} samples, page ticked "
          f"{r['warmup_s']} s before 07:00; the page's tick {r['tick_ms_page']} ms (config {r['tick_ms_config']} ms"
          f"{', tick-matched' if r['tick_matched'] else ''}); plot {png}")
    print("| figure | start | end | max | bar |")
    print("|---|---|---|---|---|")
    print(f"| JS heap used, MB (forced GC: at 07:00, each hour, the end) | {r['heap_start_mb']} | {r['heap_end_mb']} | "
          f"{r['heap_max_mb']} | growth {r['heap_growth_mb']} < 20 |")
    print(f"| DOM nodes (CDP) | {r['nodes_start']} | {r['nodes_end']} | {r['nodes_max']} | |")
    print(f"| elements in the document | {r['elements_start']} | {r['elements_end']} | | |")
    print(f"| event listeners | {r['listeners_start']} | {r['listeners_end']} | {r['listeners_max']} | |")
    print(f"| wall ticks sent / answered (a real {r['hours']:g} h day: {r['ticks_of_a_real_day']}) | | "
          f"{r['ticks_sent']} / {r['ticks_answered']} | | |")
    print(f"| a tick's round trip, mean ms (the page's tick: {r['tick_ms_page']} ms) | | "
          f"{r['tick_round_trip_mean_ms']} | | below the tick |")
    print(f"| heap after each forced GC, MB | | {' → '.join(str(x) for x in r['forced_gc_samples'])} | | |")
    print(f"| redraws (tiles or ticker changed) | | {r['redraws']} | | |")
    print(f"| heap trend after the first hour, MB per 1,000 redraws | | {r['heap_mb_per_1000_redraws_after_hour_1']} | | |")
    print(f"| that trend over a real day ({r['hours']:g} h, a redraw every {r['tick_ms_config']} ms tick), MB | | "
          f"{r['heap_growth_over_a_real_day_mb']} | | < 20 |")
    print(f"| browser CPU % of one core | | {r['browser_cpu_pct']} | | |")
    print(f"| still ticks at the end | | {r['still_ticks']} | | yes |")


if __name__ == "__main__":
    raise SystemExit(main())
