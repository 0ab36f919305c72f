"""terminal_logs becomes write-once: a line's state moves to terminal_log_states.

The app's role may INSERT into terminal_logs but never UPDATE or DELETE it (see
queries/roles.py), so what a terminal sent cannot be rewritten. What happens to a line
afterwards (held, stored, applied, unmatched, rejected; its employee and when it was
applied) changes, and lives in terminal_log_states, one row per line under the same key,
written together with the line by queries.terminals.insert_logs. terminal_log_lines shows
both as the old table did.

Revision ID: 0005_terminal_log_states
Revises: 0004_terminal_logs_stored
"""
from alembic import op

revision = "0005_terminal_log_states"
down_revision = "0004_terminal_logs_stored"
branch_labels = None
depends_on = None

STATES = "'applied', 'unmatched', 'pending', 'rejected', 'stored'"


def upgrade() -> None:
    op.execute(f"""
        CREATE TABLE terminal_log_states (
            sn          text NOT NULL,
            pin         text NOT NULL,
            local_time  timestamp NOT NULL,
            state       text NOT NULL CHECK (state IN ({STATES})),
            reason      text,
            employee_id bigint,
            applied_at  timestamptz,
            PRIMARY KEY (sn, pin, local_time)
        );
        INSERT INTO terminal_log_states (sn, pin, local_time, state, reason, employee_id, applied_at)
        SELECT sn, pin, local_time, state, reason, employee_id, applied_at FROM terminal_logs;
        -- the indexes the old state column had, now on the states
        CREATE INDEX terminal_log_states_waiting_idx ON terminal_log_states (sn) WHERE state IN ('pending', 'unmatched');
        CREATE INDEX terminal_log_states_unmatched_pin_idx ON terminal_log_states (pin) WHERE state = 'unmatched';
        CREATE INDEX terminal_log_states_stored_idx ON terminal_log_states (sn, pin, local_time) WHERE state = 'stored';
        ALTER TABLE terminal_logs DROP COLUMN state, DROP COLUMN reason, DROP COLUMN employee_id,
            DROP COLUMN applied_at;
        CREATE VIEW terminal_log_lines AS
            SELECT l.*, s.state, s.reason, s.employee_id, s.applied_at
            FROM terminal_logs l JOIN terminal_log_states s USING (sn, pin, local_time);""")


def downgrade() -> None:
    op.execute(f"""
        DROP VIEW IF EXISTS terminal_log_lines;
        ALTER TABLE terminal_logs ADD COLUMN state text, ADD COLUMN reason text,
            ADD COLUMN employee_id bigint, ADD COLUMN applied_at timestamptz;
        UPDATE terminal_logs l SET state = s.state, reason = s.reason, employee_id = s.employee_id,
               applied_at = s.applied_at
        FROM terminal_log_states s WHERE (s.sn, s.pin, s.local_time) = (l.sn, l.pin, l.local_time);
        ALTER TABLE terminal_logs ALTER COLUMN state SET NOT NULL,
            ADD CONSTRAINT terminal_logs_state_check CHECK (state IN ({STATES}));
        CREATE INDEX terminal_logs_waiting_idx ON terminal_logs (sn) WHERE state IN ('pending', 'unmatched');
        CREATE INDEX terminal_logs_unmatched_pin_idx ON terminal_logs (pin) WHERE state = 'unmatched';
        CREATE INDEX terminal_logs_stored_idx ON terminal_logs (sn, pin, local_time) WHERE state = 'stored';
        DROP TABLE terminal_log_states;""")
