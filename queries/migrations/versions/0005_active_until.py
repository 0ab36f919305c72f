"""employees.active_until: the last day in service of an employee who leaves (pensiun,
mutasi keluar). After it no TK is written and they are not expected on the wall.

Revision ID: 0005_active_until
Revises: 0002_days
"""
from alembic import op

revision = "0005_active_until"
down_revision = "0002_days"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE employees ADD COLUMN IF NOT EXISTS active_until date")


def downgrade() -> None:
    op.execute("ALTER TABLE employees DROP COLUMN IF EXISTS active_until")
