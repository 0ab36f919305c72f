"""A process that answers people waits on Postgres within its budget (db.answer_within):
a statement past it is cut by the server and reported as DatabaseUnavailable (503), and
what needs COPY still works under the wait callback that enforces the budget client-side.
(A frozen server, which enforces nothing: tests/faults/test_postgres_faults.py.)"""
from __future__ import annotations

import datetime as dt

import psycopg2.extensions
import pytest

from queries import db


@pytest.fixture
def within_two_seconds():
    db.answer_within(2)
    yield
    db.answer_within(None)


def test_a_statement_past_the_budget_is_unavailable_not_a_hang(runtime, within_two_seconds):
    assert psycopg2.extensions.get_wait_callback() is not None
    with pytest.raises(db.DatabaseUnavailable, match="statement timeout"):
        with runtime.connection() as conn:
            db.run(conn, "SELECT pg_sleep(30)")
    with runtime.connection() as conn:              # the next request is served as usual
        assert db.scalar(conn, "SELECT 1") == 1


def test_copy_rows_stores_the_same_rows_under_the_wait_callback(runtime, within_two_seconds):
    when = dt.datetime(2026, 11, 24, 0, 15, tzinfo=dt.timezone.utc)
    data = [(1, True, dt.date(2026, 11, 24), "{a,b}", "", 1.5, when), (None, False, None, "{}", None, None, None)]
    with runtime.transaction() as conn:
        db.run(conn, "CREATE TEMP TABLE copied (a int, b boolean, c date, d text[], e text, f numeric, g timestamptz)")
        assert db.copy_rows(conn, "copied", tuple("abcdefg"), data) == 2
        stored = db.rows(conn, "SELECT * FROM copied ORDER BY a NULLS LAST")
    assert [tuple(r.values()) for r in stored] == [
        (1, True, dt.date(2026, 11, 24), ["a", "b"], "", 1.5, when), (None, False, None, [], None, None, None)]
