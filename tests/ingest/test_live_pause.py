"""After Redis fails, check-ins skip it for a few seconds instead of each waiting out the
socket timeout; their dates are recounted once Redis answers again."""
from __future__ import annotations

import datetime as dt

import redis

from ingest import live

DAY = dt.date(2026, 9, 14)


def test_a_failed_live_update_pauses_redis_for_the_following_batches(runtime, monkeypatch):
    asked = []

    def unreachable(rt, calls, on_restart=None):
        asked.append(len(calls))
        raise redis.TimeoutError("Timeout reading from socket")

    monkeypatch.setattr(live, "_run_applies", unreachable)
    monkeypatch.setattr(live, "_catch_up", lambda rt: None)
    monkeypatch.setattr(live, "_paused_until", 0.0)
    monkeypatch.setattr(live, "_dirty", {})              # this test's dates stay in this test
    update = (DAY, 1, "DINKES", "hadir", None)
    assert live.apply_many(runtime, [update]) is False and asked == [1]
    assert live.apply_many(runtime, [update, update]) is False
    assert asked == [1]                                  # not asked again while paused
    assert DAY in live.dirty_days(runtime)               # the date is recounted when Redis is back
    monkeypatch.setattr(live, "_paused_until", 0.0)      # the pause over: Redis is asked again
    assert live.apply_many(runtime, [update]) is False and asked == [1, 1]
