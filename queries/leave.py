"""Leave (cuti, izin, sakit, dinas luar, ...): the statements behind approval and import."""
from __future__ import annotations

import datetime as dt

from sqlalchemy.engine import Connection

from .db import one, rows, run, scalar


def employees_by_nip(conn: Connection, nips: list[str]) -> dict[str, dict]:
    return {r["nip"]: r for r in rows(conn, """
        SELECT id, nip, name, unit_code, active FROM employees WHERE nip = ANY(:nips)""", nips=nips)}


def approved_overlapping(conn: Connection, employee_id: int, first: dt.date, last: dt.date) -> list[dict]:
    return rows(conn, """
        SELECT id, leave_type, date_from, date_to FROM leaves
        WHERE employee_id = :e AND state = 'approved' AND date_from <= :last AND date_to >= :first
        ORDER BY date_from""", e=employee_id, first=first, last=last)


def insert_approved(conn: Connection, *, employee_id: int, leave_type: str, date_from: dt.date,
                    date_to: dt.date, reason: str, source: str, decided_by: str) -> int:
    return scalar(conn, """
        INSERT INTO leaves (employee_id, leave_type, date_from, date_to, reason, state, source,
                            decided_by, decided_at)
        VALUES (:e, :t, :f, :to, :reason, 'approved', :source, :by, now()) RETURNING id""",
        e=employee_id, t=leave_type, f=date_from, to=date_to, reason=reason, source=source, by=decided_by)


def open_overlapping(conn: Connection, employee_id: int, first: dt.date, last: dt.date,
                     exclude_id: int | None = None) -> list[dict]:
    """Approved or pending leave of the employee that touches [first, last]."""
    return rows(conn, """
        SELECT id, leave_type, date_from, date_to, state FROM leaves
        WHERE employee_id = :e AND state IN ('approved', 'pending') AND date_from <= :last AND date_to >= :first
          AND id <> COALESCE(CAST(:x AS bigint), -1)
        ORDER BY date_from""", e=employee_id, first=first, last=last, x=exclude_id)


def leaves_of_type_in_year(conn: Connection, employee_id: int, leave_type: str, year: int,
                           exclude_id: int | None = None) -> list[dict]:
    """Approved and pending leave of one type that touches a calendar year (balance counting)."""
    return rows(conn, """
        SELECT id, date_from, date_to, state FROM leaves
        WHERE employee_id = :e AND leave_type = :t AND state IN ('approved', 'pending')
          AND date_from <= make_date(:y, 12, 31) AND date_to >= make_date(:y, 1, 1)
          AND id <> COALESCE(CAST(:x AS bigint), -1)""", e=employee_id, t=leave_type, y=year, x=exclude_id)


def insert_request(conn: Connection, *, employee_id: int, leave_type: str, date_from: dt.date,
                   date_to: dt.date, reason: str, source: str = "api") -> dict:
    return one(conn, """
        INSERT INTO leaves (employee_id, leave_type, date_from, date_to, reason, state, source)
        VALUES (:e, :t, :f, :to, :reason, 'pending', :source)
        RETURNING id, leave_type, date_from, date_to, reason, state, requested_at""",
        e=employee_id, t=leave_type, f=date_from, to=date_to, reason=reason, source=source)


def insert_attachment(conn: Connection, *, leave_id: int, sha256: str, mime: str, size: int, filename: str) -> int:
    return scalar(conn, """
        INSERT INTO leave_attachments (leave_id, sha256, mime, size, filename)
        VALUES (:l, :sha, :mime, :size, :name) RETURNING id""",
        l=leave_id, sha=sha256, mime=mime, size=size, name=filename)


def requests_of(conn: Connection, employee_id: int, limit: int = 100) -> list[dict]:
    """The employee's leave, newest first, with its attachments."""
    return rows(conn, """
        SELECT l.id, l.leave_type, l.date_from, l.date_to, l.reason, l.state, l.requested_at, l.decided_at,
               l.decision_comment,
               COALESCE(jsonb_agg(jsonb_build_object('sha256', a.sha256, 'mime', a.mime, 'size', a.size,
                                                     'filename', a.filename) ORDER BY a.id)
                        FILTER (WHERE a.id IS NOT NULL), '[]'::jsonb) AS attachments
        FROM leaves l LEFT JOIN leave_attachments a ON a.leave_id = l.id
        WHERE l.employee_id = :e
        GROUP BY l.id ORDER BY l.requested_at DESC, l.id DESC LIMIT :limit""", e=employee_id, limit=limit)


def leave_for_decision(conn: Connection, leave_id: int) -> dict | None:
    """One leave with its employee, locked against a concurrent decision."""
    return one(conn, """
        SELECT l.id, l.employee_id, l.leave_type, l.date_from, l.date_to, l.reason, l.state,
               e.nip, e.name, e.unit_code, e.active
        FROM leaves l JOIN employees e ON e.id = l.employee_id
        WHERE l.id = :id FOR UPDATE OF l""", id=leave_id)


def set_decision(conn: Connection, leave_id: int, state: str, decided_by: str, comment: str) -> None:
    run(conn, """
        UPDATE leaves SET state = :state, decided_by = :by, decided_at = now(), decision_comment = :comment
        WHERE id = :id AND state = 'pending'""", id=leave_id, state=state, by=decided_by, comment=comment)


def pending(conn: Connection, unit_codes: list[str] | None = None, limit: int = 500) -> list[dict]:
    """Pending requests (of the units given, or all) with their attachments, oldest first."""
    return rows(conn, """
        SELECT l.id, l.leave_type, l.date_from, l.date_to, l.reason, l.requested_at, e.nip, e.name, e.unit_code,
               COALESCE(jsonb_agg(jsonb_build_object('sha256', a.sha256, 'mime', a.mime, 'size', a.size,
                                                     'filename', a.filename) ORDER BY a.id)
                        FILTER (WHERE a.id IS NOT NULL), '[]'::jsonb) AS attachments
        FROM leaves l JOIN employees e ON e.id = l.employee_id
        LEFT JOIN leave_attachments a ON a.leave_id = l.id
        WHERE l.state = 'pending' AND (CAST(:units AS text[]) IS NULL OR e.unit_code = ANY(:units))
        GROUP BY l.id, e.id ORDER BY l.requested_at, l.id LIMIT :limit""", units=unit_codes, limit=limit)


def day_statuses(conn: Connection, employee_id: int, first: dt.date, last: dt.date) -> dict[str, str]:
    """The employee's stored work-day statuses in [first, last] ('2026-12-01': 'tk'), for the audit trail."""
    return {r["work_date"].isoformat(): r["status"] for r in rows(conn, """
        SELECT work_date, status FROM work_days WHERE employee_id = :e AND work_date BETWEEN :f AND :l
        ORDER BY work_date""", e=employee_id, f=first, l=last)}


def attachment(conn: Connection, leave_id: int, sha256: str) -> dict | None:
    """One attachment of a leave request, with the employee's unit (for the scope check)."""
    return one(conn, """
        SELECT a.sha256, a.mime, a.filename, e.unit_code
        FROM leave_attachments a JOIN leaves l ON l.id = a.leave_id JOIN employees e ON e.id = l.employee_id
        WHERE a.leave_id = :l AND a.sha256 = :sha""", l=leave_id, sha=sha256)
