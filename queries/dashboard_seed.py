"""Bulk writers for the dashboard's test fixtures and benchmark data (not used by the app).

Rows are dicts named like the columns; the big benchmark load goes through COPY.
"""
from __future__ import annotations

from typing import Iterable, Sequence

from sqlalchemy.engine import Connection

from .db import copy_rows, rows, run_many

EMPLOYEE_COLUMNS = ("nip", "name", "unit_code", "position")
CHECK_IN_COLUMNS = ("event_key", "source", "employee_id", "captured_at", "work_date", "session",
                    "verdict", "reasons", "minutes_late", "office_code", "distance_m", "lat", "lon",
                    "selfie_sha256")
# The benchmark city also sets received_at (a bulk load would otherwise stamp every row "now").
BENCH_CHECK_IN_COLUMNS = CHECK_IN_COLUMNS[:4] + ("received_at",) + CHECK_IN_COLUMNS[4:]
WORK_DAY_COLUMNS = ("employee_id", "work_date", "unit_code", "schedule_code", "day_type", "is_work_day",
                    "first_in", "last_out", "minutes_late", "minutes_early", "late_band", "early_band",
                    "status", "leave_type", "deduction_percent", "closed")


def add_employees(conn: Connection, employees: Sequence[dict]) -> list[int]:
    """Insert employees; returns their ids in the same order."""
    out = []
    for e in employees:
        row = rows(conn, """
            INSERT INTO employees (nip, name, unit_code, position)
            VALUES (:nip, :name, :unit_code, :position) RETURNING id""",
            **{k: e.get(k, "") for k in EMPLOYEE_COLUMNS})
        out.append(row[0]["id"])
    return out


def add_check_ins(conn: Connection, check_ins: Sequence[dict]) -> None:
    run_many(conn, f"""
        INSERT INTO check_ins ({', '.join(CHECK_IN_COLUMNS)})
        VALUES ({', '.join(':' + c for c in CHECK_IN_COLUMNS)})""",
        [{c: ci.get(c) if c != "reasons" else list(ci.get(c) or []) for c in CHECK_IN_COLUMNS} for ci in check_ins])


def add_work_days(conn: Connection, work_days: Sequence[dict]) -> None:
    run_many(conn, f"""
        INSERT INTO work_days ({', '.join(WORK_DAY_COLUMNS)})
        VALUES ({', '.join(':' + c for c in WORK_DAY_COLUMNS)})""",
        [{c: wd.get(c) for c in WORK_DAY_COLUMNS} for wd in work_days])


def copy_employees(conn: Connection, data: Iterable[Sequence]) -> int:
    return copy_rows(conn, "employees", EMPLOYEE_COLUMNS, data)


def copy_work_days(conn: Connection, data: Iterable[Sequence]) -> int:
    return copy_rows(conn, "work_days", WORK_DAY_COLUMNS, data)


def copy_check_ins(conn: Connection, data: Iterable[Sequence], columns: Sequence[str] = CHECK_IN_COLUMNS) -> int:
    return copy_rows(conn, "check_ins", columns, data)


def employee_ids(conn: Connection) -> list[dict]:
    return rows(conn, "SELECT id, unit_code FROM employees WHERE active ORDER BY id")


def vacuum_analyze(conn: Connection) -> None:
    """VACUUM (ANALYZE) after the benchmark's bulk load, as autovacuum would do later: sets the
    visibility map and hint bits, so the first timed reads do not pay for them. `conn`: a
    connection outside any transaction (VACUUM cannot run in one)."""
    conn = conn.execution_options(isolation_level="AUTOCOMMIT")
    for table in ("employees", "work_days", "check_ins", "unit_day_rollup", "arrival_rollup"):
        conn.exec_driver_sql(f"VACUUM (ANALYZE) {table}")
