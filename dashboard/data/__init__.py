"""The pages' one door for reads: scoped, cached (flask-caching on Redis, shared by
gunicorn workers) reads over queries/, and the wall's live state.

The scope travels into queries/ with every call; the cache key includes it, so two
viewers with different scopes never share an entry. No page opens a connection or
touches Redis itself: it asks a named function here (administration reads are in
`data.admin`). Writes go through ingest's service functions, the ones the CLI and
the API use.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

from cachelib import SimpleCache
from flask import current_app

from foundation import clock, freshness
from ingest import live, recap, selfies
from ingest.rules.calendar import calendar_for
from queries import attendance as qa
from queries import dashboard as q
from queries import dashboard_map as qmap
from queries import work_days as qw

from .. import shared_cache

PAST_TTL = 300   # closed days change only on recompute
TODAY_TTL = 10   # today's counts move with every check-in


def runtime():
    return current_app.extensions["pantau"]


def today(config=None) -> dt.date:
    config = config or runtime().config
    return clock.today(config.zone)  # the demo's accelerated clock too


def memo(name: str, ttl: int, fn: Callable, *args: Any) -> Any:
    """fn(*args) through the shared cache; args (the viewer's scope among them) form the key."""
    # the generation moves when an administrator rewrites work days: no stale page after a decision
    def key() -> str:
        return f"q:{name}:{freshness.generation(runtime())}:" + hashlib.sha1(repr(args).encode()).hexdigest()
    return shared_cache.through(key, ttl, lambda: fn(*args))


def together(*calls: tuple) -> list:
    """Independent reads at once, each (fn, *args) on its own connection: a cold page then
    waits for its slowest query rather than for their sum (Postgres has the cores)."""
    app = current_app._get_current_object()

    def one(call: tuple) -> Any:
        with app.app_context():
            return call[0](*call[1:])
    return list(_readers.map(one, calls))


_readers = ThreadPoolExecutor(max_workers=4, thread_name_prefix="dashboard-read")


def _query(fn: Callable, *args: Any, **kwargs: Any) -> Any:
    with runtime().connection() as conn:
        return fn(conn, *args, **kwargs)


def _cached(name: str, ttl: int, fn: Callable, *args: Any) -> Any:
    return memo(name, ttl, _query, fn, *args)


def ttl(date_to: dt.date) -> int:
    return TODAY_TTL if date_to >= today() else PAST_TTL


def open_days(d0: dt.date, d1: dt.date) -> tuple[dt.date, ...]:
    """The days of [d0, d1] not closed yet: today, and yesterday before its day close."""
    now = today()
    days = tuple(d for d in (now - dt.timedelta(days=1), now) if d0 <= d <= d1)
    return memo("open-days", TODAY_TTL, _query, _not_closed, days) if days else ()


def _not_closed(conn, days: tuple[dt.date, ...]) -> tuple[dt.date, ...]:
    closed = qw.closed_dates(conn, min(days), max(days))
    return tuple(d for d in days if d not in closed)


def open_expected(d0: dt.date, d1: dt.date) -> dict[tuple[dt.date, str], int]:
    """For the open days of [d0, d1]: the staff each unit's schedules expect, counted as
    the wall counts them (live.expected_count). An open day's work days hold only who
    checked in or is on leave."""
    days = open_days(d0, d1)
    return memo("open-expected", TODAY_TTL, _query, _expected_on, days) if days else {}


def _expected_on(conn, days: tuple[dt.date, ...]) -> dict[tuple[dt.date, str], int]:
    config, out = runtime().config, {}
    for day in days:
        expected = live.expected_count(calendar_for(config), config, qa.live_statuses(conn, day), day)
        out.update({(day, unit): n for unit, n in expected.items()})
    return out


def unit_day_counts(viewer, d0: dt.date, d1: dt.date) -> list[dict]:
    return _cached("udc", ttl(d1), q.unit_day_counts, d0, d1, viewer.scope, open_expected(d0, d1))


def branch_counts(viewer, d0: dt.date, d1: dt.date, node_path: str, by_day: bool) -> list[dict]:
    return _cached("branch", ttl(d1), q.branch_counts, d0, d1, viewer.scope, node_path, by_day,
                   open_expected(d0, d1))


def people(viewer, unit_code: str, d0: dt.date, d1: dt.date, status: str | None) -> list[dict]:
    """The unit's own people over [d0, d1]; on one open day, those the schedules expect and
    who have nothing counted yet are listed as `belum` too (they have no work day yet)."""
    return _cached("people", ttl(d1), _people, unit_code, d0, d1, viewer.scope, status,
                   d0 == d1 and d0 in open_days(d0, d1))


def _people(conn, unit_code: str, d0: dt.date, d1: dt.date, scope: str | None, status: str | None,
            open_day: bool) -> list[dict]:
    found = q.people(conn, unit_code, d0, d1, scope, status)
    if not open_day or status not in (None, "belum"):
        return found
    config, listed = runtime().config, {p["employee_id"] for p in found}
    calendar, zone = calendar_for(config), config.unit_zone(unit_code)
    missing = [p for p in q.people_not_in(conn, unit_code, d0, scope)
               if p["employee_id"] not in listed and calendar.plan(p.pop("schedule_code"), d0, zone) is not None]
    return sorted(found + missing, key=lambda p: p["name"])


def find_employees(viewer, words: str) -> list[dict]:
    """The viewer's employees by name or NIP (a NIP may be typed with its spaces)."""
    words = words.strip()
    if re.fullmatch(r"[\d ]+", words):
        words = words.replace(" ", "")
    return _query(q.find_employees, words, viewer.scope)


def employee(viewer, employee_id: int) -> dict | None:
    with runtime().connection() as conn:
        return q.employee(conn, employee_id, viewer.scope)


def employee_days(viewer, employee_id: int, d0: dt.date, d1: dt.date) -> list[dict]:
    return _cached("empdays", ttl(d1), q.employee_days, employee_id, d0, d1, viewer.scope)


def arrival_buckets(viewer, d0: dt.date, d1: dt.date) -> list[dict]:
    return _cached("arrivals", ttl(d1), q.arrival_buckets, d0, d1, viewer.scope)


def check_ins_on(viewer, day: dt.date, unit_code: str | None) -> list[dict]:
    return _cached("map", ttl(day), qmap.check_ins_on, day, viewer.scope, unit_code)



# --- the wall's live state (Redis) -------------------------------------------------------------

class LiveUnavailable(Exception):
    """Redis cannot be asked for the live state just now."""


def _live(read: Callable, day: dt.date):
    """read(rt, day) behind the shared cache's circuit breaker: once Redis has failed (or hung
    for its socket timeout), the wall's every-second tick goes to Postgres for a while instead
    of waiting on Redis again each second."""
    try:
        return shared_cache.guarded(read, runtime(), day)
    except shared_cache.Unreachable as exc:
        raise LiveUnavailable(str(exc)) from exc


def wall_state(day: dt.date):
    """What the wall's tick compares with what it drew (live.wall_state)."""
    return _live(live.wall_state, day)


def live_snapshot(day: dt.date) -> dict:
    return _live(live.snapshot, day)


RECOUNT_TTL = 5   # while Redis is away, each worker recounts from Postgres at most this often
_recounts = SimpleCache(default_timeout=RECOUNT_TTL)   # in this process: the shared cache is Redis


def recounted_snapshot(day: dt.date) -> dict:
    """The wall's counts from Postgres, for while the live state cannot be read."""
    key = runtime().key("recount", day.isoformat())
    snap = _recounts.get(key)
    if snap is None:
        snap = live.recount_snapshot(runtime(), day)
        _recounts.set(key, snap)
    return snap


# --- downloads: streamed, uncached ------------------------------------------------------------

def check_in_stream(viewer, d0: dt.date, d1: dt.date):
    """Every check-in in the viewer's scope over [d0, d1], streamed from one connection."""
    with runtime().connection() as conn:
        yield from qmap.stream_check_ins(conn, d0, d1, viewer.scope)


def unit_day_rows(viewer, d0: dt.date, d1: dt.date) -> list[dict]:
    """Counts per unit and day, as stored now (a download is never served from the cache)."""
    return _query(q.unit_day_counts, d0, d1, viewer.scope, open_expected(d0, d1))


RECAPS = {"rekap": recap.employee_recap, "rekap_unit": recap.unit_summary}   # file name: builder


def recap_stream(kind: str, first: dt.date, last: dt.date, unit_codes: list[str] | None):
    """A month of `pantau recap` (kind: a key of RECAPS, per employee or per unit): the
    column names first, then the rows, from one connection."""
    with runtime().connection() as conn:
        columns, items = RECAPS[kind](conn, runtime().config, first, last, unit_codes)
        yield columns
        yield from items


def selfie_file(viewer, sha: str):
    """The path of a check-in's selfie when it is in the viewer's scope, else None."""
    if not _query(qmap.selfie_in_scope, sha, viewer.scope):
        return None
    path = selfies.path_for(runtime().settings.selfie_dir, sha)
    return path if path.is_file() else None
