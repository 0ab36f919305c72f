"""Postgres unreachable, seen from the dashboard in process: the page, a callback and a
download each say so in Indonesian, never a 500. (The real outage, frozen or stopped,
against the Procfile's processes: tests/faults/test_postgres_faults.py.)"""
from __future__ import annotations

import json

import pytest

from queries import db
from tests.conftest import ROOT
from tests.support.city import seed_city
from tests.support.dash_client import logged_in

DB_DOWN = "Basis data tidak dapat dihubungi"


@pytest.fixture(scope="module")
def city(make_runtime):
    rt = make_runtime(ROOT / "config.yaml", "dbdown")
    return rt, seed_city(rt, past_days=2)


@pytest.fixture
def sekda(app):
    """Logged in while Postgres answered (the user row is then cached for 30 s)."""
    c = logged_in(app, "sekda")
    assert c.http.get("/").status_code == 200
    return c


@pytest.fixture
def postgres_down(sekda, monkeypatch):
    def unreachable(url):
        raise db.DatabaseUnavailable("connection to server at 127.0.0.1 failed: Connection refused")
    monkeypatch.setattr(db, "connection", unreachable)
    monkeypatch.setattr(db, "transaction", unreachable)


def test_page_callback_and_download_say_the_database_cannot_be_reached(sekda, postgres_down):
    c = sekda
    status, page = c.page("/overview")
    assert status == 200 and DB_DOWN in page, page[:300]

    body = {"output": c.output_key("ov-search"), "outputs": {"id": "ov-search-results", "property": "children"},
            "inputs": [{"id": "ov-search", "property": "value", "value": "pegawai"}], "state": [],
            "changedPropIds": ["ov-search.value"]}
    res = c.http.post("/_dash-update-component", data=json.dumps(body),
                      headers={"Content-Type": "application/json", "X-CSRFToken": c.csrf()})
    assert res.status_code == 200, res.get_data(as_text=True)[:300]
    assert DB_DOWN in json.dumps(res.get_json().get("sideUpdate")), res.get_json()

    res = c.http.get("/download/checkins.csv")
    assert res.status_code == 503 and int(res.headers["Retry-After"]) > 0
    assert DB_DOWN in res.get_data(as_text=True)
