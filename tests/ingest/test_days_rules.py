"""The regulation, one case per rule, on the pure functions (no database).

Sample city: TL/PSW 0.5 / 1 / 1.25 / 1.5 %, no check-in = TL4, no check-out = PSW4,
TK 5 % a day, monthly cap 100 %.
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.day_close import close_time, due_dates
from ingest.rules.calendar import WorkCalendar, locate
from ingest.rules.work_day import Punch, derive, monthly_deduction, tk_sanction
from foundation.config_file import load_config, parse_config
from tests.conftest import REGIONS, ROOT

WIB, WIT = ZoneInfo("Asia/Jakarta"), ZoneInfo("Asia/Jayapura")
CFG = load_config(ROOT / "config.yaml")
CAL = WorkCalendar(CFG)
RULES = CFG.rules
MONDAY = dt.date(2026, 11, 23)


def day_of(schedule: str, day: dt.date, ins=(), outs=(), zone=WIB, closed=True, leave=None):
    plan = CAL.plan(schedule, day, zone)
    punches = [Punch("in", t) for t in ins] + [Punch("out", t) for t in outs]
    return derive(RULES, day, schedule, plan, punches, leave, closed)


def on(day: dt.date, hm: str, zone=WIB) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.fromisoformat(hm), zone)


# --- every band edge ----------------------------------------------------------------------
BAND_EDGES = [(0, None, 0.0), (1, "1", 0.5), (30, "1", 0.5), (31, "2", 1.0), (60, "2", 1.0),
              (61, "3", 1.25), (90, "3", 1.25), (91, "4", 1.5)]


@pytest.mark.parametrize("minutes, band, percent", BAND_EDGES)
def test_late_band_edges(minutes, band, percent):
    plan = CAL.plan("reguler", MONDAY, WIB)
    wd = day_of("reguler", MONDAY, ins=[plan.start + dt.timedelta(minutes=minutes)], outs=[plan.end])
    assert (wd.status, wd.minutes_late, wd.late_band, wd.early_band) == ("hadir", minutes, band and "TL" + band, None)
    assert wd.deduction_percent == percent


@pytest.mark.parametrize("minutes, band, percent", BAND_EDGES)
def test_early_band_edges(minutes, band, percent):
    plan = CAL.plan("reguler", MONDAY, WIB)
    wd = day_of("reguler", MONDAY, ins=[plan.start], outs=[plan.end - dt.timedelta(minutes=minutes)])
    assert (wd.minutes_early, wd.early_band, wd.late_band) == (minutes, band and "PSW" + band, None)
    assert wd.deduction_percent == percent


def test_seconds_are_read_off_the_clock_face_both_ways():
    late = day_of("reguler", MONDAY, ins=[on(MONDAY, "07:30:59")], outs=[on(MONDAY, "15:59:30")])
    assert (late.late_band, late.minutes_early, late.early_band) == (None, 1, "PSW1")


# --- one case per rule --------------------------------------------------------------------
def test_no_check_out_is_psw4_once_closed():
    wd = day_of("reguler", MONDAY, ins=[on(MONDAY, "07:20")])
    assert (wd.status, wd.late_band, wd.early_band, wd.deduction_percent) == ("hadir", None, "PSW4", 1.5)
    assert day_of("reguler", MONDAY, ins=[on(MONDAY, "07:20")], closed=False).early_band is None


def test_no_check_in_is_tl4_once_closed():
    wd = day_of("reguler", MONDAY, outs=[on(MONDAY, "16:05")])
    assert (wd.status, wd.late_band, wd.early_band, wd.deduction_percent) == ("hadir", "TL4", None, 1.5)


def test_neither_is_tk_at_five_percent():
    wd = day_of("reguler", MONDAY)
    assert (wd.status, wd.deduction_percent) == ("tk", 5.0)
    assert day_of("reguler", MONDAY, closed=False).status == "belum"


def test_national_holiday_is_not_a_work_day():
    day = dt.date(2026, 8, 17)
    assert CAL.holiday(day) == "Hari Kemerdekaan Republik Indonesia"
    wd = day_of("reguler", day)
    assert (wd.status, wd.is_work_day, wd.deduction_percent) == ("libur", False, 0.0)


def test_cuti_bersama_is_not_a_work_day():
    day = dt.date(2026, 12, 24)  # cuti bersama Natal (SKB 3 Menteri), a Thursday
    assert CAL.holiday(day).startswith("Cuti Bersama")
    assert (day_of("reguler", day).status, day_of("reguler", day).deduction_percent) == ("libur", 0.0)


def test_local_holiday_removal_restores_the_work_day():
    text = (ROOT / "config.yaml").read_text().replace("  remove: []", "  remove: [2026-12-24]")
    cal = WorkCalendar(parse_config(text))
    assert cal.holiday(dt.date(2026, 12, 24)) is None and cal.plan("reguler", dt.date(2026, 12, 24), WIB)


def test_ramadan_friday_starts_at_eight_and_ends_at_half_past_three():
    day = dt.date(2027, 2, 12)  # a Friday in Ramadan 1448
    wd = day_of("reguler", day, ins=[on(day, "08:01")], outs=[on(day, "15:29")])
    assert (wd.day_type, wd.late_band, wd.early_band, wd.deduction_percent) == ("ramadan_jumat", "TL1", "PSW1", 1.0)


def test_six_day_unit_works_saturday_and_five_day_unit_does_not():
    saturday = dt.date(2026, 11, 28)
    wd = day_of("enam_hari", saturday, ins=[on(saturday, "07:10")], outs=[on(saturday, "12:30")])
    assert (wd.day_type, wd.status, wd.late_band, wd.deduction_percent) == ("sabtu", "hadir", "TL1", 0.5)
    assert day_of("reguler", saturday).status == "libur"


def test_night_shift_across_midnight_belongs_to_its_start_date():
    start = dt.date(2026, 12, 3)  # roster day 332 from 2026-01-05: malam
    plan, session = locate(CAL, "regu", on(start + dt.timedelta(days=1), "06:58"), WIB)
    assert (plan.work_date, plan.day_type, session) == (start, "malam", "out")
    wd = day_of("regu", start, ins=[on(start, "22:05")], outs=[on(start + dt.timedelta(days=1), "06:58")])
    assert (wd.minutes_late, wd.late_band, wd.minutes_early, wd.early_band) == (5, "TL1", 2, "PSW1")
    assert day_of("regu", dt.date(2026, 12, 5)).status == "libur"   # roster rest day


def test_shift_roster_ignores_holidays():
    day = dt.date(2026, 12, 25)   # Natal; the fire brigade still works
    assert CAL.plan("reguler", day, WIB) is None and CAL.plan("regu", day, WIB) is not None


def test_wit_office_counts_lateness_in_its_own_zone():
    cfg = load_config(REGIONS / "wit.yaml")
    cal = WorkCalendar(cfg)
    moment = dt.datetime(2026, 11, 23, 22, 45, tzinfo=dt.timezone.utc)  # 07:45 WIT on the 24th
    plan, session = locate(cal, "reguler", moment, cfg.unit_zone("SETPROV"))
    wd = derive(cfg.rules, plan.work_date, "reguler", plan, [Punch(session, moment)], closed=True)
    assert (plan.work_date, wd.minutes_late, wd.late_band, wd.early_band) == (dt.date(2026, 11, 24), 15, "TL1", "PSW4")
    assert derive(cfg.rules, MONDAY, "reguler", cal.plan("reguler", MONDAY, WIT), [], closed=True).deduction_percent == 3.0


def test_leave_wins_over_tk_and_may_carry_its_own_deduction():
    assert (day_of("reguler", MONDAY, leave="cuti_tahunan").status,
            day_of("reguler", MONDAY, leave="cuti_tahunan").deduction_percent) == ("cuti_tahunan", 0.0)
    text = (ROOT / "config.yaml").read_text().replace("leave_deductions: {}", "leave_deductions: {izin: 1.0}")
    rules = parse_config(text).rules
    wd = derive(rules, MONDAY, "reguler", CAL.plan("reguler", MONDAY, WIB), [], "izin", True)
    assert (wd.status, wd.deduction_percent) == ("izin", 1.0)


def test_a_month_over_the_cap_is_capped():
    assert monthly_deduction(RULES, [5.0] * 21) == 100 and monthly_deduction(RULES, [1.5, 0.5]) == 2.0


@pytest.mark.parametrize("days, run, level", [
    (2, 2, None), (3, 1, "teguran lisan"), (6, 1, "teguran tertulis"), (10, 1, "pernyataan tidak puas secara tertulis"),
    (11, 1, "pemotongan tunjangan kinerja 25% selama 6 bulan"), (20, 3, "pemotongan tunjangan kinerja 25% selama 12 bulan"),
    (27, 1, "pembebasan dari jabatan menjadi jabatan pelaksana selama 12 bulan"),
    (28, 1, "pemberhentian dengan hormat tidak atas permintaan sendiri"),
    (10, 10, "pemberhentian dengan hormat tidak atas permintaan sendiri"),
])
def test_pp94_tk_sanction_levels(days, run, level):
    found = tk_sanction(RULES, days, run)
    assert (found.sanction if found else None) == level


def test_config_rejects_unknown_leave_deduction_and_unordered_sanctions():
    text = (ROOT / "config.yaml").read_text().replace("leave_deductions: {}", "leave_deductions: {TL: 1}")
    text = text.replace("{from_days: 4,  level: ringan", "{from_days: 2,  level: ringan")
    with pytest.raises(Exception) as err:
        parse_config(text)
    assert "rules.leave_deductions.TL: not a leave type" in str(err.value)
    assert "rules.tk_sanctions[1].from_days: must be above the previous level's 3, got 2" in str(err.value)


# --- the close time -----------------------------------------------------------------------
def test_close_time_waits_for_the_night_shift_and_the_margin():
    # regu A, B and C run the roster two days apart: some regu is on the night shift every
    # night, whose check-out window closes at 11:00 the next morning
    day = dt.date(2026, 12, 1)
    assert close_time(CFG, day) == on(day + dt.timedelta(days=1), "11:30")
    wit = load_config(REGIONS / "wit.yaml")                         # office hours only
    assert close_time(wit, day) == on(day, "21:30", WIT)            # out window closes 21:00 WIT


def test_due_dates_catch_up_from_the_last_close_but_not_before_go_live():
    wit = load_config(REGIONS / "wit.yaml")
    now = on(dt.date(2026, 12, 3), "21:31", WIT)
    assert due_dates(wit, now, dt.date(2026, 11, 29), dt.date(2026, 11, 1)) == [
        dt.date(2026, 11, 30), dt.date(2026, 12, 1), dt.date(2026, 12, 2), dt.date(2026, 12, 3)]
    assert due_dates(wit, on(dt.date(2026, 12, 3), "21:29", WIT), None, dt.date(2026, 12, 3)) == []
    assert due_dates(wit, now, None, dt.date(2026, 12, 3)) == [dt.date(2026, 12, 3)]   # never before go-live
    assert due_dates(wit, now, dt.date(2026, 10, 1), dt.date(2026, 1, 1), catch_up_days=2)[0] == dt.date(2026, 12, 1)
    assert due_dates(CFG, on(dt.date(2026, 12, 4), "11:29"), dt.date(2026, 12, 2), dt.date(2026, 1, 1)) == []


# --- properties ---------------------------------------------------------------------------
minutes = st.integers(min_value=0, max_value=300)


@settings(max_examples=200, deadline=None)
@given(a=minutes, b=minutes, early_a=minutes, early_b=minutes)
def test_more_lateness_never_lowers_the_deduction(a, b, early_a, early_b):
    a, b = sorted((a, b))
    early_a, early_b = sorted((early_a, early_b))
    plan = CAL.plan("reguler", MONDAY, WIB)

    def pct(late, early):
        return day_of("reguler", MONDAY, ins=[plan.start + dt.timedelta(minutes=late)],
                      outs=[plan.end - dt.timedelta(minutes=early)]).deduction_percent
    assert pct(a, early_a) <= pct(b, early_a) <= pct(b, early_b)
    assert pct(b, early_b) <= day_of("reguler", MONDAY, outs=[plan.end - dt.timedelta(minutes=early_b)]).deduction_percent + 1.5
