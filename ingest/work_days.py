"""Many work days at once: terminal backlogs, recompute, day close, leave, history.

A terminal backlog's past work days are queued (`work_day_queue`, written with the
check-ins) and derived here by `drain`, so the upload reply waits only for durable lines.

The same pure `derive` as the live path, fed by one streamed pass over the range and
staged with COPY, so a month of a city (hundreds of thousands of work days) is
rebuilt in seconds and never sits in memory whole. Only rows that differ are written.

History keeps its unit: a stored work day is re-derived under the unit it was written
with (a transfer does not move last month's days); new rows take the current unit.
"""
from __future__ import annotations

import datetime as dt
from typing import Iterator

from foundation import freshness
from queries import attendance as q
from queries import work_days as qw

from .rules.calendar import calendar_for
from .rules.work_day import derive_day

COLUMNS = q.WORK_DAY_COLUMNS
_DERIVED = COLUMNS[3:]  # schedule_code onwards come from the WorkDay itself


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def derive_rows(conn, config, first: dt.date, last: dt.date, *, employee_ids: list[int] | None = None,
                unit_codes: list[str] | None = None, closed: bool | None = None,
                only: set[tuple[int, dt.date]] | None = None) -> Iterator[tuple]:
    """Work-day tuples (WORK_DAY_COLUMNS order) for the employees in scope over [first, last].

    `closed`: True applies the missing-record rules (day close); None keeps each stored
    day's flag, and a new row is closed when its date has been closed. A new row with no
    check-in and no leave is made only on a closed work day, for an active employee from
    `active_from` through `active_until` (an open day without records has no row, as on the live path).
    """
    employees = qw.scope_employees(conn, employee_ids, unit_codes, first, last)
    units = set(unit_codes) if unit_codes else None
    closed_dates = qw.closed_dates(conn, first, last) if closed is None else set()
    calendar, rules, days = calendar_for(config), config.rules, _days(first, last)
    zones, schedules = {}, {}  # per unit: a city's month asks each unit thousands of times
    ids = [e["id"] for e in employees]
    leaves: dict[tuple[int, dt.date], str] = {}
    for lv in q.approved_leaves_range(conn, ids, first, last):  # later decisions win
        for day in _days(max(first, lv["date_from"]), min(last, lv["date_to"])):
            leaves[(lv["employee_id"], day)] = lv["leave_type"]
    # Employees and day records both come in employee id order: walk them side by side.
    pending_counts = rules.review.pending_counts
    found_rows = (qw.day_records_of(conn, sorted(only), pending_counts=pending_counts) if only is not None
                  else qw.day_records(conn, ids if employee_ids is not None else None, first, last,
                                      pending_counts=pending_counts))
    pending = next(found_rows, None)
    for emp in employees:
        records = {}
        while pending is not None and pending[0] <= emp["id"]:
            if pending[0] == emp["id"]:
                records[pending[1]] = pending
            pending = next(found_rows, None)
        for day in days:
            if only is not None and (emp["id"], day) not in only:
                continue
            found, leave = records.get(day), leaves.get((emp["id"], day))
            punched = found is not None and found[5] is not None
            stored = found is not None and found[6] is not None
            unit = found[6] if stored and found[6] in config.unit_by_code else emp["unit_code"]
            if units is not None and unit not in units:
                continue
            is_closed = closed if closed is not None else (found[7] if stored else day in closed_dates)
            if not stored and not punched and leave is None and (
                    not is_closed or not emp["active"] or (emp["active_from"] and day < emp["active_from"])
                    or (emp["active_until"] and day > emp["active_until"])):
                continue  # nothing to say yet (the live path writes no row either), or not employed
            if unit not in zones:
                zones[unit], schedules[unit] = config.unit_zone(unit), config.unit_schedule(unit)
            schedule, zone = emp["own_schedule"] or schedules[unit], zones[unit]
            wd = derive_day(rules, calendar, schedule, zone, day, first_in=found and found[2],
                            midday=found and found[3], last_out=found and found[4],
                            sources=(found and found[5]) or [], leave_type=leave, closed=is_closed)
            if not wd.is_work_day and not stored and not punched and leave is None:
                continue   # a day off with nothing on it
            yield (emp["id"], day, unit, *[getattr(wd, c) for c in _DERIVED])


def refresh_range(conn, config, first: dt.date, last: dt.date, **scope) -> list[dict]:
    """Re-derive and write work days (see `derive_rows` for the scope); returns the records.

    For small ranges (a terminal batch, one employee's leave); big ones use `rebuild_range`.
    """
    records = [dict(zip(COLUMNS, r)) for r in derive_rows(conn, config, first, last, **scope)]
    if records:
        qw.stage(conn, ([r[c] for c in COLUMNS] for r in records))
        qw.apply_stage(conn)
    return records


def rebuild_range(conn, config, first: dt.date, last: dt.date, *, sample: int = 10, **scope) -> dict:
    """Re-derive and write work days chunk by chunk; returns what changed:
    {staged, written, inserted, updated, sample: [{employee_id, work_date, before, after}]}."""
    pending: list[tuple] = []
    for record in derive_rows(conn, config, first, last, **scope):
        pending.append(record)
        if len(pending) >= 50_000:
            qw.stage(conn, pending)
            pending = []
    qw.stage(conn, pending)
    return qw.apply_stage(conn, sample=sample)


def settle(rt, since: dt.datetime, first: dt.date, last: dt.date) -> int:
    """Re-derive the days whose check-ins arrived while a bulk rebuild ran (its snapshot could
    not see them, and its write may have overtaken the live path's). Returns how many."""
    with rt.transaction() as conn:
        pairs = qw.touched_since(conn, since - dt.timedelta(minutes=1), first, last)
        ids = sorted({e for e, _ in pairs})
        for employee_id in ids:  # in id order, as one transaction, like the live path's lock
            q.lock_employee(conn, employee_id)
        if pairs:
            refresh_range(conn, rt.config, first, last, employee_ids=ids, only=pairs)
    return len(pairs)


DRAIN_EMPLOYEES = 500   # employees per drain transaction: one advisory lock each


def drain(rt, *, employee_ids: list[int] | None = None, max_employees: int = DRAIN_EMPLOYEES) -> int:
    """Refresh the queued work days (of `employee_ids` only, if given), set-based, a few
    hundred employees per transaction; returns how many (employee, date) pairs were refreshed."""
    done = 0
    while True:
        with rt.transaction() as conn:
            qw.without_jit(conn)
            waiting = qw.queued_pairs(conn, max_employees, employee_ids)
            if not waiting:
                break
            # the check-in path's locks: no upload of these employees is half-way while we derive
            qw.lock_employees(conn, [e for e, _ in waiting])
            pairs = qw.take_queued(conn, waiting)
            if pairs:
                dates = [d for _, d in pairs]
                rebuild_range(conn, rt.config, min(dates), max(dates), sample=0,
                              employee_ids=sorted({e for e, _ in pairs}), only=pairs)
        done += len(pairs)
    if done:
        freshness.work_days_changed(rt)
    return done
