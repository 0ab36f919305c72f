"""Live state in Redis: per-unit counts, latest check-ins, a version and a channel.

Derived from Postgres and rebuildable from it at any time. Each employee has one live
status per date, and counts move only when that status changes, so a replayed or
duplicated check-in can never be counted twice. When Redis is unreachable the check-in
still lands in Postgres; this process marks the date dirty and rebuilds once Redis is back.

What proves a date's state matches Postgres: it was recounted from Postgres by this very
Redis server run (`built_on` holds the server's run_id, new at every start) and every
check-in since was applied to it (a failed apply marks the date dirty). A Redis restarted
from an old snapshot, or a replica promoted, has another run_id: the state is recounted at
once, by the first check-in after the restart (Redis lost its scripts: NOSCRIPT) or by the
ingest process's watcher within seconds. The hot path pays nothing for it.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time

import redis

from queries import attendance as q
from queries.db import DatabaseUnavailable

from .rules.calendar import WorkCalendar, calendar_for

log = logging.getLogger("pantau.live")

ON_TIME, LATE, LEAVE, ABSENT = "on_time", "late", "leave", "absent"
STATES = (ON_TIME, LATE, LEAVE, ABSENT)
LATEST_KEEP = 50
TTL_S = 3 * 86400
REBUILD_TRIES = 5

# dates to recount, by region (its Redis prefix): one process may serve several (ingest/regions.py)
_dirty: dict[str, set[dt.date]] = {}
_dirty_lock = threading.Lock()
# After Redis fails, check-ins skip it for a few seconds (their dates are recounted later):
# a frozen Redis would otherwise cost every batch its socket timeout, and push a stored
# check-in's answer past the phone's wait budget (a 503 for what was kept).
PAUSE_AFTER_FAILURE_S = 5.0
_paused_until = 0.0

# Move one employee's status and the unit counts in one atomic step, and tell the
# dashboards. -1 (nothing done): the date has no live state yet, rebuild it first.
# KEYS: one date's keys, all in one hash slot (`day_keys`), the last its channel; ARGV[8]
# the publish command (`_publish_command`).
_APPLY = """
if redis.call('EXISTS', KEYS[3]) == 0 then return -1 end
local old = redis.call('HGET', KEYS[1], ARGV[1])
local new = ARGV[2]
local changed = 0
if (old or '') ~= new then
  if old then redis.call('HINCRBY', KEYS[2], old, -1) end
  if new ~= '' then
    redis.call('HSET', KEYS[1], ARGV[1], new)
    redis.call('HINCRBY', KEYS[2], new, 1)
  else
    redis.call('HDEL', KEYS[1], ARGV[1])
  end
  changed = 1
end
if ARGV[4] ~= '' then
  redis.call('LPUSH', KEYS[5], ARGV[4])
  redis.call('LTRIM', KEYS[5], 0, tonumber(ARGV[6]) - 1)
  changed = 1
end
if changed == 1 then
  redis.call('INCR', KEYS[3])
  redis.call('SET', KEYS[4], ARGV[3])
  redis.call(ARGV[8], KEYS[6], ARGV[7])
end
for i = 1, 5 do redis.call('EXPIRE', KEYS[i], tonumber(ARGV[5])) end
return changed
"""


def live_status(status: str | None, late_band: str | None) -> str | None:
    """The wall's view of a work-day status; None: not yet arrived (or not expected)."""
    if status == "hadir":
        return LATE if late_band else ON_TIME
    if status == "tk":
        return ABSENT
    if status in (None, "belum", "libur"):
        return None
    return LEAVE


def _group(rt, day: dt.date) -> tuple:
    """A region's date: its keys share one hash slot, so on a Redis Cluster the apply script,
    the rebuild's transaction and the wall's MGET each stay on one node."""
    return ("live", rt.config.region.code, day.isoformat())


def day_keys(rt, day: dt.date) -> dict[str, str]:
    return {k: rt.slot_key(_group(rt, day), k)
            for k in ("emp", "counts", "version", "updated_at", "latest", "built_on")}


def events_channel(rt, day: dt.date) -> str:
    """Where a date's changes are announced; in the date's slot (sharded pub/sub on a cluster)."""
    return rt.slot_key(_group(rt, day), "events")


def _publish_command(rt) -> str:
    # Sharded pub/sub on a cluster: a plain PUBLISH goes to every node and is refused inside
    # a one-slot script. A single server keeps PUBLISH: embedded Redis (6.2) has no SPUBLISH.
    return "SPUBLISH" if rt.redis_cluster else "PUBLISH"


def subscribe(rt, day: dt.date):
    """A pub/sub listening to a date's live events; read with `next_event`."""
    pubsub = rt.redis.pubsub()
    (pubsub.ssubscribe if rt.redis_cluster else pubsub.subscribe)(events_channel(rt, day))
    return pubsub


def next_event(pubsub, timeout: float) -> dict | None:
    """The next event of `subscribe`'s pub/sub, or None after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    read = getattr(pubsub, "get_sharded_message", pubsub.get_message)
    while (left := deadline - time.monotonic()) > 0:
        msg = read(ignore_subscribe_messages=True, timeout=min(left, 0.5))
        if msg and msg["type"] in ("message", "smessage"):
            return json.loads(msg["data"])
    return None


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def ticker_item(row: dict) -> dict:
    return {
        "at": row["captured_at"].astimezone(dt.timezone.utc).isoformat(timespec="seconds"),
        "nip": row["nip"], "name": row["name"], "unit_code": row["unit_code"],
        "office_code": row.get("office_code"), "verdict": row["verdict"], "session": row.get("session"),
        "minutes_late": row.get("minutes_late"), "lat": row.get("lat"), "lon": row.get("lon"),
        "source": row.get("source"),
    }


def apply(rt, day: dt.date, employee_id: int, unit_code: str, status: str | None, latest: dict | None) -> bool:
    """Record one employee's new live status. False when Redis could not be reached."""
    return apply_many(rt, [(day, employee_id, unit_code, status, latest)])


def apply_many(rt, updates: list[tuple[dt.date, int, str, str | None, dict | None]]) -> bool:
    """Record new live statuses, in order, in one round trip (a batch of check-ins).
    Each update is (date, employee_id, unit_code, status, ticker item or None).
    False when Redis could not be reached: the dates are rebuilt once it is back."""
    global _paused_until
    if not updates:
        return True
    if time.monotonic() < _paused_until:
        _mark_dirty(rt, (u[0] for u in updates))
        return False
    try:
        _catch_up(rt)
        calls = [_apply_call(rt, *u) for u in updates]
        # a Redis that forgot the script was restarted, perhaps from an old snapshot
        results = _run_applies(rt, calls, on_restart=lambda: _rebuild_stale(rt, {u[0] for u in updates}))
        unbuilt = sorted({u[0] for u, r in zip(updates, results) if r == -1})
        if unbuilt:   # the first check-in of a date: build it from Postgres (which holds this one too)
            for day in unbuilt:
                rebuild(rt, day)
            _run_applies(rt, [c for u, c, r in zip(updates, calls, results) if r == -1])
        return True
    except redis.RedisError as exc:
        _mark_dirty(rt, (u[0] for u in updates))
        # the pause is the process's: its regions share the one Redis server
        _paused_until = time.monotonic() + PAUSE_AFTER_FAILURE_S
        log.warning("live state not updated (%s); will rebuild from Postgres when Redis is back", exc)
        return False


def _apply_call(rt, day: dt.date, employee_id: int, unit_code: str, status: str | None,
                latest: dict | None) -> tuple[list, tuple]:
    keys = day_keys(rt, day)
    value = f"{unit_code}|{status}" if status else ""
    args = (str(employee_id), value, _now(), json.dumps(latest, default=str) if latest else "", TTL_S,
            LATEST_KEEP, json.dumps({"date": day.isoformat(), "employee_id": employee_id}),
            _publish_command(rt))
    return [keys["emp"], keys["counts"], keys["version"], keys["updated_at"], keys["latest"],
            events_channel(rt, day)], args


def _run_applies(rt, calls: list[tuple[list, tuple]], on_restart=None) -> list:
    """EVALSHA each call in one pipeline; a Redis that lost the script (restarted) gets it
    again, after `on_restart()`."""
    sha = _script_sha(rt)
    for attempt in (1, 2):
        pipe = rt.redis.pipeline(transaction=False)
        for keys, args in calls:
            pipe.evalsha(sha, len(keys), *keys, *args)
        try:
            return pipe.execute()
        except redis.exceptions.NoScriptError:
            if attempt == 2:
                raise
            if on_restart is not None:
                on_restart()
            sha = _script_sha(rt, reload=True)


_shas: dict[int, tuple[object, str]] = {}


def _script_sha(rt, reload: bool = False) -> str:
    """The apply script's SHA, loaded once per Redis client (EVALSHA: the text is not resent)."""
    held = _shas.get(id(rt.redis))
    if reload or held is None or held[0] is not rt.redis:
        held = _shas[id(rt.redis)] = (rt.redis, rt.redis.script_load(_APPLY))
    return held[1]


def _mark_dirty(rt, days) -> None:
    with _dirty_lock:
        _dirty.setdefault(rt.settings.redis_prefix, set()).update(days)


def dirty_days(rt) -> set[dt.date]:
    """The region's dates waiting for a recount."""
    with _dirty_lock:
        return set(_dirty.get(rt.settings.redis_prefix, ()))


def _catch_up(rt) -> None:
    with _dirty_lock:
        days = sorted(_dirty.pop(rt.settings.redis_prefix, ()))
    for i, day in enumerate(days):
        try:
            rebuild(rt, day)
        except redis.RedisError:
            _mark_dirty(rt, days[i:])
            raise
        except DatabaseUnavailable:   # nothing to count from yet: the next catch-up tries again
            _mark_dirty(rt, days[i:])
            return


def recount_later(rt, days) -> None:
    """Dates whose live state may miss a stored check-in: a commit whose answer Postgres
    never sent (frozen mid-commit) may have landed. Recounted at the next catch-up."""
    _mark_dirty(rt, days)


def expected_count(calendar: WorkCalendar, config, statuses: list[dict], day: dt.date) -> dict[str, int]:
    """How many employees of each unit the schedules expect at work on `day`."""
    expected: dict[str, int] = {}
    for row in statuses:
        if calendar.plan(row["schedule_code"], day, config.unit_zone(row["unit_code"])) is not None:
            expected[row["unit_code"]] = expected.get(row["unit_code"], 0) + 1
    return expected


def rebuild(rt, day: dt.date) -> dict:
    """Recount a date from Postgres and swap it into Redis in one step.

    An apply() landing between our Postgres read and our write would be wiped out by the
    swap, so the version key it bumps is watched and the recount repeated if it moved.
    """
    keys = day_keys(rt, day)
    server_run = _server_run(rt, keys["version"])
    for attempt in range(REBUILD_TRIES):
        with rt.redis.pipeline(transaction=True) as pipe:
            if attempt < REBUILD_TRIES - 1:
                pipe.watch(keys["version"])
            statuses, emp, counts, items = _recount(rt, day)
            pipe.multi()
            for name in ("emp", "counts", "latest"):
                pipe.delete(keys[name])
            if emp:
                pipe.hset(keys["emp"], mapping=emp)
            if counts:
                pipe.hset(keys["counts"], mapping=counts)
            if items:
                pipe.rpush(keys["latest"], *items)
            pipe.incr(keys["version"])
            pipe.set(keys["updated_at"], _now())
            pipe.set(keys["built_on"], server_run)
            for key in keys.values():
                pipe.expire(key, TTL_S)
            pipe.execute_command(_publish_command(rt), events_channel(rt, day),
                                 json.dumps({"date": day.isoformat(), "rebuilt": True}))
            try:
                pipe.execute()
            except redis.WatchError:
                continue
        return {"employees": len(statuses), "with_status": len(emp)}
    raise AssertionError("unreachable: the last try is unwatched")


def _recount(rt, day: dt.date):
    with rt.connection() as conn:
        statuses = q.live_statuses(conn, day)
        latest = q.latest_check_ins(conn, day, LATEST_KEEP, rt.config.rules.review.pending_counts)
    config = rt.config
    emp, counts = {}, {}
    for row in statuses:
        state = live_status(row["status"], row["late_band"])
        if state:
            value = f"{row['unit_code']}|{state}"
            emp[str(row["employee_id"])] = value
            counts[value] = counts.get(value, 0) + 1
    for unit, n in expected_count(calendar_for(config), config, statuses, day).items():
        counts[f"{unit}|expected"] = n
    return statuses, emp, counts, [json.dumps(ticker_item(r), default=str) for r in latest]


def version(rt, day: dt.date) -> int:
    return int(rt.redis.get(day_keys(rt, day)["version"]) or 0)


SILENT_TTL_S = 600  # the worker rewrites it every tick; a stopped worker's count fades rather than lies


def silent_terminals_key(rt, day: dt.date) -> str:
    # kept with the date's live state: the wall reads both with one MGET, on one node
    return rt.slot_key(_group(rt, day), "terminals_silent")


def set_silent_terminals(rt, day: dt.date, silent: int) -> None:
    """The worker's count of silent terminals, for the wall (which never reads Postgres)."""
    rt.redis.set(silent_terminals_key(rt, day), int(silent), ex=SILENT_TTL_S)


def wall_state(rt, day: dt.date) -> tuple[int, int | None]:
    """The live version and the silent terminals (None: unknown) in one round trip."""
    found, silent = rt.redis.mget(day_keys(rt, day)["version"], silent_terminals_key(rt, day))
    return int(found or 0), None if silent is None else int(silent)


def snapshot(rt, day: dt.date) -> dict:
    """Everything the wall shows, in one round trip."""
    keys = day_keys(rt, day)
    pipe = rt.redis.pipeline(transaction=False)
    pipe.get(keys["version"])
    pipe.get(keys["updated_at"])
    pipe.hgetall(keys["counts"])
    pipe.lrange(keys["latest"], 0, LATEST_KEEP - 1)
    ver, updated, raw_counts, latest = pipe.execute()
    return _shaped(day, int(ver or 0), updated, raw_counts, latest)


def recount_snapshot(rt, day: dt.date) -> dict:
    """What snapshot() would show, counted from Postgres now (the wall while Redis is away;
    the fault tests' recount). Version 0: no live state."""
    _, _, counts, latest = _recount(rt, day)
    return _shaped(day, 0, _now(), counts, latest)


def _shaped(day: dt.date, ver: int, updated: str | None, raw_counts: dict, latest: list[str]) -> dict:
    units: dict[str, dict[str, int]] = {}
    for field, n in raw_counts.items():
        unit, _, state = field.rpartition("|")
        units.setdefault(unit, {}).__setitem__(state, int(n))
    totals = dict.fromkeys(("expected", "present", *STATES, "not_yet"), 0)
    for unit, c in units.items():
        c.setdefault("expected", 0)
        for s in STATES:
            c.setdefault(s, 0)
        c["present"] = c[ON_TIME] + c[LATE]
        c["not_yet"] = max(0, c["expected"] - c["present"] - c[LEAVE] - c[ABSENT])
        for k in totals:
            totals[k] += c[k]
    return {"date": day.isoformat(), "version": ver, "updated_at": updated,
            "units": units, "totals": totals, "latest": [json.loads(x) for x in latest]}


def _server_run(rt, key: str) -> str:
    """The run_id of the Redis server holding `key`: new at every start of the server (on a
    cluster, a node restarted or a replica promoted in its place)."""
    if rt.redis_cluster:
        return rt.redis.info("server", target_nodes=rt.redis.get_node_from_key(key))["run_id"]
    return rt.redis.info("server")["run_id"]


def is_current(rt, day: dt.date) -> bool:
    """Whether `day`'s live state was recounted by this Redis server run (see the module's note)."""
    keys = day_keys(rt, day)
    pipe = rt.redis.pipeline(transaction=False)
    pipe.exists(keys["version"])
    pipe.get(keys["built_on"])
    found, built_on = pipe.execute()
    return bool(found) and built_on == _server_run(rt, keys["version"])


def _rebuild_stale(rt, days) -> None:
    for day in sorted(days):
        if not is_current(rt, day):
            log.warning("live state of %s not from this Redis run (restart, old snapshot): recounting", day)
            rebuild(rt, day)


def rebuild_if_stale(rt, day: dt.date) -> bool:
    """A Redis without today's state, or with one it did not recount itself (restored from a
    snapshot), gets it from Postgres. True when it was rebuilt."""
    try:
        if is_current(rt, day):
            return False
        rebuild(rt, day)
        return True
    except redis.RedisError as exc:
        log.warning("Redis unreachable (%s); live state will be rebuilt when it is back", exc)
        _mark_dirty(rt, (day,))
        return False


def catch_up(rt, day: dt.date) -> bool:
    """Rebuild dates missed while Redis was down, and `day` if Redis came back empty or old.
    False while Redis is still unreachable. Long-running processes call this now and then."""
    try:
        _catch_up(rt)
    except redis.RedisError:
        return False
    return rebuild_if_stale(rt, day) or True
