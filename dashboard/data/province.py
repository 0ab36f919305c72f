"""A province's reads of the regions under it, each through that region's own Runtime (its
schema and role, its Redis prefix, its config, zone and date): counts, never a person.

The web process serving several regions puts them on each region's Flask app as
`extensions["pantau_regions"]` ({code: Runtime}); a single-region process has only its own.
"""
from __future__ import annotations

import datetime as dt

import redis
from flask import current_app

from foundation import clock, freshness
from ingest import live, recap
from queries import audit, employees
from queries import dashboard as q

from .. import province, shared_cache
from . import TODAY_TTL


def regions() -> dict:
    """The regions this web process serves, {code: Runtime}; its own alone when single."""
    own = current_app.extensions["pantau"]
    return current_app.extensions.get("pantau_regions") or {own.config.region.code: own}


def province_code() -> str:
    return current_app.extensions["pantau"].config.region.code


def child(code: str):
    """The Runtime of region `code` when it lies under this process's region, else None."""
    return dict(province.children(regions(), province_code())).get(code)


def _snapshot(rt, day: dt.date) -> dict:
    """The region's live state of `day` (what its wall shows); counted from its Postgres when
    its Redis has none (version 0: not built yet) or cannot be read."""
    try:
        snap = live.snapshot(rt, day)
    except redis.RedisError:
        snap = None
    return snap if snap and snap["version"] else live.recount_snapshot(rt, day)


def region_rollup(code: str, rt) -> dict:
    """One region's row: today in its own zone and date, the month so far, its SKPDs."""
    config = rt.config
    day = clock.today(config.zone)
    snap = _snapshot(rt, day)

    def counted() -> tuple[int, dict]:
        with rt.connection() as conn:
            return employees.count(conn), q.region_totals(conn, day.replace(day=1), day)
    # the month's counts as /overview keeps today's: for seconds, shared by the web workers, and
    # anew when the region's administrators rewrite work days (its freshness generation)
    key = f"province:{code}:{day}:{freshness.generation(rt)}"
    staff, month = shared_cache.through(key, TODAY_TTL, counted)
    return province.region_row(code, config, staff, snap["totals"], month, snap["units"], day=day,
                               updated=clock.now().astimezone(config.zone).strftime("%H.%M"))   # as read, like /overview


def province_rollup(regions: dict, province_code: str) -> list[dict]:
    """Every region under `province_code` (regions: {code: Runtime}), by name."""
    return [region_rollup(code, rt) for code, rt in province.children(regions, province_code)]


def recap_stream(rt, first: dt.date, last: dt.date):
    """A month of region `rt`'s recap per employee (`pantau recap`): the columns, then rows."""
    with rt.connection() as conn:
        columns, items = recap.employee_recap(conn, rt.config, first, last, None)
        yield columns
        yield from items


def note_recap(rt, actor: str, province: str, first: dt.date) -> None:
    """On the region's own audit log: its people's month went to the province (its BKPP sees
    who took them on /admin/audit)."""
    with rt.transaction() as conn:
        audit.record(conn, f"{actor}@{province}", "province.recap", f"{first:%Y-%m}",
                     "rekap per pegawai diunduh provinsi / recap per employee taken by the province",
                     after={"province": province, "month": f"{first:%Y-%m}"})
