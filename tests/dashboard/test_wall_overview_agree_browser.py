"""The wall and the overview, read in headless Chromium at the same moment, show the same four
tiles (Hadir, Terlambat, Cuti / Izin, Belum hadir, each "N% dari expected") for the region and
for a unit: before, during and after the morning.

The server's clock is the demo clock (foundation.clock, PANTAU_DEMO_CLOCK): for each moment the
check-ins made by then are recorded through the real pipeline, and the Procfile's web line is
started at that moment. tests/dashboard/test_open_day.py is the same rule at the data level.
"""
from __future__ import annotations

import datetime as dt

import pytest
from selenium.webdriver.common.by import By

from bench.dashboard import web_command
from dashboard.auth import hash_password
from foundation import clock
from ingest import leave, live
from queries import users
from tests.conftest import ROOT, runtime_env
from tests.support.browser import ARTIFACTS, login, shot, wait
from tests.support.city import PASSWORD
from tests.support.days import at, check_in, employee, skewed_check_in
from tests.support.servers import serving

pytestmark = pytest.mark.browser
DAY = dt.date(2027, 4, 7)   # a Wednesday, a work day
TILES = ("present", "late", "on_leave", "not_yet")


@pytest.fixture(scope="module")
def city(make_runtime):
    rt = make_runtime(ROOT / "config.yaml", "agree")
    people = {unit: [employee(rt, unit) for _ in range(n)] for unit, n in (("DINKES", 6), ("SETDA", 3))}
    with rt.transaction() as conn:
        users.add_user(conn, "sekda", hash_password(PASSWORD), "sekda", None, "Sekda")
        users.add_user(conn, "kadinkes", hash_password(PASSWORD), "kepala_unit", "DINKES", "Kadinkes")
    return rt, people


def _tiles(driver) -> dict:
    """The four tiles as the page shows them, once drawn."""
    def read(d):
        found = {k: d.find_elements(By.ID, f"tile-{k}") for k in TILES}
        return {k: e[0].text for k, e in found.items()} if all(found.values()) else False
    return wait(driver, read)


def _wall(driver, base: str) -> dict:
    driver.get(base + "/wall")
    wait(driver, lambda d: d.find_element(By.ID, "wall-status").text.startswith("diperbarui "))
    return _tiles(driver)


def _overview(driver, base: str, unit: str | None = None) -> dict:
    driver.get(base + "/overview" + (f"?unit={unit}" if unit else ""))
    wait(driver, lambda d: d.find_elements(By.ID, "ov-updated"))   # today's live page
    return _tiles(driver)


def _at(rt, monkeypatch, moment: str) -> None:
    """This process and the servers it starts from now on live at `moment` of DAY."""
    monkeypatch.setenv(clock.ENV, clock.demo_spec(at(DAY, moment), 1))
    for key in rt.redis.scan_iter(rt.key("cache") + ":*"):   # the overview caches today 10 s: same moment
        rt.redis.delete(key)


def test_the_wall_and_the_overview_show_the_same_four_tiles(browser, city, monkeypatch):
    rt, people = city
    dinkes, setda = people["DINKES"], people["SETDA"]
    monkeypatch.setenv(clock.ENV, clock.demo_spec(at(DAY, "06:00"), 1))
    leave.add(rt, [leave.LeaveInput("t", dinkes[5]["nip"], "cuti_tahunan", DAY, DAY)], actor="test", source="test")
    live.rebuild(rt, DAY)
    moments = [("06:30", []),                                                          # before the morning
               ("07:35", [(dinkes[0], "07:10"), (dinkes[1], "07:31"), (setda[0], "07:20")]),
               ("09:00", [(p, "07:25") for p in dinkes[2:4] + setda[1:]])]            # after it
    shown = {}
    for moment, arrivals in moments:
        _at(rt, monkeypatch, moment)
        for person, when in arrivals:
            assert check_in(rt, person, at(DAY, when)).verdict["verdict"] == "accepted"
        if moment == "07:35":   # a check-in waiting for review counts on no page (rules.review)
            skewed_check_in(rt, dinkes[4], at(DAY, "07:05"))
        cmd, port = web_command()
        base = f"http://127.0.0.1:{port}"
        with serving(cmd, ROOT, runtime_env(rt), base + "/login", ARTIFACTS / f"gunicorn-agree-{port}.log"):
            login(browser, base, "sekda")
            region = (_wall(browser, base), _overview(browser, base))
            shot(browser, f"agree_overview_{moment.replace(':', '')}")
            unit = (_overview(browser, base, "DINKES"),)
            login(browser, base, "kadinkes")          # a unit head's wall is their unit's
            unit += (_wall(browser, base), _overview(browser, base))
            shot(browser, f"agree_wall_unit_{moment.replace(':', '')}")
        assert region[0] == region[1], (moment, "region", region)
        assert unit[0] == unit[1] == unit[2], (moment, "DINKES", unit)
        shown[moment] = region[0], unit[0]
    # the moments differ as the morning goes: nobody, then three in (one late), then seven;
    # DINKES's fifth, whose 07:05 waits for review, stays "not yet" on the wall and the overview
    value = lambda tiles, key: int(tiles[key].split("\n")[1].replace(".", ""))
    assert [value(shown[m][0], "present") for m, _ in moments] == [0, 3, 7]
    assert [value(shown[m][0], "late") for m, _ in moments] == [0, 1, 1]
    assert [value(shown[m][1], "not_yet") for m, _ in moments] == [5, 3, 1]
    assert all(value(shown[m][1], "on_leave") == 1 for m, _ in moments)
    assert "dari 9" in shown["06:30"][0]["not_yet"].replace("\n", " ") and "dari 6" in shown["06:30"][1]["present"]
