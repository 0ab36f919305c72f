"""Administrative rewrites of work days reach the dashboard at once, not after its cache TTL."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from dashboard import data
from dashboard.app import create_app
from foundation import freshness
from tests.support import factories
from tests.support.admin import manual_entry

WIB = ZoneInfo("Asia/Jakarta")
NOW = dt.datetime(2027, 1, 13, 10, 0, tzinfo=WIB)         # a Wednesday
MOMENT = dt.datetime(2027, 1, 12, 7, 20, tzinfo=WIB)     # the Tuesday before, on time


def test_the_dashboard_cache_turns_over_when_work_days_change(runtime):
    app = create_app(runtime)
    calls = []

    def count(*args):
        calls.append(args)
        return len(calls)

    with app.server.app_context():
        assert data.memo("fresh", 300, count, "DINKES") == 1
        assert data.memo("fresh", 300, count, "DINKES") == 1     # served from the cache
        freshness.work_days_changed(runtime)
        assert data.memo("fresh", 300, count, "DINKES") == 2     # the change is seen at once
    assert freshness.take_rollups_stale(runtime) is True          # the worker refreshes the rollups once
    assert freshness.take_rollups_stale(runtime) is False


def test_a_manual_entry_moves_the_generation_and_a_duplicate_does_not(runtime):
    emp = factories.employee(runtime, "DINKES")
    before = freshness.generation(runtime)
    manual_entry(runtime, emp["nip"], MOMENT, NOW)
    moved = freshness.generation(runtime)
    assert int(moved) == int(before) + 1
    manual_entry(runtime, emp["nip"], MOMENT, NOW)                                   # the same entry again: nothing changed
    assert freshness.generation(runtime) == moved
