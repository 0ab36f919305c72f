"""The app's everyday work succeeds as the app's database role, which may not rewrite the
record (tests/queries/test_privileges.py): a phone's check-in, a terminal's held lines
applied after BKPP approves the terminal (their state changes), audit-logged administration,
and the worker's rollup refresh."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from ingest import devices
from ingest.terminals import protocol, punches, registry
from queries import dashboard, db, roles
from tests.support import factories
from tests.support.phones import body, new_phone
from tests.support.terminals import q, sn

WIB = ZoneInfo("Asia/Jakarta")
NOW = dt.datetime(2027, 3, 2, 7, 20, tzinfo=WIB)   # a Tuesday (dates apart from other tests)


@pytest.fixture(autouse=True)
def as_the_app_role(runtime):
    with runtime.connection() as conn:
        assert db.scalar(conn, "SELECT current_user") == runtime.urls.app_role.name
        assert roles.can_rewrite_record(conn) == []


def _audited(runtime, action: str, target: str) -> int:
    return q(runtime, "SELECT count(*) AS n FROM audit_log WHERE action = :a AND target = :t",
             a=action, t=target)[0]["n"]


def test_a_phone_checks_in_and_bkpp_resets_its_binding(runtime, client):
    phone = new_phone(runtime, client)
    r = client.post("/api/v1/check-ins", json=body(runtime, NOW), headers=phone["headers"])
    assert r.status_code == 201, r.text
    assert q(runtime, "SELECT count(*) AS n FROM check_ins WHERE employee_id = :e",
             e=phone["employee"]["id"]) == [{"n": 1}]
    nip = phone["employee"]["nip"]
    assert devices.reset(runtime, nip, "admin:bkpp", "ponsel hilang") is not None
    assert _audited(runtime, "device.reset", nip) == 1
    assert client.get("/api/v1/me/today", headers=phone["headers"]).status_code == 401


def test_held_terminal_lines_are_applied_after_approval(runtime, monkeypatch):
    from foundation import clock

    monkeypatch.setenv(clock.ENV, clock.demo_spec(NOW, 1.0))
    emp = factories.employee(runtime, "DINKES", terminal_pin="77001")
    terminal = sn()
    records, bad = protocol.parse_attlog(f"77001\t{NOW:%Y-%m-%d} 07:10:00\t0\t1\t0\t0\r\n".encode())
    outcome = punches.receive(runtime, terminal, records, bad, via="push", now=NOW)
    assert outcome.new == 1
    lines = "SELECT state, employee_id FROM terminal_log_lines WHERE sn = :sn"
    assert q(runtime, lines, sn=terminal) == [{"state": "pending", "employee_id": None}]

    registry.approve(runtime, terminal, "DINKES-1", actor="admin:bkpp", reason="terminal baru")
    assert _audited(runtime, "terminal.approve", terminal) == 1
    punches.apply_waiting(runtime, terminal)
    assert q(runtime, lines, sn=terminal) == [{"state": "applied", "employee_id": emp["id"]}]
    assert q(runtime, "SELECT count(*) AS n FROM check_ins WHERE terminal_sn = :sn", sn=terminal) == [{"n": 1}]


def test_the_worker_refreshes_the_rollups_and_a_bulk_load_takes_statistics(runtime):
    from queries import synthetic

    with runtime.transaction() as conn:
        dashboard.refresh_rollups(conn)
        synthetic.analyze(conn)
    with runtime.connection() as conn:   # ANALYZE ran (as the owner): the table has statistics
        assert db.scalar(conn, "SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables "
                               "WHERE relname = 'employees'")
