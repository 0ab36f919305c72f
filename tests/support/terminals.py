"""Shared by the terminal tests: their day, stored-row readers, the CLI, staff
(fixtures: tests/ingest/terminals/conftest.py)."""
from __future__ import annotations

import contextlib
import datetime as dt
import io
import subprocess
import sys
import uuid
from zoneinfo import ZoneInfo

import pytest

from queries import db
from tests.support import factories
from tests.conftest import ROOT, runtime_env

WIB = ZoneInfo("Asia/Jakarta")
DAY = dt.date(2026, 12, 8)            # a Tuesday, a work day: "today" for server and tests
START = dt.datetime(2026, 12, 8, 7, 45, tzinfo=WIB)
DAYS = [dt.date(2026, 12, d) for d in (1, 2, 3, 4, 7)]   # the work days before it


def sn() -> str:
    return "TST" + uuid.uuid4().hex[:10].upper()


def at(day: dt.date, hh: int, mm: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hh, mm))


def q(runtime, sql, **params) -> list[dict]:
    with runtime.connection() as conn:
        return db.rows(conn, sql, **params)


def check_ins(runtime, terminal_sn: str) -> list[dict]:
    return q(runtime, """SELECT event_key, employee_id, captured_at, work_date, session, verdict, minutes_late,
                                minutes_early, office_code, source, terminal_sn
                         FROM check_ins WHERE terminal_sn = :sn ORDER BY captured_at, employee_id""", sn=terminal_sn)


def logs(runtime, terminal_sn: str) -> list[dict]:
    return q(runtime, "SELECT * FROM terminal_log_lines WHERE sn = :sn ORDER BY local_time, pin", sn=terminal_sn)


def cli_process(runtime, demo_clock: str, *args) -> subprocess.CompletedProcess:
    """`pantau ...` as its own process, on the test's servers."""
    env = {**runtime_env(runtime), "PANTAU_DEMO_CLOCK": demo_clock}
    return subprocess.run([sys.executable, "-m", "pantau", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def cli(runtime, demo_clock: str, *args) -> subprocess.CompletedProcess:
    """`pantau ...` in this process (same environment as cli_process, without the start-up cost)."""
    from pantau.cli import main

    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        for key, value in {**runtime_env(runtime), "PANTAU_DEMO_CLOCK": demo_clock}.items():
            mp.setenv(key, value)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(args))
    return subprocess.CompletedProcess(["pantau", *args], code, out.getvalue(), err.getvalue())


def pin_of(runtime, emp: dict) -> str:
    return q(runtime, "SELECT COALESCE(terminal_pin, nip) AS pin FROM employees WHERE id = :e", e=emp["id"])[0]["pin"]


def staff(runtime, n: int, unit: str = "DINKES") -> list[tuple[dict, str]]:
    """n employees with a mapped terminal PIN, and that PIN."""
    out = []
    for _ in range(n):
        emp = factories.employee(runtime, unit, terminal_pin=str(uuid.uuid4().int % 10**8))
        out.append((emp, pin_of(runtime, emp)))
    return out


def queued(runtime, employee_ids: list[int]) -> list[tuple[int, dt.date]]:
    """The (employee, date) pairs waiting in the work-day queue for these employees."""
    return [(r["employee_id"], r["work_date"]) for r in q(
        runtime, "SELECT employee_id, work_date FROM work_day_queue WHERE employee_id = ANY(:ids) ORDER BY 1, 2",
        ids=employee_ids)]


def catch_up(runtime) -> int:
    """What the worker does each tick: apply the stored backlog lines, derive the queued work days."""
    from ingest.terminals.punches import apply_waiting
    from ingest.work_days import drain
    from queries.terminals import STORED

    apply_waiting(runtime, states=STORED)
    return drain(runtime)


def stored(runtime, terminal_sn: str) -> int:
    """Backlog lines of this terminal kept but not yet applied."""
    return q(runtime, "SELECT count(*) AS n FROM terminal_log_states WHERE sn = :sn AND state = 'stored'",
             sn=terminal_sn)[0]["n"]
