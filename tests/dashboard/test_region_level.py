"""The region's level is its SKPDs (the units under the one root), ranked lowest presence
first, on the overview and in the trends; not one bar for the Sekretariat Daerah."""
from __future__ import annotations

import datetime as dt

import pytest

from dashboard import summary
from dashboard.app import create_app
from dashboard.auth import Viewer
from dashboard.pages import trends
from foundation import clock
from tests.conftest import ROOT
from tests.support.days import at, check_in, employee

DAY = dt.date(2027, 4, 13)    # a Tuesday, apart from other tests' dates


def test_the_region_is_seen_per_skpd_lowest_presence_first(runtime):
    config = runtime.config
    assert summary.top_node(config) == "SETDA" and len(config.children[None]) == 1
    rows = [{"unit_code": "DINKES", "expected": 10, "present": 9, "late": 1, "on_leave": 0, "tk": 0, "not_yet": 1,
             "late_minutes": 5},
            {"unit_code": "DAMKAR", "expected": 10, "present": 4, "late": 0, "on_leave": 0, "tk": 0, "not_yet": 6,
             "late_minutes": 0},
            {"unit_code": "SETDA", "expected": 5, "present": 5, "late": 0, "on_leave": 0, "tk": 0, "not_yet": 0,
             "late_minutes": 0}]
    ranked = summary.by_child(rows, config, summary.top_node(config))
    assert [r["unit_code"] for r in ranked] == ["DAMKAR", "DINKES", "SETDA"]        # lowest presence first
    assert ranked[-1]["name"].endswith("(langsung)")                                # the root's own people
    assert [r["unit_code"] for r in summary.by_child(rows, config, None)] == ["SETDA"]  # what it was: one bar


@pytest.fixture(scope="module")
def city(make_runtime):
    rt = make_runtime(ROOT / "config.yaml", "region")
    for unit, arrival in (("DINKES", "07:20"), ("DAMKAR", "07:45"), ("SETDA", "07:10")):
        for _ in range(2):
            assert check_in(rt, employee(rt, unit), at(DAY, arrival)).verdict["verdict"] in ("accepted", "flagged")
    return rt


def test_trends_of_the_region_have_a_row_per_skpd(city, monkeypatch):
    monkeypatch.setenv(clock.ENV, clock.demo_spec(at(DAY + dt.timedelta(days=2), "10:00"), 1))
    app = create_app(city)
    with app.server.app_context():
        shown = trends.content(Viewer(name="Sekda", role="sekda"), {"from": DAY.isoformat(), "to": DAY.isoformat()})
    rows = {y for trace in shown["heatmap"]["data"] for y in trace.get("y") or ()}
    names = {city.config.unit_by_code[c].name for c in ("DINKES", "DAMKAR")}
    assert names <= rows and len(rows) >= 3, rows
