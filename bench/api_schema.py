"""Schemathesis over the check-in API with many more examples than CI runs.

The same run as tests/ingest/api/test_schemathesis.py (every check, a phone's token,
tests/support/schema_hooks.py for what JSON Schema cannot say), against the Procfile's
ingest process on a fresh database, with `--examples` per operation (default 500) and
every phase. Prints schemathesis' summary and the counts; exits non-zero on any failure.
Run through `bench/schemathesis`.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from foundation.runtime import boot  # noqa: E402
from foundation.settings import Settings  # noqa: E402
from queries import scratch  # noqa: E402
from tests.support import schema_fuzz  # noqa: E402
from tests.support.phones import gunicorn  # noqa: E402

SYSTEM_DB = "postgresql://postgres@127.0.0.1:5432/postgres"
SYSTEM_REDIS = "redis://127.0.0.1:6379/0"
UNLIMITED = {"PANTAU_RATE_DEVICE": "100000000/minute", "PANTAU_RATE_IP": "100000000/minute",
             "PANTAU_RATE_ACTIVATE_IP": "100000000/minute"}   # one fuzzer, one phone: limits would answer 429


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--servers", choices=("embedded", "system"), default="system")
    ap.add_argument("--examples", type=int, default=500, help="per operation and phase")
    ap.add_argument("--seed", type=int, default=int(time.time()))
    ap.add_argument("--workers", type=int, default=1, help="schemathesis' concurrent workers (2+ can trip a CPython 3.11 ast bug in hypothesis)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-schemathesis-") as tmp:
        var_dir = Path(tmp)
        if args.servers == "system":
            db_url = scratch.recreate_database(os.environ.get("DATABASE_URL", SYSTEM_DB), "pantau_bench_schema")
            redis_url = os.environ.get("REDIS_URL", SYSTEM_REDIS)
        else:
            db_url = redis_url = None
        rt = boot(Settings(database_url=db_url, redis_url=redis_url, config_path=ROOT / "config.yaml",
                           var_dir=var_dir, redis_prefix=f"pantau-bench-schema-{os.getpid()}",
                           selfie_dir=var_dir / "selfies", secret_key="bench-secret"))
        started = time.monotonic()
        with gunicorn(rt, env=UNLIMITED) as server:
            with httpx.Client(base_url=server.url) as client:
                data = schema_fuzz.seed_data(rt, client)
            found = schema_fuzz.run(server.url, data, examples=args.examples, seed=args.seed,
                                    out=var_dir / "report", workers=args.workers, timeout_s=6 * 3600)
        elapsed = time.monotonic() - started
    summary = found.text[found.text.find("SUMMARY") - 80:] if "SUMMARY" in found.text else found.text[-6000:]
    print(found.text[-40000:] if found.failures or found.errors else summary)
    print(f"schemathesis: {found.operations} operations, {found.examples} examples, {found.failures} failures, "
          f"{found.errors} errors, seed {args.seed}, {args.examples} examples per operation, {elapsed:.0f} s")
    return 0 if (found.failures, found.errors, found.exit_code) == (0, 0, 0) else 1


if __name__ == "__main__":
    sys.exit(main())
