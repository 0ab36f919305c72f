"""Dashboard rollups: per unit and day counts, and arrival-time buckets.

Only closed days are rolled up (a closed day changes only on recompute, after which
`queries.dashboard.refresh_rollups` runs); days after the newest rolled-up day are read
live from work_days, so the dashboard is never behind. Matching the issue's speed
targets on a year of history needs these: a year of work_days is ~4 M rows.

Revision ID: 0002_dash
Revises: 0001
"""
from alembic import op

revision = "0002_dash"
down_revision = "0001"
branch_labels = None
depends_on = None

SCHEMA = r"""
CREATE MATERIALIZED VIEW unit_day_rollup AS
SELECT work_date, unit_code,
       count(*) FILTER (WHERE is_work_day AND status <> 'libur')           AS expected,
       count(*) FILTER (WHERE status = 'hadir')                              AS present,
       count(*) FILTER (WHERE status = 'hadir' AND minutes_late > 0)         AS late,
       count(*) FILTER (WHERE status NOT IN ('hadir', 'tk', 'libur', 'belum')) AS on_leave,
       count(*) FILTER (WHERE status = 'tk')                                 AS tk,
       count(*) FILTER (WHERE status = 'belum')                              AS not_yet,
       coalesce(sum(minutes_late) FILTER (WHERE status = 'hadir'), 0)        AS late_minutes
FROM work_days WHERE closed
GROUP BY work_date, unit_code
WITH DATA;
CREATE UNIQUE INDEX unit_day_rollup_key ON unit_day_rollup (work_date, unit_code);

-- first check-in per person and day, in 5-minute buckets of UTC minute-of-day
-- (Indonesian zones have no DST, so the page shifts by a fixed offset per unit).
CREATE MATERIALIZED VIEW arrival_rollup AS
SELECT work_date, unit_code,
       (floor((extract(hour FROM first_in AT TIME ZONE 'UTC') * 60
               + extract(minute FROM first_in AT TIME ZONE 'UTC')) / 5) * 5)::int AS utc_minute,
       count(*) AS people
FROM work_days WHERE closed AND first_in IS NOT NULL
GROUP BY 1, 2, 3
WITH DATA;
CREATE UNIQUE INDEX arrival_rollup_key ON arrival_rollup (work_date, unit_code, utc_minute);

-- the selfie route checks scope by the selfie hash
CREATE INDEX check_ins_selfie_idx ON check_ins (selfie_sha256) WHERE selfie_sha256 IS NOT NULL;
"""


def upgrade() -> None:
    op.execute(SCHEMA)


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS check_ins_selfie_idx")
    op.execute("DROP MATERIALIZED VIEW IF EXISTS arrival_rollup")
    op.execute("DROP MATERIALIZED VIEW IF EXISTS unit_day_rollup")
