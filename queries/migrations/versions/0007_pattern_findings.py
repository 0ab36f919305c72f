"""Patterns found across check-ins (impossible travel, repeated positions, shared phones,
pairs who always arrive together, buddy punching, reused selfies), one row per finding,
written by the scan and never updated; and each stored selfie's perceptual hash, computed
once.

Revision ID: 0007_pattern_findings
Revises: 0006_device_id_index
"""
from alembic import op

revision = "0007_pattern_findings"
down_revision = "0006_device_id_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE IF NOT EXISTS pattern_findings (
            id            bigserial PRIMARY KEY,
            kind          text NOT NULL,
            work_date     date NOT NULL,
            employee_ids  bigint[] NOT NULL,
            check_in_ids  bigint[] NOT NULL,
            evidence      jsonb NOT NULL DEFAULT '{}',
            message_id    text NOT NULL,
            message_en    text NOT NULL,
            found_at      timestamptz NOT NULL DEFAULT now(),
            UNIQUE (kind, employee_ids, check_in_ids)
        )""")
    op.execute("CREATE INDEX IF NOT EXISTS pattern_findings_date_idx ON pattern_findings (work_date)")
    op.execute("""
        CREATE TABLE IF NOT EXISTS selfie_hashes (
            selfie_sha256 text PRIMARY KEY,
            phash         text            -- 16 hex digits; NULL when the file is no readable image
        )""")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS selfie_hashes")
    op.execute("DROP TABLE IF EXISTS pattern_findings")
