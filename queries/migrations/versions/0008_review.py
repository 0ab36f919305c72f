"""Review of check-ins: why a check-in waits for review (flags, from the judge, the server's
face match, the pattern scan or the trust score) and what BKPP or the inspectorate decided
(`sah` or `tolak`). Both are insert-only: a later decision on the same check-in supersedes an
earlier one, and both stay. check_ins itself is never rewritten.

Revision ID: 0008_review
Revises: 0007_pattern_findings
"""
from alembic import op

revision = "0008_review"
down_revision = "0007_pattern_findings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE IF NOT EXISTS check_in_flags (
            id           bigserial PRIMARY KEY,
            check_in_id  bigint NOT NULL REFERENCES check_ins (id),
            source       text NOT NULL CHECK (source IN ('judge', 'face', 'pattern', 'trust')),
            kind         text NOT NULL,           -- a reason or pattern code: face_server_mismatch, shared_device, ...
            weight       real NOT NULL DEFAULT 0, -- its share of the trust score (rules.patterns weights)
            evidence     jsonb NOT NULL DEFAULT '{}',
            flagged_at   timestamptz NOT NULL DEFAULT now(),
            UNIQUE (check_in_id, source, kind)
        )""")
    op.execute("CREATE INDEX IF NOT EXISTS check_in_flags_check_in_idx ON check_in_flags (check_in_id)")
    op.execute("""
        CREATE TABLE IF NOT EXISTS review_decisions (
            id           bigserial PRIMARY KEY,
            check_in_id  bigint NOT NULL REFERENCES check_ins (id),
            decision     text NOT NULL CHECK (decision IN ('sah', 'tolak')),
            note         text NOT NULL DEFAULT '',
            decided_by   text NOT NULL,           -- a dashboard username, or 'system:face' for an automatic refusal
            decided_at   timestamptz NOT NULL DEFAULT now()
        )""")
    op.execute("CREATE INDEX IF NOT EXISTS review_decisions_check_in_idx ON review_decisions (check_in_id, decided_at DESC)")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS review_decisions")
    op.execute("DROP TABLE IF EXISTS check_in_flags")
