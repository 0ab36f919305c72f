"""The inspectorate's login (`inspektorat`): it reviews flagged check-ins and patterns across
the whole region, like BKPP, and downloads the month's findings.

Revision ID: 0010_inspektorat_role
Revises: 0009_faces
"""
from alembic import op

revision = "0010_inspektorat_role"
down_revision = "0009_faces"
branch_labels = None
depends_on = None

_ROLES = "'kepala_daerah', 'sekda', 'bkpp', 'kepala_unit', 'admin_unit'"


def upgrade() -> None:
    op.execute("ALTER TABLE users DROP CONSTRAINT IF EXISTS users_role_check")
    op.execute(f"ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ({_ROLES}, 'inspektorat'))")


def downgrade() -> None:
    op.execute("ALTER TABLE users DROP CONSTRAINT IF EXISTS users_role_check")
    op.execute(f"ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ({_ROLES}))")
