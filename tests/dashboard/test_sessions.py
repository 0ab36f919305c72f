"""Sessions end on the server at logout (POST only, with the CSRF token); the session cookie
is HttpOnly, SameSite and, over HTTPS (behind the trusted proxy too), Secure."""
from __future__ import annotations

import dataclasses
import io

import pytest

from dashboard.app import create_app
from pantau import cli
from queries import audit
from foundation.config import Proxies
from tests.conftest import ROOT, runtime_env
from tests.support.city import PASSWORD, seed_city
from tests.support.dash_client import DashClient, logged_in

RECAP = "/download/recap.csv?month={:%Y-%m}&format=csv"


@pytest.fixture(scope="module")
def city(make_runtime):
    rt = make_runtime(ROOT / "config.yaml", "sessions")
    return rt, seed_city(rt)


def session_cookie(client: DashClient) -> str:
    return client.http.get_cookie("session").value


def with_cookie(app, value: str) -> DashClient:
    """Another browser holding a copy of someone's session cookie."""
    thief = DashClient(app)
    thief.http.set_cookie("session", value)
    return thief


def test_a_cookie_copied_before_logout_is_worthless_after_it(app, city):
    recap = RECAP.format(city[1]["today"])
    user = logged_in(app, "bkpp")
    copied = session_cookie(user)
    assert with_cookie(app, copied).http.get(recap).status_code == 200     # the copy works while logged in
    res = user.http.post("/logout", data={"csrf_token": user.csrf()})
    assert res.status_code == 302 and res.headers["Location"] == "/login"
    thief = with_cookie(app, copied)
    assert thief.http.get(recap).status_code == 401
    res = thief.http.get("/overview")
    assert res.status_code == 302 and res.headers["Location"].startswith("/login")
    status, text = thief.page("/overview")
    assert status == 200 and "Sesi berakhir" in text
    assert user.http.get("/overview").status_code == 302


def test_logging_out_one_session_leaves_the_others(app, city):
    phone, desk = logged_in(app, "sekda"), logged_in(app, "sekda")
    phone.http.post("/logout", data={"csrf_token": phone.csrf()})
    assert desk.http.get("/overview").status_code == 200


def test_get_logout_only_asks(app, city):
    user = logged_in(app, "kada")
    page = user.http.get("/logout")
    assert page.status_code == 200 and 'method="post"' in page.get_data(as_text=True)
    assert user.http.get("/overview").status_code == 200       # still logged in
    assert user.http.post("/logout").status_code == 400        # no CSRF token: refused
    assert user.http.get("/overview").status_code == 200


def test_the_frame_logs_out_with_a_post_form(app, city):
    status, text = logged_in(app, "kada").page("/overview")
    assert status == 200 and '"action": "/logout"' in text and '"method": "post"' in text
    assert '"name": "csrf_token"' in text


def app_behind_proxy(rt, trusted: int):
    return create_app(dataclasses.replace(rt, config=rt.config.model_copy(update={"proxies": Proxies(trusted=trusted)})))


def login_cookie(app, environ: dict) -> str:
    res = DashClient(app).login("kadinkes", PASSWORD, environ_base=environ)
    assert res.status_code == 302
    return next(h for h in res.headers.getlist("Set-Cookie") if h.startswith("session="))


def test_the_session_cookie_is_secure_over_https_behind_the_proxy(city):
    # (over HTTPS Flask-WTF also wants a same-site Referer, as a browser sends)
    https = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.5", "HTTP_X_FORWARDED_PROTO": "https",
             "HTTP_REFERER": "https://localhost/login"}
    cookie = login_cookie(app_behind_proxy(city[0], 1), https)
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    # with no trusted proxy the header is a client's claim: the request was plain http
    cookie = login_cookie(app_behind_proxy(city[0], 0), https)
    assert "Secure" not in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


NEW_PASSWORD = "kata-sandi-baru-2026"


def change_password(client: DashClient, current: str, new: str, again: str | None = None):
    return client.http.post("/password", data={"csrf_token": client.csrf(), "current": current, "new": new,
                                               "again": new if again is None else again})


def password_audit(rt, username: str) -> list[dict]:
    with rt.connection() as conn:
        return audit.entries(conn, action="user.password", target=username)


def test_a_password_change_ends_the_users_other_sessions_and_is_audited(app, city, monkeypatch):
    rt = city[0]
    desk, phone, colleague = logged_in(app, "kadamkar"), logged_in(app, "kadamkar"), logged_in(app, "sekda")
    assert desk.http.get("/password").status_code == 200
    # refused: the current password wrong, the new one too short or not repeated; nothing ends
    for current, new, again, said in ((NEW_PASSWORD, NEW_PASSWORD, None, "salah"),
                                      (PASSWORD, "pendek", None, "minimal 10"),
                                      (PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "x", "tidak sama")):
        res = change_password(desk, current, new, again)
        assert res.status_code == 400 and said in res.get_data(as_text=True)
    assert phone.http.get("/overview").status_code == 200
    res = change_password(desk, PASSWORD, NEW_PASSWORD)
    assert res.status_code == 200 and "telah diakhiri" in res.get_data(as_text=True), res.get_data(as_text=True)
    assert desk.http.get("/overview").status_code == 200                 # the session it was changed from
    assert phone.http.get("/overview").status_code == 302                # the other one ended
    assert colleague.http.get("/overview").status_code == 200            # nobody else's
    assert DashClient(app).login("kadamkar", PASSWORD).status_code == 401
    again = DashClient(app)
    assert again.login("kadamkar", NEW_PASSWORD).status_code == 302
    entry = password_audit(rt, "kadamkar")[0]
    assert entry["actor"] == "kadamkar" and entry["after"] == {"sessions_ended": 1}
    # an administrator's reset (pantau users password) ends every session, the reset's audit says how many
    for k, v in runtime_env(rt).items():
        monkeypatch.setenv(k, v)
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert cli.main(["users", "password", "kadamkar", "--password-stdin", "--actor", "admin-bkpp"]) == 0
    assert desk.http.get("/overview").status_code == 302 and again.http.get("/overview").status_code == 302
    assert colleague.http.get("/overview").status_code == 200
    entry = password_audit(rt, "kadamkar")[0]
    assert entry["actor"] == "admin-bkpp" and entry["after"] == {"sessions_ended": 2, "temporary": False}   # the password was typed in
    assert logged_in(app, "kadamkar").http.get("/overview").status_code == 200


def test_the_password_page_wants_a_login(app, city):
    res = DashClient(app).http.get("/password")
    assert res.status_code == 302 and res.headers["Location"].startswith("/login")
