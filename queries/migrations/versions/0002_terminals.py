"""Terminals: every ATTLOG line as sent, operation logs, photos' metadata, the command queue,
and where pull mode left off.

terminal_logs keeps each parseable line once per (sn, pin, terminal time): a terminal that
re-sends a batch (lost reply, reboot) lands on the primary key and changes nothing. Lines
that cannot be parsed go to terminal_bad_lines with their reason. No foreign key on
employee_id: backlogs are inserted by the hundred thousand and the id comes from a lookup
in the same transaction.

Revision ID: 0002_terminals
Revises: 0001
"""
from alembic import op

revision = "0002_terminals"
down_revision = "0001"
branch_labels = None
depends_on = None

SCHEMA = r"""
CREATE TABLE terminal_logs (
    sn          text NOT NULL,
    pin         text NOT NULL,
    local_time  timestamp NOT NULL,     -- the terminal's wall clock, as sent (no zone)
    punch_state text,                   -- 0 in, 1 out, 2 break out, ... (as the terminal says)
    verify      text,                   -- 1 finger, 15 face, 4 card, ...
    workcode    text,
    raw         text NOT NULL,
    via         text NOT NULL CHECK (via IN ('push', 'pull', 'file')),
    state       text NOT NULL CHECK (state IN ('applied', 'unmatched', 'pending', 'rejected')),
    reason      text,
    employee_id bigint,
    received_at timestamptz NOT NULL,
    applied_at  timestamptz,
    PRIMARY KEY (sn, pin, local_time)
);
-- lines waiting for an approval or a PIN mapping
CREATE INDEX terminal_logs_waiting_idx ON terminal_logs (sn) WHERE state IN ('pending', 'unmatched');
CREATE INDEX terminal_logs_unmatched_pin_idx ON terminal_logs (pin) WHERE state = 'unmatched';

CREATE TABLE terminal_bad_lines (
    sn            text NOT NULL,
    line_hash     text NOT NULL,         -- md5 of the raw line: a resent bad line is not stored twice
    raw           text NOT NULL,
    reason        text NOT NULL,
    via           text NOT NULL,
    first_seen_at timestamptz NOT NULL,
    PRIMARY KEY (sn, line_hash)
);

-- OPERLOG and other tables the terminal pushes (OPLOG, USER, FP, FACE, BIODATA, ...).
-- Biometric templates are not kept: only the kind, PIN and a digest (UU 27/2022).
CREATE TABLE terminal_operlogs (
    sn          text NOT NULL,
    line_hash   text NOT NULL,
    table_name  text NOT NULL,
    kind        text NOT NULL,
    pin         text,
    content     text NOT NULL,
    received_at timestamptz NOT NULL,
    PRIMARY KEY (sn, line_hash)
);

-- ATTPHOTO uploads: acknowledged, metadata and digest kept, the picture itself is not.
CREATE TABLE terminal_photos (
    sn          text NOT NULL,
    filename    text NOT NULL,
    pin         text,
    size        int NOT NULL,
    sha256      text NOT NULL,
    received_at timestamptz NOT NULL,
    PRIMARY KEY (sn, filename)
);

-- Commands for a terminal, handed out on its next heartbeat as C:<id>:<command>.
CREATE TABLE terminal_commands (
    id          bigserial PRIMARY KEY,
    sn          text NOT NULL REFERENCES terminals (sn),
    kind        text NOT NULL,
    command     text NOT NULL,
    queued_at   timestamptz NOT NULL,
    queued_by   text NOT NULL,
    attempts    int NOT NULL DEFAULT 0,
    sent_at     timestamptz,
    result      int,
    result_text text,
    result_at   timestamptz
);
CREATE INDEX terminal_commands_open_idx ON terminal_commands (sn, id) WHERE result_at IS NULL;

-- Terminals read over TCP 4370 (pull mode) and where the last read stopped.
CREATE TABLE terminal_pull_sources (
    sn              text PRIMARY KEY REFERENCES terminals (sn),
    host            text NOT NULL,
    port            int NOT NULL DEFAULT 4370,
    last_local_time timestamp,
    last_pulled_at  timestamptz,
    last_count      int,
    last_error      text
);
"""

TABLES = ("terminal_pull_sources", "terminal_commands", "terminal_photos", "terminal_operlogs",
          "terminal_bad_lines", "terminal_logs")


def upgrade() -> None:
    op.execute(SCHEMA)


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
