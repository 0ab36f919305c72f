"""Scratch databases for benchmarks (created fresh, dropped and re-created on the next run)."""
from __future__ import annotations

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def recreate_database(server_url: str, name: str) -> str:
    """Drop and create a database on a server; returns its URL."""
    url = make_url(server_url).set(drivername="postgresql+psycopg2")
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)
