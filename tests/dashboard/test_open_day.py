"""An open day (today, before its day close) on the overview: the staff its schedules
expect and who is not in yet are the wall's numbers, before, during and after the morning;
the sekda's "who is not here yet" is a list of names."""
from __future__ import annotations

import datetime as dt

import pytest

from dashboard import data, summary
from dashboard.app import create_app
from dashboard.auth import Viewer, unit_scope
from foundation import clock
from ingest import live
from tests.conftest import ROOT
from tests.support.days import at, check_in, employee

DAY = dt.date(2027, 4, 6)   # a Tuesday, a work day, apart from other tests' dates
KEYS = ("expected", "present", "late", "on_leave", "not_yet")


@pytest.fixture(scope="module")
def city(make_runtime):
    rt = make_runtime(ROOT / "config.yaml", "openday")
    people = {unit: [employee(rt, unit) for _ in range(n)] for unit, n in (("DINKES", 5), ("SETDA", 3))}
    return rt, people


def _wall(rt, unit: str | None) -> dict:
    live.rebuild(rt, DAY)
    snap = live.snapshot(rt, DAY)
    counts = snap["totals"] if unit is None else snap["units"][unit]
    return {k: counts["leave" if k == "on_leave" else k] for k in KEYS}


def _overview(app, rt, viewer, unit: str | None) -> dict:
    with app.server.app_context():
        app.server.extensions["pantau_cache"].clear()   # today's counts are cached 10 s: the same moment
        rows = data.unit_day_counts(viewer, DAY, DAY)
    if unit is not None:
        rows = [r for r in rows if r["unit_code"] in set(rt.config.subtree(unit))]
    totals = summary.totals(rows)
    return {k: totals[k] for k in KEYS}


def _not_yet_names(app, viewer, unit: str) -> set[str]:
    with app.server.app_context():
        return {p["name"] for p in data.people(viewer, unit, DAY, DAY, "belum")}


def test_the_overview_counts_an_open_day_as_the_wall_does(city, monkeypatch):
    rt, people = city
    app = create_app(rt)
    region = Viewer(name="Sekda", role="sekda")
    head = Viewer(name="Kadinkes", role="kepala_unit", unit_code="DINKES", scope=unit_scope(rt.config, "DINKES"))
    dinkes = people["DINKES"]
    moments = [("06:30", []),                                                  # before the morning
               ("07:35", [(dinkes[0], "07:10"), (dinkes[1], "07:31"), (people["SETDA"][0], "07:20")]),
               ("09:00", [(p, "07:25") for p in dinkes[2:4] + people["SETDA"][1:]])]  # after it
    seen, arrived = [], set()
    for now, arrivals in moments:
        monkeypatch.setenv(clock.ENV, clock.demo_spec(at(DAY, now), 1))
        for person, moment in arrivals:
            assert check_in(rt, person, at(DAY, moment)).verdict["verdict"] == "accepted"
        for viewer, unit in ((region, None), (region, "DINKES"), (head, "DINKES")):
            wall = _wall(rt, unit)
            assert _overview(app, rt, viewer, unit) == wall, (now, unit)
            seen.append(wall)
        arrived |= {p["name"] for p, _ in arrivals}
        assert _not_yet_names(app, head, "DINKES") == {p["name"] for p in dinkes} - arrived, now
    before, during, after = seen[0], seen[3], seen[6]
    assert before == {"expected": 8, "present": 0, "late": 0, "on_leave": 0, "not_yet": 8}
    assert during["present"] == 3 and during["late"] == 1 and during["not_yet"] == 5
    assert after["present"] == 7 and after["not_yet"] == 1
    assert _not_yet_names(app, head, "DINKES") == {dinkes[4]["name"]}   # the one still missing, by name


def test_trends_leave_the_open_day_out_of_the_rates(city, monkeypatch):
    from dashboard.pages import trends

    rt, people = city
    app = create_app(rt)
    region = Viewer(name="Sekda", role="sekda")
    monkeypatch.setenv(clock.ENV, clock.demo_spec(at(DAY, "07:40"), 1))
    before = DAY - dt.timedelta(days=5)                           # a Thursday, a whole day
    assert check_in(rt, people["SETDA"][0], at(before, "07:20")).verdict["verdict"] == "accepted"
    late = check_in(rt, people["DINKES"][4], at(DAY, "07:39"))   # today's morning: so far, all late
    assert late.verdict["minutes_late"] > 0
    with app.server.app_context():
        app.server.extensions["pantau_cache"].clear()
        shown = trends.content(region, {"from": (DAY - dt.timedelta(days=6)).isoformat(), "to": DAY.isoformat()})
    assert DAY in shown["open"] and shown["d1"] == DAY                        # the chosen range stays
    days = {x for trace in shown["late_rate"]["data"] for x in trace.get("x") or ()}
    assert before.isoformat() in {str(x)[:10] for x in days}               # whole days are there
    assert DAY.isoformat() not in {str(x)[:10] for x in days}              # no partial day among the rates
