"""The work calendar: is a date a work day for a schedule, and what is its plan.

Pure: config in, plans out. Holidays come from the `holidays` package (Indonesia,
public + government categories, i.e. cuti bersama) plus the region's own additions and
removals. A shift that crosses midnight belongs to the date it starts.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays as holidays_lib

from foundation.config import REST_DAY, WEEKDAYS, Config, DayType, Schedule


@dataclass(frozen=True)
class DayPlan:
    """What a schedule asks of one work date, as aware datetimes in the office's zone."""

    work_date: dt.date
    schedule_code: str
    day_type: str
    start: dt.datetime
    end: dt.datetime
    windows: dict[str, tuple[dt.datetime, dt.datetime]]  # session -> [opens, closes)

    def session_at(self, moment: dt.datetime) -> str | None:
        for name, (opens, closes) in self.windows.items():
            if opens <= moment < closes:
                return name
        return None

    @property
    def last_close(self) -> dt.datetime:
        return max(closes for _, closes in self.windows.values())

    def describe_windows(self) -> str:
        return ", ".join(f"{name} {o:%H:%M}-{c:%H:%M}" for name, (o, c) in self.windows.items())


def _at(day: dt.date, minutes: int, zone: ZoneInfo) -> dt.datetime:
    # Indonesian zones have no DST, so wall-clock arithmetic is exact.
    return dt.datetime.combine(day, dt.time(), tzinfo=zone) + dt.timedelta(minutes=minutes)


class WorkCalendar:
    """Holidays and day plans for one region config."""

    def __init__(self, config: Config):
        self.config = config
        self._extra = {h.date: h.name for h in config.holidays.add}
        self._removed = set(config.holidays.remove)

    @lru_cache(maxsize=64)
    def _national(self, year: int) -> dict[dt.date, str]:
        h = self.config.holidays
        return dict(holidays_lib.country_holidays(h.country, years=year, categories=tuple(h.categories),
                                                  language=h.language))

    def holiday(self, day: dt.date) -> str | None:
        """The holiday's name, or None on an ordinary day."""
        if day in self._extra:
            return self._extra[day]
        if day in self._removed:
            return None
        return self._national(day.year).get(day)

    def is_ramadan(self, day: dt.date) -> bool:
        return any(day in r for r in self.config.ramadan)

    def day_type(self, schedule: Schedule, day: dt.date, offset: int = 0) -> tuple[str, DayType] | None:
        """The schedule's day type for a date, or None on a day off or holiday.

        `offset` shifts a roster for one shift group (regu A, B, C of the same cycle)."""
        if schedule.observes_holidays and self.holiday(day):
            return None
        if schedule.is_shift:
            code = schedule.cycle[((day - schedule.cycle_start).days + offset) % len(schedule.cycle)]
        else:
            week = schedule.ramadan_week if schedule.ramadan_week and self.is_ramadan(day) else schedule.week
            code = week.get(WEEKDAYS[day.weekday()])
        if code is None or code == REST_DAY:
            return None
        return code, schedule.day_types[code]

    def plan(self, schedule_code: str, day: dt.date, zone: ZoneInfo) -> DayPlan | None:
        return _plan(self, schedule_code, day, zone)


@lru_cache(maxsize=8192)
def _plan(cal: WorkCalendar, schedule_code: str, day: dt.date, zone: ZoneInfo) -> DayPlan | None:
    schedule, offset = cal.config.resolve_schedule(schedule_code)  # 'regu:B' -> regu, B's offset
    found = cal.day_type(schedule, day, offset)
    if found is None:
        return None
    code, dtype = found
    return DayPlan(
        work_date=day,
        schedule_code=schedule_code,
        day_type=code,
        start=_at(day, dtype.start.minutes, zone),
        end=_at(day, dtype.end.minutes, zone),
        windows={name: (_at(day, w.opens.minutes, zone), _at(day, w.closes.minutes, zone))
                 for name, w in sorted(dtype.sessions.items(), key=lambda kv: kv[1].opens.minutes)},
    )


def locate(cal: WorkCalendar, schedule_code: str, moment: dt.datetime, zone: ZoneInfo
           ) -> tuple[DayPlan | None, str | None]:
    """The plan and session a moment belongs to.

    Yesterday's plan is tried first so a night shift's check-out after midnight lands on
    the date the shift started. Returns (today's plan or None, None) when no window holds.
    """
    local = moment.astimezone(zone)
    today = local.date()
    for day in (today - dt.timedelta(days=1), today):
        plan = cal.plan(schedule_code, day, zone)
        if plan is not None:
            session = plan.session_at(local)
            if session is not None:
                return plan, session
    return cal.plan(schedule_code, today, zone), None


_calendars: dict[int, tuple[object, WorkCalendar]] = {}


def calendar_for(config) -> WorkCalendar:
    """One calendar per loaded config (its holiday and plan caches are worth keeping)."""
    held = _calendars.get(id(config))
    if held is None or held[0] is not config:
        held = _calendars[id(config)] = (config, WorkCalendar(config))
    return held[1]
