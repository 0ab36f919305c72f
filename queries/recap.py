"""The BKPP recaps: per employee and per unit for a period, and the yearly TK count.

Aggregates run in Postgres and rows are streamed, so a region's month (hundreds of
thousands of work days) never sits in memory. Band codes and leave groups come from the
caller (config.yaml and the leave types), bound as parameters; `unit_codes` (a unit's
subtree) limits the days counted to those worked in these units.
"""
from __future__ import annotations

import datetime as dt
from typing import Iterator

from sqlalchemy.engine import Connection

from .db import stream
from .events import MISSED_COMPULSORY_SQL
from .review import PENDING_DAYS_SQL

LEAVE_COLUMNS = ("izin", "sakit", "cuti", "dinas_luar")


def employee_columns(late_codes: list[str], early_codes: list[str]) -> list[str]:
    """The per-employee recap's columns, in order (tl1..tl4 / psw1..psw4 follow the bands)."""
    return ["nip", "nama", "unit_kode", "unit_nama", "hari_kerja", "hadir",
            *[c.lower() for c in late_codes], *[c.lower() for c in early_codes], "tk",
            *LEAVE_COLUMNS, "menit_terlambat", "menit_pulang_cepat", "hari_manual", "menunggu_tinjauan", "apel_tidak_hadir", "potongan_apel_persen",
            "potongan_persen"]


def _employee_sql(late_codes: list[str], early_codes: list[str]) -> str:
    # Aliases come from band codes, which config.yaml validation limits to [A-Z]+[0-9]+.
    bands = [f"count(*) FILTER (WHERE w.late_band = :late_{i}) AS {c.lower()}" for i, c in enumerate(late_codes)]
    bands += [f"count(*) FILTER (WHERE w.early_band = :early_{i}) AS {c.lower()}" for i, c in enumerate(early_codes)]
    leaves = [f"count(*) FILTER (WHERE w.is_work_day AND w.status = ANY(:leave_{c})) AS {c}" for c in LEAVE_COLUMNS]
    return f"""
        SELECT w.employee_id,
               (array_agg(w.unit_code ORDER BY w.work_date DESC))[1] AS unit_kode,
               count(*) FILTER (WHERE w.is_work_day) AS hari_kerja,
               count(*) FILTER (WHERE w.status = 'hadir') AS hadir,
               {', '.join(bands)},
               count(*) FILTER (WHERE w.status = 'tk') AS tk,
               {', '.join(leaves)},
               COALESCE(sum(w.minutes_late) FILTER (WHERE w.status = 'hadir'), 0) AS menit_terlambat,
               COALESCE(sum(w.minutes_early) FILTER (WHERE w.status = 'hadir'), 0) AS menit_pulang_cepat,
               count(*) FILTER (WHERE 'manual' = ANY(w.sources)) AS hari_manual,
               count(pd.employee_id) AS menunggu_tinjauan,
               sum(w.deduction_percent) AS potongan_hari
        FROM work_days w
        LEFT JOIN ({PENDING_DAYS_SQL}) pd ON pd.employee_id = w.employee_id AND pd.work_date = w.work_date
        WHERE w.work_date BETWEEN :first AND :last
          AND (CAST(:units AS text[]) IS NULL OR w.unit_code = ANY(:units))
          AND (CAST(:employee AS bigint) IS NULL OR w.employee_id = :employee)
        GROUP BY w.employee_id"""


def _per_sql(late_codes: list[str], early_codes: list[str]) -> str:
    """Per employee: the work days' counts plus missed compulsory events (apel, upacara);
    the month's deduction is both together, capped."""
    return f"""
        WITH days AS ({_employee_sql(late_codes, early_codes)}),
             missed AS ({MISSED_COMPULSORY_SQL}),
             per AS (
               SELECT days.*, COALESCE(m.events_missed, 0) AS apel_tidak_hadir,
                      COALESCE(m.deduction_percent, 0) AS potongan_apel_persen,
                      LEAST(CAST(:cap AS numeric),
                            round(days.potongan_hari + COALESCE(m.deduction_percent, 0), 3)) AS potongan_persen
               FROM days LEFT JOIN missed m ON m.employee_id = days.employee_id)"""


def _params(first, last, late_codes, early_codes, leave_groups, cap, unit_codes, employee_id=None) -> dict:
    params = {"first": first, "last": last, "cap": cap, "units": unit_codes, "employee": employee_id}
    params.update({f"late_{i}": c for i, c in enumerate(late_codes)})
    params.update({f"early_{i}": c for i, c in enumerate(early_codes)})
    params.update({f"leave_{c}": list(leave_groups.get(c, [])) for c in LEAVE_COLUMNS})
    return params


def employee_recap(conn: Connection, first: dt.date, last: dt.date, *, late_codes: list[str],
                   early_codes: list[str], leave_groups: dict[str, list[str]], cap: float,
                   unit_codes: list[str] | None = None, employee_id: int | None = None) -> Iterator[dict]:
    """One row per employee with a work day in [first, last], in unit order then NIP
    (`employee_id`: that employee's row only, as the employee's own page shows it)."""
    columns = employee_columns(late_codes, early_codes)
    return stream(conn, f"""{_per_sql(late_codes, early_codes)}
        SELECT e.nip, e.name AS nama, per.unit_kode, u.name AS unit_nama,
               {', '.join('per.' + c for c in columns[4:])}
        FROM per JOIN employees e ON e.id = per.employee_id
        LEFT JOIN units u ON u.code = per.unit_kode
        ORDER BY u.path, per.unit_kode, e.nip""",
        **_params(first, last, late_codes, early_codes, leave_groups, cap, unit_codes, employee_id))


def unit_columns(late_codes: list[str], early_codes: list[str]) -> list[str]:
    counts = employee_columns(late_codes, early_codes)[4:-1]
    return ["unit_kode", "unit_nama", "pegawai", *counts, "persen_hadir", "rata_potongan_persen"]


def unit_summary(conn: Connection, first: dt.date, last: dt.date, *, late_codes: list[str],
                 early_codes: list[str], leave_groups: dict[str, list[str]], cap: float,
                 unit_codes: list[str] | None = None) -> Iterator[dict]:
    """One row per unit: the sums of its employees' recap rows (each capped first)."""
    counts = employee_columns(late_codes, early_codes)[4:-1]
    return stream(conn, f"""{_per_sql(late_codes, early_codes)}
        SELECT per.unit_kode, u.name AS unit_nama, count(*) AS pegawai,
               {', '.join(f'sum(per.{c}) AS {c}' for c in counts)},
               round(100.0 * sum(per.hadir) / NULLIF(sum(per.hari_kerja), 0), 2) AS persen_hadir,
               round(avg(per.potongan_persen), 3) AS rata_potongan_persen
        FROM per LEFT JOIN units u ON u.code = per.unit_kode
        GROUP BY per.unit_kode, u.name, u.path
        ORDER BY u.path, per.unit_kode""",
        **_params(first, last, late_codes, early_codes, leave_groups, cap, unit_codes))


def tk_year(conn: Connection, year: int, unit_codes: list[str] | None = None) -> Iterator[dict]:
    """Employees with TK work days in a year: count, dates and each date's schedule and unit."""
    return stream(conn, """
        SELECT e.nip, e.name AS nama, e.unit_code AS unit_kode, u.name AS unit_nama,
               count(*) AS tk_hari,
               array_agg(w.work_date ORDER BY w.work_date) AS dates,
               array_agg(w.schedule_code ORDER BY w.work_date) AS schedules,
               array_agg(w.unit_code ORDER BY w.work_date) AS units
        FROM work_days w JOIN employees e ON e.id = w.employee_id
        LEFT JOIN units u ON u.code = e.unit_code
        WHERE w.status = 'tk' AND w.work_date BETWEEN :first AND :last
          AND (CAST(:units AS text[]) IS NULL OR w.unit_code = ANY(:units))
        GROUP BY e.id, u.name, u.path
        ORDER BY count(*) DESC, u.path, e.nip""",
        first=dt.date(year, 1, 1), last=dt.date(year, 12, 31), units=unit_codes)
