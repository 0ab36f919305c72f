"""/provinsi on a real installation (Postgres schemas and roles, Redis prefixes): a province's
rollup of the city under it agrees with the city's own wall and overview, shows no person,
and hands out the city's recap per employee only when the city's config grants it."""
from __future__ import annotations

import dataclasses
import io
import json

import pytest

from dashboard import summary
from dashboard.app import create_app
from dashboard.data.province import province_rollup
from ingest import live
from ingest.rules.calendar import calendar_for
from queries import attendance as qa
from queries import audit
from queries import dashboard as qd
from queries import users
from tests.conftest import runtime_env
from tests.support import province as seeded
from tests.support.city import PASSWORD
from tests.support.dash_client import logged_in

CLOCK_AT = seeded.CLOCK_AT   # the demo_clock fixture's moment (tests/dashboard/conftest.py)


@pytest.fixture(scope="module")
def installation(make_installation, demo_clock):
    regions = make_installation("82", "8271", "7371", label="prov")
    return regions, seeded.seed(regions)


@pytest.fixture(scope="module")
def app(installation, demo_clock):
    regions, _ = installation
    app = create_app(regions["82"])                       # the province's own web app
    app.server.extensions["pantau_regions"] = dict(regions)   # as the web process serving them all sets it
    return app


@pytest.fixture(scope="module")
def province_login(installation):
    """A provinsi login of region 82, made with `pantau --region`'s environment and the CLI."""
    from pantau import cli

    regions, _ = installation
    env = runtime_env(regions["82"])
    with pytest.MonkeyPatch.context() as mp:
        for k, v in env.items():
            mp.setenv(k, v)
        mp.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
        assert cli.main(["users", "add", "malut", "--role", "provinsi", "--password-stdin", "--actor", "test"]) == 0
    with regions["82"].connection() as conn:
        assert users.user_by_username(conn, "malut")["role"] == "provinsi"
    with regions["82"].transaction() as conn:   # a region-wide login of the province, for contrast
        from dashboard.auth import hash_password
        users.add_user(conn, "bkpp-malut", hash_password(PASSWORD), "bkpp", None, "BKPP Malut")
    return "malut"


def _overview_counts(rt, day) -> dict:
    """The counts the city's own overview shows for `day` (dashboard.data: open day, schedules)."""
    with rt.connection() as conn:
        expected = live.expected_count(calendar_for(rt.config), rt.config, qa.live_statuses(conn, day), day)
        rows = qd.unit_day_counts(conn, day, day, None, {(day, u): n for u, n in expected.items()})
    return summary.totals(rows)


def test_the_rollup_agrees_with_the_citys_own_wall_and_overview(app, installation):
    regions, people = installation
    ternate = regions["8271"]
    with app.server.app_context():                                # the province's app: its shared cache
        rows = province_rollup(regions, "82")
        assert province_rollup(regions, "82") == rows             # the second read, from the cache
    cached = regions["82"].key("cache") + ":province:8271:"
    assert list(regions["82"].redis.scan_iter(cached + "*")), cached
    assert [r["code"] for r in rows] == ["8271"]                 # not Makassar (no parent), not the own region
    row = rows[0]
    assert (row["name"], row["zone"], row["day"], row["employees"]) == ("Pemerintah Kota Ternate", "WIT", seeded.DAY, 9)
    assert {k: row["today"][k] for k in seeded.TODAY} == seeded.TODAY
    snap = live.snapshot(ternate, seeded.DAY)                     # what Ternate's wall shows
    assert snap["version"] > 0                                    # its live state, kept by the check-ins
    assert {k: snap["totals"][k] for k in seeded.TODAY} == seeded.TODAY
    tiles = _overview_counts(ternate, seeded.DAY)                # what Ternate's overview shows
    assert (tiles["expected"], tiles["present"], tiles["late"], tiles["on_leave"], tiles["tk"], tiles["not_yet"]) == \
        tuple(seeded.TODAY[k] for k in ("expected", "present", "late", "leave", "absent", "not_yet"))
    assert (row["month_present"], row["month_late"], row["late_rate"]) == (22, 6, 27.3)
    with ternate.connection() as conn:                           # the same days /trends' rate counts
        month = summary.totals(qd.unit_day_counts(conn, seeded.DAY.replace(day=1), seeded.DAY, None))
    assert (month["present"], month["late"]) == (row["month_present"], row["month_late"])
    got = {u["unit_code"]: (u["expected"], u["present"], u["late"], u["not_yet"]) for u in row["units"]}
    assert got == seeded.UNITS
    said = json.dumps(rows, default=str)
    assert not [v for v in seeded.identities(people) if v in said]


def test_a_province_login_sees_its_regions_counts_and_no_one(app, installation, province_login):
    _, people = installation
    c = logged_in(app, province_login)
    status, page = c.page("/provinsi")
    assert status == 200
    for shown in ("Wilayah di bawah Pemerintah Provinsi Maluku Utara", "Pemerintah Kota Ternate", "WIT",
                  "6 (66,7%)", "2 (22,2%)", "3 (33,3%)", "27,3%", "Satuan Polisi Pamong Praja",
                  "Rekap per pegawai tidak dibagikan ke provinsi", '"/provinsi"'):
        assert shown in page, shown
    assert "Makassar" not in page and "Cilegon" not in page
    assert '"/overview"' not in page and '"/downloads"' not in page      # its only page in the bar
    assert not [v for v in seeded.identities(people) if v in page]
    status, home = c.page("/")                                             # after login: its home
    assert status == 200 and "Pemerintah Kota Ternate" in home
    status, refreshed = c.callback([("pv-body", "children")], [("pv-tick", "n_intervals", 1)])
    assert status == 200 and "6 (66,7%)" in json.dumps(refreshed)


def test_a_province_login_sees_none_of_its_own_regions_people(app, installation, province_login):
    _, people = installation
    own = people["malut"][0]
    c = logged_in(app, province_login)
    for path, search in (("/trends", ""), ("/map", ""), ("/wall", ""), ("/review", ""), ("/downloads", ""),
                         ("/overview", f"?employee={own['id']}"), ("/overview", "?unit=SETDA")):
        status, page = c.page(path, search)
        assert status == 200 and own["name"] not in page and own["nip"] not in page, path
    status, found = c.callback([("ov-search-results", "children")], [("ov-search", "value", "Yusuf Provinsi")])
    assert status == 200 and own["name"] not in json.dumps(found)
    for url in ("/download/recap.csv", "/download/checkins.csv", "/download/units.csv"):
        assert c.http.get(url).status_code == 403, url


def test_the_recap_is_refused_without_the_grant_and_sent_with_it(app, installation, province_login):
    regions, people = installation
    c = logged_in(app, province_login)
    refused = c.http.get("/provinsi/rekap/8271.csv?month=2027-06")
    assert refused.status_code == 403
    assert "Pemerintah Kota Ternate tidak membagikan data pegawainya ke provinsi" in refused.get_data(as_text=True)
    assert c.http.get("/provinsi/rekap/7371.csv").status_code == 404     # Makassar is not under Maluku Utara
    ternate = regions["8271"]
    config = ternate.config.model_copy(update={"region": ternate.config.region.model_copy(update={"people_to_parent": True})})
    app.server.extensions["pantau_regions"] = {**regions, "8271": dataclasses.replace(ternate, config=config)}
    try:
        _, page = c.page("/provinsi")
        assert "membagikan rekap bulanan per pegawai ke provinsi: Pemerintah Kota Ternate" in page
        assert "/provinsi/rekap/8271.csv?month=2027-06" in page
        assert not [v for v in seeded.identities(people) if v in page]    # the page still shows no one
        sent = c.http.get("/provinsi/rekap/8271.csv?month=2027-06&format=csv")
        assert sent.status_code == 200 and sent.content_type.startswith("text/csv")
        text = sent.get_data(as_text=True)
        came = [p for p, (_, arrival) in zip(people["ternate"], seeded.STAFF) if arrival]   # who has work days
        assert len(came) == 6 and all(p["nip"] in text and p["name"] in text for p in came), text[:500]
        assert people["malut"][0]["nip"] not in text                       # Ternate's people only
        with ternate.connection() as conn:                                 # on Ternate's own record
            taken = audit.entries(conn, action="province.recap")
        assert [(e["actor"], e["target"]) for e in taken] == [("malut@82", "2027-06")]
        bkpp = logged_in(app, "bkpp-malut")                                # the grant is the province login's
        assert bkpp.http.get("/provinsi/rekap/8271.csv").status_code == 403
        _, page = bkpp.page("/provinsi")
        assert "Halaman ini untuk akun provinsi" in page and "Ternate" not in page
    finally:
        app.server.extensions["pantau_regions"] = dict(regions)


def test_a_web_process_serving_only_the_province_says_so(app, installation, province_login):
    regions, _ = installation
    app.server.extensions.pop("pantau_regions")          # single-region process: its own region alone
    try:
        _, page = logged_in(app, province_login).page("/provinsi")
        assert "Belum ada wilayah di bawah Pemerintah Provinsi Maluku Utara" in page and "Ternate" not in page
    finally:
        app.server.extensions["pantau_regions"] = dict(regions)
