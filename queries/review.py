"""Flags that send a check-in to review, and the decisions on them (both insert-only).

A check-in waits for review when the judge flagged it or a flag was added here, and no
decision was taken yet; the latest decision stands (`sah` counts, `tolak` is as if it never came).
"""
from __future__ import annotations

import datetime as dt
import json

from sqlalchemy.engine import Connection

from .db import inserted, one


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


def add_decision(conn: Connection, check_in_id: int, decision: str, note: str, decided_by: str) -> dt.datetime:
    """Record a decision ('sah' or 'tolak'); when it was taken."""
    return one(conn, """
        INSERT INTO review_decisions (check_in_id, decision, note, decided_by)
        VALUES (:c, :d, :n, :b) RETURNING decided_at""", c=check_in_id, d=decision, n=note, b=decided_by)["decided_at"]
