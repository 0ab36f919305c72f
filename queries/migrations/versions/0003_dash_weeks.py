"""Arrival-time buckets per week: the trends page's quarter of arrivals read ~60,000 rows
instead of ~200,000 (a cold trends page spent ~50 ms summing the daily rollup).

Built from arrival_rollup, so `refresh_rollups` refreshes it after that one. It holds only
the weeks that were whole in arrival_rollup when it was built (Monday + 6 days up to its
newest day), so a refresh adds a week's rows and rewrites none;
queries.dashboard.arrival_buckets reads the other days from the daily rollup.

Revision ID: 0003_dash_weeks
Revises: 0002_dash
"""
from alembic import op

revision = "0003_dash_weeks"
down_revision = "0002_dash"
branch_labels = None
depends_on = None

SCHEMA = r"""
CREATE MATERIALIZED VIEW arrival_week_rollup AS
SELECT CAST(date_trunc('week', r.work_date) AS date) AS week, r.unit_code, r.utc_minute,
       sum(r.people)::int AS people
FROM arrival_rollup r
WHERE CAST(date_trunc('week', r.work_date) AS date) + 6 <= (SELECT max(work_date) FROM arrival_rollup)
GROUP BY 1, 2, 3
WITH DATA;
CREATE UNIQUE INDEX arrival_week_rollup_key ON arrival_week_rollup (week, unit_code, utc_minute);
"""


def upgrade() -> None:
    op.execute(SCHEMA)


def downgrade() -> None:
    op.execute("DROP MATERIALIZED VIEW IF EXISTS arrival_week_rollup")
