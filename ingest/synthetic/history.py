"""Realistic check-in history for demos and benchmarks, loaded with COPY.

Each person has habits: most arrive before the start (the morning peak falls between
07:00 and 07:45 for a 07:30 start), a chronic-late few arrive after it, some leave early
now and then, a few forget a check-in, refused out-of-geofence attempts are retried, and
sick days, annual leave, official trips and the odd TK day happen. Holidays and days off
are skipped, as the calendar says. Deterministic for a given seed.

    people.generate_employees(config, 15000)   # then queries.employees.insert_many
    load(rt, employees_from_db, first, last)   # check-ins, leave, then work days
"""
from __future__ import annotations

import datetime as dt
import json
import math
import random
from dataclasses import dataclass
from itertools import islice

from queries import synthetic as qs
from queries import work_days as qw

from ..rules.calendar import calendar_for
from ..rules.bands import minutes_after
from ..work_days import rebuild_range

LEAVE_MIX = (("sakit", 0.40), ("cuti_tahunan", 0.35), ("dinas_luar", 0.20), ("izin", 0.05))


@dataclass(frozen=True)
class Habit:
    arrive: float        # mean minutes from the start (negative: early)
    arrive_spread: float
    leave: float         # mean minutes from the end (positive: after it)
    leave_spread: float
    absent_rate: float   # days simply not turning up (TK)
    leave_rate: float    # days a leave block starts
    forget_rate: float   # days one check-in is forgotten
    midday_rate: float
    terminal: bool       # uses the office terminal, not the phone


def habit(rng: random.Random) -> Habit:
    kind = rng.random()
    if kind < 0.70:      # punctual
        arrive, spread, absent = rng.gauss(-17, 5), 7, 0.004
    elif kind < 0.93:    # cuts it close
        arrive, spread, absent = rng.gauss(-6, 4), 11, 0.008
    else:                # chronic late
        arrive, spread, absent = rng.gauss(22, 10), 22, 0.03
    return Habit(arrive, spread, rng.gauss(12, 8), 15 if rng.random() < 0.9 else 35, absent,
                 0.012, 0.015, 0.85, rng.random() < 0.15)


def _moment(rng, anchor: dt.datetime, mean: float, spread: float, window: tuple[dt.datetime, dt.datetime]):
    at = anchor + dt.timedelta(seconds=rng.gauss(mean, spread) * 60)
    lo, hi = window
    return min(max(at, lo + dt.timedelta(seconds=30)), hi - dt.timedelta(seconds=30))


def _offset(lat: float, lon: float, metres: float, rng) -> tuple[float, float]:
    angle = rng.random() * 2 * math.pi
    return (lat + metres * math.cos(angle) / 111_320,
            lon + metres * math.sin(angle) / (111_320 * math.cos(math.radians(lat))))


def employee_history(config, emp: dict, days: list[dt.date], rng: random.Random,
                     until: dt.datetime | None = None) -> tuple[list[tuple], list[tuple]]:
    """One employee's check-in rows (queries.attendance.CHECK_IN_COLUMNS order) and leave rows."""
    calendar, h = calendar_for(config), habit(rng)
    zone, offices = config.unit_zone(emp["unit_code"]), config.unit_offices(emp["unit_code"])
    office = offices[0]
    check_ins, leaves, on_leave_until = [], [], None
    for day in days:
        plan = calendar.plan(emp["schedule_code"], day, zone)
        if plan is None or (on_leave_until and day <= on_leave_until):
            continue
        if rng.random() < h.leave_rate:
            kind = rng.choices([k for k, _ in LEAVE_MIX], [w for _, w in LEAVE_MIX])[0]
            on_leave_until = day + dt.timedelta(days=rng.choice((0, 0, 1, 2)))
            leaves.append((emp["id"], kind, day, on_leave_until, "data sintetis", "approved", "synthetic",
                           "system:synthetic", dt.datetime.combine(day, dt.time(7), zone)))
            continue
        if rng.random() < h.absent_rate:
            continue
        forget = rng.choice(("in", "out")) if rng.random() < h.forget_rate else None
        for session, (opens, closes) in plan.windows.items():
            if session == forget or (session == "midday" and rng.random() > h.midday_rate):
                continue
            if session == "in":
                at = _moment(rng, plan.start, h.arrive, h.arrive_spread, (opens, closes))
            elif session == "out":
                at = _moment(rng, plan.end, h.leave, h.leave_spread, (opens, closes))
            else:
                at = opens + (closes - opens) * rng.random()
            if until is not None and at > until:
                continue
            if not h.terminal and rng.random() < 0.015:   # refused outside the fence, retried closer
                check_ins.append(_row(emp, office, plan, session, at - dt.timedelta(minutes=rng.randint(1, 4)),
                                      rng, refused=True))
            check_ins.append(_row(emp, office, plan, session, at, rng, terminal=h.terminal))
    return check_ins, leaves


def _row(emp, office, plan, session, at, rng, *, refused=False, terminal=False) -> tuple:
    late = minutes_after(at, plan.start) if session == "in" else None
    early = minutes_after(plan.end, at) if session == "out" else None
    reasons = ["outside_geofence"] if refused else (["late"] if late else []) + (["early_leave"] if early else [])
    distance = rng.uniform(180, 600) if refused else rng.uniform(2, 60)
    lat, lon = (None, None) if terminal else _offset(office.lat, office.lon, distance, rng)
    key = f"synthetic:{emp['id']}:{at:%Y%m%d%H%M%S}:{session}{':r' if refused else ''}"
    return (key, "terminal" if terminal else "mobile", emp["id"], at, plan.work_date, session,
            "refused" if refused else "accepted", "{" + ",".join(reasons) + "}", late, early, office.code,
            None if terminal else round(distance, 1), lat, lon, None if terminal else round(rng.uniform(4, 25), 1),
            None, f"SIM-{office.code}" if terminal else None, None, json.dumps({"synthetic": True}))


def load(rt, employees: list[dict], first: dt.date, last: dt.date, *, seed: int = 1,
         closed_through: dt.date | None = None, until: dt.datetime | None = None, chunk: int = 1000) -> dict:
    """Generate and COPY check-ins and leave for `employees` (id, unit_code, schedule_code) over
    [first, last], then derive their work days: closed up to `closed_through` (default: last),
    open after it with rows only where someone checked in or is on leave, as the live path
    leaves them. Loading the same range twice adds nothing."""
    config = rt.config
    closed_through = last if closed_through is None else closed_through
    days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    counts = {"check_ins": 0, "leaves": 0}
    open_pairs: set[tuple[int, dt.date]] = set()
    with rt.transaction() as conn:
        it = iter(employees)
        while batch := list(islice(it, chunk)):
            rows, leaves = [], []
            for emp in batch:
                c, lv = employee_history(config, emp, days, random.Random(seed * 1_000_003 + emp["id"]), until)
                rows += c
                leaves += lv
                open_pairs.update((emp["id"], r[4]) for r in c if r[4] > closed_through and r[6] != "refused")
                open_pairs.update((emp["id"], lv_row[2] + dt.timedelta(days=n)) for lv_row in lv
                                  for n in range((lv_row[3] - lv_row[2]).days + 1))
            counts["check_ins"] += qs.copy_check_ins(conn, rows)
            counts["leaves"] += qs.copy_leaves(conn, leaves)
    # Statistics for the rebuild's plans, in a transaction of their own: Citus refuses the
    # owner's ANALYZE on shards this transaction's role has just written. Loading is idempotent,
    # so a failure after this point is mended by loading again.
    with rt.transaction() as conn:
        qs.analyze(conn)
    with rt.transaction() as conn:
        ids = [e["id"] for e in employees]
        if first <= closed_through:
            end = min(last, closed_through)
            counts["closed"] = rebuild_range(conn, config, first, end, employee_ids=ids, closed=True, sample=0)["staged"]
            for day in days:
                if day <= end:
                    qw.mark_closed(conn, day, "system:synthetic")
        if last > closed_through:
            counts["open"] = rebuild_range(conn, config, closed_through + dt.timedelta(days=1), last,
                                           employee_ids=ids, closed=False, only=open_pairs, sample=0)["staged"]
    return counts
