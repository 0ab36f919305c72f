"""/admin/faces: BKPP enrols a reference face from a photo or approves the employee's own
selfie; a replaced face is kept and said so; audited; nobody else sees or does anything.
Through the Dash app's callbacks, then in headless Chromium (screenshots at both sizes)."""
from __future__ import annotations

import base64
import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from ingest import attendance, selfies
from ingest.rules.judge import Attempt
from queries import audit
from queries import faces as q
from tests.conftest import ROOT
from tests.support.faces import FACES
from tests.support import factories
from tests.support.browser import login, shot, viewport, wait
from tests.support.city import seed_city
from tests.support.dash_client import logged_in as client

WIB = ZoneInfo("Asia/Jakarta")
MORNING = dt.datetime(2026, 11, 3, 7, 20, tzinfo=WIB)    # a Tuesday, on time
OUT = [("fc-result", "children"), ("fc-employee", "children"), ("fc-selfie", "options")]


@pytest.fixture(scope="module")
def city(make_runtime):
    rt = make_runtime(ROOT / "config.yaml", "admfaces")
    return rt, seed_city(rt, past_days=2)


def data_url(name: str) -> str:
    return "data:image/jpeg;base64," + base64.b64encode((FACES / name).read_bytes()).decode()


def selfie_check_in(rt, person: dict, name: str) -> int:
    """An accepted phone check-in of `person` with this photo as its selfie."""
    sha = selfies.store(rt.settings.selfie_dir, (FACES / name).read_bytes())
    office = rt.config.office_by_code["DINKES-1"]
    attempt = Attempt(source="mobile", captured_at=MORNING, received_at=MORNING, lat=office.lat, lon=office.lon,
                      accuracy_m=6.0, session="in")
    done = attendance.record(rt, person["id"], attempt, f"admfaces:{person['id']}", payload={}, selfie_sha256=sha)
    assert done.verdict["verdict"] == "accepted"
    return done.check_in_id


def act(c, button: str, nip: str, contents=None, filename=None, check_in_id=None):
    other = "fc-approve" if button == "fc-enrol" else "fc-enrol"
    status, out = c.callback(OUT, [(button, "n_clicks", 1), (other, "n_clicks", None)],
                             [("fc-nip", "value", nip), ("fc-upload", "contents", contents),
                              ("fc-upload", "filename", filename), ("fc-selfie", "value", check_in_id)],
                             key=c.output_key("fc-enrol"))
    return status, json.dumps(out, ensure_ascii=False)


def test_only_bkpp_sees_and_uses_the_faces_page(app, city):
    rt, _ = city
    person = factories.employee(rt, "DINKES", name="Sri Wahyuni")
    for username in ("kadinkes", "sekda"):
        c = client(app, username)
        status, page = c.page("/admin/faces", f"?nip={person['nip']}")
        assert status == 200 and '"nothing"' in page and "Sri Wahyuni" not in page
        status, text = act(c, "fc-enrol", person["nip"], data_url("obama1.jpg"), "obama1.jpg")
        assert status == 204 and "Sri Wahyuni" not in text
    assert "/admin/faces" in client(app, "bkpp").page("/overview")[1]
    assert "/admin/faces" not in client(app, "kadinkes").page("/overview")[1]
    with rt.connection() as conn:
        assert q.enrolment_history(conn, person["id"]) == []


def test_bkpp_enrols_a_photo_then_approves_a_selfie_keeping_the_old_face(app, city):
    rt, _ = city
    person = factories.employee(rt, "DINKES", name="Dewi Kartika")
    check_in = selfie_check_in(rt, person, "rose_leslie_img2.jpg")
    c = client(app, "bkpp")
    _, page = c.page("/admin/faces", f"?nip={person['nip']}")
    assert "Dewi Kartika" in page and "Belum ada wajah acuan" in page and '"fc-selfies"' in page

    status, text = act(c, "fc-enrol", person["nip"], data_url("two_people.jpg"), "dua.jpg")
    assert status == 200 and "Ditemukan 2 wajah" in text and "2 faces found" in text
    status, text = act(c, "fc-enrol", person["nip"], None, None)
    assert "Pilih foto terlebih dahulu" in text
    status, text = act(c, "fc-enrol", person["nip"], data_url("rose_leslie_img1.jpg"), "rose.jpg")
    assert status == 200 and "Wajah acuan Dewi Kartika" in text and "lama tetap tersimpan" not in text
    assert "Belum pernah diganti" in text and "fc-current-photo" in text

    status, text = act(c, "fc-approve", person["nip"], check_in_id=check_in)
    assert status == 200 and "Wajah acuan lama tetap tersimpan" in text
    assert "1 wajah acuan sebelumnya tetap tersimpan" in text and "swafoto presensi" in text
    with rt.connection() as conn:
        history = q.enrolment_history(conn, person["id"])
        logged = audit.entries(conn, action="face.enrol", target=person["nip"])
    assert [(h["source"], h["check_in_id"]) for h in history] == [("selfie", check_in), ("photo", None)]
    assert [e["actor"] for e in logged] == ["bkpp", "bkpp"]

    stranger = factories.employee(rt, "DINKES")
    status, text = act(c, "fc-approve", stranger["nip"], check_in_id=check_in)
    assert "bukan swafoto milik" in text                     # not the employee's own selfie


@pytest.mark.browser
def test_faces_page_in_chromium_at_both_sizes(city, server, browser, tmp_path):
    rt, _ = city
    person = factories.employee(rt, "DINKES", name="Ahmad Fauzi")
    selfie_check_in(rt, person, "obama_obama2.jpg")
    photo = tmp_path / f"{person['nip']}.jpg"
    photo.write_bytes((FACES / "obama_obama.jpg").read_bytes())
    login(browser, server, "bkpp")
    for width, height, name in ((1920, 1080, "admin_faces_1920"), (390, 844, "admin_faces_390")):
        viewport(browser, width, height)
        browser.get(f"{server}/admin/faces?nip={person['nip']}")
        wait(browser, EC.presence_of_element_located((By.ID, "fc-selfies")))
        browser.find_element(By.CSS_SELECTOR, "#fc-upload input[type=file]").send_keys(str(photo))
        wait(browser, EC.text_to_be_present_in_element((By.ID, "fc-upload-name"), photo.name))
        browser.find_element(By.ID, "fc-enrol").click()
        wait(browser, EC.presence_of_element_located((By.ID, "done")))
        wait(browser, EC.presence_of_element_located((By.ID, "fc-current-photo")))
        assert "Ahmad Fauzi" in browser.find_element(By.ID, "done").text
        browser.execute_script("window.scrollTo(0, 0)")   # the click scrolled to the buttons
        shot(browser, name)
    assert "tetap tersimpan" in browser.find_element(By.ID, "done").text   # the second upload replaced the first
