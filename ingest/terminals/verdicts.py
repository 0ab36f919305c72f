"""Terminal punches judged once per minute, by the same pure `judge` as phones.

A terminal punch carries no location, face or phone clock (it is received as captured),
so its verdict depends only on the schedule, the office's zone and the minute it was
made: window edges, lateness (whole clock minutes) and the message's HH:MM are all
minute-grained. A backlog's punches crowd into a few hundred such minutes per day and
office hours, so each minute is judged once per process and reused.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from ..rules.judge import Attempt, Person, judge

MAX_ENTRIES = 100_000     # a month of minutes for a few dozen schedules and zones


@dataclass(frozen=True, slots=True)
class Judged:
    """What a check-in row needs from a verdict: its columns as stored, and its payload."""

    work_date: dt.date
    session: str | None
    verdict: str
    reasons: str              # Postgres array literal, '{late}'
    minutes_late: int | None
    minutes_early: int | None
    counts: bool
    payload: str              # JSON: how the line came, and the verdict shown for it


# one cache per config (a region's, or a reloaded one): their rules and holidays differ, and
# one process may judge several regions' punches at once (ingest/regions.py)
_caches: dict[int, tuple[object, dict[tuple, Judged]]] = {}
MAX_CONFIGS = 16


def judged(config, calendar, person: Person, captured: dt.datetime, office_zone: dt.tzinfo, via: str) -> Judged:
    """The verdict on a terminal punch at `captured` (aware), judged in the office's zone."""
    held = _caches.get(id(config))
    if held is None or held[0] is not config:
        if len(_caches) >= MAX_CONFIGS:
            _caches.clear()
        held = _caches[id(config)] = (config, {})
    cache = held[1]
    key = (person.schedule_code, office_zone, int(captured.timestamp() // 60), via)
    found = cache.get(key)
    if found is None:
        if len(cache) >= MAX_ENTRIES:
            cache.clear()
        found = cache[key] = _judge(config, calendar, person, captured, office_zone, via)
    return found


def _judge(config, calendar, person: Person, captured: dt.datetime, office_zone: dt.tzinfo, via: str) -> Judged:
    verdict = judge(config, calendar, person, Attempt(source="terminal", captured_at=captured, received_at=captured),
                    check_geofence=False, zone=office_zone)
    shown = {"verdict": verdict.verdict, "session": verdict.session, "work_date": verdict.work_date.isoformat(),
             "message_id": verdict.message_id, "message_en": verdict.message_en}
    return Judged(verdict.work_date, verdict.session, verdict.verdict, "{" + ",".join(verdict.reasons) + "}",
                  verdict.minutes_late, verdict.minutes_early, verdict.counts,
                  # the line itself is in terminal_logs under the same (SN, PIN, time)
                  json.dumps({"request": {"via": via}, "verdict": shown}))
