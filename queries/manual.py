"""Manual (paper fallback) check-ins: the statements behind their limits and listing."""
from __future__ import annotations

import datetime as dt

from sqlalchemy.engine import Connection

from .db import rows, scalar


def count_in_unit(conn: Connection, unit_code: str, first: dt.date, last: dt.date) -> int:
    """Manual check-ins written for the unit's employees with a work date in [first, last]."""
    return scalar(conn, """
        SELECT count(*) FROM check_ins c JOIN employees e ON e.id = c.employee_id
        WHERE c.source = 'manual' AND e.unit_code = :u AND c.work_date BETWEEN :f AND :l""",
        u=unit_code, f=first, l=last)


def entries(conn: Connection, first: dt.date, last: dt.date, unit_codes: list[str] | None = None) -> list[dict]:
    """Manual check-ins in [first, last] (of the units given, or all), newest first."""
    return rows(conn, """
        SELECT c.id, c.captured_at, c.work_date, c.session, c.verdict, c.reasons, e.nip, e.name, e.unit_code,
               c.payload -> 'request' AS entry
        FROM check_ins c JOIN employees e ON e.id = c.employee_id
        WHERE c.source = 'manual' AND c.work_date BETWEEN :f AND :l
          AND (CAST(:units AS text[]) IS NULL OR e.unit_code = ANY(:units))
        ORDER BY c.captured_at DESC""", f=first, l=last, units=unit_codes)
