"""The audit trail: append-only (a trigger refuses UPDATE and DELETE)."""
from __future__ import annotations

import json
from typing import Any

from sqlalchemy.engine import Connection

from .db import rows, run


def record(conn: Connection, actor: str, action: str, target: str = "", reason: str = "",
           before: Any = None, after: Any = None) -> None:
    run(conn, """
        INSERT INTO audit_log (actor, action, target, reason, before, after)
        VALUES (:actor, :action, :target, :reason, CAST(:before AS jsonb), CAST(:after AS jsonb))""",
        actor=actor, action=action, target=target, reason=reason,
        before=None if before is None else json.dumps(before, default=str),
        after=None if after is None else json.dumps(after, default=str))


def entries(conn: Connection, action: str | None = None, actor: str | None = None, limit: int = 200) -> list[dict]:
    return rows(conn, """
        SELECT id, at, actor, action, target, reason, before, after FROM audit_log
        WHERE (CAST(:action AS text) IS NULL OR action = :action)
          AND (CAST(:actor AS text) IS NULL OR actor = :actor)
        ORDER BY id DESC LIMIT :limit""", action=action, actor=actor, limit=limit)
