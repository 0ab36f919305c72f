"""The review page in headless Chromium: the inspectorate opens an item, sees its evidence and
rejects it with a note; the work day and the recap follow. Screenshots at 1920x1080 and
390x844 go to tests/artifacts/review_*.png."""
from __future__ import annotations

import csv
import io

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from tests.conftest import ROOT
from tests.support.browser import login, shot, viewport, wait
from tests.support.days import work_day
from tests.support.review import seed_review

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def city(make_runtime, demo_clock):
    rt = make_runtime(ROOT / "config.yaml", "review_browser")
    return rt, seed_review(rt)


def recap_row(browser, base: str, nip: str, month: str) -> dict:
    cookies = {c["name"]: c["value"] for c in browser.get_cookies()}
    with httpx.Client(base_url=base, cookies=cookies, timeout=30) as http:
        res = http.get(f"/download/recap.csv?month={month}&format=csv")
    assert res.status_code == 200
    return next(r for r in csv.DictReader(io.StringIO(res.text.lstrip("\ufeff"))) if r["nip"] == nip)


def test_the_inspectorate_rejects_one_item_and_the_day_follows(browser, server, city):
    rt, data = city
    person, item, day = data["who"]["pair_a"], data["review"]["pair_a"], data["review_day"]
    month = f"{day:%Y-%m}"
    login(browser, server, "inspektur")
    before = recap_row(browser, server, person["nip"], month)
    assert before["menunggu_tinjauan"] == "1" and work_day(rt, person["id"], day)["status"] == "tk"   # pending
    browser.get(server + "/review")
    wait(browser, EC.presence_of_element_located((By.ID, "rv-table")))
    # the worst first: the pair's two check-ins (arrive_together, 50 each)
    first_row = browser.find_elements(By.CSS_SELECTOR, "#rv-table tbody tr")[0].text
    assert "50" in first_row and "titip absen" in first_row
    browser.find_element(By.CSS_SELECTOR, f"button[id*='\"index\":{item}']").click()
    evidence = wait(browser, lambda d: person["nip"] in d.find_element(By.ID, "rv-evidence").text
                    and d.find_element(By.ID, "rv-evidence"))
    assert "Belum ada wajah terdaftar" in evidence.text
    assert data["who"]["pair_b"]["name"] in evidence.find_element(By.ID, "rv-findings").text   # the other of the pair
    wait(browser, lambda d: d.find_element(By.ID, "rv-timeline").find_elements(By.CSS_SELECTOR, "tr.this-check-in"))
    shot(browser, "review_1920")
    browser.find_element(By.ID, "rv-tolak").click()          # no note yet: refused on the page
    assert "Catatan wajib diisi" in wait(browser, EC.presence_of_element_located((By.ID, "refusal"))).text
    browser.find_element(By.ID, "rv-note").send_keys("Titip absen: pegawai DAMKAR yang menekan, dikonfirmasi")
    browser.find_element(By.ID, "rv-tolak").click()
    result = wait(browser, EC.presence_of_element_located((By.ID, "done")))
    assert f"Presensi {item}: Ditolak" in result.text and "Tanpa keterangan" in result.text
    assert "Ditolak: Titip absen" in browser.find_element(By.ID, "rv-state").text
    wait(browser, lambda d: f'"index":{item}' not in d.find_element(By.ID, "rv-list").get_attribute("innerHTML"))
    shot(browser, "review_decided_1920")
    assert work_day(rt, person["id"], day)["status"] == "tk"
    after = recap_row(browser, server, person["nip"], month)
    assert (after["hadir"], after["tk"], after["menunggu_tinjauan"]) == (before["hadir"], before["tk"], "0")
    # on a phone: the queue above the evidence, nothing cut off sideways
    viewport(browser, 390, 844)
    browser.get(server + f"/review?id={data['review']['lone']}")
    wait(browser, lambda d: data["who"]["lone"]["nip"] in d.find_element(By.ID, "rv-evidence").text)
    wait(browser, lambda d: d.execute_script("return document.querySelector('#rv-selfie')?.naturalWidth") == 120)
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 390
    shot(browser, "review_390")
    browser.execute_script("document.getElementById('rv-evidence').scrollIntoView()")
    shot(browser, "review_390_evidence")
    viewport(browser, 1920, 1080)
