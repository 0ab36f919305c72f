"""Flags that send a check-in to review, and the decisions on them (both insert-only).

A check-in waits for review when the judge flagged it or a judge, face or trust flag was added
here, and no decision was taken yet (a pattern flag alone only lowers the trust score: the scan
adds a `trust` flag when the score falls under rules.patterns.review_below); the latest decision stands (`sah` counts, `tolak` is as if it never came).
"""
from __future__ import annotations

import datetime as dt
import json

from sqlalchemy.engine import Connection

from .db import inserted, one, rows, run


def add_flags(conn: Connection, flags: list[dict]) -> int:
    """flags: dicts of check_in_id, source ('judge'|'face'|'pattern'|'trust'), kind, weight,
    evidence (a dict). A flag already there is kept as it was; how many were new."""
    if not flags:
        return 0
    return inserted(conn, """
        INSERT INTO check_in_flags (check_in_id, source, kind, weight, evidence)
        SELECT f.check_in_id, f.source, f.kind, COALESCE(f.weight, 0), COALESCE(f.evidence, '{}')
        FROM jsonb_to_recordset(CAST(:f AS jsonb))
             AS f(check_in_id bigint, source text, kind text, weight real, evidence jsonb)
        ON CONFLICT (check_in_id, source, kind) DO NOTHING RETURNING 1""", f=json.dumps(flags, default=str))


def add_decisions(conn: Connection, check_in_ids: list[int], decision: str, note: str, decided_by: str) -> None:
    """The same decision on many check-ins in one statement (the review deadline's)."""
    if check_in_ids:
        run(conn, """INSERT INTO review_decisions (check_in_id, decision, note, decided_by)
                     SELECT unnest(CAST(:c AS bigint[])), :d, :n, :b""",
            c=list(check_in_ids), d=decision, n=note, b=decided_by)


def employee_days(conn: Connection, check_in_ids: list[int]) -> list[tuple[int, dt.date]]:
    """The (employee, work date) pairs of these check-ins, once each."""
    return [(r["employee_id"], r["work_date"]) for r in rows(conn, """
        SELECT DISTINCT employee_id, work_date FROM check_ins
        WHERE id = ANY(:c) AND employee_id IS NOT NULL AND work_date IS NOT NULL""", c=list(check_in_ids))]


def add_decision(conn: Connection, check_in_id: int, decision: str, note: str, decided_by: str) -> dt.datetime:
    """Record a decision ('sah' or 'tolak'); when it was taken."""
    return one(conn, """
        INSERT INTO review_decisions (check_in_id, decision, note, decided_by)
        VALUES (:c, :d, :n, :b) RETURNING decided_at""", c=check_in_id, d=decision, n=note, b=decided_by)["decided_at"]


# --- what counts (ingest/rules/review.py says the same in Python) ---------------------------

# The latest decision per check-in (the table is insert-only: the newest row stands).
_LATEST = """SELECT DISTINCT ON (check_in_id) check_in_id, decision, note, decided_by, decided_at
             FROM review_decisions ORDER BY check_in_id, decided_at DESC, id DESC"""


def counted(alias: str = "c") -> str:
    """A WHERE fragment: the check-in `alias` counts towards its work day: not refused, not
    rejected, and (sah, or not waiting for review, or :pending_counts). Bind :pending_counts.
    The subqueries are uncorrelated (hashed once per statement, not probed per row)."""
    return f"""({alias}.verdict <> 'refused' AND {alias}.session IS NOT NULL
        AND {alias}.id NOT IN (SELECT l.check_in_id FROM ({_LATEST}) l WHERE l.decision = 'tolak')
        AND (CAST(:pending_counts AS boolean)
             OR {alias}.id IN (SELECT l.check_in_id FROM ({_LATEST}) l WHERE l.decision = 'sah')
             OR ({alias}.verdict <> 'flagged' AND {alias}.id NOT IN (SELECT f.check_in_id FROM check_in_flags f WHERE f.source <> 'pattern'))))"""


def state_sql(alias: str = "c") -> str:
    """A column expression: the review state of check-in `alias` (none|pending|sah|tolak); the
    query joins `LEFT JOIN LATERAL (latest decision) rd` via `latest_join`."""
    return f"""CASE WHEN rd.decision IS NOT NULL THEN rd.decision
                    WHEN {alias}.verdict = 'flagged'
                         OR EXISTS (SELECT 1 FROM check_in_flags f WHERE f.check_in_id = {alias}.id
                                    AND f.source <> 'pattern') THEN 'pending'
                    ELSE 'none' END"""


def latest_join(alias: str = "c") -> str:
    return f"""LEFT JOIN LATERAL (SELECT d.decision, d.note, d.decided_by, d.decided_at FROM review_decisions d
                                  WHERE d.check_in_id = {alias}.id ORDER BY d.decided_at DESC, d.id DESC LIMIT 1
                                  ) rd ON TRUE"""


# (employee, date) pairs in [:first, :last] with a check-in still waiting for review (the
# recap's `menunggu_tinjauan`): not refused, flagged or with a flag, no decision.
PENDING_DAYS_SQL = """
    SELECT DISTINCT c.employee_id, c.work_date FROM check_ins c
    WHERE c.work_date BETWEEN :first AND :last AND c.verdict <> 'refused' AND c.session IS NOT NULL
      AND (c.verdict = 'flagged' OR c.id IN (SELECT f.check_in_id FROM check_in_flags f WHERE f.source <> 'pattern'))
      AND c.id NOT IN (SELECT d.check_in_id FROM review_decisions d)"""


# --- the queue, the evidence, the decisions ---------------------------------------------------

def queue(conn: Connection, since: dt.date, unit_codes: list[str] | None = None, limit: int = 500) -> list[dict]:
    """Check-ins from `since` on waiting for a decision: flagged by the judge, with a flag, or
    in a pattern finding; not refused (a refusal counts for nothing anyway). Employees of
    `unit_codes` only (None: all). Each with its flags' weight and kinds and its findings' kinds."""
    return rows(conn, """
        WITH candidates AS (
            SELECT c.id FROM check_ins c WHERE c.verdict = 'flagged' AND c.work_date >= :since
            UNION SELECT f.check_in_id FROM check_in_flags f
            UNION SELECT unnest(p.check_in_ids) FROM pattern_findings p WHERE p.work_date >= :since)
        SELECT c.id, c.captured_at, c.received_at, c.work_date, c.session, c.verdict, c.reasons, c.source,
               e.id AS employee_id, e.nip, e.name, e.unit_code, u.name AS unit_name,
               COALESCE(fl.weight, 0) AS flag_weight, COALESCE(fl.kinds, '{}') AS flag_kinds,
               COALESCE(pf.kinds, '{}') AS pattern_kinds
        FROM candidates k JOIN check_ins c ON c.id = k.id
        JOIN employees e ON e.id = c.employee_id LEFT JOIN units u ON u.code = e.unit_code
        LEFT JOIN LATERAL (SELECT sum(f.weight) AS weight, array_agg(f.kind ORDER BY f.weight DESC) AS kinds
                           FROM check_in_flags f WHERE f.check_in_id = c.id) fl ON TRUE
        LEFT JOIN LATERAL (SELECT array_agg(DISTINCT p.kind) AS kinds FROM pattern_findings p
                           WHERE c.id = ANY(p.check_in_ids)) pf ON TRUE
        WHERE c.work_date >= :since AND c.verdict <> 'refused'
          AND NOT EXISTS (SELECT 1 FROM review_decisions d WHERE d.check_in_id = c.id)
          AND (CAST(:units AS text[]) IS NULL OR e.unit_code = ANY(:units))
        ORDER BY c.captured_at LIMIT :n""", since=since, units=unit_codes, n=limit)


def check_in(conn: Connection, check_in_id: int) -> dict | None:
    """One check-in with its employee, review state and latest decision (the evidence's head)."""
    return one(conn, f"""
        SELECT c.id, c.captured_at, c.received_at, c.work_date, c.session, c.verdict, c.reasons, c.source,
               c.office_code, c.distance_m, c.lat, c.lon, c.accuracy_m, c.selfie_sha256, c.terminal_sn,
               c.minutes_late, e.id AS employee_id, e.nip, e.name, e.unit_code, u.name AS unit_name,
               {state_sql("c")} AS review_state, rd.note, rd.decided_by, rd.decided_at
        FROM check_ins c JOIN employees e ON e.id = c.employee_id LEFT JOIN units u ON u.code = e.unit_code
        {latest_join("c")}
        WHERE c.id = :id""", id=check_in_id)


def flags_of(conn: Connection, check_in_id: int) -> list[dict]:
    return rows(conn, """SELECT source, kind, weight, evidence, flagged_at FROM check_in_flags
                         WHERE check_in_id = :id ORDER BY weight DESC, kind""", id=check_in_id)


def findings_of(conn: Connection, check_in_id: int) -> list[dict]:
    """Pattern findings naming this check-in, with the other employees in them (a pair)."""
    return rows(conn, """
        SELECT p.id, p.kind, p.work_date, p.message_id, p.evidence, p.check_in_ids,
               COALESCE((SELECT json_agg(json_build_object('id', o.id, 'nip', o.nip, 'name', o.name,
                                                           'unit_code', o.unit_code) ORDER BY o.nip)
                         FROM employees o WHERE o.id = ANY(p.employee_ids)
                           AND o.id <> (SELECT employee_id FROM check_ins WHERE id = :id)), '[]') AS others
        FROM pattern_findings p WHERE :id = ANY(p.check_in_ids) ORDER BY p.work_date, p.kind""", id=check_in_id)


def timeline(conn: Connection, employee_id: int, first: dt.date, last: dt.date) -> list[dict]:
    """The employee's check-ins in [first, last] (refused too), with their review state."""
    return rows(conn, f"""
        SELECT c.id, c.captured_at, c.work_date, c.session, c.verdict, c.reasons, c.source, c.office_code,
               c.distance_m, {state_sql("c")} AS review_state, rd.note
        FROM check_ins c {latest_join("c")}
        WHERE c.employee_id = :e AND c.work_date BETWEEN :a AND :b
        ORDER BY c.captured_at""", e=employee_id, a=first, b=last)


def reviewed_of_employee(conn: Connection, employee_id: int, first: dt.date, last: dt.date) -> list[dict]:
    """The employee's check-ins in [first, last] that are or were under review (their month)."""
    return [r for r in timeline(conn, employee_id, first, last) if r["review_state"] != "none"]


def overdue(conn: Connection, worked_before: dt.date) -> list[dict]:
    """Pending check-ins (not refused) of work dates before `worked_before`: the deadline's."""
    return rows(conn, """
        SELECT c.id, c.employee_id, c.work_date FROM check_ins c
        WHERE c.work_date < :d AND c.verdict <> 'refused' AND c.session IS NOT NULL
          AND (c.verdict = 'flagged' OR c.id IN (SELECT f.check_in_id FROM check_in_flags f WHERE f.source <> 'pattern'))
          AND c.id NOT IN (SELECT d.check_in_id FROM review_decisions d)
        ORDER BY c.employee_id, c.work_date""", d=worked_before)
