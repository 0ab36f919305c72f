"""The one path every check-in takes, whatever its source (phone, terminal, QR, manual).

Postgres first: the attempt (refused ones too) and the employee's work day are written
in one transaction before any reply. Redis second: the live state follows, and a Redis
outage never loses or blocks a check-in.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from zoneinfo import ZoneInfo

from queries import attendance as q
from queries import audit

from . import live
from .rules.calendar import WorkCalendar
from .rules.judge import Attempt, Person, judge
from .rules.work_day import Punch, WorkDay, derive


_calendars: dict[int, tuple[object, WorkCalendar]] = {}


def calendar_for(config) -> WorkCalendar:
    """One calendar per loaded config (its holiday and plan caches are worth keeping)."""
    held = _calendars.get(id(config))
    if held is None or held[0] is not config:
        held = _calendars[id(config)] = (config, WorkCalendar(config))
    return held[1]


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
    with rt.transaction() as conn:
        employee = q.employee(conn, employee_id)
        if employee is None:
            raise UnknownEmployee(employee_id)
        q.lock_employee(conn, employee_id)
        existing = q.check_in_by_key(conn, event_key)
        if existing is not None:
            return Recorded(existing["id"], True, existing["payload"].get("verdict", {}))
        verdict = judge(config, calendar, person_for(config, employee), attempt,
                        check_geofence=check_geofence, zone=zone)
        if flags:
            verdict.reasons = [*verdict.reasons, *flags]
            verdict.verdict = "flagged" if verdict.verdict == "accepted" else verdict.verdict
        stored = verdict.as_dict()
        office = office_code or verdict.office_code
        check_in_id = q.insert_check_in(
            conn, event_key=event_key, source=attempt.source, employee_id=employee_id,
            captured_at=attempt.captured_at, work_date=verdict.work_date, session=verdict.session,
            verdict=verdict.verdict, reasons=verdict.reasons, minutes_late=verdict.minutes_late,
            minutes_early=verdict.minutes_early, office_code=office,
            distance_m=verdict.distance_m, lat=attempt.lat, lon=attempt.lon, accuracy_m=attempt.accuracy_m,
            payload={"request": payload, "verdict": stored}, **columns)
        work_day = refresh_work_day(conn, config, employee, verdict.work_date) if verdict.counts else None
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
    q.upsert_work_day(conn, {**asdict(day), "employee_id": employee["id"], "unit_code": employee["unit_code"]})
    return day
