"""Two regions on one database share its advisory locks: every key takes the region in, so
one region's day close, employee writers and config load never wait on another's."""
from __future__ import annotations

import datetime as dt
import threading

import pytest

from ingest.day_close import close_day
from queries import attendance, employees, work_days
from queries import db
from tests.support import factories


@pytest.fixture(scope="module")
def regions(make_installation):
    return make_installation("8271", label="inst_locks")


def test_one_regions_day_close_lock_does_not_skip_anothers_close(regions):
    own, ternate = regions["3672"], regions["8271"]
    day = dt.date(2025, 7, 14)
    with own.transaction() as conn:
        assert work_days.lock_day_close(conn, wait=False)
        # the same region: a second close is skipped while the lock is held
        assert close_day(own, day, "test", wait=False) is None
        # another region on the same database: its close runs
        summary = close_day(ternate, day, "test", wait=False)
    assert summary is not None and summary["date"] == day.isoformat()
    with ternate.connection() as conn:
        assert work_days.closed_dates(conn, day, day) == {day}
    with own.connection() as conn:
        assert work_days.closed_dates(conn, day, day) == set()


def _waits_on(rt, take, held_by, timeout_s: float = 2.0) -> bool:
    """Does `take(conn)` in region `rt` block while `held_by` holds its lock? A thread tries;
    True when it is still waiting after timeout_s (then released by the holder's commit)."""
    done = threading.Event()

    def worker():
        with rt.transaction() as conn:
            take(conn)
        done.set()

    thread = threading.Thread(target=worker, daemon=True)
    thread.start()
    blocked = not done.wait(timeout_s)
    held_by.commit()
    thread.join(10)
    assert done.is_set()
    return blocked


def test_an_employee_lock_of_one_region_is_not_the_same_id_in_another(regions):
    own, ternate = regions["3672"], regions["8271"]
    emp = factories.employee(own, "DINKES")
    # the same id in both regions: Ternate's lock must not wait for the own region's
    with db.engine(own.database_url).connect() as holder:
        holder.begin()
        attendance.lock_employee(holder, emp["id"])
        assert not _waits_on(ternate, lambda c: attendance.lock_employee(c, emp["id"]), holder)
    # and the same region does wait: the lock still serialises one region's writers
    with db.engine(own.database_url).connect() as holder:
        holder.begin()
        attendance.lock_employee(holder, emp["id"])
        assert _waits_on(own, lambda c: attendance.lock_employee(c, emp["id"]), holder)


def test_imports_of_two_regions_run_at_once(regions):
    own, ternate = regions["3672"], regions["8271"]
    with db.engine(own.database_url).connect() as holder:
        holder.begin()
        employees.lock_for_import(holder)
        assert not _waits_on(ternate, employees.lock_for_import, holder)

