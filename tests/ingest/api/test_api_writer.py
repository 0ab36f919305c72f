"""Group commit keeps every promise of one check-in at a time: a batch is judged in order
(a retry inside it is a retry, a second in never moves the first), each request gets its
own answer, and one bad job never fails the others."""
from __future__ import annotations

import asyncio
import datetime as dt
import json
import threading
import uuid
from zoneinfo import ZoneInfo

from fastapi.security import HTTPAuthorizationCredentials
from fastapi.testclient import TestClient

from ingest import attendance
from ingest.api.check_in_batch import Job, record_batch
from ingest.api.errors import ApiError
from ingest.api.writer import Writer
from ingest.app import create_app
from ingest.rules.judge import Attempt
from queries import db
from queries.db import DatabaseUnavailable
from tests.support import factories
from tests.support.phones import body, new_phone

WIB = ZoneInfo("Asia/Jakarta")
DAY = dt.date(2026, 12, 9)   # a Wednesday, apart from other tests' dates


def _at(hour: int, minute: int) -> dt.datetime:
    return dt.datetime(DAY.year, DAY.month, DAY.day, hour, minute, tzinfo=WIB)


def _entry(rt, employee_id: int, moment: dt.datetime, key: str | None = None) -> attendance.Entry:
    o = rt.config.office_by_code["DINKES-1"]
    return attendance.Entry(employee_id, Attempt(source="mobile", captured_at=moment, received_at=moment,
                                                 lat=o.lat, lon=o.lon, accuracy_m=8),
                            key or f"mobile:{employee_id}:{uuid.uuid4()}", payload={})


def test_a_batch_is_judged_in_order_like_one_check_in_at_a_time(runtime):
    a, b = factories.employee(runtime, "DINKES"), factories.employee(runtime, "DINKES")
    first = _entry(runtime, a["id"], _at(7, 40))
    done = attendance.record_many(runtime, [
        first,
        _entry(runtime, a["id"], _at(7, 40), key=first.event_key),   # the phone's retry, same batch
        _entry(runtime, a["id"], _at(7, 55)),                        # a second "in": recorded, first stays
        _entry(runtime, 987_654_321, _at(7, 5)),                     # no such employee
        _entry(runtime, b["id"], _at(16, 30)),
    ])
    assert [type(d).__name__ for d in done] == ["Recorded"] * 3 + ["UnknownEmployee", "Recorded"]
    assert not done[0].duplicate and done[1].duplicate and done[1].check_in_id == done[0].check_in_id
    assert done[1].verdict == done[0].verdict and done[0].verdict["minutes_late"] > 0
    assert done[2].work_day.first_in == _at(7, 40)   # the first in stands, as the rule says
    with runtime.connection() as conn:
        stored = db.rows(conn, "SELECT employee_id, count(*) AS n FROM check_ins WHERE work_date = :d "
                               "AND employee_id IN (:a, :b) GROUP BY 1 ORDER BY 1", d=DAY, a=a["id"], b=b["id"])
        day = db.one(conn, "SELECT first_in FROM work_days WHERE employee_id = :e AND work_date = :d",
                     e=a["id"], d=DAY)
    assert stored == [{"employee_id": a["id"], "n": 2}, {"employee_id": b["id"], "n": 1}]
    assert day == {"first_in": _at(7, 40)}
    again = attendance.record_many(runtime, [first])[0]   # a later batch: still the same answer
    assert again.duplicate and again.check_in_id == done[0].check_in_id


def test_each_request_of_a_batch_gets_its_own_answer(runtime):
    app = create_app(runtime)
    app.state.now = lambda: _at(7, 20)
    with TestClient(app) as c:
        phone = new_phone(runtime, c)
    good = body(runtime, _at(7, 20))
    bad = {**body(runtime, _at(7, 21)), "location": {"lat": 123}}

    def job(data: dict | str, token: str | None) -> Job:
        creds = HTTPAuthorizationCredentials(scheme="Bearer", credentials=token) if token else None
        return Job("10.0.0.1", creds, data if isinstance(data, str) else json.dumps(data), None, [])
    out = record_batch(app.state, [job(good, phone["token"]), job(bad, phone["token"]), job(good, "nope"),
                                   job(good, None), job(good, phone["token"])])
    assert out[0].duplicate is False and out[0].verdict == "accepted"
    assert isinstance(out[1], ApiError) and out[1].status == 422
    assert {f["field"] for f in out[1].fields} >= {"location.lat", "location.lon"}
    assert isinstance(out[2], ApiError) and (out[2].status, out[2].code) == (401, "invalid_token")
    assert isinstance(out[3], ApiError) and (out[3].status, out[3].code) == (401, "missing_token")
    assert out[4].duplicate is True and out[4].event_id == out[0].event_id
    with runtime.connection() as conn:
        assert db.scalar(conn, "SELECT count(*) FROM check_ins WHERE employee_id = :e",
                         e=phone["employee"]["id"]) == 1


def test_the_writer_batches_waiting_jobs_and_isolates_a_failing_one():
    seen: list[list[int]] = []
    release = threading.Event()

    def handle(jobs: list[int]) -> list:
        seen.append(list(jobs))
        if jobs == [0]:
            release.wait(5)   # hold the first batch so the others queue up behind it
        if 13 in jobs:
            raise RuntimeError("a bug that concerns job 13 alone")
        return [j * 10 for j in jobs]

    writer = Writer(handle, threads=1)

    async def main():
        first = asyncio.ensure_future(writer.submit(0))
        await asyncio.sleep(0.05)
        rest = [asyncio.ensure_future(writer.submit(j)) for j in (11, 12, 13, 14)]
        await asyncio.sleep(0.05)
        release.set()
        return await asyncio.gather(first, *rest, return_exceptions=True)
    try:
        results = asyncio.run(main())
    finally:
        writer.close()
    assert results[:3] == [0, 110, 120] and results[4] == 140
    assert isinstance(results[3], RuntimeError)
    assert seen[:2] == [[0], [11, 12, 13, 14]]          # the waiting four went as one batch
    assert seen[2:] == [[11], [12], [13], [14]]          # then each alone, after the batch failed


def test_a_database_outage_answers_every_job_of_the_batch_with_503():
    writer = Writer(lambda jobs: (_ for _ in ()).throw(DatabaseUnavailable("gone")), threads=1)

    async def main():
        return await asyncio.gather(*(writer.submit(j) for j in range(3)), return_exceptions=True)
    try:
        results = asyncio.run(main())
    finally:
        writer.close()
    assert [type(r) for r in results] == [DatabaseUnavailable] * 3
    assert len({id(r) for r in results}) == 3   # one exception each: raised in three requests
