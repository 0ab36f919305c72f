"""Pull mode on the wire: `pull` (pyzk) against a terminal speaking ZKTeco's binary protocol
over TCP (tests/support/zk_terminal_sim.py): a whole read, a read cut off mid-way, a slow
terminal among others."""
from __future__ import annotations

import datetime as dt
import threading

from foundation import clock
from ingest.terminals import pull, registry
from queries import terminals as qt
from tests.support.terminals import DAYS, WIB, at, check_ins, logs, q, sn, staff
from tests.support.zk_terminal_sim import AUTH, CLEAR_ATTLOG, Punch, ZKTerminal

GUARD_S = 90    # a pull still running after this never ends (pyzk looping on a closed line)


def _terminal(runtime, punches: list[Punch], **kw) -> ZKTerminal:
    serial = kw.pop("serial", None) or sn()
    registry.approve(runtime, serial, "DINKES-1", actor="test")
    clock_now = clock.now().astimezone(WIB).replace(tzinfo=None, microsecond=0)
    return ZKTerminal(serial, punches, clock=clock_now, **kw).start()


def _week(people: list[tuple[dict, str]], days: list[dt.date]) -> list[Punch]:
    return [Punch(pin, at(day, hh, mm), state) for day in days for _, pin in people
            for hh, mm, state in ((7, 20, 0), (16, 5, 1))]


def _finished(work):
    """work() in a thread; its result or exception, or a failure when it never ends."""
    box: dict = {}

    def run():
        try:
            box["result"] = work()
        except Exception as exc:   # noqa: BLE001 - handed back to the test
            box["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(GUARD_S)
    assert not worker.is_alive(), f"the pull was still running after {GUARD_S} s"
    return box


def _stored(runtime, serial: str) -> dict:
    rows = logs(runtime, serial)
    keys = [(r["pin"], r["local_time"]) for r in rows]
    made = check_ins(runtime, serial)
    return {"lines": len(rows), "distinct": len(set(keys)), "applied": sum(r["state"] == "applied" for r in rows),
            "check_ins": len(made), "distinct_check_ins": len({(c["employee_id"], c["captured_at"]) for c in made})}


def test_a_pull_reads_every_record_over_the_wire_and_stores_it_once(runtime, demo_clock):
    people = staff(runtime, 3)
    punches = _week(people, DAYS[:2]) + [Punch("99887766", at(DAYS[1], 7, 1))]     # a PIN no one has
    with _terminal(runtime, punches, key=20261) as term:
        first = pull.pull(runtime, "127.0.0.1", term.port, password=20261, timeout=5)
        assert first.sn == term.serial and first.read == 13
        assert (first.outcome.new, first.outcome.applied, first.outcome.unmatched) == (13, 12, 1)
        assert first.outcome.check_ins == 12
        assert _stored(runtime, term.serial) == {"lines": 13, "distinct": 13, "applied": 12, "check_ins": 12,
                                                 "distinct_check_ins": 12}
        assert {x["via"] for x in logs(runtime, term.serial)} == {"pull"}
        assert AUTH in term.commands and term.attlog_reads == 1

        again = pull.pull(runtime, "127.0.0.1", term.port, password=20261, timeout=5)
        assert (again.read, again.outcome.new, again.outcome.duplicate) == (13, 0, 13)
        assert _stored(runtime, term.serial)["lines"] == 13 and len(check_ins(runtime, term.serial)) == 12
        # Pantau never clears a terminal's log
        assert CLEAR_ATTLOG not in term.commands and len(term.punches) == 13

        wrong = _finished(lambda: pull.pull(runtime, "127.0.0.1", term.port, password=1, timeout=5))
        assert isinstance(wrong.get("error"), pull.PullError) and "Unauthenticated" in str(wrong["error"])
    [source] = q(runtime, "SELECT * FROM terminal_pull_sources WHERE sn = :sn", sn=term.serial)
    assert source["last_count"] == 13 and source["port"] == term.port


def test_a_pull_cut_off_mid_read_stores_nothing_and_the_next_loses_and_doubles_nothing(runtime, demo_clock):
    people = staff(runtime, 4)
    with _terminal(runtime, _week(people, DAYS[:2])) as term:
        first = pull.pull(runtime, "127.0.0.1", term.port, timeout=5)
        assert first.outcome.new == 16

        # later punches, one of them written after a time sync set the terminal's clock back
        # (earlier than the newest stored record), and the line drops in the middle of the read
        later = _week(people, DAYS[2:3]) + [Punch(people[0][1], at(DAYS[1], 16, 1), 1)]
        term.punches.extend(later)
        term.drop_reads = 1
        cut = _finished(lambda: pull.pull(runtime, "127.0.0.1", term.port, timeout=5))
        assert term.dropped == 1
        assert isinstance(cut.get("error"), pull.PullError), cut
        assert "nothing of it was stored" in str(cut["error"])
        assert _stored(runtime, term.serial)["lines"] == 16 and len(check_ins(runtime, term.serial)) == 16

        done = _finished(lambda: pull.pull(runtime, "127.0.0.1", term.port, timeout=5))
        result = done.get("result")
        assert result is not None, done
        assert (result.read, result.outcome.new, result.outcome.duplicate) == (25, 9, 16)
        stored = _stored(runtime, term.serial)
        assert stored == {"lines": 25, "distinct": 25, "applied": 25, "check_ins": 25, "distinct_check_ins": 25}
        assert {(r["pin"], r["local_time"]) for r in logs(runtime, term.serial)} == \
            {(p.user_id, p.at) for p in term.punches}
        assert CLEAR_ATTLOG not in term.commands and term.attlog_reads == 2


def test_a_slow_terminal_times_out_without_holding_up_the_others(runtime, demo_clock):
    people = staff(runtime, 2)
    journal: list = []
    slow_sn, quick_sn = "A" + sn(), "B" + sn()     # the slow one first in pull_known's order
    with _terminal(runtime, _week(people, DAYS[:1]), serial=slow_sn, slow_s=0.6, journal=journal) as slow, \
            _terminal(runtime, _week(people, DAYS[1:2]), serial=quick_sn, journal=journal) as quick:
        with runtime.transaction() as conn:
            qt.save_pull_source(conn, slow.serial, "127.0.0.1", slow.port)
            qt.save_pull_source(conn, quick.serial, "127.0.0.1", quick.port)
        done = _finished(lambda: pull.pull_known(runtime, timeout=3, deadline_s=5))
        results = done.get("result")
        assert results is not None, done
        by_sn = {r.sn: r for r in results if isinstance(r, pull.PullResult)}
        errors = [str(r) for r in results if isinstance(r, pull.PullError)]

        assert quick.serial in by_sn and by_sn[quick.serial].outcome.new == 4
        assert _stored(runtime, quick.serial)["lines"] == 4
        assert slow.serial not in by_sn
        assert any(f"127.0.0.1:{slow.port} did not finish its read within 5 s" in e for e in errors), errors
        assert logs(runtime, slow.serial) == [] and slow.attlog_reads == 0
        # the quick terminal was read while the slow one was still being waited for
        assert slow.closed()
        assert journal.index((quick.serial, "read")) < journal.index((slow.serial, "closed"))
    [source] = q(runtime, "SELECT last_error FROM terminal_pull_sources WHERE sn = :sn", sn=slow.serial)
    assert "did not finish" in source["last_error"]
