"""Benchmark: the pattern scan (ingest/patterns.py) on a city's synthetic history.

    ./bench/patterns [--employees 15000] [--month 2026-09]

Loads a month of synthetic history for the employees (ingest.synthetic.history, as
bench/days does) into a database of its own (pantau_bench_patterns on DATABASE_URL's
server, recreated unless --reuse), then times `pantau patterns scan` as a subprocess
(boot included): the worker's nightly scan (the 14 days up to the month's last day) and
the whole month, each twice (the second finds everything already stored). A year is
extrapolated from the month (x 12: the scan reads and groups per day and per employee,
linear in check-ins), and says so; the peak memory of the month's scan is measured.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ingest import SYSTEM_DB  # noqa: E402
from queries import scratch  # noqa: E402

NAME = "pantau_bench_patterns"


def _scan(env: dict, first: dt.date, last: dt.date) -> tuple[float, float, str]:
    """Seconds and the output line of one `pantau patterns scan`, and the peak memory (MB) of
    the largest scan so far (the children's max RSS: run the small range first)."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pantau", "patterns", "scan", "--from", str(first), "--to", str(last)],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"pantau patterns scan failed:\n{done.stderr[-3000:]}")
    return took, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, done.stdout.strip().splitlines()[-1]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--employees", type=int, default=15000)
    p.add_argument("--month", default="2026-09", help="YYYY-MM")
    p.add_argument("--reuse", action="store_true", help="keep the database a previous run loaded")
    args = p.parse_args()
    from bench.days import prepare
    from ingest.recap import month_range

    server = os.environ.get("DATABASE_URL", SYSTEM_DB)
    if args.reuse:
        from sqlalchemy.engine import make_url
        url = make_url(server).set(database=NAME).render_as_string(hide_password=False)
    else:
        url = scratch.recreate_database(server, NAME)
    os.environ["DATABASE_URL"] = url
    first, last = month_range(args.month)
    started = time.perf_counter()
    print(f"preparing {args.employees} employees, {first}..{last} ...", flush=True)
    loaded = prepare(args.employees, first, last)
    print(f"loaded in {time.perf_counter() - started:.0f} s: {loaded}", flush=True)
    env = dict(os.environ, PANTAU_LOG_LEVEL="WARNING")
    nightly = (last - dt.timedelta(days=13), last)
    rows = []
    for label, (a, b) in (("nightly (14 days)", nightly), ("month", (first, last))):
        for run in ("first", "again"):
            seconds, rss, line = _scan(env, a, b)
            rows.append((label, run, seconds, rss, line))
            print(f"{label:18} {run:6} {seconds:7.1f} s  {rss:7.0f} MB  {line}", flush=True)
    month_s = min(r[2] for r in rows if r[0] == "month")
    print(f"year, extrapolated (month x 12, not measured): ~{12 * month_s:.0f} s; load average "
          f"{os.getloadavg()[0]:.1f} {os.getloadavg()[1]:.1f} {os.getloadavg()[2]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
