"""Every page works under the Content-Security-Policy: Chromium loads each one (and the
kiosk wall, and the map's frame) and its console names no CSP violation."""
from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from ingest import live, review
from queries import db
from tests.conftest import ROOT
from tests.support.browser import login, wait
from tests.support.city import KIOSK_TOKEN, seed_city

pytestmark = pytest.mark.browser

PAGES = ("/overview", "/overview?unit=DINKES", "/trends", "/map", "/downloads", "/admin/leave",
         "/admin/devices", "/admin/events", "/admin/manual", "/admin/audit", "/admin/qr", "/admin/terminals",
         "/admin/faces", "/admin/users", "/review")

FRAMES = {"/map": "map-frame", "/review": "rv-map"}   # folium maps in their own documents


@pytest.fixture(scope="module")
def city(make_runtime, demo_clock):
    rt = make_runtime(ROOT / "config.yaml", "csp")
    data = seed_city(rt)
    with rt.connection() as conn:   # one check-in under review: the review page draws its map
        item = db.scalar(conn, "SELECT id FROM check_ins WHERE verdict = 'accepted' ORDER BY id LIMIT 1")
    review.add_flags(rt, [{"check_in_id": item, "source": "pattern", "kind": "repeated_fix", "weight": 40}])
    live.rebuild(rt, data["today"])
    return rt, data


def settled(driver) -> bool:
    """The page is drawn: Dash has rendered the route and no callback is still loading."""
    return driver.execute_script(
        "return document.readyState === 'complete' && !!document.querySelector('#page > *, .login-box')"
        " && !document.querySelector('._dash-loading, [data-dash-is-loading=\"true\"]');")


def violations(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser")
            if "Content Security Policy" in e["message"] or "Content-Security-Policy" in e["message"]]


def enforced(driver) -> bool:
    """The page is under the policy: a script injected inline does not run (the console's
    report of that block is read away with it)."""
    blocked = driver.execute_script(
        "const s = document.createElement('script'); s.textContent = 'window.cspProbe = 1;';"
        "document.head.appendChild(s); return window.cspProbe === undefined;")
    return blocked and bool(violations(driver))


def test_no_page_breaks_the_policy(browser, server, city):
    browser.get(server + "/login")
    wait(browser, settled)
    found = {"/login": violations(browser)}
    assert enforced(browser)
    login(browser, server, "bkpp")
    for path in PAGES + ("/wall", "/logout"):
        browser.get(server + path)
        wait(browser, settled)
        if path in FRAMES:   # the folium map runs in its own frame: wait for Leaflet to draw in it
            browser.switch_to.frame(wait(browser, lambda d: d.find_elements(By.ID, FRAMES[path]) and
                                         d.find_element(By.ID, FRAMES[path])))
            wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".leaflet-pane path") or False)
            browser.switch_to.default_content()
        found[path] = violations(browser)
        assert enforced(browser), path
    # "Keluar" in the top bar is a POST form with the CSRF token, and it works under the policy
    browser.get(server + "/overview")
    wait(browser, settled)
    browser.find_element(By.CSS_SELECTOR, ".topbar > .who button.logout").click()
    wait(browser, lambda d: d.current_url.endswith("/login"))
    browser.get(server + "/overview")
    wait(browser, lambda d: "/login" in d.current_url)
    found["logout"] = violations(browser)
    browser.delete_all_cookies()
    browser.get(f"{server}/wall?kiosk={KIOSK_TOKEN}")
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#wall-ticker li") or False)
    found["/wall?kiosk"] = violations(browser)
    assert enforced(browser)
    assert {path: v for path, v in found.items() if v} == {}
    assert len(found) == len(PAGES) + 5
