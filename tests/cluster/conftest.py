"""Fixtures of the Redis Cluster tests: a cluster of 3 primaries (REDIS_URL's when it names
one, else one started here with `pantau.redis_cluster` on free ports), and the sample city
on it against the test Postgres."""
from __future__ import annotations

import os

import pytest

from foundation.runtime import Runtime, boot
from foundation.services import is_cluster_url
from foundation.settings import Settings
from pantau import redis_cluster
from tests.conftest import ROOT, RUN_ID
from tests.support.servers import free_port


@pytest.fixture(scope="session")
def cluster_url(tmp_path_factory):
    url = os.environ.get("REDIS_URL", "")
    if is_cluster_url(url):
        yield url
        return
    directory = tmp_path_factory.mktemp("redis-cluster")
    ports = [free_port() for _ in range(3)]
    try:
        yield redis_cluster.up(directory, ports, bus_ports=[free_port() for _ in ports])
    finally:
        redis_cluster.down(directory)


@pytest.fixture(scope="module")
def cluster_runtime(make_database, cluster_url, tmp_path_factory) -> Runtime:
    """The sample city on a fresh database of the test Postgres and on the cluster."""
    var_dir = tmp_path_factory.mktemp("var-cluster")
    settings = Settings(database_url=make_database("cluster"), redis_url=cluster_url,
                        config_path=ROOT / "config.yaml", var_dir=var_dir,
                        redis_prefix=f"pantau-cluster-{RUN_ID}", selfie_dir=var_dir / "selfies",
                        secret_key="cluster-" + RUN_ID)
    rt = boot(settings)
    yield rt
    prefix = settings.redis_prefix
    keys = [*rt.redis.scan_iter(f"{prefix}:*"), *rt.redis.scan_iter(f"{{{prefix}:*")]
    if keys:
        rt.redis.delete(*keys)
    rt.redis.close()
