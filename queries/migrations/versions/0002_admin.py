"""Administration: who attended an event (apel, upacara) by QR.

One row per employee and event, pointing at the accepted `qr` check-in (check_ins stays
append-only and holds refused scans too). Invitees get an index for the missing list.

Revision ID: 0002_admin
Revises: 0001
"""
from alembic import op

revision = "0002_admin"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE event_attendances (
            event_id    bigint NOT NULL REFERENCES events (id),
            employee_id bigint NOT NULL REFERENCES employees (id),
            check_in_id bigint NOT NULL UNIQUE REFERENCES check_ins (id),
            attended_at timestamptz NOT NULL,
            PRIMARY KEY (event_id, employee_id)
        );
        CREATE INDEX IF NOT EXISTS event_invitees_event_idx ON event_invitees (event_id);
    """)


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS event_attendances; DROP INDEX IF EXISTS event_invitees_event_idx;")
