"""/provinsi in headless Chromium at 1920x1080 and on a phone (390x844): readable, Indonesian,
no person; screenshots in tests/artifacts/provinsi-*.png."""
from __future__ import annotations

import threading

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from werkzeug.serving import make_server

from dashboard.app import create_app
from dashboard.auth import hash_password
from queries import users
from tests.dashboard.test_csp_browser import violations
from tests.dashboard.test_language_browser import TEXT_JS, _faults
from tests.support import province as seeded
from tests.support.browser import shot, viewport, wait
from tests.support.city import PASSWORD

pytestmark = pytest.mark.browser
CLOCK_AT = seeded.CLOCK_AT
PORT = 18301   # this test's own port (the web process runs in this process: it serves several regions)


@pytest.fixture(scope="module")
def site(make_installation, demo_clock):
    regions = make_installation("82", "8271", "7371", label="provb")
    people = seeded.seed(regions)
    with regions["82"].transaction() as conn:
        users.add_user(conn, "malut", hash_password(PASSWORD), "provinsi", None, "Biro Pemerintahan Malut")
    app = create_app(regions["82"])
    app.server.extensions["pantau_regions"] = dict(regions)
    server = make_server("127.0.0.1", PORT, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{PORT}", people
    server.shutdown()
    thread.join(timeout=10)


def _open(browser, base: str) -> str:
    browser.get(base + "/provinsi")
    wait(browser, EC.presence_of_element_located((By.ID, "pv-regions")))
    return browser.find_element(By.TAG_NAME, "body").text


def test_the_province_page_reads_well_on_a_screen_and_a_phone(site, browser):
    base, people = site
    browser.delete_all_cookies()
    browser.get(base + "/login")
    browser.find_element(By.ID, "username").send_keys("malut")
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.ID, "login-button").click()
    wait(browser, EC.presence_of_element_located((By.ID, "pv-regions")))   # its home after login
    for width, height in ((1920, 1080), (390, 844)):
        viewport(browser, width, height)
        text = _open(browser, base)
        shot(browser, f"provinsi-{width}x{height}")
        assert "Pemerintah Kota Ternate" in text and "66,7%" in text and "27,3%" in text, text[:400]
        assert "WIT" in text and "Keterlambatan bulan ini" in text
        assert not [v for v in seeded.identities(people) if v in text]
        assert _faults(browser.execute_script(TEXT_JS)) == {}              # no English day, no 27.3%, no 09:00
        for raw in ("not_yet", "on_leave", "8271", "None", "nan"):   # no codes or Python words on the page
            assert raw not in text, raw
        overflow = browser.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (width, overflow)                     # wide tables scroll inside, not the page
    assert violations(browser) == []                                 # nothing the Content-Security-Policy blocked
