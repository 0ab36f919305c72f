"""Recompute: rebuild work days from the raw check-ins and leaves under today's config.

Run it after a leave is approved late, a holiday is added, or the rules change. It is
idempotent (a second run writes nothing) and leaves an audit entry with what changed.
"""
from __future__ import annotations

import datetime as dt
import logging

import redis

from foundation import clock, freshness
from queries import audit
from queries import work_days as qw

from . import live
from .work_days import rebuild_range, settle

log = logging.getLogger("pantau.recompute")


def recompute(rt, first: dt.date, last: dt.date, *, actor: str, unit_code: str | None = None,
              reason: str = "", sample: int = 10) -> dict:
    """Rebuild [first, last] for every employee (or a unit's subtree). Returns the change report."""
    if last < first:
        raise ValueError(f"--to {last} is before --from {first}")
    config = rt.config
    if unit_code is not None and unit_code not in config.unit_by_code:
        raise ValueError(f"unit {unit_code!r} is not in config.yaml (units[].code)")
    units = config.subtree(unit_code) if unit_code else None
    with rt.transaction() as conn:
        qw.lock_day_close(conn)  # a close and a recompute never interleave
        started = qw.database_now(conn)
        changes = rebuild_range(conn, config, first, last, unit_codes=units, sample=sample)
        report = {"from": first.isoformat(), "to": last.isoformat(), "unit": unit_code,
                  "units": len(units) if units else None, **changes}
        target = f"{first}..{last}" + (f" unit {unit_code}" if unit_code else "")
        audit.record(conn, actor, "work_days.recompute", target, reason, after=report)
    report["settled"] = settle(rt, started, first, last)
    if changes["written"]:
        freshness.work_days_changed(rt)
    today = clock.today(config.zone)
    if first <= today <= last and changes["written"]:
        try:
            live.rebuild(rt, today)
        except redis.RedisError as exc:
            log.warning("recomputed, live state not rebuilt (%s)", exc)
    return report
