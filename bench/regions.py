"""Three regions of one installation on a local Citus cluster, loaded at once.

The own region (config.yaml, WIB), 7371 Makassar (WITA) and 8271 Ternate (WIT) from
tests/data/regions, each a distributed schema on one of two workers (bin/citus). Each gets
synthetic employees with activated phones, then bench/ingest_load drives check-ins at all
three at the same time through the Procfile's one ingest process, which serves every region
and routes each phone by its token's `<code>~` prefix (ingest/regions.py); --per-region
starts one ingest per region instead (PANTAU_REGION), --ingest-url uses one already running. Per region it
reports acknowledged, stored, lost (acknowledged, not stored), doubled (one event_id stored
twice), misrouted (stored in another region's schema), p50/p99; then EXPLAIN of the hot
path's two inserts and of the dashboard's rollup and drill-down queries: how many tasks
and on which node. On a 2-core machine this proves correctness and routing, not speed-up.

    bench/regions [--employees 500] [--rate 30] [--seconds 20] [--ingest-url http://127.0.0.1:8000]
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import logging
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import queries.attendance  # noqa: E402
import queries.dashboard  # noqa: E402
from bench import ingest_load as load  # noqa: E402
from bench.ingest import MORNING, free_port, server_env, start_server, stop_server, wait_ready  # noqa: E402
from foundation.clock import demo_spec  # noqa: E402
from foundation.regions import listing, settings_for  # noqa: E402
from foundation.runtime import boot  # noqa: E402
from foundation.settings import Settings  # noqa: E402
from ingest import attendance, devices  # noqa: E402
from ingest.employees_import import row_values  # noqa: E402
from ingest.rules.judge import Attempt  # noqa: E402
from ingest.simulate import phones as sim  # noqa: E402
from ingest.synthetic.people import generate_employees  # noqa: E402
from pantau.processes import procfile  # noqa: E402
from queries import citus, dashboard, db, employees, scratch  # noqa: E402

SCHEMA = "bench_regions"          # the own region's schema; the others are bench_regions_r_<code>
OTHERS = ("7371", "8271")


def cluster_url(port: int, data_dir: str) -> str:
    """bin/citus up (installs Citus when missing, as root), then the coordinator's URL."""
    env = {**os.environ, "CITUS_PORT": str(port), "CITUS_DIR": data_dir}
    subprocess.run([str(ROOT / "bin" / "citus"), "up"], env=env, check=True, stdout=subprocess.DEVNULL)
    url = subprocess.run([str(ROOT / "bin" / "citus"), "url"], env=env, check=True, capture_output=True,
                         text=True).stdout.strip()
    return url.replace("postgresql://", "postgresql+psycopg2://", 1)


def installation(url: str, redis_url: str, var_dir: Path) -> dict:
    """A fresh installation of three regions on the cluster: {code: Runtime}, own first."""
    with db.transaction(url) as conn:
        scratch.drop_schemas(conn, SCHEMA)
    regions_dir = var_dir / "regions"
    regions_dir.mkdir()
    for code in OTHERS:
        shutil.copy(ROOT / "tests" / "data" / "regions" / f"{code}.yaml", regions_dir / f"{code}.yaml")
    base = Settings(database_url=db.with_schema(url, SCHEMA), redis_url=redis_url, config_path=ROOT / "config.yaml",
                    var_dir=var_dir, redis_prefix=f"pantau-bench-regions-{os.getpid()}",
                    selfie_dir=var_dir / "selfies", secret_key="bench-secret")
    base = replace(base, regions_dir=regions_dir)
    return {entry.code: boot(settings_for(base, entry.code)) for entry in listing(base)}


def seed(rt, count: int, seed_no: int) -> list:
    """`count` synthetic employees over the region's units, each with a phone activated in
    process (the token names the region: `<code>~...` for all but the own one)."""
    people = generate_employees(rt.config, count, seed=seed_no)
    with rt.transaction() as conn:
        employees.insert_many(conn, [row_values(p) for p in people])
    codes = devices.issue_codes(rt, [p.nip for p in people], "bench")
    phones = []
    for p in people:
        offices = rt.config.unit_offices(p.unit_code)
        if offices:
            phone = sim.Phone(p.nip, codes[p.nip], offices[0].lat, offices[0].lon)
            phone.token, _ = devices.activate(rt, p.nip, phone.code, phone.device_id, phone.model)
            phones.append(phone)
    return phones


def ingest_env(rt, spec: str, port: int) -> dict:
    """bench/ingest's server environment for one region of the installation."""
    env = server_env(rt, spec, port)
    if rt.settings.region:   # another region: derived from the own one's URL and prefix
        env.update(DATABASE_URL=rt.settings.installation_database_url, PANTAU_REGION=rt.settings.region,
                   PANTAU_REDIS_PREFIX=rt.settings.redis_prefix.rsplit(":", 1)[0],
                   PANTAU_CONFIG=str(ROOT / "config.yaml"))
        env.pop("PANTAU_APP_DATABASE_URL", None)
    env["PANTAU_REGIONS_DIR"] = str(rt.settings.regions_dir)
    return env


async def drive_all(targets: dict, now, args) -> dict:
    """Every region's load at the same moment, each its own bench/ingest_load driver."""
    kwargs = dict(seconds=args.seconds, concurrency=args.concurrency, selfie_share=args.selfie_share,
                  retry_share=args.retry_share, rate=args.rate)
    runs = [load.drive(host, port, phones, now, seed=args.seed + i, **kwargs)
            for i, (host, port, phones) in enumerate(targets.values())]
    return dict(zip(targets, await asyncio.gather(*runs)))


def stored_ids(rt) -> list[str]:
    """The event_id of every phone check-in stored in this region (event_key mobile:<emp>:<id>)."""
    with rt.connection() as conn:
        return [key.rsplit(":", 1)[1] for key in queries.attendance.mobile_event_keys(conn)]


def count(results: dict, regions: dict, seconds: float) -> dict:
    """Per region: acknowledged vs stored, lost, doubled and misrouted event_ids, latencies."""
    stored = {code: stored_ids(rt) for code, rt in regions.items()}
    out = {}
    for code, report in results.items():
        mine = Counter(stored[code])
        others = set().union(*(set(ids) for c, ids in stored.items() if c != code))
        out[code] = {
            # stored: of the event_ids this run sent (the warm-up's are in the table too)
            "requests": report.requests, "acknowledged": len(report.acknowledged),
            "stored": len(set(report.phone_of) & set(mine)),
            "lost": len(report.acknowledged - set(mine)), "doubled": sum(1 for n in mine.values() if n > 1),
            "misrouted": len(report.acknowledged & others), "gave_up": report.gave_up,
            "statuses": dict(report.statuses), "verdicts": dict(report.verdicts),
            "p50_ms": round(report.percentile_ms(50), 1), "p99_ms": round(report.percentile_ms(99), 1),
            "acknowledged_per_s": round(len(report.acknowledged) / seconds, 1)}
    return out


class Recorder:
    """Records the statements a function sends through a queries module's helper."""

    def __init__(self, module, name: str):
        self.module, self.name, self.seen = module, name, []
        self.real = getattr(module, name)

    def __enter__(self):
        def wrapper(conn, sql, *a, **kw):
            self.seen.append((sql, a, kw))
            return self.real(conn, sql, *a, **kw)
        setattr(self.module, self.name, wrapper)
        return self

    def __exit__(self, *exc):
        setattr(self.module, self.name, self.real)


def routing(rt, nip: str) -> dict:
    """EXPLAIN of the region's hot path (one check-in of employee `nip`: its check_ins and
    work_days inserts) and of the dashboard's rollup and drill-down reads of that day:
    the tasks, the worker ports and the subplans of each plan."""
    with rt.connection() as conn:
        emp = employees.by_nip(conn, nip)
    office = rt.config.unit_offices(emp["unit_code"])[0]
    moment = dt.datetime.combine(MORNING.date() - dt.timedelta(days=7), dt.time(7, 20), rt.config.office_zone(office))
    day = moment.date()
    with Recorder(queries.attendance, "driver_values") as inserts, Recorder(queries.dashboard, "rows") as reads:
        attendance.record(rt, emp["id"], Attempt(source="mobile", captured_at=moment, received_at=moment,
                                                 lat=office.lat, lon=office.lon, accuracy_m=8),
                          f"bench-explain:{uuid.uuid4()}", payload={})
        with rt.connection() as conn:
            dashboard.unit_day_counts(conn, day, day, None)
            dashboard.branch_counts(conn, day, day, None, "")
            dashboard.people(conn, emp["unit_code"], day, day, None)
    statements = [("insert check_ins" if "INSERT INTO check_ins" in sql else "insert work_days",
                   sql, dict(records=a[0], template=a[1] if len(a) > 1 else kw.get("template")))
                  for sql, a, kw in inserts.seen]
    names = ["rollup unit_day_counts", "rollup branch_counts", "drill-down people"]
    statements += [(name, sql, dict(params=kw)) for name, (sql, a, kw) in zip(names, reads.seen)]
    out = {}
    with rt.connection() as conn:
        for name, sql, how in statements:
            plan = citus.explain(conn, sql, **how)
            out[name] = {"tasks": [int(n) for n in re.findall(r"Task Count: (\d+)", plan)],
                         "ports": sorted(set(re.findall(r"Node: host=\S+ port=(\d+)", plan))),
                         "subplans": plan.count("Subplan")}
    return out


def region_worker(rt) -> str:
    """The worker (host:port) holding the region's schema."""
    with db.connection(rt.urls.owner_url) as conn:
        nodes = {t["node"] for t in citus.schema_tables(conn, db.url_schema(rt.urls.owner_url))}
    return ",".join(sorted(n or "?" for n in nodes))


def run_async(coro):
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    return uvloop.run(coro)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--citus-port", type=int, default=int(os.environ.get("CITUS_PORT", 9700)))
    p.add_argument("--citus-dir", default=os.environ.get("CITUS_DIR", str(ROOT / "var" / "citus")))
    p.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    p.add_argument("--employees", type=int, default=500, help="per region")
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--warmup", type=float, default=3)
    p.add_argument("--rate", type=float, default=30, help="offered check-ins/s per region (0: closed loop)")
    p.add_argument("--concurrency", type=int, default=16, help="connections per region")
    p.add_argument("--selfie-share", type=float, default=0.10)
    p.add_argument("--retry-share", type=float, default=0.02)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--per-region", action="store_true",
                   help="one ingest gunicorn per region (PANTAU_REGION) instead of one shared ingest that serves all")
    p.add_argument("--ports", default="", help="the ingest ports, comma-separated (default: free ones)")
    p.add_argument("--workers", type=int, help="gunicorn workers per region (default: the Procfile's)")
    p.add_argument("--ingest-url", help="one shared ingest (routing by the token's <code>~ prefix), already "
                                        "running on this installation with the real clock; no per-region servers")
    p.add_argument("--json", type=Path, help="also write the results here")
    args = p.parse_args(argv)
    args.rate = args.rate or None
    logging.getLogger("httpx").setLevel(logging.WARNING)
    url = cluster_url(args.citus_port, args.citus_dir)
    with tempfile.TemporaryDirectory(prefix="bench-regions-") as tmp:
        var_dir = Path(tmp)
        regions = installation(url, args.redis_url, var_dir)
        workers = {code: region_worker(rt) for code, rt in regions.items()}
        print(f"installation on {url}: " + ", ".join(
            f"{code} ({rt.config.region.timezone}) on {workers[code]}" for code, rt in regions.items()), flush=True)
        started = time.monotonic()
        phones = {code: seed(rt, args.employees, n + 1) for n, (code, rt) in enumerate(regions.items())}
        print(f"{sum(map(len, phones.values()))} phones activated in {time.monotonic() - started:.0f} s", flush=True)
        servers = []
        if args.ingest_url:
            host, _, port = args.ingest_url.split("//", 1)[-1].rstrip("/").partition(":")
            targets = {code: (host, int(port or 80), phones[code]) for code in regions}

            def now() -> dt.datetime:
                return dt.datetime.now(dt.timezone.utc)
        else:
            real = time.time()
            spec = demo_spec(MORNING, 1.0, real)   # every server judges as if it were MORNING

            def now() -> dt.datetime:
                return MORNING + dt.timedelta(seconds=time.time() - real)
            cmd = procfile()["ingest"]
            if args.workers:
                cmd = re.sub(r"--workers \d+", f"--workers {args.workers}", cmd)
            ports = [int(x) for x in args.ports.split(",") if x] or [free_port() for _ in regions]
            targets = {}
            # shared (default): the Procfile's one ingest process serves all three, each phone's
            # token naming its region (ingest/regions.py); --per-region: one process each
            serving = regions.items() if args.per_region else list(regions.items())[:1]
            for (code, rt), port in zip(serving, ports):
                servers.append((code, start_server(cmd, ingest_env(rt, spec, port), var_dir, f"ingest-{code}")))
            for code in regions:
                port = ports[list(regions).index(code)] if args.per_region else ports[0]
                targets[code] = ("127.0.0.1", port, phones[code])
        try:
            for (code, proc), (_, port, _) in zip(servers, targets.values()):
                wait_ready(f"http://127.0.0.1:{port}", proc)
            if args.warmup:
                run_async(drive_all(targets, now, replace_seconds(args, args.warmup)))
            load_before = os.getloadavg()
            print(f"driving {len(targets)} regions at once for {args.seconds:.0f} s "
                  f"({args.rate or 'closed loop'}/s offered each) ...", flush=True)
            began = time.monotonic()
            results = run_async(drive_all(targets, now, args))
            elapsed = time.monotonic() - began
            load_after = os.getloadavg()
        finally:
            for code, proc in servers:
                stop_server(proc, var_dir, code, f"ingest-{code}")
        counts = count(results, regions, elapsed)
        plans = {code: routing(rt, phones[code][0].nip) for code, rt in regions.items()}
        for rt in regions.values():   # the live state's keys (the schemas go at the next run)
            prefix = rt.settings.redis_prefix
            for key in [*rt.redis.scan_iter(f"{prefix}:*"), *rt.redis.scan_iter(f"{{{prefix}:*")]:
                rt.redis.delete(key)   # one by one: on a Redis Cluster they lie in several slots
    report = {"date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
              "machine": f"{platform.node()} {os.cpu_count()} cores, {platform.platform()}",
              "load_average": [round(v, 2) for v in (*load_before, *load_after)],
              "ingest": args.ingest_url or ("one gunicorn per region" if args.per_region else "one shared gunicorn (Procfile)"), "seconds": round(elapsed, 1),
              "offered_per_region_per_s": args.rate, "employees_per_region": args.employees,
              "regions": {code: {"zone": regions[code].config.region.timezone, "worker": workers[code],
                                 **counts[code], "explain": plans[code]} for code in regions}}
    print_report(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    bad = any(r["lost"] or r["doubled"] or r["misrouted"] for r in report["regions"].values())
    return 1 if bad else 0


def replace_seconds(args, seconds: float):
    return argparse.Namespace(**{**vars(args), "seconds": seconds})


def print_report(report: dict) -> None:
    print(json.dumps(report, indent=2))
    print(f"\n{report['date']}  {report['machine']}  load average {report['load_average'][:3]} -> "
          f"{report['load_average'][3:]}")
    print(f"{'region':7} {'zone':15} {'worker':16} {'ack':>6} {'stored':>6} {'lost':>4} {'doubled':>7} "
          f"{'misrouted':>9} {'ack/s':>6} {'p50 ms':>7} {'p99 ms':>7}  EXPLAIN: tasks@worker port")
    for code, r in report["regions"].items():
        plans = "; ".join(f"{name} {'+'.join(map(str, p['tasks']))}@{','.join(p['ports'])}"
                          + (f" ({p['subplans']} subplans)" if p["subplans"] else "") for name, p in r["explain"].items())
        print(f"{code:7} {r['zone']:15} {r['worker']:16} {r['acknowledged']:6} {r['stored']:6} {r['lost']:4} "
              f"{r['doubled']:7} {r['misrouted']:9} {r['acknowledged_per_s']:6} {r['p50_ms']:7} {r['p99_ms']:7}  {plans}")
    print("On 2 shared cores this proves correctness (nothing lost, doubled or stored in another region) and "
          "routing (one task on the region's worker), not a speed-up.")


if __name__ == "__main__":
    raise SystemExit(main())
