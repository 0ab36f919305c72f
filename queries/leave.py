"""Leave (cuti, izin, sakit, dinas luar, ...): the statements behind approval and import."""
from __future__ import annotations

import datetime as dt

from sqlalchemy.engine import Connection

from .db import rows, scalar


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
