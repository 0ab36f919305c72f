"""The audit trail: append-only (a trigger refuses UPDATE and DELETE)."""
from __future__ import annotations

import datetime as dt
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


def entries(conn: Connection, action: str | None = None, actor: str | None = None, limit: int = 200, *,
            target: str | None = None, since: dt.datetime | None = None, until: dt.datetime | None = None,
            search: str | None = None, offset: int = 0) -> list[dict]:
    """Newest first. `action` ending in '.' is a prefix ('leave.' for every leave action);
    `since`/`until` bound `at` (until exclusive); `search` matches target or reason, case-insensitive."""
    prefix = action if action and action.endswith(".") else None
    return rows(conn, """
        SELECT id, at, actor, action, target, reason, before, after FROM audit_log
        WHERE (CAST(:action AS text) IS NULL OR action = :action)
          AND (CAST(:prefix AS text) IS NULL OR starts_with(action, :prefix))
          AND (CAST(:actor AS text) IS NULL OR actor = :actor)
          AND (CAST(:target AS text) IS NULL OR target = :target)
          AND (CAST(:since AS timestamptz) IS NULL OR at >= :since)
          AND (CAST(:until AS timestamptz) IS NULL OR at < :until)
          AND (CAST(:search AS text) IS NULL OR strpos(lower(target || ' ' || reason), lower(:search)) > 0)
        ORDER BY id DESC LIMIT :limit OFFSET :offset""",
        action=None if prefix else action, prefix=prefix, actor=actor, target=target, since=since, until=until,
        search=search, limit=limit, offset=offset)
