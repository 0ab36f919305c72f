"""What the drill-down pages read: counts per unit and day, people, one employee's month.

Every function takes `scope`: None (the whole region) or a unit path prefix such as
'SETDA/DINKES/' (a kepala_unit's subtree). Scoping is applied here, in SQL, so a page
or callback that forgets to filter still cannot read outside the viewer's units.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy.engine import Connection

from .db import one, rows, run, scalar

IN_SCOPE = "(CAST(:scope AS text) IS NULL OR starts_with(u.path, CAST(:scope AS text)))"
# the same for a row with a unit_code and no join to units: for the region's viewers
# (scope NULL) the condition folds away and the planner skips the units table altogether
UNIT_IN_SCOPE = ("(CAST(:scope AS text) IS NULL OR {}.unit_code IN "
                 "(SELECT u.code FROM units u WHERE starts_with(u.path, CAST(:scope AS text))))")
LEAVE = "wd.status NOT IN ('hadir', 'tk', 'libur', 'belum')"
COUNTS = f"""
    count(*) FILTER (WHERE wd.is_work_day AND wd.status <> 'libur') AS expected,
    count(*) FILTER (WHERE wd.status = 'hadir') AS present,
    count(*) FILTER (WHERE wd.status = 'hadir' AND wd.minutes_late > 0) AS late,
    count(*) FILTER (WHERE {LEAVE}) AS on_leave,
    count(*) FILTER (WHERE wd.status = 'tk') AS tk,
    count(*) FILTER (WHERE wd.status = 'belum') AS not_yet,
    coalesce(sum(wd.minutes_late) FILTER (WHERE wd.status = 'hadir'), 0) AS late_minutes"""
COUNT_KEYS = ("expected", "present", "late", "on_leave", "tk", "not_yet", "late_minutes")
# the people list's status filter, in the domain's words
STATUS_FILTERS = {
    "hadir": "wd.status = 'hadir'",
    "terlambat": "wd.status = 'hadir' AND wd.minutes_late > 0",
    "cuti": LEAVE,
    "tk": "wd.status = 'tk'",
    "belum": "wd.status = 'belum'",
}


# per (work_date, unit_code): rolled-up closed days up to :upto (rolled_up_to), then live
# days after it, and the open days (:open_days) live whatever the rollup holds of them.
# :upto and :live_from are bound, not subqueries: the planner then sees that the live part
# is empty for past ranges, instead of guessing a million rows there (which made it compile
# every query with JIT, ~20 ms each, and pick sorts that spilled to disk).
# An open day (not closed yet) has rows only for those who checked in or are on leave: the
# staff its schedules expect come in as (:open_d, :open_u, :open_n), and who is not in yet
# is what the wall says, expected - present - on leave - TK (see `open_days`).
_DAYS = f"""
    live AS (
        SELECT wd.work_date, wd.unit_code, {COUNTS}
        FROM work_days wd
        WHERE wd.work_date BETWEEN greatest(CAST(:d0 AS date), CAST(:live_from AS date)) AND :d1
          AND (wd.work_date > CAST(:upto AS date) OR wd.work_date = ANY(CAST(:open_days AS date[])))
        GROUP BY wd.work_date, wd.unit_code),
    scheduled AS (
        SELECT * FROM unnest(CAST(:open_d AS date[]), CAST(:open_u AS text[]), CAST(:open_n AS int[]))
            AS s(work_date, unit_code, expected)),
    days AS (
        SELECT r.work_date, r.unit_code, r.expected, r.present, r.late, r.on_leave, r.tk,
               r.not_yet, r.late_minutes
        FROM unit_day_rollup r
        WHERE r.work_date BETWEEN :d0 AND least(CAST(:d1 AS date), CAST(:upto AS date))
          -- an open day is counted live alone, even when some of its rows are closed already
          AND NOT r.work_date = ANY(CAST(:open_days AS date[]))
        UNION ALL
        -- on an open day, a unit its schedules do not expect counts who came, expects no one
        SELECT l.work_date, l.unit_code,
               CASE WHEN l.work_date = ANY(CAST(:open_days AS date[])) THEN 0 ELSE l.expected END,
               l.present, l.late, l.on_leave, l.tk,
               CASE WHEN l.work_date = ANY(CAST(:open_days AS date[])) THEN 0 ELSE l.not_yet END, l.late_minutes
        FROM live l
        WHERE NOT EXISTS (SELECT 1 FROM scheduled s WHERE s.work_date = l.work_date AND s.unit_code = l.unit_code)
        UNION ALL
        SELECT s.work_date, s.unit_code, s.expected, coalesce(l.present, 0), coalesce(l.late, 0),
               coalesce(l.on_leave, 0), coalesce(l.tk, 0),
               greatest(s.expected - coalesce(l.present, 0) - coalesce(l.on_leave, 0) - coalesce(l.tk, 0), 0),
               coalesce(l.late_minutes, 0)
        FROM scheduled s LEFT JOIN live l ON l.work_date = s.work_date AND l.unit_code = s.unit_code
        WHERE s.work_date BETWEEN :d0 AND :d1)"""


def open_days(expected: dict[tuple[dt.date, str], int] | None) -> dict:
    """The bound parameters of _DAYS for open days: {(work_date, unit_code): staff the
    schedules expect}. On an open day a unit with no one expected shows no row (as on the wall)."""
    expected = expected or {}
    keys = sorted(expected)
    return {"open_d": [d for d, _ in keys], "open_u": [u for _, u in keys],
            "open_n": [expected[k] for k in keys], "open_days": sorted({d for d, _ in keys})}


NEVER = dt.date(1900, 1, 1)


def _days_params(conn: Connection, expected: dict[tuple[dt.date, str], int] | None) -> dict:
    """_DAYS's bound parameters: the rollup's newest day, the first day read live (the day
    after it, or an earlier open day), and the open days (open_days)."""
    upto, params = rolled_up_to(conn), open_days(expected)
    live_from = min([upto + dt.timedelta(days=1), *params["open_days"]])
    return {"upto": upto, "live_from": live_from, **params}


def rolled_up_to(conn: Connection, rollup: str = "unit_day_rollup") -> dt.date:
    """The newest day in a rollup (closed days up to it are there; later days are read live)."""
    assert rollup in ("unit_day_rollup", "arrival_rollup")
    return scalar(conn, f"SELECT max(work_date) FROM {rollup}") or NEVER


def unit_day_counts(conn: Connection, date_from: dt.date, date_to: dt.date, scope: str | None,
                    expected: dict | None = None) -> list[dict]:
    """One row per (work_date, unit_code) in scope (`expected`: see open_days)."""
    return rows(conn, f"""
        WITH {_DAYS}
        SELECT d.* FROM days d JOIN units u ON u.code = d.unit_code
        WHERE {IN_SCOPE} ORDER BY 1, 2""", d0=date_from, d1=date_to, scope=scope,
        **_days_params(conn, expected))


def region_totals(conn: Connection, date_from: dt.date, date_to: dt.date) -> dict:
    """The whole region's counts over [d0, d1] in one row (a province's rollup of it: the
    month's lateness). Open days count who came and who is on leave, not who is expected."""
    return one(conn, f"""
        WITH {_DAYS}
        SELECT {', '.join(f'coalesce(sum(d.{k}), 0)::int AS {k}' for k in COUNT_KEYS)}
        FROM days d JOIN units u ON u.code = d.unit_code""", d0=date_from, d1=date_to,
        **_days_params(conn, None))


def branch_counts(conn: Connection, date_from: dt.date, date_to: dt.date, scope: str | None,
                  node_path: str, by_day: bool = True, expected: dict | None = None) -> list[dict]:
    """Counts per branch under a node (per day, or for the whole range), summed in SQL.

    node_path: the node's unit path ('SETDA/DINKES/'), '' for the region. `branch` is the
    code of the node's child the unit sits under; '' for the node's own people."""
    day = "d.work_date" if by_day else "NULL::date"
    # no filter at all for the region: starts_with(path, '') looks selective to the planner
    # (2 of 155 units), which chose a nested loop over a year of unit-days (500 ms, not 60)
    under = "starts_with(u.path, CAST(:node AS text))" if node_path else "true"
    return rows(conn, f"""
        WITH {_DAYS}
        SELECT {day} AS work_date,
               split_part(substr(u.path, length(CAST(:node AS text)) + 1), '/', 1) AS branch,
               {', '.join(f'sum(d.{k})::int AS {k}' for k in COUNT_KEYS)}
        FROM days d JOIN units u ON u.code = d.unit_code
        WHERE {IN_SCOPE} AND {under}
        GROUP BY 1, 2 ORDER BY 1, 2""", d0=date_from, d1=date_to, scope=scope, node=node_path,
        **_days_params(conn, expected))


def people(conn: Connection, unit_code: str, date_from: dt.date, date_to: dt.date,
           scope: str | None, status: str | None = None, limit: int = 2000) -> list[dict]:
    """The employees working directly in a unit, with their days in the range."""
    where = STATUS_FILTERS.get(status or "", "true")
    return rows(conn, f"""
        SELECT e.id AS employee_id, e.nip, e.name, e.position, {COUNTS},
               min(wd.first_in) AS first_in, max(wd.last_out) AS last_out,
               CASE WHEN count(*) = 1 THEN max(wd.status) END AS status,
               CASE WHEN count(*) = 1 THEN max(wd.late_band) END AS late_band,
               CASE WHEN count(*) = 1 THEN max(wd.early_band) END AS early_band,
               coalesce(sum(wd.deduction_percent), 0) AS deduction_percent
        FROM work_days wd
        JOIN employees e ON e.id = wd.employee_id
        JOIN units u ON u.code = wd.unit_code
        WHERE wd.unit_code = :unit AND wd.work_date BETWEEN :d0 AND :d1 AND {IN_SCOPE} AND {where}
        GROUP BY e.id ORDER BY e.name LIMIT :limit""",
        unit=unit_code, d0=date_from, d1=date_to, scope=scope, limit=limit)


def people_not_in(conn: Connection, unit_code: str, day: dt.date, scope: str | None) -> list[dict]:
    """The active employees working directly in a unit with nothing counted on `day` yet (no
    work day, or one still `belum`), shaped as `people` rows, with their schedule (whether it
    expects them that day is the calendar's question)."""
    return rows(conn, f"""
        SELECT e.id AS employee_id, e.nip, e.name, e.position,
               COALESCE(e.schedule_code, u.schedule_code) AS schedule_code,
               1 AS expected, 0 AS present, 0 AS late, 0 AS on_leave, 0 AS tk, 1 AS not_yet, 0 AS late_minutes,
               NULL::timestamptz AS first_in, NULL::timestamptz AS last_out, 'belum' AS status,
               NULL AS late_band, NULL AS early_band, 0 AS deduction_percent
        FROM employees e JOIN units u ON u.code = e.unit_code
        LEFT JOIN work_days wd ON wd.employee_id = e.id AND wd.work_date = :d
        WHERE e.active AND e.unit_code = :unit AND {IN_SCOPE} AND (wd.employee_id IS NULL OR wd.status = 'belum')
        ORDER BY e.name""", unit=unit_code, d=day, scope=scope)


def find_employees(conn: Connection, words: str, scope: str | None, limit: int = 20) -> list[dict]:
    """Active employees in scope whose NIP starts with `words` or whose name contains them
    (any case); LIKE's wildcards in `words` are taken literally."""
    literal = words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return rows(conn, f"""
        SELECT e.id AS employee_id, e.nip, e.name, e.unit_code, u.name AS unit_name
        FROM employees e JOIN units u ON u.code = e.unit_code
        WHERE e.active AND {IN_SCOPE}
          AND (e.nip LIKE :prefix ESCAPE '\\' OR e.name ILIKE :part ESCAPE '\\')
        ORDER BY e.name LIMIT :limit""", prefix=literal + "%", part="%" + literal + "%", scope=scope, limit=limit)


def employee(conn: Connection, employee_id: int, scope: str | None) -> dict | None:
    return one(conn, f"""
        SELECT e.id, e.nip, e.name, e.position, e.unit_code, u.name AS unit_name
        FROM employees e JOIN units u ON u.code = e.unit_code
        WHERE e.id = :id AND {IN_SCOPE}""", id=employee_id, scope=scope)


def employee_days(conn: Connection, employee_id: int, date_from: dt.date, date_to: dt.date,
                  scope: str | None) -> list[dict]:
    """An employee's work days (the month calendar), only if their unit is in scope."""
    return rows(conn, f"""
        SELECT wd.work_date, wd.status, wd.first_in, wd.midday, wd.last_out, wd.minutes_late,
               wd.minutes_early, wd.late_band, wd.early_band, wd.deduction_percent, wd.is_work_day, wd.sources
        FROM work_days wd JOIN employees e ON e.id = wd.employee_id
        JOIN units u ON u.code = e.unit_code
        WHERE wd.employee_id = :id AND wd.work_date BETWEEN :d0 AND :d1 AND {IN_SCOPE}
        ORDER BY wd.work_date""", id=employee_id, d0=date_from, d1=date_to, scope=scope)


def refresh_rollups(conn: Connection) -> None:
    """Rebuild the rollups after a day close or a recompute (readers are not blocked). Through
    the owner's function: REFRESH needs the views' owner, and the app's role owns nothing.
    In a transaction of its own: on Citus the owner may not read what the app's role wrote
    earlier in the same transaction ("placements modified by a different user")."""
    run(conn, "SELECT pantau_refresh_rollups()")


def whole_weeks(date_from: dt.date, date_to: dt.date, through: dt.date) -> tuple[dt.date, dt.date] | None:
    """The first and last Monday of the weeks that lie whole in the range and end by `through`."""
    first = date_from + dt.timedelta(days=-date_from.weekday() % 7)
    end = min(date_to, through)
    last = end - dt.timedelta(days=(end.weekday() + 1) % 7) - dt.timedelta(days=6)  # the Monday of the last Sunday's week
    return (first, last) if first <= last else None


def arrival_buckets(conn: Connection, date_from: dt.date, date_to: dt.date, scope: str | None) -> list[dict]:
    """First check-ins per unit in 5-minute UTC buckets: whole weeks from the weekly rollup,
    the other closed days from the daily one, later days live."""
    upto = rolled_up_to(conn, "arrival_rollup")
    last_week = scalar(conn, "SELECT max(week) FROM arrival_week_rollup")  # it holds whole weeks only
    weeks = whole_weeks(date_from, date_to, min(upto, last_week + dt.timedelta(days=6) if last_week else NEVER))
    w0, w1 = weeks or (NEVER, NEVER - dt.timedelta(days=7))  # none: an empty week range
    return rows(conn, f"""
        SELECT unit_code, utc_minute, sum(people)::int AS people FROM (
            SELECT w.unit_code, w.utc_minute, w.people
            FROM arrival_week_rollup w
            WHERE w.week BETWEEN :w0 AND :w1 AND {UNIT_IN_SCOPE.format("w")}
            UNION ALL
            SELECT r.unit_code, r.utc_minute, r.people
            FROM arrival_rollup r
            WHERE r.work_date BETWEEN :d0 AND least(CAST(:d1 AS date), CAST(:upto AS date))
              AND NOT r.work_date BETWEEN :w0 AND CAST(:w1 AS date) + 6 AND {UNIT_IN_SCOPE.format("r")}
        ) rolled
        GROUP BY 1, 2
        UNION ALL
        SELECT wd.unit_code,
               (floor((extract(hour FROM wd.first_in AT TIME ZONE 'UTC') * 60
                       + extract(minute FROM wd.first_in AT TIME ZONE 'UTC')) / 5) * 5)::int,
               count(*)::int
        FROM work_days wd JOIN units u ON u.code = wd.unit_code
        WHERE wd.work_date BETWEEN greatest(CAST(:d0 AS date), CAST(:upto AS date) + 1) AND :d1
          AND wd.first_in IS NOT NULL AND {IN_SCOPE}
        GROUP BY 1, 2""", d0=date_from, d1=date_to, scope=scope, upto=upto, w0=w0, w1=w1)
