"""dashboard_sessions: one row per dashboard login, so a logout ends that session on the
server. A copy of the signed cookie taken before the logout names a session that is over.

Revision ID: 0006_dashboard_sessions
Revises: 0001
"""
from alembic import op

revision = "0006_dashboard_sessions"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE IF NOT EXISTS dashboard_sessions (
            id_hash    text PRIMARY KEY,          -- SHA-256 of the random id in the cookie
            user_id    bigint NOT NULL REFERENCES users (id),
            started_at timestamptz NOT NULL DEFAULT now(),
            expires_at timestamptz NOT NULL,
            ended_at   timestamptz
        );
        CREATE INDEX IF NOT EXISTS dashboard_sessions_expires_idx ON dashboard_sessions (expires_at);
    """)


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS dashboard_sessions")
