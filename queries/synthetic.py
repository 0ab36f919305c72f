"""Bulk loads for synthetic data (demo history, benchmarks): COPY into staging, then insert
what is not there yet, so loading the same history twice adds nothing."""
from __future__ import annotations

from typing import Iterable, Sequence

from sqlalchemy.engine import Connection

from .attendance import CHECK_IN_COLUMNS
from .db import copy_rows, rows, run, scalar

LEAVE_COLUMNS = ("employee_id", "leave_type", "date_from", "date_to", "reason", "state", "source",
                 "decided_by", "decided_at")


def _load(conn: Connection, table: str, columns: Sequence[str], records: Iterable[Sequence], keep: str,
          ctes: str = "") -> int:
    """COPY into a staging copy of `table`, insert the rows `keep` (a suffix: a WHERE on the
    staged row `n`, or an ON CONFLICT clause) lets through; returns how many were added.
    `ctes` ("name AS (...), ") come first: `keep` may read `table` only through them, since
    Citus refuses a direct join of a distributed table with the local staging table."""
    run(conn, f"CREATE TEMP TABLE IF NOT EXISTS {table}_in (LIKE {table} INCLUDING DEFAULTS) ON COMMIT DROP")
    run(conn, f"TRUNCATE {table}_in")
    copy_rows(conn, f"{table}_in", columns, records)
    return scalar(conn, f"""
        WITH {ctes}added AS (
            INSERT INTO {table} ({', '.join(columns)})
            SELECT {', '.join('n.' + c for c in columns)} FROM {table}_in n {keep} RETURNING 1)
        SELECT count(*) FROM added""")


def copy_check_ins(conn: Connection, records: Iterable[Sequence]) -> int:
    """Insert check-ins (CHECK_IN_COLUMNS order); a seen event_key is skipped, as a retry is."""
    return _load(conn, "check_ins", CHECK_IN_COLUMNS, records, "ON CONFLICT (event_key) DO NOTHING")


def copy_leaves(conn: Connection, records: Iterable[Sequence]) -> int:
    """Insert leaves (LEAVE_COLUMNS order) unless the employee already has approved leave then."""
    # `taken` is materialised first (an intermediate result on Citus), then the staged rows
    # are checked against it on the coordinator.
    return _load(conn, "leaves", LEAVE_COLUMNS, records, """
        WHERE NOT EXISTS (SELECT 1 FROM taken o WHERE o.employee_id = n.employee_id
                          AND o.date_from <= n.date_to AND o.date_to >= n.date_from)""", ctes="""
        taken AS MATERIALIZED (
            SELECT employee_id, date_from, date_to FROM leaves
            WHERE state = 'approved' AND employee_id IN (SELECT employee_id FROM leaves_in)), """)


def active_employees(conn: Connection, unit_codes: list[str] | None = None) -> list[dict]:
    return rows(conn, """
        SELECT e.id, e.nip, e.name, e.unit_code, e.terminal_pin,
               COALESCE(e.schedule_code, u.schedule_code) AS schedule_code
        FROM employees e JOIN units u ON u.code = e.unit_code
        WHERE e.active AND (CAST(:units AS text[]) IS NULL OR e.unit_code = ANY(:units))
        ORDER BY e.id""", units=unit_codes)


def terminal_pins(conn: Connection) -> set[str]:
    """Every terminal PIN held, by anyone (retired people keep theirs: the column is unique)."""
    return {r["terminal_pin"] for r in rows(conn, "SELECT terminal_pin FROM employees WHERE terminal_pin IS NOT NULL")}


def analyze(conn: Connection) -> None:
    """Fresh planner statistics after a bulk load (autovacuum would get there later), through
    the owner's function: ANALYZE needs the tables' owner."""
    run(conn, "SELECT pantau_analyze()")


def check_in_count(conn: Connection, first, last) -> int:
    return scalar(conn, "SELECT count(*) FROM check_ins WHERE work_date BETWEEN :f AND :l", f=first, l=last)
