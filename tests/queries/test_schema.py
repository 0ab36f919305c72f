"""The schema and the region mirror, on a real Postgres."""
from __future__ import annotations

import pytest
from sqlalchemy.exc import DBAPIError

from queries import audit, citus, db, schema


def test_migrations_are_at_head_and_idempotent(runtime):
    before = schema.current_heads(runtime.database_url)
    assert before and not schema.pending(runtime.database_url)
    assert schema.upgrade(runtime.urls.owner_url, runtime.urls.app_role) == before


def test_units_and_offices_mirror_the_config(runtime):
    cfg = runtime.config
    with runtime.connection() as conn:
        units = {r["code"]: r for r in db.rows(conn, "SELECT code, path, schedule_code FROM units WHERE active")}
        offices = db.scalar(conn, "SELECT count(*) FROM offices WHERE active")
    assert set(units) == {u.code for u in cfg.units}
    assert offices == len(cfg.offices)
    some = cfg.units[-1]
    assert units[some.code]["path"] == "/".join(cfg.unit_path(some.code)) + "/"
    assert units[some.code]["schedule_code"] == cfg.unit_schedule(some.code)


def test_audit_log_refuses_update_and_delete_even_to_its_owner(runtime):
    """The trigger is the second line: the app's role is refused by privileges first
    (tests/queries/test_privileges.py); the owner, who has them, still meets the trigger.
    On Citus, which refuses triggers on its tables, the privileges are the only line
    (docs/scale.md): there the app's role is what is refused."""
    with runtime.transaction() as conn:
        audit.record(conn, "tester", "test.write", "x", "why", before={"a": 1}, after={"a": 2})
        on_citus = citus.distributed(conn, "audit_log")
    who, refusal = (runtime.database_url, "permission denied") if on_citus else (runtime.urls.owner_url, "append-only")
    for sql in ("UPDATE audit_log SET actor = 'mallory'", "DELETE FROM audit_log", "TRUNCATE audit_log"):
        with pytest.raises(DBAPIError, match=refusal):
            with db.transaction(who) as conn:
                db.run(conn, sql)
    with runtime.connection() as conn:
        assert db.scalar(conn, "SELECT count(*) FROM audit_log WHERE actor = 'mallory'") == 0


def test_redis_is_reachable_under_the_prefix(runtime):
    key = runtime.key("probe")
    runtime.redis.set(key, "1", ex=10)
    assert runtime.redis.get(key) == "1"
    assert key.startswith(runtime.settings.redis_prefix + ":")
