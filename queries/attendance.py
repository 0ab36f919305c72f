"""Check-ins and work days: the statements the ingest pipeline runs."""
from __future__ import annotations

import datetime as dt
import json

from sqlalchemy.engine import Connection

from psycopg2.extras import Json

from .db import driver_rows, driver_values, one, region_lock_key, rows, run, scalar
from .review import counted, latest_join, state_sql

CHECK_IN_COLUMNS = (
    "event_key", "source", "employee_id", "captured_at", "work_date", "session", "verdict",
    "reasons", "minutes_late", "minutes_early", "office_code", "distance_m", "lat", "lon",
    "accuracy_m", "device_ref", "terminal_sn", "selfie_sha256", "payload",
)


def employee(conn: Connection, employee_id: int) -> dict | None:
    return one(conn, """
        SELECT e.id, e.nip, e.name, e.unit_code, e.active, e.assigned_units, e.terminal_pin,
               COALESCE(e.schedule_code, u.schedule_code) AS schedule_code
        FROM employees e JOIN units u ON u.code = e.unit_code WHERE e.id = :id""", id=employee_id)


def locked_states(conn: Connection, windows: dict[int, tuple[dt.date, dt.date]],
                  event_keys: list[str], pending_counts: bool = False) -> dict[int, dict]:
    """One round trip for a batch of check-ins: take each employee's lock (in id order, so
    two batches never deadlock), then read per employee: who they are, which of
    `event_keys` they already stored (retries), and the counted punches, approved leave
    and closed work days of their window first..last. Employees not found are absent.

    Two statements in one string: the locks are held before the read starts, and under
    READ COMMITTED the read takes its own snapshot, so it sees everything committed by
    whoever held a lock before us (one statement would read with an older snapshot).
    """
    ids = sorted(windows)
    found = driver_rows(conn, LOCK_EMPLOYEES + f""";
        SELECT e.id, e.nip, e.name, e.unit_code, e.active, e.assigned_units, e.terminal_pin,
               COALESCE(e.schedule_code, u.schedule_code) AS schedule_code,
               (SELECT json_agg(json_build_object('key', c.event_key, 'id', c.id, 'verdict', c.payload -> 'verdict'))
                  FROM check_ins c WHERE c.event_key = ANY(:keys) AND c.employee_id = e.id) AS existing,
               (SELECT json_agg(json_build_object('work_date', c.work_date, 'session', c.session,
                                                  'captured_at', c.captured_at, 'source', c.source))
                  FROM check_ins c
                 WHERE c.employee_id = e.id AND c.work_date BETWEEN w.first AND w.last
                   AND {counted("c")}) AS punches,
               (SELECT json_agg(json_build_object('leave_type', l.leave_type, 'date_from', l.date_from,
                                                  'date_to', l.date_to)
                                ORDER BY l.decided_at DESC NULLS LAST, l.id DESC)
                  FROM leaves l
                 WHERE l.employee_id = e.id AND l.state = 'approved'
                   AND l.date_to >= w.first AND l.date_from <= w.last) AS leaves,
               (SELECT json_agg(d.work_date) FROM work_days d
                 WHERE d.employee_id = e.id AND d.work_date BETWEEN w.first AND w.last AND d.closed) AS closed_days
        FROM unnest(CAST(:ids AS bigint[]), CAST(:firsts AS date[]), CAST(:lasts AS date[])) AS w(id, first, last)
        JOIN employees e ON e.id = w.id JOIN units u ON u.code = e.unit_code""",
        ids=ids, firsts=[windows[i][0] for i in ids], lasts=[windows[i][1] for i in ids], keys=event_keys,
        pending_counts=pending_counts)
    return {row["id"]: row for row in found}


def insert_check_ins_and_days(conn: Connection, check_ins: list[dict], days: list[dict]) -> dict[str, int]:
    """Store check-ins, upsert work days (one row per employee and date) and queue each new
    selfie for the face match. {event_key: id} of the check-ins stored; a key seen before is
    skipped, and so is the work day of an employee none of whose check-ins was stored.

    Plain multi-row INSERT ... VALUES: on Citus each is one task on the region's worker
    (a single statement with modifying CTEs went through the coordinator in three steps)."""
    if not check_ins:
        return {}
    stored = driver_values(conn, f"""
        INSERT INTO check_ins ({", ".join(CHECK_IN_COLUMNS)}) VALUES %s
        ON CONFLICT (event_key) DO NOTHING RETURNING id, event_key, employee_id, selfie_sha256""",
        [_check_in_values(c) for c in check_ins])
    written = {row["employee_id"] for row in stored}
    selfies = [(r["id"], r["employee_id"], r["selfie_sha256"]) for r in stored
               if r["selfie_sha256"] and r["employee_id"] is not None]
    if selfies:   # every selfie waits for the worker's face match (queries/faces.py), queued with it
        driver_values(conn, "INSERT INTO face_matches (check_in_id, employee_id, selfie_sha256) VALUES %s",
                      selfies, returning=False)
    day_cols = WORK_DAY_COLUMNS
    fresh = [[d.get(c) for c in day_cols] for d in days if d.get("employee_id") in written]
    if fresh:
        driver_values(conn, f"""
            INSERT INTO work_days ({', '.join(day_cols)}, updated_at) VALUES %s
            ON CONFLICT (employee_id, work_date) DO UPDATE SET
                {', '.join(f'{c} = EXCLUDED.{c}' for c in day_cols[2:])}, updated_at = EXCLUDED.updated_at""",
            fresh, template="(" + ", ".join(["%s"] * len(day_cols)) + ", now())", returning=False)
    return {row["event_key"]: row["id"] for row in stored}


def _check_in_values(fields: dict) -> list:
    values = {c: fields.get(c) for c in CHECK_IN_COLUMNS}
    values["reasons"] = list(values["reasons"] or [])
    values["payload"] = Json(values["payload"] or {}, dumps=_json_dumps)
    return [values[c] for c in CHECK_IN_COLUMNS]


def _json_dumps(value) -> str:
    return json.dumps(value, default=str)   # dates and decimals in a payload, as before


# The per-employee lock every writer of check-ins and work days takes, in id order (no
# deadlock between writers that lock several employees). :ids must be sorted. The key takes
# the region in: another region's employee 7 is another lock.
LOCK_EMPLOYEES = (f"SELECT pg_advisory_xact_lock({region_lock_key('employee')}, CAST(id AS int)) "
                  "FROM unnest(CAST(:ids AS bigint[])) AS id")


def lock_employee(conn: Connection, employee_id: int) -> None:
    """Serialise one employee's writes so a work day always sees all its check-ins."""
    run(conn, LOCK_EMPLOYEES, ids=[employee_id])


def insert_check_in(conn: Connection, **fields) -> int | None:
    """The new row's id, or None when the event_key was seen before (a retry)."""
    return insert_check_ins_and_days(conn, [fields], []).get(fields["event_key"])


def check_in_by_key(conn: Connection, event_key: str) -> dict | None:
    return one(conn, "SELECT * FROM check_ins WHERE event_key = :k", k=event_key)


def counted_punches(conn: Connection, employee_id: int, work_date: dt.date,
                    pending_counts: bool = False) -> list[dict]:
    """The check-ins that count towards the day (not refused, not rejected, reviewed or not
    waiting for review, see queries/review.py)."""
    return rows(conn, f"""
        SELECT c.session, c.captured_at, c.source FROM check_ins c
        WHERE c.employee_id = :e AND c.work_date = :d AND {counted("c")}
        ORDER BY c.captured_at""", e=employee_id, d=work_date, pending_counts=pending_counts)


def approved_leave(conn: Connection, employee_id: int, work_date: dt.date) -> str | None:
    return scalar(conn, """
        SELECT leave_type FROM leaves
        WHERE employee_id = :e AND state = 'approved' AND :d BETWEEN date_from AND date_to
        ORDER BY decided_at DESC NULLS LAST, id DESC LIMIT 1""", e=employee_id, d=work_date)


def work_day(conn: Connection, employee_id: int, work_date: dt.date) -> dict | None:
    return one(conn, "SELECT * FROM work_days WHERE employee_id = :e AND work_date = :d",
               e=employee_id, d=work_date)


def work_days_for_employee(conn: Connection, employee_id: int, first: dt.date, last: dt.date) -> list[dict]:
    """The employee's work days in [first, last], oldest first (the employee's own month)."""
    return rows(conn, """SELECT work_date, day_type, is_work_day, status, leave_type, first_in, last_out,
                                minutes_late, minutes_early, late_band, early_band, deduction_percent, closed
                         FROM work_days WHERE employee_id = :e AND work_date BETWEEN :a AND :b
                         ORDER BY work_date""", e=employee_id, a=first, b=last)


WORK_DAY_COLUMNS = (
    "employee_id", "work_date", "unit_code", "schedule_code", "day_type", "is_work_day", "first_in",
    "midday", "last_out", "minutes_late", "minutes_early", "late_band", "early_band", "status",
    "leave_type", "deduction_percent", "sources", "closed",
)


def upsert_work_day(conn: Connection, record: dict) -> None:
    cols = WORK_DAY_COLUMNS
    run(conn, f"""
        INSERT INTO work_days ({', '.join(cols)}, updated_at)
        VALUES ({', '.join(':' + c for c in cols)}, now())
        ON CONFLICT (employee_id, work_date) DO UPDATE SET
            {', '.join(f'{c} = EXCLUDED.{c}' for c in cols[2:])}, updated_at = EXCLUDED.updated_at""",
        **{c: record.get(c) for c in cols})


def today_for_employee(conn: Connection, employee_id: int, work_date: dt.date) -> list[dict]:
    return rows(conn, f"""
        SELECT c.event_key, c.source, c.captured_at, c.session, c.verdict, c.reasons, c.minutes_late,
               c.minutes_early, c.office_code, c.distance_m, n.reason AS late_reason,
               {state_sql("c")} AS review, rd.note AS review_note
        FROM check_ins c LEFT JOIN check_in_notes n ON n.check_in_id = c.id {latest_join("c")}
        WHERE c.employee_id = :e AND c.work_date = :d ORDER BY c.captured_at""",
        e=employee_id, d=work_date)


# --- live state rebuild -----------------------------------------------------------------

def live_statuses(conn: Connection, work_date: dt.date) -> list[dict]:
    """Every employee in service on a date (active, not past `active_until`): unit and work-day
    status (no row: not yet)."""
    return rows(conn, """
        SELECT e.id AS employee_id, e.unit_code, w.status, w.late_band,
               COALESCE(e.schedule_code, u.schedule_code) AS schedule_code
        FROM employees e JOIN units u ON u.code = e.unit_code
        LEFT JOIN work_days w ON w.employee_id = e.id AND w.work_date = :d
        WHERE e.active AND (e.active_until IS NULL OR e.active_until >= :d)""", d=work_date)


def latest_check_ins(conn: Connection, work_date: dt.date, limit: int = 30, pending_counts: bool = False
                     ) -> list[dict]:
    """The wall's ticker rebuilt from Postgres: counted check-ins only, as the live path adds them."""
    return rows(conn, f"""
        SELECT c.id, c.captured_at, c.received_at, c.session, c.verdict, c.minutes_late, c.office_code,
               c.lat, c.lon, c.source, e.nip, e.name, e.unit_code
        FROM check_ins c JOIN employees e ON e.id = c.employee_id
        WHERE c.work_date = :d AND {counted("c")}
        ORDER BY c.received_at DESC, c.id DESC LIMIT :n""", d=work_date, n=limit, pending_counts=pending_counts)


# --- many work days at once (see queries/work_days.py) -------------------------------------

def approved_leaves_range(conn: Connection, employee_ids: list[int], first: dt.date, last: dt.date) -> list[dict]:
    return rows(conn, """
        SELECT employee_id, leave_type, date_from, date_to FROM leaves
        WHERE state = 'approved' AND date_to >= :first AND date_from <= :last AND employee_id = ANY(:ids)
        ORDER BY decided_at NULLS FIRST, id""", ids=employee_ids, first=first, last=last)


def mobile_event_keys(conn: Connection) -> list[str]:
    """Every phone check-in's event key (the benchmark's count of acknowledged but lost)."""
    return [r["event_key"] for r in rows(conn, "SELECT event_key FROM check_ins WHERE source = 'mobile'")]
