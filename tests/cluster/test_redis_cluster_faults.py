"""A cluster node holding today's live state is killed -9 and comes back empty (nothing is
saved): the date is noticed as not recounted by that node's run and recounted from Postgres,
and the check-ins made while it was away are on the wall once it answers."""
from __future__ import annotations

import datetime as dt
import os
import signal

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
