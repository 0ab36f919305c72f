"""The region on a Citus cluster (bin/citus; collected only when DATABASE_URL is a Citus
coordinator, see tests/conftest.py): its schema is distributed whole on one worker, the
record stays append-only for the app role without triggers, the hot path and the
drill-down run as one task on one node, and one employee's writers still queue up."""
from __future__ import annotations

import datetime as dt
import re
import threading
import uuid
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.exc import ProgrammingError

import queries.attendance
import queries.dashboard
from ingest import attendance
from ingest.rules.judge import Attempt
from queries import citus, dashboard, db
from tests.support import factories

WIB = ZoneInfo("Asia/Jakarta")


@pytest.fixture(scope="module")
def runtime(make_runtime):
    """A region of its own (its own schema): these tests' check-ins meet no other test's counts."""
    return make_runtime(label="citus")


def _region_schema(rt) -> str:
    return db.url_schema(rt.urls.owner_url)


def _attempt(rt, moment: dt.datetime) -> Attempt:
    office = rt.config.office_by_code["DINKES-1"]
    return Attempt(source="mobile", captured_at=moment, received_at=moment, lat=office.lat, lon=office.lon,
                   accuracy_m=8)


def test_every_table_of_the_region_is_schema_distributed_on_one_worker(runtime):
    schema = _region_schema(runtime)
    # as the owner: Citus' views list nothing to a role that may not see every schema
    with db.connection(runtime.urls.owner_url) as conn:
        tables = citus.schema_tables(conn, schema)
        distributed = db.scalar(conn, "SELECT count(*) FROM public.citus_schemas WHERE schema_name::text = :s",
                                s=schema)
        workers = {r["node"] for r in db.rows(conn, """
            SELECT nodename || ':' || nodeport AS node FROM pg_dist_node WHERE groupid > 0""")}
    assert distributed == 1
    names = {t["table_name"] for t in tables}
    assert {"check_ins", "work_days", "employees", "audit_log", "units", "terminal_logs"} <= names
    assert all(t["table_type"] == "schema" for t in tables), [t for t in tables if t["table_type"] != "schema"]
    assert len({t["colocation_id"] for t in tables}) == 1
    nodes = {t["node"] for t in tables}
    assert len(nodes) == 1 and nodes <= workers   # one worker holds the region, not the coordinator


@pytest.mark.parametrize("statement", [
    "UPDATE check_ins SET verdict = 'accepted'",
    "DELETE FROM check_ins",
    "TRUNCATE check_ins",
    "UPDATE audit_log SET actor = 'someone else'",
])
def test_the_app_role_cannot_rewrite_the_record_on_the_cluster(runtime, statement):
    emp = factories.employee(runtime, "DINKES")
    attendance.record(runtime, emp["id"], _attempt(runtime, dt.datetime(2025, 7, 14, 7, 40, tzinfo=WIB)),
                      f"mobile:{uuid.uuid4()}", payload={})
    with pytest.raises(ProgrammingError, match="permission denied"):
        with runtime.transaction() as conn:
            db.run(conn, statement)
    with runtime.connection() as conn:
        # Citus refuses triggers on distributed tables: the privileges alone hold here
        assert not db.scalar(conn, "SELECT count(*) FROM pg_trigger WHERE tgrelid = CAST('check_ins' AS regclass) "
                                   "AND NOT tgisinternal")
        assert db.scalar(conn, "SELECT count(*) FROM check_ins WHERE employee_id = :e", e=emp["id"]) == 1


def _explain(rt, sql: str, params: dict | None = None, records: list | None = None, template: str | None = None) -> str:
    """EXPLAIN a statement as the hot path sends it (queries.citus.explain)."""
    with rt.connection() as conn:
        return citus.explain(conn, sql, params, records, template)


def _tasks(plan: str) -> list[int]:
    return [int(n) for n in re.findall(r"Task Count: (\d+)", plan)]


def _region_worker(rt) -> str:
    with db.connection(rt.urls.owner_url) as conn:
        nodes = {t["node"] for t in citus.schema_tables(conn, _region_schema(rt))}
    assert len(nodes) == 1
    host, port = nodes.pop().split(":")
    return f"port={port} "


def test_the_hot_path_inserts_and_the_drill_down_each_run_as_one_task_on_the_regions_worker(runtime, monkeypatch):
    seen: list[tuple[str, dict]] = []
    inserts: list[tuple[str, list, str | None]] = []

    def recording_rows(real):
        def wrapper(conn, sql, **params):
            seen.append((sql, params))
            return real(conn, sql, **params)
        return wrapper

    def recording_values(real):
        def wrapper(conn, sql, records, template=None, **kw):
            inserts.append((sql, list(records), template))
            return real(conn, sql, records, template, **kw)
        return wrapper

    monkeypatch.setattr(queries.attendance, "driver_values", recording_values(queries.attendance.driver_values))
    monkeypatch.setattr(queries.dashboard, "rows", recording_rows(queries.dashboard.rows))
    emp = factories.employee(runtime, "DINKES")
    day = dt.date(2025, 7, 15)
    attendance.record(runtime, emp["id"], _attempt(runtime, dt.datetime(2025, 7, 15, 7, 20, tzinfo=WIB)),
                      f"mobile:{uuid.uuid4()}", payload={})
    with runtime.connection() as conn:
        assert [p["employee_id"] for p in dashboard.people(conn, "DINKES", day, day, None)] == [emp["id"]]
    assert [("INSERT INTO check_ins" in sql, "INSERT INTO work_days" in sql) for sql, _, _ in inserts] == \
        [(True, False), (False, True)]
    drill_down = [s for s in seen if "FROM work_days wd" in s[0]]
    assert len(drill_down) == 1
    worker = _region_worker(runtime)
    plans = [_explain(runtime, sql, records=records, template=template) for sql, records, template in inserts]
    plans.append(_explain(runtime, *drill_down[0]))
    for plan in plans:
        assert "Citus Adaptive" in plan and "Subplan" not in plan, plan
        assert _tasks(plan) == [1] and plan.count("Node: ") == 1 and worker in plan, plan


def test_one_employees_writers_queue_up_through_the_coordinator(runtime):
    """Each writer takes the employee's advisory lock (on the coordinator, where every
    writer connects), counts the check-ins already stored on the worker, and stores one more
    with that count: serialised, the counts are 0..n-1; two writers overlapping would see
    the same count."""
    emp = factories.employee(runtime, "DINKES")
    day = dt.date(2025, 7, 16)
    writers = 8
    start = threading.Barrier(writers)
    failures: list[BaseException] = []

    def write(n: int) -> None:
        try:
            start.wait()
            with runtime.transaction() as conn:
                queries.attendance.lock_employee(conn, emp["id"])
                before = db.scalar(conn, "SELECT count(*) FROM check_ins WHERE employee_id = :e AND work_date = :d",
                                   e=emp["id"], d=day)
                db.run(conn, "SELECT pg_sleep(0.05)")   # widen the window another writer would slip into
                queries.attendance.insert_check_in(
                    conn, event_key=f"test:{uuid.uuid4()}", source="manual", employee_id=emp["id"],
                    captured_at=dt.datetime(2025, 7, 16, 7, n, tzinfo=WIB), work_date=day, verdict="accepted",
                    reasons=[], payload={"seen_before": before})
        except BaseException as exc:   # surfaced below: a thread's failure must fail the test
            failures.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures, failures
    with runtime.connection() as conn:
        seen = db.rows(conn, "SELECT CAST(payload->>'seen_before' AS int) AS n FROM check_ins "
                             "WHERE employee_id = :e AND work_date = :d ORDER BY 1", e=emp["id"], d=day)
    assert [r["n"] for r in seen] == list(range(writers))
