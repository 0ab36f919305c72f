"""A pushed terminal backlog is stored first and applied by the worker.

The upload keeps the lines before yesterday as 'stored' terminal_logs rows (durable,
deduplicated, then acknowledged); the worker applies them (check-ins, and the (employee,
date) pairs to refresh in the same transaction) and its drain derives those work days. Uploads are
made in this process with `punches.receive` (the push endpoint's own call) on the demo clock.
"""
from __future__ import annotations

import pytest

from ingest import attendance, live, work_days
from ingest.terminals import protocol, punches, registry
from tests.support.terminal_sim import Record, Terminal
from queries import terminals as q_terminals
from tests.support.terminals import (DAY, DAYS, START, at, catch_up, check_ins, cli_process, q, queued, sn,
                                     staff, stored)


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


def _check_in_columns(runtime, terminal: str) -> list[tuple]:
    return [(c["captured_at"], c["work_date"], c["session"], c["verdict"], c["minutes_late"],
             c["minutes_early"], c["event_key"]) for c in check_ins(runtime, terminal)]


def test_backlog_is_stored_first_and_the_worker_applies_it_like_the_direct_path(runtime, terminal, tmp_path):
    from ingest.terminals import files

    people = staff(runtime, 3)
    ids = [e["id"] for e, _ in people]
    outcome = _upload(runtime, terminal, _backlog(people, DAYS))
    # the days before yesterday are only kept (acknowledged); yesterday's (DAYS[-1]) applied at once
    assert outcome.new == 30 and outcome.stored == 24 and outcome.check_ins == 6
    assert stored(runtime, terminal) == 24 and len(check_ins(runtime, terminal)) == 6
    assert queued(runtime, ids) == []
    assert {(d["employee_id"], d["work_date"]) for d in _work_days(runtime, ids)} == {(e, DAYS[-1]) for e in ids}

    assert catch_up(runtime) >= 12
    assert stored(runtime, terminal) == 0 and queued(runtime, ids) == []
    applied = _check_in_columns(runtime, terminal)
    assert len(applied) == 30 and len({c[-1] for c in applied}) == 30
    drained = _work_days(runtime, ids)
    assert len(drained) == 15 and {d["status"] for d in drained} == {"hadir"}
    assert all(d["first_in"] and d["last_out"] and d["sources"] == ["terminal"] for d in drained)
    # a full rebuild of the range finds nothing to change
    with runtime.transaction() as conn:
        rebuilt = work_days.rebuild_range(conn, runtime.config, DAYS[0], DAY, employee_ids=ids)
    assert rebuilt["staged"] == 15 and rebuilt["written"] == 0
    assert _work_days(runtime, ids) == drained

    # the same punches of three other people through the direct path (a file): same verdicts, days
    twin, others = sn(), staff(runtime, 3)
    registry.approve(runtime, twin, "DINKES-1", actor="test")
    path = tmp_path / f"{twin}_attlog.dat"
    path.write_bytes(_backlog(others, DAYS))
    files.import_file(runtime, path, sn=twin)
    direct = _check_in_columns(runtime, twin)
    assert [c[:-1] for c in direct] == [c[:-1] for c in applied]
    other_days = _work_days(runtime, [e["id"] for e, _ in others])
    keep = ("work_date", "status", "late_band", "first_in", "last_out", "sources")
    assert [tuple(d[k] for k in keep) for d in other_days] == [tuple(d[k] for k in keep) for d in drained]


def test_resend_before_and_after_apply_adds_nothing(runtime, terminal):
    people = staff(runtime, 2)
    ids = [e["id"] for e, _ in people]
    body = _backlog(people, DAYS[:3])
    assert _upload(runtime, terminal, body).stored == 12
    again = _upload(runtime, terminal, body)          # the reply was lost: the same batch again
    assert again.duplicate == 12 and again.new == again.stored == again.check_ins == 0
    assert stored(runtime, terminal) == 12 and check_ins(runtime, terminal) == []
    catch_up(runtime)
    assert len(check_ins(runtime, terminal)) == 12 and len(_work_days(runtime, ids)) == 6
    again = _upload(runtime, terminal, body)          # after a reboot, once the lines are applied
    assert again.duplicate == 12 and stored(runtime, terminal) == 0 and queued(runtime, ids) == []
    assert len(check_ins(runtime, terminal)) == 12
    catch_up(runtime)
    assert len(check_ins(runtime, terminal)) == 12


def test_a_crash_after_the_upload_loses_nothing(runtime, terminal, demo_clock):
    """The stored lines are in Postgres: another process (here `pantau worker --once`) applies
    what the uploading process acknowledged."""
    people = staff(runtime, 2)
    ids = [e["id"] for e, _ in people]
    _upload(runtime, terminal, _backlog(people, DAYS[:2]))
    assert stored(runtime, terminal) == 8 and _work_days(runtime, ids) == []
    done = cli_process(runtime, demo_clock, "worker", "--once")
    assert done.returncode == 0, done.stderr
    assert stored(runtime, terminal) == 0 and len(check_ins(runtime, terminal)) == 8 and queued(runtime, ids) == []
    assert [(d["employee_id"], d["work_date"], d["status"]) for d in _work_days(runtime, ids)] == \
        sorted((e, d, "hadir") for e in ids for d in DAYS[:2])


def test_a_crash_mid_apply_loses_and_doubles_nothing(runtime, terminal, monkeypatch):
    people = staff(runtime, 2)
    _upload(runtime, terminal, _backlog(people, DAYS[:2]))

    def broken(*args, **kwargs):
        raise RuntimeError("server stopped mid-apply")

    with monkeypatch.context() as mp:
        mp.setattr(attendance, "refresh_range", broken)     # after the check-ins, before the commit
        mp.setattr(attendance.qw, "queue_pairs", broken)
        with pytest.raises(RuntimeError):
            punches.apply_waiting(runtime, states=q_terminals.STORED)
    assert stored(runtime, terminal) == 8 and check_ins(runtime, terminal) == []
    catch_up(runtime)
    assert stored(runtime, terminal) == 0 and len(check_ins(runtime, terminal)) == 8
    assert len(_work_days(runtime, [e["id"] for e, _ in people])) == 4


def test_a_failed_drain_keeps_its_pairs(runtime, terminal, monkeypatch):
    people = staff(runtime, 2)
    ids = [e["id"] for e, _ in people]
    _upload(runtime, terminal, _backlog(people, DAYS[:2]))
    punches.apply_waiting(runtime, states=q_terminals.STORED)
    waiting = queued(runtime, ids)
    assert len(waiting) == 4

    def broken(*args, **kwargs):
        raise RuntimeError("server stopped mid-drain")

    with monkeypatch.context() as mp:
        mp.setattr(work_days, "rebuild_range", broken)
        with pytest.raises(RuntimeError):
            work_days.drain(runtime)
    assert queued(runtime, ids) == waiting and _work_days(runtime, ids) == []
    catch_up(runtime)
    assert queued(runtime, ids) == [] and len(_work_days(runtime, ids)) == 4


def test_over_http_today_is_applied_at_once_and_a_backlog_line_resent_in_real_time_stays_one(client, runtime):
    term = Terminal(client, sn())
    term.handshake()
    registry.approve(runtime, term.sn, "DINKES-1", actor="test")
    (emp, pin), = staff(runtime, 1)
    term.log += [Record(pin, at(DAYS[0], 7, 5)), Record(pin, at(DAYS[0], 16, 40), 1), Record(pin, at(DAY, 7, 41))]
    r = term.upload()
    assert r.status_code == 200 and r.text == "OK:3"
    # today's punch: a check-in, its work day and the wall now; the old day's: stored only
    assert [c["captured_at"].date() for c in check_ins(runtime, term.sn)] == [DAY]
    assert runtime.redis.hget(live.day_keys(runtime, DAY)["emp"], str(emp["id"])) == "DINKES|late"
    assert stored(runtime, term.sn) == 2
    # the old punch once more, alone, as a realtime upload: it is the same stored line
    again = term.post_lines([term.line(term.log[0])], stamp=3)
    assert again.status_code == 200 and stored(runtime, term.sn) == 2 and len(check_ins(runtime, term.sn)) == 1
    catch_up(runtime)
    assert len(check_ins(runtime, term.sn)) == 3 and stored(runtime, term.sn) == 0
    again = term.post_lines([term.line(term.log[0])], stamp=3)
    assert again.status_code == 200 and len(check_ins(runtime, term.sn)) == 3


def test_unknown_pins_in_a_backlog_stay_unmatched_and_a_mapping_applies_them(runtime, terminal):
    people = staff(runtime, 1)
    body = _backlog(people, DAYS[:1]) + f"5550001\t{at(DAYS[0], 7, 30):%Y-%m-%d %H:%M:%S}\t0\t1\t0\t0\r\n".encode()
    outcome = _upload(runtime, terminal, body)
    assert outcome.stored == 2 and outcome.unmatched == 1
    assert q(runtime, "SELECT state FROM terminal_log_lines WHERE sn = :sn AND pin = '5550001'",
             sn=terminal) == [{"state": "unmatched"}]
    # a rematch (the administrator's action) applies both the held and the stored lines at once
    punches.apply_waiting(runtime, terminal)
    assert stored(runtime, terminal) == 0 and len(check_ins(runtime, terminal)) == 2


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
    _upload(runtime, terminal, _backlog(others, DAYS[:2]))       # a push backlog, still stored
    mine = staff(runtime, 1)
    path = tmp_path / f"{terminal}_attlog.dat"
    path.write_bytes(_backlog(mine, DAYS[2:4]))
    files.import_file(runtime, path, sn=terminal)
    assert queued(runtime, [mine[0][0]["id"]]) == [] and len(_work_days(runtime, [mine[0][0]["id"]])) == 2
    assert stored(runtime, terminal) == 4                        # left for the worker
