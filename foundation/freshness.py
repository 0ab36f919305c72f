"""Tell readers that stored work days changed outside the live check-in path.

A leave decision, a manual entry, a recompute or a backlog drain rewrites work days that
the dashboard has cached (10 s for today, 5 min for past days) and that the rollups hold
(closed days). `work_days_changed` bumps a generation that is part of every dashboard
cache key, so the next read is fresh, and marks the rollups stale, so the worker refreshes
them on its next tick instead of within the half hour. Both live in Redis: losing them
only means waiting for the TTL and the periodic refresh, never wrong data.
"""
from __future__ import annotations

import logging

import redis

log = logging.getLogger("foundation.freshness")


def _keys(rt) -> tuple[str, str]:
    return rt.key("work_days", "generation"), rt.key("work_days", "rollups_stale")


def work_days_changed(rt) -> None:
    generation, stale = _keys(rt)
    try:
        with rt.redis.pipeline(transaction=False) as pipe:
            pipe.incr(generation)
            pipe.set(stale, 1)
            pipe.execute()
    except redis.RedisError as exc:
        log.warning("work days changed, readers not told (%s): they catch up by TTL", exc)


def generation(rt) -> str:
    """The current generation, part of the dashboard's cache keys."""
    try:
        return rt.redis.get(_keys(rt)[0]) or "0"
    except redis.RedisError:
        return "0"


def take_rollups_stale(rt) -> bool:
    """True once per change burst: the caller refreshes the rollups."""
    try:
        return rt.redis.getdel(_keys(rt)[1]) is not None
    except redis.RedisError:
        return False
