"""The rollups are refreshed, and statistics taken after a bulk load, through functions that
run as the schema's owner.

REFRESH MATERIALIZED VIEW and ANALYZE need the owner (Postgres before 17 has no MAINTAIN
privilege), and the app's role owns nothing (queries/roles.py). The worker calls
pantau_refresh_rollups() instead; it refreshes exactly these views, in this order (the
weeks are built from arrival_rollup). pantau_analyze() analyses the tables a demo or bench
load fills. A new rollup or table is added here by a later migration.

Revision ID: 0004_refresh_rollups
Revises: 0003_dash_weeks
"""
from alembic import op

revision = "0004_refresh_rollups"
down_revision = "0003_dash_weeks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # pg_temp last: a temporary table of the caller can never stand in for a view
    schema = op.get_bind().exec_driver_sql("SELECT quote_ident(current_schema())").scalar()
    op.execute(f"""
        CREATE FUNCTION pantau_refresh_rollups() RETURNS void
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
        BEGIN
            REFRESH MATERIALIZED VIEW CONCURRENTLY unit_day_rollup;
            REFRESH MATERIALIZED VIEW CONCURRENTLY arrival_rollup;
            REFRESH MATERIALIZED VIEW CONCURRENTLY arrival_week_rollup;
        END $$;
        REVOKE ALL ON FUNCTION pantau_refresh_rollups() FROM PUBLIC;
        CREATE FUNCTION pantau_analyze() RETURNS void
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
        BEGIN
            ANALYZE employees, check_ins, leaves, work_days, unit_day_rollup, arrival_rollup;
        END $$;
        REVOKE ALL ON FUNCTION pantau_analyze() FROM PUBLIC;""")


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS pantau_analyze(); DROP FUNCTION IF EXISTS pantau_refresh_rollups()")
