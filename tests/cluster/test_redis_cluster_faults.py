"""A cluster node holding today's live state is killed -9 and comes back empty (nothing is
saved): the date is noticed as not recounted by that node's run and recounted from Postgres,
and the check-ins made while it was away are on the wall once it answers."""
from __future__ import annotations

import datetime as dt
import os
import signal
import time

from ingest import live
from pantau import redis_cluster
from tests.support.days import at, check_in, employee

DAY = dt.date(2026, 11, 26)



def test_a_node_killed_and_restarted_empty_gets_its_dates_recounted(own_cluster, own_cluster_runtime, monkeypatch):
    rt = own_cluster_runtime
    first, second = employee(rt, "DINKES"), employee(rt, "DINKES")
    check_in(rt, first, at(DAY, "07:10"))
    version_key = live.day_keys(rt, DAY)["version"]
    node = rt.redis.get_node_from_key(version_key)
    run_before = rt.redis.get(live.day_keys(rt, DAY)["built_on"])
    assert live.is_current(rt, DAY) and live.snapshot(rt, DAY)["totals"]["present"] == 1

    pidfile = own_cluster.directory / str(node.port) / "redis.pid"
    os.kill(int(pidfile.read_text()), signal.SIGKILL)
    pidfile.unlink()
    monkeypatch.setattr(live, "_dirty", {})              # this test's dates stay in this test
    monkeypatch.setattr(live, "_paused_until", 0.0)
    stored = check_in(rt, second, at(DAY, "07:20"))
    assert not stored.duplicate and DAY in live.dirty_days(rt)   # in Postgres; the wall recounts it later
    assert live.catch_up(rt, DAY) is False               # the node is still away

    redis_cluster.start_node(own_cluster.directory, node.port, own_cluster.bus_ports[own_cluster.ports.index(node.port)])
    redis_cluster.wait_ok(own_cluster.ports)
    assert rt.redis.exists(version_key) == 0             # back empty
    assert live.catch_up(rt, DAY)                        # what the ingest process's watcher calls
    snap = live.snapshot(rt, DAY)
    assert snap["totals"]["present"] == 2 and {x["nip"] for x in snap["latest"]} == {first["nip"], second["nip"]}
    assert live.is_current(rt, DAY) and rt.redis.get(live.day_keys(rt, DAY)["built_on"]) != run_before


def test_the_dashboard_starts_with_the_cluster_down_and_uses_it_once_it_answers(make_database, tmp_path_factory):
    """Every node down when the dashboard is built (a gunicorn worker restarting mid-outage):
    it starts, logins and pages work from Postgres, failed logins are still limited (in this
    process), and once the cluster answers the cache and the login limits are kept there."""
    import re

    from dashboard.app import create_app
    from tests.support.city import PASSWORD, seed_city
    from tests.support.dash_client import DashClient

    rt, ports, bus = _on_a_cluster_not_there(make_database, tmp_path_factory, "cluster_late")
    seed_city(rt, past_days=1)
    app = create_app(rt)                                     # raised RedisClusterUnreachableError before

    sekda = DashClient(app)
    assert sekda.login("sekda", PASSWORD).status_code == 302
    status, text = sekda.page("/overview", "")
    assert status == 200 and "Sekretariat Daerah" in text
    attempts = rt.config.dashboard.login_attempts
    allowed = int(re.match(r"\d+", attempts).group())
    stranger = DashClient(app)
    codes = [stranger.login("kadinkes", "salah-sandi").status_code for _ in range(allowed + 1)]
    assert codes[:allowed] == [401] * allowed and codes[-1] == 429, (attempts, codes)

    directory = tmp_path_factory.mktemp("late-redis-cluster")
    redis_cluster.up(directory, ports, bus_ports=bus)
    try:
        storage = app.server.extensions["pantau_limiter"].storage
        assert storage.check()                               # the cluster is found on asking
        # Flask-Limiter asks again after 1, 2, 4... s: failed logins of fresh names until one
        # is counted in the cluster
        deadline, n, counted = time.monotonic() + 60, 0, []
        while not counted and time.monotonic() < deadline:
            n += 1
            assert DashClient(app).login(f"tamu{n}", "salah-sandi").status_code == 401
            counted = list(storage.get_connection().scan_iter(match=f"*tamu{n}*"))
            time.sleep(0.5)
        assert counted, n
        cache = app.server.extensions["pantau_cache"]
        cache.set("probe", 42)
        assert cache.get("probe") == 42
    finally:
        redis_cluster.down(directory)



def _on_a_cluster_not_there(make_database, tmp_path_factory, label: str):
    """A runtime whose REDIS_URL names 3 free ports (nothing listens yet), and those ports."""
    from foundation.runtime import boot
    from foundation.settings import Settings
    from tests.conftest import ROOT, RUN_ID
    from tests.support.servers import free_port

    ports, bus = [free_port() for _ in range(3)], [free_port() for _ in range(3)]
    url = "redis+cluster://" + ",".join(f"127.0.0.1:{p}" for p in ports)
    var_dir = tmp_path_factory.mktemp(f"var-{label}")
    rt = boot(Settings(database_url=make_database(label), redis_url=url, config_path=ROOT / "config.yaml",
                       var_dir=var_dir, redis_prefix=f"pantau-{label}-{RUN_ID}", selfie_dir=var_dir / "selfies",
                       secret_key=f"{label}-{RUN_ID}"))
    return rt, ports, bus


def test_the_ingest_health_says_degraded_with_the_cluster_down(make_database, tmp_path_factory):
    """Check-ins still land with Redis down: /healthz answers 200 'degraded' (it was a 500 when
    the cluster had never been reached in the process)."""
    from fastapi.testclient import TestClient

    from ingest.app import create_app

    rt = _on_a_cluster_not_there(make_database, tmp_path_factory, "cluster_health")[0]
    with TestClient(create_app(rt)) as client:
        res = client.get("/healthz")
    assert res.status_code == 200 and res.json()["status"] == "degraded", res.text
    assert res.json()["postgres"]["ok"] and not res.json()["redis"]["ok"]
