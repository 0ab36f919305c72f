"""Work days to refresh: (employee, date) pairs whose check-ins were stored in bulk (a
terminal backlog) and whose work day is derived later, set-based, by the worker.

The pair is written in the same transaction as its check-ins, so a crash between the
upload and the refresh loses nothing; a pair already waiting is not queued twice.

Revision ID: 0003_work_day_queue
Revises: 0002_terminals
"""
from alembic import op

revision = "0003_work_day_queue"
down_revision = "0002_terminals"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE work_day_queue (
            employee_id bigint NOT NULL,
            work_date   date NOT NULL,
            queued_at   timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (employee_id, work_date)
        )""")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS work_day_queue")
