"""Synthetic history (for the demo and benchmarks): realistic, loadable twice, derivable."""
from __future__ import annotations

import datetime as dt
import random

from dataclasses import asdict

from ingest.synthetic import history
from ingest.synthetic.people import generate_employees
from ingest.work_days import rebuild_range
from queries import db
from queries import employees as qe
from queries import synthetic as qs
from tests.conftest import ROOT


def test_history_is_realistic_idempotent_and_matches_a_recompute(make_runtime):
    rt = make_runtime(ROOT / "config.yaml", "synthetic")
    with rt.transaction() as conn:
        qe.insert_many(conn, [asdict(e) for e in generate_employees(rt.config, 120, seed=3)])
    with rt.connection() as conn:
        employees = qs.active_employees(conn)
    first, last = dt.date(2027, 5, 3), dt.date(2027, 5, 14)   # two weeks, Kenaikan Isa Almasih on the 6th
    counts = history.load(rt, employees, first, last, closed_through=dt.date(2027, 5, 13))
    again = history.load(rt, employees, first, last, closed_through=dt.date(2027, 5, 13))
    assert counts["check_ins"] > 120 * 8 * 2 and again["check_ins"] == 0 and again["leaves"] == 0
    with rt.connection() as conn:
        morning = db.rows(conn, """
            SELECT c.minutes_late, c.verdict, c.work_date FROM check_ins c JOIN employees e ON e.id = c.employee_id
            JOIN units u ON u.code = e.unit_code
            WHERE c.session = 'in' AND COALESCE(e.schedule_code, u.schedule_code) = 'reguler'""")  # not the roster
        statuses = {r["status"]: r["n"] for r in db.rows(
            conn, "SELECT status, count(*) AS n FROM work_days GROUP BY status")}
        open_last = db.scalar(conn, "SELECT bool_and(NOT closed) FROM work_days WHERE work_date = :d", d=last)
        closed = db.scalar(conn, "SELECT count(*) FROM day_closes")
    accepted = [m for m in morning if m["verdict"] == "accepted"]
    on_time = sum(1 for m in accepted if not m["minutes_late"]) / len(accepted)
    assert 0.7 < on_time < 0.97                                      # most on time, a late few
    assert any(m["verdict"] == "refused" for m in morning)           # refused, then retried
    assert not any(m["work_date"] == dt.date(2027, 5, 6) for m in morning)   # holiday skipped
    assert statuses["hadir"] > 20 * statuses.get("tk", 0) > 0
    assert {"sakit", "cuti_tahunan"} & set(statuses)
    assert open_last and closed == 11
    with rt.transaction() as conn:   # the loader wrote what a recompute derives
        assert rebuild_range(conn, rt.config, first, last)["written"] == 0
    assert history.habit(random.Random(1)) == history.habit(random.Random(1))


def test_a_demo_tops_up_to_more_people_with_pins_of_their_own(make_runtime):
    """The demo's population grows from 60 to 150 people: the numbering of the larger set gives
    new people PINs the first 60 already hold, and the unique PIN refused the insert."""
    from ingest.synthetic.demo_data import populate

    rt = make_runtime(ROOT / "config.yaml", "synthetic_topup")
    day = dt.date(2027, 5, 14)
    populate(rt, 60, 1, day)
    with rt.connection() as conn:
        before = {e["id"]: e["terminal_pin"] for e in qs.active_employees(conn)}
    populate(rt, 150, 1, day)
    with rt.connection() as conn:
        after = qs.active_employees(conn)
    pins = [e["terminal_pin"] for e in after if e["terminal_pin"]]
    assert len(after) == 150 and len(pins) == len(set(pins)) and len(pins) > len([p for p in before.values() if p])
    assert all(before[e["id"]] == e["terminal_pin"] for e in after if e["id"] in before)   # nobody renumbered


def test_free_pins_moves_only_a_pin_already_held():
    from ingest.synthetic.people import free_pins

    people = generate_employees(_config(), 40, seed=5)
    mine = [p for p in people if p.terminal_pin][:3]
    taken = {mine[0].terminal_pin, "1999"}
    out = free_pins(mine, taken)
    assert out[0].terminal_pin not in taken and out[0].terminal_pin == "2000"
    assert [p.terminal_pin for p in out[1:]] == [p.terminal_pin for p in mine[1:]]
    assert [p.nip for p in out] == [p.nip for p in mine]


def _config():
    from foundation.config_file import load_config

    return load_config(ROOT / "config.yaml")
