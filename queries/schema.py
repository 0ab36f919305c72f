"""Migrations (Alembic), applied by `pantau db upgrade` and at every start."""
from __future__ import annotations

import time
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.exc import InternalError

from . import citus, db, roles

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Serialises concurrent starts of one region (web, ingest and worker may upgrade at the
# same moment); another region's schema is another key. Not region_lock_key: the schema
# may not exist yet, and current_schema() is then another one.
_LOCK_KEY = 7_402_611


def _alembic_config(url: str) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, app_role: roles.AppRole | None = None, attempts: int = 5) -> list[str]:
    """Apply every pending migration as the owner (`url`), then create and grant the app's
    role when given; returns the heads now in place.

    A GRANT that meets another session's catalog change (the worker refreshing a view) fails
    with 'tuple concurrently updated'; the whole transaction rolled back, it is tried again."""
    cfg = _alembic_config(url)
    for attempt in range(1, attempts + 1):
        try:
            with db.engine(url).begin() as conn:
                db.run(conn, "SELECT pg_advisory_xact_lock(:k, hashtext(:s))", k=_LOCK_KEY, s=db.url_schema(url) or "")
                ensure_schema(conn, db.url_schema(url))
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "heads")
                if app_role is not None:
                    roles.ensure(conn, app_role)
            break
        except InternalError as exc:
            if "tuple concurrently updated" not in str(exc.orig) or attempt == attempts:
                raise
            time.sleep(0.2 * attempt)
    return current_heads(url)


def ensure_schema(conn, name: str | None) -> None:
    """The schema the URL's search_path names (a region's, on a shared database): made when
    missing, and on Citus distributed, so every table the migrations make lives on one node."""
    if name is None or name == "public":
        return
    if not db.scalar(conn, "SELECT 1 FROM pg_namespace WHERE nspname = :s", s=name):
        statement = db.scalar(conn, "SELECT format('CREATE SCHEMA %I', CAST(:s AS text))", s=name)
        conn.exec_driver_sql(statement)
    citus.distribute_schema(conn, name)


def current_heads(url: str) -> list[str]:
    with db.engine(url).connect() as conn:
        return sorted(MigrationContext.configure(conn).get_current_heads())


def pending(url: str) -> list[str]:
    script = ScriptDirectory.from_config(_alembic_config(url))
    have = set(current_heads(url))
    return sorted(set(script.get_heads()) - have)
