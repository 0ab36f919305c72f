"""The dashboard's rollups become tables of the region's schema, refreshed by the owner's
function in one transaction (delete all, insert again) instead of REFRESH MATERIALIZED VIEW.

On Citus a materialized view is not distributed: it stays on the coordinator, and the
per-unit counts that read it beside the live work_days on the worker were planned in
several steps through the coordinator. As tables of the region's distributed schema they
live on its worker with work_days, and those reads are one task there (bench/regions).
Readers still see the old rows until the refresh commits; a region-keyed advisory lock
serialises two refreshes (REFRESH ... CONCURRENTLY took a lock on the view for that). The
app's role reads them and may not write them (queries/roles.py OWNER_ONLY).

Revision ID: 0005_rollup_tables
Revises: 0004_refresh_rollups
"""
from alembic import op

revision = "0005_rollup_tables"
down_revision = "0004_refresh_rollups"
branch_labels = None
depends_on = None

# name: (columns, unique key, the query), in refresh order (the weeks read arrival_rollup)
ROLLUPS = {
    "unit_day_rollup": ("""work_date date NOT NULL, unit_code text NOT NULL, expected bigint NOT NULL,
        present bigint NOT NULL, late bigint NOT NULL, on_leave bigint NOT NULL, tk bigint NOT NULL,
        not_yet bigint NOT NULL, late_minutes bigint NOT NULL""", "work_date, unit_code", """
        SELECT work_date, unit_code,
               count(*) FILTER (WHERE is_work_day AND status <> 'libur'),
               count(*) FILTER (WHERE status = 'hadir'),
               count(*) FILTER (WHERE status = 'hadir' AND minutes_late > 0),
               count(*) FILTER (WHERE status NOT IN ('hadir', 'tk', 'libur', 'belum')),
               count(*) FILTER (WHERE status = 'tk'),
               count(*) FILTER (WHERE status = 'belum'),
               coalesce(sum(minutes_late) FILTER (WHERE status = 'hadir'), 0)
        FROM work_days WHERE closed
        GROUP BY work_date, unit_code"""),
    "arrival_rollup": ("work_date date NOT NULL, unit_code text NOT NULL, utc_minute int NOT NULL, "
                       "people bigint NOT NULL", "work_date, unit_code, utc_minute", """
        SELECT work_date, unit_code,
               (floor((extract(hour FROM first_in AT TIME ZONE 'UTC') * 60
                       + extract(minute FROM first_in AT TIME ZONE 'UTC')) / 5) * 5)::int,
               count(*)
        FROM work_days WHERE closed AND first_in IS NOT NULL
        GROUP BY 1, 2, 3"""),
    "arrival_week_rollup": ("week date NOT NULL, unit_code text NOT NULL, utc_minute int NOT NULL, "
                            "people int NOT NULL", "week, unit_code, utc_minute", """
        SELECT {monday}, r.unit_code, r.utc_minute, sum(r.people)::int
        FROM arrival_rollup r
        WHERE {monday} + 6 <= {last}
        GROUP BY 1, 2, 3"""),
}
# the weeks whole in arrival_rollup: up to its newest day (a variable in the function).
LAST = "(SELECT max(work_date) FROM arrival_rollup)"
# the week's Monday, as date_trunc('week', ...) gives it: Citus 13 pushes an INSERT ... SELECT
# whose first column is that stable expression down with a broken `WHERE ( IS NOT NULL)`
MONDAY = "(r.work_date - (extract(isodow FROM r.work_date)::int - 1))"


def _schema() -> str:
    return op.get_bind().exec_driver_sql("SELECT quote_ident(current_schema())").scalar()


def _refresh_function(schema: str, body: str, declare: str = "") -> str:
    # pg_temp last: a temporary table of the caller can never stand in for a rollup
    return f"""
        CREATE OR REPLACE FUNCTION pantau_refresh_rollups() RETURNS void
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
        {declare}
        BEGIN
            {body}
        END $$;
        REVOKE ALL ON FUNCTION pantau_refresh_rollups() FROM PUBLIC;"""


def upgrade() -> None:
    for name in reversed(ROLLUPS):
        op.execute(f"DROP MATERIALIZED VIEW {name}")
    for name, (columns, key, _) in ROLLUPS.items():
        op.execute(f"CREATE TABLE {name} ({columns}, PRIMARY KEY ({key}))")
    body = ["PERFORM pg_advisory_xact_lock(hashtext(current_schema() || '/rollups'), 0);"]
    for name, (_, _, query) in ROLLUPS.items():
        if "{last}" in query:   # read first: one statement less for Citus to plan
            body.append("SELECT max(work_date) INTO last_day FROM arrival_rollup;")
        body.append(f"DELETE FROM {name}; INSERT INTO {name} {query.format(last='last_day', monday=MONDAY)};")
    op.execute(_refresh_function(_schema(), "\n".join(body), "DECLARE last_day date;"))
    op.execute("SELECT pantau_refresh_rollups()")


def downgrade() -> None:
    for name in reversed(ROLLUPS):
        op.execute(f"DROP TABLE {name}")
    for name, (_, key, query) in ROLLUPS.items():
        columns = {"unit_day_rollup": "work_date, unit_code, expected, present, late, on_leave, tk, not_yet, "
                                      "late_minutes",
                   "arrival_rollup": "work_date, unit_code, utc_minute, people",
                   "arrival_week_rollup": "week, unit_code, utc_minute, people"}[name]
        op.execute(f"CREATE MATERIALIZED VIEW {name} ({columns}) AS {query.format(last=LAST, monday=MONDAY)} WITH DATA")
        op.execute(f"CREATE UNIQUE INDEX {name}_key ON {name} ({key})")
    op.execute(_refresh_function(_schema(), "\n".join(
        f"REFRESH MATERIALIZED VIEW CONCURRENTLY {name};" for name in ROLLUPS)))
