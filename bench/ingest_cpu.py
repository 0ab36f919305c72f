"""The check-in API's own cost per request, repeatable on a busy machine: one gunicorn
worker (the Procfile's line with --workers 1) answers a fixed number of check-ins, and
the report gives that worker's CPU per request and, with --callgrind, its instruction
count per request (valgrind's callgrind, switched on only for the counted requests).

Instructions do not move with the other jobs on the machine as wall-clock and CPU time
do: compare two versions with it (A/B). Run through `bench/ingest_cpu`.

    bench/ingest_cpu --requests 3000                 # CPU ms per request (about 1 min)
    bench/ingest_cpu --requests 600 --callgrind      # + instructions per request (about 4 min)
"""
from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from foundation.clock import demo_spec  # noqa: E402
from pantau.processes import procfile  # noqa: E402

from bench import ingest as bench  # noqa: E402
from bench import ingest_load as load  # noqa: E402


def start(cmd: str, env: dict, var_dir: Path, name: str, valgrind: list[str] | None = None):
    log = open(var_dir / f"{name}.log", "wb")
    prefix = " ".join(valgrind) + " " if valgrind else ""
    proc = subprocess.Popen(["bash", "-c", f"exec {prefix}{cmd}"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    return proc, log


def stop(proc, log) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:   # exited by itself: its log says why
        log.close()
        print(Path(log.name).read_text(errors="replace")[-3000:])
        return
    try:
        proc.wait(60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(30)
    log.close()


def worker_pid(master: int) -> int:
    """The one gunicorn worker (under valgrind the master is valgrind's own process)."""
    for _ in range(600):
        kids = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if kids:
            return int(kids[0])
        time.sleep(0.2)
    raise SystemExit("no gunicorn worker appeared")


def callgrind(*args: str) -> str:
    return subprocess.run(["callgrind_control", *args], capture_output=True, text=True, check=True).stdout


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--requests", type=int, default=3000, help="check-ins counted")
    p.add_argument("--warmup", type=int, default=500, help="check-ins first, not counted")
    p.add_argument("--concurrency", type=int, default=16, help="phones in flight (closed loop)")
    p.add_argument("--employees", type=int, default=1000)
    p.add_argument("--selfie-share", type=float, default=0.10)
    p.add_argument("--port", type=int, default=0, help="the server's port (0: any free one)")
    p.add_argument("--database", default="pantau_bench_ingest_cpu",
                   help="the scratch database on the system server (dropped and made anew)")
    p.add_argument("--callgrind", action="store_true", help="also count instructions (slow: valgrind)")
    p.add_argument("--label", default="", help="a name for this version in the JSON line")
    p.add_argument("--command", help="serve with this command instead of the Procfile's line (an experiment; "
                                     "$INGEST_PORT is the port); the CPU of its whole process tree is counted")
    args = p.parse_args()
    if args.callgrind and not subprocess.run(["which", "callgrind_control"], capture_output=True).returncode == 0:
        raise SystemExit("--callgrind needs valgrind (apt-get install valgrind)")
    with tempfile.TemporaryDirectory(prefix="bench-ingest-cpu-") as tmp:
        var_dir = Path(tmp)
        rt, phones = bench.prepare("system", args.employees, var_dir, args.database)
        real = time.time()
        spec = demo_spec(bench.MORNING, 1.0, real)

        def now():
            return bench.MORNING + bench.dt.timedelta(seconds=time.time() - real)
        port = args.port or bench.free_port()
        url = f"http://127.0.0.1:{port}"
        env = bench.server_env(rt, spec, port)
        env["PANTAU_RATE_DEVICE"] = "100000000/minute"   # each phone sends many in a short run
        cmd = re.sub(r"--workers \d+", "--workers 1", procfile()["ingest"])
        proc, log = start(cmd, env, var_dir, "activate")   # activation (hashing, one call each) is not measured
        try:
            bench.wait_ready(url, proc)
            active = bench.asyncio.run(bench.sim.activate_all(url, phones, concurrency=32))
        finally:
            stop(proc, log)
        valgrind = ["valgrind", "--tool=callgrind", "--instr-atstart=no", "--trace-children=yes",
                    f"--callgrind-out-file={var_dir}/callgrind.%p"] if args.callgrind else None
        if valgrind:   # ~50x slower: the 5 s wait for a batch would answer 503
            slow = var_dir / "config.yaml"
            slow.write_text(re.sub(r"api_wait_s: *[0-9.]+", "api_wait_s: 25", rt.settings.config_path.read_text()))
            env["PANTAU_CONFIG"] = str(slow)
        proc, log = start(args.command or cmd, env, var_dir, "measured", valgrind)
        try:
            bench.wait_ready(url, proc, timeout_s=900 if valgrind else 120)
            worker = worker_pid(proc.pid)
            counted = proc.pid if args.command else worker

            def drive(count: int, seed: int):
                return load.run("127.0.0.1", port, active, now, seconds=3600, concurrency=args.concurrency,
                                selfie_share=args.selfie_share, retry_share=0.0, seed=seed, count=count)
            drive(args.warmup, seed=2)
            if valgrind:
                callgrind("-z", str(worker))
                callgrind("-i", "on", str(worker))
            cpu, began = bench.cpu_seconds(counted), time.monotonic()
            report = drive(args.requests, seed=1)
            cpu, elapsed = bench.cpu_seconds(counted) - cpu, time.monotonic() - began
            instructions = None
            if valgrind:
                callgrind("-i", "off", str(worker))
                out = callgrind("-d", str(worker))
                time.sleep(2)
                dumps = sorted(var_dir.glob(f"callgrind.{worker}*"), key=lambda f: f.stat().st_mtime)
                totals = [line for line in dumps[-1].read_text(errors="replace").splitlines()
                          if line.startswith(("summary:", "totals:"))]
                instructions = int(totals[-1].split()[1]) if totals else None
                if instructions is None:
                    print(out)
        finally:
            stop(proc, log)
        ok = report.statuses[200] + report.statuses[201]
        result = {"label": args.label, "requests": report.requests, "acknowledged": ok,
                  "statuses": dict(report.statuses), "concurrency": args.concurrency,
                  "worker_cpu_ms_per_request": round(1000 * cpu / max(1, report.requests), 3),
                  "instructions_per_request": round(instructions / report.requests) if instructions else None,
                  "seconds": round(elapsed, 1), "load_average_1m": round(os.getloadavg()[0], 1)}
        print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
