"""The one path every check-in takes, whatever its source.

Postgres first: the attempt (refused ones too) and the employee's work day are written
in one transaction before any reply. Redis second: the live state follows, and a Redis
outage never loses or blocks a check-in. Every work day is derived by the one pure
`rules.work_day.derive_day` (the calendar's plan, then `derive_from`).

One function here per way in:
- phone: `record_many`, a batch of the API's group-commit writer (`api/check_in_batch.py`);
  judged by `judge`, derived in the same transaction (`_derive`), then the live state.
- terminal line (a realtime push), and manual entry: `record`, a batch of one of the same.
- terminal batch (catch-up, file, pull, held or stored lines): `record_terminal_batch`,
  judged per minute by `terminals/verdicts.py`; recent days derived now through
  `work_days.refresh_range`, older ones queued for `work_days.drain` (the worker).
- event (QR scan): `record_event_scan`; stored like a check-in with no session, so it is
  never a punch of the work day and reaches no derivation.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from queries import attendance as q
from queries import audit
from queries.db import DatabaseUnavailable
from queries import terminals as qt
from queries import work_days as qw

from . import live
from .rules.calendar import calendar_for
from .rules import review
from .rules.judge import Attempt, Person, judge
from .rules.work_day import Punch, WorkDay, derive_day, summarize
from .work_days import refresh_range


def person_for(config, employee: dict) -> Person:
    """The employee's schedule, usable offices (own unit and assignments) and zone."""
    offices = list(config.unit_offices(employee["unit_code"]))
    for code in employee.get("assigned_units") or ():
        if code in config.unit_by_code:
            offices += [o for o in config.unit_offices(code) if o not in offices]
    return Person(schedule_code=employee["schedule_code"], offices=tuple(offices),
                  zone=config.unit_zone(employee["unit_code"]), web_allowed=config.web_allowed(employee["unit_code"]))


@dataclass
class Recorded:
    check_in_id: int
    duplicate: bool
    verdict: dict
    work_day: WorkDay | None = None


class UnknownEmployee(LookupError):
    pass


@dataclass
class Entry:
    """One attempt to record. `office_code` in columns names the office when no geofence
    does (a terminal's office). `flags` are reason codes the caller adds (e.g.
    manual_overuse): an accepted attempt becomes flagged. `audit_entry` (actor, action,
    target, reason, after) is logged in the same transaction as a new check-in, with its
    id and verdict added to `after` (an administrator's entry)."""

    employee_id: int
    attempt: Attempt
    event_key: str
    payload: dict
    check_geofence: bool = True
    zone: ZoneInfo | None = None
    flags: tuple[str, ...] = ()
    audit_entry: dict | None = None
    columns: dict = field(default_factory=dict)


def record(rt, employee_id: int, attempt: Attempt, event_key: str, *, payload: dict,
           check_geofence: bool = True, zone: ZoneInfo | None = None, flags: tuple[str, ...] = (),
           audit_entry: dict | None = None, **columns) -> Recorded:
    """Judge and store one attempt (see Entry). A repeated event_key returns the first verdict unchanged."""
    done = record_many(rt, [Entry(employee_id, attempt, event_key, payload, check_geofence, zone, flags,
                                  audit_entry, columns)])[0]
    if isinstance(done, Exception):
        raise done
    return done


def record_many(rt, entries: list[Entry]) -> list[Recorded | Exception]:
    """Judge and store many attempts in one transaction (group commit): one round trip
    for the locks and reads, one for the check-ins and work days, whatever their number.
    Each entry gets its Recorded, or the exception that concerns it alone (UnknownEmployee);
    anything else fails the whole batch and is raised. Entries are judged in order, so a
    second check-in of the same employee sees the first, and a repeated event_key is
    answered as a retry of the first."""
    config = rt.config
    windows: dict[int, tuple[dt.date, dt.date]] = {}
    for e in entries:
        # The judge picks the work date once it knows the employee; read the days around
        # the capture date (any zone of the region).
        near = e.attempt.captured_at.astimezone(config.zone).date()
        first, last = windows.get(e.employee_id, (near, near))
        windows[e.employee_id] = (min(first, near - _DAY), max(last, near + _DAY))
    try:
        return _record_many(rt, entries, windows)
    except DatabaseUnavailable:
        # the answer to COMMIT may be what was lost: the wall recounts these dates from Postgres
        live.recount_later(rt, {day for first, _ in windows.values() for day in (first + _DAY, first)})
        raise


def _record_many(rt, entries: list[Entry], windows: dict[int, tuple[dt.date, dt.date]]) -> list:
    config = rt.config
    out: list[Recorded | Exception | int | None] = [None] * len(entries)   # int: a retry of that index
    new: dict[str, int] = {}            # event_key -> index of its entry in this batch
    rows, days, stragglers, live_updates = [], {}, [], []
    with rt.transaction() as conn:
        states = q.locked_states(conn, windows, [e.event_key for e in entries], config.rules.review.pending_counts)
        for i, e in enumerate(entries):
            state = states.get(e.employee_id)
            if state is None:
                out[i] = UnknownEmployee(e.employee_id)
                continue
            existing = next((x for x in state["existing"] or () if x["key"] == e.event_key), None)
            if existing is not None:
                out[i] = Recorded(existing["id"], True, existing["verdict"] or {})
                continue
            if e.event_key in new:      # the same attempt twice in one batch: a retry
                out[i] = new[e.event_key]
                continue
            new[e.event_key] = i
            employee = {k: state[k] for k in _EMPLOYEE_FIELDS}
            verdict, check_in = _judged(config, employee, e)
            out[i] = Recorded(0, False, check_in["payload"]["verdict"])
            rows.append(check_in)
            first, last = windows[e.employee_id]
            # a new check-in has no decision yet: flagged, it waits for review (rules/review.py)
            if not review.counts(verdict.verdict, review.state(verdict.verdict, False, None),
                                 config.rules.review.pending_counts):
                continue
            if first <= verdict.work_date <= last:
                work_day = _derive_with(config, employee, verdict.work_date, state, check_in)
                state["punches"] = [*(state["punches"] or ()), _punch_read_back(check_in)]
                days[(e.employee_id, verdict.work_date)] = _work_day_row(work_day, employee)
                out[i].work_day = work_day
            else:   # a work date outside the days read: derived from Postgres once stored
                stragglers.append((i, employee, verdict.work_date))
            live_updates.append((i, employee, verdict, check_in))
        ids = q.insert_check_ins_and_days(conn, rows, list(days.values()))
        for key, i in new.items():
            out[i].check_in_id = ids[key]
        for i, employee, work_date in stragglers:
            out[i].work_day = refresh_work_day(conn, config, employee, work_date)
        for key, i in new.items():
            if (entry := entries[i]).audit_entry is not None:
                a, stored = entry.audit_entry, out[i].verdict
                audit.record(conn, a["actor"], a["action"], a["target"], a["reason"],
                             after={**a["after"], "check_in_id": ids[key], "verdict": stored["verdict"],
                                    "reasons": stored["reasons"]})
    live.apply_many(rt, [(verdict.work_date, employee["id"], employee["unit_code"],
                          live.live_status(out[i].work_day.status, out[i].work_day.late_band),
                          live.ticker_item({**employee, "captured_at": check_in["captured_at"],
                                            "verdict": verdict.verdict, "session": verdict.session,
                                            "minutes_late": verdict.minutes_late,
                                            "office_code": check_in["office_code"], "lat": check_in["lat"],
                                            "lon": check_in["lon"], "source": check_in["source"]}))
                         for i, employee, verdict, check_in in live_updates])
    # a retry within the batch gets what its first attempt got
    return [Recorded(out[o].check_in_id, True, out[o].verdict) if isinstance(o, int) else o for o in out]


_DAY = dt.timedelta(days=1)
_EMPLOYEE_FIELDS = ("id", "nip", "name", "unit_code", "active", "assigned_units", "terminal_pin", "schedule_code")


def _judged(config, employee: dict, e: Entry):
    """The verdict on one entry and the check-in row that stores it."""
    attempt, columns = e.attempt, dict(e.columns)
    office_code = columns.pop("office_code", None)
    verdict = judge(config, calendar_for(config), person_for(config, employee), attempt,
                    check_geofence=e.check_geofence, zone=e.zone)
    if e.flags:
        verdict.reasons = [*verdict.reasons, *e.flags]
        verdict.verdict = "flagged" if verdict.verdict == "accepted" else verdict.verdict
    check_in = dict(
        event_key=e.event_key, source=attempt.source, employee_id=employee["id"],
        captured_at=attempt.captured_at, work_date=verdict.work_date, session=verdict.session,
        verdict=verdict.verdict, reasons=verdict.reasons, minutes_late=verdict.minutes_late,
        minutes_early=verdict.minutes_early, office_code=office_code or verdict.office_code,
        distance_m=verdict.distance_m, lat=attempt.lat, lon=attempt.lon, accuracy_m=attempt.accuracy_m,
        payload={"request": e.payload, "verdict": verdict.as_dict()}, **columns)
    return verdict, check_in


def _punch_read_back(check_in: dict) -> dict:
    """A stored check-in as `locked_states` reads punches (for the batch's next entries)."""
    return {"work_date": check_in["work_date"].isoformat(), "session": check_in["session"],
            "captured_at": check_in["captured_at"].isoformat(), "source": check_in["source"]}


def _derive_with(config, employee: dict, work_date: dt.date, state: dict, check_in: dict) -> WorkDay:
    """The work day from what `locked_states` read plus the check-in about to be stored."""
    day = work_date.isoformat()
    punches = [Punch(p["session"], dt.datetime.fromisoformat(p["captured_at"]), p["source"])
               for p in state["punches"] or () if p["work_date"] == day]
    punches.append(Punch(check_in["session"], check_in["captured_at"], check_in["source"]))
    leave = next((lv["leave_type"] for lv in state["leaves"] or ()
                  if lv["date_from"] <= day <= lv["date_to"]), None)
    return _derive(config, employee, work_date, punches, leave, day in (state["closed_days"] or ()))


def _derive(config, employee: dict, work_date: dt.date, punches: list[Punch], leave: str | None,
            closed: bool) -> WorkDay:
    return derive_day(config.rules, calendar_for(config), employee["schedule_code"],
                      config.unit_zone(employee["unit_code"]), work_date, **summarize(punches),
                      leave_type=leave, closed=closed)


def _work_day_row(day: WorkDay, employee: dict) -> dict:
    # shallow (asdict deep-copies): the row is only read, by the upsert
    return {**day.__dict__, "employee_id": employee["id"], "unit_code": employee["unit_code"]}


def record_terminal_batch(conn, config, rows: list[tuple], counted: dict[str, tuple[int, dt.date]],
                          now: dt.datetime) -> tuple[int, list[dict]]:
    """Store a terminal batch's judged punches in the caller's transaction (rows as
    `queries.terminals.insert_check_ins` takes them; `counted`: event key -> (employee, work
    date) of those that count). Returns how many were new and the work days refreshed.

    Days before yesterday are history: queued in this transaction, derived by the worker's
    drain. Today's and yesterday's (the wall, night shifts) are derived now."""
    qw.lock_employees(conn, {row[1] for row in rows})
    new = qt.insert_check_ins(conn, rows)
    pairs = {counted[k] for k in new if k in counted}
    recent_from = now.astimezone(config.zone).date() - _DAY
    history = {p for p in pairs if p[1] < recent_from}
    qw.queue_pairs(conn, history)
    pairs -= history
    if not pairs:
        return len(new), []
    dates = [d for _, d in pairs]
    return len(new), refresh_range(conn, config, min(dates), max(dates),
                                   employee_ids=sorted({e for e, _ in pairs}), only=pairs)


def record_event_scan(conn, **check_in) -> int:
    """Store an event scan (source `qr`, no session) in the caller's transaction; its id."""
    return q.insert_check_in(conn, **check_in)


def refresh_work_day(conn, config, employee: dict, work_date: dt.date, closed: bool | None = None) -> WorkDay:
    """Re-derive one employee's work day from its stored check-ins and approved leave."""
    previous = q.work_day(conn, employee["id"], work_date)
    if closed is None:
        closed = bool(previous and previous["closed"])
    punches = [Punch(r["session"], r["captured_at"], r["source"])
               for r in q.counted_punches(conn, employee["id"], work_date, config.rules.review.pending_counts)]
    day = _derive(config, employee, work_date, punches, q.approved_leave(conn, employee["id"], work_date), closed)
    q.upsert_work_day(conn, _work_day_row(day, employee))
    return day
