"""The dashboard in headless Chromium against a live gunicorn (one server for the module).

The clock is the demo clock set to a Monday 07:20 WIB for the server and this process,
so a check-in made now is on time and inside the morning window, whatever the real hour.
Screenshots go to tests/artifacts/ (not committed). Fixtures: tests/dashboard/conftest.py.
"""
from __future__ import annotations

import csv
import io
import re

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

import httpx

from tests.support import phones
from tests.conftest import ROOT
from tests.support.browser import MONDAY_0720, login, shot, viewport, wait
from tests.support.city import KIOSK_TOKEN, live_city

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def city(make_runtime, demo_clock):
    return live_city(make_runtime(ROOT / "config.yaml", "dashb"))


def test_log_in_and_drill_from_region_to_employee(browser, server, city):
    names = {c: city[0].config.unit_by_code[c].name for c in ("SETDA", "DINKES")}
    login(browser, server, "sekda")
    # the region's level is its SKPDs: DINKES has a bar of its own, SETDA's own people one too
    # (the bars' full names: a long one is wrapped or cut on its tick label, whole in the hover)
    wait(browser, lambda d: {names["DINKES"], names["SETDA"] + " (langsung)"} <= set(d.execute_script(
        "const p = document.querySelector('#ov-bars .js-plotly-plot'); return p && p.data ? p.data[0].y : [];")))
    shot(browser, "overview_region")
    # region -> DINKES (click its bar) -> an employee (row link)
    for unit_name in (names["DINKES"],):
        bar = wait(browser, EC.presence_of_element_located((By.CSS_SELECTOR, "#ov-bars g.trace.bars g.point path")))
        bars = browser.find_elements(By.CSS_SELECTOR, "#ov-bars g.trace.bars:first-of-type g.point path")
        labels = [t.text for t in browser.find_elements(By.CSS_SELECTOR, "#ov-bars g.ytick text")]
        target = bars[labels.index(unit_name)] if unit_name in labels and len(bars) == len(labels) else bar
        ActionChains(browser).move_to_element(target).click().perform()
        wait(browser, lambda d: unit_name in d.find_element(By.ID, "breadcrumbs").text)
    assert "unit=DINKES" in browser.current_url
    shot(browser, "overview_unit")
    person = city[1]["people"]["DINKES"][0]
    browser.find_element(By.LINK_TEXT, person["name"]).click()
    wait(browser, EC.presence_of_element_located((By.ID, "employee-name")))
    assert person["nip"] in browser.find_element(By.ID, "employee-name").text
    assert browser.find_elements(By.CSS_SELECTOR, "#ov-calendar .heatmaplayer, #ov-calendar g.hm")
    shot(browser, "overview_employee")
    # the URL holds the state: a reload shows the same employee; breadcrumbs go back up
    browser.refresh()
    wait(browser, EC.presence_of_element_located((By.ID, "employee-name")))
    browser.find_element(By.LINK_TEXT, names["DINKES"]).click()
    wait(browser, EC.presence_of_element_located((By.ID, "people-table")))
    assert "unit=DINKES" in browser.current_url and "employee" not in browser.current_url


def test_map_renders_points_and_geofences(browser, server, city):
    login(browser, server, "bkpp")
    browser.get(server + "/map")
    frame = wait(browser, EC.presence_of_element_located((By.ID, "map-frame")))
    browser.switch_to.frame(frame)
    try:
        fences = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "path.geofence") or False)
        assert len(fences) == len(city[0].config.offices)
        points = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".pantau-cluster, path.leaflet-interactive:not(.geofence)") or False)
        assert points
        # an office LAN has no internet: the map asks nothing of any other host (no tiles by default)
        asked = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
        assert asked and all(u.startswith(server) or u.startswith(("data:", "blob:")) for u in asked), asked
        sources = browser.execute_script("return [...document.querySelectorAll('img, script[src], link[href]')]"
                                         ".map(e => e.src || e.href)")
        assert not [u for u in sources if u and not u.startswith((server, "data:", "blob:"))], sources
    finally:
        browser.switch_to.default_content()
    shot(browser, "map")


def test_recap_csv_downloads_and_parses(browser, server, city):
    login(browser, server, "bkpp")
    browser.get(server + "/downloads")
    link = wait(browser, lambda d: (e := d.find_element(By.ID, "dl-recap")) and "recap.csv" in (e.get_attribute("href") or "") and e)
    shot(browser, "downloads")
    link.click()
    path = wait(browser, lambda d: next((p for p in d.downloads.glob("rekap_*.csv")), False))
    text = path.read_text(encoding="utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text[1:]), delimiter=";"))     # the default: Excel Indonesia
    assert {r["Kode unit"] for r in rows} == {"SETDA", "DINKES", "PKM-CLG", "DAMKAR"}
    assert all(len(r["NIP"].replace(" ", "")) == 18 for r in rows)


def test_kepala_unit_cannot_see_another_unit(browser, server, city):
    login(browser, server, "kadamkar")
    text = browser.find_element(By.CLASS_NAME, "content").text
    assert "Dinas Pemadam Kebakaran" in text and "Dinas Kesehatan" not in text
    browser.get(server + "/overview?unit=DINKES")
    wait(browser, EC.presence_of_element_located((By.ID, "nothing")))
    shot(browser, "kepala_unit_other_unit")
    page = browser.page_source
    assert not any(p["name"] in page for p in city[1]["people"]["DINKES"])


def _no_scroll(driver) -> bool:
    return driver.execute_script(
        "return document.documentElement.scrollHeight <= window.innerHeight + 1 && "
        "document.documentElement.scrollWidth <= window.innerWidth + 1")


BARS_READABLE_JS = """
const g = document.querySelector('#wall-bars');
const labels = [...g.querySelectorAll('g.ytick text')].filter(t => t.textContent.trim());
const rows = g.querySelector('g.trace.bars').querySelectorAll('g.point').length;
const legend = document.querySelector('#wall-bars-legend').getBoundingClientRect();
const bars = [...g.querySelectorAll('g.point path')].map(p => p.getBoundingClientRect());
const top = Math.min(...bars.filter(b => b.height > 0).map(b => b.top));
const boxes = labels.map(t => t.getBoundingClientRect()).sort((a, b) => a.top - b.top);
const apart = boxes.every((b, i) => i === 0 || b.top >= boxes[i - 1].bottom - 1);
return {labels: labels.length, rows: rows, legend_clear: legend.bottom <= top + 1, apart: apart};
"""


def _bars_readable(driver) -> None:
    """Every unit on the wall has its own label, none overlap, and the legend is off the bars."""
    got = driver.execute_script(BARS_READABLE_JS)
    assert got["rows"] >= 2 and got["labels"] == got["rows"], got
    assert got["legend_clear"] and got["apart"], got


WALL_MAP_JS = """
const gd = document.querySelector('#wall-map .js-plotly-plot');
const points = gd.data.slice(2);
return {fence: (gd.data[0].x || []).length, lons: [].concat(...points.map(t => Array.from(t.x || [])))};
"""


def test_check_in_appears_on_the_wall_without_reload(browser, server, city):
    rt, data = city
    browser.delete_all_cookies()
    browser.get(f"{server}/wall?kiosk={KIOSK_TOKEN}")
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#wall-ticker li") or False)
    wait(browser, lambda d: "ok" in d.find_element(By.ID, "wall-fresh").get_attribute("class"))
    before = browser.find_element(By.ID, "tile-present").text
    assert _no_scroll(browser)
    _bars_readable(browser)
    shot(browser, "wall_1920")
    browser.execute_script("window.pantauMarker = 1")  # gone if the page reloads
    fences = browser.execute_script(WALL_MAP_JS)["fence"]
    assert fences > 0  # the geofence outlines are drawn
    # a phone checks in through the mobile API (the Procfile's ingest process)
    with phones.gunicorn(rt, clock_at=MONDAY_0720) as api, httpx.Client(base_url=api.url, timeout=30) as http:
        phone = phones.new_phone(rt, http, unit="PKM-CLG")
        sent = http.post("/api/v1/check-ins", headers=phone["headers"],
                         json=phones.body(rt, api.now(), office="PKM-CLG-1"))
        assert sent.status_code == 201 and sent.json()["verdict"] == "accepted", sent.text
    person = phone["employee"]
    wait(browser, lambda d: person["name"] in d.find_element(By.ID, "wall-ticker").text)
    assert browser.find_element(By.ID, "tile-present").text != before
    assert browser.execute_script("return window.pantauMarker") == 1
    # the map got only its check-ins redrawn: the new point is there, the outlines kept
    office = rt.config.office_by_code["PKM-CLG-1"]
    drawn = wait(browser, lambda d: (lambda m: m if any(abs(x - office.lon) < 1e-6 for x in m["lons"]) else False)(
        d.execute_script(WALL_MAP_JS)))
    assert drawn["fence"] == fences
    viewport(browser, 3840, 2160)  # a 4K TV loads the page at its size (text scales with it)
    browser.refresh()
    wait(browser, lambda d: person["name"] in d.find_element(By.ID, "wall-ticker").text)
    wait(browser, lambda d: "WIB" in d.find_element(By.ID, "wall-clock").text)
    # chart text redrawn for the screen: twice the 1080p size
    wait(browser, lambda d: d.execute_script(
        "const t = document.querySelector('#wall-bars g.ytick text');"
        "return t && parseFloat(getComputedStyle(t).fontSize) >= 30;"))
    assert _no_scroll(browser)
    _bars_readable(browser)
    shot(browser, "wall_3840")
    viewport(browser, 1920, 1080)


PHONE_PAGES = ("/overview", "/overview?unit=DINKES", "/trends", "/map", "/downloads", "/admin/leave",
               "/admin/devices", "/admin/events", "/admin/manual", "/admin/terminals", "/admin/users", "/admin/audit")


def test_at_phone_width_the_menu_folds_and_no_page_scrolls_sideways(browser, server, city):
    login(browser, server, "bkpp")
    viewport(browser, 390, 844)
    try:
        wide = {}
        for path in PHONE_PAGES:
            browser.get(server + path)
            wait(browser, EC.presence_of_element_located((By.CSS_SELECTOR, ".nav-fold summary")))
            wait(browser, lambda d: not d.find_elements(By.CSS_SELECTOR, "._dash-loading"))
            widths = browser.execute_script(
                "return [document.documentElement.scrollWidth, window.innerWidth]")
            if widths[0] > widths[1]:
                wide[path] = widths
        shot(browser, "admin_audit_390")   # the last page visited, folded
        assert wide == {}, wide                                   # page -> [scrollWidth, innerWidth]
        menu = browser.find_element(By.CSS_SELECTOR, ".nav-fold")
        links = menu.find_elements(By.CSS_SELECTOR, "a.nav-link")
        assert links and not any(a.is_displayed() for a in links)  # folded
        assert not browser.find_element(By.CSS_SELECTOR, ".topbar > nav").is_displayed()
        menu.find_element(By.TAG_NAME, "summary").click()
        assert all(a.is_displayed() for a in links)                # unfolded: every link reachable
        shot(browser, "menu_390")
    finally:
        viewport(browser, 1920, 1080)


def test_the_wall_says_when_it_was_updated_and_when_the_connection_is_lost(browser, server, city):
    browser.delete_all_cookies()
    browser.get(f"{server}/wall?kiosk={KIOSK_TOKEN}")
    wait(browser, lambda d: d.find_element(By.ID, "wall-status").text.startswith("diperbarui "))
    assert browser.find_element(By.ID, "wall-title").text == city[0].config.region.name
    # the clock as Indonesians write it, HH.MM, no seconds (the demo clock's 07.20 WIB and on)
    assert re.fullmatch(r"\d\d\.\d\d WIB", browser.find_element(By.ID, "wall-clock").text)
    # the server goes away (the TV's network drops): the wall says so in words within 30 s and more
    browser.execute_cdp_cmd("Network.enable", {})
    browser.execute_cdp_cmd("Network.emulateNetworkConditions", {"offline": True, "latency": 0,
                                                                 "downloadThroughput": -1, "uploadThroughput": -1})
    try:
        lost = wait(browser, lambda d: (lambda t: t if t.startswith("Koneksi terputus · data terakhir ") else False)(
            d.find_element(By.ID, "wall-status").text), timeout=45)
        assert "lost" in browser.find_element(By.ID, "wall-status").get_attribute("class")
        shot(browser, "wall_connection_lost")
    finally:
        browser.execute_cdp_cmd("Network.emulateNetworkConditions", {"offline": False, "latency": 0,
                                                                     "downloadThroughput": -1, "uploadThroughput": -1})
    assert len(lost.rsplit(" ", 1)[1]) == 5                    # HH.MM
    wait(browser, lambda d: d.find_element(By.ID, "wall-status").text.startswith("diperbarui "))
    # a unit head's wall carries their unit's name, not the city's
    login(browser, server, "kadinkes")
    browser.get(f"{server}/wall")
    wait(browser, lambda d: d.find_element(By.ID, "wall-title").text == city[0].config.unit_by_code["DINKES"].name)
