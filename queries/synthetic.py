"""Bulk loads for synthetic data (demo history, benchmarks): COPY into staging, then insert
what is not there yet, so loading the same history twice adds nothing."""
from __future__ import annotations

from typing import Iterable, Sequence

from sqlalchemy.engine import Connection

from .attendance import CHECK_IN_COLUMNS
from .db import copy_rows, rows, run, scalar

EMPLOYEE_COLUMNS = ("nip", "name", "unit_code", "position", "active_from")
LEAVE_COLUMNS = ("employee_id", "leave_type", "date_from", "date_to", "reason", "state", "source",
                 "decided_by", "decided_at")


def copy_employees(conn: Connection, records: Iterable[Sequence]) -> int:
    """Insert employees (EMPLOYEE_COLUMNS order); an existing NIP is left as it is."""
    run(conn, "CREATE TEMP TABLE IF NOT EXISTS employees_in (LIKE employees INCLUDING DEFAULTS) ON COMMIT DROP")
    copy_rows(conn, "employees_in", EMPLOYEE_COLUMNS, records)
    return scalar(conn, f"""
        WITH added AS (
            INSERT INTO employees ({', '.join(EMPLOYEE_COLUMNS)})
            SELECT {', '.join(EMPLOYEE_COLUMNS)} FROM employees_in ON CONFLICT (nip) DO NOTHING RETURNING 1)
        SELECT count(*) FROM added""")


def active_employees(conn: Connection, unit_codes: list[str] | None = None) -> list[dict]:
    return rows(conn, """
        SELECT e.id, e.nip, e.name, e.unit_code, COALESCE(e.schedule_code, u.schedule_code) AS schedule_code
        FROM employees e JOIN units u ON u.code = e.unit_code
        WHERE e.active AND (CAST(:units AS text[]) IS NULL OR e.unit_code = ANY(:units))
        ORDER BY e.id""", units=unit_codes)


def copy_check_ins(conn: Connection, records: Iterable[Sequence]) -> int:
    """Insert check-ins (CHECK_IN_COLUMNS order); a seen event_key is skipped, as a retry is."""
    run(conn, "CREATE TEMP TABLE IF NOT EXISTS check_ins_in (LIKE check_ins INCLUDING DEFAULTS) ON COMMIT DROP")
    run(conn, "TRUNCATE check_ins_in")
    copy_rows(conn, "check_ins_in", CHECK_IN_COLUMNS, records)
    return scalar(conn, f"""
        WITH added AS (
            INSERT INTO check_ins ({', '.join(CHECK_IN_COLUMNS)})
            SELECT {', '.join(CHECK_IN_COLUMNS)} FROM check_ins_in ON CONFLICT (event_key) DO NOTHING RETURNING 1)
        SELECT count(*) FROM added""")


def copy_leaves(conn: Connection, records: Iterable[Sequence]) -> int:
    """Insert leaves (LEAVE_COLUMNS order) unless the employee already has approved leave then."""
    run(conn, "CREATE TEMP TABLE IF NOT EXISTS leaves_in (LIKE leaves INCLUDING DEFAULTS) ON COMMIT DROP")
    run(conn, "TRUNCATE leaves_in")
    copy_rows(conn, "leaves_in", LEAVE_COLUMNS, records)
    return scalar(conn, f"""
        WITH added AS (
            INSERT INTO leaves ({', '.join(LEAVE_COLUMNS)})
            SELECT {', '.join('n.' + c for c in LEAVE_COLUMNS)} FROM leaves_in n
            WHERE NOT EXISTS (SELECT 1 FROM leaves o WHERE o.employee_id = n.employee_id AND o.state = 'approved'
                              AND o.date_from <= n.date_to AND o.date_to >= n.date_from)
            RETURNING 1)
        SELECT count(*) FROM added""")


def analyze(conn: Connection) -> None:
    """Fresh planner statistics after a bulk load (autovacuum would get there later)."""
    run(conn, "ANALYZE employees, check_ins, leaves, work_days")
