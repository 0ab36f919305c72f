"""Drill-down under the 07:00 rush: bench/rush_dashboard.

The dashboard benchmark's drill-down (overview, employee month) and trends calls, in one
run: first on a quiet machine, then while the check-in benchmark (bench/ingest, gunicorn as
in the Procfile) is offered 500 check-ins/s on the same machine and the same Postgres and
Redis, then quiet again (the machine's drift between the two). Each call cold (cache
emptied) and warm, as bench/dashboard measures them.

The dashboard reads a bench city (bench/city.py) in its own database, built on the first
run (`--employees 3000 --days 365` by default: ~1 M check-ins, a few minutes; the figures
in bench/RESULTS.md for bench/dashboard are on 15,000 employees). Prints a table; JSON in
bench/out/rush_dashboard.json.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import city  # noqa: E402
from bench.dashboard import callback_times, percentiles, signed_in  # noqa: E402
from bench.ingest import SYSTEM_DB  # noqa: E402
from bench.wall_browser import MONDAY_0720  # noqa: E402

DRILL_AND_TRENDS = ("overview", "employee month", "trends")   # the map is not a drill-down step


def city_runtime(server_url: str, name: str, employees: int, days: int):
    """A runtime on the bench city database `name`, built when it has fewer employees."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError

    from foundation.runtime import boot
    from queries import dashboard_seed, scratch

    os.environ["DATABASE_URL"] = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    try:
        rt = boot()
        with rt.connection() as conn:
            have = len(dashboard_seed.employee_ids(conn))
    except (OperationalError, SystemExit):
        have = 0
    if have < employees:
        print(f"building the bench city: {employees} employees, {days} days ...", flush=True)
        os.environ["DATABASE_URL"] = scratch.recreate_database(server_url, name)
        rt = boot()
        print(city.load(rt, employees, days), flush=True)
    return rt


def start_rush(args, json_path: Path) -> subprocess.Popen:
    """bench/ingest at `args.rate` on the system servers, in its own process (and database)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PANTAU_")}
    env["DATABASE_URL"] = args.server_url
    cmd = [sys.executable, str(ROOT / "bench" / "ingest.py"), "--servers", "system", "--rate", str(args.rate),
           "--concurrency", "64", "--seconds", str(args.load_seconds), "--warmup", str(args.warmup),
           "--employees", str(args.load_employees), "--database", args.ingest_database, "--json", str(json_path)]
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_for_driving(proc: subprocess.Popen, log: list[str]) -> None:
    """Until bench/ingest says it drives the load (its warm-up starts then)."""
    for line in proc.stdout:
        log.append(line)
        if "driving" in line:
            return
    raise SystemExit("bench/ingest ended before driving its load:\n" + "".join(log[-20:]))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rate", type=float, default=500, help="check-ins per second offered (default 500)")
    ap.add_argument("--load-seconds", type=float, default=60, help="the loaded window (default 60)")
    ap.add_argument("--warmup", type=float, default=5, help="bench/ingest's warm-up before the window")
    ap.add_argument("--load-employees", type=int, default=2000, help="phones of the check-in load")
    ap.add_argument("--repeat", type=int, default=16, help="calls per case when quiet (as bench/dashboard)")
    ap.add_argument("--employees", type=int, default=3000, help="the bench city's size")
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--database", default="pantau_bench_rush_city", help="the bench city's database")
    ap.add_argument("--ingest-database", default="pantau_bench_rush_ingest", help="the check-in load's (dropped first)")
    ap.add_argument("--json", type=Path, default=city.OUT / "rush_dashboard.json")
    args = ap.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))   # stopped: the servers and the browser go too
    args.server_url = os.environ.get("DATABASE_URL", SYSTEM_DB)
    from foundation import clock

    os.environ["PANTAU_CONFIG"] = str(city.city_config())
    os.environ[clock.ENV] = clock.demo_spec(MONDAY_0720, 1)
    os.environ.setdefault("PANTAU_REDIS_PREFIX", "pantau-rush")
    rt = city_runtime(args.server_url, args.database, args.employees, args.days)
    client, cache, _ = signed_in(rt)
    keep = lambda name: name.startswith(DRILL_AND_TRENDS)
    callback_times(rt, client, cache, 8, keep)      # one round to warm the code paths and Postgres
    phases: dict[str, dict] = {}

    def quiet(label: str) -> None:
        load = os.getloadavg()[0]
        t0 = time.monotonic()
        phases[label] = {"times": percentiles(callback_times(rt, client, cache, args.repeat, keep)),
                         "seconds": round(time.monotonic() - t0, 1), "load_average_1m": [round(load, 1),
                                                                                          round(os.getloadavg()[0], 1)]}
        print(json.dumps({label: phases[label]}), flush=True)

    quiet("quiet before")
    with tempfile.TemporaryDirectory(prefix="bench-rush-") as tmp:
        report = Path(tmp) / "ingest.json"
        proc, log = start_rush(args, report), []
        try:
            wait_for_driving(proc, log)
            time.sleep(args.warmup)
            until = time.monotonic() + args.load_seconds
            load = os.getloadavg()[0]
            t0 = time.monotonic()
            times = callback_times(rt, client, cache, 8 * 10_000, keep, until=until)
            phases["under load"] = {"times": percentiles(times), "seconds": round(time.monotonic() - t0, 1),
                                    "load_average_1m": [round(load, 1), round(os.getloadavg()[0], 1)]}
            log.extend(proc.stdout)
            proc.wait(timeout=120)
        finally:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=30)
        if not report.exists():
            raise SystemExit("bench/ingest wrote no result:\n" + "".join(log[-20:]))
        ingest = json.loads(report.read_text())[0]
    phases["under load"]["ingest"] = {k: ingest[k] for k in ("offered_rate_per_s", "acknowledged_per_s", "p50_ms",
                                                             "p99_ms", "lost", "seconds")}
    print(json.dumps({"under load": phases["under load"]}), flush=True)
    quiet("quiet after")
    summary = {"started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "cpus": os.cpu_count(),
               "city": {"employees": args.employees, "days": args.days}, "phases": phases}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(summary, indent=2))
    print_table(summary)
    return 0


def print_table(summary: dict) -> None:
    phases = summary["phases"]
    load = phases["under load"]["ingest"]
    print(f"\nDrill-down and trends, server-side ms p50 / p95 (n), {summary['started']}, {summary['cpus']} CPUs, "
          f"bench city {summary['city']['employees']} employees x {summary['city']['days']} days. Under load: "
          f"bench/ingest offered {load['offered_rate_per_s']:g}/s, acknowledged {load['acknowledged_per_s']}/s, "
          f"p99 {load['p99_ms']} ms, lost {load['lost']}")
    names = list(phases["quiet before"]["times"])
    print("| call | " + " | ".join(f"{label} (load {ph['load_average_1m'][0]}→{ph['load_average_1m'][1]})"
                                   for label, ph in phases.items()) + " |")
    print("|---|" + "---|" * len(phases))
    for name in names:
        for kind in ("cold", "warm"):
            cells = []
            for ph in phases.values():
                t = ph["times"].get(name, {}).get(kind)
                cells.append(f"{t['p50_ms']} / {t['p95_ms']} ({t['n']})" if t else "-")
            print(f"| {name}, {kind} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    raise SystemExit(main())
