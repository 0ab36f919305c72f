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
    _, at_terminal = morning_cast(rt, day, start, end)
    pins = [p for office in at_terminal.values() for p in office]
    mapped = {p.terminal_pin for p in people if p.terminal_pin}
    assert len(pins) > 10 and set(pins) <= mapped                  # the mapped PIN, never the NIP
    with rt.connection() as conn:
        found = qt.employees_by_pin(conn, pins)
    assert sorted(found) == sorted(pins)
