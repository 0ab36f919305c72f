"""The dashboard's shared cache (flask-caching on Redis, shared by the gunicorn workers),
and what it does when Redis cannot be reached: every read goes to Postgres instead.

A login, a page or a download must never fail because a cache is down: slower is fine.
After a failure the cache is not asked again for BREAK_S (a circuit breaker, pybreaker),
so a Redis that hangs costs one request a second, not every request of every page. The
wall's live reads (data.wall_state, data.live_snapshot) go through the same breaker: `guarded`.
"""
from __future__ import annotations

import logging
from typing import Any, Callable

import pybreaker
import redis
from flask import Flask, current_app
from flask_caching.backends.rediscache import RedisClusterCache

log = logging.getLogger("pantau.dashboard")

# a Redis that hangs must cost a page a second, not the whole request
REDIS_OPTIONS = {"socket_timeout": 1, "socket_connect_timeout": 1}
BREAK_S = 5


class _Told(pybreaker.CircuitBreakerListener):
    def state_change(self, cb, old_state, new_state) -> None:
        if new_state.name == "open":
            log.warning("dashboard cache (Redis) unreachable: reading Postgres, asking again in %s s", BREAK_S)
        elif new_state.name == "closed":
            log.warning("dashboard cache (Redis) back")


class ClusterCache(RedisClusterCache):
    """flask-caching's cache on a Redis Cluster; its clear() asked KEYS of one random node
    (a third of the keys on 3 primaries): here every primary is asked."""

    def clear(self) -> bool:
        client = self._write_client
        keys = client.keys(self.key_prefix + "*", target_nodes=client.PRIMARIES)
        return bool(client.delete(*keys)) if keys else False


def install(server: Flask) -> None:
    server.extensions["pantau_cache_breaker"] = pybreaker.CircuitBreaker(
        fail_max=1, reset_timeout=BREAK_S, name="dashboard cache", listeners=[_Told()])


class Unreachable(Exception):
    """Redis failed just now, or did a moment ago (the breaker is open): not asked."""


def guarded(read: Callable[..., Any], *args) -> Any:
    """read(*args) behind the breaker the cache uses (one Redis, one verdict on it)."""
    try:
        return current_app.extensions["pantau_cache_breaker"].call(read, *args)
    except (redis.RedisError, pybreaker.CircuitBreakerError) as exc:
        raise Unreachable(str(exc) or type(exc).__name__) from exc


def through(key: str | Callable[[], str], timeout: int, compute: Callable[[], Any]) -> Any:
    """The cached value of `key` (or of key(), when the cache is asked), else compute(),
    stored for `timeout` seconds when Redis is there."""
    cache = current_app.extensions["pantau_cache"]
    breaker = current_app.extensions["pantau_cache_breaker"]
    try:
        key = breaker.call(key) if callable(key) else key
        value = breaker.call(cache.get, key)
    except (redis.RedisError, pybreaker.CircuitBreakerError):
        return compute()
    if value is None:
        value = compute()
        try:
            breaker.call(cache.set, key, value, timeout=timeout)
        except (redis.RedisError, pybreaker.CircuitBreakerError):
            pass   # the next reader computes it again
    return value
