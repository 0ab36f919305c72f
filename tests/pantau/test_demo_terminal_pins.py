"""The demo's school terminals punch the PIN the employee is enrolled under, so every line
of the morning finds its employee (none left unmatched)."""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from zoneinfo import ZoneInfo

from ingest.synthetic.people import generate_employees
from pantau.demo import morning_cast
from queries import employees as qe
from queries import terminals as qt
from tests.conftest import ROOT

WIB = ZoneInfo("Asia/Jakarta")


def test_every_pin_a_school_terminal_sends_belongs_to_an_active_employee(make_runtime):
    rt = make_runtime(ROOT / "config.yaml", "demopins")
    people = generate_employees(rt.config, 400, seed=3)
    with rt.transaction() as conn:
        qe.insert_many(conn, [asdict(p) for p in people])
    day = dt.date(2026, 12, 7)                                     # a Monday
    start, end = (dt.datetime.combine(day, dt.time(h), WIB) for h in (6, 9))
    mobile, at_terminal, punched_at = morning_cast(rt, day, start, end)
    pins = [p for office in at_terminal.values() for p in office]
    mapped = {p.terminal_pin for p in people if p.terminal_pin}
    assert len(pins) > 10 and set(pins) <= mapped                  # the mapped PIN, never the NIP
    with rt.connection() as conn:
        found = qt.employees_by_pin(conn, pins)
    assert sorted(found) == sorted(pins)


def test_the_live_morning_is_as_late_as_the_history(make_runtime):
    """Arrivals follow each employee's habit (history's ~13 % late), not an even spread over
    07:00-08:00 that made 59 % late and every puskesmas late."""
    from ingest.rules.calendar import calendar_for
    from queries import synthetic as qs

    rt = make_runtime(ROOT / "config.yaml", "demolate")
    with rt.transaction() as conn:
        qe.insert_many(conn, [asdict(p) for p in generate_employees(rt.config, 600, seed=5)])
    day = dt.date(2026, 12, 7)
    start, end = (dt.datetime.combine(day, dt.time(h), WIB) for h in (6, 9))
    mobile, at_terminal, punched_at = morning_cast(rt, day, start, end)
    calendar, config = calendar_for(rt.config), rt.config
    with rt.connection() as conn:
        staff = {e["nip"]: e for e in qs.active_employees(conn)}
    late, kinds = [], {}
    for nip, _, at in mobile:
        emp = staff[nip]
        plan = calendar.plan(emp["schedule_code"], day, config.unit_zone(emp["unit_code"]))
        late.append(at > plan.start)
        kinds.setdefault(config.unit_by_code[emp["unit_code"]].kind, []).append(at > plan.start)
    share = sum(late) / len(late)
    assert len(late) > 300 and 0.05 < share < 0.25, share
    assert sum(kinds["puskesmas"]) / len(kinds["puskesmas"]) < 0.4
    assert len(punched_at) == sum(map(len, at_terminal.values())) and all(start <= t <= end for t in punched_at.values())
