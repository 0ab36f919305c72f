"""The BKPP recaps with the region's rules applied: which bands, which leave counts where,
the monthly cap, and the PP 94/2021 sanction for a year's TK. The dashboard's downloads
call these too (with `unit_codes` = the user's subtree)."""
from __future__ import annotations

import calendar as month_calendar
import datetime as dt
import re
from typing import Iterator

from queries import recap as q

from .rules.calendar import calendar_for
from foundation.leave_types import leave_codes_for
from .rules.work_day import tk_sanction

TK_YEAR_COLUMNS = ["nip", "nama", "unit_kode", "unit_nama", "tahun", "tk_hari", "tk_beruntun_maks",
                   "tingkat", "sanksi"]


def month_range(month: str) -> tuple[dt.date, dt.date]:
    """'2026-11' -> (2026-11-01, 2026-11-30)."""
    m = re.fullmatch(r"(\d{4})-(\d{2})", month.strip())
    if not m or not 1 <= int(m[2]) <= 12:
        raise ValueError(f"month {month!r} must be YYYY-MM, e.g. 2026-11")
    year, number = int(m[1]), int(m[2])
    return dt.date(year, number, 1), dt.date(year, number, month_calendar.monthrange(year, number)[1])


def _options(config) -> dict:
    rules = config.rules
    return {"late_codes": [b.code for b in rules.late_bands], "early_codes": [b.code for b in rules.early_bands],
            "leave_groups": {c: leave_codes_for(c) for c in q.LEAVE_COLUMNS}, "cap": rules.monthly_cap_percent}


def employee_recap(conn, config, first: dt.date, last: dt.date, unit_codes: list[str] | None = None,
                   employee_id: int | None = None) -> tuple[list[str], Iterator[dict]]:
    opts = _options(config)
    return q.employee_columns(opts["late_codes"], opts["early_codes"]), \
        q.employee_recap(conn, first, last, unit_codes=unit_codes, employee_id=employee_id, **opts)


def unit_summary(conn, config, first: dt.date, last: dt.date, unit_codes: list[str] | None = None
                 ) -> tuple[list[str], Iterator[dict]]:
    opts = _options(config)
    return q.unit_columns(opts["late_codes"], opts["early_codes"]), \
        q.unit_summary(conn, first, last, unit_codes=unit_codes, **opts)


def longest_tk_run(config, dates: list[dt.date], schedules: list[str], units: list[str]) -> int:
    """The longest run of TK dates with no work day of the employee's schedule between them."""
    calendar = calendar_for(config)
    best = run = 0
    for i, day in enumerate(dates):
        if i and _no_work_day_between(calendar, config, dates[i - 1], day, schedules[i], units[i]):
            run += 1
        else:
            run = 1
        best = max(best, run)
    return best


def _no_work_day_between(calendar, config, a: dt.date, b: dt.date, schedule: str, unit: str) -> bool:
    zone = config.unit_zone(unit) if unit in config.unit_by_code else config.zone
    day = a + dt.timedelta(days=1)
    while day < b:
        if calendar.plan(schedule, day, zone) is not None:
            return False
        day += dt.timedelta(days=1)
    return True


def tk_year(conn, config, year: int, unit_codes: list[str] | None = None) -> tuple[list[str], Iterator[dict]]:
    """Employees with TK in `year`, with their longest TK run and the sanction it calls for."""
    def rows():
        for r in q.tk_year(conn, year, unit_codes):
            run = longest_tk_run(config, r["dates"], r["schedules"], r["units"])
            sanction = tk_sanction(config.rules, r["tk_hari"], run)
            yield {"nip": r["nip"], "nama": r["nama"], "unit_kode": r["unit_kode"], "unit_nama": r["unit_nama"],
                   "tahun": year, "tk_hari": r["tk_hari"], "tk_beruntun_maks": run,
                   "tingkat": sanction.level if sanction else "", "sanksi": sanction.sanction if sanction else ""}
    return TK_YEAR_COLUMNS, rows()
