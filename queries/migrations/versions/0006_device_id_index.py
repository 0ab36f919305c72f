"""An index on the phones' own ids among active bindings: activation refuses a phone bound
to another active account, and every token lookup asks whether its phone was bound to
someone else first (one phone, one account, both ways). Not unique: bindings made before
the rule may share a phone and are listed for BKPP instead of failing the upgrade.

Revision ID: 0006_device_id_index
Revises: 0005_active_until
"""
from alembic import op

revision = "0006_device_id_index"
down_revision = "0005_active_until"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE INDEX IF NOT EXISTS devices_active_device_id_idx ON devices (device_id) "
               "WHERE revoked_at IS NULL")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS devices_active_device_id_idx")
