"""Scoped, cached reads for the pages (flask-caching on Redis, shared by gunicorn workers).

The scope travels into queries/ with every call; the cache key includes it, so two
viewers with different scopes never share an entry.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

from flask import current_app

from foundation import clock, freshness

from queries import dashboard as q
from queries import dashboard_map as qmap

PAST_TTL = 300   # closed days change only on recompute
TODAY_TTL = 10   # today's counts move with every check-in


def runtime():
    return current_app.extensions["pantau"]


def today(config=None) -> dt.date:
    config = config or runtime().config
    return clock.today(config.zone)  # the demo's accelerated clock too


def memo(name: str, ttl: int, fn: Callable, *args: Any) -> Any:
    """fn(*args) through the shared cache; args (the viewer's scope among them) form the key."""
    cache = current_app.extensions["pantau_cache"]
    # the generation moves when an administrator rewrites work days: no stale page after a decision
    key = f"q:{name}:{freshness.generation(runtime())}:" + hashlib.sha1(repr(args).encode()).hexdigest()
    value = cache.get(key)
    if value is None:
        value = fn(*args)
        cache.set(key, value, timeout=ttl)
    return value


def together(*calls: tuple) -> list:
    """Independent reads at once, each (fn, *args) on its own connection: a cold page then
    waits for its slowest query rather than for their sum (Postgres has the cores)."""
    app = current_app._get_current_object()

    def one(call: tuple) -> Any:
        with app.app_context():
            return call[0](*call[1:])
    return list(_readers.map(one, calls))


_readers = ThreadPoolExecutor(max_workers=4, thread_name_prefix="dashboard-read")


def _query(fn: Callable, *args: Any) -> Any:
    with runtime().connection() as conn:
        return fn(conn, *args)


def _cached(name: str, ttl: int, fn: Callable, *args: Any) -> Any:
    return memo(name, ttl, _query, fn, *args)


def ttl(date_to: dt.date) -> int:
    return TODAY_TTL if date_to >= today() else PAST_TTL


def unit_day_counts(viewer, d0: dt.date, d1: dt.date) -> list[dict]:
    return _cached("udc", ttl(d1), q.unit_day_counts, d0, d1, viewer.scope)


def branch_counts(viewer, d0: dt.date, d1: dt.date, node_path: str, by_day: bool) -> list[dict]:
    return _cached("branch", ttl(d1), q.branch_counts, d0, d1, viewer.scope, node_path, by_day)


def people(viewer, unit_code: str, d0: dt.date, d1: dt.date, status: str | None) -> list[dict]:
    return _cached("people", ttl(d1), q.people, unit_code, d0, d1, viewer.scope, status)


def employee(viewer, employee_id: int) -> dict | None:
    with runtime().connection() as conn:
        return q.employee(conn, employee_id, viewer.scope)


def employee_days(viewer, employee_id: int, d0: dt.date, d1: dt.date) -> list[dict]:
    return _cached("empdays", ttl(d1), q.employee_days, employee_id, d0, d1, viewer.scope)


def arrival_buckets(viewer, d0: dt.date, d1: dt.date) -> list[dict]:
    return _cached("arrivals", ttl(d1), q.arrival_buckets, d0, d1, viewer.scope)


def check_ins_on(viewer, day: dt.date, unit_code: str | None) -> list[dict]:
    return _cached("map", ttl(day), qmap.check_ins_on, day, viewer.scope, unit_code)
