"""An installation of several regions on the cluster: the own region and 8271 made by
make_installation, 7371 added with `pantau region add`. Each region's schema is a Citus
distributed schema whose every table lives on one worker, and each region's app role is
refused a rewrite of its check-ins there."""
from __future__ import annotations

import datetime as dt
import subprocess
import sys
import uuid

import pytest
from sqlalchemy.exc import ProgrammingError

from foundation.regions import settings_for
from foundation.runtime import boot
from ingest import attendance
from ingest.rules.judge import Attempt
from queries import citus, db
from tests.conftest import ROOT, runtime_env
from tests.support import factories


@pytest.fixture(scope="module")
def regions(make_installation):
    made = make_installation("8271", label="citus_regions")
    own = made["3672"]
    added = subprocess.run([sys.executable, "-m", "pantau", "region", "add", str(ROOT / "tests/data/regions/7371.yaml")],
                           cwd=ROOT, env=runtime_env(own), capture_output=True, text=True, timeout=300)
    assert added.returncode == 0, added.stderr
    base = own.settings
    made["7371"] = boot(settings_for(base, "7371"))
    return made


def _schema(rt) -> str:
    return db.url_schema(rt.urls.owner_url)


def test_every_regions_schema_is_distributed_whole_on_one_worker(regions):
    schemas = {code: _schema(rt) for code, rt in regions.items()}
    assert len(set(schemas.values())) == 3 and schemas["7371"].endswith("_r_7371")
    with db.connection(regions["3672"].urls.owner_url) as conn:
        workers = {r["node"] for r in db.rows(conn, """
            SELECT nodename || ':' || nodeport AS node FROM pg_dist_node WHERE groupid > 0""")}
        listed = {r["schema_name"] for r in db.rows(conn, """
            SELECT schema_name::text AS schema_name FROM public.citus_schemas
            WHERE schema_name::text = ANY(:s)""", s=list(schemas.values()))}
        tables = {code: citus.schema_tables(conn, s) for code, s in schemas.items()}
    assert listed == set(schemas.values())
    for code, found in tables.items():
        names = {t["table_name"] for t in found}
        assert {"check_ins", "work_days", "employees", "audit_log", "units"} <= names, code
        assert all(t["table_type"] == "schema" for t in found), (code, [t for t in found if t["table_type"] != "schema"])
        nodes = {t["node"] for t in found}
        assert len(nodes) == 1 and nodes <= workers, (code, nodes)


def _check_in(rt) -> int:
    office = rt.config.offices[0]
    emp = factories.employee(rt, office.unit)
    moment = dt.datetime(2025, 7, 14, 7, 40, tzinfo=rt.config.office_zone(office))
    attendance.record(rt, emp["id"], Attempt(source="mobile", captured_at=moment, received_at=moment,
                                             lat=office.lat, lon=office.lon, accuracy_m=8),
                      f"mobile:{uuid.uuid4()}", payload={})
    return emp["id"]


@pytest.mark.parametrize("code", ["3672", "8271", "7371"])
@pytest.mark.parametrize("statement", ["UPDATE check_ins SET verdict = 'accepted'", "DELETE FROM check_ins"])
def test_no_regions_app_role_can_rewrite_its_check_ins_on_the_cluster(regions, code, statement):
    rt = regions[code]
    employee_id = _check_in(rt)
    with pytest.raises(ProgrammingError, match="permission denied"):
        with rt.transaction() as conn:
            db.run(conn, statement)
    with rt.connection() as conn:
        assert db.scalar(conn, "SELECT count(*) FROM check_ins WHERE employee_id = :e", e=employee_id) == 1


def test_a_regions_role_cannot_read_another_regions_schema_on_the_cluster(regions):
    with pytest.raises(ProgrammingError, match="permission denied"):
        with regions["8271"].connection() as conn:
            db.run(conn, f"SELECT count(*) FROM {_schema(regions['7371'])}.check_ins")
