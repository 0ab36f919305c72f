"""What the mobile API reads and writes beyond the check-in pipeline."""
from __future__ import annotations

from sqlalchemy.engine import Connection

from .db import one, scalar


def ping(conn: Connection) -> bool:
    return scalar(conn, "SELECT 1") == 1


def check_in_for_note(conn: Connection, event_key: str) -> dict | None:
    return one(conn, """
        SELECT c.id, c.employee_id, c.session, c.verdict, c.minutes_late, c.minutes_early, n.reason, n.submitted_at
        FROM check_ins c LEFT JOIN check_in_notes n ON n.check_in_id = c.id
        WHERE c.event_key = :k""", k=event_key)


def add_note(conn: Connection, check_in_id: int, reason: str) -> dict | None:
    """The new note, or None when the check-in already has one (first reason stands)."""
    return one(conn, """
        INSERT INTO check_in_notes (check_in_id, reason) VALUES (:id, :reason)
        ON CONFLICT (check_in_id) DO NOTHING RETURNING reason, submitted_at""", id=check_in_id, reason=reason)
