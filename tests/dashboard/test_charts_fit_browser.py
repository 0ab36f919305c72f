"""The charts users see first keep their shape at a TV's 1920x1080 and a phone's 390x844, in
headless Chromium against a live gunicorn: the trends' legend stays off its lines, and the
overview's long unit names leave the bars a usable width (the whole name in the hover).

The city is the sample region's every unit (its longest names included) with a few days of
check-ins. Screenshots: tests/artifacts/charts_fit_*.png.
"""
from __future__ import annotations

import datetime as dt
import itertools

import pytest
from selenium.webdriver.common.by import By

from foundation import clock
from ingest import live
from ingest.synthetic.demo_data import populate
from tests.conftest import ROOT
from tests.support.browser import login, shot, viewport, wait
from tests.support.city import seed_city

pytestmark = pytest.mark.browser

SIZES = [(1920, 1080), (390, 844)]
LONGEST = "DP3AKB"   # "Dinas Pemberdayaan Perempuan, Perlindungan Anak dan Keluarga Berencana"
MIN_PLOT_PX = 150    # a chart's plot area at least this tall: lines that can be told apart
MIN_BAR_SHARE = 0.45  # the bars' share of their chart's width, whatever the names

BOXES_JS = """
const box = e => e && e.getBoundingClientRect().toJSON();
const all = s => [...document.querySelectorAll(s)];
const g = arguments[0];
return {svg: box(document.querySelector(g + ' .main-svg')), plot: box(document.querySelector(g + ' .nsewdrag')),
        legend: box(document.querySelector(g + ' g.legend')),
        xticks: all(g + ' g.xtick text').map(box),
        yticks: all(g + ' g.ytick text').map(t => ({text: t.textContent, box: box(t)}))};
"""


@pytest.fixture(scope="module")
def city(make_runtime, demo_clock):
    rt = make_runtime(ROOT / "config.yaml", "chfit")
    today = clock.today(rt.config.zone)
    populate(rt, 300, 5, today - dt.timedelta(days=1))   # every unit staffed, a few closed days
    data = seed_city(rt, past_days=1)
    live.rebuild(rt, today)
    return rt, data


def _over(a: dict, b: dict) -> bool:
    return min(a["right"], b["right"]) - max(a["left"], b["left"]) > 1 and \
        min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]) > 1


def _drawn(browser, server, path: str, graph: str, size: tuple[int, int], name: str) -> dict:
    viewport(browser, *size)
    browser.get(server + path)
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, f"{graph} g.ytick text") or False)
    wait(browser, lambda d: not d.find_elements(By.CSS_SELECTOR, "._dash-loading"))
    found = browser.execute_script(BOXES_JS, graph)
    browser.execute_script("document.querySelector(arguments[0]).scrollIntoView()", graph)
    shot(browser, f"charts_fit_{name}_{size[0]}")
    return found


@pytest.mark.parametrize("size", SIZES)
def test_the_late_rate_legend_stays_off_the_chart(browser, server, city, size):
    login(browser, server, "sekda")
    try:
        found = _drawn(browser, server, "/trends", "#tr-late_rate", size, "trends")
    finally:
        viewport(browser, 1920, 1080)
    legend, plot = found["legend"], found["plot"]
    assert legend and not _over(legend, plot), (legend, plot)
    assert not any(_over(legend, tick) for tick in found["xticks"]), (legend, found["xticks"])
    assert plot["bottom"] - plot["top"] >= MIN_PLOT_PX, plot
    assert legend["right"] <= found["svg"]["right"] + 1          # the whole legend on the screen


@pytest.mark.parametrize("size", SIZES)
def test_long_unit_names_leave_the_bars_their_width(browser, server, city, size):
    rt = city[0]
    login(browser, server, "sekda")
    try:
        found = _drawn(browser, server, "/overview", "#ov-bars", size, "overview")
        hover_names = browser.execute_script(
            "return document.querySelector('#ov-bars .js-plotly-plot').data[0].y")
    finally:
        viewport(browser, 1920, 1080)
    svg, plot, ticks = found["svg"], found["plot"], found["yticks"]
    full = rt.config.unit_by_code[LONGEST].name
    assert full in hover_names                                   # the whole name on hover
    assert any(t["text"].startswith("Dinas Pemberdayaan") for t in ticks)
    assert (plot["right"] - plot["left"]) >= MIN_BAR_SHARE * (svg["right"] - svg["left"]), (plot, svg)
    cut = [t["text"] for t in ticks if t["box"]["left"] < svg["left"] - 1]
    assert not cut, cut                                          # no label runs off the chart's edge
    crossed = [(a["text"], b["text"]) for a, b in itertools.combinations(ticks, 2) if _over(a["box"], b["box"])]
    assert not crossed, crossed


@pytest.mark.parametrize("size", SIZES)
def test_the_bars_legend_stays_off_a_short_chart(browser, server, city, size):
    """A small region's or one kind's few units make a short chart: its legend (four lines on a
    phone) once hung from a fraction of the chart's height over the first bar."""
    rt = city[0]
    kinds = {}
    for unit in rt.config.units:
        kinds.setdefault(unit.kind, []).append(unit.code)
    kind = min(kinds, key=lambda k: (len(kinds[k]), k))           # the fewest units: the shortest chart
    login(browser, server, "sekda")
    try:
        found = _drawn(browser, server, f"/overview?kind={kind}", "#ov-bars", size, "overview_short")
    finally:
        viewport(browser, 1920, 1080)
    legend, plot = found["legend"], found["plot"]
    assert 1 <= len(found["yticks"]) <= 3, (kind, found["yticks"])
    assert legend and not _over(legend, plot), (legend, plot)
    assert legend["right"] <= found["svg"]["right"] + 1 and legend["top"] >= found["svg"]["top"] - 1
