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
from limits.storage import RedisClusterStorage, Storage

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


class _LazyCluster:
    """The cluster client, made at its first use and again after a failed try: flask-caching
    makes it when the app is built, and a cluster down at that moment stopped the dashboard
    from starting at all (one Redis down only slows it, as the module says)."""

    def __init__(self, make: Callable[[], Any]):
        self._make, self._client = make, None

    def __getattr__(self, name: str) -> Any:
        if self._client is None:
            try:
                self._client = self._make()
            except redis.exceptions.RedisClusterException as exc:   # not a RedisError: make it one
                raise redis.ConnectionError(f"Redis Cluster unreachable: {exc}") from exc
        return getattr(self._client, name)


class ClusterCache(RedisClusterCache):
    """flask-caching's cache on a Redis Cluster, its client made at first use (_LazyCluster);
    its clear() asked KEYS of one random node (a third of the keys on 3 primaries): here every
    primary is asked."""

    def __init__(self, cluster: str = "", password: str = "", default_timeout: int = 300, key_prefix: str = "",
                 ignore_delete_many_errors: bool = False, **kwargs: Any) -> None:
        from redis.cluster import ClusterNode, RedisCluster

        nodes = [ClusterNode(host, int(port)) for host, _, port in (n.rpartition(":") for n in cluster.split(","))]
        client = _LazyCluster(lambda: RedisCluster(startup_nodes=nodes, password=password or None,
                                                   skip_full_coverage_check=True, **kwargs))
        super(RedisClusterCache, self).__init__(host=client, default_timeout=default_timeout, key_prefix=key_prefix,
                                                ignore_delete_many_errors=ignore_delete_many_errors)

    def clear(self) -> bool:
        client = self._write_client
        keys = client.keys(self.key_prefix + "*", target_nodes=client.PRIMARIES)
        return bool(client.delete(*keys)) if keys else False


class ClusterLimits(RedisClusterStorage):
    """limits' Redis Cluster storage for the login limiter (URI `pantau+cluster://`), connected
    at first use and again after a failed try: limits connects when the app is built, and a
    cluster down then stopped the dashboard from starting. Until it answers, every use raises
    a RedisError, and Flask-Limiter counts in this process (its in-memory fallback), asking
    check() now and then whether the cluster is back."""

    STORAGE_SCHEME = ["pantau+cluster"]

    def __init__(self, uri: str, key_prefix: str = RedisClusterStorage.PREFIX, wrap_exceptions: bool = False,
                 **options: Any) -> None:
        Storage.__init__(self, uri, wrap_exceptions, **options)
        self.key_prefix, self.storage, self.target_server = key_prefix, None, "redis"
        self.dependency = self.dependencies["redis"].module
        self._connect_args = ("redis+cluster://" + uri.split("://", 1)[1], key_prefix, wrap_exceptions, options)
        self._connected = False
        try:
            self._connect()
        except redis.RedisError as exc:
            log.warning("login limits: %s; counting in this process until it answers", exc)

    def _connect(self) -> None:
        if self._connected:
            return
        uri, key_prefix, wrap_exceptions, options = self._connect_args
        try:
            RedisClusterStorage.__init__(self, uri, key_prefix, wrap_exceptions, **options)
        except redis.exceptions.RedisClusterException as exc:   # not a RedisError: make it one
            raise redis.ConnectionError(f"Redis Cluster unreachable: {exc}") from exc
        self._connected = True

    def __getattr__(self, name: str) -> Any:   # the Lua scripts, made by the connection
        if name.startswith("lua_") and not self.__dict__.get("_connected"):
            self._connect()
            return getattr(self, name)
        raise AttributeError(name)

    def get_connection(self, readonly: bool = False):
        if self.storage is None:   # (set by limits before it asks for the connection itself)
            self._connect()
        return super().get_connection(readonly)

    def check(self) -> bool:
        try:
            self._connect()
        except redis.RedisError:
            return False
        return super().check()


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
