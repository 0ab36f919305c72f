"""Scratch databases for benchmarks (created fresh, dropped and re-created on the next run)."""
from __future__ import annotations

from sqlalchemy.engine import make_url

from .db import maintenance


def recreate_database(server_url: str, name: str) -> str:
    """Drop and create a database on a server; returns its URL."""
    url = make_url(server_url).set(drivername="postgresql+psycopg2")
    with maintenance(url.render_as_string(hide_password=False)) as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    return url.set(database=name).render_as_string(hide_password=False)
