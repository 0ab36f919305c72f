"""The dashboard without a browser: logins, roles, scoping of every callback and download."""
from __future__ import annotations

import csv
import io

import pytest

from dashboard.app import create_app
from tests.conftest import ROOT
from tests.dash_client import DashClient
from tests.dashboard_data import KIOSK_TOKEN, PASSWORD, seed_city


@pytest.fixture(scope="module")
def city(make_runtime):
    rt = make_runtime(ROOT / "config.yaml", "dash")
    return rt, seed_city(rt)


@pytest.fixture(scope="module")
def app(city):
    return create_app(city[0])


def client(app, username=None) -> DashClient:
    c = DashClient(app)
    if username:
        res = c.login(username, PASSWORD)
        assert res.status_code == 302, res.get_data(as_text=True)[:500]
    return c


def test_smoke(app, city):
    c = client(app, "sekda")
    status, text = c.page("/overview", "")
    print(status, text[:3000])
    assert status == 200
