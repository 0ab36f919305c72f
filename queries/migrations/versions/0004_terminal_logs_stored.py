"""terminal_logs state 'stored': a backlog line kept (durable, deduplicated, acknowledged)
but not yet applied to check-ins and work days; the worker applies such lines set-based.

Revision ID: 0004_terminal_logs_stored
Revises: 0003_work_day_queue
"""
from alembic import op

revision = "0004_terminal_logs_stored"
down_revision = "0003_work_day_queue"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        ALTER TABLE terminal_logs DROP CONSTRAINT IF EXISTS terminal_logs_state_check;
        ALTER TABLE terminal_logs ADD CONSTRAINT terminal_logs_state_check
            CHECK (state IN ('applied', 'unmatched', 'pending', 'rejected', 'stored'));
        -- the worker's apply walks one terminal's stored lines in key order
        CREATE INDEX terminal_logs_stored_idx ON terminal_logs (sn, pin, local_time) WHERE state = 'stored';""")


def downgrade() -> None:
    op.execute("""
        DROP INDEX IF EXISTS terminal_logs_stored_idx;
        ALTER TABLE terminal_logs DROP CONSTRAINT IF EXISTS terminal_logs_state_check;
        ALTER TABLE terminal_logs ADD CONSTRAINT terminal_logs_state_check
            CHECK (state IN ('applied', 'unmatched', 'pending', 'rejected'));""")
