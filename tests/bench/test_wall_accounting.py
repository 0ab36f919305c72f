"""bench/wall_latency counts on the tile only the check-ins that make someone present that day."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from bench.wall_latency import moves_hadir, tile_latencies
from foundation.config_file import load_config
from ingest.rules.calendar import calendar_for, locate

from tests.conftest import ROOT

MONDAY = "2026-11-23"


def test_only_the_walls_date_and_what_counts_moves_hadir():
    assert moves_hadir("accepted", MONDAY, MONDAY, pending_counts=False)
    assert not moves_hadir("accepted", "2026-11-22", MONDAY, pending_counts=False)   # last night's shift
    assert not moves_hadir("flagged", MONDAY, MONDAY, pending_counts=False)          # waits for review
    assert moves_hadir("flagged", MONDAY, MONDAY, pending_counts=True)
    assert not moves_hadir("refused", MONDAY, MONDAY, pending_counts=True)


def test_the_bench_mornings_regu_check_in_is_sundays_night_shift_going_home():
    # the "+111" of bench/RESULTS.md: regu A works Sunday night (22:00-07:00) on the sample
    # city's roster, so its Monday 06:50 check-in is that shift's check-out, dated Sunday
    config = load_config(ROOT / "config.yaml")
    morning = dt.datetime(2026, 11, 23, 6, 50, tzinfo=ZoneInfo("Asia/Jakarta"))
    plan, session = locate(calendar_for(config), "regu:A", morning, config.zone)
    assert (plan.work_date.isoformat(), plan.day_type, session) == ("2026-11-22", "malam", "out")
    plan, session = locate(calendar_for(config), "regu:B", morning, config.zone)
    assert (plan.work_date.isoformat(), plan.day_type, session) == (MONDAY, "pagi", "in")


def test_the_tile_waits_for_each_counted_rank():
    seen = [{"dom": 1_000, "present": "10"}, {"dom": 2_000, "frame": 2_050, "present": "12"}]
    latencies, never = tile_latencies([0.5, 0.7, 0.9], seen, base=10)
    assert [round(x, 2) for x in latencies] == [1.55, 1.35] and never == 1
