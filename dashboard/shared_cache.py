"""The dashboard's shared cache (flask-caching on Redis, shared by the gunicorn workers),
and what it does when Redis cannot be reached: every read goes to Postgres instead.

A login, a page or a download must never fail because a cache is down: slower is fine.
"""
from __future__ import annotations

import logging
from typing import Any, Callable

import redis
from flask import current_app

log = logging.getLogger("pantau.dashboard")

# a Redis that hangs must cost a page a second, not the whole request
REDIS_OPTIONS = {"socket_timeout": 1, "socket_connect_timeout": 1}


def through(key: str, timeout: int, compute: Callable[[], Any]) -> Any:
    """The cached value of `key`, else compute() (stored for `timeout` seconds when Redis is there)."""
    cache = current_app.extensions["pantau_cache"]
    try:
        value = cache.get(key)
    except redis.RedisError as exc:
        log.warning("cache unreachable (%s): reading Postgres", exc)
        return compute()
    if value is None:
        value = compute()
        try:
            cache.set(key, value, timeout=timeout)
        except redis.RedisError:
            pass   # the next reader computes it again
    return value
