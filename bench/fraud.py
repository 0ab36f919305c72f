"""Benchmark: how much fraud the rules catch, and how many honest check-ins they bother.

    ./bench/fraud [--honest 500] [--terminal-staff 40] [--per-kind 4] [--face-honest 8] [--days 5] [--speed 60]
                  [--face-mismatch review|refuse]

Days of honest morning traffic (phones over the mobile API, a fingerprint terminal over the
push protocol, an apel's QR) with `--per-kind` employees doing each kind of cheating of
issue 18 every day, through the Procfile's gunicorn on an accelerated clock, then the
worker's face matching, day close and pattern scan (bench/fraud_scenario.py). Prints per kind: refused,
queued for review, missed; and honest employee-days refused or queued. Goal: >= 95 % of the
fraud caught with < 1 % of honest employee-days queued.

Uses a database of its own (pantau_bench_fraud, recreated) on DATABASE_URL's server and
REDIS_URL (defaults: the machine's PostgreSQL and Redis db 0).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import fraud_scenario as fraud  # noqa: E402
from bench.ingest import SYSTEM_DB, SYSTEM_REDIS  # noqa: E402
from foundation.runtime import boot  # noqa: E402
from foundation.settings import Settings  # noqa: E402
from queries import scratch  # noqa: E402

FIRST = dt.date(2026, 11, 23)   # a Monday; the days run Monday on, weekdays only


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--honest", type=int, default=500, help="honest employees with a phone")
    p.add_argument("--terminal-staff", type=int, default=40, help="honest employees on the fingerprint terminal")
    p.add_argument("--per-kind", type=int, default=4, help="employees doing each kind of cheating")
    p.add_argument("--face-honest", type=int, default=8,
                   help="honest phones with an enrolled face, a selfie every day (dlib: ~0.2 s CPU each)")
    p.add_argument("--days", type=int, default=5, help="work days (>= 3: the patterns need history)")
    p.add_argument("--speed", type=float, default=60, help="how fast the server's clock runs")
    p.add_argument("--face-mismatch", choices=("review", "refuse"), default=None,
                   help="rules.face.server_mismatch for this run (default: config.yaml's)")
    p.add_argument("--seed", type=int, default=18)
    args = p.parse_args()
    days = [FIRST + dt.timedelta(days=i) for i in range(7 * args.days) if (FIRST + dt.timedelta(days=i)).weekday() < 5]
    days = days[:args.days]
    with tempfile.TemporaryDirectory(prefix="bench-fraud-") as tmp:
        var_dir = Path(tmp)
        config_path = ROOT / "config.yaml"
        if args.face_mismatch:   # a copy of config.yaml with the one rule changed
            raw = yaml.safe_load(config_path.read_text())
            raw["rules"]["face"]["server_mismatch"] = args.face_mismatch
            config_path = var_dir / "config.yaml"
            config_path.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True))
        db_url = scratch.recreate_database(os.environ.get("DATABASE_URL", SYSTEM_DB), "pantau_bench_fraud")
        settings = Settings(database_url=db_url, redis_url=os.environ.get("REDIS_URL", SYSTEM_REDIS),
                            config_path=config_path, var_dir=var_dir,
                            redis_prefix=f"pantau-bench-fraud-{os.getpid()}", selfie_dir=var_dir / "selfies",
                            secret_key="bench-fraud-secret")
        rt = boot(settings)
        print(f"{args.honest} honest phones, {args.terminal_staff} on the terminal, {args.per_kind} per kind of "
              f"fraud, {days[0]}..{days[-1]} at {args.speed:g}x ...", flush=True)
        result = fraud.scenario(rt, days=days, honest=args.honest, terminal_staff=args.terminal_staff,
                                per_kind=args.per_kind, speed=args.speed, seed=args.seed, log_dir=var_dir,
                                face_honest=args.face_honest)
        keys = list(rt.redis.scan_iter(f"{settings.redis_prefix}:*"))
        if keys:
            rt.redis.delete(*keys)
    print(fraud.format_table(result))
    print(json.dumps({k: v for k, v in result.items() if k != "table"}, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
