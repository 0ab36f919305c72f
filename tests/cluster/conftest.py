"""Fixtures of the Redis Cluster tests: a cluster of 3 primaries (REDIS_URL's when it names
one, else one started here with `pantau.redis_cluster` on free ports), and the sample city
on it against the test Postgres. The fault tests get a cluster of their own to kill nodes of."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from foundation.runtime import Runtime, boot
from foundation.services import is_cluster_url
from foundation.settings import Settings
from pantau import redis_cluster
from tests.conftest import ROOT, RUN_ID
from tests.support.servers import free_port


@dataclass
class OwnCluster:
    directory: Path
    ports: list[int]
    bus_ports: list[int]
    url: str


def _start(directory: Path) -> OwnCluster:
    ports, bus = [free_port() for _ in range(3)], [free_port() for _ in range(3)]
    return OwnCluster(directory, ports, bus, redis_cluster.up(directory, ports, bus_ports=bus))


@pytest.fixture(scope="session")
def cluster_url(tmp_path_factory):
    url = os.environ.get("REDIS_URL", "")
    if is_cluster_url(url):
        yield url
        return
    directory = tmp_path_factory.mktemp("redis-cluster")
    try:
        yield _start(directory).url
    finally:
        redis_cluster.down(directory)


@pytest.fixture(scope="module")
def own_cluster(tmp_path_factory):
    """A cluster of this module's, whose nodes it may kill -9 and restart."""
    directory = tmp_path_factory.mktemp("own-redis-cluster")
    try:
        yield _start(directory)
    finally:
        redis_cluster.down(directory)


def _runtime(make_database, url: str, tmp_path_factory, label: str):
    var_dir = tmp_path_factory.mktemp(f"var-{label}")
    settings = Settings(database_url=make_database(label), redis_url=url,
                        config_path=ROOT / "config.yaml", var_dir=var_dir,
                        redis_prefix=f"pantau-{label}-{RUN_ID}", selfie_dir=var_dir / "selfies",
                        secret_key=f"{label}-{RUN_ID}")
    rt = boot(settings)
    yield rt
    prefix = settings.redis_prefix
    keys = [*rt.redis.scan_iter(f"{prefix}:*"), *rt.redis.scan_iter(f"{{{prefix}:*")]
    if keys:
        rt.redis.delete(*keys)
    rt.redis.close()


@pytest.fixture(scope="module")
def cluster_runtime(make_database, cluster_url, tmp_path_factory) -> Runtime:
    """The sample city on a fresh database of the test Postgres and on the cluster."""
    yield from _runtime(make_database, cluster_url, tmp_path_factory, "cluster")


@pytest.fixture(scope="module")
def own_cluster_runtime(make_database, own_cluster, tmp_path_factory) -> Runtime:
    yield from _runtime(make_database, own_cluster.url, tmp_path_factory, "cluster_faults")  # no "-": Citus 13 propagates a GRANT on a function of such a schema unquoted
