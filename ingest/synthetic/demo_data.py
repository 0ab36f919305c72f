"""`pantau demo-data`: a synthetic city with history, for the demo, tests and benchmarks.

Employees come from the people generator (valid NIPs, realistic names, spread over the
region's units); check-ins, leave and work days from the history generator, loaded with
COPY. Topping up is idempotent: existing employees and days are kept.
"""
from __future__ import annotations

import datetime as dt
import time
from dataclasses import asdict

from queries import employees as qe
from queries import synthetic as qs

from ..rules.calendar import calendar_for
from . import history
from .people import free_pins, generate_employees


def work_days_back(config, last: dt.date, count: int) -> dt.date:
    """The first date of a range that ends at `last` and holds `count` regular work days."""
    calendar, zone = calendar_for(config), config.zone
    day, seen = last, 0
    while True:
        if calendar.plan(config.default_schedule, day, zone) is not None:
            seen += 1
            if seen == count:
                return day
        day -= dt.timedelta(days=1)


def populate(rt, employees: int, days: int, last: dt.date, *, seed: int = 7) -> dict:
    """Make sure `employees` exist, with `days` work days of closed history ending at `last`."""
    started = time.perf_counter()
    with rt.connection() as conn:
        have = qs.active_employees(conn)
    if len(have) < employees:
        people = generate_employees(rt.config, employees, seed=seed)
        known = {e["nip"] for e in have}
        with rt.transaction() as conn:
            added = free_pins([p for p in people if p.nip not in known][: employees - len(have)],
                              qs.terminal_pins(conn))
            qe.insert_many(conn, [asdict(p) for p in added])
        with rt.connection() as conn:
            have = qs.active_employees(conn)
    first = work_days_back(rt.config, last, days)
    counts = history.load(rt, have[:employees], first, last, seed=seed)
    with rt.transaction() as conn:
        qs.analyze(conn)   # fresh statistics: the planner saw empty tables before the load
    took = time.perf_counter() - started
    return {"employees": min(len(have), employees), "first": first, "last": last, **counts,
            "seconds": round(took, 1), "check_ins_per_s": round(counts["check_ins"] / took) if took else 0}
