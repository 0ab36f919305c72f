"""Benchmark: terminals pushing their backlog after an outage.

    ./bench/terminals [--terminals 200] [--lines 5000] [--chunk 1000] [--workers 2] [--concurrency 8]

Each terminal (ZKTeco push protocol over HTTP, the real `ingest` server under gunicorn) has
50 employees and a backlog of 50 work days x 2 punches = 5,000 lines, sent in ATTLOG
batches of --chunk lines, one batch at a time per terminal as firmware does; a tenth of
the batches are sent twice (reply lost); then 20 terminals reboot and re-send it all.
Reported: lines/s stored (unique lines stored over wall time, from the first request to
the last reply: OK:<n> is sent once the lines are committed, durable and deduplicated;
lines before yesterday are stored only, 'stored', today's and yesterday's are applied at
once), the reboot resend rate. Bar: >= 20,000 lines/s. Then the worker's apply is timed
(`apply_waiting(states=STORED)`: stored lines to check-ins, then `work_days.drain`), and
checked: every line is one terminal_logs row and one check-in, never two, and a full
rebuild of the range finds no work day to change.
Uses DATABASE_URL / REDIS_URL when set (give it a database of its own), else embedded
servers under PANTAU_VAR_DIR (./var/bench-terminals by the wrapper script).
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
BAR = 20_000
PER_TERMINAL_STAFF = 50


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _work_days(rt, count: int, last: dt.date) -> list[dt.date]:
    from ingest.rules.calendar import calendar_for

    calendar, days, day = calendar_for(rt.config), [], last
    while len(days) < count:
        if day.weekday() < 5 and not calendar.holiday(day):
            days.append(day)
        day -= dt.timedelta(days=1)
    return days[::-1]


def _prepare(rt, run: int, terminals: int) -> list[dict]:
    """Terminals (approved, one per office in turn) and their staff, with mapped PINs."""
    from ingest.terminals import registry
    from queries import db

    offices = [o for o in rt.config.offices if not rt.config.schedule_by_code[
        rt.config.unit_schedule(o.unit)].is_shift]
    plan, people = [], []
    for t in range(terminals):
        office = offices[t % len(offices)]
        sn = f"BENCH{run:06d}T{t:03d}"
        pins = []
        for n in range(PER_TERMINAL_STAFF):
            i = t * PER_TERMINAL_STAFF + n
            nip = (f"{1970 + i % 30}{(i // 30) % 12 + 1:02d}{(i // 360) % 28 + 1:02d}"
                   f"{1990 + run % 35}{(run // 35) % 12 + 1:02d}{1 + (run // 420) % 2}{i % 1000:03d}")
            pin = f"{run % 1000:03d}{i:05d}"
            people.append((nip, f"Pegawai Bench {i}", office.unit, "Pelaksana", pin))
            pins.append(pin)
        plan.append({"sn": sn, "office": office.code, "pins": pins})
    with rt.transaction() as conn:
        db.copy_rows(conn, "employees", ("nip", "name", "unit_code", "position", "terminal_pin"), people)
    for t in plan:
        registry.approve(rt, t["sn"], t["office"], actor="bench", reason="benchmark terminal")
    return plan


def _backlog(plan: dict, days: list[dt.date], lines: int, seed: int) -> list[str]:
    rnd = random.Random(seed)
    out = []
    for day in days:
        for pin in plan["pins"]:
            t_in = dt.datetime.combine(day, dt.time(6, 45)) + dt.timedelta(seconds=rnd.randint(0, 6300))
            t_out = dt.datetime.combine(day, dt.time(16, 0)) + dt.timedelta(seconds=rnd.randint(0, 5400))
            out.append(f"{pin}\t{t_in:%Y-%m-%d %H:%M:%S}\t0\t1\t0\t0\t0\t0\t0\t0")
            out.append(f"{pin}\t{t_out:%Y-%m-%d %H:%M:%S}\t1\t1\t0\t0\t0\t0\t0\t0")
    return sorted(out, key=lambda line: line.split("\t")[1])[:lines]


async def _push(url: str, terminals: list[dict], chunk: int, concurrency: int, resend: float, seed: int):
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    latencies: list[float] = []
    sent = {"lines": 0, "requests": 0, "resent": 0}
    rnd = random.Random(seed)
    gate = asyncio.Semaphore(concurrency)

    async def one_terminal(client: httpx.AsyncClient, t: dict) -> None:
        async with gate:
            client_stamp = 0
            for start in range(0, len(t["lines"]), chunk):
                body = ("\r\n".join(t["lines"][start:start + chunk]) + "\r\n").encode()
                times = 2 if rnd.random() < resend else 1
                for _ in range(times):       # the second send: the reply to the first was lost
                    began = time.perf_counter()
                    r = await client.post("/iclock/cdata", params={"SN": t["sn"], "table": "ATTLOG",
                                                                   "Stamp": str(client_stamp + chunk)},
                                          content=body)
                    latencies.append(time.perf_counter() - began)
                    if r.status_code != 200 or not r.text.startswith("OK:"):
                        raise SystemExit(f"{t['sn']}: {r.status_code} {r.text[:200]}")
                    sent["requests"] += 1
                    sent["lines"] += len(body.splitlines())
                sent["resent"] += times - 1
                client_stamp += chunk

    async with httpx.AsyncClient(base_url=url, timeout=300, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(one_terminal(client, t) for t in terminals))
        elapsed = time.perf_counter() - started
    return elapsed, latencies, sent


def _serve(env: dict, workers: int) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    log = open(Path(env["PANTAU_VAR_DIR"]) / "bench-ingest.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--worker-class",
         "uvicorn.workers.UvicornWorker", "--bind", f"127.0.0.1:{port}", "--timeout", "300",
         "ingest.app:create_app()"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/iclock/ping?SN=BENCHPROBE", timeout=2).status_code == 200:
                # every worker boots on its first request; warm them all
                for _ in range(workers * 4):
                    httpx.get(f"{url}/iclock/ping?SN=BENCHPROBE", timeout=30)
                return proc, url
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.3)
    proc.kill()
    raise SystemExit(f"ingest server did not start; see {log.name}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--terminals", type=int, default=200)
    parser.add_argument("--lines", type=int, default=5000, help="backlog lines per terminal (<= 5000)")
    parser.add_argument("--chunk", type=int, default=1000, help="lines per ATTLOG upload")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--concurrency", type=int, default=8, help="terminals uploading at once")
    parser.add_argument("--resend", type=float, default=0.1, help="share of batches sent twice")
    parser.add_argument("--reboots", type=int, default=20, help="terminals that then re-send everything")
    args = parser.parse_args()

    from foundation import clock
    from foundation.runtime import boot
    from queries import terminals as qt

    rt = boot()
    logging.getLogger("httpx").setLevel(logging.WARNING)   # one line per request otherwise
    today = clock.today(rt.config.zone)
    days = _work_days(rt, (args.lines + 2 * PER_TERMINAL_STAFF - 1) // (2 * PER_TERMINAL_STAFF), today - dt.timedelta(days=1))
    print(f"preparing {args.terminals} terminals x {PER_TERMINAL_STAFF} employees, backlog {days[0]}..{days[-1]}",
          flush=True)
    for attempt in range(20):      # a run's NIPs and PINs must not meet an earlier run's
        run = random.randrange(1_000_000)
        try:
            plan = _prepare(rt, run, args.terminals)
            break
        except Exception as exc:   # unique violation from an earlier run's employees
            if "already exists" not in str(exc) or attempt == 19:
                raise
    for n, t in enumerate(plan):
        t["lines"] = _backlog(t, days, args.lines, seed=n)
    total_lines = sum(len(t["lines"]) for t in plan)

    env = {**os.environ, **rt.database_env(), "REDIS_URL": rt.urls.redis_url,
           "PANTAU_VAR_DIR": str(rt.settings.var_dir), "PANTAU_CONFIG": str(rt.settings.config_path),
           "PANTAU_REDIS_PREFIX": rt.settings.redis_prefix, "PANTAU_LOG_LEVEL": "WARNING"}
    proc, url = _serve(env, args.workers)
    try:
        print(f"pushing {total_lines:,} lines in batches of {args.chunk} from {args.terminals} terminals "
              f"({args.concurrency} at once, {args.workers} workers) ...", flush=True)
        elapsed, latencies, sent = asyncio.run(_push(url, plan, args.chunk, args.concurrency, args.resend, run))
        rebooted = plan[:args.reboots]
        print(f"{len(rebooted)} terminals reboot and re-send their whole log in one upload each ...", flush=True)
        reboot_s, _, reboot_sent = asyncio.run(_push(url, rebooted, args.lines, args.concurrency, 0.0, run))
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    with rt.connection() as conn:
        counts = qt.stored_counts(conn, [t["sn"] for t in plan])
    rate = total_lines / elapsed
    latencies.sort()
    print(f"stored {counts['log_rows']:,} lines ({counts['stored']:,} backlog lines not yet applied, "
          f"{counts['check_ins']:,} check-ins) from {sent['lines']:,} sent "
          f"({sent['resent']} batches resent) in {elapsed:.1f} s")
    print(f"lines/s stored: {rate:,.0f} (bar {BAR:,}); requests: {sent['requests']}, "
          f"latency p50 {statistics.median(latencies):.2f} s, p95 {latencies[int(len(latencies) * 0.95)]:.2f} s")
    if counts["log_rows"] != total_lines or counts["duplicate_check_ins"]:
        print(f"FAILED: expected {total_lines} lines, no duplicates: {counts}")
        return 1
    print(f"reboot resend: {reboot_sent['lines']:,} duplicate lines absorbed in {reboot_s:.1f} s "
          f"({reboot_sent['lines'] / reboot_s:,.0f} lines/s), stored rows unchanged")
    caught_up = _catch_up(rt, plan, days)
    if caught_up is None:
        return 1
    print(f"lines stored and applied, work days caught up: {total_lines / (elapsed + caught_up):,.0f} lines/s "
          f"(push {elapsed:.1f} s + apply and drain {caught_up:.1f} s)")
    print("result:", "meets the bar" if rate >= BAR else "BELOW the bar",
          f"({rate:,.0f} lines/s stored, 0 duplicates)")
    return 0


def _catch_up(rt, plan: list[dict], days: list[dt.date]) -> float | None:
    """The worker's apply of the stored lines and drain of the queued work days, timed; then
    every line must be one check-in and a rebuild must change nothing."""
    from ingest.terminals.punches import apply_waiting
    from ingest.work_days import drain, rebuild_range
    from queries import terminals as qt
    from queries import work_days as qw

    sns = [t["sn"] for t in plan]
    began = time.perf_counter()
    applied = apply_waiting(rt, states=qt.STORED, defer_live=True)
    applied_s = time.perf_counter() - began
    with rt.connection() as conn:
        waiting = qw.queue_size(conn)
    drained = drain(rt)
    took = time.perf_counter() - began
    print(f"worker applied {applied.applied:,} stored lines ({applied.check_ins:,} check-ins) in {applied_s:.1f} s "
          f"({applied.applied / max(applied_s, 1e-9):,.0f} lines/s); work days queued: {waiting:,}, "
          f"drained {drained:,} in {took - applied_s:.1f} s; total {took:.1f} s")
    with rt.connection() as conn:
        counts = qt.stored_counts(conn, sns)
    expected = counts["log_rows"]
    if counts["check_ins"] != expected or counts["stored"] or counts["duplicate_check_ins"]:
        print(f"FAILED: expected {expected} check-ins, none stored-not-applied, no duplicates: {counts}")
        return None
    print(f"check-ins {counts['check_ins']:,} == unique lines {expected:,}, 0 duplicates, 0 left stored")
    with rt.transaction() as conn:
        ids = qt.employees_of(conn, sns)
        check = rebuild_range(conn, rt.config, days[0], days[-1], employee_ids=ids)
    if check["written"]:
        print(f"FAILED: a full rebuild changed {check['written']} of {check['staged']:,} work days: {check['sample']}")
        return None
    print(f"work days equal a full rebuild: {check['staged']:,} checked, 0 changed")
    return took


if __name__ == "__main__":
    raise SystemExit(main())
