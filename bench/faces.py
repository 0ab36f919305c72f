"""Benchmark: the server's face match (ingest/face_match.py).

    ./bench/faces [--seconds 20] [--queue 300] [--workers 2]

1. Matches per second per core: one process pinned to one core turns phone-sized selfies
   (the test photos of tests/data/faces at 640 px on the long side, JPEG 80 as the employee
   page sends them) into descriptors and compares each with a reference, for `--seconds`.
   Then `--workers` such processes at once, one per core. RSS of each process after the run.
2. The queue on Postgres: `--queue` check-ins with selfies stored through the one write path
   (which queues them), then `--workers` worker processes drain it with face_match.drain
   (FOR UPDATE SKIP LOCKED): measured wall time, matches per second, each worker's peak RSS.
3. The 07:00 rush: 5,000 employees, 10 % and 100 % with a selfie, drain minutes on these
   workers, computed from the rate measured in 2.

Uses DATABASE_URL / REDIS_URL when set (give it a database of its own), else embedded servers
under PANTAU_VAR_DIR (./var/bench-faces by the wrapper script).
"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import multiprocessing as mp
import os
import platform
import resource
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FACES = ROOT / "tests" / "data" / "faces"
RUSH_EMPLOYEES = 5_000
PHONE_SIDE, PHONE_QUALITY = 640, 80   # ingest/employee_page/static/app.js: selfieBlob()


def phone_selfies() -> list[bytes]:
    """The single-face test photos as the employee page would send them."""
    from PIL import Image

    out = []
    for path in sorted(FACES.glob("*.jp*g")):
        if path.name in ("kit_with_rose.jpg", "two_people.jpg"):
            continue
        image = Image.open(path).convert("RGB")
        image.thumbnail((PHONE_SIDE, PHONE_SIDE))
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=PHONE_QUALITY)
        out.append(buffer.getvalue())
    return out


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())   # the machine is shared: say how busy it was


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024   # KiB on Linux


def _compute(args: tuple[int, float]) -> dict:
    """One process on one core: describe + compare for `seconds`."""
    core, seconds = args
    os.sched_setaffinity(0, {core})
    from ingest import faces
    from ingest.rules.face import PhotoProblem

    selfies = phone_selfies()
    reference = faces.describe(selfies[0])
    loaded_mb = _rss_mb()
    done, no_face, started, cpu = 0, 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - started < seconds:
        try:
            faces.distance(faces.describe(selfies[done % len(selfies)]), reference)
        except PhotoProblem:
            no_face += 1
        done += 1
    took, cpu = time.perf_counter() - started, time.process_time() - cpu
    # per CPU second: what one core does when it is ours alone (the machine is shared)
    return {"core": core, "matches": done, "no_face": no_face, "seconds": took, "per_s": done / took,
            "per_cpu_s": done / cpu, "cpu_share": cpu / took, "rss_loaded_mb": loaded_mb, "rss_peak_mb": _rss_mb()}


def _drain(_: int) -> dict:
    from foundation.runtime import boot
    from ingest import face_match

    rt = boot(migrate=False)
    started, cpu = time.perf_counter(), time.process_time()
    counts = face_match.drain(rt)
    return {"counts": counts, "seconds": time.perf_counter() - started, "cpu_s": time.process_time() - cpu,
            "rss_peak_mb": _rss_mb()}


def _fill_queue(rt, count: int) -> dict:
    """`count` check-ins with a selfie through attendance.record_many (which queues each),
    over employees enrolled with a reference face."""
    from dataclasses import asdict

    from ingest import attendance, faces, selfies
    from ingest.rules.judge import Attempt
    from ingest.synthetic.people import generate_employees
    from queries import employees as qe
    from queries import faces as qf
    from queries import synthetic as qs

    photos = phone_selfies()
    with rt.connection() as conn:
        have = qs.active_employees(conn)
    if len(have) < count:
        with rt.transaction() as conn:
            qe.insert_many(conn, [asdict(e) for e in generate_employees(rt.config, count - len(have), seed=11)])
        with rt.connection() as conn:
            have = qs.active_employees(conn)
    people = have[:count]
    shas = [selfies.store(rt.settings.selfie_dir, p) for p in photos]
    descriptor = faces.describe(photos[0]).tolist()
    with rt.transaction() as conn:   # everyone enrolled: a match or a mismatch, never no_enrolment
        for person in people:
            qf.add_enrolment(conn, person["id"], descriptor, faces.model_version(), "photo", shas[0], "bench")
    office = rt.config.offices[0]
    when = dt.datetime.combine(dt.date(2026, 11, 3), dt.time(7, 20), rt.config.zone)   # a Tuesday
    stamp = time.time_ns()
    entries = [attendance.Entry(p["id"], Attempt(source="mobile", captured_at=when, received_at=when, lat=office.lat,
                                                 lon=office.lon, accuracy_m=6.0, session="in"),
                                f"bench-faces:{stamp}:{p['id']}", {}, columns={"selfie_sha256": shas[i % len(shas)]})
               for i, p in enumerate(people)]
    for first in range(0, len(entries), 500):
        attendance.record_many(rt, entries[first:first + 500])
    with rt.connection() as conn:
        return {"queued": qf.waiting(conn)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20, help="compute run per process (default 20)")
    parser.add_argument("--queue", type=int, default=300, help="selfies queued for the drain (default 300)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2, one per core)")
    args = parser.parse_args(argv)
    ctx = mp.get_context("spawn")   # a fresh interpreter each: RSS is one worker's own

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}, "
          f"load average before {_load()}, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC")
    with ctx.Pool(1) as pool:
        one = pool.map(_compute, [(0, args.seconds)])[0]
    print(f"1 process on 1 core: {one['matches']} matches in {one['seconds']:.1f} s = {one['per_s']:.2f}/s wall, "
          f"{one['per_cpu_s']:.2f} per CPU second (it had {one['cpu_share']:.0%} of its core); "
          f"no face: {one['no_face']}; "
          f"RSS after loading {one['rss_loaded_mb']:.0f} MB, peak {one['rss_peak_mb']:.0f} MB")
    with ctx.Pool(args.workers) as pool:
        many = pool.map(_compute, [(n % os.cpu_count(), args.seconds) for n in range(args.workers)])
    total = sum(r["per_s"] for r in many)
    rates = " + ".join(f"{r['per_s']:.2f} ({r['per_cpu_s']:.2f} per CPU s)" for r in many)
    peaks = " / ".join(f"{r['rss_peak_mb']:.0f}" for r in many)
    print(f"{args.workers} processes, one per core: {rates} = {total:.2f}/s, peak RSS {peaks} MB; "
          f"load average {_load()}")

    from foundation.runtime import boot
    rt = boot()
    filled = _fill_queue(rt, args.queue)
    print(f"queue: {filled['queued']} selfies waiting (stored through attendance.record_many)")
    started = time.perf_counter()
    with ctx.Pool(args.workers) as pool:
        drained = pool.map(_drain, range(args.workers))
    wall = time.perf_counter() - started
    matched = sum(sum(d["counts"].values()) for d in drained)
    rate = matched / wall
    workers = ", ".join(f"{sum(d['counts'].values())} {d['counts']} in {d['cpu_s']:.0f} CPU s, peak RSS "
                        f"{d['rss_peak_mb']:.0f} MB" for d in drained)
    print(f"drain with {args.workers} workers: {matched} matched in {wall:.1f} s (boot included) = {rate:.2f}/s; "
          f"per worker {workers}; load average {_load()}")
    # the same rate on cores of our own: CPU seconds per match in the workers (Postgres's share is small)
    own = matched / max(d["cpu_s"] for d in drained) if drained else 0.0
    for share in (0.10, 1.00):
        selfies = round(RUSH_EMPLOYEES * share)
        print(f"07:00 rush, {RUSH_EMPLOYEES:,} employees, {share:.0%} with a selfie: {selfies:,} matches -> "
              f"{selfies / rate / 60:.1f} min at the measured drain rate, {selfies / own / 60:.1f} min on "
              f"{args.workers} cores of our own (from the workers' CPU time), computed, not measured")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
