"""The rollups are refreshed through a function that runs as the schema's owner.

REFRESH MATERIALIZED VIEW needs the view's owner (Postgres before 17 has no MAINTAIN
privilege), and the app's role owns nothing (queries/roles.py). The worker calls
pantau_refresh_rollups() instead; it refreshes exactly these views, in this order (the
weeks are built from arrival_rollup). A new rollup is added here by a later migration.

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
        REVOKE ALL ON FUNCTION pantau_refresh_rollups() FROM PUBLIC;""")


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS pantau_refresh_rollups()")
