"""`pantau worker`: matches queued selfies with the enrolled faces (ingest/face_match.py),
derives the work days queued by terminal backlogs and face mismatches, closes each date after
its last window, applies the backlog lines terminals pushed (stored only, acknowledged) to
check-ins, counts silent terminals for the wall, and rebuilds today's live state every few minutes as a safety net (a
missed Redis update heals within that time).

One loop, woken early by SIGTERM/SIGINT through the stop event. Two workers never close
at once: the close takes an advisory lock and skips a date another worker has closed.
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
import time

import redis

from foundation import clock, freshness
from queries import terminals as qt
from queries import work_days as qw
from queries.dashboard import refresh_rollups
from queries.db import DatabaseUnavailable

from . import face_match, live, patterns, review
from .day_close import close_day, due_dates
from .terminals.punches import apply_waiting
from .work_days import drain

log = logging.getLogger("pantau.worker")
ACTOR = "system:worker"
PATTERN_DAYS = 14          # a closed day's patterns are judged over this many days up to it
ROLLUP_EVERY_S = 30 * 60   # the dashboard's per unit-and-day rollups: stale at most this long
FACE_BUDGET_S = 20         # face matching per tick at most: a 07:00 rush must not hold up the closes


class Worker:
    def __init__(self, rt, *, tick_s: float = 30, live_every_s: float = 300, catch_up_days: int = 7,
                 first_day: dt.date | None = None):
        self.rt = rt
        # one process may serve several regions (ingest/worker_regions.py): say whose line it is
        self.log = _RegionLog(log, {"region": rt.settings.region})
        self.tick_s, self.live_every_s, self.catch_up_days = tick_s, live_every_s, catch_up_days
        # With no close on record, start at today: never TK everyone for the days before go-live.
        self.first_day = first_day or self._now().astimezone(rt.config.zone).date()
        self._last_live: dt.datetime | None = None
        self._last_rollup: dt.datetime | None = None
        self.faces_behind = False

    @staticmethod
    def _now() -> dt.datetime:
        return clock.now()  # the demo's accelerated clock too

    def tick(self, now: dt.datetime | None = None) -> list[dict]:
        """One pass: close what is due, derive queued work days, refresh the live state if it is
        time. Returns the closes."""
        now = now or self._now()
        with self.rt.connection() as conn:
            last = qw.last_closed(conn)
            silent = qt.silent_count(conn, now, self.rt.config.terminals.silent_after_minutes * 60)
        today = now.astimezone(self.rt.config.zone).date()
        live.set_silent_terminals(self.rt, today, silent)   # the wall's "Mesin senyap" mark
        closed = []
        for day in due_dates(self.rt.config, now, last, self.first_day, self.catch_up_days):
            summary = close_day(self.rt, day, ACTOR, wait=False, skip_if_closed=True)
            if summary is None:
                break  # another worker holds the lock or got there first; look again next tick
            self.log.info("closed %s: %s", day, summary["counts"])
            closed.append(summary)
        if closed:   # a closed day's patterns, over the two weeks they are judged on
            days = [dt.date.fromisoformat(c["date"]) for c in closed]
            self.scan_patterns(min(days) - dt.timedelta(days=PATTERN_DAYS - 1), max(days))
            # check-ins still waiting past rules.review's deadline: decided as config says
            settled = review.settle_overdue(self.rt, now.astimezone(self.rt.config.zone).date())
            if settled:
                self.log.info("review deadline decided %d check-ins", settled)
        # terminal backlogs' past work days (queued with their check-ins); after the closes,
        # which read the check-ins themselves and must not wait behind a big backlog
        # pushed backlog lines (stored only, acknowledged) become check-ins, then their work days
        applied = apply_waiting(self.rt, states=qt.STORED, defer_live=True)
        if applied.lines:
            self.log.info("applied %d stored backlog lines (%d check-ins)", applied.lines, applied.check_ins)
        self.match_faces()   # before the drain: a mismatch queues its work day
        caught_up = drain(self.rt)
        if caught_up:
            self.log.info("derived %d queued work days", caught_up)
        told = freshness.take_rollups_stale(self.rt)   # a leave decision, manual entry, recompute...
        stale = self._last_rollup is None or (now - self._last_rollup).total_seconds() >= ROLLUP_EVERY_S
        if closed or caught_up or told or stale:
            # past days changed by a close, a drain or an administrator reach the dashboard's rollups
            with self.rt.transaction() as conn:
                refresh_rollups(conn)
            self._last_rollup = now
        if self._last_live is None or (now - self._last_live).total_seconds() >= self.live_every_s:
            live.rebuild(self.rt, today)
            self._last_live = now
        return closed

    def match_faces(self) -> dict[str, int]:
        self.faces_behind, started = False, time.monotonic()
        try:
            matched = face_match.drain(self.rt, budget_s=FACE_BUDGET_S)
        except DatabaseUnavailable:
            raise
        except Exception:   # the models failed to load, say: the closes and drains go on
            self.log.exception("face matching failed")
            return {}
        # the budget ran out with selfies still waiting (a rush): the next tick starts at once
        self.faces_behind = time.monotonic() - started >= FACE_BUDGET_S
        if matched:
            self.log.info("face matches: %s", matched)
        return matched

    def scan_patterns(self, first: dt.date, last: dt.date) -> None:
        try:
            summary = patterns.scan(self.rt, first, last)
            self.log.info("patterns %s..%s: %s", first, last, summary)
        except Exception:   # a failed scan must not stop the closes; the next close scans again
            self.log.exception("pattern scan %s..%s failed", first, last)

    def run(self, stop: threading.Event) -> None:
        self.log.info("worker started (tick %ss, live rebuild every %ss)", self.tick_s, self.live_every_s)
        while not stop.is_set():
            try:
                self.tick()
            except (DatabaseUnavailable, redis.RedisError) as exc:
                self.log.warning("worker tick failed, retrying next tick: %s", exc)
            stop.wait(0 if self.faces_behind else self.tick_s)
        self.log.info("worker stopped")


class _RegionLog(logging.LoggerAdapter):
    def process(self, msg, kwargs):
        region = self.extra.get("region")
        return (f"[{region}] {msg}" if region else msg), kwargs
