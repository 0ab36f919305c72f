"""The server's face check: each employee's reference face (insert-only: a replacement is a
new row, the latest stands and the old ones stay), and the queue of selfies to match, one row
per check-in with a selfie, written in the check-in's own transaction and settled by the
worker (distance, model version, result).

Revision ID: 0009_faces
Revises: 0008_review
"""
from alembic import op

revision = "0009_faces"
down_revision = "0008_review"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE IF NOT EXISTS face_enrolments (
            id            bigserial PRIMARY KEY,
            employee_id   bigint NOT NULL REFERENCES employees (id),
            descriptor    double precision[] NOT NULL CHECK (cardinality(descriptor) = 128),
            model         text NOT NULL,              -- descriptors of two model versions do not compare
            source        text NOT NULL CHECK (source IN ('photo', 'selfie')),
            check_in_id   bigint REFERENCES check_ins (id),   -- the approved selfie's check-in
            photo_sha256  text NOT NULL,              -- the photo, stored like a selfie (by content)
            enrolled_by   text NOT NULL,
            enrolled_at   timestamptz NOT NULL DEFAULT now(),
            CHECK ((source = 'selfie') = (check_in_id IS NOT NULL))
        )""")
    op.execute("CREATE INDEX IF NOT EXISTS face_enrolments_employee_idx ON face_enrolments (employee_id, id DESC)")
    op.execute("""
        CREATE TABLE IF NOT EXISTS face_matches (
            check_in_id    bigint PRIMARY KEY REFERENCES check_ins (id),
            employee_id    bigint NOT NULL REFERENCES employees (id),
            selfie_sha256  text NOT NULL,
            queued_at      timestamptz NOT NULL DEFAULT now(),
            result         text CHECK (result IN ('match', 'mismatch', 'no_face', 'no_enrolment', 'error')),
            distance       real,
            model          text,
            enrolment_id   bigint REFERENCES face_enrolments (id),
            detail         text,                      -- why no face, or the error
            matched_at     timestamptz,
            CHECK ((result IS NULL) = (matched_at IS NULL))
        )""")
    op.execute("CREATE INDEX IF NOT EXISTS face_matches_waiting_idx ON face_matches (queued_at, check_in_id) "
               "WHERE matched_at IS NULL")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS face_matches")
    op.execute("DROP TABLE IF EXISTS face_enrolments")
