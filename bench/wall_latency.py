"""From a check-in's 201 to the wall in a browser: bench/wall_latency.

Phones post check-ins to the ingest process (the Procfile's line, gunicorn) on real
Postgres + Redis at 10, 100 and 500 per second, open loop; a headless Chromium shows
/wall (the Procfile's web line) and a MutationObserver in the page notes, with Date.now(),
every change of the tiles and the ticker and the next animation frame after it. Both
clocks are this machine's, so a check-in's latency is that frame's time minus the time
its 201 was read:

* tile: the "Hadir" count reaches the check-in's rank among this level's check-ins that
  count as present (each phone checks in once: every one of them moves the count). What
  counts: accepted (flagged too where `rules.review.pending_counts`), and for the wall's
  date: a shift worker's 07:00 check-in can be the check-out of last night's shift, whose
  work date is yesterday (the API's answer says which) and which rightly moves nothing;
* ticker: its line (name · unit) first appears; only check-ins whose name and unit are
  unique in the level, and only those that made it into the 10 lines shown.

The wall asks for news every `dashboard.wall_tick_ms` (500 ms by default): a check-in
waits up to one tick, so `--tick-ms 1000,500` compares values, with the CPU the browser and
the web server spent at each. Prints a table; JSON in bench/out/wall_latency.json.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import ingest as bench_ingest  # noqa: E402
from bench import ingest_load as load  # noqa: E402
from bench.city import OUT  # noqa: E402
from bench.dashboard import _server, _setup, p  # noqa: E402
from bench.wall_browser import _browser, _cpu_seconds  # noqa: E402

# Every change of the tiles or the ticker, as the page saw it (Date.now(): the machine's clock)
OBSERVE_JS = """
window.pantauSeen = [];
const note = () => {
  const tile = document.querySelector('#tile-present .tile-value');
  const entry = {dom: Date.now(), present: tile ? tile.textContent : null,
                 ticker: Array.from(document.querySelectorAll('#wall-ticker li'), li => li.textContent)};
  window.pantauSeen.push(entry);
  requestAnimationFrame(() => { entry.frame = Date.now(); });   // the frame that paints it
};
for (const id of ['wall-tiles', 'wall-ticker']) {
  new MutationObserver(note).observe(document.getElementById(id), {childList: true, subtree: true, characterData: true});
}
"""


def moves_hadir(verdict: str, work_date: str, day: str, pending_counts: bool) -> bool:
    """Whether an acknowledged check-in makes its employee present on the wall's date: a
    flagged one waits for review and counts only where the region says so; one judged to
    another work date (a night shift's check-out after midnight) counts on that date."""
    return work_date == day and (verdict == "accepted" or (verdict == "flagged" and pending_counts))


def wall_config(tick_ms: int) -> Path:
    """config.yaml with the wall's tick set (everything else as it is)."""
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    config.setdefault("dashboard", {})["wall_tick_ms"] = tick_ms
    path = OUT / f"wall_tick_{tick_ms}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
    return path


def present(text: str | None) -> int | None:
    return int(text.replace(".", "")) if text else None   # "1.234": the thousands dot


def seconds_stats(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    return {"n": len(values), "p50_s": round(p(values, 0.5) / 1000, 3), "p95_s": round(p(values, 0.95) / 1000, 3),
            "max_s": round(max(values), 3)}


def tile_latencies(times: list[float], seen: list[dict], base: int) -> tuple[list[float], int]:
    """(latencies, count never shown): the i-th counted check-in (by 201 time) is on the wall
    from the first frame whose Hadir count is base + i or more."""
    times = sorted(times)
    shown = [(e.get("frame") or e["dom"], present(e["present"])) for e in seen if e["present"]]
    out, j = [], 0
    for i, t in enumerate(times, start=1):
        while j < len(shown) and shown[j][1] - base < i:
            j += 1
        if j == len(shown):
            return out, len(times) - len(out)
        out.append(shown[j][0] / 1000 - t)
    return out, 0


def ticker_latencies(sent: dict[str, tuple[float, str]], seen: list[dict]) -> list[float]:
    """From each check-in's 201 to the first frame its ticker line is in (`sent`: ticker
    key " · name · unit · " -> (201 time, verdict), keys unique in the level)."""
    out, found = [], set()
    for e in seen:
        for line in e["ticker"]:
            for key in sent.keys() - found:
                if key in line:
                    found.add(key)
                    out.append((e.get("frame") or e["dom"]) / 1000 - sent[key][0])
    return out


def level(driver, port: int, phones: list, keys: list[str], now, rate: float, args, procs, day: str,
          pending_counts: bool) -> dict:
    """One rate for `args.seconds`: its check-ins, what the wall showed, the CPU spent."""
    base = present(driver.execute_script(
        "window.pantauSeen.length = 0; const t = document.querySelector('#tile-present .tile-value');"
        " return t && t.textContent"))
    cpu0, t0 = [cpu() for cpu in procs], time.monotonic()
    report = load.run("127.0.0.1", port, phones, now, seconds=args.seconds, concurrency=args.concurrency,
                      selfie_share=args.selfie_share, retry_share=0.0, seed=int(rate), rate=rate)
    time.sleep(args.tick_settle)   # the last ones need a tick or two
    span = time.monotonic() - t0
    cpu = [round((c() - c0) / span * 100, 1) for c, c0 in zip(procs, cpu0)]
    seen = driver.execute_script("return window.pantauSeen")
    acks = list(report.acked_at.values())
    counted = [t for t, verdict, work_date in acks if moves_hadir(verdict, work_date, day, pending_counts)]
    tiles, missing = tile_latencies(counted, seen, base)
    by_key: dict[str, list] = {}
    for event_id, ack in report.acked_at.items():
        by_key.setdefault(keys[report.phone_of[event_id]], []).append(ack)
    unique = {k: v[0] for k, v in by_key.items() if len(v) == 1}
    final = present(seen[-1]["present"]) if seen else base
    return {"rate": rate, "acknowledged": len(acks), "counted": len(counted),
            "other_work_date": sum(w != day for _, _, w in acks),
            "flagged_pending": sum(v == "flagged" and w == day for _, v, w in acks) if not pending_counts else 0,
            "hadir_moved": (final or 0) - (base or 0), "tile": seconds_stats(tiles), "tile_never_shown": missing,
            "ticker": seconds_stats(ticker_latencies(unique, seen)),
            "api_p95_ms": round(report.percentile_ms(95), 1), "browser_cpu_pct": cpu[0], "web_cpu_pct": cpu[1],
            "load_average_1m": round(os.getloadavg()[0], 1)}


def run_tick(rt, tick_ms: int, spec: str, ingest_port: int, phones: list, keys: list[str], token: str,
             now, args) -> dict:
    """A web server and a browser with this tick; idle CPU, then each rate."""
    from selenium.webdriver.support.ui import WebDriverWait

    from foundation import clock

    env = bench_ingest.server_env(rt, spec, ingest_port)
    env["PANTAU_CONFIG"] = str(wall_config(tick_ms))
    web, base = _server(env)
    driver = _browser()
    rows = []
    try:
        driver.get(f"{base}/wall?kiosk={token}")
        WebDriverWait(driver, 60).until(lambda d: d.execute_script(
            "return document.querySelector('#tile-present .tile-value') && document.querySelectorAll('#wall-ticker li').length"))
        driver.execute_script(OBSERVE_JS)
        procs = [lambda: _cpu_seconds(driver.service.process.pid), lambda: bench_ingest.cpu_seconds(web.pid)]
        time.sleep(3)
        used = 0
        for rate in args.rates:
            need = needed(rate, args.seconds)
            row = level(driver, ingest_port, phones[used:used + need], keys[used:used + need], now, rate, args, procs,
                        clock.today(rt.config.zone).isoformat(), rt.config.rules.review.pending_counts)
            used += need
            row.update(tick_ms=tick_ms)
            print(json.dumps(row), flush=True)
            rows.append(row)
        # at rest: a wall after the rush, nothing arriving (each tick still asks)
        cpu0, t0 = [c() for c in procs], time.monotonic()
        time.sleep(args.idle)
        idle = [round((c() - c0) / (time.monotonic() - t0) * 100, 1) for c, c0 in zip(procs, cpu0)]
        for row in rows:
            row.update(idle_browser_cpu_pct=idle[0], idle_web_cpu_pct=idle[1])
    finally:
        driver.quit()
        web.terminate()
        web.wait(timeout=60)
    return {"tick_ms": tick_ms, "rows": rows}


def needed(rate: float, seconds: float) -> int:
    """Phones for one level: each checks in once (a second check-in would not move Hadir)."""
    return int(rate * seconds * 1.25) + 30


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rates", type=lambda s: [float(x) for x in s.split(",")], default=[10.0, 100.0, 500.0],
                    help="check-ins per second, comma-separated (default 10,100,500)")
    ap.add_argument("--seconds", type=float, default=8, help="per rate (default 8)")
    ap.add_argument("--tick-ms", type=lambda s: [int(x) for x in s.split(",")], default=None,
                    help="the wall's dashboard.wall_tick_ms, comma-separated to compare (default: config.yaml's)")
    ap.add_argument("--idle", type=float, default=15, help="seconds with no check-ins after the rates: the CPU at rest")
    ap.add_argument("--tick-settle", type=float, default=3, help="seconds after a level before reading the page")
    ap.add_argument("--concurrency", type=int, default=64, help="connections of the load generator")
    ap.add_argument("--selfie-share", type=float, default=0.10)
    ap.add_argument("--database", default="pantau_bench_wall", help="on the system server (dropped first)")
    ap.add_argument("--json", type=Path, default=OUT / "wall_latency.json")
    args = ap.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))   # stopped: the servers and the browser go too
    from foundation.clock import ENV as CLOCK_ENV, demo_spec
    from ingest import live
    from foundation import clock
    from ingest.synthetic.people import generate_employees

    if args.tick_ms is None:
        args.tick_ms = [yaml.safe_load((ROOT / "config.yaml").read_text())["dashboard"]["wall_tick_ms"]]
    per_tick = sum(needed(r, args.seconds) for r in args.rates)
    employees = int(per_tick * len(args.tick_ms) * 1.15) + 50   # units without an office have no phone
    started_at, load_before = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-wall-") as tmp:
        var_dir = Path(tmp)
        print(f"preparing {employees} employees ...", flush=True)
        rt, phones = bench_ingest.prepare("system", employees, var_dir, args.database)
        real = time.time()
        spec = os.environ[CLOCK_ENV] = demo_spec(bench_ingest.MORNING, 1.0, real)
        now = lambda: clock.now()
        live.rebuild(rt, clock.today(rt.config.zone))
        token = _setup(rt, show_names=True)
        port = bench_ingest.free_port()
        proc = bench_ingest.start_server(bench_ingest.procfile()["ingest"], bench_ingest.server_env(rt, spec, port), var_dir)
        try:
            bench_ingest.wait_ready(f"http://127.0.0.1:{port}", proc)
            import asyncio

            from ingest.simulate import phones as sim

            began = time.monotonic()
            active = asyncio.run(sim.activate_all(f"http://127.0.0.1:{port}", phones, concurrency=32))
            print(f"{len(active)} phones activated in {time.monotonic() - began:.0f} s", flush=True)
            if len(active) < per_tick * len(args.tick_ms):
                raise SystemExit(f"only {len(active)} phones activated, {per_tick * len(args.tick_ms)} needed")
            person = {e.nip: e for e in generate_employees(rt.config, employees, seed=1)}   # as prepare made them
            keys = [f" · {person[ph.nip].name} · {rt.config.unit_by_code[person[ph.nip].unit_code].name} · "
                    for ph in active]
            results = []
            for n, tick in enumerate(args.tick_ms):
                part = slice(n * per_tick, (n + 1) * per_tick)
                results.append(run_tick(rt, tick, spec, port, active[part], keys[part], token, now, args))
        finally:
            bench_ingest.stop_server(proc, var_dir, "ingest")
            # live updates the API skipped after a Redis error (their date is recounted at the next one)
            skipped = (var_dir / "gunicorn.log").read_text(errors="replace").count("live state not updated")
    summary = {"live_updates_skipped_after_redis_errors": skipped, "started": started_at, "load_average_before": [round(x, 1) for x in load_before],
               "load_average_after": [round(x, 1) for x in os.getloadavg()], "cpus": os.cpu_count(),
               "seconds_per_rate": args.seconds, "results": results}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(summary, indent=2))
    print_table(summary)
    return 0


def print_table(summary: dict) -> None:
    print(f"\nCheck-in 201 -> wall (next frame after the DOM change), {summary['started']}, {summary['cpus']} CPUs, "
          f"load average before {summary['load_average_before']} after {summary['load_average_after']}; goal p95 < 1 s; "
          f"batches whose live update the API skipped after a Redis error: {summary['live_updates_skipped_after_redis_errors']}")
    print("| tick ms | offered /s | acked | tile n | tile p50 / p95 / max s | ticker n | ticker p50 / p95 / max s | "
          "API p95 ms | browser CPU % (idle) | web CPU % (idle) | load 1m |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for res in summary["results"]:
        for r in res["rows"]:
            t, k = r["tile"], r["ticker"]
            cell = lambda s: f"{s['p50_s']} / {s['p95_s']} / {s['max_s']}" if s["n"] else "-"
            other = f" ({r['other_work_date']} for another work date)" if r.get("other_work_date") else ""
            print(f"| {r['tick_ms']} | {r['rate']:g} | {r['acknowledged']}{other} | {t['n']} (+{r['tile_never_shown']} never) | "
                  f"{cell(t)} | {k['n']} | {cell(k)} | {r['api_p95_ms']} | {r['browser_cpu_pct']} "
                  f"({r['idle_browser_cpu_pct']}) | {r['web_cpu_pct']} ({r['idle_web_cpu_pct']}) | {r['load_average_1m']} |")


if __name__ == "__main__":
    raise SystemExit(main())
