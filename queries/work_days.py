"""Many work days at once (day close, recompute, leave, history): scope, staging, changes.

Rows are staged with COPY into a temporary table, then only the rows that differ are
written, in one statement that also reports what changed, so a recompute that changes
nothing writes nothing.
"""
from __future__ import annotations

import datetime as dt
from typing import Iterable, Iterator, Sequence

from sqlalchemy.engine import Connection

from .attendance import LOCK_EMPLOYEES, WORK_DAY_COLUMNS
from .db import copy_rows, inserted, one, rows, run, scalar, stream
from .review import counted

# Columns a recompute may change (the key is employee_id, work_date).
_VALUES = WORK_DAY_COLUMNS[2:]
# advisory lock (namespace 4, the schema's hash): one day close at a time per region. Advisory
# locks are database-wide, and regions share one database (foundation/regions.py): one
# region's close must not make another's wait or skip.
_DAY_CLOSE_NS = 4
_DAY_CLOSE_KEY = "hashtext(current_schema())"


def scope_employees(conn: Connection, employee_ids: list[int] | None, unit_codes: list[str] | None,
                    first: dt.date, last: dt.date) -> list[dict]:
    """Active employees (current unit in `unit_codes`), and anyone with a work day in the range
    (in a unit of `unit_codes`): a transfer or a departure keeps its history recomputable."""
    return rows(conn, """
        SELECT e.id, e.nip, e.name, e.unit_code, e.schedule_code AS own_schedule, e.active, e.active_from,
               e.active_until
        FROM employees e
        WHERE (CAST(:ids AS bigint[]) IS NULL OR e.id = ANY(:ids))
          AND ((e.active AND (CAST(:units AS text[]) IS NULL OR e.unit_code = ANY(:units)))
               OR EXISTS (SELECT 1 FROM work_days w WHERE w.employee_id = e.id
                          AND w.work_date BETWEEN :first AND :last
                          AND (CAST(:units AS text[]) IS NULL OR w.unit_code = ANY(:units))))
        ORDER BY e.id""", ids=employee_ids, units=unit_codes, first=first, last=last)


def day_records(conn: Connection, employee_ids: list[int] | None, first: dt.date, last: dt.date, *,
                pending_counts: bool = False) -> Iterator[tuple]:
    """What a rebuild needs per (employee, date) with a counted check-in or a stored work day,
    streamed in (employee, date) order: (employee_id, work_date, first_in, midday, last_out,
    sources, stored unit_code, stored closed). `employee_ids` None: everyone (one pass over
    the range, which beats a lookup per employee once they are thousands). A check-in waiting
    for review counts only with `pending_counts` (rules.review); a rejected one never."""
    return stream(conn, f"""
        WITH punched AS (
            SELECT c.employee_id, c.work_date,
                   min(c.captured_at) FILTER (WHERE c.session = 'in') AS first_in,
                   min(c.captured_at) FILTER (WHERE c.session = 'midday') AS midday,
                   max(c.captured_at) FILTER (WHERE c.session = 'out') AS last_out,
                   array_agg(DISTINCT c.source ORDER BY c.source) AS sources
            FROM check_ins c
            WHERE c.work_date BETWEEN :first AND :last AND {counted("c")}
              AND (CAST(:ids AS bigint[]) IS NULL OR c.employee_id = ANY(:ids))
            GROUP BY c.employee_id, c.work_date),
        stored AS (
            SELECT w.employee_id, w.work_date, w.unit_code, w.closed FROM work_days w
            WHERE w.work_date BETWEEN :first AND :last
              AND (CAST(:ids AS bigint[]) IS NULL OR w.employee_id = ANY(:ids)))
        SELECT COALESCE(p.employee_id, s.employee_id) AS employee_id, COALESCE(p.work_date, s.work_date) AS work_date,
               p.first_in, p.midday, p.last_out, p.sources, s.unit_code, s.closed
        FROM punched p FULL JOIN stored s ON s.employee_id = p.employee_id AND s.work_date = p.work_date
        ORDER BY 1, 2""", as_tuples=True, ids=employee_ids, first=first, last=last,
        pending_counts=pending_counts)


def day_records_of(conn: Connection, pairs: list[tuple[int, dt.date]], *,
                   pending_counts: bool = False) -> Iterator[tuple]:
    """`day_records` for exactly these (employee, date) pairs (a queue drain): index lookups
    per pair, whatever the statistics say, never a pass over the whole date range."""
    return stream(conn, f"""
        SELECT k.employee_id, k.work_date, p.first_in, p.midday, p.last_out, p.sources, s.unit_code, s.closed
        FROM unnest(CAST(:ids AS bigint[]), CAST(:dates AS date[])) AS k(employee_id, work_date)
        CROSS JOIN LATERAL (
            SELECT min(c.captured_at) FILTER (WHERE c.session = 'in') AS first_in,
                   min(c.captured_at) FILTER (WHERE c.session = 'midday') AS midday,
                   max(c.captured_at) FILTER (WHERE c.session = 'out') AS last_out,
                   array_agg(DISTINCT c.source ORDER BY c.source) AS sources
            FROM check_ins c
            WHERE c.employee_id = k.employee_id AND c.work_date = k.work_date
              AND {counted("c")}) p
        LEFT JOIN LATERAL (
            SELECT w.unit_code, w.closed FROM work_days w
            WHERE w.employee_id = k.employee_id AND w.work_date = k.work_date
            OFFSET 0) s ON TRUE     -- OFFSET 0: kept a per-pair lookup, not turned into a hash join
        WHERE p.sources IS NOT NULL OR s.unit_code IS NOT NULL
        ORDER BY 1, 2""", as_tuples=True, ids=[e for e, _ in pairs], dates=[d for _, d in pairs],
        pending_counts=pending_counts)


# --- staging and applying --------------------------------------------------------------

def stage(conn: Connection, records: Iterable[Sequence]) -> int:
    """COPY work-day tuples (WORK_DAY_COLUMNS order) into this transaction's staging table."""
    run(conn, "CREATE TEMP TABLE IF NOT EXISTS work_days_in (LIKE work_days INCLUDING DEFAULTS) ON COMMIT DELETE ROWS")
    return copy_rows(conn, "work_days_in", WORK_DAY_COLUMNS, (_copyable(r) for r in records))


_SOURCES = WORK_DAY_COLUMNS.index("sources")


def _copyable(record: Sequence) -> list:
    # The one array column, as a Postgres array literal; COPY reads True/False as is.
    out = list(record)
    out[_SOURCES] = "{" + ",".join(out[_SOURCES] or ()) + "}"
    return out


def apply_stage(conn: Connection, sample: int = 0) -> dict:
    """Write the staged rows that differ from the stored ones; report counts and a sample."""
    differs = f"({', '.join('o.' + c for c in _VALUES)}) IS DISTINCT FROM ({', '.join('n.' + c for c in _VALUES)})"
    result = one(conn, f"""
        WITH changed AS MATERIALIZED (
            SELECT n.*, o.employee_id IS NULL AS is_new,
                   CASE WHEN o.employee_id IS NOT NULL THEN to_jsonb(o) - 'updated_at' END AS before
            FROM work_days_in n
            LEFT JOIN work_days o ON o.employee_id = n.employee_id AND o.work_date = n.work_date
            WHERE o.employee_id IS NULL OR {differs}
        ), written AS (
            INSERT INTO work_days ({', '.join(WORK_DAY_COLUMNS)}, updated_at)
            SELECT {', '.join(WORK_DAY_COLUMNS)}, now() FROM changed
            ON CONFLICT (employee_id, work_date) DO UPDATE SET
                {', '.join(f'{c} = EXCLUDED.{c}' for c in _VALUES)}, updated_at = EXCLUDED.updated_at
            RETURNING 1
        )
        SELECT (SELECT count(*) FROM work_days_in) AS staged,
               (SELECT count(*) FROM written) AS written,
               count(*) FILTER (WHERE is_new) AS inserted,
               count(*) FILTER (WHERE NOT is_new) AS updated,
               (SELECT jsonb_agg(s) FROM (
                    SELECT c.employee_id, c.work_date, c.before,
                           to_jsonb(c) - 'before' - 'is_new' - 'updated_at' AS after
                    FROM changed c WHERE NOT c.is_new ORDER BY c.work_date, c.employee_id LIMIT :sample) s
               ) AS sample
        FROM changed""", sample=sample)
    run(conn, "TRUNCATE work_days_in")
    result["sample"] = [_only_changes(s) for s in (result["sample"] or [])]
    return result


def _only_changes(item: dict) -> dict:
    before, after = item["before"] or {}, item["after"] or {}
    keys = [k for k in _VALUES if before.get(k) != after.get(k)]
    return {"employee_id": item["employee_id"], "work_date": item["work_date"],
            "before": {k: before.get(k) for k in keys}, "after": {k: after.get(k) for k in keys}}


# --- closed dates ------------------------------------------------------------------------

def lock_day_close(conn: Connection, wait: bool = True) -> bool:
    """Hold the day-close lock for this transaction; False when another holds it (wait=False)."""
    if wait:
        run(conn, f"SELECT pg_advisory_xact_lock(:ns, {_DAY_CLOSE_KEY})", ns=_DAY_CLOSE_NS)
        return True
    return bool(scalar(conn, f"SELECT pg_try_advisory_xact_lock(:ns, {_DAY_CLOSE_KEY})", ns=_DAY_CLOSE_NS))


def mark_closed(conn: Connection, work_date: dt.date, actor: str) -> int:
    """Record the close; returns how many times this date has been closed."""
    return scalar(conn, """
        INSERT INTO day_closes (work_date, closed_by, closed_at) VALUES (:d, :actor, now())
        ON CONFLICT (work_date) DO UPDATE SET closed_at = EXCLUDED.closed_at, closed_by = EXCLUDED.closed_by,
            runs = day_closes.runs + 1
        RETURNING runs""", d=work_date, actor=actor)


def closed_dates(conn: Connection, first: dt.date, last: dt.date) -> set[dt.date]:
    return {r["work_date"] for r in rows(conn, """
        SELECT work_date FROM day_closes WHERE work_date BETWEEN :first AND :last""", first=first, last=last)}


def last_closed(conn: Connection) -> dt.date | None:
    return scalar(conn, "SELECT max(work_date) FROM day_closes")


def status_counts(conn: Connection, work_date: dt.date) -> dict[str, int]:
    """Work days of a date by status, with the missing-record bands apart."""
    found = rows(conn, """
        SELECT status, count(*) AS n,
               count(*) FILTER (WHERE status = 'hadir' AND first_in IS NULL) AS no_check_in,
               count(*) FILTER (WHERE status = 'hadir' AND last_out IS NULL) AS no_check_out
        FROM work_days WHERE work_date = :d GROUP BY status""", d=work_date)
    out = {r["status"]: r["n"] for r in found}
    out["no_check_in"] = sum(r["no_check_in"] for r in found)
    out["no_check_out"] = sum(r["no_check_out"] for r in found)
    return out



# --- work days to refresh (bulk check-ins whose work day is derived later) ------------------

def lock_employees(conn: Connection, employee_ids: Iterable[int]) -> None:
    """The same per-employee lock as a single check-in, taken in id order (no deadlock)."""
    run(conn, LOCK_EMPLOYEES, ids=sorted(set(employee_ids)))


def without_jit(conn: Connection) -> None:
    """No JIT for this transaction: a drain chunk's plan (tens of thousands of per-pair
    lookups) costs enough to be compiled, and compiling took longer (~1.5 s) than the query."""
    run(conn, "SET LOCAL jit = off")


def queue_pairs(conn: Connection, pairs: Iterable[tuple[int, dt.date]]) -> int:
    """Queue (employee, date) pairs for a refresh; one already waiting is not queued twice."""
    pairs = sorted(pairs)
    if not pairs:
        return 0
    return inserted(conn, """
        INSERT INTO work_day_queue (employee_id, work_date)
        SELECT * FROM unnest(CAST(:ids AS bigint[]), CAST(:dates AS date[]))
        ON CONFLICT DO NOTHING RETURNING 1""", ids=[e for e, _ in pairs], dates=[d for _, d in pairs])


def queued_pairs(conn: Connection, max_employees: int, employee_ids: list[int] | None = None
                 ) -> list[tuple[int, dt.date]]:
    """The waiting pairs of the first `max_employees` employees (bounded: one lock each),
    among `employee_ids` when given."""
    return [(r[0], r[1]) for r in run(conn, """
        SELECT employee_id, work_date FROM work_day_queue
        WHERE employee_id IN (SELECT DISTINCT employee_id FROM work_day_queue
                              WHERE CAST(:ids AS bigint[]) IS NULL OR employee_id = ANY(:ids)
                              ORDER BY 1 LIMIT :n)
        ORDER BY 1, 2""", n=max_employees, ids=employee_ids)]


def take_queued(conn: Connection, pairs: list[tuple[int, dt.date]]) -> set[tuple[int, dt.date]]:
    """Remove these pairs from the queue; returns those that were still there (another drain
    may have taken some). Callers hold the employees' locks, so no upload is queueing them."""
    return {(r[0], r[1]) for r in run(conn, """
        DELETE FROM work_day_queue q
        USING unnest(CAST(:ids AS bigint[]), CAST(:dates AS date[])) AS k(employee_id, work_date)
        WHERE q.employee_id = k.employee_id AND q.work_date = k.work_date
        RETURNING q.employee_id, q.work_date""", ids=[e for e, _ in pairs], dates=[d for _, d in pairs])}


def queue_size(conn: Connection) -> int:
    return scalar(conn, "SELECT count(*) FROM work_day_queue")


def touched_since(conn: Connection, since: dt.datetime, first: dt.date, last: dt.date) -> set[tuple[int, dt.date]]:
    """(employee, date) pairs whose check-ins arrived since `since` (during a bulk rebuild)."""
    return {(r["employee_id"], r["work_date"]) for r in rows(conn, """
        SELECT DISTINCT employee_id, work_date FROM check_ins
        WHERE received_at >= :since AND work_date BETWEEN :first AND :last AND employee_id IS NOT NULL""",
        since=since, first=first, last=last)}


def database_now(conn: Connection) -> dt.datetime:
    return scalar(conn, "SELECT now()")
