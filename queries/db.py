"""The one path through which all SQL runs (as Datasette's `db.execute`).

Every other module in `queries/` names a question and calls `rows`, `one`, `scalar`,
`run` or `copy_rows` with bound parameters. Nothing outside `queries/` imports
SQLAlchemy or writes SQL.
"""
from __future__ import annotations

import csv
import io
import logging
import os
import re
import select
import threading
import time
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, Iterable, Iterator, Sequence

import psycopg2
import psycopg2.errors
import psycopg2.extensions
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

log = logging.getLogger("pantau.db")

_lock = threading.Lock()
_engines: dict[tuple[str, int], Engine] = {}

# A connection back from the pool is checked with a SELECT 1 only when it sat idle this
# long: a busy API would otherwise pay a round trip per checkout. A connection that died
# while in use (Postgres restarted under load) fails its statement instead; that surfaces
# as DatabaseUnavailable (503 + Retry-After, the app retries) and SQLAlchemy then drops
# the whole pool, so one request per process sees it.
PING_AFTER_IDLE_S = 10.0

# Every connection: a server gone from the network without a reset is noticed in seconds
# (TCP keepalives, and unacknowledged sends give up after tcp_user_timeout), not hours.
KEEPALIVES = {"keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2, "keepalives_count": 3}
CONNECT_TIMEOUT_S = 10   # a process that answers no one (worker, CLI)
# The client waits this much longer than statement_timeout: a server that is only slow
# cancels the statement itself and the connection stays usable; a frozen one is given up.
CLIENT_GRACE_S = 0.5

# SQLSTATEs that mean "not now" rather than a bug: the statement ran past statement_timeout
# (57014), a lock or resource ran out (55P03, class 53), the server is starting or stopping.
OUTAGE_SQLSTATES = ("57014", "55P03", "57P01", "57P02", "57P03")
OUTAGE_CLASSES = ("53", "08")


class DatabaseUnavailable(Exception):
    """Postgres cannot be reached; the caller answers 503 and the client retries."""


class NoAnswer(psycopg2.OperationalError):
    """Postgres did not answer within the process's wait (frozen, overloaded, partitioned)."""


_pool_size = [5]
_wait_s: list[float | None] = [None]


def configure(*, pool_size: int) -> None:
    """Connections per engine (plus 10 overflow) for engines made from now on (the settings')."""
    _pool_size[0] = pool_size


def answer_within(seconds: float | None) -> None:
    """For a process that answers people (the API, the dashboard): no wait on Postgres, be it
    the pool, a connect, a statement or a commit, lasts longer than `seconds`; the caller
    then gets DatabaseUnavailable (503 + Retry-After) instead of hanging.

    The server enforces statement_timeout on a slow statement; a frozen server enforces
    nothing and its kernel still acknowledges every packet, so the client gives up too:
    psycopg2's wait callback (its documented hook for green threads) polls with a deadline.
    Engines made before (boot's migrations) are dropped so every connection gets the limits.
    None: no limit again (tests)."""
    _wait_s[0] = None if seconds is None else float(seconds)
    psycopg2.extensions.set_wait_callback(None if seconds is None else _wait_with_deadline)
    dispose_all()


def _wait_with_deadline(conn) -> None:
    """psycopg2.extras.wait_select with a deadline. Raising here makes psycopg2 close the
    connection: the server rolls back whatever was open (a check-in is stored whole or not)."""
    wait_s = _wait_s[0] + CLIENT_GRACE_S
    deadline = time.monotonic() + wait_s
    poller, fd = None, None
    while True:
        state = conn.poll()
        if state == psycopg2.extensions.POLL_OK:
            return
        left = deadline - time.monotonic()
        if left <= 0:
            raise NoAnswer(f"no answer from Postgres within {wait_s:g} s; connection closed")
        if fd != conn.fileno():   # a connect may move on to the host's next address (a new socket)
            poller, fd = select.poll(), conn.fileno()
        flag = select.POLLIN if state == psycopg2.extensions.POLL_READ else select.POLLOUT
        poller.register(fd, flag)   # registering again only changes the flags
        poller.poll(left * 1000)


def _connect_params(url: str) -> dict:
    wait_s = _wait_s[0]
    params = {"application_name": "pantau", **KEEPALIVES,
              "connect_timeout": CONNECT_TIMEOUT_S if wait_s is None else max(2, round(wait_s))}
    if wait_s is not None:
        params["tcp_user_timeout"] = int(wait_s * 1000)
        # added to the URL's own options (a region's search_path), which connect_args would replace
        params["options"] = " ".join(filter(None, [_url_options(url), f"-c statement_timeout={int(wait_s * 1000)}"]))
    return params


def _url_options(url: str) -> str:
    value = make_url(url).query.get("options") or ""
    return value if isinstance(value, str) else " ".join(value)


def region_lock_key(purpose: str) -> str:
    """SQL for the first key of a two-key advisory lock that belongs to this connection's
    region: advisory locks are per database, and regions share one (a schema each), so
    every key names the schema the search_path resolves to and what it serialises.
    An own region on the default search_path locks under 'public'."""
    assert re.fullmatch(r"[a-z_]+", purpose), purpose   # pasted into SQL: a fixed word only
    return f"hashtext(coalesce(current_schema(), '') || '/{purpose}')"


def url_schema(url: str) -> str | None:
    """The schema a URL's `options=-c search_path=...` puts first (a region's schema on a
    shared database, e.g. on Citus: docs/scale.md); None when the URL sets none."""
    match = re.search(r"-c\s*search_path\s*=\s*(\"[^\"]+\"|[^\s,]+)", _url_options(url))
    return match.group(1).strip('"') if match else None


def with_schema(url: str, schema: str) -> str:
    """`url` with its search_path set to `schema` (another region's, on the same database);
    the URL's other options are kept."""
    parsed = make_url(url)
    options = re.sub(r"-c\s*search_path\s*=\s*(\"[^\"]+\"|[^\s,]+)", "", _url_options(url)).strip()
    options = " ".join(filter(None, [options, f"-csearch_path={schema}"]))
    return parsed.update_query_dict({"options": options}).render_as_string(hide_password=False)


def engine(url: str) -> Engine:
    """One engine per URL and process (gunicorn forks: a child must not reuse the parent's pool)."""
    key = (url, os.getpid())
    with _lock:
        eng = _engines.get(key)
        if eng is None:
            eng = create_engine(
                url,
                pool_size=_pool_size[0],
                max_overflow=10,
                pool_timeout=_wait_s[0] or 10,
                connect_args=_connect_params(url),
            )
            event.listen(eng, "checkin", _note_idle)
            event.listen(eng, "checkout", _ping_if_idle)
            _engines[key] = eng
    return eng


def _note_idle(dbapi_connection, record) -> None:
    record.info["idle_since"] = time.monotonic()


def _ping_if_idle(dbapi_connection, record, proxy) -> None:
    if time.monotonic() - record.info.get("idle_since", time.monotonic()) < PING_AFTER_IDLE_S:
        return
    try:
        with dbapi_connection.cursor() as cur:
            cur.execute("SELECT 1")
        dbapi_connection.rollback()   # the driver opened a transaction for the SELECT
    except Exception as exc:   # the pool discards this connection and hands out a new one
        raise DisconnectionError(str(exc)) from exc


def dispose_all() -> None:
    with _lock:
        for eng in _engines.values():
            eng.dispose()
        _engines.clear()


@contextmanager
def _unavailable_as_503(open_connection) -> Iterator[Connection]:
    """Turn a lost or refused connection into DatabaseUnavailable (the API answers 503)."""
    try:
        with open_connection() as conn:
            yield conn
    except DBAPIError as exc:
        if _is_connection_error(exc):
            raise DatabaseUnavailable(str(exc.orig).strip()) from exc
        raise
    except PoolTimeout as exc:   # every connection busy (on statements of a frozen server) for the wait
        raise DatabaseUnavailable(str(exc)) from exc


def transaction(url: str):
    """A connection inside one transaction: committed on success, rolled back on error."""
    return _unavailable_as_503(lambda: engine(url).begin())


def connection(url: str):
    """A read connection."""
    return _unavailable_as_503(lambda: engine(url).connect())


def maintenance(url: str):
    """A connection outside any transaction (AUTOCOMMIT), for CREATE / DROP DATABASE."""
    return _unavailable_as_503(lambda: engine(url).connect().execution_options(isolation_level="AUTOCOMMIT"))


def _is_connection_error(exc: DBAPIError) -> bool:
    if exc.connection_invalidated or _is_outage(exc.orig):
        return True
    return isinstance(exc, OperationalError) and any(
        word in str(exc.orig).lower() for word in ("connect", "terminat"))


def _is_outage(orig: BaseException) -> bool:
    code = getattr(orig, "pgcode", None) or ""
    return isinstance(orig, NoAnswer) or code in OUTAGE_SQLSTATES or code[:2] in OUTAGE_CLASSES


@lru_cache(maxsize=512)
def _statement(sql: str):
    return text(sql)


def run(conn: Connection, sql: str, **params: Any):
    return conn.execute(_statement(sql), params)


def inserted(conn: Connection, sql: str, **params: Any) -> int:
    """How many rows an `INSERT ... ON CONFLICT DO NOTHING RETURNING 1` stored. Counted from
    the returned rows, not the row count: for an INSERT ... SELECT that Citus runs through
    the coordinator, the row count is every row offered, the skipped ones too."""
    return len(run(conn, sql, **params).fetchall())


def rows(conn: Connection, sql: str, **params: Any) -> list[dict]:
    # keys once and plain tuples: a RowMapping per row cost ~7 µs, 70 ms for a year's trends
    result = run(conn, sql, **params)
    keys = tuple(result.keys())
    return [dict(zip(keys, r)) for r in result.fetchall()]


def one(conn: Connection, sql: str, **params: Any) -> dict | None:
    row = run(conn, sql, **params).mappings().first()
    return dict(row) if row is not None else None


def scalar(conn: Connection, sql: str, **params: Any) -> Any:
    return run(conn, sql, **params).scalar()


@lru_cache(maxsize=64)
def _driver_sql(sql: str) -> str:
    """:name placeholders as the driver's %(name)s (casts written CAST(...), never ::)."""
    return re.sub(r"(?<![:\w]):(\w+)", r"%(\1)s", sql.replace("%", "%%"))


def driver_rows(conn: Connection, sql: str, **params: Any) -> list[dict]:
    """`rows` straight on the driver's cursor, in the connection's transaction: for the
    check-in hot path, where SQLAlchemy's execution machinery costs more CPU than the
    statement. A lost connection still becomes DatabaseUnavailable (and leaves the pool)."""
    with _driver_cursor(conn) as cur:
        cur.execute(_driver_sql(sql), params)
        return _fetched(cur)


def driver_values(conn: Connection, sql: str, records: Sequence[Sequence[Any]], template: str | None = None,
                  *, returning: bool = True) -> list[dict]:
    """`driver_rows` for one multi-row `INSERT ... VALUES %s` (psycopg2's execute_values),
    its RETURNING rows (`returning`: the statement has a RETURNING clause). A plain VALUES insert is one task on Citus, where an INSERT ... SELECT
    from a function or a modifying CTE is planned in several steps through the coordinator."""
    from psycopg2.extras import execute_values

    with _driver_cursor(conn) as cur:
        found = execute_values(cur, sql, list(records), template=template, page_size=max(len(records), 1),
                               fetch=returning)
        if not returning:
            return []
        names = [c.name for c in cur.description] if cur.description else []
        return [dict(zip(names, row)) for row in found]


def _fetched(cur) -> list[dict]:
    if not cur.description:
        return []
    names = [c.name for c in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


@contextmanager
def _driver_cursor(conn: Connection):
    try:
        with conn.connection.driver_connection.cursor() as cur:
            yield cur
    except conn.dialect.loaded_dbapi.Error as exc:
        if conn.dialect.is_disconnect(exc, conn.connection.dbapi_connection, None):
            conn.invalidate(exc)
            raise DatabaseUnavailable(str(exc).strip()) from exc
        if _is_outage(exc):
            raise DatabaseUnavailable(str(exc).strip()) from exc
        raise


def run_many(conn: Connection, sql: str, params: Sequence[dict]) -> None:
    if params:
        conn.execute(_statement(sql), list(params))


def stream(conn: Connection, sql: str, batch: int = 5000, *, as_tuples: bool = False, **params: Any) -> Iterator:
    """Rows from a server-side cursor, so a big result never sits in memory.
    `as_tuples`: plain tuples in column order (a month's rebuild reads a million rows)."""
    # per statement: Connection.execution_options() would change the connection for good
    result = conn.execute(_statement(sql), params,
                          execution_options={"stream_results": True, "max_row_buffer": batch})
    if as_tuples:
        for row in result:
            yield tuple(row)
        return
    for row in result.mappings():
        yield dict(row)


def copy_rows(conn: Connection, table: str, columns: Sequence[str], data: Iterable[Sequence[Any]]) -> int:
    """Bulk load with COPY (the demo-data generator and recompute write millions of rows)."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    count = 0
    for row in data:
        writer.writerow(["\\N" if v is None else v for v in row])
        count += 1
    buf.seek(0)
    raw = conn.connection.driver_connection
    if psycopg2.extensions.get_wait_callback() is not None:
        return _insert_rows(raw, table, columns, buf)
    with raw.cursor() as cur:
        try:
            cur.copy_expert(
                f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", buf
            )
        except psycopg2.InternalError as exc:
            # Citus passes a worker's unique violation during COPY on as XX000 (internal error):
            # raised as the UniqueViolation plain Postgres gives, which callers catch
            if str(exc).startswith("duplicate key value violates unique constraint"):
                raise psycopg2.errors.UniqueViolation(str(exc)) from exc
            raise
    return count


def _insert_rows(raw, table: str, columns: Sequence[str], buf: io.StringIO) -> int:
    """copy_rows in a process with a wait callback (answer_within), where psycopg2 refuses COPY:
    the same CSV text as a multi-row INSERT (Postgres casts each text to its column's type).
    Those processes copy small sets only (a terminal batch's work days); bulk loads run elsewhere."""
    from psycopg2.extras import execute_values

    records = [[None if v == "\\N" else v for v in row] for row in csv.reader(buf)]
    with raw.cursor() as cur:
        execute_values(cur, f"INSERT INTO {table} ({', '.join(columns)}) VALUES %s", records, page_size=1000)
    return len(records)
