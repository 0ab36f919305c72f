"""Check-ins for the map and the raw check-in download, scoped like queries.dashboard."""
from __future__ import annotations

import datetime as dt
from typing import Iterator

from sqlalchemy.engine import Connection

from .dashboard import IN_SCOPE
from .db import rows, stream

CHECK_IN_COLUMNS = """
    c.id, c.captured_at, c.work_date, c.session, c.source, c.verdict, c.reasons, c.minutes_late,
    c.minutes_early, c.office_code, c.distance_m, c.lat, c.lon, c.accuracy_m, c.selfie_sha256,
    e.id AS employee_id, e.nip, e.name, e.unit_code"""


def check_ins_on(conn: Connection, work_date: dt.date, scope: str | None,
                 unit_code: str | None = None, limit: int = 50_000) -> list[dict]:
    """A day's located check-ins and manual entries (drawn at their office), optionally one
    unit's subtree; newest last."""
    return rows(conn, f"""
        SELECT {CHECK_IN_COLUMNS}
        FROM check_ins c JOIN employees e ON e.id = c.employee_id
        JOIN units u ON u.code = e.unit_code
        WHERE c.work_date = :d AND (c.lat IS NOT NULL OR c.source = 'manual') AND {IN_SCOPE}
          AND (CAST(:unit AS text) IS NULL OR starts_with(u.path, (
                SELECT path FROM units WHERE code = :unit)))
        ORDER BY c.captured_at LIMIT :limit""", d=work_date, scope=scope, unit=unit_code, limit=limit)


def stream_check_ins(conn: Connection, date_from: dt.date, date_to: dt.date,
                     scope: str | None) -> Iterator[dict]:
    """Raw check-ins in a date range, from a server-side cursor (the CSV download)."""
    return stream(conn, f"""
        SELECT {CHECK_IN_COLUMNS}, c.received_at, c.terminal_sn
        FROM check_ins c JOIN employees e ON e.id = c.employee_id
        JOIN units u ON u.code = e.unit_code
        WHERE c.work_date BETWEEN :d0 AND :d1 AND {IN_SCOPE}
        ORDER BY c.work_date, c.captured_at, c.id""", d0=date_from, d1=date_to, scope=scope)


def selfie_in_scope(conn: Connection, sha256: str, scope: str | None) -> bool:
    """Whether some check-in with this selfie belongs to an employee in scope."""
    return bool(rows(conn, f"""
        SELECT 1 FROM check_ins c JOIN employees e ON e.id = c.employee_id
        JOIN units u ON u.code = e.unit_code
        WHERE c.selfie_sha256 = :sha AND {IN_SCOPE} LIMIT 1""", sha=sha256, scope=scope))
