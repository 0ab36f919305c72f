"""The one path every check-in takes, whatever its source (phone, terminal, QR, manual).

Postgres first: the attempt (refused ones too) and the employee's work day are written
in one transaction before any reply. Redis second: the live state follows, and a Redis
outage never loses or blocks a check-in.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from queries import attendance as q
from queries import audit

from . import live
from .rules.calendar import calendar_for
from .rules.judge import Attempt, Person, judge
from .rules.work_day import Punch, WorkDay, derive


def person_for(config, employee: dict) -> Person:
    """The employee's schedule, usable offices (own unit and assignments) and zone."""
    offices = list(config.unit_offices(employee["unit_code"]))
    for code in employee.get("assigned_units") or ():
        if code in config.unit_by_code:
            offices += [o for o in config.unit_offices(code) if o not in offices]
    return Person(schedule_code=employee["schedule_code"], offices=tuple(offices),
                  zone=config.unit_zone(employee["unit_code"]))


@dataclass
class Recorded:
    check_in_id: int
    duplicate: bool
    verdict: dict
    work_day: WorkDay | None = None


class UnknownEmployee(LookupError):
    pass


def record(rt, employee_id: int, attempt: Attempt, event_key: str, *, payload: dict,
           check_geofence: bool = True, zone: ZoneInfo | None = None, flags: tuple[str, ...] = (),
           audit_entry: dict | None = None, **columns) -> Recorded:
    """Judge and store one attempt. A repeated event_key returns the first verdict unchanged.

    `office_code` in columns names the office when no geofence does (a terminal's office).
    `flags` are reason codes the caller adds (e.g. manual_overuse): an accepted attempt becomes flagged.
    `audit_entry` (actor, action, target, reason, after) is logged in the same transaction
    as a new check-in, with its id and verdict added to `after` (an administrator's entry).
    """
    config = rt.config
    office_code = columns.pop("office_code", None)
    calendar = calendar_for(config)
    # The judge picks the work date once it knows the employee; read the days around the
    # capture date (any zone of the region) in the same round trip as the lock.
    near = attempt.captured_at.astimezone(config.zone).date()
    first, last = near - dt.timedelta(days=1), near + dt.timedelta(days=1)
    with rt.transaction() as conn:
        state = q.locked_state(conn, employee_id, event_key, first, last)
        if state is None:
            raise UnknownEmployee(employee_id)
        if state["existing"] is not None:
            existing = state["existing"]
            return Recorded(existing["id"], True, existing["verdict"] or {})
        employee = {k: state[k] for k in _EMPLOYEE_FIELDS}
        verdict = judge(config, calendar, person_for(config, employee), attempt,
                        check_geofence=check_geofence, zone=zone)
        if flags:
            verdict.reasons = [*verdict.reasons, *flags]
            verdict.verdict = "flagged" if verdict.verdict == "accepted" else verdict.verdict
        stored = verdict.as_dict()
        office = office_code or verdict.office_code
        check_in = dict(
            event_key=event_key, source=attempt.source, employee_id=employee_id,
            captured_at=attempt.captured_at, work_date=verdict.work_date, session=verdict.session,
            verdict=verdict.verdict, reasons=verdict.reasons, minutes_late=verdict.minutes_late,
            minutes_early=verdict.minutes_early, office_code=office,
            distance_m=verdict.distance_m, lat=attempt.lat, lon=attempt.lon, accuracy_m=attempt.accuracy_m,
            payload={"request": payload, "verdict": stored}, **columns)
        work_day = None
        if verdict.counts and first <= verdict.work_date <= last:
            work_day = _derive_with(config, employee, verdict.work_date, state, check_in)
            check_in_id = q.insert_check_in_and_day(conn, check_in, _work_day_row(work_day, employee))
        else:   # refused (no work day), or a work date outside the days read
            check_in_id = q.insert_check_in(conn, **check_in)
            if verdict.counts:
                work_day = refresh_work_day(conn, config, employee, verdict.work_date)
        if audit_entry is not None:
            audit.record(conn, audit_entry["actor"], audit_entry["action"], audit_entry["target"],
                         audit_entry["reason"], after={**audit_entry["after"], "check_in_id": check_in_id,
                                                       "verdict": verdict.verdict, "reasons": verdict.reasons})
    if work_day is not None:
        live.apply(rt, verdict.work_date, employee_id, employee["unit_code"],
                   live.live_status(work_day.status, work_day.late_band),
                   latest=live.ticker_item({**employee, "captured_at": attempt.captured_at,
                                            "verdict": verdict.verdict, "session": verdict.session,
                                            "minutes_late": verdict.minutes_late, "office_code": office,
                                            "lat": attempt.lat, "lon": attempt.lon, "source": attempt.source}))
    return Recorded(check_in_id, False, stored, work_day)


_EMPLOYEE_FIELDS = ("id", "nip", "name", "unit_code", "active", "assigned_units", "terminal_pin", "schedule_code")


def _derive_with(config, employee: dict, work_date: dt.date, state: dict, check_in: dict) -> WorkDay:
    """The work day from what `locked_state` read plus the check-in about to be stored."""
    day = work_date.isoformat()
    punches = [Punch(p["session"], dt.datetime.fromisoformat(p["captured_at"]), p["source"])
               for p in state["punches"] or () if p["work_date"] == day]
    punches.append(Punch(check_in["session"], check_in["captured_at"], check_in["source"]))
    leave = next((lv["leave_type"] for lv in state["leaves"] or ()
                  if lv["date_from"] <= day <= lv["date_to"]), None)
    zone = config.unit_zone(employee["unit_code"])
    plan = calendar_for(config).plan(employee["schedule_code"], work_date, zone)
    return derive(config.rules, work_date, employee["schedule_code"], plan, punches, leave,
                  day in (state["closed_days"] or ()))


def _work_day_row(day: WorkDay, employee: dict) -> dict:
    # shallow (asdict deep-copies): the row is only read, by the upsert
    return {**day.__dict__, "employee_id": employee["id"], "unit_code": employee["unit_code"]}


def refresh_work_day(conn, config, employee: dict, work_date: dt.date, closed: bool | None = None) -> WorkDay:
    """Re-derive one employee's work day from its stored check-ins and approved leave."""
    previous = q.work_day(conn, employee["id"], work_date)
    if closed is None:
        closed = bool(previous and previous["closed"])
    calendar = calendar_for(config)
    zone = config.unit_zone(employee["unit_code"])
    plan = calendar.plan(employee["schedule_code"], work_date, zone)
    punches = [Punch(r["session"], r["captured_at"], r["source"])
               for r in q.counted_punches(conn, employee["id"], work_date)]
    day = derive(config.rules, work_date, employee["schedule_code"], plan, punches,
                 q.approved_leave(conn, employee["id"], work_date), closed)
    q.upsert_work_day(conn, _work_day_row(day, employee))
    return day
