"""Events (apel, upacara, sosialisasi) and their QR attendance."""
from __future__ import annotations

import datetime as dt

from sqlalchemy.engine import Connection

from .db import one, rows, run, scalar


def insert_event(conn: Connection, *, name: str, kind: str, event_date: dt.date, opens_at: dt.datetime,
                 closes_at: dt.datetime, office_code: str | None, lat: float | None, lon: float | None,
                 radius_m: float | None, compulsory: bool, deduction_percent: float, created_by: str) -> int:
    return scalar(conn, """
        INSERT INTO events (name, kind, event_date, opens_at, closes_at, office_code, lat, lon, radius_m,
                            compulsory, deduction_percent, created_by)
        VALUES (:name, :kind, :d, :opens, :closes, :office, :lat, :lon, :radius, :compulsory, :pct, :by)
        RETURNING id""", name=name, kind=kind, d=event_date, opens=opens_at, closes=closes_at, office=office_code,
        lat=lat, lon=lon, radius=radius_m, compulsory=compulsory, pct=deduction_percent, by=created_by)


def insert_invitees(conn: Connection, event_id: int, unit_codes: list[str], employee_ids: list[int]) -> None:
    if unit_codes:
        run(conn, "INSERT INTO event_invitees (event_id, unit_code) SELECT :e, unnest(CAST(:u AS text[]))",
            e=event_id, u=unit_codes)
    if employee_ids:
        run(conn, "INSERT INTO event_invitees (event_id, employee_id) SELECT :e, unnest(CAST(:i AS bigint[]))",
            e=event_id, i=employee_ids)


def event(conn: Connection, event_id: int, lock: bool = False) -> dict | None:
    """One event with its invitees; `lock`: against a concurrent edit or cancellation."""
    return one(conn, """
        SELECT ev.*,
               COALESCE((SELECT array_agg(unit_code) FROM event_invitees WHERE event_id = ev.id
                         AND unit_code IS NOT NULL), '{}') AS invited_units,
               COALESCE((SELECT array_agg(employee_id) FROM event_invitees WHERE event_id = ev.id
                         AND employee_id IS NOT NULL), '{}') AS invited_employees
        FROM events ev WHERE ev.id = :id""" + (" FOR UPDATE" if lock else ""), id=event_id)


def events_between(conn: Connection, first: dt.date, last: dt.date) -> list[dict]:
    """Events in [first, last], cancelled ones too (the events page strikes them through)."""
    return rows(conn, """
        SELECT ev.id, ev.name, ev.kind, ev.event_date, ev.opens_at, ev.closes_at, ev.office_code, ev.lat, ev.lon,
               ev.radius_m, ev.compulsory, ev.deduction_percent, ev.cancelled_at, ev.cancel_reason,
               (SELECT count(*) FROM event_attendances a WHERE a.event_id = ev.id) AS attended
        FROM events ev WHERE ev.event_date BETWEEN :f AND :l ORDER BY ev.opens_at DESC, ev.id DESC""", f=first, l=last)


def update_event(conn: Connection, event_id: int, *, name: str, kind: str, event_date: dt.date,
                 opens_at: dt.datetime, closes_at: dt.datetime, office_code: str | None, lat: float | None,
                 lon: float | None, radius_m: float | None, compulsory: bool, deduction_percent: float) -> None:
    run(conn, """
        UPDATE events SET name = :name, kind = :kind, event_date = :d, opens_at = :opens, closes_at = :closes,
               office_code = :office, lat = :lat, lon = :lon, radius_m = :radius, compulsory = :compulsory,
               deduction_percent = :pct
        WHERE id = :id""", id=event_id, name=name, kind=kind, d=event_date, opens=opens_at, closes=closes_at,
        office=office_code, lat=lat, lon=lon, radius=radius_m, compulsory=compulsory, pct=deduction_percent)


def replace_invitees(conn: Connection, event_id: int, unit_codes: list[str], employee_ids: list[int]) -> None:
    run(conn, "DELETE FROM event_invitees WHERE event_id = :e", e=event_id)
    insert_invitees(conn, event_id, unit_codes, employee_ids)


def cancel_event(conn: Connection, event_id: int, by: str, reason: str) -> None:
    run(conn, """
        UPDATE events SET cancelled_at = now(), cancelled_by = :by, cancel_reason = :reason
        WHERE id = :id AND cancelled_at IS NULL""", id=event_id, by=by, reason=reason)


def attendance_of(conn: Connection, event_id: int, employee_id: int) -> dict | None:
    return one(conn, """
        SELECT a.check_in_id, c.payload FROM event_attendances a JOIN check_ins c ON c.id = a.check_in_id
        WHERE a.event_id = :e AND a.employee_id = :emp""", e=event_id, emp=employee_id)


def insert_attendance(conn: Connection, event_id: int, employee_id: int, check_in_id: int,
                      attended_at: dt.datetime) -> None:
    run(conn, """
        INSERT INTO event_attendances (event_id, employee_id, check_in_id, attended_at)
        VALUES (:e, :emp, :c, :at) ON CONFLICT DO NOTHING""", e=event_id, emp=employee_id, c=check_in_id, at=attended_at)


_INVITED = """
    SELECT e.id, e.nip, e.name, e.unit_code FROM employees e
    WHERE e.active AND (
        NOT EXISTS (SELECT 1 FROM event_invitees WHERE event_id = :ev)            -- open to all
        OR e.unit_code = ANY(:units)                                                -- invited units' subtrees
        OR EXISTS (SELECT 1 FROM event_invitees WHERE event_id = :ev AND employee_id = e.id))"""


def attendees(conn: Connection, event_id: int) -> list[dict]:
    """Who attended, in order of arrival."""
    return rows(conn, """
        SELECT e.nip, e.name, e.unit_code, a.attended_at, c.distance_m, c.verdict
        FROM event_attendances a JOIN employees e ON e.id = a.employee_id JOIN check_ins c ON c.id = a.check_in_id
        WHERE a.event_id = :ev ORDER BY a.attended_at, e.nip""", ev=event_id)


def missing(conn: Connection, event_id: int, invited_units: list[str]) -> list[dict]:
    """Invited active employees with no attendance (`invited_units`: the invited units' subtrees)."""
    return rows(conn, f"""
        SELECT i.nip, i.name, i.unit_code FROM ({_INVITED}) i
        WHERE NOT EXISTS (SELECT 1 FROM event_attendances a WHERE a.event_id = :ev AND a.employee_id = i.id)
        ORDER BY i.unit_code, i.nip""", ev=event_id, units=invited_units)


def is_invited(conn: Connection, event_id: int, employee_id: int, invited_units: list[str]) -> bool:
    return bool(scalar(conn, f"SELECT EXISTS (SELECT 1 FROM ({_INVITED}) i WHERE i.id = :emp)",
                       ev=event_id, units=invited_units, emp=employee_id))


# Per employee: compulsory, not cancelled events in [:first, :last] they were invited to and
# did not attend (approved leave that day excuses), with the summed deduction percent.
# queries.recap joins it into the monthly recap.
MISSED_COMPULSORY_SQL = """
        SELECT e.id AS employee_id, e.nip, e.name, e.unit_code, count(*) AS events_missed,
               sum(ev.deduction_percent) AS deduction_percent
        FROM events ev JOIN employees e ON e.active
        JOIN units eu ON eu.code = e.unit_code
        WHERE ev.compulsory AND ev.cancelled_at IS NULL AND ev.event_date BETWEEN :first AND :last
          AND (CAST(:units AS text[]) IS NULL OR e.unit_code = ANY(:units))
          AND (NOT EXISTS (SELECT 1 FROM event_invitees i WHERE i.event_id = ev.id)
               OR EXISTS (SELECT 1 FROM event_invitees i JOIN units iu ON iu.code = i.unit_code
                          WHERE i.event_id = ev.id AND starts_with(eu.path, iu.path))
               OR EXISTS (SELECT 1 FROM event_invitees i WHERE i.event_id = ev.id AND i.employee_id = e.id))
          AND NOT EXISTS (SELECT 1 FROM event_attendances a WHERE a.event_id = ev.id AND a.employee_id = e.id)
          AND NOT EXISTS (SELECT 1 FROM leaves l WHERE l.employee_id = e.id AND l.state = 'approved'
                          AND ev.event_date BETWEEN l.date_from AND l.date_to)
        GROUP BY e.id"""


def compulsory_missed(conn: Connection, first: dt.date, last: dt.date,
                      unit_codes: list[str] | None = None) -> list[dict]:
    """Per employee: compulsory events in [first, last] they were invited to and did not
    attend (approved leave that day excuses), and the summed deduction percent, for the recap."""
    return rows(conn, MISSED_COMPULSORY_SQL + " ORDER BY e.unit_code, e.nip", first=first, last=last,
                units=unit_codes)


def invited_nips(conn: Connection, event_id: int) -> list[str]:
    """The NIPs invited one by one (the edit form shows them again)."""
    return [r["nip"] for r in rows(conn, """
        SELECT e.nip FROM event_invitees i JOIN employees e ON e.id = i.employee_id
        WHERE i.event_id = :e ORDER BY e.nip""", e=event_id)]
