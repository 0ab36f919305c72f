"""Closing a date: after its last check-in window, a missing record is a fact.

Everyone with no check-in and no approved leave becomes TK; a missing check-in becomes
TL4 and a missing check-out PSW4 (as `rules.missing_check_in/out` say). Closing is
`derive` with closed=True over every employee, so closing twice gives the same rows; the
second run writes nothing and says so in the audit log.
"""
from __future__ import annotations

import datetime as dt
import logging

import redis

from foundation import freshness
from queries import audit
from queries import work_days as qw

from . import live
from .rules.calendar import calendar_for
from .work_days import rebuild_range, settle

log = logging.getLogger("pantau.day_close")


def close_time(config, day: dt.date) -> dt.datetime:
    """When `day` may be closed: the latest window close over the schedules in use (a night
    shift's runs into the next morning), plus `rules.day_close_margin_minutes`."""
    calendar = calendar_for(config)
    codes = {f"{s.code}:{g}" for s in config.schedules for g in (s.groups or ())}  # each shift group
    codes |= {s.code for s in config.schedules}
    zones = {config.unit_zone(u.code) for u in config.units} | {config.zone}
    closes = [p.last_close for code in codes for zone in zones if (p := calendar.plan(code, day, zone)) is not None]
    latest = max(closes) if closes else dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), config.zone)
    return latest + dt.timedelta(minutes=config.rules.day_close_margin_minutes)


def due_dates(config, now: dt.datetime, last_closed: dt.date | None, first_day: dt.date,
              catch_up_days: int = 7) -> list[dt.date]:
    """Dates the worker should close now: after the last closed one (or from `first_day`
    when none ever was), at most `catch_up_days` back, whose close time has passed."""
    today = now.astimezone(config.zone).date()
    start = last_closed + dt.timedelta(days=1) if last_closed else first_day
    start = max(start, today - dt.timedelta(days=catch_up_days))
    out, day = [], start
    while day <= today and close_time(config, day) <= now:
        out.append(day)
        day += dt.timedelta(days=1)
    return out


def close_day(rt, day: dt.date, actor: str, *, reason: str = "", wait: bool = True,
              skip_if_closed: bool = False) -> dict | None:
    """Close one date for every employee; None when skipped (lock held elsewhere, or already
    closed with skip_if_closed). Returns counts by status and what changed."""
    with rt.transaction() as conn:
        if not qw.lock_day_close(conn, wait=wait):
            return None
        if skip_if_closed and qw.closed_dates(conn, day, day):
            return None
        started = qw.database_now(conn)
        changes = rebuild_range(conn, rt.config, day, day, closed=True, sample=5)
        runs = qw.mark_closed(conn, day, actor)
        counts = qw.status_counts(conn, day)
        summary = {"date": day.isoformat(), "run": runs, "counts": counts,
                   "written": changes["written"], "inserted": changes["inserted"],
                   "updated": changes["updated"], "sample": changes["sample"]}
        audit.record(conn, actor, "day.close", day.isoformat(), reason, after=summary)
    settle(rt, started, day, day)
    freshness.work_days_changed(rt)
    try:
        live.rebuild(rt, day)
    except redis.RedisError as exc:  # Postgres holds the truth; the wall catches up later
        log.warning("day %s closed, live state not rebuilt (%s)", day, exc)
    return summary
