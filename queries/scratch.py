"""Scratch databases for benchmarks (created fresh, dropped and re-created on the next run)."""
from __future__ import annotations

from sqlalchemy.engine import make_url

from .db import maintenance, run


def recreate_database(server_url: str, name: str) -> str:
    """Drop and create a database on a server; returns its URL."""
    url = make_url(server_url).set(drivername="postgresql+psycopg2")
    with maintenance(url.render_as_string(hide_password=False)) as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    return url.set(database=name).render_as_string(hide_password=False)


# --- the bare ceiling of bench/ingest (bench/bare_app.py): one INSERT per request ---------

def create_bare_table(conn) -> None:
    """The bare app's table, made by the owner (the app role may insert: default privileges)."""
    conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS bench_bare (id bigserial PRIMARY KEY, body bytea NOT NULL)")


def insert_bare(conn, body: bytes) -> None:
    run(conn, "INSERT INTO bench_bare (body) VALUES (:body)", body=body)


def drop_schemas(conn, prefix: str) -> list[str]:
    """Drop the schema `prefix` and every `<prefix>_r_*` beside it (a scratch installation's
    regions on a shared database, e.g. bench/regions on Citus); returns their names."""
    names = [r[0] for r in conn.exec_driver_sql(
        "SELECT nspname FROM pg_namespace WHERE nspname = %(p)s OR starts_with(nspname, %(p)s || '_r_')",
        {"p": prefix}).fetchall()]
    for name in names:
        conn.exec_driver_sql(f'DROP SCHEMA "{name}" CASCADE')
    return names
