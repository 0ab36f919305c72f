"""Synthetic employees in bulk, on a scratch database (the ingest benchmark)."""
from __future__ import annotations

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, make_url

from .db import copy_rows, rows


def recreate_database(server_url: str, name: str) -> str:
    """Drop and create a scratch database on a server; returns its URL."""
    url = make_url(server_url).set(drivername="postgresql+psycopg2")
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def add_employees(conn: Connection, people: list[tuple[str, str, str]]) -> dict[str, int]:
    """(nip, name, unit_code) rows; returns nip -> id."""
    copy_rows(conn, "employees", ("nip", "name", "unit_code", "position"),
              ((nip, name, unit, "Pelaksana") for nip, name, unit in people))
    return {r["nip"]: r["id"] for r in rows(conn, "SELECT id, nip FROM employees WHERE nip = ANY(:n)",
                                             n=[p[0] for p in people])}

