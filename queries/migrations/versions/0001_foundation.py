"""Foundation schema: the region, people, raw check-ins, derived work days, audit.

Times are UTC timestamptz; every work_date is a date in the office's own zone.
check_ins and audit_log are append-only: the application's own database role may not
UPDATE, DELETE or TRUNCATE them (queries/roles.py), and on plain Postgres triggers refuse
it even to the owner.

Revision ID: 0001
Revises:
"""
from alembic import op

from queries import citus

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SCHEMA = r"""
CREATE TABLE units (
    code        text PRIMARY KEY,
    name        text NOT NULL,
    kind        text NOT NULL,
    parent_code text REFERENCES units (code) DEFERRABLE INITIALLY DEFERRED,
    -- materialised path 'SETDA/DINKES/PKM-CLG/' so a subtree is one prefix match
    path        text NOT NULL,
    depth       int  NOT NULL,
    schedule_code text NOT NULL,
    active      boolean NOT NULL DEFAULT true
);
CREATE INDEX units_path_idx ON units (path text_pattern_ops);

CREATE TABLE offices (
    code      text PRIMARY KEY,
    name      text NOT NULL,
    unit_code text NOT NULL REFERENCES units (code),
    lat       double precision NOT NULL,
    lon       double precision NOT NULL,
    radius_m  double precision,
    polygon   jsonb,
    timezone  text NOT NULL,
    active    boolean NOT NULL DEFAULT true,
    CHECK ((radius_m IS NULL) <> (polygon IS NULL))
);
CREATE INDEX offices_unit_idx ON offices (unit_code);

CREATE TABLE employees (
    id            bigserial PRIMARY KEY,
    nip           char(18) NOT NULL UNIQUE CHECK (nip ~ '^[0-9]{18}$'),
    name          text NOT NULL,
    unit_code     text NOT NULL REFERENCES units (code),
    position      text NOT NULL DEFAULT '',
    schedule_code text,            -- NULL: the unit's schedule
    terminal_pin  text UNIQUE,     -- NULL: the NIP is the PIN
    assigned_units text[] NOT NULL DEFAULT '{}',  -- extra units whose offices may be used
    active        boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX employees_unit_idx ON employees (unit_code);

-- Phones bound to an employee (one active binding per employee).
CREATE TABLE devices (
    id            bigserial PRIMARY KEY,
    employee_id   bigint NOT NULL REFERENCES employees (id),
    device_id     text NOT NULL,
    model         text NOT NULL DEFAULT '',
    token_hash    text NOT NULL UNIQUE,
    bound_at      timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz,
    revoked_at    timestamptz,
    revoked_by    text,
    revoke_reason text
);
CREATE UNIQUE INDEX devices_one_active_per_employee ON devices (employee_id) WHERE revoked_at IS NULL;

CREATE TABLE activation_codes (
    id          bigserial PRIMARY KEY,
    employee_id bigint NOT NULL REFERENCES employees (id),
    code_hash   text NOT NULL UNIQUE,
    issued_by   text NOT NULL,
    issued_at   timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);

-- Fingerprint / face terminals (ZKTeco push protocol and others).
CREATE TABLE terminals (
    sn                 text PRIMARY KEY,
    office_code        text REFERENCES offices (code),
    status             text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'active', 'retired')),
    timezone           text,          -- NULL: the office's zone
    utc_offset_minutes int,           -- firmware stuck at a fixed offset (e.g. +480)
    firmware           text,
    info               jsonb NOT NULL DEFAULT '{}',
    first_seen_at      timestamptz NOT NULL DEFAULT now(),
    last_heartbeat_at  timestamptz,
    last_log_at        timestamptz,
    clock_drift_s      double precision,
    attlog_stamp       text,
    operlog_stamp      text
);

-- Raw events, never updated. A retry of the same event is absorbed by event_key.
CREATE TABLE check_ins (
    id            bigserial PRIMARY KEY,
    event_key     text NOT NULL UNIQUE,   -- 'mobile:<uuid>', 'terminal:<sn>:<pin>:<local time>', ...
    source        text NOT NULL CHECK (source IN ('mobile', 'terminal', 'qr', 'manual', 'import')),
    employee_id   bigint REFERENCES employees (id),
    captured_at   timestamptz NOT NULL,
    received_at   timestamptz NOT NULL DEFAULT now(),
    work_date     date,
    session       text CHECK (session IN ('in', 'midday', 'out')),
    verdict       text NOT NULL CHECK (verdict IN ('accepted', 'flagged', 'refused')),
    reasons       text[] NOT NULL DEFAULT '{}',
    minutes_late  int,
    minutes_early int,
    office_code   text,
    distance_m    double precision,
    lat           double precision,
    lon           double precision,
    accuracy_m    double precision,
    device_ref    bigint,
    terminal_sn   text,
    selfie_sha256 text,
    payload       jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX check_ins_employee_day_idx ON check_ins (employee_id, work_date);
CREATE INDEX check_ins_work_date_idx ON check_ins (work_date);
CREATE INDEX check_ins_received_idx ON check_ins (received_at);

-- The employee's reason for a late check-in (check_ins itself is never updated).
CREATE TABLE check_in_notes (
    check_in_id  bigint PRIMARY KEY REFERENCES check_ins (id),
    reason       text NOT NULL,
    submitted_at timestamptz NOT NULL DEFAULT now()
);

-- One row per employee and work date, derived from check_ins, leaves and the rules.
CREATE TABLE work_days (
    employee_id       bigint NOT NULL REFERENCES employees (id),
    work_date         date NOT NULL,
    unit_code         text NOT NULL,
    schedule_code     text NOT NULL,
    day_type          text,          -- NULL on a day off
    is_work_day       boolean NOT NULL,
    first_in          timestamptz,
    midday            timestamptz,
    last_out          timestamptz,
    minutes_late      int NOT NULL DEFAULT 0,
    minutes_early     int NOT NULL DEFAULT 0,
    late_band         text,          -- TL1..TL4
    early_band        text,          -- PSW1..PSW4
    status            text NOT NULL, -- hadir, tk, libur, belum, or a leave type
    leave_type        text,
    deduction_percent numeric(7, 3) NOT NULL DEFAULT 0,
    sources           text[] NOT NULL DEFAULT '{}',
    closed            boolean NOT NULL DEFAULT false,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (employee_id, work_date)
);
CREATE INDEX work_days_date_unit_idx ON work_days (work_date, unit_code);

CREATE TABLE leaves (
    id          bigserial PRIMARY KEY,
    employee_id bigint NOT NULL REFERENCES employees (id),
    leave_type  text NOT NULL,
    date_from   date NOT NULL,
    date_to     date NOT NULL,
    reason      text NOT NULL DEFAULT '',
    state       text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'approved', 'rejected', 'cancelled')),
    source      text NOT NULL DEFAULT 'api',
    requested_at timestamptz NOT NULL DEFAULT now(),
    decided_by  text,
    decided_at  timestamptz,
    decision_comment text,
    CHECK (date_to >= date_from)
);
CREATE INDEX leaves_employee_idx ON leaves (employee_id, date_from, date_to);

CREATE TABLE leave_attachments (
    id        bigserial PRIMARY KEY,
    leave_id  bigint NOT NULL REFERENCES leaves (id),
    sha256    text NOT NULL,
    mime      text NOT NULL,
    size      int  NOT NULL,
    filename  text NOT NULL
);

-- Apel, upacara, sosialisasi: attended by scanning a rotating QR code.
CREATE TABLE events (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL,
    kind        text NOT NULL DEFAULT 'apel',
    event_date  date NOT NULL,
    opens_at    timestamptz NOT NULL,
    closes_at   timestamptz NOT NULL,
    office_code text REFERENCES offices (code),
    lat         double precision,
    lon         double precision,
    radius_m    double precision,
    compulsory  boolean NOT NULL DEFAULT false,
    deduction_percent numeric(7, 3) NOT NULL DEFAULT 0,
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (closes_at > opens_at)
);

CREATE TABLE event_invitees (
    event_id    bigint NOT NULL REFERENCES events (id),
    unit_code   text REFERENCES units (code),
    employee_id bigint REFERENCES employees (id),
    CHECK ((unit_code IS NULL) <> (employee_id IS NULL))
);

CREATE TABLE users (
    id            bigserial PRIMARY KEY,
    username      text NOT NULL UNIQUE,
    password_hash text NOT NULL,
    full_name     text NOT NULL DEFAULT '',
    role          text NOT NULL CHECK (role IN ('kepala_daerah', 'sekda', 'bkpp', 'kepala_unit', 'admin_unit')),
    unit_code     text REFERENCES units (code),
    active        boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_login_at timestamptz,
    CHECK (role NOT IN ('kepala_unit', 'admin_unit') OR unit_code IS NOT NULL)
);

-- Read-only links for the wall display in the regional head's office.
CREATE TABLE kiosk_tokens (
    id          bigserial PRIMARY KEY,
    label       text NOT NULL,
    token_hash  text NOT NULL UNIQUE,
    show_names  boolean NOT NULL DEFAULT false,
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);

CREATE TABLE audit_log (
    id      bigserial PRIMARY KEY,
    at      timestamptz NOT NULL DEFAULT now(),
    actor   text NOT NULL,
    action  text NOT NULL,
    target  text NOT NULL DEFAULT '',
    reason  text NOT NULL DEFAULT '',
    before  jsonb,
    after   jsonb
);
CREATE INDEX audit_log_at_idx ON audit_log (at);

CREATE FUNCTION pantau_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;
"""

# A second line behind the app role's privileges (queries/roles.py). Citus refuses triggers on
# its distributed tables (a region's schema there), so on Citus the privileges alone hold.
TRIGGERS = r"""
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION pantau_append_only();
CREATE TRIGGER check_ins_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON check_ins
    FOR EACH STATEMENT EXECUTE FUNCTION pantau_append_only();
"""

TABLES = (
    "audit_log", "kiosk_tokens", "users", "event_invitees", "events", "leave_attachments",
    "leaves", "work_days", "check_in_notes", "check_ins", "terminals", "activation_codes",
    "devices", "employees", "offices", "units",
)


def upgrade() -> None:
    op.execute(SCHEMA)
    if not citus.distributed(op.get_bind(), "check_ins"):
        op.execute(TRIGGERS)


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
    op.execute("DROP FUNCTION IF EXISTS pantau_append_only()")
