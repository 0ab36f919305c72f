"""Dashboard login sessions (dashboard/sessions.py): started at login, ended at logout."""
from __future__ import annotations

import datetime as dt

from sqlalchemy.engine import Connection

from .db import run, scalar


def start_session(conn: Connection, id_hash: str, user_id: int, expires_at: dt.datetime) -> None:
    # rows long over are of no use to anyone: each login sweeps them
    run(conn, "DELETE FROM dashboard_sessions WHERE expires_at < now() - interval '1 day'")
    run(conn, "INSERT INTO dashboard_sessions (id_hash, user_id, expires_at) VALUES (:h, :u, :e)",
        h=id_hash, u=user_id, e=expires_at)


def session_is_live(conn: Connection, id_hash: str, user_id: int) -> bool:
    return bool(scalar(conn, """
        SELECT EXISTS (SELECT 1 FROM dashboard_sessions
                       WHERE id_hash = :h AND user_id = :u AND ended_at IS NULL AND expires_at > now())""",
                       h=id_hash, u=user_id))


def end_session(conn: Connection, id_hash: str) -> None:
    run(conn, "UPDATE dashboard_sessions SET ended_at = now() WHERE id_hash = :h AND ended_at IS NULL", h=id_hash)


def end_user_sessions(conn: Connection, user_id: int, keep_hash: str | None = None) -> int:
    """End every live session of the user but `keep_hash` (a password changed: only the
    session it was changed from stays); how many were ended."""
    return len(run(conn, """
        UPDATE dashboard_sessions SET ended_at = now()
        WHERE user_id = :u AND ended_at IS NULL AND id_hash IS DISTINCT FROM :keep
        RETURNING id_hash""", u=user_id, keep=keep_hash).fetchall())
