"""The two database roles: the owner (runs migrations, owns every table) and the app's role
(what web, ingest, worker and the commands connect as).

The app's role owns nothing and may not create anything outside its own temporary tables;
it may read and write what the work needs, but never UPDATE, DELETE or TRUNCATE the record
(`RECORD`). That is a privilege, checked before any trigger runs; the append-only triggers
stay as a second line (Citus drops triggers on distributed tables, privileges it keeps).
Everything here runs as the owner, inside the migration's transaction and its lock.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from .db import one, rows, run, scalar

# Written once, never rewritten by the app: what was received or done, as it was.
RECORD = ("audit_log", "check_ins", "terminal_logs",
          # also insert-only in queries/: a lateness reason (the first stands), event scans,
          # a terminal's malformed lines, operation logs and photo digests, the patterns found
          # across check-ins and each selfie's perceptual hash
          "check_in_notes", "event_attendances", "terminal_bad_lines", "terminal_operlogs", "terminal_photos",
          "pattern_findings", "selfie_hashes",
          # why a check-in waits for review, and the decisions on it (a later decision supersedes)
          "check_in_flags", "review_decisions",
          # each employee's reference faces: a replacement is a new row, the old one stays
          "face_enrolments")
# Read by the app, written only by the owner: by migrations (the app checks the schema is at
# head), and the rollups by the owner's pantau_refresh_rollups() (0005_rollup_tables).
OWNER_ONLY = ("alembic_version", "unit_day_rollup", "arrival_rollup", "arrival_week_rollup")
FUNCTIONS = ("pantau_refresh_rollups()", "pantau_analyze()")   # run as the owner (0004_refresh_rollups)


class RoleSetupError(RuntimeError):
    """The app's role cannot be made or is not safe; the message says what to do."""


@dataclass(frozen=True)
class AppRole:
    name: str
    password: str | None
    derived: bool        # name and password come from DATABASE_URL and the secret key


def ensure(conn: Connection, role: AppRole) -> None:
    """Create the app's role when missing (LOGIN, NOINHERIT, nothing else), then grant it."""
    me = one(conn, "SELECT current_user AS name, current_database() AS db, current_schema() AS schema")
    if role.name == me["name"]:
        raise RoleSetupError(f"the app's role {role.name!r} is the owner of the tables: give the "
                             "processes a role of their own (PANTAU_APP_DATABASE_URL, docs/operations.md)")
    if not _exists(conn, role.name):
        _create(conn, role)
    elif role.derived and role.password is not None:
        # the derived password follows the secret key: a rotated key is picked up here
        _execute(conn, "format('ALTER ROLE %I PASSWORD %L', CAST(:n AS text), CAST(:p AS text))",
                 n=role.name, p=role.password)
    if not _in_place(conn, role.name, me["schema"]):
        _grant(conn, role.name, me["db"], me["schema"])


def _in_place(conn: Connection, name: str, schema: str) -> bool:
    """Does the role already hold exactly its rights? Then a start grants nothing: a GRANT
    rewrites every table's catalog row, and meeting the worker's REFRESH of a view there
    fails with 'tuple concurrently updated' (seen when the demo's processes start)."""
    return bool(scalar(conn, """
        SELECT NOT EXISTS (
                 SELECT 1 FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
                 WHERE s.nspname = :s   -- CASE: the planner may test a privilege before the kind
                   AND CASE WHEN c.relkind IN ('r', 'v', 'm', 'p') THEN NOT has_table_privilege(:n, c.oid, 'SELECT')
                            ELSE false END)
           AND NOT EXISTS (
                 SELECT 1 FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
                 WHERE s.nspname = :s
                   AND CASE WHEN c.relkind = 'S' THEN NOT has_sequence_privilege(:n, c.oid, 'USAGE') ELSE false END)
           AND NOT EXISTS (
                 SELECT 1 FROM unnest(CAST(:record AS text[])) AS t(name),
                               unnest(ARRAY['UPDATE', 'DELETE', 'TRUNCATE']) AS p(privilege)
                 WHERE to_regclass(t.name) IS NOT NULL AND has_table_privilege(:n, t.name, p.privilege))
           AND NOT EXISTS (
                 SELECT 1 FROM unnest(CAST(:functions AS text[])) AS f(sig)
                 WHERE to_regprocedure(f.sig) IS NOT NULL AND NOT has_function_privilege(:n, f.sig, 'EXECUTE'))
           AND has_database_privilege(:n, current_database(), 'CONNECT')""",
        s=schema, n=name, record=list(RECORD), functions=list(FUNCTIONS)))


def _exists(conn: Connection, name: str) -> bool:
    return bool(scalar(conn, "SELECT 1 FROM pg_roles WHERE rolname = :n", n=name))


def _create(conn: Connection, role: AppRole) -> None:
    try:
        with conn.begin_nested():   # another database's boot may create the same name at once
            _execute(conn, "format('CREATE ROLE %I LOGIN NOINHERIT NOCREATEDB NOCREATEROLE PASSWORD %L', "
                           "CAST(:n AS text), CAST(:p AS text))", n=role.name, p=role.password)
    except DBAPIError as exc:
        if _exists(conn, role.name):
            return
        raise RoleSetupError(
            f"cannot create the app's database role {role.name!r} ({str(exc.orig).strip()}): "
            "create it once as an administrator (docs/operations.md, 'Two database roles') "
            "and set PANTAU_APP_DATABASE_URL") from exc


def _grant(conn: Connection, name: str, database: str, schema: str) -> None:
    params = dict(n=name, d=database, s=schema)
    for statement in (
        "format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I', CAST(:d AS text), CAST(:n AS text))",
        "format('GRANT USAGE ON SCHEMA %I TO %I', CAST(:s AS text), CAST(:n AS text))",
        "format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO %I', CAST(:s AS text), CAST(:n AS text))",
        "format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO %I', CAST(:s AS text), CAST(:n AS text))",
        # tables a later migration makes: granted at once, before this runs again
        "format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO %I', "
        "CAST(:s AS text), CAST(:n AS text))",
        "format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT USAGE, SELECT ON SEQUENCES TO %I', CAST(:s AS text), CAST(:n AS text))",
    ):
        _execute(conn, statement, **params)
    for table in RECORD:
        _execute(conn, "format('REVOKE UPDATE, DELETE, TRUNCATE ON %I FROM %I, PUBLIC', "
                       "CAST(:t AS text), CAST(:n AS text))", t=table, n=name)
    for table in OWNER_ONLY:
        _execute(conn, "format('REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON %I FROM %I', "
                       "CAST(:t AS text), CAST(:n AS text))", t=table, n=name)
    for function in FUNCTIONS:
        if scalar(conn, "SELECT to_regprocedure(:f) IS NOT NULL", f=function):
            _execute(conn, "format('GRANT EXECUTE ON FUNCTION %s TO %I', CAST(:f AS text), CAST(:n AS text))",
                     f=function, n=name)
    # Before Postgres 15 everyone may create tables in `public`; only its owner can take that
    # back (a warning, not an error, for anyone else: docs/operations.md says who does it).
    if schema == "public" and scalar(conn, "SELECT has_schema_privilege(:n, 'public', 'CREATE')", n=name):
        run(conn, "REVOKE CREATE ON SCHEMA public FROM PUBLIC")


def _execute(conn: Connection, format_sql: str, **params) -> None:
    """Run a utility statement built by the server's format() (%I, %L quote it safely)."""
    statement = scalar(conn, f"SELECT {format_sql}", **params)
    conn.exec_driver_sql(statement)   # as built: no bind markers read into a password


def can_rewrite_record(conn: Connection) -> list[str]:
    """What the connected role may do to the record that it must not (empty when safe)."""
    return [r["what"] for r in rows(conn, """
        SELECT p.privilege || ' ' || t.name AS what
        FROM unnest(CAST(:tables AS text[])) AS t(name), unnest(ARRAY['UPDATE', 'DELETE', 'TRUNCATE']) AS p(privilege)
        WHERE to_regclass(t.name) IS NOT NULL AND has_table_privilege(t.name, p.privilege)
        ORDER BY 1""", tables=list(RECORD))]
