"""Citus, when the database has it: a region's schema distributed whole on one worker
(schema-based sharding, Citus 12+). On plain Postgres every question here answers "no"."""
from __future__ import annotations

from sqlalchemy.engine import Connection

from .db import rows, scalar


def installed(conn: Connection) -> bool:
    return bool(scalar(conn, "SELECT 1 FROM pg_extension WHERE extname = 'citus'"))


def distributed(conn: Connection, table: str) -> bool:
    """Is `table` (as the search_path finds it) a Citus table?"""
    if not installed(conn):
        return False
    return bool(scalar(conn, "SELECT 1 FROM pg_dist_partition WHERE logicalrelid = to_regclass(:t)", t=table))


def schema_tables(conn: Connection, schema: str) -> list[dict]:
    """Each table of `schema` as Citus sees it (its views live in `public`, which a region's
    search_path leaves out): the type ('schema' when the schema is distributed), the
    colocation group and the node its one shard is on."""
    return rows(conn, """
        SELECT c.relname::text AS table_name, t.citus_table_type AS table_type, t.colocation_id,
               (SELECT string_agg(DISTINCT s.nodename || ':' || s.nodeport, ',') FROM pg_catalog.citus_shards s
                WHERE s.table_name = t.table_name) AS node
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN public.citus_tables t ON t.table_name = CAST(c.oid AS regclass)
        WHERE n.nspname = :s AND c.relkind IN ('r', 'p')
        ORDER BY 1""", s=schema)


def schema_distributed(conn: Connection, schema: str) -> bool:
    return installed(conn) and bool(scalar(conn, "SELECT 1 FROM pg_dist_schema WHERE schemaid = to_regnamespace(:s)",
                                           s=schema))


def distribute_schema(conn: Connection, schema: str) -> None:
    """Make `schema` a distributed schema: its tables, now and later, live together on one
    node (Citus picks the worker). No-op without Citus, for `public`, or when already done."""
    if schema == "public" or not installed(conn) or schema_distributed(conn, schema):
        return
    scalar(conn, "SELECT citus_schema_distribute(CAST(:s AS regnamespace))", s=schema)


def explain(conn: Connection, sql: str, params: dict | None = None, records: list | None = None,
            template: str | None = None) -> str:
    """EXPLAIN a statement as the app sends it: `params` for a `rows`/`driver_rows` statement
    (:name), or the `records` of a `driver_values` insert rendered into its VALUES %s as
    psycopg2's execute_values does (bench/regions, tests/citus)."""
    from .db import _driver_sql

    with conn.connection.driver_connection.cursor() as cur:
        if records is not None:
            template = template or "(" + ", ".join(["%s"] * len(records[0])) + ")"
            values = b", ".join(cur.mogrify(template, r) for r in records).decode()
            cur.execute("EXPLAIN " + sql.replace("%s", values))
        else:
            cur.execute("EXPLAIN " + _driver_sql(sql), params or {})
        return "\n".join(r[0] for r in cur.fetchall())
