"""Failed logins are limited per account and per client address; the client address comes
from X-Forwarded-For only as deep as `proxies.trusted`; the refusal says when to try again."""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
import time

import pytest

from dashboard.app import create_app
from dashboard.auth import hash_password
from foundation.config import DashboardOptions, Proxies
from queries import users
from tests.conftest import ROOT
from tests.support.city import PASSWORD, seed_city
from tests.support.dash_client import DashClient


# accounts of this module's own: the login limiter is one per process (its counters outlive
# the module), so locking the seeded city's users would lock them for later test modules
OWN = ("uji-dikunci", "uji-rekan", "uji-waktu", "uji-alamat")


@pytest.fixture(scope="module")
def city(make_runtime):
    rt = make_runtime(ROOT / "config.yaml", "logins")
    data = seed_city(rt)
    with rt.transaction() as conn:
        for name in OWN:
            users.add_user(conn, name, hash_password(PASSWORD), "sekda", None, name)
    return rt, data


def app_with(rt, *, trusted: int = 0, **dashboard):
    """The dashboard under other proxy and login settings (same servers and data)."""
    config = rt.config.model_copy(update={
        "proxies": Proxies(trusted=trusted),
        "dashboard": DashboardOptions(**{**rt.config.dashboard.model_dump(), **dashboard})})
    return create_app(dataclasses.replace(rt, config=config))


def attempt(app, username: str, password: str, address: str = "10.1.0.1", forwarded_for: str | None = None):
    env = {"REMOTE_ADDR": address, **({"HTTP_X_FORWARDED_FOR": forwarded_for} if forwarded_for else {})}
    return DashClient(app).login(username, password, environ_base=env)


def test_wrong_passwords_for_one_account_do_not_lock_out_another(app, city):
    limit = int(city[0].config.dashboard.login_attempts.split()[0])
    codes = [attempt(app, "uji-dikunci", "salah", "10.1.0.7").status_code for _ in range(limit + 1)]
    assert codes[:limit] == [401] * limit and codes[-1] == 429
    assert attempt(app, "uji-dikunci", PASSWORD, "10.1.0.7").status_code == 429   # the right password too, for now
    assert attempt(app, " UJI-DIKUNCI", PASSWORD, "10.1.0.8").status_code == 429  # the account, from anywhere
    # a colleague behind the same address (or the same proxy) still logs in
    assert attempt(app, "uji-rekan", PASSWORD, "10.1.0.7").status_code == 302


def test_the_refusal_says_when_to_try_again(app, city):
    for _ in range(int(city[0].config.dashboard.login_attempts.split()[0])):
        attempt(app, "uji-waktu", "salah", "10.1.0.9")
    before = dt.datetime.now(city[0].config.zone)
    res = attempt(app, "uji-waktu", "salah", "10.1.0.9")
    page = res.get_data(as_text=True)
    assert res.status_code == 429 and "Terlalu banyak percobaan untuk akun ini" in page
    found = re.search(r"Coba lagi pukul (\d\d)\.(\d\d) WIB \(dalam (\d+) menit\)", page)
    assert found, page
    at = before.replace(hour=int(found[1]), minute=int(found[2]), second=0, microsecond=0)
    if at < before - dt.timedelta(minutes=1):
        at += dt.timedelta(days=1)   # the window ends after midnight
    assert before - dt.timedelta(minutes=1) <= at <= before + dt.timedelta(minutes=15)
    assert 1 <= int(found[3]) <= 15


def test_one_address_trying_many_accounts_is_stopped(city):
    app = app_with(city[0], login_attempts_per_address="5 per 15 minutes")
    codes = [attempt(app, f"tebakan{i}", "salah", "10.1.1.1").status_code for i in range(6)]
    assert codes == [401] * 5 + [429]
    res = attempt(app, "uji-alamat", PASSWORD, "10.1.1.1")
    assert res.status_code == 429 and "Terlalu banyak percobaan dari alamat ini" in res.get_data(as_text=True)
    assert attempt(app, "uji-alamat", PASSWORD, "10.1.1.2").status_code == 302   # another address


def test_forwarded_for_is_ignored_without_trusted_proxies(city):
    app = app_with(city[0], trusted=0, login_attempts_per_address="3 per 15 minutes")
    # a client naming a new address in each request is still one address
    codes = [attempt(app, f"semprot{i}", "salah", "10.1.2.1", forwarded_for=f"198.51.100.{i}").status_code
             for i in range(4)]
    assert codes == [401, 401, 401, 429]


def test_forwarded_for_is_read_behind_one_trusted_proxy(city):
    app = app_with(city[0], trusted=1, login_attempts_per_address="3 per 15 minutes")
    # every user arrives from the proxy (127.0.0.1); nginx appends the address it saw
    for i in range(3):
        assert attempt(app, f"pengguna{i}", "salah", "127.0.0.1", forwarded_for="203.0.113.9").status_code == 401
    assert attempt(app, "pengguna9", "salah", "127.0.0.1", forwarded_for="203.0.113.9").status_code == 429
    # another client behind the same proxy is not affected, and what a client puts in front is not its address
    assert attempt(app, "uji-rekan", PASSWORD, "127.0.0.1", forwarded_for="203.0.113.9, 203.0.113.10").status_code == 302
