"""One employee's work day, derived from that day's counted check-ins, leave and rules. Pure.

Status codes never collide: lateness is `late_band` (TL1..TL4) and early leave
`early_band` (PSW1..PSW4) beside a status of `hadir`; tugas luar is `tugas_luar`.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from foundation.config_rules import Rules, TkSanction

from foundation.leave_types import LEAVE_TYPES

from .bands import band_by_code, band_for, minutes_after
from .calendar import DayPlan, WorkCalendar

HADIR, TK, LIBUR, BELUM = "hadir", "tk", "libur", "belum"
STATUS_LABELS = {HADIR: "Hadir", TK: "Tanpa keterangan (TK)", LIBUR: "Libur", BELUM: "Belum presensi",
                 **{k: v[0] for k, v in LEAVE_TYPES.items()}}


@dataclass(frozen=True)
class Punch:
    """A counted check-in as the work day sees it."""

    session: str
    at: dt.datetime
    source: str = "mobile"


@dataclass
class WorkDay:
    work_date: dt.date
    schedule_code: str
    day_type: str | None
    is_work_day: bool
    status: str
    first_in: dt.datetime | None = None
    midday: dt.datetime | None = None
    last_out: dt.datetime | None = None
    minutes_late: int = 0
    minutes_early: int = 0
    late_band: str | None = None
    early_band: str | None = None
    leave_type: str | None = None
    deduction_percent: float = 0.0
    sources: list[str] = field(default_factory=list)
    closed: bool = False


def summarize(punches: list[Punch]) -> dict:
    """A day's punches as `derive_from` reads them: a second "in" never moves the first;
    "out" is the last one."""
    return dict(first_in=min((p.at for p in punches if p.session == "in"), default=None),
                midday=min((p.at for p in punches if p.session == "midday"), default=None),
                last_out=max((p.at for p in punches if p.session == "out"), default=None),
                sources=sorted({p.source for p in punches}))


def derive(rules: Rules, work_date: dt.date, schedule_code: str, plan: DayPlan | None,
           punches: list[Punch], leave_type: str | None = None, closed: bool = False) -> WorkDay:
    """The work day. `closed` applies the missing-record rules (after the day's last window)."""
    return derive_from(rules, work_date, schedule_code, plan, **summarize(punches),
                       leave_type=leave_type, closed=closed)


def derive_day(rules: Rules, calendar: WorkCalendar, schedule_code: str, zone: dt.tzinfo, work_date: dt.date, *,
               first_in: dt.datetime | None = None, midday: dt.datetime | None = None,
               last_out: dt.datetime | None = None, sources: list[str] = (), leave_type: str | None = None,
               closed: bool = False) -> WorkDay:
    """The one derivation every way in reaches: the calendar's plan for the schedule on
    that date in the unit's zone, then `derive_from`. A day without a plan is `libur`
    (`is_work_day` False)."""
    return derive_from(rules, work_date, schedule_code, calendar.plan(schedule_code, work_date, zone),
                       first_in=first_in, midday=midday, last_out=last_out, sources=list(sources),
                       leave_type=leave_type, closed=closed)


def derive_from(rules: Rules, work_date: dt.date, schedule_code: str, plan: DayPlan | None, *,
                first_in: dt.datetime | None, midday: dt.datetime | None, last_out: dt.datetime | None,
                sources: list[str], leave_type: str | None = None, closed: bool = False) -> WorkDay:
    """`derive` from the day's summary (first in, first midday, last out, sources), as a
    month's rebuild reads it aggregated from Postgres."""
    day = WorkDay(
        work_date=work_date, schedule_code=schedule_code,
        day_type=plan.day_type if plan else None, is_work_day=plan is not None, status=BELUM,
        first_in=first_in, midday=midday, last_out=last_out, sources=sources, closed=closed,
    )
    if plan is None:
        day.status = LIBUR
        return day
    if leave_type is not None:  # approved leave wins over TK and over the day's check-ins
        day.status, day.leave_type = leave_type, leave_type
        day.deduction_percent = rules.leave_deductions.get(leave_type, 0.0)
        return day
    if day.first_in is None and day.last_out is None:
        if closed:
            day.status, day.deduction_percent = TK, rules.absent_percent
        return day

    day.status = HADIR
    if day.first_in is not None:
        day.minutes_late = minutes_after(day.first_in, plan.start)
        band = band_for(day.minutes_late, rules.late_bands)
    elif closed:
        if rules.missing_check_in == "TK":
            day.status, day.deduction_percent = TK, rules.absent_percent
            return day
        band = band_by_code(rules.missing_check_in, rules.late_bands)
    else:
        band = None
    day.late_band = band.code if band else None

    if day.last_out is not None:
        day.minutes_early = minutes_after(plan.end, day.last_out)
        early = band_for(day.minutes_early, rules.early_bands)
    elif closed:
        if rules.missing_check_out == "TK":
            day.status, day.deduction_percent = TK, rules.absent_percent
            day.late_band = None
            return day
        early = band_by_code(rules.missing_check_out, rules.early_bands)
    else:
        early = None
    day.early_band = early.code if early else None
    day.deduction_percent = (band.percent if band else 0.0) + (early.percent if early else 0.0)
    return day


def monthly_deduction(rules: Rules, daily_percents: list[float]) -> float:
    """The month's deduction in percent of the base (`rules.deduction_base`), capped."""
    return min(rules.monthly_cap_percent, round(sum(daily_percents), 3))


def tk_sanction(rules: Rules, tk_days: int, longest_run: int = 0) -> TkSanction | None:
    """The PP 94/2021 sanction a year's TK calls for: the highest level whose threshold is
    reached, or dismissal after the configured run of consecutive TK work days."""
    reached = [s for s in rules.tk_sanctions if tk_days >= s.from_days]
    run_limit = rules.tk_consecutive_dismissal_days
    if run_limit and longest_run >= run_limit and rules.tk_sanctions:
        return rules.tk_sanctions[-1]
    return reached[-1] if reached else None
