"""One web process, two regions (dashboard/regions.py): a user of region A reads and writes
nothing of region B, whatever host, route, download or callback they try.

Both regions have people, work days, check-ins, a leave request with its document, an
event and a check-in under review, and logins of the same names (user ids overlap across
the two schemas). Region B's people are named "Warga Ternate ..." and have NIPs of their own.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import secrets
import socket
import time

import pytest

from dashboard import app as web_app, regions as web_regions, sessions
from dashboard.auth import hash_password
from foundation.regions import settings_for
from ingest import events, leave_requests, review
from queries import dashboard_sessions, db, users
from tests.conftest import ROOT, runtime_env
from tests.support.admin import PDF
from tests.support.browser import ARTIFACTS, login, shot, viewport, wait
from tests.support.city import PASSWORD, seed_city
from tests.support.region_walk import Aim, HostClient, callback_bodies, readable, rule_requests, schema_digest
from tests.support.servers import serving

OWN, OTHER = "3672", "8271"
HOSTS = {OWN: "localhost", OTHER: "8271.localhost"}
NAMES = {OWN: "Pemerintah Kota Cilegon", OTHER: "Pemerintah Kota Ternate"}
LABEL = {OWN: "Pegawai", OTHER: "Warga Ternate"}
SEED = {OWN: {}, OTHER: {"units": {"SETDA": 3, "INSPEKTORAT": 3, "DAMKAR": 3},
                         "offices": {"SETDA": "KANTOR-WALIKOTA", "INSPEKTORAT": "INSPEKTORAT-1",
                                     "DAMKAR": "DAMKAR-1"}}}
DIRECTIONS = [(OWN, OTHER), (OTHER, OWN)]


def _seed(rt, code: str) -> dict:
    data = seed_city(rt, label=LABEL[code], **SEED[code])
    person = data["people"]["DAMKAR"][0]
    later = data["today"] + dt.timedelta(days=20)
    data["leave"] = leave_requests.request(rt, person["id"], "sakit", later, later, "demam tinggi",
                                           [leave_requests.Document("surat_dokter.pdf", PDF)])["id"]
    data["event"] = events.create_event(
        rt, "bkpp", name=f"Apel {LABEL[code]}", kind="apel", event_date=data["today"],
        opens_at=dt.datetime.combine(data["today"], dt.time(7), rt.config.zone),
        closes_at=dt.datetime.combine(data["today"], dt.time(8), rt.config.zone),
        place=events.Place(office_code="DAMKAR-1"), invited_units=["DAMKAR"])
    with rt.connection() as conn:
        data["review_item"] = db.scalar(conn, "SELECT id FROM check_ins WHERE employee_id = :e LIMIT 1", e=person["id"])
    review.add_flags(rt, [{"check_in_id": data["review_item"], "source": "pattern", "kind": "selfie_reuse",
                           "weight": 60}])
    everyone = [p for unit in data["people"].values() for p in unit]
    # its people's NIPs and names, and the names of its logins and event where they are its own
    data["secrets"] = [p["nip"] for p in everyone] + [p["name"] for p in everyone] + (
        [u["full_name"] for u in data["logins"].values()] + [f"Apel {LABEL[code]}"] if code == OTHER else [])
    # a search for the name all its people's names start with would find every one of them
    data["aim"] = Aim(ids=sorted({person["id"], data["leave"], data["event"], data["review_item"]}),
                      nip=person["nip"], name=LABEL[code], unit="DAMKAR", day=str(data["today"]),
                      sha=hashlib.sha256(PDF).hexdigest())
    return data


@pytest.fixture(scope="module")
def inst(make_installation):
    runtimes = make_installation(OTHER, label="dashiso")
    assert list(runtimes) == [OWN, OTHER]
    data = {code: _seed(rt, code) for code, rt in runtimes.items()}
    apps = web_app.create_apps(runtimes)
    return runtimes, data, apps, web_regions.dispatcher(apps)


def _secrets_of(data, code: str) -> list[str]:
    """What must never reach region `code`'s outsiders."""
    return data[code]["secrets"]


def _leaks(text: str, secret: list[str], asked: Aim | None = None) -> list[str]:
    """The secrets in `text`; the NIP the request itself carried may come back as typed (a
    search box keeps its value): the person behind it would show by name."""
    text = text.replace(asked.nip, "") if asked else text
    return [s for s in secret if s in text]


def _logged_in(wsgi, code: str, username: str = "bkpp") -> HostClient:
    c = HostClient(wsgi, HOSTS[code])
    page = c.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
    res = c.post("/login", data={"csrf_token": token, "username": username, "password": PASSWORD})
    assert res.status_code == 302, res.get_data(as_text=True)[:300]
    return c


def test_each_host_name_serves_its_region(inst):
    runtimes, _, apps, wsgi = inst
    for host, code in [("localhost", OWN), ("8271.localhost", OTHER), ("8271.localhost:8050", OTHER),
                       ("8271.pantau.example", OTHER), ("3672.pantau.example", OWN), ("pantau.example", OWN),
                       ("127.0.0.1:8050", OWN), ("9999.localhost", OWN), ("[::1]:8050", OWN), ("", OWN)]:
        page = HostClient(wsgi, host or "localhost").get("/login", headers={"Host": host}).get_data(as_text=True)
        assert NAMES[code] in page and NAMES[OTHER if code == OWN else OWN] not in page, host
    for code, app in apps.items():
        assert app.server.extensions["pantau"] is runtimes[code]
        assert app.server.extensions["pantau_regions"] == runtimes
        assert app.server.extensions["pantau_limiter"] is not apps[OTHER if code == OWN else OWN].server.extensions[
            "pantau_limiter"]
        assert app.server.login_manager is not apps[OTHER if code == OWN else OWN].server.login_manager
    assert sessions.secret_for(runtimes[OWN]) == runtimes[OWN].settings.secret_key   # one region: as it was
    assert sessions.secret_for(runtimes[OTHER]) != runtimes[OWN].settings.secret_key


@pytest.mark.parametrize("a,b", DIRECTIONS)
def test_a_session_cookie_logs_no_one_in_at_another_regions_host(inst, a, b):
    _, _, _, wsgi = inst
    at_a = _logged_in(wsgi, a)
    assert at_a.get("/overview").status_code == 200                     # logged in where it was issued
    cookie = at_a.get_cookie("session").value
    at_b = HostClient(wsgi, HOSTS[b])
    at_b.set_cookie("session", cookie)
    answer = at_b.get("/overview")
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/login"), answer.status_code
    assert at_b.get("/download/recap.csv?format=csv").status_code == 401
    assert at_b.get("/admin/attachment/1/" + "0" * 64).status_code == 401


@pytest.mark.parametrize("a,b", DIRECTIONS)
def test_a_session_names_its_region_even_under_one_key(inst, a, b):
    """The second lock, alone: a cookie signed with B's own key, naming a live session of B's
    user of the same id, still logs in no one when it says it was started in region A."""
    runtimes, data, apps, wsgi = inst
    rt = runtimes[b]
    user_id = data[b]["logins"]["bkpp"]["id"]
    sid = secrets.token_urlsafe(32)
    with rt.transaction() as conn:
        dashboard_sessions.start_session(conn, sessions._hash(sid), user_id,
                                         dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1))
    server = apps[b].server
    sign = server.session_interface.get_signing_serializer(server).dumps
    base = {"sid": sid, "_user_id": str(user_id), "_fresh": True, "login_at": time.time()}
    for region, answer in ((runtimes[a].config.region.code, 302), (rt.config.region.code, 200)):
        c = HostClient(wsgi, HOSTS[b])
        c.set_cookie("session", sign({**base, "region": region}))
        assert c.get("/overview").status_code == answer, region


def _ask_everything(c: HostClient, app, aim: Aim, secret: list[str], replay: str | None = None) -> dict[str, int]:
    """Every callback, then every rule (/logout last) of `app` through `c`; fails on a leak
    or a 500. `replay`: a session cookie sent again with every request. {what: status}."""
    answers = {}
    for key, body in callback_bodies(app, aim):
        if replay:
            c.set_cookie("session", replay)
        token = c.get_cookie("_csrf_token")
        res = c.post("/_dash-update-component", data=json.dumps(body),
                     headers={"Content-Type": "application/json", "X-CSRFToken": token.value if token else ""})
        text = res.get_data(as_text=True)
        assert res.status_code < 500 and not _leaks(text, secret, aim), (key, res.status_code, _leaks(text, secret, aim))
        answers[f"callback {key} {body['inputs'][0]}"] = res.status_code
    for method, url, form in rule_requests(app.server, aim):
        if replay:
            c.set_cookie("session", replay)
        token = c.get_cookie("_csrf_token")
        res = c.open(url, method=method, data={**form, "csrf_token": token.value if token else ""})
        text = readable(res.get_data())
        assert res.status_code < 500 and not _leaks(text, secret, aim), (method, url, res.status_code, _leaks(text, secret, aim))
        answers[f"{method} {url}"] = res.status_code
    return answers


@pytest.mark.parametrize("a,b", DIRECTIONS)
def test_every_route_and_callback_at_another_regions_host_gives_nothing_of_it(inst, a, b):
    runtimes, data, apps, wsgi = inst
    before = schema_digest(runtimes[b])
    cookie = _logged_in(wsgi, a).get_cookie("session").value
    c = HostClient(wsgi, HOSTS[b])
    replayed = _ask_everything(c, apps[b], data[b]["aim"], _secrets_of(data, b), replay=cookie)
    # B cannot read A's cookie: no CSRF token in it, so no callback runs at all
    assert {s for w, s in replayed.items() if w.startswith("callback")} == {400}
    # and with the session (and token) B gives this browser: an outsider's, no more
    c = HostClient(wsgi, HOSTS[b])
    c.get("/login")
    outsider = _ask_everything(c, apps[b], data[b]["aim"], _secrets_of(data, b))
    for answers in (replayed, outsider):
        assert len(answers) > 60 and not any(s == 200 for w, s in answers.items() if w.startswith("GET /download/"))
    assert schema_digest(runtimes[b]) == before
    # the control: B's own user, at B's host, does see B's people (the check above can fail)
    own = _logged_in(wsgi, b)
    recap = readable(own.get(f"/download/checkins.csv?format=csv&from={data[b]['today']}").get_data())
    assert _leaks(recap, _secrets_of(data, b))


@pytest.mark.parametrize("a,b", DIRECTIONS)
def test_every_route_and_callback_with_another_regions_ids_gives_nothing_of_it(inst, a, b):
    runtimes, data, apps, wsgi = inst
    before = schema_digest(runtimes[b])
    assert len(before) >= 10 and before["employees"] != schema_digest(runtimes[a])["employees"]
    for username in ("bkpp", "sekda"):
        c = _logged_in(wsgi, a, username)
        mine = readable(c.get(f"/download/checkins.csv?format=csv&from={data[a]['today']}").get_data())
        assert _leaks(mine, _secrets_of(data, a)), username   # A's downloads are A's: not empty
        answers = _ask_everything(c, apps[a], data[b]["aim"], _secrets_of(data, b))
        assert sum(s == 200 for w, s in answers.items() if w.startswith("GET /download/")) >= 12, username
        assert sum(s == 200 for w, s in answers.items() if w.startswith("callback")) >= 20, username
    assert schema_digest(runtimes[b]) == before


@pytest.mark.parametrize("a,b", DIRECTIONS)
def test_failed_logins_in_one_region_lock_no_one_out_of_another(inst, a, b):
    """Each app counts attempts in a limiter of its own (one module-level limiter kept one
    storage and key prefix for every app): the same user name elsewhere is someone else."""
    runtimes, _, _, wsgi = inst
    username = f"uji-{a}"
    for rt in runtimes.values():
        with rt.transaction() as conn:
            users.add_user(conn, username, hash_password(PASSWORD), "bkpp", None, "Uji")
    limit = int(runtimes[a].config.dashboard.login_attempts.split()[0])

    def attempt(code: str, password: str) -> int:
        c = HostClient(wsgi, HOSTS[code])
        page = c.get("/login").get_data(as_text=True)
        token = page.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
        return c.post("/login", data={"csrf_token": token, "username": username, "password": password},
                      environ_base={"REMOTE_ADDR": "10.9.0.1"}).status_code

    codes = [attempt(a, "salah") for _ in range(limit + 1)]
    assert codes[:limit] == [401] * limit and codes[-1] == 429
    assert attempt(b, PASSWORD) == 302
    assert attempt(a, PASSWORD) == 429   # still locked where it was


@pytest.fixture(scope="module")
def web(inst):
    """The Procfile's web line under gunicorn for the installation (both regions), on a port of
    18200-18299; its base URLs by region."""
    from bench.dashboard import web_command

    runtimes = inst[0]
    cmd, _ = web_command()
    port = next(p for p in range(18200, 18300) if _free(p))
    cmd[cmd.index("--bind") + 1] = f"127.0.0.1:{port}"
    ARTIFACTS.mkdir(exist_ok=True)
    with serving(cmd, ROOT, runtime_env(runtimes[OWN]), f"http://127.0.0.1:{port}/login",
                 ARTIFACTS / "gunicorn-regions.log", timeout_s=180):
        yield {code: f"http://{host}:{port}" for code, host in HOSTS.items()}


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@pytest.mark.browser
def test_a_browser_at_each_host_name_sees_its_region(web):
    """Chromium resolves *.localhost to the loopback: one gunicorn, two regions by host name."""
    from selenium import webdriver
    from selenium.webdriver.common.by import By

    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=webdriver.ChromeService("/usr/bin/chromedriver"), options=opts)
    try:
        for width, height in ((1920, 1080), (390, 844)):
            viewport(driver, width, height)
            for code, base in web.items():
                driver.delete_all_cookies()
                driver.get(base + "/login")
                region = driver.find_element(By.CSS_SELECTOR, ".login-box .muted").text
                assert region == NAMES[code], (base, region)
                shot(driver, f"regions_login_{code}_{width}x{height}")
        login(driver, web[OTHER], "bkpp")        # region 8271's own bkpp, at its host
        # at 390 px the header folds behind "Menu": its text is in the page, not on screen
        wait(driver, lambda d: "Warga Ternate bkpp" in d.page_source)
        assert "Pegawai SETDA" not in driver.page_source   # the own region's people
        shot(driver, f"regions_overview_{OTHER}_390x844")
        viewport(driver, 1920, 1080)
        shot(driver, f"regions_overview_{OTHER}_1920x1080")
        driver.get(web[OWN] + "/overview")          # the same browser at the own region's host: not logged in
        wait(driver, lambda d: "/login" in d.current_url)
        assert NAMES[OWN] in driver.find_element(By.CSS_SELECTOR, ".login-box").text
    finally:
        driver.quit()


def test_another_region_never_runs_as_the_own_regions_app_role(inst):
    """A process given PANTAU_APP_DATABASE_URL (the own region's role, as the Procfile's web
    is in docs/operations.md) boots every other region on a role and schema of its own."""
    runtimes = inst[0]
    base = dataclasses.replace(runtimes[OWN].settings, app_database_url=runtimes[OWN].urls.database_url)
    other = settings_for(base, OTHER)
    assert other.app_database_url is None and other.db_schema == runtimes[OTHER].settings.db_schema
    assert settings_for(base, OWN).app_database_url == runtimes[OWN].urls.database_url
