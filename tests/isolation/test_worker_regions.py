"""`pantau worker` serves every region of an installation, each in its own zone and date,
and one region's failure stops none of the others."""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import shutil

from ingest.day_close import close_time
from ingest.worker import Worker
from ingest.worker_regions import OWN, RegionWorkers
from queries import work_days as qw
from queries.db import DatabaseUnavailable
from tests.conftest import ROOT
from tests.support.days import work_day
from tests.support.factories import employee

DAY = dt.date(2027, 3, 1)   # a Monday: a work day in both regions


def closed(rt, day=DAY) -> bool:
    with rt.connection() as conn:
        return day in qw.closed_dates(conn, day, day)


def workers_of(own_rt, **kw) -> RegionWorkers:
    return RegionWorkers(own_rt.settings, lambda rt: Worker(rt, first_day=DAY, live_every_s=10**6), **kw)


def test_one_tick_closes_ternates_day_before_cilegons(make_installation):
    regions = make_installation("8271", label="wk_zones")
    own, ternate = regions["3672"], regions["8271"]
    in_ternate, in_cilegon = employee(ternate, "SETDA"), employee(own, "SETDA")
    ternate_close, cilegon_close = close_time(ternate.config, DAY), close_time(own.config, DAY)
    now = ternate_close + dt.timedelta(minutes=1)
    assert now < cilegon_close   # WIT is two hours ahead: past Ternate's close, not Cilegon's
    workers = workers_of(own)

    assert workers.tick(ternate_close - dt.timedelta(minutes=1)) == {"3672": [], "8271": []}
    done = workers.tick(now)
    assert [c["date"] for c in done["8271"]] == [str(DAY)] and done["3672"] == []
    assert closed(ternate) and not closed(own)
    assert work_day(ternate, in_ternate["id"], DAY)["status"] == "tk"
    assert work_day(own, in_cilegon["id"], DAY) is None   # Cilegon's day is still open

    done = workers.tick(cilegon_close + dt.timedelta(minutes=1))
    assert done == {"3672": done["3672"], "8271": []} and [c["date"] for c in done["3672"]] == [str(DAY)]
    assert closed(own) and work_day(own, in_cilegon["id"], DAY)["status"] == "tk"


def test_a_region_with_a_broken_config_is_logged_and_retried_the_others_go_on(make_installation, caplog):
    regions = make_installation("8271", label="wk_broken")
    own, ternate = regions["3672"], regions["8271"]
    broken = own.settings.regions_dir / "7371.yaml"
    text = (ROOT / "tests" / "data" / "regions" / "7371.yaml").read_text()
    broken.write_text(text.replace("timezone: Asia/Makassar", "timezone: Asia/Atlantis", 1))
    assert "Asia/Atlantis" in broken.read_text()
    workers = workers_of(own)
    caplog.set_level(logging.ERROR, logger="pantau.worker")

    done = workers.tick(close_time(ternate.config, DAY) + dt.timedelta(minutes=1))
    assert [c["date"] for c in done["8271"]] == [str(DAY)] and done["7371"] == []
    assert "7371" in workers.failed and "region.timezone" in workers.failed["7371"]
    assert any("region 7371 not served" in r.getMessage() for r in caplog.records)

    from foundation.config_file import _loaded   # the process keeps a loaded config: a fixed file is read again
    _loaded.pop(broken.resolve(), None)
    shutil.copy(ROOT / "tests" / "data" / "regions" / "7371.yaml", broken)
    workers.tick(close_time(ternate.config, DAY) + dt.timedelta(minutes=2))
    assert "7371" not in workers.failed and workers.workers["7371"].rt.settings.db_schema.endswith("r_7371")


def test_a_region_whose_database_fails_does_not_stop_the_others(make_installation, monkeypatch):
    regions = make_installation("8271", label="wk_dbfail")
    own, ternate = regions["3672"], regions["8271"]
    workers = workers_of(own)
    own_worker = workers.worker(OWN)

    def down(now=None):
        raise DatabaseUnavailable("connection refused")
    monkeypatch.setattr(own_worker, "tick", down)
    late = close_time(own.config, DAY) + dt.timedelta(minutes=1)   # both regions' close is due
    done = workers.tick(late)
    assert done["3672"] == [] and [c["date"] for c in done["8271"]] == [str(DAY)]
    assert closed(ternate) and not closed(own)
    monkeypatch.undo()   # the database is back: the next tick closes the own region's day
    assert [c["date"] for c in workers.tick(late)["3672"]] == [str(DAY)] and closed(own)


def test_a_region_file_named_for_another_code_is_refused_the_others_served(make_installation):
    regions = make_installation("8271", label="wk_named")
    own = regions["3672"]
    shutil.copy(ROOT / "tests" / "data" / "regions" / "7371.yaml", own.settings.regions_dir / "7372.yaml")
    workers = workers_of(own)
    done = workers.tick(close_time(own.config, DAY) + dt.timedelta(minutes=1))
    assert [c["date"] for c in done["8271"]] == [str(DAY)] and [c["date"] for c in done["3672"]] == [str(DAY)]
    assert "7371" in workers.failed["7372"] and "7372" not in workers.workers


def test_only_one_region_when_asked(make_installation):
    regions = make_installation("8271", label="wk_only")
    own, ternate = regions["3672"], regions["8271"]
    only = dataclasses.replace(own.settings)
    workers = RegionWorkers(only, lambda rt: Worker(rt, first_day=DAY, live_every_s=10**6), only=["8271"])
    done = workers.tick(close_time(own.config, DAY) + dt.timedelta(minutes=1))
    assert list(done) == ["8271"] and closed(ternate) and not closed(own)


def test_pantau_worker_serves_every_region_and_stops_on_sigterm(make_installation):
    import signal
    import subprocess
    import sys
    import time

    from tests.conftest import runtime_env

    regions = make_installation("8271", label="wk_process")
    env = runtime_env(regions["3672"])
    since = dt.date.today() - dt.timedelta(days=2)
    once = subprocess.run([sys.executable, "-m", "pantau", "worker", "--once", "--since", str(since)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert once.returncode == 0, once.stderr[-2000:]
    assert f"3672: closed {since}" in once.stdout and f"8271: closed {since}" in once.stdout
    assert closed(regions["3672"], since) and closed(regions["8271"], since)

    proc = subprocess.Popen([sys.executable, "-m", "pantau", "worker", "--tick", "0.2"],
                            cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    try:
        deadline, line = time.monotonic() + 120, ""
        while "worker started" not in line and time.monotonic() < deadline:
            line = proc.stderr.readline()
        assert "worker started" in line and "regions: 3672, 8271" in line
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
        assert "worker stopped" in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
