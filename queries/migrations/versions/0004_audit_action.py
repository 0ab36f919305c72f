"""The audit log by action: the viewer's action filter and the config-change check at start.

Revision ID: 0004_audit_action
Revises: 0003_admin
"""
from alembic import op

revision = "0004_audit_action"
down_revision = "0003_admin"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE INDEX IF NOT EXISTS audit_log_action_idx ON audit_log (action, id)")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS audit_log_action_idx")
