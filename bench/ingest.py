"""Benchmark of the check-in API under gunicorn, exactly as the Procfile runs it.

Many concurrent phones send realistic morning check-ins (10 % with a selfie, 2 % retries
of the same event_id) for a fixed time; the report gives acknowledged and accepted
check-ins per second and latency percentiles. Run through `bench/ingest`.

The sweep (issue 15: 1,000 check-ins/s at p99 under 100 ms) offers each rate in turn to the
product and then to the bare ceiling, bench/bare_app.py (the same gunicorn line and worker
serving one INSERT + one HINCRBY per request), on the same servers in the same run:

    bench/ingest --servers system --sweep 500,800,1000,1200 --seconds 20 --warmup 3   # ~5 min
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest import devices  # noqa: E402
from ingest.employees_import import row_values  # noqa: E402
from ingest.simulate import phones as sim  # noqa: E402
from ingest.synthetic.people import generate_employees  # noqa: E402
from foundation.clock import ENV as CLOCK_ENV, demo_spec  # noqa: E402
from pantau.processes import procfile  # noqa: E402
from foundation.runtime import boot  # noqa: E402
from foundation.settings import Settings  # noqa: E402
from queries import attendance, db, employees, scratch  # noqa: E402

from bench import ingest_load as load  # noqa: E402

SYSTEM_DB = "postgresql://postgres@127.0.0.1:5432/postgres"
SYSTEM_REDIS = "redis://127.0.0.1:6379/0"
MORNING = dt.datetime(2026, 11, 23, 6, 50, tzinfo=ZoneInfo("Asia/Jakarta"))   # a Monday, in window


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(servers: str, count: int, var_dir: Path, database: str = "pantau_bench_ingest"):
    """A fresh database with `count` synthetic people over the city's units, each with a code."""
    if servers == "system":
        db_url = scratch.recreate_database(os.environ.get("DATABASE_URL", SYSTEM_DB), database)
        redis_url = os.environ.get("REDIS_URL", SYSTEM_REDIS)
    else:
        db_url = redis_url = None
    settings = Settings(database_url=db_url, redis_url=redis_url, config_path=ROOT / "config.yaml", var_dir=var_dir,
                        redis_prefix=f"pantau-bench-{os.getpid()}", selfie_dir=var_dir / "selfies",
                        secret_key="bench-secret")
    rt = boot(settings)
    logging.getLogger("httpx").setLevel(logging.WARNING)   # a log line per request would bench the logger
    people = generate_employees(rt.config, count, seed=1)
    with rt.transaction() as conn:
        employees.insert_many(conn, [row_values(p) for p in people])
    codes = devices.issue_codes(rt, [p.nip for p in people], "bench")
    phones = []
    for p in people:   # a phone checks in at its unit's first office (units without one: none)
        offices = rt.config.unit_offices(p.unit_code)
        if offices:
            phones.append(sim.Phone(p.nip, codes[p.nip], offices[0].lat, offices[0].lon))
    return rt, phones


def server_env(rt, clock_spec: str, port: int) -> dict:
    env = dict(os.environ)
    env.update(**rt.database_env(), REDIS_URL=rt.urls.redis_url,
               PANTAU_REDIS_PREFIX=rt.settings.redis_prefix, PANTAU_CONFIG=str(rt.settings.config_path),
               PANTAU_VAR_DIR=str(rt.settings.var_dir), PANTAU_SECRET_KEY=rt.settings.secret_key,
               PANTAU_LOG_LEVEL="WARNING", INGEST_PORT=str(port),
               # one load generator = one IP: the per-IP limits would refuse the whole bench
               PANTAU_RATE_IP="100000000/minute", PANTAU_RATE_ACTIVATE_IP="100000000/minute",
               **{CLOCK_ENV: clock_spec})
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
    return env


BARE_APP = '"bench.bare_app:create_app()"'


def start_server(cmd: str, env: dict, var_dir: Path, name: str = "gunicorn") -> subprocess.Popen:
    """A Procfile-style line in its own process group, its log in var_dir/<name>.log."""
    with open(var_dir / f"{name}.log", "wb") as log:
        return subprocess.Popen(["bash", "-c", f"exec {cmd}"], cwd=ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)


def stop_server(proc: subprocess.Popen, var_dir: Path, label: str, name: str = "gunicorn") -> None:
    """Stop it and print the first error lines of its log, if any."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:   # it exited by itself (failed start-up): its log says why
        pass
    proc.wait(30)
    errors = [line for line in (var_dir / f"{name}.log").read_text(errors="replace").splitlines()
              if ("Error" in line and "Error while closing socket" not in line) or "CRITICAL" in line
              or "Traceback" in line]
    if errors:
        print(f"[{label}] server log ({len(errors)} error lines), first: " + " | ".join(errors[:5]))


def measure(proc, port: int, rt, var_dir: Path, active: list, now, args, rate: float | None, stored=None) -> dict:
    """Warm-up (not counted), then the counted load: latency, throughput and CPU per request."""
    kwargs = dict(concurrency=args.concurrency, selfie_share=args.selfie_share, retry_share=args.retry_share)
    if args.warmup:   # at 07:00 the workers have been up for hours: pools open, code warm
        load.run("127.0.0.1", port, active, now, seconds=args.warmup, seed=args.seed + 1, rate=rate, **kwargs)
    began, server_cpu, own_cpu, machine = (time.monotonic(), cpu_seconds(proc.pid), time.process_time(),
                                           machine_cpu_seconds())
    pg_cpu, redis_cpu = postgres_cpu_seconds(rt, var_dir), redis_cpu_seconds(rt)
    load_before = os.getloadavg()[0]
    report = load.run("127.0.0.1", port, active, now, seconds=args.seconds, seed=args.seed, rate=rate, **kwargs)
    elapsed = time.monotonic() - began
    server_cpu, own_cpu = cpu_seconds(proc.pid) - server_cpu, time.process_time() - own_cpu
    machine = machine_cpu_seconds() - machine
    pg_cpu, redis_cpu = postgres_cpu_seconds(rt, var_dir) - pg_cpu, redis_cpu_seconds(rt) - redis_cpu
    acknowledged = report.statuses[200] + report.statuses[201]
    per = 1000 / max(1, report.requests)
    return {
        "seconds": round(elapsed, 1), "warmup_s": args.warmup, "concurrency": args.concurrency,
        "offered_rate_per_s": rate, "requests": report.requests,
        "acknowledged_per_s": round(acknowledged / elapsed, 1),
        "accepted_per_s": round((report.verdicts["accepted"] + report.verdicts["flagged"]) / elapsed, 1),
        "p50_ms": round(report.percentile_ms(50), 1), "p95_ms": round(report.percentile_ms(95), 1),
        "p99_ms": round(report.percentile_ms(99), 1),
        "p99_slowest_seconds": report.slow_seconds(99),   # (second of the run, requests over p99)
        "statuses": dict(report.statuses), "verdicts": dict(report.verdicts),
        "retries_answered_as_duplicate": report.duplicates_answered, "gave_up": report.gave_up,
        # acknowledged (200/201) but not in Postgres after the run (the product only)
        "lost": len(report.acknowledged - stored()) if stored else None,
        # where the 2 cores went, per request; "rest": everything else the machine ran meanwhile
        # (other jobs, Postgres' shared processes: WAL writer, checkpointer)
        "cpu_ms_per_request": {"api_workers": round(server_cpu * per, 2), "load_generator": round(own_cpu * per, 2),
                               "postgres_backends": round(pg_cpu * per, 2), "redis": round(redis_cpu * per, 2),
                               "rest": round((machine - server_cpu - own_cpu - pg_cpu - redis_cpu) * per, 2)},
        "load_average_1m": [round(load_before, 1), round(os.getloadavg()[0], 1)],
    }


def run(servers: str, args) -> list[dict]:
    """The product's ingest process at each rate of the sweep (one rate, or the closed loop,
    without --sweep); with --sweep also the bare ceiling (bench/bare_app.py) on the same stack."""
    rates = args.sweep or [args.rate]
    with tempfile.TemporaryDirectory(prefix=f"bench-ingest-{servers}-") as tmp:
        var_dir = Path(tmp)
        print(f"[{servers}] preparing {args.employees} employees ...", flush=True)
        rt, phones = prepare(servers, args.employees, var_dir, args.database)
        real = time.time()
        spec = demo_spec(MORNING, 1.0, real)      # the server judges as if it were MORNING

        def now() -> dt.datetime:
            return MORNING + dt.timedelta(seconds=time.time() - real)
        port = args.port or free_port()
        cmd = procfile()["ingest"]
        if args.workers:   # an experiment: the Procfile's line with another worker count
            cmd = re.sub(r"--workers \d+", f"--workers {args.workers}", cmd)
        apps = [("pantau", cmd)]
        if args.sweep:   # the same line, serving the bare app
            apps.append(("bare", cmd.replace('"ingest.app:create_app()"', BARE_APP)))
            with db.transaction(rt.urls.owner_url or rt.urls.database_url) as conn:
                scratch.create_bare_table(conn)
        results, active = [], None
        for name, app_cmd in apps:
            proc = start_server(app_cmd, server_env(rt, spec, port), var_dir, name)
            try:
                wait_ready(f"http://127.0.0.1:{port}", proc)
                if active is None:
                    started = time.monotonic()
                    active = asyncio.run(sim.activate_all(f"http://127.0.0.1:{port}", phones, concurrency=32))
                    print(f"[{servers}] {len(active)} phones activated in {time.monotonic() - started:.0f} s",
                          flush=True)
                for rate in rates:
                    offered = f"{rate:g}/s offered" if rate else f"closed loop, {args.concurrency} in flight"
                    print(f"[{servers}] {name}: driving {offered}, {args.warmup:.0f} s warm-up + {args.seconds:.0f} s ...",
                          flush=True)
                    result = {"servers": servers, "app": name, "employees": args.employees, "procfile": app_cmd,
                              **measure(proc, port, rt, var_dir, active, now, args, rate,
                                        stored=(lambda: stored_event_ids(rt)) if name == "pantau" else None)}
                    if not args.sweep:
                        print(json.dumps(result, indent=2), flush=True)
                    results.append(result)
            finally:
                stop_server(proc, var_dir, f"{servers}] [{name}", name)
        return results


def stored_event_ids(rt) -> set[str]:
    """The event_ids of every mobile check-in in Postgres (event_key = mobile:<employee>:<event_id>)."""
    with rt.connection() as conn:
        return {key.rsplit(":", 1)[1] for key in attendance.mobile_event_keys(conn)}


def postgres_cpu_seconds(rt, var_dir: Path) -> float:
    """CPU of the bench's Postgres: the embedded server whole, or on the system server the
    backends serving the bench's database (their process title names it)."""
    pid_file = var_dir / "pg" / "postmaster.pid"
    if pid_file.exists():   # + cutime/cstime: backends that exited during the run
        pid = int(pid_file.read_text().split()[0])
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return cpu_seconds(pid) + (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")
    dbname = rt.urls.database_url.rsplit("/", 1)[-1].split("?")[0]
    total = 0.0
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                title = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if title.startswith("postgres: ") and f" {dbname} " in title:
                total += cpu_seconds(int(proc.name), children=False)
    return total


def redis_cpu_seconds(rt) -> float:
    """CPU of the whole Redis server (shared with other users on the system server)."""
    info = rt.redis.info("cpu")
    return float(info["used_cpu_sys"]) + float(info["used_cpu_user"])


def machine_cpu_seconds() -> float:
    """CPU time the whole machine spent busy (all cores), from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int, children: bool = True) -> float:
    """User + system CPU of a process and its children (Linux /proc), in seconds."""
    total, tick = 0.0, os.sysconf("SC_CLK_TCK")
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / tick
        kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split() if children else []
    except (OSError, IndexError, ValueError):
        return total
    return total + sum(cpu_seconds(int(c)) for c in kids)


def wait_ready(url: str, proc, timeout_s: float = 120) -> None:
    import httpx

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("gunicorn exited during start-up")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                time.sleep(2)   # let the second worker finish booting too
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit("gunicorn did not become ready")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--servers", choices=["embedded", "system", "both"], default="both")
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--warmup", type=float, default=5, help="seconds of the same load first, not counted (0: none)")
    p.add_argument("--concurrency", type=int, default=32, help="phones in flight (closed loop)")
    p.add_argument("--rate", type=float, help="open loop: offered check-ins per second (e.g. 60, a city's peak)")
    p.add_argument("--sweep", type=lambda v: [float(r) if r != "closed" else None for r in v.split(",")],
                   help="offered rates one after the other (e.g. 500,800,1000,1200; 'closed' for the closed "
                        "loop), each also against the bare ceiling (bench/bare_app.py) in the same run")
    p.add_argument("--employees", type=int, default=5000)
    p.add_argument("--selfie-share", type=float, default=0.10)
    p.add_argument("--retry-share", type=float, default=0.02)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--port", type=int, default=0, help="the server's port (0: any free one)")
    p.add_argument("--database", default="pantau_bench_ingest",
                   help="the scratch database on the system server (dropped and made anew)")
    p.add_argument("--workers", type=int, help="override the Procfile's gunicorn worker count (to compare)")
    p.add_argument("--json", type=Path, help="also write the results here")
    args = p.parse_args(argv)
    results = [r for s in (["embedded", "system"] if args.servers == "both" else [args.servers]) for r in run(s, args)]
    if args.sweep:
        print_sweep(results, args)
    else:
        offered = f"offered {args.rate:g}/s" if args.rate else f"closed loop, {args.concurrency} in flight"
        print(f"\nservers    ack/s  accepted/s   p50 ms   p95 ms   p99 ms  lost  load avg  "
              f"({offered}, {args.seconds:.0f} s; bar: >= 500/s, p99 <= 150 ms)")
        for r in results:
            print(f"{r['servers']:9} {r['acknowledged_per_s']:6} {r['accepted_per_s']:11} {r['p50_ms']:8} "
                  f"{r['p95_ms']:8} {r['p99_ms']:8} {r['lost']:5} {r['load_average_1m'][1]:9}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


def print_sweep(results: list[dict], args) -> None:
    """One line per offered rate: the product beside the bare ceiling, and their ratios."""
    print(f"\n{args.seconds:.0f} s per rate after {args.warmup:.0f} s warm-up, {args.concurrency} connections; "
          "goal: 1,000/s offered at p99 < 100 ms. ratio = Pantau / bare (ack/s: 1.00 keeps up with the bare "
          "stack; p99: how many times slower)")
    print(f"{'servers':8} {'offered/s':>9} | {'Pantau ack/s':>12} {'p50':>7} {'p99':>7} {'lost':>4} {'API ms':>6} "
          f"{'PG ms':>5} {'rest':>5} | {'bare ack/s':>10} {'p50':>7} {'p99':>7} {'API ms':>6} {'PG ms':>5} {'rest':>5} | "
          f"{'ack ratio':>9} {'p99 ratio':>9} | load avg")
    print("(API ms, PG ms: CPU per request of the API workers and Postgres; rest: of everything else the "
          "machine ran meanwhile, other people's jobs included: over ~0.3 the run was starved)")
    for servers in dict.fromkeys(r["servers"] for r in results):
        mine = [r for r in results if r["servers"] == servers]
        for rate in args.sweep:
            a = next(r for r in mine if r["app"] == "pantau" and r["offered_rate_per_s"] == rate)
            b = next(r for r in mine if r["app"] == "bare" and r["offered_rate_per_s"] == rate)
            offered = f"{rate:g}" if rate else "closed"
            print(f"{servers:8} {offered:>9} | {a['acknowledged_per_s']:12} {a['p50_ms']:7} {a['p99_ms']:7} "
                  f"{a['lost']:4} {a['cpu_ms_per_request']['api_workers']:6} "
                  f"{a['cpu_ms_per_request']['postgres_backends']:5} {a['cpu_ms_per_request']['rest']:5} | "
                  f"{b['acknowledged_per_s']:10} {b['p50_ms']:7} {b['p99_ms']:7} {b['cpu_ms_per_request']['api_workers']:6} "
                  f"{b['cpu_ms_per_request']['postgres_backends']:5} {b['cpu_ms_per_request']['rest']:5} | "
                  f"{a['acknowledged_per_s'] / b['acknowledged_per_s']:9.2f} {a['p99_ms'] / b['p99_ms']:9.2f} | "
                  f"{a['load_average_1m'][0]}-{a['load_average_1m'][1]}, {b['load_average_1m'][0]}-"
                  f"{b['load_average_1m'][1]}")


if __name__ == "__main__":
    raise SystemExit(main())
