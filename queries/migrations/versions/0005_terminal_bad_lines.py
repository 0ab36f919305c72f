"""terminal_bad_lines keeps every acknowledged malformed line: the same line n times in one
upload is n rows (occurrence 1..n), so a resend adds none; the line is kept up to 1 KB with
its full length, and a reason code beside the English reason (the admin page words the
code in Indonesian). Insert-only: nothing here is ever updated.

Revision ID: 0005_terminal_bad_lines
Revises: 0004_terminal_logs_stored
"""
from alembic import op

revision = "0005_terminal_bad_lines"
down_revision = "0004_terminal_logs_stored"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        ALTER TABLE terminal_bad_lines
            ADD COLUMN occurrence int NOT NULL DEFAULT 1,
            ADD COLUMN raw_length int,
            ADD COLUMN code text,
            ADD COLUMN line_no int;
        UPDATE terminal_bad_lines SET raw_length = length(raw), code = CASE
            WHEN reason LIKE 'binary data%' THEN 'binary'
            WHEN reason LIKE '%field(s)%' THEN 'fields'
            WHEN reason = 'PIN is empty' THEN 'pin_empty'
            WHEN reason LIKE 'PIN %' THEN 'pin_invalid'
            WHEN reason LIKE 'time %' THEN 'time_invalid'
            ELSE 'unusable' END;
        ALTER TABLE terminal_bad_lines
            ALTER COLUMN occurrence DROP DEFAULT,
            ALTER COLUMN raw_length SET NOT NULL,
            ALTER COLUMN code SET NOT NULL;
        -- each constraint an ALTER of its own: Citus refuses ADD CONSTRAINT among other subcommands
        ALTER TABLE terminal_bad_lines
            ADD CONSTRAINT terminal_bad_lines_raw_kept CHECK (length(raw) <= 1024) NOT VALID;
        ALTER TABLE terminal_bad_lines DROP CONSTRAINT terminal_bad_lines_pkey;
        ALTER TABLE terminal_bad_lines ADD PRIMARY KEY (sn, line_hash, occurrence);
        CREATE INDEX terminal_bad_lines_seen_idx ON terminal_bad_lines (first_seen_at DESC);""")


def downgrade() -> None:
    op.execute("""
        DROP INDEX IF EXISTS terminal_bad_lines_seen_idx;
        DELETE FROM terminal_bad_lines WHERE occurrence > 1;
        ALTER TABLE terminal_bad_lines
            DROP CONSTRAINT terminal_bad_lines_pkey,
            DROP CONSTRAINT terminal_bad_lines_raw_kept,
            ADD PRIMARY KEY (sn, line_hash),
            DROP COLUMN occurrence, DROP COLUMN raw_length, DROP COLUMN code, DROP COLUMN line_no;""")
