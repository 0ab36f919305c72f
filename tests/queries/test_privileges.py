"""The app's database role cannot rewrite the record or change the schema: Postgres refuses
it by privilege (SQLSTATE 42501), before any trigger is asked."""
from __future__ import annotations

import pytest
from sqlalchemy.exc import DBAPIError

from queries import audit, db, roles

INSUFFICIENT_PRIVILEGE = "42501"

FORBIDDEN = [
    *(f"UPDATE {t} SET {c} = {c}" for t, c in (("audit_log", "actor"), ("check_ins", "verdict"),
                                                 ("terminal_logs", "raw"))),
    *(f"DELETE FROM {t}" for t in roles.RECORD),
    *(f"TRUNCATE {t}" for t in roles.RECORD),
    "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only",
    "ALTER TABLE check_ins DISABLE TRIGGER ALL",
    "DROP TABLE check_ins",
    "DROP TABLE terminal_log_states",
    "CREATE TABLE mallory (x int)",
    "CREATE SCHEMA mallory",
    "CREATE FUNCTION mallory() RETURNS int LANGUAGE sql AS 'SELECT 1'",
    "ALTER TABLE audit_log ADD COLUMN forged boolean",
    # the rollups are the owner's to rebuild (pantau_refresh_rollups)
    "DELETE FROM unit_day_rollup",
    "TRUNCATE arrival_rollup",
    "INSERT INTO arrival_week_rollup VALUES ('2026-11-23', 'DINKES', 0, 1)",
    "INSERT INTO alembic_version VALUES ('forged')",
]


@pytest.fixture(scope="module")
def record(runtime):
    """One row in each table of the record, so a statement that got through would change it."""
    with runtime.transaction() as conn:   # appending is the app's right
        audit.record(conn, "tester", "test.privileges", "x")
        db.run(conn, """INSERT INTO terminal_logs (sn, pin, local_time, raw, via, received_at)
                        VALUES ('PRIV1', '1', '2026-12-01 07:00', 'raw', 'push', now())""")
    with runtime.connection() as conn:
        return {t: db.scalar(conn, f"SELECT count(*) FROM {t}") for t in roles.RECORD}


def test_the_processes_connect_as_the_app_role_not_the_owner(runtime):
    with runtime.connection() as conn:
        me = db.one(conn, """SELECT current_user AS name, r.rolsuper, r.rolcreaterole, r.rolcreatedb, r.rolinherit
                             FROM pg_roles r WHERE r.rolname = current_user""")
        owned = db.scalar(conn, """SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner
                                   WHERE r.rolname = current_user AND c.relpersistence <> 't'""")
    assert me == {"name": runtime.urls.app_role.name, "rolsuper": False, "rolcreaterole": False,
                  "rolcreatedb": False, "rolinherit": False}
    assert owned == 0


@pytest.mark.parametrize("sql", FORBIDDEN)
def test_the_app_role_is_refused(runtime, record, sql):
    with pytest.raises(DBAPIError) as refused:
        with runtime.transaction() as conn:
            db.run(conn, sql)
    message = str(refused.value.orig)
    assert refused.value.orig.pgcode == INSUFFICIENT_PRIVILEGE, message
    # by a privilege: the append-only trigger (same SQLSTATE) is never reached
    assert "append-only" not in message and ("permission denied" in message or "must be owner" in message)
    with runtime.connection() as conn:
        assert {t: db.scalar(conn, f"SELECT count(*) FROM {t}") for t in roles.RECORD} == record
        assert roles.can_rewrite_record(conn) == []


def test_the_app_role_cannot_become_the_owner(runtime):
    with db.connection(runtime.urls.owner_url) as conn:
        owner = db.scalar(conn, "SELECT current_user")
    with pytest.raises(DBAPIError) as refused:
        with runtime.transaction() as conn:
            db.run(conn, f'SET ROLE "{owner}"')
    assert refused.value.orig.pgcode == INSUFFICIENT_PRIVILEGE


def test_a_later_migration_run_keeps_the_rights_as_they_are(runtime):
    """Upgrading again (every start does) grants nothing more and takes nothing needed."""
    from queries import schema

    schema.upgrade(runtime.urls.owner_url, runtime.urls.app_role)
    with runtime.connection() as conn:
        assert roles.can_rewrite_record(conn) == []
        assert db.scalar(conn, "SELECT has_table_privilege('terminal_log_states', 'UPDATE')")
        assert db.scalar(conn, "SELECT has_function_privilege('pantau_refresh_rollups()', 'EXECUTE')")


def test_a_start_with_the_rights_in_place_grants_nothing_and_one_missing_right_is_restored(runtime):
    """Every process start runs the role setup; a GRANT rewrites catalog rows and met the
    worker's view refresh ('tuple concurrently updated'), so a start with nothing missing
    must not grant at all, and one with a right gone puts it back."""
    from queries import schema

    owner, role = runtime.urls.owner_url, runtime.urls.app_role
    with db.engine(owner).begin() as conn:
        assert roles._in_place(conn, role.name, "public")
        db.run(conn, f'GRANT UPDATE ON check_ins TO "{role.name}"')      # a right the app must not have
        assert not roles._in_place(conn, role.name, "public")
    schema.upgrade(owner, role)
    with db.engine(owner).begin() as conn:
        assert roles._in_place(conn, role.name, "public")
        grants_before = db.scalar(conn, "SELECT xmin::text FROM pg_class WHERE relname = 'work_days'")
    schema.upgrade(owner, role)                                             # a plain restart
    with db.engine(owner).begin() as conn:
        assert db.scalar(conn, "SELECT xmin::text FROM pg_class WHERE relname = 'work_days'") == grants_before
