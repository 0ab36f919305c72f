"""Work days: the record of closed dates, and when an employee's work days begin.

day_closes: a date is closed once its last check-in window has passed; from then on a
missing record is TK / TL4 / PSW4, and recompute keeps that (idempotent re-closes count
in `runs`). employees.active_from: no TK is written for days before an employee joined
(NULL: no limit, e.g. everyone present at go-live).

Revision ID: 0002_days
Revises: 0001
"""
from alembic import op

revision = "0002_days"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE day_closes (
            work_date  date PRIMARY KEY,
            closed_at  timestamptz NOT NULL DEFAULT now(),
            closed_by  text NOT NULL,
            runs       int NOT NULL DEFAULT 1
        );
        ALTER TABLE employees ADD COLUMN IF NOT EXISTS active_from date;
        -- the yearly TK count (PP 94/2021 sanctions) reads only TK rows
        CREATE INDEX IF NOT EXISTS work_days_tk_idx ON work_days (employee_id, work_date) WHERE status = 'tk';
    """)


def downgrade() -> None:
    op.execute("""
        DROP INDEX IF EXISTS work_days_tk_idx;
        ALTER TABLE employees DROP COLUMN IF EXISTS active_from;
        DROP TABLE IF EXISTS day_closes;
    """)
