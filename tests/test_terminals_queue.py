"""A terminal backlog's past work days go through the durable work-day queue.

The upload stores the lines, their check-ins and the (employee, date) pairs to refresh in
one transaction; the worker's drain derives those work days later, set-based. Uploads are
made in this process with `punches.receive` (the push endpoint's own call) on the demo clock.
"""
from __future__ import annotations

import pytest

from ingest import work_days
from ingest.terminals import protocol, punches, registry
from tests.terminal_sim import Record, Terminal
from tests.terminals_support import (DAY, DAYS, START, at, catch_up, check_ins, cli_process, client,  # noqa: F401
                                     demo_clock, q, queued, server, sn, staff)


def _backlog(people, days) -> bytes:
    lines = []
    for day in days:
        for i, (_, pin) in enumerate(people):
            lines.append(f"{pin}\t{at(day, 7, 10 + i):%Y-%m-%d %H:%M:%S}\t0\t1\t0\t0")
            lines.append(f"{pin}\t{at(day, 16, 30 + i):%Y-%m-%d %H:%M:%S}\t1\t1\t0\t0")
    return ("\r\n".join(lines) + "\r\n").encode()


def _upload(runtime, terminal: str, body: bytes) -> punches.Outcome:
    records, bad = protocol.parse_attlog(body)
    return punches.receive(runtime, terminal, records, bad, via="push", now=START)


def _work_days(runtime, ids: list[int]) -> list[dict]:
    return q(runtime, """SELECT employee_id, work_date, status, late_band, first_in, last_out, sources, unit_code
                         FROM work_days WHERE employee_id = ANY(:ids) ORDER BY 1, 2""", ids=ids)


@pytest.fixture
def terminal(runtime, demo_clock):
    name = sn()
    registry.approve(runtime, name, "DINKES-1", actor="test")
    return name


def test_backlog_queues_past_days_and_the_drain_matches_a_rebuild(runtime, terminal):
    people = staff(runtime, 3)
    ids = [e["id"] for e, _ in people]
    outcome = _upload(runtime, terminal, _backlog(people, DAYS))
    assert outcome.new == outcome.check_ins == 30
    # the days before yesterday wait in the queue; yesterday's (DAYS[-1]) is derived at once
    assert queued(runtime, ids) == sorted((e, d) for e in ids for d in DAYS[:-1])
    assert {(d["employee_id"], d["work_date"]) for d in _work_days(runtime, ids)} == {(e, DAYS[-1]) for e in ids}

    assert catch_up(runtime) >= 12
    assert queued(runtime, ids) == []
    drained = _work_days(runtime, ids)
    assert len(drained) == 15 and {d["status"] for d in drained} == {"hadir"}
    assert all(d["first_in"] and d["last_out"] and d["sources"] == ["terminal"] for d in drained)
    # a full rebuild of the range finds nothing to change
    with runtime.transaction() as conn:
        rebuilt = work_days.rebuild_range(conn, runtime.config, DAYS[0], DAY, employee_ids=ids)
    assert rebuilt["staged"] == 15 and rebuilt["written"] == 0
    assert _work_days(runtime, ids) == drained


def test_resend_queues_nothing_again(runtime, terminal):
    people = staff(runtime, 2)
    ids = [e["id"] for e, _ in people]
    body = _backlog(people, DAYS[:3])
    _upload(runtime, terminal, body)
    waiting = queued(runtime, ids)
    assert len(waiting) == 6
    again = _upload(runtime, terminal, body)          # the reply was lost: the same batch again
    assert again.duplicate == 12 and again.new == again.check_ins == 0
    assert queued(runtime, ids) == waiting
    catch_up(runtime)
    again = _upload(runtime, terminal, body)          # after a reboot, once the days are derived
    assert again.duplicate == 12 and queued(runtime, ids) == []
    assert len(check_ins(runtime, terminal)) == 12


def test_a_crash_after_the_upload_loses_nothing(runtime, terminal, demo_clock):
    """The queue is in Postgres: another process (here `pantau worker --once`) derives the days
    the uploading process never got to."""
    people = staff(runtime, 2)
    ids = [e["id"] for e, _ in people]
    _upload(runtime, terminal, _backlog(people, DAYS[:2]))
    assert len(queued(runtime, ids)) == 4 and _work_days(runtime, ids) == []
    done = cli_process(runtime, demo_clock, "worker", "--once")
    assert done.returncode == 0, done.stderr
    assert queued(runtime, ids) == []
    assert [(d["employee_id"], d["work_date"], d["status"]) for d in _work_days(runtime, ids)] == \
        sorted((e, d, "hadir") for e in ids for d in DAYS[:2])


def test_a_failed_drain_keeps_its_pairs(runtime, terminal, monkeypatch):
    people = staff(runtime, 2)
    ids = [e["id"] for e, _ in people]
    _upload(runtime, terminal, _backlog(people, DAYS[:2]))
    waiting = queued(runtime, ids)

    def broken(*args, **kwargs):
        raise RuntimeError("server stopped mid-drain")

    with monkeypatch.context() as mp:
        mp.setattr(work_days, "rebuild_range", broken)
        with pytest.raises(RuntimeError):
            work_days.drain(runtime)
    assert queued(runtime, ids) == waiting and _work_days(runtime, ids) == []
    catch_up(runtime)
    assert queued(runtime, ids) == [] and len(_work_days(runtime, ids)) == 4


def test_a_file_import_derives_its_history_at_once(runtime, terminal, tmp_path):
    from ingest.terminals import files

    people = staff(runtime, 1)
    path = tmp_path / f"{terminal}_attlog.dat"
    path.write_bytes(_backlog(people, DAYS[:2]))
    files.import_file(runtime, path, sn=terminal)
    assert queued(runtime, [people[0][0]["id"]]) == [] and len(_work_days(runtime, [people[0][0]["id"]])) == 2


def test_a_reboot_resending_a_big_log_over_http_is_absorbed(client, runtime):
    """A whole log in one upload (hundreds of KB, more than any API body) is read and
    absorbed: the terminal must not be refused, or it re-sends forever."""
    term = Terminal(client, sn())
    term.handshake()
    registry.approve(runtime, term.sn, "DINKES-1", actor="test")
    for day in DAYS:           # PINs no employee has yet: kept as unmatched lines
        for i in range(240):
            term.log += [Record(f"77{i:05d}", at(day, 7, i % 60)), Record(f"77{i:05d}", at(day, 16, i % 60), 1)]
    assert term.upload(chunk=500).status_code == 200 and term.sent == 2400
    resent = term.reboot()
    assert len("\r\n".join(term.line(r) for r in term.log)) > 64 * 1024
    assert resent.status_code == 200 and resent.text == "OK:2400"
    assert q(runtime, "SELECT count(*) AS n FROM terminal_logs WHERE sn = :sn", sn=term.sn) == [{"n": 2400}]


def test_a_file_import_drains_only_its_own_employees(runtime, terminal, tmp_path):
    from ingest.terminals import files

    others = staff(runtime, 1)
    _upload(runtime, terminal, _backlog(others, DAYS[:2]))       # a push backlog, still queued
    mine = staff(runtime, 1)
    path = tmp_path / f"{terminal}_attlog.dat"
    path.write_bytes(_backlog(mine, DAYS[2:4]))
    files.import_file(runtime, path, sn=terminal)
    assert queued(runtime, [mine[0][0]["id"]]) == [] and len(_work_days(runtime, [mine[0][0]["id"]])) == 2
    assert len(queued(runtime, [others[0][0]["id"]])) == 2       # left for the worker
