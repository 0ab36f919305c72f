"""Many work days at once: terminal backlogs, recompute, day close, demo history.

The same pure `derive` as the live path, fed by set-based reads and one bulk write,
so a month of a city (hundreds of thousands of work days) is rebuilt in seconds.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from itertools import groupby

from queries import attendance as q

from .attendance import calendar_for
from .rules.work_day import Punch, derive


def _days(first: dt.date, last: dt.date):
    for n in range((last - first).days + 1):
        yield first + dt.timedelta(days=n)


def refresh_range(conn, config, first: dt.date, last: dt.date, *, employee_ids: list[int] | None = None,
                  unit_codes: list[str] | None = None, closed: bool | None = None,
                  only: set[tuple[int, dt.date]] | None = None) -> list[dict]:
    """Re-derive work days for employees over [first, last] and write them.

    `closed`: None keeps each day's closed flag; True closes (missing-record rules apply).
    `only`: restrict to these (employee_id, date) pairs (e.g. a terminal batch).
    Days off with no check-in and no earlier row are not written. Returns the records.
    """
    employees = q.employees_for_refresh(conn, employee_ids, unit_codes)
    if not employees:
        return []
    ids = [e["id"] for e in employees]
    calendar = calendar_for(config)
    punches: dict[tuple[int, dt.date], list[Punch]] = {}
    for key, group in groupby(q.counted_punches_range(conn, ids, first, last),
                              key=lambda r: (r["employee_id"], r["work_date"])):
        punches[key] = [Punch(r["session"], r["captured_at"], r["source"]) for r in group]
    leaves: dict[tuple[int, dt.date], str] = {}
    for lv in q.approved_leaves_range(conn, ids, first, last):  # later decisions win
        for day in _days(max(first, lv["date_from"]), min(last, lv["date_to"])):
            leaves[(lv["employee_id"], day)] = lv["leave_type"]
    closed_before = q.closed_days_range(conn, ids, first, last) if closed is None else set()
    existing = {(r["employee_id"], r["work_date"]) for r in q.work_days_range(conn, ids, first, last)} \
        if closed is None or only is None else set()

    records = []
    for emp in employees:
        zone = config.unit_zone(emp["unit_code"])
        for day in _days(first, last):
            key = (emp["id"], day)
            if only is not None and key not in only:
                continue
            plan = calendar.plan(emp["schedule_code"], day, zone)
            day_punches = punches.get(key, [])
            if plan is None and not day_punches and key not in existing and key not in leaves:
                continue
            is_closed = (key in closed_before) if closed is None else closed
            wd = derive(config.rules, day, emp["schedule_code"], plan, day_punches, leaves.get(key), is_closed)
            records.append({**asdict(wd), "employee_id": emp["id"], "unit_code": emp["unit_code"]})
    q.upsert_work_days(conn, records)
    return records
