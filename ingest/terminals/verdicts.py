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


_cache: dict[tuple, Judged] = {}
_owner: list = [None]         # the config the cache was filled under


def judged(config, calendar, person: Person, captured: dt.datetime, office_zone: dt.tzinfo, via: str) -> Judged:
    """The verdict on a terminal punch at `captured` (aware), judged in the office's zone."""
    if _owner[0] is not config:            # a reloaded config: its rules may differ
        _cache.clear()
        _owner[0] = config
    # the config's identity too: regions judged in threads of one process never share a verdict
    key = (id(config), person.schedule_code, office_zone, int(captured.timestamp() // 60), via)
    found = _cache.get(key)
    if found is None:
        if len(_cache) >= MAX_ENTRIES:
            _cache.clear()
        found = _cache[key] = _judge(config, calendar, person, captured, office_zone, via)
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
