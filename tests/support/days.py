"""Helpers for the work-day tests: check-ins through the real pipeline, rows read back."""
from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

from ingest import attendance
from ingest.rules.judge import Attempt
from queries import db
from tests.support import factories

WIB = ZoneInfo("Asia/Jakarta")
UNIT_OFFICE = {"DINKES": "DINKES-1", "SETDA": "KANTOR-WALIKOTA", "PKM-CLG": "PKM-CLG-1",
               "DAMKAR": "DAMKAR-1", "SETPROV": "KANTOR-GUBERNUR"}


def at(day: dt.date, hm: str, zone=WIB, plus_days: int = 0) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=plus_days), dt.time.fromisoformat(hm), zone)


def check_in(rt, employee: dict, moment: dt.datetime, session: str | None = None):
    """One check-in from the phone, standing at the employee's office, through `record`."""
    office = rt.config.office_by_code[UNIT_OFFICE[employee["unit_code"]]]
    attempt = Attempt(source="mobile", captured_at=moment, received_at=moment, lat=office.lat, lon=office.lon,
                      accuracy_m=8, session=session)
    return attendance.record(rt, employee["id"], attempt, f"mobile:{uuid.uuid4()}", payload={})


def skewed_check_in(rt, employee: dict, moment: dt.datetime):
    """A check-in whose phone clock is 20 minutes behind the server's: the judge flags it
    (clock_skew), so it waits for review."""
    office = rt.config.office_by_code[UNIT_OFFICE[employee["unit_code"]]]
    attempt = Attempt(source="mobile", captured_at=moment, received_at=moment + dt.timedelta(minutes=20),
                      lat=office.lat, lon=office.lon, accuracy_m=8)
    done = attendance.record(rt, employee["id"], attempt, f"mobile:{uuid.uuid4()}", payload={})
    assert done.verdict["verdict"] == "flagged" and "clock_skew" in done.verdict["reasons"], done.verdict
    return done


def employee(rt, unit: str, **kw) -> dict:
    return {**factories.employee(rt, unit, **kw), "unit_code": unit}


def work_day(rt, employee_id: int, day: dt.date) -> dict | None:
    with rt.connection() as conn:
        return db.one(conn, "SELECT * FROM work_days WHERE employee_id = :e AND work_date = :d", e=employee_id, d=day)


def work_days(rt, employee_id: int, first: dt.date, last: dt.date) -> list[dict]:
    with rt.connection() as conn:
        return db.rows(conn, """SELECT * FROM work_days WHERE employee_id = :e AND work_date BETWEEN :f AND :l
                                ORDER BY work_date""", e=employee_id, f=first, l=last)
