"""The province's login (`provinsi`): it sees the rollups of the regions whose
`region.parent` is its region, never their people (nor its own region's).

Revision ID: 0011_provinsi_role
Revises: 0010_inspektorat_role
"""
from alembic import op

revision = "0011_provinsi_role"
down_revision = "0010_inspektorat_role"
branch_labels = None
depends_on = None

_ROLES = "'kepala_daerah', 'sekda', 'bkpp', 'kepala_unit', 'admin_unit', 'inspektorat'"


def upgrade() -> None:
    op.execute("ALTER TABLE users DROP CONSTRAINT IF EXISTS users_role_check")
    op.execute(f"ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ({_ROLES}, 'provinsi'))")


def downgrade() -> None:
    op.execute("ALTER TABLE users DROP CONSTRAINT IF EXISTS users_role_check")
    op.execute(f"ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ({_ROLES}))")
