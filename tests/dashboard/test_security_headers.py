"""Every dashboard answer carries the security headers: pages, the kiosk wall, downloads."""
from __future__ import annotations

import pytest

from tests.conftest import ROOT
from tests.support.city import KIOSK_TOKEN, seed_city
from tests.support.dash_client import DashClient, logged_in


@pytest.fixture(scope="module")
def city(make_runtime):
    rt = make_runtime(ROOT / "config.yaml", "headers")
    return rt, seed_city(rt)


def assert_protected(res):
    csp = res.headers.get("Content-Security-Policy", "")
    assert res.headers.get("X-Frame-Options") == "DENY"
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp and "object-src 'none'" in csp
    script_src = next(d for d in csp.split(";") if d.strip().startswith("script-src")).split()
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert res.headers.get("X-Content-Type-Options") == "nosniff"


def test_dashboard_pages_send_the_headers(app, city):
    user = logged_in(app, "bkpp")
    for path in ("/overview", "/trends", "/map", "/downloads", "/admin/leave"):
        res = user.http.get(path)
        assert res.status_code == 200, path
        assert_protected(res)
    assert_protected(DashClient(app).http.get("/login"))


def test_the_kiosk_wall_sends_the_headers(app, city):
    res = DashClient(app).http.get(f"/wall?kiosk={KIOSK_TOKEN}")
    assert res.status_code == 200
    assert_protected(res)


def test_downloads_send_the_headers(app, city):
    res = logged_in(app, "bkpp").http.get(f"/download/recap.csv?month={city[1]['today']:%Y-%m}&format=csv")
    assert res.status_code == 200 and res.mimetype == "text/csv"
    assert_protected(res)


def test_dash_inline_scripts_are_allowed_by_hash_only(app, city):
    csp = logged_in(app, "sekda").http.get("/overview").headers["Content-Security-Policy"]
    assert all(h in csp for h in app.csp_hashes())


def test_the_map_frame_runs_only_its_own_scripts(app, city):
    res = logged_in(app, "bkpp").http.get("/map/frame")
    csp, page = res.headers["Content-Security-Policy"], res.get_data(as_text=True)
    assert res.status_code == 200 and res.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in csp
    nonce = next(d for d in csp.split(";") if d.strip().startswith("script-src")).split("'nonce-")[1].rstrip("'")
    scripts = page.count("<script")
    assert scripts > 3 and page.count(f'<script nonce="{nonce}"') == scripts
    assert logged_in(app, "bkpp").http.get("/map/frame").headers["Content-Security-Policy"] != csp  # a nonce per answer
