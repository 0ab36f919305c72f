"""The work calendar, check-in verdicts and work-day derivation: pure, no database."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from ingest.rules.calendar import WorkCalendar, locate
from ingest.rules.judge import Attempt, Person, judge
from ingest.rules.work_day import Punch, derive
from foundation.config_file import load_config
from tests.conftest import ROOT

WIB = ZoneInfo("Asia/Jakarta")
CFG = load_config(ROOT / "config.yaml")
CAL = WorkCalendar(CFG)
DINKES = CFG.office_by_code["DINKES-1"]


def at(day: str, hm: str, zone=WIB) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{hm}").replace(tzinfo=zone)


def attempt(moment, lat=DINKES.lat, lon=DINKES.lon, **kw) -> Attempt:
    kw.setdefault("received_at", moment)
    kw.setdefault("accuracy_m", 10)
    return Attempt(source="mobile", captured_at=moment, lat=lat, lon=lon, **kw)


PERSON = Person(schedule_code="reguler", offices=(DINKES,), zone=WIB)


def test_national_holiday_and_cuti_bersama_are_not_work_days():
    assert CAL.holiday(dt.date(2026, 8, 17))               # Hari Kemerdekaan
    assert CAL.plan("reguler", dt.date(2026, 8, 17), WIB) is None
    assert CAL.plan("reguler", dt.date(2026, 8, 18), WIB) is not None
    assert CAL.holiday(dt.date(2026, 4, 27)) == "Hari Jadi Kota Cilegon"   # local addition


def test_ramadan_friday_uses_the_ramadan_day_type():
    plan = CAL.plan("reguler", dt.date(2026, 3, 6), WIB)   # a Friday in Ramadan 1447
    assert plan.day_type == "ramadan_jumat"
    assert plan.start == at("2026-03-06", "08:00") and plan.end == at("2026-03-06", "15:30")


def test_night_shift_check_out_after_midnight_belongs_to_the_start_date():
    # cycle starts 2026-01-05: pagi, pagi, malam, malam, libur, libur
    plan, session = locate(CAL, "regu", at("2026-01-08", "06:55"), WIB)
    assert (plan.work_date, plan.day_type, session) == (dt.date(2026, 1, 7), "malam", "out")


def test_on_time_inside_radius_is_accepted():
    v = judge(CFG, CAL, PERSON, attempt(at("2026-11-23", "07:29")))
    assert (v.verdict, v.session, v.minutes_late, v.office_code) == ("accepted", "in", 0, "DINKES-1")


def test_outside_radius_names_office_and_distance():
    far = attempt(at("2026-11-23", "07:20"), lat=DINKES.lat + 0.00207)  # ~230 m north
    v = judge(CFG, CAL, PERSON, far)
    assert v.verdict == "refused" and "outside_geofence" in v.reasons
    assert "Di luar radius kantor: 230 m dari Kantor Dinas Kesehatan (maks. 150 m)" in v.message_id
    assert "230 m from Kantor Dinas Kesehatan (max 150 m)" in v.message_en


@pytest.mark.parametrize("kw, code, verdict", [
    (dict(accuracy_m=120), "poor_accuracy", "refused"),
    (dict(mock=True), "mock_location", "refused"),
    (dict(received_at=at("2026-11-23", "07:40")), "clock_skew", "flagged"),
    (dict(offline=True, received_at=at("2026-11-23", "10:00")), "late_upload", "flagged"),
    (dict(offline=True, received_at=at("2026-11-23", "07:45")), "offline_upload", "accepted"),
    (dict(offline=True, received_at=at("2026-11-27", "10:00")), "offline_too_old", "refused"),
    (dict(face_score=0.3), "face_mismatch", "refused"),
    (dict(liveness=False), "liveness_failed", "refused"),
])
def test_each_rule_gives_its_reason_code(kw, code, verdict):
    v = judge(CFG, CAL, PERSON, attempt(at("2026-11-23", "07:25"), **kw))
    assert code in v.reasons and v.verdict == verdict


def test_outside_every_window_is_refused_naming_the_windows():
    v = judge(CFG, CAL, PERSON, attempt(at("2026-11-23", "04:10")))
    assert v.reasons == ["outside_window"] and "in 05:30-11:00" in v.message_en


def test_lateness_is_whole_minutes_from_the_start():
    assert judge(CFG, CAL, PERSON, attempt(at("2026-11-23", "07:30:59"))).minutes_late == 0
    late = judge(CFG, CAL, PERSON, attempt(at("2026-11-23", "08:01:00")))
    assert late.minutes_late == 31 and "late" in late.reasons and late.verdict == "accepted"


def test_derive_bands_and_missing_records():
    plan = CAL.plan("reguler", dt.date(2026, 11, 23), WIB)
    day = derive(CFG.rules, plan.work_date, "reguler", plan,
                 [Punch("in", at("2026-11-23", "08:01")), Punch("in", at("2026-11-23", "07:10")),
                  Punch("out", at("2026-11-23", "15:00"))])
    assert (day.first_in, day.late_band, day.minutes_early, day.early_band) == (
        at("2026-11-23", "07:10"), None, 60, "PSW2")
    open_day = derive(CFG.rules, plan.work_date, "reguler", plan, [Punch("in", at("2026-11-23", "07:45"))])
    assert (open_day.late_band, open_day.early_band, open_day.deduction_percent) == ("TL1", None, 0.5)
    closed = derive(CFG.rules, plan.work_date, "reguler", plan, [Punch("in", at("2026-11-23", "07:45"))], closed=True)
    assert (closed.early_band, closed.deduction_percent) == ("PSW4", 2.0)
    absent = derive(CFG.rules, plan.work_date, "reguler", plan, [], closed=True)
    assert (absent.status, absent.deduction_percent) == ("tk", 5.0)
    leave = derive(CFG.rules, plan.work_date, "reguler", plan, [], leave_type="tugas_luar", closed=True)
    assert (leave.status, leave.deduction_percent, leave.late_band) == ("tugas_luar", 0.0, None)


def test_shift_groups_follow_the_same_cycle_at_their_offsets():
    day = dt.date(2026, 1, 5)   # cycle_start: group A on day 0 of pagi, pagi, malam, malam, libur, libur
    a = CAL.plan("regu:A", day, WIB)
    b = CAL.plan("regu:B", day, WIB)   # B is two days ahead: malam
    c = CAL.plan("regu:C", day, WIB)   # C is four days ahead: libur
    assert (a.day_type, b.day_type, c) == ("pagi", "malam", None)
