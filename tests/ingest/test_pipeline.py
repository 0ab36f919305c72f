"""The check-in pipeline on real Postgres and Redis: storage, retries, work day, live state."""
from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

from ingest import attendance, live
from ingest.rules.judge import Attempt
from queries import db
from tests.support import factories

WIB = ZoneInfo("Asia/Jakarta")


def _attempt(rt, moment, office="DINKES-1", **kw):
    o = rt.config.office_by_code[office]
    return Attempt(source="mobile", captured_at=moment, received_at=moment, lat=o.lat, lon=o.lon,
                   accuracy_m=8, **kw)


def test_retry_is_absorbed_and_counts_once(runtime):
    emp = factories.employee(runtime, "DINKES")
    day = dt.date(2026, 11, 24)
    moment = dt.datetime(2026, 11, 24, 7, 50, tzinfo=WIB)
    key = f"mobile:{uuid.uuid4()}"
    first = attendance.record(runtime, emp["id"], _attempt(runtime, moment), key, payload={"n": 1})
    again = attendance.record(runtime, emp["id"], _attempt(runtime, moment), key, payload={"n": 2})
    assert not first.duplicate and again.duplicate
    assert again.verdict == first.verdict and first.verdict["minutes_late"] == 20
    with runtime.connection() as conn:
        assert db.scalar(conn, "SELECT count(*) FROM check_ins WHERE employee_id = :e", e=emp["id"]) == 1
        wd = db.one(conn, "SELECT status, late_band FROM work_days WHERE employee_id = :e AND work_date = :d",
                    e=emp["id"], d=day)
    assert wd == {"status": "hadir", "late_band": "TL1"}
    snap = live.snapshot(runtime, day)
    assert snap["units"]["DINKES"]["late"] == 1
    assert snap["latest"][0]["nip"] == emp["nip"]


def test_second_in_never_moves_first_in_and_live_equals_rebuild(runtime):
    emp = factories.employee(runtime, "DINKES")
    day = dt.date(2026, 11, 25)
    t1 = dt.datetime(2026, 11, 25, 7, 20, tzinfo=WIB)
    t2 = dt.datetime(2026, 11, 25, 8, 40, tzinfo=WIB)
    attendance.record(runtime, emp["id"], _attempt(runtime, t1), f"mobile:{uuid.uuid4()}", payload={})
    second = attendance.record(runtime, emp["id"], _attempt(runtime, t2), f"mobile:{uuid.uuid4()}", payload={})
    assert second.work_day.first_in == t1 and second.work_day.late_band is None
    before = live.snapshot(runtime, day)
    live.rebuild(runtime, day)
    after = live.snapshot(runtime, day)
    assert after["units"] == before["units"] and after["totals"]["present"] >= 1
    assert after["version"] > before["version"]


def test_refused_attempt_is_stored_but_not_counted(runtime):
    emp = factories.employee(runtime, "DINKES")
    moment = dt.datetime(2026, 11, 26, 7, 10, tzinfo=WIB)
    rec = attendance.record(runtime, emp["id"], _attempt(runtime, moment, mock=True),
                            f"mobile:{uuid.uuid4()}", payload={})
    assert rec.verdict["verdict"] == "refused" and rec.work_day is None
    with runtime.connection() as conn:
        assert db.scalar(conn, "SELECT reasons FROM check_ins WHERE id = :i", i=rec.check_in_id) == ["mock_location"]
        assert db.scalar(conn, "SELECT count(*) FROM work_days WHERE employee_id = :e", e=emp["id"]) == 0


def test_refresh_range_matches_the_live_path(runtime):
    from ingest.work_days import refresh_range

    emp = factories.employee(runtime, "DINKES")
    t = dt.datetime(2026, 11, 27, 8, 5, tzinfo=WIB)   # a Friday: 35 min late -> TL2
    live_day = attendance.record(runtime, emp["id"], _attempt(runtime, t), f"mobile:{uuid.uuid4()}", payload={}).work_day
    with runtime.transaction() as conn:
        records = refresh_range(conn, runtime.config, dt.date(2026, 11, 26), dt.date(2026, 11, 29),
                                employee_ids=[emp["id"]], closed=True)
    by_day = {r["work_date"]: r for r in records}
    assert live_day.late_band == by_day[t.date()]["late_band"] == "TL2"
    assert by_day[t.date()]["early_band"] == "PSW4"           # closed, no check-out
    assert by_day[dt.date(2026, 11, 26)]["status"] == "tk"    # closed, nothing at all
    assert dt.date(2026, 11, 28) not in by_day                # Saturday: not a work day
    with runtime.connection() as conn:
        assert db.scalar(conn, "SELECT count(*) FROM work_days WHERE employee_id = :e", e=emp["id"]) == 2


def test_a_commit_whose_answer_was_lost_is_recounted_on_the_wall(runtime, monkeypatch):
    """Postgres froze between storing a batch and answering its COMMIT: the phone got 503
    and this process never updated the wall; the next catch-up recounts the date."""
    import pytest

    from queries.db import DatabaseUnavailable

    day, moment = dt.date(2026, 12, 10), dt.datetime(2026, 12, 10, 7, 40, tzinfo=WIB)
    emp = factories.employee(runtime, "DINKES")
    live.rebuild(runtime, day)
    present = live.snapshot(runtime, day)["totals"]["present"]
    stored = attendance._record_many

    def stored_but_answer_lost(rt, entries, windows):
        with monkeypatch.context() as m:
            m.setattr(live, "apply_many", lambda rt, updates: True)
            stored(rt, entries, windows)
        raise DatabaseUnavailable("no answer from Postgres within 5 s; connection closed")

    monkeypatch.setattr(attendance, "_record_many", stored_but_answer_lost)
    with pytest.raises(DatabaseUnavailable):
        attendance.record(runtime, emp["id"], _attempt(runtime, moment), f"mobile:{uuid.uuid4()}", payload={})
    assert live.snapshot(runtime, day)["totals"]["present"] == present      # in Postgres, not on the wall
    assert live.catch_up(runtime, day)
    assert live.snapshot(runtime, day)["totals"]["present"] == present + 1
