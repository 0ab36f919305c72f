"""On a Redis Cluster of 3 primaries: the live script, the wall's MGET, the rebuild's
transaction and the rate-limit script each touch one hash slot (the cluster refuses
CROSSSLOT otherwise), events go over sharded pub/sub, and the dashboard's cache and login
limits use the cluster's own clients."""
from __future__ import annotations

import datetime as dt
import uuid

import pytest
import redis
from redis.cluster import RedisCluster

from dashboard import shared_cache
from dashboard.app import create_flask
from foundation.services import cluster_nodes, redis_client
from ingest import live
from ingest.api.ratelimit import RateLimits
from tests.conftest import with_rate_limits
from tests.support.days import at, check_in, employee

DAY = dt.date(2026, 11, 24)



def test_a_cluster_url_gets_the_cluster_client_and_a_date_lives_in_one_slot(cluster_runtime):
    rt = cluster_runtime
    assert isinstance(rt.redis, RedisCluster) and len(rt.redis.get_primaries()) == 3
    keys = [*live.day_keys(rt, DAY).values(), live.events_channel(rt, DAY), live.silent_terminals_key(rt, DAY)]
    assert all(k.startswith(f"{{{rt.settings.redis_prefix}:live:3672:{DAY}}}:") for k in keys)
    assert {rt.redis.keyslot(k) for k in keys} == {rt.redis.keyslot(keys[0])}
    # dates spread over the nodes (all of a month's on one of 3 nodes: a chance of 3 in 3^30)
    month = {rt.redis.get_node_from_key(live.day_keys(rt, DAY + dt.timedelta(days=i))["version"]).name
             for i in range(30)}
    assert len(month) > 1


def test_the_live_script_counts_a_check_in_and_tells_sharded_subscribers(cluster_runtime):
    rt = cluster_runtime
    emp = employee(rt, "DINKES")
    events = live.subscribe(rt, DAY)
    try:
        check_in(rt, emp, at(DAY, "07:50"))   # the date's first: built, then applied
        seen = [live.next_event(events, timeout=5) for _ in range(2)]
    finally:
        events.close()
    snap = live.snapshot(rt, DAY)
    assert snap["units"]["DINKES"]["late"] == 1 and snap["latest"][0]["nip"] == emp["nip"]
    assert {"date": DAY.isoformat(), "rebuilt": True} in seen
    assert {"date": DAY.isoformat(), "employee_id": emp["id"]} in seen


def test_the_wall_reads_version_and_silent_terminals_in_one_mget(cluster_runtime):
    rt = cluster_runtime
    live.rebuild(rt, DAY)
    live.set_silent_terminals(rt, DAY, 4)
    assert live.wall_state(rt, DAY) == (live.version(rt, DAY), 4)
    assert live.version(rt, DAY) > 0
    assert live.wall_state(rt, DAY + dt.timedelta(days=1)) == (0, None)   # another date: nothing known


def test_the_rebuild_recounts_from_postgres_and_repeats_when_a_check_in_lands_meanwhile(cluster_runtime, monkeypatch):
    rt = cluster_runtime
    day = dt.date(2026, 11, 25)
    first, second = employee(rt, "DINKES"), employee(rt, "DINKES")
    check_in(rt, first, at(day, "07:10"))
    expected = live.snapshot(rt, day)["units"]["DINKES"]
    rt.redis.delete(*live.day_keys(rt, day).values())
    assert not live.is_current(rt, day)
    recount, recounts = live._recount, []

    def with_a_check_in_landing(rt_, day_):
        recounts.append(day_)
        if len(recounts) == 1:   # after the WATCH, before the MULTI: the version moves
            rt.redis.incr(live.day_keys(rt, day)["version"])
        return recount(rt_, day_)

    monkeypatch.setattr(live, "_recount", with_a_check_in_landing)
    live.rebuild(rt, day)
    monkeypatch.undo()
    assert recounts == [day, day]                 # WatchError on the cluster: counted again
    assert live.is_current(rt, day)               # built_on is the run_id of the node holding the date
    assert live.snapshot(rt, day)["units"]["DINKES"] == expected
    check_in(rt, second, at(day, "07:15"))
    applied = live.snapshot(rt, day)
    assert applied["units"]["DINKES"]["on_time"] == expected["on_time"] + 1
    live.rebuild(rt, day)                         # what the script applied is what Postgres counts
    rebuilt = live.snapshot(rt, day)
    assert (rebuilt["units"], rebuilt["totals"]) == (applied["units"], applied["totals"])


def test_rate_limits_of_many_devices_in_one_script_call(cluster_runtime):
    limits = RateLimits(with_rate_limits(cluster_runtime, device="3/minute"))
    devices = [f"dev-{uuid.uuid4().hex[:8]}" for _ in range(20)]
    batch = [[("device", d), ("ip", "10.9.0.1")] for d in devices for _ in range(4)]
    answers = limits.hit_many(batch)
    refused = [i for i, a in enumerate(answers) if a is not None]
    assert refused == [4 * k + 3 for k in range(20)]           # each device's 4th request
    assert all(answers[i].status == 429 and int(answers[i].headers["Retry-After"]) >= 1 for i in refused)


def test_the_dashboard_caches_and_limits_logins_on_the_cluster(cluster_runtime):
    server = create_flask(cluster_runtime)
    with server.app_context():
        cache = server.extensions["pantau_cache"].cache
        assert isinstance(cache, shared_cache.ClusterCache)
        keys = [f"probe-{i}-{uuid.uuid4().hex}" for i in range(12)]   # over all 3 nodes
        assert [shared_cache.through(k, 60, lambda: {"dihitung": 1}) for k in keys] == [{"dihitung": 1}] * 12
        assert [shared_cache.through(k, 60, lambda: {"dihitung": 2}) for k in keys] == [{"dihitung": 1}] * 12
        assert len({cluster_runtime.redis.get_node_from_key(cache.key_prefix + k).name for k in keys}) > 1
        assert server.extensions["pantau_cache"].clear()              # every node's keys, not one node's
        assert [shared_cache.through(k, 60, lambda: {"dihitung": 2}) for k in keys] == [{"dihitung": 2}] * 12
    limiter = server.extensions["pantau_limiter"]   # the app's own (dashboard/pages/login.py)
    assert isinstance(limiter.storage, shared_cache.ClusterLimits)   # limits' cluster storage, connected lazily
    assert limiter.storage.check() and limiter.storage.get_connection().get_nodes()


def test_cluster_urls_name_their_nodes_credentials_and_tls():
    nodes, options = cluster_nodes("rediss+cluster://pantau:s%40ndi@10.0.0.5:7000,[::1]:7001/0")
    assert nodes == [("10.0.0.5", 7000), ("::1", 7001)]
    assert options == {"ssl": True, "username": "pantau", "password": "s@ndi"}
    assert cluster_nodes("redis+cluster://:rahasia@h1:6379") == ([("h1", 6379)], {"password": "rahasia"})
    with pytest.raises(ValueError, match=r"REDIS_URL: 'h1' is not host:port"):
        cluster_nodes("redis+cluster://h1")
    assert isinstance(redis_client("redis://127.0.0.1:1/0"), redis.Redis)   # one server: unchanged


def test_an_unreachable_cluster_is_a_redis_error_the_callers_already_survive():
    with pytest.raises(redis.ConnectionError, match="Redis Cluster unreachable"):
        redis_client("redis+cluster://127.0.0.1:1", socket_connect_timeout=0.5)
