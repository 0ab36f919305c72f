"""The employee's page (/app/) in Debian's headless Chromium against the Procfile's ingest
process: a fake front camera, the position set through the DevTools protocol, the phone's
clock set to the server's (Monday 07:40 WIB), the network cut and restored."""
from __future__ import annotations

import datetime as dt
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.support import expected_conditions as EC

from ingest import devices
from queries import db
from tests.support import factories
from tests.support.browser import ARTIFACTS, shot, viewport, wait
from tests.support.phones import gunicorn

WIB = ZoneInfo("Asia/Jakarta")
MONDAY_0740 = dt.datetime(2026, 11, 23, 7, 40, tzinfo=WIB)   # 10 minutes late under the 07:30 start
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"

# the phone's clock reads the server's demo time (each new document, before the page's script)
CLOCK = """(() => { const shift = %d - Date.now(); const Real = Date;
  class PhoneDate extends Real { constructor(...a) { if (a.length) super(...a); else super(Real.now() + shift); }
    static now() { return Real.now() + shift; } }
  globalThis.Date = PhoneDate; })();"""


@pytest.fixture(scope="module")
def server(runtime):
    with gunicorn(runtime, clock_at=MONDAY_0740) as srv:
        yield srv


@pytest.fixture(scope="module")
def phone(server, tmp_path_factory):
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--use-fake-device-for-media-stream",
                "--use-fake-ui-for-media-stream", f"--user-data-dir={tmp_path_factory.mktemp('chromium')}"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=webdriver.ChromeService("/usr/bin/chromedriver"), options=opts)
    driver.execute_cdp_cmd("Browser.grantPermissions", {"origin": server.url,
                                                        "permissions": ["geolocation", "videoCapture"]})
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument",
                           {"source": CLOCK % int(server.now().timestamp() * 1000)})
    driver.execute_cdp_cmd("Network.enable", {})
    viewport(driver, 390, 844)
    yield driver
    driver.quit()


def _at(driver, rt, office: str, north_m: float = 0.0, accuracy: float = 8.0) -> None:
    o = rt.config.office_by_code[office]
    driver.execute_cdp_cmd("Emulation.setGeolocationOverride",
                           {"latitude": o.lat + north_m / 111_195, "longitude": o.lon, "accuracy": accuracy})


def _network(driver, online: bool) -> None:
    driver.execute_cdp_cmd("Network.emulateNetworkConditions", {
        "offline": not online, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})


def _check_in(driver, button: str = "btn-in") -> None:
    driver.find_element(By.ID, button).click()
    wait(driver, EC.element_to_be_clickable((By.ID, "btn-shoot")))
    driver.find_element(By.ID, "btn-shoot").click()


def _result(driver, server=None) -> str:
    try:
        wait(driver, lambda d: d.find_element(By.ID, "result").is_displayed()
             and d.find_element(By.ID, "result").text.strip())
    except TimeoutException:
        raise AssertionError(f"no verdict shown: {_page_state(driver, server)}") from None
    return driver.find_element(By.ID, "result").text


def _page_state(driver, server) -> str:
    """What the page shows and holds, its console, and the server's log: a failure explains itself."""
    page = driver.execute_async_script("""const done = arguments[0];
        const shown = ["activate", "home", "capture", "result", "reason", "queue"].filter((id) => !$(id).hidden);
        queueAll().then((q) => q.length, (e) => String(e)).then((queued) => done({shown, queued,
            result: $("result").outerHTML.slice(0, 600), net: $("net").textContent,
            status: $("capture-status").textContent, token: !!localStorage.getItem("pantau.token")}));""")
    console = [f"{e['level']} {e['message']}" for e in driver.get_log("browser")][-20:]
    return f"page {page}; console {console}; server log: {server.log_tail(3000) if server else '-'}"


def _stored(rt, employee_id: int) -> list[dict]:
    with rt.connection() as conn:
        return db.rows(conn, "SELECT event_key, verdict, payload->'request'->'location'->>'provider' AS provider "
                             "FROM check_ins WHERE employee_id = :e ORDER BY id", e=employee_id)


def _activate(driver, rt, server) -> dict:
    employee = factories.employee(rt, "DINKES")
    code = devices.issue_code(rt, employee["nip"], "test").code
    # a new phone: nothing of an earlier test's employee (token, device id, queue) stays. Cleared
    # from a page of the origin that runs no script, so no open queue connection holds the delete
    driver.get(server.url + "/app/manifest.webmanifest")
    deleted = driver.execute_async_script("""const done = arguments[0]; localStorage.clear();
        const r = indexedDB.deleteDatabase('pantau');
        r.onsuccess = () => done("deleted"); r.onerror = () => done(String(r.error));""")
    assert deleted == "deleted", deleted
    driver.get(server.url + "/app/")
    wait(driver, EC.visibility_of_element_located((By.ID, "nip")))
    shot(driver, "app_activate_390")
    driver.find_element(By.ID, "nip").send_keys(employee["nip"])
    driver.find_element(By.ID, "code").send_keys(code)
    driver.find_element(By.CSS_SELECTOR, "#activate-form button").click()
    wait(driver, EC.visibility_of_element_located((By.ID, "btn-in")))
    wait(driver, lambda d: employee["nip"] in d.find_element(By.ID, "who").text)
    return employee


def test_activate_check_in_late_with_a_reason_then_refused_outside_with_the_distance(phone, runtime, server):
    employee = _activate(phone, runtime, server)
    _at(phone, runtime, "DINKES-1")
    _check_in(phone)
    text = _result(phone, server)
    assert "diterima" in text.lower() and "Terlambat" in text, text
    wait(phone, EC.visibility_of_element_located((By.ID, "reason")))
    phone.find_element(By.ID, "reason-text").send_keys("Ban motor bocor di jalan")
    phone.find_element(By.ID, "btn-reason").click()
    wait(phone, EC.text_to_be_present_in_element((By.ID, "reason"), "Alasan terkirim"))
    shot(phone, "app_verdict_late_390")

    _at(phone, runtime, "DINKES-1", north_m=600)
    _check_in(phone)
    wait(phone, lambda d: "Di luar radius" in d.find_element(By.ID, "result").text)
    text = _result(phone, server)
    distance = phone.find_element(By.CSS_SELECTOR, "#result .distance").text
    assert "Di luar radius kantor" in text and "Outside the office radius" in text
    assert distance.startswith(("599 m", "600 m", "601 m")), distance
    assert phone.find_element(By.CSS_SELECTOR, "#result svg.map").is_displayed()
    shot(phone, "app_verdict_refused_390")

    phone.find_element(By.CSS_SELECTOR, "[data-show=month]").click()   # the month counts it as the recap will
    wait(phone, EC.text_to_be_present_in_element((By.ID, "month-summary"), "Potongan TPP"))
    assert "Potongan TPP sejauh ini: 0,5 %" in phone.find_element(By.ID, "month-summary").text   # TL1, decimal comma
    assert "November 2026" in phone.find_element(By.ID, "month-pick").text
    shot(phone, "app_month_390")
    phone.find_element(By.CSS_SELECTOR, "#month .back").click()

    rows = _stored(runtime, employee["id"])
    assert [r["verdict"] for r in rows] == ["accepted", "refused"]
    assert {r["provider"] for r in rows} == {"web"}   # marked as coming from the web page
    with runtime.connection() as conn:
        reason = db.scalar(conn, "SELECT reason FROM check_in_notes WHERE check_in_id = "
                                 "(SELECT min(id) FROM check_ins WHERE employee_id = :e)", e=employee["id"])
    assert reason == "Ban motor bocor di jalan"


def test_offline_check_ins_wait_in_the_browser_survive_a_reload_and_are_stored_once(phone, runtime, server):
    employee = _activate(phone, runtime, server)
    _at(phone, runtime, "DINKES-1")
    _network(phone, online=False)
    try:
        _check_in(phone)
        assert "Tanpa sinyal" in _result(phone, server)
        _check_in(phone)
        wait(phone, EC.text_to_be_present_in_element((By.ID, "queue"), "Menunggu dikirim: 2"))
        shot(phone, "app_offline_queue_390")
        assert _stored(runtime, employee["id"]) == []
        phone.refresh()   # the page closed and opened again without signal: the queue is still there
        wait(phone, EC.text_to_be_present_in_element((By.ID, "queue"), "Menunggu dikirim: 2"))
    finally:
        _network(phone, online=True)
    wait(phone, lambda d: not d.find_element(By.ID, "queue").is_displayed(), timeout=60)
    rows = _stored(runtime, employee["id"])
    assert len(rows) == 2 and len({r["event_key"] for r in rows}) == 2
    # sent again (a reply lost on the way): the same event_ids, still two rows
    phone.refresh()
    wait(phone, EC.visibility_of_element_located((By.ID, "btn-in")))
    assert len(_stored(runtime, employee["id"])) == 2


def test_a_leave_request_with_a_letter(phone, runtime, server, tmp_path):
    _activate(phone, runtime, server)
    letter = tmp_path / "surat-dokter.pdf"
    letter.write_bytes(PDF)
    phone.find_element(By.CSS_SELECTOR, "[data-show=leave]").click()
    wait(phone, EC.visibility_of_element_located((By.ID, "leave-form")))
    phone.find_element(By.CSS_SELECTOR, "#leave-type option[value=sakit]").click()
    for field, value in (("leave-from", "11/25/2026"), ("leave-to", "11/26/2026")):
        phone.execute_script("arguments[0].value = arguments[1]", phone.find_element(By.ID, field),
                             dt.datetime.strptime(value, "%m/%d/%Y").date().isoformat())
    phone.find_element(By.ID, "leave-reason").send_keys("Demam, surat dokter terlampir")
    phone.find_element(By.ID, "leave-file").send_keys(str(letter))
    phone.find_element(By.CSS_SELECTOR, "#leave-form button").click()
    wait(phone, EC.text_to_be_present_in_element((By.ID, "leave-result"), "Pengajuan terkirim"))
    wait(phone, EC.text_to_be_present_in_element((By.ID, "leave-list"), "1 berkas"))
    assert "Menunggu persetujuan" in phone.find_element(By.ID, "leave-list").text
    shot(phone, "app_leave_390")


def test_the_page_asks_no_other_host_and_fits_a_phone(phone, runtime, server):
    _activate(phone, runtime, server)
    for width in (360, 390):
        viewport(phone, width, 844)
        assert phone.execute_script("return document.documentElement.scrollWidth") <= width
    hosts = phone.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert hosts and {urlparse(h).netloc for h in hosts} == {urlparse(server.url).netloc}
    manifest = phone.execute_script("return fetch('manifest.webmanifest').then(r => r.json())")
    assert manifest["start_url"] == "/app/" and {i["sizes"] for i in manifest["icons"]} >= {"192x192", "512x512"}
    assert phone.execute_script("return navigator.serviceWorker.getRegistration().then(r => !!r)")
    viewport(phone, 1920, 1080)   # a BKPP operator trying it on a desktop
    assert phone.execute_script("return document.documentElement.scrollWidth") <= 1920
    shot(phone, "app_home_1920")
    viewport(phone, 390, 844)
    ARTIFACTS.mkdir(exist_ok=True)
    shot(phone, "app_home_390")


def test_a_phone_reset_by_bkpp_is_told_why_on_the_activation_screen(phone, runtime, server):
    employee = _activate(phone, runtime, server)
    devices.reset(runtime, employee["nip"], "bkpp", "ponsel hilang")
    _at(phone, runtime, "DINKES-1")
    _check_in(phone)
    wait(phone, EC.visibility_of_element_located((By.ID, "activate-error")))
    text = phone.find_element(By.ID, "activate-error").text
    assert "tidak lagi terdaftar" in text and "no longer registered" in text, text
    assert not phone.find_element(By.ID, "home").is_displayed()
    assert _stored(runtime, employee["id"]) == []
    shot(phone, "app_device_reset_390")


def test_the_employee_sees_the_review_of_their_check_in(phone, runtime, server):
    from ingest import review

    employee = _activate(phone, runtime, server)
    _at(phone, runtime, "DINKES-1")
    _check_in(phone)
    assert "diterima" in _result(phone, server).lower()
    with runtime.connection() as conn:
        check_in_id = db.scalar(conn, "SELECT min(id) FROM check_ins WHERE employee_id = :e", e=employee["id"])
    review.add_flags(runtime, [{"check_in_id": check_in_id, "source": "pattern", "kind": "selfie_reuse",
                                "weight": 60},   # and, as the scan does, its trust 40 queues it
                               {"check_in_id": check_in_id, "source": "trust", "kind": "low_trust", "weight": 0}])
    phone.refresh()
    wait(phone, EC.text_to_be_present_in_element((By.ID, "today"), "Menunggu tinjauan"))
    review.decide(runtime, check_in_id, "tolak", "Swafoto sama dengan kemarin", "bkpp", role="bkpp")
    phone.refresh()
    wait(phone, EC.text_to_be_present_in_element((By.ID, "today"), "Ditolak: Swafoto sama dengan kemarin"))
    phone.find_element(By.CSS_SELECTOR, "[data-show=month]").click()
    wait(phone, EC.text_to_be_present_in_element((By.ID, "month-days"), "Ditolak: Swafoto sama dengan kemarin"))
    shot(phone, "app_month_review_390")
    phone.find_element(By.CSS_SELECTOR, "#month .back").click()
