"""A password BKPP set for someone (a temporary one, shown once on /admin/users) must be
changed at its first login: until then the login opens /password only.

Revision ID: 0012_temporary_password
Revises: 0011_provinsi_role
"""
from alembic import op

revision = "0012_temporary_password"
down_revision = "0011_provinsi_role"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE users ADD COLUMN IF NOT EXISTS must_change_password boolean NOT NULL DEFAULT false")


def downgrade() -> None:
    op.execute("ALTER TABLE users DROP COLUMN IF EXISTS must_change_password")
