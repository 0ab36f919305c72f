"""Administration: events can be cancelled (kept for the audit trail, never deleted).

A cancelled event refuses scans, drops out of the recap's missed-apel deduction and is
shown struck through on the events page.

Revision ID: 0003_admin
Revises: 0002_admin
"""
from alembic import op

revision = "0003_admin"
down_revision = "0002_admin"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        ALTER TABLE events ADD COLUMN IF NOT EXISTS cancelled_at timestamptz;
        ALTER TABLE events ADD COLUMN IF NOT EXISTS cancelled_by text;
        ALTER TABLE events ADD COLUMN IF NOT EXISTS cancel_reason text;
    """)


def downgrade() -> None:
    op.execute("ALTER TABLE events DROP COLUMN IF EXISTS cancelled_at, DROP COLUMN IF EXISTS cancelled_by, "
               "DROP COLUMN IF EXISTS cancel_reason")
