"""Reference faces (insert-only, the latest per employee stands) and the face-match queue."""
from __future__ import annotations

import datetime as dt

from sqlalchemy.engine import Connection

from .db import one, rows, run

_ENROLMENT = """e.id, e.employee_id, e.descriptor, e.model, e.source, e.check_in_id, e.photo_sha256,
                e.enrolled_by, e.enrolled_at"""


def add_enrolment(conn: Connection, employee_id: int, descriptor: list[float], model: str, source: str,
                  photo_sha256: str, enrolled_by: str, check_in_id: int | None = None) -> dict:
    """A new reference face; the one before stays on record. Its id and time."""
    return one(conn, """
        INSERT INTO face_enrolments (employee_id, descriptor, model, source, check_in_id, photo_sha256, enrolled_by)
        VALUES (:e, :d, :m, :s, :c, :p, :b) RETURNING id, enrolled_at""",
        e=employee_id, d=[float(x) for x in descriptor], m=model, s=source, c=check_in_id, p=photo_sha256,
        b=enrolled_by)


def current_enrolments(conn: Connection, employee_ids: list[int]) -> dict[int, dict]:
    """The standing reference face of each employee who has one, with how many came before it."""
    found = rows(conn, f"""
        SELECT DISTINCT ON (e.employee_id) {_ENROLMENT},
               count(*) OVER (PARTITION BY e.employee_id) - 1 AS replaced
        FROM face_enrolments e WHERE e.employee_id = ANY(:ids)
        ORDER BY e.employee_id, e.id DESC""", ids=list(employee_ids))
    return {r["employee_id"]: r for r in found}


def enrolment_history(conn: Connection, employee_id: int) -> list[dict]:
    """Every reference face of an employee, newest (the standing one) first."""
    return rows(conn, f"SELECT {_ENROLMENT} FROM face_enrolments e WHERE e.employee_id = :e ORDER BY e.id DESC",
                e=employee_id)


def selfie_check_ins(conn: Connection, employee_id: int, limit: int = 12) -> list[dict]:
    """The employee's own accepted check-ins with a selfie, newest first (to approve one as the
    reference), with the server's match of each when done."""
    return rows(conn, """
        SELECT c.id, c.captured_at, c.work_date, c.session, c.source, c.selfie_sha256, m.result, m.distance
        FROM check_ins c LEFT JOIN face_matches m ON m.check_in_id = c.id
        WHERE c.employee_id = :e AND c.selfie_sha256 IS NOT NULL AND c.verdict = 'accepted'
        ORDER BY c.captured_at DESC, c.id DESC LIMIT :n""", e=employee_id, n=limit)


def check_in_selfie(conn: Connection, check_in_id: int) -> dict | None:
    return one(conn, """SELECT id, employee_id, verdict, selfie_sha256, work_date, session, captured_at
                        FROM check_ins WHERE id = :id""", id=check_in_id)


def claim(conn: Connection, limit: int) -> list[dict]:
    """The oldest waiting selfies, locked for this transaction; rows another worker holds are
    skipped (FOR UPDATE SKIP LOCKED), so two workers never match the same one."""
    return rows(conn, """
        SELECT m.check_in_id, m.employee_id, m.selfie_sha256, c.work_date, c.session
        FROM face_matches m JOIN check_ins c ON c.id = m.check_in_id
        WHERE m.matched_at IS NULL
        ORDER BY m.queued_at, m.check_in_id LIMIT :n
        FOR UPDATE OF m SKIP LOCKED""", n=limit)


def settle(conn: Connection, results: list[dict]) -> None:
    """Write each claimed row's outcome: check_in_id, result, distance, model, enrolment_id, detail."""
    if not results:
        return
    run(conn, """
        UPDATE face_matches m SET result = r.result, distance = r.distance, model = r.model,
               enrolment_id = r.enrolment_id, detail = r.detail, matched_at = now()
        FROM unnest(CAST(:ids AS bigint[]), CAST(:results AS text[]), CAST(:distances AS real[]),
                    CAST(:models AS text[]), CAST(:enrolments AS bigint[]), CAST(:details AS text[]))
             AS r(check_in_id, result, distance, model, enrolment_id, detail)
        WHERE m.check_in_id = r.check_in_id AND m.matched_at IS NULL""",
        ids=[r["check_in_id"] for r in results], results=[r["result"] for r in results],
        distances=[r.get("distance") for r in results], models=[r.get("model") for r in results],
        enrolments=[r.get("enrolment_id") for r in results], details=[r.get("detail") for r in results])


def match_of(conn: Connection, check_in_id: int) -> dict | None:
    return one(conn, "SELECT * FROM face_matches WHERE check_in_id = :c", c=check_in_id)


def waiting(conn: Connection) -> int:
    return one(conn, "SELECT count(*) AS n FROM face_matches WHERE matched_at IS NULL")["n"]


def queue_for_bench(conn: Connection, check_in_ids: list[int], queued_at: dt.datetime | None = None) -> None:
    """Put existing check-ins with a selfie (back) in the queue: the benchmark's rush."""
    run(conn, """
        INSERT INTO face_matches (check_in_id, employee_id, selfie_sha256, queued_at)
        SELECT id, employee_id, selfie_sha256, COALESCE(CAST(:at AS timestamptz), now()) FROM check_ins
        WHERE id = ANY(:ids) AND selfie_sha256 IS NOT NULL
        ON CONFLICT (check_in_id) DO UPDATE SET result = NULL, distance = NULL, model = NULL,
            enrolment_id = NULL, detail = NULL, matched_at = NULL, queued_at = EXCLUDED.queued_at""",
        ids=check_in_ids, at=queued_at)


def counts(conn: Connection) -> dict:
    return one(conn, """
        SELECT (SELECT count(DISTINCT employee_id) FROM face_enrolments) AS enrolled,
               (SELECT count(*) FROM face_matches WHERE matched_at IS NULL) AS waiting""")


def requeue_unenrolled(conn: Connection, employee_id: int, since: dt.date) -> int:
    """Put back in the queue the employee's selfies since `since` that found no reference face
    (enrolled just now); how many."""
    return run(conn, """
        UPDATE face_matches m SET result = NULL, distance = NULL, model = NULL, enrolment_id = NULL,
               detail = NULL, matched_at = NULL
        FROM check_ins c
        WHERE c.id = m.check_in_id AND m.employee_id = :e AND m.result = 'no_enrolment' AND c.work_date >= :since""",
        e=employee_id, since=since).rowcount
