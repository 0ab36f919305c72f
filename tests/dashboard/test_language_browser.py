"""Every page speaks Indonesian in headless Chromium: no English month or weekday, no
"Start Date" / "Select...", percentages with a decimal comma, one clock format (HH.MM);
in the page text, the charts' SVG text, the placeholders, an open date picker and dropdown.

The clock is a Monday in December, so the trends range crosses November into December
(plotly.js writes "Dec" by itself). Fixtures: tests/dashboard/conftest.py.
"""
from __future__ import annotations

import datetime as dt
import re

import pytest
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.conftest import ROOT
from tests.support.browser import WIB, login, shot, viewport, wait
from tests.support.city import KIOSK_TOKEN, live_city

pytestmark = pytest.mark.browser
CLOCK_AT = dt.datetime(2026, 12, 7, 7, 20, tzinfo=WIB)   # a Monday; read by conftest's demo_clock

# whole words only; Jan, Feb, Mar, Apr, Jun, Jul, Sep, Nov are Indonesian too
ENGLISH = re.compile(r"\b(May|Aug|Oct|Dec|January|February|March|June|July|August|October|December|"
                     r"Mon|Tue|Wed|Thu|Fri|Sat|Sun|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|"
                     r"Mo|Tu|We|Th|Fr|Sa|Su)\b|Start Date|End Date|Select Date|Select\.\.\.|Select All|"
                     r"No options found|\bSearch\b")
DECIMAL_POINT_PERCENT = re.compile(r"\d\.\d{1,2} ?%")     # 99.3% (a thousands dot has three digits)
COLON_CLOCK = re.compile(r"\b\d{1,2}:\d{2}\b")           # 07:30: the pages write 07.30

TEXT_JS = """
const out = [document.body.innerText];
document.querySelectorAll('svg text').forEach(t => out.push(t.textContent));
document.querySelectorAll('[placeholder]').forEach(e => out.push(e.getAttribute('placeholder')));
document.querySelectorAll('iframe').forEach(f => { try { out.push(f.contentDocument.body.innerText); } catch (e) {} });
return out.join('\\n');
"""
SETTLED_JS = """
if (document.querySelector('._dash-loading, [data-dash-is-loading="true"]')) return false;
const graphs = [...document.querySelectorAll('.dash-graph')];
return !!document.querySelector('.content, .wall') && graphs.every(g => g.querySelector('.main-svg'));
"""


@pytest.fixture(scope="module")
def city(make_runtime, demo_clock):
    return live_city(make_runtime(ROOT / "config.yaml", "lang"))


def _pages(city) -> list[str]:
    person = city[1]["people"]["DINKES"][0]
    return ["/overview", "/overview?unit=DINKES", "/overview?unit=DINKES&status=belum",
            f"/overview?employee={person['id']}&month=2026-12", "/trends", "/trends?grain=week",
            "/trends?grain=month&from=2026-06-01&to=2026-12-07", "/map", "/downloads", "/admin/leave",
            "/admin/devices", "/admin/events", "/admin/manual", "/admin/terminals", "/admin/users", "/admin/audit", "/review"]


def _shown(driver) -> str:
    wait(driver, lambda d: d.execute_script(SETTLED_JS))
    return driver.execute_script(TEXT_JS)


def _click(driver, css: str) -> None:
    """Click the first element matching `css`, again if the page redrew it meanwhile."""
    def clicked(d):
        try:
            d.find_element(By.CSS_SELECTOR, css).click()
            return True
        except (StaleElementReferenceException, NoSuchElementException):
            return False
    wait(driver, clicked)


def _showing(driver, words: str) -> str | bool:
    """The page's text once it shows `words`."""
    text = driver.execute_script(TEXT_JS)
    return text if words in text else False


def _hover(driver, css: str) -> str | bool:
    """The hover label's text after the mouse rests on a middle point of `css`."""
    points = driver.find_elements(By.CSS_SELECTOR, css)
    if not points:
        return False
    try:
        ActionChains(driver).move_to_element(points[len(points) // 2]).perform()
    except StaleElementReferenceException:
        return False
    label = driver.execute_script("const h = document.querySelector('g.hovertext'); return h && h.textContent")
    return label or False


def _faults(text: str) -> dict:
    found = {"english": sorted({m.group(0) for m in ENGLISH.finditer(text)}),
             "decimal point": sorted({m.group(0) for m in DECIMAL_POINT_PERCENT.finditer(text)}),
             "colon clock": sorted({m.group(0) for m in COLON_CLOCK.finditer(text)})}
    return {k: v for k, v in found.items() if v}


def test_every_page_is_in_indonesian(browser, server, city):
    login(browser, server, "bkpp")
    faults = {}
    for width, height in ((1920, 1080), (390, 844)):
        viewport(browser, width, height)
        for path in _pages(city):
            browser.get(server + path)
            found = _faults(_shown(browser))
            if found:
                faults[f"{path} @{width}"] = found
    viewport(browser, 1920, 1080)
    browser.delete_all_cookies()
    browser.get(f"{server}/wall?kiosk={KIOSK_TOKEN}")
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#wall-ticker li") or False)
    if found := _faults(_shown(browser)):
        faults["/wall"] = found
    assert faults == {}, "\n".join(f"{page}: {found}" for page, found in faults.items())


def test_dates_and_numbers_are_written_the_indonesian_way(browser, server, city):
    login(browser, server, "bkpp")
    person = city[1]["people"]["DINKES"][0]
    browser.get(f"{server}/overview?employee={person['id']}&month=2026-12")
    assert "Desember 2026" in _shown(browser)
    browser.get(server + "/trends")
    text = _shown(browser)
    ticks = browser.execute_script(
        "return [...document.querySelectorAll('#tr-late_rate g.xtick text')].map(t => t.textContent)")
    assert any(re.fullmatch(r"\d{1,2} Des", t) for t in ticks), ticks              # "7 Des"
    assert re.search(r"\d,\d ?%", text), "a percentage with a decimal comma"        # e.g. the ranking
    # a hover label: the day in Indonesian, no decimal point ("Sel 1/12/2026 · Semua: 30%")
    hovered = wait(browser, lambda d: _hover(d, "#tr-late_rate g.scatterlayer g.trace:first-child path.point"))
    assert re.search(r"\b(Sen|Sel|Rab|Kam|Jum|Sab|Min) \d{1,2}/\d{1,2}/2026", hovered), hovered
    assert not _faults(hovered) and not re.search(r"\d\.\d", hovered), hovered
    # the date picker's calendar and the dropdown's search box, opened
    _click(browser, "#tr-dates")
    opened = wait(browser, lambda d: _showing(d, "Desember 2026"))
    assert not _faults(opened), _faults(opened)
    shot(browser, "trends_datepicker_open")
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
    _click(browser, "#tr-unit")
    opened = wait(browser, lambda d: d.execute_script(TEXT_JS) if d.find_elements(
        By.CSS_SELECTOR, "[role=listbox], [role=option]") else False)
    assert not _faults(opened), _faults(opened)
    browser.get(server + "/map")
    _shown(browser)
    _click(browser, "#map-date")
    opened = wait(browser, lambda d: _showing(d, "Desember"))   # a month list and a year box
    assert not _faults(opened), _faults(opened)
