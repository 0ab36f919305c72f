"""The administration pages in headless Chromium against live gunicorn servers (the
dashboard, and the mobile API for the phone's side), on the demo clock of
test_dashboard_browser (a Monday 07:20 WIB). Screenshots go to tests/artifacts/admin_*.png.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import os

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from dashboard.auth import hash_password
from ingest import events, leave_requests, live
from foundation import clock
from queries import users
from tests.support import factories, phones
from tests.support.admin import PDF, close_as_tk
from tests.conftest import ROOT
from tests.support.city import PASSWORD, seed_city
from tests.support.browser import MONDAY_0720, login, shot, viewport, wait

pytestmark = pytest.mark.browser
FRIDAY = MONDAY_0720.date() - dt.timedelta(days=3)
ROTATION_WAIT_S = 75   # an upper bound for two 30 s slots to pass, not a speed assertion


@pytest.fixture(scope="module")
def city(make_runtime, demo_clock):
    rt = make_runtime(ROOT / "config.yaml", "admbr")
    data = seed_city(rt)
    with rt.transaction() as conn:
        users.add_user(conn, "admindinkes", hash_password(PASSWORD), "admin_unit", "DINKES", "Admin Dinkes")
    person = factories.employee(rt, "DINKES", name="Rina Lestari")
    close_as_tk(rt, person["id"], FRIDAY, FRIDAY)
    data["leave_person"] = person
    data["leave"] = leave_requests.request(rt, person["id"], "izin", FRIDAY, FRIDAY, "urusan keluarga",
                                           [leave_requests.Document("surat_izin.pdf", PDF)])
    live.rebuild(rt, data["today"])
    return rt, data


@pytest.fixture(scope="module")
def api(city):
    """The mobile API (Procfile ingest) on the very clock the dashboard runs on."""
    with phones.gunicorn(city[0], env={clock.ENV: os.environ[clock.ENV]}) as running, \
            httpx.Client(base_url=running.url, timeout=30) as http:
        yield http


def session(browser, base: str) -> httpx.Client:  # noqa: F811
    """An HTTP client carrying the browser's login (for files the page links to)."""
    return httpx.Client(base_url=base, cookies={c["name"]: c["value"] for c in browser.get_cookies()}, timeout=30)


def recap_row(http: httpx.Client, nip: str) -> dict:
    res = http.get(f"/download/recap.csv?month={FRIDAY:%Y-%m}&format=csv")
    assert res.status_code == 200
    return next(r for r in csv.DictReader(io.StringIO(res.text.lstrip("\ufeff"))) if r["nip"] == nip)


def day_row(browser, server, employee_id: int, day: dt.date) -> str:  # noqa: F811
    browser.get(f"{server}/overview?employee={employee_id}&month={day:%Y-%m}")
    table = wait(browser, EC.presence_of_element_located((By.ID, "employee-days")))
    return next(r.text for r in table.find_elements(By.CSS_SELECTOR, "tbody tr") if f"{day:%d/%m}" in r.text)


def test_approving_a_leave_changes_the_work_day_and_the_recap(browser, server, city):  # noqa: F811
    rt, data = city
    person, leave_id = data["leave_person"], data["leave"]["id"]
    login(browser, server, "kadinkes")
    http = session(browser, server)
    before = recap_row(http, person["nip"])
    assert (before["tk"], before["izin"]) == ("1", "0")
    assert "TK" in day_row(browser, server, person["id"], FRIDAY)
    browser.get(f"{server}/admin/leave?leave={leave_id}")
    link = wait(browser, EC.presence_of_element_located((By.CSS_SELECTOR, "#lv-table a.attachment")))
    doc = http.get(link.get_attribute("href"))
    assert doc.status_code == 200 and doc.content == PDF
    browser.find_element(By.ID, "lv-comment").send_keys("Disetujui, semoga lancar")
    shot(browser, "admin_leave_pending")
    browser.find_element(By.ID, "lv-approve").click()
    result = wait(browser, EC.presence_of_element_located((By.ID, "done")))
    assert f"Pengajuan {leave_id} disetujui" in result.text and "izin" in result.text
    assert person["name"] not in browser.find_element(By.ID, "lv-list").text   # no longer pending
    shot(browser, "admin_leave_approved")
    # one load: the TK page above sits in the dashboard's cache, and the decision must not wait out its TTL
    assert "Izin" in day_row(browser, server, person["id"], FRIDAY)
    shot(browser, "admin_leave_work_day")
    after = recap_row(http, person["nip"])
    assert (after["tk"], after["izin"]) == ("0", "1")
    assert float(after["potongan_persen"].replace(",", ".")) < float(before["potongan_persen"].replace(",", "."))


def test_resetting_a_binding_locks_the_phone_out_and_a_new_code_binds_another(browser, server, city, api):  # noqa: F811
    rt, _ = city
    phone = phones.new_phone(rt, api, unit="DAMKAR")
    nip = phone["employee"]["nip"]
    assert api.get("/api/v1/me/today", headers=phone["headers"]).status_code == 200
    login(browser, server, "bkpp")
    browser.get(f"{server}/admin/devices?q={nip}")
    wait(browser, lambda d: "Samsung Galaxy A14" in d.find_element(By.ID, "dv-list").text)
    browser.find_element(By.ID, "dv-nip").send_keys(nip)
    browser.find_element(By.ID, "dv-reason").send_keys("ponsel hilang")
    shot(browser, "admin_devices")
    browser.find_element(By.ID, "dv-reset").click()
    assert "direset" in wait(browser, EC.presence_of_element_located((By.ID, "done"))).text
    shot(browser, "admin_devices_reset")
    refused = api.get("/api/v1/me/today", headers=phone["headers"])
    assert refused.status_code == 401 and "BKPP" in refused.text
    browser.find_element(By.ID, "dv-code").click()
    code = wait(browser, EC.presence_of_element_located((By.ID, "dv-issued"))).text
    shot(browser, "admin_devices_code")
    bound = api.post("/api/v1/devices/activate", json={"nip": nip, "code": code, "device_id": "android-baru-0001",
                                                       "device_model": "Xiaomi Redmi 13"})
    assert bound.status_code == 201, bound.text


def test_bkpp_gives_a_unit_head_a_temporary_password_that_logs_them_in(browser, server, city):  # noqa: F811
    rt, _ = city
    with rt.transaction() as conn:
        users.add_user(conn, "kadinsos", hash_password(PASSWORD), "kepala_unit", "DINSOS", "Kepala Dinas Sosial")
    login(browser, server, "bkpp")
    for width, height in ((1920, 1080), (390, 844)):
        viewport(browser, width, height)
        browser.get(f"{server}/admin/users")
        row = wait(browser, lambda d: [r for r in d.find_elements(By.CSS_SELECTOR, "#us-table .user-row")
                                       if r.text.startswith("kadinsos")])[0]
        assert "Kepala Dinas Sosial" in row.text and "Kepala Unit" in row.text and "belum pernah" in row.text
        assert browser.execute_script("return document.documentElement.scrollWidth") <= width
        shot(browser, f"admin_users_{width}")
    browser.find_element(By.ID, "us-username").send_keys("kadinsos")
    browser.find_element(By.ID, "us-reason").send_keys("lupa kata sandi")
    browser.find_element(By.ID, "us-password").click()
    temporary = wait(browser, EC.presence_of_element_located((By.ID, "us-issued"))).text
    browser.execute_script("document.getElementById('us-result').scrollIntoView()")
    shot(browser, "admin_users_reset_390")
    # the unit head's first login with it opens the password form, and only that, until they choose their own
    browser.delete_all_cookies()
    browser.get(f"{server}/login?next=/overview")
    browser.find_element(By.ID, "username").send_keys("kadinsos")
    browser.find_element(By.ID, "password").send_keys(temporary)
    browser.find_element(By.ID, "login-button").click()
    wait(browser, EC.visibility_of_element_located((By.ID, "password-temporary")))
    assert browser.current_url.endswith("/password")
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 390
    shot(browser, "admin_users_first_login_390")
    viewport(browser, 1920, 1080)
    shot(browser, "admin_users_first_login_1920")
    viewport(browser, 390, 844)
    browser.get(f"{server}/trends")
    wait(browser, EC.visibility_of_element_located((By.ID, "password-temporary")))
    browser.find_element(By.ID, "current").send_keys(temporary)
    for field in ("new", "again"):
        browser.find_element(By.ID, field).send_keys("sandi-kadinsos-2026")
    browser.find_element(By.ID, "password-button").click()
    wait(browser, EC.visibility_of_element_located((By.ID, "password-done")))
    viewport(browser, 1920, 1080)
    browser.get(f"{server}/overview")
    wait(browser, EC.presence_of_element_located((By.ID, "breadcrumbs")))
    assert "Kepala Dinas Sosial" in browser.find_element(By.TAG_NAME, "body").text


def test_a_phone_on_two_accounts_is_listed_for_bkpp_with_the_one_to_reset(browser, server, city):
    rt, _ = city
    from ingest import devices
    from queries import db

    first, second = factories.employee(rt, "DINSOS", name="Budi Santoso"), factories.employee(rt, "DINSOS", name="Andi Wijaya")
    with rt.transaction() as conn:   # bound before one phone, one account held
        for n, person in enumerate((first, second)):
            db.run(conn, "INSERT INTO devices (employee_id, device_id, model, token_hash, bound_at) "
                         "VALUES (:e, 'android-berdua-01', 'Oppo A17', :t, now() - make_interval(days => :d))",
                   e=person["id"], t=devices.token_hash(f"berdua-{n}-{person['nip']}"), d=30 - n * 20)
    login(browser, server, "bkpp")
    browser.get(f"{server}/admin/devices")
    rows = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#dv-shared .shared-row"))
    text = [r.text for r in rows if "android-berdua-01" in r.text]
    assert len(text) == 2 and "Budi Santoso" in text[0] and "pertama" in text[0]
    assert "Andi Wijaya" in text[1] and "presensi ditolak" in text[1]
    browser.execute_script("document.getElementById('dv-shared-list').scrollIntoView()")
    shot(browser, "admin_devices_shared")


def test_the_event_qr_rotates_and_its_current_token_checks_in(browser, server, city, api):  # noqa: F811
    rt, data = city
    today = data["today"]
    zone = rt.config.zone
    event_id = events.create_event(
        rt, "bkpp", name="Apel Senin", kind="apel", event_date=today,
        opens_at=dt.datetime.combine(today, dt.time(7, 0), zone), closes_at=dt.datetime.combine(today, dt.time(9, 0), zone),
        place=events.Place(office_code="DINKES-1"), invited_units=["DINKES"], compulsory=True)
    login(browser, server, "bkpp")
    browser.get(f"{server}/admin/qr?event={event_id}")
    first = wait(browser, EC.presence_of_element_located((By.ID, "qr-image"))).get_attribute("data-token")
    assert events.token_problem(rt.settings.secret_key, event_id, first, clock.now()) in (None, "qr_expired")
    assert browser.find_element(By.ID, "qr-image").get_attribute("src").startswith("data:image/svg+xml")
    shot(browser, "admin_qr")
    second = wait(browser, lambda d: (t := d.find_element(By.ID, "qr-image").get_attribute("data-token")) != first
                  and t, timeout=ROTATION_WAIT_S)
    assert int(second.split(".")[1]) > int(first.split(".")[1]) and second.split(".")[0] == str(event_id)
    phone = phones.new_phone(rt, api, unit="DINKES")
    location = phones.body(rt, clock.now())["location"]
    r = api.post(f"/api/v1/events/{event_id}/attend", headers=phone["headers"],
                 json={"event_id": "a1b2c3d4-0000-4000-8000-000000000001", "token": second, "location": location})
    assert r.status_code == 201 and r.json()["verdict"] == "accepted", r.text
    forged = second[:-4] + ("0000" if not second.endswith("0000") else "1111")
    r = api.post(f"/api/v1/events/{event_id}/attend", headers=phones.new_phone(rt, api)["headers"],
                 json={"event_id": "a1b2c3d4-0000-4000-8000-000000000002", "token": forged, "location": location})
    assert r.json()["reasons"] == ["qr_forged"]
    wait(browser, lambda d: "Hadir: 1" in d.find_element(By.ID, "qr-count").text, timeout=ROTATION_WAIT_S)
    shot(browser, "admin_qr_rotated")
    browser.get(f"{server}/admin/events?event={event_id}")
    assert phone["employee"]["name"] in wait(browser, EC.presence_of_element_located((By.ID, "ev-attended"))).text
    shot(browser, "admin_event_attendance")


def test_a_manual_entry_shows_as_manual_in_the_drill_down(browser, server, city):  # noqa: F811
    _, data = city
    person = data["people"]["DINKES"][2]          # 'belum' today in the seed
    login(browser, server, "admindinkes")
    assert "manual" not in day_row(browser, server, person["id"], data["today"])   # now in the cache
    browser.get(f"{server}/admin/manual")
    wait(browser, EC.presence_of_element_located((By.ID, "mn-nip"))).send_keys(person["nip"])
    browser.find_element(By.ID, "mn-note").send_keys("Mesin presensi mati, berita acara no. 12")
    shot(browser, "admin_manual_form")
    browser.find_element(By.ID, "mn-save").click()
    result = wait(browser, EC.presence_of_element_located((By.CSS_SELECTOR, "#done, #refusal")))
    assert result.get_attribute("id") == "done", result.text
    assert person["nip"] in browser.find_element(By.ID, "mn-list").text
    shot(browser, "admin_manual_saved")
    row = day_row(browser, server, person["id"], data["today"])   # one load: the entry is not held back by the cache
    assert "manual" in row and "Hadir" in row
    shot(browser, "admin_manual_drill_down")
